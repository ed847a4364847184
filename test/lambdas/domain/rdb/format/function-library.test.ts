/**
 * A function library's first line judged as Redis judges it (function-library.ts), held against a real
 * redis-server 7.0's FUNCTION LOAD, which runs the same check as a file's load: for each line, the server's refusal of
 * the metadata (its words) is ours, and a line it takes (refused for its Lua code, or loaded) is one we pass.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Crc64 } from '../../../../../lambdas/domain/rdb/codecs/crc64.js';
import { libraryMetadata, splitArgs } from '../../../../../lambdas/domain/rdb/format/function-library.js';
import { createRdbVerifier } from '../../../../../lambdas/domain/rdb/verifier.js';
import { runInProcess } from '../../../../cli/support/in-process.js';
import { functionLoadRefusal, keysLoadedFrom, savedWithLibraries } from '../../../../support/function-load.js';
import { startRedisServer, type RedisServer } from '../../../../support/redis-server.js';

/** The refusal of a library's first line, or undefined when it passes. */
const libraryMetadataProblem = (code: Uint8Array): string | undefined => {
  const m = libraryMetadata(code);
  return typeof m === 'string' ? m : undefined;
};

const BODY = "\nredis.register_function('f', function() return 1 end)";
/** First lines (the body after each), the server's verdict the reference. */
const LINES = [
  '#!lua name=ok',
  '#!LUA name=upper',
  '#!lua  name=two_spaces',
  '#!lua NAME=caps',
  '#!lua name="quoted"',
  "#!lua 'name=single'",
  '#!lua "name=\\x41b"',
  '#!lua name=x extra',
  '#!lua nme=x',
  '#!lua',
  '#!lua name=a name=b',
  '#!lua name=bad-name',
  '#!lua name=',
  '#!js name=x',
  '#! lua name=x',
  '#!lua "name=x',
  '#!lua name="x"y',
  "#!lua 'it\\'s'",
  'return 1',
  '#!lua name=x\u0000',
  '#!lua\tname=tabbed',
  '#!lua name=x\r',
];

describe('libraryMetadataProblem: as Redis 7.0 judges a library', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => server?.stop());

  it.each(LINES)('%j', async (line) => {
    const code = Buffer.from(`${line}${BODY}`, 'latin1');
    const theirs = await functionLoadRefusal(server, code);
    const ours = libraryMetadataProblem(code);
    // Their refusals of the Lua code (compile errors, no function registered) are not ours to judge: the metadata passed.
    const metadata =
      theirs !== undefined && !/^(Error compiling function|No functions registered|Function .* already exists|Library '.*' already exists)/.test(theirs);
    expect(ours).toBe(metadata ? theirs : undefined);
  });

  it('negative cases hold: a line with no newline after it, and one whose newline is past a NUL', () => {
    expect(libraryMetadataProblem(Buffer.from('#!lua name=x'))).toBe('Invalid library metadata');
    expect(libraryMetadataProblem(Buffer.from('#!lua name=x\u0000\nreturn'))).toBe('Invalid library metadata');
    expect(libraryMetadataProblem(Buffer.from(`#!lua name=x${BODY}`))).toBeUndefined();
  });

  it("splitArgs is Redis's sdssplitargs: quotes, escapes, a closing quote that must end the argument", () => {
    const args = (s: string) => splitArgs(Buffer.from(s, 'latin1'))?.map((a) => Buffer.from(a).toString('latin1'));
    expect(args(' a  "b c" \'d\\\'e\' "\\x41\\n" ')).toEqual(['a', 'b c', "d'e", 'A\n']);
    expect(args('"unterminated')).toBeUndefined();
    expect(args('"x"y')).toBeUndefined();
    expect(args('')).toEqual([]);
  });
});

describe("a file whose library's first line or Lua Redis refuses: refused by the verifier and by convert-rdb, as by Redis", () => {
  let dir: string;
  let saved: Buffer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rdr-function-lib-'));
    saved = await savedWithLibraries([`#!lua name=mylib${BODY}`, "#!lua name=mylic\nredis.register_function('g', function() return 2 end)"]);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /**
   * `bad` (the saved file changed) refused by Redis, verify-rdb (in words matching `why`) and convert-rdb, which leaves
   * no output; the saved file loaded, passed and converted (the negative case).
   */
  async function refusedAsRedisRefusesIt(bad: Buffer, why: RegExp): Promise<void> {
    for (const [name, bytes, refused] of [
      ['saved.rdb', saved, false],
      ['bad-library.rdb', bad, true],
    ] as const) {
      const path = join(dir, name);
      writeFileSync(path, bytes);
      expect(await keysLoadedFrom(path)).toEqual(refused ? undefined : ['k']);
      const v = createRdbVerifier();
      v.push(bytes);
      const report = v.end();
      expect(report.ok).toBe(!refused);
      if (refused) expect(report.error?.message).toMatch(why);
      const out = join(dir, `${name}-62.rdb`);
      rmSync(out, { force: true });
      const converted = await runInProcess(['convert-rdb', path, '--for', 'redis-7.0', '-o', out]);
      expect(converted.code, converted.stderr).toBe(refused ? 1 : 0);
      expect(existsSync(out)).toBe(!refused);
    }
  }

  /** The saved file with `text` at the first `at` (found in it) written over, its CRC-64 made right again. */
  const changed = (at: string, text: string, offset = 0): Buffer => {
    const i = saved.indexOf(at);
    expect(i).toBeGreaterThan(0);
    const bad = Buffer.from(saved);
    bad.write(text, i + offset, 'latin1');
    bad.writeBigUInt64LE(new Crc64().update(bad.subarray(0, bad.length - 8)).value, bad.length - 8);
    return bad;
  };

  it("the library's first newline changed (review 45's fuzzed file): Redis, verify-rdb and convert-rdb refuse it; negative: the file as saved", async () => {
    await refusedAsRedisRefusesIt(
      changed('#!lua name=mylib\n', '\xf2', '#!lua name=mylib'.length),
      /^FUNCTION2 library: Redis refuses it on load \("Failed loading library, Invalid (library metadata|metadata value given: .*)"\)$/,
    );
  });

  it("Lua that does not compile ('end' made 'edn', session 50's fuzz campaign's kind of find): Redis, verify-rdb and convert-rdb refuse it", async () => {
    await refusedAsRedisRefusesIt(
      changed('function() return 1 end)', 'edn', 'function() return 1 '.length),
      /^FUNCTION2 library: Redis refuses it on load \("Failed loading library, Error compiling function: user_function:2: .*"\)$/,
    );
  });

  it('two libraries of one name (the second renamed to the first): Redis and verify-rdb refuse it ("Library \'mylib\' already exists")', async () => {
    const twice = changed('#!lua name=mylic\n', 'mylib', '#!lua name='.length);
    const path = join(dir, 'same-name.rdb');
    writeFileSync(path, twice);
    expect(await keysLoadedFrom(path)).toBeUndefined();
    const v = createRdbVerifier();
    v.push(twice);
    expect(v.end().error?.message).toMatch(/^FUNCTION2 library: Redis refuses it on load \("Failed loading library, Library 'mylib' already exists"\)$/);
  });
});
