import type { DrillInput, RecoveryPointChoice } from '../../lambdas/domain/drills/drill.js';
import type { DrillReportEvent } from '../../lambdas/jobs/drills/drill-report.js';

/** A DR drill of plan `sessions` over `rg-a`, as the schedule sends it. */
export const DR_DRILL_INPUT: DrillInput = {
  deployment: 'prod',
  plan: 'sessions',
  where: 'dr',
  targets: { replicationGroupIds: ['rg-a'], serverlessCacheNames: [], selectByTags: {} },
  bucket: 'redis-dr-prod-dr',
  rtoMinutes: 30,
  checks: { keyCountTolerancePct: 1, expectKeys: [], expectValues: {}, sampleSize: 10 },
};

/** What select chose for {@link DR_DRILL_INPUT}: the newest export of `rg-a`. */
export const DR_DRILL_CHOICE: RecoveryPointChoice = {
  kind: 'replication-group',
  target: 'rg-a',
  recoveryPoint: 'rdr-rg-a-20261121-0200',
  createdAt: '2026-11-21T02:00:42.000Z',
  ageSeconds: 28_758,
  clusterId: 'rdr-drill-rg-a-2611211000',
  engine: 'redis',
  engineVersion: '7.1.0',
  nodeType: 'cache.t4g.small',
  shards: 1,
  clusterMode: 'disabled',
  snapshotArns: ['arn:aws:s3:::redis-dr-prod-dr/rdr-rg-a-20261121-0200-0001.rdb'],
  expected: { keys: 600, expires: 6, byType: { string: 540, zset: 60 } },
};

/** The state machine's report input; absent steps come as `null`, as JSONPath leaves them. */
export function drillReportEvent(over: Record<string, unknown> = {}): DrillReportEvent {
  return {
    input: DR_DRILL_INPUT,
    choice: DR_DRILL_CHOICE,
    verify: {
      ok: true,
      keys: 600,
      byType: { string: 540, zset: 60 },
      checks: [{ name: 'key-count', ok: true, expected: '600 +/-1%', found: '600' }],
      seconds: 12,
    },
    error: null,
    timings: {
      startedAt: '2026-11-21T10:00:00Z',
      createdAt: '2026-11-21T10:00:10Z',
      availableAt: '2026-11-21T10:12:10Z',
      verifiedAt: '2026-11-21T10:12:25Z',
      deletedAt: '2026-11-21T10:12:30Z',
    },
    cleanup: { deleted: true, clusterId: DR_DRILL_CHOICE.clusterId, error: null },
    region: 'eu-central-1',
    ...over,
  } as DrillReportEvent;
}
