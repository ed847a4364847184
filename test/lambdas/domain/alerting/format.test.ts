import { describe, expect, it } from 'vitest';
import { formatAlert, humanDuration, parseBreach, splitDescription, type AlertContext } from '../../../../lambdas/domain/alerting/format.js';
import { parseAlarmName } from '../../../../lambdas/domain/alerting/names.js';

const CTX: AlertContext = { deployment: 'prod', region: 'eu-west-1' };
const AT = '2026-11-21T10:00:00.000+0000';

interface AlarmSpec {
  name: string;
  value?: 'ALARM' | 'OK' | 'INSUFFICIENT_DATA';
  previous?: string;
  reason?: string;
  reasonData?: string;
  description?: string;
  namespace?: string;
  metric?: string;
  dimensions?: Record<string, string>;
}

/** A CloudWatch alarm state change as EventBridge delivers it (shape of the CloudWatch user guide's example). */
function alarm(s: AlarmSpec): unknown {
  return {
    version: '0',
    id: 'c4c1c1c9-6542-e61b-6ef0-8c4d36933a92',
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account: '111122223333',
    time: '2026-11-21T10:00:00Z',
    region: 'eu-west-1',
    resources: [`arn:aws:cloudwatch:eu-west-1:111122223333:alarm:${s.name}`],
    detail: {
      alarmName: s.name,
      configuration: {
        description: s.description,
        metrics: [
          {
            id: 'm1',
            metricStat: {
              metric: { namespace: s.namespace ?? 'RedisDr', name: s.metric ?? 'X', dimensions: s.dimensions ?? {} },
              period: 300,
              stat: 'Maximum',
            },
            returnData: true,
          },
        ],
      },
      previousState: { value: s.previous ?? 'OK', reason: 'earlier', timestamp: '2026-11-21T09:00:00.000+0000' },
      state: {
        value: s.value ?? 'ALARM',
        reason: s.reason ?? 'Threshold Crossed: 1 datapoint [1.0 (21/11/26 09:55:00)] was greater than or equal to the threshold (1.0).',
        reasonData: s.reasonData,
        timestamp: AT,
      },
    },
  };
}

const PT = { Plan: 'sessions', Target: 'rg-a' };

function execution(status: string, over: Record<string, unknown> = {}): unknown {
  const arn = 'arn:aws:states:eu-west-1:111122223333:execution:RedisDr-prod-Drills:drill-20261121';
  return {
    version: '0',
    id: '315c1398-40ff-a850-213b-158f73e60175',
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account: '111122223333',
    time: '2026-11-21T10:20:00Z',
    region: 'eu-west-1',
    resources: [arn],
    detail: {
      executionArn: arn,
      stateMachineArn: 'arn:aws:states:eu-west-1:111122223333:stateMachine:RedisDr-prod-Drills',
      name: 'drill-20261121',
      status,
      startDate: Date.UTC(2026, 10, 21, 10, 0, 0),
      stopDate: Date.UTC(2026, 10, 21, 10, 12, 30),
      input: JSON.stringify({ deployment: 'prod', plan: 'sessions', where: 'dr' }),
      output: null,
      error: null,
      cause: null,
      ...over,
    },
  };
}

/** S3 Event Notification for a failed replication (shape of the S3 user guide's example). */
const REPLICATION_RECORDS = {
  Records: [
    {
      eventVersion: '2.2',
      eventSource: 'aws:s3',
      awsRegion: 'eu-west-1',
      eventTime: '2026-11-21T10:05:00.000Z',
      eventName: 'Replication:OperationFailedReplication',
      userIdentity: { principalId: 's3.amazonaws.com' },
      requestParameters: { sourceIPAddress: 's3.amazonaws.com' },
      responseElements: { 'x-amz-request-id': 'r', 'x-amz-id-2': 'i' },
      s3: {
        s3SchemaVersion: '1.0',
        configurationId: 'ReplicationEventName',
        bucket: { name: 'redis-dr-prod-export', ownerIdentity: { principalId: 'A' }, arn: 'arn:aws:s3:::redis-dr-prod-export' },
        object: { key: 'rdr-rg-a-20261121-0800-0001.rdb', size: 1024, eTag: 'e', versionId: 'v', sequencer: 's' },
      },
      replicationEventData: {
        replicationRuleId: 'dr-copies',
        destinationBucket: 'arn:aws:s3:::redis-dr-prod-dr',
        s3Operation: 'OBJECT_PUT',
        requestTime: '2026-11-21T10:04:00.000Z',
        failureReason: 'AssumeRoleNotPermitted',
      },
    },
  ],
};

const RUNBOOK = (file: string) => `Runbook: docs/runbooks/${file}.md`;

describe('formatAlert: one case per alarm kind and event', () => {
  const cases: { name: string; event: unknown; subject: string; severity: string; kind: string; lines: string[] }[] = [
    {
      name: 'recovery-point-age breach with datapoint',
      event: alarm({
        name: 'redis-dr-prod-recovery-point-age-sessions-rg-a',
        metric: 'RecoveryPointAgeSeconds',
        dimensions: PT,
        reason: 'Threshold Crossed: 1 datapoint [9000.0 (21/11/26 10:00:00)] was greater than the threshold (7200.0).',
        description: `The newest snapshot of the target is older than the plan's RPO. ${RUNBOOK('recovery-point-age')}`,
      }),
      subject: '[CRITICAL] redis-dr prod: no new recovery point - sessions/rg-a eu-west-1',
      severity: 'critical',
      kind: 'recovery-point-age',
      lines: [
        'redis-dr prod: no new recovery point for plan sessions, target rg-a in eu-west-1 since 2026-11-21 10:00 UTC.',
        'Last good recovery point (snapshot): 2h 30m old (limit 2h), from about 2026-11-21 07:30 UTC.',
        "What it means: The newest snapshot of the target is older than the plan's RPO.",
        'Alarm: redis-dr-prod-recovery-point-age-sessions-rg-a: ALARM since 2026-11-21 10:00 UTC (was OK).',
        'Metric: RedisDr RecoveryPointAgeSeconds {Plan=sessions, Target=rg-a}: 9000 (threshold 7200).',
        'Runbook: docs/runbooks/recovery-point-age.md',
      ],
    },
    {
      name: 'missing-data breach (dead man)',
      event: alarm({
        name: 'redis-dr-prod-recovery-point-age-sessions-rg-a',
        metric: 'RecoveryPointAgeSeconds',
        dimensions: PT,
        reason: 'Threshold Crossed: no datapoints were received for 3 periods and 3 missing datapoints were treated as [Breaching].',
      }),
      subject: '[CRITICAL] redis-dr prod: no new recovery point (no data) - sessions/rg-a eu-west-1',
      severity: 'critical',
      kind: 'recovery-point-age',
      lines: ['Nothing reported: the monitor or the schedule may be dead (no datapoints for RecoveryPointAgeSeconds).'],
    },
    {
      name: 'OK recovery',
      event: alarm({
        name: 'redis-dr-prod-recovery-point-age-sessions-rg-a',
        value: 'OK',
        previous: 'ALARM',
        metric: 'RecoveryPointAgeSeconds',
        dimensions: PT,
        reason: 'Threshold Crossed: 1 datapoint [600.0 (21/11/26 10:00:00)] was not greater than the threshold (7200.0).',
        description: `The newest snapshot is older than the RPO. ${RUNBOOK('recovery-point-age')}`,
      }),
      subject: '[OK] redis-dr prod: resolved: no new recovery point - sessions/rg-a eu-west-1',
      severity: 'ok',
      kind: 'recovery-point-age',
      lines: [
        'redis-dr prod: resolved: no new recovery point for plan sessions, target rg-a in eu-west-1 (OK since 2026-11-21 10:00 UTC).',
        'Alarm: redis-dr-prod-recovery-point-age-sessions-rg-a: OK since 2026-11-21 10:00 UTC (was ALARM).',
      ],
    },
    {
      name: 'corrupt DR copy (RdbCorrupt)',
      event: alarm({
        name: 'redis-dr-prod-rdb-corrupt-sessions',
        metric: 'RdbCorrupt',
        dimensions: { Bucket: 'redis-dr-prod-dr', Target: 'rg-a' },
        description: `A DR copy failed RDB verification (structure or CRC64). ${RUNBOOK('corrupt-copy')}`,
      }),
      subject: '[CRITICAL] redis-dr prod: corrupt DR copy - sessions/rg-a eu-west-1',
      severity: 'critical',
      kind: 'rdb-corrupt',
      lines: [
        'redis-dr prod: corrupt DR copy for plan sessions, target rg-a in eu-west-1 since 2026-11-21 10:00 UTC.',
        'Metric: RedisDr RdbCorrupt {Bucket=redis-dr-prod-dr, Target=rg-a}: 1 (threshold 1).',
      ],
    },
    {
      name: 'export failed',
      event: alarm({ name: 'redis-dr-prod-export-failed-sessions', metric: 'ExportsFailed', dimensions: { Plan: 'sessions' } }),
      subject: '[HIGH] redis-dr prod: exports failing - sessions eu-west-1',
      severity: 'high',
      kind: 'export-failed',
      lines: ['redis-dr prod: exports failing for plan sessions in eu-west-1 since 2026-11-21 10:00 UTC.'],
    },
    {
      name: 'prune held (PruneHeld)',
      event: alarm({ name: 'redis-dr-prod-prune-held-sessions', metric: 'PruneHeld', dimensions: { Plan: 'sessions', Target: 'rg-a' } }),
      subject: '[WARNING] redis-dr prod: pruning held, backups failing - sessions/rg-a eu-west-1',
      severity: 'warning',
      kind: 'prune-held',
      lines: ['redis-dr prod: pruning held, backups failing for plan sessions, target rg-a in eu-west-1 since 2026-11-21 10:00 UTC.'],
    },
    {
      name: 'drill failed',
      event: alarm({
        name: 'redis-dr-prod-drill-failed-sessions',
        metric: 'DrillSucceeded',
        dimensions: { Plan: 'sessions', Target: 'rg-a', Region: 'eu-west-1' },
        reason: 'Threshold Crossed: 1 datapoint [0.0 (21/11/26 10:00:00)] was less than the threshold (1.0).',
      }),
      subject: '[HIGH] redis-dr prod: restore drill failed - sessions/rg-a eu-west-1',
      severity: 'high',
      kind: 'drill-failed',
      lines: ['Runbook: docs/runbooks/restore-drill.md'],
    },
    {
      name: 'drill RTO over objective',
      event: alarm({
        name: 'redis-dr-prod-drill-rto-sessions',
        metric: 'DrillRtoSeconds',
        dimensions: { Plan: 'sessions', Target: 'rg-a', Region: 'eu-west-1' },
        reason: 'Threshold Crossed: 1 datapoint [2400.0 (21/11/26 10:00:00)] was greater than the threshold (1800.0).',
      }),
      subject: '[WARNING] redis-dr prod: drill RTO over objective - sessions/rg-a eu-west-1',
      severity: 'warning',
      kind: 'drill-rto',
      lines: ['Metric: RedisDr DrillRtoSeconds {Plan=sessions, Target=rg-a, Region=eu-west-1}: 2400 (threshold 1800).'],
    },
    {
      name: 'no successful drill (dead man)',
      event: alarm({
        name: 'redis-dr-prod-drill-age-sessions',
        metric: 'LastSuccessfulDrillAgeSeconds',
        dimensions: { Plan: 'sessions', Target: 'rg-a' },
        reasonData: JSON.stringify({ version: '1.0', recentDatapoints: [777600.0, 781200.0], threshold: 691200.0 }),
        reason: 'Threshold Crossed: 2 out of the last 2 datapoints were greater than the threshold (691200.0).',
      }),
      subject: '[HIGH] redis-dr prod: no successful restore drill - sessions/rg-a eu-west-1',
      severity: 'high',
      kind: 'drill-age',
      lines: ['Last good successful restore drill: 9d 1h old (limit 8d), from about 2026-11-12 09:00 UTC.'],
    },
    {
      name: 'Lambda errors',
      event: alarm({
        name: 'redis-dr-prod-lambda-errors-snapshot',
        namespace: 'AWS/Lambda',
        metric: 'Errors',
        dimensions: { FunctionName: 'RedisDr-prod-Primary-SnapshotFn' },
      }),
      subject: '[HIGH] redis-dr prod: Lambda errors - RedisDr-prod-Primary-SnapshotFn eu-west-1',
      severity: 'high',
      kind: 'lambda-errors',
      lines: ['redis-dr prod: Lambda errors (function RedisDr-prod-Primary-SnapshotFn) in eu-west-1 since 2026-11-21 10:00 UTC.'],
    },
    {
      name: 'Lambda throttles',
      event: alarm({
        name: 'redis-dr-prod-lambda-throttles-export',
        namespace: 'AWS/Lambda',
        metric: 'Throttles',
        dimensions: { FunctionName: 'RedisDr-prod-Primary-ExportFn' },
      }),
      subject: '[WARNING] redis-dr prod: Lambda throttled - RedisDr-prod-Primary-ExportFn eu-west-1',
      severity: 'warning',
      kind: 'lambda-throttles',
      lines: ['Metric: AWS/Lambda Throttles {FunctionName=RedisDr-prod-Primary-ExportFn}: 1 (threshold 1).'],
    },
    {
      name: 'DLQ messages visible',
      event: alarm({
        name: 'redis-dr-prod-dlq-messages',
        namespace: 'AWS/SQS',
        metric: 'ApproximateNumberOfMessagesVisible',
        dimensions: { QueueName: 'RedisDr-prod-Primary-Dlq' },
      }),
      subject: '[HIGH] redis-dr prod: failed events in DLQ - RedisDr-prod-Primary-Dlq eu-west-1',
      severity: 'high',
      kind: 'dlq-messages',
      lines: ['redis-dr prod: failed events in DLQ (queue RedisDr-prod-Primary-Dlq) in eu-west-1 since 2026-11-21 10:00 UTC.'],
    },
    {
      name: 'Scheduler target errors',
      event: alarm({
        name: 'redis-dr-prod-scheduler-errors',
        namespace: 'AWS/Scheduler',
        metric: 'TargetErrorCount',
        dimensions: { ScheduleGroup: 'redis-dr-prod' },
      }),
      subject: '[HIGH] redis-dr prod: schedule target errors - redis-dr-prod eu-west-1',
      severity: 'high',
      kind: 'scheduler-errors',
      lines: ['Metric: AWS/Scheduler TargetErrorCount {ScheduleGroup=redis-dr-prod}: 1 (threshold 1).'],
    },
    {
      name: 'state machine FAILED (Step Functions event)',
      event: execution('FAILED', {
        error: 'ElastiCache.ReplicationGroupAlreadyExistsFault',
        cause: 'Replication group rdr-drill-rg-a already exists',
      }),
      subject: '[HIGH] redis-dr prod: state machine FAILED - RedisDr-prod-Drills sessions eu-west-1',
      severity: 'high',
      kind: 'state-machine',
      lines: [
        'redis-dr prod: state machine RedisDr-prod-Drills failed for plan sessions in eu-west-1 at 2026-11-21 10:12 UTC.',
        'Error: ElastiCache.ReplicationGroupAlreadyExistsFault: Replication group rdr-drill-rg-a already exists',
        'Execution: drill-20261121.',
        'Ran 12m (started 2026-11-21 10:00 UTC).',
        'Console: https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/arn:aws:states:eu-west-1:111122223333:execution:RedisDr-prod-Drills:drill-20261121',
        'Runbook: docs/runbooks/restore-drill.md',
      ],
    },
    {
      name: 'state machine TIMED_OUT (Step Functions event)',
      event: execution('TIMED_OUT'),
      subject: '[HIGH] redis-dr prod: state machine TIMED_OUT - RedisDr-prod-Drills sessions eu-west-1',
      severity: 'high',
      kind: 'state-machine',
      lines: ['redis-dr prod: state machine RedisDr-prod-Drills timed out for plan sessions in eu-west-1 at 2026-11-21 10:12 UTC.'],
    },
    {
      name: 'state machine ABORTED (Step Functions event)',
      event: execution('ABORTED'),
      subject: '[WARNING] redis-dr prod: state machine ABORTED - RedisDr-prod-Drills sessions eu-west-1',
      severity: 'warning',
      kind: 'state-machine',
      lines: [
        'redis-dr prod: state machine RedisDr-prod-Drills was aborted for plan sessions in eu-west-1 at 2026-11-21 10:12 UTC.',
        'Someone (or something) stopped it: check who before re-running.',
      ],
    },
    {
      name: 'S3 replication failure (S3 event notification)',
      event: REPLICATION_RECORDS,
      subject: '[HIGH] redis-dr prod: S3 replication failed - rg-a eu-west-1',
      severity: 'high',
      kind: 'replication-failed',
      lines: [
        'redis-dr prod: S3 replication failed for target rg-a in eu-west-1 at 2026-11-21 10:05 UTC: the DR region is missing a copy.',
        '- redis-dr-prod-export/rdr-rg-a-20261121-0800-0001.rdb -> arn:aws:s3:::redis-dr-prod-dr: OperationFailedReplication, reason AssumeRoleNotPermitted (rule dr-copies)',
      ],
    },
    {
      name: 'S3 replication failure (EventBridge, S3 on Outposts detail-type)',
      event: {
        version: '0',
        'detail-type': 'Object Replication Failed',
        source: 'aws.s3-outposts',
        region: 'eu-west-1',
        time: '2026-11-21T10:05:00Z',
        detail: { bucket: { name: 'redis-dr-prod-export' }, object: { key: 'rdr-rg-a-20261121-0800-0001.rdb' }, 'failure-reason': 'DstBucketNotFound' },
      },
      subject: '[HIGH] redis-dr prod: S3 replication failed - rg-a eu-west-1',
      severity: 'high',
      kind: 'replication-failed',
      lines: ['- redis-dr-prod-export/rdr-rg-a-20261121-0800-0001.rdb: Object Replication Failed, reason DstBucketNotFound'],
    },
  ];

  it.each(cases)('$name', ({ event, subject, severity, kind, lines }) => {
    const alert = formatAlert(event, CTX);
    expect(alert.subject).toBe(subject);
    expect(alert.attributes.severity).toBe(severity);
    expect(alert.attributes.kind).toBe(kind);
    expect(alert.attributes.region).toBe('eu-west-1');
    const body = alert.message.split('\n');
    for (const line of lines) expect(body).toContain(line);
    expect(alert.subject.length).toBeLessThanOrEqual(100);
    expect(alert.subject).toMatch(/^[\x20-\x7e]+$/);
  });

  it('states the full message of a freshness breach, top to bottom', () => {
    const alert = formatAlert(cases[0]!.event, { ...CTX, runbookBaseUrl: 'https://github.com/acme/redis-dr/blob/main/' });
    expect(alert.message).toBe(
      [
        'redis-dr prod: no new recovery point for plan sessions, target rg-a in eu-west-1 since 2026-11-21 10:00 UTC.',
        'Last good recovery point (snapshot): 2h 30m old (limit 2h), from about 2026-11-21 07:30 UTC.',
        '',
        "What it means: The newest snapshot of the target is older than the plan's RPO.",
        'Alarm: redis-dr-prod-recovery-point-age-sessions-rg-a: ALARM since 2026-11-21 10:00 UTC (was OK).',
        'Metric: RedisDr RecoveryPointAgeSeconds {Plan=sessions, Target=rg-a}: 9000 (threshold 7200).',
        'CloudWatch says: Threshold Crossed: 1 datapoint [9000.0 (21/11/26 10:00:00)] was greater than the threshold (7200.0).',
        'Region: eu-west-1. Deployment: prod.',
        'Runbook: https://github.com/acme/redis-dr/blob/main/docs/runbooks/recovery-point-age.md',
      ].join('\n'),
    );
    expect(alert.attributes).toEqual({
      kind: 'recovery-point-age',
      severity: 'critical',
      region: 'eu-west-1',
      deployment: 'prod',
      plan: 'sessions',
      target: 'rg-a',
      alarm: 'redis-dr-prod-recovery-point-age-sessions-rg-a',
    });
    expect(alert.surprises).toEqual([]);
  });

  it('keeps a resolved message short', () => {
    const alert = formatAlert(cases[2]!.event, CTX);
    expect(alert.message.split('\n').length).toBeLessThanOrEqual(6);
  });

  it('treats INSUFFICIENT_DATA on a freshness alarm as the dead-man page it is', () => {
    const alert = formatAlert(
      alarm({
        name: 'redis-dr-prod-verified-copy-age-sessions',
        value: 'INSUFFICIENT_DATA',
        metric: 'VerifiedCopyAgeSeconds',
        dimensions: PT,
        reason: 'Insufficient Data: 3 datapoints were unknown.',
      }),
      CTX,
    );
    expect(alert.subject).toBe('[HIGH] redis-dr prod: no new verified DR copy (no data) - sessions/rg-a eu-west-1');
    expect(alert.message).toContain('Nothing reported: the monitor or the schedule may be dead');
  });

  it('takes plan and target from the alarm name when the metric has no dimensions', () => {
    const alert = formatAlert(alarm({ name: 'redis-dr-prod-snapshot-failed-sessions-eu', metric: 'SnapshotsFailed' }), CTX);
    expect(alert.attributes.plan).toBe('sessions-eu');
    expect(alert.attributes.target).toBeUndefined();
  });

  it('splits a hyphenated plan from the target using the Plan dimension', () => {
    const alert = formatAlert(
      alarm({ name: 'redis-dr-prod-export-failed-sessions-eu-rg-a', metric: 'ExportsFailed', dimensions: { Plan: 'sessions-eu' } }),
      CTX,
    );
    expect(alert.attributes).toMatchObject({ plan: 'sessions-eu', target: 'rg-a' });
  });

  it('formats an alarm of another naming by its metric, and notes the surprise', () => {
    const alert = formatAlert(alarm({ name: 'someone-elses-alarm', metric: 'RdbCorrupt', dimensions: { Target: 'rg-a' } }), CTX);
    expect(alert.attributes.kind).toBe('rdb-corrupt');
    expect(alert.surprises).toEqual(['alarm name "someone-elses-alarm" does not follow redis-dr-prod-<kind>[-<plan>[-<target>]]']);
  });

  it('formats an alarm it knows nothing about generically', () => {
    const alert = formatAlert(alarm({ name: 'mystery', namespace: 'AWS/EC2', metric: 'CPUUtilization', description: 'CPU high.' }), CTX);
    expect(alert.subject).toBe('[HIGH] redis-dr prod: alarm mystery eu-west-1');
    expect(alert.attributes.kind).toBe('alarm');
    expect(alert.message).toContain('What it means: CPU high.');
    expect(alert.message).toContain('Runbook: none named in the alarm description (see docs/runbooks/).');
  });

  it.each([
    [
      'an unknown event',
      { source: 'aws.ec2', 'detail-type': 'EC2 Instance State-change Notification', region: 'eu-west-1', detail: { state: 'stopped' } },
      '[WARNING] redis-dr prod: unrecognised event: EC2 Instance State-change Notification eu-west-1',
    ],
    ['null', null, '[WARNING] redis-dr prod: unrecognised event: unknown event eu-west-1'],
    ['a string', 'hello', '[WARNING] redis-dr prod: unrecognised event: unknown event eu-west-1'],
    [
      'an alarm without detail',
      { source: 'aws.cloudwatch', 'detail-type': 'CloudWatch Alarm State Change' },
      '[WARNING] redis-dr prod: alarm (unnamed alarm) eu-west-1',
    ],
  ])('never throws on %s', (_, event, subject) => {
    const alert = formatAlert(event, CTX);
    expect(alert.subject).toBe(subject);
    expect(alert.surprises.length).toBeGreaterThan(0);
    expect(alert.message).toContain('Deployment: prod.');
  });

  it('cuts long subjects to 99 ASCII characters (SNS: fewer than 100)', () => {
    const alert = formatAlert(alarm({ name: `redis-dr-prod-export-failed-${'p'.repeat(40)}-${'t'.repeat(40)}-é`, metric: 'ExportsFailed' }), CTX);
    expect(alert.subject).toHaveLength(99);
    expect(alert.subject.endsWith('...')).toBe(true);
  });
});

describe('parseBreach', () => {
  it.each([
    [
      'Threshold Crossed: 1 datapoint [9000.0 (21/11/26 10:00:00)] was greater than the threshold (7200.0).',
      undefined,
      { value: 9000, threshold: 7200, missing: false },
    ],
    [
      'Threshold Crossed: 2 out of the last 2 datapoints [9300.0 (21/11/26 10:05:00), 9000.0 (21/11/26 10:00:00)] were greater than the threshold (7200.0) (minimum 2 datapoints for OK -> ALARM transition).',
      undefined,
      { value: 9300, threshold: 7200, missing: false },
    ],
    ['anything', '{"recentDatapoints":[10.5,12.25],"threshold":5}', { value: 12.25, threshold: 5, missing: false }],
    [
      'Threshold Crossed: no datapoints were received for 3 periods and 3 missing datapoints were treated as [Breaching].',
      undefined,
      { value: undefined, threshold: undefined, missing: true },
    ],
    [undefined, 'not json', { value: undefined, threshold: undefined, missing: false }],
  ])('%s / %s', (reason, reasonData, expected) => {
    expect(parseBreach(reason, reasonData)).toEqual(expected);
  });
});

describe('parseAlarmName', () => {
  it.each([
    ['redis-dr-prod-recovery-point-age-sessions-rg-a', { kind: 'recovery-point-age', rest: 'sessions-rg-a' }],
    ['redis-dr-prod-drill-age', { kind: 'drill-age' }],
    ['redis-dr-prod-dlq-messages', { kind: 'dlq-messages' }],
    ['redis-dr-staging-drill-age', undefined],
    ['redis-dr-prod-unknown-kind-x', undefined],
  ])('%s', (name, expected) => {
    expect(parseAlarmName(name, 'prod')).toEqual(expected);
  });
});

describe('humanDuration and splitDescription', () => {
  it.each([
    [45, '45s'],
    [720, '12m'],
    [7200, '2h'],
    [9000, '2h 30m'],
    [86400, '1d'],
    [781200, '9d 1h'],
  ])('%d s is %s', (seconds, text) => {
    expect(humanDuration(seconds)).toBe(text);
  });

  it('separates the meaning from the runbook path', () => {
    expect(splitDescription('Exports fail. Runbook: docs/runbooks/export.md')).toEqual({ meaning: 'Exports fail.', runbook: 'docs/runbooks/export.md' });
    expect(splitDescription('No runbook here.')).toEqual({ meaning: 'No runbook here.', runbook: undefined });
  });
});

describe('alarm actions (the Lambda action payload)', () => {
  it('formats an alarm delivered as a Lambda alarm action exactly like the EventBridge event', () => {
    const event = alarm({
      name: 'redis-dr-prod-snapshot-failed-sessions',
      description: `Snapshots of plan sessions failed. ${RUNBOOK('snapshot-failed')}`,
      metric: 'SnapshotsFailed',
      dimensions: { Plan: 'sessions' },
    }) as { detail: unknown; region: string; time: string };
    const action = {
      source: 'aws.cloudwatch',
      alarmArn: 'arn:aws:cloudwatch:eu-west-1:111122223333:alarm:x',
      accountId: '111122223333',
      time: event.time,
      region: event.region,
      alarmData: event.detail,
    };
    const viaAction = formatAlert(action, CTX);
    expect(viaAction.surprises).toEqual([]);
    expect({ ...viaAction, surprises: [] }).toEqual({ ...formatAlert(event, CTX), surprises: [] });
  });
});

describe("alarm notifications (an alarm's SNS action, read back from the topic by the page router)", () => {
  /** CloudWatch's SNS notification of the same alarm: its own field names, `Region` a display name, the code in `AlarmArn`. */
  function notification(trigger: Record<string, unknown>) {
    return {
      AlarmName: 'redis-dr-prod-snapshot-failed-sessions',
      AlarmDescription: `Snapshots of plan sessions failed. ${RUNBOOK('snapshot-failed')}`,
      AWSAccountId: '111122223333',
      NewStateValue: 'ALARM',
      NewStateReason: 'Threshold Crossed: 1 datapoint [1.0 (21/11/26 09:55:00)] was greater than or equal to the threshold (1.0).',
      StateChangeTime: AT,
      Region: 'EU (Ireland)',
      AlarmArn: 'arn:aws:cloudwatch:eu-west-1:111122223333:alarm:redis-dr-prod-snapshot-failed-sessions',
      OldStateValue: 'OK',
      Trigger: trigger,
    };
  }
  const event = alarm({
    name: 'redis-dr-prod-snapshot-failed-sessions',
    description: `Snapshots of plan sessions failed. ${RUNBOOK('snapshot-failed')}`,
    metric: 'SnapshotsFailed',
    dimensions: { Plan: 'sessions' },
  });
  const expected = { ...formatAlert(event, { ...CTX, region: 'us-east-1' }), surprises: [] };

  it('formats a metric alarm exactly like the EventBridge event, in the region its ARN names', () => {
    const dims = [{ value: 'sessions', name: 'Plan' }];
    const out = formatAlert(notification({ MetricName: 'SnapshotsFailed', Namespace: 'RedisDr', Dimensions: dims, Threshold: 1.0 }), {
      ...CTX,
      region: 'us-east-1',
    });
    expect(out.surprises).toEqual([]);
    expect({ ...out, surprises: [] }).toEqual(expected);
  });

  it('formats a metric math alarm by its first metric', () => {
    const metrics = [
      { Id: 'e1', Expression: 'm1 + 0', ReturnData: true },
      { Id: 'm1', MetricStat: { Metric: { Dimensions: [{ value: 'sessions', name: 'Plan' }], MetricName: 'SnapshotsFailed', Namespace: 'RedisDr' } } },
    ];
    const out = formatAlert(notification({ Metrics: metrics }), { ...CTX, region: 'us-east-1' });
    expect({ ...out, surprises: [] }).toEqual(expected);
  });
});
