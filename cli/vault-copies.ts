/**
 * The vault's copies as the CLI takes and shows them: the vault credentials
 * of a command (`--vault-profile`, $REDIS_DR_VAULT_PROFILE) and the vault
 * section of `status`, `restore --list` and `doctor`. Reading the vault is
 * lambdas/jobs/vault/vault-copies.ts.
 */
import type { RedisDrConfig } from '../lib/config/index.js';
import { retentionText, type VaultState } from '../lambdas/domain/vault/vault-copies.js';
import type { VaultReport } from '../lambdas/jobs/vault/vault-copies.js';
import type { CliAccess } from './aws.js';
import { VAULT_PROFILE_ENV } from './options.js';
import { UsageError } from '../lambdas/jobs/kernel/usage-error.js';
import { shardsText, verificationText } from './rdb-copies.js';
import { age, table, type Style } from './table.js';

// The listing as `status` and `doctor` call it today; a command that moved its use case to a job imports the job.
export { collectVault, type VaultReport, type VaultTargetStatus } from '../lambdas/jobs/vault/vault-copies.js';

/**
 * The vault credentials of a command: `--vault-profile`, else
 * $REDIS_DR_VAULT_PROFILE, else none (the credentials in use). The option
 * with a config that has no vault is a usage error (it would read nothing).
 */
export function vaultAccess(config: RedisDrConfig, option: string | undefined, env: NodeJS.ProcessEnv = process.env): CliAccess {
  if (option !== undefined && !config.vault)
    throw new UsageError(`--vault-profile ${option}: the config has no vault section, so there is no vault to read: leave the option out`);
  const named = option ?? env[VAULT_PROFILE_ENV];
  return { vaultProfile: named && named.trim() !== '' ? named.trim() : undefined };
}

/**
 * The vault section as text: a heading naming the bucket, account and
 * credentials; one row per copy read (its verdict: the recovery point with
 * the target's state, or why a copy is not one); a target without copies in
 * one row; then what could not be read, with its fix.
 */
export function formatVault(v: VaultReport, style: Style): string[] {
  const mark: Record<VaultState, string> = { ok: 'ok', late: 'LATE', missing: 'MISSING', error: 'ERROR' };
  const lines = ['', `vault s3://${v.bucket} (account ${v.account}, ${v.region}; read with ${v.credentials})`];
  const cells: string[][] = [];
  for (const t of v.targets) {
    const limit = `limit ${age(t.limitSeconds)}`;
    for (const c of t.copies) {
      const verdict = c.recoveryPoint
        ? c.exportName === t.newestRecoveryPoint?.exportName
          ? `${mark[t.state]}: newest recovery point (${limit})`
          : 'recovery point'
        : `not a recovery point: ${c.why}`;
      cells.push([t.target, c.exportName, age(c.ageSeconds), shardsText(c), verificationText(c), retentionText(c), verdict]);
    }
    if (t.state === 'error') cells.push([t.target, '-', '-', '-', '-', '-', `${mark.error}: not read (see below)`]);
    else if (t.state === 'missing')
      cells.push([t.target, '-', '-', '-', '-', '-', `${mark.missing}: ${t.copies.length === 0 ? 'no copy in the vault' : 'no recovery point'}`]);
  }
  const VERDICT = 6;
  const VERIFIED = 4;
  const paint = (column: number, cell: string) =>
    column === VERDICT
      ? /^(LATE|MISSING|ERROR)/.test(cell)
        ? style(['red', 'bold'], cell)
        : cell.startsWith('ok') || cell.startsWith('recovery point')
          ? style('green', cell)
          : style('yellow', cell)
      : column === VERIFIED && cell.includes('CORRUPT')
        ? style(['red', 'bold'], cell)
        : cell;
  if (cells.length > 0)
    lines.push(...table([['VAULT COPY OF', 'COPY', 'AGE', 'SHARDS', 'VERIFIED', 'RETAINED UNTIL', 'VERDICT'], ...cells], paint).map((l) => `  ${l}`));
  for (const p of v.problems) lines.push(style('yellow', `  vault not read: ${p}`));
  return lines;
}
