/**
 * The newest selftest record of a deployment (the DR bucket's
 * `selftest/<time>.json`), in one line for `redis-dr status`: a deployment
 * that passed its selftest says so; a record that cannot be read is said,
 * never taken for a pass.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { describeError } from '../../adapters/aws/errors.js';
import { readNewestSelftestRecord } from '../../adapters/records/selftest-records.js';
import { type SelftestSummary, summarizeSelftest } from '../../domain/selftest/steps.js';

/** The newest record's summary, or `unread` with why. */
export async function latestSelftest(s3: S3Client, bucket: string): Promise<SelftestSummary | { readonly verdict: 'unread'; readonly line: string }> {
  try {
    const found = await readNewestSelftestRecord(s3, bucket);
    return summarizeSelftest(found?.record, found?.key);
  } catch (err) {
    return { verdict: 'unread', line: `selftest record not read from s3://${bucket}/selftest/: ${describeError(err)}` };
  }
}
