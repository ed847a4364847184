/**
 * A large RDB for the benchmarks, written by the project's own writer
 * (domain/rdb/write/rdb-file.ts) rather than by a redis-server, which would
 * hold every value in memory (10 GB and more here): strings of random bytes,
 * so neither LZF nor a split's search (a run of zeros reads as keys) makes
 * it easier than a real dataset. bench/serve/s3-large.ts has a real
 * redis-server load a small file of this generator before each run.
 */
import { randomBytes } from 'node:crypto';
import { RdbFileWriter } from '../../lambdas/domain/rdb/write/rdb-file.js';
import { RdbOut } from '../../lambdas/domain/rdb/write/rdb-out.js';

/** The name of key `i`. */
export const keyName = (i: number): string => `key:${String(i).padStart(12, '0')}`;

/** Random bytes the values are cut from (LZF is not applied by the writer; random bytes keep a value's size whatever a reader does). */
const POOL = randomBytes(4 << 20);

/** Key numbers 0 … n − 1 shuffled by a seeded generator (the same order every run). */
function shuffled(n: number): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  let s = 56;
  for (let i = n - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = Math.floor((s / 2 ** 32) * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}

/**
 * Writes an RDB (RDB 10, as Redis 7.0 writes it) of `keys` string keys in
 * database 0 ({@link keyName}; values `value-<i>-` and random bytes,
 * `valueBytes` long) through `sink`, chunk by chunk (each valid only during
 * the call); the file's bytes. The keys come in name order, or with
 * `order: 'shuffled'` in a seeded random order, as a server's file has them
 * (its hash table's order: no name order a reader could make use of).
 */
export function writeRdb(keys: number, valueBytes: number, sink: (chunk: Buffer) => void, order: 'name' | 'shuffled' = 'name'): number {
  const w = new RdbFileWriter({ magic: 'REDIS', version: 10 }, [
    ['redis-ver', '7.0.15'],
    ['redis-bits', '64'],
    ['ctime', String(Math.floor(Date.now() / 1000))],
    ['used-mem', '0'],
    ['aof-base', '0'],
  ]);
  const value = Buffer.allocUnsafe(valueBytes);
  const object = new RdbOut(valueBytes + 16);
  const nth = order === 'shuffled' ? shuffled(keys) : undefined;
  for (let at = 0; at < keys; at++) {
    const i = nth ? nth[at]! : at;
    const head = value.write(`value-${i}-`, 0, 'latin1');
    const from = (i * 7919) % (POOL.length - valueBytes);
    POOL.copy(value, head, from, from + valueBytes - head);
    object.clear();
    object.string(value);
    w.key(0, Buffer.from(keyName(i), 'latin1'), 0, object.view(), null);
    if (w.full) sink(w.chunk());
  }
  const rest = w.chunk();
  if (rest.length > 0) sink(rest);
  sink(w.end());
  return w.bytes;
}
