/** Lambda entry point of the drill report: the drill state machine's last task. */
import { SNSClient } from '@aws-sdk/client-sns';
import { publishAlert } from '../adapters/aws/alerts.js';
import { requiredEnv } from './env.js';
import { drillReportEventSchema, reportDrill } from '../jobs/drills/drill-report.js';
import { awsClient, lambdaEntry, log, metricsSink } from './entry.js';

const sns = awsClient(SNSClient);

export const handler = lambdaEntry(drillReportEventSchema, (outcome) => {
  const topicArn = requiredEnv('ALERT_TOPIC_ARN', 'the SNS topic drill reports go to');
  return reportDrill(outcome, { publish: (alert) => publishAlert(sns, topicArn, alert), metrics: metricsSink, log });
});
