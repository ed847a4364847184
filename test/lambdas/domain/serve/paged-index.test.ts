import { describe, expect, it } from 'vitest';
import { decodeKeyIndex, encodeKeyIndex } from '../../../../lambdas/domain/serve/index-file.js';
import { BLOCK, IndexScan, type ScannedIndex } from '../../../../lambdas/domain/serve/index-scan.js';
import { KeyIndexBuilder } from '../../../../lambdas/domain/serve/key-index.js';
import { PagedKeyIndex } from '../../../../lambdas/domain/serve/paged-index.js';

const COPY = { bytes: 10_000_000, trailer: '0123456789abcdef' };
const N = 10_000;

/** An index file of N keys over three databases, a third of them with an expiry, names of varied length. */
function indexFile(): Buffer {
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
  return encodeKeyIndex(b.finish(10), COPY, false);
}

/** The file scanned in chunks of `chunk` bytes (rows cut across chunks). */
function scan(file: Buffer, chunk: number): ScannedIndex | { problem: string } {
  const s = new IndexScan(file.length, COPY);
  for (let at = 0; at < file.length; at += chunk) s.push(file.subarray(at, at + chunk));
  return s.finish();
}

describe('PagedKeyIndex', () => {
  const file = indexFile();
  const whole = decodeKeyIndex(file, COPY);
  if (!('index' in whole)) throw new Error(whole.problem);

  it('answers every lookup as the index decoded whole does, reading the file by blocks', () => {
    const scanned = scan(file, 777);
    if ('problem' in scanned) throw new Error(scanned.problem);
    const paged = new PagedKeyIndex(scanned, (at, n) => file.subarray(at, at + n));
    expect(paged.keys).toBe(N);
    expect(paged.storedBytes).toBe(whole.index.storedBytes);
    expect(paged.databases()).toEqual(whole.index.databases());
    for (const db of whole.index.databases()) {
      expect(paged.size(db)).toBe(whole.index.size(db));
      expect([...paged.withExpiry(db)]).toEqual([...whole.index.withExpiry(db)]);
      for (let pos = 0; pos < whole.index.size(db); pos++) {
        const e = whole.index.entry(db, pos);
        expect(paged.entry(db, pos)).toEqual(e);
        expect(paged.find(db, e.name)).toBe(pos);
      }
      expect(paged.find(db, Buffer.from('user:-1'))).toBe(-1);
      expect(paged.find(db, Buffer.from('zzz'))).toBe(-1);
      expect(paged.find(db, Buffer.from(''))).toBe(-1);
    }
    expect(paged.find(9, Buffer.from('user:1:x'))).toBe(-1);
    expect(paged.firstDuplicate()).toBeUndefined();
  });

  it('does not load the index: opening reads one name a block, a lookup one block (rows and names)', () => {
    const scanned = scan(file, 1 << 16);
    if ('problem' in scanned) throw new Error(scanned.problem);
    let bytes = 0;
    let reads = 0;
    const paged = new PagedKeyIndex(scanned, (at, n) => {
      bytes += n;
      reads++;
      return Buffer.from(file.subarray(at, at + n));
    });
    const blocks = Math.ceil(N / BLOCK);
    // Opening: the first name of each block, nothing else (a few percent of the file).
    expect(reads).toBe(blocks);
    expect(bytes).toBeLessThan(file.length / 20);
    bytes = 0;
    reads = 0;
    const name = whole.index.nameAt(1, 1234);
    expect(paged.find(1, name)).toBe(1234);
    expect(paged.blocksRead).toBe(1);
    expect(reads).toBe(2);
    expect(bytes).toBeLessThan(BLOCK * 60);
    // The same key again: from the blocks kept.
    paged.entry(1, 1234);
    expect(reads).toBe(2);
  });

  it('refuses a damaged, foreign or cut file as the whole decode does', () => {
    const damaged = Buffer.from(file);
    damaged[damaged.length - 100]! ^= 1;
    expect(scan(damaged, 4096)).toEqual({ problem: 'its SHA-256 does not match its bytes (damaged)' });
    const s = new IndexScan(file.length, { ...COPY, trailer: 'fedcba9876543210' });
    s.push(file);
    expect(s.finish()).toMatchObject({ problem: expect.stringMatching(/^it indexes another copy/) });
    expect(scan(file.subarray(0, file.length - 33), 4096)).toMatchObject({ problem: expect.stringMatching(/does not fit|damaged/) });
  });
});
