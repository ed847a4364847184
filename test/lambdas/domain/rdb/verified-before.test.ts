import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Crc64 } from '../../../../lambdas/domain/rdb/codecs/crc64.js';
import { RdbKeyReader, type RdbKey, type RdbKeyReaderOptions } from '../../../../lambdas/domain/rdb/keys.js';
import { CORPUS_CASES, CORPUS_DIR } from '../../../support/rdb-corpus.js';
import { file, le64, str } from '../../../support/rdb-bytes.js';
import { mulberry32 } from '../../../support/prng.js';

/** Every key of `data` (pushed in chunks of `size` bytes, whole without), the report and the reader. */
function read(data: Uint8Array, options: RdbKeyReaderOptions = {}, size?: number) {
  const reader = new RdbKeyReader(options);
  const keys: RdbKey[] = [];
  const step = size ?? Math.max(1, data.length);
  for (let at = 0; at < data.length; at += step) keys.push(...reader.push(data.subarray(at, at + step)));
  return { keys, report: reader.end(), reader };
}

/** What a restore uses of each key. */
const seen = (keys: readonly RdbKey[]) => keys.map((k) => [k.db, k.type, k.name, k.expireAtMs, k.offset, k.end, k.payload]);

/** `data` passes a full read with `keys` keys, and read by its values' bounds at every chunking it gives the same keys. */
function expectBoundsReadAsFull(data: Uint8Array, keys: number): void {
  const full = read(data);
  expect(full.report).toMatchObject({ ok: true, keys });
  for (let size = 1; size <= data.length; size++) {
    const r = read(data, { valueCheckedBefore: () => true }, size);
    expect(r.report.ok, `chunks of ${size}: ${r.report.error?.message}`).toBe(true);
    expect(seen(r.keys)).toEqual(seen(full.keys));
  }
}

/** A full read, then reads of the same bytes that take its word (verifiedBefore): the same keys, whatever the chunking. */
function expectSameKeysTrusted(data: Uint8Array): RdbKey[] {
  const full = read(data);
  expect(full.report.ok, full.report.error?.message).toBe(true);
  const emptyKeys = full.reader.emptyKeyOffsets!;
  const rand = mulberry32(data.length);
  for (const size of [undefined, 1, 7, 1 + Math.floor(rand() * 5000)]) {
    const trusted = read(data, { verifiedBefore: { emptyKeys } }, size);
    expect(trusted.report.ok, `chunks of ${size}: ${trusted.report.error?.message}`).toBe(true);
    expect(trusted.report.keys).toBe(full.report.keys);
    expect(trusted.report.emptyKeys).toBe(full.report.emptyKeys);
    expect(seen(trusted.keys)).toEqual(seen(full.keys));
  }
  return full.keys;
}

/** An RDB string of raw bytes (6- or 14-bit length). */
const blob = (bytes: number[]): number[] => [...(bytes.length < 64 ? [bytes.length] : [0x40 | (bytes.length >> 8), bytes.length & 0xff]), ...bytes];

/** A listpack of short strings and small integers, as Redis writes one. */
function listpack(items: (string | number)[]): number[] {
  const body = items.flatMap((x) => (typeof x === 'string' ? [0x80 | x.length, ...Buffer.from(x), 1 + x.length] : [x, 1]));
  const total = 6 + body.length + 1;
  return [total & 0xff, (total >> 8) & 0xff, 0, 0, items.length & 0xff, items.length >> 8, ...body, 0xff];
}

describe('a read of bytes verified before (verifiedBefore): the keys of a full read, from their bounds alone', () => {
  it.each(CORPUS_CASES.filter(([, , , keys]) => keys > 0))('%s: the same keys and payloads, whatever the chunking', (name) => {
    expect(expectSameKeysTrusted(readFileSync(join(CORPUS_DIR, name))).length).toBeGreaterThan(0);
  });

  it('hashes with field TTLs (types 22–25, Redis and Valkey), LZF strings and zsets with text scores, byte-built as the loaders read them', () => {
    const T = 1_900_000_000_000n;
    // "ab" six times as LZF: two literals, then a back reference of 10 bytes at distance 2.
    const lzf = [0xc3, 0x06, 0x0c, 0x01, 0x61, 0x62, 0xe0, 0x01, 0x01];
    const redis = file('REDIS0012', [
      ...[0xfe, 0x00, 0x00, ...str('s'), ...lzf],
      ...[0xfc, ...le64(T), 0x00, ...str('ttl'), ...str('v')],
      ...[0x03, ...str('z'), 0x02, ...str('a'), 0x03, ...Buffer.from('1.5'), ...str('b'), 0xfe], // score +inf
      ...[0x18, ...str('h24'), ...le64(T), 0x02, 0x00, ...str('f1'), ...str('v1'), 0x05, ...str('f2'), ...lzf],
      ...[0x19, ...str('h25'), ...le64(T), ...blob(listpack(['f1', 'v1', 0, 'f2', 'v2', 0]))],
      ...[0x17, ...str('h23'), ...blob(listpack(['f', 'v', 0]))],
      ...[0x16, ...str('h22'), 0x01, 0x00, ...str('f'), ...str('v')],
      ...[0x16, ...str('h22b'), 0x01, 0x40, 0x80, ...str('f'), ...lzf],
    ]);
    expect(expectSameKeysTrusted(redis).map((k) => k.name.toString())).toEqual(['s', 'ttl', 'z', 'h24', 'h25', 'h23', 'h22', 'h22b']);
    const valkey = file('VALKEY081', [
      0xfe,
      0x00,
      ...[0x16, ...str('h'), 0x02, ...str('f1'), ...lzf, ...le64(T), ...str('f2'), ...str('v'), ...le64(2n ** 64n - 1n)],
    ]);
    expect(expectSameKeysTrusted(valkey).map((k) => k.name.toString())).toEqual(['h']);
  });

  it('empty keys are the ones the full read found: without its word they would be handed on', () => {
    const data = readFileSync(join(__dirname, '../../../fixtures/rdb-loader/corrupt_empty_keys.rdb'));
    const full = read(data);
    expect(full.report).toMatchObject({ ok: true, keys: 0, emptyKeys: 9 });
    expect(full.reader.emptyKeyOffsets?.size).toBe(9);
    expect(read(data, { verifiedBefore: { emptyKeys: full.reader.emptyKeyOffsets! } }).keys).toEqual([]);
    // Negative control: the value bytes are not looked at, so an empty collection is not recognised as one.
    expect(read(data, { verifiedBefore: { emptyKeys: new Set() } }).keys.length).toBe(9);
  });

  it('checks nothing the bytes hold: a corrupt listpack or a wrong CRC-64 passes (so only bytes proven to be the verified ones may be read so)', () => {
    const lp = listpack(['a', 'b']);
    const good = file('REDIS0011', [0xfe, 0x00, 0x14, ...str('set'), ...blob(lp)]);
    expect(read(good).report.ok).toBe(true);
    lp[lp.length - 2]! ^= 0x40; // the last entry's back-length
    const corrupt = file('REDIS0011', [0xfe, 0x00, 0x14, ...str('set'), ...blob(lp)]);
    const wrongCrc = Uint8Array.from(good);
    wrongCrc[wrongCrc.length - 1]! ^= 0x01;
    for (const bad of [corrupt, wrongCrc]) {
      expect(read(bad).report.ok).toBe(false);
      const trusted = read(bad, { verifiedBefore: { emptyKeys: new Set() } });
      expect(trusted.report.ok).toBe(true);
      expect(trusted.keys.map((k) => k.name.toString())).toEqual(['set']);
    }
  });
});

describe('externalChecksum: the file CRC-64 given by the caller', () => {
  const data = file('REDIS0011', [0xfe, 0x00, 0x00, ...str('k'), ...str('v')]);
  const crcBeforeTrailer = (d: Uint8Array) => new Crc64().update(d, 0, d.length - 8).value;

  it('the right CRC-64 passes; a wrong one, or none, fails as a full read fails', () => {
    const settled = (crc: bigint | undefined) => {
      const reader = new RdbKeyReader({ externalChecksum: true });
      reader.push(data);
      expect(reader.checksumPending).toBe(true);
      expect(reader.checksumEnd()).toBe(data.length - 8);
      if (crc !== undefined) reader.settleChecksum(crc);
      return reader.end();
    };
    expect(settled(crcBeforeTrailer(data))).toMatchObject({ ok: true, checksum: 'ok', keys: 1 });
    expect(settled(crcBeforeTrailer(data) ^ 1n)).toMatchObject({ ok: false, checksum: 'mismatch', error: { offset: data.length } });
    expect(settled(crcBeforeTrailer(data) ^ 1n).error?.message).toMatch(/^CRC-64 mismatch/);
    expect(settled(undefined).error?.message).toMatch(/CRC-64 computed outside the parser never arrived/);
  });
});

/** Every key of `data` as `visit` sees it (pushed in chunks of `size` bytes), each copied during its call, and the report. */
function visited(data: Uint8Array, options: RdbKeyReaderOptions = {}, size?: number) {
  const keys: (string | number | Buffer | null)[][] = [];
  const reader = new RdbKeyReader({
    ...options,
    visit: (k) => {
      keys.push([k.db, k.type, k.name(), k.expireAtMs, k.offset, k.end, Buffer.from(k.bytes.subarray(k.from, k.to)), k.payload()]);
    },
  });
  const step = size ?? Math.max(1, data.length);
  for (let at = 0; at < data.length; at += step) expect(reader.push(data.subarray(at, at + step))).toEqual([]);
  return { keys, report: reader.end() };
}

/** What a restore uses of each key, and its object bytes. */
const seenWithObject = (keys: readonly RdbKey[]) =>
  keys.map((k) => [k.db, k.type, k.name, k.expireAtMs, k.offset, k.end, k.payload.subarray(1, k.payload.length - 10), k.payload]);

describe('visit: each key where it lies, no RdbKey built', () => {
  it.each(CORPUS_CASES.filter(([, , , keys]) => keys > 0))(
    '%s: the keys, names, objects and payloads of a read that builds them, whatever the chunking',
    (name) => {
      const data = readFileSync(join(CORPUS_DIR, name));
      const full = read(data, { sealPayloads: false });
      expect(full.report.ok, full.report.error?.message).toBe(true);
      const rand = mulberry32(data.length + 1);
      for (const size of [undefined, 1, 7, 1 + Math.floor(rand() * 5000)]) {
        const v = visited(data, { sealPayloads: false }, size);
        expect(v.report).toEqual(full.report);
        expect(v.keys).toEqual(seenWithObject(full.keys));
      }
    },
  );

  it('an integer-encoded and an LZF name are decoded, as a read that builds keys decodes them; payloads sealed when asked', () => {
    // "ab" six times as LZF: two literals, then a back reference of 10 bytes at distance 2.
    const lzfName = [0xc3, 0x06, 0x0c, 0x01, 0x61, 0x62, 0xe0, 0x01, 0x01];
    const data = file('REDIS0011', [0xfe, 0x00, 0x00, 0xc0, 0x7b, ...str('v1'), 0x00, ...lzfName, ...str('v2'), 0x00, ...str('plain'), ...str('v3')]);
    for (const size of [undefined, 1, 3]) {
      const v = visited(data, {}, size);
      expect(v.report.ok).toBe(true);
      expect(v.keys.map((k) => k[2]!.toString())).toEqual(['123', 'abababababab', 'plain']);
      expect(v.keys).toEqual(seenWithObject(read(data).keys));
    }
  });
  it('hands every name over as a plain Uint8Array, a decoded or gathered one too (one class for the code reading names); one in the chunk as a view of it', () => {
    const lzfName = [0xc3, 0x06, 0x0c, 0x01, 0x61, 0x62, 0xe0, 0x01, 0x01];
    const data = file('REDIS0011', [0xfe, 0x00, 0x00, 0xc0, 0x7b, ...str('v1'), 0x00, ...lzfName, ...str('v2'), 0x00, ...str('plain'), ...str('v3')]);
    for (const size of [undefined, 1, 3]) {
      const names: { cls: unknown; text: string; bytes: number }[] = [];
      const reader = new RdbKeyReader({
        visit: (k) => {
          const text = Buffer.from(k.nameBytes.subarray(k.nameFrom, k.nameTo)).toString();
          names.push({ cls: k.nameBytes.constructor, text, bytes: k.nameBytes.length });
        },
      });
      const step = size ?? data.length;
      // Chunks as plain Uint8Arrays, as a local file's reads hand them over.
      for (let at = 0; at < data.length; at += step) reader.push(new Uint8Array(data.subarray(at, at + step)));
      expect(reader.end().ok).toBe(true);
      expect(names.map((n) => n.text)).toEqual(['123', 'abababababab', 'plain']);
      // A Buffer (what the reader decodes or gathers names into) would be a second class: not handed over.
      for (const n of names) expect(n.cls, `${n.text} in chunks of ${size}`).toBe(Uint8Array);
      // The decoded names are their own bytes; a plain name read whole is a view of the chunk (no copy made).
      expect(names[0]!.bytes).toBe(3);
      if (size === undefined) expect(names[2]!.bytes).toBe(data.length);
    }
  });
});

describe('valueCheckedBefore: a written file read back, the values copied as they were read by their bounds', () => {
  const lp = listpack(['a', 'b']);
  const keys = (setBytes: number[]) => [0xfe, 0x00, 0x00, ...str('s'), ...str('v'), 0x14, ...str('set'), ...blob(setBytes), 0x00, ...str('t'), ...str('w')];
  const good = file('REDIS0011', keys(lp));
  const broken = [...lp];
  broken[broken.length - 2]! ^= 0x40; // the last entry's back-length: a listpack Redis refuses
  const corrupt = file('REDIS0011', keys(broken));

  it('reads the keys of a full read, whatever the chunking', () => {
    for (const size of [undefined, 1, 5]) {
      const r = read(good, { valueCheckedBefore: () => true }, size);
      expect(r.report).toMatchObject({ ok: true, keys: 3, checksum: 'ok' });
      expect(seen(r.keys)).toEqual(seen(read(good).keys));
    }
  });

  it('the key it names by its order is not checked: a corrupt listpack passes there, and fails when its order is not named', () => {
    expect(read(corrupt).report.ok).toBe(false);
    const asked: number[] = [];
    const trusted = read(corrupt, { valueCheckedBefore: (i) => (asked.push(i), i === 1) });
    expect(asked).toEqual([0, 1, 2]);
    expect(trusted.report.ok).toBe(true);
    expect(trusted.keys.map((k) => k.name.toString())).toEqual(['s', 'set', 't']);
    // Negative: the same bytes with only the keys around it taken as checked.
    const checked = read(corrupt, { valueCheckedBefore: (i) => i !== 1 });
    expect(checked.report.ok).toBe(false);
    expect(checked.report.error?.message).toMatch(/listpack/);
  });

  it('names each key by its own order and type at every chunking: a name cut by a chunk is read again, not counted again', () => {
    for (let size = 1; size <= good.length; size++) {
      const asked = new Map<number, Set<number>>();
      const r = read(good, { valueCheckedBefore: (i, type) => (asked.set(i, (asked.get(i) ?? new Set()).add(type)), true) }, size);
      expect(r.report.ok, `chunks of ${size}`).toBe(true);
      expect(
        [...asked].map(([i, types]) => [i, [...types]]),
        `chunks of ${size}`,
      ).toEqual([
        [0, [0x00]],
        [1, [0x14]],
        [2, [0x00]],
      ]);
      // The key it does not name is checked in full at every chunking: the corrupt listpack fails.
      const checked = read(corrupt, { valueCheckedBefore: (i) => i !== 1 }, size);
      expect(checked.report.ok, `chunks of ${size}`).toBe(false);
      expect(checked.report.error?.message).toMatch(/listpack/);
    }
  });

  it('plain lists, sets, hashes and zsets (their elements skipped in a local loop where they lie whole in the chunk) end where a full read ends them, at every chunking', () => {
    const lzf = [0xc3, 0x06, 0x0c, 0x01, 0x61, 0x62, 0xe0, 0x01, 0x01]; // "ab" six times
    const long = (c: string, n: number) => blob([...Buffer.from(c.repeat(n))]); // a 14-bit length
    const score = [0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf8, 0x3f]; // 1.5, binary
    const body = [
      0xfe,
      0x00,
      ...[0x01, ...str('list'), 0x05, ...str('a'), ...long('b', 70), 0xc0, 0x07, ...lzf, ...str('')], // an int-encoded and an LZF element between plain ones
      ...[0x02, ...str('set'), 0x03, ...str('x'), ...long('y', 300), ...str('z')],
      ...[0x04, ...str('hash'), 0x02, ...str('f'), ...lzf, ...long('g', 64), ...str('v')],
      ...[0x05, ...str('zset'), 0x03, ...str('m'), ...score, ...long('n', 65), ...score, ...lzf, ...score],
      ...[0x03, ...str('ztext'), 0x03, ...str('m'), 0x03, ...Buffer.from('1.5'), ...long('n', 90), 0xfe, ...str('o'), 0xff], // +inf, -inf
      ...[0x00, ...str('after'), ...str('v')],
    ];
    const data = file('REDIS0009', body);
    expectBoundsReadAsFull(data, 6);
    // Negative: a member's length one short misplaces every key after it (the framing fails, read by bounds too).
    const shortened = Uint8Array.from(data);
    const at = Buffer.from(data).indexOf(Buffer.from([0x03, 0x01, 0x78])) + 1; // the set's "x"
    shortened[at] = 0x00;
    expect(read(shortened, { valueCheckedBefore: () => true }).report.ok).toBe(false);
  });

  it('still checks the CRC-64 and the framing: a flipped byte in a value read by its bounds fails the file', () => {
    const flipped = Uint8Array.from(good);
    const at = Buffer.from(good).indexOf(Buffer.from([0x00, 0x01, 0x73, 0x01, 0x76])) + 4; // key "s", its value "v"
    expect(at).toBeGreaterThan(4);
    flipped[at]! ^= 0x01; // the same length, another byte
    expect(read(flipped, { valueCheckedBefore: () => true }).report).toMatchObject({ ok: false, checksum: 'mismatch' });
    const cut = good.subarray(0, good.length - 12);
    expect(read(cut, { valueCheckedBefore: () => true }).report.ok).toBe(false);
  });
});

describe('valueCheckedBefore giving a length: a value read back by the length its writer recorded (convert-rdb), not walked', () => {
  // A string, a plain list (a 14-bit element), a plain set of no member (Redis skips it: an empty key), a plain hash, a string.
  const values: [number, string, number[]][] = [
    [0x00, 's', str('v')],
    [0x01, 'list', [0x02, ...str('a'), 0x40, 70, ...Buffer.from('b'.repeat(70))]],
    [0x02, 'empty', [0x00]],
    [0x04, 'hash', [0x01, ...str('f'), ...str('v')]],
    [0x00, 't', str('w')],
  ];
  const data = file('REDIS0009', [0xfe, 0x00, ...values.flatMap(([type, name, value]) => [type, ...str(name), ...value])]);
  const lengths = values.map(([, , value]) => value.length);
  /** `b` with its CRC-64 made right again after a change. */
  const withCrc = (b: Uint8Array): Uint8Array => {
    const crc = new Crc64();
    crc.update(b.subarray(0, b.length - 8));
    Buffer.from(b.buffer, b.byteOffset + b.length - 8, 8).writeBigUInt64LE(crc.value);
    return b;
  };

  it('gives the keys (and the empty one) of a full read at every chunking, asking each key its length once the key is named', () => {
    const full = read(data);
    expect(full.report).toMatchObject({ ok: true, keys: 4, emptyKeys: 1 });
    for (let size = 1; size <= data.length; size++) {
      const asked = new Set<number>();
      const r = read(data, { valueCheckedBefore: (i) => (asked.add(i), lengths[i]!) }, size);
      expect(r.report, `chunks of ${size}`).toMatchObject({ ok: true, keys: 4, emptyKeys: 1, checksum: 'ok' });
      expect(seen(r.keys), `chunks of ${size}`).toEqual(seen(full.keys));
      expect([...asked].sort(), `chunks of ${size}`).toEqual([0, 1, 2, 3, 4]);
    }
  });

  it('passes a value over by its length alone: a list whose elements would not parse passes where a walk fails it', () => {
    // The list's first element's length made 0x80 (a 32-bit length past the file): a walk fails, the length read does not.
    const broken = Uint8Array.from(data);
    const at = Buffer.from(data).indexOf(Buffer.from([0x02, 0x01, 0x61])) + 1;
    broken[at] = 0x80;
    withCrc(broken);
    expect(read(broken, { valueCheckedBefore: () => true }).report.ok).toBe(false);
    expect(read(broken, { valueCheckedBefore: (i) => lengths[i]! }).report).toMatchObject({ ok: true, keys: 4 });
  });

  it('a length one byte off misreads what follows: the file fails', () => {
    for (const delta of [1, -1]) {
      const r = read(data, { valueCheckedBefore: (i) => lengths[i]! + (i === 1 ? delta : 0) });
      expect(r.report.ok, `the list's length off by ${delta}`).toBe(false);
    }
  });

  it('is taken only for a value that lies whole in the chunk; false reads the value in full', () => {
    // Key 3 (the hash) given a wrong length: taken where the hash lies whole in its chunk, so the file fails.
    expect(read(data, { valueCheckedBefore: (i) => (i === 3 ? 1 : lengths[i]!) }).report.ok).toBe(false);
    // Chunks of one byte: no value lies whole in one, each is read by its own framing.
    expect(read(data, { valueCheckedBefore: (i) => (i === 3 ? 1 : lengths[i]!) }, 1).report).toMatchObject({ ok: true, keys: 4 });
    // A hash whose count says 2 fields (it holds 1): passed over by its length, read in full where valueCheckedBefore says false.
    const broken = Uint8Array.from(data);
    broken[Buffer.from(data).indexOf(Buffer.from([0x04, 0x04])) + 6] = 0x02;
    withCrc(broken);
    expect(read(broken, { valueCheckedBefore: (i) => lengths[i]! }).report).toMatchObject({ ok: true, keys: 4 });
    expect(read(broken, { valueCheckedBefore: (i) => (i === 3 ? false : lengths[i]!) }).report.ok).toBe(false);
  });
});

describe('valueCheckedBefore of a stream (convert-rdb reads back the streams it wrote, their bytes proven by its digest): by its bounds', () => {
  const id = (ms: number, seq: number) => [...Buffer.alloc(8), ...Buffer.alloc(8)].map((_, i) => (i === 7 ? ms : i === 15 ? seq : 0));
  // A stream of RDB type `type` (15, 19 or 21): one node of entry 1-0, a group whose PEL holds 1-0, owned by consumer `owned`.
  const stream = (type: number, owned: number[]) => [
    type,
    ...str(`s${type}`),
    ...[0x01, ...blob(id(1, 0)), ...blob(listpack([1, 0, 1, 'f', 0, 2, 0, 0, 'v', 4]))],
    ...[0x01, 0x01, 0x00], // length, last id
    ...(type >= 19 ? [0x01, 0x00, 0x00, 0x00, 0x01] : []), // first id, max deleted id, entries added
    ...[0x01, ...str('g'), 0x01, 0x00, ...(type >= 19 ? [0x01] : [])], // a group: name, last delivered id (entries read)
    ...[0x01, ...id(1, 0), ...le64(1_700_000_000_000n), 0x01], // its PEL: id, delivery time, count
    ...[0x01, ...str('c'), ...le64(1_700_000_000_000n), ...(type >= 21 ? le64(1_700_000_000_000n) : []), 0x01, ...owned], // its consumer
  ];
  const body = (owned: number[]) => [0xfe, 0x00, ...[15, 19, 21].flatMap((t) => stream(t, owned)), 0x00, ...str('after'), ...str('v')];
  const good = file('REDIS0011', body(id(1, 0)));
  // The consumer owns 1-1, which the PEL lacks: Redis refuses it, and so does a full read.
  const corrupt = file('REDIS0011', body(id(1, 1)));

  it('streams of types 15, 19 and 21 end where a full read ends them, at every chunking', () => {
    expectBoundsReadAsFull(good, 4);
    // Negative: a PEL count one more misplaces what follows (the framing fails, read by bounds too).
    const shortened = Uint8Array.from(good);
    shortened[Buffer.from(good).indexOf(Buffer.from([0x01, ...id(1, 0), ...le64(1_700_000_000_000n)]))] = 0x02;
    expect(read(shortened, { valueCheckedBefore: () => true }).report.ok).toBe(false);
  });

  it('checks nothing the stream holds (so only a stream proven to be a checked one may be read so); a file read as trusted whole reads its streams in full', () => {
    expect(read(corrupt).report.error?.message).toMatch(/consumer PEL entry not found in the group PEL/);
    expect(read(corrupt, { valueCheckedBefore: () => true }).report).toMatchObject({ ok: true, keys: 4 });
    expect(read(corrupt, { valueCheckedBefore: (i) => i !== 1 }).report.error?.message).toMatch(
      /key 2 value \(stream, RDB type 19\): consumer PEL entry not found/,
    );
    // verifiedBefore (block CRCs: a file whose every key is read by its bounds) keeps reading streams in full.
    expect(read(corrupt, { verifiedBefore: { emptyKeys: new Set() } }).report.error?.message).toMatch(/consumer PEL entry not found/);
  });
});

describe('sealPayloads per value type', () => {
  it('seals the payloads of the types it names; the others carry their RDB version and a zero CRC-64 (in a visit too)', () => {
    const data = file('REDIS0011', [0xfe, 0x00, 0x00, ...str('s'), ...str('v'), 0x14, ...str('set'), ...blob(listpack(['a', 'b']))]);
    const sealed = read(data).keys;
    const keys = read(data, { sealPayloads: (type) => type === 0 }).keys;
    expect(keys[0]!.payload).toEqual(sealed[0]!.payload);
    const p = keys[1]!.payload;
    expect(p.subarray(p.length - 8)).toEqual(Buffer.alloc(8));
    expect(p.subarray(0, p.length - 8)).toEqual(sealed[1]!.payload.subarray(0, p.length - 8));
    expect(sealed[1]!.payload.subarray(p.length - 8)).not.toEqual(Buffer.alloc(8));
    expect(visited(data, { sealPayloads: (type) => type === 0 }).keys.map((k) => k[7])).toEqual([sealed[0]!.payload, p]);
  });
});
