import { describe, expect, it } from 'vitest';
import type { EvictionReport } from '../../../../lambdas/domain/keys/eviction.js';
import { migrateOutcome, migrateRdbOutcome, migrateRunsOutcome, rdbNoMatch } from '../../../../lambdas/jobs/keys/migrate-outcome.js';
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
    expect(migrateRunsOutcome(runs({ noMatch: { databases: [0], keys: 20 } }))).toBe('failed');
    expect(migrateRunsOutcome(runs({ result: { ...done, eviction: eviction({ refused: 'x' }) } as never, leftOut: [{ db: 1, keys: 5 }] as never }))).toBe(
      'refused',
    );
  });
});

describe('migrateRdbOutcome and rdbNoMatch', () => {
  const run = (over: Record<string, unknown> = {}, verify?: { equal: boolean }): MigrateRdbRun =>
    ({
      result: {
        ...done,
        scanned: 10,
        keysByDb: { 0: 10, 2: 4 },
        matchingByDb: { 0: 10, 2: 4 },
        databases: [
          { from: 0, to: 0 },
          { from: 2, to: 2 },
        ],
        ...over,
      },
      ...(verify ? { verify } : {}),
    }) as unknown as MigrateRdbRun;

  it('names a --match that matched none of the keys of the databases restored; nothing else is left out', () => {
    expect(rdbNoMatch(run())).toBeUndefined();
    expect(rdbNoMatch(run({ scanned: 0 }))).toEqual({ databases: [0, 2], keys: 14 });
    expect(rdbNoMatch(run({ scanned: 0, databases: [{ from: 2, to: 5 }] }))).toEqual({ databases: [2], keys: 4 });
    expect(rdbNoMatch(run({ scanned: 0, error: 'stopped' }))).toBeUndefined();
    expect(rdbNoMatch(run({ scanned: 0, keysByDb: {}, databases: [{ from: 0, to: 0 }] }))).toBeUndefined(); // an empty file
  });

  it.each<[string, MigrateRdbRun, string]>([
    ['every database restored, complete', run(), 'ok'],
    ['a --match that matched nothing', run({ scanned: 0 }), 'failed'],
    ['complete but the target differs', run({}, { equal: false }), 'failed'],
    ['refused before writing', run({ eviction: eviction({ refused: 'x' }) }), 'refused'],
  ])('%s: %s', (_what, r, outcome) => expect(migrateRdbOutcome(r)).toBe(outcome));
});
