import { describe, expect, it } from 'vitest';
import { STREAMED_LISTPACK_BYTES } from '../../../../../lambdas/domain/rdb/format/parse-listpacks.js';
import type { RdbReport } from '../../../../../lambdas/domain/rdb/report.js';
import { RdbFileWriter } from '../../../../../lambdas/domain/rdb/write/rdb-file.js';
import { RdbOut } from '../../../../../lambdas/domain/rdb/write/rdb-out.js';
import { int, listpack, str } from '../../../../support/listpack-entries.js';
import { sameVerdictInChunks, verify } from '../../../../support/rdb-bytes.js';

/**
 * Issue 55: a hash, sorted set or set of one big listpack that continues past the parser's chunk is validated as its
 * bytes stream by (format/listpack-stream.ts), not gathered into one copy. Its verdict is the gathered one's: each
 * file here is verified whole (the listpack in hand: blobs.ts validateListpack) and in chunks that cut its entries
 * (the streamed walk), and the two reports say the same (the offset of a failure aside: the stream stops nearer it).
 */

/** An RDB 10 file of one small string and key `big` of RDB `type` whose value is the listpack `lp`. */
function rdbOf(type: number, lp: Uint8Array): Uint8Array {
  const w = new RdbFileWriter({ magic: 'REDIS', version: 10 }, [['redis-ver', '7.0.15']]);
  const chunks: Buffer[] = [];
  w.key(0, Buffer.from('a'), 0, new RdbOut(16).string(Buffer.from('small')).take(), null);
  w.key(0, Buffer.from('big'), type, new RdbOut(lp.length + 16).string(lp).take(), null);
  while (w.full) chunks.push(Buffer.from(w.chunk()));
  chunks.push(w.end());
  return Buffer.concat(chunks);
}

const text = (n: number, seed: number): string => `${seed}:`.padEnd(n, String.fromCharCode(97 + (seed % 26)));

/** Field/value pairs (or members, `pairs` false) of every encoding: short, 12-bit and 32-bit strings (some longer than the stream's gathered entries), integers of each width. */
function entries(members: number, pairs: boolean): number[][] {
  const out: number[][] = [];
  const widths = [7, 13, 16, 24, 32, 64] as const;
  for (let i = 0; i < members; i++) {
    out.push(i % 5 === 4 ? int(BigInt(1000 * i + 7), 32) : str(`m${i}`));
    if (!pairs) continue;
    if (i % 50 === 3)
      out.push(str(text(70_000 + i, i))); // longer than an entry gathered whole (64 KiB): streamed
    else if (i % 7 === 0) out.push(int(BigInt(i % 100), widths[i % widths.length]));
    else out.push(str(text(i % 3 === 0 ? 30 : 3000 + (i % 900), i)));
  }
  return out;
}

const sameVerdict = sameVerdictInChunks;

describe('a big listpack validated as it streams by', () => {
  const fields = entries(600, true);
  const hash = listpack(fields);

  it('accepts a valid hash, sorted set and set as the gathered walk does', () => {
    expect(hash.length).toBeGreaterThan(STREAMED_LISTPACK_BYTES);
    expect(sameVerdict(rdbOf(16, hash)).ok).toBe(true);
    const zset: number[][] = [];
    for (let i = 0; i < 30_000; i++) zset.push(str(text(20 + (i % 50), i)), i % 3 === 0 ? int(BigInt(i)) : str(`${i}.5`));
    expect(sameVerdict(rdbOf(17, listpack(zset))).ok).toBe(true);
    const set: number[][] = [];
    for (let i = 0; i < 60_000; i++) set.push(i % 4 === 0 ? int(BigInt(i * 3)) : str(text(10 + (i % 40), i)));
    expect(sameVerdict(rdbOf(20, listpack(set))).ok).toBe(true);
  }, 60_000);

  it('refuses a big hash with a corrupt entry, back length, count, byte count or end marker', () => {
    const bad = (mutate: (lp: Uint8Array) => void): RdbReport => {
      const lp = hash.slice();
      mutate(lp);
      const r = sameVerdict(rdbOf(16, lp));
      expect(r.ok).toBe(false);
      return r;
    };
    // An invalid encoding byte far into the listpack (past the first chunks).
    const mid = 6 + fields.slice(0, 400).reduce((n, e) => n + e.length + (e.length <= 127 ? 1 : e.length < 16383 ? 2 : 3), 0);
    expect(bad((lp) => (lp[mid] = 0xf7)).error?.message).toMatch(/listpack entry 400 has invalid encoding 0xf7/);
    // The back length of a streamed entry (a 70,000-byte value: its last byte before the next entry).
    const long = 6 + fields.slice(0, 8).reduce((n, e) => n + e.length + (e.length <= 127 ? 1 : e.length < 16383 ? 2 : 3), 0);
    expect(fields[7]!.length).toBeGreaterThan(70_000);
    expect(bad((lp) => (lp[long - 1] = lp[long - 1]! ^ 1)).error?.message).toMatch(/listpack entry 7 back length/);
    expect(bad((lp) => (lp[4] = 3)).error?.message).toMatch(/listpack header counts 1027 elements, found 1200/);
    expect(bad((lp) => (lp[0] = lp[0]! ^ 1)).error?.message).toMatch(/listpack header says \d+ bytes, blob has \d+/);
    expect(bad((lp) => (lp[lp.length - 1] = 0xfe)).error?.message).toMatch(/listpack does not end with 0xFF/);
  }, 60_000);

  it('refuses a field twice in a big hash (a short one, a streamed long one), warns of one in a small-count hash, refuses a NaN score', () => {
    const twice = (a: number, b: number, list = fields): Uint8Array => {
      const e = list.slice();
      e[2 * b] = e[2 * a]!;
      return listpack(e);
    };
    expect(sameVerdict(rdbOf(16, twice(10, 500))).error?.message).toMatch(/duplicate hash fields in a listpack, in a collection of 600 members/);
    // A field of 70,000 bytes (longer than an entry gathered whole) twice: fingerprinted as it streams, as the walk does.
    const longFields = fields.slice();
    longFields[2 * 3] = str(text(70_001, 1));
    longFields[2 * 590] = str(text(70_001, 1));
    expect(sameVerdict(rdbOf(16, listpack(longFields))).error?.message).toMatch(/duplicate hash fields in a listpack/);
    // 100 fields of 12 KB values: a field twice is a warning (Redis loads it), as for a listpack gathered.
    const few = entries(100, true).map((e, i) => (i % 2 === 1 && e.length < 70_000 ? str(text(12_000, i)) : e));
    const r = sameVerdict(rdbOf(16, twice(1, 99, few)));
    expect(r.ok).toBe(true);
    expect(r.warnings?.[0]?.message).toMatch(/duplicate hash fields in a listpack: Redis loads it/);
    const zset: number[][] = [];
    for (let i = 0; i < 30_000; i++) zset.push(str(text(40, i)), i === 29_000 ? str('nan') : int(BigInt(i)));
    expect(sameVerdict(rdbOf(17, listpack(zset))).error?.message).toMatch(/sorted set score "nan" reads as NaN/);
    const set: number[][] = [];
    for (let i = 0; i < 60_000; i++) set.push(str(text(20, i)));
    set[59_000] = set[17]!;
    expect(sameVerdict(rdbOf(20, listpack(set))).error?.message).toMatch(/duplicate set members in a listpack/);
  }, 60_000);

  describe('counting 65535 (as many elements or more: no count), streamed as well, its member table growing', () => {
    /** A set listpack (type 20) of integer members `from`..`from + n - 1` as 24-bit entries, then `extra`; header count 65535. */
    function intSet(n: number, extra: number[] = []): Uint8Array {
      const members = [...Array.from({ length: n }, (_, i) => 100_000 + i), ...extra];
      const lp = new Uint8Array(6 + 5 * members.length + 1);
      for (const [k, v] of members.entries()) {
        const at = 6 + 5 * k;
        lp[at] = 0xf2;
        lp[at + 1] = v & 0xff;
        lp[at + 2] = (v >> 8) & 0xff;
        lp[at + 3] = (v >> 16) & 0xff;
        lp[at + 4] = 4; // the back length: the entry's 4 bytes
      }
      lp[lp.length - 1] = 0xff;
      new DataView(lp.buffer).setUint32(0, lp.length, true);
      lp[4] = lp[5] = 0xff;
      return lp;
    }

    it('a hash and a set: valid, and a member twice (first, middle, last) refused, the same whole and streamed', () => {
      // 40,000 fields of short strings and integers, 2.4 MB: past the parser's chunks (the stream) and the streamed size.
      const pairs: number[][] = [];
      for (let i = 0; i < 40_000; i++) pairs.push(str(`field:${i}`), i % 3 === 0 ? int(BigInt(i)) : str(text(40 + (i % 20), i)));
      const hash = listpack(pairs, 0xffff);
      expect(sameVerdict(rdbOf(16, hash)).ok).toBe(true);
      for (const twice of [0, 20_000, 39_999]) {
        const r = sameVerdict(rdbOf(16, listpack([...pairs, pairs[2 * twice]!, str('v')], 0xffff)));
        expect(r.ok, `field ${twice} twice`).toBe(false);
        expect(r.error?.message).toMatch(/duplicate hash fields in a listpack, in a collection of 40001 members that Redis converts on load/);
      }
      expect(sameVerdict(rdbOf(20, intSet(70_000))).ok).toBe(true);
      const r = sameVerdict(rdbOf(20, intSet(70_000, [100_000 + 12_345])));
      expect(r.ok).toBe(false);
      expect(r.error?.message).toMatch(/duplicate set members in a listpack/);
    }, 60_000);

    it('past the exact table (1.6 million members): checked on a sample of 1 in 2, said so the same whole and streamed', () => {
      const file = rdbOf(20, intSet(1_600_000));
      const whole = verify(file);
      expect(whole.ok).toBe(true);
      expect(whole.duplicateCheck).toEqual({ sampledCollections: 1, minDetectionProbability: 0.5 });
      for (const chunk of [65_536 + 7, 1 << 20]) expect(verify(file, chunk).duplicateCheck, `chunks of ${chunk}`).toEqual(whole.duplicateCheck);
    }, 60_000);
  });
});
