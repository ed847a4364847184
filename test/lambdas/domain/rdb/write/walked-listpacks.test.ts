/**
 * A conversion's listpack values walked once (write/transcode.ts `WalkedListpacks`): the WebAssembly walk that writes a
 * value's plain form also stands in for the verifier's validation walk, so it must vouch only for what that validation
 * (format/blobs.ts `walkListpack`, the judge) accepts, with its count and no member twice, and what it wrote must be
 * what the transcoder writes from the value's bytes.
 */
import { describe, expect, it } from 'vitest';
import { walkListpack } from '../../../../../lambdas/domain/rdb/format/blobs.js';
import { KeyListDigest } from '../../../../../lambdas/domain/rdb/write/key-list.js';
import { RdbOut } from '../../../../../lambdas/domain/rdb/write/rdb-out.js';
import { transcodeObject, WalkedListpacks } from '../../../../../lambdas/domain/rdb/write/transcode.js';
import { int, judged, listpack, str } from '../../../../support/listpack-entries.js';
import { mulberry32 } from '../../../../support/prng.js';

/** The value types and the stride of their members, as the parser asks (18: a list's node, no members). */
const TYPES = [
  { type: 16, stride: 2 },
  { type: 17, stride: 2 },
  { type: 20, stride: 1 },
  { type: 18, stride: 0 },
] as const;

const membersOf = (lp: Uint8Array, stride: number): number => (stride === 0 ? 0 : Math.ceil((lp[4]! | (lp[5]! << 8)) / stride));
const named = (lp: Uint8Array): string => `${lp.length} bytes ${Buffer.from(lp.subarray(0, 48)).toString('hex')}${lp.length > 48 ? '...' : ''}`;

/** An RDB length (6, 14 or 32 bits) and the bytes: a value's string. */
function rdbString(b: Uint8Array): number[] {
  const n = b.length;
  const head = n < 64 ? [n] : n < 16384 ? [0x40 | (n >> 8), n & 0xff] : [0x80, n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
  return [...head, ...b];
}
/** A value's object bytes: one listpack (16, 17, 20) or a quicklist of packed nodes (18). */
const objectOf = (type: number, lps: readonly Uint8Array[]): Uint8Array =>
  Uint8Array.from(type === 18 ? [lps.length, ...lps.flatMap((lp) => [2, ...rdbString(lp)])] : rdbString(lps[0]!));

/** The walk's answer for `lp` as the only listpack of a value (a new key each call). */
let keyAt = 0;
function walked(w: WalkedListpacks, type: number, lp: Uint8Array, stride: number): number {
  return w.walk((keyAt += 10), type, lp, stride, membersOf(lp, stride));
}

/** The plain form and digest the walk wrote for the value, and the transcoder's from the value's bytes. */
function writtenBoth(w: WalkedListpacks, type: number, object: Uint8Array): { walk: [number, string, string]; bytes: [number, string, string] } {
  const out = (write: (o: RdbOut, d: KeyListDigest) => number): [number, string, string] => {
    const o = new RdbOut();
    const d = new KeyListDigest();
    d.valueHead(0, Buffer.from('k'), null);
    const t = write(o, d);
    return [t, Buffer.from(o.view()).toString('hex'), d.hex()];
  };
  return {
    walk: out((o, d) => w.write(keyAt, type, object, 0, object.length, o, d)),
    bytes: out((o, d) => transcodeObject(type, object, 0, object.length, o, d)),
  };
}

describe('WalkedListpacks vouches only for what the validation accepts, and writes what the transcoder writes', () => {
  const random = mulberry32(55);
  const pick = (n: number): number => Math.floor(random() * n);
  const words = ['a', 'bb', 'ccc', 'hello', 'field:17', 'x'.repeat(40), 'y'.repeat(63), 'z'.repeat(100), '-12', '007', '3.5', '2.25', ''];
  /** A random entry: strings of every length encoding (16,383-byte entries among them: three bytes of back length), integers of every width. */
  function entry(): number[] {
    const r = pick(12);
    if (r < 4) return str(words[pick(words.length)]! + (pick(2) ? String(pick(50)) : ''));
    if (r < 5) return str('w'.repeat(pick(300)));
    if (r < 6) return pick(10) === 0 ? str('v'.repeat([16_377, 16_378, 16_379, 5000][pick(4)]!)) : str(words[pick(words.length)]!);
    const v = [0n, 5n, 127n, -1n, 300n, -4096n, 40_000n, -(2n ** 23n), 2n ** 31n - 1n, -(2n ** 63n), 2n ** 63n - 1n, BigInt(pick(100_000))][pick(12)]!;
    return int(v);
  }
  /** Distinct members (a zset's scores numbers), other entries random. */
  function value(type: number): Uint8Array {
    const n = 1 + pick(30);
    const tuple = type === 18 ? 1 : type === 20 ? 1 : 2;
    return listpack(
      Array.from({ length: n * tuple }, (_, j) =>
        j % tuple === 0
          ? type === 18
            ? entry()
            : pick(2)
              ? str(`m${j}-${pick(1e6)}`)
              : int(BigInt(j * 1000 + pick(1000)))
          : type === 17
            ? pick(2)
              ? str(String(pick(1e6) / 8))
              : int(BigInt(pick(1e9)))
            : entry(),
      ),
    );
  }
  const generated = Array.from({ length: 1200 }, () => {
    const { type, stride } = TYPES[pick(TYPES.length)]!;
    return { type, stride, lp: value(type) };
  });

  it('vouches for valid values of every kind, each with the validation count, and writes the same plain form and digest', () => {
    const w = new WalkedListpacks();
    const failed: string[] = [];
    let vouched = 0;
    for (const { type, stride, lp } of generated) {
      const answer = walked(w, type, lp, stride);
      const verdict = judged(lp, stride);
      if (answer < 0) continue;
      vouched++;
      if (!('count' in verdict && verdict.count === answer && !verdict.duplicate))
        failed.push(`type ${type}, ${named(lp)}: ${answer}, ${JSON.stringify(verdict)}`);
      const both = writtenBoth(w, type, objectOf(type, [lp]));
      if (JSON.stringify(both.walk) !== JSON.stringify(both.bytes)) failed.push(`type ${type}, ${named(lp)}: wrote ${both.walk}, the transcoder ${both.bytes}`);
    }
    expect(failed).toEqual([]);
    expect(vouched).toBeGreaterThan(generated.length * 0.9);
  });

  it('a list of several packed nodes: each node vouched for, the whole value written as from its bytes; a node short, none', () => {
    const w = new WalkedListpacks();
    const nodes = [value(18), value(18), value(18)];
    const key = (keyAt += 10);
    for (const lp of nodes) expect(w.walk(key, 18, lp, 0, 0)).toBe(walkListpack(lp));
    const object = objectOf(18, nodes);
    const both = writtenBoth(w, 18, object);
    expect(both.walk).toEqual(both.bytes);
    // Two of the three nodes walked (the third a plain node, say): the walk holds no whole value.
    for (const lp of nodes.slice(0, 2)) w.walk(key + 1, 18, lp, 0, 0);
    const out = new RdbOut();
    expect(w.write(key + 1, 18, object, 0, object.length, out, undefined)).toBe(-1);
    expect(out.view().length).toBe(0);
  });

  it('never vouches for a value with bytes changed at random that the validation refuses or finds a member twice in', () => {
    const w = new WalkedListpacks();
    const failed: string[] = [];
    let problems = 0;
    for (let i = 0; i < 12_000; i++) {
      const { type, stride, lp } = generated[pick(generated.length)]!;
      const bad = Uint8Array.from(lp);
      // Mostly the framing (header, encodings, back lengths: the first and last bytes of entries), anywhere too.
      for (let k = 0, flips = 1 + pick(3); k < flips; k++) bad[pick(bad.length)] = pick(2) ? pick(256) : bad[pick(bad.length)]! ^ (1 << pick(8));
      const answer = walked(w, type, bad, stride);
      const verdict = judged(bad, stride);
      if ('problem' in verdict || verdict.duplicate) problems++;
      if (answer >= 0 && !('count' in verdict && verdict.count === answer && !verdict.duplicate))
        failed.push(`type ${type}, ${named(bad)}: answered ${answer}, the validation ${JSON.stringify(verdict)}`);
    }
    expect(failed).toEqual([]);
    expect(problems).toBeGreaterThan(2000);
  });

  it.each([
    ['a header byte count one less', (lp: Uint8Array) => void (lp[0] = lp[0]! - 1)],
    ['a header entry count one more', (lp: Uint8Array) => void (lp[4] = lp[4]! + 1)],
    ['a 16,383-byte entry whose back length says 16,382', (lp: Uint8Array) => void (lp[lp.length - 2] = lp[lp.length - 2]! - 1)],
    // (Without it in its middle byte, 00 7F FF, Redis's read stops there and says 16,383, the size: loaded, deep
    // sanitization too, and passed since review 50. Without it in its last byte the read says 127.)
    ['a 16,383-byte entry whose back length has no "more" bit in its last byte', (lp: Uint8Array) => void (lp[lp.length - 2] = lp[lp.length - 2]! & 0x7f)],
  ])('refuses what the validation refuses: %s', (_, change) => {
    const w = new WalkedListpacks();
    // A set: a short member, then one of 16,383 bytes (a 32-bit length, 16,378 bytes: a back length of three bytes).
    const lp = listpack([str('a'), str('v'.repeat(16_378))]);
    expect(walked(w, 20, lp, 1)).toBe(2);
    change(lp);
    expect(judged(lp, 1)).toHaveProperty('problem');
    expect(walked(w, 20, lp, 1)).toBe(-1);
  });

  it.each([
    ['a set member twice', 20, 1, [str('a'), str('b'), str('a')]],
    ['a set integer and its text', 20, 1, [int(-70_000n), str('-70000')]],
    ['a hash field twice', 16, 2, [str('f'), str('1'), str('g'), str('2'), str('f'), str('3')]],
    ['a zset member twice', 17, 2, [str('m'), int(1n), str('m'), int(2n)]],
  ] as const)('leaves a member twice to the validation: %s', (_, type, stride, entries) => {
    const lp = listpack(entries.map((e) => [...e]));
    expect(judged(lp, stride)).toMatchObject({ duplicate: true });
    expect(walked(new WalkedListpacks(), type, lp, stride)).toBe(-1);
  });
});
