import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeCacheClustersCommand, DescribeReplicationGroupsCommand, ElastiCacheClient } from '@aws-sdk/client-elasticache';
import {
  GetBucketAclCommand,
  GetBucketPolicyCommand,
  GetBucketVersioningCommand,
  GetObjectAclCommand,
  GetObjectLockConfigurationCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { GetScheduleCommand, GetScheduleGroupCommand, ListSchedulesCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { ListSubscriptionsByTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { type DoctorInput, runDoctorChecks } from '../../../../lambdas/jobs/doctor/checks.js';
import type { DoctorCheck } from '../../../../lambdas/domain/doctor/check.js';
import { vaultExpiryBound } from '../../../../lambdas/domain/doctor/object-checks.js';
import { vaultTierDays } from '../../../../lambdas/domain/vault/vault-retention.js';

const REGION = 'eu-south-2'; // an opt-in region: the bucket-policy route
const cfn = mockClient(CloudFormationClient);
const cw = mockClient(CloudWatchClient);
const ec = mockClient(ElastiCacheClient);
const s3 = mockClient(S3Client);
const sched = mockClient(SchedulerClient);
const sns = mockClient(SNSClient);
const clients = {
  cloudformation: () => new CloudFormationClient({ region: REGION }),
  cloudwatch: () => new CloudWatchClient({ region: REGION }),
  elasticache: () => new ElastiCacheClient({ region: REGION }),
  s3: () => new S3Client({ region: REGION }),
  scheduler: () => new SchedulerClient({ region: REGION }),
  sns: () => new SNSClient({ region: REGION }),
  wrap: <T>(call: () => Promise<T>) => call(),
};
const BUCKET = 'redis-dr-x-111122223333-eu-south-2';
const input: DoctorInput = {
  regions: [
    {
      where: 'dr',
      region: REGION,
      stackName: 'RedisDr-x-Dr',
      scheduleGroupArn: `arn:aws:scheduler:${REGION}:111122223333:schedule-group/redis-dr-x-dr`,
      alarmPrefix: 'redis-dr-x-',
      buckets: [
        {
          role: 'dr',
          name: BUCKET,
          objectLock: { mode: 'COMPLIANCE', days: 30 },
          route: 'bucket-policy',
          principal: `${REGION}.elasticache-snapshot.amazonaws.com`,
          aclPermissions: ['READ', 'READ_ACP'],
        },
      ],
      targets: [{ plan: 'p', kind: 'replication-group', id: 'gone', exports: true }],
    },
  ],
  configHash: 'abc',
  configHashOutput: 'ConfigHash',
  alertTopicOutput: 'AlertTopicArn',
  deploy: 'npx cdk deploy --all -c config=x.json',
  now: new Date('2026-11-21T10:00:00Z'),
};
const TOPIC = `arn:aws:sns:${REGION}:111122223333:t`;

beforeEach(() => {
  for (const m of [cfn, cw, ec, s3, sched, sns]) m.reset();
  cfn.on(DescribeStacksCommand).resolves({
    Stacks: [
      {
        StackName: 'RedisDr-x-Dr',
        StackStatus: 'CREATE_COMPLETE',
        CreationTime: new Date(),
        Outputs: [
          { OutputKey: 'ConfigHash', OutputValue: 'abc' },
          { OutputKey: 'AlertTopicArn', OutputValue: TOPIC },
        ],
      },
    ],
  });
  sched.on(GetScheduleGroupCommand).resolves({ CreationDate: new Date() });
  sched.on(ListSchedulesCommand).resolves({ Schedules: [{ Name: 's1' }] });
  sched.on(GetScheduleCommand).resolves({ State: 'ENABLED', ScheduleExpression: 'rate(5 minutes)' });
  sns
    .on(ListSubscriptionsByTopicCommand)
    .resolves({ Subscriptions: [{ SubscriptionArn: `${TOPIC}:1`, Protocol: 'https', Endpoint: 'https://pager.example.com' }] });
  s3.on(GetBucketVersioningCommand).resolves({ Status: 'Enabled' });
  s3.on(GetObjectLockConfigurationCommand).resolves({
    ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 30 } } },
  });
  s3.on(GetBucketPolicyCommand).resolves({
    Policy: JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: { Service: [`${REGION}.elasticache-snapshot.amazonaws.com`] } }] }),
  });
  cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: 'redis-dr-x-a', StateValue: 'OK' }] });
  ec.on(DescribeReplicationGroupsCommand).rejects(Object.assign(new Error('ReplicationGroup gone not found.'), { name: 'ReplicationGroupNotFoundFault' }));
});

const run = async () => (await runDoctorChecks(input, clients)).checks;
const states = (checks: readonly DoctorCheck[]) => checks.map((c) => `${c.state} ${c.section} ${c.subject}`);

describe('runDoctorChecks', () => {
  it('checks each setting of the region; the bucket-policy route reads no ACL; a missing target fails with the fix', async () => {
    const checks = await run();
    expect(states(checks)).toEqual([
      'pass stacks RedisDr-x-Dr',
      'pass stacks RedisDr-x-Dr config',
      'pass schedules s1',
      'pass alerts topic t',
      `pass buckets DR bucket ${BUCKET} versioning`,
      `pass buckets DR bucket ${BUCKET} Object Lock`,
      `pass buckets DR bucket ${BUCKET} ElastiCache access`,
      'pass alarms redis-dr-x-*',
      'fail targets p/gone',
    ]);
    expect(checks.find((c) => c.section === 'schedules')!.detail).toBe('enabled, runs every 5 minutes (rate(5 minutes) UTC)');
    expect(checks.at(-1)).toMatchObject({
      detail: `replication-group gone not found in ${REGION}`,
      fix: "fix the id in plan p's targets, or create the cache",
    });
    expect(s3.commandCalls(GetBucketAclCommand)).toHaveLength(0);
    expect(ec.commandCalls(DescribeCacheClustersCommand)).toHaveLength(0);
  });

  it("reads each stack's drift as CloudFormation last detected it: DRIFTED warns with what to run; IN_SYNC adds no check; both are kept for the selftest record", async () => {
    const stack = (status: 'DRIFTED' | 'IN_SYNC' | undefined) =>
      cfn.on(DescribeStacksCommand).resolves({
        Stacks: [
          {
            StackName: 'RedisDr-x-Dr',
            StackStatus: 'UPDATE_COMPLETE',
            CreationTime: new Date(),
            Outputs: [
              { OutputKey: 'ConfigHash', OutputValue: 'abc' },
              { OutputKey: 'AlertTopicArn', OutputValue: TOPIC },
            ],
            ...(status ? { DriftInformation: { StackDriftStatus: status, LastCheckTimestamp: new Date('2026-11-20T03:00:00Z') } } : {}),
          },
        ],
      });
    stack('DRIFTED');
    const drifted = await runDoctorChecks(input, clients);
    expect(drifted.stacks).toEqual([{ stack: 'RedisDr-x-Dr', region: REGION, drift: 'DRIFTED', checkedAt: '2026-11-20T03:00:00.000Z' }]);
    expect(drifted.checks.find((c) => c.subject === 'RedisDr-x-Dr drift')).toMatchObject({
      state: 'warn',
      detail: "DRIFTED: CloudFormation's drift detection of 2026-11-20T03:00:00.000Z found resources changed outside the stack",
      fix: expect.stringContaining(`aws cloudformation describe-stack-resource-drifts --region ${REGION} --stack-name RedisDr-x-Dr`),
    });
    stack('IN_SYNC');
    const inSync = await runDoctorChecks(input, clients);
    expect(inSync.stacks).toEqual([{ stack: 'RedisDr-x-Dr', region: REGION, drift: 'IN_SYNC', checkedAt: '2026-11-20T03:00:00.000Z' }]);
    expect(inSync.checks.some((c) => c.subject.endsWith(' drift'))).toBe(false);
    stack(undefined);
    expect((await runDoctorChecks(input, clients)).stacks).toEqual([]);
  });

  it('Object Lock weaker than the config fails; without Object Lock it names why it cannot be added later', async () => {
    s3.on(GetObjectLockConfigurationCommand).resolves({
      ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 30 } } },
    });
    expect((await run()).find((c) => c.subject.endsWith('Object Lock'))).toMatchObject({
      state: 'fail',
      detail: 'default retention GOVERNANCE 30 days, config says COMPLIANCE 30',
    });
    s3.on(GetObjectLockConfigurationCommand).rejects(Object.assign(new Error('none'), { name: 'ObjectLockConfigurationNotFoundError' }));
    expect((await run()).find((c) => c.subject.endsWith('Object Lock'))).toMatchObject({
      state: 'fail',
      fix: expect.stringContaining('only be turned on when a bucket is created'),
    });
  });

  it('a region whose AWS endpoints cannot be reached is one line, not one failure per check blaming permissions', async () => {
    cfn.on(DescribeStacksCommand).rejects(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }));
    const checks = await run();
    expect(states(checks)).toEqual([`fail network AWS in ${REGION}`]);
    expect(checks[0]!.detail).toMatch(/^not reached \(.*ECONNREFUSED.*\): the other checks of eu-south-2 were not run$/);
    expect(s3.calls()).toHaveLength(0);
  });

  it('an access denied on the stack is still its own check (an answer from AWS, not a network failure)', async () => {
    cfn.on(DescribeStacksCommand).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDenied' }));
    expect(states(await run())[0]).toBe('fail stacks RedisDr-x-Dr');
  });

  it('a bucket that does not exist is one line, not one per setting', async () => {
    s3.on(GetBucketVersioningCommand).rejects(Object.assign(new Error('The specified bucket does not exist'), { name: 'NoSuchBucket' }));
    const buckets = (await run()).filter((c) => c.section === 'buckets');
    expect(buckets).toEqual([expect.objectContaining({ state: 'fail', subject: `DR bucket ${BUCKET}`, detail: 'does not exist' })]);
  });

  it('a policy without the regional ElastiCache principal fails: ElastiCache cannot seed a restore', async () => {
    s3.on(GetBucketPolicyCommand).rejects(Object.assign(new Error('The bucket policy does not exist'), { name: 'NoSuchBucketPolicy' }));
    expect((await run()).find((c) => c.subject.endsWith('ElastiCache access'))).toMatchObject({
      state: 'fail',
      detail: expect.stringContaining('cannot seed a restore from it'),
    });
  });

  it('a failed first deploy (ROLLBACK_COMPLETE) fails; a rolled-back update warns; a stack without ConfigHash warns', async () => {
    cfn
      .on(DescribeStacksCommand)
      .resolves({ Stacks: [{ StackName: 'RedisDr-x-Dr', StackStatus: 'ROLLBACK_COMPLETE', CreationTime: new Date(), Outputs: [] }] });
    expect((await run()).filter((c) => c.section === 'stacks')).toEqual([
      expect.objectContaining({ state: 'fail', detail: 'ROLLBACK_COMPLETE: the stack is not usable' }),
    ]);
    cfn
      .on(DescribeStacksCommand)
      .resolves({ Stacks: [{ StackName: 'RedisDr-x-Dr', StackStatus: 'UPDATE_ROLLBACK_COMPLETE', CreationTime: new Date(), Outputs: [] }] });
    expect(states((await run()).filter((c) => c.section === 'stacks'))).toEqual(['warn stacks RedisDr-x-Dr', 'warn stacks RedisDr-x-Dr config']);
  });

  it('a denied SNS listing (AuthorizationError) names sns:ListSubscriptionsByTopic and is a failure', async () => {
    sns.on(ListSubscriptionsByTopicCommand).rejects(Object.assign(new Error('not authorized'), { name: 'AuthorizationError' }));
    expect((await run()).find((c) => c.section === 'alerts')).toMatchObject({
      state: 'fail',
      detail: expect.stringMatching(/^not checked: access denied, needs sns:ListSubscriptionsByTopic/),
      fix: expect.stringContaining('grant sns:ListSubscriptionsByTopic'),
    });
  });

  it('a topic without any subscription fails: nobody will be paged', async () => {
    sns.on(ListSubscriptionsByTopicCommand).resolves({ Subscriptions: [] });
    expect((await run()).find((c) => c.section === 'alerts')).toMatchObject({ state: 'fail', detail: 'no subscriptions: nobody will be paged' });
  });
});

describe('the owner of the newest export (ElastiCache writes under BucketOwnerPreferred)', () => {
  const EXPORT_BUCKET = 'redis-dr-x-111122223333-eu-west-1';
  const KEY = 'rdr-rg-a-20261121-0300-0001.rdb';
  const withExport: DoctorInput = {
    ...input,
    regions: [{ ...input.regions[0]!, buckets: [], targets: [] }],
    copies: new Map([['rg-a', { exported: { region: REGION, bucket: EXPORT_BUCKET, exportName: 'rdr-rg-a-20261121-0300' } }]]),
    exportRoute: () => 'acl',
  };
  const withTarget: DoctorInput = {
    ...withExport,
    regions: [{ ...input.regions[0]!, buckets: [], targets: [{ plan: 'p', kind: 'replication-group', id: 'rg-a', exports: true }] }],
  };
  const ownerCheck = async () => (await runDoctorChecks(withTarget, clients)).checks.find((c) => c.subject.includes('owner of'));
  beforeEach(() => {
    s3.on(HeadObjectCommand).resolves({ ReplicationStatus: 'COMPLETED' });
    s3.on(GetBucketAclCommand).resolves({ Owner: { ID: 'bucket-owner-id' }, Grants: [] });
  });

  it('passes when the bucket owner owns the newest export', async () => {
    s3.on(GetObjectAclCommand).resolves({ Owner: { ID: 'bucket-owner-id' } });
    expect(await ownerCheck()).toMatchObject({ state: 'pass', subject: `export bucket ${EXPORT_BUCKET} owner of ${KEY}` });
    expect(s3.commandCalls(GetObjectAclCommand)[0]!.args[0].input).toEqual({ Bucket: EXPORT_BUCKET, Key: KEY });
  });

  it("fails when ElastiCache's account still owns it, and says to move to the bucket-policy route (or copy the object over itself)", async () => {
    s3.on(GetObjectAclCommand).resolves({ Owner: { ID: 'elasticache-canonical-id' } });
    expect(await ownerCheck()).toMatchObject({
      state: 'fail',
      detail: expect.stringContaining('owned by canonical user elasticache-canonical-id, not the bucket owner bucket-owner-id'),
      fix: expect.stringContaining('set dr.elastiCacheBucketAccess to "bucket-policy"'),
    });
  });

  it('a denied GetObjectAcl is a failure that names the permission', async () => {
    s3.on(GetObjectAclCommand).rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }));
    expect(await ownerCheck()).toMatchObject({ state: 'fail', detail: expect.stringContaining('needs s3:GetObjectAcl and s3:GetBucketAcl') });
  });
});

describe("the vault's lifecycle expiry (Deny s3:DeleteObject must not stop it)", () => {
  const VAULT_BUCKET = 'redis-dr-x-444455556666-eu-south-2';
  // vault.retentionDays 400: the rule expires at 401 days, the noncurrent version a day later, 2 days of S3 lag.
  const bound = vaultExpiryBound(vaultTierDays(400));
  const withVault: DoctorInput = {
    ...input,
    regions: [],
    vaultLifecycle: { bucket: VAULT_BUCKET, region: REGION, account: '444455556666', bound },
  };
  const day = (n: number) => new Date(input.now.getTime() - n * 86_400_000);
  const expiry = async () => (await runDoctorChecks(withVault, { ...clients, vaultS3: () => new S3Client({ region: REGION }) })).checks;

  it('passes when no version is older than the lifecycle day plus its grace, and says when the oldest is due', async () => {
    s3.on(ListObjectVersionsCommand).resolves({
      Versions: [{ Key: 'rdr-a-0001.rdb', VersionId: 'v1', LastModified: day(403) }],
      DeleteMarkers: [{ Key: 'rdr-b-0001.rdb', VersionId: 'm1', LastModified: day(900) }],
    });
    const [check] = await expiry();
    expect(check).toMatchObject({ state: 'pass', section: 'vault', detail: expect.stringContaining('nothing older than 404 days') });
    // Read in the vault account: S3 refuses a bucket of that name owned by anyone else.
    expect(s3.commandCalls(ListObjectVersionsCommand)[0]!.args[0].input).toMatchObject({ Bucket: VAULT_BUCKET, ExpectedBucketOwner: '444455556666' });
  });

  it('fails when a replica version outlives its lifecycle day, naming it and how to find why', async () => {
    s3.on(ListObjectVersionsCommand).resolves({
      Versions: [
        { Key: 'rdr-a-0001.rdb', VersionId: 'v-new', LastModified: day(10) },
        { Key: 'rdr-a-0001.rdb', VersionId: 'v-old', LastModified: day(405) },
      ],
    });
    const [check] = await expiry();
    expect(check).toMatchObject({
      state: 'fail',
      detail: expect.stringContaining('1 version(s) written more than 404 days ago are still there (oldest: rdr-a-0001.rdb version v-old'),
      fix: expect.stringContaining(`aws s3api get-bucket-lifecycle-configuration --bucket ${VAULT_BUCKET}`),
    });
  });

  it('without the vault account credentials the denied listing fails and names --vault-profile', async () => {
    s3.on(ListObjectVersionsCommand).rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }));
    const [check] = await expiry();
    expect(check).toMatchObject({ state: 'fail', detail: expect.stringContaining('s3:ListBucketVersions on the vault bucket') });
    expect(check!.detail).toContain('--vault-profile');
  });
});
