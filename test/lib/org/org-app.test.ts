import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { loadOrgConfig, validateOrgConfig } from '../../../lib/config/org.js';
import { addOrgStacks } from '../../../lib/org-app.js';
import { cfnLint } from '../../support/cfn-lint.js';
import { tempDirs } from '../../support/temp-dirs.js';

const tempDir = tempDirs();

/**
 * The organization's StackSets (`-c stacks=org`, lib/org-app.ts) from
 * config/org-example.json: service-managed with automatic deployment to the
 * OUs, the config's operation preferences, the DR region's StackSet before
 * the primary's, member templates whose Lambda code names the region's org
 * asset bucket (never an account's bootstrap bucket), cdk-nag clean (the
 * synth throws on a finding) and cfn-lint clean.
 */
const ORG = loadOrgConfig('config/org-example.json');
const dir = tempDir('redis-dr-org-');
const app = new App({ outdir: join(dir, 'cdk.out'), context: { 'aws:cdk:bundling-stacks': [] } });
const built = addOrgStacks(app, ORG, join(dir, 'members'));
const assembly = app.synth();
const admin = Template.fromStack(built.stackSets);
type Resource = { Type: string; Properties: Record<string, any>; DependsOn?: string[] };
const resources = admin.toJSON().Resources as Record<string, Resource>;
const stackSets = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::CloudFormation::StackSet');

describe('the organization StackSets', () => {
  it('are service-managed, deploy automatically to the OUs, with the operation preferences of the config', () => {
    expect(stackSets.length).toBe(2 * built.groups.length);
    for (const [, r] of stackSets) {
      expect(r.Properties.PermissionModel).toBe('SERVICE_MANAGED');
      expect(r.Properties.AutoDeployment).toEqual({ Enabled: true, RetainStacksOnAccountRemoval: false });
      expect(r.Properties.OperationPreferences).toEqual({ MaxConcurrentPercentage: 25, FailureTolerancePercentage: 10, RegionConcurrencyType: 'SEQUENTIAL' });
      expect(r.Properties.TemplateURL).toBeDefined();
    }
  });

  it('puts the DR region first: every primary StackSet depends on its group DR one', () => {
    for (const [id, r] of stackSets.filter(([, r]) => r.Properties.StackSetName.endsWith('-primary'))) {
      const dr = stackSets.find(([, d]) => d.Properties.StackSetName === r.Properties.StackSetName.replace(/-primary$/, '-dr'))!;
      expect(r.DependsOn, id).toContain(dr[0]);
      expect(r.Properties.StackInstancesGroup[0].Regions).toEqual(['eu-west-1']);
      expect(dr[1].Properties.StackInstancesGroup[0].Regions).toEqual(['eu-central-1']);
    }
  });

  it("groups accounts by their effective plans: an account or a child OU with other plans is taken out of its parent's group", () => {
    const targets = stackSets
      .filter(([, r]) => r.Properties.StackSetName.endsWith('-dr'))
      .map(([, r]) => r.Properties.StackInstancesGroup.map((g: { DeploymentTargets: unknown }) => g.DeploymentTargets));
    expect(targets.flat()).toEqual(
      expect.arrayContaining([
        { OrganizationalUnitIds: ['ou-ex12-prod0001'], AccountFilterType: 'DIFFERENCE', Accounts: ['222222222222', '333333333333'] },
        { OrganizationalUnitIds: ['ou-ex12-paym0001'], AccountFilterType: 'DIFFERENCE', Accounts: ['333333333333'] },
        { OrganizationalUnitIds: ['ou-ex12-paym0001'], AccountFilterType: 'INTERSECTION', Accounts: ['333333333333'] },
        { OrganizationalUnitIds: ['ou-ex12-sand0001'] },
      ]),
    );
    expect(built.groups.flatMap((g) => g.accounts).sort()).toEqual(['111111111111', '222222222222', '333333333333', '444444444444']);
  });

  it("has member templates whose Lambda code is in the region's org asset bucket, never an account's bootstrap bucket", () => {
    for (const outdir of built.memberOutdirs) {
      const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as {
        artifacts: Record<string, { type: string; properties?: { templateFile?: string } }>;
      };
      const templates = Object.values(manifest.artifacts).filter((a) => a.type === 'aws:cloudformation:stack');
      expect(templates).toHaveLength(2);
      for (const a of templates) {
        const text = readFileSync(join(outdir, a.properties!.templateFile!), 'utf8');
        expect(text).not.toMatch(/cdk-hnb659fds|BootstrapVersion/);
        const region = /-Dr\.template/.test(a.properties!.templateFile!) ? 'eu-central-1' : 'eu-west-1';
        expect(text).toContain(`"S3Bucket": "redis-dr-acme-assets-${region}"`);
        // No account id anywhere (ARNs, principals) but the organization's vault account, which every member replicates to.
        expect((text.match(/[:"-]\d{12}[:"-]/g) ?? []).filter((id) => !id.includes(ORG.vault.account))).toEqual([]);
        expect(text).toContain(`redis-dr-acme-${ORG.vault.account}-eu-central-1`);
      }
    }
  });

  it('lets the organization read the asset buckets, one per region', () => {
    for (const stack of built.assets) {
      const t = Template.fromStack(stack);
      t.hasResourceProperties('AWS::S3::Bucket', { BucketName: `redis-dr-acme-assets-${stack.region}` });
      expect(JSON.stringify(t.toJSON())).toContain('"aws:PrincipalOrgID":"o-exampleorg1"');
    }
  });

  it('passes cfn-lint: the StackSets stack, the asset stacks and a group of member templates (each group is the same stacks)', async () => {
    const files = [
      ...[built.stackSets, ...built.assets].map((s) => join(assembly.directory, assembly.getStackByName(s.stackName).templateFile)),
      ...built.memberOutdirs.slice(0, 1).flatMap((d) => {
        const manifest = JSON.parse(readFileSync(join(d, 'manifest.json'), 'utf8')) as {
          artifacts: Record<string, { type: string; properties?: { templateFile?: string } }>;
        };
        return Object.values(manifest.artifacts)
          .filter((a) => a.type === 'aws:cloudformation:stack')
          .map((a) => join(d, a.properties!.templateFile!));
      }),
    ];
    expect(await cfnLint(files)).toEqual({ status: 0, output: '' });
  }, 300_000);
});

describe('cdk synth -c stacks=org', () => {
  /** The CDK entry over the example with account 111111111111 put in a second OU (and `change` made): its exit code, lines and stacks. */
  async function entryOverBadOrg(name: string, context: Record<string, string>, change: (config: Record<string, any>) => void = () => undefined) {
    const { runCdkEntry } = await import('../../../lib/cdk-entry.js');
    const { writeFileSync } = await import('node:fs');
    const bad = join(dir, `${name}.json`);
    const config = JSON.parse(readFileSync('config/org-example.json', 'utf8')) as Record<string, any>;
    config.organizationalUnits[2].accounts.push('111111111111');
    change(config);
    writeFileSync(bad, JSON.stringify(config));
    const written: string[] = [];
    const entryApp = new App({ outdir: join(dir, `${name}.out`), context: { config: bad, ...context, 'aws:cdk:bundling-stacks': [] } });
    const code = runCdkEntry(entryApp, { write: (t: string) => written.push(t) });
    return { code, lines: written.join('').trim().split('\n'), stacks: entryApp.node.findAll().filter((c) => Stack.isStack(c)) };
  }

  it('refuses an org config with a problem before synthesizing anything: every problem, exit 1', async () => {
    const refused = await entryOverBadOrg('bad-org', { stacks: 'org' }, (config) => (config.root.tiers.gold.rpoMinutes = 60));
    expect(refused.code).toBe(1);
    expect(refused.lines.join('\n')).toMatch(
      /bad-org\.json: account 111111111111 is in two OUs, ou prod \(ou-ex12-prod0001\) at organizationalUnits\[0\] and ou sandbox/,
    );
    expect(refused.stacks).toEqual([]);
  });

  it('reads an org config as one without -c stacks too (the StackSets), never as a deployment config', async () => {
    const refused = await entryOverBadOrg('bad-org-no-stacks', {});
    expect(refused.code).toBe(1);
    // The org config's own problem, alone: not the deployment config's "root is not a known setting".
    expect(refused.lines).toEqual([expect.stringMatching(/bad-org-no-stacks\.json: account 111111111111 is in two OUs/)]);
    expect(refused.stacks).toEqual([]);
  });

  it('refuses a tier whose RPO no snapshot schedule meets, naming the tier and where its RPO came from', () => {
    const config = JSON.parse(readFileSync('config/org-example.json', 'utf8')) as Record<string, any>;
    config.organizationalUnits[2].tiers = { silver: { rpoMinutes: 90 } };
    const org = validateOrgConfig(config);
    if (!org.ok) throw new Error(org.problems.join());
    expect(() => addOrgStacks(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), org.config, join(dir, 'rpo'))).toThrow(
      /tier silver's rpoMinutes 90 \(from ou sandbox \(ou-ex12-sand0001\)\) is below 120: ElastiCache takes at most 20 manual snapshots of a node a day/,
    );
  });
});
