import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { renderIntrinsic } from '../../../lib/asl.js';
import { describe, expect, it } from 'vitest';
import { type OrgConfig, validateOrgConfig } from '../../../lib/config/org.js';
import { verifiedCopyRules } from '../../../lambdas/jobs/org/inventory.js';
import { notCarried } from '../../../lambdas/domain/org/effective.js';
import { stackSetGroups } from '../../../lib/constructs/org/stack-set-groups.js';
import { memberConfig } from '../../../lib/constructs/org/member-config.js';
import { addOrgVault } from '../../../lib/org-vault.js';
import { addOrgStacks } from '../../../lib/org-app.js';
import { groupLine } from '../../../lib/org-entry.js';
import { cfnLint } from '../../support/cfn-lint.js';
import { controlTowerFindings } from '../../support/governance.js';
import { DEFAULT_FAILING_CONTROLS } from '../../support/governance-expectations.js';
import { MEMBER_NETWORK_VALUES } from '../../support/state-machine.js';
import { KEPT_FOLDER, keptResult } from '../../support/kept-by-content.js';
import { synthInputs } from '../../support/synth-kept.js';
import { tempDirs } from '../../support/temp-dirs.js';

const tempDir = tempDirs();

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

/** The member templates of {@link synthOrg}'s synths kept between runs (see there). */
const ORG_KEPT = join(KEPT_FOLDER, 'org-members');

/**
 * The member templates of config/org-example.json with `edit`, per group, as the StackSets upload them. Kept between
 * runs by the config and everything a synth reads (test/support/synth-kept.ts synthInputs): the three synths of the
 * org app cost this file about 4 of its 8 CPU-s for the same templates while nothing changed; only a synth that
 * succeeded (cdk-nag clean: it throws on a finding) is kept. The templates are written back into a folder of this run,
 * under their names, for the gates that read files (cfn-lint, Control Tower's).
 */
function synthOrg(edit: (config: Record<string, any>) => void): Member[][] {
  const config = orgConfig(edit);
  const dir = tempDir('redis-dr-org-members-');
  const key = createHash('sha256')
    .update(JSON.stringify([synthInputs(), config]))
    .digest('hex');
  const groups = keptResult(ORG_KEPT, key, () => {
    const app = new App({ outdir: join(dir, 'cdk.out'), context: { 'aws:cdk:bundling-stacks': [] } });
    const built = addOrgStacks(app, config, join(dir, 'members'));
    app.synth();
    return built.memberOutdirs.map((outdir) => {
      const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as {
        artifacts: Record<string, { type: string; properties?: { templateFile?: string } }>;
      };
      return Object.values(manifest.artifacts)
        .filter((a) => a.type === 'aws:cloudformation:stack')
        .map((a) => ({ name: a.properties!.templateFile!, text: readFileSync(join(outdir, a.properties!.templateFile!), 'utf8') }));
    });
  });
  return groups.map((group, g) => {
    mkdirSync(join(dir, 'kept', String(g)), { recursive: true });
    return group.map(({ name, text }) => {
      const file = join(dir, 'kept', String(g), name);
      writeFileSync(file, text);
      const template = JSON.parse(text) as { Resources: Record<string, Resource>; Parameters?: Member['parameters'] };
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
  // Without drill networks: no drills (the tiers still ask for them, and are named).
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

  it("carry each drilling tier's drills where its drill.where says, each region's network as SSM-typed stack parameters of that region's names", () => {
    const parametersOf = (prefix: string) => ({
      NetworkVpcId: expect.objectContaining({ Type: 'AWS::SSM::Parameter::Value<AWS::EC2::VPC::Id>', Default: `${prefix}/vpc-id` }),
      NetworkSubnetIds: expect.objectContaining({ Type: 'AWS::SSM::Parameter::Value<List<AWS::EC2::Subnet::Id>>', Default: `${prefix}/private-subnet-ids` }),
      NetworkSecurityGroupIds: expect.objectContaining({
        Type: 'AWS::SSM::Parameter::Value<List<AWS::EC2::SecurityGroup::Id>>',
        Default: `${prefix}/redis-dr-security-group-ids`,
      }),
      NetworkCacheSubnetGroupName: expect.objectContaining({ Type: 'AWS::SSM::Parameter::Value<String>', Default: `${prefix}/cache-subnet-group` }),
    });
    for (const group of on) {
      const primary = group.find((m) => m.region === 'primary')!;
      const dr = group.find((m) => m.region === 'dr')!;
      // Every group has gold (drill.where both, at the root) and silver (primary, the default): a drill state machine in each region.
      expect(drillMachines(primary), primary.file).toHaveLength(1);
      expect(drillMachines(dr), dr.file).toHaveLength(1);
      expect(primary.parameters, primary.file).toEqual(parametersOf('/acme/network'));
      // The DR region's drills seed node-based clusters from the DR copies (serverless caches by tag are drilled in the primary
      // region only): nothing there names the VPC, so no VpcId parameter (an unused one is cfn-lint W2001).
      const { NetworkVpcId: _vpc, ...drParameters } = parametersOf('/acme/network/dr');
      expect(dr.parameters, dr.file).toEqual(drParameters);
      for (const m of [primary, dr]) {
        // The drill's verify function sits in the parameters' subnets and groups.
        const inVpc = ofType(m, 'AWS::Lambda::Function').filter((f) => f.Properties.VpcConfig);
        expect(
          inVpc.map((f) => f.Properties.VpcConfig),
          m.file,
        ).toEqual([{ SubnetIds: { Ref: 'NetworkSubnetIds' }, SecurityGroupIds: { Ref: 'NetworkSecurityGroupIds' } }]);
        // The serverless endpoint's subnets and groups: the parameters' ids, by the keys EC2 evaluates on them; the VPC by its ARN.
        const statements = ofType(m, 'AWS::IAM::Policy').flatMap((p) => p.Properties.PolicyDocument.Statement as Record<string, any>[]);
        const byIds = statements.filter((st) => st.Condition?.StringEquals?.['ec2:SubnetID'] || st.Condition?.StringEquals?.['ec2:SecurityGroupID']);
        expect(
          byIds.map((st) => [st.Action, st.Condition]),
          m.file,
        ).toEqual(
          m === primary
            ? [
                ['ec2:CreateVpcEndpoint', { StringEquals: { 'ec2:SubnetID': { Ref: 'NetworkSubnetIds' } } }],
                ['ec2:CreateVpcEndpoint', { StringEquals: { 'ec2:SecurityGroupID': { Ref: 'NetworkSecurityGroupIds' } } }],
              ]
            : [],
        );
        expect(JSON.stringify(statements.filter((st) => st.Action === 'ec2:CreateVpcEndpoint'))).not.toContain('ec2:Vpc"');
      }
    }
    // The tier's everyDays as a schedule: gold (every 7 days) weekly; silver (30 at the root) weekly too, never less often than asked.
    // The DR region drills gold only (silver drills the native snapshot, in the primary region).
    const scheduled = (m: Member) =>
      ofType(m, 'AWS::Scheduler::Schedule')
        .filter((s) => /^DrillsStateMachine/.test(s.Properties.Target.Arn?.Ref ?? ''))
        .map((s) => {
          // The DR region's input names its bucket (an Fn::Join): read the plan and region from the text.
          const input = JSON.stringify(s.Properties.Target.Input);
          return [/\\"plan\\":\\"(\w+)\\"/.exec(input)?.[1], /\\"where\\":\\"(\w+)\\"/.exec(input)?.[1], s.Properties.ScheduleExpression];
        });
    expect(scheduled(on[0]!.find((m) => m.region === 'primary')!)).toEqual([
      ['gold', 'primary', 'cron(0 4 ? * SUN *)'],
      ['silver', 'primary', 'cron(0 4 ? * SUN *)'],
    ]);
    expect(scheduled(on[0]!.find((m) => m.region === 'dr')!)).toEqual([['gold', 'dr', 'cron(0 4 ? * SUN *)']]);
  });

  it("give the default tier's schedules, and only its, the untagged caches (selectWithoutTag) in the synthesized templates", () => {
    /** A schedule's input as JSON (an Fn::Join's references, inside string values, as X). */
    const inputOf = (r: Resource): unknown => {
      const input = r.Properties.Target.Input as string | { 'Fn::Join': [string, unknown[]] };
      return JSON.parse(typeof input === 'string' ? input : input['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : 'X')).join(''));
    };
    /** The plans (`plan` beside `targets`) anywhere in an input that select without a tag, with the key. */
    const selecting = (value: unknown): string[] => {
      if (Array.isArray(value)) return value.flatMap(selecting);
      if (value === null || typeof value !== 'object') return [];
      const o = value as { plan?: string; targets?: { selectWithoutTag?: string } };
      const own = o.targets?.selectWithoutTag !== undefined ? [`${o.plan} without ${o.targets.selectWithoutTag}`] : [];
      return [...own, ...Object.values(o).flatMap(selecting)];
    };
    const withoutTag = (m: Member) => [...new Set(ofType(m, 'AWS::Scheduler::Schedule').flatMap((r) => selecting(inputOf(r))))];
    // Three groups under prod's silver, the sandbox under the root's bronze: in each primary template one plan's schedules.
    expect(on.map((g) => withoutTag(g.find((m) => m.region === 'primary')!)).sort()).toEqual([
      ['bronze without redis-dr:tier'],
      ['silver without redis-dr:tier'],
      ['silver without redis-dr:tier'],
      ['silver without redis-dr:tier'],
    ]);
  });

  it("let the default tier's roles list the region's caches (read-only), and delete still only this deployment's tagged snapshots", () => {
    const statements = (m: Member) => ofType(m, 'AWS::IAM::Policy').flatMap((p) => p.Properties.PolicyDocument.Statement as Record<string, any>[]);
    const bySid = (m: Member, sid: string) => statements(m).filter((st) => st.Sid === sid);
    const lists = (st: Record<string, any>) => [st.Action].flat().includes('elasticache:DescribeServerlessCaches');
    for (const group of on) {
      const primary = group.find((m) => m.region === 'primary')!;
      // Prune: every group's default tier (silver or bronze) selects untagged caches, so its role lists them, on * (no tag scopes a listing).
      const prune = ofType(primary, 'AWS::IAM::Policy')
        .filter((p) => /Prune/.test(JSON.stringify(p.Properties.Roles)))
        .flatMap((p) => p.Properties.PolicyDocument.Statement as Record<string, any>[])
        .filter((st) => st.Sid === 'ListSnapshots');
      expect(prune, primary.file).toHaveLength(1);
      expect(prune[0]).toMatchObject({
        Action: expect.arrayContaining(['elasticache:DescribeReplicationGroups', 'elasticache:DescribeServerlessCaches']),
        Resource: '*',
      });
      expect(prune[0]!.Condition).toBeUndefined();
      // Deletes stay on rdr-* snapshots tagged by this deployment, whatever the plans select.
      const deletes = statements(primary).filter((st) => [st.Action].flat().some((a: string) => /^elasticache:Delete.*Snapshot$/.test(a)));
      expect(deletes.length, primary.file).toBeGreaterThan(0);
      for (const st of deletes)
        expect(st.Condition.StringEquals, primary.file).toMatchObject({
          'aws:ResourceTag/redis-dr:managed': 'true',
          'aws:ResourceTag/redis-dr:deployment': expect.stringMatching(/^acme-g/),
        });
    }
    // The primary drill's select lists the caches only where the default tier drills there: silver (prod's) does, bronze (the sandbox's) does not.
    const selectLists = on.map((group) => bySid(group.find((m) => m.region === 'primary')!, 'ReadRecoveryPoints').some(lists)).sort();
    expect(selectLists).toEqual([false, true, true, true]);
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

  it('keep the group names (and the StackSet names) of a config that does not set drill.where, as they were before the setting', () => {
    const before = orgConfig((c) => {
      delete c.root.tiers.gold.drill.where;
      delete c.drill.drNetwork;
    });
    // The names of config/org-example.json without drill.where: a new name would be a second StackSet. The sandbox's
    // (the root's default tier) is the one main gave before drill.where and default tiers existed; the others, whose
    // default tier is not the root's, are named by their settings and default tier (review 21).
    const names = ['gcad8be', 'g81f7dc', 'ga7f3de', 'g79791b'];
    expect(stackSetGroups(before).map((g) => g.name)).toEqual(names);
    // Set to its default, the same; set otherwise (the example's gold: both), other plans and other names.
    expect(stackSetGroups(orgConfig((c) => void (c.root.tiers.gold.drill.where = 'primary'))).map((g) => g.name)).toEqual(names);
    expect(stackSetGroups(orgConfig(() => undefined)).map((g) => g.name)).not.toContain('g5cf5b7');
    // drill.fromVault the same: the example's names with it false, others with it true.
    const example = stackSetGroups(orgConfig(() => undefined)).map((g) => g.name);
    expect(stackSetGroups(orgConfig((c) => void (c.root.tiers.gold.drill.fromVault = false))).map((g) => g.name)).toEqual(example);
    const fromVault = stackSetGroups(orgConfig((c) => void (c.root.tiers.gold.drill.fromVault = true))).map((g) => g.name);
    expect(fromVault).toHaveLength(example.length);
    for (const name of fromVault) expect(example).not.toContain(name);
  });

  it("give a tier's drill only the regions whose network the org config names, and the DR region only with drill.drNetwork", () => {
    const built = (edit: (c: Record<string, any>) => void) => {
      const org = orgConfig(edit);
      const group = stackSetGroups(org)[0]!;
      const member = memberConfig(org, group.name, group.plans);
      if (!member.ok) throw new Error(member.problems.join('\n'));
      const props = member.props;
      return {
        where: Object.fromEntries(props.plans.map((p) => [p.name, p.drill?.where ?? 'none'])),
        networks: [props.network ? 'primary' : '', props.dr.network ? 'dr' : ''].filter(Boolean),
      };
    };
    expect(built(() => undefined)).toEqual({ where: { gold: 'both', silver: 'primary', bronze: 'none' }, networks: ['primary', 'dr'] });
    expect(built((c) => delete c.drill.drNetwork)).toEqual({ where: { gold: 'primary', silver: 'primary', bronze: 'none' }, networks: ['primary'] });
    expect(built((c) => delete c.drill.network)).toEqual({ where: { gold: 'dr', silver: 'none', bronze: 'none' }, networks: ['dr'] });
    // Only the DR region drills: no primary parameters are asked of the accounts.
    expect(built((c) => void (c.root.tiers.silver.drill.where = 'dr'))).toEqual({
      where: { gold: 'both', silver: 'dr', bronze: 'none' },
      networks: ['primary', 'dr'],
    });
    expect(
      built((c) => {
        c.root.tiers.gold.drill.where = 'dr';
        c.root.tiers.silver.drill.where = 'dr';
      }),
    ).toEqual({ where: { gold: 'dr', silver: 'dr', bronze: 'none' }, networks: ['dr'] });
  });

  it('carry no drill without a drill network, and every tier that asks for one is named with where it came from', () => {
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
    const named = (primary: boolean, dr: boolean) => new Map(stackSetGroups(asks).map((g) => [g.accounts.join(), notCarried(g.plans, { primary, dr })]));
    expect(named(false, false).get('111111111111')).toEqual([
      'gold drill.where "both" in the primary region (from root)',
      'gold drill.where "both" in the DR region (from root)',
      'silver drill.enabled (from root)',
    ]);
    expect(named(false, false).get('444444444444')).toEqual([
      'gold drill.where "both" in the primary region (from root)',
      'gold drill.where "both" in the DR region (from root)',
    ]);
    // With drill.network only, gold's DR-region drill is named; with both networks the drills are carried, and the vault is: nothing is named.
    expect(named(true, false).get('111111111111')).toEqual(['gold drill.where "both" in the DR region (from root)']);
    expect(named(false, true).get('111111111111')).toEqual(['gold drill.where "both" in the primary region (from root)', 'silver drill.enabled (from root)']);
    expect(named(true, true).get('111111111111')).toEqual([]);
    // A vault drill is carried with the DR drill (the member DR drill reads the account's own vault prefix), and named without it.
    const vaultDrill = orgConfig((c) => void (c.root.tiers.gold.drill.fromVault = true));
    const withVault = (primary: boolean, dr: boolean) =>
      new Map(stackSetGroups(vaultDrill).map((g) => [g.accounts.join(), notCarried(g.plans, { primary, dr })]));
    expect(withVault(true, true).get('444444444444')).toEqual([]);
    expect(withVault(true, false).get('444444444444')).toEqual(['gold drill.where "both" in the DR region (from root)', 'gold drill.fromVault (from root)']);
    // A tier that asks for neither: nothing to name.
    const none = orgConfig((c) => {
      for (const t of Object.values(c.root.tiers) as Record<string, any>[]) {
        t.drill = { ...t.drill, enabled: false };
        t.vault = { ...t.vault, enabled: false };
      }
      for (const ou of c.organizationalUnits) delete ou.tiers;
      c.accounts = [];
    });
    expect(stackSetGroups(none).flatMap((g) => notCarried(g.plans, { primary: false, dr: false }))).toEqual([]);
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

describe("an organization's default tier in the member stacks", () => {
  const TAG = 'redis-dr:tier';
  const tiersOf = (org: OrgConfig) => Object.keys(org.root.tiers);
  const targetsOf = (org: OrgConfig) =>
    stackSetGroups(org).map((g) => {
      const member = memberConfig(org, g.name, g.plans);
      if (!member.ok) throw new Error(member.problems.join('\n'));
      return { accounts: g.accounts, defaultTier: g.plans.defaultTier?.value, targets: member.props.plans.map((p) => [p.name, p.targets]) };
    });
  const noDefault = (c: Record<string, any>) => {
    delete c.root.defaultTier;
    delete c.organizationalUnits[0].defaultTier;
    c.organizationalUnits[0].locked = [];
  };

  it("select the untagged caches with the default tier's plan only, beside its tagged ones; every other tier by its tag", () => {
    const org = orgConfig(() => undefined);
    const groups = targetsOf(org);
    // prod's silver (locked, so payments and the ledger account inherit it), the root's bronze in the sandbox.
    expect(groups.map((g) => [g.accounts, g.defaultTier]).sort()).toEqual([
      [['111111111111'], 'silver'],
      [['222222222222'], 'silver'],
      [['333333333333'], 'silver'],
      [['444444444444'], 'bronze'],
    ]);
    for (const g of groups)
      expect(g.targets).toEqual(tiersOf(org).map((t) => [t, { selectByTags: { [TAG]: t }, ...(t === g.defaultTier ? { selectWithoutTag: TAG } : {}) }]));
  });

  it('without a default tier select by the tag alone, as before, in groups of the same names', () => {
    const org = orgConfig(noDefault);
    for (const g of targetsOf(org)) {
      expect(g.defaultTier).toBeUndefined();
      expect(g.targets).toEqual(tiersOf(org).map((t) => [t, { selectByTags: { [TAG]: t } }]));
    }
    // Without default tiers every group keeps the name of its settings, as before default tiers were applied; with them,
    // a group whose default tier is the root's keeps it too (the sandbox's), the others are named by both.
    const plain = stackSetGroups(org);
    const withDefaults = stackSetGroups(orgConfig(() => undefined));
    const sandbox = (groups: typeof plain) => groups.find((g) => g.accounts.includes('444444444444'))!.name;
    expect(sandbox(withDefaults)).toBe(sandbox(plain));
    const prod = (groups: typeof plain) => groups.find((g) => g.accounts.includes('111111111111'))!.name;
    expect(prod(withDefaults)).not.toBe(prod(plain));
  });

  it('name a group by its own plans and the root default tier only: adding an OU renames no other group (review 21)', () => {
    const byAccounts = (org: OrgConfig) => new Map(stackSetGroups(org).map((g) => [g.accounts.join(','), g.name]));
    const example = byAccounts(orgConfig(() => undefined));
    // An OU with prod's tier settings and the root's default tier: a group of its own; prod's group keeps its name.
    const withProdEu = orgConfig((c) => {
      c.organizationalUnits.push({ id: 'ou-ex12-pceu0001', name: 'prod-eu', tiers: c.organizationalUnits[0].tiers, accounts: ['555555555555'] });
    });
    const after = byAccounts(withProdEu);
    for (const [accounts, name] of example) expect(after.get(accounts)).toBe(name);
    expect(after.size).toBe(example.size + 1);
    const prodEu = stackSetGroups(withProdEu).find((g) => g.accounts.includes('555555555555'))!;
    expect(prodEu.plans.defaultTier?.value).toBe('bronze');
    expect([...example.values()]).not.toContain(prodEu.name);
  });

  it("put accounts whose default tiers differ in different groups, the root's default keeping the group's name; the same default shares one", () => {
    const withDev = (defaultTier: string | undefined) =>
      orgConfig((c) => {
        c.organizationalUnits.push({ id: 'ou-ex12-dev00001', name: 'dev', ...(defaultTier ? { defaultTier } : {}), accounts: ['666666666666'] });
      });
    const example = stackSetGroups(orgConfig(() => undefined));
    const sandbox = example.find((g) => g.accounts.includes('444444444444'))!;
    // dev has the sandbox's tiers (the root's) but gold for its untagged caches: a group of its own, its plan selecting them under gold.
    const split = stackSetGroups(withDev('gold'));
    const dev = split.find((g) => g.accounts.includes('666666666666'))!;
    expect(dev.accounts).toEqual(['666666666666']);
    expect(dev.plans.defaultTier?.value).toBe('gold');
    expect(dev.targets).toEqual([{ organizationalUnitIds: ['ou-ex12-dev00001'] }]);
    expect(dev.name).not.toBe(sandbox.name);
    expect(split.find((g) => g.accounts.includes('444444444444'))!.name).toBe(sandbox.name);
    expect(split).toHaveLength(example.length + 1);
    // The negative case: dev with the root's default (inherited or its own) joins the sandbox's group.
    for (const same of [undefined, 'bronze']) {
      const joined = stackSetGroups(withDev(same));
      expect(joined).toHaveLength(example.length);
      expect(joined.find((g) => g.accounts.includes('666666666666'))).toMatchObject({ name: sandbox.name, accounts: ['444444444444', '666666666666'] });
    }
  });

  it('the synth summary names the tier untagged caches fall under, per group', () => {
    const lines = (org: OrgConfig) => stackSetGroups(org).map(groupLine);
    expect(lines(orgConfig(() => undefined))).toContainEqual(
      expect.stringMatching(
        /^ {2}g[0-9a-f]{6}: tiers gold, silver, bronze; caches without a redis-dr:tier tag: tier bronze \(defaultTier\); accounts listed today 444444444444$/,
      ),
    );
    expect(lines(orgConfig(() => undefined)).filter((l) => l.includes('tier silver (defaultTier)'))).toHaveLength(3);
    for (const line of lines(orgConfig(noDefault))) expect(line).toMatch(/caches without a redis-dr:tier tag: not protected \(no defaultTier\)/);
  });

  it("an account's own default tier takes it out of its OU's group into one of its own", () => {
    const org = orgConfig((c) => {
      c.organizationalUnits[2].accounts.push('777777777777');
      c.accounts.push({ id: '777777777777', defaultTier: 'gold' });
    });
    const groups = stackSetGroups(org);
    const own = groups.find((g) => g.accounts.includes('777777777777'))!;
    expect(own.accounts).toEqual(['777777777777']);
    expect(own.targets).toEqual([{ organizationalUnitIds: ['ou-ex12-sand0001'], accountFilterType: 'INTERSECTION', accounts: ['777777777777'] }]);
    expect(groups.find((g) => g.accounts.includes('444444444444'))!.targets).toEqual([
      { organizationalUnitIds: ['ou-ex12-sand0001'], accountFilterType: 'DIFFERENCE', accounts: ['777777777777'] },
    ]);
  });
});

describe('a tier with drill.fromVault in the member stacks', () => {
  const members = synthOrg((c) => void (c.root.tiers.gold.drill.fromVault = true));
  const ACCOUNT = '444444444444';

  it("seeds the tier's DR drill from the organization's vault under the member account's own <account>/<primary region>/", () => {
    for (const group of members) {
      const dr = group.find((m) => m.region === 'dr')!;
      const inputs = ofType(dr, 'AWS::Scheduler::Schedule')
        .map((r) => renderIntrinsic(r.Properties.Target?.Input ?? '', { region: 'eu-central-1', account: ACCOUNT }))
        .filter((i) => i.includes('"where":"dr"') && i.includes('rtoMinutes'))
        .map((i) => JSON.parse(i) as Record<string, any>);
      const gold = inputs.find((i) => i.plan === 'gold');
      // The account resolved where the stack instance deploys (AWS::AccountId): each member reads only its own replicas.
      expect(gold?.vault, dr.file).toMatchObject({ account: VAULT_ACCOUNT, prefix: `${ACCOUNT}/eu-west-1/` });
      expect(gold?.bucket).toBe(`redis-dr-acme-${VAULT_ACCOUNT}-eu-central-1`);
      // Another tier without drill.fromVault keeps its own DR copies.
      for (const other of inputs.filter((i) => i.plan !== 'gold')) expect(other.vault, other.plan).toBeUndefined();
    }
  });

  it('pass cfn-lint (a group)', async () => {
    expect(await cfnLint(members[0]!.map((m) => m.file))).toEqual({ status: 0, output: '' });
  }, 300_000);
});
