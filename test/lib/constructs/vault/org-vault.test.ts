import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { addVaultStack } from '../../../../lib/app.js';
import { loadConfig, type RedisDrConfig } from '../../../../lib/config/index.js';
import { replicationRoleName, vaultDrillRoleNames } from '../../../../lib/deployment.js';
import { RedisDrVault } from '../../../../lib/redis-dr.js';
import { listedVaultPolicyBytes, S3_BUCKET_POLICY_LIMIT_BYTES, vaultPolicySizeProblem } from '../../../../lib/vault-policy-size.js';
import { accountRegionPrefix } from '../../../../lambdas/domain/points/account-prefix.js';
import { reportKeyPrefix } from '../../../../lambdas/domain/report/input.js';
import type { TemplateJson } from '../../../../lib/asl.js';
import { REPORTS_REPLICATION_RULE_ID } from '../../../../lib/constructs/recovery-bucket.js';
import { cfnLint } from '../../../support/cfn-lint.js';
import { rolePolicies } from '../../../support/iam.js';
import { quietApp, synthesize } from '../../../support/synth.js';
import { askVault as askVaultOf, renderVaultPolicy, type VaultPolicy } from '../../../support/vault-simulation.js';

/**
 * The vault granted to an organization (vault.organizationId,
 * lib/constructs/vault/org-grants.ts): its bucket policy does not grow with
 * accounts, and the IAM simulator, on the policy as deployed, proves that an
 * account of the organization writes and reads under its own prefix only:
 * never another's (write, overwrite by a newer version, tags, read), never
 * a delete, never from outside the organization. A listed vault past S3's
 * 20 KB policy limit is refused naming vault.organizationId.
 */
const FIXTURE = 'test/fixtures/config/vault.json';
const ORG = 'o-abcdefghij';
const VAULT = '222222222222';
const BUCKET = `redis-dr-vaulted-${VAULT}-eu-central-1`;
const A = '111111111111';
const B = '333333333333';
const accounts = (n: number) => Array.from({ length: n }, (_, i) => (i === 0 ? A : String(400000000000 + i)));

function configWith(vault: Partial<NonNullable<RedisDrConfig['vault']>>, drills = false): RedisDrConfig {
  const base = loadConfig(FIXTURE);
  const plans = drills
    ? base.plans.map((p, i) => (i === 0 ? { ...p, drill: { ...p.drill, enabled: true, where: 'dr' as const, fromVault: true } } : p))
    : base.plans;
  return { ...base, plans, vault: { ...base.vault!, ...vault } };
}

const PLACE = { vaultAccount: VAULT, bucket: BUCKET, organizationId: ORG };

/** The vault bucket's policy as deployed, minified (test/support/vault-simulation.ts). */
function vaultPolicy(config: RedisDrConfig): { policy: VaultPolicy; bytes: number } {
  const app = quietApp();
  const stack = addVaultStack(app, config);
  app.synth(); // cdk-nag runs here: a finding throws
  return renderVaultPolicy(Template.fromStack(stack).toJSON() as never, PLACE);
}

/** {@link askVault} of this vault. */
const askVault = (policy: VaultPolicy, account: string, role: string, action: string, key: string, orgId = ORG, identity?: readonly unknown[]) =>
  askVaultOf(PLACE, policy, account, role, action, key, orgId, identity);

describe('the organization vault', () => {
  const org = vaultPolicy(configWith({ organizationId: ORG }, true));

  it('grants by aws:PrincipalOrgID, names no workload account, and stays far under 20 KB (the same at 3 or 300 accounts)', () => {
    expect(org.bytes).toBeLessThan(S3_BUCKET_POLICY_LIMIT_BYTES);
    const text = JSON.stringify(org.policy);
    expect(text.match(/\d{12}/g)?.filter((a) => a !== VAULT) ?? []).toEqual([]);
    for (const s of org.policy.Statement.filter((x) => x.Effect === 'Allow'))
      expect(JSON.stringify(s.Condition), String(s.Sid)).toContain(`"aws:PrincipalOrgID":"${ORG}"`);
  });

  const ask = (account: string, role: string, action: string, key: string, orgId = ORG) => askVault(org.policy, account, role, action, key, orgId);
  const replication = replicationRoleName('vaulted', 'eu-west-1');
  const reports = replicationRoleName('vaulted', 'eu-central-1');
  const drill = vaultDrillRoleNames('vaulted', 'eu-central-1').select;
  const own = `${A}/rdr-sessions-prod-20261121-0200-0001.rdb`;
  const other = `${B}/rdr-sessions-prod-20261121-0200-0001.rdb`;

  it("lets an account's replication roles replicate under its own prefix", async () => {
    expect(await ask(A, replication, 's3:ReplicateObject', own)).toBe('Allowed');
    expect(await ask(A, replication, 's3:ReplicateTags', own)).toBe('Allowed');
    expect(await ask(A, reports, 's3:ReplicateObject', `${A}/reports/weekly/2026-11-23.json`)).toBe('Allowed');
    expect(await ask(A, drill, 's3:GetObject', own)).toBe('Allowed');
    expect(await ask(A, drill, 's3:ListBucket', `${A}/rdr-sessions`)).toBe('Allowed');
  });

  it.each([
    ['replicate a replica (a newer version over it)', replication, 's3:ReplicateObject', other],
    ['replicate tags onto a replica', replication, 's3:ReplicateTags', other],
    ['put an object', replication, 's3:PutObject', other],
    ['write at the root, outside every prefix', replication, 's3:ReplicateObject', 'rdr-sessions-prod-20261121-0200-0001.rdb'],
    ['read a replica', drill, 's3:GetObject', other],
    ['list the replicas', drill, 's3:ListBucket', `${B}/`],
  ])("refuses an account to %s under another account's prefix", async (_what, role, action, key) => {
    expect(await ask(A, role, action, key)).toMatch(/Denied$/);
  });

  it('refuses a delete under its own prefix, a role of another name, and an account outside the organization', async () => {
    expect(await ask(A, replication, 's3:DeleteObjectVersion', own)).toBe('ExplicitlyDenied');
    expect(await ask(A, 'Admin', 's3:ReplicateObject', own)).toMatch(/Denied$/);
    expect(await ask(A, 'Admin', 's3:PutObject', own)).toMatch(/Denied$/);
    expect(await ask(A, replication, 's3:ReplicateObject', own, 'o-zzzzzzzzzz')).toMatch(/Denied$/);
  });

  it('the same simulation finds a planted grant of the whole bucket (the check can fail)', async () => {
    const planted = org.policy.Statement.map((s) => (s.Sid === 'ReplicasFromOrganizationAccounts' ? { ...s, Resource: `arn:aws:s3:::${BUCKET}/*` } : s)).filter(
      (s) => s.Sid !== 'NoAccountWritesUnderAnother',
    );
    const saved = org.policy.Statement;
    org.policy.Statement = planted;
    try {
      expect(await ask(A, replication, 's3:ReplicateObject', other)).toBe('Allowed');
    } finally {
      org.policy.Statement = saved;
    }
  });
});

describe('a vault that lists its accounts', () => {
  it('is estimated high but close: at or over the synthesized policy, by less than 1 KB (four accounts)', () => {
    for (const [n, drills] of [
      [1, false],
      [40, false],
      [40, true],
    ] as const) {
      const config = configWith({ workloadAccounts: accounts(n) }, drills);
      const actual = vaultPolicy(config).bytes;
      const estimate = listedVaultPolicyBytes({
        deployment: 'vaulted',
        vaultAccount: VAULT,
        vaultRegion: 'eu-central-1',
        primaryRegion: 'eu-west-1',
        drRegion: 'eu-central-1',
        accounts: n,
      });
      expect(estimate, `${n} accounts, drills ${drills}`).toBeGreaterThanOrEqual(actual);
      expect(estimate - actual, `${n} accounts, drills ${drills}`).toBeLessThan(1024);
    }
  });

  it('past the limit (300 accounts) is refused in one line naming vault.organizationId; 60 fit', () => {
    const problem = vaultPolicySizeProblem(configWith({ workloadAccounts: accounts(300) }));
    expect(problem).toMatch(
      /^vault\.workloadAccounts lists 300 accounts: the vault bucket policy would be about \d+ bytes, past S3's 20480-byte limit \(about \d+ accounts fit\)\. Give vault\.organizationId/,
    );
    expect(problem).not.toContain('\n');
    expect(vaultPolicySizeProblem(configWith({ workloadAccounts: accounts(60) }))).toBeUndefined();
    expect(() => new RedisDrVault(new App(), 'V', configWith({ workloadAccounts: accounts(300) }) as never)).toThrow(/vault\.organizationId/);
  });

  it('beside vault.organizationId is refused: one grant or the other', () => {
    expect(vaultPolicySizeProblem(configWith({ organizationId: ORG, workloadAccounts: [A] }))).toMatch(
      /^vault\.workloadAccounts must be left out with vault\.organizationId/,
    );
  });
});

/**
 * Issue 52: the workload side of the organization vault. The DR bucket
 * replicates `<account>/<region>/` (domain/points/account-prefix.ts: where
 * the scheduled report writes the organization's copy) into the vault with
 * its key, so it lands under the account's own prefix; the replication
 * role, with the identity policies the DR stack gives it, and the vault's
 * policy as synthesized, writes there and nowhere else.
 */
describe("an account's evidence replicating into the organization vault", () => {
  const config = configWith({ organizationId: ORG });
  const synth = synthesize(config);
  const dr = synth.dr.toJSON() as TemplateJson;
  const policy = vaultPolicy(config).policy;
  const roleName = replicationRoleName('vaulted', 'eu-central-1');
  const roleId = Object.entries(dr.Resources ?? {}).find(([, r]) => r.Type === 'AWS::IAM::Role' && r.Properties?.RoleName === roleName)?.[0];
  const identity = rolePolicies(dr, roleId!, { account: A, region: 'eu-central-1' });
  const own = `${accountRegionPrefix(A, 'eu-central-1')}${reportKeyPrefix('weekly', new Date('2026-11-23T06:00:00Z'))}report.json`;
  const ask = (account: string, action: string, key: string) => askVault(policy, account, roleName, action, key, ORG, identity);

  it("filters the DR bucket's rule into the vault on <account>/<region>/ (Object Lock: the vault's default retention), deletions never replicated", () => {
    const bucket = Object.values(synth.dr.findResources('AWS::S3::Bucket')).find((b) => b.Properties.ReplicationConfiguration);
    expect(bucket!.Properties.ReplicationConfiguration.Rules).toEqual([
      expect.objectContaining({
        Id: REPORTS_REPLICATION_RULE_ID,
        Filter: { Prefix: `${A}/eu-central-1/` },
        DeleteMarkerReplication: { Status: 'Disabled' },
        Destination: expect.objectContaining({ AccessControlTranslation: { Owner: 'Destination' }, Account: VAULT }),
      }),
    ]);
    expect(JSON.stringify(bucket!.Properties.ReplicationConfiguration.Rules[0].Destination.Bucket)).toContain(BUCKET);
    expect(roleId).toBeDefined();
  });

  it('the report function may write the copy under <account>/<region>/reports/ and reports/, nothing else of the bucket', () => {
    const statements = Object.values(dr.Resources ?? {})
      .filter((r) => r.Type === 'AWS::IAM::Policy')
      .flatMap((r) => (r.Properties!.PolicyDocument as { Statement: { Sid?: string; Resource: unknown }[] }).Statement)
      .filter((st) => st.Sid === 'WriteReports');
    expect(statements).toHaveLength(1);
    expect(JSON.stringify(statements[0]!.Resource)).toContain(`/${A}/eu-central-1/reports/*`);
    expect(JSON.stringify(statements[0]!.Resource)).toContain('"/reports/*"');
  });

  it('the scrub writes each record under <account>/<region>/scrub/ too (its input says the account), and may write nothing else of the prefix', async () => {
    const statements = Object.values(dr.Resources ?? {})
      .filter((r) => r.Type === 'AWS::IAM::Policy')
      .flatMap((r) => (r.Properties!.PolicyDocument as { Statement: { Sid?: string; Resource: unknown }[] }).Statement)
      .filter((st) => st.Sid === 'WriteScrubRecords');
    expect(statements).toHaveLength(1);
    const resources = JSON.stringify(statements[0]!.Resource);
    expect(resources).toContain(`/${A}/eu-central-1/scrub/*`);
    expect(resources).toContain('"/scrub/*"');
    expect(resources).not.toContain(`/${A}/eu-central-1/*"`);
    const schedules = Object.values(dr.Resources ?? {}).filter(
      (r) => r.Type === 'AWS::Scheduler::Schedule' && JSON.stringify(r.Properties).includes('\\"primary\\"'),
    );
    expect(JSON.stringify(schedules)).toContain(`\\"orgEvidence\\":{\\"account\\":\\"${A}\\"}`);
  });

  it('lets the replication role replicate its own account and region prefix into the vault', async () => {
    expect(await ask(A, 's3:ReplicateObject', own)).toBe('Allowed');
    expect(await ask(A, 's3:ObjectOwnerOverrideToBucketOwner', own)).toBe('Allowed');
  });

  it.each([
    ["another account's prefix", `${B}/eu-central-1/reports/weekly/2026-11-23T0600Z/report.json`],
    ['the root (what a listed vault takes: reports/)', 'reports/weekly/2026-11-23T0600Z/report.json'],
    ["its own account's other region (the role is this region's)", `${A}/eu-west-1/reports/weekly/2026-11-23T0600Z/report.json`],
    ['the verdicts the vault reserves for its verifier', `redis-dr-vault-verdicts/${A}/eu-central-1/x.json`],
  ])('refuses the replication role to write under %s', async (_what, key) => {
    expect(await ask(A, 's3:ReplicateObject', key)).toMatch(/Denied$/);
  });

  it("refuses another account's role of the same name to write under this account's prefix", async () => {
    const theirs = rolePolicies(dr, roleId!, { account: B, region: 'eu-central-1' });
    expect(await askVault(policy, B, roleName, 's3:ReplicateObject', own, ORG, theirs)).toMatch(/Denied$/);
  });

  it('the same simulation finds a role policy planted over the whole vault and a vault policy granting the whole bucket (the check can fail)', async () => {
    const planted = policy.Statement.map((s) => (s.Sid === 'ReplicasFromOrganizationAccounts' ? { ...s, Resource: `arn:aws:s3:::${BUCKET}/*` } : s)).filter(
      (s) => s.Sid !== 'NoAccountWritesUnderAnother',
    );
    const wide = [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:ReplicateObject', Resource: `arn:aws:s3:::${BUCKET}/*` }] }];
    expect(await askVault({ Statement: planted }, A, roleName, 's3:ReplicateObject', `${B}/eu-central-1/x`, ORG, wide)).toBe('Allowed');
  });

  it('is clean under cfn-lint (the DR stack and the vault stack; cdk-nag ran in the synth)', async () => {
    expect(await cfnLint([synth.templateFiles[1]!, synth.templateFiles[2]!])).toEqual({ status: 0, output: '' });
  }, 300_000);
});
