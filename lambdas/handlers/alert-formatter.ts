/** Lambda entry point of the alert formatter (both regions): the on-call EventBridge rule's target. */
import { SNSClient } from '@aws-sdk/client-sns';
import { publishAlert } from '../adapters/aws/alerts.js';
import { requiredEnv } from './env.js';
import { forwardAlert } from '../jobs/alerting/alert-formatter.js';
import { anyInput, awsClient, lambdaEntry, log } from './entry.js';

const sns = awsClient(SNSClient);

// Any event shape is accepted: the formatter pages even for one it does not know.
export const handler = lambdaEntry(anyInput, (event) => {
  const topicArn = requiredEnv('ONCALL_TOPIC_ARN', 'the SNS topic on-call subscribes to');
  const context = {
    deployment: requiredEnv('REDIS_DR_DEPLOYMENT', 'the deployment name, as in alarm names'),
    region: requiredEnv('AWS_REGION', 'set by Lambda'),
    runbookBaseUrl: process.env.RUNBOOK_BASE_URL || undefined,
  };
  return forwardAlert(event, { publish: (alert) => publishAlert(sns, topicArn, alert), log, context });
});
