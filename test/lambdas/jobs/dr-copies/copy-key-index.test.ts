/**
 * verify-rdb writes the key index beside each copy it judges `ok`
 * (`<copy>.keys`, jobs/dr-copies/copy-key-index.ts), from the bytes it read,
 * under the copy's Object Lock retention; `serve` opens the copy from it
 * (HeadObject, the trailer and the index: never the whole copy) and refuses
 * it for a copy it does not belong to. On a real S3 API (moto) with a real
 * redis-server's RDB.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  CreateBucketCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutObjectLockConfigurationCommand,
  PutObjectTaggingCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Crc64 } from '../../../../lambdas/domain/rdb/codecs/crc64.js';
import { decodeDumpPayload } from '../../../../lambdas/domain/rdb/format/value.js';
import { type RdbSegment, readHeadContext, segmentOf, takeSegment } from '../../../../lambdas/domain/rdb/format/split.js';
import { rdbVerifierParser } from '../../../../lambdas/domain/rdb/verifier.js';
import type { HandedKeys } from '../../../../lambdas/domain/serve/index-segment.js';
import { SegmentKeySink } from '../../../../lambdas/domain/serve/segment-keys.js';
import { R_AT, ROW } from '../../../../lambdas/domain/serve/key-rows.js';
import { indexInMemory, settle } from '../../../../lambdas/domain/serve/paged-index.js';
import { type RdbKey, RdbKeyReader } from '../../../../lambdas/domain/rdb/keys.js';
import { memoryHeadroomBytes } from '../../../../lambdas/adapters/host/memory.js';
import { verdictObjectKey } from '../../../../lambdas/domain/points/verdict-objects.js';
import { CopyKeyIndex } from '../../../../lambdas/jobs/dr-copies/copy-key-index.js';
import {
  verifyStep,
  type S3ObjectEvent,
  type VerifyDeps,
  type VerifyOutcome,
  verifyStepSchema,
  type VerifyStepInput,
} from '../../../../lambdas/jobs/dr-copies/verify-rdb.js';
import type { TwoThreadSettings } from '../../../../lambdas/jobs/dr-copies/verify-rdb-split.js';
import { openPoint, type OpenedPoint } from '../../../../lambdas/jobs/serve/open-point.js';
import { startServing } from '../../../../lambdas/jobs/serve/serve.js';
import { MemoryLog, MemoryMetrics } from '../../../support/fakes.js';
import { type MotoS3, requestsAfter, startMotoS3, useMotoCredentials } from '../../../support/moto.js';
import { bgsave, startRedisServer } from '../../../support/redis-server.js';

const LOCKED = 'dr-locked';
const PLAIN = 'dr-plain';
const KEY = 'rdr-sessions-prod-20261121-0200-0001.rdb';
let moto: MotoS3;
let s3: S3Client;
let restoreCredentials: () => void;
let rdb: Buffer;
let other: Buffer;
/** About 1.6 MB: 20 keys in database 0, then 3,000 strings of ~500 bytes, a hash and a list in database 3 (where the worker's part starts). */
let large: Buffer;
const LARGE_KEYS = 3_022;
/** Random values: LZF (rdbcompression) would shrink a repeated pad below the two-thread threshold. */
const largeValues = Array.from({ length: 3_000 }, (_, i) => `value-${i}-${randomBytes(240 + (i % 20)).toString('hex')}`);
const largeValue = (i: number): string => largeValues[i]!;
/**
 * Where key big:`i` (its length byte and name) lies in {@link large}: the first occurrence of those bytes, as
 * `large.indexOf` finds it. The tests ask again and again (the key farthest from another compares every pair of
 * offsets), and a search per key read the 1.6 MB file through (3,000 of them, about 2.1 CPU-s of samples in the file's
 * profile): every `big:` of the file is visited once instead, in the file's order, and the first one preceded by a zero
 * byte and a length byte that spans exactly `big:<digits>` is key `<digits>`'s (the same bytes indexOf would stop at:
 * any match of [0, length, name] has a `big:` at its third byte; held equal to indexOf for all 3,000 keys once).
 * Found on the first question. The file alone, same load, two runs each: 10.3 -> 9.5 CPU-s.
 */
let bigKeyOffsets: Map<number, number> | undefined;
const bigKeyAt = (i: number): number => {
  if (bigKeyOffsets === undefined) {
    bigKeyOffsets = new Map();
    for (let p = large.indexOf('big:'); p >= 0; p = large.indexOf('big:', p + 1)) {
      if (p < 2 || large[p - 2] !== 0) continue;
      const name = /^big:(0|[1-9]\d*)$/.exec(large.toString('latin1', p, p + large[p - 1]!));
      if (name && !bigKeyOffsets.has(Number(name[1]))) bigKeyOffsets.set(Number(name[1]), p - 2);
    }
  }
  return bigKeyOffsets.get(i) ?? -1;
};

function event(bucket: string, key = KEY, type: S3ObjectEvent['detail-type'] = 'Object Created'): S3ObjectEvent {
  return { 'detail-type': type, source: 'aws.s3', detail: { bucket: { name: bucket }, object: { key, size: 100 } } };
}

/** The ranged GETs' size of {@link deps}. */
const PART = 8192;

function deps(log: MemoryLog, deadline = Number.POSITIVE_INFINITY, now = () => 1_000): VerifyDeps {
  return {
    s3,
    metrics: new MemoryMetrics(),
    log,
    clock: { now },
    deadline,
    alert: async () => undefined,
    where: { deployment: 'prod', region: 'eu-central-1' },
    // Small ranged GETs, so a deadline can pause the read midway: 8 KiB, more than 5 invocations of the small file still
    // (4 KiB made twice as many, and the file cost 14.2 CPU-s against 8.9, moto's mostly, for the same checks).
    reads: { partBytes: PART, concurrency: 1 },
  };
}

/** `chunks` (bytes and their offset) read as readCopy reads them: the index told each, the verifier reading through the index's reader. */
function verifyThrough(index: CopyKeyIndex, chunks: readonly (readonly [Uint8Array, number])[]): ReturnType<CopyKeyIndex['verifying']> {
  const v = index.verifying((sink) => rdbVerifierParser({ requireChecksum: true }, sink));
  for (const [chunk, at] of chunks) {
    index.push(chunk, at);
    v.push(chunk);
  }
  return v;
}

/** Invokes the step as the verify state machine does, until it is done. */
async function runToEnd(e: S3ObjectEvent, d: VerifyDeps): Promise<VerifyOutcome & { steps: number }> {
  let input: VerifyStepInput = { event: e };
  for (let i = 1; i < 1000; i++) {
    const result = await verifyStep(input, d);
    if (result.done) return { ...result.outcome, steps: i };
    input = verifyStepSchema.parse(JSON.parse(JSON.stringify(result)));
  }
  throw new Error('not done');
}

async function valueIn(p: OpenedPoint, key: string, db = 0): Promise<unknown> {
  return decodeDumpPayload(await p.payload(await settle(() => p.index.entry(db, p.index.find(db, Buffer.from(key))))));
}

beforeAll(async () => {
  moto = await startMotoS3();
  restoreCredentials = useMotoCredentials();
  s3 = moto.newClient();
  await s3.send(new CreateBucketCommand({ Bucket: LOCKED, ObjectLockEnabledForBucket: true }));
  // The DR bucket's Object Lock (dr.objectLock): a default retention on every object put.
  await s3.send(
    new PutObjectLockConfigurationCommand({
      Bucket: LOCKED,
      ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 3 } } },
    }),
  );
  await moto.bucket(PLAIN);
  // Versioned as every DR bucket is (a replication destination): a verdict object names the copy's version.
  await s3.send(new PutBucketVersioningCommand({ Bucket: PLAIN, VersioningConfiguration: { Status: 'Enabled' } }));
  const server = await startRedisServer();
  const c = server.client();
  const pipe = c.pipeline();
  for (let i = 0; i < 2000; i++) pipe.set(`s:${i}`, `value-${i}`.repeat((i % 7) + 1));
  for (let i = 0; i < 50; i++) pipe.hset(`h:${i}`, { a: '1', b: 'x'.repeat(100) });
  pipe.rpush('l', 'a', 'b', 'c');
  await pipe.exec();
  rdb = readFileSync(await bgsave(server, c));
  await c.set('s:1', 'changed');
  other = readFileSync(await bgsave(server, c));
  await c.flushall();
  const big = c.pipeline();
  for (let i = 0; i < 20; i++) big.set(`zero:${i}`, `v${i}`);
  big.select(3);
  for (let i = 0; i < 3_000; i++) big.set(`big:${i}`, largeValue(i));
  big.hset('big:h', { a: '1', b: '2' }).rpush('big:l', 'a', 'b', 'c').pexpire('big:2999', 86_400_000);
  await big.exec();
  await c.select(0);
  large = readFileSync(await bgsave(server, c));
  c.disconnect();
  await server.stop();
}, 120_000);

afterAll(async () => {
  restoreCredentials?.();
  await moto?.stop();
});

describe("verify-rdb's key index beside a DR copy", () => {
  it("is written beside a copy judged ok, locked by the DR bucket's default retention as the copy is, and serve opens the copy from it", async () => {
    await s3.send(new PutObjectCommand({ Bucket: LOCKED, Key: KEY, Body: rdb }));
    const log = new MemoryLog();
    const outcome = await runToEnd(event(LOCKED), deps(log));
    expect(outcome).toMatchObject({ action: 'verified', verdict: 'ok', keys: 2051 });
    const said = log.lines.map((e) => e.message).find((m) => m.startsWith('key index'));
    expect(said).toMatch(new RegExp(`^key index s3://${LOCKED}/${KEY}\\.keys: \\d+ bytes, read back$`));
    // HeadObject (moto 5.2.1 answers GetObjectRetention with XML the SDK cannot parse).
    const locked = await s3.send(new HeadObjectCommand({ Bucket: LOCKED, Key: `${KEY}.keys` }));
    expect(locked.ObjectLockMode).toBe('COMPLIANCE');
    const copy = await s3.send(new HeadObjectCommand({ Bucket: LOCKED, Key: KEY }));
    expect(copy.ObjectLockMode).toBe('COMPLIANCE');
    // Put after the copy: locked at least as long.
    expect(locked.ObjectLockRetainUntilDate!.getTime()).toBeGreaterThanOrEqual(copy.ObjectLockRetainUntilDate!.getTime());
    const p = await openPoint(`s3://${LOCKED}/${KEY}`, moto.endpoint);
    try {
      expect(p.notes).toEqual([`s3://${LOCKED}/${KEY}: its key index (.keys, written when it was verified; read by blocks, not held)`]);
      expect(p.reports).toEqual([]);
      expect(p.index.keys).toBe(2051);
      expect(await valueIn(p, 'l')).toEqual({ type: 'list', items: ['a', 'b', 'c'].map((x) => Buffer.from(x)) });
      expect(await valueIn(p, 's:1')).toEqual({ type: 'string', value: Buffer.from('value-1'.repeat(2)) });
    } finally {
      p.close();
    }
  }, 60_000);

  it('is refused by serve for a copy it does not belong to (the copy replaced since): read whole, saying why', async () => {
    const put = await s3.send(new PutObjectCommand({ Bucket: PLAIN, Key: KEY, Body: rdb }));
    expect(await runToEnd(event(PLAIN), deps(new MemoryLog()))).toMatchObject({ verdict: 'ok' });
    const head = await s3.send(new HeadObjectCommand({ Bucket: PLAIN, Key: `${KEY}.keys` }));
    expect(head.ContentLength).toBeGreaterThan(0);
    // The index names the version the verifier read (its ETag, and its version id where the bucket keeps versions).
    expect(head.Metadata?.['redis-dr-source-etag']).toBe(put.ETag!.replace(/"/g, ''));
    expect(head.Metadata?.['redis-dr-source-version-id']).toBe(put.VersionId);
    // Another save under the copy's name (same length or not): the index names the version the verifier read, not this one.
    await s3.send(new PutObjectCommand({ Bucket: PLAIN, Key: KEY, Body: other }));
    const p = await openPoint(`s3://${PLAIN}/${KEY}`, moto.endpoint);
    try {
      expect(p.notes[0]).toMatch(
        /read whole and verified \(its index belongs to another version of the object \(built from (ETag [0-9a-f]{32}; the copy's ETag is now [0-9a-f]{32}|version \S+; the copy is now version \S+)\)\)$/,
      );
      expect(await valueIn(p, 's:1')).toEqual({ type: 'string', value: Buffer.from('changed') });
    } finally {
      p.close();
    }
  }, 60_000);

  it("is stitched from each invocation's segment for a copy verified across invocations (locked as the copy), and serve answers from it", async () => {
    const key = 'rdr-sessions-prod-20261121-0300-0001.rdb';
    await s3.send(new PutObjectCommand({ Bucket: LOCKED, Key: key, Body: rdb }));
    // A clock past the deadline at every read: each invocation pauses after its first part.
    const log = new MemoryLog();
    const paused = await runToEnd(event(LOCKED, key), deps(log, 0));
    expect(paused).toMatchObject({ verdict: 'ok', keys: 2051 });
    expect(paused.steps).toBeGreaterThan(5);
    const said = log.lines.map((e) => e.message).find((m) => m.startsWith('key index'));
    expect(said).toMatch(new RegExp(`^key index s3://${LOCKED}/${key}\\.keys: \\d+ bytes, stitched from ${paused.steps} invocations' segments, read back$`));
    expect(log.lines.map((e) => e.message).filter((m) => m.startsWith('no key index'))).toEqual([]);
    // The index and a segment, locked by the bucket's default retention as the copy is.
    expect((await s3.send(new HeadObjectCommand({ Bucket: LOCKED, Key: `${key}.keys` }))).ObjectLockMode).toBe('COMPLIANCE');
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: LOCKED, Prefix: `${key}.0-` }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual([expect.stringMatching(new RegExp(`^${key}\\.0-\\d+\\.part\\.rdb\\.keys$`))]);
    const p = await openPoint(`s3://${LOCKED}/${key}`, moto.endpoint);
    try {
      expect(p.notes).toEqual([`s3://${LOCKED}/${key}: its key index (.keys, written when it was verified; read by blocks, not held)`]);
      expect(p.index.keys).toBe(2051);
      // Every key, from the first invocation's bytes to the last's, as the server wrote it.
      for (const i of [0, 1, 500, 1999]) expect(await valueIn(p, `s:${i}`)).toEqual({ type: 'string', value: Buffer.from(`value-${i}`.repeat((i % 7) + 1)) });
      expect(await valueIn(p, 'h:49')).toMatchObject({ type: 'hash', fields: expect.arrayContaining([expect.anything(), expect.anything()]) });
      expect(await valueIn(p, 'l')).toEqual({ type: 'list', items: ['a', 'b', 'c'].map((x) => Buffer.from(x)) });
    } finally {
      p.close();
    }
  }, 120_000);

  it('is not written when a segment was changed between invocations, nor for a corrupt copy (and the log says why)', async () => {
    const key = 'rdr-sessions-prod-20261121-0500-0001.rdb';
    await s3.send(new PutObjectCommand({ Bucket: PLAIN, Key: key, Body: rdb }));
    const log = new MemoryLog();
    const d = deps(log, 0);
    let input: VerifyStepInput = { event: event(PLAIN, key) };
    let result = await verifyStep(input, d);
    expect(result.done).toBe(false);
    // The first invocation's segment, one byte changed before the next invocations run.
    const first = await s3.send(new ListObjectsV2Command({ Bucket: PLAIN, Prefix: `${key}.0-` }));
    const segment = first.Contents![0]!.Key!;
    const got = await s3.send(new GetObjectCommand({ Bucket: PLAIN, Key: segment }));
    const changed = Buffer.from(await got.Body!.transformToByteArray());
    changed[40]! ^= 1;
    await s3.send(new PutObjectCommand({ Bucket: PLAIN, Key: segment, Body: changed }));
    for (let i = 0; !result.done && i < 1000; i++) {
      input = verifyStepSchema.parse(JSON.parse(JSON.stringify(result)));
      result = await verifyStep(input, d);
    }
    expect(result).toMatchObject({ done: true, outcome: { verdict: 'ok' } });
    expect(log.lines.map((e) => e.message)).toContain(`no key index: segment s3://${PLAIN}/${segment}: its CRC-64 does not match its bytes (damaged)`);
    await expect(s3.send(new HeadObjectCommand({ Bucket: PLAIN, Key: `${key}.keys` }))).rejects.toMatchObject({ name: 'NotFound' });

    const bad = 'rdr-sessions-prod-20261121-0400-0001.rdb';
    const corrupt = Buffer.from(rdb);
    corrupt[corrupt.length - 20]! ^= 0xff;
    await s3.send(new PutObjectCommand({ Bucket: PLAIN, Key: bad, Body: corrupt }));
    expect(await runToEnd(event(PLAIN, bad), deps(new MemoryLog()))).toMatchObject({ verdict: 'corrupt' });
    await expect(s3.send(new HeadObjectCommand({ Bucket: PLAIN, Key: `${bad}.keys` }))).rejects.toMatchObject({ name: 'NotFound' });
  }, 120_000);

  describe('expires with its copy: the index and every segment carry the plan and tier tags the lifecycle rules filter on', () => {
    async function tagsOf(bucket: string, key: string): Promise<Record<string, string>> {
      const out = await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }));
      return Object.fromEntries((out.TagSet ?? []).map((t) => [t.Key!, t.Value!]));
    }
    async function besides(bucket: string, key: string): Promise<string[]> {
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${key}.` }));
      return (listed.Contents ?? []).map((o) => o.Key!);
    }

    it("puts the copy's plan and tier on the index and its segments, read back, and retags them when the copy's tier moves (a hold)", async () => {
      const key = 'rdr-sessions-prod-20261121-0600-0001.rdb';
      await s3.send(new PutObjectCommand({ Bucket: LOCKED, Key: key, Body: rdb, Tagging: 'redis-dr:plan=sessions&redis-dr:tier=daily&owner=team-a' }));
      const log = new MemoryLog();
      const outcome = await runToEnd(event(LOCKED, key), deps(log, 0));
      expect(outcome).toMatchObject({ verdict: 'ok', steps: expect.any(Number) });
      const said = log.lines.map((e) => e.message).find((m) => m.startsWith('key index'));
      expect(said).toMatch(/, tagged redis-dr:plan=sessions redis-dr:tier=daily as the copy, read back$/);
      const objects = await besides(LOCKED, key);
      expect(objects.length).toBe(outcome.steps); // a segment per paused invocation (all but the last), and the index
      expect(objects).toContain(`${key}.keys`);
      // Only the lifecycle's tags: never the copy's others (nor its verdict, which would read as the index's).
      for (const o of objects) expect(await tagsOf(LOCKED, o)).toEqual({ 'redis-dr:plan': 'sessions', 'redis-dr:tier': 'daily' });
      // A hold moves the copy's tier (collapse-copies.ts): its tag event makes the index and segments follow.
      const copyTags = await tagsOf(LOCKED, key);
      await s3.send(
        new PutObjectTaggingCommand({
          Bucket: LOCKED,
          Key: key,
          Tagging: { TagSet: Object.entries({ ...copyTags, 'redis-dr:tier': 'held-daily' }).map(([Key, Value]) => ({ Key, Value })) },
        }),
      );
      const heldLog = new MemoryLog();
      expect(await runToEnd(event(LOCKED, key, 'Object Tags Added'), deps(heldLog))).toMatchObject({ action: 'already-verified', verdict: 'ok' });
      for (const o of objects) expect(await tagsOf(LOCKED, o)).toEqual({ 'redis-dr:plan': 'sessions', 'redis-dr:tier': 'held-daily' });
      expect(heldLog.lines.map((e) => e.message)).toContain(`key index tagged as the copy: ${objects.join(', ')}`);
      // Once they follow, the next tag event retags nothing.
      const again = new MemoryLog();
      await runToEnd(event(LOCKED, key, 'Object Tags Added'), deps(again));
      expect(again.lines.map((e) => e.message).filter((m) => m.startsWith('key index tagged'))).toEqual([]);
    }, 120_000);

    it('puts no tag on the index of a copy that carries none yet (it then expires with nothing, as its copy), and tags it once the copy is tagged', async () => {
      const key = 'rdr-sessions-prod-20261121-0700-0001.rdb';
      await s3.send(new PutObjectCommand({ Bucket: PLAIN, Key: key, Body: rdb }));
      const log = new MemoryLog();
      expect(await runToEnd(event(PLAIN, key), deps(log))).toMatchObject({ verdict: 'ok' });
      expect(log.lines.map((e) => e.message).find((m) => m.startsWith('key index'))).toMatch(/ bytes, read back$/);
      expect(await tagsOf(PLAIN, `${key}.keys`)).toEqual({});
      // The export's tags arrive, the verdict kept (merged): the index follows.
      const copyTags = await tagsOf(PLAIN, key);
      await s3.send(
        new PutObjectTaggingCommand({
          Bucket: PLAIN,
          Key: key,
          Tagging: {
            TagSet: Object.entries({ ...copyTags, 'redis-dr:plan': 'sessions', 'redis-dr:tier': 'weekly' }).map(([Key, Value]) => ({ Key, Value })),
          },
        }),
      );
      await runToEnd(event(PLAIN, key, 'Object Tags Added'), deps(new MemoryLog()));
      expect(await tagsOf(PLAIN, `${key}.keys`)).toEqual({ 'redis-dr:plan': 'sessions', 'redis-dr:tier': 'weekly' });
      // Another copy's index (a key that only starts like this one's) is not touched.
      expect(await besides(PLAIN, key)).toEqual([`${key}.keys`]);
    }, 60_000);
  });

  describe('a copy verified on two threads (the large copies): the worker indexes its part as this thread does its own', () => {
    /** The S3 client of these runs, with the Range of every GetObject it sends. */
    const ranges: string[] = [];
    let two: S3Client;
    beforeAll(() => {
      two = moto.newClient();
      two.middlewareStack.add(
        (next) => async (args) => {
          const range = (args.input as { Range?: string }).Range;
          if (range) ranges.push(range);
          return next(args);
        },
        { step: 'initialize' },
      );
    });
    const splits: { taken: true | string; from?: number }[] = [];
    function twoThreadDeps(log: MemoryLog, clock?: Pick<VerifyDeps, 'clock' | 'deadline'>, settings: TwoThreadSettings = {}): VerifyDeps {
      return {
        ...deps(log),
        s3: two,
        ...clock,
        reads: { partBytes: 64 << 10, concurrency: 1 },
        twoThreads: {
          minBytes: 1 << 20,
          cores: 2,
          awaitStart: true, // the tests' workers load TypeScript: this thread would be past the middle first
          ...settings,
          observe: (taken, from) => void splits.push({ taken, ...(from !== undefined ? { from } : {}) }),
        },
      };
    }
    async function indexOf(bucket: string, key: string): Promise<Buffer> {
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${key}.keys` }));
      return Buffer.from(await got.Body!.transformToByteArray());
    }
    /** The index one thread writes for the same bytes (another copy's name: the index names no copy). */
    async function oneThreadIndex(): Promise<Buffer> {
      const key = 'rdr-sessions-prod-20261121-0800-0001.rdb';
      const head = await s3.send(new HeadObjectCommand({ Bucket: PLAIN, Key: `${key}.keys` })).catch(() => undefined);
      if (!head) {
        await s3.send(new PutObjectCommand({ Bucket: PLAIN, Key: key, Body: large }));
        expect(await runToEnd(event(PLAIN, key), deps(new MemoryLog()))).toMatchObject({ verdict: 'ok', keys: LARGE_KEYS, steps: 1 });
      }
      return indexOf(PLAIN, key);
    }
    it('one invocation: the index is the one a single thread writes, byte for byte, and serve answers from it with ranged GETs only', async () => {
      const key = 'rdr-sessions-prod-20261121-0900-0001.rdb';
      await s3.send(new PutObjectCommand({ Bucket: PLAIN, Key: key, Body: large }));
      splits.length = 0;
      const log = new MemoryLog();
      expect(await runToEnd(event(PLAIN, key), twoThreadDeps(log))).toMatchObject({ verdict: 'ok', keys: LARGE_KEYS, steps: 1 });
      expect(splits).toEqual([{ taken: true, from: expect.any(Number) }]);
      // The worker's part starts in database 3, past database 0's keys (its keys before its first SELECTDB are relabelled).
      expect(splits[0]!.from).toBeGreaterThan(Math.max(...Array.from({ length: 20 }, (_, i) => large.indexOf(`zero:${i}`))));
      const said = log.lines.map((e) => e.message).find((m) => m.startsWith('key index') || m.startsWith('no key index'));
      expect(said).toMatch(new RegExp(`^key index s3://${PLAIN}/${key}\\.keys: \\d+ bytes, read back$`));
      expect((await indexOf(PLAIN, key)).equals(await oneThreadIndex())).toBe(true);

      const before = (await requestsAfter(moto, 0)).length;
      const s = await startServing({ location: `s3://${PLAIN}/${key}`, s3Endpoint: moto.endpoint, port: 0 });
      const c = new Redis({ port: s.port, lazyConnect: true, maxRetriesPerRequest: 0 });
      try {
        expect(s.notes).toEqual([`s3://${PLAIN}/${key}: its key index (.keys, written when it was verified; read by blocks, not held)`]);
        expect(await c.dbsize()).toBe(20);
        expect(await c.get('zero:7')).toBe('v7');
        await c.select(3);
        expect(await c.dbsize()).toBe(3_002);
        // Keys of this thread's part and of the worker's, the worker's first ones (before its first SELECTDB) in database 3.
        for (const i of [0, 1, 10, 1_500, 2_998]) expect(await c.get(`big:${i}`)).toBe(largeValue(i));
        expect(await c.pttl('big:2999')).toBeGreaterThan(0);
        expect(await c.hgetall('big:h')).toEqual({ a: '1', b: '2' });
        expect(await c.lrange('big:l', 0, -1)).toEqual(['a', 'b', 'c']);
        const copyRequests = (await requestsAfter(moto, before)).filter((r) => r.includes(`/${key} `) || r.includes(`/${key}.keys `));
        // HeadObject of the copy and of its index, then ranged GETs only (206): never the whole copy.
        expect(copyRequests.filter((r) => r.startsWith('HEAD '))).toHaveLength(2);
        const gets = copyRequests.filter((r) => r.startsWith('GET '));
        expect(gets.length).toBeGreaterThan(3);
        expect(gets.every((r) => r.endsWith(' 206'))).toBe(true);
      } finally {
        c.disconnect();
        await s.close();
      }
    }, 120_000);

    it("a deadline while the worker reads: its part pauses at Y, this invocation's segment holds both threads' keys, and the index is stitched as one thread's", async () => {
      const key = 'rdr-sessions-prod-20261121-1000-0001.rdb';
      await s3.send(new PutObjectCommand({ Bucket: LOCKED, Key: key, Body: large }));
      splits.length = 0;
      const at = 5_000; // X inside this thread's first part: it stops there on its first chunk, and waits for the worker
      const log = new MemoryLog();
      let step = 0;
      // The first invocation: past the deadline once the worker's reads are 600 KB past X (its bytes are handed over as read).
      const past = (): boolean => step === 0 && ranges.some((r) => Number(/^bytes=(\d+)-/.exec(r)?.[1] ?? 0) >= at + 600_000);
      ranges.length = 0;
      const d = twoThreadDeps(log, { clock: { now: () => (past() ? 2 : 1) }, deadline: 2 }, { at, holdBytes: 64 << 10, minBytes: 256 << 10 });
      let result = await verifyStep({ event: event(LOCKED, key) }, d);
      expect(result.done).toBe(false);
      expect(splits[0]).toEqual({ taken: true, from: expect.any(Number) });
      const y = (result as Extract<typeof result, { done: false }>).progress!.checkpoint.offset;
      expect(y).toBeGreaterThan(at + 500_000);
      expect(y).toBeLessThan(large.length - 100_000);
      expect((result as Extract<typeof result, { done: false }>).progress!.keyIndexParts).toEqual([0, y]);
      // The segment [0, Y): both threads' keys.
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: LOCKED, Prefix: `${key}.0-` }));
      expect(listed.Contents?.map((o) => o.Key)).toEqual([`${key}.0-${y}.part.rdb.keys`]);
      step = 1;
      result = await verifyStep(verifyStepSchema.parse(JSON.parse(JSON.stringify(result))), {
        ...d,
        clock: { now: () => 1 },
        deadline: Number.POSITIVE_INFINITY,
      });
      expect(result).toMatchObject({ done: true, outcome: { verdict: 'ok', keys: LARGE_KEYS, invocations: 2 } });
      expect(splits).toHaveLength(2); // the second invocation split its rest again
      expect(splits[1]).toMatchObject({ taken: true });
      const said = log.lines.map((e) => e.message).find((m) => m.startsWith('key index') || m.startsWith('no key index'));
      expect(said).toMatch(new RegExp(`^key index s3://${LOCKED}/${key}\\.keys: \\d+ bytes, stitched from 2 invocations' segments, read back$`));
      expect((await indexOf(LOCKED, key)).equals(await oneThreadIndex())).toBe(true);
      const p = await openPoint(`s3://${LOCKED}/${key}`, moto.endpoint);
      try {
        expect(p.index.keys).toBe(LARGE_KEYS);
        for (const i of [0, 1_000, 1_200, 2_999]) expect(await valueIn(p, `big:${i}`, 3)).toEqual({ type: 'string', value: Buffer.from(largeValue(i)) });
      } finally {
        p.close();
      }
    }, 120_000);

    it("a changed block of a two-thread copy's index is refused when serve reads it (an error reply, never a value), the other blocks served", async () => {
      const key = 'rdr-sessions-prod-20261121-0900-0001.rdb'; // indexed on two threads by the first case, or here
      const index = await indexOf(PLAIN, key).catch(async () => {
        await s3.send(new PutObjectCommand({ Bucket: PLAIN, Key: key, Body: large }));
        await runToEnd(event(PLAIN, key), twoThreadDeps(new MemoryLog()));
        return indexOf(PLAIN, key);
      });
      const changed = Buffer.from(index);
      const at = changed.indexOf(Buffer.from('big:2500'));
      expect(at).toBeGreaterThan(0);
      changed[at]! = 'B'.charCodeAt(0);
      // Put with the index's metadata (the copy's version it names), as a block changed in place would keep it.
      const { Metadata } = await s3.send(new HeadObjectCommand({ Bucket: PLAIN, Key: `${key}.keys` }));
      await s3.send(new PutObjectCommand({ Bucket: PLAIN, Key: `${key}.keys`, Body: changed, Metadata }));
      const s = await startServing({ location: `s3://${PLAIN}/${key}`, s3Endpoint: moto.endpoint, port: 0 });
      const c = new Redis({ port: s.port, lazyConnect: true, maxRetriesPerRequest: 0 });
      try {
        await c.select(3);
        await expect(c.get('big:2500')).rejects.toThrow(
          /^ERR redis-dr serve could not answer GET: .* does not match its CRC-32 in the index's directory \(changed or damaged\); not served/,
        );
        // Another block's key: the one farthest from big:2500 in the file (its blocks hold keys in the file's order, and a
        // server's dict order is seeded at random, so a fixed name such as big:0 shares big:2500's block in some runs).
        const at = bigKeyAt;
        const changedAt = at(2500);
        const other = Array.from({ length: 3_000 }, (_, i) => i).reduce((a, b) => (Math.abs(at(b) - changedAt) > Math.abs(at(a) - changedAt) ? b : a));
        expect(Math.abs(at(other) - changedAt)).toBeGreaterThan(large.length / 3);
        expect(await c.get(`big:${other}`)).toBe(largeValue(other));
      } finally {
        c.disconnect();
        await s.close();
      }
    }, 60_000);
  });

  it("is refused for a copy its own verification finds corrupt (a CRC-64 mismatch, a key stored twice): the index is taken from the verifier's parse, and the job writes none", async () => {
    // A value's byte changed: every value still parses, only the CRC-64 differs.
    const crcBad = Buffer.from(rdb);
    const value = crcBad.indexOf('value-1999');
    crcBad[value + 6]! ^= 0x01;
    // s:1001 renamed s:1000 (same length) and the CRC-64 written again: only the duplicate-key check finds it.
    const twice = Buffer.from(rdb);
    const name = twice.indexOf(Buffer.concat([Buffer.from([0, 6]), Buffer.from('s:1001')]));
    expect(name).toBeGreaterThan(0);
    twice.write('s:1000', name + 2, 'latin1');
    new Crc64().update(twice, 0, twice.length - 8).writeLittleEndian(twice, twice.length - 8);
    for (const [bytes, found] of [
      [crcBad, /CRC-64/],
      [twice, /a key is stored twice in database 0/],
    ] as const) {
      // The index read through the verifier: its report is the verdict, and the index is refused ...
      const alone = new CopyKeyIndex('s3://b/k');
      const report = verifyThrough(alone, [[bytes, 0]]).end();
      expect(report.ok).toBe(false);
      expect(() => alone.encode(bytes.length)).toThrow(/^s3:\/\/b\/k is corrupt \(the verifier's verdict at byte \d+: /);
      // ... and the job, whose verifier is that read, writes no index beside them.
      const key = `rdr-sessions-prod-20261121-06${bytes === crcBad ? '00' : '01'}-0001.rdb`;
      await s3.send(new PutObjectCommand({ Bucket: PLAIN, Key: key, Body: bytes }));
      const log = new MemoryLog();
      const outcome = await runToEnd(event(PLAIN, key), deps(log));
      expect(outcome).toMatchObject({ verdict: 'corrupt' });
      expect(JSON.stringify(log.lines)).toMatch(found);
      await expect(s3.send(new HeadObjectCommand({ Bucket: PLAIN, Key: `${key}.keys` }))).rejects.toMatchObject({ name: 'NotFound' });
    }
    // Never ended (no verdict): no index either.
    const unended = new CopyKeyIndex('s3://b/k');
    verifyThrough(unended, [[rdb, 0]]);
    expect(() => unended.encode(rdb.length)).toThrow('s3://b/k: the verification its keys came from did not end: no index is written for it');
  }, 120_000);

  describe("a copy verified across invocations: its check for a key stored twice is made whole by the index, over every invocation's keys", () => {
    /** The file's first and last `s:NNNN` keys (4 digits) in file order: a name at the start and one at the end, same length. */
    const firstAndLast = (bytes: Buffer): [number, number] => {
      const at: number[] = [];
      for (let p = bytes.indexOf('s:'); p >= 0; p = bytes.indexOf('s:', p + 1))
        if (bytes[p - 1] === 6 && bytes[p - 2] === 0 && /^s:\d{4}$/.test(bytes.toString('latin1', p, p + 6))) at.push(p);
      return [at[0]!, at.at(-1)!];
    };
    const verdictOf = async (key: string): Promise<Record<string, unknown>> => {
      const got = await s3.send(new GetObjectCommand({ Bucket: PLAIN, Key: verdictObjectKey('dr', key) }));
      return JSON.parse(await got.Body!.transformToString()) as Record<string, unknown>;
    };

    it('a key at the start renamed as one at the end (the CRC-64 made again): corrupt, named, no index; the verifier alone checked only the last invocation', async () => {
      const twice = Buffer.from(rdb);
      const [first, last] = firstAndLast(twice);
      // Far apart: the first invocation reads one part, the last key lies past the next.
      expect(last - first).toBeGreaterThan(2 * PART);
      const name = twice.toString('latin1', first, first + 6);
      twice.write(name, last, 'latin1');
      new Crc64().update(twice, 0, twice.length - 8).writeLittleEndian(twice, twice.length - 8);
      const key = 'rdr-sessions-prod-20261122-0700-0001.rdb';
      await s3.send(new PutObjectCommand({ Bucket: PLAIN, Key: key, Body: twice }));
      const log = new MemoryLog();
      const outcome = await runToEnd(event(PLAIN, key), deps(log, 0));
      expect(outcome.steps).toBeGreaterThan(5);
      expect(outcome).toMatchObject({ verdict: 'corrupt' });
      expect(JSON.stringify(log.lines)).toContain(
        `key \\"${name}\\" is stored twice in one database (found over every invocation's keys, as the key index holds them): Redis refuses the file`,
      );
      expect((await verdictOf(key)).verdict).toBe('corrupt');
      await expect(s3.send(new HeadObjectCommand({ Bucket: PLAIN, Key: `${key}.keys` }))).rejects.toMatchObject({ name: 'NotFound' });
    }, 120_000);

    it('a check over every key that would not fit in the memory left is not made: the verdict says the check was partial (never a guess)', async () => {
      const key = 'rdr-sessions-prod-20261122-1000-0001.rdb';
      await s3.send(new PutObjectCommand({ Bucket: PLAIN, Key: key, Body: rdb }));
      // A function of 1 MB: no room for the table (the process holds far more already).
      const before = process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE;
      process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE = '1';
      try {
        expect(await runToEnd(event(PLAIN, key), deps(new MemoryLog(), 0))).toMatchObject({ verdict: 'ok' });
      } finally {
        if (before === undefined) delete process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE;
        else process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE = before;
      }
      const partial = (await verdictOf(key)).duplicateKeyCheck as { fromOffset: number } | undefined;
      expect(partial?.fromOffset).toBeGreaterThan(0);
      expect(memoryHeadroomBytes({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1' })).toBe(0);
      expect(memoryHeadroomBytes({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '3008' })).toBeGreaterThan(0);
    }, 120_000);

    it('none twice: ok, and the verdict object says no partial check; a segment changed (no index): ok, and the verdict says the check was partial', async () => {
      const key = 'rdr-sessions-prod-20261122-0800-0001.rdb';
      await s3.send(new PutObjectCommand({ Bucket: PLAIN, Key: key, Body: rdb }));
      expect(await runToEnd(event(PLAIN, key), deps(new MemoryLog(), 0))).toMatchObject({ verdict: 'ok' });
      const whole = await verdictOf(key);
      expect(whole.verdict).toBe('ok');
      expect(whole).not.toHaveProperty('duplicateKeyCheck');
      // The first invocation's segment damaged before the others run: no index, so no check over all: said partial.
      const damaged = 'rdr-sessions-prod-20261122-0900-0001.rdb';
      await s3.send(new PutObjectCommand({ Bucket: PLAIN, Key: damaged, Body: rdb }));
      const d = deps(new MemoryLog(), 0);
      let result = await verifyStep({ event: event(PLAIN, damaged) }, d);
      const segment = (await s3.send(new ListObjectsV2Command({ Bucket: PLAIN, Prefix: `${damaged}.0-` }))).Contents![0]!.Key!;
      const bytes = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: PLAIN, Key: segment }))).Body!.transformToByteArray());
      bytes[40]! ^= 1;
      await s3.send(new PutObjectCommand({ Bucket: PLAIN, Key: segment, Body: bytes }));
      for (let i = 0; !result.done && i < 1000; i++) result = await verifyStep(verifyStepSchema.parse(JSON.parse(JSON.stringify(result))), d);
      expect(result).toMatchObject({ done: true, outcome: { verdict: 'ok' } });
      expect((await verdictOf(damaged)).duplicateKeyCheck).toMatchObject({ fromOffset: expect.any(Number), detectionProbability: 1 });
      expect(((await verdictOf(damaged)).duplicateKeyCheck as { fromOffset: number }).fromOffset).toBeGreaterThan(0);
    }, 120_000);
  });

  it("holds each key where the file has it; a key left out is refused at its writing (the verifier's counts), a wrong offset by serve's read of the value", async () => {
    const index = new CopyKeyIndex('s3://b/k');
    const chunks: [Uint8Array, number][] = [];
    for (let at = 0; at < rdb.length; at += 777) chunks.push([rdb.subarray(at, Math.min(rdb.length, at + 777)), at]);
    expect(verifyThrough(index, chunks).end().ok).toBe(true);
    const file = index.encode(rdb.length) as Buffer;
    const opened = indexInMemory(file, { bytes: rdb.length, trailer: rdb.subarray(rdb.length - 8).toString('hex') });
    if ('problem' in opened) throw new Error(opened.problem);
    // Every key the file holds, at the bytes a plain key reader (no index, its own parse) finds its value at.
    const reader = new RdbKeyReader();
    const keys: RdbKey[] = [];
    for (let at = 0; at < rdb.length; at += 4096) keys.push(...reader.push(rdb.subarray(at, Math.min(rdb.length, at + 4096))));
    expect(reader.end().ok).toBe(true);
    expect(opened.index.keys).toBe(keys.length);
    for (const k of keys) {
      const e = await settle(() => opened.index.entry(k.db, opened.index.find(k.db, k.name)));
      expect(e.type).toBe(k.type);
      expect(rdb.subarray(e.valueAt, e.valueEnd).equals(k.payload.subarray(1, k.payload.length - 10))).toBe(true);
    }
    // Planted faults in what the parse hands the index: one key's value shifted by a byte, one key left out, one placed twice.
    const planted = (fault: 'shift' | 'drop' | 'twice'): Buffer | string => {
      const bad = new CopyKeyIndex('s3://b/k');
      const hook = bad.places;
      const place = hook.place.bind(hook);
      hook.place = (db, type, n, from, to, valueAt, valueEnd, expireAt) => {
        const target = Buffer.from(n.subarray(from, to)).toString() === 's:1000';
        if (target && fault === 'drop') return;
        if (target && fault === 'twice') place(db, type, n, from, to, valueAt, valueEnd, expireAt);
        place(db, type, n, from, to, target && fault === 'shift' ? valueAt + 1 : valueAt, valueEnd, expireAt);
      };
      expect(verifyThrough(bad, chunks).end().ok).toBe(true);
      return bad.encode(rdb.length);
    };
    expect(planted('drop')).toBe('its 2050 keys are not the 2051 the verifier counted');
    expect(planted('twice')).toBe('its 2052 keys are not the 2051 the verifier counted');
    const shifted = planted('shift') as Buffer;
    expect(Buffer.isBuffer(shifted) && !shifted.equals(file)).toBe(true);
    // The shifted one is written (its counts agree); serve, reading the value where it says, refuses to answer from it.
    const key = 'rdr-sessions-prod-20261121-0700-0001.rdb';
    await s3.send(new PutObjectCommand({ Bucket: PLAIN, Key: key, Body: rdb }));
    const { ETag } = await s3.send(new HeadObjectCommand({ Bucket: PLAIN, Key: key }));
    await s3.send(new PutObjectCommand({ Bucket: PLAIN, Key: `${key}.keys`, Body: shifted, Metadata: { 'redis-dr-source-etag': ETag!.replace(/"/g, '') } }));
    const s = await startServing({ location: `s3://${PLAIN}/${key}`, s3Endpoint: moto.endpoint, port: 0 });
    const c = new Redis({ port: s.port, lazyConnect: true, maxRetriesPerRequest: 0 });
    try {
      await expect(c.get('s:1000')).rejects.toThrow(/^ERR redis-dr serve could not answer GET: /);
      expect(await c.get('s:999')).toBe('value-999'.repeat((999 % 7) + 1));
    } finally {
      c.disconnect();
      await s.close();
    }
  }, 120_000);

  describe("the worker's part in a copy's index (CopyKeyIndex.takePart): its keys stand for its bytes, or there is no index", () => {
    interface WorkerPart {
      readonly from: number;
      readonly keys: HandedKeys | string;
      readonly segment?: RdbSegment;
      readonly shards?: readonly Uint32Array[];
    }
    /** A top-level boundary in database 3 (the type byte of a string key without expiry), and the worker's keys from it. */
    function workerPart(): WorkerPart {
      // A string key's type byte past the middle (keys lie in dict order; not big:2999, which has an expiry before it).
      const at = bigKeyAt;
      const from = at(Array.from({ length: 2_999 }, (_, i) => i).find((i) => at(i) > large.length / 2)!);
      const context = readHeadContext((o, n) => large.subarray(o, o + n), large.length, { maxValueBytes: 512 << 20, requireChecksum: true })!;
      // As the worker reads it: its keys from its segment's own parse (its collector the parser's sink), in chunks whose seams cut names.
      const keys = new SegmentKeySink(from, context, { maxValueBytes: 512 << 20, requireChecksum: true }, large.length);
      for (let at = from; at < large.length; at += 4_093) keys.push(large.subarray(at, at + 4_093));
      const segment = segmentOf(keys.parser, from, context);
      if (typeof segment === 'string') throw new Error(segment);
      const shards = Array.from({ length: 256 }, (_, s) => keys.parser.keyDigests?.memoryRecords(s) ?? new Uint32Array(0));
      return { from, segment, shards, keys: keys.handOver(large.length) };
    }
    function oneThread(): Buffer {
      const index = new CopyKeyIndex('s3://b/k');
      expect(verifyThrough(index, [[large, 0]]).end().ok).toBe(true);
      return index.encode(large.length) as Buffer;
    }
    /** This thread's index: its parse stopped at the part's start (its bytes read past it, to a chunk's end), then the worker's part taken. */
    function twoThreads(part: WorkerPart, db = 3): Buffer | string {
      const index = new CopyKeyIndex('s3://b/k');
      const v = index.verifying((sink) => rdbVerifierParser({ requireChecksum: true }, sink));
      v.parser.stopAtBoundary(part.from);
      for (const [from, to] of [
        [0, 70_000],
        [70_000, part.from + 40_000],
      ] as const) {
        index.push(large.subarray(from, to), from);
        v.push(large.subarray(from, to));
      }
      expect(v.parser.pausedAt).toBe(part.from);
      if (part.segment) expect(takeSegment(v.parser, { type: 'done', segment: part.segment }, (s) => [part.shards![s]!])).toBe(true);
      index.takePart({ ...part, end: large.length, db, trailer: large.subarray(large.length - 8) });
      index.push(large.subarray(part.from + 40_000), part.from + 40_000); // nothing more once the part is taken
      v.end();
      return index.encode(large.length);
    }

    it("gives the index one thread gives; the part's first keys (before its first SELECTDB) in the database at its start", () => {
      const part = workerPart();
      expect(part.from).toBeGreaterThan(70_000);
      const two = twoThreads(part);
      expect(Buffer.isBuffer(two) && two.equals(oneThread())).toBe(true);
      // Relabelled with another database, the keys are not those of the file: the verifier's counts per database refuse it.
      expect(twoThreads(part, 0)).toMatch(/^its \d+ keys of database 0 are not the 20 the verifier counted$/);
    });

    it("gives the index one thread gives when the part is not taken: this thread's parse goes on from the boundary, the bytes from there read again", () => {
      const { from } = workerPart();
      const index = new CopyKeyIndex('s3://b/k');
      const v = index.verifying((sink) => rdbVerifierParser({ requireChecksum: true }, sink));
      v.parser.stopAtBoundary(from);
      index.push(large.subarray(0, from + 40_000), 0);
      v.push(large.subarray(0, from + 40_000));
      expect(v.parser.pausedAt).toBe(from);
      // As verifyRangesOnTwoThreads does when the worker's part cannot be merged: on from the boundary, alone.
      v.continueFromPause();
      for (let at = from; at < large.length; at += 30_000) {
        const chunk = large.subarray(at, Math.min(large.length, at + 30_000));
        index.push(chunk, at);
        v.push(chunk);
      }
      expect(v.end().ok).toBe(true);
      const file = index.encode(large.length);
      expect(Buffer.isBuffer(file) && file.equals(oneThread())).toBe(true);
    });

    it('gives no index for a changed part, a part without keys, or a gap in the bytes read here', () => {
      const part = workerPart();
      // A key's row changed (its value's start moved before the part): found as every key is checked (no checksum: never stored).
      const handed = part.keys as HandedKeys;
      const rows = Buffer.from(handed.rows);
      rows.writeUInt32LE(part.from - 1, 3 * ROW + R_AT);
      expect(twoThreads({ ...part, keys: { ...handed, rows } })).toBe(`the second thread's part [${part.from}, ${large.length}): its key 3 lies outside it`);
      expect(twoThreads({ ...part, keys: 'its index pass failed at byte 9: x' })).toBe(
        `the second thread's part [${part.from}, ${large.length}) has no keys: its index pass failed at byte 9: x`,
      );
      const gap = new CopyKeyIndex('s3://b/k');
      verifyThrough(gap, [
        [large.subarray(0, 1_000), 0],
        [large.subarray(2_000), 2_000],
      ]);
      expect(gap.encode(large.length)).toBe('bytes [1000, 2000) were not read here');
    });
  });
});
