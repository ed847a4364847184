import { describe, expect, it } from 'vitest';
import { mulberry32, randomText } from './prng.js';

describe('randomText', () => {
  it('is the string of one String.fromCharCode per draw, joined, and draws as many numbers', () => {
    for (const [seed, n, first, span] of [
      [5, 1000, 33, 94],
      [55, 777, 33, 90],
      [1, 0, 33, 90],
      [9, 300, 0, 256],
    ] as const) {
      const a = mulberry32(seed);
      const b = mulberry32(seed);
      expect(randomText(a, n, first, span)).toBe(Array.from({ length: n }, () => String.fromCharCode(first + Math.floor(b() * span))).join(''));
      expect(a()).toBe(b());
    }
  });

  it('refuses characters beyond Latin-1 (a byte cannot hold them)', () => {
    expect(() => randomText(mulberry32(1), 10, 200, 100)).toThrow(/200\.\.299 are not all Latin-1/);
  });
});
