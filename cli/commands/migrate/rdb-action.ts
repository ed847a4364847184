/** `redis-dr migrate --from-rdb`: the action (loaded only when the command runs; options: ./command.ts). */
import { migrateFromRdb, type MigrateRdbRun } from '../../../lambdas/jobs/keys/migrate-rdb.js';
import { KeySourceError } from '../../../lambdas/jobs/keys/sources.js';
import { parseRedisUrl, redactUrl, RedisUrlError } from '../../../lambdas/jobs/keys/clients.js';
import { jsonKey } from '../../../lambdas/domain/rdb/fingerprint.js';
import type { RestoreRdbResult } from '../../../lambdas/jobs/keys/read-rdb.js';
import { RDB_EXPECTED_KINDS, type RdbExpectedKind, type VerifyRdbKeysResult } from '../../../lambdas/jobs/keys/verify.js';
import { displayKey, type DiffReason } from '../../../lambdas/domain/rdb/fingerprint.js';
import { stopOnSigint } from '../../signals.js';
import { copyProgress, evictionJson, formatMigrate, keysWritten, migrateErrorJson, noMatchLine } from './format.js';
import { migrateRdbOutcome, rdbNoMatch } from '../../../lambdas/jobs/keys/migrate-outcome.js';
import { DatabasePlanError, type DatabasePair } from '../../../lambdas/domain/keys/databases.js';
import { namedFirst, type RdbReport } from '../../../lambdas/domain/rdb/report.js';
import { exitCodeOf } from '../../exit-codes.js';
import type { MigrateCliOptions } from './options.js';
import type { MigrateResult } from '../../../lambdas/jobs/keys/migrate.js';
import { sideCredentials } from '../../redis-credentials.js';
import { failCommand } from '../../failure.js';
import { UsageError } from '../../../lambdas/jobs/kernel/usage-error.js';
import { ignorableKeyMetaLeftOut, keyMetaLeftOut, type LossKind, moduleAuxLeftOut } from '../../../lambdas/domain/rdb/write/losses.js';
import { emptyIdmpText } from '../../../lambdas/domain/rdb/write/stream-extras.js';

/** Command-line options of `migrate --from-rdb`. */
export interface MigrateRdbCliOptions extends Omit<MigrateCliOptions, 'from' | 'dbMappings'> {
  readonly fromRdb: readonly string[];
  /** `--db <src[:dst]>` as parsed. @default every database of the file holding keys, each into its number */
  readonly databases?: readonly DatabasePair[];
  readonly json?: boolean;
  /** Also restore the file's function libraries. */
  readonly functions?: boolean;
  /** Bytes per ranged GET of an s3:// source (tests make parts small). @default 8 MiB */
  readonly readPartBytes?: number;
  /** @internal Bytes per block of the second read's check (tests make blocks small). @default 1 MiB */
  readonly checkBlockBytes?: number;
  /** Shards of the recovery point, for local files (S3 objects carry it in their tags). */
  readonly shards?: number;
  /** `--lossy`: losses accepted when keys are re-encoded for the target. */
  readonly lossy?: string;
}

/** Counts by name of the files' reports (module types, ignorable key metadata classes), added up over a recovery point's shard files. */
function summed(files: RestoreRdbResult['files'], of: (r: RdbReport) => Readonly<Record<string, number>> | undefined): Record<string, number> {
  const sum: Record<string, number> = {};
  for (const f of files) for (const [t, n] of Object.entries(of(f.report) ?? {})) sum[t] = (sum[t] ?? 0) + n;
  return sum;
}

/** What a run did, in migrate's result shape (the summary, exit codes and JSON are migrate's). */
function asMigrateResult(r: RestoreRdbResult, source: string, target: string): MigrateResult {
  return { ...r, source, target };
}

/** The target's credentials (the URL's, a secret or the environment), then {@link migrateFromRdb}. */
export async function runMigrateRdb(o: MigrateRdbCliOptions, env: NodeJS.ProcessEnv = process.env): Promise<MigrateRdbRun> {
  const credentials = await sideCredentials({ option: '--to-secret', secretArn: o.toSecret, envPrefix: 'REDIS_DR_TO' }, env);
  return migrateFromRdb({ ...o, to: { url: o.to, credentials } });
}

/**
 * The lines of what the run restored where: `restored databases: 0 → 0 (1000 keys), 3 → 3 (20 keys)`
 * (a dry run: `DRY RUN: would restore databases: …`, it restored nothing), and a --match that matched nothing.
 */
export function databaseLines(run: MigrateRdbRun, o: Pick<MigrateRdbCliOptions, 'match' | 'dryRun'>): string[] {
  const r = run.result;
  const lines: string[] = [];
  const several = r.databases.length > 1 || r.databases.some((p) => p.from !== p.to);
  if (several && !r.error) {
    const keys = (d: number) => r.matchingByDb[d] ?? 0;
    // At most 16 databases named (namedFirst), as verify-rdb's line: a file of keys in 130,000 databases made a line of megabytes.
    // The keys of the file each database holds (matching --match), not the keys written: skipped and expired ones are
    // counted on the line above (it read `0 → 0 (19 keys)` where 18 were written and one had expired: review 45).
    const each = r.databases.map(
      (p) => `${p.from} → ${p.to} (${keys(p.from)} key${keys(p.from) === 1 ? '' : 's'} of the file${o.match === undefined ? '' : ' matching'})`,
    );
    lines.push(`${o.dryRun ? 'DRY RUN: would restore' : 'restored'} databases: ${namedFirst(each, ', ', 'database')} (file → target)`);
  }
  const none = rdbNoMatch(run);
  if (none) lines.push(noMatchLine(none, o.dryRun ? 'nothing to restore' : 'nothing restored', o.match));
  return lines;
}

/**
 * Exit code: 2 refused before writing (the target could evict); 0 only when
 * the restore was complete, nothing failed or was evicted, the selection
 * matched something and (with --verify) the target holds the files' keys;
 * else 1 (the job decides: lambdas/jobs/keys/migrate-outcome.ts).
 */
export function migrateRdbExitCode(run: MigrateRdbRun): 0 | 1 | 2 {
  return exitCodeOf(migrateRdbOutcome(run));
}

const REASON: Record<DiffReason, string> = {
  'missing-in-b': 'in the file, not on the target',
  'missing-in-a': 'on the target, not in the file',
  type: 'different type',
  value: 'different value',
  ttl: 'different expiry',
};

const EXPECTED: Record<RdbExpectedKind, string> = {
  'kept-on-target': 'kept on the target (it had the key: --on-conflict skip left it alone)',
  expired: 'expired (skipped by the restore, or gone since)',
  'field-ttl': 'held without their field TTLs (--lossy field-ttl let them go: equal by their fields alone)',
};

/** Each kind's keys in the lines under the verdict. */
const EXPECTED_SHORT: Record<RdbExpectedKind, string> = { 'kept-on-target': 'kept on the target', expired: 'expired', 'field-ttl': 'without their field TTLs' };

/** A key of a difference, with its database where the run restored several. */
const keyWhere = (d: { readonly key: Buffer; readonly db?: number }): string => `${displayKey(d.key)}${d.db === undefined ? '' : ` (database ${d.db})`}`;

/** The --verify lines people read. */
export function formatRdbVerify(v: VerifyRdbKeysResult): string {
  const kinds = RDB_EXPECTED_KINDS.filter((k) => v.expected[k] > 0);
  const expectedTotal = kinds.reduce((n, k) => n + v.expected[k], 0);
  // "All" only when it is all: a key skip kept, one expired or one held without its field TTLs is not the file's restored.
  const equal =
    expectedTotal === 0
      ? `EQUAL: the target holds all ${v.keys} keys of the file restored, same type, value and expiry`
      : `EQUAL: of the ${v.keys} keys of the file, the target holds ${v.keys - expectedTotal} restored (same type, value and expiry) and ${expectedTotal} as expected (below)`;
  const head = v.error
    ? `NOT PROVEN: ${v.error}`
    : v.interrupted
      ? `INTERRUPTED after ${v.keys} keys of the file: not proven`
      : v.equal
        ? equal
        : `DIFFERENT: ${v.differences} key(s) of the file differ on the target (${v.keys} checked)`;
  const lines = [`verify: ${head}, ${v.seconds.toFixed(1)} s`];
  lines.push(...v.diffs.map((d) => `  ${REASON[d.reason]}: ${keyWhere(d)}`));
  if (v.differences > v.diffs.length) lines.push(`  … and ${v.differences - v.diffs.length} more`);
  if (v.keptGone > 0) {
    lines.push(
      `  live keys gone: ${v.keptGone} key${v.keptGone === 1 ? '' : 's'} the target held when the restore ran (--on-conflict skip kept ${v.keptGone === 1 ? 'it' : 'them'}) ` +
        `${v.keptGone === 1 ? 'is' : 'are'} gone now — evicted, deleted or expired since; the file holds only the older value: ` +
        `${v.keptGoneKeys.map((k) => displayKey(k)).join(', ')}${v.keptGone > v.keptGoneKeys.length ? ', …' : ''}`,
    );
  }
  if (expectedTotal > 0) {
    lines.push(`  expected differences (not counted as differences): ${kinds.map((k) => `${v.expected[k]} ${EXPECTED[k]}`).join('; ')}`);
    // Named (as many as --json's expectedDiffs lists): which keys of the file the target does not hold as restored.
    for (const kind of kinds) {
      const named = v.expectedDiffs.filter((d) => d.expected === kind);
      const keys = named.map((d) => `${keyWhere(d)}${kind === 'field-ttl' ? '' : ` (${REASON[d.reason]})`}`);
      lines.push(`    ${EXPECTED_SHORT[kind]}: ${keys.join(', ')}${v.expected[kind] > named.length ? ', …' : ''}`);
    }
  }
  if (v.skippedOverflow) {
    lines.push(
      '  note: the restore skipped more keys than it remembers (1,000,000): every key the target holds differently was taken as one skip kept, its value not compared',
    );
  }
  return lines.join('\n');
}

/** The --verify part of the `--json` shape. */
function verifyJson(v: VerifyRdbKeysResult) {
  return {
    equal: v.equal,
    keys: v.keys,
    differences: v.differences,
    diffs: v.diffs.map((d) => ({ ...jsonKey(d.key), reason: d.reason, ...(d.db === undefined ? {} : { db: d.db }) })),
    truncated: v.differences > v.diffs.length,
    expected: v.expected,
    expectedDiffs: v.expectedDiffs.map((d) => ({ ...jsonKey(d.key), reason: d.reason, expected: d.expected, ...(d.db === undefined ? {} : { db: d.db }) })),
    comparedByValue: v.comparedByValue,
    keptGone: v.keptGone,
    keptGoneKeys: v.keptGoneKeys.map((k) => jsonKey(k)),
    skippedOverflow: v.skippedOverflow,
    seconds: Math.round(v.seconds * 1000) / 1000,
    interrupted: v.interrupted,
    error: v.error ?? null,
  };
}

/** The `--json` shape: migrate's, plus what the file held. */
export function migrateRdbJson(run: MigrateRdbRun, o: MigrateRdbCliOptions) {
  const r = run.result;
  // The file (a shard of it) refused as not an RDB file: nothing was written.
  const refused = r.files.some((f) => !f.report.ok);
  return {
    // The exit code's verdict, as every command's --json gives it (a difference --verify found is not an `error`).
    ok: migrateRdbExitCode(run) === 0,
    fromRdb: [...o.fromRdb],
    to: redactUrl(o.to),
    databases: r.databases,
    match: o.match ?? null,
    source: run.source,
    target: run.target,
    targetServer: r.targetServer ? { server: r.targetServer.server, readsRdbUpTo: r.targetServer.maxRedisVersion } : null,
    file: r.file ? { ok: r.file.ok, version: r.file.version, keys: r.file.keys, databases: r.file.databases, error: r.file.error ?? null } : null,
    shards: run.set.shards,
    files: r.files.map((f) => ({
      location: f.location,
      ok: f.report.ok,
      version: f.report.version,
      keys: f.report.keys,
      databases: f.report.databases,
      error: f.report.error ?? null,
    })),
    onConflict: o.onConflict ?? 'skip',
    dryRun: Boolean(o.dryRun),
    scanned: r.scanned,
    copied: r.copied,
    replaced: r.replaced,
    replaceUnchecked: r.replaceUnchecked,
    skipped: r.skipped,
    expired: r.expired,
    failed: r.failed,
    notSelected: r.notSelected,
    keysByDb: r.keysByDb,
    noMatch: rdbNoMatch(run) ?? null,
    moduleRefused: r.moduleRefused,
    reencoded: r.reencoded,
    lost: r.lost,
    // Redis 8.6 key metadata a server without its module may skip, left out (per class, the keys that carried it).
    ignoredKeyMeta: summed(r.files, (f) => f.ignorableKeyMeta),
    expiredFields: r.expiredFields,
    // Redis 8.6/8.8 streams written without their IDMP data because it was empty: not a loss (no --lossy needed).
    emptyIdmp: r.emptyIdmp,
    functions: { ...r.functions, restoring: Boolean(o.functions) },
    seconds: Math.round(r.seconds * 1000) / 1000,
    interrupted: r.interrupted,
    error: migrateErrorJson(r.error, r.eviction, refused),
    conflict: r.conflict ? jsonKey(r.conflict) : null,
    writtenUpTo: r.writtenUpTo ?? null,
    evictedKeys: r.eviction?.evictedKeys ?? null,
    eviction: evictionJson(r.eviction),
    verify: run.verify ? verifyJson(run.verify) : null,
  };
}

/**
 * `redis-dr migrate --from-rdb <file|s3://…> [--from-rdb …] --to <url> [--shards n] [--db <src[:dst]>]… [--match] [--on-conflict] [--dry-run] [--verify] [--allow-eviction] [--json]`.
 * Exit 0 all restored (and, with --verify, found on the target), 1 refused file, failed, stopped, evicted or different, 2 usage or refused (the target could evict).
 */
export async function migrateRdbAction(o: MigrateRdbCliOptions): Promise<void> {
  parseRedisUrl(o.to); // a bad URL is a usage error (exit 2), before any connection
  const sig = stopOnSigint();
  const progress = copyProgress();
  const written = keysWritten(progress.callbacks, o.dryRun);
  try {
    const run = await runMigrateRdb({ ...o, shouldStop: sig.stopped, ...written.callbacks });
    progress.stop();
    const r = run.result;
    if (o.json) process.stdout.write(`${JSON.stringify(migrateRdbJson(run, o), null, 2)}\n`);
    else {
      const lines = [`source: ${run.source}`, formatMigrate({ result: asMigrateResult(r, run.source, run.target) }, { ...o, leftOut: r.lost.module })];
      if (r.reencoded > 0)
        lines.push(
          `re-encoded: ${r.reencoded} key${r.reencoded === 1 ? '' : 's'} for the target (it cannot read the file's RDB version, or those keys' types: listpacks and newer encodings written in forms it reads)`,
        );
      for (const [kind, n] of Object.entries(r.lost))
        lines.push(
          `--lossy ${kind}: ${n} key${n === 1 ? '' : 's'} ${kind === 'module' ? 'left out (the target has no module loaded)' : 'written with that loss'}`,
        );
      const lossy = new Set((o.lossy ?? '').split(',').map((k) => k.trim() as LossKind));
      // Every shard file's modules (a recovery point's AUX data may be in any of them), not the first file's only.
      const aux = moduleAuxLeftOut([...new Set(r.files.flatMap((f) => f.report.moduleAux ?? []))], lossy);
      if (aux && !r.error) lines.push(aux);
      const meta = keyMetaLeftOut(
        summed(r.files, (f) => f.moduleTypes),
        lossy,
      );
      if (meta && !r.error) lines.push(meta);
      const ignored = ignorableKeyMetaLeftOut(
        summed(r.files, (f) => f.ignorableKeyMeta),
        o.dryRun ? 'would be left out' : 'left out',
      );
      if (ignored && !r.error) lines.push(ignored);
      const idmp = emptyIdmpText(r.emptyIdmp, o.dryRun ? 'would be written' : 'written');
      if (idmp) lines.push(idmp);
      if (r.expiredFields > 0)
        lines.push(
          `expired hash fields: ${r.expiredFields} left out (their TTL had passed when the run started; a hash left without fields is counted expired)`,
        );
      for (const [name, n] of Object.entries(r.moduleRefused))
        lines.push(`refused: ${n} module value${n === 1 ? '' : 's'} of type ${name} (the target has no module for it: load it there and rerun)`);
      if (r.functions.inFile > 0) {
        lines.push(
          o.functions
            ? `functions: ${r.functions.inFile} librar${r.functions.inFile === 1 ? 'y' : 'ies'} in the file; restored ${r.functions.restored}, left alone ${r.functions.skipped} (already on the target), failed ${r.functions.failed} (counted per primary)`
            : r.functions.refusedOnLoad
              ? `functions: ${r.functions.inFile} librar${r.functions.inFile === 1 ? 'y' : 'ies'} in the file, not restored (the target would not load ${r.functions.refusedOnLoad})`
              : `functions: ${r.functions.inFile} librar${r.functions.inFile === 1 ? 'y' : 'ies'} in the file, not restored (add --functions)`,
        );
      }
      if (r.notSelected > 0) lines.push(`not selected: ${r.notSelected} keys of the file (another database, or not matching --match)`);
      lines.push(...databaseLines(run, o));
      if (run.verify) lines.push(formatRdbVerify(run.verify));
      process.stdout.write(`${lines.join('\n')}\n`);
    }
    process.exitCode = migrateRdbExitCode(run);
  } catch (err) {
    if (err instanceof UsageError || err instanceof RedisUrlError || err instanceof KeySourceError || err instanceof DatabasePlanError) throw err; // exit 2: nothing was done
    // The target (or the file's store) not reached before any key was written: exit 2 naming it; after: exit 1, saying how many.
    failCommand('migrate', err, written.partial());
  } finally {
    progress.stop();
    sig.dispose();
  }
}
