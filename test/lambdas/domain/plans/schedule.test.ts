import { CronExpressionParser } from 'cron-parser';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  analyzeSchedule,
  isValidTimeZone,
  nextOccurrences,
  occurrencesBetween,
  parseAwsCron,
  toCronParserExpression,
  utcOffsetMinutes,
} from '../../../../lambdas/domain/plans/schedule.js';

/** A fixed "now" whose 400-day horizon covers both DST changes of 2026 in Europe and the US. */
const FROM = new Date('2026-01-15T00:00:00Z');

/**
 * CPU milliseconds (user + system) this process spent in `fn`: not its wall time, which the suite's load stretches (five
 * workers and the tests' servers on two cores: a few milliseconds of work waited past a wall-clock bound under load).
 */
function cpuMs(fn: () => unknown): number {
  const before = process.cpuUsage();
  fn();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

const iso = (dates: readonly Date[]) => dates.map((d) => d.toISOString());

/**
 * Oracle: cron-parser with EventBridge's DST rules applied on top (drop a
 * missing local time that cron-parser shifted forward; run a repeated local
 * time once). Valid when `from` is not inside a repeated hour.
 */
function cronParserRuns(cron: string, timeZone: string, from: Date, to: Date): Date[] {
  const parsed = parseAwsCron(cron);
  if (!parsed.ok) throw new Error(parsed.error);
  const it = CronExpressionParser.parse(toCronParserExpression(parsed.fields), { tz: timeZone, currentDate: from });
  const out: Date[] = [];
  let previousWall = '';
  for (;;) {
    const next = it.next();
    const date = next.toDate();
    if (date > to) return out;
    const wall = `${next.getFullYear()}-${next.getMonth()}-${next.getDate()} ${next.getHours()}:${next.getMinutes()}`;
    if (!it.includesDate(date) || wall === previousWall) continue;
    previousWall = wall;
    out.push(date);
  }
}

describe('parseAwsCron', () => {
  it.each([
    ['cron(0 * * * ? *)', ['0', '*', '*', '*', '?', '*']],
    ['cron(0 0/4 * * ? *)', ['0', '0/4', '*', '*', '?', '*']],
    ['cron(15 3 ? * MON-FRI *)', ['15', '3', '?', '*', 'MON-FRI', '*']],
    ['cron(0 3 L * ? *)', ['0', '3', 'L', '*', '?', '*']],
    ['cron(0 3 ? * 6L *)', ['0', '3', '?', '*', '6L', '*']],
    ['cron(0 3 ? * 2#1 *)', ['0', '3', '?', '*', '2#1', '*']],
    ['  cron( 0  12 1,15 JAN-MAR ? * ) ', ['0', '12', '1,15', 'JAN-MAR', '?', '*']],
  ])('accepts %j', (expr, fields) => {
    expect(parseAwsCron(expr)).toEqual({ ok: true, fields });
  });

  it.each([
    ['five fields (no year)', 'cron(0 * * * ?)', /must have 6 fields.*found 5.*add " \*" at the end/],
    ['a crontab line without the wrapper', '0 * * * ? *', /must be wrapped in cron\(\.\.\.\)/],
    ['a rate expression', 'rate(1 hour)', /rate\(\.\.\.\) is not supported.*cron\(0 0\/2 \* \* \? \*\) for every 2 hours/],
    ['"?" in both day fields', 'cron(0 3 ? * ? *)', /must not use "\?" in both.*exactly one/],
    ['neither day field "?"', 'cron(0 3 * * MON *)', /must use "\?" in day-of-month or day-of-week.*cron\(0 3 \* \* \? \*\)/],
    ['a year other than *', 'cron(0 3 * * ? 2027)', /has year "2027", but only "\*" is supported.*use "\*" as the year/],
    ['the W wildcard', 'cron(0 3 15W * ? *)', /"W" \(nearest weekday\), which is not supported.*MON-FRI/],
    ['garbage in a field', 'cron(every hour * * ? *)', /minutes "EVERY" contains "EVERY", which is not a valid value/],
    ['garbage', 'hello', /must be wrapped in cron/],
    ['minute 60', 'cron(60 * * * ? *)', /minutes "60" has 60, outside 0-59/],
    ['day-of-week 0 (AWS counts from 1)', 'cron(0 3 ? * 0 *)', /has 0, outside 1-7 \(AWS counts 1 = SUN … 7 = SAT\)/],
    ['a step in day-of-week', 'cron(0 3 ? * 1/2 *)', /"\/", which AWS does not allow in day-of-week/],
    ['"L" alone in day-of-week', 'cron(0 3 ? * L *)', /"L" on its own.*6L for the last Friday/],
    ['"?" in the hours', 'cron(0 ? * * ? *)', /hours cannot be "\?"/],
    ['a backwards range', 'cron(0 22-2 * * ? *)', /runs backwards \(22-2\).*22-23,0-2/],
    ['a day that never comes', 'cron(0 3 31 2 ? *)', /is not a schedule that can be checked/],
    ['an empty string', '', /must be wrapped in cron/],
  ])('rejects %s', (_what, expr, message) => {
    const result = parseAwsCron(expr);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toMatch(message);
    expect(result.error).toBe(`cron expression ${result.problem}: ${result.fix}`);
  });
});

describe('toCronParserExpression', () => {
  it.each([
    ['cron(0 * * * ? *)', '0 * * * *'],
    ['cron(0 3 1 * ? *)', '0 3 1 * *'],
    ['cron(0 3 ? * 1 *)', '0 3 * * 0'], // AWS 1 = SUN
    ['cron(0 3 ? * 7 *)', '0 3 * * 6'], // AWS 7 = SAT
    ['cron(0 3 ? * 2-6 *)', '0 3 * * 1-5'],
    ['cron(0 3 ? * MON-FRI *)', '0 3 * * 1-5'],
    ['cron(0 3 ? * sun,sat *)', '0 3 * * 0,6'],
    ['cron(0 3 ? * 6L *)', '0 3 * * 5L'],
    ['cron(0 3 ? * FRI#3 *)', '0 3 * * 5#3'],
    ['cron(0/15 3 ? JAN-MAR,DEC * *)', '0/15 3 * 1-3,12 *'],
  ])('converts %j to %j', (expr, expected) => {
    const parsed = parseAwsCron(expr);
    if (!parsed.ok) throw new Error(parsed.error);
    expect(toCronParserExpression(parsed.fields)).toBe(expected);
  });
});

describe('isValidTimeZone', () => {
  it.each([
    ['UTC', true],
    ['Europe/Berlin', true],
    ['America/New_York', true],
    ['Europe/Berln', false],
    ['CEST', false],
    ['', false],
  ])('%j -> %s', (tz, expected) => {
    expect(isValidTimeZone(tz)).toBe(expected);
  });
});

describe('nextOccurrences', () => {
  it.each([
    ['hourly', 'cron(0 * * * ? *)', 'UTC', '2026-01-01T10:30:00Z', ['2026-01-01T11:00:00.000Z', '2026-01-01T12:00:00.000Z']],
    ['strictly after from', 'cron(0 3 * * ? *)', 'UTC', '2026-01-01T03:00:00Z', ['2026-01-02T03:00:00.000Z']],
    ['AWS 1 is Sunday', 'cron(0 12 ? * 1 *)', 'UTC', '2026-01-01T00:00:00Z', ['2026-01-04T12:00:00.000Z']],
    ['AWS 7 is Saturday', 'cron(0 12 ? * 7 *)', 'UTC', '2026-01-01T00:00:00Z', ['2026-01-03T12:00:00.000Z']],
    ['third Friday', 'cron(0 3 ? * 6#3 *)', 'UTC', '2026-01-01T00:00:00Z', ['2026-01-16T03:00:00.000Z', '2026-02-20T03:00:00.000Z']],
    ['last Friday', 'cron(0 3 ? * 6L *)', 'UTC', '2026-01-01T00:00:00Z', ['2026-01-30T03:00:00.000Z', '2026-02-27T03:00:00.000Z']],
    ['last day of month', 'cron(0 3 L * ? *)', 'UTC', '2026-01-01T00:00:00Z', ['2026-01-31T03:00:00.000Z', '2026-02-28T03:00:00.000Z']],
    ['local time in Berlin (winter, UTC+1)', 'cron(0 9 * * ? *)', 'Europe/Berlin', '2026-01-01T00:00:00Z', ['2026-01-01T08:00:00.000Z']],
    // Spring forward: 02:30 does not exist on 29 March in Berlin, the run is skipped.
    [
      'Berlin spring forward skips the missing 02:30',
      'cron(30 2 * * ? *)',
      'Europe/Berlin',
      '2026-03-27T12:00:00Z',
      ['2026-03-28T01:30:00.000Z', '2026-03-30T00:30:00.000Z', '2026-03-31T00:30:00.000Z'],
    ],
    // Fall back: 02:30 happens twice on 25 October in Berlin, the run happens once (CEST).
    [
      'Berlin fall back runs the repeated 02:30 once',
      'cron(30 2 * * ? *)',
      'Europe/Berlin',
      '2026-10-23T12:00:00Z',
      ['2026-10-24T00:30:00.000Z', '2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z'],
    ],
    [
      'Berlin hourly across fall back has no second 02:00',
      'cron(0 * * * ? *)',
      'Europe/Berlin',
      '2026-10-24T23:30:00Z',
      ['2026-10-25T00:00:00.000Z', '2026-10-25T02:00:00.000Z', '2026-10-25T03:00:00.000Z'],
    ],
    [
      'Berlin hourly across spring forward has no 02:00',
      'cron(0 * * * ? *)',
      'Europe/Berlin',
      '2026-03-28T23:30:00Z',
      ['2026-03-29T00:00:00.000Z', '2026-03-29T01:00:00.000Z', '2026-03-29T02:00:00.000Z'],
    ],
    [
      'New York spring forward skips the missing 02:30',
      'cron(30 2 * * ? *)',
      'America/New_York',
      '2026-03-07T12:00:00Z',
      ['2026-03-09T06:30:00.000Z', '2026-03-10T06:30:00.000Z'],
    ],
    // 30-minute DST shift (cron-parser 5.10 fails here with "loop limit exceeded").
    [
      'Lord Howe fall back: 02:00 comes 90 minutes after 01:00',
      'cron(0 * * * ? *)',
      'Australia/Lord_Howe',
      '2026-04-04T12:30:00Z',
      ['2026-04-04T13:00:00.000Z', '2026-04-04T14:00:00.000Z', '2026-04-04T15:30:00.000Z', '2026-04-04T16:30:00.000Z'],
    ],
    [
      'Lord Howe spring forward: the missing 02:00 is skipped',
      'cron(0 * * * ? *)',
      'Australia/Lord_Howe',
      '2026-10-03T13:00:00Z',
      ['2026-10-03T13:30:00.000Z', '2026-10-03T14:30:00.000Z', '2026-10-03T16:00:00.000Z'],
    ],
    [
      'New York fall back runs the repeated 01:30 once',
      'cron(30 1 * * ? *)',
      'America/New_York',
      '2026-10-31T12:00:00Z',
      ['2026-11-01T05:30:00.000Z', '2026-11-02T06:30:00.000Z'],
    ],
  ])('%s', (_what, cron, tz, from, expected) => {
    expect(iso(nextOccurrences(cron, tz, new Date(from), expected.length))).toEqual(expected);
  });

  it('throws on an invalid expression, with the reason', () => {
    expect(() => nextOccurrences('cron(0 * * * ?)', 'UTC', FROM, 1)).toThrow(/must have 6 fields/);
  });

  it('throws on an unknown time zone', () => {
    expect(() => nextOccurrences('cron(0 * * * ? *)', 'Mars/Olympus', FROM, 1)).toThrow(/not a known IANA time zone/);
  });
});

describe('analyzeSchedule', () => {
  it.each([
    ['hourly', 'cron(0 * * * ? *)', 'UTC', 24, 60, 60],
    ['every 4 hours', 'cron(0 0/4 * * ? *)', 'UTC', 6, 240, 240],
    ['twice daily', 'cron(0 6,18 * * ? *)', 'UTC', 2, 720, 720],
    ['weekdays only: 3 days over the weekend', 'cron(0 3 ? * MON-FRI *)', 'UTC', 1, 3 * 1440, 1440],
    ['weekdays only, AWS numbers 2-6', 'cron(0 3 ? * 2-6 *)', 'UTC', 1, 3 * 1440, 1440],
    ['monthly: 31-day and 28-day months', 'cron(0 3 1 * ? *)', 'UTC', 1, 31 * 1440, 28 * 1440],
    ['last Friday of the month: up to 5 weeks apart', 'cron(0 3 ? * 6L *)', 'UTC', 1, 35 * 1440, 28 * 1440],
    // Fall back: the repeated local hour runs once, so one gap is 2 h.
    ['hourly in Europe/Berlin', 'cron(0 * * * ? *)', 'Europe/Berlin', 24, 120, 60],
    ['hourly in America/New_York', 'cron(0 * * * ? *)', 'America/New_York', 24, 120, 60],
    // Spring forward: the missing 02:30 is skipped, 47 h between two runs.
    ['daily 02:30 in Europe/Berlin', 'cron(30 2 * * ? *)', 'Europe/Berlin', 1, 47 * 60, 1440],
    ['daily 02:30 in America/New_York', 'cron(30 2 * * ? *)', 'America/New_York', 1, 47 * 60, 1440],
    // Local midnight-based 4-hourly runs: 3 h and 5 h apart around the changes.
    ['every 4 hours in Europe/Berlin', 'cron(0 0/4 * * ? *)', 'Europe/Berlin', 7, 300, 180],
    ['every 2 hours in Europe/Berlin', 'cron(0 0/2 * * ? *)', 'Europe/Berlin', 12, 180, 120],
  ])('%s', (_what, cron, tz, maxPer24h, maxGap, minGap) => {
    const result = analyzeSchedule(cron, tz, FROM);
    expect(result).toMatchObject({
      maxPerRolling24h: maxPer24h,
      maxGapMinutes: maxGap,
      minGapMinutes: minGap,
      truncated: false,
    });
  });

  it('says where the longest gap starts (Berlin fall back, 02:00 CEST)', () => {
    expect(analyzeSchedule('cron(0 * * * ? *)', 'Europe/Berlin', FROM).maxGapStartsAt).toEqual(new Date('2026-10-25T00:00:00Z'));
  });

  it('stops counting an every-minute cron at the cap, cheaply', () => {
    let result: ReturnType<typeof analyzeSchedule> | undefined;
    const ms = cpuMs(() => {
      result = analyzeSchedule('cron(* * * * ? *)', 'UTC', FROM);
    });
    expect(result).toMatchObject({ maxPerRolling24h: 101, maxGapMinutes: 1, minGapMinutes: 1, truncated: true });
    expect(ms).toBeLessThan(200);
  });

  it('honours a custom cap', () => {
    expect(analyzeSchedule('cron(0/5 * * * ? *)', 'UTC', FROM, { cap: 20 })).toMatchObject({ maxPerRolling24h: 21, truncated: true });
  });

  it('reports no gap for a schedule that runs once in the horizon', () => {
    // 29 February: next in 2028, after the 400-day horizon; only that one run is seen.
    expect(analyzeSchedule('cron(0 3 29 2 ? *)', 'UTC', FROM)).toMatchObject({
      maxPerRolling24h: 0,
      maxGapMinutes: Number.POSITIVE_INFINITY,
      maxGapStartsAt: null,
    });
  });

  it('analyzes 400 days of an hourly schedule quickly', () => {
    expect(cpuMs(() => analyzeSchedule('cron(0 * * * ? *)', 'Europe/Berlin', new Date('2026-06-01T00:00:00Z')))).toBeLessThan(500);
  });

  it('throws on an invalid expression', () => {
    expect(() => analyzeSchedule('cron(0 3 15W * ? *)', 'UTC', FROM)).toThrow(/"W"/);
  });
});

describe('utcOffsetMinutes', () => {
  it.each([
    ['Europe/Berlin', '2026-01-15T12:00:00Z', 60],
    ['Europe/Berlin', '2026-07-15T12:00:00Z', 120],
    ['America/New_York', '2026-07-15T12:00:00Z', -240],
    ['UTC', '2026-07-15T12:00:00Z', 0],
  ])('%s at %s is %i', (tz, at, expected) => {
    expect(utcOffsetMinutes(tz, new Date(at))).toBe(expected);
  });
});

describe('occurrencesBetween', () => {
  it('returns the runs in (from, to]', () => {
    expect(iso(occurrencesBetween('cron(0 0/6 * * ? *)', 'UTC', new Date('2026-01-01T00:00:00Z'), new Date('2026-01-01T12:00:00Z')))).toEqual([
      '2026-01-01T06:00:00.000Z',
      '2026-01-01T12:00:00.000Z',
    ]);
  });

  it('stops at the limit', () => {
    expect(occurrencesBetween('cron(* * * * ? *)', 'UTC', FROM, new Date('2027-01-01T00:00:00Z'), 5)).toHaveLength(5);
  });
});

describe('our evaluator agrees with cron-parser plus the DST rules', () => {
  // cron-parser 5.10 cannot do 30-minute DST zones (Australia/Lord_Howe), so they are left out here.
  const timeZones = ['UTC', 'Europe/Berlin', 'America/New_York', 'America/Sao_Paulo', 'Asia/Kolkata', 'Pacific/Chatham'];
  const minute = fc.constantFrom('0', '30', '0/15', '5,35', '59');
  const hour = fc.constantFrom('*', '2', '1-3', '0/4', '2,14', '23');
  const days = fc.constantFrom(['*', '?'], ['1', '?'], ['L', '?'], ['1,15', '?'], ['?', 'MON-FRI'], ['?', '1'], ['?', '6L'], ['?', '2#2']);
  const month = fc.constantFrom('*', 'MAR', '10-11', '3,4,9,10,11');
  // Start dates cluster around DST changes, where the two could differ.
  const start = fc.constantFrom(
    '2026-03-06T00:00:00Z',
    '2026-03-27T00:00:00Z',
    '2026-04-03T00:00:00Z',
    '2026-09-25T00:00:00Z',
    '2026-10-23T00:00:00Z',
    '2026-10-30T00:00:00Z',
  );

  it('for generated schedules over 10 days around DST changes', () => {
    fc.assert(
      fc.property(minute, hour, days, month, fc.constantFrom(...timeZones), start, (mi, h, [dom, dow], mo, tz, from) => {
        const cron = `cron(${mi} ${h} ${dom} ${mo} ${dow} *)`;
        const fromDate = new Date(from);
        const to = new Date(fromDate.getTime() + 10 * 86_400_000);
        const ours = occurrencesBetween(cron, tz, fromDate, to);
        expect(iso(ours)).toEqual(iso(cronParserRuns(cron, tz, fromDate, to)));
        expect(iso(nextOccurrences(cron, tz, fromDate, ours.length))).toEqual(iso(ours));
      }),
      { numRuns: 60, seed: 20260115 },
    );
  });
});
