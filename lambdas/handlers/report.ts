/** Lambda entry point of the scheduled DR report (DR region): EventBridge Scheduler invokes it weekly and monthly. */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { KMSClient } from '@aws-sdk/client-kms';
import { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { publishAlert } from '../adapters/aws/alerts.js';
import { kmsSigner } from '../adapters/aws/kms-signer.js';
import { s3ClientConfig, sdkClientConfig } from '../adapters/aws/client-config.js';
import { reportInputSchema } from '../domain/report/input.js';
import type { ScheduledDeps } from '../jobs/kernel/deps.js';
import { runScheduledReport } from '../jobs/report/scheduled-report.js';
import { requiredEnv } from './env.js';
import { awsClient, lambdaEntry, scheduledDeps, tracer } from './entry.js';

const sns = awsClient(SNSClient);
const kms = awsClient(KMSClient);
const here = process.env.AWS_REGION;
const clients = new Map<string, unknown>();

/** A client of `region` (this region's traced ones from entry.ts; the primary region's made once). */
function inRegion<C>(kind: string, region: string, make: () => C): C {
  const key = `${kind}@${region}`;
  if (!clients.has(key)) clients.set(key, make());
  return clients.get(key) as C;
}

function regionDeps(region: string): ScheduledDeps {
  const deps = scheduledDeps();
  if (region === here) return deps;
  return inRegion('deps', region, () => ({
    ...deps,
    elasticache: tracer.captureAWSv3Client(new ElastiCacheClient({ region, ...sdkClientConfig() })),
    tagging: tracer.captureAWSv3Client(new ResourceGroupsTaggingAPIClient({ region, ...sdkClientConfig() })),
    s3: tracer.captureAWSv3Client(new S3Client({ region, ...s3ClientConfig() })),
  }));
}

export const handler = lambdaEntry(reportInputSchema, async (input) => {
  const topicArn = requiredEnv('ONCALL_TOPIC_ARN', 'the SNS topic the report line goes to');
  // The deployment's evidence key (lib/constructs/evidence-key.ts): report.json is signed into its period's chain.
  const evidenceKey = process.env.EVIDENCE_KEY_ARN;
  const deps = scheduledDeps();
  return runScheduledReport(input, {
    aws: {
      clock: deps.clock,
      deps: regionDeps,
      sfn: (region) => inRegion('sfn', region, () => tracer.captureAWSv3Client(new SFNClient({ region, ...sdkClientConfig() }))),
      cloudwatch: (region) => inRegion('cw', region, () => tracer.captureAWSv3Client(new CloudWatchClient({ region, ...sdkClientConfig() }))),
      vaultS3: (region) => regionDeps(region).s3,
    },
    s3: deps.s3,
    publish: (alert) => publishAlert(sns, topicArn, alert),
    log: deps.log,
    ...(evidenceKey ? { signer: await kmsSigner(kms, evidenceKey) } : {}),
  });
});
