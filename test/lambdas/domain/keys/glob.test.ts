import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileGlob, GlobSlices } from '../../../../lambdas/domain/keys/glob.js';
import { mulberry32 } from '../../../support/prng.js';
import { startRedisServer, type RedisServer } from '../../../support/redis-server.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const LONG = 'user:session:0123456789abcdef0123456789';

/** Key names, as bytes (latin1: one character per byte), the empty one and binary ones among them. */
const KEYS = [
  ...['', 'a', 'A', 'ab', 'abc', 'aXc', 'b', 'Z', '_', '`', 'set:1', 'zset:2', '123'],
  ...['h?llo', 'hello', 'hallo', 'hxllo', 'hllo', 'heeello', 'h*x', 'hAllo'],
  ...['a[b', 'a-b', 'a]b', 'a^b', 'a\\b', 'c]', ']', '[', '^', '-', '\\', '\\\\', 'x\ny', 'a*', 'a?'],
  ...['\u00c3\u00a9' /* é in UTF-8 */, '\u00e9', '\x00', 'a\x00b', '\x7f', '\x80', '\xff', 'a\xffb', '\xff\x00'],
  ...[LONG, `${'a'.repeat(40)}b`, `${'a'.repeat(40)}`, 'axbxcx'],
].map(b);

/** Patterns, as bytes: every rule of stringmatchlen and every edge of it met so far. */
const PATTERNS = [
  ...['', '*', '**', '***', 'a*', '*a', '*b*', 'a**b', '?', '??', '???', '?*', '*?', '*?*?*', 'a*b*c', '*x'],
  ...['h?llo', 'h*llo', 'h\\?llo', 'h\\*x', 'h*x', 'h[ae]llo', 'h[^e]llo', 'h[a-e]llo', 'h[e-a]llo', 'h[A-Z]llo'],
  ...['h[\\a-e]llo', 'h[a\\-e]llo', '[a-Z]', '[Z-a]', '[^a-z]', 'a\\[b', 'a[[]b', 'a[\\]]b', 'a[]]b', 'a[^]]b'],
  // Classes left open, empty, or with `-`, `^`, `]` and `\` at their edges.
  ...['[', '[^', '[]', '[^]', '[]]', '[]a]', '[a', 'a[b', '[a-', '[a-]', '[a-]]', '[-a]', 'a[-]b', '[--]', '[\\', '[a\\'],
  ...['[\\]', '[\\]]', '[\\\\]', '[^^]', '[\\^]', 'a[\\^]b', '[^\\]]', '*[', '*[]', '*[^]'],
  // Escapes outside classes, a trailing `\`.
  ...['\\', '\\\\', '\\\\\\\\', 'a\\', '*\\', '**\\', 'a\\\\b', '\\a', '\\*', '\\?', '*\\*', 'a\\?'],
  // Bytes beyond ASCII and NUL: in classes Redis compares signed C chars.
  ...['\u00e9', '\u00c3\u00a9', '?\u00a9', '\u00c3?', '[\u00e9]', '\x00', 'a\x00b', '?\x00?', '*\xff*', '\xff?'],
  ...['[\x00-\xff]', '[\xff-\x00]', '[\x80-\xff]', '[\x7f-\x80]', '[^\x00-\xff]', '[\x00-\x7f]', '[\x01-\x7e]', 'a[\x00-\xff]b'],
  ...['[^\x80]', '[\\\xff]', '*[\x80-\xff]*'],
  // Many stars: each must answer as 7.0 does, at once.
  ...[`${'*'.repeat(64)}x`, `${'a*'.repeat(30)}b`, `${'*a'.repeat(30)}*b`, 'user:*:*x', 'user:*:*9', '*s*s*i*o*n*:*9', `${'?'.repeat(39)}`],
].map(b);

describe('compileGlob matches key names as Redis 7.0 KEYS does', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
    const c = server.client();
    for (const k of KEYS) await c.set(k, '1');
    expect(await c.dbsize()).toBe(KEYS.length);
  });
  afterAll(async () => server?.stop());

  it(`has ${PATTERNS.length} patterns × ${KEYS.length} keys to compare`, () => {
    expect(PATTERNS.length).toBeGreaterThanOrEqual(100);
    expect(new Set(PATTERNS.map((p) => p.toString('hex'))).size).toBe(PATTERNS.length);
  });

  it.each(PATTERNS.map((p) => [JSON.stringify(p.toString('latin1')), p] as const))('%s', async (_, pattern) => {
    const expected = ((await server.client().callBuffer('KEYS', pattern)) as Buffer[]).map((k) => k.toString('latin1')).sort();
    const match = compileGlob(pattern);
    const got = KEYS.filter((k) => match(k))
      .map((k) => k.toString('latin1'))
      .sort();
    expect(got).toEqual(expected);
  });

  it('matches 1,500 random patterns × 300 random keys as 7.0 KEYS, whole and in slices of a few steps', async () => {
    // Patterns of every token and literal runs (found with indexOf between stars); keys of the same bytes, some long.
    const rand = mulberry32(21);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const bytes = ['a', 'b', 'A', 'z', '-', '^', ']', '[', '\\', '*', '?', '\x80', '\xff', '\x00', '_', 'Z'];
    const tokens = [...bytes, '[^', '[a-', '\\\\', '[]', '**', 'ab', 'aab', 'ba', '[ab]', '[^a]', '*ab*', 'abab', '?a'];
    const keys = new Set<string>(['', 'a', 'ab', 'abab', 'aab']);
    while (keys.size < 280) keys.add(Array.from({ length: 1 + Math.floor(rand() * 6) }, () => pick(bytes)).join(''));
    while (keys.size < 300) keys.add(Array.from({ length: 40 + Math.floor(rand() * 200) }, () => pick(['a', 'b', 'ab'])).join(''));
    const patterns = new Set<string>();
    while (patterns.size < 1_500) patterns.add(Array.from({ length: 1 + Math.floor(rand() * 8) }, () => pick(tokens)).join(''));
    const c = server.client();
    await c.select(1);
    for (const k of keys) await c.set(b(k), '1');
    const diffs: string[] = [];
    const sliced: string[] = [];
    for (const pattern of patterns) {
      const expected = ((await c.callBuffer('KEYS', b(pattern))) as Buffer[]).map((k) => k.toString('latin1')).sort();
      const match = compileGlob(b(pattern));
      const got = [...keys].filter((k) => match(b(k))).sort();
      if (JSON.stringify(got) !== JSON.stringify(expected)) diffs.push(JSON.stringify(pattern));
      // The same answers when every slice is a few steps: each key's match paused and resumed many times.
      const slices = new GlobSlices(b(pattern));
      const inSlices = [...keys]
        .filter((k) => {
          for (;;) {
            slices.slice(3);
            const m = slices.test(b(k));
            if (m !== undefined) return m;
          }
        })
        .sort();
      if (JSON.stringify(inSlices) !== JSON.stringify(expected)) sliced.push(JSON.stringify(pattern));
    }
    await c.flushdb();
    await c.select(0);
    expect({ diffs: diffs.slice(0, 10), sliced: sliced.slice(0, 10) }).toEqual({ diffs: [], sliced: [] });
  }, 60_000);

  it('takes a string pattern as its UTF-8 bytes', () => {
    expect(compileGlob('?\u00a9')(Buffer.from('\u00e9'))).toBe(false);
    expect(compileGlob('??')(Buffer.from('\u00e9'))).toBe(true);
    expect(compileGlob('\u00e9')(Buffer.from('\u00e9'))).toBe(true);
  });

  it('with nocase, matches command names as Redis 7.0 COMMAND LIST FILTERBY PATTERN does', async () => {
    const c = server.client();
    const names = ((await c.call('COMMAND', 'LIST')) as string[]).map((n) => Buffer.from(n));
    expect(names.length).toBeGreaterThan(200);
    const patterns = ['*', 'CONFIG*', 'config|*', 'Con?IG|G*', '[A-C]*', '[a-c]*', '[c-A]*', '[Z-a]*', '[A-z]*', '[\\C]*', '[^A-Y]*', '*|*', 'X*'];
    for (const pattern of patterns) {
      const expected = ((await c.call('COMMAND', 'LIST', 'FILTERBY', 'PATTERN', pattern)) as string[]).sort();
      const match = compileGlob(pattern, { nocase: true });
      expect({ pattern, got: names.filter(match).map(String).sort() }).toEqual({ pattern, got: expected });
    }
  });
});

describe('compileGlob answers in bounded time', () => {
  // Each took the RegExp it replaces exponential time: 12 stars and `x` against LONG about 12 s, 16 never answered.
  const cases: [string, string, boolean][] = [
    [`${'*'.repeat(64)}x`, LONG, false],
    [`${'*?'.repeat(64)}x`, LONG.repeat(30), false],
    [`${'a*'.repeat(64)}b`, 'a'.repeat(10_000), false],
    [`${'a*'.repeat(64)}b`, `${'a'.repeat(10_000)}b`, true],
    [`${'*a'.repeat(200)}*`, 'a'.repeat(200), true],
  ];
  it.each(cases)('%#: %s', (pattern, key, expected) => {
    const started = process.cpuUsage();
    expect(compileGlob(pattern)(Buffer.from(key))).toBe(expected);
    const used = process.cpuUsage(started);
    // Milliseconds of CPU in fact; a second leaves room for a loaded machine.
    expect((used.user + used.system) / 1e6).toBeLessThan(1);
  });
});
