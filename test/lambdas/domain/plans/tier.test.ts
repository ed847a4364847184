import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { calendarParts, classifyTier } from '../../../../lambdas/domain/plans/tier.js';
import { tierRank, type Tier } from '../../../../lambdas/domain/plans/types.js';

const d = (iso: string): Date => new Date(iso);

describe('calendarParts', () => {
  it.each([
    // instant, zone, year, month, day, isoYear, isoWeek, why
    ['2026-01-01T00:00:00Z', 'UTC', 2026, 1, 1, 2026, 1, 'a Thursday 1 January is in week 1'],
    ['2026-12-31T12:00:00Z', 'UTC', 2026, 12, 31, 2026, 53, '2026 starts on a Thursday, so it has week 53'],
    ['2027-01-01T12:00:00Z', 'UTC', 2027, 1, 1, 2026, 53, 'Friday 1 January 2027 still belongs to 2026-W53'],
    ['2027-01-03T12:00:00Z', 'UTC', 2027, 1, 3, 2026, 53, 'Sunday 3 January 2027 ends 2026-W53'],
    ['2027-01-04T00:00:00Z', 'UTC', 2027, 1, 4, 2027, 1, 'Monday 4 January 2027 starts 2027-W01'],
    ['2020-12-31T12:00:00Z', 'UTC', 2020, 12, 31, 2020, 53, '2020 is a leap year starting on Wednesday: week 53'],
    ['2021-01-01T12:00:00Z', 'UTC', 2021, 1, 1, 2020, 53, 'Friday 1 January 2021 belongs to 2020-W53'],
    ['2024-12-30T12:00:00Z', 'UTC', 2024, 12, 30, 2025, 1, 'Monday 30 December 2024 belongs to 2025-W01'],
    ['2026-03-29T22:30:00Z', 'Europe/Berlin', 2026, 3, 30, 2026, 14, 'Berlin on summer time is UTC+2'],
    ['2026-03-29T22:30:00Z', 'UTC', 2026, 3, 29, 2026, 13, 'the same instant is still Sunday in UTC'],
    ['2026-03-31T18:45:00Z', 'Asia/Kolkata', 2026, 4, 1, 2026, 14, 'Kolkata is UTC+5:30'],
    ['2026-12-31T11:30:00Z', 'Pacific/Auckland', 2027, 1, 1, 2026, 53, 'Auckland on summer time is UTC+13'],
    ['2026-11-01T03:30:00Z', 'America/New_York', 2026, 10, 31, 2026, 44, 'New York on summer time is UTC-4'],
    ['2026-10-04T13:15:00Z', 'Australia/Lord_Howe', 2026, 10, 5, 2026, 41, 'Lord Howe summer time is UTC+11 (a 30-minute shift)'],
  ])('reads %s in %s as %i-%i-%i, ISO %i-W%i (%s)', (iso, zone, year, month, day, isoYear, isoWeek) => {
    expect(calendarParts(d(iso), zone)).toEqual({ year, month, day, isoYear, isoWeek });
  });

  it('agrees with the UTC getters in the UTC zone (property)', () => {
    fc.assert(
      fc.property(fc.date({ min: d('1970-01-01'), max: d('2200-01-01'), noInvalidDate: true }), (at) => {
        const parts = calendarParts(at, 'UTC');
        expect([parts.year, parts.month, parts.day]).toEqual([at.getUTCFullYear(), at.getUTCMonth() + 1, at.getUTCDate()]);
        expect(parts.isoWeek).toBeGreaterThanOrEqual(1);
        expect(parts.isoWeek).toBeLessThanOrEqual(53);
        expect(Math.abs(parts.isoYear - parts.year)).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('throws an error naming an unknown time zone', () => {
    expect(() => calendarParts(d('2026-01-01T00:00:00Z'), 'Mars/Olympus_Mons')).toThrow(/IANA time zone.*"Mars\/Olympus_Mons"/);
  });

  it('throws on an invalid date', () => {
    expect(() => calendarParts(new Date(Number.NaN), 'UTC')).toThrow(/valid Date/);
  });
});

describe('classifyTier', () => {
  it.each<[string, string | undefined, string, string, Tier]>([
    // ---- basics
    ['the first recovery point of a target is monthly', undefined, '2026-05-13T10:00:00Z', 'UTC', 'monthly'],
    ['a second point in the same hour is hourly', '2026-05-13T10:00:00Z', '2026-05-13T10:30:00Z', 'UTC', 'hourly'],
    ['a point in the same day is hourly', '2026-05-13T00:00:00Z', '2026-05-13T23:59:00Z', 'UTC', 'hourly'],
    ['a new day in the same ISO week is daily', '2026-05-13T23:59:00Z', '2026-05-14T00:00:00Z', 'UTC', 'daily'],
    ['Sunday to Monday is weekly', '2026-05-17T23:00:00Z', '2026-05-18T00:00:00Z', 'UTC', 'weekly'],
    ['a new month is monthly', '2026-05-31T23:00:00Z', '2026-06-01T00:00:00Z', 'UTC', 'monthly'],
    ['the same date a year later is monthly', '2026-05-13T10:00:00Z', '2027-05-13T10:00:00Z', 'UTC', 'monthly'],
    ['a gap of several days inside a week is daily', '2026-05-11T10:00:00Z', '2026-05-15T10:00:00Z', 'UTC', 'daily'],
    ['a gap of weeks inside a month is weekly', '2026-05-04T10:00:00Z', '2026-05-25T10:00:00Z', 'UTC', 'weekly'],
    // ---- month beats week: month boundary inside an ISO week
    ['a new month inside the same ISO week is monthly (Tue 30 Jun → Wed 1 Jul)', '2026-06-30T12:00:00Z', '2026-07-01T12:00:00Z', 'UTC', 'monthly'],
    ['a new month on a Monday is monthly, not weekly', '2026-05-31T12:00:00Z', '2026-06-01T12:00:00Z', 'UTC', 'monthly'],
    // ---- ISO week 53 and year boundaries
    ['2026-12-31 → 2027-01-01 is monthly although both are in 2026-W53', '2026-12-31T12:00:00Z', '2027-01-01T12:00:00Z', 'UTC', 'monthly'],
    ['1 → 3 January 2027 stays daily inside 2026-W53', '2027-01-01T12:00:00Z', '2027-01-03T12:00:00Z', 'UTC', 'daily'],
    ['3 → 4 January 2027 is weekly (2026-W53 → 2027-W01)', '2027-01-03T12:00:00Z', '2027-01-04T12:00:00Z', 'UTC', 'weekly'],
    ['2020-12-28 → 2020-12-31 stays daily inside 2020-W53', '2020-12-28T12:00:00Z', '2020-12-31T12:00:00Z', 'UTC', 'daily'],
    ['2020-12-27 → 2020-12-28 is weekly (2020-W52 → 2020-W53)', '2020-12-27T12:00:00Z', '2020-12-28T12:00:00Z', 'UTC', 'weekly'],
    ['2020-12-31 → 2021-01-01 is monthly (both 2020-W53)', '2020-12-31T12:00:00Z', '2021-01-01T12:00:00Z', 'UTC', 'monthly'],
    ['same week number in different ISO years is weekly', '2024-12-29T12:00:00Z', '2024-12-30T12:00:00Z', 'UTC', 'weekly'],
    ['2024-12-30 → 2024-12-31 is daily inside 2025-W01', '2024-12-30T12:00:00Z', '2024-12-31T12:00:00Z', 'UTC', 'daily'],
    // ---- Europe/Berlin DST start 2026-03-29 (02:00 CET → 03:00 CEST at 01:00Z)
    ['Berlin: across the spring-forward gap on the same day is hourly', '2026-03-29T00:30:00Z', '2026-03-29T01:30:00Z', 'Europe/Berlin', 'hourly'],
    ['Berlin: Saturday 23:30 CET → Sunday 00:30 CET is daily', '2026-03-28T22:30:00Z', '2026-03-28T23:30:00Z', 'Europe/Berlin', 'daily'],
    ['Berlin: Sunday 23:30 CEST → Monday 00:30 CEST is weekly', '2026-03-29T21:30:00Z', '2026-03-29T22:30:00Z', 'Europe/Berlin', 'weekly'],
    // ---- Europe/Berlin DST end 2026-10-25 (03:00 CEST → 02:00 CET at 01:00Z)
    ['Berlin: the repeated 02:30 wall-clock hour is hourly', '2026-10-25T00:30:00Z', '2026-10-25T01:30:00Z', 'Europe/Berlin', 'hourly'],
    ['Berlin: Saturday 23:30 CEST → Sunday 00:30 CEST is daily', '2026-10-24T21:30:00Z', '2026-10-24T22:30:00Z', 'Europe/Berlin', 'daily'],
    ['Berlin: Sunday 23:30 CET → Monday 00:30 CET is weekly', '2026-10-25T22:30:00Z', '2026-10-25T23:30:00Z', 'Europe/Berlin', 'weekly'],
    // ---- America/New_York DST start 2026-03-08 (02:00 EST → 03:00 EDT at 07:00Z)
    ['New York: across the spring-forward gap is hourly', '2026-03-08T06:30:00Z', '2026-03-08T07:30:00Z', 'America/New_York', 'hourly'],
    ['New York: Sunday 23:30 EDT → Monday 00:30 EDT is weekly', '2026-03-09T03:30:00Z', '2026-03-09T04:30:00Z', 'America/New_York', 'weekly'],
    // ---- America/New_York DST end 2026-11-01 (02:00 EDT → 01:00 EST at 06:00Z)
    ['New York: Saturday 31 Oct 23:30 EDT → Sunday 1 Nov 00:30 EDT is monthly', '2026-11-01T03:30:00Z', '2026-11-01T04:30:00Z', 'America/New_York', 'monthly'],
    ['New York: the repeated 01:30 wall-clock hour is hourly', '2026-11-01T05:30:00Z', '2026-11-01T06:30:00Z', 'America/New_York', 'hourly'],
    ['New York: Sunday 23:30 EST → Monday 00:30 EST is weekly', '2026-11-02T04:30:00Z', '2026-11-02T05:30:00Z', 'America/New_York', 'weekly'],
    // ---- Asia/Kolkata (UTC+5:30, no DST)
    ['Kolkata: 31 Mar 23:30 → 1 Apr 00:15 IST is monthly', '2026-03-31T18:00:00Z', '2026-03-31T18:45:00Z', 'Asia/Kolkata', 'monthly'],
    ['Kolkata: 00:15 → 23:45 IST on one day is hourly', '2026-05-12T18:45:00Z', '2026-05-13T18:15:00Z', 'Asia/Kolkata', 'hourly'],
    // ---- Pacific/Auckland (UTC+13 in summer, +12 in winter)
    ['Auckland: New Year 2027 is monthly (inside 2026-W53)', '2026-12-31T10:30:00Z', '2026-12-31T11:30:00Z', 'Pacific/Auckland', 'monthly'],
    ['Auckland: DST end 2026-04-05, the repeated 02:30 hour is hourly', '2026-04-04T13:30:00Z', '2026-04-04T14:30:00Z', 'Pacific/Auckland', 'hourly'],
    ['Auckland: DST start 2026-09-27, across the gap is hourly', '2026-09-26T13:30:00Z', '2026-09-26T14:30:00Z', 'Pacific/Auckland', 'hourly'],
    // ---- Australia/Lord_Howe (UTC+10:30, +11 in summer: a 30-minute DST shift)
    ['Lord Howe: 31 Mar 23:45 → 1 Apr 00:15 LHDT is monthly', '2026-03-31T12:45:00Z', '2026-03-31T13:15:00Z', 'Australia/Lord_Howe', 'monthly'],
    ['Lord Howe: DST end 2026-04-05, 01:45 LHDT → 01:45 LHST is hourly', '2026-04-04T14:45:00Z', '2026-04-04T15:15:00Z', 'Australia/Lord_Howe', 'hourly'],
    ['Lord Howe: after DST start, Sunday 23:45 → Monday 00:15 LHDT is weekly', '2026-10-04T12:45:00Z', '2026-10-04T13:15:00Z', 'Australia/Lord_Howe', 'weekly'],
  ])('%s', (_name, previous, current, zone, expected) => {
    expect(classifyTier(previous === undefined ? undefined : d(previous), d(current), zone)).toBe(expected);
  });

  // The same two instants land on different calendar days in different zones.
  it.each<[string, string, string, Tier]>([
    ['UTC', '2026-03-31T18:00:00Z', '2026-03-31T18:45:00Z', 'hourly'],
    ['Asia/Kolkata', '2026-03-31T18:00:00Z', '2026-03-31T18:45:00Z', 'monthly'],
    ['UTC', '2026-03-29T21:30:00Z', '2026-03-29T22:30:00Z', 'hourly'],
    ['Europe/Berlin', '2026-03-29T21:30:00Z', '2026-03-29T22:30:00Z', 'weekly'],
    ['Asia/Kolkata', '2026-03-29T21:30:00Z', '2026-03-29T22:30:00Z', 'hourly'],
    ['UTC', '2026-11-01T03:30:00Z', '2026-11-01T04:30:00Z', 'hourly'],
    ['America/New_York', '2026-11-01T03:30:00Z', '2026-11-01T04:30:00Z', 'monthly'],
    ['Europe/Berlin', '2026-11-01T03:30:00Z', '2026-11-01T04:30:00Z', 'hourly'],
    ['UTC', '2026-12-31T10:30:00Z', '2026-12-31T11:30:00Z', 'hourly'],
    ['Pacific/Auckland', '2026-12-31T10:30:00Z', '2026-12-31T11:30:00Z', 'monthly'],
    ['UTC', '2026-10-04T12:45:00Z', '2026-10-04T13:15:00Z', 'hourly'],
    ['Australia/Lord_Howe', '2026-10-04T12:45:00Z', '2026-10-04T13:15:00Z', 'weekly'],
  ])('classifies %s → the same instants %s → %s as %s', (zone, previous, current, expected) => {
    expect(classifyTier(d(previous), d(current), zone)).toBe(expected);
  });

  it('never classifies lower when the previous point is further in the past (property)', () => {
    const zones = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Pacific/Auckland', 'Australia/Lord_Howe'];
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) }),
        fc.integer({ min: 0, max: 90 * 24 * 60 }),
        fc.integer({ min: 0, max: 90 * 24 * 60 }),
        (zone, current, gapMinutes, extraMinutes) => {
          const near = new Date(current - gapMinutes * 60_000);
          const far = new Date(near.getTime() - extraMinutes * 60_000);
          const at = new Date(current);
          expect(tierRank(classifyTier(far, at, zone))).toBeGreaterThanOrEqual(tierRank(classifyTier(near, at, zone)));
        },
      ),
    );
  });
});
