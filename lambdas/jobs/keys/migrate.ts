/**
 * `migrate` as a use case: every key of a live server or cluster copied to
 * another with DUMP and RESTORE (the source side here, the target side in
 * writer.ts), and with --verify the compare that proves the target.
 */
import type { Redis } from 'ioredis';
import { type DumpedKey, withKeyspaces, type KeyspaceSpec } from '../../adapters/redis/dump-restore.js';
import { dumpPayloadVersion, NEWER_SOURCE_FIX, payloadVersionRefusal, targetRdbSupport, type TargetRdbSupport } from '../../domain/rdb/format/dump-payload.js';
import type { DatabaseLeftOut, DatabasePair } from '../../domain/keys/databases.js';
import { pairSpecs, planServerDatabases } from './databases.js';
import { readServerBatches, sourceSize, type DatasetShare } from './read-server.js';
import { withKeyspacesOf, type Keyspace } from '../../adapters/redis/keyspace.js';
import type { EvictionReport } from '../../domain/keys/eviction.js';
import type { RespPipe } from '../../adapters/redis/resp-pipe.js';
import { KeyWriter, SKIPPED_KEYS_REMEMBERED } from './writer.js';
import { compareClients, eachLane, sumCompareResults, type CompareOptions, type CompareResult, type Explain } from './compare.js';
import { addCounts, copiedNone, type CopyCounts, type KeyCopyOptions, type NoMatch, noCounts, type OnConflict } from '../../domain/keys/key-copy.js';

/** What to do with a key that already exists on the target. */
export type { OnConflict } from '../../domain/keys/key-copy.js';

/** Options of {@link migrateClients}: those of every key copy (lambdas/domain/keys/key-copy.ts). */
export interface MigrateOptions extends KeyCopyOptions {
  /**
   * @internal The share of the source's dataset this copy and the databases after it restore (a
   * run over several databases): what the eviction guard holds against the target. @default all of it
   */
  readonly datasetShare?: DatasetShare;
}

/** Running counts of a migration. */
export type MigrateCounts = CopyCounts;

/** What {@link migrateClients} did. */
export interface MigrateResult extends MigrateCounts {
  readonly seconds: number;
  readonly interrupted: boolean;
  /** Why the run stopped early (a refused write, a conflict with `fail`, a broken connection). */
  readonly error?: string;
  /** The key that stopped a `--on-conflict fail` run. */
  readonly conflict?: Buffer;
  /** What the source and the target turned out to be. */
  readonly source: string;
  readonly target: string;
  /** Keys left alone because the target had them (latin1 of the bytes), up to {@link SKIPPED_KEYS_REMEMBERED}; empty unless `rememberSkipped`. */
  readonly skippedKeys: ReadonlySet<string>;
  /** The eviction guard's findings: a refusal before writing, or the keys the target evicted during the run (undefined when the run failed before the guard read the target). */
  readonly eviction?: EvictionReport;
}

/**
 * Copies keys batch by batch: SCAN, pipelined PEXPIRETIME + DUMP on the
 * source, then the key writer (lambdas/jobs/keys/writer.ts, the one
 * `migrate --from-rdb` uses): pipelined `RESTORE key <expireAt> payload
 * ABSTTL` on the target, so each key keeps its exact absolute expiry; keys
 * already past it are not copied; skip, replace or fail on keys the target
 * holds; a refused write stops the run once the batches already sent are
 * answered (a rerun with `skip` completes it).
 *
 * Before the first write the eviction guard (adapters/redis/memory.ts)
 * holds the source's dataset size against every target node that can evict,
 * and refuses the run when it would not fit (unless `allowEviction`); it
 * samples the target's `evicted_keys` between batches and at the end: an
 * eviction stops the run (unless `allowEviction`) and is reported.
 *
 * Either side may be a Redis Cluster: every shard of the source is scanned,
 * shards in parallel (one lane each), and every key is written to the node
 * that serves its slot on the target (pipelined per node, MOVED and ASK
 * followed: see lambdas/adapters/redis/keyspace.ts).
 *
 * Per lane the stages overlap: while batches are restored on the target (up to
 * the writer's WRITES_IN_FLIGHT), the next DUMP_AHEAD (read-server.ts) are already being
 * read on the source. Every batch sent is answered and counted before the
 * run returns, whatever stopped it (a refused write, a conflict, Ctrl-C, a
 * broken connection), so the counts always match the target. Memory: about DUMP_AHEAD +
 * WRITES_IN_FLIGHT + 1 batches per source shard.
 */
export async function migrateClients(from: Redis | Keyspace, to: Redis | Keyspace, options: MigrateOptions = {}): Promise<MigrateResult> {
  return withKeyspacesOf(from, to, (source, target) => migrateKeyspaces(source, target, options));
}

async function migrateKeyspaces(source: Keyspace, target: Keyspace, options: MigrateOptions): Promise<MigrateResult> {
  const writer = new KeyWriter(target, options);
  const started = writer.now();
  // What the target reads, for the payloads' RDB version; undefined where INFO does not say (then its RESTORE answers, explained by the writer).
  const reads = await targetReads(target);

  const lane = async (open: () => Promise<RespPipe>): Promise<void> => {
    const window = writer.window();
    const reader = await open();
    try {
      for await (const dumped of readServerBatches(reader, source, options)) {
        // Each batch's payloads held against what the target reads before they are sent: a newer source refuses the run at its first batch.
        const refusal = reads && newerPayloadRefusal(dumped, reads);
        if (refusal) {
          writer.fail(refusal);
          break;
        }
        writer.counts.scanned += dumped.length;
        if (!(await window.write(dumped))) break;
      }
    } catch (err) {
      writer.fail(err);
    } finally {
      // However the lane ended, the batches already sent are answered and counted: the counts match the target.
      await window.drain();
      reader.close();
    }
  };

  try {
    const lanes = source.lanes; // refused here (before anything is written) when the source cannot be read whole
    const mapBefore = await source.slotMap();
    if (await writer.startGuard(await sourceSize(source, options.match, options.datasetShare))) {
      options.onStart?.(options.match === undefined ? await source.dbsize() : undefined);
      await eachLane(lanes, (l) => lane(l.open));
      // Shards read = the map at the start: keys that moved to another shard meanwhile may have been missed.
      if (!writer.stopped && (await source.slotMap()) !== mapBefore) {
        writer.fail(
          `the source cluster's slot map changed during the copy (resharding or failover), so keys that moved may have been missed: rerun the same command (keys already copied are skipped)`,
        );
      }
    }
  } catch (err) {
    writer.fail(err);
  }
  // After every batch sent was answered: the last sample of evicted_keys.
  const eviction = await writer.finish();
  return {
    ...writer.counts,
    seconds: (writer.now() - started) / 1000,
    interrupted: writer.interrupted,
    error: explainNewer(writer.error),
    conflict: writer.conflict,
    source: source.label,
    target: target.label,
    skippedKeys: writer.skippedKeys,
    ...(eviction ? { eviction } : {}),
  };
}

/** What the target reads (its `INFO server`), or undefined where that cannot be told (INFO refused, or naming no version). */
async function targetReads(target: Keyspace): Promise<TargetRdbSupport | undefined> {
  try {
    return targetRdbSupport(await (await target.clientFor(Buffer.alloc(0))).info('server'));
  } catch {
    return undefined;
  }
}

/**
 * A run stopped by the target's refusal of a payload's version, where what it reads was not known before the first
 * RESTORE (INFO refused): explained, with the fix.
 */
function explainNewer(error: string | undefined): string | undefined {
  if (error === undefined || !/refused RESTORE of .*DUMP payload version or checksum are wrong/i.test(error)) return error;
  return `${error}: the source writes a newer RDB version than the target reads (or the payload was damaged). ${NEWER_SOURCE_FIX}`;
}

/** Why the target would refuse a payload of this batch (the highest RDB version in it), or undefined. */
function newerPayloadRefusal(batch: readonly DumpedKey[], reads: TargetRdbSupport): string | undefined {
  let highest = 0;
  for (const k of batch) if (!k.gone) highest = Math.max(highest, dumpPayloadVersion(k.payload));
  return highest === 0 ? undefined : payloadVersionRefusal(highest, reads);
}

/** A migration of one database and, with `verify`, the compare that followed it. */
export interface MigrateRun {
  readonly result: MigrateResult;
  readonly verify?: CompareResult;
}

/** One database's migration in a {@link MigrateRuns}. */
export interface DatabaseMigrateRun extends MigrateRun, DatabasePair {}

/**
 * A run over every database it handles: `result` and `verify` sum them (a
 * single database's own when there is one), `databases` each on its own;
 * `leftOut` the databases holding keys the source URL's one database left
 * out (the run is then incomplete: exit 1); `notReached` those a failure
 * stopped the run before.
 */
export interface MigrateRuns extends MigrateRun {
  readonly databases: readonly DatabaseMigrateRun[];
  readonly leftOut: readonly DatabaseLeftOut[];
  readonly notReached: readonly DatabasePair[];
  /** A complete run whose `--match` matched none of the keys the databases copied hold (the run is then incomplete: exit 1). */
  readonly noMatch?: NoMatch;
}

/** The results of several databases as one (counts summed, the first error, the worst eviction). */
export function sumMigrateResults(results: readonly MigrateResult[]): MigrateResult {
  if (results.length === 1) return results[0]!;
  const counts = results.reduce<CopyCounts>(addCounts, noCounts());
  const failing = results.find((r) => r.error || r.interrupted);
  const evicted = results.find((r) => r.eviction?.refused) ?? results.find((r) => (r.eviction?.evictedKeys ?? 0) > 0) ?? results.at(-1);
  return {
    ...counts,
    seconds: results.reduce((n, r) => n + r.seconds, 0),
    interrupted: results.some((r) => r.interrupted),
    ...(failing?.error ? { error: failing.error } : {}),
    ...(failing?.conflict ? { conflict: failing.conflict } : {}),
    source: results.map((r) => r.source).join(', '),
    target: results.map((r) => r.target).join(', '),
    skippedKeys: new Set(),
    ...(evicted?.eviction ? { eviction: evicted.eviction } : {}),
  };
}

/**
 * What --verify expects to differ after this run, so that a FLUSHALL
 * recovery that did the right thing exits 0: keys `skip` left alone on the
 * target (remembered; past {@link SKIPPED_KEYS_REMEMBERED} a differing key
 * on a skip run that skipped keys is taken as one of them) and keys only on
 * the target (migrate deletes nothing). Source keys whose expiry came while
 * they were copied are told apart by compare itself (the one rule of
 * lambdas/domain/keys/expiry.ts, as for `compare`). Anything else stays a difference.
 */
export function migrateExplain(result: MigrateResult, mode: OnConflict): Explain {
  const overflow = result.skippedKeys.size >= SKIPPED_KEYS_REMEMBERED;
  return (key, reason) => {
    if (reason === 'missing-in-a') return 'only-on-target';
    if (reason === 'missing-in-b') return undefined;
    if (result.skippedKeys.has(key.toString('latin1')) || (overflow && mode === 'skip')) return 'kept-on-target';
    return undefined;
  };
}

/** What {@link runMigrate} copies: both sides by URL with their credentials, and the copy's options. */
export interface MigrateSpec extends MigrateOptions {
  readonly from: KeyspaceSpec;
  readonly to: KeyspaceSpec;
  /** `--db <src>:<dst>` mappings: these databases only (see lambdas/domain/keys/databases.ts). @default every database holding keys, or the one the source URL names */
  readonly databases?: readonly DatabasePair[];
  /** Run compare afterwards. @default false */
  readonly verify?: boolean;
  /** That compare's allowed gap between expiry times (see {@link CompareOptions}). @default 1000 */
  readonly ttlToleranceMs?: number;
  /** Progress of that compare (see {@link CompareOptions}). */
  readonly onVerifyStart?: (total: number | undefined) => void;
  readonly onVerifyProgress?: (keysSeen: number) => void;
}

/**
 * Connects to both sides (every shard of a cluster) and migrates every
 * database the plan holds (lambdas/jobs/keys/databases.ts: each database
 * holding keys, the one the source URL names, or the `--db` mappings), one
 * after the other, each compared after a complete copy with `verify`. The
 * first database that stops (a failure, Ctrl-C, an eviction) ends the run:
 * the ones after it are `notReached`.
 */
export async function runMigrate(spec: MigrateSpec): Promise<MigrateRuns> {
  const { from, to, databases: mappings, ...options } = spec;
  const plan = await planServerDatabases(from, to, { mappings, connectionName: 'redis-dr-migrate' });
  const runs: DatabaseMigrateRun[] = [];
  let done = noCounts();
  for (const pair of plan.pairs) {
    const before = done;
    // Progress and the keys-written count (cli/failure.ts) run over the whole run, not per database.
    const onBatch = (c: CopyCounts) => options.onBatch?.(addCounts(before, c));
    // The guard holds what is still to come (this database and the ones after it) against the target: all of it before the first write.
    const rest = plan.pairs.slice(runs.length);
    const totalKeys = Object.values(plan.keysByDb).reduce((n, k) => n + k, 0);
    const restKeys = rest.reduce((n, p) => n + (plan.keysByDb[p.from] ?? 0), 0);
    const datasetShare =
      totalKeys > 0 ? { fraction: restKeys / totalKeys, label: `database${rest.length === 1 ? '' : 's'} ${rest.map((p) => p.from).join(', ')}` } : undefined;
    const run = await withKeyspaces(...pairSpecs(from, to, pair), 'redis-dr-migrate', (source, target) =>
      migrateDatabase(source, target, { ...options, onBatch, datasetShare }),
    );
    runs.push({ ...pair, ...run });
    const r = run.result;
    done = addCounts(before, r);
    if (r.error || r.interrupted || r.eviction?.refused) break;
  }
  const verifies = runs.map((r) => r.verify).filter((v): v is CompareResult => v !== undefined);
  const result = sumMigrateResults(runs.map((r) => r.result));
  // A --match that matched nothing copied nothing: never "copied 0 … EQUAL" with exit 0 (a typo in the pattern reads as a pass).
  const noMatch =
    options.match === undefined
      ? undefined
      : copiedNone(
          result,
          runs.map((r) => r.from),
          plan.keysByDb,
        );
  return {
    result,
    ...(verifies.length > 0 ? { verify: sumCompareResults(verifies) } : {}),
    databases: runs,
    leftOut: plan.leftOut,
    notReached: plan.pairs.slice(runs.length),
    ...(noMatch ? { noMatch } : {}),
  };
}

/** One database: the copy, then (with `verify`, after a complete run) the compare. */
async function migrateDatabase(source: Keyspace, target: Keyspace, options: Omit<MigrateSpec, 'from' | 'to' | 'databases'>): Promise<MigrateRun> {
  const result = await migrateClients(source, target, { ...options, rememberSkipped: Boolean(options.verify) });
  const complete = !result.error && !result.interrupted && !options.dryRun;
  const verify =
    options.verify && complete
      ? await compareClients(source, target, {
          match: options.match,
          batchSize: options.batchSize,
          ttlToleranceMs: options.ttlToleranceMs,
          explain: migrateExplain(result, options.onConflict ?? 'skip'),
          shouldStop: options.shouldStop,
          onStart: options.onVerifyStart,
          onProgress: options.onVerifyProgress,
          sides: ['the source', 'the target'],
        })
      : undefined;
  return { result, verify };
}
