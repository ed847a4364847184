/**
 * Whether a vault that lists its workload accounts (`vault.workloadAccounts`)
 * fits S3's bucket policy limit (20 KB): each listed account adds its
 * principal to three statements and two role ARNs (about 250 bytes), so a
 * list passes the limit near 70 accounts and the vault stack would fail to
 * deploy. Such a config is refused naming `vault.organizationId`, which
 * grants the organization in a policy that does not grow with accounts
 * (lib/constructs/vault/org-grants.ts). The estimate errs high: a test holds
 * it against synthesized policies (test/lib/constructs/vault/org-vault.test.ts).
 */
import type { RedisDrConfig } from './config/index.js';
import { show } from './config/messages.js';
import { replicationRoleName, vaultDrillRoleNames } from './deployment.js';
import { vaultWorkloadAccounts } from './stacks/vault-stack.js';

/** S3's limit on a bucket policy's size, bytes. */
export const S3_BUCKET_POLICY_LIMIT_BYTES = 20 * 1024;

/** `"arn:aws:iam::123456789012:root",`: an account principal as a policy lists it. */
const PRINCIPAL_BYTES = '"arn:aws:iam::123456789012:root",'.length;
const roleArnBytes = (name: string): number => `"arn:aws:iam::123456789012:role/${name}",`.length;

/** What the estimate needs of the config. */
export interface ListedVault {
  readonly deployment: string;
  readonly vaultAccount: string;
  readonly vaultRegion: string;
  readonly primaryRegion: string;
  readonly drRegion: string;
  readonly accounts: number;
}

/**
 * An upper estimate of the vault bucket policy's bytes with `accounts`
 * listed: the statements that name no account (measured 3,112 bytes with a
 * 42-character bucket name, before the vault scrub's two; each statement
 * names the bucket ARN, counted 32 times) plus, per account, its principal in the replication, bucket
 * settings and reports statements and its two replication roles' ARNs; the
 * drill grant (one account, both drill roles) counted whether or not drills
 * seed from the vault.
 */
export function listedVaultPolicyBytes(v: ListedVault): number {
  const bucket = `redis-dr-${v.deployment}-${v.vaultAccount}-${v.vaultRegion}`;
  const drills = vaultDrillRoleNames(v.deployment, v.drRegion);
  // The drill grant: two statements naming the account and both roles, and their conditions (measured about 800 bytes).
  // The vault scrub's two statements reserving its records' prefix (about 400 bytes besides the bucket ARN they name twice) included;
  // the vault verdict chain's prefix in the verdicts' two and its records' deny (about 300 bytes, the bucket ARN three times more);
  // the DR bucket's drill records beside its reports (the bucket ARN once more).
  const fixed = 2000 + 36 * bucket.length + 2 * (PRINCIPAL_BYTES + roleArnBytes(drills.seedCopy) + roleArnBytes(drills.select)) + 1100;
  const perAccount =
    3 * PRINCIPAL_BYTES + roleArnBytes(replicationRoleName(v.deployment, v.primaryRegion)) + roleArnBytes(replicationRoleName(v.deployment, v.drRegion));
  return fixed + v.accounts * perAccount;
}

/** The most accounts a listed vault holds within the limit. */
export function maxListedAccounts(v: Omit<ListedVault, 'accounts'>): number {
  const one = listedVaultPolicyBytes({ ...v, accounts: 1 }) - listedVaultPolicyBytes({ ...v, accounts: 0 });
  return Math.floor((S3_BUCKET_POLICY_LIMIT_BYTES - listedVaultPolicyBytes({ ...v, accounts: 0 })) / one);
}

/**
 * The problem of a config's vault: listed accounts past the limit, or a
 * list beside `vault.organizationId`; undefined when it fits (or there is
 * no vault). One line, `<path> <what is wrong>: <fix>`.
 */
export function vaultPolicySizeProblem(config: RedisDrConfig): string | undefined {
  const vault = config.vault;
  if (!vault) return undefined;
  if (vault.organizationId !== undefined && vault.workloadAccounts !== undefined)
    return `vault.workloadAccounts must be left out with vault.organizationId, got ${vault.workloadAccounts.length} account(s): the organization's grant covers every account of ${show(vault.organizationId)}; remove vault.workloadAccounts`;
  if (vault.organizationId !== undefined) return undefined;
  const listed: ListedVault = {
    deployment: config.name,
    vaultAccount: vault.account,
    vaultRegion: vault.region,
    primaryRegion: config.primary.region,
    drRegion: config.dr.region,
    accounts: vaultWorkloadAccounts(config, vault).length,
  };
  const bytes = listedVaultPolicyBytes(listed);
  if (bytes <= S3_BUCKET_POLICY_LIMIT_BYTES) return undefined;
  return (
    `vault.workloadAccounts lists ${listed.accounts} accounts: the vault bucket policy would be about ${bytes} bytes, past S3's ${S3_BUCKET_POLICY_LIMIT_BYTES}-byte limit (about ${maxListedAccounts(listed)} accounts fit). ` +
    'Give vault.organizationId (the organization id, o-…, from aws organizations describe-organization) instead of the list: every account of the organization is granted by aws:PrincipalOrgID, each under its own prefix, in a policy that does not grow with accounts'
  );
}
