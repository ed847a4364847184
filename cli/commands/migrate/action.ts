/** `redis-dr migrate`: the action (loaded only when the command runs; options: ./command.ts). */
import { parseRedisUrl, RedisUrlError, type KeyspaceSpec } from '../../../lambdas/jobs/keys/clients.js';
import { DatabasePlanError } from '../../../lambdas/domain/keys/databases.js';
import { runMigrate as runMigrateSpec, type MigrateRuns } from '../../../lambdas/jobs/keys/migrate.js';
import { sideCredentials } from '../../redis-credentials.js';
import { stopOnSigint } from '../../signals.js';
import { failCommand } from '../../failure.js';
import { UsageError } from '../../../lambdas/jobs/kernel/usage-error.js';
import { databasePair, type MigrateCliOptions } from './options.js';
import { copyProgress, formatMigrateRuns, keysWritten, migrateJson, migrateRunsExitCode } from './format.js';

/** Both sides' credentials (the URL's, a secret or the environment), then {@link runMigrateSpec}. */
export async function runMigrate(options: MigrateCliOptions, env: NodeJS.ProcessEnv = process.env): Promise<MigrateRuns> {
  const from: KeyspaceSpec = {
    url: options.from,
    readReplicas: options.fromReplicas,
    credentials: await sideCredentials({ option: '--from-secret', secretArn: options.fromSecret, envPrefix: 'REDIS_DR_FROM' }, env),
  };
  const to: KeyspaceSpec = {
    url: options.to,
    credentials: await sideCredentials({ option: '--to-secret', secretArn: options.toSecret, envPrefix: 'REDIS_DR_TO' }, env),
  };
  return runMigrateSpec({ ...options, from, to, ...(options.dbMappings ? { databases: options.dbMappings.map(databasePair) } : {}) });
}

/**
 * `redis-dr migrate --from <url> --to <url> [--db <src[:dst]>]… [--match] [--on-conflict skip|replace|fail] [--dry-run] [--verify] [--allow-eviction] [--json]`.
 * Exit 0 every database holding keys copied (and equal with --verify), 1 failed, stopped, evicted, different or a database left out,
 * 2 usage or refused (the target could evict, or has no such database).
 */
/** The `migrate` command's action (loaded only when the command runs; options: cli/commands/migrate/command.ts). */
export async function migrateAction(o: MigrateCliOptions & { json?: boolean }): Promise<void> {
  parseRedisUrl(o.from); // bad URLs are usage errors (exit 2), thrown before any connection
  parseRedisUrl(o.to);
  const sig = stopOnSigint();
  const progress = copyProgress();
  const written = keysWritten(progress.callbacks, o.dryRun);
  try {
    const run = await runMigrate({ ...o, shouldStop: sig.stopped, ...written.callbacks });
    progress.stop();
    process.stdout.write(o.json ? `${JSON.stringify(migrateJson(run, o), null, 2)}\n` : `${formatMigrateRuns(run, o)}\n`);
    process.exitCode = migrateRunsExitCode(run);
  } catch (err) {
    if (err instanceof UsageError || err instanceof RedisUrlError || err instanceof DatabasePlanError) throw err; // exit 2: nothing was done
    // A server not reached before any key was written: exit 2 naming it; after some were: exit 1, saying how many.
    failCommand('migrate', err, written.partial());
  } finally {
    progress.stop();
    sig.dispose();
  }
}
