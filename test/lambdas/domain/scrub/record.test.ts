import { describe, expect, it } from 'vitest';
import { parseScrubRecord, type ScrubRecord, scrubHistory, scrubRecordName } from '../../../../lambdas/domain/scrub/record.js';
import { scrubCoverage } from '../../../../lambdas/domain/scrub/coverage.js';

const run = (at: string, results: ScrubRecord['results']): ScrubRecord => ({
  kind: 'redis-dr-scrub',
  destination: 'file:///b',
  startedAt: at,
  finishedAt: at,
  days: 30,
  copies: 3,
  results,
});

describe('scrub records', () => {
  it('names a run to the millisecond, never as a backup', () => {
    expect(scrubRecordName(new Date('2026-11-25T03:15:00.123Z'))).toBe('redis-dr-scrub-20261125T031500123Z.json');
  });

  it('parses its own records and leaves out what is not one', () => {
    const r = run('2026-11-25T03:00:00.000Z', [{ file: 'a.rdb', ok: true, problems: [] }]);
    expect(parseScrubRecord(JSON.stringify(r))).toEqual(r);
    expect(parseScrubRecord('{"kind":"redis-dr-scrub"}')).toBeUndefined();
    expect(parseScrubRecord('not json')).toBeUndefined();
  });

  it('keeps per copy the last good re-read and the newest verdict, whatever order the records come in', () => {
    const h = scrubHistory([
      run('2026-11-20T00:00:00.000Z', [{ file: 'a.rdb', ok: false, problems: ['CRC-64 mismatch'] }]),
      run('2026-11-10T00:00:00.000Z', [
        { file: 'a.rdb', ok: true, problems: [] },
        { file: 'b.rdb', ok: true, problems: [] },
      ]),
    ]);
    expect(h.get('a.rdb')).toEqual({
      lastGoodAt: new Date('2026-11-10T00:00:00Z'),
      lastAt: new Date('2026-11-20T00:00:00Z'),
      lastOk: false,
      lastProblems: ['CRC-64 mismatch'],
    });
    expect(h.get('b.rdb')?.lastOk).toBe(true);
  });
});

describe('scrubCoverage', () => {
  const now = new Date('2026-11-25T00:00:00Z');
  const copies = [
    { file: 'old.rdb', arrivedAt: new Date('2026-09-01T00:00:00Z') },
    { file: 'mid.rdb', arrivedAt: new Date('2026-10-01T00:00:00Z') },
    { file: 'new.rdb', arrivedAt: new Date('2026-11-20T00:00:00Z') },
  ];
  it('counts a young copy by its arrival, an old one only by a re-read, and names the copy read longest ago', () => {
    const h = scrubHistory([run('2026-11-01T00:00:00.000Z', [{ file: 'mid.rdb', ok: true, problems: [] }])]);
    expect(scrubCoverage(copies, h, { days: 30, now })).toEqual({
      days: 30,
      copies: 3,
      readWithinDays: 2,
      reRead: 1,
      oldestRead: { file: 'old.rdb', at: new Date('2026-09-01T00:00:00Z') },
      failing: [],
    });
  });
  it('lists a copy whose newest re-read was bad', () => {
    const h = scrubHistory([run('2026-11-24T00:00:00.000Z', [{ file: 'old.rdb', ok: false, problems: ['CRC-64 mismatch'] }])]);
    const c = scrubCoverage(copies, h, { days: 30, now, lastRunAt: new Date('2026-11-24T00:00:00Z') });
    expect(c.failing).toEqual([{ file: 'old.rdb', at: new Date('2026-11-24T00:00:00Z'), problems: ['CRC-64 mismatch'] }]);
    // Bad is not "read and found good", however recently it was read.
    expect([c.readWithinDays, c.reRead]).toEqual([1, 0]);
  });
});
