import { CloudWatchClient, DescribeAlarmHistoryCommand, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { sdkStreamMixin } from '@smithy/core/serde';
import { mockClient } from 'aws-sdk-client-mock';
import { Readable } from 'node:stream';
import { beforeEach, describe, expect, it } from 'vitest';
import { publishAlert } from '../../../../lambdas/adapters/aws/alerts.js';
import { kmsSigner } from '../../../../lambdas/adapters/aws/kms-signer.js';
import type { AsyncSigner } from '../../../../lambdas/domain/attest/chain.js';
import { reportInputSchema } from '../../../../lambdas/domain/report/input.js';
import type { ReportAws } from '../../../../lambdas/jobs/report/elasticache-report.js';
import { ReportChainError } from '../../../../lambdas/jobs/report/report-chain.js';
import { PartialReportError, runScheduledReport } from '../../../../lambdas/jobs/report/scheduled-report.js';
import { loadConfig } from '../../../../lib/config/index.js';
import { reportRunInput } from '../../../../lib/deployment.js';
import { ACCOUNT, fakeAws } from '../../../cli/support/fake-aws.js';
import { runInProcess } from '../../../cli/support/in-process.js';
import { auditorPublicKeyPem, kmsEvidenceKey, refusingSigner } from '../../../support/kms-evidence.js';
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

const run = (reportInput = input, signer?: AsyncSigner) =>
  runScheduledReport(reportInput, {
    aws: reportAwsNow(),
    s3: new S3Client({ region: 'eu-central-1' }),
    publish: (alert) => publishAlert(new SNSClient({ region: 'eu-central-1' }), 'arn:aws:sns:eu-central-1:111122223333:redis-dr-example-alerts', alert),
    log: { info: () => undefined, warn: () => undefined, error: () => undefined },
    ...(signer ? { signer } : {}),
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
    // The JSON last: it names the SHA-256 of the files before it (issue 58), stored first.
    expect(r.keys).toEqual([
      `${prefix}report.html`,
      `${prefix}csv/controls.csv`,
      `${prefix}csv/recovery-points.csv`,
      `${prefix}csv/copies.csv`,
      `${prefix}csv/drills.csv`,
      `${prefix}csv/alarms.csv`,
      `${prefix}report.json`,
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

describe('the scheduled DR report signed with the evidence key (docs/attest.md)', () => {
  const bucket = input.drBucket;
  const week = (scheduledTime: string, period: 'weekly' | 'monthly' = 'weekly') => ({ ...input, period, scheduledTime });
  const json = (key: string) => JSON.parse(stored.get(`${bucket}/${key}`)!) as { attestation?: { seq: number; previous: string | null; deployment: string } };
  /** ListObjectsV2 as S3 answers it from what was stored. */
  const listStored = () =>
    aws.s3.on(ListObjectsV2Command).callsFake((i: { Bucket: string; Prefix?: string }) => ({
      Contents: [...stored.keys()]
        .filter((k) => k.startsWith(`${i.Bucket}/${i.Prefix ?? ''}`))
        .map((k) => ({ Key: k.slice(i.Bucket.length + 1), Size: stored.get(k)!.length })),
    }));

  it('chains report.json per period (weekly and monthly apart, so they never fork), and attest checks a copied-down period offline', async () => {
    listStored();
    const key = kmsEvidenceKey();
    const signer = await kmsSigner(key.kms, key.keyArn);
    await run(week('2026-11-09T06:00:00Z'), signer);
    await run(week('2026-11-16T06:00:00Z'), signer);
    await run(week('2026-11-01T06:00:00Z', 'monthly'), signer);
    await run(week('2026-11-23T06:00:00Z'), signer);
    const weeks = ['2026-11-09T0600Z', '2026-11-16T0600Z', '2026-11-23T0600Z'].map((w) => `reports/weekly/${w}/report.json`);
    expect(weeks.map((k) => json(k).attestation?.seq)).toEqual([1, 2, 3]);
    expect(json(weeks[0]!).attestation).toMatchObject({ previous: null, deployment: `s3://${bucket}/` });
    // The monthly report is the first of its own chain, not the weekly chain's third.
    expect(json('reports/monthly/2026-11-01T0600Z/report.json').attestation).toMatchObject({ seq: 1, previous: null });

    // What an auditor does: copies reports/weekly/ down (each <end>/ folder whole: report.json, report.html, csv/) and runs attest.
    const dir = mkdtempSync(join(tmpdir(), 'report-evidence-'));
    try {
      const pem = auditorPublicKeyPem(key, dir);
      const folder = join(dir, 'weekly');
      const copied = [...stored.keys()].filter((k) => k.startsWith(`${bucket}/reports/weekly/`)).map((k) => k.slice(bucket.length + 1));
      expect(copied.filter((k) => k.endsWith('.csv')).length).toBeGreaterThan(3);
      for (const k of copied) {
        const file = join(folder, k.slice('reports/weekly/'.length));
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, stored.get(`${bucket}/${k}`)!);
      }
      const attest = (...more: string[]) => runInProcess(['attest', folder, '--public-key', pem, ...more]);
      const ok = await attest('--deployment', `s3://${bucket}/`);
      expect(ok.code, ok.stdout + ok.stderr).toBe(0);
      expect(ok.stdout).toBe(
        `VERIFIED ${folder}: 3 record(s), one chain from record 1 to 3 of s3://${bucket}/, every signature and digest good; ${copied.length - 3} file(s) beside them as signed\n`,
      );
      // The report.json carries the SHA-256 of the HTML and of each CSV beside it, as written.
      const companions = (JSON.parse(stored.get(`${bucket}/${weeks[0]}`)!) as { companions: Record<string, { sha256: string; bytes: number }> }).companions;
      const html = stored.get(`${bucket}/reports/weekly/2026-11-09T0600Z/report.html`)!;
      expect(companions['report.html']).toEqual({ sha256: createHash('sha256').update(html).digest('hex'), bytes: Buffer.byteLength(html) });
      expect(Object.keys(companions).filter((p) => p.startsWith('csv/')).length).toBe(
        copied.filter((k) => k.startsWith('reports/weekly/2026-11-09T0600Z/csv/')).length,
      );
      // One file alone: the report.json checks the HTML and CSV in its folder.
      const alone = await runInProcess(['attest', join(folder, '2026-11-23T0600Z', 'report.json'), '--public-key', pem]);
      expect(alone.code, alone.stdout).toBe(0);
      expect(alone.stdout).toContain(`; ${Object.keys(companions).length} file(s) beside them as signed`);
      // A changed byte in a CSV: exit 1, naming the CSV (the report.json itself still verifies).
      const csvName = Object.keys(companions).find((p) => p.startsWith('csv/'))!;
      const csv = join(folder, '2026-11-16T0600Z', csvName);
      const csvText = readFileSync(csv);
      const flipped = Buffer.from(csvText);
      flipped[flipped.length - 2] = flipped[flipped.length - 2]! ^ 0x01;
      writeFileSync(csv, flipped);
      const changedCsv = await attest();
      expect(changedCsv.code).toBe(1);
      expect(changedCsv.stdout).toMatch(
        new RegExp(
          `^NOT VERIFIED 2026-11-16T0600Z/${csvName.replace('.', '\\.')}: is not the file 2026-11-16T0600Z/report\\.json signed \\(changed after signing: `,
        ),
      );
      // The HTML not copied: named too.
      writeFileSync(csv, csvText);
      unlinkSync(join(folder, '2026-11-23T0600Z', 'report.html'));
      const missing = await attest();
      expect(missing.code).toBe(1);
      expect(missing.stdout).toBe(
        "NOT VERIFIED 2026-11-23T0600Z/report.html: is not there, and 2026-11-23T0600Z/report.json signed its SHA-256 (copy the report's folder whole)\n",
      );
      writeFileSync(join(folder, '2026-11-23T0600Z', 'report.html'), stored.get(`${bucket}/reports/weekly/2026-11-23T0600Z/report.html`)!);
      // Another deployment's bucket: exit 1, naming the first record.
      const other = await attest('--deployment', 's3://redis-dr-other-111122223333-eu-central-1/');
      expect(other.code).toBe(1);
      expect(other.stdout).toBe(
        `NOT VERIFIED 2026-11-09T0600Z/report.json: belongs to deployment s3://${bucket}/, not s3://redis-dr-other-111122223333-eu-central-1/\n`,
      );
      // The middle week deleted: a named gap, never a pass.
      const middle = join(folder, '2026-11-16T0600Z', 'report.json');
      const kept = readFileSync(middle, 'utf8');
      unlinkSync(middle);
      const gap = await attest();
      expect(gap.code).toBe(1);
      expect(gap.stdout).toBe('NOT VERIFIED 2026-11-23T0600Z/report.json: a gap: record 2 is missing between 2026-11-09T0600Z/report.json and it\n');
      // A changed digit in a report: exit 1 naming it.
      writeFileSync(
        middle,
        kept.replace(/"pass": (\d+)/, (_m, n: string) => `"pass": ${Number(n) + 1}`),
      );
      const changed = await attest();
      expect(changed.code).toBe(1);
      expect(changed.stdout).toBe('NOT VERIFIED 2026-11-16T0600Z/report.json: its content is not what was signed (changed after signing)\n');
      // Unsigned (the attestation removed): exit 1.
      const { attestation: _a, ...bare } = JSON.parse(kept) as Record<string, unknown>;
      writeFileSync(middle, JSON.stringify(bare));
      const unsigned = await attest();
      expect(unsigned.code).toBe(1);
      expect(unsigned.stdout).toBe('NOT VERIFIED 2026-11-16T0600Z/report.json: carries no attestation (unsigned, or not a redis-dr record)\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a run repeated for the same period takes the place of the report it replaces (same seq), never a second link', async () => {
    listStored();
    const key = kmsEvidenceKey();
    const signer = await kmsSigner(key.kms, key.keyArn);
    await run(week('2026-11-16T06:00:00Z'), signer);
    await run(week('2026-11-23T06:00:00Z'), signer);
    const first = json('reports/weekly/2026-11-23T0600Z/report.json').attestation;
    await run(week('2026-11-23T06:00:00Z'), signer);
    const again = json('reports/weekly/2026-11-23T0600Z/report.json').attestation;
    expect([first?.seq, again?.seq]).toEqual([2, 2]);
    expect(again?.previous).toBe(first?.previous);
  });

  it("refuses to sign a period before the chain's newest report (it would fork the chain): nothing written, the run fails", async () => {
    listStored();
    const key = kmsEvidenceKey();
    const signer = await kmsSigner(key.kms, key.keyArn);
    await run(week('2026-11-23T06:00:00Z'), signer);
    const before = stored.size;
    await expect(run(week('2026-11-16T06:00:00Z'), signer)).rejects.toThrow(ReportChainError);
    await expect(run(week('2026-11-16T06:00:00Z'), signer)).rejects.toThrow(
      `s3://${bucket}/reports/weekly/2026-11-23T0600Z/report.json is of a later period than reports/weekly/2026-11-16T0600Z/: signing this report would fork the weekly reports' chain; run the report for a period after the newest`,
    );
    expect(stored.size).toBe(before);
  });

  it('a Sign that fails writes no report and sends no line: the run fails (its alarm pages), never an unsigned report', async () => {
    listStored();
    const signer = refusingSigner();
    await expect(run(input, signer)).rejects.toThrow(/kms:Sign/);
    expect(stored.size).toBe(0);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
  });
});
