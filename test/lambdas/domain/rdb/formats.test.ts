import { describe, expect, it } from 'vitest';
import { rdbVerdict } from '../../../../lambdas/domain/rdb/verifier.js';
import { both, file, le64, str, verify } from '../../../support/rdb-bytes.js';
import { formatRdbSummary, parseRdbSummary, verdictTags } from '../../../../lambdas/domain/points/rdb-summary.js';

/**
 * RDB formats newer than the local redis-server (7.0) writes or reads, built
 * byte by byte as their loaders read them (Redis and Valkey `src/rdb.c`), and
 * what the verifier says of formats it does not know: "unsupported", a
 * verdict apart from "corrupt", never "valid".
 */

describe('formats the verifier does not know: unsupported, not corrupt, never valid', () => {
  it.each([
    ['REDIS0099', 99, /^a Redis newer than /],
    ['REDIS0016', 16, /^a Redis newer than /],
    ['VALKEY082', 82, /^a Valkey newer than /],
    ['VALKEY099', 99, /^a Valkey newer than /],
  ])('%s is unsupported (version %i), named as such', (magic, version, writer) => {
    const report = both(file(magic, [0xfe, 0x00, 0x00, ...str('k'), ...str('v')]));
    expect(report.ok).toBe(false);
    expect(report.unsupported).toMatchObject({ version, writtenBy: expect.stringMatching(writer) });
    expect(report.error?.message).toMatch(new RegExp(`^unsupported format \\(version ${version}, written by `));
    expect(rdbVerdict(report)).toBe('unsupported');
  });

  it.each([
    ['a VALKEY file in the range Valkey reserves for foreign formats', 'VALKEY011'],
    ['version 0', 'REDIS0000'],
    ['a file that is no RDB', 'HELLO0011'],
  ])('%s is corrupt, not unsupported', (_what, magic) => {
    const report = both(file(magic, []));
    expect(report.ok).toBe(false);
    expect(report.unsupported).toBeUndefined();
    expect(rdbVerdict(report)).toBe('corrupt');
  });

  it('tags an unsupported file "unsupported" with a summary that reads back as unsupported, never as an error', () => {
    const report = verify(file('REDIS0099', []));
    const tags = verdictTags(report);
    expect(tags['redis-dr:verified']).toBe('unsupported');
    expect(formatRdbSummary(report)).toMatch(/^v=99 keys=0 expires=0 unsupported@9=unsupported format version 99 written by a Redis newer than/);
    const summary = parseRdbSummary(tags['redis-dr:rdb']);
    expect(summary).toMatchObject({ version: 99, unsupported: { offset: 9 } });
    expect(summary?.error).toBeUndefined();
    // A corrupt file still reads back as an error.
    expect(parseRdbSummary(formatRdbSummary(verify(file('REDIS0000', [])))))?.toHaveProperty('error');
  });
});

/** A listpack of strings and integers (64-bit ones as 0xF4 entries), as Redis writes one. */
function listpack(items: (string | number | bigint)[]): number[] {
  const body = items.flatMap((x) => {
    if (typeof x === 'string') return [0x80 | x.length, ...Buffer.from(x), 1 + x.length];
    if (typeof x === 'number' && x >= 0 && x < 128) return [x, 1];
    return [0xf4, ...le64(BigInt.asUintN(64, BigInt(x))), 9];
  });
  const total = 6 + body.length + 1;
  return [total & 0xff, (total >> 8) & 0xff, 0, 0, items.length & 0xff, items.length >> 8, ...body, 0xff];
}
/** An RDB string of raw bytes (6- or 14-bit length). */
const blob = (bytes: number[]): number[] => [...(bytes.length < 64 ? [bytes.length] : [0x40 | (bytes.length >> 8), bytes.length & 0xff]), ...bytes];

describe("hash field expiration in a listpack (RDB type 25, and 23 of the 7.4 release candidates): the TTL checks of Redis's loader", () => {
  const T = 1_900_000_000_000n;
  /** Type 25: the earliest expiry, then the listpack of (field, value, TTL). */
  const lpex = (items: (string | number | bigint)[]) => file('REDIS0012', [0xfe, 0x00, 0x19, ...str('h'), ...le64(T), ...blob(listpack(items))]);
  /** Type 23: the listpack alone. */
  const lpexRc = (items: (string | number | bigint)[]) => file('REDIS0012', [0xfe, 0x00, 0x17, ...str('h'), ...blob(listpack(items))]);

  it('accepts TTLs in ascending order with the fields without one last, integer-encoded or as decimal text', () => {
    for (const make of [lpex, lpexRc]) {
      expect(both(make(['f1', 'v1', T, 'f2', 'v2', String(T + 5n), 'f3', 'v3', 0]))).toMatchObject({ ok: true, keys: 1, byType: { hash: 1 } });
      expect(both(make(['f1', 'v1', 0, 'f2', 'v2', 0])).ok).toBe(true);
      expect(both(make(['f1', 'v1', 2n ** 48n - 1n])).ok).toBe(true);
    }
  });

  it.each<[string, (string | number | bigint)[], RegExp]>([
    ['a TTL that is not an integer', ['f1', 'v1', 'soon'], /the TTL of field 1 is not an integer/],
    ['a TTL with a leading zero (string2ll refuses it)', ['f1', 'v1', '0123'], /the TTL of field 1 is not an integer/],
    ['a TTL beyond the maximum expire time', ['f1', 'v1', 2n ** 48n], /the TTL of field 1 \(281474976710656\) is outside 0 to 2\^48 - 1 ms/],
    ['a negative TTL', ['f1', 'v1', -5n], /the TTL of field 1 \(-5\) is outside/],
    ['TTLs out of order', ['f1', 'v1', T + 10n, 'f2', 'v2', T], /the TTL of field 2 \(1900000000000\) is before the one of the field ahead of it/],
    ['a field with a TTL after one without', ['f1', 'v1', 0, 'f2', 'v2', T], /field 2 has a TTL after a field without one/],
  ])('refuses %s, as Redis\'s loader does ("Hash listpack integrity check failed")', (_what, items, error) => {
    for (const make of [lpex, lpexRc]) {
      const report = both(make(items));
      expect(report.ok).toBe(false);
      expect(report.unsupported).toBeUndefined();
      expect(report.error?.message).toMatch(error);
      expect(report.error?.message).toMatch(/Redis refuses it \("Hash listpack integrity check failed"\)/);
    }
  });
});

describe('Redis 8.6 (RDB 13) and Valkey 9.2 (RDB 81)', () => {
  const keys = [0xfe, 0x00, 0x00, ...str('k'), ...str('v'), 0x18, ...str('h'), ...le64(1_900_000_000_000n), 0x01, 0x00, ...str('f'), ...str('v')];

  it('reads a REDIS0013 file with the types Redis 7.4–8.6 write', () => {
    expect(both(file('REDIS0013', keys))).toMatchObject({ ok: true, version: 13, keys: 2, byType: { string: 1, hash: 1 } });
  });

  it('reads a VALKEY081 file with the types Valkey 9.0 and 9.2 share (strings, type 22 hashes with field TTLs)', () => {
    const valkey = [0xfe, 0x00, 0x00, ...str('k'), ...str('v'), 0x16, ...str('h'), 0x01, ...str('f'), ...str('v'), ...le64(0xffffffffffffffffn)];
    expect(both(file('VALKEY081', valkey))).toMatchObject({ ok: true, version: 81, magic: 'VALKEY', keys: 2, byType: { string: 1, hash: 1 } });
  });

  // Valkey refuses a field expiry below -1 on load (rdbLoadObject `itemexpiry < EXPIRY_NONE`, 9.1.2): a mutated Valkey
  // 9.1.2 file holding one passed here and was refused by a real 9.1.2 ("Unexpected EOF reading RDB file").
  it.each<[string, boolean, bigint]>([
    ['-1 (no expiry)', true, -1n],
    ['0 (expired long ago: dropped on load)', true, 0n],
    ['far ahead', true, 4_102_444_800_000n],
    ['-2', false, -2n],
    ['a large negative one (a flipped high byte)', false, -4_503_599_627_370_497n],
  ])('a type 22 field expiry of %s: passes %s', (_, ok, ms) => {
    const body = [0xfe, 0x00, 0x16, ...str('h'), 0x02, ...str('f'), ...str('v'), ...le64(-1n), ...str('g'), ...str('w'), ...le64(BigInt.asUintN(64, ms))];
    const report = both(file('VALKEY080', body));
    expect(report.ok).toBe(ok);
    if (!ok) expect(report.error?.message).toMatch(new RegExp(`a hash field's expiry of ${ms} ms, below -1 \\(none\\): Valkey refuses it on load`));
  });

  it.each<[string, string, number[], RegExp]>([
    [
      'a type above every one RDB 15 defines, in a REDIS0013 file (key metadata and type 26: redis-86-formats.test.ts)',
      'REDIS0013',
      [0xfe, 0x00, 0x22, ...str('s')],
      /^unsupported format \(version 13, written by a Redis newer than 8\.6\): value type 34/,
    ],
    [
      'a Valkey 9.2 path hash (type 23)',
      'VALKEY081',
      [0xfe, 0x00, 0x17, ...str('p')],
      /^unsupported format \(version 81, written by Valkey 9\.2\): a path hash \(RDB_TYPE_PATH_HASH\)/,
    ],
    ['a Valkey 9.2 type above it', 'VALKEY081', [0xfe, 0x00, 0x18, ...str('p')], /^unsupported format \(version 81, written by Valkey 9\.2\): value type 24/],
    [
      'a replication command inlined by a Valkey forkless save (opcode 242)',
      'VALKEY081',
      [0xfe, 0x00, 0xf2],
      /^unsupported format \(version 81, written by Valkey 9\.2\): opcode 242 \(a replication command inlined by a forkless save\)/,
    ],
  ])('%s is unsupported: not read yet, and not corrupt', (_what, magic, body, error) => {
    const report = both(file(magic, body));
    expect(report.ok).toBe(false);
    expect(report.error?.message).toMatch(error);
    expect(rdbVerdict(report)).toBe('unsupported');
  });

  it.each<[string, string, number[], RegExp]>([
    ['opcode 243 in a REDIS0012 file', 'REDIS0012', [0xfe, 0x00, 0xf3, 0x01], /unknown value type or opcode 243/],
    [
      'type 26 in a REDIS0012 file',
      'REDIS0012',
      [0xfe, 0x00, 0x1a, ...str('s'), 0x00],
      /value type 26 \(a stream with idempotent-producer data\) in an RDB 12 file: RDB 12 does not define it, RDB 13 \(Redis 8\.6\) is the first/,
    ],
    ['type 27 (Redis 8.8) in a REDIS0013 file', 'REDIS0013', [0xfe, 0x00, 0x1b, ...str('s')], /value type 27 .* in an RDB 13 file: .*RDB 14 \(Redis 8\.8\)/],
    [
      'type 23 in a VALKEY080 file (Valkey 9.0 has no such type)',
      'VALKEY080',
      [0xfe, 0x00, 0x17, ...str('p')],
      /value type 23 in a Valkey \(VALKEY magic\) file/,
    ],
  ])('%s is corrupt: the format of that version has no such byte', (_what, magic, body, error) => {
    const report = both(file(magic, body));
    expect(report.error?.message).toMatch(error);
    expect(rdbVerdict(report)).toBe('corrupt');
  });
});
