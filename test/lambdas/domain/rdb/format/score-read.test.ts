/**
 * Issue 55: hexadecimal score texts (`0x1.8p3`) read as C's strtod reads
 * them: the exact value M * 2^E of all their digits rounded once to a double,
 * half to even, on 53 bits, or on fewer below 2^-1022 (subnormals), inf past
 * the largest double. Held against exact doubles (their bits as glibc's
 * strtod gives them) and, for a few thousand random texts, against python3's
 * float.fromhex (correctly rounded; it gave glibc's bits for every one of
 * 3,717 such texts tried, the overflows aside, which it refuses and strtod
 * reads as inf).
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { cNumberPrefix } from '../../../../../lambdas/domain/rdb/format/score-read.js';
import { mulberry32 } from '../../../../support/prng.js';

/** A double's bits, as 16 hex digits. */
function bits(d: number | undefined): string {
  const f = new Float64Array([d ?? Number.NaN]);
  return new BigUint64Array(f.buffer)[0]!.toString(16).padStart(16, '0');
}

describe('hexadecimal score texts read as strtod reads them', () => {
  // [text, the double's bits as glibc's strtod reads it (Debian 12, cc -O2)]
  const EXACT: [string, string][] = [
    ['0x1fffffffffffff1p0', '437fffffffffffff'], // 57 bits: rounded down to 53
    ['0x123456789abcdef0123p-4', '44323456789abcdf'], // 73 bits: rounded up
    ['0x1.00000000000008p0', '3ff0000000000000'], // a tie: to the even mantissa (down)
    ['0x1.00000000000018p0', '3ff0000000000002'], // a tie: to the even mantissa (up)
    ['0x1.0000000000000800000000000001p0', '3ff0000000000001'], // past the tie by a late bit: up
    ['0x1p-1074', '0000000000000001'], // the least subnormal
    ['0x1p-1075', '0000000000000000'], // half of it: a tie, to even (0)
    ['0x1.8p-1075', '0000000000000001'], // past half of it: up
    ['0x1.0000000000001p-1075', '0000000000000001'],
    ['0x3p-1076', '0000000000000001'],
    ['0x1.23456789abcdep-1060', '00000000000048d1'], // a subnormal of 15 bits: rounded once, not twice
    ['-0x10a12f670e7afc73p-1113', '800000000021425f'], // 2^-1113 alone is below the least subnormal
    ['0x0.fffffffffffff8p-1022', '0010000000000000'], // rounded up to the least normal
    ['0x1.fffffffffffffp1023', '7fefffffffffffff'], // the largest double
    ['0x1.fffffffffffff7ffp1023', '7fefffffffffffff'],
    ['0x1.fffffffffffff8p1023', '7ff0000000000000'], // rounds past it: inf
    ['0x1p1024', '7ff0000000000000'],
    ['0x1p99999999999', '7ff0000000000000'],
    ['0x1p-99999999999', '0000000000000000'],
    ['0x.00000000000000000001p80', '3ff0000000000000'],
    ['0x0p99999', '0000000000000000'],
  ];
  for (const [text, want] of EXACT) {
    it(`${text} reads as the double of bits ${want}`, () => {
      expect(bits(cNumberPrefix(text))).toBe(want);
    });
  }

  it('3,000 random hexadecimal texts read as python3 float.fromhex reads them (inf where it overflows)', () => {
    const random = mulberry32(55);
    const hex = (n: number) => Array.from({ length: n }, () => '0123456789abcdef'[Math.floor(random() * 16)]).join('');
    const texts = Array.from({ length: 3000 }, (_, i) => {
      // Digits of every length up to 40; ties and near-ties on the 54th bit; exponents over the whole range and past it.
      const digits = [
        hex(1 + Math.floor(random() * 40)),
        `1${hex(13)}8${'0'.repeat(Math.floor(random() * 8))}${random() < 0.5 ? '' : '1'}`,
        `1${hex(13)}${hex(1 + Math.floor(random() * 5))}`,
      ][i % 3]!;
      const point = random() < 0.4 ? Math.floor(random() * digits.length) : -1;
      const mantissa = point < 0 ? digits : `${digits.slice(0, point)}.${digits.slice(point)}`;
      return `${random() < 0.2 ? '-' : ''}0x${mantissa}p${Math.floor(random() * 2400) - 1250}`;
    });
    const python = spawnSync(
      'python3',
      [
        '-c',
        `import sys, struct
for t in sys.stdin.read().split():
    try: v = float.fromhex(t)
    except OverflowError: v = float('-inf') if t.startswith('-') else float('inf')
    print('%016x' % struct.unpack('<Q', struct.pack('<d', v))[0])`,
      ],
      { input: texts.join('\n'), encoding: 'utf8' },
    );
    expect(python.status, python.stderr).toBe(0);
    const want = python.stdout.trim().split('\n');
    expect(want).toHaveLength(texts.length);
    const differ = texts.flatMap((t, i) => (bits(cNumberPrefix(t)) === want[i] ? [] : [`${t}: ${bits(cNumberPrefix(t))}, python ${want[i]}`]));
    expect(differ).toEqual([]);
  });
});
