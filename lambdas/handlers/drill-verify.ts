/**
 * Lambda entry point of the drill's verify task (in the VPC). Env:
 * REDIS_DR_MAX_SCAN_SECONDS (default 600; keep it below the function
 * timeout), REDIS_DR_SCAN_COUNT (default 1000).
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { systemClock } from '../adapters/aws/retry.js';
import { envInt } from './env.js';
import { drillVerifyInputSchema } from '../domain/drills/drill.js';
import { runDrillVerify, VERIFY_TUNING } from '../jobs/drills/drill-verify.js';
import { awsClient, lambdaEntry, log } from './entry.js';

const secrets = awsClient(SecretsManagerClient);

export const handler = lambdaEntry(drillVerifyInputSchema, (input) =>
  runDrillVerify(input, {
    secrets,
    log,
    clock: systemClock,
    scanCount: envInt('REDIS_DR_SCAN_COUNT', VERIFY_TUNING.scanCount),
    maxScanSeconds: envInt('REDIS_DR_MAX_SCAN_SECONDS', VERIFY_TUNING.maxScanSeconds),
    connectTimeoutMs: VERIFY_TUNING.connectTimeoutMs,
  }),
);
