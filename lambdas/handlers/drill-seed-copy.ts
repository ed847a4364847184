/** Lambda entry point of the vault drill's seed copy: copy the verified replicas into the DR bucket, or delete the copies. */
import { S3Client } from '@aws-sdk/client-s3';
import { systemClock } from '../adapters/aws/retry.js';
import { SOCKET_BOUNDS, TUNING } from '../adapters/aws/client-config.js';
import { seedCopyEventSchema } from '../domain/vault/vault-seed.js';
import { runSeedCopy } from '../jobs/drills/drill-seed-copy.js';
import { awsClient, lambdaEntry, log } from './entry.js';

/** Its S3 client: a CopyObject or UploadPartCopy is silent until done, so no idle bound shorter than the function (SOCKET_BOUNDS.copyIdleMs). */
export const s3 = awsClient(S3Client, SOCKET_BOUNDS.copyIdleMs);

export const handler = lambdaEntry(seedCopyEventSchema, (event) =>
  runSeedCopy(event, { s3, log, clock: systemClock, throttleDelayMs: TUNING.throttleDelayMs }),
);
