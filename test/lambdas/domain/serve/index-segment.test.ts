import { Crc64 } from '../../../../lambdas/domain/rdb/codecs/crc64.js';
import { describe, expect, it } from 'vitest';
import { decodeKeySegment, encodeKeySegment, KeySegmentBuilder, type SegmentOf, takeHandedKeys } from '../../../../lambdas/domain/serve/index-segment.js';
import { type IndexedKey, KeyIndexBuilder } from '../../../../lambdas/domain/serve/key-index.js';
import { R_AT, ROW } from '../../../../lambdas/domain/serve/key-rows.js';

const OF = { etag: '"abc"', versionId: 'v1', start: 100, end: 1_000 };
const KEYS: IndexedKey[] = [
  { db: 0, name: Buffer.from('zeta'), type: 0, valueAt: 120, valueEnd: 130, expireAtMs: null },
  { db: 3, name: Buffer.from([0, 0xff]), type: 14, valueAt: 500, valueEnd: 1_000, expireAtMs: 1_700_000_000_123 },
];

function decoded(file: Buffer, of: SegmentOf = OF): IndexedKey[] | string {
  const out: IndexedKey[] = [];
  const problem = decodeKeySegment(file, of, {
    place: (db, type, name, nameFrom, nameTo, valueAt, valueEnd, expireAt) =>
      void out.push({ db, type, name: Buffer.from(name.subarray(nameFrom, nameTo)), valueAt, valueEnd, expireAtMs: Number.isNaN(expireAt) ? null : expireAt }),
  });
  return problem ? problem.problem : out;
}

describe('a key index segment (one verifier invocation’s keys)', () => {
  it('reads back every key it holds', () => {
    expect(decoded(encodeKeySegment(OF, KEYS))).toEqual(KEYS);
  });

  it('still reads an RDRKSEG1 segment (written before RDRKSEG2: 33-byte rows, the database in each), key by key or appended to rows, and refuses it changed', () => {
    // Written by main's encodeKeySegment (345ec3b, the last to write RDRKSEG1) of OF and KEYS.
    const v1 = Buffer.from(
      'UkRSS1NFRzFDAAAAeyJldGFnIjoiXCJhYmNcIiIsInZlcnNpb25JZCI6InYxIiwic3RhcnQiOjEwMCwiZW5kIjoxMDAwLCJrZXlzIjoyfQQAAAAAAAAAAAAAAAAAAF5AAAAAAABAYEAAAAAAAAD4fwIAAAADAAAADgAAAAAAQH9AAAAAAABAj0AAsIdW/rx4QnpldGEA/6C+4zLOgOrKOpuU68meOaLQMSBDspxaRQAJOXyHsRML',
      'base64',
    );
    expect(v1.toString('latin1', 0, 8)).toBe('RDRKSEG1');
    expect(decoded(v1)).toEqual(KEYS);
    // Into the rows a DR index stitches (database 0 relabelled 5, as a worker's keys before its first SELECTDB are).
    const rows = new KeyIndexBuilder();
    expect(decodeKeySegment(v1, OF, rows, [0, 5])).toBeUndefined();
    const index = rows.finish(11);
    expect(index.databases()).toEqual([3, 5]);
    expect(index.entry(5, 0)).toEqual({ ...KEYS[0], db: 5 });
    expect(index.entry(3, 0)).toEqual(KEYS[1]);
    const changed = Buffer.from(v1);
    changed[80]! ^= 1;
    expect(decoded(changed)).toBe('its SHA-256 does not match its bytes (damaged)');
  });

  it("carries its keys' databases as runs (a row holds none): keys appended to rows keep them, runs that do not add up are refused", () => {
    const b = new KeySegmentBuilder();
    for (let i = 0; i < 300; i++)
      b.add({ db: i < 100 ? 0 : i < 120 ? 2 : 7, name: Buffer.from(`k:${i}`), type: 0, valueAt: 101 + i, valueEnd: 101 + i, expireAtMs: null });
    const of = { ...OF, end: 1_000 };
    const file = b.encode(of);
    expect(file.toString('latin1', 0, 8)).toBe('RDRKSEG2');
    const rows = new KeyIndexBuilder();
    expect(decodeKeySegment(file, of, rows, [2, 4])).toBeUndefined();
    const index = rows.finish(11);
    expect(index.databases()).toEqual([0, 4, 7]);
    expect([0, 4, 7].map((db) => index.size(db))).toEqual([100, 20, 180]);
    expect(index.nameAt(4, 19).toString()).toBe('k:119');
    // The runs rewritten to count a key less (its CRC-64 made to match: a writer's bug, not damage): refused.
    const json = file.toString('utf8', 12, 12 + file.readUInt32LE(8));
    const lying = Buffer.from(file);
    lying.write(json.replace('[7,180]', '[7,179]'), 12, 'utf8');
    new Crc64().update(lying, 0, lying.length - 8).writeLittleEndian(lying, lying.length - 8);
    expect(decoded(lying, of)).toBe("its databases' runs count 299 keys, not its 300");
  });

  it('refuses a changed one, one of another object version or byte range, and a key outside its range', () => {
    const file = encodeKeySegment(OF, KEYS);
    const changed = Buffer.from(file);
    changed[40]! ^= 1;
    expect(decoded(changed)).toBe('its CRC-64 does not match its bytes (damaged)');
    expect(decoded(file, { ...OF, etag: '"other"' })).toBe('it indexes bytes [100, 1000) of ETag "abc", not [100, 1000) of ETag "other"');
    expect(decoded(file, { ...OF, versionId: 'v2' })).toMatch(/^it indexes bytes/);
    expect(decoded(file, { ...OF, start: 0 })).toMatch(/^it indexes bytes \[100, 1000\)/);
    expect(decoded(encodeKeySegment(OF, [{ ...KEYS[0]!, valueEnd: 1_001 }]))).toBe('its key 0 lies outside it');
    expect(decoded(Buffer.from('RDRKEYS2 not a segment, long enough to be read as one'))).toBe('not a key index segment');
  });

  it("built key by key in file order, holds only the keys whose values end by the cut (those past a pause are the next part's)", () => {
    const b = new KeySegmentBuilder();
    for (let i = 0; i < 3000; i++)
      b.add({ db: i % 2, name: Buffer.from(`k:${i}`), type: 0, valueAt: 101 + i * 10, valueEnd: 105 + i * 10, expireAtMs: i % 3 ? null : i });
    expect(b.size).toBe(3000);
    const all = decoded(b.encode({ ...OF, end: 40_000 }), { ...OF, end: 40_000 });
    expect(Array.isArray(all) && all.length).toBe(3000);
    expect((all as IndexedKey[])[2999]).toEqual({ db: 1, name: Buffer.from('k:2999'), type: 0, valueAt: 30_091, valueEnd: 30_095, expireAtMs: null });
    // Cut at 1,005: keys 0-90 end by it, key 90's value ends exactly there.
    const cut = decoded(b.encode({ ...OF, end: 1_005 }, 1_005), { ...OF, end: 1_005 }) as IndexedKey[];
    expect(cut.map((k) => k.name.toString())).toEqual(Array.from({ length: 91 }, (_, i) => `k:${i}`));
    // Without the cut, keys past the segment's end are written, and refused when read.
    expect(decoded(b.encode({ ...OF, end: 1_005 }), { ...OF, end: 1_005 })).toBe('its key 91 lies outside it');
  });

  it("hands its keys to another thread as its rows and names (moved, no segment written), each key checked as a stored segment's: the same keys, or refused", () => {
    const of = { etag: undefined, versionId: undefined, start: 100, end: 100 + 5_000 * 10 };
    const keys = Array.from({ length: 5_000 }, (_, i) => ({
      db: i < 2_000 ? 0 : 4,
      name: Buffer.from(`k:${i}:${'x'.repeat(i % 37)}`),
      type: i % 7,
      valueAt: 101 + i * 10,
      valueEnd: 105 + i * 10,
      expireAtMs: i % 3 ? null : 1_700_000_000_000 + i,
    }));
    const builder = (): KeySegmentBuilder => {
      const b = new KeySegmentBuilder();
      for (const k of keys) b.add(k);
      return b;
    };
    const cut = 105 + 4_000 * 10;
    const handed = builder().handOver(of.start, cut);
    // Views of the builder's own buffers (each its own ArrayBuffer, so a worker can move them), cut as the segment is.
    expect([handed.keys, handed.rows.byteOffset, handed.names.byteOffset, handed.rows.buffer === handed.names.buffer]).toEqual([4_001, 0, 0, false]);
    const taken = new KeyIndexBuilder();
    expect(takeHandedKeys(handed, { start: of.start, end: cut }, taken, [0, 6])).toBeUndefined();
    const stored = new KeyIndexBuilder();
    expect(decodeKeySegment(builder().encode({ ...of, end: cut }, cut), { ...of, end: cut }, stored, [0, 6])).toBeUndefined();
    const [a, b] = [taken.finish(11), stored.finish(11)];
    expect(a.databases()).toEqual([4, 6]);
    expect([a.size(6), a.size(4)]).toEqual([2_000, 2_001]);
    for (const [db, pos] of [
      [6, 0],
      [6, 1_999],
      [4, 0],
      [4, 2_000],
    ] as const)
      expect(a.entry(db, pos)).toEqual(b.entry(db, pos));
    // Refused: another byte range; a key past it (not cut); names or runs that do not add up; a row changed to lie outside.
    const refused = (h: typeof handed, end = cut): string | undefined => takeHandedKeys(h, { start: of.start, end }, new KeyIndexBuilder())?.problem;
    expect(refused(handed, cut + 10)).toBe(`it indexes bytes [100, ${cut}), not [100, ${cut + 10})`);
    expect(refused(builder().handOver(of.start, of.end), of.end)).toBeUndefined();
    expect(refused({ ...builder().handOver(of.start, of.end), end: cut })).toBe('its key 4001 lies outside it');
    expect(refused({ ...handed, names: handed.names.subarray(0, handed.names.length - 1) })).toBe('its key 4000 lies outside it');
    expect(refused({ ...handed, names: new Uint8Array(handed.names.length + 1) })).toBe('its names do not add up to its length');
    expect(
      refused({
        ...handed,
        runs: [
          [0, 2_000],
          [4, 2_000],
        ],
      }),
    ).toBe("its databases' runs count 4000 keys, not its 4001");
    expect(refused({ ...handed, keys: 4_000 })).toBe('its rows do not fit in it');
    const moved = Buffer.from(handed.rows);
    moved.writeUInt32LE(99, 7 * ROW + R_AT); // key 7's value start at 99: before the part's bytes
    expect(refused({ ...handed, rows: moved })).toBe('its key 7 lies outside it');
  });
});
