/**
 * verify-rdb writes the key index beside each copy it judges `ok`
 * (`<copy>.keys`, jobs/dr-copies/copy-key-index.ts), from the bytes it read,
 * under the copy's Object Lock retention; `serve` opens the copy from it
 * (HeadObject, the trailer and the index: never the whole copy) and refuses
 * it for a copy it does not belong to. On a real S3 API (moto) with a real
 * redis-server's RDB.
 */
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
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeDumpPayload } from '../../../../lambdas/domain/rdb/format/value.js';
import { settle } from '../../../../lambdas/domain/serve/paged-index.js';
import {
  verifyStep,
  type S3ObjectEvent,
  type VerifyDeps,
  type VerifyOutcome,
  verifyStepSchema,
  type VerifyStepInput,
} from '../../../../lambdas/jobs/dr-copies/verify-rdb.js';
import { openPoint, type OpenedPoint } from '../../../../lambdas/jobs/serve/open-point.js';
import { MemoryLog, MemoryMetrics } from '../../../support/fakes.js';
import { type MotoS3, startMotoS3, useMotoCredentials } from '../../../support/moto.js';
import { bgsave, startRedisServer } from '../../../support/redis-server.js';

const LOCKED = 'dr-locked';
const PLAIN = 'dr-plain';
const KEY = 'rdr-sessions-prod-20261121-0200-0001.rdb';
let moto: MotoS3;
let s3: S3Client;
let restoreCredentials: () => void;
let rdb: Buffer;
let other: Buffer;

function event(bucket: string, key = KEY, type: S3ObjectEvent['detail-type'] = 'Object Created'): S3ObjectEvent {
  return { 'detail-type': type, source: 'aws.s3', detail: { bucket: { name: bucket }, object: { key, size: 100 } } };
}

function deps(log: MemoryLog, deadline = Number.POSITIVE_INFINITY, now = () => 1_000): VerifyDeps {
  return {
    s3,
    metrics: new MemoryMetrics(),
    log,
    clock: { now },
    deadline,
    alert: async () => undefined,
    where: { deployment: 'prod', region: 'eu-central-1' },
    // Small ranged GETs, so a deadline can pause the read midway.
    reads: { partBytes: 4096, concurrency: 1 },
  };
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

async function valueIn(p: OpenedPoint, key: string): Promise<unknown> {
  return decodeDumpPayload(await p.payload(await settle(() => p.index.entry(0, p.index.find(0, Buffer.from(key))))));
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
    await s3.send(new PutObjectCommand({ Bucket: PLAIN, Key: KEY, Body: rdb }));
    expect(await runToEnd(event(PLAIN), deps(new MemoryLog()))).toMatchObject({ verdict: 'ok' });
    const head = await s3.send(new HeadObjectCommand({ Bucket: PLAIN, Key: `${KEY}.keys` }));
    expect(head.ContentLength).toBeGreaterThan(0);
    // Another save under the copy's name (same length or not): the index's CRC-64 no longer names it.
    await s3.send(new PutObjectCommand({ Bucket: PLAIN, Key: KEY, Body: other }));
    const p = await openPoint(`s3://${PLAIN}/${KEY}`, moto.endpoint);
    try {
      expect(p.notes[0]).toMatch(
        /read whole and verified \(it indexes another copy \(\d+ bytes, CRC-64 [0-9a-f]{16}; the copy: \d+ bytes, CRC-64 [0-9a-f]{16}\)\)$/,
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
    expect(log.lines.map((e) => e.message)).toContain(`no key index: segment s3://${PLAIN}/${segment}: its SHA-256 does not match its bytes (damaged)`);
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
});
