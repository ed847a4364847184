import { describe, expect, it } from 'vitest';
import { checkOperatorHold, collapseHoldValue, DEFAULT_COLLAPSE_HOLD_DAYS, operatorHoldValue, parseHold } from '../../../../lambdas/domain/plans/holds.js';

const now = new Date('2026-11-25T12:00:00Z');

describe('holds: one shape for the redis-dr:hold tag and a backup record’s hold', () => {
  it('a collapse hold expires DEFAULT_COLLAPSE_HOLD_DAYS after the collapsed point, and reads back', () => {
    expect(DEFAULT_COLLAPSE_HOLD_DAYS).toBe(30);
    const value = collapseHoldValue('rdr-a-20261121-0300', new Date('2026-11-21T03:00:00Z'));
    expect(value).toBe('keyspace-collapsed:rdr-a-20261121-0300 until=2026-12-21T03:00:00Z');
    expect(parseHold(value)).toEqual({
      reason: 'keyspace-collapse hold (rdr-a-20261121-0300)',
      collapsedPoint: 'rdr-a-20261121-0300',
      expiresAt: new Date('2026-12-21T03:00:00Z'),
    });
    expect(collapseHoldValue('p', new Date('2026-11-21T03:00:00Z'), 7)).toBe('keyspace-collapsed:p until=2026-11-28T03:00:00Z');
  });
  it('a collapse hold written before expiries existed has none', () => {
    expect(parseHold('keyspace-collapsed:p')).toEqual({ reason: 'keyspace-collapse hold (p)', collapsedPoint: 'p' });
  });
  it('an operator hold carries who, why and until when, tag-safe and within 256 characters', () => {
    const value = operatorHoldValue({ reason: 'legal hold (case #1234)', until: new Date('2027-01-31T00:00:00Z'), by: 'ops user@host' });
    expect(value).toBe('held until=2027-01-31T00:00:00Z by=ops_user@host reason=legal hold case 1234');
    expect(parseHold(value)).toEqual({ reason: 'legal hold case 1234', by: 'ops_user@host', expiresAt: new Date('2027-01-31T00:00:00Z') });
    expect(operatorHoldValue({ reason: 'x'.repeat(400), until: now, by: 'a' }).length).toBe(256);
  });
  it('a hold without a reason reads as none; any other text is a reason without an expiry', () => {
    expect(parseHold('held until=2027-01-31T00:00:00Z by=a reason=')).toEqual({ by: 'a', expiresAt: new Date('2027-01-31T00:00:00Z') });
    expect(parseHold('legal')).toEqual({ reason: 'legal' });
    expect(parseHold(' ')).toEqual({});
  });
  it('accepts a reason and a future date (a day, or an ISO time)', () => {
    expect(checkOperatorHold('legal hold', '2027-01-31', now)).toEqual(new Date('2027-01-31T00:00:00Z'));
    expect(checkOperatorHold('legal hold', '2026-11-25T13:00:00Z', now)).toEqual(new Date('2026-11-25T13:00:00Z'));
  });
  it.each([
    [undefined, '2027-01-31', /^--reason "": a hold needs a reason/],
    ['  ', '2027-01-31', /^--reason " {2}": a hold needs a reason/],
    ['()', '2027-01-31', /^--reason "\(\)": a hold needs a reason/],
    ['legal', undefined, /^--until "" is not a date: write YYYY-MM-DD/],
    ['legal', 'next week', /^--until "next week" is not a date/],
    ['legal', '2027-02-30', /^--until "2027-02-30" is not a date/],
    ['legal', '2026-11-25', /^--until 2026-11-25 has passed \(now 2026-11-25T12:00:00Z\): a hold ends in the future/],
  ])('refuses reason %j until %j in one line', (reason, until, message) => {
    expect(() => checkOperatorHold(reason, until, now)).toThrow(message);
  });
});
