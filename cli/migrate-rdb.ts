import { createReadStream, statSync } from 'node:fs';
import { connectKeyspace, parseRedisUrl, redactUrl, RedisUrlError } from '../lambdas/adapters/redis-copy';
import { jsonKey } from '../lambdas/domain/fingerprint';
import { restoreRdbKeys, type RestoreRdbResult } from '../lambdas/jobs/restore-rdb-keys';
import { stopOnSigint } from './compare';
import { formatMigrate, migrateExitCode, type MigrateCliOptions, type MigrateResult } from './migrate';
import { keyProgress } from './progress';
import { sideCredentials } from './redis-credentials';
import { UsageError } from './usage';

/** Command-line options of `migrate --from-rdb`. */
export interface MigrateRdbCliOptions extends Omit<MigrateCliOptions, 'from'> {
  readonly fromRdb: readonly string[];
  readonly db?: number;
  readonly json?: boolean;
  /** Also restore the file's function libraries. */
  readonly functions?: boolean;
  /** Bytes per ranged GET of an s3:// source (tests make parts small). @default 8 MiB */
  readonly readPartBytes?: number;
}

/** Reads a local file in 1 MiB chunks. */
function localFile(path: string): () => AsyncIterable<Uint8Array> {
  return () => createReadStream(path, { highWaterMark: 1 << 20 });
}

/** What a run did, in migrate's result shape (the summary, exit codes and JSON are migrate's). */
function asMigrateResult(r: RestoreRdbResult, source: string, target: string): MigrateResult {
  return { ...r, source, target };
}

/** Runs the restore of one local RDB file into the `--to` server. */
export async function runMigrateRdb(o: MigrateRdbCliOptions, env: NodeJS.ProcessEnv = process.env): Promise<{ result: RestoreRdbResult; source: string; target: string }> {
  if (o.fromRdb.length !== 1) {
    throw new UsageError('--from-rdb: several files (the shards of a cluster-mode recovery point) are not supported yet; give one file');
  }
  const path = o.fromRdb[0]!;
  if (o.verify) throw new UsageError('--from-rdb with --verify is not supported yet: run redis-dr verify-rdb on the file and compare after restoring');
  let open: () => AsyncIterable<Uint8Array>;
  if (path.startsWith('s3://')) {
    // The AWS SDK loads only for s3:// sources. One HeadObject; both reads pinned to its ETag.
    open = (await (await import('./s3-input.js')).openS3Object(path, { partBytes: o.readPartBytes })).read;
  } else {
    try {
      if (!statSync(path).isFile()) throw new Error('not a file');
    } catch (err) {
      throw new UsageError(`--from-rdb ${path}: cannot read it (${err instanceof Error ? err.message : String(err)})`);
    }
    open = localFile(path);
  }
  const credentials = await sideCredentials({ option: '--to-secret', secretArn: o.toSecret, envPrefix: 'REDIS_DR_TO' }, env);
  const target = await connectKeyspace({ url: o.to, credentials }, 'redis-dr-migrate');
  try {
    const result = await restoreRdbKeys(open, target, { ...o, rememberSkipped: false });
    const file = result.file ? `file ${path} (RDB ${result.file.version}, db ${o.db ?? 0})` : `file ${path}`;
    return { result, source: file, target: target.label };
  } finally {
    target.close();
  }
}

/** The `--json` shape: migrate's, plus what the file held. */
export function migrateRdbJson(run: { result: RestoreRdbResult; source: string; target: string }, o: MigrateRdbCliOptions) {
  const r = run.result;
  return {
    fromRdb: [...o.fromRdb],
    to: redactUrl(o.to),
    db: o.db ?? 0,
    match: o.match ?? null,
    source: run.source,
    target: run.target,
    targetServer: r.targetServer ? { server: r.targetServer.server, readsRdbUpTo: r.targetServer.maxRedisVersion } : null,
    file: r.file ? { ok: r.file.ok, version: r.file.version, keys: r.file.keys, databases: r.file.databases, error: r.file.error ?? null } : null,
    onConflict: o.onConflict ?? 'skip',
    dryRun: Boolean(o.dryRun),
    scanned: r.scanned,
    copied: r.copied,
    skipped: r.skipped,
    expired: r.expired,
    failed: r.failed,
    notSelected: r.notSelected,
    moduleRefused: r.moduleRefused,
    functions: { ...r.functions, restoring: Boolean(o.functions) },
    seconds: Math.round(r.seconds * 1000) / 1000,
    interrupted: r.interrupted,
    error: r.error ?? null,
    conflict: r.conflict ? jsonKey(r.conflict) : null,
    writtenUpTo: r.writtenUpTo ?? null,
    verify: null,
  };
}

/**
 * `redis-dr migrate --from-rdb <file> --to <url> [--db n] [--match] [--on-conflict] [--dry-run] [--json]`.
 * Exit 0 all restored, 1 refused, failed or stopped, 2 usage.
 */
export async function migrateRdbAction(o: MigrateRdbCliOptions): Promise<void> {
  parseRedisUrl(o.to); // a bad URL is a usage error (exit 2), before any connection
  const sig = stopOnSigint();
  const progress = keyProgress('migrate');
  try {
    const run = await runMigrateRdb({ ...o, shouldStop: sig.stopped, onStart: progress.start, onBatch: (c) => progress.update(c.copied + c.skipped + c.expired + c.failed) });
    progress.stop();
    const r = run.result;
    if (o.json) process.stdout.write(`${JSON.stringify(migrateRdbJson(run, o), null, 2)}\n`);
    else {
      const lines = [formatMigrate({ result: asMigrateResult(r, run.source, run.target) }, o.dryRun)];
      for (const [name, n] of Object.entries(r.moduleRefused)) lines.push(`refused: ${n} module value${n === 1 ? '' : 's'} of type ${name} (the target has no module for it: load it there and rerun)`);
      if (r.functions.inFile > 0) {
        lines.push(
          o.functions
            ? `functions: ${r.functions.inFile} librar${r.functions.inFile === 1 ? 'y' : 'ies'} in the file; restored ${r.functions.restored}, left alone ${r.functions.skipped} (already on the target), failed ${r.functions.failed} (counted per primary)`
            : `functions: ${r.functions.inFile} librar${r.functions.inFile === 1 ? 'y' : 'ies'} in the file, not restored (add --functions)`,
        );
      }
      if (r.notSelected > 0) lines.push(`not selected: ${r.notSelected} keys of the file (another database, or not matching --match)`);
      process.stdout.write(`${lines.join('\n')}\n`);
    }
    process.exitCode = migrateExitCode({ result: asMigrateResult(r, run.source, run.target) });
  } catch (err) {
    if (err instanceof UsageError || err instanceof RedisUrlError) throw err;
    process.stderr.write(`redis-dr migrate: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  } finally {
    progress.stop();
    sig.dispose();
  }
}
