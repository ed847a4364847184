import { describe, expect, it } from 'vitest';
import { encodeKeyIndex, FOOTER, indexableTrailer, OLD_MAGIC } from '../../../../lambdas/domain/serve/index-file.js';
import { KeyIndexBuilder } from '../../../../lambdas/domain/serve/key-index.js';
import { indexInMemory } from '../../../../lambdas/domain/serve/paged-index.js';

const COPY = { bytes: 1_000, trailer: '0123456789abcdef' };

function build() {
  const b = new KeyIndexBuilder();
  b.add({ db: 0, name: Buffer.from('zeta'), type: 0, valueAt: 100, valueEnd: 110, expireAtMs: null });
  b.add({ db: 0, name: Buffer.from('alpha'), type: 14, valueAt: 150, valueEnd: 400, expireAtMs: 1_700_000_000_123 });
  b.add({ db: 3, name: Buffer.from([0, 0xff, 0x0a]), type: 4, valueAt: 500, valueEnd: 990, expireAtMs: null });
  return b.finish(11);
}

describe('the key index file', () => {
  it('reads back the index it wrote: every key, database, type, offsets and expiry', () => {
    const index = build();
    const decoded = indexInMemory(encodeKeyIndex(index, COPY, true), COPY);
    if (!('index' in decoded)) throw new Error(decoded.problem);
    expect(decoded.valkey).toBe(true);
    expect(decoded.index.rdbVersion).toBe(11);
    expect(decoded.index.databases()).toEqual([0, 3]);
    expect(decoded.index.storedBytes).toBe(index.storedBytes);
    for (const db of [0, 3]) for (let pos = 0; pos < index.size(db); pos++) expect(decoded.index.entry(db, pos)).toEqual(index.entry(db, pos));
    expect(decoded.index.find(3, Buffer.from([0, 0xff, 0x0a]))).toBe(0);
  });

  it('refuses one of another copy, a damaged directory, the older layout and one that is none, saying why', () => {
    const file = encodeKeyIndex(build(), COPY, false);
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
    expect(indexInMemory(Buffer.from(`${OLD_MAGIC} an index of the layout before, long enough to be read as one`), COPY)).toEqual({
      problem: 'not a redis-dr key index of this layout (RDRKEYS2)',
    });
    expect(indexInMemory(Buffer.from('REDIS'), COPY)).toEqual({ problem: 'not a redis-dr key index' });
  });

  it('ties an index only to a copy with a CRC-64', () => {
    expect(indexableTrailer('0123456789abcdef')).toBe(true);
    expect(indexableTrailer('0000000000000000')).toBe(false);
    expect(indexableTrailer('')).toBe(false);
  });
});
