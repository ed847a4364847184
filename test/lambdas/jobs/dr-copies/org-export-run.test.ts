import { readFileSync } from 'node:fs';
import {
  AddTagsToResourceCommand,
  CopySnapshotCommand,
  DescribeSnapshotsCommand,
  ElastiCacheClient,
  InvalidSnapshotStateFault,
  type Snapshot,
} from '@aws-sdk/client-elasticache';
import { GetResourcesCommand, ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import {
  GetObjectCommand,
  GetObjectTaggingCommand,
  ListObjectsV2Command,
  PutBucketVersioningCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EXPORT_SETTLE_MS } from '../../../../lambdas/domain/dr-copies/export-plan.js';
import { accountRegionPrefix } from '../../../../lambdas/domain/points/account-prefix.js';
import type { ExportRunInput } from '../../../../lambdas/domain/plans/plan-input.js';
import { ExportRunFailedError, type ExportRunReport, runExportPlan } from '../../../../lambdas/jobs/dr-copies/export.js';
import { fakeDeps } from '../../../support/fakes.js';
import { type MotoS3, startMotoS3 } from '../../../support/moto.js';

/**
 * A whole export run of an organization's account (issue 52: `orgRoot`, the export replicas of the org vault),
 * the export bucket a real S3 API (moto) and ElastiCache and the tagging API answered at the SDK boundary
 * (aws-sdk-client-mock): the run starts the export, ElastiCache writes the shards (real RDB files of the
 * fixtures) at the bucket's root, and the next run tags each shard, copies it under `<account>/<region>/`,
 * reads the copy back and only then marks the snapshot exported. A copy that fails leaves the snapshot
 * unmarked and fails the run, naming it; the run after that does the copy.
 */
const ec = mockClient(ElastiCacheClient);
const tagging = mockClient(ResourceGroupsTaggingAPIClient);

const ACCOUNT = '111111111111';
const ROOT = accountRegionPrefix(ACCOUNT, 'eu-west-1');
const SHARDS = [readFileSync('test/fixtures/rdb/list-quicklist.rdb'), readFileSync('test/fixtures/rdb/zset-ziplist.rdb')];
const OURS = { 'redis-dr:managed': 'true', 'redis-dr:deployment': 'acme', 'redis-dr:plan': 'sessions' };

let moto: MotoS3;
let n = 0;

beforeAll(async () => {
  moto = await startMotoS3();
}, 60_000);
afterAll(async () => {
  await moto?.stop();
});

/** The one snapshot of the world, as ElastiCache and the tagging API answer for it. */
interface World {
  readonly name: string;
  status: string;
  readonly tags: Record<string, string>;
  readonly createdAt: Date;
  /** The org copies in the bucket when the snapshot was marked exported. */
  copiesWhenMarked?: string[];
}

const ARN = (name: string) => `arn:aws:elasticache:eu-west-1:${ACCOUNT}:snapshot:${name}`;

function described(w: World): Snapshot {
  return {
    SnapshotName: w.name,
    ReplicationGroupId: 'rg-a',
    SnapshotStatus: w.status,
    SnapshotSource: 'manual',
    Engine: 'redis',
    EngineVersion: '7.1.0',
    NumNodeGroups: SHARDS.length,
    ARN: ARN(w.name),
    NodeSnapshots: SHARDS.map((_, i) => ({ NodeGroupId: String(i + 1).padStart(4, '0'), SnapshotCreateTime: w.createdAt })),
  };
}

/** ElastiCache and the tagging API over `w`; marking the snapshot exported records the org copies in the bucket then. */
function answer(w: World, bucket: string, s3: S3Client): void {
  tagging.on(GetResourcesCommand).callsFake(() => ({
    ResourceTagMappingList: [{ ResourceARN: ARN(w.name), Tags: Object.entries(w.tags).map(([Key, Value]) => ({ Key, Value })) }],
  }));
  ec.on(DescribeSnapshotsCommand).callsFake(() => ({ Snapshots: [described(w)] }));
  ec.on(CopySnapshotCommand).callsFake(() => {
    if (w.status !== 'available') throw new InvalidSnapshotStateFault({ message: `snapshot is ${w.status}`, $metadata: {} });
    w.status = 'exporting';
    return { Snapshot: described(w) };
  });
  ec.on(AddTagsToResourceCommand).callsFake(async (i: { Tags: { Key: string; Value: string }[] }) => {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: ROOT }));
    w.copiesWhenMarked = (listed.Contents ?? []).map((o) => o.Key!).sort();
    for (const t of i.Tags) w.tags[t.Key] = t.Value;
    return { TagList: [] };
  });
}

/** A versioned export bucket on moto, a snapshot of plan `sessions` made an hour before `now`, and the run's input. */
async function setUp(now: number): Promise<{ bucket: string; w: World; input: ExportRunInput }> {
  const bucket = `org-export-${++n}`;
  await moto.bucket(bucket);
  await moto.client.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
  const createdAt = new Date(Math.floor((now - 3_600_000) / 60_000) * 60_000);
  const stamp = createdAt.toISOString().replace(/[-:]/g, '').slice(0, 13).replace('T', '-');
  const w: World = { name: `rdr-rg-a-${stamp}`, status: 'available', tags: { ...OURS, 'redis-dr:source': 'rg-a', 'redis-dr:tier': 'daily' }, createdAt };
  const input: ExportRunInput = {
    deployment: 'acme',
    plan: 'sessions',
    targets: { replicationGroupIds: ['rg-a'], serverlessCacheNames: [], selectByTags: {} },
    minTier: 'daily',
    bucket,
    maxStartsPerRun: 10,
    budgetSeconds: 300,
    orgRoot: ROOT,
  };
  return { bucket, w, input };
}

/** ElastiCache finishes the export: each shard's object at the bucket's root, the snapshot available again. */
async function elastiCacheWrites(bucket: string, w: World): Promise<string[]> {
  const keys = SHARDS.map((_, i) => `${w.name}-${String(i + 1).padStart(4, '0')}.rdb`);
  for (const [i, Key] of keys.entries()) await moto.client.send(new PutObjectCommand({ Bucket: bucket, Key, Body: SHARDS[i] }));
  w.status = 'available';
  return keys;
}

const counts = (r: ExportRunReport) => ({ started: r.started, completed: r.completed, failed: r.failed, inProgress: r.inProgress });

async function object(bucket: string, Key: string): Promise<{ bytes: Buffer; etag: string; tags: Record<string, string> }> {
  const got = await moto.client.send(new GetObjectCommand({ Bucket: bucket, Key }));
  const tags = await moto.client.send(new GetObjectTaggingCommand({ Bucket: bucket, Key }));
  return {
    bytes: Buffer.from(await got.Body!.transformToByteArray()),
    etag: got.ETag!,
    tags: Object.fromEntries((tags.TagSet ?? []).map((t) => [t.Key!, t.Value!])),
  };
}

beforeEach(() => {
  ec.reset();
  tagging.reset();
});

describe('an export run of an organization account (orgRoot)', () => {
  it("copies each finished shard under <account>/<region>/ with the shard's bytes, ETag and tags, before marking the snapshot exported", async () => {
    const deps = { ...fakeDeps(Date.now()), s3: moto.client };
    const { bucket, w, input } = await setUp(deps.clock.now());
    answer(w, bucket, moto.client);

    // Run 1: the export starts; nothing is copied yet.
    expect(counts(await runExportPlan(input, deps))).toEqual({ started: 1, completed: 0, failed: 0, inProgress: 0 });
    expect(ec.commandCalls(CopySnapshotCommand)[0]!.args[0].input).toMatchObject({ SourceSnapshotName: w.name, TargetBucket: bucket });

    // ElastiCache writes the shards at the root; run 2, once they settled: tagged, copied, read back, then marked.
    const keys = await elastiCacheWrites(bucket, w);
    deps.clock.advance(EXPORT_SETTLE_MS + 60_000);
    const r = await runExportPlan(input, deps);
    expect(counts(r)).toEqual({ started: 0, completed: 1, failed: 0, inProgress: 0 });
    expect(r.results[0]).toMatchObject({ outcome: 'completed', shards: 2 });
    for (const key of keys) {
      const [source, copy] = await Promise.all([object(bucket, key), object(bucket, `${ROOT}${key}`)]);
      expect(copy.bytes.equals(source.bytes), key).toBe(true);
      expect(copy.etag).toBe(source.etag);
      expect(source.tags).toMatchObject({ 'redis-dr:tier': 'daily', 'redis-dr:plan': 'sessions', 'redis-dr:snapshot': w.name });
      expect(copy.tags).toEqual(source.tags);
    }
    // Both copies were in the bucket when the snapshot was marked exported; the mark is the run's clock.
    expect(w.copiesWhenMarked).toEqual(keys.map((k) => `${ROOT}${k}`));
    expect(w.tags['redis-dr:exported']).toBe(new Date(deps.clock.now()).toISOString());

    // Run 3: marked, so not a candidate: no second copy, no second mark.
    expect(counts(await runExportPlan(input, deps))).toEqual({ started: 0, completed: 0, failed: 0, inProgress: 0 });
    expect(ec.commandCalls(AddTagsToResourceCommand)).toHaveLength(1);
  }, 90_000);

  it('leaves the snapshot unmarked and fails the run, naming the copy, when S3 refuses a copy; the next run copies and marks it', async () => {
    // The run's S3 client refuses the first CopyObject of the second shard (S3's own error, at the API boundary).
    const s3 = moto.newClient();
    let refusals = 1;
    s3.middlewareStack.add(
      (next, context) => async (args) => {
        const key = (args.input as { Key?: string }).Key ?? '';
        if (context.commandName === 'CopyObjectCommand' && key.endsWith('-0002.rdb') && refusals-- > 0)
          throw Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 } });
        return next(args);
      },
      { step: 'initialize', name: 'refuseOneCopy' },
    );
    const deps = { ...fakeDeps(Date.now()), s3 };
    const { bucket, w, input } = await setUp(deps.clock.now());
    answer(w, bucket, moto.client);
    expect(counts(await runExportPlan(input, deps))).toEqual({ started: 1, completed: 0, failed: 0, inProgress: 0 });
    const keys = await elastiCacheWrites(bucket, w);
    deps.clock.advance(EXPORT_SETTLE_MS + 60_000);

    const err = await runExportPlan(input, deps).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ExportRunFailedError);
    const report = (err as ExportRunFailedError).report;
    expect(counts(report)).toEqual({ started: 0, completed: 0, failed: 1, inProgress: 0 });
    expect(report.results[0]).toMatchObject({ snapshot: w.name, outcome: 'failed', error: expect.stringMatching(/Access Denied/) });
    expect((err as Error).message).toMatch(new RegExp(w.name));
    // Not marked: the next run finds it again. The first shard's copy is there, the second's is not.
    expect(w.tags['redis-dr:exported']).toBeUndefined();
    expect(ec.commandCalls(AddTagsToResourceCommand)).toHaveLength(0);
    const listed = await moto.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: ROOT }));
    expect((listed.Contents ?? []).map((o) => o.Key)).toEqual([`${ROOT}${keys[0]}`]);

    deps.clock.advance(3_600_000);
    expect(counts(await runExportPlan(input, deps))).toEqual({ started: 0, completed: 1, failed: 0, inProgress: 0 });
    expect(w.copiesWhenMarked).toEqual(keys.map((k) => `${ROOT}${k}`));
    const [source, copy] = await Promise.all([object(bucket, keys[1]!), object(bucket, `${ROOT}${keys[1]}`)]);
    expect(copy.bytes.equals(source.bytes)).toBe(true);
    expect(copy.etag).toBe(source.etag);
  }, 90_000);
});
