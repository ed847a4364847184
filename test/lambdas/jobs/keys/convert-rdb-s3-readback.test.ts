/**
 * `convert-rdb -o s3://…` when the object read back from S3 is not the one
 * uploaded: between the upload (S3's checksum matched) and the read-back,
 * the object is replaced on the moto server itself, through a hook at the
 * storage adapter boundary (s3-output.ts's `put` then a real PutObject of
 * other bytes). The read-back through the verifier catches it, the run
 * exits 1 naming it, and no object is left at the output.
 */
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { convertRdbAction } from '../../../../cli/commands/convert-rdb/action.js';
import { startMotoS3, type MotoS3, useMotoCredentials } from '../../../support/moto.js';
import { populate } from '../../../support/rdb-dataset.js';
import { newerFiles } from '../../../support/rdb-newer.js';
import { bgsave, startRedisServer, type RedisServer } from '../../../support/redis-server.js';

/** What replaces the object right after the upload (undefined: nothing does). */
const swap = vi.hoisted(() => ({ body: undefined as Buffer | undefined, put: undefined as ((key: string, body: Buffer) => Promise<void>) | undefined }));
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
          await o.put(body, replace);
          if (swap.body) await swap.put!(url.replace(/^s3:\/\/[^/]+\//, ''), swap.body);
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
  const savedEndpoint = process.env.AWS_ENDPOINT_URL_S3;
  const stored = async (key: string): Promise<boolean> =>
    moto.client.send(new GetObjectCommand({ Bucket: 'out', Key: key })).then(
      () => true,
      (e: Error) => (e.name === 'NoSuchKey' ? false : Promise.reject(e)),
    );
  const run = async (key: string): Promise<{ code: number; stderr: string }> => {
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    process.exitCode = 0;
    try {
      await convertRdbAction([v11], { output: `s3://out/${key}`, for: 'redis-7.0' });
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
    restore = useMotoCredentials();
    process.env.AWS_ENDPOINT_URL_S3 = moto.endpoint;
    swap.put = async (key, body) => {
      await moto.client.send(new PutObjectCommand({ Bucket: 'out', Key: key, Body: body }));
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
  });
  afterAll(async () => {
    restore?.();
    if (savedEndpoint === undefined) delete process.env.AWS_ENDPOINT_URL_S3;
    else process.env.AWS_ENDPOINT_URL_S3 = savedEndpoint;
    await Promise.all([moto?.stop(), source?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('without a swap the object is stored (the hook itself changes nothing)', async () => {
    const r = await run('plain/v10.rdb');
    expect(r).toEqual({ code: 0, stderr: '' });
    expect(await stored('plain/v10.rdb')).toBe(true);
  }, 60_000);

  it('negative: replaced by a valid file of other values: exit 1, "its keys differ", the object removed, no local file left', async () => {
    swap.body = changed;
    const r = await run('swapped/v10.rdb');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^redis-dr convert-rdb: the object read back from s3:\/\/out\/swapped\/v10\.rdb fails the verification \(its keys differ from the input\): it was removed, nothing is stored\n$/,
    );
    expect(await stored('swapped/v10.rdb')).toBe(false);
    expect(readdirSync(tmpdir()).filter((f) => f.startsWith('redis-dr-convert-v10.rdb'))).toEqual([]);
  }, 60_000);

  it("negative: replaced by a cut file: exit 1, the verifier's finding named, the object removed", async () => {
    swap.body = changed.subarray(0, changed.length - 100);
    const r = await run('cut/v10.rdb');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /the object read back from s3:\/\/out\/cut\/v10\.rdb fails the verification \(.+, at byte \d+\): it was removed, nothing is stored/,
    );
    expect(await stored('cut/v10.rdb')).toBe(false);
  }, 60_000);
});
