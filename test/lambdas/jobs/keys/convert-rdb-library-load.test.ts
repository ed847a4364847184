/**
 * A file whose function library a target refuses to run on load (lua-load.ts): a file a real redis-server 7.0 wrote,
 * its library's code changed (its CRC-64 made right again) into one that 7.0 refuses to start on. convert-rdb --for
 * redis-7.0 refuses it in one line and leaves no output (or leaves the library out with --lossy function, a copy 7.0
 * loads); migrate --from-rdb --functions into a real 7.0 refuses it before writing anything. A Valkey-style library
 * (`server.register_function`) is refused for Redis 7.x and not for Valkey, which reads `server` as `redis`. A bad
 * argument of register_function (an unknown flag: the second fuzz campaign's find) is refused the same way.
 * Each changed file also names another writer in its `redis-ver` (7.0.15 would make it corrupt: the verifier holds a
 * library against the release that wrote the file, lua-load-writers.ts WriterLibraries, lua-load-writers.test.ts): Redis 8.2,
 * whose load is not judged, or, for the Valkey library, 7.2, which Valkey 7.2 writes too.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInProcess } from '../../../cli/support/in-process.js';
import { rewritten } from '../../../support/rdb-bytes.js';
import { keysLoadedFrom, savedWithLibraries } from '../../../support/function-load.js';
import { startRedisServer, type RedisServer } from '../../../support/redis-server.js';

/** `rdb` (a file the local 7.0.15 saved) named as written by `release` (its `redis-ver`, as long as 7.0.15's). */
const writtenBy = (rdb: Buffer, release: '8.2.15' | '7.2.15'): Buffer => rewritten(rdb, '7.0.15', release);

/** The library as loaded: a space before `redis` leaves room for `server` in as many bytes; a flag to change. */
const LIBRARY = "#!lua name=mylib\n redis.register_function{function_name='f', callback=function() return 1 end, flags={'no-writes'}}";

describe('a library a target refuses to run on load: convert-rdb and migrate --from-rdb --functions refuse it for that target', () => {
  let dir: string;
  let saved: Buffer;
  let target: RedisServer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rdr-library-load-'));
    saved = await savedWithLibraries([LIBRARY]);
    target = await startRedisServer();
  });
  afterAll(async () => {
    await target?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const write = (name: string, bytes: Buffer): string => {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    return path;
  };
  const convert = async (input: string, engine: string, ...more: string[]) => {
    const out = join(dir, `${engine}-${more.join('')}-${input.split('/').at(-1)}`);
    rmSync(out, { force: true });
    const r = await runInProcess(['convert-rdb', input, '--for', engine, '-o', out, ...more]);
    return { ...r, out, written: existsSync(out) };
  };
  /** convert-rdb --for redis-7.0 of `input` refuses it in one line naming library mylib with 7.0's `words`, and writes nothing. */
  const refusedFor70 = async (input: string, words: string): Promise<void> => {
    const refused = await convert(input, 'redis-7.0');
    expect({ code: refused.code, written: refused.written, stderr: refused.stderr.trim().split('\n') }).toEqual({
      code: 1,
      written: false,
      stderr: [
        `redis-dr convert-rdb: the input cannot be expressed for redis-7.0: function library 'mylib': Redis 7.0 refuses it on load ("Failed loading library, ${words}") (--lossy function leaves it out); nothing was written to ${refused.out}`,
      ],
    });
  };

  it("an unknown field of redis (register_wunction, the fuzz campaign's find): Redis 7.0 and convert-rdb --for redis-7.0 refuse it; --lossy function leaves it out", async () => {
    const bad = write('wunction.rdb', writtenBy(rewritten(saved, 'register_function', 'register_wunction'), '8.2.15'));
    expect(await keysLoadedFrom(write('saved.rdb', saved))).toEqual(['k']);
    expect(await keysLoadedFrom(bad)).toBeUndefined();
    await refusedFor70(bad, "Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'register_wunction'");
    const lossy = await convert(bad, 'redis-7.0', '--lossy', 'function');
    expect(lossy.code, lossy.stderr).toBe(0);
    expect(await keysLoadedFrom(lossy.out)).toEqual(['k']);
    // Negative: the file as saved converts with its library.
    const ok = await convert(write('saved.rdb', saved), 'redis-7.0');
    expect(ok.code, ok.stderr).toBe(0);
  });

  it("an unknown flag given to register_function (the second campaign's find): Redis 7.0 refuses the file, convert-rdb --for redis-7.0 refuses it in one line", async () => {
    const bad = write('flag.rdb', writtenBy(rewritten(saved, "'no-writes'", "'no-.rites'"), '8.2.15'));
    expect(await keysLoadedFrom(bad)).toBeUndefined();
    await refusedFor70(bad, 'Error registering functions: ERR unknown flag given');
    // Valkey 8.0 words it the same; a flag in capitals is one 7.0 takes: written.
    const valkey = await convert(bad, 'valkey-8.0');
    expect(valkey.stderr).toContain('ERR unknown flag given');
    const upper = await convert(write('flag-upper.rdb', rewritten(saved, "'no-writes'", "'NO-WRITES'")), 'redis-7.0');
    expect({ code: upper.code, stderr: upper.stderr, written: upper.written }).toEqual({ code: 0, stderr: '', written: true });
    expect(await keysLoadedFrom(upper.out)).toEqual(['k']);
  });

  it('two libraries registering one function name (ignoring case): Redis 7.0 refuses the file, convert-rdb --for redis-7.0 names the second', async () => {
    const two = await savedWithLibraries([
      "#!lua name=liba\nredis.register_function('fx', function() return 1 end)",
      "#!lua name=libb\nredis.register_function('gx', function() return 2 end)",
    ]);
    const clash = writtenBy(rewritten(two, "'gx'", "'FX'"), '8.2.15');
    const bad = write('clash.rdb', clash);
    expect(await keysLoadedFrom(bad)).toBeUndefined();
    // The file holds them in the order the server's dict gave: the one after the other is refused.
    const second = clash.indexOf('name=liba') < clash.indexOf('name=libb') ? ['libb', 'FX'] : ['liba', 'fx'];
    const refused = await convert(bad, 'redis-7.0');
    expect({ code: refused.code, written: refused.written }).toEqual({ code: 1, written: false });
    expect(refused.stderr).toContain(
      `function library '${second[0]}': Redis 7.0 refuses it on load ("Failed loading library, Function ${second[1]} already exists")`,
    );
    const lossy = await convert(bad, 'redis-7.0', '--lossy', 'function');
    expect(lossy.code, lossy.stderr).toBe(0);
    expect(await keysLoadedFrom(lossy.out)).toEqual(['k']);
    // Negative: the file as saved converts with both.
    const ok = await convert(write('two.rdb', two), 'redis-7.0');
    expect({ code: ok.code, stderr: ok.stderr }).toEqual({ code: 0, stderr: '' });
  });

  it('a Valkey library (server.register_function): refused for Redis 7.0 to 8.6, written for Valkey 7.2 on; not judged for Redis 8.2', async () => {
    const valkey = write('valkey.rdb', writtenBy(rewritten(saved, ' redis.register_function', 'server.register_function'), '7.2.15'));
    expect(await keysLoadedFrom(valkey)).toBeUndefined();
    for (const engine of ['redis-7.0', 'redis-7.2', 'redis-7.4', 'redis-8.0', 'redis-8.6']) {
      const r = await convert(valkey, engine);
      expect({ engine, code: r.code, written: r.written }).toEqual({ engine, code: 1, written: false });
      expect(r.stderr).toContain(`function library 'mylib': Redis ${engine.slice(6)} refuses it on load`);
      expect(r.stderr).toContain("nonexistent global variable 'server'");
    }
    for (const engine of ['valkey-7.2', 'valkey-8.0', 'valkey-8.1', 'valkey-9.0', 'valkey-9.1', 'redis-8.2']) {
      const r = await convert(valkey, engine);
      expect({ engine, code: r.code, written: r.written, stderr: r.stderr }).toEqual({ engine, code: 0, written: true, stderr: '' });
    }
    // Negative: the library as saved (redis.register_function) is written for Redis 8.0 and 8.6.
    for (const engine of ['redis-8.0', 'redis-8.6']) {
      const r = await convert(write('saved-8.rdb', saved), engine);
      expect({ engine, code: r.code, written: r.written, stderr: r.stderr }).toEqual({ engine, code: 0, written: true, stderr: '' });
    }
  });

  it('migrate --from-rdb --functions into a real 7.0 refuses it before writing; without --functions the keys are restored', async () => {
    const valkey = write('valkey-migrate.rdb', writtenBy(rewritten(saved, ' redis.register_function', 'server.register_function'), '7.2.15'));
    const c = target.client();
    await c.flushall();
    await c.call('FUNCTION', 'FLUSH');
    const refused = await runInProcess(['migrate', '--from-rdb', valkey, '--to', target.url, '--functions']);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain(
      `error: the file is refused, nothing was written: function library 'mylib': Redis 7.0 refuses it on load ("Failed loading library, Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'server'"), and the target is redis 7.0.15: leave out --functions to restore the keys alone`,
    );
    expect(await c.dbsize()).toBe(0);
    expect(await c.call('FUNCTION', 'LIST')).toEqual([]);
    const keys = await runInProcess(['migrate', '--from-rdb', valkey, '--to', target.url]);
    expect(keys.code, keys.stderr).toBe(0);
    // The library not restored is said with why, not "add --functions".
    expect(keys.stdout).toContain(
      `functions: 1 library in the file, not restored (the target would not load function library 'mylib': Redis 7.0 refuses it on load ("Failed loading library, Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'server'"))`,
    );
    expect(await c.keys('*')).toEqual(['k']);
    // Negative: the file as saved, with --functions, restores its library.
    await c.flushall();
    const plain = await runInProcess(['migrate', '--from-rdb', write('saved-migrate.rdb', saved), '--to', target.url]);
    expect(plain.stdout).toContain('functions: 1 library in the file, not restored (add --functions)');
    await c.flushall();
    const ok = await runInProcess(['migrate', '--from-rdb', write('saved-migrate.rdb', saved), '--to', target.url, '--functions']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(await c.call('FUNCTION', 'LIST')).toHaveLength(1);
  });
});
