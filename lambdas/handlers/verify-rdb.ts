/**
 * Lambda entry point of verify-rdb (DR region): one step of the verify state
 * machine, which EventBridge starts for S3 object events of `.rdb` keys of
 * the DR bucket and which invokes this until the verification is done.
 */
import { SNSClient } from '@aws-sdk/client-sns';
import { publishAlert } from '../adapters/aws/alerts.js';
import { systemClock } from '../adapters/aws/retry.js';
import { envInt, requiredEnv } from './env.js';
import { VAULT_RETENTION_ENV, type VaultTierDays } from '../domain/vault/vault-retention.js';
import { TIERS } from '../domain/plans/types.js';
import { verifyStep, verifyStepSchema } from '../jobs/dr-copies/verify-rdb.js';
import { awsClient, lambdaEntry, log, metricsSink, scheduledDeps } from './entry.js';

const sns = awsClient(SNSClient);

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

/**
 * Each plan's `collapseThresholdPct`, from REDIS_DR_COLLAPSE_THRESHOLDS (JSON
 * `{"<plan>": <pct>}`, set by the DR stack); a value that is no such object
 * fails the invocation naming it.
 */
export function collapseThresholds(raw = process.env.REDIS_DR_COLLAPSE_THRESHOLDS): Record<string, number> {
  if (raw === undefined || raw === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    parsed = undefined;
  }
  const ok =
    typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) && Object.values(parsed).every((v) => typeof v === 'number' && v >= 0 && v <= 100);
  if (!ok)
    throw new Error(
      `REDIS_DR_COLLAPSE_THRESHOLDS must be a JSON object of plan name to a percentage 0..100, got ${JSON.stringify(raw)}: redeploy the DR stack`,
    );
  return parsed as Record<string, number>;
}

/**
 * The vault's COMPLIANCE days per tier, from {@link VAULT_RETENTION_ENV};
 * `undefined` when unset (the DR region's verifier touches no retention). A
 * value that is not every tier's whole days fails the invocation naming it.
 */
export function vaultRetention(raw = process.env[VAULT_RETENTION_ENV]): VaultTierDays | undefined {
  if (raw === undefined || raw === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    parsed = undefined;
  }
  const o = parsed as Record<string, unknown> | undefined;
  const ok = typeof o === 'object' && o !== null && TIERS.every((t) => Number.isInteger(o[t]) && (o[t] as number) >= 1);
  if (!ok)
    throw new Error(
      `${VAULT_RETENTION_ENV} must be a JSON object of each tier (${TIERS.join(', ')}) to whole days >= 1, got ${JSON.stringify(raw)}: redeploy the vault stack`,
    );
  return Object.fromEntries(TIERS.map((t) => [t, o[t] as number])) as VaultTierDays;
}

export const handler = lambdaEntry(verifyStepSchema, (input, context) => {
  const topicArn = requiredEnv('ALERT_TOPIC_ARN', 'the SNS topic corrupt copies are paged to');
  const now = systemClock.now();
  const retention = vaultRetention();
  return verifyStep(input, {
    s3: scheduledDeps().s3,
    metrics: metricsSink,
    log,
    clock: systemClock,
    deadline: now + Math.max(0, (context?.getRemainingTimeInMillis() ?? 15 * 60_000) - VERIFY_RESERVE_MS),
    reads: reads(),
    collapseThresholdPct: collapseThresholds(),
    retention,
    // The vault (its verifier alone has the retention days): verdicts are objects, replicated tags are not trusted.
    vaultVerdicts: retention !== undefined,
    alert: (page) => publishAlert(sns, topicArn, page),
    where: { deployment: requiredEnv('REDIS_DR_DEPLOYMENT', 'the deployment name pages carry'), region: requiredEnv('AWS_REGION', 'set by Lambda') },
  });
});
