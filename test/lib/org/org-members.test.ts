import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { type OrgConfig, validateOrgConfig } from '../../../lib/config/org.js';
import { verifiedCopyRules } from '../../../lambdas/jobs/org/inventory.js';
import { notCarried } from '../../../lambdas/domain/org/effective.js';
import { stackSetGroups } from '../../../lib/constructs/org/stack-set-groups.js';
import { memberConfig } from '../../../lib/constructs/org/member-config.js';
import { addOrgVault } from '../../../lib/org-vault.js';
import { addOrgStacks } from '../../../lib/org-app.js';
import { cfnLint } from '../../support/cfn-lint.js';
import { controlTowerFindings } from '../../support/governance.js';
import { DEFAULT_FAILING_CONTROLS } from '../../support/governance-expectations.js';
import { MEMBER_NETWORK_VALUES } from '../../support/state-machine.js';

/**
 * What the StackSets deploy into each member account (lib/org-app.ts): the
 * member templates of every group, synthesized as the StackSets upload them,
 * carry what a single-account deployment has: the org config's alert
 * subscriptions on both regions' topics and, with `configRule.enabled`, the
 * verified-copy AWS Config rule in the primary region; cdk-nag clean (the
 * synth throws on a finding) and cfn-lint clean.
 */
type Resource = { Type: string; Properties: Record<string, any> };
type Member = { region: 'primary' | 'dr'; file: string; resources: Resource[]; parameters: Record<string, { Type: string; Default?: string }> };

/** config/org-example.json with `edit`, validated. */
function orgConfig(edit: (config: Record<string, any>) => void): OrgConfig {
  const raw = JSON.parse(readFileSync('config/org-example.json', 'utf8')) as Record<string, any>;
  edit(raw);
  const checked = validateOrgConfig(raw);
  if (!checked.ok) throw new Error(checked.problems.join('\n'));
  return checked.config;
}

function synthOrg(edit: (config: Record<string, any>) => void): Member[][] {
  const checked = { config: orgConfig(edit) };
  const dir = mkdtempSync(join(tmpdir(), 'redis-dr-org-members-'));
  const app = new App({ outdir: join(dir, 'cdk.out'), context: { 'aws:cdk:bundling-stacks': [] } });
  const built = addOrgStacks(app, checked.config, join(dir, 'members'));
  app.synth();
  return built.memberOutdirs.map((outdir) => {
    const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as {
      artifacts: Record<string, { type: string; properties?: { templateFile?: string } }>;
    };
    return Object.values(manifest.artifacts)
      .filter((a) => a.type === 'aws:cloudformation:stack')
      .map((a) => {
        const file = join(outdir, a.properties!.templateFile!);
        const template = JSON.parse(readFileSync(file, 'utf8')) as { Resources: Record<string, Resource>; Parameters?: Member['parameters'] };
        // The parameters a deployment of the stack is given (the CDK's own BootstrapVersion is not one: this synthesizer adds none;
        // ExampleConfig is the example's guard against a deploy).
        const { ExampleConfig: _guard, ...parameters } = template.Parameters ?? {};
        return { region: /-Dr\.template/.test(file) ? 'dr' : 'primary', file, resources: Object.values(template.Resources), parameters } as Member;
      });
  });
}

/** A template with every `Ref` to one of `values`' parameters replaced by its value, as CloudFormation resolves it. */
function withParameterValues(value: unknown, values: Readonly<Record<string, unknown>>): unknown {
  if (Array.isArray(value)) return value.map((v) => withParameterValues(v, values));
  if (value === null || typeof value !== 'object') return value;
  const ref = (value as { Ref?: unknown }).Ref;
  if (typeof ref === 'string' && Object.keys(value).length === 1 && ref in values) return values[ref];
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withParameterValues(v, values)]));
}

const VAULT_ACCOUNT = '999999999999';
const ofType = (m: Member, type: string) => m.resources.filter((r) => r.Type === type);
/** A deployment's drill state machines: redis-dr-<name>-<region role>-drill. */
const drillMachines = (m: Member) =>
  ofType(m, 'AWS::StepFunctions::StateMachine')
    .map((r) => r.Properties.StateMachineName as string)
    .filter((n) => n.endsWith('-drill'));

describe('the member stacks of the StackSets', () => {
  const on = synthOrg((c) => {
    c.alerts = { emails: ['oncall@example.com'], httpsEndpoints: ['https://events.pagerduty.example/redis-dr'] };
    c.configRule = { enabled: true, securityHub: true };
  });
  // Without drill.network: no drills (the tiers still ask for them, and are named).
  const off = synthOrg((c) => {
    delete c.drill;
  });

  it("subscribe both regions' alert topics of every group to the org config's on-call, and none without it", () => {
    for (const group of on) {
      expect(group.map((m) => m.region).sort()).toEqual(['dr', 'primary']);
      for (const m of group) {
        const subs = ofType(m, 'AWS::SNS::Subscription').map((r) => [r.Properties.Protocol, r.Properties.Endpoint]);
        expect(subs.sort(), m.file).toEqual([
          ['email', 'oncall@example.com'],
          ['https', 'https://events.pagerduty.example/redis-dr'],
        ]);
      }
    }
    for (const m of off.flat()) expect(ofType(m, 'AWS::SNS::Subscription'), m.file).toEqual([]);
  });

  it("deploy the verified-copy Config rule in every group's primary region with configRule.enabled, and not otherwise", () => {
    for (const group of on) {
      const primary = group.find((m) => m.region === 'primary')!;
      const rules = ofType(primary, 'AWS::Config::ConfigRule');
      expect(rules).toHaveLength(1);
      expect(rules[0]!.Properties.ConfigRuleName).toMatch(/^redis-dr-acme-g[0-9a-f]{6}-verified-copy$/);
      expect(rules[0]!.Properties.Source.Owner).toBe('CUSTOM_LAMBDA');
      expect(ofType(group.find((m) => m.region === 'dr')!, 'AWS::Config::ConfigRule')).toEqual([]);
      // The rule's role: its own account's caches, reports/ of its own DR bucket, Config, and Security Hub's default product.
      const policies = ofType(primary, 'AWS::IAM::Policy').map((p) => p.Properties.PolicyDocument.Statement as { Sid?: string }[]);
      const rulePolicy = policies.filter((st) => st.some((x) => x.Sid === 'AnswerConfig'));
      expect(rulePolicy).toHaveLength(1);
      expect(
        rulePolicy[0]!
          .map((x) => x.Sid)
          .filter(Boolean)
          .sort(),
      ).toEqual(['AnswerConfig', 'ImportFindings', 'ListCaches', 'ListReports', 'ReadReports']);
    }
    for (const m of off.flat()) expect(ofType(m, 'AWS::Config::ConfigRule'), m.file).toEqual([]);
  });

  it("are the rules org inventory reads each account's serverless caches from (the same names, every account once)", () => {
    const config = orgConfig((c) => {
      c.configRule = { enabled: true, securityHub: true };
    });
    const deployed = on.map((group) => ofType(group.find((m) => m.region === 'primary')!, 'AWS::Config::ConfigRule')[0]!.Properties.ConfigRuleName as string);
    const read = verifiedCopyRules(config);
    expect(new Set(read.map((r) => r.rule))).toEqual(new Set(deployed));
    expect(read.map((r) => r.account)).toEqual([...new Set(config.organizationalUnits.flatMap((ou) => ou.accounts))].sort());
    expect(read.every((r) => r.region === config.regions.primary)).toBe(true);
  });

  it('carry the drills of tiers with drill.enabled in the primary region with drill.network, their network as SSM-typed stack parameters', () => {
    const gold = on.find((g) => g.some((m) => m.region === 'primary' && drillMachines(m).length > 0))!;
    for (const group of on) {
      const primary = group.find((m) => m.region === 'primary')!;
      const dr = group.find((m) => m.region === 'dr')!;
      // Every group has a tier with drill.enabled (gold, at the root): one drill state machine, in the primary region only.
      expect(drillMachines(primary), primary.file).toHaveLength(1);
      expect(drillMachines(dr), dr.file).toEqual([]);
      expect(primary.parameters, primary.file).toEqual({
        NetworkVpcId: expect.objectContaining({ Type: 'AWS::SSM::Parameter::Value<AWS::EC2::VPC::Id>', Default: '/acme/network/vpc-id' }),
        NetworkSubnetIds: expect.objectContaining({
          Type: 'AWS::SSM::Parameter::Value<List<AWS::EC2::Subnet::Id>>',
          Default: '/acme/network/private-subnet-ids',
        }),
        NetworkSecurityGroupIds: expect.objectContaining({
          Type: 'AWS::SSM::Parameter::Value<List<AWS::EC2::SecurityGroup::Id>>',
          Default: '/acme/network/redis-dr-security-group-ids',
        }),
        NetworkCacheSubnetGroupName: expect.objectContaining({ Type: 'AWS::SSM::Parameter::Value<String>', Default: '/acme/network/cache-subnet-group' }),
      });
      expect(dr.parameters, dr.file).toEqual({});
      // The drill's verify function sits in the parameters' subnets and groups.
      const inVpc = ofType(primary, 'AWS::Lambda::Function').filter((f) => f.Properties.VpcConfig);
      expect(inVpc.map((f) => f.Properties.VpcConfig)).toEqual([
        { SubnetIds: { Ref: 'NetworkSubnetIds' }, SecurityGroupIds: { Ref: 'NetworkSecurityGroupIds' } },
      ]);
      // The serverless endpoint's subnets and groups: the parameters' ids, by the keys EC2 evaluates on them; the VPC by its ARN.
      const statements = ofType(primary, 'AWS::IAM::Policy').flatMap((p) => p.Properties.PolicyDocument.Statement as Record<string, any>[]);
      const byIds = statements.filter((st) => st.Condition?.StringEquals?.['ec2:SubnetID'] || st.Condition?.StringEquals?.['ec2:SecurityGroupID']);
      expect(byIds.map((st) => [st.Action, st.Condition])).toEqual([
        ['ec2:CreateVpcEndpoint', { StringEquals: { 'ec2:SubnetID': { Ref: 'NetworkSubnetIds' } } }],
        ['ec2:CreateVpcEndpoint', { StringEquals: { 'ec2:SecurityGroupID': { Ref: 'NetworkSecurityGroupIds' } } }],
      ]);
      expect(JSON.stringify(statements.filter((st) => st.Action === 'ec2:CreateVpcEndpoint'))).not.toContain('ec2:Vpc"');
    }
    expect(gold).toBeDefined();
    // The tier's everyDays as a schedule: gold (every 7 days) weekly; silver (30 at the root) weekly too, never less often than asked.
    const schedules = ofType(on[0]!.find((m) => m.region === 'primary')!, 'AWS::Scheduler::Schedule').filter((s) =>
      /^DrillsStateMachine/.test(s.Properties.Target.Arn?.Ref ?? ''),
    );
    expect(schedules.map((s) => [JSON.parse(s.Properties.Target.Input).plan, s.Properties.ScheduleExpression])).toEqual([
      ['gold', 'cron(0 4 ? * SUN *)'],
      ['silver', 'cron(0 4 ? * SUN *)'],
    ]);
  });

  it("replicate into the organization's one vault with vault.enabled: the exports' and the reports' <account>/<region>/, through roles the vault's grant takes", () => {
    const vaultBucket = `arn:aws:s3:::redis-dr-acme-${VAULT_ACCOUNT}-eu-central-1`;
    for (const m of [...off.flat(), ...on.flat()]) {
      // Every group has gold (vault.enabled, locked at the root).
      const rules = ofType(m, 'AWS::S3::Bucket').flatMap((r) => (r.Properties.ReplicationConfiguration?.Rules ?? []) as Record<string, any>[]);
      const toVault = rules.filter((r) => r.Id.endsWith('to-vault'));
      const region = m.region === 'primary' ? 'eu-west-1' : 'eu-central-1';
      expect(toVault, m.file).toEqual([
        expect.objectContaining({
          Id: m.region === 'primary' ? 'to-vault' : 'reports-to-vault',
          Filter: { Prefix: { 'Fn::Join': ['', [{ Ref: 'AWS::AccountId' }, `/${region}/`]] } },
          DeleteMarkerReplication: { Status: 'Disabled' },
          Destination: expect.objectContaining({ Bucket: vaultBucket, Account: VAULT_ACCOUNT, AccessControlTranslation: { Owner: 'Destination' } }),
        }),
      ]);
      // The role the rule runs as: the name the vault's organization grant takes (redis-dr-acme*-replication-<region>).
      const roles = ofType(m, 'AWS::IAM::Role').map((r) => r.Properties.RoleName as string | undefined);
      expect(
        roles.filter((n) => n && /^redis-dr-acme.*-replication-/.test(n)),
        m.file,
      ).toEqual([expect.stringMatching(new RegExp(`^redis-dr-acme-g[0-9a-f]{6}-replication-${region}$`))]);
    }
  });

  it('give no vault to accounts none of whose tiers asks for it (nor the vault stack, when no account asks)', () => {
    const none = orgConfig((c) => {
      c.root.tiers.gold.vault = { enabled: false };
    });
    for (const g of stackSetGroups(none)) {
      const member = memberConfig(none, g.name, g.plans);
      expect(member.ok && member.props.vault, g.name).toBeUndefined();
    }
    expect(() => addOrgVault(new App(), none)).toThrow(/^no tier has vault\.enabled/);
  });

  it('carry no drill without drill.network, and every tier that asks for one is named with where it came from', () => {
    for (const m of off.flat()) {
      // A deployment's drill state machines are redis-dr-<name>-<region role>-drill (the DR stack's verifier is another).
      const machines = ofType(m, 'AWS::StepFunctions::StateMachine').map((r) => r.Properties.StateMachineName as string);
      if (m.region === 'dr') expect(machines, m.file).toContainEqual(expect.stringMatching(/-verify-rdb$/));
      expect(drillMachines(m), m.file).toEqual([]);
      expect(m.parameters, m.file).toEqual({});
    }
    const asks = orgConfig((c) => {
      c.organizationalUnits[2].tiers = { silver: { drill: { enabled: false } } };
    });
    const named = (drills: boolean) => new Map(stackSetGroups(asks).map((g) => [g.accounts.join(), notCarried(g.plans, drills)]));
    expect(named(false).get('111111111111')).toEqual(['gold drill.enabled (from root)', 'silver drill.enabled (from root)']);
    expect(named(false).get('444444444444')).toEqual(['gold drill.enabled (from root)']);
    // With drill.network the drills are carried, and the vault is: nothing is named.
    expect(named(true).get('111111111111')).toEqual([]);
    // A tier that asks for neither: nothing to name.
    const none = orgConfig((c) => {
      for (const t of Object.values(c.root.tiers) as Record<string, any>[]) {
        t.drill = { ...t.drill, enabled: false };
        t.vault = { ...t.vault, enabled: false };
      }
      for (const ou of c.organizationalUnits) delete ou.tiers;
      c.accounts = [];
    });
    expect(stackSetGroups(none).flatMap((g) => notCarried(g.plans, false))).toEqual([]);
  });

  it('with drills, fail no Control Tower control the single-account example does not (docs/deploying.md lists those)', () => {
    // Checked as a stack instance is provisioned, where the proactive controls (CloudFormation hooks) run: with the network
    // parameters resolved (cfn-guard's plugin fails on a VpcConfig whose SubnetIds is a Ref to a list parameter).
    const dir = mkdtempSync(join(tmpdir(), 'redis-dr-org-members-resolved-'));
    const files = on[0]!.map((m) => {
      const file = join(dir, basename(m.file));
      writeFileSync(file, JSON.stringify(withParameterValues(JSON.parse(readFileSync(m.file, 'utf8')), MEMBER_NETWORK_VALUES)));
      return file;
    });
    const findings = controlTowerFindings(files);
    rmSync(dir, { recursive: true, force: true });
    expect(
      findings.some((f) => f.logicalId.startsWith('Drills')),
      'the drill is checked',
    ).toBe(true);
    expect([...new Set(findings.map((f) => f.control))].filter((c) => !(DEFAULT_FAILING_CONTROLS as readonly string[]).includes(c))).toEqual([]);
  }, 300_000);

  it('pass cfn-lint (a group: every group is the same stacks)', async () => {
    expect(await cfnLint(on[0]!.map((m) => m.file))).toEqual({ status: 0, output: '' });
  }, 300_000);
});
