/**
 * The index file names the blocks holding hashes with field TTLs (RDB types
 * 22–25), so serve's first DBSIZE on an S3 copy reads those blocks and
 * hashes only, not every block of the index; an index without the list (one
 * written before it) is walked whole, with the same count.
 */
import { describe, expect, it } from 'vitest';
import { FieldTtlHashes, type ServeContext, type Session } from '../../../../lambdas/domain/serve/context.js';
import { RANDOM_COMMANDS } from '../../../../lambdas/domain/serve/commands-random.js';
import { R, type Reply } from '../../../../lambdas/domain/serve/resp.js';
import { BLOCK, FOOTER, readDirectory, readFooter } from '../../../../lambdas/domain/serve/index-file.js';
import { encodeKeyIndex } from '../../../../lambdas/domain/serve/index-write.js';
import { KeyIndexBuilder } from '../../../../lambdas/domain/serve/key-index.js';
import { PagedKeyIndex, settle } from '../../../../lambdas/domain/serve/paged-index.js';

const COPY = { bytes: 10_000_000, trailer: '0123456789abcdef' };
const N = 2_000;
const NOW = 1_800_000_000_000;
/** The hashes with field TTLs, by position: two in block 10, one in block 23 (and its neighbour 24 by position 1536). */
const TIMED = new Map([
  [700, NOW - 1],
  [701, NOW + 60_000],
  [1500, NOW - 5],
  [1536, NOW - 5],
]);

function indexFile(rdbVersion: number): Buffer {
  const b = new KeyIndexBuilder();
  for (let i = 0; i < N; i++)
    b.add({ db: 0, name: Buffer.from(`k:${i}`), type: TIMED.has(i) ? 24 : 0, valueAt: i * 10, valueEnd: i * 10 + 5, expireAtMs: null });
  return encodeKeyIndex(b.finish(rdbVersion), COPY, false);
}

function paged(file: Buffer, keepList = true): PagedKeyIndex {
  const footer = readFooter(file, file.length);
  if ('problem' in footer) throw new Error(footer.problem);
  const d = readDirectory(file.subarray(footer.at, file.length - FOOTER), footer.sha256, footer.at, COPY, footer.layout);
  if ('problem' in d) throw new Error(d.problem);
  const directory = keepList ? d : { ...d, header: { ...d.header, fieldTtlBlocks: undefined } };
  const readNow = (o: number, l: number) => Buffer.from(file.subarray(o, o + l));
  return new PagedKeyIndex(directory, COPY, { readNow, read: async (o, l) => readNow(o, l) }, 'test.keys');
}

/** A hash whose one field expires at TIMED's time for its position (its value offset / 10). */
const value = (k: { valueAt: number }) => ({
  type: 'hash' as const,
  fields: [[Buffer.from('f'), Buffer.from('v')]] as [Buffer, Buffer][],
  fieldExpireAtMs: [TIMED.get(k.valueAt / 10)!],
});

describe('the blocks holding hashes with field TTLs, in the index file', () => {
  it('are named in its directory for a file of RDB 12 and on, not for an older one', () => {
    const file = indexFile(12);
    const footer = readFooter(file, file.length) as { at: number; sha256: Buffer; layout: 'RDRKEYS3' };
    const d = readDirectory(file.subarray(footer.at, file.length - FOOTER), footer.sha256, footer.at, COPY, footer.layout);
    expect('problem' in d).toBe(false);
    // Positions 700-701 in block 10, 1500 in 23, 1536 in 24: runs [10, 11) and [23, 25).
    expect(Math.floor(700 / BLOCK)).toBe(10);
    expect(!('problem' in d) && d.header.fieldTtlBlocks).toEqual([10, 11, 23, 25]);
    expect(paged(file).fieldTtlRuns(0)).toEqual([
      [640, 704],
      [1472, 1600],
    ]);
    expect(indexFile(10).toString('latin1')).not.toContain('fieldTtlBlocks');
  });

  it("let DBSIZE's count read those blocks only; without the list every block is walked, for the same count", async () => {
    for (const [keepList, blocks] of [
      [true, 3],
      [false, Math.ceil(N / BLOCK)],
    ] as const) {
      const index = paged(indexFile(12), keepList);
      const hashes = new FieldTtlHashes(index, value);
      await settle(() => hashes.learn(0, 0, N));
      expect(hashes.known(0)).toBe(true);
      // 700 (NOW - 1), 1500 and 1536 have no field left at NOW; 701 has.
      expect([keepList, hashes.gone(0, NOW)]).toEqual([keepList, 3]);
      expect([keepList, index.blocksRead]).toEqual([keepList, blocks]);
    }
  });
});

describe('RANDOMKEY over an S3 copy whose hashes with field TTLs are not read yet', () => {
  /** An index of N hashes with field TTLs; `live` the positions of those with a field left at NOW, the others all gone. */
  function pointOf(live: ReadonlySet<number>) {
    const b = new KeyIndexBuilder();
    for (let i = 0; i < N; i++) b.add({ db: 0, name: Buffer.from(`h:${i}`), type: 24, valueAt: i * 10, valueEnd: i * 10 + 5, expireAtMs: null });
    const index = paged(Buffer.from(encodeKeyIndex(b.finish(12), COPY, false)));
    const reads = { done: 0, inFlight: 0, most: 0 };
    const hashes = new FieldTtlHashes(index, async (k) => {
      reads.inFlight++;
      reads.most = Math.max(reads.most, reads.inFlight);
      await new Promise((r) => setImmediate(r));
      reads.inFlight--;
      reads.done++;
      return { type: 'hash', fields: [[Buffer.from('f'), Buffer.from('v')]], fieldExpireAtMs: [live.has(k.valueAt / 10) ? NOW + 60_000 : NOW - 1] };
    });
    const ctx = { index, hashes, now: () => NOW } as unknown as ServeContext;
    return { ctx, reads, index };
  }

  /** RANDOMKEY's answer and how many times it ran (once more for each read it waited for). */
  async function randomKey(ctx: ServeContext): Promise<{ answer: Reply; runs: number }> {
    let runs = 0;
    const answer = await settle(() => {
      runs++;
      return RANDOM_COMMANDS.randomkey!.run(ctx, { db: 0 } as Session, [Buffer.from('RANDOMKEY')]);
    });
    return { answer, runs };
  }

  it('reads the hashes its tries meet together, then every one of the database for its walk: a few runs, not one a hash (was one a hash)', async () => {
    const { ctx, reads, index } = pointOf(new Set());
    const { answer, runs } = await randomKey(ctx);
    expect(answer).toEqual(R.null);
    // Each hash read once, READS_AT_ONCE (16) in flight; runs: one per index block fetched (32 blocks), not one per hash.
    expect([reads.done, reads.most]).toEqual([N, 16]);
    expect(index.blocksRead).toBe(Math.ceil(N / BLOCK));
    expect(runs).toBeLessThanOrEqual(Math.ceil(N / BLOCK) + 2);
    // Once read, they are known: the next RANDOMKEY runs once and reads nothing.
    expect(await randomKey(ctx)).toEqual({ answer: R.null, runs: 1 });
    expect(reads.done).toBe(N);
  });

  it('answers the one hash with a field left (negative: not null), found by its walk', async () => {
    const { ctx } = pointOf(new Set([1234]));
    const { answer } = await randomKey(ctx);
    expect(answer).toEqual(R.bulk(Buffer.from('h:1234')));
  });
});
