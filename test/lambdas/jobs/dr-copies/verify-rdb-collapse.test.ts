import { readFileSync } from 'node:fs';
import { GetObjectTaggingCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, PutObjectTaggingCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { verifyStep, verifyStepSchema, type S3ObjectEvent, type VerifyDeps, type VerifyStepInput } from '../../../../lambdas/jobs/dr-copies/verify-rdb.js';
import { awsError, MemoryLog, MemoryMetrics } from '../../../support/fakes.js';
import { bgsave, startRedisServer, type RedisServer } from '../../../support/redis-server.js';
import { serveObject } from '../../../support/s3-object-mock.js';
import { serveVerdicts, type VerdictStore } from '../../../support/verdict-store.js';

/**
 * The keyspace-collapse tripwire on DR copies: the verifier's own key count
 * of an export (summed over its shards, judged only once all are verified)
 * against the fullest good export of the target in the collapse window; on a collapse the
 * earlier copies' tier tag moves to held-<tier>. Real RDB files from a real
 * redis-server; S3 mocked at the SDK boundary.
 */
const BUCKET = 'redis-dr-prod-123456789012-eu-central-1';
const s3 = mockClient(S3Client);
let server: RedisServer;
/** RDBs of a real server with 4 and with 600 keys. */
let small: Buffer;
let large: Buffer;
let objects: Map<string, { tags: Record<string, string>; size: number }>;
let deps: VerifyDeps & { metrics: MemoryMetrics; log: MemoryLog };
/** The verdict objects of the DR bucket (a copy's verdict is its object's, not its tags'). */
let verdicts: VerdictStore;

const shardTag = (shard: number, shards: number) => `${String(shard).padStart(4, '0')}/${String(shards).padStart(4, '0')}`;

/** A copy verified earlier: `keys` keys per shard (its verdict object, and the tags the verifier wrote with it). */
function verifiedCopy(exportName: string, keys: number, tier = 'daily', shards = 1): void {
  for (let shard = 1; shard <= shards; shard++) {
    const key = `${exportName}-${String(shard).padStart(4, '0')}.rdb`;
    serveObject(s3, { key, bytes: Buffer.alloc(0), etag: `"${key}"`, versionId: 'v1' });
    verdicts.seed({
      verdict: 'ok',
      replica: { key, versionId: 'v1', etag: `"${key}"`, size: 10_000 },
      keys: { version: 11, keys, expires: 0, byType: { string: keys } },
      checkedAt: '2026-11-21T00:00:00.000Z',
    });
    objects.set(key, {
      size: 10_000,
      tags: {
        'redis-dr:tier': tier,
        'redis-dr:plan': 'sessions',
        'redis-dr:shard': shardTag(shard, shards),
        'redis-dr:verified': 'ok',
        'redis-dr:rdb': `v=11 keys=${keys} expires=0 string=${keys}`,
      },
    });
  }
}

/** A copy just replicated (not verified), its bytes served. */
function newCopy(key: string, bytes: Buffer, shard = 1, shards = 1): void {
  objects.set(key, { size: bytes.length, tags: { 'redis-dr:tier': 'hourly', 'redis-dr:plan': 'sessions', 'redis-dr:shard': shardTag(shard, shards) } });
  serveObject(s3, { key, bytes, etag: `"${key}"`, versionId: 'v1' });
}

function event(key: string, detailType: S3ObjectEvent['detail-type'] = 'Object Created'): S3ObjectEvent {
  return { 'detail-type': detailType, source: 'aws.s3', detail: { bucket: { name: BUCKET }, object: { key, size: 100, 'version-id': 'v1' } } };
}

async function verify(key: string, detailType: S3ObjectEvent['detail-type'] = 'Object Created'): Promise<void> {
  let input: VerifyStepInput = { event: event(key, detailType) };
  for (let i = 0; i < 100; i++) {
    const r = await verifyStep(input, deps);
    if (r.done) return;
    input = verifyStepSchema.parse(JSON.parse(JSON.stringify(r)));
  }
  throw new Error('not done');
}

/** The mark of the export that collapses in most cases here. */
const MARK = 'redis-dr-verdicts/collapses/rdr-sessions-prod-20261121-0900.json';

const tier = (key: string) => objects.get(key)!.tags['redis-dr:tier'];

beforeAll(async () => {
  server = await startRedisServer();
  const c = server.client();
  for (let i = 0; i < 4; i++) await c.set(`k:${i}`, 'v');
  small = readFileSync(await bgsave(server, c));
  const pipe = c.pipeline();
  for (let i = 4; i < 600; i++) pipe.set(`k:${i}`, 'v');
  await pipe.exec();
  large = Buffer.from(readFileSync(await bgsave(server, c)));
});
afterAll(async () => server?.stop());

beforeEach(() => {
  s3.reset();
  verdicts = serveVerdicts(s3);
  objects = new Map();
  // The copies and release records (`objects`), and what the verifier put (its verdicts and collapse marks).
  s3.on(ListObjectsV2Command).callsFake((i: { Prefix?: string }) => ({
    Contents: [...objects.keys(), ...verdicts.bodies.keys()]
      .filter((k) => k.startsWith(i.Prefix ?? ''))
      .sort()
      .map((Key) => ({ Key, Size: objects.get(Key)?.size ?? verdicts.bodies.get(Key)!.length })),
    IsTruncated: false,
  }));
  s3.on(GetObjectTaggingCommand).callsFake((i: { Key: string }) => ({
    TagSet: Object.entries(objects.get(i.Key)!.tags).map(([Key, Value]) => ({ Key, Value })),
  }));
  s3.on(PutObjectTaggingCommand).callsFake((i: { Key: string; Tagging: { TagSet: { Key: string; Value: string }[] } }) => {
    objects.get(i.Key)!.tags = Object.fromEntries(i.Tagging.TagSet.map((t) => [t.Key, t.Value]));
    return {};
  });
  deps = {
    s3: new S3Client({ region: 'eu-central-1' }),
    metrics: new MemoryMetrics(),
    log: new MemoryLog(),
    clock: { now: () => 1_000 },
    deadline: Number.POSITIVE_INFINITY,
    alert: async () => undefined,
    where: { deployment: 'prod', region: 'eu-central-1' },
  };
});

describe('verify-rdb: keyspace-collapse tripwire on DR copies', () => {
  it('a copy with 4 keys after copies with 1000: the earlier copies are held (held-<tier>), KeyspaceCollapsed is 1', async () => {
    verifiedCopy('rdr-sessions-prod-20261120-0000', 1000, 'weekly');
    verifiedCopy('rdr-sessions-prod-20261121-0800', 1000, 'daily');
    verifiedCopy('rdr-other-prod-20261121-0800', 1000, 'daily');
    newCopy('rdr-sessions-prod-20261121-0900-0001.rdb', small);

    await verify('rdr-sessions-prod-20261121-0900-0001.rdb');

    expect(tier('rdr-sessions-prod-20261120-0000-0001.rdb')).toBe('held-weekly');
    expect(tier('rdr-sessions-prod-20261121-0800-0001.rdb')).toBe('held-daily');
    // The collapsed copy itself and another cache's copies keep their tier.
    expect(tier('rdr-sessions-prod-20261121-0900-0001.rdb')).toBe('hourly');
    expect(tier('rdr-other-prod-20261121-0800-0001.rdb')).toBe('daily');
    // The verifier's verdict and the other tags stay on the held copies.
    expect(objects.get('rdr-sessions-prod-20261121-0800-0001.rdb')!.tags['redis-dr:verified']).toBe('ok');
    expect(deps.metrics.sum('KeyspaceCollapsed', { Bucket: BUCKET, Target: 'sessions-prod' })).toBe(1);
    expect(deps.metrics.sum('KeyspaceCollapsed', { Bucket: BUCKET })).toBe(1);
    expect(deps.log.lines.find((l) => l.message.startsWith('keyspace collapsed'))?.extra).toMatchObject({
      collapse: { point: 'rdr-sessions-prod-20261121-0900', previous: 'rdr-sessions-prod-20261121-0800' },
    });
    // The mark a DR drill reads (objects have no tag left for one), under the verifier's prefix, read back after the put.
    expect(JSON.parse(verdicts.bodies.get(MARK)!)).toEqual({
      kind: 'dr-collapse-mark',
      export: 'rdr-sessions-prod-20261121-0900',
      point: 'rdr-sessions-prod-20261121-0900',
      target: 'sessions-prod',
      baseline: 'rdr-sessions-prod-20261121-0800',
      measure: 'keys',
      dropPct: expect.any(Number),
      detail: expect.stringContaining('holds 4 keys'),
      judgedAt: '1970-01-01T00:00:01.000Z',
    });
    expect(s3.commandCalls(HeadObjectCommand).some((c) => c.args[0].input.Key === MARK)).toBe(true);
  });

  it('a mark that cannot be written fails the step (the state machine retries), before anything is held', async () => {
    verifiedCopy('rdr-sessions-prod-20261121-0800', 1000);
    newCopy('rdr-sessions-prod-20261121-0900-0001.rdb', small);
    s3.on(PutObjectCommand, { Key: MARK }).rejects(awsError('AccessDenied', 'denied', 403));
    await expect(verify('rdr-sessions-prod-20261121-0900-0001.rdb')).rejects.toThrow(
      /redis-dr-verdicts\/collapses\/rdr-sessions-prod-20261121-0900\.json not written/,
    );
    expect(tier('rdr-sessions-prod-20261121-0800-0001.rdb')).toBe('daily');
  });

  it("the bucket's KeyspaceCollapsed counts the collapses not released: another cache's good copy keeps it 1, a release brings it to 0", async () => {
    verifiedCopy('rdr-sessions-prod-20261121-0800', 1000, 'daily');
    verifiedCopy('rdr-other-prod-20261121-0800', 1000, 'daily');
    newCopy('rdr-sessions-prod-20261121-0900-0001.rdb', small);
    await verify('rdr-sessions-prod-20261121-0900-0001.rdb');
    expect(deps.metrics.sum('KeyspaceCollapsed', { Bucket: BUCKET })).toBe(1);

    // The next copy verified is another cache's, and good (600 keys after 1000: within the threshold).
    deps = { ...deps, metrics: new MemoryMetrics() };
    newCopy('rdr-other-prod-20261121-0900-0001.rdb', large);
    await verify('rdr-other-prod-20261121-0900-0001.rdb');
    expect(deps.metrics.sum('KeyspaceCollapsed', { Bucket: BUCKET, Target: 'other-prod' })).toBe(0);
    expect(deps.metrics.sum('KeyspaceCollapsed', { Bucket: BUCKET })).toBe(1);

    // Released (retention release's record): the next verification counts none open.
    objects.set('redis-dr-releases/rdr-sessions-prod-20261121-0900.released.json', { size: 100, tags: {} });
    deps = { ...deps, metrics: new MemoryMetrics() };
    newCopy('rdr-other-prod-20261121-1000-0001.rdb', large);
    await verify('rdr-other-prod-20261121-1000-0001.rdb');
    expect(deps.metrics.sum('KeyspaceCollapsed', { Bucket: BUCKET })).toBe(0);
  });

  it('after an accepted release (retention release --accept) the new normal is the baseline: no collapse, no mark, nothing held', async () => {
    verifiedCopy('rdr-sessions-prod-20261121-0800', 1000);
    verifiedCopy('rdr-sessions-prod-20261121-0900', 4);
    // As large as the copy that follows (the fixture's copies are 10,000 bytes): its bytes are no drop either.
    objects.get('rdr-sessions-prod-20261121-0900-0001.rdb')!.size = small.length;
    objects.set('redis-dr-releases/rdr-sessions-prod-20261121-0900.accepted.json', { size: 100, tags: {} });
    newCopy('rdr-sessions-prod-20261121-1000-0001.rdb', small);

    await verify('rdr-sessions-prod-20261121-1000-0001.rdb');

    expect(tier('rdr-sessions-prod-20261121-0800-0001.rdb')).toBe('daily');
    expect(deps.metrics.sum('KeyspaceCollapsed', { Bucket: BUCKET, Target: 'sessions-prod' })).toBe(0);
    expect([...verdicts.bodies.keys()].filter((k) => k.includes('/collapses/'))).toEqual([]);
  });

  it('after a release without --accept the collapsed copy is still no baseline: the next as empty trips again, and is marked', async () => {
    verifiedCopy('rdr-sessions-prod-20261121-0800', 1000);
    verifiedCopy('rdr-sessions-prod-20261121-0900', 4);
    objects.set('redis-dr-releases/rdr-sessions-prod-20261121-0900.released.json', { size: 100, tags: {} });
    newCopy('rdr-sessions-prod-20261121-1000-0001.rdb', small);

    await verify('rdr-sessions-prod-20261121-1000-0001.rdb');

    expect(tier('rdr-sessions-prod-20261121-0800-0001.rdb')).toBe('held-daily');
    // The released collapse holds nothing and is held by nothing.
    expect(tier('rdr-sessions-prod-20261121-0900-0001.rdb')).toBe('daily');
    expect(JSON.parse(verdicts.bodies.get('redis-dr-verdicts/collapses/rdr-sessions-prod-20261121-1000.json')!)).toMatchObject({
      baseline: 'rdr-sessions-prod-20261121-0800',
    });
  });

  it('a drop within the threshold (600 after 1000) holds nothing and counts 0', async () => {
    verifiedCopy('rdr-sessions-prod-20261121-0800', 1000);
    newCopy('rdr-sessions-prod-20261121-0900-0001.rdb', large);
    await verify('rdr-sessions-prod-20261121-0900-0001.rdb');
    expect(tier('rdr-sessions-prod-20261121-0800-0001.rdb')).toBe('daily');
    expect(s3.commandCalls(PutObjectTaggingCommand).map((c) => c.args[0].input.Key)).toEqual(['rdr-sessions-prod-20261121-0900-0001.rdb']);
    expect(deps.metrics.sum('KeyspaceCollapsed', { Bucket: BUCKET, Target: 'sessions-prod' })).toBe(0);
    expect(verdicts.bodies.has(MARK)).toBe(false);
  });

  it("follows the plan's collapseThresholdPct (a 40 % drop trips at 30)", async () => {
    verifiedCopy('rdr-sessions-prod-20261121-0800', 1000);
    newCopy('rdr-sessions-prod-20261121-0900-0001.rdb', large);
    await verify('rdr-sessions-prod-20261121-0900-0001.rdb');
    expect(tier('rdr-sessions-prod-20261121-0800-0001.rdb')).toBe('daily');
    objects.get('rdr-sessions-prod-20261121-0900-0001.rdb')!.tags = { 'redis-dr:tier': 'hourly', 'redis-dr:plan': 'sessions', 'redis-dr:shard': '0001/0001' };
    await verify('rdr-sessions-prod-20261121-0900-0001.rdb', 'Object Tags Added');
    expect(tier('rdr-sessions-prod-20261121-0800-0001.rdb')).toBe('daily');
    deps = { ...deps, collapseThresholdPct: { sessions: 30 } };
    objects.get('rdr-sessions-prod-20261121-0900-0001.rdb')!.tags = { 'redis-dr:tier': 'hourly', 'redis-dr:plan': 'sessions', 'redis-dr:shard': '0001/0001' };
    await verify('rdr-sessions-prod-20261121-0900-0001.rdb', 'Object Tags Added');
    expect(tier('rdr-sessions-prod-20261121-0800-0001.rdb')).toBe('held-daily');
  });

  it('a cluster-mode export is judged only once every shard is verified, on the sum of the shards', async () => {
    verifiedCopy('rdr-sessions-prod-20261121-0800', 500, 'daily', 2);
    newCopy('rdr-sessions-prod-20261121-0900-0001.rdb', small, 1, 2);
    newCopy('rdr-sessions-prod-20261121-0900-0002.rdb', small, 2, 2);

    await verify('rdr-sessions-prod-20261121-0900-0001.rdb');
    // Shard 2 not verified yet: 4 keys of 1000 is no verdict.
    expect(tier('rdr-sessions-prod-20261121-0800-0001.rdb')).toBe('daily');
    expect(deps.metrics.points.filter((p) => p.name === 'KeyspaceCollapsed')).toEqual([]);

    await verify('rdr-sessions-prod-20261121-0900-0002.rdb');
    expect(tier('rdr-sessions-prod-20261121-0800-0001.rdb')).toBe('held-daily');
    expect(tier('rdr-sessions-prod-20261121-0800-0002.rdb')).toBe('held-daily');
    expect(deps.log.lines.find((l) => l.message.startsWith('keyspace collapsed'))?.extra).toMatchObject({
      collapse: { detail: expect.stringContaining('holds 8 keys') },
    });
  });

  it('holding that fails throws (the state machine retries); the retry finds the verdict written and holds', async () => {
    verifiedCopy('rdr-sessions-prod-20261121-0800', 1000);
    newCopy('rdr-sessions-prod-20261121-0900-0001.rdb', small);
    let refusals = 1;
    s3.on(PutObjectTaggingCommand).callsFake((i: { Key: string; Tagging: { TagSet: { Key: string; Value: string }[] } }) => {
      if (i.Key === 'rdr-sessions-prod-20261121-0800-0001.rdb' && refusals-- > 0) throw awsError('AccessDenied', 'denied');
      objects.get(i.Key)!.tags = Object.fromEntries(i.Tagging.TagSet.map((t) => [t.Key, t.Value]));
      return {};
    });

    await expect(verify('rdr-sessions-prod-20261121-0900-0001.rdb')).rejects.toThrow(/holding 1 earlier DR copies failed/);
    expect(tier('rdr-sessions-prod-20261121-0800-0001.rdb')).toBe('daily');

    await verify('rdr-sessions-prod-20261121-0900-0001.rdb');
    expect(tier('rdr-sessions-prod-20261121-0800-0001.rdb')).toBe('held-daily');
  });

  it('a release stays released: a tag event on an older copy does not hold again', async () => {
    verifiedCopy('rdr-sessions-prod-20261121-0800', 1000);
    verifiedCopy('rdr-sessions-prod-20261121-0900', 4);
    // Released by an operator: back to daily; then its own tag event arrives.
    await verify('rdr-sessions-prod-20261121-0800-0001.rdb', 'Object Tags Added');
    expect(tier('rdr-sessions-prod-20261121-0800-0001.rdb')).toBe('daily');
    expect(s3.commandCalls(PutObjectTaggingCommand)).toHaveLength(0);
  });
});
