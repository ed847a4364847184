import { str } from './rdb-bytes.js';

/**
 * Review 50: the differential fuzz campaign's files that redis-server 7.0 loads and the verifier called corrupt, as
 * bodies for `file('REDIS0010', body)` (rdb-bytes.ts), shared by the verdict tests
 * (test/lambdas/domain/rdb/verifier-redis-verdicts.test.ts) and convert-rdb's (convert-rdb-redis-verdicts.test.ts).
 */

/** An LZF string declared 0 bytes from 0 compressed ones. */
export const EMPTY_LZF = [0xc3, 0, 0];

/** Four keys of LZF strings declared empty: k → "", "" → v, s → {"", m}, j → "" (declared 0 from a 1-byte body). */
export function emptyLzfBody(): number[] {
  const set = [2, ...str('s'), 2, ...EMPTY_LZF, ...str('m')];
  return [0xfe, 0, 0, ...str('k'), ...EMPTY_LZF, 0, ...EMPTY_LZF, ...str('v'), ...set, 0, ...str('j'), 0xc3, 1, 0, 0x00];
}
