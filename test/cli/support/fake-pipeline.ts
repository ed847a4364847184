/**
 * The whole pipeline of a deployed account, in memory, for `redis-dr
 * snapshot`, `export`, `verify-copy` and `selftest`: on top of
 * {@link fakeAws} (snapshots, tags, objects, executions), snapshots that
 * become available, exports that write `<name>-0001.rdb` into the export
 * bucket, replication to the DR bucket (with the DR verifier's verdict as a
 * tag) once the replication status is read, the stacks (CloudFormation) and
 * the alert topics (SNS). Faults are set on `faults`.
 */
import { verdictAnswersOfTags } from '../../support/verdict-store.js';
import { isVerdictObjectKey } from '../../../lambdas/domain/points/verdict-objects.js';
import { createHash } from 'node:crypto';
import { DescribeStacksCommand, CloudFormationClient } from '@aws-sdk/client-cloudformation';
import {
  AddTagsToResourceCommand,
  CopySnapshotCommand,
  CreateReplicationGroupCommand,
  type CreateReplicationGroupCommandInput,
  CreateSnapshotCommand,
  DeleteReplicationGroupCommand,
  DeleteSnapshotCommand,
  DescribeCacheClustersCommand,
  DescribeSnapshotsCommand,
  InvalidSnapshotStateFault,
} from '@aws-sdk/client-elasticache';
import { elastiCacheCanonicalUserId } from '../../../lib/constructs/elasticache-s3-access.js';
import {
  GetBucketAclCommand,
  GetBucketPolicyCommand,
  GetBucketReplicationCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  type S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { ListSubscriptionsByTopicCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { sdkStreamMixin } from '@smithy/core/serde';
import { mockClient } from 'aws-sdk-client-mock';
import { Readable } from 'node:stream';
import { ACCOUNT, fakeAws } from './fake-aws.js';

/** Who is denied what, as AWS words it (`User: <arn> is not authorized to perform: <action> on resource: <arn>`). */
export function accessDenied(action: string, role = 'redis-dr-operator'): Error {
  return Object.assign(
    new Error(
      `User: arn:aws:sts::${ACCOUNT}:assumed-role/${role}/alice is not authorized to perform: ${action} on resource: arn:aws:${action.split(':')[0]}:eu-west-1:${ACCOUNT}:x because no identity-based policy allows the ${action} action`,
    ),
    {
      name: action.startsWith('s3:') ? 'AccessDenied' : action.startsWith('sns:') ? 'AuthorizationError' : 'AccessDeniedException',
      $metadata: { httpStatusCode: 403 },
    },
  );
}

/** The pipeline's state and faults. */
export interface Pipeline {
  /** Stacks by name (absent: not deployed); status and outputs. */
  stacks: Map<string, { status: string; outputs: Record<string, string> }>;
  /** Subscriptions by topic ARN. */
  subscriptions: Map<string, { Protocol: string; Endpoint: string; SubscriptionArn: string }[]>;
  published: { TopicArn?: string; Subject?: string; Message?: string }[];
  /** Objects' bodies written with PutObject (the selftest records). */
  bodies: Map<string, string>;
  faults: {
    /** An SDK operation name → the error it throws. */
    denied: Map<string, Error>;
    /** Replication status the export bucket's objects get (default COMPLETED). */
    replication: string;
    /** The DR verifier's verdict (default ok). */
    verdict: string;
    /** What the DR verifier says of the file (its `redis-dr:rdb` tag; default `v=11 keys=1000 expires=0 string=1000`). */
    rdb: string;
    /** The status a snapshot being created ends in (default available). */
    snapshotEnds: string;
    /** Looks by name (DescribeSnapshots) a snapshot being created stays `creating` for before it ends (default 0: the first look). */
    creatingLooks: number;
    /** DeleteSnapshot calls refused as busy (InvalidSnapshotState, as while a snapshot is exported) before one goes through (default 0). */
    busyDeletes: number;
  };
  /** Replication groups and snapshots deleted, in order. */
  deleted: string[];
}

/** {@link fakeAws} plus the pipeline; `install()` before each test. */
export function fakePipeline(drBucket: string, exportBucket: string) {
  const aws = fakeAws();
  const cfn = mockClient(CloudFormationClient);
  const sns = mockClient(SNSClient);
  const p: Pipeline = {
    stacks: new Map(),
    subscriptions: new Map(),
    published: [],
    bodies: new Map(),
    faults: {
      denied: new Map(),
      replication: 'COMPLETED',
      verdict: 'ok',
      rdb: 'v=11 keys=1000 expires=0 string=1000',
      snapshotEnds: 'available',
      creatingLooks: 0,
      busyDeletes: 0,
    },
    deleted: [],
  };
  const deny = (op: string) => {
    const err = p.faults.denied.get(op);
    if (err) throw err;
  };
  const bucket = (name: string) => {
    let b = aws.state.objects.get(name);
    if (!b) aws.state.objects.set(name, (b = new Map()));
    return b;
  };

  function install(): void {
    aws.reset();
    aws.state.credentials = true;
    cfn.reset();
    sns.reset();
    p.stacks.clear();
    p.subscriptions.clear();
    p.published = [];
    p.bodies.clear();
    p.faults = {
      denied: new Map(),
      replication: 'COMPLETED',
      verdict: 'ok',
      rdb: 'v=11 keys=1000 expires=0 string=1000',
      snapshotEnds: 'available',
      creatingLooks: 0,
      busyDeletes: 0,
    };
    p.deleted = [];
    aws.ec.on(DeleteReplicationGroupCommand).callsFake((i: { ReplicationGroupId: string }) => {
      deny('DeleteReplicationGroup');
      const g = aws.state.groups.get(i.ReplicationGroupId);
      if (!g) throw Object.assign(new Error(`ReplicationGroup ${i.ReplicationGroupId} not found.`), { name: 'ReplicationGroupNotFoundFault' });
      g.statuses = ['deleting'];
      p.deleted.push(`replication group ${i.ReplicationGroupId}`);
      return { ReplicationGroup: { ReplicationGroupId: i.ReplicationGroupId, Status: 'deleting' } };
    });
    aws.ec.on(DeleteSnapshotCommand).callsFake((i: { SnapshotName: string }) => {
      deny('DeleteSnapshot');
      // ElastiCache refuses to delete a snapshot it is still creating.
      if (aws.state.snapshots.get(i.SnapshotName)?.status === 'creating' || p.faults.busyDeletes-- > 0)
        throw new InvalidSnapshotStateFault({ message: `Snapshot ${i.SnapshotName} is not in available state.`, $metadata: {} });
      aws.state.snapshots.delete(i.SnapshotName);
      p.deleted.push(`snapshot ${i.SnapshotName}`);
      return { Snapshot: { SnapshotName: i.SnapshotName } };
    });
    cfn.on(DescribeStacksCommand).callsFake((i: { StackName: string }) => {
      deny('DescribeStacks');
      const s = p.stacks.get(i.StackName);
      if (!s) throw Object.assign(new Error(`Stack with id ${i.StackName} does not exist`), { name: 'ValidationError' });
      return {
        Stacks: [
          {
            StackName: i.StackName,
            StackStatus: s.status,
            CreationTime: new Date(),
            Outputs: Object.entries(s.outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
          },
        ],
      };
    });
    sns.on(PublishCommand).callsFake((i: { TopicArn?: string; Subject?: string; Message?: string }) => {
      deny('Publish');
      p.published.push(i);
      return { MessageId: `m-${p.published.length}` };
    });
    sns.on(ListSubscriptionsByTopicCommand).callsFake((i: { TopicArn: string }) => {
      deny('ListSubscriptionsByTopic');
      return { Subscriptions: p.subscriptions.get(i.TopicArn) ?? [] };
    });
    aws.ec.on(CreateReplicationGroupCommand).callsFake((i: CreateReplicationGroupCommandInput) => {
      deny('CreateReplicationGroup');
      aws.state.groups.set(i.ReplicationGroupId!, { statuses: [...aws.state.createdStatuses], replicas: 0, clusterEnabled: false, created: i });
      return { ReplicationGroup: { ReplicationGroupId: i.ReplicationGroupId, Status: 'creating' } };
    });
    aws.ec
      .on(CreateSnapshotCommand)
      .callsFake((i: { ReplicationGroupId?: string; CacheClusterId?: string; SnapshotName: string; Tags?: { Key: string; Value: string }[] }) => {
        deny('CreateSnapshot');
        const target = i.ReplicationGroupId ?? i.CacheClusterId!.replace(/-\d+$/, '');
        aws.state.snapshots.set(i.SnapshotName, {
          name: i.SnapshotName,
          target,
          status: 'creating',
          createdAt: new Date(),
          tags: Object.fromEntries((i.Tags ?? []).map((t) => [t.Key, t.Value])),
        });
        return { Snapshot: { SnapshotName: i.SnapshotName, SnapshotStatus: 'creating' } };
      });
    aws.ec.on(DescribeSnapshotsCommand).callsFake((i: { ReplicationGroupId?: string; SnapshotName?: string }) => {
      const list = [...aws.state.snapshots.values()].filter((s) => (i.SnapshotName ? s.name === i.SnapshotName : s.target === i.ReplicationGroupId));
      const out = list.map((s) => ({
        SnapshotName: s.name,
        ReplicationGroupId: s.target,
        SnapshotStatus: s.status,
        SnapshotSource: 'manual',
        ARN: `arn:aws:elasticache:eu-west-1:${ACCOUNT}:snapshot:${s.name}`,
        Engine: 'redis',
        EngineVersion: '7.1',
        CacheNodeType: 'cache.r7g.large',
        NumNodeGroups: 1,
        NodeSnapshots: [{ NodeGroupId: '0001', SnapshotCreateTime: s.createdAt }],
      }));
      // A snapshot being created is available (or what faults.snapshotEnds says) the next time it is described by name
      // (or after faults.creatingLooks looks).
      if (i.SnapshotName)
        for (const s of list)
          if (s.status === 'creating') {
            if (p.faults.creatingLooks > 0) p.faults.creatingLooks--;
            else s.status = p.faults.snapshotEnds;
          }
      return { Snapshots: out };
    });
    aws.ec.on(CopySnapshotCommand).callsFake((i: { SourceSnapshotName: string; TargetSnapshotName: string; TargetBucket: string }) => {
      deny('CopySnapshot');
      bucket(i.TargetBucket).set(`${i.TargetSnapshotName}-0001.rdb`, {});
      return { Snapshot: { SnapshotName: i.TargetSnapshotName } };
    });
    aws.ec.on(AddTagsToResourceCommand).callsFake((i: { ResourceName: string; Tags: { Key: string; Value: string }[] }) => {
      const s = aws.state.snapshots.get(i.ResourceName.split(':').pop()!);
      if (s) for (const t of i.Tags) s.tags[t.Key] = t.Value;
      return { TagList: [] };
    });
    aws.s3.on(PutObjectTaggingCommand).callsFake((i: { Bucket: string; Key: string; Tagging: { TagSet: { Key: string; Value: string }[] } }) => {
      bucket(i.Bucket).set(i.Key, Object.fromEntries(i.Tagging.TagSet.map((t) => [t.Key, t.Value])));
      return {};
    });
    // A DR copy's verdict object, from its tags (the fake verifier below writes both), but for a forged verdict.
    const verdicts = (name: string) =>
      verdictAnswersOfTags((k) => aws.state.objects.get(name)?.get(k), { forged: (k) => aws.state.forgedVerdicts.has(`${name}/${k}`) });
    aws.s3.on(HeadObjectCommand).callsFake((i: { Bucket: string; Key: string }) => {
      if (isVerdictObjectKey(i.Key)) return verdicts(i.Bucket).head(i.Key);
      const tags = aws.state.objects.get(i.Bucket)?.get(i.Key);
      if (!tags) throw new S3ServiceException({ name: 'NotFound', $fault: 'client', $metadata: { httpStatusCode: 404 }, message: 'Not Found' });
      // An object written with PutObject (a selftest record): its length and SHA-256, as S3 answers with checksum mode.
      const body = p.bodies.get(`${i.Bucket}/${i.Key}`);
      if (body !== undefined)
        return { ContentLength: Buffer.byteLength(body), ChecksumSHA256: createHash('sha256').update(body).digest('base64'), ChecksumType: 'FULL_OBJECT' };
      if (i.Bucket !== exportBucket)
        return { ContentLength: 1024, VersionId: aws.state.replacedCopies.has(`${i.Bucket}/${i.Key}`) ? 'v2' : 'v1', ETag: `"${i.Key}"` };
      // Replicated (with its tags) and verified in the DR region when its status is first read.
      if (p.faults.replication === 'COMPLETED' && !bucket(drBucket).has(i.Key))
        bucket(drBucket).set(i.Key, { ...tags, 'redis-dr:verified': p.faults.verdict, 'redis-dr:rdb': p.faults.rdb });
      return { ContentLength: 1024, ReplicationStatus: p.faults.replication };
    });
    aws.s3.on(PutObjectCommand).callsFake((i: { Bucket: string; Key: string; Body: string | Uint8Array }) => {
      deny('PutObject');
      p.bodies.set(`${i.Bucket}/${i.Key}`, typeof i.Body === 'string' ? i.Body : Buffer.from(i.Body).toString());
      bucket(i.Bucket).set(i.Key, {});
      return {};
    });
    // The buckets as the stacks set them up (doctor's bucket checks, the selftest's preflight): versioned, the
    // export bucket replicating to the DR bucket, ElastiCache let in by the ACL route (both default regions).
    aws.s3.on(GetBucketVersioningCommand).resolves({ Status: 'Enabled' });
    aws.s3.on(GetBucketReplicationCommand).resolves({
      ReplicationConfiguration: {
        Role: `arn:aws:iam::${ACCOUNT}:role/replication`,
        Rules: [{ ID: 'to-dr-region', Status: 'Enabled', Destination: { Bucket: `arn:aws:s3:::${drBucket}` } }],
      },
    });
    aws.s3.on(GetBucketPolicyCommand).callsFake(async (_i: unknown, getClient: () => S3Client) => {
      const region = await getClient().config.region();
      const Statement = [{ Effect: 'Allow', Principal: { Service: `${region}.elasticache-snapshot.amazonaws.com` }, Action: 's3:GetObject', Resource: '*' }];
      return { Policy: JSON.stringify({ Version: '2012-10-17', Statement }) };
    });
    aws.s3.on(GetBucketAclCommand).resolves({
      Owner: { ID: 'owner' },
      Grants: [
        { Grantee: { Type: 'CanonicalUser', ID: 'owner' }, Permission: 'FULL_CONTROL' },
        ...['READ', 'WRITE', 'READ_ACP'].map((Permission) => ({
          Grantee: { Type: 'CanonicalUser' as const, ID: elastiCacheCanonicalUserId('eu-west-1') },
          Permission: Permission as 'READ',
        })),
      ],
    });
    aws.ec.on(DescribeCacheClustersCommand).callsFake((i: { CacheClusterId: string }) => ({
      CacheClusters: [{ CacheClusterId: i.CacheClusterId, Engine: 'redis', EngineVersion: '7.1.0', CacheNodeType: 'cache.r7g.large' }],
    }));
    aws.s3.on(GetObjectCommand).callsFake((i: { Bucket: string; Key: string }) => {
      const body = p.bodies.get(`${i.Bucket}/${i.Key}`);
      if (body === undefined && isVerdictObjectKey(i.Key)) return verdicts(i.Bucket).get(i.Key);
      if (body === undefined) throw new S3ServiceException({ name: 'NoSuchKey', $fault: 'client', $metadata: { httpStatusCode: 404 }, message: 'no such key' });
      return { Body: sdkStreamMixin(Readable.from([Buffer.from(body)])) };
    });
  }

  return { ...aws, cfn, sns, pipeline: p, install };
}
