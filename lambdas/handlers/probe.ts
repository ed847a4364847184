/** Lambda entry point of the snapshot probe (in the caches' VPC; invoked synchronously by the snapshot Lambda). */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { probeInputSchema } from '../domain/plans/probe.js';
import { runProbe } from '../jobs/scheduled/probe.js';
import { awsClient, lambdaEntry, log } from './entry.js';

const secrets = awsClient(SecretsManagerClient);

export const handler = lambdaEntry(probeInputSchema, (input) => runProbe(input, { secrets, log, connectTimeoutMs: 10_000 }));
