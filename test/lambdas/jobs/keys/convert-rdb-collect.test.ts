/**
 * convert-rdb asks for a full collection before its read-back when the input held a key read in the reader's parts
 * (a value of 1 MiB or more that spans chunks; lambdas/jobs/keys/convert-rdb.ts collectAfterBigKeys): what the first
 * pass left of it goes before the read-back takes its bytes again. Its effect on the peak is
 * bench/convert-rdb/memory.test.ts's to measure (a 64 MiB listpack hash copied as it is: 140.2-176.5 MB without,
 * 140.0-140.5 with); here, that it is asked for exactly then: before the read-back of the file written, and for an
 * s3:// output before the stored object's read-back too (a real S3 API: moto).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { convertRdb, convertTarget } from '../../../../lambdas/jobs/keys/convert-rdb.js';
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
});
