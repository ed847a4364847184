/**
 * A redis-dr deployment seeded into moto under the names lib/deployment.ts
 * derives: replication groups of both cluster modes and a tag-selected one,
 * the recovery buckets, the alert topics, the stacks with their outputs and
 * the schedule groups. What the stacks would deploy (functions, alarms,
 * state machines) is not there: the commands run the Lambda code
 * themselves, and what they read of a stack is its outputs.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { CreateCacheClusterCommand, CreateReplicationGroupCommand, ElastiCacheClient } from '@aws-sdk/client-elasticache';
import {
  CreateBucketCommand,
  PutBucketAclCommand,
  PutBucketPolicyCommand,
  PutBucketReplicationCommand,
  PutBucketVersioningCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { CreateScheduleGroupCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { elastiCacheCanonicalUserId } from '../../../lib/constructs/elasticache-s3-access.js';
import { validateConfig, type RedisDrConfig } from '../../../lib/config/index.js';
import { CONFIG_HASH_OUTPUT, configHash, recoveryBucketName, replicationRoleName, scheduleGroupName, stackNames } from '../../../lib/deployment.js';
import type { MotoAws } from '../../support/moto-aws.js';

/** moto's account: every request is answered as this one. */
export const MOTO_ACCOUNT = '123456789012';
export const PRIMARY = 'eu-west-1';
/** The canonical user moto's S3 answers as the buckets' owner. */
const MOTO_CANONICAL_OWNER = '75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a';
export const DR = 'eu-central-1';

/** The deployment's config as written (validated into {@link SeededDeployment.config}). */
export const RAW_CONFIG = {
  name: 'moto',
  primary: { region: PRIMARY, account: MOTO_ACCOUNT },
  dr: { region: DR, account: MOTO_ACCOUNT },
  alerts: { emails: ['oncall@example.com'] },
  plans: [
    {
      name: 'sessions',
      targets: { replicationGroupIds: ['sessions-prod'] },
      schedule: { cron: 'cron(0 0/2 * * ? *)' },
      rpoMinutes: 210,
      export: { enabled: true, minTier: 'hourly' },
      retention: { hourly: 2, daily: 1, weekly: 1, monthly: 1, minKeep: 1 },
    },
    {
      name: 'queues',
      targets: { selectByTags: { 'redis-dr/backup': 'queues' } },
      schedule: { cron: 'cron(0 0/4 * * ? *)' },
      rpoMinutes: 300,
      retention: { hourly: 6, daily: 14, weekly: 8, monthly: 6 },
    },
  ],
};

/** What the tests read back. */
export interface SeededDeployment {
  readonly config: RedisDrConfig;
  /** The config file the CLI reads (REDIS_DR_CONFIG), in `dir`, a scratch directory of the test's. */
  readonly file: string;
  readonly dir: string;
  readonly exportBucket: string;
  readonly drBucket: string;
  readonly env: Record<string, string>;
  remove(): void;
}

const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

/** An SDK client of `Ctor` at the shim's endpoint in `region`. */
export function motoClient<T>(Ctor: new (c: object) => T, aws: MotoAws, region: string): T {
  return new Ctor({ endpoint: aws.endpoint, region, credentials: CREDENTIALS, forcePathStyle: true });
}

/** The environment of a CLI run against moto: dummy credentials, every endpoint the shim's. */
export function motoEnv(aws: MotoAws, file: string): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_SESSION_TOKEN: '',
    AWS_REGION: PRIMARY,
    AWS_ENDPOINT_URL: aws.endpoint,
    AWS_ENDPOINT_URL_S3: aws.endpoint,
    AWS_EC2_METADATA_DISABLED: 'true',
    REDIS_DR_CONFIG: file,
  };
}

/** Seeds the deployment of {@link RAW_CONFIG} into moto. */
export async function seedDeployment(aws: MotoAws): Promise<SeededDeployment> {
  const checked = validateConfig(RAW_CONFIG);
  if (!checked.ok) throw new Error(`the moto config is invalid: ${checked.problems.join('; ')}`);
  const config = checked.config;
  const dir = mkdtempSync(join(tmpdir(), 'redis-dr-moto-'));
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify(RAW_CONFIG));

  const ec = motoClient(ElastiCacheClient, aws, PRIMARY);
  const common = { CacheNodeType: 'cache.t4g.small', ReplicationGroupDescription: 'seeded' };
  await ec.send(
    new CreateReplicationGroupCommand({
      ...common,
      ReplicationGroupId: 'sessions-prod',
      Engine: 'valkey',
      ClusterMode: 'enabled',
      NumNodeGroups: 2,
      ReplicasPerNodeGroup: 1,
    }),
  );
  await ec.send(
    new CreateReplicationGroupCommand({
      ...common,
      ReplicationGroupId: 'queues-prod',
      Engine: 'redis',
      NumCacheClusters: 1,
      Tags: [{ Key: 'redis-dr/backup', Value: 'queues' }],
    }),
  );
  // moto 5.2.1 makes no member clusters (MOTO_DEVIATIONS): the ones DescribeReplicationGroups names are created here.
  for (const [group, members] of [
    ['sessions-prod', ['sessions-prod-0001-001', 'sessions-prod-0001-002', 'sessions-prod-0002-001', 'sessions-prod-0002-002']],
    ['queues-prod', ['queues-prod-001']],
  ] as const) {
    for (const id of members) {
      await ec.send(
        new CreateCacheClusterCommand({
          CacheClusterId: id,
          ReplicationGroupId: group,
          CacheNodeType: common.CacheNodeType,
          Engine: 'redis',
          NumCacheNodes: 1,
        }),
      );
    }
  }

  const exportBucket = recoveryBucketName(config.name, MOTO_ACCOUNT, PRIMARY);
  const drBucket = recoveryBucketName(config.name, MOTO_ACCOUNT, DR);
  for (const [bucket, region] of [
    [exportBucket, PRIMARY],
    [drBucket, DR],
  ] as const) {
    const s3 = motoClient(S3Client, aws, region);
    await s3.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: region } }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
    // ElastiCache's way in as the stacks set it (the ACL route in these regions): its principal in the policy, its canonical user in the ACL.
    const principal = `${region}.elasticache-snapshot.amazonaws.com`;
    const statement = { Sid: 'ElastiCache', Effect: 'Allow', Principal: { Service: principal }, Action: ['s3:GetObject', 's3:ListBucket', 's3:GetBucketAcl'] };
    await s3.send(
      new PutBucketPolicyCommand({
        Bucket: bucket,
        Policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ ...statement, Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`] }] }),
      }),
    );
    const owner = { ID: MOTO_CANONICAL_OWNER, Type: 'CanonicalUser' as const };
    const grantee = { ID: elastiCacheCanonicalUserId(region), Type: 'CanonicalUser' as const };
    await s3.send(
      new PutBucketAclCommand({
        Bucket: bucket,
        AccessControlPolicy: {
          Owner: owner,
          Grants: [
            { Grantee: owner, Permission: 'FULL_CONTROL' },
            ...(['READ', 'WRITE', 'READ_ACP'] as const).map((Permission) => ({ Grantee: grantee, Permission })),
          ],
        },
      }),
    );
  }
  await motoClient(S3Client, aws, PRIMARY).send(
    new PutBucketReplicationCommand({
      Bucket: exportBucket,
      ReplicationConfiguration: {
        Role: `arn:aws:iam::${MOTO_ACCOUNT}:role/${replicationRoleName(config.name, PRIMARY)}`,
        Rules: [
          {
            ID: 'to-dr-region',
            Status: 'Enabled',
            Priority: 1,
            Filter: { Prefix: '' },
            DeleteMarkerReplication: { Status: 'Disabled' },
            Destination: { Bucket: `arn:aws:s3:::${drBucket}` },
          },
        ],
      },
    }),
  );

  const names = stackNames(config);
  for (const [where, region, stack] of [
    ['primary', PRIMARY, names.primary],
    ['dr', DR, names.dr],
  ] as const) {
    const topic = await motoClient(SNSClient, aws, region).send(new CreateTopicCommand({ Name: `redis-dr-${config.name}-alerts` }));
    await motoClient(SchedulerClient, aws, region).send(new CreateScheduleGroupCommand({ Name: scheduleGroupName(config.name, where) }));
    // A stack whose only resource is a wait-condition handle: what doctor reads is its status and outputs.
    const template = {
      Resources: { Handle: { Type: 'AWS::CloudFormation::WaitConditionHandle' } },
      Outputs: { AlertTopicArn: { Value: topic.TopicArn }, [CONFIG_HASH_OUTPUT]: { Value: configHash(config) } },
    };
    await motoClient(CloudFormationClient, aws, region).send(new CreateStackCommand({ StackName: stack, TemplateBody: JSON.stringify(template) }));
  }
  return { config, file, dir, exportBucket, drBucket, env: motoEnv(aws, file), remove: () => rmSync(dir, { recursive: true, force: true }) };
}
