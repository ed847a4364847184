/**
 * Seeded mutations of the files real newer engines write (test/interop/engines.ts), their CRC-64 made right, held
 * against those engines (the interop tier: `npm run test:interop`, not `npm test`):
 * - verify-rdb never calls OK a file the engine that wrote it refuses to load (a false OK: the worst answer it has);
 * - a mutated file convert-rdb writes for an engine loads there, and equals the input as the engine that wrote the
 *   input loads it, but for the keys the conversion reported lost or left out.
 * Found by these campaigns before they were tests, and fixed: a Valkey type 22 field expiry below -1 (parse-hashes.ts); a
 * function library its own writer refuses to run (lua-load-writers.ts WriterLibraries).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Crc64 } from '../../lambdas/domain/rdb/codecs/crc64.js';
import { cli, ENGINES, engineFiles, LOSSY, NAMES, ROOT, requireEngines, started } from './engines.js';

/** A seeded generator (an LCG: every run mutates the same bytes). */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
}

/** `bytes` with one or two of its bytes after the header changed (a bit flipped, or a random byte), its CRC-64 made right. */
function mutated(bytes: Uint8Array, rnd: () => number): Buffer {
  const b = Buffer.from(bytes);
  for (let n = 1 + Math.floor(rnd() * 2); n > 0; n--) {
    const at = 9 + Math.floor(rnd() * (b.length - 17));
    b[at] = rnd() < 0.5 ? b[at]! ^ (1 << Math.floor(rnd() * 8)) : Math.floor(rnd() * 256);
  }
  return crcMadeRight(b);
}

/** `b` with its CRC-64 trailer made right for the bytes before it (in place). */
function crcMadeRight(b: Buffer): Buffer {
  new Crc64().update(b, 0, b.length - 8).writeLittleEndian(b, b.length - 8);
  return b;
}

describe('mutated files of real newer engines', () => {
  const files: Record<string, string> = {};
  let dir: string;
  beforeAll(async () => {
    requireEngines();
    dir = mkdtempSync(join(tmpdir(), 'redis-dr-interop-fuzz-'));
    Object.assign(files, await engineFiles(dir));
  }, 300_000);
  afterAll(() => dir && rmSync(dir, { recursive: true, force: true }));

  /**
   * test/fixtures/rdb-servers/valkey-9.1.2.rdb with `change` made to it (after checking the bytes it changes), its
   * CRC-64 made right, written as `name`, and refused by the real Valkey 9.1: its path.
   */
  async function refusedFind(name: string, change: (b: Buffer) => void): Promise<string> {
    const b = Buffer.from(readFileSync(join(ROOT, 'test', 'fixtures', 'rdb-servers', 'valkey-9.1.2.rdb')));
    change(b);
    const file = join(dir, name);
    writeFileSync(file, crcMadeRight(b));
    const server = await started(ENGINES['valkey-9.1']!, file);
    await server?.stop();
    expect(server).toBeNull();
    return file;
  }

  it('verify-rdb calls none OK that the engine which wrote its kind of file refuses (200 mutations)', async () => {
    const rnd = random(52_001);
    const falseOk: string[] = [];
    const seen = { ok: 0, refused: 0 };
    for (let i = 0; i < 200; i++) {
      const source = NAMES[Math.floor(rnd() * NAMES.length)]!;
      const file = join(dir, `v${i}.rdb`);
      writeFileSync(file, mutated(readFileSync(files[source]!), rnd));
      const verdict = cli('verify-rdb', file).status;
      if (verdict === 0) {
        seen.ok++;
        const server = await started(ENGINES[source]!, file);
        if (server === null) falseOk.push(`mutation ${i} of ${source}'s file: verify-rdb OK, ${source} refuses it`);
        await server?.stop();
      } else seen.refused++;
      rmSync(file, { force: true });
    }
    expect(falseOk).toEqual([]);
    // Both answers met: a campaign whose every file passed, or failed, would prove nothing.
    expect(seen.ok).toBeGreaterThan(40);
    expect(seen.refused).toBeGreaterThan(40);
  }, 600_000);

  it("the campaigns' finds, replayed: a real Valkey 9.1.2 file with one field expiry's byte changed (-1 to -4503599627370497) is refused by the engine and by verify-rdb", async () => {
    // test/fixtures/rdb-servers/valkey-9.1.2.rdb, byte 16769 (a type 22 hash's field expiry) 0xff -> 0xef, the CRC-64 made
    // right: verify-rdb passed it until parse-hashes.ts checked the expiry (a false OK the first campaign found).
    const file = await refusedFind('find-1.rdb', (b) => {
      expect(b[16769]).toBe(0xff);
      b[16769] = 0xef;
    });
    const verdict = cli('verify-rdb', file);
    expect(verdict.stdout).toMatch(/a hash field's expiry of -4503599627370497 ms, below -1/);
    expect(verdict.status).toBe(1);
  }, 120_000);

  it("the campaigns' finds, replayed: a real Valkey 9.1.2 file with an intset's members out of order is refused by Valkey 9.1 and by convert-rdb --for it, written for 9.0", async () => {
    // test/fixtures/rdb-servers/valkey-9.1.2.rdb's set:ints, an intset of -5, 1, 2, 300 (16-bit) at byte 19473: its first two
    // members swapped. Valkey 9.1 validates every value on load (engines.ts validatesEveryValue); a campaign's convert-rdb
    // --for valkey-9.1 of such a file wrote an output it refused ("Intset integrity check failed").
    const file = await refusedFind('find-2.rdb', (b) => {
      expect([...b.subarray(19473, 19489)]).toEqual([2, 0, 0, 0, 4, 0, 0, 0, 0xfb, 0xff, 1, 0, 2, 0, 0x2c, 1]);
      b.set([1, 0, 0xfb, 0xff], 19481);
    });
    const for91 = cli('convert-rdb', file, '--for', 'valkey-9.1', '-o', join(dir, 'find-2-91.rdb'));
    expect(for91.stderr).toMatch(
      /1 value valkey-9\.1 refuses on load, as it validates every value \(key \d+ value \(set, RDB type 11\): intset members are not strictly ascending/,
    );
    expect(for91.status).toBe(1);
    expect(cli('convert-rdb', file, '--for', 'valkey-9.0', '-o', join(dir, 'find-2-90.rdb')).status).toBe(0);
  }, 120_000);

  it("the campaigns' finds, replayed: a real Redis 8.6.3 file whose library calls redjs.register_function is refused by 8.6 and by verify-rdb, naming its writer", async () => {
    // The real 8.6's file of this run (its library `interop`, LZF-compressed: `redis.regis` a literal run of it), one byte of
    // `redis` changed as the session 53 campaign's +1 changed it, the CRC-64 made right: verify-rdb called it OK ("engines:
    // Redis ≥ 8.6") until lua-load-writers.ts judged a library against the release that wrote the file (WriterLibraries).
    const b = Buffer.from(readFileSync(files['redis-8.6']!));
    const at = b.indexOf('redis.regis', 0, 'latin1');
    expect(at).toBeGreaterThan(0);
    b[at + 3] = 0x6a;
    const file = join(dir, 'find-3.rdb');
    writeFileSync(file, crcMadeRight(b));
    const server = await started(ENGINES['redis-8.6']!, file);
    await server?.stop();
    expect(server).toBeNull();
    const verdict = cli('verify-rdb', file);
    expect(verdict.stdout).toMatch(/library 'interop': Redis 8\.6 refuses it on load .*'redjs'.*\(redis-ver 8\.6\.3\)/);
    expect(verdict.status).toBe(1);
  }, 120_000);

  it('convert-rdb of a mutated file writes one its engine loads, equal to the input but for what it reported (120 mutations)', async () => {
    const rnd = random(52_002);
    const problems: string[] = [];
    let compared = 0;
    for (let i = 0; i < 120; i++) {
      const source = NAMES[Math.floor(rnd() * NAMES.length)]!;
      const target = NAMES[Math.floor(rnd() * NAMES.length)]!;
      const d = join(dir, `c${i}`);
      mkdirSync(d);
      const input = join(d, 'in.rdb');
      const output = join(d, 'out.rdb');
      writeFileSync(input, mutated(readFileSync(files[source]!), rnd));
      const run = cli('convert-rdb', input, '--for', target, '--lossy', LOSSY, '-o', output, '--json');
      if (run.status === 0) {
        const r = JSON.parse(run.stdout) as { lost: Record<string, number>; dropped: Record<string, number> };
        const allowed = (r.lost['field-ttl'] ?? 0) + Object.values(r.dropped).reduce((a, b) => a + b, 0);
        const [there, origin] = [await started(ENGINES[target]!, output), await started(ENGINES[source]!, input)];
        try {
          if (there === null) problems.push(`mutation ${i}: ${source}'s file converted for ${target}, which refuses the output`);
          else if (origin !== null) {
            compared++;
            const cmp = JSON.parse(cli('compare', '--a', origin.url, '--b', there.url, '--json').stdout) as { differences: number };
            if (cmp.differences > allowed) problems.push(`mutation ${i}: ${source} → ${target}: ${cmp.differences} keys differ, ${allowed} reported`);
          }
        } finally {
          await Promise.all([there?.stop(), origin?.stop()]);
        }
      }
      rmSync(d, { recursive: true, force: true });
    }
    expect(problems).toEqual([]);
    expect(compared).toBeGreaterThan(30);
  }, 900_000);
});
