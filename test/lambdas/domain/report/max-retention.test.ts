import { describe, expect, it } from 'vitest';
import { maxRetentionAudits } from '../../../../lambdas/domain/report/max-retention.js';
import type { RetainedCopy } from '../../../../lambdas/domain/report/model.js';

const until = new Date('2026-11-25T00:00:00Z');
const DAY = 86_400_000;
const copy = (point: string, ageDays: number, hold?: RetainedCopy['hold']): RetainedCopy => ({
  cache: 'cache1',
  point,
  where: 'file:///b',
  at: new Date(until.getTime() - ageDays * DAY),
  ...(hold ? { hold } : {}),
});
const later = new Date('2027-01-01T00:00:00Z');
const earlier = new Date('2026-11-01T00:00:00Z');

describe('maxRetentionAudits', () => {
  it('lists every copy past the maximum, oldest first, each judged with its hold; a copy within it is not listed', () => {
    const audits = maxRetentionAudits(
      [
        copy('young', 10),
        copy('unheld', 40),
        copy('held', 50, { reason: 'legal hold: case 42', expiresAt: later }),
        copy('no-reason', 60, { reason: ' ', expiresAt: later }),
        copy('expired', 70, { reason: 'incident 7', expiresAt: earlier }),
        copy('forever', 80, { reason: 'keyspace-collapsed:x' }),
      ],
      30,
      until,
    );
    expect(audits.map((a) => [a.subject, a.check, a.verdict])).toEqual([
      ['forever', 'hold', 'fail'],
      ['expired', 'hold', 'fail'],
      ['no-reason', 'hold', 'fail'],
      ['held', 'hold', 'pass'],
      ['unheld', 'max-retention', 'fail'],
    ]);
    const why = Object.fromEntries(audits.map((a) => [a.subject, a.why]));
    expect(why.unheld).toBe(
      'cache1 file:///b: 40 days old, past the maximum retention of 30 days, and no hold keeps it: delete it, or hold it with a reason and an expiry',
    );
    expect(why.held).toBe('cache1 file:///b: 50 days old, past the maximum retention of 30 days; held (legal hold: case 42) until 2027-01-01T00:00:00Z');
    expect(why['no-reason']).toMatch(/held without a reason/);
    expect(why.expired).toMatch(/held \(incident 7\) until 2026-11-01T00:00:00Z, which has passed/);
    expect(why.forever).toMatch(/held \(keyspace-collapsed:x\) without an expiry/);
  });

  it('nothing past the maximum: no line', () => {
    expect(maxRetentionAudits([copy('a', 29)], 30, until)).toEqual([]);
  });
});
