import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lzfDecompress } from '../../../../../lambdas/domain/rdb/codecs/lzf.js';
import { RdbFileWriter } from '../../../../../lambdas/domain/rdb/write/rdb-file.js';
import { RdbOut } from '../../../../../lambdas/domain/rdb/write/rdb-out.js';
import { convertRdb, convertTarget } from '../../../../../lambdas/jobs/keys/convert-rdb.js';
import { int, listpack, str } from '../../../../support/listpack-entries.js';
import { compressibleText, lzfCompress } from '../../../../support/lzf-compress.js';
import { mulberry32 } from '../../../../support/prng.js';
import { sameVerdictInChunks } from '../../../../support/rdb-bytes.js';

/**
 * Issue 55: a big LZF-compressed listpack (a hash, sorted set or set kept as one listpack under raised limits, which
 * `rdbcompression yes` compresses) is expanded and validated as it streams by (format/lzf-listpack.ts), and
 * re-encoded from the reader's parts as it is expanded (write/transcode-parts.ts), neither its compressed body nor its
 * expansion held whole. Its verdict is the gathered one's: each file is verified whole (its body in hand: expanded,
 * then walked) and in chunks that cut it (the stream), and the reports say the same; a conversion of it writes the
 * bytes a conversion of the same listpack stored plain writes.
 */

/** The LZF form of each listpack compressed so far: a listpack checked in several files (and sized by it) is compressed once. */
const compressedForms = new WeakMap<Uint8Array, Uint8Array>();
function lzfOf(lp: Uint8Array): Uint8Array {
  let z = compressedForms.get(lp);
  if (z === undefined) compressedForms.set(lp, (z = lzfCompress(lp)));
  return z;
}

/** An RDB 10 file of one small string and key `big` of RDB `type` whose value is the listpack `lp`, LZF-compressed (`lzf`) or plain. */
function rdbOf(type: number, lp: Uint8Array, lzf = true, plainLength = lp.length): Uint8Array {
  const w = new RdbFileWriter({ magic: 'REDIS', version: 10 }, [['redis-ver', '7.0.15']]);
  const chunks: Buffer[] = [];
  w.key(0, Buffer.from('a'), 0, new RdbOut(16).string(Buffer.from('small')).take(), null);
  const compressed = lzf ? lzfOf(lp) : lp;
  const object = lzf
    ? new RdbOut(compressed.length + 16).byte(0xc3).len(compressed.length).len(plainLength).bytes(compressed).take()
    : new RdbOut(lp.length + 16).string(lp).take();
  w.key(0, Buffer.from('big'), type, object, null);
  while (w.full) chunks.push(Buffer.from(w.chunk()));
  chunks.push(w.end());
  return Buffer.concat(chunks);
}

const text = compressibleText;

/** A hash's field/value pairs (`pairs`), else members: strings of every length form (some longer than 64 KiB) and integers. */
function entries(members: number, pairs: boolean, seed: number): number[][] {
  const random = mulberry32(seed);
  const out: number[][] = [];
  for (let i = 0; i < members; i++) {
    out.push(i % 5 === 4 ? int(BigInt(1000 * i + 7), 32) : str(`m${i}`));
    if (!pairs) continue;
    if (i % 97 === 3) out.push(str(text(70_000 + i, random)));
    else if (i % 7 === 0) out.push(int(BigInt(i % 100)));
    else out.push(str(text(i % 3 === 0 ? 30 : 3000 + (i % 900), random)));
  }
  return out;
}

const sameVerdict = sameVerdictInChunks;

describe('a big LZF-compressed listpack expanded and validated as it streams by', () => {
  const hash = listpack(entries(800, true, 1));
  const compressed = lzfOf(hash);
  const dir = mkdtempSync(join(tmpdir(), 'redis-dr-lzf-listpack-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('accepts a valid hash, sorted set and set as the gathered walk does', () => {
    expect(compressed.length).toBeGreaterThan(1 << 20);
    expect(compressed.length).toBeLessThan(hash.length * 0.8);
    expect(Buffer.from(lzfDecompress(compressed, hash.length)).equals(Buffer.from(hash))).toBe(true);
    expect(sameVerdict(rdbOf(16, hash)).ok).toBe(true);
    const random = mulberry32(2);
    const zset: number[][] = [];
    for (let i = 0; i < 30_000; i++) zset.push(str(`${text(60 + (i % 50), random)}${i}`), i % 3 === 0 ? int(BigInt(i)) : str(`${i}.5`));
    const set: number[][] = [];
    for (let i = 0; i < 60_000; i++) set.push(i % 4 === 0 ? int(BigInt(i * 3)) : str(`${text(30 + (i % 40), random)}${i}`));
    for (const [type, lp] of [
      [17, listpack(zset)],
      [20, listpack(set)],
    ] as const) {
      expect(lzfOf(lp).length, `type ${type}: streamed (1 MiB or more compressed)`).toBeGreaterThan(1 << 20);
      expect(sameVerdict(rdbOf(type, lp)).ok).toBe(true);
    }
  }, 60_000);

  it('refuses what the gathered walk refuses, in its words: a corrupt entry, a wrong count, a member twice, a wrong declared length, corrupt LZF', () => {
    const refused = (bytes: Uint8Array, message: RegExp): void => {
      const r = sameVerdict(bytes);
      expect(r.ok).toBe(false);
      expect(r.error?.message).toMatch(message);
    };
    const bad = hash.slice();
    const entryAt = Buffer.from(hash).indexOf(Buffer.from('m700')) - 1; // the header byte of an entry deep in the value
    expect(bad[entryAt]).toBe(0x84);
    bad[entryAt] = 0xf5; // an encoding no listpack entry has
    refused(rdbOf(16, bad), /listpack/);
    const miscounted = hash.slice();
    miscounted[4]! ^= 2;
    refused(rdbOf(16, miscounted), /listpack header counts/);
    const twice = listpack([...entries(800, true, 1), str('m0'), str('again')]);
    refused(rdbOf(16, twice), /twice|duplicate/i);
    refused(rdbOf(16, hash, true, hash.length + 1), /LZF output is \d+ bytes, declared \d+/);
    refused(rdbOf(16, hash, true, hash.length - 1), /LZF output exceeds the declared length/);
    // Bytes of the compressed body changed: whatever each makes of it (an LZF problem or a listpack one), the same verdict.
    const file = rdbOf(16, hash);
    const bodyAt = Buffer.from(file).indexOf(Buffer.from(compressed.subarray(0, 64)));
    expect(bodyAt).toBeGreaterThan(0);
    const random = mulberry32(9);
    for (let i = 0; i < 12; i++) {
      const changed = Uint8Array.from(file);
      changed[bodyAt + Math.floor(random() * compressed.length)] ^= 1 + Math.floor(random() * 255);
      const r = sameVerdict(changed);
      expect(r.ok).toBe(false);
    }
  }, 120_000);

  it('streams one that counts 65535 or more elements too (its member table grows as the members come), with the same verdict', () => {
    const many: number[][] = [];
    for (let i = 0; i < 70_000; i++) many.push(str(`member-${i}-${'x'.repeat(i % 20)}`));
    // 65535 in the header: more elements than it counts (test/support's listpack writes the count's low 16 bits).
    const counted = (lp: Uint8Array): Uint8Array => {
      lp[4] = lp[5] = 0xff;
      return lp;
    };
    expect(sameVerdict(rdbOf(20, counted(listpack(many)))).ok).toBe(true);
    const twice = sameVerdict(rdbOf(20, counted(listpack([...many, str('member-5-xxxxx')]))));
    expect(twice.ok).toBe(false);
    expect(twice.error?.message).toMatch(/duplicate set members in a listpack/);
  }, 60_000);

  it('is converted (re-encoded for Redis 6.2) into the same bytes as the same listpack stored plain', async () => {
    // Values whose compressed bodies span the conversion's 2 MiB reads: re-encoded from the reader's parts as they expand.
    const random = mulberry32(4);
    const zset: number[][] = [];
    for (let i = 0; i < 30_000; i++) zset.push(str(`${text(150, random)}${i}`), i % 3 === 0 ? int(BigInt(i)) : str(`${i}.5`));
    const set: number[][] = [];
    for (let i = 0; i < 60_000; i++) set.push(str(`${text(60 + (i % 40), random)}${i}`));
    for (const [type, lp] of [
      [16, listpack(entries(2400, true, 5))],
      [17, listpack(zset)],
      [20, listpack(set)],
    ] as const) {
      expect(lzfOf(lp).length, `type ${type}`).toBeGreaterThan(2 << 20);
      const outputs: Buffer[] = [];
      for (const lzf of [true, false]) {
        const input = join(dir, `in-${type}-${lzf}.rdb`);
        writeFileSync(input, rdbOf(type, lp, lzf));
        const output = join(dir, `out-${type}-${lzf}.rdb`);
        const r = await convertRdb({ input, output, force: true, ...convertTarget({ for: 'redis-6.2' }) });
        expect(r.error, `type ${type}, lzf ${lzf}`).toBeUndefined();
        expect(r.reencoded).toBe(1);
        outputs.push(readFileSync(output));
      }
      expect(outputs[0]!.equals(outputs[1]!), `type ${type}: the LZF input converts to the plain input's output`).toBe(true);
    }
  }, 120_000);
});
