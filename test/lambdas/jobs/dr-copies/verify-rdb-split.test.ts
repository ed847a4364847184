import { GetObjectCommand, GetObjectTaggingCommand, ListObjectsV2Command, PutObjectTaggingCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Page } from '../../../../lambdas/domain/alerting/page.js';
import { packCheckpoint } from '../../../../lambdas/domain/dr-copies/verify-state.js';
import { RdbParser } from '../../../../lambdas/domain/rdb/format/parser.js';
import type { RdbCheckpoint } from '../../../../lambdas/domain/rdb/report.js';
import {
  type S3ObjectEvent,
  type VerifyDeps,
  type VerifyStepInput,
  type VerifyStepResult,
  verifyStep,
  verifyStepSchema,
} from '../../../../lambdas/jobs/dr-copies/verify-rdb.js';
import type { TwoThreadSettings } from '../../../../lambdas/jobs/dr-copies/verify-rdb-split.js';
import { MemoryLog, MemoryMetrics } from '../../../support/fakes.js';
import { stringsRdb } from '../../../support/rdb-strings.js';
import { type ObjectServer, serveObject } from '../../../support/s3-object-mock.js';
import { serveVerdicts } from '../../../support/verdict-store.js';
import { isVerdictObjectKey } from '../../../../lambdas/domain/points/verdict-objects.js';

const BUCKET = 'redis-dr-prod-123456789012-eu-central-1';
const KEY = 'rdr-sessions-prod-20261121-0200-0002.rdb';

const event: S3ObjectEvent = {
  'detail-type': 'Object Created',
  source: 'aws.s3',
  detail: { bucket: { name: BUCKET }, object: { key: KEY, size: 100, 'version-id': 'v1' } },
};

/** About 3 MB of string keys: split from 1 MiB on (the tests' threshold), in parts of 256 KiB. */
const RDB = stringsRdb(5_500, 7);
const READS = { partBytes: 256 << 10, concurrency: 2 };

interface Run {
  readonly steps: VerifyStepResult[];
  readonly tags: Record<string, string>;
  readonly metrics: MemoryMetrics;
  readonly alerts: Page[];
  /** Per invocation that split: whether the worker's part was taken, or why not, and where it started. */
  readonly splits: { taken: true | string; from?: number }[];
}

/** The type byte of `key:<n>` in a {@link stringsRdb} file. */
const typeByteOf = (bytes: Buffer, n: number): number => bytes.indexOf(`key:${n}`) - 2;

describe('the DR verify job on two threads: the object read twice at once from S3, its two parts parsed on two threads', () => {
  const s3 = mockClient(S3Client);

  beforeEach(() => {
    s3.reset();
    s3.on(ListObjectsV2Command).resolves({ Contents: [] });
    s3.on(GetObjectTaggingCommand).resolves({ TagSet: [{ Key: 'redis-dr:plan', Value: 'sessions' }] });
  });

  /**
   * Verifies `bytes` as the state machine does (each result through JSON), with `twoThreads` (undefined: one thread);
   * `deadlineFor(server, step)` gives each invocation's clock and deadline (default: none).
   */
  async function run(
    bytes: Buffer,
    twoThreads: TwoThreadSettings | undefined,
    clockFor: (server: ObjectServer, step: number) => Pick<VerifyDeps, 'clock' | 'deadline'> = () => ({
      clock: { now: () => 1_000 },
      deadline: Number.POSITIVE_INFINITY,
    }),
    first?: VerifyStepInput,
  ): Promise<Run> {
    s3.resetHistory();
    serveVerdicts(s3); // a fresh bucket each run: the copy has no verdict yet
    const server = serveObject(s3, { bytes, etag: '"e1"', versionId: 'v1' });
    const metrics = new MemoryMetrics();
    const alerts: Page[] = [];
    const splits: Run['splits'] = [];
    const steps: VerifyStepResult[] = [];
    let input: VerifyStepInput = first ?? { event };
    for (let step = 0; step < 200; step++) {
      const deps: VerifyDeps = {
        s3: new S3Client({ region: 'eu-central-1' }),
        metrics,
        log: new MemoryLog(),
        ...clockFor(server, step),
        alert: async (page) => void alerts.push(page),
        where: { deployment: 'prod', region: 'eu-central-1' },
        reads: READS,
        twoThreads: twoThreads && {
          cores: 2,
          awaitStart: true, // the tests' workers load TypeScript: this thread would be past the middle first
          ...twoThreads,
          observe: (taken, from) => splits.push({ taken, ...(from !== undefined ? { from } : {}) }),
        },
      };
      const result = await verifyStep(input, deps);
      steps.push(result);
      if (result.done) {
        const calls = s3.commandCalls(PutObjectTaggingCommand);
        const tags = Object.fromEntries((calls.at(-1)?.args[0].input.Tagging?.TagSet ?? []).map((t) => [t.Key, t.Value]));
        return { steps, tags, metrics, alerts, splits };
      }
      input = verifyStepSchema.parse(JSON.parse(JSON.stringify(result)));
    }
    throw new Error('not done after 200 invocations');
  }

  const outcome = (r: Run) => (r.steps.at(-1) as Extract<VerifyStepResult, { done: true }>).outcome;
  /** A one-thread parser's checkpoint at the boundary `y`. */
  function checkpointAt(bytes: Uint8Array, y: number): RdbCheckpoint {
    const p = new RdbParser(512 << 20, true);
    p.stopAtBoundary(y);
    p.push(bytes);
    expect(p.pausedAt).toBe(y);
    return p.checkpoint()!;
  }

  it('an object from the threshold on: the worker part is taken, and the outcome, tags, metrics and pages are one thread ones', async () => {
    const one = await run(RDB, undefined);
    const two = await run(RDB, { minBytes: 1 << 20 });
    expect(two.splits).toEqual([{ taken: true, from: expect.any(Number) }]);
    expect(two.splits[0]!.from).toBeGreaterThanOrEqual(Math.floor(RDB.length / 2));
    expect(outcome(one)).toMatchObject({ action: 'verified', verdict: 'ok', keys: 5_500 });
    expect(outcome(two)).toEqual(outcome(one));
    expect(two.tags).toEqual(one.tags);
    expect(two.metrics.points).toEqual(one.metrics.points);
    expect(two.alerts).toEqual(one.alerts);
    // Both threads' bytes came from ranged GETs made on this thread, every one with If-Match on the ETag read first.
    const gets = s3
      .commandCalls(GetObjectCommand)
      .map((c) => c.args[0].input)
      .filter((g) => !isVerdictObjectKey(g.Key ?? '')); // the copy's reads, not its verdict object's
    // The worker's reads start at X, off this thread's 256 KiB parts.
    expect(gets.filter((g) => Number(/^bytes=(\d+)-/.exec(g.Range ?? '')?.[1]) % READS.partBytes !== 0).length).toBeGreaterThan(0);
    expect(gets.every((g) => g.IfMatch === '"e1"' && g.Range !== undefined)).toBe(true);
    // Below the threshold (the default, 32 MiB): one thread.
    expect((await run(RDB, {})).splits).toEqual([]);
  });

  it('a deadline while the worker reads: its part pauses at a boundary Y, the checkpoint is the one thread one at Y, and the resumed run (split again) gives one pass verdict', async () => {
    // X inside this thread's first part: it stops there on its first chunk, and waits for the worker.
    const at = 100_000;
    let pausedStep = true;
    const two = await run(RDB, { minBytes: 1 << 20, at, holdBytes: 64 << 10 }, (server, step) => {
      if (step > 0) return { clock: { now: () => 1_000 }, deadline: Number.POSITIVE_INFINITY };
      // Past the deadline once the worker's reads reached 1 MB past X (it is handed its bytes as they come).
      const past = (): boolean => server.ranges.some((r) => Number(/^bytes=(\d+)-/.exec(r)?.[1] ?? 0) >= at + 1_000_000);
      return { clock: { now: () => (pausedStep && past() ? 2 : 1) }, deadline: 2 };
    });
    pausedStep = false;
    const first = two.steps[0]!;
    expect(first.done).toBe(false);
    const progress = (first as Extract<VerifyStepResult, { done: false }>).progress!;
    expect(two.splits[0]).toMatchObject({ taken: true });
    expect(progress.checkpoint.offset).toBeGreaterThan(at + 500_000);
    expect(progress.checkpoint.offset).toBeLessThan(RDB.length - 1_000_000);
    expect(progress.checkpoint).toEqual(packCheckpoint(checkpointAt(RDB, progress.checkpoint.offset)));
    // The second invocation, from Y, split its own rest again.
    expect(two.splits).toHaveLength(2);
    expect(two.splits[1]).toMatchObject({ taken: true });
    const one = await run(RDB, undefined);
    expect(outcome(two)).toMatchObject({ action: 'verified', verdict: 'ok', keys: 5_500, invocations: 2 });
    expect(two.tags['redis-dr:verified']).toBe(one.tags['redis-dr:verified']);
    expect(two.tags['redis-dr:rdb']).toBe(one.tags['redis-dr:rdb']);
  });

  it('a deadline before this thread reached X: it pauses at its next boundary on its own (the worker part dropped), as one thread does', async () => {
    const at = 2_000_000;
    const two = await run(RDB, { minBytes: 1 << 20, at }, (server, step) =>
      step > 0
        ? { clock: { now: () => 1_000 }, deadline: Number.POSITIVE_INFINITY }
        : { clock: { now: () => (server.ranges.length > 6 ? 2 : 1) }, deadline: 2 },
    );
    const progress = (two.steps[0] as Extract<VerifyStepResult, { done: false }>).progress!;
    expect(progress.checkpoint.offset).toBeLessThan(at);
    expect(progress.checkpoint).toEqual(packCheckpoint(checkpointAt(RDB, progress.checkpoint.offset)));
    expect(two.splits[0]).toEqual({ taken: 'this thread paused before the start (the deadline)', from: expect.any(Number) });
    expect(outcome(two)).toMatchObject({ verdict: 'ok', keys: 5_500 });
  });

  it('damage before X and after it (a broken entry, a flipped value byte): the same corrupt verdict, offset and page as one thread', async () => {
    const damaged: Buffer[] = [];
    for (const n of [400, 4_500]) {
      const broken = Buffer.from(RDB);
      broken[typeByteOf(broken, n)] = 0x3f;
      damaged.push(broken);
      const flipped = Buffer.from(RDB);
      flipped[typeByteOf(flipped, n) + 20] ^= 0x01;
      damaged.push(flipped);
    }
    for (const bytes of damaged) {
      const one = await run(bytes, undefined);
      const two = await run(bytes, { minBytes: 1 << 20 });
      expect(outcome(one)).toMatchObject({ verdict: 'corrupt' });
      expect(outcome(two)).toEqual(outcome(one));
      expect(two.tags).toEqual(one.tags);
      expect(two.alerts).toEqual(one.alerts);
      expect(two.splits).toHaveLength(1);
    }
  });

  it('a worker that crashes mid-way: this thread reads its part itself, with the one thread verdict', async () => {
    const one = await run(RDB, undefined);
    const two = await run(RDB, { minBytes: 1 << 20, started: (worker) => worker.kill() });
    expect(two.splits).toEqual([{ taken: expect.stringMatching(/exited/), from: expect.any(Number) }]);
    expect(outcome(two)).toEqual(outcome(one));
    expect(two.tags).toEqual(one.tags);
  });
});
