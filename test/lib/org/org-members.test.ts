import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { type OrgConfig, validateOrgConfig } from '../../../lib/config/org.js';
import { verifiedCopyRules } from '../../../lambdas/jobs/org/inventory.js';
import { notCarried } from '../../../lambdas/domain/org/effective.js';
import { stackSetGroups } from '../../../lib/constructs/org/stack-set-groups.js';
import { addOrgStacks } from '../../../lib/org-app.js';
import { cfnLint } from '../../support/cfn-lint.js';

/**
 * What the StackSets deploy into each member account (lib/org-app.ts): the
 * member templates of every group, synthesized as the StackSets upload them,
 * carry what a single-account deployment has: the org config's alert
 * subscriptions on both regions' topics and, with `configRule.enabled`, the
 * verified-copy AWS Config rule in the primary region; cdk-nag clean (the
 * synth throws on a finding) and cfn-lint clean.
 */
type Resource = { Type: string; Properties: Record<string, any> };
type Member = { region: 'primary' | 'dr'; file: string; resources: Resource[] };

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
        const template = JSON.parse(readFileSync(file, 'utf8')) as { Resources: Record<string, Resource> };
        return { region: /-Dr\.template/.test(file) ? 'dr' : 'primary', file, resources: Object.values(template.Resources) } as Member;
      });
  });
}

const ofType = (m: Member, type: string) => m.resources.filter((r) => r.Type === type);

describe('the member stacks of the StackSets', () => {
  const on = synthOrg((c) => {
    c.alerts = { emails: ['oncall@example.com'], httpsEndpoints: ['https://events.pagerduty.example/redis-dr'] };
    c.configRule = { enabled: true, securityHub: true };
  });
  const off = synthOrg(() => {});

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

  it('carry no drill and no vault replication, and every tier that asks for one is named with where it came from', () => {
    for (const m of on.flat()) {
      // A deployment's drill state machines are redis-dr-<name>-<region role>-drill (the DR stack's verifier is another), its rules into a vault to-vault and reports-to-vault.
      const machines = ofType(m, 'AWS::StepFunctions::StateMachine').map((r) => r.Properties.StateMachineName as string);
      if (m.region === 'dr') expect(machines, m.file).toContainEqual(expect.stringMatching(/-verify-rdb$/));
      expect(
        machines.filter((n) => n.endsWith('-drill')),
        m.file,
      ).toEqual([]);
      const rules = ofType(m, 'AWS::S3::Bucket').flatMap((r) => (r.Properties.ReplicationConfiguration?.Rules ?? []) as { Id: string }[]);
      expect(
        rules.filter((r) => r.Id.endsWith('to-vault')),
        m.file,
      ).toEqual([]);
    }
    const asks = orgConfig((c) => {
      c.organizationalUnits[2].tiers = { silver: { drill: { enabled: false } } };
    });
    const named = new Map(stackSetGroups(asks).map((g) => [g.accounts.join(), notCarried(g.plans)]));
    expect(named.get('111111111111')).toEqual(['gold drill.enabled (from root)', 'gold vault.enabled (from root)', 'silver drill.enabled (from root)']);
    expect(named.get('444444444444')).toEqual(['gold drill.enabled (from root)', 'gold vault.enabled (from root)']);
    // A tier that asks for neither: nothing to name.
    const none = orgConfig((c) => {
      for (const t of Object.values(c.root.tiers) as Record<string, any>[]) {
        t.drill = { ...t.drill, enabled: false };
        t.vault = { ...t.vault, enabled: false };
      }
      for (const ou of c.organizationalUnits) delete ou.tiers;
      c.accounts = [];
    });
    expect(stackSetGroups(none).flatMap((g) => notCarried(g.plans))).toEqual([]);
  });

  it('pass cfn-lint (a group: every group is the same stacks)', async () => {
    expect(await cfnLint(on[0]!.map((m) => m.file))).toEqual({ status: 0, output: '' });
  }, 300_000);
});
