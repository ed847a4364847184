/**
 * What the scheduled scrubs' tests share (dr-scrub.test.ts, vault-scrub.test.ts):
 * the RDB fixtures stored as copies, the job's S3 client forwarding every call
 * to moto through aws-sdk-client-mock (so the calls are recorded for the IAM
 * simulation while S3's answers are moto's), and the deps with a mocked SNS.
 */
import { join } from 'node:path';
import {
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client as RealS3Client,
  type S3Client,
} from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient as RealSNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { expect } from 'vitest';
import { publishAlert } from '../../../../lambdas/adapters/aws/alerts.js';
import type { Page } from '../../../../lambdas/domain/alerting/page.js';
import { type BucketScrubDeps, type BucketScrubRun, ScrubFailed } from '../../../../lambdas/jobs/scrub/bucket-scrub.js';

export const DAY = 86_400_000;
export const FIXTURES = join(__dirname, '../../../fixtures/rdb');
/** The fixtures with a CRC-64 (RDB 5+), and the keys redis-check-rdb counts in each (test/fixtures/rdb/README.md). */
export const COPIES: Record<string, number> = {
  'hash-ziplist.rdb': 1,
  'list-quicklist.rdb': 2,
  'zset-ziplist.rdb': 1,
  'scriptbackup.rdb': 0,
};

/** The job's S3 client: every command forwarded to `real` (moto) through aws-sdk-client-mock, so the calls are recorded. */
export function recordedS3(real: S3Client): S3Client {
  // A class of the SDK's name (the recorder names the service by it) whose mock leaves moto's own clients alone.
  const Recorded = class S3Client extends RealS3Client {};
  const m = mockClient(Recorded);
  for (const C of [ListObjectsV2Command, GetObjectTaggingCommand, HeadObjectCommand, GetObjectCommand, PutObjectCommand] as const)
    m.on(C as never).callsFake((input: object) => real.send(new (C as unknown as new (i: object) => Parameters<S3Client['send']>[0])(input)));
  return new Recorded({ region: 'us-east-1' });
}

/** Pages collected, each also published through the alert path to a mocked SNS topic (recorded). */
export function scrubDeps(s3: S3Client, at: Date, pages: Page[], extra: Partial<BucketScrubDeps> = {}): BucketScrubDeps {
  const Recorded = class SNSClient extends RealSNSClient {};
  mockClient(Recorded).on(PublishCommand).resolves({ MessageId: 'm-1' });
  const sns = new Recorded({ region: 'us-east-1' });
  return {
    s3,
    alert: async (p) => {
      await publishAlert(sns, 'arn:aws:sns:us-east-1:000000000000:redis-dr-alerts', p);
      pages.push(p);
    },
    where: { deployment: 'prod', region: 'eu-west-1' },
    log: { info: () => {}, warn: () => {}, error: () => {} },
    now: () => at,
    random: () => 0.5,
    ...extra,
  };
}

/** The run a failed scrub carries (ScrubFailed), the test failing when it did not fail. */
export async function failedRun(p: Promise<BucketScrubRun>): Promise<BucketScrubRun> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ScrubFailed);
  return (err as ScrubFailed).run;
}
