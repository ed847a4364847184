/** Lambda entry point of verify-rdb (DR region): EventBridge delivers S3 object events for `.rdb` keys of the DR bucket. */
import { SNSClient } from '@aws-sdk/client-sns';
import { publishAlert } from '../adapters/alerts.js';
import { systemClock } from '../adapters/retry.js';
import { requiredEnv } from '../adapters/runtime.js';
import { s3ObjectEventSchema, verifyObject } from '../jobs/verify-rdb.js';
import { awsClient, lambdaEntry, log, metricsSink, scheduledDeps } from './entry.js';

const sns = awsClient(SNSClient);

export const handler = lambdaEntry(s3ObjectEventSchema, (event) => {
  const topicArn = requiredEnv('ALERT_TOPIC_ARN', 'the SNS topic corrupt copies are paged to');
  return verifyObject(event, {
    s3: scheduledDeps().s3,
    metrics: metricsSink,
    log,
    clock: systemClock,
    alert: (page) => publishAlert(sns, topicArn, page),
    where: { deployment: requiredEnv('REDIS_DR_DEPLOYMENT', 'the deployment name pages carry'), region: requiredEnv('AWS_REGION', 'set by Lambda') },
  });
});
