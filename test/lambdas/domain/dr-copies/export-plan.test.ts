import { describe, expect, it } from 'vitest';
import {
  classifyCandidate,
  EXPORT_SETTLE_MS,
  exportAttempts,
  isCompleteShardSet,
  MAX_EXPORT_ATTEMPTS,
  newestFirst,
  nextExportStep,
  type ExportAttempt,
  type ExportState,
} from '../../../../lambdas/domain/dr-copies/export-plan.js';
import type { RecoveryPoint } from '../../../../lambdas/domain/plans/types.js';

const SNAP = 'rdr-rg-a-20261121-0300';
const NOW = new Date('2026-11-21T10:00:00Z');
const OLD = new Date(NOW.getTime() - EXPORT_SETTLE_MS);
const FRESH = new Date(NOW.getTime() - EXPORT_SETTLE_MS + 1);

describe('classifyCandidate', () => {
  const point = (over: Partial<RecoveryPoint> = {}): RecoveryPoint => ({
    name: SNAP,
    source: 'rg-a',
    status: 'available',
    createdAt: NOW,
    managed: true,
    ...over,
  });
  it.each<[string, Partial<RecoveryPoint>, Record<string, string> | undefined, string]>([
    ['a daily snapshot when minTier is daily', {}, { 'redis-dr:tier': 'daily' }, 'candidate daily'],
    ['a monthly snapshot when minTier is daily', {}, { 'redis-dr:tier': 'monthly' }, 'candidate monthly'],
    ['an hourly snapshot when minTier is daily', {}, { 'redis-dr:tier': 'hourly' }, 'ignored'],
    ['a snapshot of another plan or deployment', { managed: false }, { 'redis-dr:tier': 'monthly' }, 'ignored'],
    ['an exported snapshot', {}, { 'redis-dr:tier': 'monthly', 'redis-dr:exported': '2026-11-21T04:00:00Z' }, 'ignored'],
    ['a snapshot without a tier', {}, {}, 'skipped no-tier'],
    ['a snapshot without tags', {}, undefined, 'skipped no-tier'],
    ['a snapshot with an unknown tier', {}, { 'redis-dr:tier': 'yearly' }, 'skipped no-tier'],
    ['a failed snapshot', { status: 'failed' }, { 'redis-dr:tier': 'daily' }, 'skipped snapshot-failed'],
    ['a failed hourly snapshot (below minTier)', { status: 'failed' }, { 'redis-dr:tier': 'hourly' }, 'ignored'],
    ['a snapshot being deleted', { status: 'deleting' }, { 'redis-dr:tier': 'weekly' }, 'skipped deleting'],
    ['a snapshot still creating', { status: 'creating' }, { 'redis-dr:tier': 'weekly' }, 'candidate weekly'],
  ])('%s → %s', (_, over, tags, expected) => {
    const v = classifyCandidate(point(over), tags, 'daily');
    const got = v.kind === 'candidate' ? `candidate ${v.tier}` : v.kind === 'skipped' ? `skipped ${v.reason}` : 'ignored';
    expect(got).toBe(expected);
  });
});

describe('newestFirst', () => {
  it('orders by creation time descending, then by name', () => {
    const at = (iso: string) => new Date(iso);
    const items = [
      { name: 'b', createdAt: at('2026-11-20T03:00:00Z') },
      { name: 'c', createdAt: at('2026-11-21T03:00:00Z') },
      { name: 'a', createdAt: at('2026-11-21T03:00:00Z') },
      { name: 'd', createdAt: at('2026-11-19T03:00:00Z') },
    ];
    expect(newestFirst(items).map((i) => i.name)).toEqual(['a', 'c', 'b', 'd']);
    expect(items[0]!.name).toBe('b'); // not sorted in place
  });
});

describe('exportAttempts', () => {
  it('groups shard objects by attempt, ignoring other snapshots and other keys', () => {
    const at = (min: number) => new Date(Date.UTC(2026, 10, 21, 4, min));
    const attempts = exportAttempts(SNAP, [
      { key: `${SNAP}-r2-0002.rdb`, lastModified: at(30) },
      { key: `${SNAP}-0002.rdb`, lastModified: at(5) },
      { key: `${SNAP}-0001.rdb`, lastModified: at(10) },
      { key: `${SNAP}-r2-0001.rdb`, lastModified: at(40) },
      { key: `${SNAP}-r2-0001.rdb`, lastModified: at(20) }, // a second version in a listing is harmless
      { key: `${SNAP}-20261122-0400-0001.rdb` }, // target rg-a-20261121-0300's snapshot
      { key: `${SNAP}-notes.txt` },
      { key: `${SNAP}-r1-0003.rdb` },
    ]);
    expect(attempts).toEqual<ExportAttempt[]>([
      { attempt: 1, exportName: SNAP, shards: [1, 2], lastWrittenAt: at(10) },
      { attempt: 2, exportName: `${SNAP}-r2`, shards: [1, 2], lastWrittenAt: at(40) },
    ]);
  });

  it('has no attempts for an empty listing, and no time when the listing gives none', () => {
    expect(exportAttempts(SNAP, [])).toEqual([]);
    expect(exportAttempts(SNAP, [{ key: `${SNAP}-0001.rdb` }])[0]!.lastWrittenAt).toBeUndefined();
  });
});

describe('isCompleteShardSet', () => {
  it.each<[number[], number | undefined, boolean]>([
    [[1], 1, true],
    [[1, 2, 3], 3, true],
    [[1, 3], 3, false],
    [[2, 3], 3, false],
    [[1, 2], 3, false],
    [[], 1, false],
    [[1, 2, 3, 4], 3, true],
    // Shard count unknown (serverless): contiguous from 1, at least one.
    [[1], undefined, true],
    [[1, 2, 3], undefined, true],
    [[1, 3], undefined, false],
    [[2], undefined, false],
    [[], undefined, false],
  ])('%j of %s → %s', (shards, expected, complete) => {
    expect(isCompleteShardSet(shards, expected)).toBe(complete);
  });
});

describe('nextExportStep', () => {
  const attempt = (n: number, shards: number[], lastWrittenAt: Date | undefined = OLD): ExportAttempt => ({
    attempt: n,
    exportName: n === 1 ? SNAP : `${SNAP}-r${n}`,
    shards,
    lastWrittenAt,
  });
  const state = (over: Partial<ExportState>): ExportState => ({
    snapshot: SNAP,
    kind: 'replication-group',
    status: 'available',
    attempts: [],
    shards: 3,
    now: NOW,
    ...over,
  });

  it.each<[string, Partial<ExportState>, string]>([
    ['nothing exported yet', {}, `start 1 ${SNAP}`],
    ['a snapshot still creating', { status: 'creating' }, 'wait snapshot is creating'],
    ['a snapshot being restored from', { status: 'restoring' }, 'wait snapshot is restoring'],
    ['a snapshot being exported', { status: 'exporting', attempts: [attempt(1, [1])] }, 'in-progress snapshot is exporting'],
    ['a snapshot being copied', { status: 'copying' }, 'in-progress snapshot is copying'],
    ['a failed snapshot', { status: 'failed' }, 'skip snapshot-failed'],
    ['a snapshot being deleted', { status: 'deleting' }, 'skip deleting'],
    ['every shard there', { attempts: [attempt(1, [1, 2, 3], FRESH)] }, `finalize ${SNAP} 3`],
    ['every shard of the second attempt there', { attempts: [attempt(1, [1]), attempt(2, [1, 2, 3])] }, `finalize ${SNAP}-r2 3`],
    ['the first attempt complete but a later one not', { attempts: [attempt(1, [1, 2, 3]), attempt(2, [1])] }, `start 3 ${SNAP}-r3 (after ${SNAP}-r2)`],
    ['a settled half-finished first attempt', { attempts: [attempt(1, [1, 2])] }, `start 2 ${SNAP}-r2 (after ${SNAP})`],
    ['a fresh half-finished attempt', { attempts: [attempt(1, [1, 2], FRESH)] }, `in-progress objects still arriving (${SNAP}: 2 of 3 shard(s))`],
    ['a half-finished attempt without times', { attempts: [attempt(1, [2], undefined)] }, `start 2 ${SNAP}-r2 (after ${SNAP})`],
    [
      `a half-finished attempt ${MAX_EXPORT_ATTEMPTS}`,
      { attempts: [attempt(1, [1]), attempt(2, [2]), attempt(MAX_EXPORT_ATTEMPTS, [1, 2])] },
      `give-up half-finished after 3 attempts (${SNAP}-r3: 2 of 3 shard(s))`,
    ],
    ['serverless, nothing yet', { kind: 'serverless-cache', shards: undefined }, `start 1 ${SNAP}`],
    ['serverless, settled contiguous set', { kind: 'serverless-cache', shards: undefined, attempts: [attempt(1, [1, 2])] }, `finalize ${SNAP} 2`],
    [
      'serverless, fresh contiguous set',
      { kind: 'serverless-cache', shards: undefined, attempts: [attempt(1, [1], FRESH)] },
      `in-progress objects still arriving (${SNAP}: 1 of ? shard(s))`,
    ],
    [
      'serverless, settled set with a gap',
      { kind: 'serverless-cache', shards: undefined, attempts: [attempt(1, [1, 3])] },
      `give-up half-finished (${SNAP}: 2 of ? shard(s)); a serverless export cannot be retried under a new name`,
    ],
  ])('%s → %s', (_, over, expected) => {
    const step = nextExportStep(state(over));
    const got =
      step.step === 'start'
        ? `start ${step.attempt} ${step.exportName}${step.incomplete ? ` (after ${step.incomplete.exportName})` : ''}`
        : step.step === 'finalize'
          ? `finalize ${step.attempt.exportName} ${step.shards}`
          : step.step === 'skip'
            ? `skip ${step.reason}`
            : `${step.step} ${step.why}`;
    expect(got).toBe(expected);
  });
});
