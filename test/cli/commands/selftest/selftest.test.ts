import { CopySnapshotCommand, DeleteReplicationGroupCommand, DeleteSnapshotCommand } from '@aws-sdk/client-elasticache';
import { GetBucketReplicationCommand } from '@aws-sdk/client-s3';
import { GetResourcesCommand } from '@aws-sdk/client-resource-groups-tagging-api';
import { PublishCommand } from '@aws-sdk/client-sns';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../../lib/config/index.js';
import { configHash, recoveryBucketName, stackNames } from '../../../../lib/deployment.js';
import { selftestRecordSchema } from '../../../../lambdas/domain/selftest/steps.js';
import { FakeClock } from '../../../support/fakes.js';
import { type PageReceiver, startPageReceiver } from '../../../support/page-receiver.js';
import { invokeRunsRouter } from '../../../support/page-router.js';
import { ACCOUNT, reportHistory } from '../../support/fake-aws.js';
import { accessDenied, fakePipeline } from '../../support/fake-pipeline.js';
import { runInProcess } from '../../support/in-process.js';

const CONFIG = 'test/fixtures/config/selftest.json';
const NOW = Date.parse('2026-11-23T10:00:00Z');
const PRIMARY = 'eu-west-1';
const DR = 'eu-central-1';
const DR_BUCKET = recoveryBucketName('st', ACCOUNT, DR);
const EXPORT_BUCKET = recoveryBucketName('st', ACCOUNT, PRIMARY);
const NAMES = stackNames({ name: 'st' });
const HASH = configHash(loadConfig(CONFIG));
const TOPIC = (region: string) => `arn:aws:sns:${region}:${ACCOUNT}:st-alerts`;
const SM = (where: string, region: string) => `arn:aws:states:${region}:${ACCOUNT}:stateMachine:redis-dr-st-${where}-drill`;
const PASSED = { ok: true, subject: 'redis-dr drill PASSED: app', body: 'Drill passed.\nRTO 12m 30s (objective 30m)', rtoSeconds: 750 };
const FAILED = { ok: false, subject: 'redis-dr drill FAILED: app', body: 'Drill failed.\nWhat failed:\n  - verify: canary missing' };

const aws = fakePipeline(DR_BUCKET, EXPORT_BUCKET);
let clock: FakeClock;
const run = (...args: string[]) => runInProcess(['selftest', '-c', CONFIG, '--poll-seconds', '5', ...args], { clock });

/** A drill that StartExecution will create: these DescribeExecution answers in turn. */
function drill(report: Record<string, unknown> = PASSED, ending: { status: string; error?: string; cause?: string } = { status: 'SUCCEEDED' }): void {
  aws.state.executions.push({
    executionArn: 'next',
    stateMachineArn: '',
    status: 'RUNNING',
    startDate: new Date(NOW),
    input: '',
    history: reportHistory(report, null),
    next: [{ status: 'RUNNING' }, { ...ending, ...(ending.status === 'SUCCEEDED' ? { output: JSON.stringify({ drill: { report } }) } : {}) }],
  });
}

beforeEach(() => {
  aws.install();
  clock = new FakeClock(NOW);
  for (const [name, region] of [
    [NAMES.primary, PRIMARY],
    [NAMES.dr, DR],
  ] as const)
    aws.pipeline.stacks.set(name, { status: 'UPDATE_COMPLETE', outputs: { AlertTopicArn: TOPIC(region), ConfigHash: HASH } });
  for (const region of [PRIMARY, DR])
    aws.pipeline.subscriptions.set(TOPIC(region), [{ Protocol: 'email', Endpoint: 'oncall@example.com', SubscriptionArn: `${TOPIC(region)}:sub-1` }]);
  aws.state.groups.set('app-cache', { statuses: ['available'], replicas: 1, clusterEnabled: false });
  aws.state.stateMachines = new Set([SM('primary', PRIMARY), SM('dr', DR)]);
  drill();
  drill();
});

/** The summary record written to the DR bucket. */
function record() {
  const [key, body] = [...aws.pipeline.bodies].find(([k]) => k.startsWith(`${DR_BUCKET}/selftest/`)) ?? [];
  expect(key, 'a selftest record in the DR bucket').toBeDefined();
  return selftestRecordSchema.parse(JSON.parse(body!));
}

describe('redis-dr selftest', () => {
  it('runs every step in order, prints the table and the record, exits 0, and the record (read back) says passed', async () => {
    const r = await run();
    expect(r.code).toBe(0);
    const rows = r.stdout.split('\n').filter((l) => /PASSED|FAILED|WARNED|SKIPPED/.test(l) && !l.startsWith('Selftest'));
    expect(rows.map((l) => l.split(/\s{2,}/)[0])).toEqual([
      `preflight ${NAMES.primary}`,
      `preflight ${NAMES.dr}`,
      'snapshot app/app-cache',
      'export app/app-cache',
      'drill app primary',
      'drill app dr',
      // By the topic's place in the deployment: both topics have the same name (st-alerts), one per region.
      'alerts primary',
      'alerts dr',
      'record',
    ]);
    expect(r.stdout).toContain('rdr-app-cache-20261123-1000 available');
    expect(r.stdout).toMatch(/replicated to redis-dr-st-111122223333-eu-central-1 \(COMPLETED\); DR verifier: ok \(v=11 keys=1000 expires=0 string=1000\)/);
    expect(r.stdout).toContain('passed, RTO 750 s (objective 30 min)');
    expect(r.stdout).toContain('Selftest PASSED (record selftest/2026-11-23T10-00-00Z.json).');
    // The TEST message went through the formatter to both topics, clearly marked.
    expect(aws.pipeline.published.map((m) => m.TopicArn)).toEqual([TOPIC(PRIMARY), TOPIC(DR)]);
    expect(aws.pipeline.published[0]!.Subject).toContain('TEST');
    expect(aws.pipeline.published[0]!.Message).toMatch(/^TEST - no action needed/);
    const rec = record();
    expect(rec).toMatchObject({ deployment: 'st', verdict: 'passed', regions: 'both' });
    expect(rec.steps).toHaveLength(8);
    // The snapshot is the scheduled job's: managed, tagged with plan and tier.
    expect(aws.state.snapshots.get('rdr-app-cache-20261123-1000')?.tags).toMatchObject({
      'redis-dr:managed': 'true',
      'redis-dr:plan': 'app',
      'redis-dr:tier': 'monthly',
    });
  });

  it('status reads the newest record back: none before the first run, passed after it', async () => {
    const before = await runInProcess(['status', '-c', CONFIG, '--json'], { clock });
    expect(JSON.parse(before.stdout).selftest).toMatchObject({ verdict: 'none' });
    expect((await run()).code).toBe(0);
    const after = await runInProcess(['status', '-c', CONFIG], { clock });
    expect(after.stdout).toMatch(/^selftest passed at 2026-11-23T10:\d\d:\d\d\.\d{3}Z: 8 steps \(selftest\/2026-11-23T10-00-00Z\.json\)$/m);
  });

  it('--json prints the report with every step', async () => {
    const r = await run('--json', '--region', 'primary');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { verdict: string; steps: { step: string }[] };
    expect(report.verdict).toBe('passed');
    // primary only: no export chain, no DR drill, the primary topic only (the DR stack is still read: the record goes there).
    expect(report.steps.map((s) => s.step)).toEqual([
      `preflight ${NAMES.primary}`,
      `preflight ${NAMES.dr}`,
      'snapshot app/app-cache',
      'drill app primary',
      'alerts primary',
      'record',
    ]);
  });

  it.each([
    ['CreateSnapshot', 'elasticache:CreateSnapshot', 'snapshot app/app-cache'],
    ['CopySnapshot', 'elasticache:CopySnapshot', 'export app/app-cache'],
    ['Publish', 'sns:Publish', 'alerts primary'],
    ['DescribeStacks', 'cloudformation:DescribeStacks', `preflight ${NAMES.primary}`],
    ['ListSubscriptionsByTopic', 'sns:ListSubscriptionsByTopic', 'alerts primary'],
  ])('access denied on %s: the step fails naming the action and the role that lacks it, exit 1', async (op, action, step) => {
    aws.pipeline.faults.denied.set(op, accessDenied(action));
    const r = await run();
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`${step} (`);
    expect(r.stdout).toContain(`cause: access denied: redis-dr-operator (the operator's credentials) lacks ${action}`);
    expect(r.stdout).toContain(`fix:   grant ${action} to redis-dr-operator`);
    expect(r.stdout).toContain('Selftest FAILED');
    // The record is written whatever failed (unless writing it is what failed).
    expect(record().verdict).toBe('failed');
  });

  it('replication FAILED: the export step names it, the DR drill is skipped, exit 1', async () => {
    aws.pipeline.faults.replication = 'FAILED';
    const r = await run();
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/cause: replication of s3:\/\/redis-dr-st-111122223333-eu-west-1\/rdr-app-cache-20261123-1000-0001\.rdb FAILED/);
    expect(r.stdout).toMatch(/drill app dr\s+eu-central-1\s+SKIPPED/);
  });

  it('the DR verifier says corrupt: the export step fails pointing at the corruption runbook', async () => {
    aws.pipeline.faults.verdict = 'corrupt';
    const r = await run();
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('cause: the DR verifier says corrupt for s3://redis-dr-st-111122223333-eu-central-1/rdr-app-cache-20261123-1000-0001.rdb');
    expect(r.stdout).toContain('docs/runbooks/corruption.md');
  });

  it('a drill that timed out fails its step with the execution’s error', async () => {
    aws.state.executions = [];
    drill(FAILED, { status: 'TIMED_OUT', error: 'States.Timeout' });
    drill();
    const r = await run();
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/cause: drill TIMED_OUT \(States\.Timeout\)/);
    expect(r.stdout).toContain('the drill ran over its time limit');
  });

  it('a failed drill names what failed from its report', async () => {
    aws.state.executions = [];
    drill();
    drill(FAILED, { status: 'FAILED', error: 'DrillFailed' });
    const r = await run();
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('cause: drill FAILED (DrillFailed): - verify: canary missing');
  });

  it('an unconfirmed subscription warns and names it (exit 0); a topic with none confirmed fails (exit 1)', async () => {
    aws.pipeline.subscriptions.get(TOPIC(DR))!.push({ Protocol: 'email', Endpoint: 'lead@example.com', SubscriptionArn: 'PendingConfirmation' });
    const warned = await run();
    expect(warned.code).toBe(0);
    expect(warned.stdout).toContain('cause: pending confirmation: email:lead@example.com get no page');

    aws.install();
    aws.pipeline.stacks.set(NAMES.primary, { status: 'UPDATE_COMPLETE', outputs: { AlertTopicArn: TOPIC(PRIMARY) } });
    aws.pipeline.stacks.set(NAMES.dr, { status: 'UPDATE_COMPLETE', outputs: { AlertTopicArn: TOPIC(DR) } });
    aws.pipeline.subscriptions.set(TOPIC(PRIMARY), [{ Protocol: 'email', Endpoint: 'oncall@example.com', SubscriptionArn: 'PendingConfirmation' }]);
    aws.state.groups.set('app-cache', { statuses: ['available'], replicas: 1, clusterEnabled: false });
    aws.state.stateMachines = new Set([SM('primary', PRIMARY)]);
    drill();
    const failed = await run('--region', 'primary');
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain(
      'no subscription of arn:aws:sns:eu-west-1:111122223333:st-alerts is confirmed (pending: email:oncall@example.com): nobody is paged',
    );
    expect(failed.stdout).toContain('confirm the subscription');
  });

  describe('alerts.integrations: the TEST page through the page router, one answer per integration', () => {
    const ROUTER = `arn:aws:lambda:${PRIMARY}:${ACCOUNT}:function:RedisDr-st-Primary-PageIntegrationsRouter-abc`;
    const lambda = mockClient(LambdaClient);
    let pagerduty: PageReceiver;
    let opsgenie: PageReceiver;
    /** What the router published to the chat topic (the router's own call, not the operator's). */
    let chat: string[];
    beforeAll(async () => {
      [pagerduty, opsgenie] = await Promise.all([startPageReceiver(), startPageReceiver()]);
    });
    afterAll(async () => {
      await Promise.all([pagerduty.close(), opsgenie.close()]);
      lambda.restore();
    });
    beforeEach(() => {
      pagerduty.reset();
      opsgenie.reset();
      chat = [];
      lambda.reset();
      // The primary stack has integrations (its output names the router); the DR stack none.
      aws.pipeline.stacks.set(NAMES.primary, {
        status: 'UPDATE_COMPLETE',
        outputs: { AlertTopicArn: TOPIC(PRIMARY), PageRouterArn: ROUTER, ConfigHash: HASH },
      });
      invokeRunsRouter(lambda, () => ({
        integrations: [
          { type: 'pagerduty', name: 'pagerduty', secretName: 'redis-dr/pagerduty', serviceRegion: 'us' },
          { type: 'opsgenie', name: 'opsgenie', secretName: 'redis-dr/opsgenie', serviceRegion: 'us' },
          { type: 'chatbot', name: 'slack', slackWorkspaceId: 'T0123ABCD', slackChannelId: 'C0123ABCD' },
        ],
        chatTopics: { slack: `arn:aws:sns:${PRIMARY}:${ACCOUNT}:chat-slack` },
        apis: () => ({ pagerduty: pagerduty.base, opsgenie: opsgenie.base }),
        secret: async (name) => `key-of-${name}`,
        publishRaw: async (_arn, message) => {
          chat.push(message);
        },
        region: PRIMARY,
      }));
    });

    it('every integration answered: a "pages primary" row after the alert path lists each, exit 0', async () => {
      const r = await run();
      expect(r.code).toBe(0);
      const row = r.stdout.split('\n').find((l) => l.startsWith('pages primary'));
      expect(row).toMatch(
        /^pages primary\s+eu-west-1\s+PASSED\s+.*TEST page through the page router: pagerduty \(pagerduty\) answered; opsgenie \(opsgenie\) answered; slack \(chatbot\) answered$/,
      );
      const steps = r.stdout
        .split('\n')
        .filter((l) => /^(alerts|pages|record)\b/.test(l))
        .map((l) => l.split(/\s{2,}/)[0]);
      expect(steps).toEqual(['alerts primary', 'pages primary', 'alerts dr', 'record']);
      expect([pagerduty.received.length, opsgenie.received.length, chat.length]).toEqual([1, 1, 1]);
      expect(record().steps.find((s) => s.step === 'pages primary')?.verdict).toBe('passed');
    });

    it("the router does not deliver the alert path's TEST page: its subscription alone is not counted as one that does, the alerts row warns (exit 0)", async () => {
      aws.pipeline.subscriptions.set(TOPIC(PRIMARY), [{ Protocol: 'lambda', Endpoint: ROUTER, SubscriptionArn: `${TOPIC(PRIMARY)}:router-sub` }]);
      const r = await run();
      expect(r.code).toBe(0);
      const row = r.stdout.split('\n').find((l) => l.startsWith('alerts primary'));
      expect(row).toContain("the page router is the topic's only confirmed subscriber (the pages step tests it)");
      expect(row).not.toContain('deliver it');
      expect(r.stdout).toContain(
        `cause: no email or webhook subscription of ${TOPIC(PRIMARY)} is confirmed: pages reach on-call only through alerts.integrations, and a page none of them takes reaches no one`,
      );
      expect(record().steps.find((s) => s.step === 'alerts primary')?.verdict).toBe('warned');
    });

    it('one integration failed: its row FAILED names it and the answer, the others answered, exit 1', async () => {
      opsgenie.failing.add('/v2/alerts');
      const r = await run();
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('pages primary (eu-west-1) failed:');
      expect(r.stdout).toContain(
        `cause: TEST page not delivered to 1 of 3 integration(s): pagerduty (pagerduty) answered; opsgenie (opsgenie) FAILED: POST ${opsgenie.base}/v2/alerts answered 503: {"message":"service unavailable"}; slack (chatbot) answered`,
      );
      expect(r.stdout).toContain('Selftest FAILED');
      expect(pagerduty.received).toHaveLength(1);
    });
  });

  it('a stack not deployed fails the preflight with the deploy command and skips the plan', async () => {
    aws.pipeline.stacks.delete(NAMES.dr);
    const r = await run();
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`cause: ${NAMES.dr}: not deployed in eu-central-1 (DescribeStacks: does not exist)`);
    expect(r.stdout).toContain('fix:   deploy it: npx cdk deploy --all -c config=test/fixtures/config/selftest.json');
    expect(r.stdout).toMatch(/plan app\s+eu-west-1\s+SKIPPED\s+0\.0 s\s+preflight failed/);
    expect(aws.sns.commandCalls(PublishCommand)).toHaveLength(0);
  });

  it('access denied on the record: the record step fails naming s3:PutObject and the role, exit 1', async () => {
    aws.pipeline.faults.denied.set('PutObject', accessDenied('s3:PutObject'));
    const r = await run();
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('record (eu-central-1) failed:');
    expect(r.stdout).toContain("cause: access denied: redis-dr-operator (the operator's credentials) lacks s3:PutObject");
  });

  it("access denied on the drill's own role: the drill step names that role and the action it lacks, exit 1", async () => {
    aws.state.executions = [];
    const cause = accessDenied('elasticache:CreateReplicationGroup', 'RedisDr-st-Primary-DrillRole').message;
    drill(FAILED, { status: 'FAILED', error: 'ElastiCache.ElastiCacheException', cause });
    drill();
    const r = await run();
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      "cause: access denied: RedisDr-st-Primary-DrillRole (the primary drill's state machine role) lacks elasticache:CreateReplicationGroup",
    );
    expect(r.stdout).toContain('fix:   grant elasticache:CreateReplicationGroup to RedisDr-st-Primary-DrillRole');
  });

  describe('a deployment of two plans, one selecting its caches by tag', () => {
    // The selftest fixture with a second plan over two caches (written here: a fixture file of its own would be
    // synthesized by every template test).
    const dir = mkdtempSync(join(tmpdir(), 'selftest-plans-'));
    const TWO = join(dir, 'selftest.json');
    const base = JSON.parse(readFileSync(CONFIG, 'utf8')) as { plans: Record<string, unknown>[] };
    writeFileSync(
      TWO,
      JSON.stringify({
        ...base,
        $schema: undefined,
        plans: [...base.plans, { ...base.plans[0], name: 'web', targets: { selectByTags: { team: 'web' } }, drill: { enabled: false } }],
      }),
    );
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const runTwo = (...args: string[]) => runInProcess(['selftest', '-c', TWO, '--poll-seconds', '5', ...args], { clock });
    const rows = (stdout: string) =>
      stdout
        .split('\n')
        .filter((l) => /PASSED|FAILED|WARNED|SKIPPED/.test(l) && !l.startsWith('Selftest'))
        .map((l) => l.split(/\s{2,}/)[0]);
    const hash = configHash(loadConfig(TWO));
    beforeEach(() => {
      for (const id of ['web-a', 'web-b']) aws.state.groups.set(id, { statuses: ['available'], replicas: 1, clusterEnabled: false });
      // The Tagging API finds the plan's two caches by its tag.
      aws.tagging.on(GetResourcesCommand, { TagFilters: [{ Key: 'team', Values: ['web'] }] }).resolves({
        ResourceTagMappingList: ['web-a', 'web-b'].map((id) => ({
          ResourceARN: `arn:aws:elasticache:${PRIMARY}:${ACCOUNT}:replicationgroup:${id}`,
          Tags: [{ Key: 'team', Value: 'web' }],
        })),
      });
      for (const [name, region] of [
        [NAMES.primary, PRIMARY],
        [NAMES.dr, DR],
      ] as const)
        aws.pipeline.stacks.set(name, { status: 'UPDATE_COMPLETE', outputs: { AlertTopicArn: TOPIC(region), ConfigHash: hash } });
    });

    it('every cache a plan selects is snapshotted, exported and verified, each export its own step', async () => {
      const r = await runTwo();
      expect(r.code, r.stdout).toBe(0);
      expect(rows(r.stdout)).toEqual(expect.arrayContaining(['snapshot web/(tag selection)', 'export web/web-a', 'export web/web-b']));
      expect([...aws.pipeline.bodies.keys()].length).toBeGreaterThan(0);
      expect(r.stdout).toMatch(/rdr-web-a-\d{8}-\d{4} available .*; rdr-web-b-\d{8}-\d{4} available/);
    });

    it('an export of the second cache that fails fails the run (never a pass on the first cache alone)', async () => {
      aws.ec.on(CopySnapshotCommand, { SourceSnapshotName: 'rdr-web-b-20261123-1000' }).rejects(accessDenied('elasticache:CopySnapshot'));
      const r = await runTwo();
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/export web\/web-a\s+eu-west-1\s+PASSED/);
      expect(r.stdout).toMatch(/export web\/web-b\s+eu-west-1\s+FAILED/);
    });

    it('--canary: the other plan takes no point of its own, and that is no failure (exit 0, nothing skipped)', async () => {
      aws.pipeline.faults.rdb = 'v=11 keys=0 expires=0';
      const r = await runTwo('--canary');
      expect(r.code).toBe(0);
      expect(r.stdout).not.toContain('SKIPPED');
      expect(rows(r.stdout).filter((s) => s?.startsWith('snapshot'))).toEqual([expect.stringMatching(/^snapshot app\/rdr-drill-canary-/)]);
      expect(r.stdout).toContain('Selftest PASSED');
    });
  });

  describe('--canary', () => {
    const CANARY = 'rdr-drill-canary-20261123-100000';
    const POINT = `rdr-${CANARY}-20261123-1000`;
    beforeEach(() => {
      // A new cache is empty: the DR verifier counts 0 keys in its copy.
      aws.pipeline.faults.rdb = 'v=11 keys=0 expires=0';
    });

    it("creates a locked throwaway cache tagged as the drills' clusters, takes and exports its point, deletes both, exit 0", async () => {
      const r = await run('--canary');
      expect(r.code).toBe(0);
      const rows = r.stdout.split('\n').filter((l) => /PASSED|FAILED|WARNED|SKIPPED/.test(l) && !l.startsWith('Selftest'));
      expect(rows.map((l) => l.split(/\s{2,}/)[0])).toEqual([
        `preflight ${NAMES.primary}`,
        `preflight ${NAMES.dr}`,
        `canary ${CANARY}`,
        `snapshot app/${CANARY}`,
        `export app/${CANARY}`,
        `cleanup canary ${CANARY}`,
        'drill app primary',
        'drill app dr',
        'alerts primary',
        'alerts dr',
        'record',
      ]);
      const created = aws.state.groups.get(CANARY)!.created!;
      expect(created).toMatchObject({
        TransitEncryptionEnabled: true,
        AtRestEncryptionEnabled: true,
        NumCacheClusters: 1,
        CacheSubnetGroupName: 'redis-dr-drills-primary',
        SecurityGroupIds: ['sg-0123456789abcdef1'],
        SnapshotRetentionLimit: 0,
      });
      expect(created.AuthToken).toMatch(/^[0-9a-f]{48}$/);
      expect(Object.fromEntries(created.Tags!.map((t) => [t.Key, t.Value]))).toEqual({
        'redis-dr:managed': 'true',
        'redis-dr:deployment': 'st',
        'redis-dr:drill': CANARY,
        'redis-dr:source': CANARY,
      });
      expect(r.stdout).toContain("the canary's 0 keys counted");
      expect(aws.pipeline.deleted).toEqual([`replication group ${CANARY}`, `snapshot ${POINT}`]);
      expect(r.stdout).toContain(`cache ${CANARY} deleting, recovery point ${POINT} deleted`);
      // The plan's own cache was not snapshotted.
      expect([...aws.state.snapshots.keys()].filter((k) => k.startsWith('rdr-app-cache-'))).toEqual([]);
    });

    it("--keep keeps the canary's recovery point (the cache is deleted all the same)", async () => {
      const r = await run('--canary', '--keep');
      expect(r.code).toBe(0);
      expect(aws.pipeline.deleted).toEqual([`replication group ${CANARY}`]);
      expect(aws.state.snapshots.has(POINT)).toBe(true);
      expect(r.stdout).toContain(`its recovery point ${POINT} kept (--keep)`);
    });

    it('--keep without --canary: one line, exit 2, nothing done', async () => {
      const r = await run('--keep');
      expect(r.code).toBe(2);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain('--keep keeps the canary');
      expect(aws.pipeline.published).toEqual([]);
    });

    it('a step failing after the canary exists still deletes it (exit 1)', async () => {
      aws.pipeline.faults.denied.set('CreateSnapshot', accessDenied('elasticache:CreateSnapshot'));
      const r = await run('--canary');
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(new RegExp(`cleanup canary ${CANARY}\\s+eu-west-1\\s+PASSED`));
      expect(r.stdout).toContain(`no recovery point ${POINT} was made`);
      expect(aws.pipeline.deleted).toEqual([`replication group ${CANARY}`]);
    });

    it('a canary snapshot that ends failed is deleted with the canary (exit 1)', async () => {
      aws.pipeline.faults.snapshotEnds = 'failed';
      const r = await run('--canary');
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(new RegExp(`snapshot app/${CANARY}\\s+eu-west-1\\s+FAILED`));
      expect(aws.pipeline.deleted).toEqual([`replication group ${CANARY}`, `snapshot ${POINT}`]);
    });

    it('a canary snapshot whose wait gave up while it was still being created is deleted once it is not (exit 1)', async () => {
      // Looked at every 5 s: the snapshot step gives up after 1 min (13 looks), the cleanup finds it available 3 looks later.
      aws.pipeline.faults.creatingLooks = 16;
      const r = await run('--canary', '--timeout-minutes', '1');
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(new RegExp(`snapshot app/${CANARY}\\s+eu-west-1\\s+FAILED`));
      expect(r.stdout).toMatch(new RegExp(`cleanup canary ${CANARY}\\s+eu-west-1\\s+PASSED`));
      expect(aws.pipeline.deleted).toEqual([`replication group ${CANARY}`, `snapshot ${POINT}`]);
      expect(aws.state.snapshots.has(POINT)).toBe(false);
    });

    it('a delete of the canary snapshot refused as busy (InvalidSnapshotState) is tried again within the wait', async () => {
      aws.pipeline.faults.creatingLooks = 16;
      aws.pipeline.faults.busyDeletes = 1;
      const r = await run('--canary', '--timeout-minutes', '1');
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(new RegExp(`cleanup canary ${CANARY}\\s+eu-west-1\\s+PASSED`));
      expect(aws.ec.commandCalls(DeleteSnapshotCommand)).toHaveLength(2);
      expect(aws.state.snapshots.has(POINT)).toBe(false);
    });

    it('a canary snapshot still being created when the cleanup gives up too: the cleanup fails naming it and the command that deletes it (exit 1)', async () => {
      aws.pipeline.faults.creatingLooks = 1_000;
      const r = await run('--canary', '--timeout-minutes', '1');
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(new RegExp(`cleanup canary ${CANARY}\\s+eu-west-1\\s+FAILED`));
      expect(r.stdout).toContain(`the canary's recovery point ${POINT} was NOT deleted`);
      expect(r.stdout).toContain(`aws elasticache delete-snapshot --region eu-west-1 --snapshot-name ${POINT}`);
      // The cache went; the point is still there, never deleted while ElastiCache created it.
      expect(aws.pipeline.deleted).toEqual([`replication group ${CANARY}`]);
      expect(aws.state.snapshots.get(POINT)?.status).toBe('creating');
    });

    it("a copy that does not hold the canary's known keys fails the export step", async () => {
      aws.pipeline.faults.rdb = 'v=11 keys=1000 expires=0 string=1000';
      const r = await run('--canary');
      expect(r.code).toBe(1);
      expect(r.stdout).toContain("cause: the DR verifier counted 1000 key(s) in the canary's copy; it holds 0");
    });

    it('killed mid-way (AWS no longer reachable): the delete is still attempted, and its failure named with the command (exit 1)', async () => {
      aws.ec.on(CopySnapshotCommand).rejects(
        Object.assign(new Error('getaddrinfo ENOTFOUND elasticache.eu-west-1.amazonaws.com'), {
          code: 'ENOTFOUND',
          hostname: 'elasticache.eu-west-1.amazonaws.com',
        }),
      );
      aws.pipeline.faults.denied.set('DeleteReplicationGroup', accessDenied('elasticache:DeleteReplicationGroup'));
      const r = await run('--canary');
      expect(r.code).toBe(1);
      expect(aws.ec.commandCalls(DeleteReplicationGroupCommand)).toHaveLength(1);
      expect(r.stderr).toContain('ENOTFOUND');
      expect(r.stderr).toContain(`the canary cache ${CANARY} was NOT deleted (`);
      expect(r.stderr).toContain('is not authorized to perform: elasticache:DeleteReplicationGroup');
      expect(r.stderr).toContain(
        `delete it: aws elasticache delete-replication-group --region eu-west-1 --replication-group-id ${CANARY} --no-retain-primary-cluster`,
      );
      expect(aws.pipeline.published).toEqual([]);
    });

    it('killed mid-way with the delete going through: exit 1, saying what it did first', async () => {
      aws.ec.on(CopySnapshotCommand).rejects(
        Object.assign(new Error('getaddrinfo ENOTFOUND elasticache.eu-west-1.amazonaws.com'), {
          code: 'ENOTFOUND',
          hostname: 'elasticache.eu-west-1.amazonaws.com',
        }),
      );
      const r = await run('--canary');
      expect(r.code).toBe(1);
      expect(aws.pipeline.deleted).toEqual([`replication group ${CANARY}`, `snapshot ${POINT}`]);
      expect(r.stderr).toContain('it did part of the job first');
    });
  });

  it("the preflight is doctor's checks: an export bucket that does not replicate fails it with doctor's fix, and nothing is taken", async () => {
    aws.s3
      .on(GetBucketReplicationCommand)
      .rejects(Object.assign(new Error('The replication configuration was not found'), { name: 'ReplicationConfigurationNotFoundError' }));
    const r = await run();
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`preflight ${NAMES.primary}\\s+eu-west-1\\s+FAILED`));
    expect(r.stdout).toContain(`cause: export bucket ${EXPORT_BUCKET} replication:`);
    expect(r.stdout).toMatch(/plan app\s+eu-west-1\s+SKIPPED\s+0\.0 s\s+preflight failed/);
    expect(aws.state.snapshots.size).toBe(0);
  });

  it('without credentials: one line, exit 2, nothing done', async () => {
    aws.state.credentials = false;
    const r = await run();
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n').length).toBeLessThanOrEqual(3);
    expect(r.stderr).toContain('no AWS credentials found');
    expect(aws.state.snapshots.size).toBe(0);
  });

  it('an AWS endpoint not reached: exit 2 in one line naming it, nothing done', async () => {
    aws.cfn.rejects(
      Object.assign(new Error('getaddrinfo ENOTFOUND cloudformation.eu-west-1.amazonaws.com'), {
        code: 'ENOTFOUND',
        hostname: 'cloudformation.eu-west-1.amazonaws.com',
      }),
    );
    const r = await run();
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('cannot resolve cloudformation.eu-west-1.amazonaws.com');
    expect(aws.state.snapshots.size).toBe(0);
  });

  it('an unknown config file: one line, exit 2', async () => {
    const r = await runInProcess(['selftest', '-c', 'test/fixtures/config/no-such.json'], { clock });
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});
