import { describe, expect, it } from 'vitest';
import { SplitStreamWorker, type SplitStreamOptions } from '../../../../lambdas/adapters/host/rdb-split-stream.js';
import { RdbParser } from '../../../../lambdas/domain/rdb/format/parser.js';
import { mergeProblem, mergeSegment } from '../../../../lambdas/domain/rdb/format/split.js';
import { createRdbVerifier } from '../../../../lambdas/domain/rdb/verifier.js';
import { stringsRdb } from '../../../support/rdb-strings.js';

/** About 1.1 MB of string keys, with its CRC-64. */
const BYTES = new Uint8Array(stringsRdb(2_000, 11));
const CONTEXT = { version: 9, valkey: false, fileTimeMs: -1 };
const HALF = Math.floor(BYTES.length / 2);

function start(from: number, more: Partial<SplitStreamOptions> = {}): SplitStreamWorker {
  return SplitStreamWorker.start({
    size: BYTES.length,
    search: { from },
    maxValueBytes: 1 << 20,
    requireChecksum: true,
    keyDigestsInMemory: 1 << 16,
    context: CONTEXT,
    holdBytes: 64 << 10,
    ...more,
  });
}

/** Feeds the bytes from `from` in pieces of `piece`; `after(at)` runs after each. */
async function feed(worker: SplitStreamWorker, from: number, piece = 16 << 10, after?: (at: number) => void): Promise<void> {
  for (let at = from; at < BYTES.length && !worker.finished; at += piece) {
    await worker.feed(BYTES.subarray(at, at + piece));
    after?.(at + piece);
  }
  worker.end();
}

/** The first parser from byte 0, stopped at `x`, with the worker's segment merged. */
function merged(x: number, outcome: Awaited<SplitStreamWorker['outcome']>): RdbParser {
  const main = new RdbParser(1 << 20, true);
  main.stopAtBoundary(x);
  main.push(BYTES);
  expect(outcome.type).toBe('done');
  if (outcome.type !== 'done') throw new Error('no segment');
  expect(mergeProblem(main, outcome.segment)).toBeNull();
  mergeSegment(main, outcome.segment, (s) => [outcome.shards[s]!]);
  return main;
}

describe('SplitStreamWorker: the split worker fed the bytes by the caller, in pieces, with a bound on what is in flight', () => {
  it('searches the bytes it holds, parses the rest as it comes, and its segment merges into the one-thread report', async () => {
    const worker = start(HALF);
    try {
      await feed(worker, HALF);
      const from = await worker.started;
      expect(from).toBeGreaterThanOrEqual(HALF);
      const main = merged(from!, await worker.outcome);
      const one = createRdbVerifier({ requireChecksum: true });
      one.push(BYTES);
      expect(main.end()).toEqual(one.end());
    } finally {
      await worker.close();
    }
  });

  it('told to pause, ends its segment at its next boundary: the first parser is left paused there with one thread checkpoint', async () => {
    const from0 = HALF;
    const worker = start(from0, { maxInFlightBytes: 32 << 10 });
    try {
      await feed(worker, from0, 16 << 10, (at) => at >= from0 + (200 << 10) && worker.pause());
      const from = (await worker.started)!;
      const main = merged(from, await worker.outcome);
      expect(main.state()).toBe('paused');
      const y = main.pausedAt;
      expect(y).toBeGreaterThan(from0 + (200 << 10));
      expect(y).toBeLessThan(BYTES.length);
      const one = new RdbParser(1 << 20, true);
      one.stopAtBoundary(y);
      one.push(BYTES);
      expect(main.checkpoint()).toEqual(one.checkpoint());
    } finally {
      await worker.close();
    }
  });

  it('no boundary in the bytes it holds (a start inside the trailer): none, and the caller reads alone', async () => {
    const worker = start(BYTES.length - 4);
    try {
      await feed(worker, BYTES.length - 4);
      expect(await worker.started).toBeUndefined();
      expect(await worker.outcome).toMatchObject({ type: 'none' });
    } finally {
      await worker.close();
    }
  });

  it('a search start that is no whole byte offset is refused', () => {
    expect(() => start(HALF + 0.5)).toThrow(`the split search must start at a whole byte offset, got ${HALF + 0.5}`);
  });

  it('a thread that dies: its outcome is failed, and feeding it more returns at once', async () => {
    const worker = start(HALF);
    await worker.kill();
    expect(await worker.outcome).toMatchObject({ type: 'failed', reason: expect.stringMatching(/exited/) });
    await worker.feed(BYTES.subarray(0, 1 << 20));
    await worker.close();
  });
});
