import { describe, expect, it } from 'vitest';
import { Crc64 } from '../../lambdas/domain/rdb/codecs/crc64.js';
import { mulberry32 } from './prng.js';
import { file, le64 } from './rdb-bytes.js';

describe('file', () => {
  it('is the bytes of the spread form (magic, body, EOF, CRC-64 trailer), values outside 0-255 taken modulo 256', () => {
    const spread = (magic: string, body: number[]): Uint8Array => {
      const bytes = Uint8Array.from([...Buffer.from(magic, 'latin1'), ...body, 0xff]);
      return Uint8Array.from([...bytes, ...le64(new Crc64().update(bytes, 0, bytes.length).value)]);
    };
    const random = mulberry32(7);
    for (const length of [0, 1, 63, 64, 1_000, 20_000]) {
      const body = Array.from({ length }, () => (random() < 0.05 ? Math.floor(random() * 100_000) - 50_000 : Math.floor(random() * 256)));
      expect(file('REDIS0011', body)).toEqual(spread('REDIS0011', body));
    }
  });
});
