/**
 * `redis-dr restore --target <id> --new-id <id>`: parses, runs the restore
 * job (lambdas/jobs/drills/restore.ts) and prints what it did.
 */
import type { PointCopiesReport } from '../../../lambdas/jobs/dr-copies/copy-listing.js';
import { checkNewId, runRestore, type RestoreOptions, type RestoreResult } from '../../../lambdas/jobs/drills/restore.js';
import { CliAws, type CliEnv, loadCliConfig, runAwsCommand } from '../../aws.js';
import { withStatus } from '../../progress.js';
import { copyText } from '../../rdb-copies.js';
import { vaultAccess } from '../../vault-copies.js';

// The request's rules, as the restore tests name them.
export { checkNewId, createRequest } from '../../../lambdas/jobs/drills/restore.js';

/** Lines people read. */
export function formatRestore(r: RestoreResult): string {
  const lines = [`${r.ok ? 'OK' : 'FAILED'} ${r.message}`, `recovery point: ${r.recoveryPoint} (taken ${r.recoveryPointCreatedAt})`, `region: ${r.region}`];
  if (r.endpoint) lines.push(`endpoint: ${r.endpoint}`);
  lines.push(...formatRdbCopies(r.rdbCopies));
  if (r.status === 'dry-run') lines.push('request:', JSON.stringify(r.request, null, 2));
  return `${lines.join('\n')}\n`;
}

/** Whether the recovery point has an `.rdb` copy, where, and the key-level fast path. */
export function formatRdbCopies(c: PointCopiesReport): string[] {
  const lines = c.copies.map((copy) => `.rdb copy: ${copyText(copy)}`);
  for (const p of c.problems) lines.push(`.rdb copies not read: ${p}`);
  if (c.note) lines.push(c.note);
  if (c.fastPath) lines.push(`key-level recovery without a new cluster (--dry-run first): ${c.fastPath.command}`);
  return lines;
}

/** The `restore` command's action (loaded only when the command runs; options: cli/commands/restore/command.ts). */
export async function restoreAction(o: RestoreOptions & { config: string; json?: boolean; vaultProfile?: string }, env: CliEnv = {}): Promise<void> {
  const config = loadCliConfig(o.config);
  checkNewId(o.newId);
  const note = (line: string) => process.stderr.write(`redis-dr restore: ${line}\n`);
  const aws = new CliAws(config, env, vaultAccess(config, o.vaultProfile));
  await runAwsCommand('restore', aws, async (did) => {
    // Once the create call is made, a lost connection is a failed job that did part of its work (exit 1), not a usage problem.
    const created = (line: string) => {
      did(line);
      note(line);
    };
    const r = await withStatus(`restore ${o.newId}`, Boolean(o.wait), (status) =>
      runRestore(config, aws, { ...o, onStatus: status, onCreated: created, onWarning: (w) => note(`warning: ${w}`) }),
    );
    process.stdout.write(o.json ? `${JSON.stringify(r, null, 2)}\n` : formatRestore(r));
    return r.ok ? 0 : 1;
  });
}
