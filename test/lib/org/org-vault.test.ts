import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { afterAll, describe, expect, it } from 'vitest';
import { runCdkEntry } from '../../../lib/cdk-entry.js';
import { loadOrgConfig, type OrgConfig, validateOrgConfig } from '../../../lib/config/org.js';
import { memberConfig, memberDeploymentName } from '../../../lib/constructs/org/member-config.js';
import { stackSetGroups } from '../../../lib/constructs/org/stack-set-groups.js';
import { replicationRoleName, vaultDrillRoleNames } from '../../../lib/deployment.js';
import { addOrgVault } from '../../../lib/org-vault.js';
import { RedisDr } from '../../../lib/redis-dr.js';
import { S3_BUCKET_POLICY_LIMIT_BYTES } from '../../../lib/vault-policy-size.js';
import type { TemplateJson } from '../../../lib/asl.js';
import { accountRegionPrefix } from '../../../lambdas/domain/points/account-prefix.js';
import { VAULT_VERDICT_PREFIX } from '../../../lambdas/domain/vault/vault-verdict.js';
import { cfnLint } from '../../support/cfn-lint.js';
import { rolePolicies } from '../../support/iam.js';
import { quietApp } from '../../support/synth.js';
import { askVault as askVaultOf, renderVaultPolicy, type VaultPolicy } from '../../support/vault-simulation.js';

/**
 * The organization's one vault (`-c stacks=org-vault`, lib/org-vault.ts),
 * synthesized from config/org-example.json through the CDK app's entry
 * (cdk-nag in the synth, cfn-lint clean), and the member stacks'
 * replication into it: the IAM simulator, on the vault's policy as
 * synthesized and the member template's own role policies, proves that a
 * member account's replication roles (`redis-dr-acme-<group>-replication-<region>`,
 * the names the member stacks deploy) write under their own account's
 * prefix and never under another's, and that the policy is the same size
 * for 4 accounts or 300, far under S3's 20 KB.
 */
const dir = mkdtempSync(join(tmpdir(), 'redis-dr-org-vault-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const EXAMPLE = 'config/org-example.json';
const ORG = loadOrgConfig(EXAMPLE);
const VAULT = ORG.vault.account;
const BUCKET = `redis-dr-acme-${VAULT}-eu-central-1`;
const PLACE = { vaultAccount: VAULT, bucket: BUCKET, organizationId: ORG.vault.organizationId };
const A = '111111111111';
const B = '444444444444';
const askVault = (policy: VaultPolicy, account: string, role: string, action: string, key: string, orgId?: string, identity?: readonly unknown[]) =>
  askVaultOf(PLACE, policy, account, role, action, key, orgId, identity);

function entry(context: Record<string, unknown>, outdir: string): { status: number; stderr: string } {
  let stderr = '';
  const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [], ...context } });
  const status = runCdkEntry(app, { write: (text: string) => (stderr += text) });
  return { status, stderr };
}

/** The example with `edit` applied, validated. */
function orgWith(edit: (raw: Record<string, any>) => void): OrgConfig {
  const raw = JSON.parse(readFileSync(EXAMPLE, 'utf8')) as Record<string, any>;
  edit(raw);
  const checked = validateOrgConfig(raw);
  if (!checked.ok) throw new Error(checked.problems.join('\n'));
  return checked.config;
}

describe("-c stacks=org-vault: the organization's vault from the org config", () => {
  const outdir = join(dir, 'vault');
  const run = entry({ config: EXAMPLE, stacks: 'org-vault' }, outdir);
  const templateFile = join(outdir, 'RedisDr-acme-Vault.template.json');
  const template = JSON.parse(readFileSync(templateFile, 'utf8'));
  const { policy, bytes } = renderVaultPolicy(template, PLACE);

  it('synthesizes RedisDr-acme-Vault alone, in the vault account, named by the organization, and says how to deploy it first', () => {
    expect(run.status, run.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as { artifacts: Record<string, { type: string; environment?: string }> };
    const stacks = Object.entries(manifest.artifacts).filter(([, a]) => a.type === 'aws:cloudformation:stack');
    expect(stacks.map(([id, a]) => [id, a.environment])).toEqual([['RedisDr-acme-Vault', `aws://${VAULT}/eu-central-1`]]);
    expect(JSON.stringify(template)).toContain(`"BucketName":"${BUCKET}"`);
    expect(run.stderr).toMatch(
      /the organization's vault, RedisDr-acme-Vault in 999999999999 \(eu-central-1\), bucket redis-dr-acme-999999999999-eu-central-1; cdk-nag: clean/,
    );
    expect(run.stderr).toMatch(/COMPLIANCE days per GFS tier: hourly 90, daily 90, weekly 90, monthly 400/);
    expect(run.stderr).toMatch(/deploy it once, first, with the vault account's own credentials/);
    expect(run.stderr).not.toMatch(/drill\.fromVault/);
  });

  it('grants the replication roles of every member deployment redis-dr-acme* by organization, naming no workload account', () => {
    const grant = policy.Statement.find((s) => s.Sid === 'ReplicasFromOrganizationAccounts')!;
    expect(grant.Condition).toEqual({
      StringEquals: { 'aws:PrincipalOrgID': ORG.vault.organizationId },
      ArnLike: {
        'aws:PrincipalArn': ['arn:aws:iam::*:role/redis-dr-acme*-replication-eu-west-1', 'arn:aws:iam::*:role/redis-dr-acme*-replication-eu-central-1'],
      },
    });
    expect(
      JSON.stringify(policy)
        .match(/\d{12}/g)
        ?.filter((a) => a !== VAULT) ?? [],
    ).toEqual([]);
    expect(bytes).toBeLessThan(S3_BUCKET_POLICY_LIMIT_BYTES);
  });

  it('has the same policy at 300 accounts in the OUs (far under 20 KB)', () => {
    const many = orgWith((raw) => {
      raw.organizationalUnits[2].accounts = Array.from({ length: 297 }, (_, i) => String(500000000000 + i));
    });
    expect(many.organizationalUnits.reduce((n, ou) => n + ou.accounts.length, 0)).toBe(300);
    const app = quietApp();
    const vault = addOrgVault(app, many);
    const at300 = renderVaultPolicy(app.synth().getStackByName(vault.vault.stackName).template, PLACE);
    expect(at300.bytes).toBe(bytes);
    expect(at300.bytes).toBeLessThan(S3_BUCKET_POLICY_LIMIT_BYTES / 4);
  });

  type R = { Type: string; Properties: Record<string, any> };
  const alarmsOf = (t: { Resources: Record<string, R> }) => Object.values(t.Resources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm');

  it('pages a failed verification, a failed scrub, and one vault-stale alarm per member account whose tiers replicate, on its own Account metric', () => {
    const alarms = alarmsOf(template);
    expect(alarms.map((r) => r.Properties.AlarmName).sort()).toEqual([
      'redis-dr-acme-lambda-errors-vault-scrub',
      // The vault scrub's dead man's switch, measured by the same monitor (its records' listing: ListBucket as below).
      'redis-dr-acme-scrub-age-vault',
      'redis-dr-acme-vault-stale-account-111111111111',
      'redis-dr-acme-vault-stale-account-222222222222',
      'redis-dr-acme-vault-stale-account-333333333333',
      'redis-dr-acme-vault-stale-account-444444444444',
      'redis-dr-acme-verify-failed-vault',
    ]);
    const stale = alarms.find((r) => r.Properties.AlarmName === 'redis-dr-acme-vault-stale-account-444444444444')!.Properties;
    expect(stale.MetricName).toBe('VaultAccountReplicaAgeSeconds');
    expect(stale.Dimensions).toEqual([{ Name: 'Account', Value: '444444444444' }]);
    // Missing data (an account that never sent a replica, a dead monitor) pages.
    expect(stale.TreatMissingData).toBe('breaching');
    // The longest copy limit of the account's exporting tiers: silver's 240 min RPO + 120 min.
    expect(stale.Threshold).toBe((240 + 120) * 60);
    expect(JSON.stringify(stale.AlarmActions)).toMatch(/AlertsTopic/);
    expect(run.stderr).toMatch(/cdk-nag: clean/);
  });

  it("its freshness job lists each member account's own <account>/<primary region>/rdr-, never the bucket's root", () => {
    const resources = Object.values(template.Resources as Record<string, R>);
    const schedule = resources.find((r) => r.Type === 'AWS::Scheduler::Schedule' && JSON.stringify(r.Properties).includes('vaultAccounts'))!;
    // The input is a Fn::Join (the bucket's name is a token): its literal parts, joined, hold the accounts.
    const text = (schedule.Properties.Target.Input['Fn::Join'][1] as unknown[]).filter((p) => typeof p === 'string').join('');
    expect(text).toContain('"plans":[]');
    const accounts = JSON.parse(/"vaultAccounts":(\[[^\]]*\])/.exec(text)![1]!) as unknown;
    expect(accounts).toEqual(['111111111111', '222222222222', '333333333333', '444444444444'].map((account) => ({ account, region: 'eu-west-1' })));
    // It lists, and reads no object: its role's S3 grant is ListBucket alone.
    const [, policy] = Object.entries(template.Resources as Record<string, R>).find(
      ([id, r]) => r.Type === 'AWS::IAM::Policy' && id.startsWith('FreshnessMonitorFreshnessRole'),
    )!;
    const s3Actions = (policy.Properties.PolicyDocument.Statement as { Action: string | string[] }[])
      .flatMap((st) => [st.Action].flat())
      .filter((a) => a.startsWith('s3:'));
    expect(s3Actions).toEqual(['s3:ListBucket']);
  });

  it('has no alarm for an account whose tiers do not replicate into the vault (the negative case)', () => {
    const sandboxOff = orgWith((raw) => {
      raw.root.locked = raw.root.locked.filter((l: string) => l !== 'gold.vault.enabled');
      raw.organizationalUnits[2].tiers = { gold: { vault: { enabled: false } } };
    });
    const app = quietApp();
    const vault = addOrgVault(app, sandboxOff);
    const names = alarmsOf(app.synth().getStackByName(vault.vault.stackName).template).map((r) => r.Properties.AlarmName);
    expect(names.filter((n: string) => n.includes('vault-stale')).sort()).toEqual(
      ['111111111111', '222222222222', '333333333333'].map((a) => `redis-dr-acme-vault-stale-account-${a}`),
    );
  });

  it('is clean under cfn-lint', async () => {
    expect(await cfnLint([templateFile])).toEqual({ status: 0, output: '' });
  }, 300_000);

  // A member deployment of the first group, as the StackSets deploy it (its own account unknown at synth).
  const group = stackSetGroups(ORG)[0]!;
  const member = memberConfig(ORG, group.name, group.plans);
  if (!member.ok) throw new Error(member.problems.join('\n'));
  const app = quietApp();
  const members = new RedisDr(app, 'RedisDr', member.props);
  const assembly = app.synth();
  const primary = assembly.getStackByName(members.primary.stackName).template as TemplateJson;
  const dr = assembly.getStackByName(members.dr.stackName).template as TemplateJson;
  const exportRole = replicationRoleName(member.props.name, 'eu-west-1');
  const reportRole = replicationRoleName(member.props.name, 'eu-central-1');
  const roleId = (t: TemplateJson, name: string) =>
    Object.entries(t.Resources ?? {}).find(([, r]) => r.Type === 'AWS::IAM::Role' && r.Properties?.RoleName === name)![0];
  const identity = (account: string) => ({
    exports: rolePolicies(primary, roleId(primary, exportRole), { account, region: 'eu-west-1' }),
    reports: rolePolicies(dr, roleId(dr, reportRole), { account, region: 'eu-central-1' }),
  });
  const replica = (account: string) => `${accountRegionPrefix(account, 'eu-west-1')}rdr-orders-20261121-0200-0001.rdb`;
  const report = (account: string) => `${accountRegionPrefix(account, 'eu-central-1')}reports/weekly/2026-11-23T0600Z/report.json`;

  it("lets a member account's own replication roles, with the policies its member stacks give them, replicate its <account>/<region>/ into the vault", async () => {
    expect(member.props.vault).toMatchObject({ deployment: 'acme', organizationId: ORG.vault.organizationId, account: VAULT });
    const mine = identity(A);
    expect(await askVault(policy, A, exportRole, 's3:ReplicateObject', replica(A), undefined, mine.exports)).toBe('Allowed');
    expect(await askVault(policy, A, exportRole, 's3:ReplicateTags', replica(A), undefined, mine.exports)).toBe('Allowed');
    expect(await askVault(policy, A, exportRole, 's3:ObjectOwnerOverrideToBucketOwner', replica(A), undefined, mine.exports)).toBe('Allowed');
    expect(await askVault(policy, A, reportRole, 's3:ReplicateObject', report(A), undefined, mine.reports)).toBe('Allowed');
  });

  it.each([
    ['replicate over another account’s replica', 's3:ReplicateObject', replica(B)],
    ['replicate tags onto another account’s replica', 's3:ReplicateTags', replica(B)],
    ['put an object under another account’s prefix', 's3:PutObject', replica(B)],
    ['write at the root of the vault', 's3:ReplicateObject', 'rdr-orders-20261121-0200-0001.rdb'],
    ['delete a replica of its own', 's3:DeleteObjectVersion', replica(A)],
  ])("refuses a member account's replication role, given every S3 action by its account, to %s", async (_what, action, key) => {
    expect(await askVault(policy, A, exportRole, action, key)).toMatch(/Denied$/);
    // Another group's role (the same shape of name) is held the same way.
    expect(await askVault(policy, A, replicationRoleName('acme-g0000000', 'eu-west-1'), action, key)).toMatch(/Denied$/);
  });

  it('refuses a role outside the member deployments, an account outside the organization, and another account posing with the same role name', async () => {
    expect(await askVault(policy, A, replicationRoleName('other', 'eu-west-1'), 's3:ReplicateObject', replica(A))).toMatch(/Denied$/);
    expect(await askVault(policy, A, 'Admin', 's3:ReplicateObject', replica(A))).toMatch(/Denied$/);
    expect(await askVault(policy, A, exportRole, 's3:ReplicateObject', replica(A), 'o-zzzzzzzzzz')).toMatch(/Denied$/);
    expect(await askVault(policy, B, exportRole, 's3:ReplicateObject', replica(A), undefined, identity(B).exports)).toMatch(/Denied$/);
  });

  it('the same simulation finds a planted grant of the whole bucket (the check can fail)', async () => {
    const planted = policy.Statement.map((s) => (s.Sid === 'ReplicasFromOrganizationAccounts' ? { ...s, Resource: `arn:aws:s3:::${BUCKET}/*` } : s)).filter(
      (s) => s.Sid !== 'NoAccountWritesUnderAnother',
    );
    expect(await askVault({ Statement: planted }, A, exportRole, 's3:ReplicateObject', replica(B))).toBe('Allowed');
  });
});

describe("the organization's vault with a tier's drill.fromVault: the member accounts' drill roles read their own replicas only", () => {
  const fromVault = orgWith((raw) => void (raw.root.tiers.gold.drill.fromVault = true));
  const vaultPolicyOf = (org: OrgConfig) => {
    const app = quietApp();
    const built = addOrgVault(app, org); // cdk-nag runs in the synth: a finding throws
    return renderVaultPolicy(app.synth().getStackByName(built.vault.stackName).template, PLACE);
  };
  const { policy, bytes } = vaultPolicyOf(fromVault);
  // The drill roles a member DR stack of a group would name (vaultDrillRoleNames of its deployment `acme-<group>`, in the DR region).
  const group = stackSetGroups(fromVault)[0]!;
  const roles = vaultDrillRoleNames(memberDeploymentName(fromVault.name, group.name), 'eu-central-1');
  const replica = (account: string) => `${accountRegionPrefix(account, 'eu-west-1')}rdr-orders-20261121-0200-0001.rdb`;
  const verdict = (account: string) => `${VAULT_VERDICT_PREFIX}${replica(account)}.json`;

  it('grants them by name pattern (every group) and organization, naming no workload account; the example without it grants no drill role', () => {
    const reads = policy.Statement.find((s) => s.Sid === 'DrillsReadOwnReplicas')!;
    expect(reads.Condition).toEqual({
      StringEquals: { 'aws:PrincipalOrgID': ORG.vault.organizationId },
      ArnLike: {
        'aws:PrincipalArn': ['arn:aws:iam::*:role/redis-dr-acme*-vault-seed-eu-central-1', 'arn:aws:iam::*:role/redis-dr-acme*-vault-select-eu-central-1'],
      },
    });
    expect(
      JSON.stringify(policy)
        .match(/\d{12}/g)
        ?.filter((a) => a !== VAULT) ?? [],
    ).toEqual([]);
    const plain = vaultPolicyOf(ORG).policy;
    expect(plain.Statement.map((s) => s.Sid)).not.toContain('DrillsReadOwnReplicas');
    expect(plain.Statement.map((s) => s.Sid)).not.toContain('DrillsListOwnReplicas');
  });

  it("lets an account's drill roles list and read its own replicas and the vault's verdicts on them", async () => {
    for (const role of [roles.select, roles.seedCopy]) {
      expect(await askVault(policy, A, role, 's3:GetObject', replica(A)), role).toBe('Allowed');
      expect(await askVault(policy, A, role, 's3:GetObject', verdict(A)), role).toBe('Allowed');
      expect(await askVault(policy, A, role, 's3:ListBucket', accountRegionPrefix(A, 'eu-west-1')), role).toBe('Allowed');
    }
  });

  it.each([
    ["read another account's replica", 's3:GetObject', replica(B)],
    ["read the vault's verdict on another account's replica", 's3:GetObject', verdict(B)],
    ["list another account's replicas", 's3:ListBucket', accountRegionPrefix(B, 'eu-west-1')],
    ['list the whole vault', 's3:ListBucket', ''],
    ['read at the root of the vault', 's3:GetObject', 'rdr-orders-20261121-0200-0001.rdb'],
    ['overwrite its own replica', 's3:PutObject', replica(A)],
    ['delete its own replica', 's3:DeleteObjectVersion', replica(A)],
  ])("refuses a member account's drill roles, given every S3 action by their account, to %s", async (_what, action, key) => {
    for (const role of [roles.select, roles.seedCopy]) expect(await askVault(policy, A, role, action, key), role).toMatch(/Denied$/);
  });

  it('refuses a drill role outside the member deployments, an account outside the organization, and another account posing as it', async () => {
    expect(await askVault(policy, A, vaultDrillRoleNames('other', 'eu-central-1').select, 's3:GetObject', replica(A))).toMatch(/Denied$/);
    // The primary region's name: no drill from the vault runs there.
    expect(await askVault(policy, A, vaultDrillRoleNames(memberDeploymentName('acme', group.name), 'eu-west-1').select, 's3:GetObject', replica(A))).toMatch(
      /Denied$/,
    );
    expect(await askVault(policy, A, roles.select, 's3:GetObject', replica(A), 'o-zzzzzzzzzz')).toMatch(/Denied$/);
    expect(await askVault(policy, B, roles.select, 's3:GetObject', replica(A))).toMatch(/Denied$/);
  });

  it('the same simulation finds a planted grant of every account (the check can fail)', async () => {
    const planted = policy.Statement.map((s) => (s.Sid === 'DrillsReadOwnReplicas' ? { ...s, Resource: `arn:aws:s3:::${BUCKET}/*` } : s));
    expect(await askVault({ Statement: planted }, A, roles.select, 's3:GetObject', replica(B))).toBe('Allowed');
  });

  it('says so in the vault synth (cdk-nag clean), not without it, and its template is clean under cfn-lint', async () => {
    const file = join(dir, 'from-vault.json');
    const raw = JSON.parse(readFileSync(EXAMPLE, 'utf8')) as Record<string, any>;
    raw.root.tiers.gold.drill.fromVault = true;
    writeFileSync(file, JSON.stringify(raw));
    const said = entry({ config: file, stacks: 'org-vault' }, join(dir, 'from-vault-out'));
    expect(said.status, said.stderr).toBe(0);
    expect(said.stderr).toMatch(
      /^ {2}and, for drill\.fromVault, the drill roles redis-dr-acme\*-vault-select-eu-central-1 and -vault-seed-eu-central-1 of every member account, reading \(and listing\) their own <account>\/ replicas and verdicts only/m,
    );
    expect(said.stderr).toMatch(/cdk-nag: clean/);
    expect(await cfnLint([join(dir, 'from-vault-out', 'RedisDr-acme-Vault.template.json')])).toEqual({ status: 0, output: '' });
  }, 300_000);

  it('keeps the policy the same size at 300 accounts, under 20 KB', () => {
    const many = orgWith((raw) => {
      raw.root.tiers.gold.drill.fromVault = true;
      raw.organizationalUnits[2].accounts = Array.from({ length: 297 }, (_, i) => String(500000000000 + i));
    });
    const at300 = vaultPolicyOf(many);
    expect(at300.bytes).toBe(bytes);
    // 5,278 bytes minified on main at ab7470a3 (with the drill records' replication): the size does not grow with accounts.
    expect(at300.bytes).toBeLessThan(S3_BUCKET_POLICY_LIMIT_BYTES);
  });
});
