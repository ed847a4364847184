import { describe, expect, it } from 'vitest';
import { checkDumpPayload } from '../../../../lambdas/domain/rdb/format/dump-payload.js';
import { decodeDumpPayload } from '../../../../lambdas/domain/rdb/format/value.js';
import { RdbKeyReader } from '../../../../lambdas/domain/rdb/keys.js';
import type { KeyValue } from '../../../../lambdas/domain/rdb/fingerprint.js';
import { createRdbVerifier, type RdbCheckpoint, rdbVerdict } from '../../../../lambdas/domain/rdb/verifier.js';
import { RdbOut } from '../../../../lambdas/domain/rdb/write/rdb-out.js';
import { listpackOfBytes } from '../../../support/listpack-entries.js';
import { compressibleText, lzfCompress } from '../../../support/lzf-compress.js';
import { mulberry32 } from '../../../support/prng.js';
import { both, file, le64, sameVerdictInChunks, str } from '../../../support/rdb-bytes.js';

/**
 * What Redis 8.8 (RDB 14) and 8.10 (RDB 15) write, built byte by byte as
 * their loaders read them (the layouts librdb's v14/v15 parser and its
 * test/dumps cases describe: array_v14_*, stream_v14_xnack, hash_template_*_v15
 * and the hash_template_corrupt_*_v15 cases): the local redis-server (7.0)
 * writes none of these.
 */

const stringKey = (key: string, value: string): number[] => [0x00, ...str(key), ...str(value)];
/** A 16-byte stream ID as the PEL stores it (big-endian ms and seq). */
const sid = (ms: number, seq = 0): number[] => [0, 0, 0, 0, 0, 0, 0, ms, 0, 0, 0, 0, 0, 0, 0, seq];
/** A stream value without entries (type 19 on): nodes, length, last/first/max-deleted IDs, entries added, then its groups. */
const emptyStream = (groups: number[][]): number[] => [0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, groups.length, ...groups.flat()];
/**
 * A consumer group of a type-27 stream: name, last delivered ID, entries
 * read, its PEL (ID, delivery time, delivery count), its consumers (name,
 * seen and active times, owned IDs), then its NACKed IDs.
 */
function group(name: string, pel: number[], consumers: [string, number[]][], nacked: number[]): number[] {
  return [
    ...str(name),
    0x00,
    0x00,
    0x00,
    pel.length,
    ...pel.flatMap((ms) => [...sid(ms), ...le64(1_700_000_000_000n), 0x01]),
    consumers.length,
    ...consumers.flatMap(([consumer, owned]) => [...str(consumer), ...le64(1n), ...le64(1n), owned.length, ...owned.flatMap((ms) => sid(ms))]),
    nacked.length,
    ...nacked.flatMap((ms) => sid(ms)),
  ];
}
/** The IDMP tail of a stream type 26 on: duration, max entries, no producer, IDs added, duplicates. */
const idmpTail = [0x3c, 0x32, 0x00, 0x00, 0x00];
const stream27 = (groups: number[][], magic = 'REDIS0014') => file(magic, [0xfe, 0x00, 0x1b, ...str('s'), ...emptyStream(groups), ...idmpTail]);

/** 3 MB of words: LZF-compresses to more than 1 MiB (a listpack holding it is streamed compressed). */
const BIG_TEXT = Buffer.from(compressibleText(3_000_000, mulberry32(55)));
describe('Redis 8.8 streams with NACKed entries (type 27, RDB 14)', () => {
  it('reads a group whose pending entries are owned by a consumer or NACKed: no entry is left unaccounted for', () => {
    const report = both(stream27([group('g', [1, 2, 3], [['c', [1]]], [2, 3]), group('h', [], [], [])]));
    expect(report).toMatchObject({ ok: true, version: 14, keys: 1, byType: { stream: 1 } });
    expect(report.warnings).toBeUndefined();
    expect(rdbVerdict(report)).toBe('ok');
  });

  it('still warns of a pending entry neither owned nor NACKed (only sanitize-dump-payload refuses it)', () => {
    const report = both(stream27([group('g', [1, 2], [['c', [1]]], [])]));
    expect(report.ok).toBe(true);
    expect(report.warnings?.[0]?.message).toMatch(/1 pending entry of a consumer group with no consumer/);
  });

  it.each<[string, number[], RegExp]>([
    ['a NACKed entry not in the group PEL', group('g', [1], [['c', [1]]], [9]), /a NACKed entry not found in the group PEL/],
    ['a NACKed entry a consumer owns', group('g', [1, 2], [['c', [1]]], [1]), /a NACKed entry that a consumer owns/],
    ['a NACKed entry listed twice', group('g', [1, 2], [], [2, 2]), /a NACKed entry listed twice/],
  ])('refuses %s: corrupt', (_what, g, error) => {
    const report = both(stream27([g]));
    expect(report.error?.message).toMatch(/key 1 value \(stream, RDB type 27\)/);
    expect(report.error?.message).toMatch(error);
    expect(rdbVerdict(report)).toBe('corrupt');
  });

  it('is corrupt in an RDB 13 or older file (no server writes it there: Redis 8.6 refuses it, 8.8 writes RDB 14), naming the first version that defines it', () => {
    for (const [magic, loader] of [
      ['REDIS0013', "Redis 8\\.6's loader"],
      ['REDIS0012', "Redis 8\\.4's loader"],
    ]) {
      const report = both(stream27([], magic));
      expect(report.error?.message).toMatch(
        new RegExp(
          `value type 27 \\(a stream with NACKed entries\\) in an RDB ${Number(magic.slice(5))} file: .*RDB 14 \\(Redis 8\\.8\\) is the first that does, and ${loader} refuses it`,
        ),
      );
      expect(rdbVerdict(report)).toBe('corrupt');
    }
  });
});

/** An RDB length in its 6-bit or 64-bit form. */
const len = (n: bigint): number[] => (n < 64n ? [Number(n)] : [0x81, ...Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(8 * (7 - i))) & 0xffn))]);
/** A double as 8 little-endian bytes. */
const dbl = (x: number): number[] => [...new Uint8Array(new Float64Array([x]).buffer)];
/** Array elements: index, tag (0 string, 1 integer, 2 double, 3 short string), element. */
type Element = [index: bigint, tag: 0 | 1 | 2 | 3, value: string | number | bigint];
function arrayKey(key: string, elements: Element[], insertIndex?: bigint): number[] {
  return [
    0x1c,
    ...str(key),
    elements.length,
    ...(insertIndex === undefined ? [0x00] : [0x01, ...len(insertIndex)]),
    ...elements.flatMap(([index, tag, value]) => [
      ...len(index),
      tag,
      ...(tag === 1 ? le64(BigInt(value)) : tag === 2 ? dbl(Number(value)) : str(String(value))),
    ]),
  ];
}

describe('Redis 8.8 sparse arrays (type 28, RDB 14)', () => {
  it.each(['REDIS0014', 'REDIS0015'])('reads arrays of every element tag, with and without an insert index, counted as array (%s)', (magic) => {
    const body = [
      0xfe,
      0x00,
      ...arrayKey('basic', [
        [0n, 0, 'a'],
        [1n, 0, 'b'],
      ]),
      ...arrayKey(
        'mixed',
        [
          [0n, 1, -5n],
          [7n, 2, 3.25],
          [1_000_000n, 0, 'x'.repeat(40)],
          [2n ** 40n, 3, 'hi'],
        ],
        49n,
      ),
      ...arrayKey('boundary', [[1n, 0, 'v']], 2n ** 64n - 2n),
      ...stringKey('k', 'v'),
    ];
    const report = both(file(magic, body));
    expect(report).toMatchObject({ ok: true, keys: 4, byType: { array: 3, string: 1 } });
    expect(rdbVerdict(report)).toBe('ok');
  });

  it('reads an index in the "encoded value" form (0xC0) as rdbLoadLen reads a plain length: 0 (review 50; it was refused)', () => {
    expect(both(file('REDIS0014', [0xfe, 0x00, 0x1c, ...str('a'), 0x01, 0x00, 0xc0, 0x00, ...str('v')]))).toMatchObject({ ok: true, keys: 1 });
  });

  it.each<[string, number[], RegExp]>([
    ['an insert-index flag of 2', [0x1c, ...str('a'), 0x01, 0x02], /array insert-index flag 2 is neither 0 nor 1/],
    ['an element tag of 4', [0x1c, ...str('a'), 0x01, 0x00, 0x00, 0x04, ...str('v')], /array element tag 4 is none of 0–3/],
  ])('refuses %s: corrupt', (_what, key, error) => {
    const report = both(file('REDIS0014', [0xfe, 0x00, ...key]));
    expect(report.error?.message).toMatch(error);
    expect(rdbVerdict(report)).toBe('corrupt');
  });

  it('gives an array key to migrate --from-rdb as a RESTORE payload of type 28 and RDB version 14, whole and byte by byte', () => {
    const key = arrayKey('a', [
      [0n, 1, 5n],
      [9n, 0, 'v'],
    ]);
    const bytes = file('REDIS0014', [0xfe, 0x00, ...key]);
    for (const chunk of [bytes.length, 1]) {
      const reader = new RdbKeyReader({});
      const keys = [];
      for (let at = 0; at < bytes.length; at += chunk) keys.push(...reader.push(bytes.subarray(at, at + chunk)));
      expect(reader.end()).toMatchObject({ ok: true, byType: { array: 1 } });
      expect(keys).toHaveLength(1);
      expect(keys[0]).toMatchObject({ type: 28 });
      expect([...keys[0]!.payload.subarray(0, key.length - 2)]).toEqual([0x1c, ...key.slice(3)]); // type, then the value as stored
      expect(checkDumpPayload(keys[0]!.payload, 14)).toEqual({ ok: true, version: 14, type: 28 });
    }
  });

  it('a file cut inside an array is corrupt (truncated)', () => {
    const whole = file('REDIS0014', [0xfe, 0x00, ...arrayKey('a', [[0n, 0, 'abcdef']])]);
    const report = both(whole.subarray(0, whole.length - 14));
    expect(report.error?.message).toMatch(/unexpected end of input while reading key 1 value \(array, RDB type 28\)/);
    expect(rdbVerdict(report)).toBe('corrupt');
  });

  it('is corrupt in an RDB 13 file and older ones (the version does not define it) and in VALKEY files', () => {
    const key = arrayKey('a', [[0n, 0, 'v']]);
    const r13 = both(file('REDIS0013', [0xfe, 0x00, ...key]));
    expect(r13.error?.message).toMatch(
      /value type 28 \(a sparse array\) in an RDB 13 file: RDB 13 does not define it, RDB 14 \(Redis 8\.8\) is the first that does/,
    );
    expect(rdbVerdict(r13)).toBe('corrupt');
    expect(rdbVerdict(both(file('REDIS0012', [0xfe, 0x00, ...key])))).toBe('corrupt');
    expect(rdbVerdict(both(file('VALKEY080', [0xfe, 0x00, ...key])))).toBe('corrupt');
  });
});

/** Opcode 242: a template's id, its field count, then its fields. */
const template = (id: bigint, fields: string[], count = fields.length): number[] => [0xf2, ...len(id), ...len(BigInt(count)), ...fields.flatMap((f) => str(f))];
/** Type 32: a key, the template id, then one value per field. */
const arrayRef = (key: string, id: bigint, values: string[]): number[] => [0x20, ...str(key), ...len(id), ...values.flatMap((v) => str(v))];
/** A listpack of a small integer (the template id) and short strings. */
function listpack(id: number | string, values: string[]): number[] {
  const entry = (v: string): number[] => [0x80 | v.length, ...Buffer.from(v), 1 + v.length];
  const entries = [...(typeof id === 'number' ? [id, 1] : entry(id)), ...values.flatMap(entry)];
  const total = 6 + entries.length + 1;
  return [total & 0xff, total >> 8, 0, 0, values.length + 1, 0, ...entries, 0xff];
}
/** Type 30: a key, then the listpack (its first entry the template id). */
const listpackRef = (key: string, id: number | string, values: string[]): number[] => {
  const lp = listpack(id, values);
  return [0x1e, ...str(key), lp.length, ...lp];
};
const FIELDS = ['age', 'city', 'name']; // by length, then bytes, as sdscmplen sorts them

describe('Redis 8.10 hash templates (opcode 242, types 30 and 32, RDB 15)', () => {
  it('reads keys that reference templates defined earlier in the file, as hashes', () => {
    const body = [
      0xfe,
      0x00,
      ...template(1n, FIELDS),
      ...template(2n, ['a']),
      ...arrayRef('h1', 1n, ['42', 'Riga', 'Edijs']),
      ...listpackRef('h2', 1, ['7', 'Oslo', 'Kari']),
      ...arrayRef('h3', 2n, ['x'.repeat(60)]),
      ...stringKey('k', 'v'),
    ];
    const report = both(file('REDIS0015', body));
    expect(report).toMatchObject({ ok: true, version: 15, keys: 4, byType: { hash: 3, string: 1 } });
    expect(rdbVerdict(report)).toBe('ok');
  });

  it("reads values in every RDB string encoding, as librdb's hash_template_values_v15 expects them (an integer, an empty string, an LZF-compressed string)", () => {
    // Fields big, num, empty (sorted by length, then bytes); per key: 1000000·k as a 32-bit integer, "", 400 × "a" LZF-compressed.
    const lzf = [...Array.from({ length: 12 }, () => [31, ...Buffer.alloc(32, 'a')]).flat(), 15, ...Buffer.alloc(16, 'a')]; // literal runs only
    const compressed = [0xc3, 0x40 | (lzf.length >> 8), lzf.length & 0xff, 0x41, 0x90, ...lzf]; // 14-bit lengths: compressed, then 400
    const int32 = (n: number): number[] => [0xc2, n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff];
    const key = (k: number): number[] => [0x20, ...str(`e${k}`), 0x00, ...compressed, ...int32(k * 1_000_000), 0x00];
    const report = both(file('REDIS0015', [0xfe, 0x00, ...template(0n, ['big', 'num', 'empty']), ...key(1), ...key(2), ...key(3)]));
    expect(report).toMatchObject({ ok: true, keys: 3, templateHashes: 3, byType: { hash: 3 } });
  });

  it('counts the keys that reference templates (their payloads cannot stand alone: migrate refuses them)', () => {
    const body = [
      0xfe,
      0x00,
      ...template(1n, FIELDS),
      ...arrayRef('h1', 1n, ['1', '2', '3']),
      ...listpackRef('h2', 1, ['1', '2', '3']),
      ...stringKey('k', 'v'),
    ];
    expect(both(file('REDIS0015', body))).toMatchObject({ ok: true, keys: 3, templateHashes: 2 });
    expect(both(file('REDIS0015', [0xfe, 0x00, ...template(1n, FIELDS), ...stringKey('k', 'v')])).templateHashes).toBeUndefined();
  });

  it('takes a template id of 2^62, as Redis does (librdb refuses it; its registry is indexed by the id): the registry grows with the templates only', () => {
    const report = both(file('REDIS0015', [0xfe, 0x00, ...template(2n ** 62n, ['f']), ...arrayRef('h', 2n ** 62n, ['v'])]));
    expect(report).toMatchObject({ ok: true, keys: 1, byType: { hash: 1 } });
  });

  it('takes a template id written as a string of digits in a listpack', () => {
    expect(both(file('REDIS0015', [0xfe, 0x00, ...template(5n, ['f']), ...listpackRef('h', '5', ['v'])]))).toMatchObject({ ok: true, keys: 1 });
  });

  it.each<[string, number[], RegExp]>([
    [
      'a reference to an unknown template (type 32)',
      [...template(1n, FIELDS), ...arrayRef('h', 9n, ['v'])],
      /references template 9, which the file does not define before it \(1 template defined\)/,
    ],
    [
      'a reference to an unknown template (type 30)',
      [...listpackRef('h', 3, ['v'])],
      /references template 3, which the file does not define before it \(0 templates defined\)/,
    ],
    [
      'a reference before its template',
      [...arrayRef('h', 1n, ['a', 'b', 'c']), ...template(1n, FIELDS)],
      /references template 1, which the file does not define before it/,
    ],
    ['a template id defined twice', [...template(1n, ['a']), ...template(1n, ['b'])], /hash template 1 is defined twice/],
    ['a template without fields', [...template(1n, [])], /a hash template without fields/],
    ['unsorted fields', [...template(1n, ['name', 'age'])], /template 1: hash template field 1 is not after the field before it/],
    ['unsorted fields of one length', [...template(1n, ['name', 'city'])], /hash template field 1 is not after the field before it/],
    ['a field twice', [...template(1n, ['a', 'a'])], /hash template field 1 repeats the field before it/],
    ['a listpack that does not begin with an id', [...template(1n, ['f']), ...listpackRef('h', 'x', ['v'])], /does not begin with a template id/],
    [
      'a listpack with fewer values than the template has fields',
      [...template(1n, FIELDS), ...listpackRef('h', 1, ['a', 'b'])],
      /holds 2 values, template 1 has 3 fields/,
    ],
  ])('refuses %s: corrupt', (_what, records, error) => {
    const report = both(file('REDIS0015', [0xfe, 0x00, ...records]));
    expect(report.error?.message).toMatch(error);
    expect(report.unsupported).toBeUndefined();
    expect(rdbVerdict(report)).toBe('corrupt');
  });

  it('streams the fields of a template claiming a huge count (nothing sized by it): the file ends first, corrupt', () => {
    const report = both(file('REDIS0015', [0xfe, 0x00, ...template(1n, ['a', 'b'], 2 ** 40)]));
    expect(report.error?.message).toMatch(/hash template \(opcode 242\)/);
    expect(rdbVerdict(report)).toBe('corrupt');
  });

  it('keeps the templates across a checkpoint: a key after the resume point resolves its template', () => {
    const head = file('REDIS0015', [0xfe, 0x00, ...template(1n, FIELDS), ...stringKey('k', 'v')]);
    const bytes = file('REDIS0015', [0xfe, 0x00, ...template(1n, FIELDS), ...stringKey('k', 'v'), ...arrayRef('h', 1n, ['1', '2', '3'])]);
    const first = createRdbVerifier({ requireChecksum: true });
    first.push(bytes.subarray(0, head.length - 9)); // up to the EOF opcode of the shorter file: after the string key
    first.pause();
    const cp = JSON.parse(JSON.stringify(first.checkpoint())) as RdbCheckpoint;
    expect(cp.hashTemplates).toEqual([[1, 3]]);
    const second = createRdbVerifier({ requireChecksum: true, resumeFrom: cp });
    second.push(bytes.subarray(cp.offset));
    expect(second.end()).toMatchObject({ ok: true, keys: 2, byType: { string: 1, hash: 1 } });
  });

  it('opcode 242 is an unknown opcode in REDIS files before 15 (corrupt) and still unsupported in VALKEY files', () => {
    const records = [0xfe, 0x00, ...template(1n, ['f'])];
    const r14 = both(file('REDIS0014', records));
    expect(r14.error?.message).toMatch(/unknown value type or opcode 242/);
    expect(rdbVerdict(r14)).toBe('corrupt');
    expect(rdbVerdict(both(file('VALKEY080', records)))).toBe('unsupported');
  });

  it.each<[string, number[], number, string]>([
    ['type 32', arrayRef('h', 1n, ['v']), 32, 'a template hash, strings'],
    ['type 30', listpackRef('h', 1, ['v']), 30, 'a template hash, listpack'],
  ])('%s is corrupt in an RDB 14 file: RDB 15 (Redis 8.10) is the first that defines it', (_what, key, type, title) => {
    const report = both(file('REDIS0014', [0xfe, 0x00, ...key]));
    expect(report.error?.message).toContain(
      `value type ${type} (${title}) in an RDB 14 file: RDB 14 does not define it, RDB 15 (Redis 8.10) is the first that does, and Redis 8.8's loader refuses it as an unknown type`,
    );
    expect(rdbVerdict(report)).toBe('corrupt');
    expect(report.unsupported).toBeUndefined();
  });

  /**
   * A big type 30 (a listpack of 1 MiB or more that continues past its chunk) is validated as it streams by, its id read
   * where its string begins (parse-hash-templates.ts), not gathered: the same verdict and message whole and in chunks
   * (4093 bytes, 64 KiB + 7, 1 MiB), valid or not.
   */
  it.each<[string, (number | string)[], string | null, RegExp | undefined]>([
    ['valid', [1, 'big', 'x', 'y'], null, undefined],
    ['one value short', [1, 'big', 'x'], null, /holds 2 values, template 1 has 3 fields/],
    ['no template id first', ['x', 'big', 'x', 'y'], null, /does not begin with a template id/],
    ['a first entry of 100 digits (no id: longer than any)', ['1'.repeat(100), 'big', 'x', 'y'], null, /does not begin with a template id/],
    ['an unknown template', [9, 'big', 'x', 'y'], null, /references template 9, which the file does not define/],
    ['a back length wrong', [1, 'big', 'x', 'y'], 'backlen', /back length/],
  ])('a big listpack (type 30), %s: streamed, the same verdict in chunks', (_what, entries, damage, error) => {
    const big = Buffer.alloc(1_500_000, 0x61);
    const lp = listpackOfBytes(entries.map((e) => (e === 'big' ? big : Buffer.from(String(e)))));
    if (damage === 'backlen') lp[lp.length - 2] ^= 0x01; // the last entry's back length
    const head = Buffer.alloc(5);
    head[0] = 0x80;
    head.writeUInt32BE(lp.length, 1);
    const body = [0xfe, 0x00, ...template(1n, FIELDS), 0x1e, ...str('h'), ...head, ...lp, ...stringKey('s', 'v')];
    const report = sameVerdictInChunks(file('REDIS0015', body));
    if (error === undefined) expect(report).toMatchObject({ ok: true, keys: 2, templateHashes: 1 });
    else expect(report.error?.message).toMatch(error);
  });

  /**
   * The same for one stored LZF-compressed (`rdbcompression yes`: 1 MiB or more compressed, continuing past its chunk):
   * expanded and validated as it streams by, its id the stream's first element; the same verdict whole and in chunks.
   */
  it.each<[string, number, (number | string)[], RegExp | undefined]>([
    ['type 30, valid', 0x1e, [1, 'big', 'x', 'y'], undefined],
    ['type 30, one value short', 0x1e, [1, 'big', 'x'], /holds 2 values, template 1 has 3 fields/],
    ['type 30, no template id first', 0x1e, ['x', 'big', 'x', 'y'], /does not begin with a template id/],
    ['type 30, a first entry of 17 digits (no id)', 0x1e, ['1'.repeat(17), 'big', 'x', 'y'], /does not begin with a template id/],
    ['type 30, an unknown template', 0x1e, [9, 'big', 'x', 'y'], /references template 9, which the file does not define/],
    ['type 29, valid', 0x1d, [9, 'big', 'x', 'y'], undefined],
    ['type 29, no template id first', 0x1d, ['x', 'big', 'x', 'y'], /does not begin with a template id/],
    ['type 29, one value short', 0x1d, [9, 'big', 'x'], /holds 2 values after its id, its fields are 3/],
  ])('a big LZF-compressed listpack, %s: streamed, the same verdict in chunks', (_what, type, entries, error) => {
    const lp = listpackOfBytes(entries.map((e) => (e === 'big' ? BIG_TEXT : Buffer.from(String(e)))));
    const z = lzfCompress(lp);
    expect(z.length, 'streamed: 1 MiB or more compressed').toBeGreaterThan(1 << 20);
    const value = new RdbOut(z.length + 16).byte(0xc3).len(z.length).len(lp.length).bytes(z).take();
    const names = type === 0x1d ? [1, FIELDS.length, ...FIELDS.flatMap((f) => str(f))] : [];
    const defined = type === 0x1e ? template(1n, FIELDS) : [];
    const report = sameVerdictInChunks(file('REDIS0015', [0xfe, 0x00, ...defined, type, ...str('h'), ...names, ...value, ...stringKey('s', 'v')]));
    if (error === undefined) expect(report).toMatchObject({ ok: true, keys: 2 });
    else expect(report.error?.message).toMatch(error);
  });

  /** The same for a self-contained one (type 29): its names as strings, then its values' big listpack (the writer's id first, any). */
  it.each<[string, (number | string)[], string | null, RegExp | undefined]>([
    ['valid', [9, 'big', 'x', 'y'], null, undefined],
    ['one value short', [9, 'big', 'x'], null, /holds 2 values after its id, its fields are 3/],
    ['no template id first', ['x', 'big', 'x', 'y'], null, /does not begin with a template id/],
    ['a back length wrong', [9, 'big', 'x', 'y'], 'backlen', /back length/],
  ])('a big values listpack (type 29), %s: streamed, the same verdict in chunks', (_what, entries, damage, error) => {
    const lp = listpackOfBytes(entries.map((e) => (e === 'big' ? Buffer.alloc(1_500_000, 0x61) : Buffer.from(String(e)))));
    if (damage === 'backlen') lp[lp.length - 2] ^= 0x01;
    const head = Buffer.alloc(5);
    head[0] = 0x80;
    head.writeUInt32BE(lp.length, 1);
    const names = [1, FIELDS.length, ...FIELDS.flatMap((f) => str(f))];
    const report = sameVerdictInChunks(file('REDIS0015', [0xfe, 0x00, 0x1d, ...str('h'), ...names, ...head, ...lp, ...stringKey('s', 'v')]));
    if (error === undefined) expect(report).toMatchObject({ ok: true, keys: 2 });
    else expect(report.error?.message).toMatch(error);
  });
});

/** A listpack of short strings (fields, or a writer's template id then values). */
function stringsListpack(entries: string[]): number[] {
  const body = entries.flatMap((v) => [0x80 | v.length, ...Buffer.from(v), 1 + v.length]);
  const total = 6 + body.length + 1;
  return [total & 0xff, total >> 8, 0, 0, entries.length, 0, ...body, 0xff];
}
/** The field names of a self-contained template hash: 0 and one listpack, or 1, the count and one string each. */
const selfFields = (format: 'listpack' | 'raw', fields: string[]): number[] => {
  if (format === 'raw') return [0x01, fields.length, ...fields.flatMap((f) => str(f))];
  const lp = stringsListpack(fields);
  return [0x00, lp.length, ...lp];
};
/** Type 29: a key, its field names, then a listpack of the writer's template id and the values. */
const selfListpack = (key: string, fields: number[], values: string[], id = 7): number[] => {
  const lp = listpack(id, values);
  return [0x1d, ...str(key), ...fields, lp.length, ...lp];
};
/** Type 31: a key, its field names, then one string per value. */
const selfArray = (key: string, fields: number[], values: string[]): number[] => [0x1f, ...str(key), ...fields, ...values.flatMap((v) => str(v))];

describe('Redis 8.10 self-contained template hashes (types 29 and 31, RDB 15: the field names in the key)', () => {
  it.each<[string, number[]]>([
    ['type 29, fields as a listpack', selfListpack('h', selfFields('listpack', FIELDS), ['42', 'Riga', 'Edijs'])],
    ['type 29, fields as strings', selfListpack('h', selfFields('raw', FIELDS), ['42', 'Riga', 'Edijs'])],
    ['type 31, fields as a listpack', selfArray('h', selfFields('listpack', FIELDS), ['42', 'Riga', 'Edijs'])],
    ['type 31, fields as strings', selfArray('h', selfFields('raw', FIELDS), ['42', 'Riga', 'x'.repeat(60)])],
  ])('reads %s as a hash that names no template of the file, whole and byte by byte', (_what, key) => {
    const report = both(file('REDIS0015', [0xfe, 0x00, ...key, ...stringKey('k', 'v')]));
    expect(report).toMatchObject({ ok: true, version: 15, keys: 2, byType: { hash: 1, string: 1 } });
    expect(report.templateHashes).toBeUndefined();
    expect(report.unsupported).toBeUndefined();
    expect(rdbVerdict(report)).toBe('ok');
  });

  it('takes integer-encoded field names in the listpack, ordered as their decimal text', () => {
    // 7 and 10 as 7-bit integers: "7" sorts before "10" (shorter first), as Redis keeps them.
    const lp = [0x0b, 0, 0, 0, 2, 0, 0x07, 0x01, 0x0a, 0x01, 0xff];
    const key = [0x1f, ...str('h'), 0x00, lp.length, ...lp, ...str('a'), ...str('b')];
    expect(both(file('REDIS0015', [0xfe, 0x00, ...key]))).toMatchObject({ ok: true, keys: 1, byType: { hash: 1 } });
  });

  it.each<[string, number[], RegExp]>([
    [
      'a field format other than 0 and 1',
      [0x1f, ...str('h'), 0x02, 0x01, ...str('a'), ...str('v')],
      /template hash field format 2 is neither a listpack \(0\) nor strings \(1\)/,
    ],
    ['no fields (strings)', selfArray('h', selfFields('raw', []), []), /a hash template without fields/],
    ['no fields (listpack)', selfArray('h', selfFields('listpack', []), []), /a hash template without fields/],
    ['unsorted fields (strings)', selfArray('h', selfFields('raw', ['name', 'age']), ['1', '2']), /hash template field 1 is not after the field before it/],
    [
      'unsorted fields (listpack)',
      selfListpack('h', selfFields('listpack', ['name', 'city']), ['1', '2']),
      /hash template field 1 is not after the field before it/,
    ],
    ['a field twice', selfArray('h', selfFields('raw', ['a', 'a']), ['1', '2']), /hash template field 1 repeats the field before it/],
    ['fewer values than fields in the listpack', selfListpack('h', selfFields('raw', FIELDS), ['1', '2']), /holds 2 values after its id, its fields are 3/],
    ['more values than fields in the listpack', selfListpack('h', selfFields('listpack', ['a']), ['1', '2']), /holds 2 values after its id, its fields are 1/],
  ])('refuses %s: corrupt', (_what, key, error) => {
    const report = both(file('REDIS0015', [0xfe, 0x00, ...key]));
    expect(report.error?.message).toMatch(/key 1 value \(hash, RDB type (29|31)\)/);
    expect(report.error?.message).toMatch(error);
    expect(report.unsupported).toBeUndefined();
    expect(rdbVerdict(report)).toBe('corrupt');
  });

  it('refuses a damaged fields listpack: corrupt', () => {
    const report = both(file('REDIS0015', [0xfe, 0x00, 0x1d, ...str('h'), 0x00, 0x03, 0x01, 0x02, 0x03]));
    expect(report.error?.message).toMatch(/listpack of 3 bytes is shorter than its 7-byte minimum/);
    expect(rdbVerdict(report)).toBe('corrupt');
  });

  it('streams the fields of a count of 2^40 (nothing sized by it): the file runs out of fields first, corrupt', () => {
    const key = [0x1f, ...str('h'), 0x01, 0x81, 0, 0, 1, 0, 0, 0, 0, 0, ...str('a'), ...str('b')];
    const report = both(file('REDIS0015', [0xfe, 0x00, ...key]));
    expect(report.error?.message).toMatch(/^key 1 value \(hash, RDB type 31\)/);
    expect(rdbVerdict(report)).toBe('corrupt');
  });

  it('keeps no template: a type-30 key after a self-contained one still needs the file to define its template', () => {
    const body = [0xfe, 0x00, ...selfArray('a', selfFields('raw', ['f']), ['1']), ...listpackRef('b', 7, ['2'])];
    expect(both(file('REDIS0015', body)).error?.message).toMatch(/references template 7, which the file does not define before it \(0 templates defined\)/);
  });

  it('type 29 is read in a REDIS0015 file and refused in a REDIS0013 one, naming the type, the version and RDB 15 (Redis 8.10)', () => {
    const key = selfListpack('h', selfFields('listpack', FIELDS), ['42', 'Riga', 'Edijs']);
    expect(rdbVerdict(both(file('REDIS0015', [0xfe, 0x00, ...key])))).toBe('ok');
    const r13 = both(file('REDIS0013', [0xfe, 0x00, ...key]));
    expect(r13.error?.message).toContain(
      "value type 29 (a self-contained template hash, listpack) in an RDB 13 file: RDB 13 does not define it, RDB 15 (Redis 8.10) is the first that does, and Redis 8.6's loader refuses it as an unknown type",
    );
    expect(rdbVerdict(r13)).toBe('corrupt');
    expect(r13.unsupported).toBeUndefined();
  });

  it('type 31 is corrupt in an RDB 14 file (RDB 15 defines it) and unknown in a VALKEY file', () => {
    const key = selfArray('h', selfFields('raw', ['f']), ['v']);
    const r14 = both(file('REDIS0014', [0xfe, 0x00, ...key]));
    expect(r14.error?.message).toMatch(/value type 31 \(a self-contained template hash, strings\) in an RDB 14 file: .*RDB 15 \(Redis 8\.10\) is the first/);
    expect(rdbVerdict(r14)).toBe('corrupt');
    expect(rdbVerdict(both(file('VALKEY080', [0xfe, 0x00, ...key])))).toBe('corrupt');
  });

  it('gives both to migrate --from-rdb as self-contained RESTORE payloads of RDB version 15 (what Redis 8.10 DUMP writes), whole and byte by byte', () => {
    const lp = selfListpack('h1', selfFields('listpack', FIELDS), ['42', 'Riga', 'Edijs']);
    const array = selfArray('h2', selfFields('raw', FIELDS), ['7', 'Oslo', 'Kari']);
    const bytes = file('REDIS0015', [0xfe, 0x00, ...lp, ...array]);
    for (const chunk of [bytes.length, 1]) {
      const reader = new RdbKeyReader({});
      const keys = [];
      for (let at = 0; at < bytes.length; at += chunk) keys.push(...reader.push(bytes.subarray(at, at + chunk)));
      expect(reader.end()).toMatchObject({ ok: true, byType: { hash: 2 } });
      expect(keys.map((k) => k.type)).toEqual([29, 31]);
      expect([...keys[0]!.payload.subarray(0, lp.length - 3)]).toEqual([0x1d, ...lp.slice(4)]); // type, then the value as stored
      expect(checkDumpPayload(keys[0]!.payload, 15)).toEqual({ ok: true, version: 15, type: 29 });
      expect(checkDumpPayload(keys[1]!.payload, 15)).toEqual({ ok: true, version: 15, type: 31 });
      const fields = (v: KeyValue) => (v.type === 'hash' ? v.fields.map(([f, x]) => [f.toString(), x.toString()]) : v);
      expect(fields(decodeDumpPayload(keys[0]!.payload))).toEqual([
        ['age', '42'],
        ['city', 'Riga'],
        ['name', 'Edijs'],
      ]);
      expect(fields(decodeDumpPayload(keys[1]!.payload))).toEqual([
        ['age', '7'],
        ['city', 'Oslo'],
        ['name', 'Kari'],
      ]);
    }
  });
});

/**
 * Redis's own cases, byte for byte: the values of the RESTORE payloads in
 * redis/redis tests/unit/type/hash-templates.tcl (commit a077cf1e, "RESTORE
 * rejects malformed template payload: …" and "… REF-encoded template hash
 * types"), without their DUMP footer, each stored as a key of a REDIS0015
 * file; and the well-formed payloads they were damaged from. The closest to
 * a Redis 8.10 file reachable here: Redis's test suite, not a file it wrote.
 */
const FIELDS_LP = [0x00, 0x17, 0x17, 0, 0, 0, 0x02, 0x00, 0x86, ...Buffer.from('field1'), 0x07, 0x86, ...Buffer.from('field2'), 0x07, 0xff];
const REDIS_TCL: [string, number[], RegExp | null][] = [
  [
    'type 29, fields field1 field2, values of template 0: 1, 2',
    [0x1d, ...FIELDS_LP, 0x0d, 0x0d, 0, 0, 0, 3, 0, 0x00, 0x01, 0x01, 0x01, 0x02, 0x01, 0xff],
    null,
  ],
  [
    'type 29 whose values listpack holds one value for two fields (value count != field count)',
    [0x1d, ...FIELDS_LP, 0x0b, 0x0b, 0, 0, 0, 2, 0, 0x00, 0x01, 0x01, 0x01, 0xff],
    /holds 1 values after its id, its fields are 2/,
  ],
  [
    'type 29 whose values listpack is empty',
    [0x1d, ...FIELDS_LP, 0x07, 0x07, 0, 0, 0, 0, 0, 0xff],
    /template hash listpack is empty \(not even a template id\)/,
  ],
  [
    'type 29 whose values listpack begins with "x" (non-integer template id)',
    [0x1d, ...FIELDS_LP, 0x0e, 0x0e, 0, 0, 0, 3, 0, 0x81, 0x78, 0x02, 0x01, 0x01, 0x02, 0x01, 0xff],
    /does not begin with a template id/,
  ],
  [
    'type 29 with no field (TMPL_LP zero fields)',
    [0x1d, 0x00, 0x07, 0x07, 0, 0, 0, 0, 0, 0xff, 0x0d, 0x0d, 0, 0, 0, 3, 0, 0, 1, 1, 1, 2, 1, 0xff],
    /a hash template without fields/,
  ],
  ['type 31, fields field1 field2 as strings, values 1, 2', [0x1f, 0x01, 0x02, ...str('field1'), ...str('field2'), 0xc0, 0x01, 0xc0, 0x02], null],
  [
    'type 31 with no field (TMPL_ARRAY zero fields)',
    [0x1f, 0x01, 0x00, ...str('field1'), ...str('field2'), 0xc0, 0x01, 0xc0, 0x02],
    /a hash template without fields/,
  ],
  ['type 30 of template 5: 1, 2 (REF, valid in a file)', [0x1e, 0x0d, 0x0d, 0, 0, 0, 3, 0, 0x05, 0x01, 0x01, 0x01, 0x02, 0x01, 0xff], null],
  ['type 32 of template 5: 1, 2 (REF, valid in a file)', [0x20, 0x05, 0xc0, 0x01, 0xc0, 0x02], null],
];

describe("Redis's own template hash cases (redis/redis tests/unit/type/hash-templates.tcl)", () => {
  it.each(REDIS_TCL)('%s: as Redis judges it', (_what, [type, ...value], problem) => {
    // Template 5 of two fields first, for the REF forms (types 30 and 32).
    const report = both(file('REDIS0015', [0xfe, 0x00, ...template(5n, ['field1', 'field2']), type!, ...str('rk'), ...value]));
    if (problem === null) expect(report).toMatchObject({ ok: true, keys: 1, byType: { hash: 1 } });
    else {
      expect(report.error?.message).toMatch(problem);
      expect(rdbVerdict(report)).toBe('corrupt');
    }
  });
});

describe('what RDB 15 files may hold that this verifier does not read: unsupported, never valid and never corrupt', () => {
  it.each<[string, number[], RegExp]>([
    ['a GCRA value (type 33, Redis Enterprise only)', [0x21, ...str('g'), 0x00], /written by Redis Enterprise\): value type 33 \(GCRA/],
    ['a type newer than Redis 8.10 writes', [0x22, ...str('g'), 0x00], /written by a Redis newer than 8\.10\): value type 34/],
  ])('%s', (_what, key, error) => {
    const report = both(file('REDIS0015', [0xfe, 0x00, ...key]));
    expect(report.error?.message).toMatch(error);
    expect(rdbVerdict(report)).toBe('unsupported');
  });

  it('a REDIS0016 file is unsupported', () => {
    const report = both(file('REDIS0016', [0xfe, 0x00, ...stringKey('k', 'v')]));
    expect(report.error?.message).toMatch(/written by a Redis newer than 8\.10/);
    expect(rdbVerdict(report)).toBe('unsupported');
  });
});
