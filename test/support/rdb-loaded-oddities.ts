import { le64, str } from './rdb-bytes.js';

/**
 * Review 50: the differential fuzz campaign's files that redis-server 7.0 loads and the verifier called corrupt, as
 * bodies for `file('REDIS0010', body)` (rdb-bytes.ts), shared by the verdict tests
 * (test/lambdas/domain/rdb/verifier-redis-verdicts.test.ts) and convert-rdb's (convert-rdb-redis-verdicts.test.ts).
 */

const KV = (k: string, v: string): number[] => [0, ...str(k), ...str(v)];

/** An LZF string declared 0 bytes from 0 compressed ones. */
export const EMPTY_LZF = [0xc3, 0, 0];

/** Four keys of LZF strings declared empty: k → "", "" → v, s → {"", m}, j → "" (declared 0 from a 1-byte body). */
export function emptyLzfBody(): number[] {
  const set = [2, ...str('s'), 2, ...EMPTY_LZF, ...str('m')];
  return [0xfe, 0, 0, ...str('k'), ...EMPTY_LZF, 0, ...EMPTY_LZF, ...str('v'), ...set, 0, ...str('j'), 0xc3, 1, 0, 0x00];
}

/**
 * Plain lengths in the "encoded value" form (0xC0–0xFF): SELECTDB 1, RESIZEDB 1 0, LRU idle 5, then in database 1
 * s → {x, y} (its count 0xC2), k → "ab" (an LZF string's lengths 0xC3 and 0xC2), l → [p, q] (its count 0xC2).
 */
export function encodedLengthsBody(): number[] {
  const head = [0xfe, 0xc1, 0xfb, 0xc1, 0xc0, 0xf8, 0xc5];
  const lzf = [0xc3, 0xc3, 0xc2, 0x01, 0x61, 0x62];
  return [...head, 2, ...str('s'), 0xc2, ...str('x'), ...str('y'), 0, ...str('k'), ...lzf, 1, ...str('l'), 0xc2, ...str('p'), ...str('q')];
}

/** A hash listpack (RDB type 16) named `name` of `entries` (each its bytes and back length). */
export function listpackHash(name: string, entries: number[][]): number[] {
  const body = entries.flat();
  const total = 6 + body.length + 1;
  const lp = [total & 0xff, (total >> 8) & 0xff, total >> 16, 0, entries.length, 0, ...body, 0xff];
  const n = lp.length;
  return [16, ...str(name), ...(n < 64 ? [n] : [0x80, n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]), ...lp];
}

/** h → {f: 0, g: "x\0"}, both values' back lengths with a stray "more" bit (0x01 written 0x81, 0x03 written 0x83). */
export function strayBacklenBody(): number[] {
  return [
    0xfe,
    0,
    ...listpackHash('h', [
      [0x81, 0x66, 0x02],
      [0x00, 0x81],
      [0x81, 0x67, 0x02],
      [0x82, 0x78, 0x00, 0x83],
    ]),
  ];
}

/** e (expiring in 2100) and k, then an expiry in milliseconds right before EOF. */
export function expiryBeforeEofBody(): number[] {
  const in2100 = [0xfc, ...le64(4_102_444_800_000n)];
  return [0xfe, 0, ...in2100, ...KV('e', 'v'), ...KV('k', 'v'), ...in2100];
}

/** u twice in database 0, its first copy expired in 2001, and no ctime AUX field. */
export function twiceUntimedBody(): number[] {
  return [0xfe, 0, 0xfc, ...le64(1_000_000_000_000n), ...KV('u', 'old'), ...KV('u', 'new')];
}
