/**
 * `migrate --from-rdb`'s two reads of a local file (restoreRdbKeys: the verification, then the keys written) when the
 * file is rewritten in place while one of them goes on: the same bytes written over its first ones, which only its
 * modification time tells (sources.ts holds the file held open against its identity at open, at the read's end).
 */
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyspaceOf } from '../../../../lambdas/adapters/redis/keyspace.js';
import { restoreRdbKeys } from '../../../../lambdas/jobs/keys/read-rdb.js';
import { resolveRdbSources } from '../../../../lambdas/jobs/keys/sources.js';
import { bgsave, startRedisServer, type RedisServer } from '../../../support/redis-server.js';

describe('migrate --from-rdb of a file rewritten while it is read', () => {
  let source: RedisServer;
  let target: RedisServer;
  let src: Redis;
  let dst: Redis;
  let file: Buffer;
  let dir: string;

  beforeAll(async () => {
    [source, target] = await Promise.all([startRedisServer(), startRedisServer()]);
    src = source.client();
    dst = target.client();
    // Several 1 MiB reads (values LZF cannot shrink much): the file is rewritten after the first of them.
    await src.eval("for i=1,30000 do redis.call('SET','pad:'..i,redis.sha1hex(i..'a')..redis.sha1hex(i..'b')..redis.sha1hex(i..'c')) end", 0);
    await src.function('LOAD', "#!lua name=mylib\nredis.register_function('f', function() return 1 end)");
    file = readFileSync(await bgsave(source, src));
    dir = mkdtempSync(join(tmpdir(), 'redis-dr-rewritten-'));
  }, 60_000);
  afterAll(async () => {
    src?.disconnect();
    dst?.disconnect();
    await Promise.all([source?.stop(), target?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Restores the file, rewriting it after the first chunk of read `pass` (1: the verification, 2: the keys written; 0: none). */
  async function restore(pass: number) {
    await dst.flushall();
    await dst.function('FLUSH');
    const path = join(dir, `rewritten-${pass}.rdb`);
    writeFileSync(path, file);
    // Modified a minute ago: the rewrite moves the time whatever the clock's granularity.
    utimesSync(path, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    const { files, set } = await resolveRdbSources({ fromRdb: [path] });
    const f = files[0]!;
    let opens = 0;
    const open = () => {
      const n = ++opens;
      const chunks = f.open();
      return (async function* () {
        let first = true;
        for await (const c of chunks) {
          yield c;
          if (first && n === pass) writeFileSync(path, file.subarray(0, 16), { flag: 'r+' });
          first = false;
        }
      })();
    };
    const r = await restoreRdbKeys({ files: [{ ...f, open, openTransient: undefined }], set }, keyspaceOf(dst), { functions: true });
    return { r, path, keys: await dst.dbsize(), libraries: ((await dst.function('LIST')) as unknown[]).length };
  }

  it('during the verification: refused, nothing written, in the words of a file changed between reads', async () => {
    const { r, keys } = await restore(1);
    expect(r.error).toContain('is refused, nothing was written: it changed while it was verified (the file was rewritten while it was read');
    expect(keys).toBe(0);
  }, 60_000);

  it('while its keys are written: how many were, that the run stopped before its last keys, and no byte named as the end of what was written', async () => {
    const { r, keys, libraries } = await restore(2);
    // Before, 'Nothing from byte 0 on was written; 29000 keys were restored before it' (review 46): a byte it never stopped at.
    expect(r.error).toMatch(
      /was rewritten while its keys were restored \(the file was rewritten while it was read \(size \d+ → \d+, modified .*\); run again once nothing writes it, or copy it aside first\): \d+ keys were restored, all from bytes that matched its verification block by block, and the run stopped before its last keys\. Verify the file again/,
    );
    expect(r.error).not.toMatch(/Nothing from byte/);
    expect(r.writtenUpTo).toBeUndefined();
    expect(keys).toBeLessThan(30_000);
    expect(r.error).toContain(`: ${keys} keys were restored,`);
    // The file's function libraries go before its first key.
    expect(libraries).toBe(1);
  }, 60_000);

  it('negative: untouched, every key and the library restored', async () => {
    const { r, keys, libraries } = await restore(0);
    expect(r.error).toBeUndefined();
    expect([keys, libraries]).toEqual([30_000, 1]);
  }, 60_000);
});
