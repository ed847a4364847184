/**
 * Lambda entry point of verify-rdb (DR region, and the vault): one step of
 * the verify state machine, which EventBridge starts for S3 object events of
 * `.rdb` keys of the DR (or vault) bucket and which invokes this until the
 * verification is done.
 */
import { KMSClient } from '@aws-sdk/client-kms';
import { SNSClient } from '@aws-sdk/client-sns';
import { publishAlert } from '../adapters/aws/alerts.js';
import { kmsSigner } from '../adapters/aws/kms-signer.js';
import type { AsyncSigner } from '../domain/attest/chain.js';
import { systemClock } from '../adapters/aws/retry.js';
import { envInt, requiredEnv } from './env.js';
import { settingsDeps, verifyInvocationSchema, verifyStep } from '../jobs/dr-copies/verify-rdb.js';
import { awsClient, lambdaEntry, log, metricsSink, scheduledDeps } from './entry.js';

const sns = awsClient(SNSClient);
const kms = awsClient(KMSClient);
/** The evidence key's signer, asked for its public key once per container (a failure is not kept: the next step asks again). */
let signer: Promise<AsyncSigner> | undefined;
function evidenceSigner(keyArn: string): Promise<AsyncSigner> {
  signer ??= kmsSigner(kms, keyArn).catch((err: unknown) => {
    signer = undefined;
    throw err;
  });
  return signer;
}

/**
 * Time each invocation keeps after it stops reading: the verifier reads on
 * to the next key boundary (a key of hundreds of MB takes seconds), then
 * tags, counts and pages.
 */
export const VERIFY_RESERVE_MS = 120_000;

/**
 * Ranged GETs: 8 MiB parts, 8 at once (64 MiB held at most) unless
 * REDIS_DR_VERIFY_PART_BYTES / REDIS_DR_VERIFY_READS say otherwise
 * (bench/README.md, "verify-rdb from S3", measures them).
 */
const reads = () => ({ partBytes: envInt('REDIS_DR_VERIFY_PART_BYTES', 8 * 1024 * 1024), concurrency: envInt('REDIS_DR_VERIFY_READS', 8) });

// The plans' settings come with every invocation, from the state machine's task (lib/constructs/dr-copies.ts).
export const handler = lambdaEntry(verifyInvocationSchema, async ({ step, settings }, context) => {
  const topicArn = requiredEnv('ALERT_TOPIC_ARN', 'the SNS topic corrupt copies are paged to');
  // The evidence key of this stack (lib/constructs/evidence-key.ts: the DR stack's, the vault's): each verdict is signed
  // into its bucket's verdict chain.
  const evidenceKey = process.env.EVIDENCE_KEY_ARN;
  const now = systemClock.now();
  return verifyStep(step, {
    ...(evidenceKey ? { signer: await evidenceSigner(evidenceKey) } : {}),
    s3: scheduledDeps().s3,
    metrics: metricsSink,
    log,
    clock: systemClock,
    deadline: now + Math.max(0, (context?.getRemainingTimeInMillis() ?? 15 * 60_000) - VERIFY_RESERVE_MS),
    reads: reads(),
    // The vault (its verifier alone is sent the retention days): verdicts are objects, replicated tags are not trusted.
    ...settingsDeps(settings),
    alert: (page) => publishAlert(sns, topicArn, page),
    where: { deployment: requiredEnv('REDIS_DR_DEPLOYMENT', 'the deployment name pages carry'), region: requiredEnv('AWS_REGION', 'set by Lambda') },
  });
});
