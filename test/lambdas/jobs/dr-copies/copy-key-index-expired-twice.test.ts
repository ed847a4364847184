/**
 * A resumed DR verification's check for a key stored twice, completed over every invocation's keys from the stitched
 * key index (copy-key-index.ts), holds the keys as the verifier's own check does: a copy whose expiry had passed when
 * the file was written is dropped by a primary loading it (rdbLoad), so its name again later is no duplicate. A real
 * 7.0 loads such a file; the verdict is the same read in one invocation or in many (on moto).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutBucketVersioningCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Crc64 } from '../../../../lambdas/domain/rdb/codecs/crc64.js';
import { verdictObjectKey } from '../../../../lambdas/domain/points/verdict-objects.js';
import { type S3ObjectEvent, type VerifyDeps, verifyStep, verifyStepSchema, type VerifyStepInput } from '../../../../lambdas/jobs/dr-copies/verify-rdb.js';
import { MemoryLog, MemoryMetrics } from '../../../support/fakes.js';
import { type MotoS3, startMotoS3, useMotoCredentials } from '../../../support/moto.js';
import { bgsave, startRedisServer } from '../../../support/redis-server.js';

const B = 'dr-plain';
let moto: MotoS3;
let s3: S3Client;
let restore: () => void;
/** The file, its first key's name given to its last key too, with the first's (`first`) or the last's expiry in 1970. */
const patched: Record<'first' | 'last', Buffer> = { first: Buffer.alloc(0), last: Buffer.alloc(0) };
const loaded: Record<'first' | 'last', number> = { first: 0, last: 0 };

const deps = (log: MemoryLog, deadline: number): VerifyDeps => ({
  s3,
  metrics: new MemoryMetrics(),
  log,
  clock: { now: () => 1_000 },
  deadline,
  alert: async () => undefined,
  where: { deployment: 'prod', region: 'eu-central-1' },
  reads: { partBytes: 8192, concurrency: 1 },
});
const event = (key: string): S3ObjectEvent => ({
  'detail-type': 'Object Created',
  source: 'aws.s3',
  detail: { bucket: { name: B }, object: { key, size: 100 } },
});
async function runToEnd(key: string, d: VerifyDeps): Promise<Record<string, unknown>> {
  let input: VerifyStepInput = { event: event(key) };
  for (let i = 1; i < 1000; i++) {
    const r = await verifyStep(input, d);
    if (r.done) return { ...r.outcome, steps: i };
    input = verifyStepSchema.parse(JSON.parse(JSON.stringify(r)));
  }
  throw new Error('not done');
}

beforeAll(async () => {
  moto = await startMotoS3();
  restore = useMotoCredentials();
  s3 = moto.newClient();
  await moto.bucket(B);
  await s3.send(new PutBucketVersioningCommand({ Bucket: B, VersioningConfiguration: { Status: 'Enabled' } }));
  const server = await startRedisServer();
  const c = server.client();
  const pipe = c.pipeline();
  for (let i = 1000; i < 3000; i++) pipe.set(`s:${i}`, `value-${i}`.repeat((i % 7) + 1), 'PX', 86_400_000);
  await pipe.exec();
  const rdb = readFileSync(await bgsave(server, c));
  c.disconnect();
  await server.stop();
  // First and last s:NNNN key names in file order (each after an expiry opcode FC <8 bytes>, type 0, length 6): far apart.
  const at: number[] = [];
  for (let p = rdb.indexOf('s:'); p >= 0; p = rdb.indexOf('s:', p + 1))
    if (rdb[p - 1] === 6 && rdb[p - 2] === 0 && rdb[p - 11] === 0xfc && /^s:\d{4}$/.test(rdb.toString('latin1', p, p + 6))) at.push(p);
  const [first, last] = [at[0]!, at.at(-1)!];
  expect(last - first).toBeGreaterThan(8192);
  for (const which of ['first', 'last'] as const) {
    const b = Buffer.from(rdb);
    b.write(b.toString('latin1', first, first + 6), last, 'latin1');
    // Expired when the file was written: a primary loading it drops that copy and holds the name once.
    b.writeBigUInt64LE(1000n, (which === 'first' ? first : last) - 10);
    new Crc64().update(b, 0, b.length - 8).writeLittleEndian(b, b.length - 8);
    patched[which] = b;
    const dir = mkdtempSync(join(tmpdir(), 'redis-dr-test-'));
    writeFileSync(join(dir, 'p.rdb'), b);
    const loader = await startRedisServer({ loadRdb: join(dir, 'p.rdb') });
    const l = loader.client();
    loaded[which] = await l.dbsize();
    l.disconnect();
    await loader.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);

afterAll(async () => {
  restore?.();
  await moto?.stop();
});

it.each(['first', 'last'] as const)(
  'a name twice, its %s copy expired when the file was written: a real 7.0 loads it; ok read in one invocation and in many, no partial check said',
  async (which) => {
    expect(loaded[which]).toBe(1999);
    const once = `rdr-a-prod-20261122-0700-000${which === 'first' ? 1 : 2}.rdb`;
    const many = `rdr-a-prod-20261122-0800-000${which === 'first' ? 1 : 2}.rdb`;
    for (const key of [once, many]) await s3.send(new PutObjectCommand({ Bucket: B, Key: key, Body: patched[which] }));
    expect(await runToEnd(once, deps(new MemoryLog(), Number.POSITIVE_INFINITY))).toMatchObject({ verdict: 'ok', steps: 1 });
    const resumed = await runToEnd(many, deps(new MemoryLog(), 0));
    expect(resumed.steps).toBeGreaterThan(5);
    expect(resumed).toMatchObject({ verdict: 'ok' });
    const v = await s3.send(new GetObjectCommand({ Bucket: B, Key: verdictObjectKey('dr', many) }));
    expect(JSON.parse(await v.Body!.transformToString())).not.toHaveProperty('duplicateKeyCheck');
  },
  120_000,
);
