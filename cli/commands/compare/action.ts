/** `redis-dr compare`: the action (loaded only when the command runs; options: ./command.ts). */
import { parseRedisUrl, RedisUrlError } from '../../../lambdas/jobs/keys/clients.js';
import { DatabasePlanError } from '../../../lambdas/domain/keys/databases.js';
import { comparePoints, isServerUrl } from '../../../lambdas/jobs/serve/compare-points.js';
import { keyProgress } from '../../progress.js';
import { sideCredentials } from '../../redis-credentials.js';
import { stopOnSigint } from '../../signals.js';
import { failCommand } from '../../failure.js';
import { UsageError } from '../../../lambdas/jobs/kernel/usage-error.js';
import { compareJson, formatCompareRuns } from '../../compare-report.js';

/** Command-line options of compare. */
export interface CompareCliOptions {
  readonly a: string;
  readonly b: string;
  readonly aSecret?: string;
  readonly bSecret?: string;
  readonly match?: string;
  readonly maxDiffs: number;
  readonly ttlToleranceMs: number;
  readonly batchSize: number;
  readonly json?: boolean;
}

/**
 * `redis-dr compare --a <url|file> --b <url|file> [--match] [--max-diffs N] [--json]` (a file: a local `.rdb` or
 * `s3://bucket/key`, served read-only for the run: lambdas/jobs/serve/compare-points.ts): every database holding keys
 * on either side (each against its number), or the one --a names. Exit 0 equal, 1 different, a database
 * left out, or could not finish, 2 usage.
 */
/** The `compare` command's action (loaded only when the command runs; options: cli/commands/compare/command.ts). */
export async function compareAction(o: CompareCliOptions): Promise<void> {
  // Bad URLs are usage errors (exit 2), thrown before any connection; a side that is no URL is a file or s3:// object.
  for (const side of [o.a, o.b]) if (isServerUrl(side)) parseRedisUrl(side);
  const sig = stopOnSigint();
  const progress = keyProgress('compare');
  try {
    const result = await comparePoints({
      ...o,
      specA: { credentials: await sideCredentials({ option: '--a-secret', secretArn: o.aSecret, envPrefix: 'REDIS_DR_A' }) },
      specB: { credentials: await sideCredentials({ option: '--b-secret', secretArn: o.bSecret, envPrefix: 'REDIS_DR_B' }) },
      onStart: progress.start,
      onProgress: progress.update,
      shouldStop: sig.stopped,
    });
    progress.stop();
    process.stdout.write(o.json ? `${JSON.stringify(compareJson(result, o.a, o.b, o.match), null, 2)}\n` : `${formatCompareRuns(result, o.match)}\n`);
    process.exitCode = result.equal ? 0 : 1;
  } catch (err) {
    if (err instanceof UsageError || err instanceof RedisUrlError || err instanceof DatabasePlanError) throw err; // exit 2: nothing was done
    // A server not reached: exit 2 naming it; a comparison that broke off: exit 1 (cli/failure.ts).
    failCommand('compare', err);
  } finally {
    progress.stop();
    sig.dispose();
  }
}
