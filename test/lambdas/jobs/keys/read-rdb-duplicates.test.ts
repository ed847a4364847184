import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { keyspaceOf } from '../../../../lambdas/adapters/redis/keyspace.js';
import { restoreRdbKeys } from '../../../../lambdas/jobs/keys/read-rdb.js';
// The program in the worker (test/cli/support/in-process.ts): its output and exit code, as the binary gives them.
import { inWorker as cli } from '../../../cli/support/in-process.js';
import { file, str } from '../../../support/rdb-bytes.js';
import { bgsave, startRedisServer, type RedisServer } from '../../../support/redis-server.js';

/** The bytes in chunks of `size` (a key spans chunks). */
function chunks(data: Uint8Array, size = 7): () => AsyncIterable<Uint8Array> {
  return async function* () {
    for (let at = 0; at < data.length; at += size) yield data.subarray(at, at + size);
  };
}

/** Issue 36: a key held twice (in one file, or by two files of one point) is refused before anything is written. */
describe('migrate --from-rdb refuses a key held twice, before writing anything', () => {
  let target: RedisServer;
  let dst: Redis;
  let dir: string;
  let shardA: Buffer;
  let shardB: Buffer;
  let shardC: Buffer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'redis-dr-dup-keys-'));
    const sources = await Promise.all([startRedisServer(), startRedisServer(), startRedisServer()]);
    try {
      // Two real files that both hold `order:7` (as two shards of a point taken while its slot moved), and a third that does not.
      const [a, b, c] = sources.map((s) => s.client());
      await a!.mset('order:7', 'first', 'a:1', '1', 'a:2', '2');
      await b!.mset('order:7', 'second', 'b:1', '1');
      await c!.mset('c:1', '1', 'c:2', '2');
      [shardA, shardB, shardC] = await Promise.all(sources.map(async (s, i) => readFileSync(await bgsave(s, [a!, b!, c!][i]!))));
    } finally {
      await Promise.all(sources.map((s) => s.stop()));
    }
    target = await startRedisServer();
    dst = target.client();
  });
  afterAll(async () => {
    await target?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await dst.flushall();
  });

  it('one file with a key twice in database 0: refused by its verification, nothing written', async () => {
    const twice = file('REDIS0010', [0xfe, 0, 0, ...str('k1'), ...str('a'), 0, ...str('k2'), ...str('b'), 0, ...str('k1'), ...str('c')]);
    const result = await restoreRdbKeys(chunks(twice), keyspaceOf(dst));
    expect(result.error).toBe(
      'the file is refused, nothing was written: a key is stored twice in database 0: Redis refuses the file ("Duplicated key found in RDB file") (at byte 38)',
    );
    expect(result.copied).toBe(0);
    expect(await dst.dbsize()).toBe(0);
  });

  it('CLI, with --verify: exit 1, the refusal said, the target left empty (no "EQUAL")', async () => {
    const path = join(dir, 'twice.rdb');
    writeFileSync(path, file('REDIS0010', [0xfe, 0, 0, ...str('k1'), ...str('a'), 0, ...str('k1'), ...str('c')]));
    const out = await cli('migrate', '--from-rdb', path, '--to', target.url, '--verify');
    expect(out.status).toBe(1);
    expect(out.stdout).toContain(
      'error: the file is refused, nothing was written: a key is stored twice in database 0: Redis refuses the file ("Duplicated key found in RDB file")',
    );
    expect(out.stdout).not.toContain('EQUAL');
    expect(await dst.dbsize()).toBe(0);
  });

  it('two real files of one point that both hold a key: refused, nothing written; files without a common key are restored', async () => {
    const refused = await restoreRdbKeys(
      { files: [shardA, shardB].map((bytes, i) => ({ location: `shard-${i + 1}.rdb`, open: chunks(bytes, 4096) })) },
      keyspaceOf(dst),
    );
    expect(refused.error).toMatch(/^the files are refused, nothing was written: a key of database 0 is held by two of the 2 files/);
    expect(refused.copied).toBe(0);
    expect(await dst.dbsize()).toBe(0);

    const restored = await restoreRdbKeys(
      { files: [shardA, shardC].map((bytes, i) => ({ location: `shard-${i + 1}.rdb`, open: chunks(bytes, 4096) })) },
      keyspaceOf(dst),
    );
    expect(restored.error).toBeUndefined();
    expect(restored.copied).toBe(5);
    expect(await dst.get('order:7')).toBe('first');
  });
});
