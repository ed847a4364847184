/**
 * `redis-dr retention hold --destination <url> --point <file> --reason <text> --until <date> [--release] [--json]`:
 * runs lambdas/jobs/self-managed/hold-backup.ts and prints what it recorded.
 * Exit 0 done, 1 a store fault, 2 bad input (one line: field, value, fix).
 */
import { hostname, userInfo } from 'node:os';
import { UsageError } from '../../../lambdas/jobs/kernel/usage-error.js';
import { describeFailure, reportFailure } from '../../failure.js';

/** Options of `retention hold` (cli/commands/retention/command.ts). */
export interface HoldOptions {
  readonly destination: string;
  readonly point: string;
  readonly reason?: string;
  readonly until?: string;
  readonly release?: boolean;
  readonly s3Endpoint?: string;
  readonly json?: boolean;
}

/** Who puts the hold: the process's user at this host (the environment when the OS does not say). */
function who(): string {
  let user = process.env.USER ?? 'unknown';
  try {
    user = userInfo().username || user;
  } catch {
    // No passwd entry for this uid (a container): the environment's name.
  }
  return `${user}@${hostname() || process.env.HOSTNAME || 'unknown-host'}`;
}

/** The `retention hold` action (loaded only when the command runs). */
export async function holdAction(o: HoldOptions): Promise<void> {
  if (o.release && (o.reason !== undefined || o.until !== undefined)) {
    throw new UsageError('--release takes no --reason or --until: it removes the hold (to renew it, hold again with the new --until)');
  }
  const [{ openBackupStore }, { holdBackup, releaseBackupOperatorHold }] = await Promise.all([
    import('../../../lambdas/jobs/self-managed/clients.js'),
    import('../../../lambdas/jobs/self-managed/hold-backup.js'),
  ]);
  const store = await openBackupStore(o.destination, o.s3Endpoint, '--destination');
  let change;
  try {
    change = o.release
      ? await releaseBackupOperatorHold(store, o.point)
      : await holdBackup(store, { point: o.point, reason: o.reason, until: o.until, by: who(), now: new Date() });
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const problem = describeFailure(err, 'retention hold');
    if (o.json) process.stdout.write(`${JSON.stringify({ ok: false, error: { code: problem.code, message: problem.message, fix: problem.fix } }, null, 2)}\n`);
    else reportFailure('retention hold', problem, false);
    process.exitCode = problem.exitCode;
    return;
  }
  if (o.json) process.stdout.write(`${JSON.stringify({ ok: true, ...change }, null, 2)}\n`);
  else
    process.stdout.write(
      change.released
        ? `released ${store.url}/${change.file} (${change.hold}): retention may prune it again\n`
        : `held ${store.url}/${change.file} (${change.hold}): retention keeps it until released, past its expiry too; the report judges the expiry\n`,
    );
}
