import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigServiceClient, PutEvaluationsCommand } from '@aws-sdk/client-config-service';
import { DescribeReplicationGroupsCommand, DescribeServerlessCachesCommand, ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { GetResourcesCommand, ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { BatchImportFindingsCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { FileObjectStore } from '../../../../lambdas/adapters/storage/object-store-file.js';
import { configRuleEventSchema, runVerifiedCopyRule } from '../../../../lambdas/jobs/org/verified-copy-rule.js';

/**
 * The Config rule's run: the region's caches (ElastiCache and the Tagging
 * API, mocked at the SDK boundary), the newest report from a real store of
 * files, the evaluations put in calls of 100 at most, and the findings
 * imported when Security Hub is on. What AWS refuses fails the run.
 */
const elasticache = mockClient(ElastiCacheClient);
const tagging = mockClient(ResourceGroupsTaggingAPIClient);
const config = mockClient(ConfigServiceClient);
const hub = mockClient(SecurityHubClient);
afterEach(() => {
  for (const m of [elasticache, tagging, config, hub]) m.reset();
});
const DIR = mkdtempSync(join(tmpdir(), 'redis-dr-rule-'));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));
const NOW = new Date('2026-11-25T12:00:00Z');
const RUN = { resultToken: 'token-1', account: '111111111111', partition: 'aws', region: 'eu-west-1', drRegion: 'eu-central-1', reportsAt: 's3://dr/reports/' };

function reports(name: string, files: Record<string, unknown>): FileObjectStore {
  const dir = join(DIR, name);
  for (const [key, body] of Object.entries(files)) {
    mkdirSync(join(dir, key, '..'), { recursive: true });
    writeFileSync(join(dir, key), typeof body === 'string' ? body : JSON.stringify(body));
  }
  mkdirSync(dir, { recursive: true });
  return new FileObjectStore(dir);
}

const REPORT = {
  deployment: 'acme-a',
  until: '2026-11-23T00:00:00Z',
  caches: ['c0', 'c1'].map((cache) => ({ facts: { cache }, controls: [{ control: 'cross-region-copy', verdict: 'pass', why: 'verified 30 min ago' }] })),
};

function caches(n: number): void {
  elasticache.on(DescribeReplicationGroupsCommand).resolves({ ReplicationGroups: Array.from({ length: n }, (_, i) => ({ ReplicationGroupId: `c${i}` })) });
  elasticache.on(DescribeServerlessCachesCommand).resolves({ ServerlessCaches: [] });
  tagging.on(GetResourcesCommand).resolves({ ResourceTagMappingList: [] });
}

const deps = (store: FileObjectStore, withHub = false) => ({
  elasticache: new ElastiCacheClient({ region: 'eu-west-1' }),
  tagging: new ResourceGroupsTaggingAPIClient({ region: 'eu-west-1' }),
  reports: store,
  config: new ConfigServiceClient({ region: 'eu-west-1' }),
  ...(withHub ? { securityHub: new SecurityHubClient({ region: 'eu-west-1' }) } : {}),
  now: () => NOW,
});

describe('runVerifiedCopyRule', () => {
  it("puts one evaluation per replication group from the newest report and one of the account, in calls of 100 with the run's token", async () => {
    caches(150);
    config.on(PutEvaluationsCommand).resolves({ FailedEvaluations: [] });
    const store = reports('newest', {
      'weekly/2026-11-16T0000Z/report.json': { ...REPORT, caches: [] },
      'weekly/2026-11-23T0000Z/report.json': REPORT,
    });
    expect(await runVerifiedCopyRule(RUN, deps(store))).toEqual({ evaluations: 151, findings: 0 });
    const calls = config.commandCalls(PutEvaluationsCommand).map((c) => c.args[0].input);
    expect(calls.map((c) => c.Evaluations!.length)).toEqual([100, 51]);
    // No serverless cache: the account's evaluation says so, and is put every run.
    expect(calls[1]!.Evaluations!.at(-1)).toMatchObject({
      ComplianceResourceType: 'AWS::::Account',
      ComplianceResourceId: '111111111111',
      ComplianceType: 'COMPLIANT',
      Annotation: '0 serverless cache(s) in this region',
    });
    expect(calls.every((c) => c.ResultToken === 'token-1')).toBe(true);
    expect(calls[0]!.Evaluations!.slice(0, 3).map((e) => [e.ComplianceResourceId, e.ComplianceType])).toEqual([
      ['c0', 'COMPLIANT'],
      ['c1', 'COMPLIANT'],
      ['c2', 'NON_COMPLIANT'],
    ]);
    expect(hub.commandCalls(BatchImportFindingsCommand)).toHaveLength(0);
  });

  it('evaluates the serverless caches DescribeServerlessCaches lists in one AWS::::Account evaluation, naming those without a verified copy', async () => {
    caches(1);
    elasticache.on(DescribeServerlessCachesCommand).resolves({ ServerlessCaches: [{ ServerlessCacheName: 'c1' }, { ServerlessCacheName: 'carts' }] });
    config.on(PutEvaluationsCommand).resolves({ FailedEvaluations: [] });
    const store = reports('serverless', { 'weekly/2026-11-23T0000Z/report.json': REPORT });
    expect(await runVerifiedCopyRule(RUN, deps(store))).toEqual({ evaluations: 2, findings: 0 });
    const [call] = config.commandCalls(PutEvaluationsCommand).map((c) => c.args[0].input);
    expect(call!.Evaluations!.map((e) => [e.ComplianceResourceType, e.ComplianceResourceId, e.ComplianceType, e.Annotation])).toEqual([
      ['AWS::ElastiCache::ReplicationGroup', 'c0', 'COMPLIANT', 'verified 30 min ago'],
      ['AWS::::Account', '111111111111', 'NON_COMPLIANT', '1 of 2 serverless cache(s) without a verified copy within the RPO: carts'],
    ]);
  });

  it('imports one finding per cache × control when Security Hub is on', async () => {
    caches(2);
    config.on(PutEvaluationsCommand).resolves({});
    hub.on(BatchImportFindingsCommand).resolves({ FailedCount: 0, SuccessCount: 4, FailedFindings: [] });
    const out = await runVerifiedCopyRule(RUN, deps(reports('hub', { 'weekly/2026-11-23T0000Z/report.json': REPORT }), true));
    expect(out).toEqual({ evaluations: 3, findings: 4 });
    const ids = hub.commandCalls(BatchImportFindingsCommand)[0]!.args[0].input.Findings!.map((f) => f.Id);
    expect(ids).toEqual([
      'redis-dr/111111111111/eu-west-1/replicationgroup/c0/cross-region-copy',
      'redis-dr/111111111111/eu-west-1/replicationgroup/c0/restore-time',
      'redis-dr/111111111111/eu-west-1/replicationgroup/c1/cross-region-copy',
      'redis-dr/111111111111/eu-west-1/replicationgroup/c1/restore-time',
    ]);
  });

  it('fails the run naming what Config or Security Hub refused (never a false success)', async () => {
    caches(1);
    config
      .on(PutEvaluationsCommand)
      .resolves({ FailedEvaluations: [{ ComplianceResourceId: 'c0', ComplianceType: 'COMPLIANT', ComplianceResourceType: 'x', OrderingTimestamp: NOW }] });
    hub
      .on(BatchImportFindingsCommand)
      .resolves({ FailedCount: 1, SuccessCount: 1, FailedFindings: [{ Id: 'f1', ErrorCode: 'InvalidInput', ErrorMessage: 'bad' }] });
    await expect(runVerifiedCopyRule(RUN, deps(reports('refused', { 'weekly/2026-11-23T0000Z/report.json': REPORT }), true))).rejects.toThrow(
      /2 problem\(s\): Config did not take the evaluation of c0 \(COMPLIANT\); Security Hub refused f1: InvalidInput bad/,
    );
  });

  it('judges every cache NON_COMPLIANT when the DR bucket holds no report, and a report that is not JSON as no report', async () => {
    caches(1);
    config.on(PutEvaluationsCommand).resolves({});
    await runVerifiedCopyRule(RUN, deps(reports('empty', {})));
    await runVerifiedCopyRule(RUN, deps(reports('garbled', { 'weekly/2026-11-23T0000Z/report.json': '{oops' })));
    const [empty, garbled] = config.commandCalls(PutEvaluationsCommand).map((c) => c.args[0].input.Evaluations![0]!);
    expect(empty).toMatchObject({ ComplianceType: 'NON_COMPLIANT', Annotation: expect.stringMatching(/^no redis-dr report under s3:\/\/dr\/reports\//) });
    expect(garbled).toMatchObject({ ComplianceType: 'NON_COMPLIANT', Annotation: expect.stringMatching(/not a report/) });
  });

  it('judges the newest report before one ending in the future, which would never grow stale', async () => {
    caches(1);
    config.on(PutEvaluationsCommand).resolves({});
    const failing = { ...REPORT, caches: [{ facts: { cache: 'c0' }, controls: [{ control: 'cross-region-copy', verdict: 'fail', why: 'copy 3 d old' }] }] };
    const future = { ...REPORT, until: '2099-01-01T00:00:00Z' };
    await runVerifiedCopyRule(RUN, deps(reports('future', { 'weekly/2026-11-23T0000Z/report.json': failing, 'weekly/2099-01-01T0000Z/report.json': future })));
    expect(config.commandCalls(PutEvaluationsCommand)[0]!.args[0].input.Evaluations![0]).toMatchObject({
      ComplianceResourceId: 'c0',
      ComplianceType: 'NON_COMPLIANT',
      Annotation: 'copy 3 d old',
    });
  });

  it("judges a report signed by this account's DR bucket, and refuses one signed as another account's", async () => {
    caches(1);
    config.on(PutEvaluationsCommand).resolves({});
    const signedBy = (account: string) => ({ ...REPORT, attestation: { v: 1, deployment: `s3://redis-dr-acme-a-${account}-eu-central-1/`, seq: 2 } });
    await runVerifiedCopyRule(RUN, deps(reports('signed-own', { 'weekly/2026-11-23T0000Z/report.json': signedBy('111111111111') })));
    await runVerifiedCopyRule(RUN, deps(reports('signed-other', { 'weekly/2026-11-23T0000Z/report.json': signedBy('999999999999') })));
    const [own, other] = config.commandCalls(PutEvaluationsCommand).map((c) => c.args[0].input.Evaluations![0]!);
    expect(own).toMatchObject({ ComplianceResourceId: 'c0', ComplianceType: 'COMPLIANT' });
    expect(other).toMatchObject({ ComplianceType: 'NON_COMPLIANT', Annotation: expect.stringMatching(/signed as the report of 999999999999\/eu-central-1/) });
  });

  it('refuses an event that is no Config rule invocation', () => {
    expect(configRuleEventSchema.safeParse({ accountId: '111111111111' }).success).toBe(false);
    expect(configRuleEventSchema.safeParse({ resultToken: 't', accountId: '111111111111', configRuleName: 'r' }).success).toBe(true);
  });
});
