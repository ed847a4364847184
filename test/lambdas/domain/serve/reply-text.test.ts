import { describe, expect, it } from 'vitest';
import { formatDouble, parseInteger, strtod } from '../../../../lambdas/domain/serve/reply-text.js';

describe('formatDouble', () => {
  it.each([
    [1.1, '1.1000000000000001'],
    [2, '2'],
    [-3, '-3'],
    [0.5, '0.5'],
    [1e17, '1e+17'],
    [123456789012345680, '1.2345678901234568e+17'],
    [0.0001, '0.0001'],
    [0.00001, '1.0000000000000001e-05'],
    [Number.POSITIVE_INFINITY, 'inf'],
    [Number.NEGATIVE_INFINITY, '-inf'],
    [3.14, '3.1400000000000001'],
    [1e16, '10000000000000000'],
  ])('prints %d as Redis 7.0 does (%%.17g): %s', (d, text) => {
    expect(formatDouble(d)).toBe(text);
  });
});

describe('argument parsing', () => {
  it('reads integers as string2ll does (no +, no leading zeros, no spaces)', () => {
    expect(parseInteger(Buffer.from('-12'))).toBe(-12);
    for (const bad of ['+1', '01', ' 1', '1.0', '', '99999999999999999999']) expect(parseInteger(Buffer.from(bad))).toBeUndefined();
  });

  it('reads doubles with inf and exponents, and refuses words', () => {
    expect(strtod('-inf')).toBe(Number.NEGATIVE_INFINITY);
    expect(strtod('1e3')).toBe(1000);
    // C's strtod, as zslParseRange reads a bound: leading whitespace, hexadecimal, an empty text (0), infinity spelled out.
    for (const [text, v] of [
      [' 5', 5],
      ['\t3', 3],
      ['0x10', 16],
      ['0X1p4', 16],
      ['0x.8', 0.5],
      ['', 0],
      ['-Infinity', Number.NEGATIVE_INFINITY],
      ['+.5', 0.5],
      ['1e400', Number.POSITIVE_INFINITY],
    ] as const)
      expect([text, strtod(text)]).toEqual([text, v]);
    for (const text of ['nan', '5 ', ' ', '.', '1e', '0x', '0x1p', 'infin', '1_0', '--1']) expect([text, strtod(text)]).toEqual([text, undefined]);
    expect(strtod('abc')).toBeUndefined();
  });
});
