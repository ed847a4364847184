/**
 * `convert-rdb -o s3://…` when the object read back from S3 is not the one
 * the run meant to store, through a hook at the storage adapter boundary
 * (s3-output.ts's `put`), on a real S3 API (moto):
 * - a store that keeps other bytes than those sent (the put stores `swap.body`
 *   as the run's own object, its ETag the one the run holds): the read-back
 *   through the verifier catches it, the run exits 1 naming it, and the
 *   object is removed;
 * - another writer's object put there after the upload (a real PutObject of
 *   other bytes: another ETag): the run exits 1 saying so, reads nothing of
 *   it and leaves it as it found it (never removing what it did not create).
 */
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { convertRdbAction } from '../../../../cli/commands/convert-rdb/action.js';
import { startMotoS3, type MotoS3, useMotoEndpoint } from '../../../support/moto.js';
import { stagedLeftovers } from '../../../support/temp-dirs.js';
import { populate } from '../../../support/rdb-dataset.js';
import { newerFiles } from '../../../support/rdb-newer.js';
import { bgsave, startRedisServer, type RedisServer } from '../../../support/redis-server.js';

/** What the put stores instead of the run's bytes (`body`), or what another writer puts there right after the upload (`other`). */
const swap = vi.hoisted(() => ({
  body: undefined as Buffer | undefined,
  other: undefined as Buffer | undefined,
  /** The read-back's open fails (the network gone once the upload is stored). */
  readFails: false,
  /** Another writer deletes the object right after the upload. */
  deleted: false,
  put: undefined as ((key: string, body: Buffer) => Promise<void>) | undefined,
  remove: undefined as ((key: string) => Promise<void>) | undefined,
}));
vi.mock('../../../../lambdas/adapters/storage/s3-output.js', async (original) => {
  const real = await original<typeof import('../../../../lambdas/adapters/storage/s3-output.js')>();
  return {
    ...real,
    s3Output: (url: string) => {
      const o = real.s3Output(url);
      if (!o) return o;
      return {
        ...o,
        put: async (body: AsyncIterable<Uint8Array>, replace: boolean) => {
          const kept = swap.body;
          await o.put(
            kept
              ? (async function* () {
                  yield kept;
                })()
              : body,
            replace,
          );
          if (swap.other) await swap.put!(url.replace(/^s3:\/\/[^/]+\//, ''), swap.other);
          if (swap.deleted) await swap.remove!(url.replace(/^s3:\/\/[^/]+\//, ''));
        },
        read: async () => {
          if (swap.readFails) throw new Error('connect ECONNREFUSED (the test)');
          return o.read();
        },
      };
    },
  };
});

describe('convert-rdb into s3://: the object read back differs from the one uploaded', () => {
  let moto: MotoS3;
  let source: RedisServer;
  let dir: string;
  let v11: string;
  /** A valid RDB 10 file of the same keys, one value changed. */
  let changed: Buffer;
  let restore: () => void;
  const stored = async (key: string): Promise<boolean> =>
    moto.client.send(new GetObjectCommand({ Bucket: 'out', Key: key })).then(
      () => true,
      (e: Error) => (e.name === 'NoSuchKey' ? false : Promise.reject(e)),
    );
  const run = async (key: string, force = false): Promise<{ code: number; stderr: string }> => {
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    process.exitCode = 0;
    try {
      await convertRdbAction([v11], { output: `s3://out/${key}`, for: 'redis-7.0', force });
      return { code: Number(process.exitCode ?? 0), stderr: err.mock.calls.map((c) => String(c[0])).join('') };
    } finally {
      err.mockRestore();
      out.mockRestore();
      process.exitCode = 0;
    }
  };

  beforeAll(async () => {
    moto = await startMotoS3();
    await moto.bucket('out');
    restore = useMotoEndpoint(moto);
    swap.put = async (key, body) => {
      await moto.client.send(new PutObjectCommand({ Bucket: 'out', Key: key, Body: body }));
    };
    swap.remove = async (key) => {
      await moto.client.send(new DeleteObjectCommand({ Bucket: 'out', Key: key }));
    };
    source = await startRedisServer({ args: ['--enable-debug-command', 'yes'] });
    const c = source.client();
    await populate(c);
    dir = mkdtempSync(join(tmpdir(), 'redis-dr-convert-s3-back-'));
    v11 = join(dir, 'v11.rdb');
    writeFileSync(v11, newerFiles(readFileSync(await bgsave(source, c))).REDIS0011);
    // Same keys, one value another: a file the verifier passes, whose keys differ from the input's.
    const [name] = await c.keys('*');
    const type = await c.type(name!);
    if (type === 'string') await c.append(name!, '-changed');
    else await c.del(name!).then(() => c.set(name!, 'changed'));
    changed = Buffer.from(readFileSync(await bgsave(source, c)));
    // A moto server and a redis-server start here: minutes on the shared machine at a load of 25+.
  }, 180_000);
  afterEach(() => {
    swap.body = undefined;
    swap.other = undefined;
    swap.readFails = false;
    swap.deleted = false;
  });
  afterAll(async () => {
    restore?.();
    await Promise.all([moto?.stop(), source?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('without a swap the object is stored (the hook itself changes nothing)', async () => {
    const r = await run('plain/v10.rdb');
    expect(r).toEqual({ code: 0, stderr: '' });
    expect(await stored('plain/v10.rdb')).toBe(true);
  }, 60_000);

  it('negative: stored as a valid file of other values: exit 1, "its keys differ", the object removed, no local file left', async () => {
    swap.body = changed;
    const r = await run('swapped/v10.rdb');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^redis-dr convert-rdb: the object read back from s3:\/\/out\/swapped\/v10\.rdb fails the verification \(its keys differ from the input\): it was removed, nothing is stored\n$/,
    );
    expect(await stored('swapped/v10.rdb')).toBe(false);
    expect(stagedLeftovers('v10.rdb')).toEqual([]);
  }, 60_000);

  it('with --force over an object there before the run: the failed read-back says that object is gone too, not a bare "nothing is stored"', async () => {
    // Before, the run said only 'it was removed, nothing is stored', as if the object it replaced were still there.
    await moto.client.send(new PutObjectCommand({ Bucket: 'out', Key: 'forced/v10.rdb', Body: 'the older object' }));
    swap.body = changed;
    const r = await run('forced/v10.rdb', true);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'redis-dr convert-rdb: the object read back from s3://out/forced/v10.rdb fails the verification (its keys differ from the input): it was removed, nothing is stored; ' +
        'the object at s3://out/forced/v10.rdb before the run, which --force replaced, is gone (S3 kept no copy of it)\n',
    );
    expect(await stored('forced/v10.rdb')).toBe(false);
    expect(stagedLeftovers('v10.rdb')).toEqual([]);
  }, 60_000);

  it("negative: stored as a cut file: exit 1, the verifier's finding named, the object removed", async () => {
    swap.body = changed.subarray(0, changed.length - 100);
    const r = await run('cut/v10.rdb');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /the object read back from s3:\/\/out\/cut\/v10\.rdb fails the verification \(.+, at byte \d+\): it was removed, nothing is stored/,
    );
    expect(await stored('cut/v10.rdb')).toBe(false);
  }, 60_000);

  it("another writer's object put there after the upload: exit 1 saying so, that object left as found (not read back as the run's, not removed)", async () => {
    swap.other = changed;
    const r = await run('raced/v10.rdb');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'redis-dr convert-rdb: s3://out/raced/v10.rdb was replaced by another writer after this run stored it, before it was read back: that object was left as it is; nothing of this run is stored\n',
    );
    const left = await moto.client.send(new GetObjectCommand({ Bucket: 'out', Key: 'raced/v10.rdb' }));
    expect(Buffer.from(await left.Body!.transformToByteArray()).equals(changed)).toBe(true);
    expect(stagedLeftovers('v10.rdb')).toEqual([]);
  }, 60_000);

  it('the read-back fails to read once the object is stored: exit 1 saying so, the unverified object removed (it was left before)', async () => {
    swap.readFails = true;
    const r = await run('unread/v10.rdb');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'redis-dr convert-rdb: the object stored at s3://out/unread/v10.rdb could not be read back (connect ECONNREFUSED (the test)): it was removed, nothing is stored\n',
    );
    expect(await stored('unread/v10.rdb')).toBe(false);
  }, 60_000);

  it("another writer deletes the object once it is stored, before it is read back: exit 1, said as that writer's removal, not as this run's", async () => {
    // Before, the run said 'it was removed, nothing is stored', as if it had removed it itself (review 46).
    swap.deleted = true;
    const r = await run('deleted/v10.rdb');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^redis-dr convert-rdb: the object stored at s3:\/\/out\/deleted\/v10\.rdb could not be read back \(.+\): another writer removed it meanwhile; nothing of this run is stored\n$/,
    );
    expect(await stored('deleted/v10.rdb')).toBe(false);
    expect(stagedLeftovers('v10.rdb')).toEqual([]);
  }, 60_000);
});
