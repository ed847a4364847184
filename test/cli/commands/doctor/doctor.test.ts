import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { verdictAnswersOfTags } from '../../../support/verdict-store.js';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeCacheClustersCommand, DescribeReplicationGroupsCommand, DescribeSnapshotsCommand } from '@aws-sdk/client-elasticache';
import {
  GetBucketAclCommand,
  GetObjectAclCommand,
  GetObjectCommand,
  ListObjectVersionsCommand,
  GetBucketPolicyCommand,
  GetBucketReplicationCommand,
  type GetBucketReplicationCommandOutput,
  GetBucketVersioningCommand,
  GetObjectLockConfigurationCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { GetScheduleCommand, GetScheduleGroupCommand, ListSchedulesCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { ListSubscriptionsByTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { sdkStreamMixin } from '@smithy/core/serde';
import { Readable } from 'node:stream';
import type { SelftestRecord, SelftestStep } from '../../../../lambdas/domain/selftest/steps.js';
import { beforeEach, describe, expect, it } from 'vitest';
import type { DoctorReport } from '../../../../cli/commands/doctor/action.js';
import { DEPLOYED_NAMES } from '../../../../lambdas/jobs/doctor/expectations.js';
import { ALERT_TOPIC_OUTPUT } from '../../../../lib/constructs/alert-topic.js';
import { PAGE_ROUTER_OUTPUT } from '../../../../lib/constructs/page-integrations.js';
import { REPLICATION_RULE_ID, VAULT_REPLICATION_RULE_ID } from '../../../../lib/constructs/recovery-bucket.js';
import { loadConfig } from '../../../../lib/config/index.js';
import { configHash } from '../../../../lib/deployment.js';
import { FakeClock } from '../../../support/fakes.js';
import { ACCOUNT, fakeAws, reportHistory, scrubRecord } from '../../support/fake-aws.js';
import { runInProcess } from '../../support/in-process.js';
import { installVault, putVaultCopy, type Retentions, VAULT_ACCOUNT, VAULT_BUCKET, VAULT_PROFILE, VAULT_REGION } from '../../support/vault.js';

// One plan (sessions: sessions-prod, exports, drills in both regions), eu-west-1 → eu-central-1 (both default regions: the ACL route).
const CONFIG = 'test/fixtures/config/status-one-target.json';
const PRIMARY = 'eu-west-1';
const DR = 'eu-central-1';
const NOW = Date.parse('2026-11-21T10:00:00Z');
const HASH = configHash(loadConfig(CONFIG));
const EXPORT_BUCKET = `redis-dr-example-${ACCOUNT}-${PRIMARY}`;
const DR_BUCKET = `redis-dr-example-${ACCOUNT}-${DR}`;
const CANONICAL_ELASTICACHE = '540804c33a284a299d2547575ce1010f2312ef3da9b3a053c8bc45bf233e4353';
const PRIMARY_SM = `arn:aws:states:${PRIMARY}:${ACCOUNT}:stateMachine:redis-dr-example-primary-drill`;
const DR_SM = `arn:aws:states:${DR}:${ACCOUNT}:stateMachine:redis-dr-example-dr-drill`;
const SELFTEST_KEY = 'selftest/2026-11-20T10-00-00Z.json';
const OURS = { 'redis-dr:managed': 'true', 'redis-dr:deployment': 'example', 'redis-dr:plan': 'sessions', 'redis-dr:source': 'sessions-prod' };

const aws = fakeAws();
const cfn = mockClient(CloudFormationClient);
const cw = mockClient(CloudWatchClient);
const scheduler = mockClient(SchedulerClient);
const sns = mockClient(SNSClient);
let clock: FakeClock;

const run = (...args: string[]) => runInProcess(['doctor', '-c', CONFIG, ...args], { clock });
const regionOf = (getClient: () => { config: { region: () => Promise<string> } }) => getClient().config.region();
const topicArn = (region: string) => `arn:aws:sns:${region}:${ACCOUNT}:RedisDr-example-AlertsTopic`;
const denied = (action: string) =>
  Object.assign(new Error(`User: arn:aws:iam::${ACCOUNT}:user/ops is not authorized to perform: ${action}`), {
    name: 'AccessDenied',
    $metadata: { httpStatusCode: 403 },
  });
const throttled = () => Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: { httpStatusCode: 400 } });

/** A replication rule as GetBucketReplication returns it. */
type ReplicationRule = NonNullable<NonNullable<GetBucketReplicationCommandOutput['ReplicationConfiguration']>['Rules']>[number];

/** What the account holds; each test changes one thing. */
let world: {
  stacks: Record<string, { status: string; hash?: string } | undefined>;
  schedules: Record<string, { name: string; state: string; expression: string; description: string }[]>;
  subscriptions: Record<string, string[]>;
  versioning: Record<string, string | undefined>;
  replication: ReplicationRule[] | undefined;
  alarms: { AlarmName: string; StateValue: string; StateReason?: string }[];
  dataTiering: boolean;
  cacheSize: string;
  drCopyBytes: number;
  replicationStatus: string | undefined;
  /** The newest selftest record in the DR bucket (`selftest/<time>.json`); undefined: none ran. */
  selftest: SelftestRecord | undefined;
};

/** A selftest record that finished at `finishedAt`, with its steps' verdicts. */
function selftestRecord(finishedAt: string, failed?: { step: string; cause: string; fix: string }): SelftestRecord {
  const steps: SelftestStep[] = [
    { step: 'preflight eu-west-1', region: PRIMARY, verdict: 'passed', seconds: 2, detail: 'doctor: 12 checks passed' },
    failed
      ? { step: failed.step, region: PRIMARY, verdict: 'failed', seconds: 5, detail: 'failed', cause: failed.cause, fix: failed.fix }
      : { step: 'snapshot sessions/sessions-prod', region: PRIMARY, verdict: 'passed', seconds: 300, detail: 'available' },
    { step: 'record', region: DR, verdict: 'passed', seconds: 1, detail: 'written' },
  ];
  return {
    kind: 'redis-dr-selftest',
    version: 1,
    deployment: 'example',
    startedAt: finishedAt,
    finishedAt,
    regions: 'both',
    verdict: failed ? 'failed' : 'passed',
    steps,
  };
}

function healthyWorld(): typeof world {
  return {
    stacks: { [PRIMARY]: { status: 'CREATE_COMPLETE', hash: HASH }, [DR]: { status: 'UPDATE_COMPLETE', hash: HASH } },
    schedules: {
      [PRIMARY]: [
        { name: 'SnapshotsPlansessions-a1', state: 'ENABLED', expression: 'cron(0 0/2 * * ? *)', description: 'redis-dr snapshots for plan sessions' },
        { name: 'DrillsPlansessions-b2', state: 'ENABLED', expression: 'cron(0 4 ? * MON *)', description: 'redis-dr primary restore drill for plan sessions' },
      ],
      [DR]: [
        { name: 'DrillsPlansessions-c3', state: 'ENABLED', expression: 'cron(0 5 ? * MON *)', description: 'redis-dr dr restore drill for plan sessions' },
      ],
    },
    subscriptions: { [PRIMARY]: [`${topicArn(PRIMARY)}:0b1c`], [DR]: [`${topicArn(DR)}:9f8e`] },
    versioning: { [EXPORT_BUCKET]: 'Enabled', [DR_BUCKET]: 'Enabled' },
    replication: [{ ID: 'to-dr-region', Status: 'Enabled', Destination: { Bucket: `arn:aws:s3:::${DR_BUCKET}` } }],
    alarms: [
      { AlarmName: 'redis-dr-example-recovery-point-age-sessions', StateValue: 'OK' },
      { AlarmName: 'redis-dr-example-verified-copy-age-sessions', StateValue: 'OK' },
    ],
    dataTiering: false,
    cacheSize: '512 MB',
    drCopyBytes: 512 * 1024 ** 2,
    replicationStatus: 'COMPLETED',
    selftest: selftestRecord('2026-11-20T10:30:00.000Z'),
  };
}

function installAccount(): void {
  for (const m of [cfn, cw, scheduler, sns]) m.reset();
  cfn.on(DescribeStacksCommand).callsFake(async (i: { StackName: string }, getClient) => {
    const region = await regionOf(getClient);
    const s = world.stacks[region];
    if (!s || !i.StackName.startsWith('RedisDr-example-'))
      throw Object.assign(new Error(`Stack with id ${i.StackName} does not exist`), { name: 'ValidationError' });
    const outputs = [{ OutputKey: 'AlertTopicArn', OutputValue: topicArn(region) }, ...(s.hash ? [{ OutputKey: 'ConfigHash', OutputValue: s.hash }] : [])];
    return { Stacks: [{ StackName: i.StackName, StackStatus: s.status, CreationTime: new Date(NOW - 86_400_000), Outputs: outputs }] };
  });
  scheduler
    .on(GetScheduleGroupCommand)
    .callsFake(async (_i: unknown, getClient) => ({ CreationDate: new Date(NOW - 86_400_000), State: 'ACTIVE', Name: await regionOf(getClient) }));
  scheduler
    .on(ListSchedulesCommand)
    .callsFake(async (_i: unknown, getClient) => ({ Schedules: world.schedules[await regionOf(getClient)]!.map((s) => ({ Name: s.name, State: s.state })) }));
  scheduler.on(GetScheduleCommand).callsFake(async (i: { Name: string }, getClient) => {
    const s = world.schedules[await regionOf(getClient)]!.find((x) => x.name === i.Name)!;
    return { Name: s.name, State: s.state, ScheduleExpression: s.expression, ScheduleExpressionTimezone: 'Europe/Berlin', Description: s.description };
  });
  sns.on(ListSubscriptionsByTopicCommand).callsFake(async (i: { TopicArn: string }, getClient) => ({
    Subscriptions: world.subscriptions[await regionOf(getClient)]!.map((arn) => ({
      SubscriptionArn: arn,
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
      TopicArn: i.TopicArn,
    })),
  }));
  cw.on(DescribeAlarmsCommand)
    .resolves({})
    .callsFake(async () => ({ MetricAlarms: world.alarms }));

  const s3 = aws.s3;
  s3.on(GetBucketVersioningCommand).callsFake((i: { Bucket: string }) => {
    if (!(i.Bucket in world.versioning)) throw Object.assign(new Error('The specified bucket does not exist'), { name: 'NoSuchBucket' });
    return { Status: world.versioning[i.Bucket] };
  });
  s3.on(GetBucketReplicationCommand).callsFake(() => {
    if (!world.replication) throw Object.assign(new Error('The replication configuration was not found'), { name: 'ReplicationConfigurationNotFoundError' });
    return { ReplicationConfiguration: { Role: 'arn:aws:iam::111122223333:role/x', Rules: world.replication } };
  });
  s3.on(ListObjectsV2Command, { Bucket: DR_BUCKET }).callsFake((i: { Prefix?: string }) => {
    if (i.Prefix === 'selftest/')
      return {
        Contents: world.selftest
          ? [
              { Key: SELFTEST_KEY, Size: 512 },
              { Key: 'selftest/2026-01-01T00-00-00Z.json', Size: 512 },
            ]
          : [],
        IsTruncated: false,
      };
    const keys = [...(aws.state.objects.get(DR_BUCKET)?.keys() ?? [])].filter((k) => k.startsWith(i.Prefix ?? '')).sort();
    return { Contents: keys.map((Key) => ({ Key, Size: world.drCopyBytes })), IsTruncated: false };
  });
  // The copies' verdict objects, from their tags (registered first: the selftest record's own answer below wins for its key).
  const verdicts = verdictAnswersOfTags((k) => aws.state.objects.get(DR_BUCKET)?.get(k));
  s3.on(GetObjectCommand, { Bucket: DR_BUCKET }).callsFake((i: { Key: string }) => verdicts.get(i.Key));
  // The newest record is read (keys sort by time); an older one is never asked for.
  s3.on(GetObjectCommand, { Bucket: DR_BUCKET, Key: SELFTEST_KEY }).callsFake(() => ({
    Body: sdkStreamMixin(Readable.from([Buffer.from(JSON.stringify(world.selftest))])),
  }));
  // The export bucket's replication status; in the DR bucket, each copy's version and verdict object (from its tags).
  s3.on(HeadObjectCommand).callsFake((i: { Bucket: string; Key: string }) =>
    i.Bucket === DR_BUCKET ? verdicts.head(i.Key) : { ReplicationStatus: world.replicationStatus, ContentLength: 1024 },
  );

  s3.on(GetObjectLockConfigurationCommand).rejects(
    Object.assign(new Error('Object Lock configuration does not exist for this bucket'), { name: 'ObjectLockConfigurationNotFoundError' }),
  );
  s3.on(GetBucketPolicyCommand).callsFake(async (_i: unknown, getClient: () => S3Client) => {
    const region = await getClient().config.region();
    return {
      Policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: `${region}.elasticache-snapshot.amazonaws.com` }, Action: 's3:GetObject', Resource: '*' }],
      }),
    };
  });
  s3.on(GetBucketAclCommand).resolves({
    Owner: { ID: 'owner' },
    Grants: [
      { Grantee: { Type: 'CanonicalUser', ID: 'owner' }, Permission: 'FULL_CONTROL' },
      ...['READ', 'WRITE', 'READ_ACP'].map((Permission) => ({
        Grantee: { Type: 'CanonicalUser' as const, ID: CANONICAL_ELASTICACHE },
        Permission: Permission as 'READ',
      })),
    ],
  });
  // The newest export is the bucket owner's (ElastiCache's export under the ACL route may not be: doctor fails it).
  s3.on(GetObjectAclCommand).resolves({ Owner: { ID: 'owner' } });
  // The vault's versions (read with --vault-profile): none past the lifecycle's bound.
  s3.on(ListObjectVersionsCommand).resolves({ Versions: [], DeleteMarkers: [] });
  aws.ec.on(DescribeReplicationGroupsCommand, { ReplicationGroupId: 'sessions-prod' }).callsFake(() => ({
    ReplicationGroups: [
      {
        ReplicationGroupId: 'sessions-prod',
        Status: 'available',
        Engine: 'redis',
        ClusterEnabled: false,
        CacheNodeType: world.dataTiering ? 'cache.r6gd.xlarge' : 'cache.r7g.large',
        DataTiering: world.dataTiering ? 'enabled' : 'disabled',
        MemberClusters: ['sessions-prod-001', 'sessions-prod-002'],
        NodeGroups: [{ NodeGroupId: '0001' }],
      },
    ],
  }));
  aws.ec.on(DescribeSnapshotsCommand, { SnapshotName: 'rdr-sessions-prod-20261121-0900' }).callsFake(() => ({
    Snapshots: [
      {
        SnapshotName: 'rdr-sessions-prod-20261121-0900',
        SnapshotStatus: 'available',
        Engine: 'redis',
        EngineVersion: '7.1.0',
        CacheNodeType: world.dataTiering ? 'cache.r6gd.xlarge' : 'cache.r7g.large',
        NumNodeGroups: 1,
        NodeSnapshots: [{ NodeGroupId: '0001', CacheSize: world.cacheSize, SnapshotCreateTime: new Date('2026-11-21T09:00:30Z') }],
      },
    ],
  }));
  aws.ec
    .on(DescribeCacheClustersCommand)
    .resolves({ CacheClusters: [{ CacheClusterId: 'sessions-prod-001', Engine: 'redis', EngineVersion: '7.1.0', CacheNodeType: 'cache.r7g.large' }] });
}

/** Fresh recovery points, a verified DR copy, drills passed in both regions, every cache protected (as in status.test.ts). */
function healthyRecoveryPoints(): void {
  const snapshot = (name: string, createdAt: string, tags: Record<string, string> = {}) =>
    aws.state.snapshots.set(name, {
      name,
      target: 'sessions-prod',
      status: 'available',
      createdAt: new Date(createdAt),
      tags: { ...OURS, 'redis-dr:tier': 'hourly', ...tags },
    });
  snapshot('rdr-sessions-prod-20261121-0900', '2026-11-21T09:00:30Z');
  snapshot('rdr-sessions-prod-20261121-0700', '2026-11-21T07:00:30Z', { 'redis-dr:exported': '2026-11-21T07:30:00Z' });
  aws.state.objects.set(
    DR_BUCKET,
    new Map([
      [
        'rdr-sessions-prod-20261121-0700-0001.rdb',
        {
          'redis-dr:plan': 'sessions',
          'redis-dr:tier': 'hourly',
          'redis-dr:created': '2026-11-21T07:00:30.000Z',
          'redis-dr:shard': '0001/0001',
          'redis-dr:engine': 'redis 7.1',
          'redis-dr:verified': 'ok',
          'redis-dr:rdb': 'v=11 keys=10 expires=0 string=10',
        },
      ],
    ]),
  );
  aws.state.objects.set(
    EXPORT_BUCKET,
    new Map([
      [
        'rdr-sessions-prod-20261121-0700-0001.rdb',
        {
          'redis-dr:plan': 'sessions',
          'redis-dr:tier': 'hourly',
          'redis-dr:created': '2026-11-21T07:00:30.000Z',
          'redis-dr:shard': '0001/0001',
          'redis-dr:engine': 'redis 7.1',
        },
      ],
    ]),
  );
  scrubRecord(aws.state, DR_BUCKET, '2026-11-21T03:00:00Z');
  for (const [sm, stop, rto] of [
    [PRIMARY_SM, '2026-11-20T04:20:00Z', 750],
    [DR_SM, '2026-11-20T05:20:00Z', 1_500],
  ] as const) {
    drill(sm, 'SUCCEEDED', stop, { ok: true, rtoSeconds: rto, subject: 'PASSED' });
  }
  aws.state.caches.push({ region: PRIMARY, kind: 'replication-group', id: 'sessions-prod', engine: 'redis' });
}

function drill(stateMachineArn: string, status: string, stop: string, report: Record<string, unknown>): void {
  const input = JSON.stringify({ deployment: 'example', plan: 'sessions' });
  const choice = { target: 'sessions-prod', recoveryPoint: 'rdr-sessions-prod-20261120-0400' };
  const stopDate = new Date(stop);
  aws.state.executions.push({
    executionArn: `${stateMachineArn.replace(':stateMachine:', ':execution:')}:run-${aws.state.executions.length}`,
    stateMachineArn,
    status,
    startDate: new Date(stopDate.getTime() - 1_800_000),
    stopDate,
    input,
    ...(status === 'SUCCEEDED' ? { output: JSON.stringify({ input: JSON.parse(input), drill: { choice, report } }) } : { error: 'DrillFailed' }),
    history: reportHistory(report, choice),
  });
}

beforeEach(() => {
  aws.reset();
  aws.state.credentials = true;
  world = healthyWorld();
  installAccount();
  healthyRecoveryPoints();
  clock = new FakeClock(NOW);
});

const report = async (): Promise<{ code: number; report: DoctorReport; stderr: string }> => {
  const r = await run('--json');
  return { code: r.code, report: JSON.parse(r.stdout) as DoctorReport, stderr: r.stderr };
};
const failing = (r: DoctorReport) => r.checks.filter((c) => c.state === 'fail');
const line = (text: string, subject: string) => text.split('\n').find((l) => l.includes(subject)) ?? `(no line with ${subject})`;

describe('doctor', () => {
  it('looks for the names the constructs give (without loading the CDK at run time)', () => {
    expect(DEPLOYED_NAMES).toEqual({
      alertTopicOutput: ALERT_TOPIC_OUTPUT,
      pageRouterOutput: PAGE_ROUTER_OUTPUT,
      replicationRuleId: REPLICATION_RULE_ID,
      vaultReplicationRuleId: VAULT_REPLICATION_RULE_ID,
    });
  });

  it('a healthy deployment passes every check: exit 0, one line per check, each section present', async () => {
    const r = await run();
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`redis-dr doctor example: primary ${PRIMARY}, DR ${DR}, account ${ACCOUNT}, at 2026-11-21T10:00:00.000Z`);
    expect(r.stdout).not.toMatch(/FAIL|WARN/);
    for (const section of [
      'credentials',
      'stacks',
      'schedules',
      'alerts',
      'buckets',
      'targets',
      'recovery points',
      'drills',
      'selftest',
      'alarms',
      'coverage',
    ]) {
      expect(r.stdout.split('\n'), section).toContain(section);
    }
    expect(line(r.stdout, 'RedisDr-example-Primary config')).toContain(`deployed from this config (ConfigHash ${HASH})`);
    expect(line(r.stdout, 'redis-dr snapshots for plan sessions')).toMatch(/pass {2}eu-west-1 {2}.*enabled, next run 2026-11-21T11:00:00.000Z/);
    expect(line(r.stdout, `export bucket ${EXPORT_BUCKET} replication`)).toContain(`rule to-dr-region Enabled to s3://${DR_BUCKET}`);
    expect(line(r.stdout, `DR bucket ${DR_BUCKET} ElastiCache access`)).toContain('ACL grant (READ, READ_ACP)');
    expect(line(r.stdout, 'sessions/sessions-prod:')).toContain('redis 7.1.0, cluster mode disabled, 1 shard(s), cache.r7g.large');
    expect(line(r.stdout, 'sessions/sessions-prod primary drill node')).toContain(
      "cache.r7g.large (13.07 GiB, the snapshot's: drill.nodeType not set) holds rdr-sessions-prod-20261121-0900",
    );
    expect(line(r.stdout, 'sessions/sessions-prod dr drill node')).toContain(
      'cache.t4g.small (1.37 GiB, the default: drill.nodeType not set) holds rdr-sessions-prod-20261121-0700',
    );
    expect(line(r.stdout, 'sessions/sessions-prod verified DR copy')).toContain('rdr-sessions-prod-20261121-0700 is 2h 59m old (limit 5h 30m)');
    expect(line(r.stdout, 'sessions dr drill')).toContain(
      'SUCCEEDED 2026-11-20T05:20:00.000Z, sessions-prod from rdr-sessions-prod-20261120-0400, RTO 25m (objective 45m)',
    );
    expect(line(r.stdout, `scrub/${DR_BUCKET} scrub record`)).toContain('scrub/redis-dr-scrub-20261121T030000000Z.json is 7h old (limit 2d 1h)');
    expect(r.stdout).toMatch(/\d+ passed, 0 warning\(s\), 0 failed\./);
  });

  it('a scrub whose newest record is past the scrub-age limit fails, pointing at the corruption runbook (exit 1)', async () => {
    aws.state.objects.get(DR_BUCKET)!.delete('scrub/redis-dr-scrub-20261121T030000000Z.json');
    scrubRecord(aws.state, DR_BUCKET, '2026-11-19T08:00:00Z');
    const { code, report: doc } = await report();
    expect(code).toBe(1);
    expect(doc.checks.find((c) => c.subject === `scrub/${DR_BUCKET} scrub record`)).toMatchObject({
      state: 'fail',
      detail: 'scrub/redis-dr-scrub-20261119T080000000Z.json is 2d 2h old, over its limit 2d 1h',
      fix: 'see docs/runbooks/corruption.md',
    });
  });

  it('--json prints the same checks as data, with the counts and the exit code', async () => {
    const { code, report: doc } = await report();
    expect(code).toBe(0);
    expect(doc).toMatchObject({ deployment: 'example', account: ACCOUNT, exitCode: 0, counts: { warn: 0, fail: 0 } });
    expect(doc.checks.every((c) => c.state === 'pass' && c.fix === null)).toBe(true);
    expect(new Set(doc.checks.map((c) => c.section)).size).toBe(11);
  });

  it('shows the newest selftest record: a passed one with its age; none yet warns with the command to run', async () => {
    const passed = await run();
    expect(line(passed.stdout, 'newest record in')).toMatch(
      new RegExp(`pass {2}${DR} {2}newest record in s3://${DR_BUCKET}/selftest/: passed at 2026-11-20T10:30:00.000Z \\(24 h old, 3 steps, ${SELFTEST_KEY}\\)`),
    );
    world.selftest = undefined;
    const none = await report();
    expect(none.code).toBe(0);
    expect(none.report.checks.find((c) => c.section === 'selftest')).toMatchObject({ state: 'warn', detail: 'no selftest has run' });
    expect(none.report.checks.find((c) => c.section === 'selftest')?.fix).toContain('redis-dr selftest -c <config>');
  });

  it('a failed selftest fails doctor, naming the failing step, its cause and fix (exit 1)', async () => {
    world.selftest = selftestRecord('2026-11-21T09:00:00.000Z', {
      step: 'export sessions/sessions-prod',
      cause: 'replication of s3://x/rdr-sessions-prod-0001.rdb FAILED',
      fix: 'see docs/runbooks/dr-copies.md',
    });
    const r = await report();
    expect(r.code).toBe(1);
    expect(failing(r.report)).toEqual([
      expect.objectContaining({
        section: 'selftest',
        detail: `FAILED at 2026-11-21T09:00:00.000Z (1 h old, ${SELFTEST_KEY}): export sessions/sessions-prod (${PRIMARY}): replication of s3://x/rdr-sessions-prod-0001.rdb FAILED`,
        fix: expect.stringMatching(/^see docs\/runbooks\/dr-copies\.md; then run redis-dr selftest/),
      }),
    ]);
  });

  it('a passed selftest older than 30 days warns: run it again (exit 0)', async () => {
    world.selftest = selftestRecord('2026-10-20T10:00:00.000Z');
    const r = await report();
    expect(r.code).toBe(0);
    expect(r.report.checks.find((c) => c.section === 'selftest')).toMatchObject({
      state: 'warn',
      detail: `passed at 2026-10-20T10:00:00.000Z, 32 d old: older than 30 days (${SELFTEST_KEY})`,
    });
  });

  it('a selftest record that cannot be read fails its check naming the permission', async () => {
    aws.s3.on(GetObjectCommand, { Bucket: DR_BUCKET, Key: SELFTEST_KEY }).rejects(denied('s3:GetObject'));
    const r = await report();
    expect(r.code).toBe(1);
    expect(failing(r.report).map((c) => [c.section, c.detail])).toEqual([
      ['selftest', expect.stringContaining('not checked: access denied, needs s3:ListBucket and s3:GetObject on selftest/*')],
    ]);
  });

  it('a topic with only a pending subscription fails: nobody will be paged', async () => {
    world.subscriptions[DR] = ['PendingConfirmation'];
    const { code, report: doc } = await report();
    expect(code).toBe(1);
    expect(failing(doc)).toEqual([
      expect.objectContaining({
        section: 'alerts',
        region: DR,
        detail: 'only unconfirmed subscriptions (email oncall@example.com): nobody will be paged',
        fix: expect.stringContaining('confirm'),
      }),
    ]);
  });

  it('a disabled schedule fails, naming what it starts', async () => {
    world.schedules[PRIMARY]![0]!.state = 'DISABLED';
    const { code, report: doc } = await report();
    expect(code).toBe(1);
    expect(failing(doc)).toEqual([
      expect.objectContaining({
        section: 'schedules',
        subject: 'redis-dr snapshots for plan sessions (SnapshotsPlansessions-a1)',
        detail: expect.stringMatching(/^DISABLED: it never runs/),
      }),
    ]);
  });

  it('a data-tiering target in an exporting plan fails with the alternative; the drill refuses r6gd too', async () => {
    world.dataTiering = true;
    const { code, report: doc } = await report();
    expect(code).toBe(1);
    const fails = failing(doc).filter((c) => c.section === 'targets');
    expect(fails.map((c) => c.subject)).toEqual([
      'sessions/sessions-prod DR copy',
      'sessions/sessions-prod primary drill node',
      'sessions/sessions-prod dr drill node',
    ]);
    expect(fails[0]).toMatchObject({ detail: expect.stringContaining('export impossible'), fix: expect.stringContaining('export.enabled false') });
    expect(fails[1]!.detail).toMatch(/\[data-tiering\] cache\.r6gd\.xlarge tiers data to SSD/);
    expect(fails[2]!.detail).toMatch(/\[data-tiering\] .* was taken on cache\.r6gd\.xlarge/);
  });

  it("a dataset larger than the DR drill's default node type fails, naming drill.nodeType", async () => {
    world.cacheSize = '2 GB';
    world.drCopyBytes = 2 * 1024 ** 3;
    const { code, report: doc } = await report();
    expect(code).toBe(1);
    expect(failing(doc)).toEqual([
      expect.objectContaining({
        subject: 'sessions/sessions-prod dr drill node',
        detail: expect.stringContaining('[node-memory]'),
        fix: expect.stringContaining('set drill.nodeType'),
      }),
    ]);
  });

  it('an export bucket without replication fails: no copy reaches the DR region', async () => {
    world.replication = undefined;
    const { code, report: doc } = await report();
    expect(code).toBe(1);
    expect(failing(doc)).toEqual([
      expect.objectContaining({ subject: `export bucket ${EXPORT_BUCKET} replication`, detail: 'no replication configured: no copy reaches the DR region' }),
    ]);
  });

  it("the newest export's replication: COMPLETED passes, FAILED fails naming the object", async () => {
    const ok = await report();
    expect(ok.report.checks.find((c) => c.subject.includes('replication of'))).toMatchObject({
      state: 'pass',
      region: PRIMARY,
      subject: `export bucket ${EXPORT_BUCKET} replication of rdr-sessions-prod-20261121-0700-0001.rdb`,
      detail: 'COMPLETED',
    });
    world.replicationStatus = 'FAILED';
    const { code, report: doc } = await report();
    expect(code).toBe(1);
    expect(failing(doc)).toEqual([
      expect.objectContaining({
        subject: `export bucket ${EXPORT_BUCKET} replication of rdr-sessions-prod-20261121-0700-0001.rdb`,
        detail: 'FAILED: this copy will not reach the DR bucket',
      }),
    ]);
    // S3 answers a denied HEAD with a bare 403.
    aws.s3
      .on(HeadObjectCommand, { Bucket: EXPORT_BUCKET })
      .rejects(Object.assign(new Error('UnknownError'), { name: 'Forbidden', $metadata: { httpStatusCode: 403 } }));
    expect(failing((await report()).report)).toEqual([
      expect.objectContaining({ detail: expect.stringMatching(/^not checked: access denied, needs s3:GetObject/) }),
    ]);
  });

  it('dr.objectLock: the DR bucket must have Object Lock with that default retention', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'doctor-'));
    const file = join(dir, 'locked.json');
    writeFileSync(
      file,
      JSON.stringify({
        ...JSON.parse(readFileSync(CONFIG, 'utf8')),
        $schema: undefined,
        dr: { ...JSON.parse(readFileSync(CONFIG, 'utf8')).dr, objectLock: { mode: 'COMPLIANCE', days: 35 } },
      }),
    );
    const hash = configHash(loadConfig(file));
    world.stacks = { [PRIMARY]: { status: 'CREATE_COMPLETE', hash }, [DR]: { status: 'CREATE_COMPLETE', hash } };
    const lockOf = async () => {
      const r = await runInProcess(['doctor', '-c', file, '--json'], { clock });
      return { code: r.code, check: (JSON.parse(r.stdout) as DoctorReport).checks.find((c) => c.subject.endsWith('Object Lock')) };
    };
    // No Object Lock on the bucket (the handler of installAccount): it cannot be added later.
    expect(await lockOf()).toEqual({
      code: 1,
      check: expect.objectContaining({ state: 'fail', region: DR, fix: expect.stringContaining('only be turned on when a bucket is created') }),
    });
    aws.s3
      .on(GetObjectLockConfigurationCommand)
      .resolves({ ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 35 } } } });
    expect(await lockOf()).toEqual({ code: 0, check: expect.objectContaining({ state: 'pass', detail: 'COMPLIANCE 35 days' }) });
    rmSync(dir, { recursive: true, force: true });
  });

  it('vault: the export bucket must also replicate into the vault account, owner override, no deletions', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'doctor-'));
    const file = join(dir, 'vaulted.json');
    const raw = JSON.parse(readFileSync(CONFIG, 'utf8'));
    writeFileSync(
      file,
      JSON.stringify({
        ...raw,
        $schema: undefined,
        primary: { ...raw.primary, account: ACCOUNT },
        vault: { account: '222222222222', region: DR, retentionDays: 400 },
      }),
    );
    const hash = configHash(loadConfig(file));
    world.stacks = { [PRIMARY]: { status: 'CREATE_COMPLETE', hash }, [DR]: { status: 'CREATE_COMPLETE', hash } };
    const vaultCheck = async () => {
      const r = await runInProcess(['doctor', '-c', file, '--json'], { clock });
      return { code: r.code, check: (JSON.parse(r.stdout) as DoctorReport).checks.find((c) => c.subject.endsWith('replication to the vault')) };
    };
    expect(await vaultCheck()).toEqual({ code: 1, check: expect.objectContaining({ state: 'fail', detail: 'no rule to-vault: no copy reaches the vault' }) });
    const vaultBucket = `redis-dr-example-222222222222-${DR}`;
    world.replication = [
      ...(world.replication ?? []),
      {
        ID: 'to-vault',
        Status: 'Enabled',
        DeleteMarkerReplication: { Status: 'Disabled' },
        Destination: { Bucket: `arn:aws:s3:::${vaultBucket}`, Account: '222222222222', AccessControlTranslation: { Owner: 'Destination' } },
      },
    ];
    expect(await vaultCheck()).toEqual({ code: 0, check: expect.objectContaining({ state: 'pass' }) });
    rmSync(dir, { recursive: true, force: true });
  });

  it('vault copies (section vault): denied without the vault profile fails with the fix (exit 1); with it, a verified locked copy passes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'doctor-'));
    const file = join(dir, 'vaulted.json');
    const raw = JSON.parse(readFileSync(CONFIG, 'utf8'));
    writeFileSync(
      file,
      JSON.stringify({
        ...raw,
        $schema: undefined,
        primary: { ...raw.primary, account: ACCOUNT },
        vault: { account: VAULT_ACCOUNT, region: VAULT_REGION, retentionDays: 400 },
      }),
    );
    const hash = configHash(loadConfig(file));
    world.stacks = { [PRIMARY]: { status: 'CREATE_COMPLETE', hash }, [DR]: { status: 'CREATE_COMPLETE', hash } };
    world.replication = [
      ...(world.replication ?? []),
      {
        ID: 'to-vault',
        Status: 'Enabled',
        DeleteMarkerReplication: { Status: 'Disabled' },
        Destination: { Bucket: `arn:aws:s3:::${VAULT_BUCKET}`, Account: VAULT_ACCOUNT, AccessControlTranslation: { Owner: 'Destination' } },
      },
    ];
    const retentions: Retentions = new Map();
    installVault(aws, retentions);
    putVaultCopy(aws, retentions, 'rdr-sessions-prod-20261121-0700');
    const doctor = async (...args: string[]) => {
      const r = await runInProcess(['doctor', '-c', file, '--json', ...args], { clock });
      const report = JSON.parse(r.stdout) as DoctorReport;
      return { code: r.code, vault: report.checks.filter((c) => c.section === 'vault') };
    };

    const denied = await doctor();
    expect(denied.code).toBe(1);
    expect(denied.vault).toEqual([
      // The lifecycle check reads the vault's versions with the vault account's credentials too.
      expect.objectContaining({
        subject: `vault bucket ${VAULT_BUCKET} lifecycle expiry`,
        state: 'fail',
        detail: expect.stringContaining('--vault-profile'),
      }),
      expect.objectContaining({
        subject: `s3://${VAULT_BUCKET}`,
        state: 'fail',
        detail: 'vault copies not read',
        fix: expect.stringContaining(`pass --vault-profile <a profile of account ${VAULT_ACCOUNT}>`),
      }),
    ]);

    const read = await doctor('--vault-profile', VAULT_PROFILE);
    expect(read.code).toBe(0);
    expect(read.vault).toEqual([
      expect.objectContaining({ subject: `vault bucket ${VAULT_BUCKET} lifecycle expiry`, state: 'pass' }),
      {
        section: 'vault',
        region: VAULT_REGION,
        subject: 'sessions/sessions-prod vault copy',
        state: 'pass',
        detail: 'rdr-sessions-prod-20261121-0700 is 2h 59m old (limit 5h 30m), verified ok, retained until 2027-12-26 06:00Z (COMPLIANCE)',
        fix: null,
      },
    ]);

    // A forged redis-dr:verified=ok tag (replicated from the workload account) without a verdict object never passes.
    aws.state.objects.delete(VAULT_BUCKET);
    installVault(aws, retentions);
    putVaultCopy(aws, retentions, 'rdr-sessions-prod-20261121-0700', { verified: null, forgedTag: true });
    const forged = await doctor('--vault-profile', VAULT_PROFILE);
    expect(forged.vault.filter((c) => c.subject.endsWith('vault copy'))).toEqual([
      expect.objectContaining({
        subject: 'sessions/sessions-prod vault copy',
        state: 'warn',
        detail: expect.stringContaining(
          `not verified (yet) by the vault's verifier: no verdict object s3://${VAULT_BUCKET}/redis-dr-vault-verdicts/rdr-sessions-prod-20261121-0700-0001.rdb.json`,
        ),
      }),
    ]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('credentials of another account than the config names: one line, exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'doctor-'));
    const file = join(dir, 'other.json');
    writeFileSync(
      file,
      JSON.stringify({ ...JSON.parse(readFileSync(CONFIG, 'utf8')), $schema: undefined, primary: { region: PRIMARY, account: '999988887777' } }),
    );
    const r = await runInProcess(['doctor', '-c', file], { clock });
    rmSync(dir, { recursive: true, force: true });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `redis-dr: the AWS credentials in use are for account ${ACCOUNT}, but the config names primary.account 999988887777: use a profile of account 999988887777 (aws sts get-caller-identity shows the one in use)\n`,
    );
  });

  it("STS unreachable with the config naming the account: the credentials line warns, the checks run with the config's account", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'doctor-'));
    const file = join(dir, 'named.json');
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(CONFIG, 'utf8')), $schema: undefined, primary: { region: PRIMARY, account: ACCOUNT } }));
    const hash = configHash(loadConfig(file));
    world.stacks = { [PRIMARY]: { status: 'CREATE_COMPLETE', hash }, [DR]: { status: 'CREATE_COMPLETE', hash } };
    aws.sts.on(GetCallerIdentityCommand).rejects(Object.assign(new Error('connect ETIMEDOUT'), { name: 'TimeoutError' }));
    const r = await runInProcess(['doctor', '-c', file, '--json'], { clock });
    rmSync(dir, { recursive: true, force: true });
    const doc = JSON.parse(r.stdout) as DoctorReport;
    expect(r.code).toBe(0);
    expect(doc.checks[0]).toMatchObject({
      section: 'credentials',
      state: 'warn',
      subject: `account ${ACCOUNT}`,
      detail: expect.stringContaining('not confirmed'),
    });
    expect(doc.counts.fail).toBe(0);
  });

  it('a config changed since the last deploy fails: run cdk deploy', async () => {
    world.stacks[DR] = { status: 'UPDATE_COMPLETE', hash: '0123456789abcdef' };
    const r = await run();
    expect(r.code).toBe(1);
    expect(line(r.stdout, 'RedisDr-example-Dr config')).toBe(
      `  FAIL  ${DR}  RedisDr-example-Dr config: config changed since the last deploy (deployed ConfigHash 0123456789abcdef, this config ${HASH}) -> run cdk deploy: npx cdk deploy --all -c config=${CONFIG}`,
    );
  });

  it('an alarm in ALARM fails by name; INSUFFICIENT_DATA only warns', async () => {
    world.alarms = [
      { AlarmName: 'redis-dr-example-recovery-point-age-sessions', StateValue: 'ALARM', StateReason: 'Threshold Crossed' },
      { AlarmName: 'redis-dr-example-verified-copy-age-sessions', StateValue: 'INSUFFICIENT_DATA' },
    ];
    const { code, report: doc } = await report();
    expect(code).toBe(1);
    const alarms = doc.checks.filter((c) => c.section === 'alarms' && c.region === PRIMARY);
    expect(alarms.map((c) => [c.state, c.subject])).toEqual([
      ['fail', 'redis-dr-example-recovery-point-age-sessions'],
      ['warn', '1 alarm(s)'],
    ]);
  });

  it('only warnings (an alarm without data yet) still exit 0', async () => {
    world.alarms = [{ AlarmName: 'redis-dr-example-verified-copy-age-sessions', StateValue: 'INSUFFICIENT_DATA' }];
    const { code, report: doc } = await report();
    expect(code).toBe(0);
    expect(doc.counts).toMatchObject({ fail: 0, warn: 2 });
  });

  it('a Describe throttled past its retries is a failed check that says so, never a pass', async () => {
    cw.on(DescribeAlarmsCommand).rejects(throttled());
    const r = await run();
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    expect(line(r.stdout, 'redis-dr-example-*')).toMatch(/FAIL {2}eu-west-1 {2}redis-dr-example-\*: not checked: throttled .*run doctor again/);
  });

  it('a denied Describe names the permission it needs; the other checks still run', async () => {
    cfn.on(DescribeStacksCommand).rejects(denied('cloudformation:DescribeStacks'));
    const { code, report: doc } = await report();
    expect(code).toBe(1);
    const stacks = doc.checks.filter((c) => c.section === 'stacks');
    expect(stacks).toHaveLength(2);
    for (const c of stacks)
      expect(c).toMatchObject({ state: 'fail', detail: expect.stringMatching(/^not checked: access denied, needs cloudformation:DescribeStacks/) });
    expect(doc.checks.filter((c) => c.section === 'schedules').every((c) => c.state === 'pass')).toBe(true);
  });

  it('no credentials: one line, exit 2, nothing else called', async () => {
    aws.state.credentials = false;
    const r = await run();
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^redis-dr: no AWS credentials found: .*\n$/);
    expect(cfn.calls()).toHaveLength(0);
  });

  it('AWS not reached in one region, nothing deployed in the other: the network line, no "deploy first" (issue 53 item 10)', async () => {
    world.stacks = {};
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    cfn.on(DescribeStacksCommand).callsFake(async (i: { StackName: string }, getClient) => {
      if ((await regionOf(getClient)) === PRIMARY) throw refused;
      throw Object.assign(new Error(`Stack with id ${i.StackName} does not exist`), { name: 'ValidationError' });
    });
    const r = await run();
    expect(r.code).toBe(1);
    expect(line(r.stdout, `AWS in ${PRIMARY}`)).toContain('not reached');
    // Whether the primary stack is deployed is unknown: nothing presumes AWS answered there.
    expect(r.stdout).not.toContain('deploy first');
    expect(r.stdout).not.toContain('no stack of the deployment is deployed');
  });

  it('nothing deployed in either region: one line per region and per unmeasurable section, exit 1, no stack trace', async () => {
    world.stacks = {};
    const r = await run();
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    expect(line(r.stdout, 'RedisDr-example-Primary')).toBe(
      `  FAIL  ${PRIMARY}  RedisDr-example-Primary: not deployed in ${PRIMARY} (DescribeStacks: does not exist) -> deploy it: npx cdk deploy --all -c config=${CONFIG}`,
    );
    expect(line(r.stdout, 'RedisDr-example-Dr')).toContain('not deployed in eu-central-1');
    expect(r.stdout).not.toMatch(/^schedules$|^buckets$|^alarms$/m);
    expect(line(r.stdout, 'recovery points and drills')).toContain('not measured: no stack of the deployment is deployed');
    expect(r.stdout).not.toMatch(/\n\s+at /);
  });
});
