import { describe, expect, it } from 'vitest';
import {
  dateFormat,
  readableClock,
  readableDay,
  readableDuration,
  readableSeconds,
  readableTime,
  timeTicks,
  withCode,
} from '../../../../lambdas/domain/report/readable.js';

describe('readable times and durations', () => {
  it.each<[number, string]>([
    [45_000, '45 s'],
    [12 * 60_000, '12 min'],
    [2 * 3_600_000 + 5 * 60_000, '2 h 05 min'],
    [16 * 3_600_000, '16 h'],
    // The report printed "719 h 60 min" for this: minutes rounded after the hours were taken.
    [720 * 3_600_000 - 1, '30 days'],
    [75 * 3_600_000, '3 days 3 h'],
  ])('%i ms is %s', (ms, text) => {
    expect(readableDuration(ms)).toBe(text);
  });

  it.each<[number, string]>([
    [0, '<1 s'],
    [0.4, '<1 s'],
    [42, '42 s'],
    [664, '11 min 4 s'],
    [1800, '30 min'],
  ])('%i s is %s', (seconds, text) => {
    expect(readableSeconds(seconds)).toBe(text);
  });

  it('writes a time to the minute in the zone, naming it (summer and winter time)', () => {
    expect(readableTime(new Date('2026-10-14T06:00:00.123Z'), 'Europe/Berlin')).toBe('14 Oct 2026, 08:00 CEST');
    expect(readableTime(new Date('2026-11-25T02:10:03.631Z'), 'Europe/Berlin')).toBe('25 Nov 2026, 03:10 CET');
    expect(readableTime(new Date('2026-11-25T02:10:59Z'), 'UTC')).toBe('25 Nov 2026, 02:10 UTC');
    expect(readableTime(undefined, 'UTC')).toBe('');
  });

  it('keeps one formatter per zone and options (each holds ICU memory outside the heap), and a zone never answers for another', () => {
    const berlin = { timeZone: 'Europe/Berlin', hour: '2-digit', minute: '2-digit' } as const;
    expect(dateFormat('en-GB', berlin)).toBe(dateFormat('en-GB', { ...berlin }));
    expect(dateFormat('en-GB', berlin)).not.toBe(dateFormat('en-GB', { ...berlin, timeZone: 'UTC' }));
    expect(dateFormat('en-GB', berlin)).not.toBe(dateFormat('en-US', berlin));
    const at = new Date('2026-11-25T23:10:00Z');
    // Interleaved zones, each after the other's formatter was made: the kept ones stay apart.
    expect([readableClock(at, 'UTC'), readableClock(at, 'Europe/Berlin'), readableClock(at, 'UTC')]).toEqual(['23:10', '00:10', '23:10']);
    expect([readableDay(at, 'Europe/Berlin'), readableDay(at, 'UTC')]).toEqual(['26 Nov', '25 Nov']);
    expect([readableTime(at, 'UTC'), readableTime(at, 'Asia/Tokyo')]).toEqual(['25 Nov 2026, 23:10 UTC', '26 Nov 2026, 08:10 GMT+9']);
  });
});

describe('timeTicks', () => {
  const labels = (since: string, until: string, tz = 'UTC') => timeTicks(new Date(since), new Date(until), tz).map((t) => t.label);

  it('gives distinct labels over a run of minutes (the old axis printed "11-25" five times)', () => {
    const ticks = labels('2026-11-25T02:10:03Z', '2026-11-25T02:14:00Z');
    expect(new Set(ticks).size).toBe(ticks.length);
  });

  it('puts a day of hours on round clock times, the day on the first', () => {
    expect(labels('2026-11-24T22:30:00Z', '2026-11-25T10:00:00Z')).toEqual(['25 Nov', '02:00', '04:00', '06:00', '08:00', '10:00']);
  });

  it('puts a month on round days in the zone (midnights in Berlin)', () => {
    const ticks = timeTicks(new Date('2026-10-01T00:00:00Z'), new Date('2026-11-01T00:00:00Z'), 'Europe/Berlin');
    expect(ticks.length).toBeGreaterThanOrEqual(4);
    expect(ticks.length).toBeLessThanOrEqual(7);
    expect(new Set(ticks.map((t) => t.label)).size).toBe(ticks.length);
    for (const t of ticks) expect(readableTime(t.at, 'Europe/Berlin')).toMatch(/, 00:00 CES?T$/);
  });
});

describe('withCode', () => {
  it('escapes first, then marks `code` and writes ISO times for people', () => {
    expect(withCode('judged by `redis-dr report --vault-profile <p>` at 2026-10-14T06:00:00.000Z', 'Europe/Berlin')).toBe(
      'judged by <code>redis-dr report --vault-profile &lt;p&gt;</code> at 14 Oct 2026, 08:00 CEST',
    );
    expect(withCode('<b>`x`</b>')).toBe('&lt;b&gt;<code>x</code>&lt;/b&gt;');
  });
});
