/**
 * `redis-dr restore --target <id> --list [--region <r>] [--limit N] [--json]`:
 * runs the listing job (lambdas/jobs/drills/restore-list.ts) and prints the
 * target's recent recovery points with their `.rdb` copies and vault
 * copies. Creates nothing; exit 1 when a bucket (the vault too) could not
 * be read.
 */
import { listRecoveryPoints, type RecoveryPointList } from '../../../lambdas/jobs/drills/restore-list.js';
import { CliAws, type CliEnv, loadCliConfig, runAwsCommand } from '../../aws.js';
import { formatCopies } from '../../rdb-copies.js';
import { terminalStyle } from '../../table.js';
import { formatVault, vaultAccess } from '../../vault-copies.js';

export type { RecoveryPointList } from '../../../lambdas/jobs/drills/restore-list.js';

/** The list as text: the copies table, and how `--from` takes a point. */
export function formatRecoveryPointList(l: RecoveryPointList, style = terminalStyle()): string {
  const head =
    l.where === 'primary'
      ? `recovery points of ${l.target} in ${l.region}, newest first: restore one with --from <recovery point>`
      : `DR copies of ${l.target} in ${l.region}, newest first: restore one with --region ${l.region} --from <location>`;
  const none = l.points.length === 0 && l.problems.length === 0 ? [`none found${l.where === 'primary' ? ' (no available manual snapshot)' : ''}`] : [];
  const vault = l.vault
    ? [
        ...formatVault(l.vault, style),
        `  restore the newest vault recovery point with --from vault, or one of them with --from s3://${l.vault.bucket}/<copy> (the cluster is created in ${l.vault.region})`,
      ]
    : [];
  return `${[head, ...none, ...formatCopies(l.points.length > 0 || l.problems.length > 0 ? [l] : [], style, l.where === 'primary' ? ['primary', 'dr'] : ['dr']), ...vault].join('\n')}\n`;
}

/** `restore --list`'s action. */
export async function listAction(
  o: { config: string; target: string; region?: string; limit?: number; json?: boolean; vaultProfile?: string },
  env: CliEnv = {},
): Promise<void> {
  const config = loadCliConfig(o.config);
  const aws = new CliAws(config, env, vaultAccess(config, o.vaultProfile));
  await runAwsCommand('restore', aws, async () => {
    const list = await listRecoveryPoints(config, aws, o);
    process.stdout.write(o.json ? `${JSON.stringify(list, null, 2)}\n` : formatRecoveryPointList(list));
    // A bucket that could not be read (the vault too) leaves the list incomplete.
    return list.problems.length > 0 || (list.vault?.problems.length ?? 0) > 0 ? 1 : 0;
  });
}
