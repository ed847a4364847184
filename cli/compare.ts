import type { Redis } from 'ioredis';
import { openPipe } from '../lambdas/adapters/redis';
import { keyProgress } from './progress';
import { dumpBatch, dumpBatches, existBatch, parseRedisUrl, readCanonicalBatch, redactUrl, scanBatches, withConnections } from '../lambdas/adapters/redis-copy';
import { diffKey, displayKey, jsonKey, keyDigest, type DiffReason, type KeyDigest } from '../lambdas/domain/fingerprint';

/** Options of {@link runCompare}. */
export interface CompareOptions {
  readonly a: string;
  readonly b: string;
  /** SCAN MATCH pattern. @default all keys */
  readonly match?: string;
  /** Differences listed (all are counted). @default 100 */
  readonly maxDiffs?: number;
  /** Allowed gap between the two absolute expiry times. @default 1000 */
  readonly ttlToleranceMs?: number;
  /** SCAN COUNT. @default 1000 */
  readonly batchSize?: number;
  /** Called once before the first batch with the keys to check (DBSIZE of both; unknown with --match). */
  readonly onStart?: (total: number | undefined) => void;
  /** Called after every batch (progress). */
  readonly onProgress?: (keysSeen: number) => void;
  /** Checked between batches; true stops the run (Ctrl-C). */
  readonly shouldStop?: () => boolean;
}

/** One differing key. */
export interface KeyDifference {
  readonly key: Buffer;
  readonly reason: DiffReason;
}

/** What {@link runCompare} found. */
export interface CompareResult {
  readonly equal: boolean;
  /** Keys of A read and checked against B. */
  readonly keysA: number;
  /** Keys of B checked for existence in A. */
  readonly keysB: number;
  /** Every difference counted, including ones not listed. */
  readonly differences: number;
  /** The first `maxDiffs` differences. */
  readonly diffs: readonly KeyDifference[];
  readonly seconds: number;
  readonly interrupted: boolean;
}

function digests(reads: Awaited<ReturnType<typeof readCanonicalBatch>>): (KeyDigest | undefined)[] {
  return reads.map((r) => (r ? keyDigest(r.value, r.expireAtMs) : undefined));
}

/**
 * Proves two datasets equal: pass 1 scans A and compares every key's
 * fingerprint (type, value, absolute expiry) with the same key on B; pass 2
 * scans B and looks for keys A does not have. Memory is a few batches plus
 * the listed differences. A key that vanished on both sides (expired
 * meanwhile) is not a difference.
 *
 * Fast path: PEXPIRETIME + DUMP of each batch on both sides, through the
 * RESP2 pipe (SCAN of A reads ahead). Identical DUMP bytes are the same type
 * and value, so only the expiry is left to compare. Different bytes do not
 * mean different data (hash-table sets and hashes dump in per-process
 * order; servers of other versions write other RDB versions): those keys
 * alone are read per type and compared by canonical fingerprint. Measured in
 * bench/README.md (migrate): the canonical read of every key was the whole
 * cost of compare.
 */
export async function compareClients(a: Redis, b: Redis, options: Omit<CompareOptions, 'a' | 'b'> = {}): Promise<CompareResult> {
  const started = Date.now();
  const maxDiffs = options.maxDiffs ?? 100;
  const tolerance = options.ttlToleranceMs ?? 1000;
  const scan = { match: options.match, count: options.batchSize ?? 1000 };
  const diffs: KeyDifference[] = [];
  let differences = 0;
  let keysA = 0;
  let keysB = 0;
  let interrupted = false;
  const note = (key: Buffer, reason: DiffReason) => {
    differences++;
    if (diffs.length < maxDiffs) diffs.push({ key, reason });
  };
  options.onStart?.(options.match === undefined ? (await a.dbsize()) + (await b.dbsize()) : undefined);
  const pa = await openPipe(a);
  try {
    const pb = await openPipe(b);
    try {
      for await (const da of dumpBatches(pa, scan)) {
        const db = await dumpBatch(pb, da.map((d) => d.key));
        const slow: Buffer[] = [];
        for (const [i, x] of da.entries()) {
          const y = db[i]!;
          if (x.gone) continue; // only in B (pass 2), or gone from both
          keysA++;
          if (y.gone) note(x.key, 'missing-in-b');
          else if (x.payload.equals(y.payload)) {
            // Same bytes: same type and value; the expiry decides.
            const reason = diffKey({ type: '', digest: '', expireAtMs: x.expireAtMs }, { type: '', digest: '', expireAtMs: y.expireAtMs }, tolerance);
            if (reason) note(x.key, reason);
          } else slow.push(x.key);
        }
        if (slow.length > 0) {
          const [ra, rb] = await Promise.all([readCanonicalBatch(a, slow), readCanonicalBatch(b, slow)]);
          const ca = digests(ra);
          const cb = digests(rb);
          for (const [i, key] of slow.entries()) {
            const reason = diffKey(ca[i], cb[i], tolerance);
            if (reason && reason !== 'missing-in-a') note(key, reason);
          }
        }
        options.onProgress?.(keysA + keysB);
        if (options.shouldStop?.()) {
          interrupted = true;
          break;
        }
      }
    } finally {
      pb.close();
    }
  } finally {
    pa.close();
  }
  if (!interrupted) {
    for await (const keys of scanBatches(b, scan)) {
      keysB += keys.length;
      const inA = await existBatch(a, keys);
      const absent = keys.filter((_, i) => !inA[i]);
      if (absent.length > 0) {
        // Still on B now? (An expiring key may have gone from A and B both.)
        const onB = await existBatch(b, absent);
        absent.forEach((key, i) => onB[i] && note(key, 'missing-in-a'));
      }
      options.onProgress?.(keysA + keysB);
      if (options.shouldStop?.()) {
        interrupted = true;
        break;
      }
    }
  }
  return { equal: differences === 0 && !interrupted, keysA, keysB, differences, diffs, seconds: (Date.now() - started) / 1000, interrupted };
}

/** Connects to both URLs and runs {@link compareClients}. */
export async function runCompare(options: CompareOptions): Promise<CompareResult> {
  return withConnections(options.a, options.b, 'redis-dr-compare', (a, b) => compareClients(a, b, options));
}

/** The `--json` shape of compare (also `verify` in migrate's JSON). */
export function compareJson(result: CompareResult, a: string, b: string, match: string | undefined) {
  return {
    a: redactUrl(a),
    b: redactUrl(b),
    match: match ?? null,
    equal: result.equal,
    keysA: result.keysA,
    keysB: result.keysB,
    differences: result.differences,
    diffs: result.diffs.map((d) => ({ ...jsonKey(d.key), reason: d.reason })),
    truncated: result.differences > result.diffs.length,
    seconds: round(result.seconds),
    keysPerSecond: result.seconds > 0 ? Math.round((result.keysA + result.keysB) / result.seconds) : null,
    interrupted: result.interrupted,
  };
}

const REASON_TEXT: Record<DiffReason, string> = {
  'missing-in-a': 'only in B',
  'missing-in-b': 'only in A',
  type: 'different type',
  value: 'different value',
  ttl: 'different TTL',
};

/** Lines people read. */
export function formatCompare(result: CompareResult): string {
  const lines = result.diffs.map((d) => `  ${REASON_TEXT[d.reason]}: ${displayKey(d.key)}`);
  if (result.differences > result.diffs.length) lines.push(`  … and ${result.differences - result.diffs.length} more`);
  const rate = result.seconds > 0 ? Math.round((result.keysA + result.keysB) / result.seconds) : 0;
  const head = result.interrupted
    ? `INTERRUPTED after ${result.keysA} keys of A, ${result.keysB} of B: not proven equal`
    : result.equal
      ? `EQUAL: ${result.keysA} keys of A match B (${result.keysB} keys in B)`
      : `DIFFERENT: ${result.differences} key(s) differ (${result.keysA} keys in A, ${result.keysB} in B)`;
  return [`${head}, ${round(result.seconds)} s, ${rate} keys/s`, ...lines].join('\n');
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

/** Ctrl-C: finish the current batch, then stop; a second Ctrl-C exits at once. */
export function stopOnSigint(): { stopped: () => boolean; dispose: () => void } {
  let stop = false;
  const handler = () => {
    if (stop) process.exit(130);
    stop = true;
    process.stderr.write('\nredis-dr: stopping after the current batch (Ctrl-C again to quit now)\n');
  };
  process.on('SIGINT', handler);
  return { stopped: () => stop, dispose: () => process.off('SIGINT', handler) };
}

/**
 * `redis-dr compare --a <url> --b <url> [--match] [--max-diffs N] [--json]`.
 * Exit 0 equal, 1 different (or could not finish), 2 usage.
 */
/** The `compare` command's action (loaded only when the command runs; options: cli/commands/compare.ts). */
export async function compareAction(o: { a: string; b: string; match?: string; maxDiffs: number; ttlToleranceMs: number; batchSize: number; json?: boolean }): Promise<void> {
  parseRedisUrl(o.a); // bad URLs are usage errors (exit 2), thrown before any connection
  parseRedisUrl(o.b);
  const sig = stopOnSigint();
  const progress = keyProgress('compare');
  try {
    const result = await runCompare({ ...o, onStart: progress.start, onProgress: progress.update, shouldStop: sig.stopped });
    progress.stop();
    process.stdout.write(o.json ? `${JSON.stringify(compareJson(result, o.a, o.b, o.match), null, 2)}\n` : `${formatCompare(result)}\n`);
    process.exitCode = result.equal ? 0 : 1;
  } catch (err) {
    process.stderr.write(`redis-dr compare: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  } finally {
    progress.stop();
    sig.dispose();
  }
}
