import type { Redis } from 'ioredis';
import { dumpBatches, parseRedisUrl, redactUrl, RedisUrlError, withKeyspaces, type KeyspaceSpec } from '../lambdas/adapters/redis/dump-restore';
import { withKeyspacesOf, type Keyspace } from '../lambdas/adapters/redis/keyspace';
import { sourceDatasetBytes } from '../lambdas/adapters/redis/memory';
import { evictedMessage, evictionFailed, formatBytes, type EvictionReport } from '../lambdas/domain/keys/eviction';
import type { RespPipe } from '../lambdas/adapters/redis/resp-pipe';
import { KeyWriter, SKIPPED_KEYS_REMEMBERED } from '../lambdas/jobs/keys/writer';
import { jsonKey } from '../lambdas/domain/keys/fingerprint';
import { compareClients, compareJson, eachLane, formatCompare, stopOnSigint, type CompareResult, type Explain } from './compare';
import { keyProgress } from './progress';
import { sideCredentials } from './redis-credentials';
import { UsageError } from './usage';
import type { CopyCounts, KeyCopyOptions, OnConflict } from '../lambdas/domain/keys/key-copy';

/** What to do with a key that already exists on the target. */
export type { OnConflict } from '../lambdas/domain/keys/key-copy';

/** Options of {@link migrateClients}: those of every key copy (lambdas/domain/key-copy.ts). */
export type MigrateOptions = KeyCopyOptions;

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
 * Before the first write the eviction guard (adapters/redis-memory.ts)
 * holds the source's dataset size against every target node that can evict,
 * and refuses the run when it would not fit (unless `allowEviction`); it
 * samples the target's `evicted_keys` between batches and at the end: an
 * eviction stops the run (unless `allowEviction`) and is reported.
 *
 * Either side may be a Redis Cluster: every shard of the source is scanned,
 * shards in parallel (one lane each), and every key is written to the node
 * that serves its slot on the target (pipelined per node, MOVED and ASK
 * followed: see lambdas/adapters/redis-keyspace.ts).
 *
 * Per lane the stages overlap: while batches are restored on the target (up to
 * the writer's WRITES_IN_FLIGHT), the next {@link DUMP_AHEAD} are already being
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

  const lane = async (open: () => Promise<RespPipe>): Promise<void> => {
    const window = writer.window();
    const reader = await open();
    try {
      for await (const dumped of dumpBatches(reader, { match: options.match, count: options.batchSize ?? 1000, ahead: DUMP_AHEAD, redirects: source })) {
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
    if (await writer.startGuard(await sourceSize(source, options.match))) {
      options.onStart?.(options.match === undefined ? await source.dbsize() : undefined);
      await eachLane(lanes, (l) => lane(l.open));
      // Shards read = the map at the start: keys that moved to another shard meanwhile may have been missed.
      if (!writer.stopped && (await source.slotMap()) !== mapBefore) {
        writer.fail(`the source cluster's slot map changed during the copy (resharding or failover), so keys that moved may have been missed: rerun the same command (keys already copied are skipped)`);
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
    error: writer.error,
    conflict: writer.conflict,
    source: source.label,
    target: target.label,
    skippedKeys: writer.skippedKeys,
    ...(eviction ? { eviction } : {}),
  };
}

/**
 * The size of a server source's data, for the eviction guard: its
 * `used_memory_dataset`, whole (what `--match` selects is not known without
 * reading every key).
 */
async function sourceSize(source: Keyspace, match: string | undefined) {
  const bytes = await sourceDatasetBytes(source);
  const whole =
    match === undefined
      ? ''
      : ' — all of it: what --match selects is not estimated for a server source (if it is far less, --allow-eviction runs it; any eviction still ends the run with exit 1)';
  return { bytes, basis: `the source's used_memory_dataset, ${formatBytes(bytes)}${whole}` };
}

/** Batches read ahead on the source while one is written: enough to keep both servers busy, few enough to bound memory. */
export const DUMP_AHEAD = 2;

/** Command-line options of migrate. */
export interface MigrateCliOptions extends MigrateOptions {
  readonly from: string;
  readonly to: string;
  /** Secrets Manager secrets holding each side's credentials (instead of the URL's). */
  readonly fromSecret?: string;
  readonly toSecret?: string;
  /** Cluster source: SCAN a replica of each shard (READONLY). @default false */
  readonly fromReplicas?: boolean;
  /** Run compare afterwards. @default false */
  readonly verify?: boolean;
  /** Progress of that compare (see {@link CompareOptions}). */
  readonly onVerifyStart?: (total: number | undefined) => void;
  readonly onVerifyProgress?: (keysSeen: number) => void;
}

/** A migration and, with `verify`, the compare that followed it. */
export interface MigrateRun {
  readonly result: MigrateResult;
  readonly verify?: CompareResult;
}

/** Allowed gap between expiry times in --verify (as compare's default). */
const VERIFY_TTL_TOLERANCE_MS = 1000;

/**
 * What --verify expects to differ after this run, so that a FLUSHALL
 * recovery that did the right thing exits 0: keys `skip` left alone on the
 * target (remembered; past {@link SKIPPED_KEYS_REMEMBERED} a differing key
 * on a skip run that skipped keys is taken as one of them), keys only on
 * the target (migrate deletes nothing), and source keys whose expiry came
 * while they were copied. Anything else stays a difference.
 */
export function migrateExplain(result: MigrateResult, mode: OnConflict, now: () => number = Date.now): Explain {
  const overflow = result.skippedKeys.size >= SKIPPED_KEYS_REMEMBERED;
  return (key, reason, expireAtMs) => {
    if (reason === 'missing-in-a') return 'only-on-target';
    if (reason === 'missing-in-b') return expireAtMs != null && expireAtMs <= now() + VERIFY_TTL_TOLERANCE_MS ? 'expired' : undefined;
    if (result.skippedKeys.has(key.toString('latin1')) || (overflow && mode === 'skip')) return 'kept-on-target';
    return undefined;
  };
}

/** Connects to both URLs (credentials from the URL, a secret or the environment; every shard of a cluster), migrates, and (with `verify`, after a complete run) compares. */
export async function runMigrate(options: MigrateCliOptions, env: NodeJS.ProcessEnv = process.env): Promise<MigrateRun> {
  const from: KeyspaceSpec = {
    url: options.from,
    readReplicas: options.fromReplicas,
    credentials: await sideCredentials({ option: '--from-secret', secretArn: options.fromSecret, envPrefix: 'REDIS_DR_FROM' }, env),
  };
  const to: KeyspaceSpec = { url: options.to, credentials: await sideCredentials({ option: '--to-secret', secretArn: options.toSecret, envPrefix: 'REDIS_DR_TO' }, env) };
  return withKeyspaces(from, to, 'redis-dr-migrate', async (source, target) => {
    const result = await migrateClients(source, target, { ...options, rememberSkipped: Boolean(options.verify) });
    const complete = !result.error && !result.interrupted && !options.dryRun;
    const verify =
      options.verify && complete
        ? await compareClients(source, target, {
            match: options.match,
            batchSize: options.batchSize,
            ttlToleranceMs: VERIFY_TTL_TOLERANCE_MS,
            explain: migrateExplain(result, options.onConflict ?? 'skip'),
            shouldStop: options.shouldStop,
            onStart: options.onVerifyStart,
            onProgress: options.onVerifyProgress,
          })
        : undefined;
    return { result, verify };
  });
}

/**
 * Exit code of a run: 2 refused before writing (the target could evict),
 * 0 only when complete, nothing failed, nothing was evicted and (with
 * --verify) equal; else 1.
 */
export function migrateExitCode(run: MigrateRun): 0 | 1 | 2 {
  const r = run.result;
  if (r.eviction?.refused) return 2;
  return !r.error && !r.interrupted && r.failed === 0 && !evictionFailed(r.eviction) && (run.verify === undefined || run.verify.equal) ? 0 : 1;
}

/** The eviction guard's part of the `--json` shapes of both key copies. */
export function evictionJson(e: EvictionReport | undefined) {
  if (!e) return null;
  return {
    refused: e.refused ?? null,
    allowed: e.allowed,
    evictedKeys: e.evictedKeys,
    stopped: e.stopped,
    unknown: e.unknown ?? null,
    basis: e.basis,
    nodes: e.nodes.map((n) => ({ node: n.node, maxmemory: n.maxmemory, policy: n.policy, usedMemory: n.usedMemory, estimate: n.estimate })),
  };
}

/** Processed keys per second (copied + skipped + expired + failed). */
function rate(r: MigrateResult): number | null {
  return r.seconds > 0 ? Math.round((r.copied + r.skipped + r.expired + r.failed) / r.seconds) : null;
}

/** The `--json` shape of migrate. */
export function migrateJson(run: MigrateRun, o: MigrateCliOptions) {
  const r = run.result;
  return {
    from: redactUrl(o.from),
    to: redactUrl(o.to),
    match: o.match ?? null,
    source: r.source,
    target: r.target,
    onConflict: o.onConflict ?? 'skip',
    dryRun: Boolean(o.dryRun),
    scanned: r.scanned,
    copied: r.copied,
    skipped: r.skipped,
    expired: r.expired,
    failed: r.failed,
    seconds: Math.round(r.seconds * 1000) / 1000,
    keysPerSecond: rate(r),
    interrupted: r.interrupted,
    error: r.error ?? null,
    conflict: r.conflict ? jsonKey(r.conflict) : null,
    evictedKeys: r.eviction?.evictedKeys ?? null,
    eviction: evictionJson(r.eviction),
    verify: run.verify ? compareJson(run.verify, o.from, o.to, o.match) : null,
  };
}

/** Lines people read. */
export function formatMigrate(run: MigrateRun, o: { readonly dryRun?: boolean; readonly onConflict?: OnConflict } = {}): string {
  const dryRun = Boolean(o.dryRun);
  const r = run.result;
  const verb = dryRun ? 'DRY RUN: would copy' : r.error ? 'STOPPED: copied' : r.interrupted ? 'INTERRUPTED: copied' : 'copied';
  const lines: string[] = [];
  for (const [side, label] of [['source', r.source], ['target', r.target]] as const) {
    if (label.startsWith('Redis Cluster')) lines.push(`${side}: ${label}`);
  }
  if (r.eviction?.refused) {
    lines.push(r.eviction.refused);
    return lines.join('\n');
  }
  lines.push(
    `${verb} ${r.copied}, skipped ${r.skipped} (already on the target), expired ${r.expired}, failed ${r.failed} ` +
      `of ${r.scanned} keys in ${r.seconds.toFixed(1)} s (${rate(r) ?? 0} keys/s)`,
  );
  if (r.error) lines.push(`error: ${r.error}`);
  // Stopped by an eviction, the error says what to do before a rerun; allowed to go on, the count is still a failure.
  if (r.eviction && r.eviction.evictedKeys > 0 && !r.eviction.stopped) lines.push(`EVICTED: ${evictedMessage(r.eviction.evictedKeys, false)}`);
  // A rerun finishes a run that wrote something; one that wrote nothing was refused or failed for the reason above.
  if ((r.error || r.interrupted) && !r.eviction?.stopped && !dryRun && (r.copied + r.skipped + r.expired > 0 || r.interrupted)) {
    lines.push(
      (o.onConflict ?? 'skip') === 'fail'
        ? 'Every batch before this point is complete; to finish, rerun with --on-conflict skip (a rerun with fail would stop at the first key this run wrote).'
        : (o.onConflict ?? 'skip') === 'replace'
          ? 'Every batch before this point is complete; rerun the same command to finish (the keys this run wrote are replaced again).'
          : 'Every batch before this point is complete; rerun the same command to finish (existing keys are skipped).',
    );
  }
  if (run.verify) lines.push(`verify: ${formatCompare(run.verify)}`);
  return lines.join('\n');
}

/**
 * The progress bars of a copy and of the --verify pass after it (migrate
 * and migrate --from-rdb): the callbacks a run takes, and `stop` for both.
 */
export function copyProgress() {
  const copying = keyProgress('migrate');
  const verifying = keyProgress('verify');
  return {
    callbacks: {
      onStart: copying.start,
      onBatch: (c: CopyCounts) => copying.update(c.copied + c.skipped + c.expired + c.failed),
      onVerifyStart: (total: number | undefined) => {
        copying.stop();
        verifying.start(total);
      },
      onVerifyProgress: verifying.update,
    },
    stop: () => {
      copying.stop();
      verifying.stop();
    },
  };
}

/**
 * `redis-dr migrate --from <url> --to <url> [--match] [--on-conflict skip|replace|fail] [--dry-run] [--verify] [--allow-eviction] [--json]`.
 * Exit 0 all copied (and equal with --verify), 1 failed, stopped, evicted or different, 2 usage or refused (the target could evict).
 */
/** The `migrate` command's action (loaded only when the command runs; options: cli/commands/migrate.ts). */
export async function migrateAction(o: MigrateCliOptions & { json?: boolean }): Promise<void> {
  parseRedisUrl(o.from); // bad URLs are usage errors (exit 2), thrown before any connection
  parseRedisUrl(o.to);
  const sig = stopOnSigint();
  const progress = copyProgress();
  try {
    const run = await runMigrate({ ...o, shouldStop: sig.stopped, ...progress.callbacks });
    progress.stop();
    process.stdout.write(o.json ? `${JSON.stringify(migrateJson(run, o), null, 2)}\n` : `${formatMigrate(run, o)}\n`);
    process.exitCode = migrateExitCode(run);
  } catch (err) {
    if (err instanceof UsageError || err instanceof RedisUrlError) throw err; // exit 2: nothing was done
    process.stderr.write(`redis-dr migrate: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  } finally {
    progress.stop();
    sig.dispose();
  }
}
