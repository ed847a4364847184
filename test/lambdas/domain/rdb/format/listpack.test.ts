import { describe, expect, it } from 'vitest';
import { validateListpack } from '../../../../../lambdas/domain/rdb/format/blobs.js';
import { bytesOf, firstListpackElement, listpackElementsOf } from '../../../../../lambdas/domain/rdb/format/listpack.js';

/** A listpack of raw entries (encoding byte, content; the back length is added), with its header and end byte. */
function listpack(...entries: number[][]): Uint8Array {
  const body = entries.flatMap((e) => [...e, e.length]); // every entry here is shorter than 128 bytes: a one-byte back length
  const total = 6 + body.length + 1;
  return Uint8Array.from([total & 0xff, total >> 8, 0, 0, entries.length, 0, ...body, 0xff]);
}

/** Every encoding src/listpack.c writes, and the element it holds. */
const ENTRIES: [string, number[], number | bigint | string][] = [
  ['a 7-bit unsigned integer', [0x7f], 127],
  ['a 6-bit-length string', [0x83, ...Buffer.from('abc')], 'abc'],
  ['a negative 13-bit integer', [0xdf, 0xff], -1],
  ['a positive 13-bit integer', [0xcf, 0xff], 4095],
  ['a 12-bit-length string', [0xe0, 0x02, ...Buffer.from('xy')], 'xy'],
  ['a 32-bit-length string', [0xf0, 0x01, 0, 0, 0, 0x7a], 'z'],
  ['a 16-bit integer', [0xf1, 0x00, 0x80], -32768],
  ['a 24-bit integer', [0xf2, 0xff, 0xff, 0x7f], 8_388_607],
  ['a 32-bit integer', [0xf3, 0xff, 0xff, 0xff, 0xff], -1],
  ['a 64-bit integer', [0xf4, 0, 0, 0, 0, 0, 0, 0, 0x40], 2n ** 62n],
];

describe('the listpack elements the DUMP reader and the hash template rules share', () => {
  it.each(ENTRIES)('decodes %s', (_what, entry, element) => {
    const lp = listpack(entry, [0x01]);
    expect(validateListpack(lp)).toBe(2);
    const decoded = listpackElementsOf(lp).map((e) => (typeof e === 'object' ? e.toString('latin1') : e));
    expect(decoded).toEqual([element, 1]);
    const first = firstListpackElement(lp);
    expect(typeof first === 'object' ? first.toString('latin1') : first).toEqual(element);
  });

  it('gives an integer as the decimal text the server answers, a string as its bytes', () => {
    expect(listpackElementsOf(listpack([0xdf, 0xff], [0x82, 0x68, 0x69])).map((e) => bytesOf(e).toString())).toEqual(['-1', 'hi']);
  });

  it('an empty listpack has no first element', () => {
    expect(firstListpackElement(listpack())).toBeUndefined();
    expect(listpackElementsOf(listpack())).toEqual([]);
  });
});
