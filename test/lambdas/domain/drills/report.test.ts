import { METRIC } from '../../../../lambdas/domain/alerting/metrics.js';
import { describe, expect, it } from 'vitest';
import type { DrillInput, DrillVerifyReport, RecoveryPointChoice } from '../../../../lambdas/domain/drills/drill.js';
import { RestorePreflightError, restorePreflight } from '../../../../lambdas/domain/drills/restore-preflight.js';
import { drillEvidenceRecord } from '../../../../lambdas/domain/drills/evidence-record.js';
import { buildDrillReport, duration, RESTORE_DRILL_RUNBOOK, type DrillOutcome } from '../../../../lambdas/domain/drills/report.js';

const INPUT: DrillInput = {
  deployment: 'prod',
  plan: 'sessions',
  where: 'primary',
  targets: { replicationGroupIds: ['rg-a'], serverlessCacheNames: [], selectByTags: {} },
  rtoMinutes: 30,
  checks: { keyCountTolerancePct: 1, expectKeys: ['config:flags'], expectValues: {}, sampleSize: 10 },
};

const CHOICE: RecoveryPointChoice = {
  kind: 'replication-group',
  target: 'rg-a',
  recoveryPoint: 'rdr-rg-a-20261121-0200',
  createdAt: '2026-11-21T02:00:30.000Z',
  ageSeconds: 28_770,
  clusterId: 'rdr-drill-rg-a-2611211000',
  engine: 'redis',
  engineVersion: '7.1.0',
  nodeType: 'cache.t4g.small',
  shards: 1,
  clusterMode: 'disabled',
  snapshotName: 'rdr-rg-a-20261121-0200',
  expected: { keys: 1200, canary: 'c-0200' },
};

const PASSED: DrillVerifyReport = {
  ok: true,
  keys: 1198,
  byType: { string: 1000, hash: 198 },
  checks: [
    { name: 'canary', ok: true, expected: 'c-0200', found: 'c-0200' },
    { name: 'key-count', ok: true, expected: '1200 +/-1%', found: '1198' },
    { name: 'type-histogram', ok: true, skipped: true, expected: '(none recorded)', found: 'string=1000 hash=198' },
  ],
  seconds: 31,
};

const FAILED: DrillVerifyReport = {
  ...PASSED,
  ok: false,
  keys: 12,
  checks: [
    { name: 'canary', ok: false, expected: 'c-0200', found: '(missing)' },
    { name: 'key-count', ok: false, expected: '1200 +/-1%', found: '12' },
    { name: 'expect-keys', ok: true, expected: 'config:flags', found: 'config:flags' },
  ],
};

const T = {
  startedAt: '2026-11-21T10:00:00Z',
  createdAt: '2026-11-21T10:00:20Z',
  availableAt: '2026-11-21T10:13:00Z',
  verifiedAt: '2026-11-21T10:14:12Z',
  deletedAt: '2026-11-21T10:14:20Z',
};

const DELETED = { deleted: true, clusterId: CHOICE.clusterId };
const SECRET = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:redis-dr/drill/drill-exec-1-AbCdEf';

function outcome(over: Partial<DrillOutcome>): DrillOutcome {
  return { input: INPUT, choice: CHOICE, verify: PASSED, timings: T, cleanup: DELETED, region: 'eu-west-1', ...over };
}

describe('buildDrillReport: a drill seeded from the vault', () => {
  const vaultInput: DrillInput = { ...INPUT, where: 'dr', bucket: 'redis-dr-prod-222222222222-eu-central-1', vault: { account: '222222222222' } };
  const keys = ['rdr-rg-a-20261121-0200-0001.rdb', 'rdr-rg-a-20261121-0200-0002.rdb'];
  const vaultChoice: RecoveryPointChoice = {
    ...CHOICE,
    snapshotName: undefined,
    snapshotArns: keys.map((k) => `arn:aws:s3:::redis-dr-prod-222222222222-eu-central-1/${k}`),
    vault: { account: '222222222222', bucket: 'redis-dr-prod-222222222222-eu-central-1', keys, retainUntil: '2027-12-27T00:00:00.000Z', mode: 'COMPLIANCE' },
  };

  it('names the vault account, bucket, every key and the retain-until', () => {
    const body = buildDrillReport(outcome({ input: vaultInput, choice: vaultChoice, region: 'eu-central-1' })).body;
    expect(body).toContain('Restore drill passed: plan sessions, target rg-a, region eu-central-1 (vault copy, account 222222222222).');
    expect(body).toContain('(vault copy, 2 object(s))');
    expect(body).toContain(
      'Seeded from the vault: account 222222222222, bucket redis-dr-prod-222222222222-eu-central-1, Object Lock COMPLIANCE until 2027-12-27T00:00:00.000Z.',
    );
    for (const k of keys) expect(body).toContain(`  s3://redis-dr-prod-222222222222-eu-central-1/${k}`);
  });

  it('says when S3 reported no retention, instead of inventing one', () => {
    const { retainUntil: _, mode: __, ...noLock } = vaultChoice.vault!;
    const body = buildDrillReport(outcome({ input: vaultInput, choice: { ...vaultChoice, vault: noLock }, region: 'eu-central-1' })).body;
    expect(body).toContain('Object Lock retention unknown (S3 reported none).');
  });

  it('a DR drill of the DR bucket says nothing of a vault', () => {
    const body = buildDrillReport(
      outcome({ input: { ...INPUT, where: 'dr' }, choice: { ...CHOICE, snapshotName: undefined, snapshotArns: ['arn:aws:s3:::b/k'] } }),
    ).body;
    expect(body).toContain('(DR copy)');
    expect(body).not.toMatch(/vault/i);
  });
});

describe('buildDrillReport', () => {
  it.each([
    {
      // The execution's AUTH token secret deleted too (a drill with the plan's RBAC group stores none: 'success over RTO').
      case: 'success within RTO',
      o: outcome({ secretCleanup: { deleted: true } }),
      ok: true,
      failedStep: undefined,
      subject: 'redis-dr drill PASSED: sessions/rg-a eu-west-1 RTO 14m12s',
      severity: 'info',
      outcomeAttr: 'passed',
      cleanup: 'deleted',
      lines: ['  RTO (start -> verified): 14m 12s, objective 30m: met', 'Cleanup: cluster rdr-drill-rg-a-2611211000 deleted.'],
    },
    {
      case: 'success over RTO',
      o: outcome({ input: { ...INPUT, rtoMinutes: 10 } }),
      ok: true,
      failedStep: undefined,
      subject: 'redis-dr drill PASSED, RTO MISSED: sessions/rg-a eu-west-1 RTO 14m12s',
      severity: 'warning',
      outcomeAttr: 'passed-over-rto',
      cleanup: 'deleted',
      lines: ['  RTO (start -> verified): 14m 12s, objective 10m: MISSED'],
    },
    {
      case: 'verify failed',
      o: outcome({ verify: FAILED }),
      ok: false,
      failedStep: 'verify',
      subject: 'redis-dr drill FAILED (verify): sessions/rg-a eu-west-1',
      severity: 'high',
      outcomeAttr: 'failed',
      cleanup: 'deleted',
      lines: [
        '  [FAIL] canary: expected c-0200, found (missing)',
        '  [FAIL] key-count: expected 1200 +/-1%, found 12',
        '  [ok]   expect-keys: expected config:flags, found config:flags',
        '  RTO (start -> verified): not reached, objective 30m',
        '  - verify: check(s) failed: canary, key-count',
        `Runbook: ${RESTORE_DRILL_RUNBOOK}`,
      ],
    },
    {
      case: 'create failed with the cluster deleted',
      o: outcome({
        verify: undefined,
        error: {
          Error: 'ElastiCache.InsufficientCacheClusterCapacityException',
          Cause: 'not enough cache.t4g.small capacity (Service: ElastiCache, Status Code: 400)',
        },
        timings: { startedAt: T.startedAt, createdAt: T.createdAt, deletedAt: T.deletedAt },
      }),
      ok: false,
      failedStep: 'restore',
      subject: 'redis-dr drill FAILED (restore): sessions/rg-a eu-west-1',
      severity: 'high',
      outcomeAttr: 'failed',
      cleanup: 'deleted',
      lines: [
        '  - restore: ElastiCache.InsufficientCacheClusterCapacityException: not enough cache.t4g.small capacity (Service: ElastiCache, Status Code: 400)',
        '  Restore (create -> available): not reached',
        'Cleanup: cluster rdr-drill-rg-a-2611211000 deleted.',
      ],
    },
    {
      case: 'cleanup failed',
      o: outcome({ cleanup: { deleted: false, clusterId: CHOICE.clusterId, error: 'InvalidReplicationGroupStateFault: modifying' } }),
      ok: false,
      failedStep: 'cleanup',
      subject: 'redis-dr drill FAILED (cleanup): sessions/rg-a eu-west-1 - cluster left behind',
      severity: 'high',
      outcomeAttr: 'failed',
      cleanup: 'left-behind',
      lines: [
        'Cleanup: FAILED, cluster left behind: rdr-drill-rg-a-2611211000 (InvalidReplicationGroupStateFault: modifying).',
        '  - cleanup: InvalidReplicationGroupStateFault: modifying; cluster left behind: rdr-drill-rg-a-2611211000',
      ],
    },
    {
      // Every check passed and the cluster went, but the execution's token secret stayed: not a pass.
      case: 'AUTH token secret left behind',
      o: outcome({ secretCleanup: { deleted: false, arn: SECRET, error: 'AccessDeniedException: not authorized' } }),
      ok: false,
      failedStep: 'cleanup',
      subject: 'redis-dr drill FAILED (cleanup): sessions/rg-a eu-west-1',
      severity: 'high',
      outcomeAttr: 'failed',
      cleanup: 'deleted',
      lines: [
        `Cleanup: FAILED, AccessDeniedException: not authorized; AUTH token secret left behind: ${SECRET} (the drill reaper deletes it after drill.maxHours).`,
        `  - cleanup: AccessDeniedException: not authorized; AUTH token secret left behind: ${SECRET} (the drill reaper deletes it after drill.maxHours)`,
      ],
    },
    {
      case: 'no recovery point',
      o: outcome({
        choice: undefined,
        verify: undefined,
        error: {
          Error: 'NoRecoveryPointError',
          Cause: JSON.stringify({
            errorType: 'NoRecoveryPointError',
            errorMessage: 'plan sessions: no usable snapshot to restore: rg-a (no available snapshot of plan sessions)',
            trace: ['at x'],
          }),
        },
        timings: { startedAt: T.startedAt },
        cleanup: { deleted: false },
      }),
      ok: false,
      failedStep: 'select',
      subject: 'redis-dr drill FAILED (select): sessions eu-west-1, no target chosen',
      severity: 'high',
      outcomeAttr: 'failed',
      cleanup: 'none',
      lines: [
        // Not "target none": what the drill looked among.
        'Restore drill failed (select): plan sessions, target none chosen (among rg-a), region eu-west-1 (primary snapshot).',
        'Recovery point: none chosen.',
        '  - select: NoRecoveryPointError: plan sessions: no usable snapshot to restore: rg-a (no available snapshot of plan sessions)',
        'Cleanup: no cluster to delete.',
      ],
    },
  ])('$case', ({ o, ok, failedStep, subject, severity, outcomeAttr, cleanup, lines }) => {
    const report = buildDrillReport(o);

    expect(report.ok).toBe(ok);
    expect(report.failedStep).toBe(failedStep);
    expect(report.subject).toBe(subject);
    expect(report.subject.length).toBeLessThanOrEqual(100);
    expect(report.attributes).toMatchObject({ kind: 'restore-drill', severity, outcome: outcomeAttr, cleanup, plan: 'sessions', region: 'eu-west-1' });
    const body = report.body.split('\n');
    for (const line of lines) expect(body).toContain(line);
    if (ok) expect(report.body).not.toContain(RESTORE_DRILL_RUNBOOK);
  });

  it('a drill the restore preflight refused reports, under select, the rule, the reason and the fix (nothing to clean up)', () => {
    const refused = new RestorePreflightError(
      CHOICE.recoveryPoint,
      restorePreflight({ ...CHOICE, nodeType: 'cache.t4g.micro' }, { shardBytes: [2 * 1024 ** 3] }, 'drill'),
    );
    const report = buildDrillReport(
      outcome({
        choice: undefined,
        verify: undefined,
        error: { Error: refused.name, Cause: JSON.stringify({ errorType: refused.name, errorMessage: refused.message, trace: ['at x'] }) },
        timings: { startedAt: T.startedAt },
        cleanup: { deleted: false },
      }),
    );
    expect(report.ok).toBe(false);
    expect(report.failedStep).toBe('select');
    expect(report.body).toMatch(
      / {2}- select: RestorePreflightError: restore preflight refused rdr-rg-a-20261121-0200 \(nothing was created\): \[node-memory\] .*fix: choose a larger node type.*drill\.nodeType/,
    );
    expect(report.body).toContain('Cleanup: no cluster to delete.');
  });

  it('writes the whole message of a passed drill', () => {
    expect(buildDrillReport(outcome({})).body).toBe(
      [
        'Restore drill passed: plan sessions, target rg-a, region eu-west-1 (primary snapshot).',
        '',
        'Recovery point: rdr-rg-a-20261121-0200 (snapshot), taken 2026-11-21T02:00:30.000Z, 7h 59m 30s old at the start.',
        'Drill cluster: rdr-drill-rg-a-2611211000, redis 7.1.0 on cache.t4g.small, 1 shard, cluster mode disabled.',
        'Keys restored: 1198 (recorded: 1200).',
        '',
        'Checks (expected vs found):',
        '  [ok]   canary: expected c-0200, found c-0200',
        '  [ok]   key-count: expected 1200 +/-1%, found 1198',
        '  [skip] type-histogram: expected (none recorded), found string=1000 hash=198',
        '',
        'Timing:',
        '  RTO (start -> verified): 14m 12s, objective 30m: met',
        '  Restore (create -> available): 12m 40s',
        '  Verify: 31s',
        '',
        'Cleanup: cluster rdr-drill-rg-a-2611211000 deleted.',
      ].join('\n'),
    );
  });

  it('names the snapshots it passed over as a keyspace collapse, under the recovery point, with the runbook', () => {
    const collapsedPassedOver = { count: 2, newest: 'rdr-rg-a-20261121-0400', mark: 'keys 1 vs 1200 (99.9 pct fewer)' };
    const o = outcome({ choice: { ...CHOICE, collapsedPassedOver } });
    const report = buildDrillReport(o);
    // The evidence record an auditor reads says it too (how many, the newest), and nothing when no point was passed over.
    expect(drillEvidenceRecord(o, report, new Date(T.deletedAt)).collapsedPassedOver).toEqual({ count: 2, newest: 'rdr-rg-a-20261121-0400' });
    expect(drillEvidenceRecord(outcome({}), buildDrillReport(outcome({})), new Date(T.deletedAt))).not.toHaveProperty('collapsedPassedOver');
    const lines = report.body.split('\n');
    const at = lines.findIndex((l) => l.startsWith('Recovery point: '));
    expect(lines[at + 1]).toBe(
      'Not drilled: 2 snapshot(s) of the target marked a keyspace collapse, the newest rdr-rg-a-20261121-0400 (keys 1 vs 1200 (99.9 pct fewer)); ' +
        'a recovery reaches for a point before the collapse, as this drill did. Runbook: docs/runbooks/keyspace-collapse.md',
    );
  });

  it('names the DR exports it passed over as a keyspace collapse, worded for exports', () => {
    const { snapshotName: _snapshot, ...copy } = CHOICE;
    const collapsedPassedOver = { count: 1, newest: 'rdr-rg-a-20261121-0400-r2', mark: 'rdr-rg-a-20261121-0400 holds 0 keys' };
    const choice = { ...copy, snapshotArns: ['arn:aws:s3:::b/rdr-rg-a-20261121-0200-0001.rdb'], collapsedPassedOver };
    const o = outcome({ choice });
    const report = buildDrillReport(o);
    expect(drillEvidenceRecord(o, report, new Date(T.deletedAt)).collapsedPassedOver).toEqual({ count: 1, newest: 'rdr-rg-a-20261121-0400-r2' });
    const lines = report.body.split('\n');
    expect(lines[lines.findIndex((l) => l.startsWith('Recovery point: ')) + 1]).toBe(
      'Not drilled: 1 DR export(s) of the target marked a keyspace collapse, the newest rdr-rg-a-20261121-0400-r2 (rdr-rg-a-20261121-0400 holds 0 keys); ' +
        'a recovery reaches for a point before the collapse, as this drill did. Runbook: docs/runbooks/keyspace-collapse.md',
    );
  });

  it('emits every metric of a passed drill with exactly Plan, Target and Region, and success and RTO per Plan and Region', () => {
    const dimensions = { Plan: 'sessions', Target: 'rg-a', Region: 'eu-west-1' };
    const plan = { Plan: 'sessions', Region: 'eu-west-1' };
    expect(buildDrillReport(outcome({})).metrics).toEqual([
      { name: METRIC.drillSucceeded, value: 1, unit: 'Count', dimensions },
      { name: METRIC.drillRtoSeconds, value: 852, unit: 'Seconds', dimensions },
      { name: METRIC.restoreSeconds, value: 760, unit: 'Seconds', dimensions },
      { name: METRIC.verifySeconds, value: 31, unit: 'Seconds', dimensions },
      { name: METRIC.drillSucceeded, value: 1, unit: 'Count', dimensions: plan },
      { name: METRIC.drillRtoSeconds, value: 852, unit: 'Seconds', dimensions: plan },
    ]);
  });

  it('emits no RTO for a failed drill, and DrillSucceeded 0 under the target "none" when nothing was chosen', () => {
    const failedVerify = buildDrillReport(outcome({ verify: FAILED })).metrics.map((m) => [m.name, m.value]);
    expect(failedVerify).toEqual([
      [METRIC.drillSucceeded, 0],
      [METRIC.restoreSeconds, 760],
      [METRIC.verifySeconds, 31],
      [METRIC.drillSucceeded, 0],
    ]);
    const none = buildDrillReport(
      outcome({
        choice: undefined,
        verify: undefined,
        error: { Error: 'States.TaskFailed' },
        timings: { startedAt: T.startedAt },
        cleanup: { deleted: false },
      }),
    );
    const dimensions = { Plan: 'sessions', Target: 'none', Region: 'eu-west-1' };
    expect(none.metrics).toEqual([
      { name: METRIC.drillSucceeded, value: 0, unit: 'Count', dimensions },
      { name: METRIC.drillSucceeded, value: 0, unit: 'Count', dimensions: { Plan: 'sessions', Region: 'eu-west-1' } },
    ]);
  });

  it('blames the verify step when the verify task itself failed, and quotes long causes cut', () => {
    const report = buildDrillReport(
      outcome({ verify: undefined, error: { Error: 'States.Timeout', Cause: 'x'.repeat(2000) }, timings: { ...T, verifiedAt: undefined } }),
    );
    expect(report.failedStep).toBe('verify');
    const line = report.body.split('\n').find((l) => l.startsWith('  - verify: States.Timeout: '))!;
    expect(line.length).toBeLessThan(700);
    expect(line.endsWith('...')).toBe(true);
  });

  it('keeps subjects within 99 ASCII characters (SNS: fewer than 100) for long plan and target names', () => {
    const report = buildDrillReport(
      outcome({ input: { ...INPUT, plan: 'p'.repeat(60) }, choice: { ...CHOICE, target: 't'.repeat(40) }, region: 'ap-southeast-1' }),
    );
    expect(report.subject).toHaveLength(99);
    expect(report.subject).toMatch(/^[\x20-\x7e]+\.\.\.$/);
  });
});

describe('duration', () => {
  it.each([
    [0, '0s'],
    [31, '31s'],
    [852, '14m 12s'],
    [3725, '1h 02m 05s'],
  ])('%i s is %s', (seconds, text) => {
    expect(duration(seconds)).toBe(text);
  });
});
