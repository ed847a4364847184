import { describe, expect, it } from 'vitest';
import type { EvictionReport } from '../../../../lambdas/domain/keys/eviction.js';
import { migrateOutcome, migrateRdbOutcome, migrateRunsOutcome, rdbLeftOut } from '../../../../lambdas/jobs/keys/migrate-outcome.js';
import type { MigrateRuns } from '../../../../lambdas/jobs/keys/migrate.js';
import type { MigrateRdbRun } from '../../../../lambdas/jobs/keys/migrate-rdb.js';

const eviction = (over: Partial<EvictionReport>): EvictionReport => ({ allowed: false, nodes: [], basis: 'test', evictedKeys: 0, stopped: false, ...over });
const done = { failed: 0, interrupted: false } as const;
const equal = { equal: true } as MigrateRuns['verify'];
const differs = { equal: false } as MigrateRuns['verify'];

describe('migrateOutcome', () => {
  it.each<[string, Parameters<typeof migrateOutcome>[0], string]>([
    ['complete', { result: done }, 'ok'],
    ['complete and equal', { result: done, verify: equal }, 'ok'],
    ['complete, different', { result: done, verify: differs }, 'failed'],
    ['a key failed', { result: { ...done, failed: 1 } }, 'failed'],
    ['stopped by an error', { result: { ...done, error: 'connection reset' } }, 'failed'],
    ['interrupted', { result: { ...done, interrupted: true } }, 'failed'],
    ['keys evicted', { result: { ...done, eviction: eviction({ evictedKeys: 3 }) } }, 'failed'],
    ['eviction not known', { result: { ...done, eviction: eviction({ unknown: 'INFO refused' }) } }, 'failed'],
    ['refused before writing (the target could evict)', { result: { ...done, eviction: eviction({ refused: 'would not fit' }) } }, 'refused'],
  ])('%s: %s', (_what, run, outcome) => expect(migrateOutcome(run)).toBe(outcome));

  it('a run over databases fails when a database holding keys was left out or not reached, never turning a refusal into a failure', () => {
    const runs = (over: Partial<MigrateRuns>) => ({ result: done, databases: [], leftOut: [], notReached: [], ...over }) as unknown as MigrateRuns;
    expect(migrateRunsOutcome(runs({}))).toBe('ok');
    expect(migrateRunsOutcome(runs({ leftOut: [{ db: 1, keys: 5 }] as unknown as MigrateRuns['leftOut'] }))).toBe('failed');
    expect(migrateRunsOutcome(runs({ notReached: [{ from: 2, to: 2 }] }))).toBe('failed');
    expect(migrateRunsOutcome(runs({ result: { ...done, eviction: eviction({ refused: 'x' }) } as never, leftOut: [{ db: 1, keys: 5 }] as never }))).toBe(
      'refused',
    );
  });
});

describe('migrateRdbOutcome and rdbLeftOut', () => {
  const run = (over: Record<string, unknown> = {}, verify?: { equal: boolean }): MigrateRdbRun =>
    ({
      result: { ...done, scanned: 10, keysByDb: { 0: 10, 2: 4 }, matchingByDb: { 0: 10, 2: 4 }, ...over },
      ...(verify ? { verify } : {}),
    }) as unknown as MigrateRdbRun;

  it('names the databases of the file left out unasked (no --db), and a --match that matched nothing', () => {
    expect(rdbLeftOut(run(), {})).toEqual({ databases: [[2, 4]] });
    expect(rdbLeftOut(run(), { db: 0 })).toEqual({ databases: [] });
    expect(rdbLeftOut(run({ scanned: 0 }), { db: 0, match: 'nope*' })).toEqual({ databases: [], noMatch: { db: 0, keys: 10 } });
    expect(rdbLeftOut(run({ error: 'stopped' }), {})).toEqual({ databases: [] });
  });

  it.each<[string, MigrateRdbRun, { db?: number }, string]>([
    ['database 0 asked for, complete', run(), { db: 0 }, 'ok'],
    ['a database with keys left out unasked', run(), {}, 'failed'],
    ['complete but the target differs', run({}, { equal: false }), { db: 0 }, 'failed'],
    ['refused before writing', run({ eviction: eviction({ refused: 'x' }) }), {}, 'refused'],
  ])('%s: %s', (_what, r, o, outcome) => expect(migrateRdbOutcome(r, o)).toBe(outcome));
});
