/**
 * A big Redis 8.10 template hash stored as strings (types 32 and 31) written from the reader's parts
 * (write/template-hash-parts.ts, convert-rdb, issue 55): wherever the parts are cut, the same bytes as the plain hash
 * express.ts writes from its decoded value, and the same digest as KeyListDigest.addValue of that value; the parts
 * behind let go; an unknown template, a malformed value and bytes after it said.
 */
import { describe, expect, it } from 'vitest';
import { HashTemplates } from '../../../../../lambdas/domain/rdb/format/hash-template.js';
import { decodeDumpPayload } from '../../../../../lambdas/domain/rdb/format/value.js';
import { resolveTemplateHash } from '../../../../../lambdas/domain/rdb/format/template-ref.js';
import { writePlainValue } from '../../../../../lambdas/domain/rdb/write/encode-value.js';
import { KeyListDigest } from '../../../../../lambdas/domain/rdb/write/key-list.js';
import { dumpPayloadFor } from '../../../../../lambdas/domain/rdb/write/rdb-file.js';
import { RdbOut } from '../../../../../lambdas/domain/rdb/write/rdb-out.js';
import { templateHashNames, writeTemplateHashFromParts } from '../../../../../lambdas/domain/rdb/write/template-hash-parts.js';
import type { KeyValue } from '../../../../../lambdas/domain/rdb/fingerprint.js';
import { lzfCompress } from '../../../../support/lzf-compress.js';
import { listpackOfBytes } from '../../../../support/listpack-entries.js';
import { listpack } from '../../../../support/rdb-newer.js';

const cut = (b: Uint8Array, size: number): Uint8Array[] => Array.from({ length: Math.ceil(b.length / size) }, (_, i) => b.slice(i * size, (i + 1) * size));
const FORMAT = { magic: 'REDIS', version: 15 } as const;
const NAMES = ['a', 'b', 'c', 'e', 'n'].map((f) => Buffer.from(f));

/** Values stored every way a string is: plain (long: runs handed on as they lie), an integer, LZF-compressed, empty. */
const long = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 7919) & 0xff));
const text = Buffer.from('lzf '.repeat(100));
const lzf = lzfCompress(text);
const values = Buffer.concat([
  new RdbOut(long.length + 8).string(long).view(),
  Uint8Array.of(0xc0, 42),
  Uint8Array.of(0xc3),
  new RdbOut(16).len(lzf.length).len(text.length).view(),
  lzf,
  Uint8Array.of(0),
  new RdbOut(16).string(Buffer.from('last')).view(),
]);
const EXPECTED: KeyValue = {
  type: 'hash',
  fields: [
    [NAMES[0]!, long],
    [NAMES[1]!, Buffer.from('42')],
    [NAMES[2]!, text],
    [NAMES[3]!, Buffer.alloc(0)],
    [NAMES[4]!, Buffer.from('last')],
  ],
};
function EXPECTED_VALUES(): Buffer[] {
  return EXPECTED.type === 'hash' ? EXPECTED.fields.map(([, v]) => v) : [];
}
/** Type 32: template 7's id, then the values. */
const REF = Buffer.concat([Uint8Array.of(7), values]);
/** Type 31: the names as strings (format 1, their count, each), or in one listpack (format 0), then the values. */
const SELF_RAW = Buffer.concat([Uint8Array.of(1, 5), ...NAMES.map((n) => new RdbOut(8).string(n).view()), values]);
const SELF_LP = Buffer.concat([Uint8Array.of(0), new RdbOut(64).string(Uint8Array.from(listpack(['a', 'b', 'c', 'e', 'n']))).view(), values]);

/** The listpack forms: the values in one listpack after a template id (7, as decimal text), plain or LZF-compressed. */
const valuesListpack = listpackOfBytes([Buffer.from('7'), ...EXPECTED_VALUES()]);
const lzfListpack = (): Buffer => {
  const packed = lzfCompress(valuesListpack);
  return Buffer.concat([Uint8Array.of(0xc3), new RdbOut(16).len(packed.length).len(valuesListpack.length).view(), packed]);
};
const LP_REF = new RdbOut(valuesListpack.length + 16).string(valuesListpack).take();
const LP_REF_LZF = lzfListpack();
const SELF_NAMES = Buffer.concat([Uint8Array.of(1, 5), ...NAMES.map((n) => new RdbOut(8).string(n).view())]);
const SELF_LP_VALUES = Buffer.concat([SELF_NAMES, LP_REF]);
const SELF_LP_VALUES_LZF = Buffer.concat([SELF_NAMES, LP_REF_LZF]);

const templates = new HashTemplates();
templates.define(7, NAMES.length);
for (const n of NAMES) templates.addName(7, n);
const names = (id: number) => templates.fieldNames(id);

/** The plain hash and digest written from `parts`: the head then the pieces joined, and the digest's hex. */
function fromParts(type: number, parts: Uint8Array[]): { bytes: Buffer; digest: string; type: number } {
  const named = templateHashNames(type, parts, names);
  if (named === undefined) throw new Error('template not known');
  const pieces: Uint8Array[] = [];
  let head: Uint8Array = new Uint8Array(0);
  let written = -1;
  const d = new KeyListDigest();
  d.valueHead(0, Buffer.from('h'), null);
  const returned = writeTemplateHashFromParts(parts, named, { piece: (b) => pieces.push(b.slice()), piecesWritten: (t, h) => ((written = t), (head = h)) }, d);
  expect(returned).toBe(written);
  return { bytes: Buffer.concat([head, ...pieces]), digest: d.hex(), type: written };
}

/** What express.ts writes and digests for a small one: the plain hash of its decoded value. */
function byValue(value: KeyValue): { bytes: Buffer; digest: string; type: number } {
  const out = new RdbOut(1024);
  const type = writePlainValue(value, out);
  const d = new KeyListDigest();
  d.addValue(0, Buffer.from('h'), value, null);
  return { bytes: out.take(), digest: d.hex(), type };
}

describe('writeTemplateHashFromParts: a big template hash stored as strings, written as the plain hash it stands for', () => {
  it('decodes as the payload path decodes each form (the fixture itself)', () => {
    expect(resolveTemplateHash(dumpPayloadFor(32, REF, FORMAT), names)).toEqual(EXPECTED);
    expect(decodeDumpPayload(dumpPayloadFor(31, SELF_RAW, FORMAT))).toEqual(EXPECTED);
    expect(decodeDumpPayload(dumpPayloadFor(31, SELF_LP, FORMAT))).toEqual(EXPECTED);
    expect(resolveTemplateHash(dumpPayloadFor(30, LP_REF, FORMAT), names)).toEqual(EXPECTED);
    expect(decodeDumpPayload(dumpPayloadFor(29, SELF_LP_VALUES, FORMAT))).toEqual(EXPECTED);
    expect(LP_REF_LZF.length).toBeLessThan(LP_REF.length); // compressed: the expansion's path
  });

  it.each([
    [32, REF],
    [31, SELF_RAW],
    [31, SELF_LP],
    [30, LP_REF],
    [30, LP_REF_LZF],
    [29, SELF_LP_VALUES],
    [29, SELF_LP_VALUES_LZF],
  ] as const)('type %i: the same bytes and digest as the decoded value written plain, from parts cut every 1, 7, 4096 bytes or whole', (type, object) => {
    const expected = byValue(EXPECTED);
    expect(expected.type).toBe(4);
    for (const size of [1, 7, 4096, object.length]) expect(fromParts(type, cut(object, size)), `parts of ${size}`).toEqual(expected);
  });

  it('lets the parts behind go as it reads, every 1 MiB or so (the value held about once)', () => {
    const big = Buffer.alloc(3 << 20, 1);
    const five = Buffer.concat([Uint8Array.of(7), ...[big, big, long, text, text].map((v) => new RdbOut(v.length + 8).string(v).view())]);
    const parts = cut(five, 4096);
    const named = templateHashNames(32, parts, names)!;
    writeTemplateHashFromParts(parts, named, { piece: () => {}, piecesWritten: () => {} }, new KeyListDigest());
    expect(parts.filter((p) => p.length === 0).length).toBeGreaterThan(parts.length * 0.75);
  });

  it('a value changed is another digest; an unknown template, bytes after the values and a value cut short are said', () => {
    const changed = Buffer.from(REF);
    changed[100]! ^= 1;
    expect(fromParts(32, cut(changed, 7)).digest).not.toBe(byValue(EXPECTED).digest);
    expect(templateHashNames(32, [Buffer.concat([Uint8Array.of(8), values])], names)).toBeUndefined();
    const otherId = listpackOfBytes([Buffer.from('8'), ...EXPECTED_VALUES()]);
    expect(templateHashNames(30, [new RdbOut(otherId.length + 16).string(otherId).take()], names)).toBeUndefined();
    const noId = listpackOfBytes([Buffer.from('x'), ...EXPECTED_VALUES()]);
    expect(() => templateHashNames(30, [new RdbOut(noId.length + 16).string(noId).take()], names)).toThrow(/does not begin with a template id/);
    const short = listpackOfBytes([Buffer.from('7'), ...EXPECTED_VALUES().slice(1)]);
    expect(() => fromParts(30, cut(new RdbOut(short.length + 16).string(short).take(), 4096))).toThrow(/holds 4 values, its fields are 5/);
    expect(() => fromParts(32, [Buffer.concat([REF, Uint8Array.of(0)])])).toThrow(/1 bytes after the template hash's 5 values/);
    expect(() => fromParts(32, [REF.subarray(0, REF.length - 2)])).toThrow(/needed/);
    expect(() => templateHashNames(31, [Uint8Array.of(2)], names)).toThrow(/field format 2 is neither/);
    expect(() => templateHashNames(16, [REF], names)).toThrow(/is not a template hash/);
  });
});
