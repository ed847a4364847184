import { describe, expect, it } from 'vitest';
import {
  listpackFieldsProblem,
  listpackFirstId,
  SELF_FIELDS_LISTPACK,
  SELF_FIELDS_RAW,
  selfFieldFormatProblem,
} from '../../../../../lambdas/domain/rdb/format/hash-template.js';

/** A listpack of raw entries (encoding byte, content; one-byte back lengths), with its header and end byte. */
function listpack(...entries: number[][]): Uint8Array {
  const body = entries.flatMap((e) => [...e, e.length]);
  const total = 6 + body.length + 1;
  return Uint8Array.from([total & 0xff, total >> 8, 0, 0, entries.length, 0, ...body, 0xff]);
}
const text = (s: string): number[] => [0x80 | s.length, ...Buffer.from(s)];

describe('Redis 8.10 hash template rules', () => {
  it.each<[string, number[], number | null]>([
    ['a 7-bit integer', [0x07], 7],
    ['a 13-bit integer', [0xc1, 0x00], 256],
    ['a negative 13-bit integer', [0xdf, 0xff], null],
    ['a 16-bit integer', [0xf1, 0x34, 0x12], 0x1234],
    ['a negative 32-bit integer', [0xf3, 0xff, 0xff, 0xff, 0xff], null],
    ['a 64-bit integer of 2^62', [0xf4, 0, 0, 0, 0, 0, 0, 0, 0x40], 2 ** 62],
    ['a string of decimal digits', text('42'), 42],
    ['a string with a leading zero', text('042'), null],
    ['a string that is no number', text('id'), null],
  ])('reads the template id of a type-30 listpack from %s', (_what, first, id) => {
    expect(listpackFirstId(listpack(first, text('v')))).toBe(id);
  });

  it('a listpack without entries names no template', () => {
    expect(listpackFirstId(listpack())).toBeNull();
  });

  it.each<[string, number[][], string | null]>([
    ['fields sorted by length, then bytes', [text('age'), text('city'), text('name')], null],
    ['integer-encoded fields, ordered as their decimal text', [[0x07], [0x0a]], null],
    ['a field shorter than the one before', [text('city'), text('age')], 'hash template field 1 is not after the field before it'],
    ['a field twice', [text('a'), text('a')], 'hash template field 1 repeats the field before it'],
    ['no field', [], 'a hash template without fields'],
  ])('judges %s in a self-contained hash', (_what, fields, problem) => {
    const found = listpackFieldsProblem(listpack(...fields));
    if (problem === null) expect(found).toBeNull();
    else expect(found).toContain(problem);
  });

  it('takes the two field formats Redis writes (a listpack, or strings) and refuses any other', () => {
    expect([SELF_FIELDS_LISTPACK, SELF_FIELDS_RAW].map(selfFieldFormatProblem)).toEqual([null, null]);
    expect(selfFieldFormatProblem(2)).toBe('template hash field format 2 is neither a listpack (0) nor strings (1): Redis refuses it');
  });
});
