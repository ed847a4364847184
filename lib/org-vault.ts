/**
 * The organization's vault (`npx cdk synth -c config=<org config> -c stacks=org-vault`):
 * the one vault stack, `RedisDr-<org name>-Vault` in `vault.account` and
 * `vault.region`, synthesized from the org config itself, so its name, its
 * grant (every member deployment `<org name>-<group>`'s replication roles,
 * under each account's own prefix) and its retention are the ones the member
 * stacks replicate to: nothing for a platform team to keep in step by hand.
 * Built by the `RedisDrVault` construct (validated, cdk-nag), deployed once
 * with the vault account's credentials, before the StackSets or the pipeline
 * (S3 refuses a replication rule into a bucket that does not exist).
 */
import type { App } from 'aws-cdk-lib';
import { ConfigError } from './config/load.js';
import { loadOrgConfig, type OrgConfig } from './config/org.js';
import { memberConfig } from './constructs/org/member-config.js';
import { orgVaultAccounts, orgVaultProps } from './constructs/org/member-vault.js';
import { recoveryBucketName, vaultBucketName, vaultStackName } from './deployment.js';
import { vaultCarried } from './config/org-vault.js';
import { stackSetGroups } from './constructs/org/stack-set-groups.js';
import { RedisDrVault } from './redis-dr.js';
import { summarizeAssembly } from './synth-summary.js';
import { vaultTierDays } from '../lambdas/domain/vault/vault-retention.js';

/** Whether a tier of any group has `drill.fromVault`: the vault then grants the member drill roles their own replicas (org-grants.ts). */
function memberDrills(org: OrgConfig): boolean {
  return stackSetGroups(org).some((g) => vaultCarried(g.plans) && g.plans.tiers.some((t) => t.settings['drill.fromVault'].value === true));
}

/**
 * Adds the organization's vault stack to `app`.
 * @throws ConfigError when no tier replicates into a vault, or a group's plans or the vault cannot be deployed
 */
export function addOrgVault(app: App, org: OrgConfig): RedisDrVault {
  const member = (group: string, plans: Parameters<Parameters<typeof orgVaultProps>[1]>[1]) => {
    const config = memberConfig(org, group, plans);
    if (!config.ok) throw new ConfigError(config.problems);
    return config.props;
  };
  const props = orgVaultProps(org, member);
  if (props === undefined)
    throw new ConfigError([
      "no tier has vault.enabled, got none in any account's effective plans: nothing replicates into the organization's vault; set vault.enabled on a tier (with export.enabled), or do not deploy a vault",
    ]);
  // Each member account whose tiers replicate is measured in the vault under its own prefix (vault-stale-account-<id>).
  return new RedisDrVault(app, 'RedisDrVault', props, { ...(memberDrills(org) ? { memberDrills: true } : {}), accounts: orgVaultAccounts(org, member) });
}

/**
 * The org synths' lines about the vault (`-c stacks=org`, `-c stacks=org-pipeline`): which groups replicate into it,
 * and that it is deployed first, apart; none when no tier has `vault.enabled`.
 */
export function orgVaultLines(org: OrgConfig, configFile: string): string[] {
  const groups = stackSetGroups(org).filter((g) => vaultCarried(g.plans));
  if (groups.length === 0) return [];
  const v = org.vault;
  return [
    `vault: the member stacks of ${groups.map((g) => g.name).join(', ')} replicate their exports and reports, each account under its own <account>/<region>/, into ${recoveryBucketName(org.name, v.account, v.region)} (${vaultStackName({ name: org.name })}, account ${v.account}, ${v.region}, granted to ${v.organizationId}): ` +
      `deploy it first, with the vault account's credentials: npx cdk deploy --all -c config=${configFile} -c stacks=org-vault`,
  ];
}

/** Runs the org vault synth on `app`; the process's exit code. */
export function runOrgVaultEntry(app: App, configFile: string, stderr: { write(text: string): unknown }): number {
  let org: OrgConfig;
  let built: RedisDrVault;
  try {
    org = loadOrgConfig(configFile);
    built = addOrgVault(app, org);
  } catch (err) {
    if (err instanceof ConfigError) {
      stderr.write(`${new ConfigError(err.problems, err.file ?? configFile).message}\n`);
      return 1;
    }
    throw err;
  }
  const { nagFindings } = summarizeAssembly(app.synth());
  const v = built.config.vault!;
  const bucket = vaultBucketName(built.config.name, v);
  const lines = [
    `redis-dr org ${org.name}${org.example ? ' (an example config: placeholder ids, not deployable)' : ''}: the organization's vault, ${built.vault.stackName} in ${v.account} (${v.region}), bucket ${bucket}; cdk-nag: ${nagFindings === 0 ? 'clean' : `${nagFindings ?? 'no report'} finding(s)`}`,
    `  granted to organization ${v.organizationId}: the replication roles redis-dr-${org.name}*-replication-${org.regions.primary} (exports) and -${org.regions.dr} (reports) of every member account, each under its own <account>/ only`,
    ...(memberDrills(org)
      ? [
          `  and, for drill.fromVault, the drill roles redis-dr-${org.name}*-vault-select-${org.regions.dr} and -vault-seed-${org.regions.dr} of every member account, reading (and listing) their own <account>/ replicas and verdicts only (the member stacks do not carry these drills yet)`,
        ]
      : []),
    `  replicas of: ${built.config.plans.map((p) => `${p.name} (from ${p.export.minTier})`).join(', ')}; COMPLIANCE days per GFS tier: ${Object.entries(
      vaultTierDays(v.retentionDays, v.tierRetentionDays),
    )
      .map(([t, d]) => `${t} ${d}`)
      .join(', ')}`,
    `deploy it once, first, with the vault account's own credentials (its CDK bootstrap trusts no member account): npx cdk deploy --all -c config=${configFile} -c stacks=org-vault --profile <vault profile>; then the StackSets (-c stacks=org) or the pipeline (-c stacks=org-pipeline)`,
  ];
  stderr.write(`${lines.join('\n')}\n`);
  return 0;
}
