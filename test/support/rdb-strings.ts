import { Crc64 } from '../../lambdas/domain/rdb/codecs/crc64.js';
import { mulberry32 } from './prng.js';

/** An RDB length prefix (6, 14 or 32 bits), as rdbSaveLen writes it. */
function rdbLength(n: number): number[] {
  if (n < 64) return [n];
  if (n < 16384) return [0x40 | (n >> 8), n & 0xff];
  return [0x80, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

/**
 * A valid RDB 9 file of `keys` plain string keys with seeded random values of
 * 100–1,000 bytes (about 550 bytes a key) in database 0, with its CRC-64
 * trailer: a file of any size without a server, for tests of how bytes reach
 * the verifier (chunking, threads).
 */
export function stringsRdb(keys: number, seed = 1): Buffer {
  const random = mulberry32(seed);
  const parts: Buffer[] = [Buffer.from('REDIS0009'), Buffer.from([0xfe, 0x00])];
  for (let i = 0; i < keys; i++) {
    const name = Buffer.from(`key:${i}`);
    const value = Buffer.alloc(100 + Math.floor(random() * 901));
    for (let j = 0; j < value.length; j++) value[j] = Math.floor(random() * 256);
    parts.push(Buffer.from([0x00, ...rdbLength(name.length)]), name, Buffer.from(rdbLength(value.length)), value);
  }
  parts.push(Buffer.from([0xff]));
  const body = Buffer.concat(parts);
  const trailer = Buffer.alloc(8);
  new Crc64().update(body).writeLittleEndian(trailer, 0);
  return Buffer.concat([body, trailer]);
}
