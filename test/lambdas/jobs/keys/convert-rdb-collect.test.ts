/**
 * convert-rdb asks for a full collection before its read-back when the input held a key read in the reader's parts
 * (a value of 1 MiB or more that spans chunks; lambdas/jobs/keys/convert-rdb.ts collectAfterBigKeys): what the first
 * pass left of it goes before the read-back takes its bytes again. Its effect on the peak is
 * bench/convert-rdb/memory.test.ts's to measure (a 64 MiB listpack hash copied as it is: 140.2-176.5 MB without,
 * 140.0-140.5 with); here, that it is asked for exactly then: before the read-back of the file written, and for an
 * s3:// output before the stored object's read-back too (a real S3 API: moto); for the shard files of one recovery
 * point, again after each shard that held one, before the next shard's pass (convert-rdb-set.ts).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { exportObjectKey } from '../../../../lambdas/domain/points/export-objects.js';
import { convertRdb, convertTarget } from '../../../../lambdas/jobs/keys/convert-rdb.js';
import { convertRdbPoint, isPointResult } from '../../../../lambdas/jobs/keys/convert-rdb-set.js';
import { writeBigStringFile } from '../../../support/big-string-file.js';
import { type MotoS3, startMotoS3, useMotoEndpoint } from '../../../support/moto.js';

const collections = vi.hoisted(() => ({ count: 0 }));
vi.mock('../../../../lambdas/adapters/host/collect-garbage.js', () => ({
  collectGarbage: () => {
    collections.count++;
  },
}));

describe('convert-rdb: a full collection before the read-back after a key in parts', () => {
  let dir: string;
  let moto: MotoS3;
  let restore: () => void;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'redis-dr-convert-collect-'));
    moto = await startMotoS3();
    await moto.bucket('out');
    restore = useMotoEndpoint(moto);
  }, 60_000);
  afterAll(async () => {
    restore?.();
    await moto?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is asked for once when a key was read in parts (a 2 MiB string), and not for a file of small keys', async () => {
    for (const [bytes, expected] of [
      [2 << 20, 1],
      [4096, 0],
    ] as const) {
      const input = join(dir, `in-${bytes}.rdb`);
      writeBigStringFile(input, bytes);
      collections.count = 0;
      const r = await convertRdb({ input, output: join(dir, `out-${bytes}.rdb`), ...convertTarget({ for: 'redis-7.0' }) });
      expect(r.error).toBeUndefined();
      expect(r.keys).toBe(2);
      expect(collections.count, `${bytes} bytes`).toBe(expected);
    }
  });

  it("into s3://: once before the read-back of the file written and once before the stored object's (a 2 MiB string)", async () => {
    const input = join(dir, 'in-s3.rdb');
    writeBigStringFile(input, 2 << 20);
    collections.count = 0;
    const r = await convertRdb({ input, output: 's3://out/converted.rdb', ...convertTarget({ for: 'redis-7.0' }) });
    expect(r.error).toBeUndefined();
    expect(r.keys).toBe(2);
    expect(collections.count).toBe(2);
  });

  it('the shard files of one recovery point: again after a shard that held a key in parts, before the next shard (2 MiB string in shard 1 of 2)', async () => {
    const name = 'rdr-collect-20261129-0600';
    const point = join(dir, 'point');
    mkdirSync(point);
    // Keys of other slots in each file (two shards of one point never share a slot).
    writeBigStringFile(join(point, exportObjectKey(name, 1)), 2 << 20, { small: 'a', big: 'big' });
    writeBigStringFile(join(point, exportObjectKey(name, 2)), 4096, { small: 'b', big: 'c' });
    const out = join(dir, 'point-out');
    mkdirSync(out);
    collections.count = 0;
    const r = await convertRdbPoint({ inputs: [join(point, name)], shards: 2, output: `${out}/`, ...convertTarget({ for: 'redis-7.0' }) });
    if (!isPointResult(r)) throw new Error('a one-file result');
    expect(r.error).toBeUndefined();
    expect(r.files.map((f) => f.keys)).toEqual([2, 2]);
    // Shard 1: before its read-back, and after its run; shard 2 held no key in parts: none.
    expect(collections.count).toBe(2);
  });
});
