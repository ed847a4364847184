/**
 * convert-rdb asks for a full collection between its two passes when the input held a key read in the reader's parts
 * of COLLECT_AFTER_BYTES (32 MiB) or more (lambdas/jobs/keys/convert-rdb.ts): what the first pass left of it goes
 * before the read-back takes its bytes again. Its effect on the peak is bench/convert-rdb/memory.test.ts's to measure
 * (a 64 MiB listpack hash copied as it is: 140.0-176.5 MB without, 140.0-140.5 with); here, that it is asked for
 * exactly then.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { convertRdb, convertTarget } from '../../../../lambdas/jobs/keys/convert-rdb.js';
import { COLLECT_AFTER_BYTES } from '../../../../lambdas/jobs/keys/read-rdb-batches.js';
import { writeBigStringFile } from '../../../support/convert-memory.js';

const collections = vi.hoisted(() => ({ count: 0 }));
vi.mock('../../../../lambdas/adapters/host/collect-garbage.js', () => ({
  collectGarbage: () => {
    collections.count++;
  },
}));

describe('convert-rdb: a full collection between the passes after a big key', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'redis-dr-convert-collect-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is asked for once when a key of 32 MiB or more was read in parts, and not for a key of 2 MiB (in parts too)', async () => {
    for (const [bytes, expected] of [
      [COLLECT_AFTER_BYTES + 1024, 1],
      [2 << 20, 0],
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
});
