/**
 * Issue 55's byte-built sorted sets whose scores are stored as text, and
 * what the real redis-server 7.0 holds once it loaded each (all seen on
 * Debian's 7.0.15): RDB type 3 (read by sscanf "%lg"), listpack (17) and
 * ziplist (12) score entries (read by strtod). Shared by the verifier and
 * digest test (test/lambdas/domain/rdb/format/zset-score-text.test.ts) and
 * the RESTORE payload test (test/lambdas/jobs/keys/restore-score-text.test.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCanonicalBatch } from '../../lambdas/adapters/redis/canonical-read.js';
import { keyDigest, type KeyDigest } from '../../lambdas/domain/rdb/fingerprint.js';
import { file, str } from './rdb-bytes.js';
import { listpack } from './rdb-newer.js';
import { startRedisServer } from './redis-server.js';
import { ziplist } from './ziplist-bytes.js';

const text = (s: string): number[] => [s.length, ...Buffer.from(s, 'latin1')];
const len = (n: number): number[] => (n < 64 ? [n] : [0x40 | (n >> 8), n & 0xff]);

/** A type-3 zset `z` (REDIS0009) of members a (score text `score`) and b (score 7). */
export const type3 = (score: string): Uint8Array => file('REDIS0009', [0xfe, 0, 3, ...str('z'), 2, ...str('a'), ...text(score), ...str('b'), ...text('7')]);

/** A listpack zset (type 17, REDIS0010) `z`: member a with score entry `score`, member b with score 7, then `more` members. */
export const type17 = (score: string | number, more = 0): Uint8Array => {
  const lp = listpack(['a', score, 'b', 7, ...Array.from({ length: more }, (_, i) => [`m${i}`, 10 + i]).flat()]);
  return file('REDIS0010', [0xfe, 0, 17, ...str('z'), ...len(lp.length), ...lp]);
};

/** A ziplist zset (type 12, REDIS0009, written by Redis < 7) `z`: member a with score entry `score` (a bigint: an integer entry), member b with score 7, then `more` members. */
export const type12 = (score: string | bigint, more = 0): Uint8Array => {
  const zl = ziplist(['a', score, 'b', '7', ...Array.from({ length: more }, (_, i) => [`m${i}`, `${10 + i}`]).flat()]);
  return file('REDIS0009', [0xfe, 0, 12, ...str('z'), ...len(zl.length), ...zl]);
};

/** [stored text, score 7.0 holds (ZRANGE's text), or null when it refuses the file]. */
export const TYPE3_CASES: readonly [string, string | null][] = [
  ['1.5x', '1.5'],
  [' 2', '2'],
  ['0x10', '16'],
  ['1e400', 'inf'],
  ['-Infinity', '-inf'],
  ['.5e1z', '5'],
  ['0x1fffffffffffff1p0', '1.4411518807585586e+17'],
  ['0x1.8p-1075', '4.9406564584124654e-324'],
  ['abc', null],
  ['', null],
  ['nan', null],
];
/** [score entry, score 7.0 holds]: held in stored order (a listpack is not re-sorted at load). */
export const LISTPACK_CASES: readonly [string | number, string][] = [
  ['abc', '0'],
  ['1.5x', '1.5'],
  [' 2', '2'],
  ['0x10', '16'],
  ['1e400', 'inf'],
  ['', '0'],
  [5, '5'],
  ['0x1fffffffffffff1p0', '1.4411518807585586e+17'], // 57 bits, rounded to 53 (strtod: 0x1ffffffffffffep3)
  ['0x1.8p-1075', '4.9406564584124654e-324'], // rounded up to the least subnormal
  ['-0x10a12f670e7afc73p-1113', '-1.0769045128616024e-317'], // a subnormal of 63 bits' text
];
/** [score entry (a bigint: an integer entry), score 7.0 holds]: converted to a listpack entry by entry at load, in stored order. */
export const ZIPLIST_CASES: readonly [string | bigint, string][] = [
  ['abc', '0'],
  ['1.5x', '1.5'],
  ['', '0'],
  [' 2', '2'],
  ['0x1p3', '8'],
  ['inf', 'inf'],
  ['-0', '-0'],
  [5n, '5'],
];

/** A real 7.0's ZRANGE WITHSCORES of `z` and the key's digest once it loaded `bytes`, or undefined when it refused them. */
export async function loadedZset(bytes: Uint8Array): Promise<{ range: string[]; digest: KeyDigest } | undefined> {
  const dir = mkdtempSync(join(tmpdir(), 'zset-score-texts-'));
  const path = join(dir, 'load.rdb');
  writeFileSync(path, bytes);
  let server;
  try {
    server = await startRedisServer({ loadRdb: path, readyTimeoutMs: 3000 });
  } catch {
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true }); // the server loads its own copy
  }
  try {
    const c = server.client();
    const range = (await c.call('ZRANGE', 'z', '0', '-1', 'WITHSCORES')) as string[];
    const [read] = await readCanonicalBatch(c, [Buffer.from('z')]);
    return { range, digest: keyDigest(read!.value, read!.expireAtMs) };
  } finally {
    await server.stop();
  }
}
