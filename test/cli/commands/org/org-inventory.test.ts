import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AggregatedSourceStatus,
  ConfigServiceClient,
  DescribeConfigurationAggregatorSourcesStatusCommand,
  GetAggregateComplianceDetailsByConfigRuleCommand,
  SelectAggregateResourceConfigCommand,
} from '@aws-sdk/client-config-service';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { runInProcess } from '../../support/in-process.js';

/**
 * `redis-dr org inventory`: the organization's caches from an AWS Config
 * aggregator (answered by aws-sdk-client-mock at the SDK boundary), each
 * with its state; the exit codes (1 an unprotected cache, 2 bad input).
 */
const EXAMPLE = 'config/org-example.json';
const DIR = mkdtempSync(join(tmpdir(), 'redis-dr-org-inventory-'));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));
const config = mockClient(ConfigServiceClient);
afterEach(() => config.reset());

const cache = (account: string, id: string, tags: Record<string, string> = {}, retention = 0) =>
  JSON.stringify({
    accountId: account,
    awsRegion: 'eu-west-1',
    resourceType: 'AWS::ElastiCache::ReplicationGroup',
    resourceId: id,
    tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
    configuration: { snapshotRetentionLimit: retention },
  });

/** An organization aggregator's source in one region, collected at 09:00. */
const ORG_SOURCE: AggregatedSourceStatus = {
  SourceId: 'o-abcdefghij',
  SourceType: 'ORGANIZATION',
  AwsRegion: 'eu-west-1',
  LastUpdateStatus: 'SUCCEEDED',
  LastUpdateTime: new Date('2026-11-27T09:00:00Z'),
};

/** The aggregator's answers: its sources (one collected organization unless given), caches (two pages), then the stacks. */
function answer(caches: string[], stacks: string[], sources: AggregatedSourceStatus[] = [ORG_SOURCE]): void {
  config.on(DescribeConfigurationAggregatorSourcesStatusCommand).resolves({ AggregatedSourceStatusList: sources });
  const half = Math.ceil(caches.length / 2);
  config.on(SelectAggregateResourceConfigCommand).callsFake((input: { Expression: string; NextToken?: string }) => {
    if (input.Expression.includes('CloudFormation')) return { Results: stacks };
    return input.NextToken === 'p2' ? { Results: caches.slice(half) } : { Results: caches.slice(0, half), NextToken: 'p2' };
  });
}

const STACK_111 = JSON.stringify({ accountId: '111111111111', awsRegion: 'eu-west-1', resourceName: 'StackSet-redis-dr-acme-a-primary-1' });

describe('redis-dr org inventory', () => {
  it('lists every cache with its state over every page, and exits 1 when one is unprotected or has native backups only', async () => {
    answer([cache('111111111111', 'orders', { 'redis-dr:tier': 'gold' }), cache('444444444444', 'sessions', {}, 5)], [STACK_111]);
    const r = await runInProcess(['org', 'inventory', '-c', EXAMPLE, '--aggregator', 'org-agg']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(
      /^org inventory \(aggregator org-agg in eu-west-1\): 2 cache\(s\), 1 protected by redis-dr, 1 native backups only, 0 unprotectable, 0 unprotected$/m,
    );
    expect(r.stdout).toMatch(/^ {2}protected +111111111111 eu-west-1 replication-group orders tier gold$/m);
    expect(r.stdout).toMatch(/^ {2}native-backups-only +444444444444 eu-west-1 replication-group sessions tier bronze \(default\): .*automatic backups 5 day/m);
    expect(r.stdout).toMatch(/not collected: serverless caches: .*configRule\.enabled is false/);
    expect(r.code).toBe(1);
  });

  it('exits 0 when every cache is protected; --json gives the inventory as data', async () => {
    answer([cache('111111111111', 'orders', { 'redis-dr:tier': 'gold' })], [STACK_111]);
    const r = await runInProcess(['org', 'inventory', '-c', EXAMPLE, '--aggregator', 'org-agg', '--json']);
    expect(r.code).toBe(0);
    const inv = JSON.parse(r.stdout) as { counts: Record<string, number>; caches: { id: string; state: string }[] };
    expect(inv.counts.protected).toBe(1);
    expect(inv.caches).toEqual([expect.objectContaining({ id: 'orders', state: 'protected' })]);
  });

  it('exits 2 naming a tier tag that names no tier, still listing the rest', async () => {
    answer([cache('111111111111', 'typo', { 'redis-dr:tier': 'gould' }), cache('111111111111', 'orders', { 'redis-dr:tier': 'gold' })], [STACK_111]);
    const r = await runInProcess(['org', 'inventory', '-c', EXAMPLE, '--aggregator', 'org-agg']);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/BAD TAG 111111111111\/eu-west-1 typo: tag redis-dr:tier names no tier, got "gould"/);
    expect(r.stdout).toMatch(/protected +111111111111 eu-west-1 replication-group orders/);
  });

  it('refuses with exit 2 when no aggregator is named, and names an aggregator Config does not know', async () => {
    const none = await runInProcess(['org', 'inventory', '-c', EXAMPLE]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--aggregator is required: config\/org-example\.json has no aggregator\.name/);
    config.on(SelectAggregateResourceConfigCommand).rejects(Object.assign(new Error('gone'), { name: 'NoSuchConfigurationAggregatorException' }));
    const unknown = await runInProcess(['org', 'inventory', '-c', EXAMPLE, '--aggregator', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/--aggregator names no AWS Config aggregator in eu-west-1, got "nope"/);
  });

  it('an aggregator that collected from no source lists nothing: NOT COLLECTED, exit 1, never an organization with nothing unprotected', async () => {
    answer([], [], []);
    const none = await runInProcess(['org', 'inventory', '-c', EXAMPLE, '--aggregator', 'org-agg']);
    expect(none.stdout).toMatch(/0 cache\(s\)/);
    expect(none.stdout).toMatch(/^ {2}NOT COLLECTED the aggregator has no source: it collects from no account, so it lists no cache/m);
    expect(none.code).toBe(1);

    const failed = {
      ...ORG_SOURCE,
      LastUpdateStatus: 'FAILED',
      LastErrorCode: 'OrganizationAccessDeniedException',
      LastErrorMessage: 'not authorized',
    } as const;
    answer([], [], [failed]);
    const notYet = await runInProcess(['org', 'inventory', '-c', EXAMPLE, '--aggregator', 'org-agg']);
    expect(notYet.stdout).toMatch(/^ {2}NOT COLLECTED the aggregator has collected from none of its 1 source\(s\): it lists no cache of theirs$/m);
    expect(notYet.stdout).toContain(
      'NOT COLLECTED source organization o-abcdefghij in eu-west-1: FAILED at 2026-11-27T09:00:00.000Z (OrganizationAccessDeniedException: not authorized): its caches are not listed',
    );
    expect(notYet.code).toBe(1);
  });

  it('one source FAILED among collected ones: its caches are named not listed (exit 1); an OUTDATED one is a note (exit 0); every page of sources is read', async () => {
    const source = (id: string, status: string) =>
      ({ SourceId: id, SourceType: 'ACCOUNT', AwsRegion: 'eu-west-1', LastUpdateStatus: status }) as AggregatedSourceStatus;
    answer([cache('111111111111', 'orders', { 'redis-dr:tier': 'gold' })], [STACK_111]);
    config
      .on(DescribeConfigurationAggregatorSourcesStatusCommand)
      .callsFake((input: { NextToken?: string }) =>
        input.NextToken === 's2'
          ? { AggregatedSourceStatusList: [source('222222222222', 'FAILED')] }
          : { AggregatedSourceStatusList: [source('111111111111', 'SUCCEEDED')], NextToken: 's2' },
      );
    const partial = await runInProcess(['org', 'inventory', '-c', EXAMPLE, '--aggregator', 'org-agg']);
    expect(partial.stdout).toContain('NOT COLLECTED source account 222222222222 in eu-west-1: FAILED: its caches are not listed');
    expect(partial.code).toBe(1);

    config
      .on(DescribeConfigurationAggregatorSourcesStatusCommand)
      .resolves({ AggregatedSourceStatusList: [source('111111111111', 'SUCCEEDED'), source('222222222222', 'OUTDATED')] });
    const outdated = await runInProcess(['org', 'inventory', '-c', EXAMPLE, '--aggregator', 'org-agg']);
    expect(outdated.stdout).toContain('not current: source account 222222222222 in eu-west-1: OUTDATED: its caches as of its last collection');
    expect(outdated.stdout).not.toContain('NOT COLLECTED');
    expect(outdated.code).toBe(0);
  });

  it('sources that cannot be read: named with the permission, exit 1 (the inventory may be incomplete)', async () => {
    answer([cache('111111111111', 'orders', { 'redis-dr:tier': 'gold' })], [STACK_111]);
    config
      .on(DescribeConfigurationAggregatorSourcesStatusCommand)
      .rejects(
        Object.assign(new Error('User is not authorized to perform: config:DescribeConfigurationAggregatorSourcesStatus'), { name: 'AccessDeniedException' }),
      );
    const r = await runInProcess(['org', 'inventory', '-c', EXAMPLE, '--aggregator', 'org-agg']);
    expect(r.stdout).toMatch(
      /NOT COLLECTED the aggregator's sources could not be read \(AccessDeniedException: .*\): .*grant config:DescribeConfigurationAggregatorSourcesStatus on it/,
    );
    expect(r.code).toBe(1);
  });

  it("takes the aggregator's name and region from the org config", async () => {
    const raw = JSON.parse(readFileSync(EXAMPLE, 'utf8')) as Record<string, unknown>;
    const file = join(DIR, 'with-aggregator.json');
    writeFileSync(file, JSON.stringify({ ...raw, aggregator: { name: 'aws-controltower-agg', region: 'eu-central-1' } }));
    answer([], []);
    const r = await runInProcess(['org', 'inventory', '-c', file]);
    expect(r.stdout).toMatch(/aggregator aws-controltower-agg in eu-central-1\): 0 cache\(s\)/);
    expect(config.commandCalls(SelectAggregateResourceConfigCommand)[0]!.args[0].input.ConfigurationAggregatorName).toBe('aws-controltower-agg');
    expect(r.code).toBe(0);
  });

  describe("with configRule.enabled: each account's serverless caches, from the rule's evaluation of the account", () => {
    const raw = JSON.parse(readFileSync(EXAMPLE, 'utf8')) as Record<string, unknown>;
    const file = join(DIR, 'with-rule.json');
    writeFileSync(file, JSON.stringify({ ...raw, configRule: { enabled: true, securityHub: false } }));
    const recent = new Date(Date.now() - 3_600_000);
    /** The aggregator's account evaluations, by account (a replication group's evaluation beside each, which is not read). */
    function evaluations(byAccount: Record<string, { compliance: 'COMPLIANT' | 'NON_COMPLIANT'; annotation: string; at?: Date }>): void {
      config.on(GetAggregateComplianceDetailsByConfigRuleCommand).callsFake((input: { AccountId: string; ConfigRuleName: string }) => {
        const e = byAccount[input.AccountId];
        const group = {
          EvaluationResultIdentifier: {
            EvaluationResultQualifier: { ConfigRuleName: input.ConfigRuleName, ResourceType: 'AWS::ElastiCache::ReplicationGroup', ResourceId: 'orders' },
          },
          ComplianceType: 'COMPLIANT',
          Annotation: 'verified',
          ResultRecordedTime: recent,
        };
        if (!e) return { AggregateEvaluationResults: [group] };
        const account = {
          EvaluationResultIdentifier: {
            EvaluationResultQualifier: { ConfigRuleName: input.ConfigRuleName, ResourceType: 'AWS::::Account', ResourceId: input.AccountId },
          },
          ComplianceType: e.compliance,
          Annotation: e.annotation,
          ResultRecordedTime: e.at ?? recent,
        };
        return { AggregateEvaluationResults: [group, account] };
      });
    }

    it('lists each account, exits 1 for caches without a verified copy, an account not evaluated and a rule that stopped', async () => {
      answer([cache('111111111111', 'orders', { 'redis-dr:tier': 'gold' })], [STACK_111]);
      evaluations({
        '111111111111': { compliance: 'NON_COMPLIANT', annotation: '1 of 2 serverless cache(s) without a verified copy within the RPO: carts' },
        '222222222222': { compliance: 'COMPLIANT', annotation: '0 serverless cache(s) in this region' },
        '444444444444': {
          compliance: 'COMPLIANT',
          annotation: '1 of 1 serverless cache(s) with a verified copy within the RPO: sessions',
          at: new Date(Date.now() - 72 * 3_600_000),
        },
      });
      const r = await runInProcess(['org', 'inventory', '-c', file, '--aggregator', 'org-agg']);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(/^serverless caches \(the verified-copy rule's evaluation of each account\): 4 account\(s\), 3 needing action$/m);
      expect(r.stdout).toMatch(
        /^ {2}without-verified-copy +111111111111 eu-west-1 redis-dr-acme-g[0-9a-f]{6}-verified-copy \(evaluated [^)]+\): 1 of 2 serverless cache\(s\) without a verified copy within the RPO: carts$/m,
      );
      expect(r.stdout).toMatch(/^ {2}none +222222222222 eu-west-1 \S+ \(evaluated [^)]+\): no serverless cache$/m);
      expect(r.stdout).toMatch(/^ {2}not-evaluated +333333333333 eu-west-1 \S+: no evaluation of the account by /m);
      expect(r.stdout).toMatch(/^ {2}stale +444444444444 eu-west-1 .*over 48 h ago/m);
      expect(r.stdout).not.toMatch(/not collected/);
      expect(r.code).toBe(1);
      // One call per account of the org config, for its StackSet group's rule, in the primary region.
      const asked = config.commandCalls(GetAggregateComplianceDetailsByConfigRuleCommand).map((c) => c.args[0].input);
      expect(asked.map((a) => a.AccountId).sort()).toEqual(['111111111111', '222222222222', '333333333333', '444444444444']);
      for (const a of asked) {
        expect(a).toMatchObject({ ConfigurationAggregatorName: 'org-agg', AwsRegion: 'eu-west-1' });
        expect(a.ConfigRuleName).toMatch(/^redis-dr-acme-g[0-9a-f]{6}-verified-copy$/);
      }
    });

    it('exits 0 when every account says it has no serverless cache, or every one has a verified copy; --json carries them', async () => {
      answer([cache('111111111111', 'orders', { 'redis-dr:tier': 'gold' })], [STACK_111]);
      const none = { compliance: 'COMPLIANT', annotation: '0 serverless cache(s) in this region' } as const;
      evaluations({
        '111111111111': { compliance: 'COMPLIANT', annotation: '1 of 1 serverless cache(s) with a verified copy within the RPO: sessions' },
        '222222222222': none,
        '333333333333': none,
        '444444444444': none,
      });
      const r = await runInProcess(['org', 'inventory', '-c', file, '--aggregator', 'org-agg', '--json']);
      expect(r.code).toBe(0);
      const inv = JSON.parse(r.stdout) as { serverless: { account: string; state: string; names: string[] }[]; notCollected: string[] };
      expect(inv.serverless.map((x) => [x.account, x.state])).toEqual([
        ['111111111111', 'verified'],
        ['222222222222', 'none'],
        ['333333333333', 'none'],
        ['444444444444', 'none'],
      ]);
      expect(inv.serverless[0]!.names).toEqual(['sessions']);
      expect(inv.notCollected).toEqual([]);
    });
  });
});
