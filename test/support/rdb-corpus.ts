import { join } from 'node:path';

/** test/fixtures/rdb: real RDB files from older Redis versions (sources and licence in its README). */
export const CORPUS_DIR = join(__dirname, '..', 'fixtures', 'rdb');

/**
 * Each corpus file with what `redis-check-rdb` 7.0.15 reports for it (from the
 * corpus README): file, RDB version, checksum status, keys, expires.
 */
export const CORPUS_CASES: readonly (readonly [string, number, 'ok' | 'absent', number, number])[] = [
  ['encodings.rdb', 4, 'absent', 13, 0],
  ['hash-zipmap.rdb', 3, 'absent', 1, 0],
  ['hash-ziplist.rdb', 9, 'ok', 1, 0],
  ['list-quicklist.rdb', 8, 'ok', 2, 0],
  ['zset-ziplist.rdb', 10, 'ok', 1, 0],
  ['scriptbackup.rdb', 10, 'ok', 0, 0],
];
