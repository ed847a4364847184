/**
 * `compare` as a use case: two keyspaces (a server or a cluster each) read
 * batch by batch, every key's canonical value and expiry compared, expected
 * differences (migrate's --verify) told apart from real ones.
 */
import type { Redis } from 'ioredis';
import { dumpBatch, dumpBatches, existBatch, expiryBatch, scanPipe, withKeyspaces, type KeyspaceSpec } from '../../adapters/redis/dump-restore.js';
import { readCanonicalKeyspace } from '../../adapters/redis/canonical-read.js';
import { withKeyspacesOf, type Keyspace } from '../../adapters/redis/keyspace.js';
import type { DatabaseLeftOut, DatabasePair } from '../../domain/keys/databases.js';
import { pairSpecs, planServerDatabases } from './databases.js';
import { DEFAULT_TTL_TOLERANCE_MS, expiredDuringScan } from '../../domain/keys/expiry.js';
import { diffKey, keyDigest, type DiffReason, type KeyDigest } from '../../domain/rdb/fingerprint.js';
import { DifferenceTracker, type Difference } from '../../domain/keys/differences.js';

/**
 * A difference the caller expects (migrate's --verify): `kept-on-target`
 * a key `--on-conflict skip` left alone (newer on the target);
 * `only-on-target` a key the source never had (migrate deletes nothing);
 * `expired` a key on one side only whose expiry came while it was copied or
 * compared (the one rule: lambdas/domain/keys/expiry.ts, applied by compare itself).
 */
export type ExpectedKind = 'kept-on-target' | 'only-on-target' | 'expired';

/** Classifies a difference as expected (or not: undefined); keys that expired during the scan are told apart before it is asked. `expireAtMs`: the absolute expiry on the side that holds the key. */
export type Explain = (key: Buffer, reason: DiffReason, expireAtMs: number | null | undefined) => ExpectedKind | undefined;

/** Options of {@link runCompare}. */
export interface CompareOptions {
  readonly a: string;
  readonly b: string;
  /** Credentials and replica reads per side. */
  readonly specA?: Omit<KeyspaceSpec, 'url'>;
  readonly specB?: Omit<KeyspaceSpec, 'url'>;
  /** SCAN MATCH pattern. @default all keys */
  readonly match?: string;
  /** Differences listed (all are counted). @default 100 */
  readonly maxDiffs?: number;
  /** Allowed gap between the two absolute expiry times, and for a key on one side only between its expiry and the scan's clock (lambdas/domain/keys/expiry.ts). @default 1000 */
  readonly ttlToleranceMs?: number;
  /** The scan's clock (ms since the epoch). @default Date.now */
  readonly now?: () => number;
  /** SCAN COUNT. @default 1000 */
  readonly batchSize?: number;
  /** Differences that are expected (counted apart, listed apart, never make the result unequal). @default none */
  readonly explain?: Explain;
  /** Called once before the first batch with the keys to check (DBSIZE of both; unknown with --match). */
  readonly onStart?: (total: number | undefined) => void;
  /** Called after every batch (progress). */
  readonly onProgress?: (keysSeen: number) => void;
  /** Checked between batches; true stops the run (Ctrl-C). */
  readonly shouldStop?: () => boolean;
  /** A and B as an error names them (migrate --verify: the source and the target). @default A, B (as existBatch's) */
  readonly sides?: readonly [string, string];
}

/** One differing key; `expected` is set when the difference is expected (see {@link ExpectedKind}). */
export type KeyDifference = Difference<ExpectedKind>;

/** What {@link runCompare} found. */
export interface CompareResult {
  /** Every key of both keyspaces compared and no unexplained difference. */
  readonly equal: boolean;
  /** What each side turned out to be (a single server, or a cluster and its shards). */
  readonly a: { readonly label: string; readonly cluster: boolean; readonly shards: number };
  readonly b: { readonly label: string; readonly cluster: boolean; readonly shards: number };
  /** Keys of A read and checked against B. */
  readonly keysA: number;
  /** Keys of B checked for existence in A. */
  readonly keysB: number;
  /** Unexplained differences, all counted (including ones not listed). */
  readonly differences: number;
  /** The first `maxDiffs` unexplained differences. */
  readonly diffs: readonly KeyDifference[];
  /** Expected differences by kind (see {@link CompareOptions.explain}). */
  readonly expected: Readonly<Record<ExpectedKind, number>>;
  /** The first `maxDiffs` expected differences. */
  readonly expectedDiffs: readonly KeyDifference[];
  readonly seconds: number;
  readonly interrupted: boolean;
  /** Why the result is not proven though no difference was found (a slot map changed while it ran). */
  readonly notProven?: string;
}

/** `nowMs`: the compare's clock; a hash's fields expired by then are left out on both sides (a server hides them). */
function digests(reads: Awaited<ReturnType<typeof readCanonicalKeyspace>>, nowMs: number): (KeyDigest | undefined)[] {
  return reads.map((r) => (r ? keyDigest(r.value, r.expireAtMs, nowMs) : undefined));
}

/**
 * Runs `work` once per lane, lanes in parallel; the first failure stops the
 * others between their batches and is thrown once all have settled.
 */
export async function eachLane<L>(lanes: readonly L[], work: (lane: L, stopped: () => boolean) => Promise<void>): Promise<void> {
  let failure: { err: unknown } | undefined;
  await Promise.all(
    lanes.map((lane) =>
      work(lane, () => failure !== undefined).catch((err: unknown) => {
        failure ??= { err };
      }),
    ),
  );
  if (failure) throw failure.err;
}

/**
 * Proves two keyspaces equal: pass 1 scans every shard of A and compares
 * every key's fingerprint (type, value, absolute expiry) with the same key
 * on B (wherever B keeps it); pass 2 scans every shard of B and looks for
 * keys A does not have. Shards are read in parallel. Memory is a few
 * batches per shard plus the listed differences. A key that vanished on
 * both sides (expired meanwhile) is not a difference, nor is one on one side
 * only that expired during the scan (lambdas/domain/keys/expiry.ts). EQUAL only when both
 * passes covered both keyspaces whole.
 *
 * Fast path: PEXPIRETIME + DUMP of each batch on both sides, through the
 * RESP2 pipes (SCAN of A reads ahead). Identical DUMP bytes are the same type
 * and value, so only the expiry is left to compare. Different bytes do not
 * mean different data (hash-table sets and hashes dump in per-process
 * order; servers of other versions write other RDB versions): those keys
 * alone are read per type and compared by canonical fingerprint. Measured in
 * bench/README.md (migrate): the canonical read of every key was the whole
 * cost of compare.
 */
export async function compareClients(x: Redis | Keyspace, y: Redis | Keyspace, options: Omit<CompareOptions, 'a' | 'b'> = {}): Promise<CompareResult> {
  return withKeyspacesOf(x, y, (a, b) => compareKeyspaces(a, b, options));
}

async function compareKeyspaces(a: Keyspace, b: Keyspace, options: Omit<CompareOptions, 'a' | 'b'>): Promise<CompareResult> {
  const started = (options.now ?? Date.now)();
  const maxDiffs = options.maxDiffs ?? 100;
  const tolerance = options.ttlToleranceMs ?? DEFAULT_TTL_TOLERANCE_MS;
  const now = options.now ?? Date.now;
  const sides = options.sides ?? ['A', 'B'];
  const scan = { match: options.match, count: options.batchSize ?? 1000 };
  const tracker = new DifferenceTracker<ExpectedKind>(['kept-on-target', 'only-on-target', 'expired'], maxDiffs);
  let keysA = 0;
  let keysB = 0;
  let interrupted = false;
  /** `expireAtMs`: the expiry of the side that holds the key (A's, or B's for a key only in B). */
  const note = (key: Buffer, reason: DiffReason, expireAtMs?: number | null) => {
    const onOneSide = reason === 'missing-in-a' || reason === 'missing-in-b';
    const kind = onOneSide && expiredDuringScan(expireAtMs, now(), tolerance) ? 'expired' : options.explain?.(key, reason, expireAtMs);
    tracker.note(key, reason, kind);
  };
  const stop = (): boolean => {
    if (options.shouldStop?.()) interrupted = true;
    return interrupted;
  };
  const mapsBefore = `${await a.slotMap()} | ${await b.slotMap()}`;
  options.onStart?.(options.match === undefined ? (await a.dbsize()) + (await b.dbsize()) : undefined);
  await eachLane(a.lanes, async (lane, failed) => {
    const pa = await lane.open();
    try {
      for await (const da of dumpBatches(pa, { ...scan, redirects: a, side: sides[0] })) {
        const db = await dumpBatch(
          b,
          da.map((d) => d.key),
          undefined,
          sides[1],
        );
        const slow: Buffer[] = [];
        for (const [i, x] of da.entries()) {
          const y = db[i]!;
          if (x.gone) continue; // only in B (pass 2), or gone from both
          keysA++;
          if (y.gone) note(x.key, 'missing-in-b', x.expireAtMs);
          else if (x.payload.equals(y.payload)) {
            // Same bytes: same type and value; the expiry decides.
            const reason = diffKey({ type: '', digest: '', expireAtMs: x.expireAtMs }, { type: '', digest: '', expireAtMs: y.expireAtMs }, tolerance);
            if (reason) note(x.key, reason, x.expireAtMs);
          } else slow.push(x.key);
        }
        if (slow.length > 0) {
          const [ra, rb] = await Promise.all([readCanonicalKeyspace(a, slow), readCanonicalKeyspace(b, slow)]);
          const at = now();
          const ca = digests(ra, at);
          const cb = digests(rb, at);
          for (const [i, key] of slow.entries()) {
            const reason = diffKey(ca[i], cb[i], tolerance);
            if (reason && reason !== 'missing-in-a') note(key, reason, ra[i]?.expireAtMs);
          }
        }
        options.onProgress?.(keysA + keysB);
        if (stop() || failed()) break;
      }
    } finally {
      pa.close();
    }
  });
  if (!interrupted) {
    await eachLane(b.lanes, async (lane, failed) => {
      const pb = await lane.open();
      try {
        for await (const keys of scanPipe(pb, scan)) {
          keysB += keys.length;
          const inA = await existBatch(a, keys, 'A');
          const absent = keys.filter((_, i) => !inA[i]);
          if (absent.length > 0) {
            // Still on B now, and until when? (An expiring key may have gone from A and B both, or from A a moment earlier.)
            const onB = await expiryBatch(b, absent, 'B');
            absent.forEach((key, i) => {
              onB[i] !== undefined && note(key, 'missing-in-a', onB[i]);
            });
          }
          options.onProgress?.(keysA + keysB);
          if (stop() || failed()) break;
        }
      } finally {
        pb.close();
      }
    });
  }
  // Shards read = the maps at the start: a slot that moved meanwhile may have been read on neither shard.
  const moved = !interrupted && `${await a.slotMap()} | ${await b.slotMap()}` !== mapsBefore;
  return {
    equal: tracker.differences === 0 && !interrupted && !moved,
    ...(moved ? { notProven: 'a slot map changed during the compare (resharding or failover): rerun it' } : {}),
    a: { label: a.label, cluster: a.cluster, shards: a.shards },
    b: { label: b.label, cluster: b.cluster, shards: b.shards },
    keysA,
    keysB,
    differences: tracker.differences,
    diffs: tracker.diffs,
    expected: tracker.expected,
    expectedDiffs: tracker.expectedDiffs,
    seconds: (now() - started) / 1000,
    interrupted,
  };
}

/** The results of several databases' compares as one: equal only when every one is, counts summed, the lists joined (up to `maxDiffs`). */
export function sumCompareResults(results: readonly CompareResult[], maxDiffs = 100): CompareResult {
  if (results.length === 1) return results[0]!;
  const expected: Record<ExpectedKind, number> = { 'kept-on-target': 0, 'only-on-target': 0, expired: 0 };
  for (const r of results) for (const k of Object.keys(expected) as ExpectedKind[]) expected[k] += r.expected[k];
  const notProven = results.find((r) => r.notProven)?.notProven;
  return {
    equal: results.every((r) => r.equal),
    ...(notProven ? { notProven } : {}),
    a: results[0]!.a,
    b: results[0]!.b,
    keysA: results.reduce((n, r) => n + r.keysA, 0),
    keysB: results.reduce((n, r) => n + r.keysB, 0),
    differences: results.reduce((n, r) => n + r.differences, 0),
    diffs: results.flatMap((r) => r.diffs).slice(0, maxDiffs),
    expected,
    expectedDiffs: results.flatMap((r) => r.expectedDiffs).slice(0, maxDiffs),
    seconds: results.reduce((n, r) => n + r.seconds, 0),
    interrupted: results.some((r) => r.interrupted),
  };
}

/** One database's compare in a {@link CompareRuns}. */
export interface DatabaseCompare extends DatabasePair {
  readonly result: CompareResult;
}

/**
 * A compare over every database it handles: the sum of them (equal only
 * when every one is equal and none holding keys was left out), each on its
 * own, and the databases holding keys (on either side) that the URL's one
 * database left out.
 */
export interface CompareRuns extends CompareResult {
  readonly databases: readonly DatabaseCompare[];
  readonly leftOut: readonly DatabaseLeftOut[];
  /** What a file side holds besides its keys, which was not compared (serve/compare-points.ts notComparedOf), in words. */
  readonly notCompared?: readonly string[];
}

/**
 * Connects to both URLs (every shard of a cluster) and runs {@link
 * compareClients} for every database holding keys on either side (each
 * against the database of its number), or the one A's URL names (the
 * others holding keys are named in `leftOut`: not proven). A stop (Ctrl-C)
 * ends the run.
 */
export async function runCompare(options: CompareOptions): Promise<CompareRuns> {
  const specA = { ...options.specA, url: options.a };
  const specB = { ...options.specB, url: options.b };
  const plan = await planServerDatabases(specA, specB, {
    connectionName: 'redis-dr-compare',
    countTarget: true,
    names: { source: '--a', target: '--b' },
  });
  const databases: DatabaseCompare[] = [];
  for (const pair of plan.pairs) {
    const result = await withKeyspaces(...pairSpecs(specA, specB, pair), 'redis-dr-compare', (a, b) => compareKeyspaces(a, b, options));
    databases.push({ ...pair, result });
    if (result.interrupted) break;
  }
  const sum = sumCompareResults(
    databases.map((d) => d.result),
    options.maxDiffs,
  );
  // A pattern that matched nothing on either side compared nothing: never "EQUAL: 0 keys" (a typo in --match reads as a pass).
  const matchedNothing = options.match !== undefined && !sum.interrupted && sum.keysA === 0 && sum.keysB === 0;
  const nothing = matchedNothing
    ? { notProven: `--match ${JSON.stringify(options.match)} matched no key on either side: nothing was compared (check the pattern)` }
    : {};
  return {
    ...sum,
    ...nothing,
    equal: sum.equal && !matchedNothing && plan.leftOut.length === 0 && databases.length === plan.pairs.length,
    databases: matchedNothing ? databases.map((d) => ({ ...d, result: { ...d.result, ...nothing, equal: false } })) : databases,
    leftOut: plan.leftOut,
  };
}
