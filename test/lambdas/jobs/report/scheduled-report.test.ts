import { CloudWatchClient, DescribeAlarmHistoryCommand, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { createHash } from 'node:crypto';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { sdkStreamMixin } from '@smithy/core/serde';
import { mockClient } from 'aws-sdk-client-mock';
import { Readable } from 'node:stream';
import { beforeEach, describe, expect, it } from 'vitest';
import { publishAlert } from '../../../../lambdas/adapters/aws/alerts.js';
import { reportInputSchema } from '../../../../lambdas/domain/report/input.js';
import type { ReportAws } from '../../../../lambdas/jobs/report/elasticache-report.js';
import { PartialReportError, runScheduledReport } from '../../../../lambdas/jobs/report/scheduled-report.js';
import { loadConfig } from '../../../../lib/config/index.js';
import { reportRunInput } from '../../../../lib/deployment.js';
import { ACCOUNT, fakeAws } from '../../../cli/support/fake-aws.js';
import { reportAws } from '../../../support/report-aws.js';

/**
 * The scheduled report function's job: the week (or month) before the
 * scheduled time, written under reports/ in the DR bucket and read back,
 * one info line to the alert topic; a partial report is written, said, and
 * the run fails.
 */

const aws = fakeAws();
const cw = mockClient(CloudWatchClient);
const sns = mockClient(SNSClient);
const config = loadConfig('test/fixtures/config/drills.json');
const input = reportInputSchema.parse({ ...reportRunInput(config, ACCOUNT), period: 'weekly', scheduledTime: '2026-11-23T06:00:00Z' });
const stored = new Map<string, string>();

const reportAwsNow = (): ReportAws => reportAws(Date.parse('2026-11-23T06:00:07Z'));

const run = (reportInput = input) =>
  runScheduledReport(reportInput, {
    aws: reportAwsNow(),
    s3: new S3Client({ region: 'eu-central-1' }),
    publish: (alert) => publishAlert(new SNSClient({ region: 'eu-central-1' }), 'arn:aws:sns:eu-central-1:111122223333:redis-dr-example-alerts', alert),
    log: { info: () => undefined, warn: () => undefined, error: () => undefined },
  });

beforeEach(() => {
  aws.reset();
  cw.reset();
  sns.reset();
  stored.clear();
  cw.on(DescribeAlarmHistoryCommand).resolves({ AlarmHistoryItems: [] });
  cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
  aws.s3.on(PutObjectCommand).callsFake((i: { Bucket: string; Key: string; Body: Uint8Array }) => {
    stored.set(`${i.Bucket}/${i.Key}`, Buffer.from(i.Body).toString());
    return {};
  });
  // As S3 answers a HeadObject with checksum mode: the length and SHA-256 of what it stored.
  aws.s3.on(HeadObjectCommand).callsFake((i: { Bucket: string; Key: string }) => {
    const body = Buffer.from(stored.get(`${i.Bucket}/${i.Key}`) ?? '');
    return { ContentLength: body.length, ChecksumSHA256: createHash('sha256').update(body).digest('base64'), ChecksumType: 'FULL_OBJECT' };
  });
  aws.s3.on(GetObjectCommand).callsFake((i: { Bucket: string; Key: string }) => ({
    Body: sdkStreamMixin(Readable.from([Buffer.from(stored.get(`${i.Bucket}/${i.Key}`) ?? '')])),
  }));
});

describe('the scheduled DR report', () => {
  it('writes the week before the scheduled time under reports/weekly/<end>/ (HTML, JSON, CSV, read back) and sends one info line', async () => {
    const r = await run();
    const prefix = `reports/weekly/2026-11-23T0600Z/`;
    expect(r.keys).toEqual([
      `${prefix}report.html`,
      `${prefix}report.json`,
      `${prefix}csv/controls.csv`,
      `${prefix}csv/recovery-points.csv`,
      `${prefix}csv/copies.csv`,
      `${prefix}csv/drills.csv`,
      `${prefix}csv/alarms.csv`,
    ]);
    const json = JSON.parse(stored.get(`${input.drBucket}/${prefix}report.json`)!) as { since: string; until: string };
    expect([json.since, json.until]).toEqual(['2026-11-16T06:00:00.000Z', '2026-11-23T06:00:00.000Z']);
    const put = aws.s3.commandCalls(PutObjectCommand)[0]!.args[0].input;
    expect(put).toMatchObject({ ContentType: 'text/html; charset=utf-8' });
    expect(put.ChecksumSHA256).toBe(
      createHash('sha256')
        .update(stored.get(`${input.drBucket}/${prefix}report.html`)!)
        .digest('base64'),
    );
    const published = sns.commandCalls(PublishCommand).map((c) => c.args[0].input);
    expect(published).toHaveLength(1);
    expect(published[0]!.Subject).toBe('[INFO] redis-dr example: weekly DR report eu-central-1');
    expect(published[0]!.Message).toMatch(
      new RegExp(
        `^weekly DR report 2026-11-16T06:00:00.000Z to 2026-11-23T06:00:00.000Z: \\d+ pass, \\d+ fail, \\d+ n/a: s3://${input.drBucket}/${prefix}report.html\\n$`,
      ),
    );
    expect(published[0]!.MessageAttributes?.severity?.StringValue).toBe('info');
  });

  it('links the policy document the config names (report.policyDocument): in report.json, on the page and in the info line', async () => {
    const policy = 'https://wiki.example.com/redis-dr/backup-policy.html';
    await run({ ...input, policyDocument: policy });
    const prefix = `reports/weekly/2026-11-23T0600Z/`;
    expect((JSON.parse(stored.get(`${input.drBucket}/${prefix}report.json`)!) as { policyDocument?: string }).policyDocument).toBe(policy);
    expect(stored.get(`${input.drBucket}/${prefix}report.html`)).toContain(`href="${policy}"`);
    expect(sns.commandCalls(PublishCommand)[0]!.args[0].input.Message).toContain(`\nPOLICY ${policy}\n`);
    // Negative: without the setting, no link and no POLICY line (the first test's report).
    await run();
    expect(sns.commandCalls(PublishCommand)[1]!.args[0].input.Message).not.toContain('POLICY');
  });

  it('a file that does not read back as written: no line is sent, the run fails naming it', async () => {
    aws.s3.on(HeadObjectCommand).resolves({ ContentLength: 9, ChecksumSHA256: createHash('sha256').update('truncated').digest('base64') });
    await expect(run()).rejects.toThrow(
      /^read-back of s3:\/\/redis-dr-example-111122223333-eu-central-1\/reports\/weekly\/2026-11-23T0600Z\/report\.html does not match what was written/,
    );
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
  });

  it('facts it may not read: the report is written and announced as PARTIAL, then the run fails', async () => {
    cw.on(DescribeAlarmHistoryCommand).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDenied' }));
    await expect(run()).rejects.toThrow(PartialReportError);
    expect(stored.size).toBe(7);
    expect(sns.commandCalls(PublishCommand)[0]!.args[0].input.Message).toMatch(/PARTIAL \(2 fact\(s\) not read\)/);
  });
});

describe('the scheduled DR report with a vault (its copy there is made by replication)', () => {
  const withVault = { ...input, vault: { bucket: 'redis-dr-example-222222222222-eu-central-1', region: 'eu-central-1', account: '222222222222', read: false } };
  const previous = 'reports/weekly/2026-11-16T0600Z/';
  /** The previous week's report in the DR bucket, its files with these replication statuses (HeadObject on the source). */
  const previousReport = (statuses: Record<string, string | undefined>) => {
    aws.s3.on(ListObjectsV2Command).callsFake((i: { Prefix?: string }) => ({
      Contents: i.Prefix === 'reports/weekly/' ? Object.keys(statuses).map((f) => ({ Key: `${previous}${f}`, Size: 10 })) : [],
    }));
    aws.s3.on(HeadObjectCommand).callsFake((i: { Bucket: string; Key: string; ChecksumMode?: string }) => {
      if (i.Key.startsWith(previous)) return { ContentLength: 10, ReplicationStatus: statuses[i.Key.slice(previous.length)] };
      const body = Buffer.from(stored.get(`${i.Bucket}/${i.Key}`) ?? '');
      return { ContentLength: body.length, ChecksumSHA256: createHash('sha256').update(body).digest('base64'), ChecksumType: 'FULL_OBJECT' };
    });
  };

  it("says the copy goes to the vault by replication, and that the previous report's copy COMPLETED; the run passes", async () => {
    previousReport({ 'report.html': 'COMPLETED', 'report.json': 'COMPLETED' });
    const r = await run(withVault);
    expect(r.problems).toEqual([]);
    expect(r.vault?.copy).toMatch(/^to the vault by S3 replication of reports\/ from the DR bucket/);
    expect(r.vault?.previous).toBe(`previous report ${previous} in the vault: 2 of 2 file(s) COMPLETED`);
    const message = sns.commandCalls(PublishCommand)[0]!.args[0].input.Message!;
    expect(message).toContain('to the vault by S3 replication');
    expect(message).toContain('2 of 2 file(s) COMPLETED');
    // The status is read on the source objects in the DR bucket, not in the vault.
    const heads = aws.s3.commandCalls(HeadObjectCommand).map((c) => c.args[0].input);
    expect(heads.filter((h) => h.Key?.startsWith(previous)).every((h) => h.Bucket === input.drBucket)).toBe(true);
  });

  it('names a FAILED replication of the previous report as a problem: the report is PARTIAL and the run fails', async () => {
    previousReport({ 'report.html': 'FAILED', 'report.json': 'COMPLETED' });
    await expect(run(withVault)).rejects.toThrow(/FAILED to replicate \(report\.html\)/);
    const json = JSON.parse(stored.get(`${input.drBucket}/reports/weekly/2026-11-23T0600Z/report.json`)!) as { problems: string[] };
    expect(json.problems).toContain(`the vault copy of the previous report ${previous} FAILED to replicate (report.html): it is not in the vault`);
  });

  it('without a vault, no previous report is looked at', async () => {
    await run();
    expect(aws.s3.commandCalls(ListObjectsV2Command).filter((c) => c.args[0].input.Prefix?.startsWith('reports/'))).toEqual([]);
  });
});
