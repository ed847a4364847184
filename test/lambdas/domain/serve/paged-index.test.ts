import { describe, expect, it } from 'vitest';
import { BLOCK, CRC64_MAGIC, FORMS, type Layout, MAGIC, NAME_ORDER_MAGIC, WIDE_ROWS_MAGIC } from '../../../../lambdas/domain/serve/index-file.js';
import { encodeKeyIndex } from '../../../../lambdas/domain/serve/index-write.js';
import { KeyIndexBuilder } from '../../../../lambdas/domain/serve/key-index.js';
import { BlockPending, indexInMemory, PagedKeyIndex, settle } from '../../../../lambdas/domain/serve/paged-index.js';
import { FOOTER, readDirectory, readFooter } from '../../../../lambdas/domain/serve/index-file.js';
import { nameOrdered } from '../../../support/name-ordered-index.js';

const COPY = { bytes: 10_000_000, trailer: '0123456789abcdef' };
const N = 20_000;

/**
 * N keys over three databases, a third of them with an expiry, names of varied length: held whole, and as an index
 * file of `layout` (`RDRKEYS2`: the keys put in name order first, as its writer had them; `whole` then in that order).
 */
function build(layout: Layout) {
  const b = new KeyIndexBuilder();
  for (let i = 0; i < N; i++)
    b.add({
      db: i % 3 === 0 ? 5 : i % 2,
      name: Buffer.from(`user:${(i * 7919) % N}:${'x'.repeat(i % 13)}`),
      type: i % 5,
      valueAt: i * 100,
      valueEnd: i * 100 + 50,
      expireAtMs: i % 3 === 1 ? 1_000 + i : null,
    });
  const whole = layout !== NAME_ORDER_MAGIC ? b.finish(10) : nameOrdered(b.finish(10));
  return { whole, file: encodeKeyIndex(whole, COPY, false, layout) };
}

/** The file opened through a reader that counts its reads: at once (a local file) or as promises (S3's ranged GETs). */
function open(file: Buffer, at: 'now' | 'later') {
  const footer = readFooter(file, file.length);
  if ('problem' in footer) throw new Error(footer.problem);
  const d = readDirectory(file.subarray(footer.at, file.length - FOOTER), footer.sha256, footer.at, COPY, footer.layout);
  if ('problem' in d) throw new Error(d.problem);
  const reads: number[] = [];
  const readNow = (offset: number, length: number): Buffer => {
    reads.push(length);
    return Buffer.from(file.subarray(offset, offset + length));
  };
  const paged = new PagedKeyIndex(
    d,
    COPY,
    at === 'now' ? { readNow, read: async (o, l) => readNow(o, l) } : { read: async (o, l) => readNow(o, l) },
    'test.keys',
  );
  return { paged, reads };
}

describe.each([MAGIC, CRC64_MAGIC, WIDE_ROWS_MAGIC, NAME_ORDER_MAGIC] as const)('PagedKeyIndex of an %s file', (layout) => {
  const { whole, file } = build(layout);
  /** Blocks a lookup reads: an RDRKEYS3/4/5 file's hash block, then the key's block; an RDRKEYS2 file's block alone. */
  const perLookup = layout !== NAME_ORDER_MAGIC ? 2 : 1;
  /** The name of the layout's block checksum in messages. */
  const sum = layout === MAGIC ? 'CRC-32' : layout === CRC64_MAGIC ? 'CRC-64' : 'SHA-256';

  it('answers every lookup and count as the index held whole does, reading the file by blocks', () => {
    const { paged } = open(file, 'now');
    expect(paged.keys).toBe(N);
    expect(paged.storedBytes).toBe(whole.storedBytes);
    expect(paged.databases()).toEqual(whole.databases());
    for (const db of whole.databases()) {
      expect(paged.size(db)).toBe(whole.size(db));
      for (const now of [0, 1_000 + N / 2, 1_000 + N]) expect(paged.expiries(db, now)).toEqual(whole.expiries(db, now));
      // Every entry and every name's lookup, in the same order of calls, held equal in one assertion each: two
      // assertions a key (80,000 a file) cost more than the lookups they checked (about half this file's CPU).
      const held = { entries: [] as unknown[], found: [] as number[] };
      const expected = { entries: [] as unknown[], found: [] as number[] };
      for (let pos = 0; pos < whole.size(db); pos++) {
        const e = whole.entry(db, pos);
        held.entries.push(paged.entry(db, pos));
        held.found.push(paged.find(db, e.name));
        expected.entries.push(e);
        expected.found.push(pos);
      }
      expect(held).toEqual(expected);
      expect(paged.find(db, Buffer.from('user:-1'))).toBe(-1);
      expect(paged.find(db, Buffer.from('zzz'))).toBe(-1);
      expect(paged.find(db, Buffer.from(''))).toBe(-1);
    }
    expect(paged.find(9, Buffer.from('user:1:x'))).toBe(-1);
    expect(paged.firstDuplicate()).toBeUndefined();
  });

  it('does not load the index: opening reads nothing past the directory, a lookup one block (its rows and names at once; in RDRKEYS3 after its hash block)', () => {
    const { paged, reads } = open(file, 'now');
    expect(reads).toEqual([]);
    const name = whole.nameAt(1, 1234);
    expect(paged.find(1, name)).toBe(1234);
    expect(paged.blocksRead).toBe(perLookup);
    expect(reads).toHaveLength(perLookup);
    for (const r of reads) expect(r).toBeLessThan(BLOCK * (FORMS[layout].row + 30));
    // The same key again: from the blocks kept.
    paged.entry(1, 1234);
    paged.find(1, name);
    expect(reads).toHaveLength(perLookup);
    // Counting live keys reads only the blocks whose expiries straddle the clock: none before every expiry or after them all.
    paged.expiries(1, 0);
    paged.expiries(1, 1_000 + N);
    expect(reads).toHaveLength(perLookup);
  });

  it('a block whose every key expires at the clock itself counts them live (a key is gone once its time has passed), one millisecond later expired', () => {
    const b = new KeyIndexBuilder();
    for (let i = 0; i < BLOCK * 2; i++) b.add({ db: 0, name: Buffer.from(`k${i}`), type: 0, valueAt: i * 10, valueEnd: i * 10 + 5, expireAtMs: 5_000 });
    const same = layout !== NAME_ORDER_MAGIC ? b.finish(10) : nameOrdered(b.finish(10));
    const { paged } = open(encodeKeyIndex(same, COPY, false, layout), 'now');
    expect([paged.expiries(0, 5_000), paged.expiries(0, 5_001)]).toEqual([
      { expired: 0, live: BLOCK * 2, ttlSumMs: 0 },
      { expired: BLOCK * 2, live: 0, ttlSumMs: 0 },
    ]);
  });

  it('keeps the blocks of a local index up to a byte budget (a GET missing them paid a read and a decode each), those fetched from S3 up to 256', async () => {
    // Blocks never span databases.
    const blocks = whole.databases().reduce((n, db) => n + Math.ceil(whole.size(db) / BLOCK), 0);
    expect(blocks).toBeGreaterThan(256);
    // Each block's first name looked up, and the positions found held equal once a walk: settle runs the walk again
    // after each block read from S3, and an expect() a lookup was about 20,000 a layout (7-27 us of CPU each).
    const starts: [number, number][] = [];
    for (const db of whole.databases()) for (let pos = 0; pos < whole.size(db); pos += BLOCK) starts.push([db, pos]);
    const lookUpAll = async (paged: PagedKeyIndex) => {
      const found = await settle(() => starts.map(([db, pos]) => [db, paged.find(db, whole.nameAt(db, pos))]));
      expect(found).toEqual(starts);
    };
    // RDRKEYS3: its hash blocks too (64 for 20,000 keys), each read once.
    const hashBlocks = layout !== NAME_ORDER_MAGIC ? 64 : 0;
    const local = open(file, 'now');
    await lookUpAll(local.paged);
    expect(local.paged.blocksRead).toBeGreaterThanOrEqual(blocks);
    expect(local.paged.blocksRead).toBeLessThanOrEqual(blocks + hashBlocks);
    const once = local.paged.blocksRead;
    // Every block again: all kept (315 blocks of about 1 MB together, within the budget), no read.
    await lookUpAll(local.paged);
    expect(local.paged.blocksRead).toBe(once);
    const s3 = open(file, 'later');
    await lookUpAll(s3.paged);
    const first = s3.paged.blocksRead;
    // From S3 only the last 256 are kept: the first ones are fetched again.
    await lookUpAll(s3.paged);
    expect(s3.paged.blocksRead).toBeGreaterThan(first);
  });

  it('from S3 (reads are promises): a lookup waits for its block (BlockPending), settle answers it, one read a block', async () => {
    const { paged, reads } = open(file, 'later');
    const name = whole.nameAt(0, 4321);
    expect(() => paged.find(0, name)).toThrow(BlockPending);
    expect(await settle(() => paged.entry(0, paged.find(0, name)))).toEqual(whole.entry(0, 4321));
    expect(reads).toHaveLength(perLookup);
    // At hand now: at once, no promise.
    expect(paged.find(0, name)).toBe(4321);
    expect(reads).toHaveLength(perLookup);
  });

  it('from S3, a walk over more blocks than it keeps ends, in growing runs of blocks, not a read a block', async () => {
    const { paged, reads } = open(file, 'later');
    const db = 5;
    const blocks = Math.ceil(whole.size(db) / BLOCK);
    expect(blocks).toBeGreaterThan(256 / 3);
    let runs = 0;
    const names = await settle(() => {
      runs++;
      const out: string[] = [];
      for (let pos = 0; pos < paged.size(db); pos++) out.push(paged.nameAt(db, pos).toString());
      return out;
    });
    expect(names).toEqual(Array.from({ length: whole.size(db) }, (_, pos) => whole.nameAt(db, pos).toString()));
    expect(reads.length).toBeLessThan(Math.log2(blocks) + 2);
    expect(runs).toBe(reads.length + 1);
    // Every database in one walk: more blocks (313) than it keeps (256), each held while the walk runs again.
    expect(Math.ceil(N / BLOCK)).toBeGreaterThan(256);
    const all = await settle(() => {
      let n = 0;
      for (const d of paged.databases()) for (let pos = 0; pos < paged.size(d); pos++) n += paged.nameAt(d, pos).length > 0 ? 1 : 0;
      return n;
    });
    expect(all).toBe(N);
    expect(await settle(() => paged.firstDuplicate())).toBeUndefined();
  });

  it('refuses a changed block when it reads it (its checksum in the directory), never serving it; the other blocks still answer', async () => {
    const changed = Buffer.from(file);
    const target = whole.nameAt(1, 3000);
    // The name's bytes in its block: one letter changed (what a silent rewrite of the index would do).
    const at = changed.indexOf(target, 8);
    expect(at).toBeGreaterThan(0);
    changed[at]! ^= 0x20;
    for (const mode of ['now', 'later'] as const) {
      const { paged } = open(changed, mode);
      const lookup = settle(() => paged.find(1, target));
      await expect(lookup).rejects.toThrow(
        new RegExp(`^the key index test\\.keys: block \\d+ does not match its ${sum} in the index's directory \\(changed or damaged\\); not served`),
      );
      const other = whole.nameAt(1, 10);
      expect(await settle(() => paged.find(1, other))).toBe(10);
    }
    // Held whole in memory too (the read-back of a backup's index).
    const held = indexInMemory(changed, COPY);
    if (!('index' in held)) throw new Error(held.problem);
    expect(() => held.index.find(1, target)).toThrow(`does not match its ${sum}`);
  });
});
