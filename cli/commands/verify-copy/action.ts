/**
 * `redis-dr verify-copy -c <config> <s3 url | --newest --target <id>>`: the
 * verify-copy job (lambdas/jobs/on-demand/verify-copy.ts) on one copy in the
 * DR bucket. Exit 0 when the verdict is ok, 1 when it is not (corrupt,
 * unsupported, or the verification failed), 2 usage.
 */
import { recoveryBucketName, verifyStateMachineArn } from '../../../lib/deployment.js';
import { type VerifyCopyResult, verifyCopy } from '../../../lambdas/jobs/on-demand/verify-copy.js';
import { CliAws, type CliEnv, loadCliConfig, runAwsCommand } from '../../aws.js';
import { withStatus } from '../../progress.js';
import { UsageError } from '../../../lambdas/jobs/kernel/usage-error.js';
import { RUNBOOKS } from '../../../lambdas/domain/alerting/catalog.js';
import { type VerifyUnprovenResult, verifyUnproven } from '../../../lambdas/jobs/on-demand/verify-unproven.js';

/** The options of `redis-dr verify-copy` (cli/commands/verify-copy/command.ts). */
export interface VerifyCopyCliOptions {
  readonly newest?: boolean;
  readonly target?: string;
  readonly unproven?: boolean;
  readonly dryRun?: boolean;
  readonly concurrency: number;
  readonly pollSeconds: number;
  readonly timeoutMinutes: number;
  readonly config?: string;
  readonly json?: boolean;
}

/** Lines people read. */
export function formatVerifyCopy(r: VerifyCopyResult): string {
  const lines = (r.shards ?? [r]).flatMap((c) => [
    `s3://${c.bucket}/${c.key}: ${c.verdict ? `verdict ${c.verdict}` : 'no verdict'}${c.rdb ? ` (${c.rdb})` : ''}`,
    `execution ${c.executionArn}: ${c.status}${c.error ? ` (${c.error})` : ''}`,
    ...(c.untrusted ? [c.untrusted] : []),
  ]);
  if (r.shards) lines.push(`${r.shards.filter((c) => c.ok).length} of ${r.shards.length} shards verified ok`);
  if (!r.ok) lines.push(r.verdict === 'corrupt' ? `Runbook: ${RUNBOOKS.corruption}` : `Runbook: ${RUNBOOKS.drCopies}`);
  return `${lines.join('\n')}\n`;
}

/** Lines people read of `--unproven`: each unproven copy and why, each verification, and the summary. */
export function formatVerifyUnproven(r: VerifyUnprovenResult): string {
  const lines = [`${r.unproven.length} of ${r.copies} copies in s3://${r.bucket} read unproven`];
  if (r.dryRun) for (const c of r.unproven) lines.push(`UNPROVEN s3://${r.bucket}/${c.key}: ${c.why}`);
  for (const c of r.results) {
    const said = `${c.verdict ? `verdict ${c.verdict}` : 'no verdict'}${c.rdb ? ` (${c.rdb})` : ''}`;
    lines.push(`${c.ok ? 'OK' : 'NOT OK'} s3://${c.bucket}/${c.key}: ${said}; execution ${c.executionArn}: ${c.status}${c.error ? ` (${c.error})` : ''}`);
    if (!c.ok && c.untrusted) lines.push(`  ${c.untrusted}`);
  }
  if (r.dryRun) {
    if (r.unproven.length > 0) lines.push(`dry run: nothing started; verify them with redis-dr verify-copy -c <config> --unproven`);
  } else if (r.results.length > 0) {
    const good = r.results.filter((c) => c.ok).length;
    lines.push(`${good} of ${r.results.length} verified ok now${good < r.results.length ? `; the others are not ok (Runbook: ${RUNBOOKS.drCopies})` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}

/** `--unproven`: the verify-unproven job on the DR bucket; exit 1 when any copy is (still) unproven or not ok. */
async function verifyUnprovenAction(o: VerifyCopyCliOptions, config: ReturnType<typeof loadCliConfig>, env: CliEnv): Promise<void> {
  const aws = new CliAws(config, env);
  await runAwsCommand('verify-copy', aws, async () => {
    const account = await aws.account();
    const region = config.dr.region;
    const r = await withStatus('verify-copy', true, (status) =>
      verifyUnproven(
        {
          stateMachineArn: verifyStateMachineArn(config.name, region, account, aws.partition(region)),
          region,
          bucket: recoveryBucketName(config.name, account, region),
          concurrency: o.concurrency,
          ...(o.dryRun ? { dryRun: true } : {}),
        },
        aws,
        { pollSeconds: o.pollSeconds, timeoutMinutes: o.timeoutMinutes, onStatus: status },
      ),
    );
    process.stdout.write(o.json ? `${JSON.stringify(r, null, 2)}\n` : formatVerifyUnproven(r));
    return r.ok ? 0 : 1;
  });
}

/** The `verify-copy` command's action (loaded only when the command runs). */
export async function verifyCopyAction(url: string | undefined, o: VerifyCopyCliOptions, env: CliEnv = {}): Promise<void> {
  const config = loadCliConfig(o.config);
  if (o.unproven) {
    if (url !== undefined || o.newest || o.target)
      throw new UsageError('--unproven takes every unproven copy of the DR bucket: give no s3:// URL, --newest or --target with it');
    return verifyUnprovenAction(o, config, env);
  }
  if (o.dryRun) throw new UsageError('--dry-run goes with --unproven (a single copy is verified, never dry-run)');
  if ((url === undefined) === !o.newest || (o.newest && !o.target))
    throw new UsageError('give the copy as s3://<bucket>/<key>, --newest --target <id>, or --unproven (one of them)');
  const m = url === undefined ? undefined : /^s3:\/\/([^/]+)\/(.+)$/.exec(url);
  if (url !== undefined && !m)
    throw new UsageError(`${url} is not an s3://<bucket>/<key> URL: e.g. s3://redis-dr-prod-111122223333-eu-central-1/rdr-app-20261123-1000-0001.rdb`);
  const aws = new CliAws(config, env);
  await runAwsCommand('verify-copy', aws, async () => {
    const account = await aws.account();
    const region = config.dr.region;
    const drBucket = recoveryBucketName(config.name, account, region);
    if (m && m[1] !== drBucket) throw new UsageError(`${url}: copies are verified in the DR bucket ${drBucket}; give a key there`);
    const r = await withStatus('verify-copy', true, (status) =>
      verifyCopy(
        {
          stateMachineArn: verifyStateMachineArn(config.name, region, account, aws.partition(region)),
          region,
          bucket: drBucket,
          ...(m ? { key: m[2]! } : { target: o.target! }),
        },
        aws,
        { pollSeconds: o.pollSeconds, timeoutMinutes: o.timeoutMinutes, onStatus: status },
      ),
    );
    process.stdout.write(o.json ? `${JSON.stringify(r, null, 2)}\n` : formatVerifyCopy(r));
    return r.ok ? 0 : 1;
  });
}
