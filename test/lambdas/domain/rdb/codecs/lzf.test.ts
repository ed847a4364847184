import { describe, expect, it } from 'vitest';
import { LzfChecker, lzfDecompress, lzfDecompressTransient } from '../../../../../lambdas/domain/rdb/codecs/lzf.js';
import { LZF_WINDOW, LzfExpander } from '../../../../../lambdas/domain/rdb/codecs/lzf-stream.js';
import { mulberry32 } from '../../../../support/prng.js';

describe('LZF decompression', () => {
  // Literal "abc", then a back reference of 6 bytes at distance 3: "abcabcabc".
  const compressed = Uint8Array.from([0x02, 0x61, 0x62, 0x63, (4 << 5) | 0, 0x02]);

  it('expands literals and overlapping back references', () => {
    expect(new TextDecoder().decode(lzfDecompress(compressed, 9))).toBe('abcabcabc');
  });

  it.each([
    ['a declared length that is too long', compressed, 10, /output is 9 bytes, declared 10/],
    ['a declared length that is too short', compressed, 8, /exceeds the declared length 8/],
    ['a back reference before the output', Uint8Array.from([0x00, 0x61, 0x20, 0x05]), 4, /before the start/],
    ['a literal run past the input', Uint8Array.from([0x05, 0x61]), 6, /reads past the compressed input/],
  ])('rejects %s', (_, input, length, message) => {
    expect(() => lzfDecompress(input, length)).toThrow(message);
  });
});

/** A valid LZF stream of random literals and back references (`tokens` of them, by default 1–40), and its plain length. */
function randomLzf(random: () => number, tokens = 1 + Math.floor(random() * 40)): [Uint8Array, number] {
  const bytes: number[] = [];
  let plain = 0;
  for (let t = 0; t < tokens; t++) {
    if (plain === 0 || random() < 0.5) {
      const run = 1 + Math.floor(random() * 32);
      bytes.push(run - 1, ...Array.from({ length: run }, () => Math.floor(random() * 256)));
      plain += run;
    } else {
      const distance = Math.floor(random() * Math.min(plain, 8192)); // 0 = the previous byte
      const length = 3 + Math.floor(random() * (random() < 0.2 ? 260 : 6));
      const short = Math.min(length - 2, 7);
      bytes.push((short << 5) | (distance >> 8));
      if (short === 7) bytes.push(length - 9);
      bytes.push(distance & 0xff);
      plain += length;
    }
  }
  return [Uint8Array.from(bytes), plain];
}

/** What lzfDecompress says: the output, or its error message. */
function outcome(decode: () => Uint8Array): string {
  try {
    return Buffer.from(decode()).toString('hex');
  } catch (e) {
    return `error: ${(e as Error).message}`;
  }
}

/** 1,500 seeded cases: valid streams, and the same streams with a byte changed, cut short, or a wrong declared length. */
function lzfCases(): [Uint8Array, number][] {
  const random = mulberry32(1234);
  const cases: [Uint8Array, number][] = [];
  for (let i = 0; i < 500; i++) {
    const [input, plain] = randomLzf(random);
    cases.push([input, plain]);
    const changed = Uint8Array.from(input);
    changed[Math.floor(random() * changed.length)] = Math.floor(random() * 256);
    cases.push([changed, plain]);
    const cut = input.subarray(0, Math.floor(random() * input.length));
    cases.push([cut, random() < 0.5 ? plain : plain + Math.floor(random() * 5) - 2]);
  }
  return cases;
}

describe('LZF checking without output', () => {
  const check = (input: Uint8Array, plain: number, pieces: number[]): string | null => {
    const checker = new LzfChecker();
    checker.start(input.length, plain);
    let at = 0;
    for (const size of pieces) {
      const end = Math.min(input.length, at + size);
      checker.scan(input, at, end);
      at = end;
    }
    checker.scan(input, at, input.length);
    return checker.finish();
  };

  it('reports exactly what lzfDecompress reports, fed whole or in pieces', () => {
    const random = mulberry32(77);
    for (const [input, plain] of lzfCases()) {
      const expected = outcome(() => lzfDecompress(input, plain));
      const problem = expected.startsWith('error: ') ? expected.slice(7) : null;
      expect(check(input, plain, []), `${Buffer.from(input).toString('hex')} → ${plain}`).toBe(problem);
      const pieces = Array.from({ length: 8 }, () => Math.floor(random() * 12));
      expect(check(input, plain, pieces)).toBe(problem);
    }
  });

  it('can be reused for the next body after a failure', () => {
    const checker = new LzfChecker();
    checker.start(2, 6);
    checker.scan(Uint8Array.from([0x05, 0x61]), 0, 2);
    expect(checker.finish()).toMatch(/literal run of 6 bytes reads past/);
    checker.start(compressedAbc.length, 9);
    checker.scan(compressedAbc, 0, compressedAbc.length);
    expect(checker.finish()).toBeNull();
  });
});

const compressedAbc = Uint8Array.from([0x02, 0x61, 0x62, 0x63, (4 << 5) | 0, 0x02]);

describe('transient LZF decompression (WebAssembly where available)', () => {
  it('gives the output or the error of lzfDecompress', () => {
    for (const [input, plain] of lzfCases()) {
      expect(outcome(() => lzfDecompressTransient(input, plain))).toBe(outcome(() => lzfDecompress(input, plain)));
    }
  });

  it("expands a blob of exactly 64 KiB (its words copied up to the memory's end) and copies back references 1 to 10 bytes back as bytes would", () => {
    // 32-byte literals and back references of 264 bytes up to 65,535 bytes, then a 1-byte literal: the last word
    // written runs 7 bytes past the output region.
    const random = mulberry32(5);
    const parts: number[] = [];
    let plain = 0;
    while (plain < 65_535 - 300) {
      parts.push(31, ...Array.from({ length: 32 }, () => Math.floor(random() * 256)));
      plain += 32;
      const distance = Math.floor(random() * 10); // 1–10 bytes back: the overlapping copies and the first word-sized ones
      parts.push(0xe0, 255, distance);
      plain += 264;
    }
    while (plain < 65_535) {
      parts.push(0x00, 0x7a);
      plain++;
    }
    parts.push(0x00, 0x21);
    plain++;
    const input = Uint8Array.from(parts);
    expect(plain).toBe(65_536);
    expect(outcome(() => lzfDecompressTransient(input, plain))).toBe(outcome(() => lzfDecompress(input, plain)));
    expect(lzfDecompressTransient(input, plain)).toHaveLength(plain);
  });

  it('expands blobs above 64 KiB in JavaScript, with the same result', () => {
    // A literal, then back references of 264 bytes: ~100 KiB of output.
    const parts = [0x02, 0x61, 0x62, 0x63];
    for (let i = 0; i < 400; i++) parts.push(0xe0, 255, 2);
    const input = Uint8Array.from(parts);
    const plain = 3 + 400 * 264;
    expect(outcome(() => lzfDecompressTransient(input, plain))).toBe(outcome(() => lzfDecompress(input, plain)));
    expect(lzfDecompressTransient(input, plain)).toHaveLength(plain);
  });
});

/** `input` expanded by an LzfExpander of `pieceBytes` pieces, fed in pieces of the sizes given (then the rest): its output joined, or its problem. */
function streamed(input: Uint8Array, plain: number, pieceBytes: number, feed: number[]): string {
  const x = new LzfExpander(pieceBytes);
  const out: Buffer[] = [];
  // The largest piece, checked once at the end (an expect per piece was most of this file's time: pieces of 1 byte).
  let largest = 0;
  x.expandInto(input.length, plain, (b, from, to) => {
    largest = Math.max(largest, to - from);
    out.push(Buffer.from(b.subarray(from, to)));
  });
  let at = 0;
  for (const size of feed) {
    const end = Math.min(input.length, at + size);
    x.update(input, at, end);
    at = end;
  }
  x.update(input, at, input.length);
  const problem = x.finish();
  expect(largest, 'a piece: the window and a piece at most').toBeLessThanOrEqual(LZF_WINDOW + Math.max(pieceBytes, 264));
  return problem === null ? Buffer.concat(out).toString('hex') : `error: ${problem}`;
}

describe('LZF expanded as it streams by (lzf-stream.ts)', () => {
  it('gives what lzfDecompress gives, output or problem, fed whole or in pieces', () => {
    const random = mulberry32(91);
    for (const [input, plain] of lzfCases()) {
      const expected = outcome(() => lzfDecompress(input, plain));
      expect(streamed(input, plain, 1 << 20, []), `${Buffer.from(input).toString('hex')} → ${plain}`).toBe(expected);
      expect(
        streamed(
          input,
          plain,
          16,
          Array.from({ length: 8 }, () => Math.floor(random() * 12)),
        ),
      ).toBe(expected);
    }
    // A reference to the output's first byte, and one a byte before it.
    const atStart = Uint8Array.from([0x02, 0x61, 0x62, 0x63, 0x20, 0x02]);
    expect(streamed(atStart, 6, 16, [])).toBe(Buffer.from('abcabc').toString('hex'));
    const before = Uint8Array.from([0x02, 0x61, 0x62, 0x63, 0x20, 0x03]);
    expect(streamed(before, 6, 16, [])).toBe('error: LZF back reference points before the start of the output');
    expect(outcome(() => lzfDecompress(before, 6))).toBe('error: LZF back reference points before the start of the output');
  });

  it('keeps the whole 8 KiB window across the pieces it hands on: long streams, references as far back as LZF reaches', () => {
    const random = mulberry32(2026);
    for (let i = 0; i < 12; i++) {
      const [input, plain] = randomLzf(random, 4000 + i * 500);
      expect(plain).toBeGreaterThan(3 * LZF_WINDOW);
      const expected = outcome(() => lzfDecompress(input, plain));
      expect(expected.startsWith('error')).toBe(false);
      for (const pieceBytes of [1, 300, 8192, 1 << 20]) {
        const feed = Array.from({ length: 40 }, () => Math.floor(random() * 4000));
        expect(streamed(input, plain, pieceBytes, feed), `stream ${i}, pieces of ${pieceBytes}`).toBe(expected);
      }
      // A byte changed (most: a wrong expansion or a problem), a body cut short, a declared length off by one.
      const changed = Uint8Array.from(input);
      changed[Math.floor(random() * changed.length)] ^= 0x5a;
      expect(streamed(changed, plain, 300, [777])).toBe(outcome(() => lzfDecompress(changed, plain)));
      const cut = input.subarray(0, input.length - 1 - Math.floor(random() * 50));
      expect(streamed(cut, plain, 300, [])).toMatch(/^error: LZF /);
      expect(streamed(input, plain + 1, 300, [])).toBe(`error: LZF output is ${plain} bytes, declared ${plain + 1}`);
      expect(streamed(input, plain - 1, 300, [])).toBe(outcome(() => lzfDecompress(input, plain - 1)));
    }
  });
});
