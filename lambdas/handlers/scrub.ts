/**
 * Lambda entry point of the scheduled scrub, in the DR region (the DR
 * bucket) and in the vault (the vault bucket, `place: vault`): EventBridge
 * Scheduler invokes it daily; it fails (so the schedule's failure is counted
 * and the function's error alarm fires) when any copy re-read was bad, or
 * when it stopped at its time budget with part of its sample not re-read (PARTIAL).
 */
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { publishAlert } from '../adapters/aws/alerts.js';
import { kmsSigner } from '../adapters/aws/kms-signer.js';
import { s3ClientConfig } from '../adapters/aws/client-config.js';
import { drScrubInputSchema } from '../domain/scrub/input.js';
import { runDrScrub, twinIn } from '../jobs/scrub/dr-bucket.js';
import { runVaultScrub } from '../jobs/scrub/vault-bucket.js';
import { requiredEnv } from './env.js';
import { awsClient, lambdaEntry, log, scheduledDeps, tracer } from './entry.js';

const sns = awsClient(SNSClient);
const kms = awsClient(KMSClient);

export const handler = lambdaEntry(drScrubInputSchema, async (input, context) => {
  // The deployment's evidence key (lib/constructs/evidence-key.ts): each run's record is signed into the place's chain.
  const evidenceKey = process.env.EVIDENCE_KEY_ARN;
  const topicArn = requiredEnv('ALERT_TOPIC_ARN', 'the SNS topic bad copies are paged to');
  const deps = {
    s3: scheduledDeps().s3,
    alert: (page: Parameters<typeof publishAlert>[2]) => publishAlert(sns, topicArn, page),
    where: { deployment: requiredEnv('REDIS_DR_DEPLOYMENT', 'the deployment name pages carry'), region: requiredEnv('AWS_REGION', 'set by Lambda') },
    log,
    // Stops in time to page and to write a PARTIAL record: a run killed at its timeout would write nothing.
    ...(context ? { remainingMs: () => context.getRemainingTimeInMillis() } : {}),
    ...(evidenceKey ? { signer: await kmsSigner(kms, evidenceKey) } : {}),
  };
  if (input.place === 'vault') return runVaultScrub(input, deps);
  const { primary } = input;
  return runDrScrub(input, {
    ...deps,
    ...(primary ? { twin: twinIn(tracer.captureAWSv3Client(new S3Client({ region: primary.region, ...s3ClientConfig() })), primary.bucket) } : {}),
  });
});
