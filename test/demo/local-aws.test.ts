import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateReplicationGroupCommand,
  DeleteReplicationGroupCommand,
  DescribeReplicationGroupsCommand,
  ListTagsForResourceCommand,
} from '@aws-sdk/client-elasticache';
import { GetResourcesCommand } from '@aws-sdk/client-resource-groups-tagging-api';
import {
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectRetentionCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  PutObjectRetentionCommand,
  PutObjectTaggingCommand,
} from '@aws-sdk/client-s3';
import { CreateSecretCommand, DeleteSecretCommand, GetRandomPasswordCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NotAnsweredLocally, LocalAws } from '../../demo/local-aws.js';
import { runStateMachine, unansweredTasks } from '../../demo/step-functions.js';
import type { AslDefinition } from '../../lib/asl.js';
import type { LocalRedis } from '../../lambdas/adapters/redis/local-server.js';
import { addObjectTags, getObjectTags, listObjects } from '../../lambdas/adapters/aws/s3/objects.js';
import { headObject, ObjectChangedError, readRanges } from '../../lambdas/adapters/aws/s3/ranges.js';

/** A server stand-in: the provider only reads its endpoint and stops it. */
function fakeServer(port: number): LocalRedis & { stopped: boolean } {
  const server = {
    host: '127.0.0.1',
    port,
    pid: 1,
    loadSeconds: 0,
    stopped: false,
    stop: async () => void (server.stopped = true),
  };
  return server as unknown as LocalRedis & { stopped: boolean };
}

describe("the demo's local provider (answers the SDK clients on this machine)", () => {
  let dir: string;
  let starts: { rdb: string; password: string; resolve: (s: LocalRedis) => void; reject: (e: Error) => void }[];
  let aws: LocalAws;
  const BYTES = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251));

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'local-aws-'));
    writeFileSync(join(dir, 'rdr-a-20261122-0200-0001.rdb'), BYTES);
    writeFileSync(join(dir, 'other.rdb'), 'x');
    writeFileSync(join(dir, '.hidden'), 'not an object');
    starts = [];
    aws = new LocalAws({
      account: '000000000000',
      buckets: { copies: dir },
      startServer: (rdb, password) => new Promise((resolve, reject) => starts.push({ rdb, password, resolve, reject })),
    });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  describe('S3, through the adapters the jobs use', () => {
    it('lists objects by prefix (not the hidden files), with the MD5 ETag', async () => {
      const s3 = aws.s3('eu-central-1');
      expect((await listObjects(s3, 'copies', '')).map((o) => o.key)).toEqual(['other.rdb', 'rdr-a-20261122-0200-0001.rdb']);
      const [only] = await listObjects(s3, 'copies', 'rdr-');
      expect(only).toMatchObject({ key: 'rdr-a-20261122-0200-0001.rdb', size: 5000, etag: `"${createHash('md5').update(BYTES).digest('hex')}"` });
    });

    it('reads an object by ranged GETs with If-Match, byte for byte', async () => {
      const s3 = aws.s3('eu-central-1');
      const id = await headObject(s3, 'copies', 'rdr-a-20261122-0200-0001.rdb');
      const chunks: Uint8Array[] = [];
      for await (const c of readRanges(s3, {
        bucket: 'copies',
        key: 'rdr-a-20261122-0200-0001.rdb',
        etag: id.etag,
        end: id.size,
        partBytes: 700,
        concurrency: 3,
      }))
        chunks.push(c);
      expect(Buffer.concat(chunks)).toEqual(BYTES);
      expect(aws.calls.filter((c) => c === 'S3 GetObject')).toHaveLength(Math.ceil(5000 / 700));
    });

    it('answers as S3 does: If-Match on another ETag fails (412), a range past the end is refused, missing keys and buckets are named', async () => {
      const s3 = aws.s3('eu-central-1');
      const read = async (etag: string) => {
        for await (const _ of readRanges(s3, { bucket: 'copies', key: 'rdr-a-20261122-0200-0001.rdb', etag, end: 5000 })) void _;
      };
      await expect(read('"other"')).rejects.toBeInstanceOf(ObjectChangedError);
      await expect(s3.send(new GetObjectCommand({ Bucket: 'copies', Key: 'other.rdb', Range: 'bytes=5-' }))).rejects.toMatchObject({
        name: 'InvalidRange',
        $metadata: { httpStatusCode: 416 },
      });
      await expect(s3.send(new GetObjectCommand({ Bucket: 'copies', Key: 'nope.rdb' }))).rejects.toMatchObject({ name: 'NoSuchKey' });
      await expect(headObject(s3, 'copies', 'nope.rdb')).rejects.toMatchObject({ name: 'NotFound' });
      await expect(headObject(s3, 'copies', '.hidden')).rejects.toMatchObject({ name: 'NotFound' });
      await expect(listObjects(s3, 'elsewhere', '')).rejects.toMatchObject({ name: 'NoSuchBucket' });
    });

    it('keeps tags per object; PutObjectTagging replaces the set (the adapter merges), at most 10', async () => {
      const s3 = aws.s3('eu-central-1');
      const key = 'rdr-a-20261122-0200-0001.rdb';
      await addObjectTags(s3, 'copies', key, { a: '1', b: '2' });
      await addObjectTags(s3, 'copies', key, { b: '3', c: '4' });
      expect(await getObjectTags(s3, 'copies', key)).toEqual({ a: '1', b: '3', c: '4' });
      expect(await getObjectTags(s3, 'copies', 'other.rdb')).toEqual({});
      await expect(addObjectTags(s3, 'copies', key, Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`t${i}`, 'x'])))).rejects.toThrow(/11 tags/);
      const eleven = Array.from({ length: 11 }, (_, i) => ({ Key: `t${i}`, Value: 'x' }));
      await expect(s3.send(new PutObjectTaggingCommand({ Bucket: 'copies', Key: key, Tagging: { TagSet: eleven } }))).rejects.toMatchObject({
        name: 'BadRequest',
      });
    });

    it('Object Lock as S3 keeps it: a COMPLIANCE version cannot be deleted (AccessDenied) nor its retention shortened; once it ends, it can', async () => {
      const s3 = aws.s3('eu-central-1');
      const key = 'rdr-a-20261122-0200-0001.rdb';
      await expect(s3.send(new GetObjectRetentionCommand({ Bucket: 'copies', Key: key }))).rejects.toMatchObject({ name: 'NoSuchObjectLockConfiguration' });
      const until = new Date(Date.now() + 86_400_000);
      aws.lockObject('copies', key, { Mode: 'COMPLIANCE', RetainUntilDate: until.toISOString() });
      expect((await s3.send(new GetObjectRetentionCommand({ Bucket: 'copies', Key: key }))).Retention).toEqual({ Mode: 'COMPLIANCE', RetainUntilDate: until });
      await expect(s3.send(new DeleteObjectCommand({ Bucket: 'copies', Key: key }))).rejects.toMatchObject({
        name: 'AccessDenied',
        $metadata: { httpStatusCode: 403 },
      });
      const shorter = { Mode: 'COMPLIANCE' as const, RetainUntilDate: new Date(Date.now() + 1000) };
      await expect(s3.send(new PutObjectRetentionCommand({ Bucket: 'copies', Key: key, Retention: shorter }))).rejects.toMatchObject({ name: 'AccessDenied' });
      await expect(
        s3.send(new PutObjectRetentionCommand({ Bucket: 'copies', Key: key, Retention: { Mode: 'GOVERNANCE', RetainUntilDate: until } })),
      ).rejects.toMatchObject({ name: 'AccessDenied' });
      expect((await listObjects(s3, 'copies', 'rdr-')).map((o) => o.key)).toEqual([key]);
      // A GOVERNANCE lock yields to BypassGovernanceRetention; an ended one to anyone.
      aws.lockObject('copies', 'other.rdb', { Mode: 'GOVERNANCE', RetainUntilDate: until.toISOString() });
      await expect(s3.send(new DeleteObjectCommand({ Bucket: 'copies', Key: 'other.rdb' }))).rejects.toMatchObject({ name: 'AccessDenied' });
      await s3.send(new DeleteObjectCommand({ Bucket: 'copies', Key: 'other.rdb', BypassGovernanceRetention: true }));
      aws.lockObject('copies', key, { Mode: 'COMPLIANCE', RetainUntilDate: new Date(Date.now() - 1000).toISOString() });
      await s3.send(new DeleteObjectCommand({ Bucket: 'copies', Key: key }));
      expect(await listObjects(s3, 'copies', '')).toEqual([]);
    });

    it('refuses ExpectedBucketOwner naming another account than the bucket owner (AccessDenied)', async () => {
      const s3 = aws.s3('eu-central-1');
      await expect(s3.send(new ListObjectsV2Command({ Bucket: 'copies', ExpectedBucketOwner: '999999999999' }))).rejects.toMatchObject({
        name: 'AccessDenied',
      });
      expect((await s3.send(new ListObjectsV2Command({ Bucket: 'copies', ExpectedBucketOwner: '000000000000' }))).KeyCount).toBe(2);
    });

    it('puts an object under a prefix (a folder), and every write is a new version id', async () => {
      const s3 = aws.s3('eu-central-1');
      const put = await s3.send(new PutObjectCommand({ Bucket: 'copies', Key: 'verdicts/a.json', Body: '{"a":1}' }));
      expect(put.ETag).toBe(`"${createHash('md5').update('{"a":1}').digest('hex')}"`);
      const first = await headObject(s3, 'copies', 'verdicts/a.json');
      expect(first).toMatchObject({ size: 7, etag: put.ETag, versionId: put.VersionId });
      await s3.send(new PutObjectCommand({ Bucket: 'copies', Key: 'verdicts/a.json', Body: '{"a":2}' }));
      expect((await headObject(s3, 'copies', 'verdicts/a.json')).versionId).not.toBe(first.versionId);
    });

    it('refuses what it does not answer, naming the command', async () => {
      await expect(aws.s3('eu-central-1').send(new DeleteBucketCommand({ Bucket: 'copies' }))).rejects.toBeInstanceOf(NotAnsweredLocally);
      await expect(aws.tagging('eu-central-1').send(new GetResourcesCommand({}))).rejects.toThrow(/Tagging API GetResources is not answered/);
    });
  });

  describe('ElastiCache replication groups', () => {
    const ARN = 'arn:aws:s3:::copies/rdr-a-20261122-0200-0001.rdb';
    const create = (over: Record<string, unknown> = {}) =>
      new CreateReplicationGroupCommand({
        ReplicationGroupId: 'rdr-drill-a',
        ReplicationGroupDescription: 'drill',
        SnapshotArns: [ARN],
        AuthToken: 'a'.repeat(64),
        TransitEncryptionEnabled: true,
        Tags: [{ Key: 'redis-dr:drill', Value: 'exec-1' }],
        ...over,
      });

    it('create seeds a server from the copy with the token; creating until it is up, then available with its endpoint; tags; delete stops it', async () => {
      const ec = aws.elastiCache('eu-central-1');
      const out = await ec.send(create());
      expect(out.ReplicationGroup?.Status).toBe('creating');
      expect(starts).toEqual([expect.objectContaining({ rdb: join(dir, 'rdr-a-20261122-0200-0001.rdb'), password: 'a'.repeat(64) })]);
      const describe = async () => (await ec.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: 'rdr-drill-a' }))).ReplicationGroups![0]!;
      expect((await describe()).Status).toBe('creating');
      // Still creating: ElastiCache refuses the delete.
      await expect(ec.send(new DeleteReplicationGroupCommand({ ReplicationGroupId: 'rdr-drill-a' }))).rejects.toMatchObject({
        name: 'InvalidReplicationGroupStateFault',
      });
      const server = fakeServer(6390);
      starts[0]!.resolve(server);
      await new Promise((r) => setImmediate(r));
      expect(await describe()).toMatchObject({ Status: 'available', NodeGroups: [{ PrimaryEndpoint: { Address: '127.0.0.1', Port: 6390 } }] });
      const tags = await ec.send(
        new ListTagsForResourceCommand({ ResourceName: 'arn:aws:elasticache:eu-central-1:000000000000:replicationgroup:rdr-drill-a' }),
      );
      expect(tags.TagList).toEqual([{ Key: 'redis-dr:drill', Value: 'exec-1' }]);
      await ec.send(new DeleteReplicationGroupCommand({ ReplicationGroupId: 'rdr-drill-a' }));
      expect(server.stopped).toBe(true);
      await expect(describe()).rejects.toMatchObject({ name: 'ReplicationGroupNotFoundFault' });
      expect(aws.liveGroups()).toEqual([]);
    });

    it('a server that refuses the file: restore-failed', async () => {
      const ec = aws.elastiCache('eu-central-1');
      await ec.send(create());
      starts[0]!.reject(new Error('Short read or OOM loading DB'));
      await new Promise((r) => setImmediate(r));
      const out = await ec.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: 'rdr-drill-a' }));
      expect(out.ReplicationGroups![0]!.Status).toBe('restore-failed');
      expect(aws.groups[0]!.failure).toMatch(/Short read/);
    });

    it.each([
      ['an id that exists', 'ReplicationGroupAlreadyExistsFault', {}],
      ['a native snapshot', 'InvalidParameterCombinationException', { SnapshotArns: undefined, SnapshotName: 'rdr-a-20261122-0200' }],
      ['several shards', 'InvalidParameterCombinationException', { NumNodeGroups: 2 }],
      ['an RBAC user group', 'InvalidParameterCombinationException', { AuthToken: undefined, UserGroupIds: ['readers'] }],
      ['a short token', 'InvalidParameterValueException', { AuthToken: 'short' }],
      ['a token without in-transit encryption', 'InvalidParameterCombinationException', { TransitEncryptionEnabled: false }],
      ['a copy that is not there', 'InvalidParameterValueException', { SnapshotArns: ['arn:aws:s3:::copies/missing.rdb'] }],
    ])('refuses %s (%s)', async (what, name, over) => {
      const ec = aws.elastiCache('eu-central-1');
      if (what === 'an id that exists') await ec.send(create());
      await expect(ec.send(create(over))).rejects.toMatchObject({ name });
    });

    it('shutdown stops what a drill left, waiting for starts in flight', async () => {
      await aws.elastiCache('eu-central-1').send(create());
      const server = fakeServer(6391);
      const done = aws.shutdown();
      starts[0]!.resolve(server);
      expect((await done).map((g) => g.id)).toEqual(['rdr-drill-a']);
      expect(server.stopped).toBe(true);
    });
  });

  it('Secrets Manager: random passwords as asked, secrets by ARN or name, deleted for good', async () => {
    const sm = aws.secretsManager('eu-central-1');
    const { RandomPassword } = await sm.send(new GetRandomPasswordCommand({ PasswordLength: 64, ExcludePunctuation: true, IncludeSpace: false }));
    expect(RandomPassword).toMatch(/^[A-Za-z0-9]{64}$/);
    const { ARN } = await sm.send(new CreateSecretCommand({ Name: 'redis-dr/drill/exec-1', SecretString: 'token' }));
    expect(ARN).toMatch(/^arn:aws:secretsmanager:eu-central-1:000000000000:secret:redis-dr\/drill\/exec-1-[A-Za-z0-9]{6}$/);
    expect((await sm.send(new GetSecretValueCommand({ SecretId: ARN }))).SecretString).toBe('token');
    expect((await sm.send(new GetSecretValueCommand({ SecretId: 'redis-dr/drill/exec-1' }))).SecretString).toBe('token');
    await expect(aws.secretsManager('eu-west-1').send(new GetSecretValueCommand({ SecretId: ARN }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
    await expect(sm.send(new CreateSecretCommand({ Name: 'redis-dr/drill/exec-1', SecretString: 'again' }))).rejects.toMatchObject({
      name: 'ResourceExistsException',
    });
    await sm.send(new DeleteSecretCommand({ SecretId: ARN, ForceDeleteWithoutRecovery: true }));
    expect(aws.secretNames()).toEqual([]);
  });

  describe('running a state machine locally', () => {
    const definition: AslDefinition = {
      StartAt: 'Describe',
      States: {
        Describe: {
          Type: 'Task',
          Resource: 'arn:aws:states:::aws-sdk:elasticache:describeReplicationGroups',
          Parameters: { ReplicationGroupId: 'nope' },
          Catch: [{ ErrorEquals: ['ElastiCache.ReplicationGroupNotFoundFault'], Next: 'Report', ResultPath: '$.error' }],
          Next: 'Report',
        },
        Report: {
          Type: 'Task',
          Resource: 'arn:aws:lambda:eu-central-1:000000000000:function:Report',
          Catch: [{ ErrorEquals: ['NoRecoveryPointError'], Next: 'Failed', ResultPath: '$.reportError' }],
          End: true,
        },
        Failed: { Type: 'Fail', Error: 'DrillFailed', Cause: 'see the report' },
      },
    };

    it('names every Task without an answer before it starts', async () => {
      expect(unansweredTasks(definition, { sdk: {}, lambdas: {} })).toEqual([
        'Describe (arn:aws:states:::aws-sdk:elasticache:describeReplicationGroups)',
        'Report (arn:aws:lambda:eu-central-1:000000000000:function:Report)',
      ]);
      await expect(runStateMachine(definition, {}, { executionName: 'x', waitMs: 0, retryMs: 0, sdk: {}, lambdas: {} })).rejects.toThrow(
        /no local answer for the task\(s\): Describe/,
      );
    });

    it('SDK errors are named Service.Error for Catch; Lambda errors carry their type, and a JSON cause with the message', async () => {
      const seen: unknown[] = [];
      const run = await runStateMachine(
        definition,
        {},
        {
          executionName: 'exec-1',
          waitMs: 0,
          retryMs: 0,
          sdk: { elasticache: aws.elastiCache('eu-central-1') },
          lambdas: {
            'arn:aws:lambda:eu-central-1:000000000000:function:Report': async (payload) => {
              seen.push(payload);
              throw Object.assign(new Error('no usable DR copy'), { name: 'NoRecoveryPointError' });
            },
          },
        },
      );
      expect(seen).toEqual([{ error: { Error: 'ElastiCache.ReplicationGroupNotFoundFault', Cause: 'ReplicationGroup nope not found.' } }]);
      expect(run).toMatchObject({ status: 'FAILED', error: 'DrillFailed', path: ['Describe', 'Report', 'Failed'] });
      expect(aws.calls).toEqual(['ElastiCache DescribeReplicationGroups']);
    });
  });
});
