import { describe, expect, it } from 'vitest';
import { crc64Combine } from '../../../../../lambdas/domain/rdb/codecs/crc64-combine.js';
import { crc64 } from '../../../../../lambdas/domain/rdb/codecs/crc64.js';

/** `n` patterned bytes (a loop: Uint8Array.from with a callback took seconds for the 64 MiB one). */
const bytes = (n: number, seed: number): Uint8Array => {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 151 + seed * 7 + (i >> 9)) & 0xff;
  return out;
};

describe('crc64Combine: the CRC-64 of a concatenation from its parts', () => {
  it.each([0, 1, 7, 8, 9, 255, 4096, (1 << 20) + 3])('equals the direct CRC of A‖B when B is %i bytes', (lengthB) => {
    for (const lengthA of [0, 1, 13, 1000]) {
      const a = bytes(lengthA, 1);
      const b = bytes(lengthB, 2);
      const whole = new Uint8Array(lengthA + lengthB);
      whole.set(a, 0);
      whole.set(b, lengthA);
      expect(crc64Combine(crc64(a), crc64(b), lengthB)).toBe(crc64(whole));
    }
  });

  it('a B of 64 MiB and 5 bytes (the split verification combines parts of hundreds of MB): the direct CRC', () => {
    const a = bytes(1000, 3);
    const b = bytes((1 << 26) + 5, 4);
    const whole = new Uint8Array(a.length + b.length);
    whole.set(a, 0);
    whole.set(b, a.length);
    expect(crc64Combine(crc64(a), crc64(b), b.length)).toBe(crc64(whole));
  });

  it('an empty B leaves the CRC of A', () => {
    expect(crc64Combine(0x1234567890abcdefn, 0n, 0)).toBe(0x1234567890abcdefn);
  });

  it('a length that is no byte count is refused', () => {
    expect(() => crc64Combine(0n, 0n, -1)).toThrow(/whole number of bytes/);
    expect(() => crc64Combine(0n, 0n, 1.5)).toThrow(/whole number of bytes/);
  });
});
