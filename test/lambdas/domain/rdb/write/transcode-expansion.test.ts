/**
 * One LZF expansion per string: a key reader's visit hands the transcoder the
 * expansion the verifier's parse made of the value it just checked
 * (KeyInPlace.expanded, RdbParser.lzfExpansionOf), only for the same file
 * bytes and only while that expansion is intact; the transcoder writes the
 * same bytes with it as without it.
 */
import { describe, expect, it } from 'vitest';
import { lzfDecompressTransient } from '../../../../../lambdas/domain/rdb/codecs/lzf.js';
import { RdbKeyReader } from '../../../../../lambdas/domain/rdb/keys.js';
import { RdbOut } from '../../../../../lambdas/domain/rdb/write/rdb-out.js';
import { transcodeObject } from '../../../../../lambdas/domain/rdb/write/transcode.js';
import { listpack } from '../../../../support/rdb-newer.js';
import { file, str } from '../../../../support/rdb-bytes.js';

const len = (n: number) => (n < 64 ? [n] : [0x40 | (n >> 8), n & 0xff]);
/** LZF of literal runs only (valid LZF, as a loader reads it). */
function lzf(bytes: readonly number[]): number[] {
  const runs: number[] = [];
  for (let at = 0; at < bytes.length; at += 32) {
    const run = bytes.slice(at, at + 32);
    runs.push(run.length - 1, ...run);
  }
  return runs;
}
/** `bytes` as an LZF string (RDB encoding 3). */
const lzfString = (bytes: readonly number[]): number[] => [0xc3, ...len(lzf(bytes).length), ...len(bytes.length), ...lzf(bytes)];

const hashLp = (fields: string[]) => Array.from(listpack(fields));
const H1 = hashLp(['f1', 'v1', 'f2', 'v2']);
const H2 = hashLp(['a', 'x'.repeat(40), 'b', 'y']);
// Two listpack hashes (type 16), each an LZF string: the header, then at 3 the compressed bytes.
const data = file('REDIS0011', [0xfe, 0x00, 0x10, ...str('h1'), ...lzfString(H1), 0x10, ...str('h2'), ...lzfString(H2)]);
/** Where the compressed bytes of `lp`'s LZF string lie in the value's bytes. */
const at = (lp: number[]) => ({ from: lzfString(lp).length - lzf(lp).length, to: lzfString(lp).length });

describe('KeyInPlace.expanded: the verifier expanded the value, the transcoder takes its expansion', () => {
  it('gives the expansion of exactly those bytes while it is intact, else nothing; the transcoder writes the same with it', () => {
    const seen: string[] = [];
    const reader = new RdbKeyReader({
      sealPayloads: false,
      visit: (k) => {
        const name = Buffer.from(k.nameBytes.subarray(k.nameFrom, k.nameTo)).toString();
        const lp = name === 'h1' ? H1 : H2;
        const { from, to } = at(lp);
        const mine = k.expanded(k.from + from, k.from + to);
        expect(mine && Array.from(mine), name).toEqual(lp);
        // Other bytes (one off at either end): not this expansion.
        expect(k.expanded(k.from + from + 1, k.from + to), name).toBeUndefined();
        expect(k.expanded(k.from + from, k.from + to - 1), name).toBeUndefined();
        // The same plain form written with the expansion handed over as without it.
        const withIt = new RdbOut();
        const without = new RdbOut();
        expect(transcodeObject(k.type, k.bytes, k.from, k.to, withIt, undefined, k)).toBe(4);
        expect(transcodeObject(k.type, k.bytes, k.from, k.to, without)).toBe(4);
        expect(withIt.take()).toEqual(without.take());
        // Negative: once another string was expanded (the output buffer is reused), the old expansion is not handed out.
        lzfDecompressTransient(Uint8Array.from([1, 0x61, 0x62]), 2);
        expect(k.expanded(k.from + from, k.from + to), name).toBeUndefined();
        seen.push(name);
      },
    });
    reader.push(data);
    const report = reader.end();
    expect(report.ok, report.error?.message).toBe(true);
    expect(seen).toEqual(['h1', 'h2']);
  });
});
