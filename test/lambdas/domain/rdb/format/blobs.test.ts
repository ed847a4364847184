import { describe, expect, it } from 'vitest';
import { RdbFormatError } from '../../../../../lambdas/domain/rdb/errors.js';
import { type ListpackMembers, validateIntset, validateListpack, validateZiplist, validateZipmap } from '../../../../../lambdas/domain/rdb/format/blobs.js';
import { DuplicateCheck } from '../../../../../lambdas/domain/rdb/format/duplicates.js';

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
    ['a one-byte back length with its "more" bit set', listpack([[0x05, 0x81]]), /entry 0 has a malformed back length/],
    ['a two-byte back length that is wrong', listpack([[0xe0, 0x80, ...new Array(128).fill(0x61), 0x02, 0x82]]), /back length is 258, entry is 130 bytes/],
    ['an invalid encoding byte', listpack([[0xf5, 0x01]]), /invalid encoding 0xf5/],
    ['a string running past the end', listpack([[0x8a, 0x61, 0x01]]), /runs past the end/],
    ['a blob shorter than the header', Uint8Array.from([1, 2, 3]), /shorter than its 7-byte minimum/],
  ])('rejects %s', (_, blob, message) => {
    expect(() => validateListpack(blob)).toThrow(RdbFormatError);
    expect(() => validateListpack(blob)).toThrow(message);
  });
});

describe('listpack members checked in the validating walk', () => {
  /** Validates `lp` with the members (every `stride`-th element) checked in a fresh table; whether one was there twice. */
  function duplicate(lp: Uint8Array, stride: number): boolean {
    const table = new DuplicateCheck();
    table.begin(64);
    const members: ListpackMembers = { stride, seen: (h1, h2) => table.seen(h1, h2), duplicate: true };
    validateListpack(lp, members);
    return members.duplicate;
  }
  const s = (text: string): number[] => [0x80 | text.length, ...Buffer.from(text), 1 + text.length];
  /** A 12-bit string of `n` bytes of `c` (a two-byte back length from 128 bytes on). */
  const long = (n: number, c: number): number[] => {
    const size = 2 + n;
    return [0xe0 | (n >> 8), n & 0xff, ...new Array(n).fill(c), ...(size <= 127 ? [size] : [size >> 7, 0x80 | (size & 0x7f)])];
  };

  it('finds no duplicate among distinct members, whatever the values repeat', () => {
    expect(duplicate(listpack([s('a'), s('x'), s('b'), s('x'), long(200, 0x61), s('x')]), 2)).toBe(false);
  });

  it('finds a member twice: a string, a long string, an integer and the text of one', () => {
    expect(duplicate(listpack([s('a'), s('b'), s('a')]), 1)).toBe(true);
    expect(duplicate(listpack([long(200, 0x61), s('v'), long(200, 0x61), s('v')]), 2)).toBe(true);
    // 300 as a 13-bit integer and as the string "300": Redis compares members as their text.
    expect(duplicate(listpack([[0xc0 | (300 >> 8), 300 & 0xff, 0x02], s('v'), s('300'), s('w')]), 2)).toBe(true);
    expect(
      duplicate(
        listpack([
          [0xf1, 0x30, 0xf8, 0x03],
          [0xf3, 0x30, 0xf8, 0xff, 0xff, 0x05],
        ]),
        1,
      ),
    ).toBe(true); // -2000 in 16 and 32 bits
  });

  it('does not count a repeated value (odd elements with stride 2) as a duplicate member', () => {
    expect(duplicate(listpack([s('a'), s('x'), s('b'), s('x')]), 2)).toBe(false);
    expect(duplicate(listpack([s('a'), s('x'), s('x'), s('y'), s('z'), s('a')]), 3)).toBe(false);
  });

  it('a structural problem after a duplicate still fails the listpack', () => {
    const lp = listpack([s('a'), s('a'), [0x05, 0x02]]);
    expect(() => duplicate(lp, 1)).toThrow(/entry 2 back length is 2, entry is 1 bytes/);
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
