/**
 * A function library the release that wrote its file certainly refuses on load (lua-load-writers.ts WriterLibraries): the verifier
 * calls such a file corrupt (a server holds only libraries it loaded, so the library was changed after it was written).
 * Found by a campaign of mutated real files (session 53): a real Redis 8.6.3 file with `redis.register_function` changed
 * to `redjs.register_function`, its CRC-64 made right, passed verify-rdb ("engines: Redis ≥ 8.6"), and the real 8.6.3
 * refused to start on it. Held here against a real redis-server 7.0; the releases it cannot run are judged by their AUX
 * fields (a writer whose load is not known is not judged).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Crc64 } from '../../../../../lambdas/domain/rdb/codecs/crc64.js';
import { libraryLoadRefusal, loadEnvironment } from '../../../../../lambdas/domain/rdb/format/lua-load.js';
import { createRdbVerifier } from '../../../../../lambdas/domain/rdb/verifier.js';
import { keysLoadedFrom, savedWithLibraries } from '../../../../support/function-load.js';
import { rewritten } from '../../../../support/rdb-bytes.js';
import { frameFile } from '../../../../support/rdb-newer.js';

const dir = mkdtempSync(join(tmpdir(), 'redis-dr-lua-writer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const verdict = (bytes: Uint8Array): string | undefined => {
  const v = createRdbVerifier();
  v.push(bytes);
  const report = v.end();
  return report.ok ? undefined : report.error?.message;
};

/** A FUNCTION2 opcode and `code` as an RDB string (a 6- or 14-bit length). */
const library = (code: string): Uint8Array => {
  const b = Buffer.from(code, 'latin1');
  const length = b.length < 64 ? [b.length] : [0x40 | (b.length >> 8), b.length & 0xff];
  return Buffer.concat([Uint8Array.from([0xf5, ...length]), b]);
};

/** A file of one key and `code`, with these AUX fields besides the defaults (an undefined one left out). */
const fileWith = (code: string, aux: Record<string, string | undefined>): Buffer =>
  frameFile('REDIS0011', [{ db: 0, name: 'k', type: 0, object: Uint8Array.from([1, 0x76]), expireAtMs: null }], [library(code)], aux);

const REGISTER = "redis.register_function('f', function() return 1 end)";

describe('a library its own writer refuses on load', () => {
  it('a real 7.0 file whose library was changed after it was written: the real server refuses it, and so does the verifier, naming the writer', async () => {
    const saved = await savedWithLibraries([`#!lua name=mylib\n${REGISTER}`]);
    expect(verdict(saved)).toBeUndefined();
    const at = saved.indexOf('redis.register_function', 0, 'latin1');
    expect(at).toBeGreaterThan(0);
    const changed = Buffer.from(saved);
    changed[at + 3] = 0x6a; // redis -> redjs: a global no release has
    new Crc64().update(changed, 0, changed.length - 8).writeLittleEndian(changed, changed.length - 8);
    const path = join(dir, 'changed.rdb');
    writeFileSync(path, changed);
    expect(await keysLoadedFrom(path)).toBeUndefined();
    expect(verdict(changed)).toBe(
      "FUNCTION2 library: library 'mylib': Redis 7.0 refuses it on load (\"Failed loading library, Error registering functions: ERR user_function:2: " +
        "Script attempted to access nonexistent global variable 'redjs'\"): the file says that release wrote it (redis-ver 7.0.15), and a server " +
        'holds only libraries it loaded, so the library was changed after it was written',
    );
  }, 60_000);

  it('two libraries of a real 7.0 file registering one function name (ignoring case): the writer refuses the second, and so does the verifier', async () => {
    const two = await savedWithLibraries([
      "#!lua name=liba\nredis.register_function('fx', function() return 1 end)",
      "#!lua name=libb\nredis.register_function('gx', function() return 2 end)",
    ]);
    expect(verdict(two)).toBeUndefined();
    const clash = rewritten(two, "'gx'", "'FX'");
    const path = join(dir, 'clash.rdb');
    writeFileSync(path, clash);
    expect(await keysLoadedFrom(path)).toBeUndefined();
    expect(verdict(clash)).toMatch(
      /library 'lib[ab]': Redis 7\.0 refuses it on load \("Failed loading library, Function (FX|fx) already exists"\): the file says that release wrote it/,
    );
  }, 60_000);

  it('judges a Valkey file by valkey-ver: Valkey 9.1 aborts on a top-level log call, so no 9.1 wrote one', () => {
    const code = `#!lua name=lg\nserver.log(server.LOG_NOTICE, 'loaded')\n${REGISTER}`;
    expect(verdict(fileWith(code, { 'valkey-ver': '9.1.2', 'redis-ver': undefined }))).toMatch(
      /library 'lg': Valkey 9\.1 aborts loading a library that calls log at its top level .*\(valkey-ver 9\.1\.2\)/,
    );
    // Valkey 8.1 loads it: not its own writer's refusal.
    expect(verdict(fileWith(code, { 'valkey-ver': '8.1.1', 'redis-ver': undefined }))).toBeUndefined();
  });

  it('redis-ver 7.2.x is written by Redis 7.2 and Valkey 7.2: refused only where both refuse', () => {
    // `server` is a Valkey global: Redis 7.2 refuses it, Valkey 7.2 loads it, so either may have written the file.
    expect(verdict(fileWith(`#!lua name=sv\nserver.register_function('f', function() return 1 end)`, { 'redis-ver': '7.2.4' }))).toBeUndefined();
    expect(verdict(fileWith(`#!lua name=rj\nredjs.register_function('f', function() return 1 end)`, { 'redis-ver': '7.2.4' }))).toMatch(
      /library 'rj': Redis 7\.2 refuses it .*; Valkey 7\.2 refuses it .*: the file says either release that writes it wrote it \(redis-ver 7\.2\.4\)/,
    );
    // The same under Redis 7.0, which has no `server`: refused.
    expect(verdict(fileWith(`#!lua name=sv\nserver.register_function('f', function() return 1 end)`, { 'redis-ver': '7.0.15' }))).toMatch(
      /nonexistent global variable 'server'/,
    );
  });

  it('does not judge a writer whose load is not known, or a file that names none', () => {
    const code = `#!lua name=rj\nredjs.register_function('f', function() return 1 end)`;
    expect(verdict(fileWith(code, { 'redis-ver': '8.2.1' }))).toBeUndefined(); // Redis 8.2: not read from source
    expect(verdict(fileWith(code, { 'redis-ver': undefined }))).toBeUndefined();
    // A file convert-rdb wrote: its redis-ver is the target's release (of either engine), its writer redis-dr.
    expect(verdict(fileWith(code, { 'redis-ver': '7.0.0', 'redis-dr-converted-from': 'REDIS RDB 11 written by redis 7.2.4' }))).toBeUndefined();
    expect(verdict(fileWith(code, { 'redis-ver': '7.0.15' }))).toMatch(/nonexistent global variable 'redjs'/);
  });
});

describe('a library parsed once for every release that walks it (lua-load.ts parsedLibrary)', () => {
  it('parses it again once its bytes changed in place: the same array, another text', () => {
    const env = loadEnvironment('redis', '7.0.15')!;
    const code = Buffer.from(`#!lua name=p\n${REGISTER}`, 'latin1');
    expect(libraryLoadRefusal(code, env)).toBeUndefined();
    code[code.indexOf('redis.', 0, 'latin1') + 3] = 0x6a; // redis -> redjs, in place
    expect(libraryLoadRefusal(code, env)).toMatch(/nonexistent global variable 'redjs'/);
  });
});
