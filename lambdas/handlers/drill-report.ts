/** Lambda entry point of the drill report: the drill state machine's last task. */
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { publishAlert } from '../adapters/aws/alerts.js';
import { s3ClientConfig, sdkClientConfig } from '../adapters/aws/client-config.js';
import { kmsSigner } from '../adapters/aws/kms-signer.js';
import { requiredEnv } from './env.js';
import { drillReportEventSchema, reportDrill } from '../jobs/drills/drill-report.js';
import { awsClient, lambdaEntry, log, metricsSink, tracer } from './entry.js';

const sns = awsClient(SNSClient);

/**
 * The deployment's evidence (lib/constructs/evidence-key.ts), when it has a DR bucket: the key (its ARN, or in the
 * primary region its alias's ARN in the DR region), the DR bucket and its region. Clients of the DR region.
 */
const evidenceKey = process.env.EVIDENCE_KEY_ARN;
const evidenceBucket = process.env.EVIDENCE_BUCKET;
const evidenceRegion = process.env.EVIDENCE_REGION ?? process.env.AWS_REGION;
/** With an organization's vault: `<account>/<DR region>/`, where each record is kept a second time (it replicates into the vault). */
const evidenceOrgRoot = process.env.EVIDENCE_ORG_ROOT;
const kms = evidenceKey ? tracer.captureAWSv3Client(new KMSClient({ region: evidenceRegion, ...sdkClientConfig() })) : undefined;
const s3 = evidenceKey ? tracer.captureAWSv3Client(new S3Client({ region: evidenceRegion, ...s3ClientConfig() })) : undefined;

export const handler = lambdaEntry(drillReportEventSchema, async (outcome) => {
  const topicArn = requiredEnv('ALERT_TOPIC_ARN', 'the SNS topic drill reports go to');
  const evidence =
    evidenceKey && kms && s3
      ? {
          s3,
          bucket: evidenceBucket ?? requiredEnv('EVIDENCE_BUCKET', 'the DR bucket drill records go to'),
          signer: await kmsSigner(kms, evidenceKey),
          ...(evidenceOrgRoot ? { orgRoot: evidenceOrgRoot } : {}),
        }
      : undefined;
  return reportDrill(outcome, { publish: (alert) => publishAlert(sns, topicArn, alert), metrics: metricsSink, log, ...(evidence ? { evidence } : {}) });
});
