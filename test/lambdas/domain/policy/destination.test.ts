import { describe, expect, it } from 'vitest';
import { destinationPolicyInput } from '../../../../lambdas/domain/policy/destination.js';

/**
 * The self-managed policy's facts: only read-back backups redis-dr wrote
 * count (as the report counts them), the frequency is the median gap
 * between them, and a destination with none states no policy.
 */
const SETTINGS = {
  retention: { hourly: 24, daily: 7, weekly: 4, monthly: 12, minKeep: 3 },
  rpoMinutes: 60,
  rtoMinutes: 30,
  timeZone: 'UTC',
  paged: [],
};
const NOW = new Date('2026-11-25T10:00:00Z');

describe('destinationPolicyInput', () => {
  it('one plan per server, frequency the median gap of its proven backups, drills counted per server', () => {
    const files = [
      { file: 'rdr-a-20261125-0000.rdb', size: 1, tier: 'daily' as const, proven: true },
      { file: 'rdr-a-20261125-0100.rdb', size: 1, tier: 'hourly' as const, proven: true },
      { file: 'rdr-a-20261125-0200.rdb', size: 1, tier: 'hourly' as const, proven: true },
      { file: 'rdr-a-20261125-0900.rdb', size: 1, tier: 'hourly' as const, proven: true },
      // Not read back, and not written by redis-dr: neither is a recovery point.
      { file: 'rdr-b-20261125-0000.rdb', size: 1, tier: 'hourly' as const },
      { file: 'rdr-c-20261125-0000.rdb', size: 1, proven: true },
    ];
    const drills = [{ target: 'A', point: 'rdr-a-20261125-0900.rdb', startedAt: '2026-11-25T09:30:00.000Z', passed: true, verdict: 'passed', checks: [] }];
    const p = destinationPolicyInput('file:///b', files, drills, { ...SETTINGS, maxRetentionDays: 90 }, NOW)!;
    expect(p.plans.map((x) => x.name)).toEqual(['a']);
    expect(p.plans[0]).toMatchObject({
      schedule: { cron: 'every 1 h (median of 4 backups held)' },
      maxRetentionDays: 90,
      drill: { cron: '1 recorded, newest 2026-11-25T09:30:00.000Z', rtoMinutes: 30 },
    });
  });

  it('says which drill records could not be read, never a count that silently leaves them out', () => {
    const files = [{ file: 'rdr-a-20261125-0000.rdb', size: 1, tier: 'daily' as const, proven: true }];
    const p = destinationPolicyInput('file:///b', files, [], SETTINGS, NOW, ['redis-dr-drill-a-20261125T093000000Z.json'])!;
    expect(p.drillText).toMatch(/ 1 drill record there could not be read and is not counted: redis-dr-drill-a-20261125T093000000Z\.json\.$/);
    expect(destinationPolicyInput('file:///b', files, [], SETTINGS, NOW)!.drillText).not.toMatch(/could not be read/);
  });

  it('no proven backup redis-dr wrote: no policy (the caller refuses it, never an empty document)', () => {
    expect(destinationPolicyInput('file:///b', [{ file: 'rdr-b-20261125-0000.rdb', size: 1, tier: 'hourly' }], [], SETTINGS, NOW)).toBeUndefined();
    expect(destinationPolicyInput('file:///b', [], [], SETTINGS, NOW)).toBeUndefined();
  });
});
