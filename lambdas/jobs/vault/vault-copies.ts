/**
 * The vault's copies (config `vault`) for `status`, `restore --list` and
 * `doctor`: per target, its newest replicas in the vault bucket with their
 * shards, the vault verifier's verdict and Object Lock retention, and the
 * newest one that is a recovery point. The verdict is the verdict object under
 * `redis-dr-vault-verdicts/` that names the replica's current version
 * (lambdas/domain/vault/vault-verdict.ts), never the replica's
 * `redis-dr:verified` tag: tags replicate from the workload account, so
 * whoever holds it could forge one. Read with the
 * vault account's credentials (`--vault-profile`, $REDIS_DR_VAULT_PROFILE):
 * the vault bucket lets no workload principal read. A vault that could not
 * be read is a problem with its fix, never left out: the command then
 * exits 1. The verdicts are lambdas/domain/vault/vault-copies.ts; the
 * text is cli/vault-copies.ts.
 */
import type { RedisDrConfig } from '../../../lib/config/index.js';
import { freshnessLimits, vaultBucketName as bucketOfVault, vaultDrillPrefix, vaultStackName } from '../../../lib/deployment.js';
import { describeError, errorName } from '../../adapters/aws/errors.js';
import { mapConcurrent } from '../../adapters/aws/retry.js';
import { getObjectRetention } from '../../adapters/aws/s3/objects.js';
import { TAGS } from '../../domain/plans/types.js';
import { judgeVaultTarget, vaultCopy, vaultRetention, type VaultCopy, type VaultState } from '../../domain/vault/vault-copies.js';
import { connectionProblem } from '../kernel/connection-problem.js';
import type { OperatorClients } from '../kernel/clients.js';
import { VAULT_PROFILE_ENV } from '../kernel/operator.js';
import { CopyBucket } from '../dr-copies/copy-listing.js';

/** Exports of a target read at most (newest first) while looking for its newest recovery point. */
export const VAULT_EXPORTS_READ = 10;

/** A target's copies in the vault and the verdict on them. */
export interface VaultTargetStatus {
  readonly plan: string;
  readonly target: string;
  readonly state: VaultState;
  /** The DR-copy age limit of the plan (replicas land with the DR copies). */
  readonly limitSeconds: number;
  /** Copies read, newest first (status: down to the newest recovery point; restore --list: the newest `limit`). */
  readonly copies: readonly VaultCopy[];
  readonly newestRecoveryPoint: VaultCopy | null;
  /** Copies newer than it that are not recovery points, and why the newest is not; null when there are none. */
  readonly newer: string | null;
  readonly detail: string;
}

/** What the vault holds for the targets asked about, and what could not be read. */
export interface VaultReport {
  readonly account: string;
  readonly region: string;
  readonly bucket: string;
  /** The credentials read with: `profile <name>` or `the credentials in use`. */
  readonly credentials: string;
  readonly targets: readonly VaultTargetStatus[];
  /** Reads that failed, each with its fix (the same failure of several targets once). */
  readonly problems: readonly string[];
  /** Every target has a recovery point within its limit and everything was read. */
  readonly healthy: boolean;
}

/** The vault bucket of the config (`redis-dr-<name or vault.deployment>-<vault account>-<vault region>`). */
export function vaultBucketName(config: RedisDrConfig): string | undefined {
  return config.vault ? bucketOfVault(config.name, config.vault) : undefined;
}

/**
 * Where this account's replicas lie in the vault bucket: in an organization's
 * vault (config `vault.organizationId`) under `<account>/<primary region>/`,
 * the account being the caller's (STS, or `primary.account`), as `drill run`
 * passes it (vaultDrillPrefix); `''` (the bucket's root) otherwise. Every
 * operator read of the vault's replicas lists under it, so another account's
 * replicas are never offered.
 */
export async function vaultKeyPrefix(config: RedisDrConfig, aws: Pick<OperatorClients, 'account'>): Promise<string> {
  if (config.vault?.organizationId === undefined) return '';
  return vaultDrillPrefix(config, await aws.account()) ?? '';
}

/** A vault read that failed, in words, with the fix: denied, no bucket, credentials, or the error itself. */
export function vaultProblem(config: RedisDrConfig, aws: OperatorClients, err: unknown): string {
  const vault = config.vault!;
  const bucket = vaultBucketName(config)!;
  const profile = aws.access.vaultProfile;
  const using = profile ? `profile ${profile}` : 'the credentials in use';
  const at = `s3://${bucket} (vault account ${vault.account}, ${vault.region})`;
  const name = errorName(err);
  if (/AccessDenied|^Forbidden$|AllAccessDisabled/.test(name)) {
    const fix = profile
      ? `check that profile ${profile} is of account ${vault.account} and may s3:ListBucket, s3:GetObject, s3:GetObjectTagging and s3:GetObjectRetention on the vault bucket`
      : `pass --vault-profile <a profile of account ${vault.account}> (or set ${VAULT_PROFILE_ENV}): the vault bucket lets no principal of the workload account read`;
    return `access denied reading ${at} with ${using} (${describeError(err)}): ${fix}`;
  }
  if (name === 'NoSuchBucket')
    return `${at} does not exist: deploy ${vaultStackName(config)} with account ${vault.account}'s credentials (docs/dr-copies.md#the-vault-account)`;
  const connection = connectionProblem(err);
  if (connection) return `${at} not read with ${using}: ${connection.message}: ${connection.fix}${profile ? ` (for profile ${profile})` : ''}`;
  return `${at} not read with ${using}: ${describeError(err)}`;
}

/**
 * Reads the vault's copies of `targets`: per target, its exports newest
 * first (one listing under its prefix), their tags, verdict objects and
 * retention, until the
 * newest recovery point (`limit` unset) or for the `limit` newest exports.
 */
export async function collectVault(
  config: RedisDrConfig,
  aws: OperatorClients,
  targets: readonly { readonly plan: string; readonly target: string }[],
  o: { readonly limit?: number } = {},
): Promise<VaultReport> {
  const vault = config.vault!;
  const bucket = vaultBucketName(config)!;
  const s3 = aws.vaultS3(vault.region);
  const copies = new CopyBucket('vault', vault.region, bucket, s3, undefined, vault.account, await vaultKeyPrefix(config, aws));
  const now = new Date(aws.clock.now());
  const plans = new Map(config.plans.map((p) => [p.name, p]));
  const problems: string[] = [];

  const read = async (target: string): Promise<{ copies: VaultCopy[]; more: boolean }> => {
    const exports = await copies.exports(target);
    const max = o.limit ?? VAULT_EXPORTS_READ;
    const found: VaultCopy[] = [];
    for (const exp of exports.slice(0, max)) {
      const [copy, retentions, first, absent] = await Promise.all([
        copies.copy(exp),
        Promise.all(exp.objects.map((obj) => getObjectRetention(s3, bucket, obj.key, { expectedOwner: vault.account }))),
        copies.tags(exp.objects[0]!.key),
        Promise.all(exp.objects.map((obj) => copies.verdictAbsent(obj.key))),
      ]);
      const created = Date.parse(first[TAGS.created] ?? '');
      const noVerdict = absent.find((a) => a !== undefined);
      const c = vaultCopy(copy, vaultRetention(retentions, now), Number.isNaN(created) ? exp.createdAt : new Date(created), now, noVerdict);
      found.push(c);
      if (o.limit === undefined && c.recoveryPoint) break;
    }
    return { copies: found, more: exports.length > found.length };
  };

  const results = await mapConcurrent([...targets], 4, async (t): Promise<VaultTargetStatus> => {
    const plan = plans.get(t.plan);
    const limitSeconds = plan ? 60 * freshnessLimits(plan, now).copyAge : 0;
    try {
      const { copies: found, more } = await read(t.target);
      const verdict = judgeVaultTarget(found, limitSeconds, more);
      return { ...t, limitSeconds, copies: found, ...verdict };
    } catch (err) {
      const problem = vaultProblem(config, aws, err);
      if (!problems.includes(problem)) problems.push(problem);
      return { ...t, state: 'error', limitSeconds, copies: [], newestRecoveryPoint: null, newer: null, detail: 'not read (see below)' };
    }
  });
  return {
    account: vault.account,
    region: vault.region,
    bucket,
    credentials: aws.access.vaultProfile ? `profile ${aws.access.vaultProfile}` : 'the credentials in use',
    targets: results,
    problems,
    healthy: problems.length === 0 && results.every((t) => t.state === 'ok'),
  };
}
