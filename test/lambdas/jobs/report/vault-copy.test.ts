import { HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { scheduledReportVaultCopy } from '../../../../lambdas/jobs/report/vault-copy.js';
import { awsError } from '../../../support/fakes.js';

const client = new S3Client({ region: 'eu-central-1' });
const s3 = mockClient(client);
const BUCKET = 'redis-dr-example-111122223333-eu-central-1';

beforeEach(() => s3.reset());
afterAll(() => s3.restore());

/** Reports under `reports/weekly/`, each file with the replication status HeadObject gives it. */
function reports(files: Record<string, string | undefined>): void {
  s3.on(ListObjectsV2Command).resolves({ Contents: Object.keys(files).map((Key) => ({ Key, Size: 10 })), IsTruncated: false });
  s3.on(HeadObjectCommand).callsFake((i: { Key: string }) => ({ ContentLength: 10, ReplicationStatus: files[i.Key] }));
}

describe("a scheduled report's copy in the vault, by its files' replication status in the DR bucket", () => {
  it('judges the newest report written before the given one, and only its files', async () => {
    reports({
      'reports/weekly/2026-11-09T0600Z/report.html': 'FAILED',
      'reports/weekly/2026-11-16T0600Z/report.html': 'PENDING',
      'reports/weekly/2026-11-16T0600Z/report.json': 'COMPLETED',
      'reports/weekly/2026-11-23T0600Z/report.html': 'FAILED',
    });
    expect(await scheduledReportVaultCopy(client, BUCKET, 'weekly', 'reports/weekly/2026-11-23T0600Z/')).toEqual({
      problems: [],
      line: 'previous report reports/weekly/2026-11-16T0600Z/ in the vault: 1 of 2 file(s) COMPLETED, 1 still PENDING',
    });
    expect(s3.commandCalls(HeadObjectCommand).map((c) => c.args[0].input.Key)).toEqual([
      'reports/weekly/2026-11-16T0600Z/report.html',
      'reports/weekly/2026-11-16T0600Z/report.json',
    ]);
  });

  it('none before it: nothing to judge', async () => {
    reports({ 'reports/weekly/2026-11-23T0600Z/report.html': 'COMPLETED' });
    expect(await scheduledReportVaultCopy(client, BUCKET, 'weekly', 'reports/weekly/2026-11-23T0600Z/')).toBeUndefined();
  });

  it('a status it may not read is a problem, never a quiet pass', async () => {
    s3.on(ListObjectsV2Command).rejects(awsError('AccessDenied', 'Access Denied', 403));
    const r = await scheduledReportVaultCopy(client, BUCKET, 'monthly', 'reports/monthly/2026-12-01T0600Z/');
    expect(r?.problems).toEqual([expect.stringMatching(/^the vault copy of the previous monthly report was not checked: .*Access Denied/)]);
  });
});
