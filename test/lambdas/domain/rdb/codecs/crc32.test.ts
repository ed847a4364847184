import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32, crc32ByTable, crc32IsNodes } from '../../../../../lambdas/domain/rdb/codecs/crc32.js';

describe('CRC-32 (the RDRKEYS5 key index block checksum)', () => {
  it('gives the catalogue check value of "123456789", by Node and by the table loop', () => {
    const data = Buffer.from('xx123456789yy', 'latin1');
    expect(crc32(data, 2, 11)).toBe(0xcbf43926);
    expect(crc32ByTable(data, 2, 11)).toBe(0xcbf43926);
    expect(crc32(data, 0, 0)).toBe(0);
    // Another range gives another value (the comparisons below can fail).
    expect(crc32(data, 2, 10)).not.toBe(0xcbf43926);
  });

  it('gives the table loop the values of zlib.crc32 over random ranges, lengths and offsets into a larger buffer', () => {
    expect(crc32IsNodes).toBe(typeof zlib.crc32 === 'function');
    let s = 11;
    const rand = (m: number): number => {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      return s % m;
    };
    const big = Buffer.alloc(70_000);
    for (let i = 0; i < big.length; i++) big[i] = rand(256);
    const view = big.subarray(13);
    for (let n = 0; n < 300; n++) {
      const from = rand(5_000);
      const to = from + (n % 10 === 0 ? rand(60_000) : rand(300));
      const expected = zlib.crc32(Buffer.from(view.subarray(from, to)));
      expect(crc32ByTable(view, from, to)).toBe(expected);
      expect(crc32(view, from, to)).toBe(expected);
    }
  });
});
