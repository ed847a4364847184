/**
 * What a key index's directory keeps of its copy beside the keys: a Redis 8.10 copy's hash templates
 * (index-file.ts Header.templates: both writers, encodeKeyIndex and KeyBlocks.encode, keep those whose field names
 * were all read) and what the copy holds besides its keys (Header.besidesKeys: function libraries, module AUX data,
 * key metadata). A reader gets them back checked; a header where either is malformed is refused (the index then not
 * used), never half read.
 */
import { describe, expect, it } from 'vitest';
import { HashTemplates } from '../../../../lambdas/domain/rdb/format/hash-template.js';
import { type BesidesKeys, besidesKeysOfShards } from '../../../../lambdas/domain/serve/besides-keys.js';
import { FOOTER, readDirectory, readFooter, sha256 } from '../../../../lambdas/domain/serve/index-file.js';
import { encodeKeyIndex } from '../../../../lambdas/domain/serve/index-write.js';
import { KeyBlocks } from '../../../../lambdas/domain/serve/key-blocks.js';
import { KeyIndexBuilder } from '../../../../lambdas/domain/serve/key-index.js';
import { indexInMemory } from '../../../../lambdas/domain/serve/paged-index.js';

const COPY = { bytes: 1_000_000, trailer: '0123456789abcdef' };
const names = (...n: string[]) => n.map((s) => Buffer.from(s));

/** Template 1 (age, city, name), template 7 (one field of bytes that are no UTF-8), and template 9 of which one name of two was read (a resumed read). */
function templates(): HashTemplates {
  const t = new HashTemplates();
  t.define(1, 3);
  for (const n of names('age', 'city', 'name')) t.addName(1, n);
  t.define(7, 1);
  t.addName(7, Buffer.from([0xff, 0x00, 0xfe]));
  t.define(9, 2);
  t.addName(9, Buffer.from('x'));
  return t;
}

function builderIndex(t?: HashTemplates, besidesKeys?: BesidesKeys): Buffer {
  const b = new KeyIndexBuilder();
  for (let i = 0; i < 100; i++) b.add({ db: 0, name: Buffer.from(`h:${i}`), type: 32, valueAt: 9 + i * 10, valueEnd: 14 + i * 10, expireAtMs: null });
  return encodeKeyIndex(b.finish(15, t), { ...COPY, ...(besidesKeys ? { besidesKeys } : {}) }, false);
}

function blocksIndex(t?: HashTemplates, besidesKeys?: BesidesKeys): Buffer {
  const b = new KeyBlocks();
  for (let i = 0; i < 100; i++) {
    const name = Buffer.from(`h:${i}`);
    b.place(0, 30, name, 0, name.length, 9 + i * 10, 14 + i * 10, Number.NaN);
  }
  return b.encode({ ...COPY, ...(besidesKeys ? { besidesKeys } : {}) }, 15, false, t);
}

const opened = (file: Buffer) => {
  const o = indexInMemory(file, COPY);
  if ('problem' in o) throw new Error(o.problem);
  return o.index;
};

/** `file`'s directory with its header's `field` set to `value`, and the SHA-256 the footer would hold for it. */
function withHeader(file: Buffer, field: string, value: unknown): { bytes: Buffer; sha: Buffer; at: number } {
  const footer = readFooter(file, file.length) as { at: number };
  const dir = file.subarray(footer.at, file.length - FOOTER);
  const len = dir.readUInt32LE(0);
  const header = JSON.parse(dir.toString('utf8', 4, 4 + len)) as Record<string, unknown>;
  header[field] = value;
  const json = Buffer.from(JSON.stringify(header));
  const head = Buffer.alloc(4);
  head.writeUInt32LE(json.length);
  const bytes = Buffer.concat([head, json, dir.subarray(4 + len)]);
  return { bytes, sha: sha256(bytes), at: footer.at };
}

describe("a Redis 8.10 copy's hash templates in its key index", () => {
  it.each([
    ['encodeKeyIndex', builderIndex],
    ['KeyBlocks.encode', blocksIndex],
  ])('%s keeps every template whose names were all read, with its names as bytes', (_, make) => {
    const index = opened(make(templates()));
    expect(index.templates?.fieldNames(1)).toEqual(names('age', 'city', 'name'));
    expect(index.templates?.fieldNames(7)).toEqual([Buffer.from([0xff, 0x00, 0xfe])]);
    // Template 9's names were not all read: not kept, so a hash referencing it is refused in words, never answered short.
    expect(index.templates?.fieldCount(9)).toBeUndefined();
    expect(index.templates?.size).toBe(2);
  });

  it.each([
    ['encodeKeyIndex', builderIndex],
    ['KeyBlocks.encode', blocksIndex],
  ])('%s writes none for a copy without templates (the header as before)', (_, make) => {
    for (const file of [make(), make(new HashTemplates())]) {
      expect(opened(file).templates).toBeUndefined();
      expect(file.includes(Buffer.from('"templates"'))).toBe(false);
    }
  });

  it('refuses a directory whose templates are malformed, each way (the index not used)', () => {
    const file = builderIndex(templates());
    const good = withHeader(file, 'templates', [[1, ['YWdl']]]);
    const d = readDirectory(good.bytes, good.sha, good.at, COPY, 'RDRKEYS5');
    expect('problem' in d ? d.problem : d.templates?.fieldNames(1)).toEqual(names('age'));
    // An id past 2^53 (a valid file may hold one: an RDB length of 64 bits) is kept as the parser reads it, not refused.
    const big = withHeader(file, 'templates', [[2 ** 62, ['YWdl', 'Y2l0eQ==']]]);
    const b = readDirectory(big.bytes, big.sha, big.at, COPY, 'RDRKEYS5');
    expect('problem' in b ? b.problem : b.templates?.fieldNames(2 ** 62)).toEqual(names('age', 'city'));
    for (const bad of [
      {},
      [[1]],
      [[-1, ['YWdl']]],
      [[1.5, ['YWdl']]],
      [['1', ['YWdl']]],
      [[1, []]],
      [[1, 'YWdl']],
      [[1, ['not base64!']]],
      [[1, [7]]],
      [
        [1, ['YWdl']],
        [1, ['Y2l0eQ==']],
      ],
      [[1, ['Y2l0eQ==', 'YWdl']]],
      [[1, ['YWdl', 'YWdl']]],
      [[2 ** 64, ['YWdl']]],
    ]) {
      const x = withHeader(file, 'templates', bad);
      const r = readDirectory(x.bytes, x.sha, x.at, COPY, 'RDRKEYS5');
      expect('problem' in r && r.problem, JSON.stringify(bad)).toBe(
        "its header's hash templates are not [id, [base64 names, in order]] pairs, each id once (damaged)",
      );
    }
  });
});

describe('what a copy holds besides its keys, in its key index', () => {
  const held: BesidesKeys = { functionLibraries: 2, moduleAux: ['ft-index'], keyMeta: { ATTR: 1, BLES: 3 } };

  it.each([
    ['encodeKeyIndex', builderIndex],
    ['KeyBlocks.encode', blocksIndex],
  ])('%s keeps it; a reader gets it back; none written, none read', (_, make) => {
    expect(opened(make(undefined, held)).besidesKeys).toEqual(held);
    expect(opened(make(undefined, { functionLibraries: 0, moduleAux: [] })).besidesKeys).toEqual({ functionLibraries: 0, moduleAux: [] });
    expect(opened(make()).besidesKeys).toBeUndefined();
  });

  it('refuses a directory where it is malformed, each way', () => {
    const file = builderIndex(undefined, held);
    for (const bad of [
      null,
      [],
      { moduleAux: [] },
      { functionLibraries: -1, moduleAux: [] },
      { functionLibraries: 1.5, moduleAux: [] },
      { functionLibraries: 1, moduleAux: 'x' },
      { functionLibraries: 1, moduleAux: [3] },
      { functionLibraries: 1, moduleAux: [], keyMeta: [] },
      { functionLibraries: 1, moduleAux: [], keyMeta: { ATTR: -2 } },
    ]) {
      const x = withHeader(file, 'besidesKeys', bad);
      const r = readDirectory(x.bytes, x.sha, x.at, COPY, 'RDRKEYS5');
      expect('problem' in r && r.problem, JSON.stringify(bad)).toBe("its header's count of what the copy holds besides its keys is malformed (damaged)");
    }
  });

  it("a point's shards: function libraries once (each shard holds them all), AUX names once, key metadata summed", () => {
    const a: BesidesKeys = { functionLibraries: 2, moduleAux: ['ft-index'], keyMeta: { ATTR: 1 } };
    const b: BesidesKeys = { functionLibraries: 2, moduleAux: ['ft-index', 'graph'], keyMeta: { ATTR: 2, BLES: 1 } };
    expect(besidesKeysOfShards([a, b])).toEqual({ functionLibraries: 2, moduleAux: ['ft-index', 'graph'], keyMeta: { ATTR: 3, BLES: 1 } });
    expect(besidesKeysOfShards([{ functionLibraries: 0, moduleAux: [] }])).toEqual({ functionLibraries: 0, moduleAux: [] });
  });
});
