import { describe, expect, it } from 'vitest';
import { checkDumpPayload } from '../../../../lambdas/domain/rdb/format/dump-payload.js';
import { RdbKeyReader } from '../../../../lambdas/domain/rdb/keys.js';
import { createRdbVerifier, type RdbCheckpoint, rdbVerdict } from '../../../../lambdas/domain/rdb/verifier.js';
import { both, file, le64, str, verify } from '../../../support/rdb-bytes.js';

/**
 * What Redis 8.6 (RDB 13) writes around and inside keys, built byte by byte
 * as its loader reads it (keymeta.c's rdbLoadKeyMetadata and the stream
 * loader's IDMP tail in rdb.c): the local redis-server (7.0) cannot load
 * these, so the fixtures follow the loader's reads and checks.
 */

const NAME_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';
/** A class spec as keyMetaClassEncode builds it (4 name chars of 6 bits, 5-bit version, 3 flag bits), little-endian. */
function classSpec(name: string, version: number, flags: number): number[] {
  let chars = 0;
  for (const c of name) chars = chars * 64 + NAME_CHARS.indexOf(c);
  const value = (((chars << 5) | version) << 3) | flags;
  return [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, value >>> 24];
}
const ALLOW_IGNORE = 1;
/** Module-API data: an unsigned integer (opcode 2), a string (opcode 5), then EOF (0). */
const moduleValue = (n: number, text: string): number[] => [0x02, n, 0x05, ...str(text), 0x00];
const stringKey = (key: string, value: string): number[] => [0x00, ...str(key), ...str(value)];

describe('Redis 8.6 key metadata (opcode 243 before a key), as rdbLoadKeyMetadata reads it', () => {
  it('reads a key with an ignorable class (skipped by a server without its module) and the keys around it', () => {
    const body = [
      0xfe,
      0x00,
      ...stringKey('a', '1'),
      0xfc,
      ...le64(1_900_000_000_000n), // an expiry before the metadata, as rdbSaveKeyValuePair writes it
      0xf3,
      0x01,
      ...classSpec('BLES', 0, ALLOW_IGNORE),
      ...moduleValue(7, 'x'.repeat(60)),
      ...stringKey('b', '2'),
      ...stringKey('c', '3'),
    ];
    const report = both(file('REDIS0013', body));
    expect(report).toMatchObject({ ok: true, version: 13, keys: 3, expires: 1, byType: { string: 3 } });
    expect(report.moduleTypes).toBeUndefined();
    // Counted by class, so a conversion that leaves it out says so (issue 55).
    expect(report.ignorableKeyMeta).toEqual({ BLES: 1 });
  });

  it('counts ignorable classes across a checkpoint: the keys before it and after it', () => {
    const meta = (name: string): number[] => [0xf3, 0x01, ...classSpec(name, 0, ALLOW_IGNORE), ...moduleValue(1, 'x')];
    const head = [0xfe, 0x00, ...meta('BLES'), ...stringKey('a', '1')];
    const bytes = file('REDIS0013', [...head, ...meta('BLES'), ...stringKey('b', '2'), ...meta('TAGS'), ...stringKey('c', '3')]);
    const first = createRdbVerifier({ requireChecksum: true });
    first.push(bytes.subarray(0, 9 + head.length)); // the magic, then up to the second key's metadata
    first.pause();
    const cp = JSON.parse(JSON.stringify(first.checkpoint())) as RdbCheckpoint;
    expect(cp.ignorableKeyMeta).toEqual({ BLES: 1 });
    const second = createRdbVerifier({ requireChecksum: true, resumeFrom: cp });
    second.push(bytes.subarray(cp.offset));
    expect(second.end()).toMatchObject({ ok: true, keys: 3, ignorableKeyMeta: { BLES: 2, TAGS: 1 } });
  });

  it('names a class without ALLOW_IGNORE as a module type (META-<name>) the restore server must load, as module values are', () => {
    const meta = [0xf3, 0x02, ...classSpec('ATTR', 3, 0), ...moduleValue(1, 'on'), ...classSpec('BLES', 0, ALLOW_IGNORE), 0x02, 0x05, 0x00];
    const report = both(file('REDIS0013', [0xfe, 0x00, ...meta, 0x02, ...str('s'), 0x01, ...str('m')]));
    expect(report).toMatchObject({ ok: true, keys: 1, byType: { set: 1 }, moduleTypes: { 'META-ATTR': 1 }, ignorableKeyMeta: { BLES: 1 } });
  });

  it('loads no class when the count, truncated to an int as the loader does, is negative', () => {
    const report = both(file('REDIS0013', [0xfe, 0x00, 0xf3, 0x80, 0xff, 0xff, 0xff, 0xff, ...stringKey('k', 'v')]));
    expect(report).toMatchObject({ ok: true, keys: 1 });
  });

  it.each<[string, number[], RegExp]>([
    [
      'more than 7 classes',
      [0xf3, 0x08],
      /key metadata \(opcode 243\): 8 metadata classes, more than the 7 a key can carry: Redis refuses it \("Too many metadata classes"\)/,
    ],
    [
      'a class value with an unknown module data opcode',
      [0xf3, 0x01, ...classSpec('BLES', 0, ALLOW_IGNORE), 0x09, 0x00],
      /key metadata \(opcode 243\): unknown module data opcode 9/,
    ],
    ['a class value whose string runs past the file', [0xf3, 0x01, ...classSpec('BLES', 0, ALLOW_IGNORE), 0x05, 0x3f, 0x41], /./],
    ['metadata followed by another 243', [0xf3, 0x00, 0xf3, 0x00], /key metadata \(opcode 243\): key metadata followed by byte 243 \(0xf3\), not a value type/],
    ['metadata followed by the end of the file', [0xf3, 0x01, ...classSpec('BLES', 0, ALLOW_IGNORE), 0x00], /followed by byte 255 \(0xff\), not a value type/],
    ['metadata followed by type 8 (no type)', [0xf3, 0x00, 0x08, ...str('k')], /followed by byte 8 \(0x8\), not a value type/],
  ])('refuses %s: corrupt, not unsupported', (_what, meta, error) => {
    const report = both(file('REDIS0013', [0xfe, 0x00, ...meta]));
    expect(report.ok).toBe(false);
    expect(report.unsupported).toBeUndefined();
    expect(report.error?.message).toMatch(error);
    expect(rdbVerdict(report)).toBe('corrupt');
  });

  it('a file cut inside the metadata is corrupt (truncated)', () => {
    const whole = file('REDIS0013', [0xfe, 0x00, 0xf3, 0x01, ...classSpec('BLES', 0, ALLOW_IGNORE), ...moduleValue(1, 'abc'), ...stringKey('k', 'v')]);
    for (const cut of [12, 14, 17, 20]) {
      const report = verify(whole.subarray(0, cut));
      expect(report.ok).toBe(false);
      expect(rdbVerdict(report)).toBe('corrupt');
      expect(report.error?.message).toMatch(/key metadata \(opcode 243\)|truncated|end of/i);
    }
  });

  it('gives the key after its metadata to migrate --from-rdb as a RESTORE payload without the metadata (type byte first)', () => {
    const bytes = file('REDIS0013', [
      0xfe,
      0x00,
      0xfc,
      ...le64(1_900_000_000_000n),
      0xf3,
      0x01,
      ...classSpec('BLES', 0, ALLOW_IGNORE),
      ...moduleValue(7, 'x'),
      ...stringKey('k', 'v'),
    ]);
    for (const chunk of [bytes.length, 1]) {
      const reader = new RdbKeyReader({});
      const keys = [];
      for (let at = 0; at < bytes.length; at += chunk) keys.push(...reader.push(bytes.subarray(at, at + chunk)));
      expect(reader.end().ok).toBe(true);
      expect(keys).toHaveLength(1);
      expect(keys[0]).toMatchObject({ db: 0, type: 0, expireAtMs: 1_900_000_000_000 });
      expect(keys[0]!.name.toString()).toBe('k');
      expect([...keys[0]!.payload.subarray(0, 5)]).toEqual([0x00, ...str('v'), 13, 0]); // type, value, RDB version 13
      expect(checkDumpPayload(keys[0]!.payload, 13)).toEqual({ ok: true, version: 13, type: 0 });
    }
  });

  it('metadata before a type no version defines yet is unsupported; before one RDB 14 defines, corrupt', () => {
    const report = both(file('REDIS0013', [0xfe, 0x00, 0xf3, 0x00, 0x22, ...str('k')]));
    expect(report.error?.message).toMatch(/^unsupported format \(version 13, written by a Redis newer than 8\.6\): value type 34/);
    expect(rdbVerdict(report)).toBe('unsupported');
    const r27 = both(file('REDIS0013', [0xfe, 0x00, 0xf3, 0x00, 0x1b, ...str('k')]));
    expect(r27.error?.message).toMatch(/^key metadata \(opcode 243\): value type 27 .* in an RDB 13 file: .*RDB 14 \(Redis 8\.8\) is the first/);
    expect(rdbVerdict(r27)).toBe('corrupt');
  });
});

/** A stream value without entries (type 19 on: nodes, length, last/first/max-deleted IDs, entries added), then its groups. */
const emptyStream = (groups: number[][]): number[] => [0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, groups.length, ...groups.flat()];
/** A consumer group with no pending entry and no consumer: name, last delivered ID, entries read, PEL 0, consumers 0. */
const group = (name: string): number[] => [...str(name), 0x00, 0x00, 0x00, 0x00, 0x00];
/** The IDMP tail: duration (s), max entries, producers (id and its entries: iid, ms, seq), IDs added, duplicates. */
function idmp(duration: number[], maxEntries: number[], producers: [string, [string, number, number][]][]): number[] {
  return [
    ...duration,
    ...maxEntries,
    producers.length,
    ...producers.flatMap(([pid, entries]) => [...str(pid), entries.length, ...entries.flatMap(([iid, ms, seq]) => [...str(iid), ms, seq])]),
    0x03,
    0x01,
  ];
}
const len14 = (n: number): number[] => [0x40 | (n >> 8), n & 0xff];
const stream26 = (tail: number[], groups = [group('g')]) => file('REDIS0013', [0xfe, 0x00, 0x1a, ...str('s'), ...emptyStream(groups), ...tail]);

describe("Redis 8.6 streams with idempotent-producer data (type 26), as the stream loader's IDMP tail reads them", () => {
  const producers: [string, [string, number, number][]][] = [
    [
      'producer-1',
      [
        ['iid-1', 5, 0],
        ['iid-2', 6, 1],
      ],
    ],
    ['producer-2', []], // written when every entry had expired: skipped
  ];

  it('reads a stream with consumer groups and IDMP producers', () => {
    const report = both(stream26(idmp([0x3c], [0x32], producers), [group('g1'), group('g2')]));
    expect(report).toMatchObject({ ok: true, version: 13, keys: 1, byType: { stream: 1 } });
    expect(report.warnings).toBeUndefined();
    // The bounds themselves (86400 s as a 32-bit length, 10000 as a 14-bit one), without groups.
    expect(both(stream26(idmp([0x80, 0, 1, 0x51, 0x80], len14(10000), []), []))).toMatchObject({ ok: true, keys: 1 });
    expect(both(stream26(idmp([0x01], [0x01], []), []))).toMatchObject({ ok: true, keys: 1 });
  });

  it('reads an IDMP entry ID part in the "encoded value" form (0xC3, 0xC0) as rdbLoadLen reads a plain length: its low 6 bits (review 50)', () => {
    // It was refused ("expected a length, found string encoding 3"); Redis reads every ID part with rdbLoadLen(rdb, NULL).
    expect(both(stream26(idmp([0x3c], [0x32], [['p', [['i', 0xc3, 0xc0]]]])))).toMatchObject({ ok: true, keys: 1 });
  });

  it.each<[string, number[], RegExp]>([
    ['an IDMP duration of 0 s', idmp([0x00], [0x32], []), /IDMP duration 0 s is outside 1–86400: Redis refuses it \("Stream IDMP duration out of range"\)/],
    ['an IDMP duration beyond 24 h', idmp([0x80, 0, 1, 0x51, 0x81], [0x32], []), /IDMP duration 86401 s is outside/],
    ['an IDMP max entries of 0', idmp([0x3c], [0x00], []), /IDMP max entries 0 is outside 1–10000/],
    [
      'an IDMP max entries beyond 10000',
      idmp([0x3c], len14(10001), []),
      /IDMP max entries 10001 is outside 1–10000: Redis refuses it \("Stream IDMP max entries out of range"\)/,
    ],
  ])('refuses %s: corrupt', (_what, tail, error) => {
    const report = both(stream26(tail));
    expect(report.ok).toBe(false);
    expect(report.error?.message).toMatch(error);
    expect(report.error?.message).toMatch(/key 1 value \(stream, RDB type 26\)/);
    expect(rdbVerdict(report)).toBe('corrupt');
  });

  it('a stream cut inside its IDMP tail is corrupt', () => {
    const whole = stream26(idmp([0x3c], [0x32], producers));
    const tailStart = whole.length - 9 - idmp([0x3c], [0x32], producers).length;
    for (const cut of [tailStart + 1, tailStart + 4, whole.length - 12]) {
      const report = verify(whole.subarray(0, cut));
      expect(report.ok).toBe(false);
      expect(rdbVerdict(report)).toBe('corrupt');
    }
  });

  it('warns of a producer twice (Redis refuses it unless the first one had expired by load time), and still counts the key', () => {
    const report = both(
      stream26(
        idmp(
          [0x3c],
          [0x32],
          [
            ['p', [['a', 1, 0]]],
            ['p', [['b', 2, 0]]],
          ],
        ),
      ),
    );
    expect(report).toMatchObject({ ok: true, keys: 1, warningCount: 1 });
    expect(report.warnings?.[0]?.message).toMatch(/key 1: a stream's idempotent producer appears twice/);
  });

  it('a producer without entries may repeat one with entries: the loader skips it', () => {
    const report = both(
      stream26(
        idmp(
          [0x3c],
          [0x32],
          [
            ['p', [['a', 1, 0]]],
            ['p', []],
          ],
        ),
      ),
    );
    expect(report).toMatchObject({ ok: true, keys: 1 });
    expect(report.warnings).toBeUndefined();
  });
});
