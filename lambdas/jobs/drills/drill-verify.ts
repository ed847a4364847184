import type tls from 'node:tls';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { countKeys, readExpected, sampleKeys, scanHistogram, serverTime } from '../../adapters/redis/drill-scan.js';
import { createRedisConnection } from '../../adapters/redis/connection.js';
import type { LogSink } from '../kernel/deps.js';
import { getRedisCredentials } from '../../adapters/aws/secrets.js';
import type { RetryClock } from '../../adapters/aws/retry.js';
import type { DrillVerifyInput, DrillVerifyReport } from '../../domain/drills/drill.js';
import { drillReport } from '../../domain/drills/checks.js';

/**
 * verify step of the restore drill: connect to the restored cluster and
 * check it holds the snapshot's data (canary, key count, type histogram,
 * configured keys and values, random samples).
 *
 * The count is taken after the full scan, and the keys that expired by then
 * (server clock) are the only ones the checks let go missing.
 *
 * A failed check is a normal result (`ok: false`): the state machine branches
 * on it and still deletes the cluster. Only what prevents checking throws:
 * the secret cannot be read or parsed, the cluster cannot be reached or
 * refuses the credentials, the connection breaks, or the scan exceeds
 * `maxScanSeconds` (`ScanTimeoutError`). The time taken is returned as
 * `seconds`; the report step publishes it (as VerifySeconds), so this Lambda
 * writes no metrics.
 */

/** Production tuning (bench/README.md, verify-restore, measures scanCount). */
export const VERIFY_TUNING = { scanCount: 1000, maxScanSeconds: 600, connectTimeoutMs: 10_000 } as const;

/** Everything a verification needs from the outside world. */
export interface DrillVerifyDeps {
  readonly secrets: SecretsManagerClient;
  readonly log: LogSink;
  readonly clock: Pick<RetryClock, 'now'>;
  /** SCAN COUNT per batch. */
  readonly scanCount: number;
  /** The full scan fails with `ScanTimeoutError` after this long. */
  readonly maxScanSeconds: number;
  readonly connectTimeoutMs: number;
  /** Extra TLS settings (tests: a private CA). @default none */
  readonly tlsOptions?: tls.ConnectionOptions;
}

/** Verifies one restored cluster. */
export async function runDrillVerify(input: DrillVerifyInput, deps: DrillVerifyDeps): Promise<DrillVerifyReport> {
  const started = deps.clock.now();
  const credentials = input.authSecretArn ? await getRedisCredentials(deps.secrets, input.authSecretArn) : undefined;
  const endpoint = { host: input.host, port: input.port, tls: input.tls, clusterMode: input.clusterMode };
  deps.log.info('verifying restored cluster', { ...endpoint, auth: credentials ? (credentials.username ? 'rbac' : 'token') : 'none' });
  const client = await createRedisConnection({
    ...endpoint,
    ...credentials,
    tlsOptions: deps.tlsOptions,
    connectTimeoutMs: deps.connectTimeoutMs,
  });
  try {
    // Scan first: it deletes every key it touches past its expiry, so the count after it holds none expired before
    // the scan began. Both times by the server's clock: the one that expires keys.
    const from = (await serverTime(client)).earliest;
    const scan = await scanHistogram(client, { count: deps.scanCount, maxSeconds: deps.maxScanSeconds, now: () => deps.clock.now() });
    const dbsize = await countKeys(client);
    const window = { from, to: (await serverTime(client)).latest };
    const read = await readExpected(client, input.checks.expectKeys, Object.keys(input.checks.expectValues));
    const samples = input.checks.sampleSize > 0 ? await sampleKeys(client, input.checks.sampleSize) : [];
    const report = drillReport(input.expected, input.checks, { ...read, dbsize, scan, samples, window }, (deps.clock.now() - started) / 1000);
    const failed = report.checks.filter((c) => !c.ok);
    if (report.ok) deps.log.info('restored data verified', { ...endpoint, keys: report.keys, seconds: report.seconds });
    else deps.log.warn('restored data failed verification', { ...endpoint, keys: report.keys, failed });
    return report;
  } finally {
    client.disconnect();
  }
}
