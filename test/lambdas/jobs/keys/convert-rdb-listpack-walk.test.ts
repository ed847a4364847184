/**
 * convert-rdb's input walks each listpack it re-encodes once, for the verifier and the writer (write/transcode.ts
 * `WalkedListpacks`, in place of the parser's validation walk): a file whose listpack values are corrupt must be
 * refused by the conversion exactly as the verifier refuses it (the same message), and one the verifier passes (a
 * member twice in a small listpack is a warning) converted, the output verified key by key as ever.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RdbKeyReader } from '../../../../lambdas/domain/rdb/keys.js';
import { convertRdb, convertTarget } from '../../../../lambdas/jobs/keys/convert-rdb.js';
import { int, listpack, str } from '../../../support/listpack-entries.js';
import { mulberry32 } from '../../../support/prng.js';
import { type FramedKey, frameFile } from '../../../support/rdb-newer.js';
import { startRedisServer } from '../../../support/redis-server.js';

/** An RDB string: a 6-, 14- or 32-bit length and the bytes. */
const rdbString = (b: Uint8Array): number[] => {
  const n = b.length;
  const head = n < 64 ? [n] : n < 16384 ? [0x40 | (n >> 8), n & 0xff] : [0x80, n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
  const out = head.concat(new Array<number>(n));
  for (let i = 0; i < n; i++) out[head.length + i] = b[i]!;
  return out;
};

/** The entries `f` makes for j = 0 … n − 1, in order. */
const many = (n: number, f: (j: number) => number[][]): number[][] => Array.from({ length: n }, (_, j) => f(j)).flat();

/** A hash (16), zset (17), set (20) and list of two packed nodes (18), each with the listpacks it holds. */
function values(): { type: number; lps: Uint8Array[] }[] {
  return [
    { type: 16, lps: [listpack(many(12, (j) => [str(`field-${j}`), j % 3 ? int(BigInt(j * 977)) : str(`value ${j} ${'x'.repeat(j * 9)}`)]))] },
    { type: 17, lps: [listpack(many(10, (j) => [str(`member-${j}`), j % 2 ? int(BigInt(j)) : str(`${j}.25`)]))] },
    { type: 20, lps: [listpack(many(15, (j) => [j % 2 ? str(`s${j}`) : int(BigInt(j * -31))]))] },
    { type: 18, lps: [listpack(many(20, (j) => [str(`item ${j}`)])), listpack(many(9, (j) => [int(BigInt(j * 100_003))]))] },
  ];
}

function fileOf(vs: { type: number; lps: Uint8Array[] }[], version = 'REDIS0011'): Buffer {
  const keys: FramedKey[] = vs.map(({ type, lps }, i) => ({
    db: 0,
    name: `k${i}`,
    type,
    object: Uint8Array.from(type === 18 ? [lps.length, ...lps.flatMap((lp) => [2, ...rdbString(lp)])] : rdbString(lps[0]!)),
    expireAtMs: null,
  }));
  return frameFile(version, keys);
}

/** The verifier's verdict on a file (the key reader's parser, no conversion): its problem, or undefined. */
function verdict(file: Buffer): string | undefined {
  const reader = new RdbKeyReader();
  reader.push(file);
  const report = reader.end();
  return report.ok ? undefined : report.error?.message;
}

describe('convert-rdb --for redis-6.2 over listpacks walked once: the verifier verdicts, unchanged', () => {
  const dir = mkdtempSync(join(tmpdir(), 'redis-dr-lpwalk-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const target = convertTarget({ for: 'redis-6.2' });

  async function convert(file: Buffer, name: string): Promise<{ ok: boolean; error?: string }> {
    const input = join(dir, `${name}.rdb`);
    writeFileSync(input, file);
    const r = await convertRdb({ input, output: join(dir, `${name}-out.rdb`), force: true, ...target });
    return { ok: r.ok, ...(r.error === undefined ? {} : { error: r.error }) };
  }

  it('the intact file: converted and verified; every value re-encoded', async () => {
    const file = fileOf(values());
    expect(verdict(file)).toBeUndefined();
    const r = await convertRdb({
      input: (writeFileSync(join(dir, 'intact.rdb'), file), join(dir, 'intact.rdb')),
      output: join(dir, 'intact-out.rdb'),
      ...target,
    });
    expect(r.error).toBeUndefined();
    expect(r.ok).toBe(true);
    expect(r.reencoded).toBe(4);
  });

  it("240 files with listpack bytes changed at random: each refused with the verifier's own message, or converted when the verifier passes it", async () => {
    const random = mulberry32(1055);
    const pick = (n: number): number => Math.floor(random() * n);
    const failed: string[] = [];
    let refused = 0;
    for (let i = 0; i < 240; i++) {
      const vs = values();
      const { lps } = vs[pick(vs.length)]!;
      const lp = lps[pick(lps.length)]!;
      // The framing most (header, encodings, back lengths), anywhere too; the file's CRC-64 is the changed bytes'.
      for (let k = 0, flips = 1 + pick(2); k < flips; k++) {
        const at = pick(3) === 0 ? pick(7) : pick(lp.length);
        lp[at] = pick(2) ? pick(256) : lp[at]! ^ (1 << pick(8));
      }
      const file = fileOf(vs);
      const expected = verdict(file);
      const r = await convert(file, `m${i}`);
      if (expected !== undefined) {
        refused++;
        if (r.ok || !r.error?.includes(expected)) failed.push(`#${i}: the verifier says ${JSON.stringify(expected)}, the conversion ${JSON.stringify(r)}`);
      } else if (!r.ok && !/sorted set score|a member twice in its listpack|a field twice in its listpack and an element/.test(r.error ?? ''))
        failed.push(`#${i}: the verifier passes it, the conversion ${JSON.stringify(r)}`);
    }
    expect(failed).toEqual([]);
    expect(refused).toBeGreaterThan(60);
  }, 120_000);

  it('a member twice in a small listpack (the verifier warns; Redis loads the listpack): a set or zset refused, as Redis refuses its plain form; a hash written', async () => {
    // Redis 7.0 refuses a plain set or zset with a member twice ("Duplicate set members detected", "Duplicate zset fields
    // detected"), but loads a small plain hash with a field twice (the verifier warns of it, as of the listpack).
    const vs = [
      { type: 20, lps: [listpack([str('a'), str('b'), str('a')])] },
      { type: 20, lps: [listpack([int(5n), int(5n, 64)], 65535)] },
      { type: 17, lps: [listpack([str('m'), int(1n), str('n'), int(2n), int(1n), int(3n), str('1'), int(4n)])] },
      { type: 16, lps: [listpack([str('f'), str('1'), str('f'), str('2')])] },
      { type: 20, lps: [listpack([str('01'), int(1n), str(' 1'), str('-0'), int(0n)])] },
    ];
    const file = fileOf(vs);
    expect(verdict(file)).toBeUndefined();
    const input = join(dir, 'twice.rdb');
    writeFileSync(input, file);
    const output = join(dir, 'twice-out.rdb');
    const r = await convertRdb({ input, output, force: true, ...target });
    expect(r.ok).toBe(false);
    expect(r.refusedCount).toBe(3);
    expect(r.refused.map((k) => k.key)).toEqual(['k0', 'k1', 'k2']);
    expect(r.refused[0]!.reason).toMatch(/a member twice in its listpack/);
    expect(existsSync(output)).toBe(false);
    // The hash, and a set whose members are all distinct ("01", " 1", "-0" are not the integers 1 and 0): converted.
    writeFileSync(input, fileOf(vs.slice(3)));
    expect(await convertRdb({ input, output, force: true, ...target })).toMatchObject({ ok: true, reencoded: 2 });
  });

  /** What the real redis-server 7.0 holds of hash `k0` loaded from `file` (upstream's listpack limits): HLEN and HGET f, or refused. */
  async function loaded(file: string, sanitize: 'yes' | 'no'): Promise<string> {
    let server: Awaited<ReturnType<typeof startRedisServer>>;
    try {
      server = await startRedisServer({
        loadRdb: file,
        args: ['--sanitize-dump-payload', sanitize, '--hash-max-listpack-entries', '128', '--hash-max-listpack-value', '64'],
      });
    } catch {
      return 'refused';
    }
    try {
      const c = server.client();
      return `${await c.hlen('k0')} ${(await c.hget('k0', 'f'))?.slice(0, 8)}`;
    } finally {
      await server.stop();
    }
  }

  it('a hash listpack with a field twice and a value over 64 bytes: refused, as 7.0 refuses its plain form; a short one written, loaded as 7.0 loads the input (left35)', async () => {
    const long = 'v'.repeat(65);
    const convert = async (name: string, entries: string[]) => {
      const input = join(dir, `${name}.rdb`);
      const output = join(dir, `${name}-out.rdb`);
      writeFileSync(input, fileOf([{ type: 16, lps: [listpack(entries.map(str))] }], 'REDIS0010'));
      return { input, output, r: await convertRdb({ input, output, force: true, ...target }) };
    };
    for (const [name, entries] of [
      ['long-value', ['f', long, 'f', '2']],
      ['long-value-last', ['f', '2', 'f', long]],
    ] as const) {
      const { input, output, r } = await convert(name, [...entries]);
      // 7.0 loads the listpack as it is, the field twice (only sanitize-dump-payload yes refuses it) ...
      expect([name, await loaded(input, 'no'), await loaded(input, 'yes')]).toEqual([name, `2 ${entries[1]!.slice(0, 8)}`, 'refused']);
      // ... but refuses the plain hash the target needs ("Duplicate hash fields detected"): convert refuses it, nothing written.
      expect([name, r.ok, r.refused.map((k) => k.key), existsSync(output)]).toEqual([name, false, ['k0'], false]);
      expect(r.refused[0]!.reason).toMatch(/a field twice in its listpack and an element of 65 bytes \(more than 64\).*"Duplicate hash fields detected"/);
    }
    // Short: written, and 7.0 holds of the output what it holds of the input (the first value; refused with sanitize).
    const { input, output, r } = await convert('short', ['f', '1', 'f', '2']);
    expect(r).toMatchObject({ ok: true, reencoded: 1 });
    expect([await loaded(input, 'no'), await loaded(input, 'yes')]).toEqual(['2 1', 'refused']);
    expect([await loaded(output, 'no'), await loaded(output, 'yes')]).toEqual(['2 1', 'refused']);
  }, 60_000);
  it('big listpacks (1.2 MB, read in parts and validated as they stream by): a member or field twice refused as in a small one, a corrupt one refused, intact ones re-encoded (issue 55)', async () => {
    const big = (i: number): number[] => str(`${i}:`.padEnd(12_000, String.fromCharCode(97 + (i % 26))));
    const set = many(100, (j) => [big(j)]);
    const zset = many(100, (j) => [big(j), int(BigInt(j))]);
    const hash = many(100, (j) => [str(`f${j}`), big(j)]);
    const twice = (entries: number[][], stride: number): number[][] => entries.map((e, i) => (i === 90 * stride ? entries[3 * stride]! : e));
    const vs = [
      { type: 20, lps: [listpack(twice(set, 1))] },
      { type: 17, lps: [listpack(twice(zset, 2))] },
      { type: 16, lps: [listpack(twice(hash, 2))] },
    ];
    expect(vs[0]!.lps[0]!.length).toBeGreaterThan(1 << 20);
    const file = fileOf(vs);
    expect(verdict(file)).toBeUndefined(); // 100 members: Redis loads each listpack as it is (the verifier warns)
    const input = join(dir, 'big-twice.rdb');
    writeFileSync(input, file);
    const output = join(dir, 'big-twice-out.rdb');
    const r = await convertRdb({ input, output, force: true, ...target });
    expect(r.ok).toBe(false);
    expect(r.refused.map((k) => k.key)).toEqual(['k0', 'k1', 'k2']);
    expect(r.refused[0]!.reason).toMatch(/a member twice in its listpack/);
    expect(r.refused[2]!.reason).toMatch(/a field twice in its listpack and an element of 12000 bytes/);
    expect(existsSync(output)).toBe(false);
    // A back length changed in the hash: refused with the verifier's message.
    const corrupt = listpack(hash);
    corrupt[corrupt.length - 2] ^= 1;
    const bad = fileOf([{ type: 16, lps: [corrupt] }]);
    expect(verdict(bad)).toMatch(/listpack entry 199 back length/);
    expect(await convert(bad, 'big-corrupt')).toMatchObject({ ok: false, error: expect.stringMatching(/listpack entry 199 back length/) });
    writeFileSync(
      input,
      fileOf([
        { type: 20, lps: [listpack(set)] },
        { type: 17, lps: [listpack(zset)] },
        { type: 16, lps: [listpack(hash)] },
      ]),
    );
    expect(await convertRdb({ input, output, force: true, ...target })).toMatchObject({ ok: true, reencoded: 3 });
  }, 60_000);
});
