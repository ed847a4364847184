import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Crc64 } from '../../../../lambdas/domain/rdb/codecs/crc64.js';
import { crc32 } from '../../../../lambdas/domain/rdb/codecs/crc32.js';
import {
  CRC64_MAGIC,
  FOOTER,
  FORMS,
  HASH_ROW,
  indexableTrailer,
  type Layout,
  MAGIC,
  NAME_ORDER_MAGIC,
  NOT_IN_ORDER,
  OLD_MAGIC,
  WIDE_ROWS_MAGIC,
} from '../../../../lambdas/domain/serve/index-file.js';
import { encodeKeyIndex, indexBytesFor } from '../../../../lambdas/domain/serve/index-write.js';
import { keyHash } from '../../../../lambdas/domain/serve/key-hash.js';
import { LEGACY_ROW, R_LENGTH } from '../../../../lambdas/domain/serve/key-rows.js';
import { ColumnKeyIndex, KeyIndexBuilder } from '../../../../lambdas/domain/serve/key-index.js';
import { indexInMemory } from '../../../../lambdas/domain/serve/paged-index.js';
import { nameOrdered, nameOrderFile } from '../../../support/name-ordered-index.js';

const COPY = { bytes: 1_000, trailer: '0123456789abcdef' };

function build() {
  const b = new KeyIndexBuilder();
  b.add({ db: 0, name: Buffer.from('zeta'), type: 0, valueAt: 100, valueEnd: 110, expireAtMs: null });
  b.add({ db: 0, name: Buffer.from('alpha'), type: 14, valueAt: 150, valueEnd: 400, expireAtMs: 1_700_000_000_123 });
  b.add({ db: 3, name: Buffer.from([0, 0xff, 0x0a]), type: 4, valueAt: 500, valueEnd: 990, expireAtMs: null });
  return b.finish(11);
}

/**
 * Two names of database 0 with one {@link keyHash}: the first pair among `c:0`, `c:1`, ... (1,174,311 names tried,
 * about 1.5 CPU-s a search; found once and written here, held to collide where used).
 */
function collidingNames(): [Buffer, Buffer] {
  const [a, c] = [Buffer.from('c:737491'), Buffer.from('c:1174310')];
  expect(keyHash(0, a, 0, a.length)).toBe(keyHash(0, c, 0, c.length));
  return [a, c];
}

/** An index of `names` in database 0 (file order as given). */
function indexOf(names: readonly Buffer[]) {
  const b = new KeyIndexBuilder();
  for (const [i, name] of names.entries()) b.add({ db: 0, name, type: 0, valueAt: i % 90, valueEnd: (i % 90) + 5, expireAtMs: null });
  return b.finish(11);
}

describe('the key index file', () => {
  it.each([MAGIC, CRC64_MAGIC, WIDE_ROWS_MAGIC] as const)(
    'reads back an %s file (keys in file order; RDRKEYS4 and RDRKEYS3 written before): every key, database, type, offsets and expiry',
    (layout) => {
      const index = build();
      const file = encodeKeyIndex(index, COPY, true, layout);
      expect(file.toString('latin1', 0, 8)).toBe(layout);
      const decoded = indexInMemory(file, COPY);
      if (!('index' in decoded)) throw new Error(decoded.problem);
      expect(decoded.valkey).toBe(true);
      expect(decoded.index.rdbVersion).toBe(11);
      expect(decoded.index.databases()).toEqual([0, 3]);
      expect(decoded.index.storedBytes).toBe(index.storedBytes);
      for (const db of [0, 3]) for (let pos = 0; pos < index.size(db); pos++) expect(decoded.index.entry(db, pos)).toEqual(index.entry(db, pos));
      expect([0, 1].map((pos) => decoded.index.nameAt(0, pos).toString())).toEqual(['zeta', 'alpha']);
      expect(decoded.index.find(3, Buffer.from([0, 0xff, 0x0a]))).toBe(0);
      expect(decoded.index.find(0, Buffer.from('alpha'))).toBe(1);
      expect(decoded.index.find(3, Buffer.from('alpha'))).toBe(-1);
    },
  );

  it('holds offsets past 4 GiB (a start up to 2^48, a length up to 2^40) exactly, and refuses a key past them rather than hold it wrong', () => {
    const b = new KeyIndexBuilder();
    const far = { db: 1, name: Buffer.from('far'), type: 5, valueAt: 2 ** 47 + 12_345, valueEnd: 2 ** 47 + 12_345 + 2 ** 39 + 7, expireAtMs: 2 ** 45 };
    b.add({ db: 1, name: Buffer.from('near'), type: 0, valueAt: 2 ** 32 - 1, valueEnd: 2 ** 32 + 1, expireAtMs: null });
    b.add(far);
    const copy = { bytes: 2 ** 48, trailer: '0123456789abcdef' };
    const index = b.finish(11);
    expect(index.entry(1, 1)).toEqual(far);
    const decoded = indexInMemory(encodeKeyIndex(index, copy, false), copy);
    if (!('index' in decoded)) throw new Error(decoded.problem);
    expect(decoded.index.entry(1, 1)).toEqual(far);
    expect(decoded.index.entry(1, 0)).toMatchObject({ valueAt: 2 ** 32 - 1, valueEnd: 2 ** 32 + 1 });
    expect(() => b.add({ ...far, valueAt: 2 ** 48, valueEnd: 2 ** 48 + 1 })).toThrow(/past what a key index row holds/);
    expect(() => b.add({ ...far, valueAt: 10, valueEnd: 10 + 2 ** 40 })).toThrow(/past what a key index row holds/);
  });

  it("writes RDRKEYS4, RDRKEYS3 and RDRKEYS2 files (the tests' files of the layouts before) byte for byte as the writers before did", () => {
    // The SHA-256s of the files main's writers (86c93857, the last to write RDRKEYS4; 345ec3b, RDRKEYS3) wrote of these keys
    // (a value over 4 GiB among them): so the files the tests read as the layouts before are those layouts' own.
    let seed = 56;
    const next = (m: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % m;
    };
    const b = new KeyIndexBuilder();
    for (let i = 0; i < 3_000; i++)
      b.add({
        db: i < 1_000 ? 0 : i < 1_100 ? 2 : 9,
        name: Buffer.concat([Buffer.from(Array.from({ length: next(40) }, () => next(256))), Buffer.from(`:${i}`)]),
        type: next(20),
        valueAt: 100 + i * 50,
        valueEnd: 130 + i * 50 + (i === 7 ? 2 ** 33 : 0),
        expireAtMs: i % 3 === 0 ? 1_700_000_000_000 + next(1e6) : null,
      });
    const copy = { bytes: 2 ** 34, trailer: '0123456789abcdef' };
    const index = b.finish(11);
    const sha = (x: Buffer) => createHash('sha256').update(x).digest('hex');
    expect(sha(encodeKeyIndex(index, copy, true, WIDE_ROWS_MAGIC))).toBe('4a32a1a2f0f8947c355f5356de72384afcbabc6f34f42745c09e5e2fd718f91a');
    expect(sha(nameOrderFile(index, copy, true))).toBe('b16a162a2d66658542a55e1a92ef9f909d75808fe9ced91ad0961174894fd214');
    expect(sha(encodeKeyIndex(index, copy, true, CRC64_MAGIC))).toBe('38e2c32d15328427fb333959765fe4503f7f185350f6bf12d3e40faaabb213af');
    // RDRKEYS5 of the same keys: each read back as it was added, the value over 4 GiB too.
    const decoded = indexInMemory(encodeKeyIndex(index, copy, true), copy);
    if (!('index' in decoded)) throw new Error(decoded.problem);
    // Every entry gathered and held equal once (an expect() an entry was 3,000 here).
    const read: unknown[] = [];
    const added: unknown[] = [];
    for (const db of [0, 2, 9]) {
      for (let pos = 0; pos < index.size(db); pos++) {
        read.push(decoded.index.entry(db, pos));
        added.push(index.entry(db, pos));
      }
    }
    expect(read).toEqual(added);
    expect(decoded.index.entry(0, 7).valueEnd - decoded.index.entry(0, 7).valueAt).toBe(2 ** 33 + 30);
  });

  it('still reads an RDRKEYS2 file (keys in name order, written before): the same keys, at name-order positions', () => {
    const index = build();
    const file = nameOrderFile(index, COPY);
    expect(file.toString('latin1', 0, 8)).toBe(NAME_ORDER_MAGIC);
    const decoded = indexInMemory(file, COPY);
    if (!('index' in decoded)) throw new Error(decoded.problem);
    const sorted = nameOrdered(index);
    for (const db of [0, 3]) for (let pos = 0; pos < index.size(db); pos++) expect(decoded.index.entry(db, pos)).toEqual(sorted.entry(db, pos));
    expect([0, 1].map((pos) => decoded.index.nameAt(0, pos).toString())).toEqual(['alpha', 'zeta']);
    expect(decoded.index.find(0, Buffer.from('zeta'))).toBe(1);
    expect(decoded.index.find(0, Buffer.from('zzz'))).toBe(-1);
  });

  it('writes keys whose databases do not come ascending (a stitched index, a hand-written file) grouped by database, file order within each', () => {
    const b = new KeyIndexBuilder();
    const key = (db: number, name: string, at: number) =>
      b.add({ db, name: Buffer.from(name), type: 0, valueAt: at, valueEnd: at + 5, expireAtMs: db === 3 ? at : null });
    key(3, 'c1', 10);
    key(0, 'a1', 20);
    key(0, 'a2', 30);
    key(3, 'c2', 40);
    for (let i = 0; i < 70; i++) key(5, `e${i}`, 100 + i * 5);
    // Keys dropped from the end (a part handed to the other thread) leave the runs they were counted in.
    b.dropPast(100 + 64 * 5);
    key(1, 'b1', 900);
    const index = b.finish(11);
    expect(index.databases()).toEqual([0, 1, 3, 5]);
    expect(index.size(5)).toBe(64);
    expect([0, 1].map((pos) => index.nameAt(3, pos).toString())).toEqual(['c1', 'c2']);
    const decoded = indexInMemory(encodeKeyIndex(index, COPY, false), COPY);
    if (!('index' in decoded)) throw new Error(decoded.problem);
    for (const db of [0, 1, 3, 5]) {
      expect(decoded.index.size(db)).toBe(index.size(db));
      for (let pos = 0; pos < index.size(db); pos++) expect(decoded.index.entry(db, pos)).toEqual(index.entry(db, pos));
    }
    expect(decoded.index.find(3, Buffer.from('c2'))).toBe(1);
    expect(decoded.index.find(0, Buffer.from('c2'))).toBe(-1);
    expect(decoded.index.expiries(3, 0)).toEqual({ expired: 0, live: 2, ttlSumMs: 50 });
  });

  it("writes the file over the pass's own rows when they were grown with room for it (the DR index), the same bytes as into a buffer of its own", () => {
    // Seeded: names of 0-39 random bytes and a number in databases 0, 2 and 5 (ascending, as a server writes them), a third with an expiry.
    let seed = 7;
    const next = (m: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % m;
    };
    const keys = Array.from({ length: 9_000 }, (_, i) => ({
      db: i < 3_000 ? 0 : i < 3_100 ? 2 : 5,
      // Unique: its number after the random bytes.
      name: Buffer.concat([Buffer.from(Array.from({ length: next(40) }, () => next(256))), Buffer.from(`:${i}`)]),
      type: next(20),
      valueAt: 100 + i * 50,
      valueEnd: 130 + i * 50,
      expireAtMs: i % 3 === 0 ? 1_700_000_000_000 + next(1e6) : null,
    }));
    const BIG = { ...COPY, bytes: 100 + keys.length * 50 };
    const plain = new KeyIndexBuilder();
    const sized = new KeyIndexBuilder();
    // The share of the keys read so far: at their first growth the rows grow to the whole index file's bytes.
    let added = 0;
    sized.growBy({ share: () => added / keys.length, rowsBytes: indexBytesFor });
    for (const k of keys) {
      plain.add(k);
      sized.add(k);
      added++;
    }
    const expected = encodeKeyIndex(plain.finish(11), BIG, false);
    const index = sized.finish(11);
    const rows = index.columns().rows;
    // Without leave to overwrite the rows: a buffer of its own.
    // (Compared as booleans: a failing toBe would print both buffers.)
    expect(encodeKeyIndex(index, BIG, false).buffer === rows.buffer).toBe(false);
    const file = encodeKeyIndex(index, BIG, false, MAGIC, true);
    expect(file.buffer === rows.buffer).toBe(true);
    expect(file.equals(expected)).toBe(true);
    const decoded = indexInMemory(file, BIG);
    if (!('index' in decoded)) throw new Error(decoded.problem);
    for (const k of keys) expect(decoded.index.entry(k.db, decoded.index.find(k.db, k.name))).toEqual(k);
    // Rows without that room (grown by doubling): written into a buffer of their own, the same bytes.
    const small = new KeyIndexBuilder();
    for (const k of keys) small.add(k);
    const smallIndex = small.finish(11);
    const own = encodeKeyIndex(smallIndex, BIG, false, MAGIC, true);
    expect(own.buffer === smallIndex.columns().rows.buffer).toBe(false);
    expect(own.equals(expected)).toBe(true);
    // A guess no buffer can hold (first keys that mislead): dropped for the doubling, the same index.
    const greedy = new KeyIndexBuilder();
    greedy.growBy({ share: () => 1 / 64, rowsBytes: () => 2 ** 60 });
    for (const k of keys) greedy.add(k);
    expect(encodeKeyIndex(greedy.finish(11), BIG, false, MAGIC, true).equals(expected)).toBe(true);
  });

  it('refuses an RDRKEYS2 file whose keys are not in name order (a build sorted some wrongly): at open, or when a lookup reads the block', () => {
    const sorted = nameOrdered(indexOf(Array.from({ length: 200 }, (_, i) => Buffer.from(`k:${String(i).padStart(3, '0')}`))));
    const c = sorted.columns();
    /** The RDRKEYS2 file of `sorted` with positions `a` and `b` swapped (blocks of 64: 0–63, 64–127 …). */
    const swapped = (a: number, b: number) => {
      const order = Uint32Array.from(c.order!);
      [order[a], order[b]] = [order[b]!, order[a]!];
      return indexInMemory(encodeKeyIndex(new ColumnKeyIndex(11, { ...c, order }), COPY, false, NAME_ORDER_MAGIC), COPY, 'test.keys');
    };
    // Two blocks' first names swapped: the directory shows it.
    expect(swapped(0, 64)).toEqual({ problem: NOT_IN_ORDER });
    // Two names inside block 0: found when the block is read; the other blocks still answer.
    const inside = swapped(10, 11);
    if (!('index' in inside)) throw new Error(inside.problem);
    expect(() => inside.index.find(0, Buffer.from('k:005'))).toThrow(/^the key index test\.keys: its keys are not in name order/);
    expect(inside.index.find(0, Buffer.from('k:140'))).toBe(140);
    // Block 0's last name past block 1's first (each block ascending within itself): block 0 is refused.
    const across = swapped(63, 130);
    if (!('index' in across)) throw new Error(across.problem);
    expect(() => across.index.find(0, Buffer.from('k:001'))).toThrow(/not in name order/);
    // In order: every key found.
    const fine = indexInMemory(nameOrderFile(sorted, COPY), COPY);
    if (!('index' in fine)) throw new Error(fine.problem);
    for (let i = 0; i < 200; i += 7) expect(fine.index.find(0, Buffer.from(`k:${String(i).padStart(3, '0')}`))).toBe(i);
  });

  it('confirms the name behind a matching hash: two names of one hash both found, a name only sharing a hash not answered', () => {
    const [a, c] = collidingNames();
    expect(a.equals(c)).toBe(false);
    const others = Array.from({ length: 300 }, (_, i) => Buffer.from(`other:${i}`));
    // Only `a` indexed: `c`'s hash matches its entry, the name in its block does not.
    const one = indexOf([...others, a]);
    const file = indexInMemory(encodeKeyIndex(one, COPY, false), COPY);
    if (!('index' in file)) throw new Error(file.problem);
    expect(file.index.find(0, c)).toBe(-1);
    // The hash block and the block behind the matching entry were read: the name was checked there.
    expect(file.index.blocksRead).toBe(2);
    expect(file.index.find(0, a)).toBe(300);
    expect(one.find(0, c)).toBe(-1);
    expect(one.find(0, a)).toBe(300);
    // Both indexed, in blocks apart: each found at its own position.
    const both = indexOf([a, ...others, c]);
    const bothFile = indexInMemory(encodeKeyIndex(both, COPY, false), COPY);
    if (!('index' in bothFile)) throw new Error(bothFile.problem);
    for (const index of [both, bothFile.index]) {
      expect(index.find(0, a)).toBe(0);
      expect(index.find(0, c)).toBe(301);
      expect(index.firstDuplicate()).toBeUndefined();
    }
    // A twin (same name twice) is found by its hash, and told apart from a collision.
    const twins = indexInMemory(encodeKeyIndex(indexOf([a, ...others, c, a]), COPY, false), COPY);
    if (!('index' in twins)) throw new Error(twins.problem);
    expect(twins.index.firstDuplicate()?.equals(a)).toBe(true);
  });

  it.each([
    [MAGIC, 'CRC-32'],
    [CRC64_MAGIC, 'CRC-64'],
    [WIDE_ROWS_MAGIC, 'SHA-256'],
  ] as const)('refuses a changed hash block of an %s file when a lookup reads it (its %s in the directory), never answering from it', (layout, sum) => {
    const index = indexOf(Array.from({ length: 2000 }, (_, i) => Buffer.from(`k:${i}`)));
    const file = encodeKeyIndex(index, COPY, false, layout);
    // The lookup section lies after the blocks: 2,000 rows and names.
    const names = Array.from({ length: 2000 }, (_, i) => `k:${i}`.length).reduce((s, l) => s + l, 0);
    const hashAt = layout.length + 2000 * FORMS[layout].row + names;
    const changed = Buffer.from(file);
    // An entry's row number pointed at another key (what a rewrite of the section to misdirect a lookup would do).
    changed.writeUInt32LE(7, hashAt + HASH_ROW + 4);
    const opened = indexInMemory(changed, COPY, 'test.keys');
    if (!('index' in opened)) throw new Error(opened.problem);
    const victimRow = file.readUInt32LE(hashAt + HASH_ROW + 4);
    expect(() => opened.index.find(0, index.nameAt(0, victimRow))).toThrow(
      `the key index test.keys: hash block 0 does not match its ${sum} in the index's directory (changed or damaged); not served`,
    );
    // The unchanged file answers the same lookup.
    const clean = indexInMemory(file, COPY);
    if (!('index' in clean)) throw new Error(clean.problem);
    expect(clean.index.find(0, index.nameAt(0, victimRow))).toBe(victimRow);
  });

  it.each([
    [MAGIC, 'CRC-32'],
    [CRC64_MAGIC, 'CRC-64'],
    [WIDE_ROWS_MAGIC, 'SHA-256'],
  ] as const)('refuses a changed block of rows and names of an %s file (its %s) when a lookup reaches it', (layout, sum) => {
    const index = indexOf(Array.from({ length: 200 }, (_, i) => Buffer.from(`k:${i}`)));
    const file = encodeKeyIndex(index, COPY, false, layout);
    const at = file.indexOf('k:150', layout.length);
    // A name's byte, and (RDRKEYS4 and after) a row's byte: each refused.
    const name = Buffer.from(file);
    name[at + 2]! ^= 1;
    const row = Buffer.from(file);
    // Key 150's row (block 2 holds keys 128-191, its rows before its names): a byte of its value's start.
    row[file.indexOf('k:128k:129', layout.length) - 64 * FORMS[layout].row + 22 * FORMS[layout].row + 5]! ^= 0x10;
    for (const changed of [name, row]) {
      const opened = indexInMemory(changed, COPY);
      if (!('index' in opened)) throw new Error(opened.problem);
      expect(() => opened.index.find(0, Buffer.from('k:150'))).toThrow(`block 2 does not match its ${sum}`);
      expect(opened.index.find(0, Buffer.from('k:1'))).toBe(1);
    }
  });

  it.each([MAGIC, CRC64_MAGIC, WIDE_ROWS_MAGIC, NAME_ORDER_MAGIC] as const)(
    'refuses an %s file of another copy, damaged, truncated, of another layout or none, saying why',
    (layout) => {
      const file = layout === NAME_ORDER_MAGIC ? nameOrderFile(build(), COPY) : encodeKeyIndex(build(), COPY, false, layout);
      expect(indexInMemory(file, { ...COPY, trailer: 'fedcba9876543210' })).toEqual({
        problem: 'it indexes another copy (1000 bytes, CRC-64 0123456789abcdef; the copy: 1000 bytes, CRC-64 fedcba9876543210)',
      });
      expect(indexInMemory(file, { ...COPY, bytes: 999 })).toMatchObject({ problem: expect.stringMatching(/^it indexes another copy/) });
      const damaged = Buffer.from(file);
      damaged[damaged.length - FOOTER - 3]! ^= 1;
      expect(indexInMemory(damaged, COPY)).toEqual({ problem: 'its directory does not match its SHA-256 (damaged)' });
      const moved = Buffer.from(file);
      moved.writeDoubleLE(file.length, file.length - FOOTER);
      expect(indexInMemory(moved, COPY)).toEqual({ problem: 'its footer points outside it (damaged)' });
      const layoutProblem = { problem: 'not a redis-dr key index of a layout read by blocks (RDRKEYS2, RDRKEYS3, RDRKEYS4, RDRKEYS5)' };
      expect(indexInMemory(Buffer.from(`${OLD_MAGIC} an index of the layout before, long enough to be read as one`), COPY)).toEqual(layoutProblem);
      // Cut short (a partial upload): its footer is gone.
      expect(indexInMemory(file.subarray(0, file.length - 5), COPY)).toEqual(layoutProblem);
      // A foreign magic at the end (a later layout, or another file): never read as this one.
      const foreign = Buffer.from(file);
      foreign.write('RDRKEYS9', foreign.length - 8, 'latin1');
      expect(indexInMemory(foreign, COPY)).toEqual(layoutProblem);
      // Read as the other layout (its footer's magic rewritten, the directory's SHA-256 still right): its shape does not fit.
      const other = Buffer.from(file);
      other.write(layout === NAME_ORDER_MAGIC ? MAGIC : NAME_ORDER_MAGIC, other.length - 8, 'latin1');
      expect(indexInMemory(other, COPY)).toMatchObject({
        problem: expect.stringMatching(/^(its (length does not fit|header lacks the bits)|block 0's entry does not fit)/),
      });
      // Bytes cut from the middle (the footer intact): the directory is read where it no longer is.
      const cut = Buffer.concat([file.subarray(0, 20), file.subarray(40)]);
      expect(indexInMemory(cut, COPY)).toMatchObject({ problem: expect.stringMatching(/damaged|outside/) });
      expect(indexInMemory(Buffer.from('REDIS'), COPY)).toEqual({ problem: 'not a redis-dr key index' });
    },
  );

  it.each([
    [MAGIC, 'CRC-32'],
    [CRC64_MAGIC, 'CRC-64'],
    [WIDE_ROWS_MAGIC, 'SHA-256'],
  ] as const)(
    'refuses an %s directory that lies, its own SHA-256 made to match: every check of it fails without that check (blocks: %s)',
    (layout: Layout, sum) => {
      const file = encodeKeyIndex(build(), COPY, false, layout);
      const f = FORMS[layout];
      /** The block checksum of `b`, as the layout's entries hold it. */
      const blockSum = (b: Buffer): Buffer => {
        if (f.sum === 'sha256') return createHash('sha256').update(b).digest();
        if (f.sum === 'crc32') {
          const out = Buffer.alloc(4);
          out.writeUInt32LE(crc32(b, 0, b.length));
          return out;
        }
        const out = Buffer.alloc(8);
        new Crc64().update(b).writeLittleEndian(out, 0);
        return out;
      };
      const footerAt = file.length - FOOTER;
      const directoryAt = file.readDoubleLE(footerAt);
      const entriesAt = directoryAt + 4 + file.readUInt32LE(directoryAt);
      const sha = (b: Buffer): Buffer => createHash('sha256').update(b).digest();
      /** `file` changed by `edit`, the directory's SHA-256 in the footer computed again (a writer's bug, not damage). */
      const lying = (edit: (f: Buffer) => void): Buffer => {
        const f = Buffer.from(file);
        edit(f);
        sha(f.subarray(directoryAt, footerAt)).copy(f, footerAt + 8);
        return f;
      };
      const opened = (f: Buffer) => {
        const o = indexInMemory(f, COPY);
        if (!('index' in o)) throw new Error(o.problem);
        return o.index;
      };
      // A block's entry placing it one byte off.
      const moved = lying((f) => f.writeDoubleLE(f.readDoubleLE(entriesAt) + 1, entriesAt));
      expect(indexInMemory(moved, COPY)).toEqual({ problem: "block 0's entry does not fit the blocks before it (damaged)" });
      // A key more in the header than in the blocks (the same digits: the entries stay where they are).
      const header = file.toString('utf8', directoryAt + 4, entriesAt);
      expect(header).toContain('"keys":3,');
      const more = lying((f) => f.write(header.replace('"keys":3,', '"keys":4,'), directoryAt + 4, 'utf8'));
      expect(indexInMemory(more, COPY)).toEqual({ problem: 'its blocks do not hold its 4 keys' });
      // A block's checksum in its entry not the block's: the lookup reaching it refuses it.
      const badSum = lying((f) => {
        f[entriesAt + 52]! ^= 1;
      });
      expect(() => opened(badSum).find(0, Buffer.from('zeta'))).toThrow(`block 0 does not match its ${sum}`);
      expect(opened(badSum).find(3, Buffer.from([0, 0xff, 0x0a]))).toBe(0);
      // A block whose rows put a value past the copy's end, its checksum in the entry made to match: refused, never served.
      const outside = lying((x) => {
        const at = x.readDoubleLE(entriesAt);
        if (f.row === LEGACY_ROW.bytes) x.writeDoubleLE(COPY.bytes + 1, at + LEGACY_ROW.end);
        else x.writeUIntLE(COPY.bytes, at + R_LENGTH, 5);
        blockSum(x.subarray(at, at + x.readUInt32LE(entriesAt + 8))).copy(x, entriesAt + 52);
      });
      expect(() => opened(outside).find(0, Buffer.from('zeta'))).toThrow(/block 0's key 0 lies outside the copy/);
      // A hash block's checksum not its bytes: the lookup through it refuses it.
      const hashEntriesAt = entriesAt + 2 * f.entry;
      const badHash = lying((x) => {
        x[hashEntriesAt + 12]! ^= 1;
      });
      expect(() => opened(badHash).find(0, Buffer.from('zeta'))).toThrow(`hash block 0 does not match its ${sum}`);
    },
  );

  it('ties an index only to a copy with a CRC-64', () => {
    expect(indexableTrailer('0123456789abcdef')).toBe(true);
    expect(indexableTrailer('0000000000000000')).toBe(false);
    expect(indexableTrailer('')).toBe(false);
  });
});
