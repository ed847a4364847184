import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Crc64 } from '../../../../lambdas/domain/rdb/codecs/crc64.js';
import { RdbKeyReader } from '../../../../lambdas/domain/rdb/keys.js';
import type { LossKind } from '../../../../lambdas/domain/rdb/write/losses.js';
import { convertRdb, convertTarget } from '../../../../lambdas/jobs/keys/convert-rdb.js';
import { mulberry32 } from '../../../support/prng.js';
import { populate } from '../../../support/rdb-dataset.js';
import { newerFiles } from '../../../support/rdb-newer.js';
import { bgsave, startRedisServer, type RedisServer } from '../../../support/redis-server.js';

/** convert-rdb's seeded fuzz test (from convert-rdb.test.ts, which had passed its 700 lines). */
describe('convertRdb on fuzzed inputs (seeded): never an output a real redis-server 7.0 refuses', () => {
  let server: RedisServer;
  let c: Redis;
  let dir: string;
  let log: string;
  let base: Buffer;

  beforeAll(async () => {
    const source = await startRedisServer({ args: ['--enable-debug-command', 'yes'] });
    const s = source.client();
    await populate(s);
    base = newerFiles(readFileSync(await bgsave(source, s))).REDIS0011;
    await source.stop();
    dir = mkdtempSync(join(tmpdir(), 'redis-dr-convert-fuzz-'));
    // Its log, verbose: what DEBUG RELOAD says is not all (below).
    log = join(dir, 'server.log');
    // 256 databases: a mutated SELECTDB past the default 16 is a file such a server loads (convert-rdb warns of it).
    server = await startRedisServer({ args: ['--enable-debug-command', 'yes', '--loglevel', 'verbose', '--logfile', log, '--databases', '256'] });
    c = server.client();
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /**
   * `count` mutated copies of `source` (the RDB 11 file by default; bytes changed, the CRC-64 made right again where
   * the file has one, or cut), each converted for `engine`: refused with nothing left, or written and loaded by the
   * real 7.0 server (which loads RDB 9 and 10 files).
   */
  async function fuzz(seed: number, count: number, engine: string, lossy: readonly LossKind[], source = base): Promise<{ written: number; refused: number }> {
    const random = mulberry32(seed);
    const checksummed = Number(source.subarray(5, 9).toString('latin1')) >= 5;
    let written = 0;
    let refused = 0;
    for (let i = 0; i < count; i++) {
      let bytes = Buffer.from(source);
      if (i % 10 === 9) bytes = bytes.subarray(0, Math.floor(random() * bytes.length));
      else {
        for (let n = 1 + Math.floor(random() * 3); n > 0; n--) bytes[9 + Math.floor(random() * (bytes.length - 17))] = Math.floor(random() * 256);
        // The structure checks, not the checksum, must catch it: the trailer is made right for the mutated bytes.
        if (checksummed) bytes.writeBigUInt64LE(new Crc64().update(bytes, 0, bytes.length - 8).value, bytes.length - 8);
      }
      const input = join(dir, `in-${seed}-${engine}-${i}.rdb`);
      const output = join(dir, `out-${seed}-${engine}-${i}.rdb`);
      writeFileSync(input, bytes);
      const r = await convertRdb({ input, output, ...convertTarget({ for: engine }), lossy: new Set(lossy) });
      if (!r.ok) {
        refused++;
        expect(existsSync(output)).toBe(false);
        continue;
      }
      written++;
      copyFileSync(output, join(server.dir, 'dump.rdb'));
      // Loads the file as a restart would; a file the server refuses fails here (or takes the server down). But under
      // DEBUG RELOAD (a client's command: a RESTORE context to Redis) a corruption rdbLoadLen reports is only logged and
      // loading goes on, OK, where a start stops: the log says it (the differential fuzz campaign's find, on a stream).
      const logged = readFileSync(log).length;
      expect(await c.call('DEBUG', 'RELOAD', 'NOSAVE')).toBe('OK');
      expect(readFileSync(log, 'latin1').slice(logged)).not.toContain('Internal error in RDB reading');
      let keys = 0;
      for (const db of r.outputReport?.databases ?? []) {
        await c.select(db);
        keys += await c.dbsize();
      }
      await c.select(0);
      // A mutated expiry can be in the past: a server drops such keys on load, as it does any expired key.
      const reader = new RdbKeyReader();
      const now = Date.now();
      const live = reader.push(readFileSync(output)).filter((k) => k.expireAtMs === null || k.expireAtMs > now).length;
      reader.end();
      expect(keys).toBe(live);
    }
    expect(readdirSync(dir).filter((f) => f.startsWith('.'))).toEqual([]);
    return { written, refused };
  }

  it('60 mutated files (bytes changed, CRC-64 made right again, or cut): refused with nothing left, or written and loaded by the server', async () => {
    const { written, refused } = await fuzz(55, 60, 'redis-7.0', ['field-ttl']);
    // Both outcomes were met: the fuzzing reached the writer, and the checks refused what they must.
    expect(written).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  }, 300_000);

  it('30 mutated files for redis-6.2 (RDB 9: every collection and stream re-encoded): refused with nothing left, or written and loaded by the server', async () => {
    const { written, refused } = await fuzz(62, 30, 'redis-6.2', ['field-ttl', 'stream-ids', 'function']);
    expect(written).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  }, 300_000);

  it('the files of real older servers (zipmap, ziplists, quicklist, intsets, RDB 3-10; test/fixtures/rdb) mutated: refused with nothing left, or written and loaded', async () => {
    let written = 0;
    let refused = 0;
    for (const [n, name] of ['encodings', 'hash-zipmap', 'list-quicklist', 'zset-ziplist', 'hash-ziplist', 'scriptbackup'].entries()) {
      const source = readFileSync(join('test/fixtures/rdb', `${name}.rdb`));
      for (const [engine, lossy] of [
        ['redis-7.0', ['field-ttl']],
        ['redis-6.2', ['field-ttl', 'stream-ids', 'function']],
      ] as const) {
        const r = await fuzz(80 + n, 20, engine, lossy, source);
        written += r.written;
        refused += r.refused;
      }
    }
    expect(written).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  }, 300_000);
});
