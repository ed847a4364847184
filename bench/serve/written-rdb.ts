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

/**
 * Writes an RDB (RDB 10, as Redis 7.0 writes it) of `keys` string keys in
 * database 0 ({@link keyName}; values `value-<i>-` and random bytes,
 * `valueBytes` long) through `sink`, chunk by chunk (each valid only during
 * the call); the file's bytes.
 */
export function writeRdb(keys: number, valueBytes: number, sink: (chunk: Buffer) => void): number {
  const w = new RdbFileWriter({ magic: 'REDIS', version: 10 }, [
    ['redis-ver', '7.0.15'],
    ['redis-bits', '64'],
    ['ctime', String(Math.floor(Date.now() / 1000))],
    ['used-mem', '0'],
    ['aof-base', '0'],
  ]);
  const value = Buffer.allocUnsafe(valueBytes);
  const object = new RdbOut(valueBytes + 16);
  for (let i = 0; i < keys; i++) {
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
