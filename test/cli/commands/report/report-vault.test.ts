import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudWatchClient, DescribeAlarmHistoryCommand, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { DrReport } from '../../../../lambdas/domain/report/model.js';
import { ACCOUNT, fakeAws } from '../../support/fake-aws.js';
import { runInProcess } from '../../support/in-process.js';
import { installVault, putVaultCopy, type Retentions, VAULT_CONFIG, VAULT_PROFILE } from '../../support/vault.js';

/**
 * `redis-dr report -c` with a vault: the replicas of the period read with the
 * vault account's profile, their verdict from the vault verifier's objects
 * (never a replicated tag) and their Object Lock retain-until, judged by the
 * cross-account-copy and vault-lock controls.
 */

const DIR = mkdtempSync(join(tmpdir(), 'redis-dr-report-vault-'));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));
const aws = fakeAws();
const cw = mockClient(CloudWatchClient);
let retentions: Retentions;
const UNTIL = '2026-11-21T10:00:00Z';

beforeEach(() => {
  aws.reset();
  aws.state.credentials = true;
  cw.reset();
  cw.on(DescribeAlarmHistoryCommand).resolves({ AlarmHistoryItems: [] });
  cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });
  retentions = new Map();
  installVault(aws, retentions);
});

async function report(extra: string[] = []): Promise<{ code: number; stdout: string; json: DrReport }> {
  const file = join(DIR, `r-${Math.random().toString(36).slice(2)}.json`);
  const r = await runInProcess(['report', '-c', VAULT_CONFIG, '--since', '2026-11-14T10:00:00Z', '--until', UNTIL, '--json', file, ...extra]);
  return { code: r.code, stdout: r.stdout, json: JSON.parse(readFileSync(file, 'utf8')) };
}

const control = (r: DrReport, id: string) => r.controls.find((c) => c.cache === 'sessions-prod' && c.control === id)!;

const DR_BUCKET = `redis-dr-example-${ACCOUNT}-eu-central-1`;
/** Scheduled reports in the DR bucket (prefix → file → the replication status S3 keeps on it, HeadObject). */
function scheduledReports(reports: Record<string, Record<string, string | undefined>>): void {
  const bucket = aws.state.objects.get(DR_BUCKET) ?? new Map<string, Record<string, string>>();
  aws.state.objects.set(DR_BUCKET, bucket);
  const statuses = new Map<string, string | undefined>();
  for (const [prefix, files] of Object.entries(reports))
    for (const [file, status] of Object.entries(files)) {
      bucket.set(`${prefix}${file}`, {});
      statuses.set(`${prefix}${file}`, status);
    }
  aws.s3.on(HeadObjectCommand, { Bucket: DR_BUCKET }).callsFake((i: { Key: string }) => ({ ContentLength: 10, ReplicationStatus: statuses.get(i.Key) }));
}

describe('redis-dr report -c with a vault', () => {
  it('verified replicas under COMPLIANCE past the period: cross-account copy and vault lock pass; a forged tag is no verdict', async () => {
    putVaultCopy(aws, retentions, 'rdr-sessions-prod-20261121-0700', { retention: { mode: 'COMPLIANCE', until: '2027-11-21T07:00:30Z' } });
    putVaultCopy(aws, retentions, 'rdr-sessions-prod-20261121-0900', {
      verified: null,
      forgedTag: true,
      retention: { mode: 'COMPLIANCE', until: '2027-11-21T09:00:30Z' },
    });
    const { json } = await report(['--vault-profile', VAULT_PROFILE]);
    expect(json.problems).toEqual([]);
    const prod = json.caches.find((c) => c.facts.cache === 'sessions-prod')!;
    expect(prod.facts.vaultCopies!.map((c) => [c.key, c.verdict, c.retainUntil])).toEqual(
      expect.arrayContaining([
        ['rdr-sessions-prod-20261121-0700', 'ok', '2027-11-21T07:00:30.000Z'],
        ['rdr-sessions-prod-20261121-0900', 'pending', '2027-11-21T09:00:30.000Z'],
      ]),
    );
    expect(control(json, 'cross-account-copy')).toMatchObject({ verdict: 'pass', why: '1 replica(s) verified in the vault in the period' });
    expect(control(json, 'vault-lock')).toMatchObject({ verdict: 'pass', why: "2 of 2 replica(s) under COMPLIANCE retention past the report's end" });
  });

  it('a replica without retention fails vault lock, naming how many are locked', async () => {
    putVaultCopy(aws, retentions, 'rdr-sessions-prod-20261121-0700', { retention: null });
    const { json } = await report(['--vault-profile', VAULT_PROFILE]);
    expect(control(json, 'vault-lock')).toMatchObject({ verdict: 'fail', why: "0 of 1 replica(s) under COMPLIANCE retention past the report's end" });
  });

  it("checks the vault copy of each period's newest scheduled report as the scheduled run does: a FAILED file makes the report PARTIAL, exit 1", async () => {
    putVaultCopy(aws, retentions, 'rdr-sessions-prod-20261121-0700', { retention: { mode: 'COMPLIANCE', until: '2027-11-21T07:00:30Z' } });
    scheduledReports({
      'reports/weekly/2026-11-09T0600Z/': { 'report.html': 'FAILED' },
      'reports/weekly/2026-11-16T0600Z/': { 'report.html': 'FAILED', 'report.json': 'COMPLETED', 'csv/controls.csv': 'PENDING' },
      'reports/monthly/2026-11-01T0600Z/': { 'report.html': 'COMPLETED', 'report.json': undefined },
    });
    const { code, stdout, json } = await report(['--vault-profile', VAULT_PROFILE]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^PARTIAL example: /);
    // The newest weekly report only (the one before it is the scheduled run's to have judged).
    expect(json.problems).toEqual([
      'the vault copy of the previous report reports/weekly/2026-11-16T0600Z/ FAILED to replicate (report.html): it is not in the vault',
    ]);
    expect(stdout).toContain('VAULT COPY previous report reports/weekly/2026-11-16T0600Z/ in the vault: 1 of 3 file(s) COMPLETED, 1 FAILED, 1 still PENDING');
    expect(stdout).toContain(
      'VAULT COPY previous report reports/monthly/2026-11-01T0600Z/ in the vault: 1 of 2 file(s) COMPLETED, 1 with no replication status (written before the rule into the vault)',
    );
  });

  it('says so when no scheduled report is there yet, and the replicated ones pass (exit 0)', async () => {
    putVaultCopy(aws, retentions, 'rdr-sessions-prod-20261121-0700', { retention: { mode: 'COMPLIANCE', until: '2027-11-21T07:00:30Z' } });
    scheduledReports({ 'reports/weekly/2026-11-16T0600Z/': { 'report.html': 'COMPLETED' } });
    const { stdout, json } = await report(['--vault-profile', VAULT_PROFILE]);
    expect(json.problems).toEqual([]);
    expect(stdout).toContain('VAULT COPY previous report reports/weekly/2026-11-16T0600Z/ in the vault: 1 of 1 file(s) COMPLETED');
    expect(stdout).toContain(`VAULT COPY no scheduled monthly report in s3://${DR_BUCKET}/reports/monthly/ yet`);
  });

  it('without the vault profile: the vault is named as not read, the report is PARTIAL, exit 1', async () => {
    putVaultCopy(aws, retentions, 'rdr-sessions-prod-20261121-0700', { retention: { mode: 'COMPLIANCE', until: '2027-11-21T07:00:30Z' } });
    const { code, stdout, json } = await report();
    expect(code).toBe(1);
    expect(stdout).toMatch(/^PARTIAL example: /);
    expect(json.problems).toEqual([expect.stringMatching(/^vault copies of plan sessions in s3:\/\/redis-dr-example-444455556666-eu-north-1: /)]);
  });
});

describe('redis-dr report -c with an organization vault (vault.organizationId)', () => {
  it("judges this account's replicas under <account>/<primary region>/ only, never another account's", async () => {
    const file = join(DIR, 'org-vault.json');
    const raw = JSON.parse(readFileSync(VAULT_CONFIG, 'utf8'));
    writeFileSync(file, JSON.stringify({ ...raw, $schema: undefined, vault: { ...raw.vault, organizationId: 'o-a1b2c3d4e5' } }));
    const until = { retention: { mode: 'COMPLIANCE', until: '2027-11-21T07:00:30Z' } };
    putVaultCopy(aws, retentions, 'rdr-sessions-prod-20261121-0700', { ...until, under: '111122223333/eu-west-1/' });
    putVaultCopy(aws, retentions, 'rdr-sessions-prod-20261121-0900', { ...until, under: '999988887777/eu-west-1/' });
    // At the root: the layout of a vault without an organization, not this one's.
    putVaultCopy(aws, retentions, 'rdr-sessions-prod-20261121-0500', until);

    const out = join(DIR, 'org-report.json');
    await runInProcess(['report', '-c', file, '--since', '2026-11-14T10:00:00Z', '--until', UNTIL, '--json', out, '--vault-profile', VAULT_PROFILE]);
    const json = JSON.parse(readFileSync(out, 'utf8')) as DrReport;

    const prod = json.caches.find((c) => c.facts.cache === 'sessions-prod')!;
    expect(prod.facts.vaultCopies!.map((c) => [c.key, c.verdict])).toEqual([['rdr-sessions-prod-20261121-0700', 'ok']]);
    expect(control(json, 'cross-account-copy')).toMatchObject({ verdict: 'pass', why: '1 replica(s) verified in the vault in the period' });
  });
});
