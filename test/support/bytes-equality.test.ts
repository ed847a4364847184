import { describe, expect, it } from 'vitest';
import { bytesEqual } from './bytes-equality.js';

describe('bytesEqual (registered for every test file in test/support/setup.ts)', () => {
  it('judges same-class byte arrays by their bytes, views included', () => {
    const big = Buffer.alloc(300_000, 7);
    const copy = Buffer.from(big);
    expect(bytesEqual(big, copy)).toBe(true);
    copy[299_999] = 8;
    expect(bytesEqual(big, copy)).toBe(false);
    expect(bytesEqual(Buffer.from([1, 2]), Buffer.from([1, 2, 3]))).toBe(false);
    const backing = new Uint8Array([9, 1, 2, 9]);
    expect(bytesEqual(backing.subarray(1, 3), new Uint8Array([1, 2]))).toBe(true);
    expect(bytesEqual(new Uint16Array([1, 2]), new Uint16Array([1, 3]))).toBe(false);
  });

  it('leaves other pairs to vitest: different classes, floats, non-arrays', () => {
    expect(bytesEqual(Buffer.from([1]), new Uint8Array([1]))).toBeUndefined();
    expect(bytesEqual(new Float64Array([0]), new Float64Array([-0]))).toBeUndefined();
    expect(bytesEqual([1], [1])).toBeUndefined();
    expect(bytesEqual('a', 'a')).toBeUndefined();
  });

  it('is what toEqual uses: equal payloads pass, one changed byte fails, and toStrictEqual still tells Buffer from Uint8Array', () => {
    const payloads = [Buffer.alloc(200_000, 1), Buffer.alloc(100_000, 2)];
    const read = payloads.map((p) => Buffer.from(p));
    expect(read).toEqual(payloads);
    read[1]![50_000] = 3;
    expect(() => expect(read).toEqual(payloads)).toThrow();
    expect(() => expect(Buffer.from([1])).toStrictEqual(new Uint8Array([1]))).toThrow();
    expect(new Float64Array([Number.NaN])).toEqual(new Float64Array([Number.NaN]));
  });
});
