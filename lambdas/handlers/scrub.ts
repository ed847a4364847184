/**
 * Lambda entry point of the DR scrub (DR region): EventBridge Scheduler
 * invokes it daily; it fails (so the schedule's failure is counted and the
 * function's error alarm fires) when any copy re-read was bad.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { publishAlert } from '../adapters/aws/alerts.js';
import { s3ClientConfig } from '../adapters/aws/client-config.js';
import { drScrubInputSchema } from '../domain/scrub/input.js';
import { runDrScrub, twinIn } from '../jobs/scrub/dr-bucket.js';
import { requiredEnv } from './env.js';
import { awsClient, lambdaEntry, log, scheduledDeps, tracer } from './entry.js';

const sns = awsClient(SNSClient);

export const handler = lambdaEntry(drScrubInputSchema, (input) => {
  const topicArn = requiredEnv('ALERT_TOPIC_ARN', 'the SNS topic bad copies are paged to');
  const { primary } = input;
  return runDrScrub(input, {
    s3: scheduledDeps().s3,
    ...(primary ? { twin: twinIn(tracer.captureAWSv3Client(new S3Client({ region: primary.region, ...s3ClientConfig() })), primary.bucket) } : {}),
    alert: (page) => publishAlert(sns, topicArn, page),
    where: { deployment: requiredEnv('REDIS_DR_DEPLOYMENT', 'the deployment name pages carry'), region: requiredEnv('AWS_REGION', 'set by Lambda') },
    log,
  });
});
