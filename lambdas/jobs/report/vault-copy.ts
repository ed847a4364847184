/**
 * The vault copy of a scheduled report, judged by the replication status S3
 * keeps on its files in the DR bucket (`x-amz-replication-status`: the DR
 * bucket replicates `reports/` into the vault). One check for the scheduled
 * report (the previous report of its period) and `redis-dr report -c` (the
 * newest scheduled report of each period).
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-status.html
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { listObjects } from '../../adapters/aws/s3/objects.js';
import { objectReplicationStatus } from '../../adapters/aws/s3/bucket.js';
import { REPORTS_PREFIX } from '../../domain/report/input.js';
import { judgeVaultCopy, previousReportPrefix } from '../../domain/report/vault-copy.js';

/**
 * The newest report of `period` written before the report prefix `before`
 * (`<root>reports/<period>/<end>/`; `root` the account's `<account>/<region>/`
 * in an organization's vault, whose copy is the one replicated) and its files' replication status (HeadObject
 * on the source objects in the DR bucket), judged: a FAILED file is a
 * problem, PENDING and no status are said in the line. Undefined when there
 * is no such report. Never throws: a status it cannot read is a problem too,
 * never a quiet pass.
 */
export async function scheduledReportVaultCopy(
  s3: S3Client,
  bucket: string,
  period: 'weekly' | 'monthly',
  before: string,
  root = '',
): Promise<{ problems: string[]; line: string } | undefined> {
  try {
    const listed = await listObjects(s3, bucket, `${root}${REPORTS_PREFIX}${period}/`);
    const prefix = previousReportPrefix(
      listed.map((o) => o.key),
      period,
      before,
      root,
    );
    if (!prefix) return undefined;
    const keys = listed.map((o) => o.key).filter((k) => k.startsWith(prefix));
    const files = await Promise.all(keys.map(async (key) => ({ key, status: await objectReplicationStatus(s3, bucket, key) })));
    return judgeVaultCopy(prefix, files);
  } catch (err) {
    const problem = `the vault copy of the previous ${period} report was not checked: ${err instanceof Error ? err.message : String(err)}`;
    return { problems: [problem], line: problem };
  }
}
