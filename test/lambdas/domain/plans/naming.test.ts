import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SNAPSHOT_PREFIX, formatSnapshotName, isSnapshotOf, isValidTargetId, parseSnapshotName } from '../../../../lambdas/domain/plans/naming.js';

const MAX_ID = `a${'-b1'.repeat(13)}`; // 40 characters

/** Valid ids: hyphen-separated runs of [a-z0-9], first char a letter, at most 40. */
const targetIdArb = fc
  .tuple(
    fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz'),
    fc.array(fc.stringMatching(/^[a-z0-9]{1,6}$/), { maxLength: 6 }),
    fc.stringMatching(/^[a-z0-9]{0,5}$/),
  )
  .map(([first, runs, head]) => [`${first}${head}`, ...runs].join('-'))
  .filter((id) => id.length <= 40);

describe('SNAPSHOT_PREFIX', () => {
  it('is rdr-', () => {
    expect(SNAPSHOT_PREFIX).toBe('rdr-');
  });
});

describe('isValidTargetId', () => {
  it('sanity: the max-length fixture is 40 characters', () => {
    expect(MAX_ID).toHaveLength(40);
  });

  it.each([
    ['a', 'a single letter'],
    ['orders', 'lowercase letters'],
    ['orders-prod-1', 'single hyphens between runs'],
    ['a1b2c3', 'letters and digits'],
    [MAX_ID, 'exactly 40 characters'],
  ])('accepts %j (%s)', (id) => {
    expect(isValidTargetId(id)).toBe(true);
  });

  it.each([
    ['', 'empty'],
    [`${MAX_ID}x`, '41 characters'],
    ['1orders', 'starting with a digit'],
    ['-orders', 'starting with a hyphen'],
    ['orders-', 'a trailing hyphen'],
    ['orders--prod', 'two consecutive hyphens'],
    ['Orders', 'an uppercase letter'],
    ['orders_prod', 'an underscore'],
    ['orders.prod', 'a dot'],
    ['orders prod', 'a space'],
    ['ördérs', 'non-ASCII letters'],
  ])('rejects %j (%s)', (id) => {
    expect(isValidTargetId(id)).toBe(false);
  });
});

describe('formatSnapshotName', () => {
  it.each([
    ['orders', '2026-03-05T07:09:59.999Z', 'rdr-orders-20260305-0709', 'drops seconds and milliseconds'],
    ['Orders-Prod', '2026-12-31T23:59:00Z', 'rdr-orders-prod-20261231-2359', 'lowercases the target'],
    ['cache', '2026-03-29T01:30:00+02:00', 'rdr-cache-20260328-2330', 'writes the UTC date and time'],
    ['x', '2027-01-01T00:00:00Z', 'rdr-x-20270101-0000', 'pads every field'],
  ])('formats %j at %s as %s (%s)', (target, iso, expected) => {
    expect(formatSnapshotName(target, new Date(iso))).toBe(expected);
  });

  it.each([
    ['orders--prod', 'orders--prod'],
    ['-orders', '-orders'],
    ['', '""'],
    [`${MAX_ID}x`, `${MAX_ID}x`],
  ])('throws an error naming the invalid target id %j', (target, shown) => {
    expect(() => formatSnapshotName(target, new Date('2026-01-01T00:00:00Z'))).toThrow(shown);
    expect(() => formatSnapshotName(target, new Date('2026-01-01T00:00:00Z'))).toThrow(/targetId must be/);
  });

  it('throws when the date is invalid', () => {
    expect(() => formatSnapshotName('orders', new Date(Number.NaN))).toThrow(/at must be a valid Date/);
  });

  it('throws when the UTC year does not have four digits', () => {
    expect(() => formatSnapshotName('orders', new Date('+010000-01-01T00:00:00Z'))).toThrow(/four-digit UTC year/);
  });
});

describe('parseSnapshotName', () => {
  it.each([
    ['orders', '2026-03-05T07:09:00Z'],
    ['orders-prod-eu-1', '2026-02-28T23:59:00Z'],
    ['a-20260101-1200', '2026-01-02T13:00:00Z'], // target that itself looks like a date
    ['a-1-2-3', '2024-02-29T00:00:00Z'], // leap day
    [MAX_ID, '2020-12-31T12:34:00Z'],
    ['z', '1000-01-01T00:00:00Z'],
    ['z', '9999-12-31T23:59:00Z'],
  ])('round-trips target %j at %s', (target, iso) => {
    const at = new Date(iso);
    expect(parseSnapshotName(formatSnapshotName(target, at))).toEqual({ target, at });
  });

  it('round-trips any valid target and minute (property)', () => {
    fc.assert(
      fc.property(
        targetIdArb,
        fc.date({ min: new Date('1000-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true }),
        (target, at) => {
          const name = formatSnapshotName(target, at);
          const parsed = parseSnapshotName(name);
          const minute = new Date(Math.floor(at.getTime() / 60_000) * 60_000);
          expect(parsed).toEqual({ target, at: minute });
          expect(formatSnapshotName(parsed!.target, parsed!.at)).toBe(name);
        },
      ),
      { numRuns: 500 },
    );
  });

  it.each([
    ['rdr-orders-20260230-1200', 'February 30th'],
    ['rdr-orders-20250229-1200', 'February 29th in a common year'],
    ['rdr-orders-20260431-1200', 'April 31st'],
    ['rdr-orders-20261301-1200', 'month 13'],
    ['rdr-orders-20260001-1200', 'month 0'],
    ['rdr-orders-20260100-1200', 'day 0'],
    ['rdr-orders-20260101-2500', 'hour 25'],
    ['rdr-orders-20260101-2400', 'hour 24'],
    ['rdr-orders-20260101-1260', 'minute 60'],
    ['rdr-orders-09990101-1200', 'a year before 1000'],
    ['rdr-Orders-20260101-1200', 'an uppercase target'],
    ['RDR-orders-20260101-1200', 'an uppercase prefix'],
    ['rds-orders-20260101-1200', 'another prefix'],
    ['orders-20260101-1200', 'no prefix'],
    ['rdr--20260101-1200', 'an empty target'],
    ['rdr-orders--20260101-1200', 'a target ending in a hyphen'],
    ['rdr-or--ders-20260101-1200', 'a target with two consecutive hyphens'],
    ['rdr-1orders-20260101-1200', 'a target starting with a digit'],
    [`rdr-${MAX_ID}x-20260101-1200`, 'a 41-character target'],
    ['rdr-orders-2026011-1200', 'a seven-digit date'],
    ['rdr-orders-20260101-120', 'a three-digit time'],
    ['rdr-orders-20260101-120000', 'seconds in the time'],
    ['rdr-orders-20260101', 'no time'],
    ['rdr-orders-20260101-1200-0001.rdb', 'an exported file name'],
    ['rdr-orders-20260101-1200 ', 'a trailing space'],
    ['rdr-orders-2026o101-1200', 'a letter in the date'],
    ['', 'the empty string'],
  ])('rejects %j (%s)', (name) => {
    expect(parseSnapshotName(name)).toBeUndefined();
  });
});

describe('isSnapshotOf', () => {
  it.each([
    ['rdr-a-20260101-1200', 'a', true, 'the exact target'],
    ['rdr-a-b-20260101-1200', 'a-b', true, 'a target with a hyphen'],
    ['rdr-a-b-20260101-1200', 'a', false, 'a target whose name is a prefix of the real target (prefix trap)'],
    ['rdr-a-20260101-1200', 'a-b', false, 'a longer target'],
    ['rdr-a-20260101-1200-20260102-1300', 'a', false, 'a target whose id looks like a date'],
    ['rdr-a-20260101-1200-20260102-1300', 'a-20260101-1200', true, 'the date-like target itself'],
    ['rdr-a-20260101-1200', 'A', true, 'a target id given in uppercase (ElastiCache lowercases ids)'],
    ['rdr-a-20260230-1200', 'a', false, 'a name with an impossible date'],
    ['manual-a-20260101-1200', 'a', false, 'a name not made by redis-dr'],
  ])('for %j and target %j is %s (%s)', (name, target, expected) => {
    expect(isSnapshotOf(name, target)).toBe(expected);
  });

  it('matches only the target that formatted the name (property)', () => {
    fc.assert(
      fc.property(targetIdArb, targetIdArb, fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }), (a, b, at) => {
        const name = formatSnapshotName(a, at);
        expect(isSnapshotOf(name, a)).toBe(true);
        expect(isSnapshotOf(name, b)).toBe(a === b);
      }),
      { numRuns: 300 },
    );
  });
});
