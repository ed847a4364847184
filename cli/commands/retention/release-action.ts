/**
 * `redis-dr retention release --target <id> --point <snapshot> [--accept] [--dry-run] [--json]`:
 * runs the release job (snapshots: lambdas/jobs/scheduled/release-collapse-hold.ts;
 * self-managed backups with --destination:
 * lambdas/jobs/self-managed/release-backup-hold.ts) and prints each change.
 * Exit 0 when all was done, 1 when some change failed (each named), 2 for
 * bad input.
 */
import { type ReleaseChange, releaseCollapseHold } from '../../../lambdas/jobs/scheduled/release-collapse-hold.js';
import { CliAws, type CliEnv, loadCliConfig, runAwsCommand } from '../../aws.js';
import { describeFailure, reportFailure } from '../../failure.js';
import { UsageError } from '../../../lambdas/jobs/kernel/usage-error.js';

export type { ReleaseChange, ReleaseReport } from '../../../lambdas/jobs/scheduled/release-collapse-hold.js';

/** Options of `retention release` (cli/commands/retention/command.ts). */
export interface ReleaseOptions {
  readonly target: string;
  readonly point: string;
  readonly config: string;
  readonly accept?: boolean;
  readonly dryRun?: boolean;
  readonly json?: boolean;
  /** Self-managed backups: the `backup --to` destination whose holds to release (instead of -c). */
  readonly destination?: string;
  /** With `destination` on an S3-compatible store: its endpoint, as `backup --s3-endpoint`. */
  readonly s3Endpoint?: string;
}

/** The `retention release` action (loaded only when the command runs; options: cli/commands/retention/command.ts). */
export async function releaseAction(o: ReleaseOptions, env: CliEnv = {}): Promise<void> {
  if (o.destination !== undefined) return releaseBackups(o);
  const config = loadCliConfig(o.config);
  const aws = new CliAws(config, env);
  await runAwsCommand('retention release', aws, async () => {
    const onChange = (c: ReleaseChange): void => {
      if (!o.json)
        process.stderr.write(
          `${c.outcome === 'failed' ? 'FAILED ' : c.outcome === 'planned' ? 'would ' : ''}${c.what} ${c.resource}: ${c.from} -> ${c.to}${c.error ? ` (${c.error})` : ''}\n`,
        );
    };
    const r = await releaseCollapseHold(config, aws, { ...o, onChange });
    if (o.json) {
      process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
    } else {
      const verb = r.dryRun ? 'DRY RUN: would make' : 'made';
      const done = r.changes.filter((c) => c.outcome !== 'failed').length;
      process.stdout.write(
        r.failed === 0
          ? `${verb} ${done} change(s): the hold of ${r.point} on ${r.target} is ${r.dryRun ? 'not yet ' : ''}released\n`
          : `PARTIAL: ${done} change(s) made, ${r.failed} failed (listed above); run it again to finish\n`,
      );
    }
    return r.failed === 0 ? 0 : 1;
  });
}

/**
 * `retention release --destination <url>`: the holds a collapse put on a
 * target's self-managed backups (lambdas/jobs/self-managed/release-backup-hold.ts). The
 * collapsed backup always becomes the new baseline: later backups are judged
 * against it (as --accept does for snapshots). Exit 0 released, 1 a store
 * fault (the releases before it stay done, logged), 2 bad input.
 */
async function releaseBackups(o: ReleaseOptions): Promise<void> {
  // The backup stores load only for --destination.
  const [{ openBackupStore }, { releaseBackupHold }] = await Promise.all([
    import('../../../lambdas/jobs/self-managed/clients.js'),
    import('../../../lambdas/jobs/self-managed/release-backup-hold.js'),
  ]);
  const store = await openBackupStore(o.destination!, o.s3Endpoint, '--destination');
  const lines: string[] = [];
  // The lines that say of a change made (a `kept …` line changed nothing): what a PARTIAL counts.
  let made = 0;
  let released;
  try {
    released = await releaseBackupHold(
      store,
      o.target,
      o.point,
      (line, changed) => {
        lines.push(line);
        if (changed) made++;
        if (!o.json) process.stderr.write(`${line}\n`);
      },
      undefined,
      o.dryRun ?? false,
    );
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    // A wrong --point or --target is bad input; a store fault is a failed release.
    if (/^(--point|nothing in )/.test(message)) throw new UsageError(message);
    // The store not reached before any change: exit 2 naming it; a fault after changes: exit 1, PARTIAL (cli/failure.ts).
    const problem = describeFailure(err, 'retention release', made > 0 ? `${made} change(s) made before it` : undefined);
    const { code, fix } = problem;
    if (o.json)
      process.stdout.write(
        `${JSON.stringify({ ok: false, error: { code, message: problem.message, fix }, target: o.target, point: o.point, failed: 1, changes: lines }, null, 2)}\n`,
      );
    else if (problem.exitCode === 1)
      process.stderr.write(
        `${made > 0 ? 'PARTIAL' : 'FAILED'}: ${message}${made > 0 ? ` (${made} change(s) made before it, listed above); run it again to finish` : ''}\n`,
      );
    else reportFailure('retention release', problem, false);
    process.exitCode = problem.exitCode;
    return;
  }
  if (o.json) process.stdout.write(`${JSON.stringify({ ...released, failed: 0, changes: lines }, null, 2)}\n`);
  else {
    const later = [...new Set((released.moved ?? []).map((m) => m.to))].join(', ');
    const moved = later ? `; ${released.moved!.length} stay held, by the later collapse ${later}` : '';
    process.stdout.write(
      released.dryRun
        ? `dry run: would release ${released.released.length} backup(s) held by ${released.point} in ${store.url}${moved.replace('stay', 'would stay')}${released.accepted ? `; ${released.accepted} would be the new baseline` : ''}; nothing changed\n`
        : `released ${released.released.length} backup(s) held by ${released.point} in ${store.url}${moved}${released.accepted ? `; ${released.accepted} is the new baseline` : ''}\n`,
    );
  }
}
