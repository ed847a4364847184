/**
 * The DR report of a deployment with a separate drill account (config
 * `drillAccount`): the report job (`collectReportFacts`, the scheduled
 * function's and `redis-dr report -c`'s) reads the drill account's signed
 * records from its bucket and shows them as that account's drills; a record
 * it may not read makes the report partial, naming it. AWS is answered at
 * the SDK boundary (aws-sdk-client-mock).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { CloudWatchClient, DescribeAlarmHistoryCommand, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import {
  DescribeReplicationGroupsCommand,
  DescribeServerlessCachesCommand,
  DescribeServerlessCacheSnapshotsCommand,
  DescribeSnapshotsCommand,
  ElastiCacheClient,
} from '@aws-sdk/client-elasticache';
import { GetResourcesCommand, ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { sdkStreamMixin } from '@smithy/core/serde';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { buildReport } from '../../../../lambdas/domain/report/build.js';
import { reportHtml } from '../../../../lambdas/domain/report/render.js';
import { collectReportFacts, type ReportAws } from '../../../../lambdas/jobs/report/elasticache-report.js';
import { validateConfig } from '../../../../lib/config/index.js';
import { recoveryBucketName, reportRunInput } from '../../../../lib/deployment.js';
import { reportAws } from '../../../support/report-aws.js';

const WORKLOAD = '111111111111';
const DRILL = '333333333333';
const REGION = 'eu-central-1';
const UNTIL = new Date('2026-11-23T06:00:00Z');
const WINDOW = { since: new Date('2026-11-16T06:00:00Z'), until: UNTIL, generatedAt: UNTIL };

const raw = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'fixtures', 'config', 'vault-drill.json'), 'utf8')) as Record<string, any>;
raw.drillAccount = { account: DRILL, network: raw.dr.network };
raw.plans[0].drill.account = DRILL;
const validated = validateConfig(raw);
if (!validated.ok) throw new Error(validated.problems.join('\n'));
const config = validated.config;
const input = reportRunInput(config, WORKLOAD);
const DRILL_BUCKET = recoveryBucketName(config.name, DRILL, REGION);

const ec = mockClient(ElastiCacheClient);
const tg = mockClient(ResourceGroupsTaggingAPIClient);
const s3 = mockClient(S3Client);
const cw = mockClient(CloudWatchClient);
afterAll(() => {
  for (const m of [ec, tg, s3, cw]) m.restore();
});
const aws = (): ReportAws => reportAws(UNTIL.getTime());

/** A drill record as the drill account's drill report signs it (the fields the report reads, and an attestation). */
function record(seq: number, startedAt: string, over: Record<string, unknown> = {}): string {
  const finishedAt = new Date(Date.parse(startedAt) + 1_500_000).toISOString();
  return JSON.stringify({
    kind: 'redis-dr-drill',
    deployment: config.name,
    plan: 'sessions',
    region: REGION,
    trigger: 'scheduled',
    startedAt,
    finishedAt,
    target: 'sessions-prod',
    point: 'rdr-sessions-prod-20261122-0200',
    pointSelection: 'newest',
    passed: true,
    rtoSeconds: 1400,
    rtoTargetSeconds: 2700,
    restoreSeconds: 1200,
    verifySeconds: 35,
    checks: [{ name: 'key-count', ok: true, expected: '321', found: '321' }],
    summary: 'Restore drill passed: plan sessions, target sessions-prod',
    ...over,
    attestation: { v: 1, seq, deployment: `s3://${DRILL_BUCKET}/`, signature: 'MEUCIQ' },
  });
}

let records: Record<string, string>;
beforeEach(() => {
  for (const m of [ec, tg, s3, cw]) m.reset();
  ec.on(DescribeReplicationGroupsCommand).resolves({ ReplicationGroups: [] });
  ec.on(DescribeServerlessCachesCommand).resolves({ ServerlessCaches: [] });
  ec.on(DescribeSnapshotsCommand).resolves({ Snapshots: [] });
  ec.on(DescribeServerlessCacheSnapshotsCommand).resolves({ ServerlessCacheSnapshots: [] });
  tg.on(GetResourcesCommand).resolves({ ResourceTagMappingList: [] });
  cw.on(DescribeAlarmHistoryCommand).resolves({ AlarmHistoryItems: [] });
  cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [], CompositeAlarms: [] });
  const prefix = `drills/${REGION}/sessions/`;
  records = {
    [`${prefix}redis-dr-drill-00000001.json`]: record(1, '2026-11-09T04:00:00.000Z'),
    [`${prefix}redis-dr-drill-00000002.json`]: record(2, '2026-11-16T08:00:00.000Z'),
    [`${prefix}redis-dr-drill-00000003.json`]: record(3, '2026-11-22T04:00:00.000Z', {
      trigger: 'manual',
      startedBy: 'arn:aws:sts::333333333333:assumed-role/ops/alice',
      passed: false,
      rtoSeconds: undefined,
      summary: 'Restore drill FAILED: plan sessions (verify: key-count)',
    }),
  };
  s3.on(ListObjectsV2Command).callsFake((i: { Bucket: string; Prefix?: string }) => ({
    Contents:
      i.Bucket === DRILL_BUCKET
        ? Object.keys(records)
            .filter((k) => k.startsWith(i.Prefix ?? ''))
            .map((Key) => ({ Key, Size: 900 }))
        : [],
    IsTruncated: false,
  }));
  s3.on(GetObjectCommand).callsFake((i: { Bucket: string; Key: string }) => {
    const body = i.Bucket === DRILL_BUCKET ? records[i.Key] : undefined;
    if (body === undefined) throw Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });
    return { Body: sdkStreamMixin(Readable.from([Buffer.from(body)])) };
  });
});

describe('the DR report with a separate drill account', () => {
  it("shows the period's drills of the drill account as such, read from their records in its bucket (the drill account expected as its owner)", async () => {
    expect(input.drillAccount).toEqual({ account: DRILL, region: REGION, bucket: DRILL_BUCKET, plans: ['sessions'] });
    const facts = await collectReportFacts(input, aws(), WINDOW);
    expect(facts.problems).toEqual([]);
    // The record of Nov 9 finished before the period: not counted (and the listing stops there).
    expect(facts.drills.map((d) => [d.startedAt.toISOString(), d.region, d.account, d.passed, d.trigger])).toEqual([
      ['2026-11-16T08:00:00.000Z', `${REGION} (drill account ${DRILL})`, DRILL, true, 'scheduled'],
      ['2026-11-22T04:00:00.000Z', `${REGION} (drill account ${DRILL})`, DRILL, false, 'manual'],
    ]);
    const reads = s3.commandCalls(GetObjectCommand).map((c) => c.args[0].input);
    expect(reads.length).toBeGreaterThan(0);
    expect(reads.every((r) => r.ExpectedBucketOwner === DRILL)).toBe(true);
    const html = reportHtml(buildReport(facts));
    expect(html).toContain(`in the separate drill account ${DRILL}`);
    expect(html).toContain(`${REGION} (drill account ${DRILL})`);
  });

  it('a record it may not read makes the report partial, naming the drill account and the place; one of another deployment is named, not counted', async () => {
    records[`drills/${REGION}/sessions/redis-dr-drill-00000004.json`] = record(4, '2026-11-22T10:00:00.000Z', { deployment: 'other' });
    let facts = await collectReportFacts(input, aws(), WINDOW);
    expect(facts.drills).toHaveLength(2);
    expect(facts.problems).toEqual([
      `s3://${DRILL_BUCKET}/drills/${REGION}/sessions/redis-dr-drill-00000004.json is a drill record of deployment "other", not "${config.name}": not counted`,
    ]);
    // The drill account's bucket policy letting this account read nothing (the other buckets answer as before).
    s3.on(ListObjectsV2Command).callsFake((i: { Bucket: string }) => {
      if (i.Bucket === DRILL_BUCKET) throw Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
      return { Contents: [], IsTruncated: false };
    });
    facts = await collectReportFacts(input, aws(), WINDOW);
    expect(facts.drills).toEqual([]);
    expect(facts.problems).toHaveLength(1);
    expect(facts.problems?.[0]).toMatch(
      new RegExp(`^drills of plan sessions in the drill account ${DRILL} \\(s3://${DRILL_BUCKET}/drills/${REGION}/sessions/\\): .*Access Denied`),
    );
  });
});
