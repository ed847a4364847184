import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../support/prng';
import {
  LzfChecker,
  lzfDecompress,
  lzfDecompressTransient,
  RdbFormatError,
  validateIntset,
  validateListpack,
  validateZiplist,
  validateZipmap,
} from '../../../../lambdas/domain/rdb/blobs.js';

const le32 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
const le16 = (n: number): number[] => [n & 0xff, n >>> 8];

/** A listpack of the given raw entries (encoding + data + backlen), with a correct header unless overridden. */
function listpack(entries: number[][], count = entries.length): Uint8Array {
  const body = entries.flat();
  return Uint8Array.from([...le32(6 + body.length + 1), ...le16(count), ...body, 0xff]);
}
/** [7-bit uint 5], ["ab"], [13-bit int 300] */
const LP_ENTRIES = [
  [0x05, 0x01],
  [0x82, 0x61, 0x62, 0x03],
  [0xc0 | (300 >> 8), 300 & 0xff, 0x02],
];

/** A ziplist of [string "ab"], [int8 -1], [immediate 3] with correct prevlens, header and tail. */
function ziplist(): Uint8Array {
  const e1 = [0x00, 0x02, 0x61, 0x62];
  const e2 = [e1.length, 0xfe, 0xff];
  const e3 = [e2.length, 0xf4];
  const body = [...e1, ...e2, ...e3];
  const tail = 10 + e1.length + e2.length;
  return Uint8Array.from([...le32(10 + body.length + 1), ...le32(tail), ...le16(3), ...body, 0xff]);
}

function intset(width: number, values: number[]): Uint8Array {
  const out = new Uint8Array(8 + width * values.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, width, true);
  view.setUint32(4, values.length, true);
  values.forEach((v, i) => {
    if (width === 2) view.setInt16(8 + 2 * i, v, true);
    else if (width === 4) view.setInt32(8 + 4 * i, v, true);
    else view.setBigInt64(8 + 8 * i, BigInt(v), true);
  });
  return out;
}

function mutate(blob: Uint8Array, at: number, value: number): Uint8Array {
  const copy = Uint8Array.from(blob);
  copy[at < 0 ? copy.length + at : at] = value;
  return copy;
}

describe('listpack validation', () => {
  it('counts the elements of a well-formed listpack', () => {
    expect(validateListpack(listpack(LP_ENTRIES))).toBe(3);
  });

  it('accepts the "unknown count" marker 65535', () => {
    expect(validateListpack(listpack(LP_ENTRIES, 0xffff))).toBe(3);
  });

  it.each([
    ['a wrong element count', listpack(LP_ENTRIES, 4), /counts 4 elements, found 3/],
    ['a total size that disagrees with the blob', mutate(listpack(LP_ENTRIES), 0, 99), /header says 99 bytes/],
    ['a missing end marker', mutate(listpack(LP_ENTRIES), -1, 0x00), /does not end with 0xFF/],
    ['a wrong back length', listpack([[0x05, 0x02]]), /back length is 2, entry is 1 bytes/],
    ['an invalid encoding byte', listpack([[0xf5, 0x01]]), /invalid encoding 0xf5/],
    ['a string running past the end', listpack([[0x8a, 0x61, 0x01]]), /runs past the end/],
    ['a blob shorter than the header', Uint8Array.from([1, 2, 3]), /shorter than its 7-byte minimum/],
  ])('rejects %s', (_, blob, message) => {
    expect(() => validateListpack(blob)).toThrow(RdbFormatError);
    expect(() => validateListpack(blob)).toThrow(message);
  });
});

describe('ziplist validation', () => {
  it('counts the entries of a well-formed ziplist', () => {
    expect(validateZiplist(ziplist())).toBe(3);
  });

  it.each([
    ['a wrong entry count', mutate(ziplist(), 8, 2), /counts 2 entries, found 3/],
    ['a wrong tail offset', mutate(ziplist(), 4, 10), /tail offset is 10/],
    ['a wrong prevlen', mutate(ziplist(), 14, 3), /prevlen is 3/],
    ['an invalid integer encoding', mutate(ziplist(), 15, 0xc1), /invalid encoding 0xc1/],
    ['a missing end marker', mutate(ziplist(), -1, 0), /does not end with 0xFF/],
  ])('rejects %s', (_, blob, message) => {
    expect(() => validateZiplist(blob)).toThrow(message);
  });
});

describe('intset validation', () => {
  it.each([2, 4, 8])('accepts ascending %i-byte members', (width) => {
    expect(validateIntset(intset(width, [-3, 1, 7]))).toBe(3);
  });

  it('orders 64-bit members by their signed value across both 32-bit halves', () => {
    const ascending = [-(2 ** 40), -(2 ** 32) - 1, -(2 ** 32), -1, 0, 1, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 52];
    expect(validateIntset(intset(8, ascending))).toBe(ascending.length);
    expect(() => validateIntset(intset(8, [2 ** 32 + 5, 2 ** 32 + 1]))).toThrow(/not strictly ascending at index 1/);
    expect(() => validateIntset(intset(8, [0, -(2 ** 32)]))).toThrow(/not strictly ascending at index 1/);
    expect(() => validateIntset(intset(8, [7, 7]))).toThrow(/not strictly ascending/);
  });

  it.each([2, 4])('orders negative %i-byte members below positive ones', (width) => {
    expect(validateIntset(intset(width, [-300, -2, 0, 5]))).toBe(4);
    expect(() => validateIntset(intset(width, [5, -2]))).toThrow(/not strictly ascending at index 1/);
  });

  it.each([
    ['an invalid width', intset(3, []), /invalid integer width 3/],
    ['members out of order', intset(2, [1, 1]), /not strictly ascending/],
    ['a count that disagrees with the size', intset(4, [1, 2]).subarray(0, 12), /should be 16 bytes/],
  ])('rejects %s', (_, blob, message) => {
    expect(() => validateIntset(blob)).toThrow(message);
  });
});

describe('zipmap validation', () => {
  // 1 field: key "a" (len 1), value "bc" (len 2, free 0), end.
  const zipmap = Uint8Array.from([1, 1, 0x61, 2, 0, 0x62, 0x63, 0xff]);

  it('counts the fields of a well-formed zipmap', () => {
    expect(validateZipmap(zipmap)).toBe(1);
  });

  it.each([
    ['a wrong field count', mutate(zipmap, 0, 2), /counts 2 fields, found 1/],
    ['a missing end marker', zipmap.subarray(0, 7), /does not end with 0xFF/],
    ['bytes after the end marker', Uint8Array.from([...zipmap, 0]), /1 bytes after its end marker/],
    ['a value running past the end', mutate(zipmap, 3, 9), /runs past the end/],
  ])('rejects %s', (_, blob, message) => {
    expect(() => validateZipmap(blob)).toThrow(message);
  });
});

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

/** A valid LZF stream of random literals and back references, and its plain length. */
function randomLzf(random: () => number): [Uint8Array, number] {
  const bytes: number[] = [];
  let plain = 0;
  const tokens = 1 + Math.floor(random() * 40);
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
