import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { countKeys, scanExpiryTimes, serverTime } from '../../adapters/redis/drill-scan.js';
import { createRedisConnection, type RedisClient } from '../../adapters/redis/connection.js';
import type { LogSink } from '../kernel/deps.js';
import { getRedisCredentials } from '../../adapters/aws/secrets.js';
import { formatExpiryHistogram, histogramOf } from '../../domain/rdb/expiry-histogram.js';
import { CANARY_KEY, MAX_TAG_CHARS, PROBE_EXPIRY_SCAN, type ProbeInput, type ProbeResult } from '../../domain/plans/probe.js';

/**
 * The snapshot probe (in the cache's VPC, invoked by the snapshot Lambda just
 * before it creates a snapshot): writes the canary key and counts keys. Both
 * end up in the snapshot's tags, so a restore drill can prove the restored
 * data is exactly that snapshot's. One SET of one key: the only write
 * redis-dr ever makes to a source cache. Then, within bounds, every key's
 * expiry time (SCAN + PEXPIRETIME), as a histogram for the snapshot's tags:
 * what a primary drill may subtract from the count.
 */

/** Everything a probe needs from the outside world. */
export interface ProbeDeps {
  readonly secrets: SecretsManagerClient;
  readonly log: LogSink;
  readonly connectTimeoutMs: number;
  /** Bounds of the expiry scan. @default PROBE_EXPIRY_SCAN */
  readonly expiryScan?: { readonly maxKeys: number; readonly maxSeconds: number };
}

/**
 * The keys' expiry times as a histogram based at `at` (the server's clock
 * just before the count), fitted to a tag value; `undefined`, logged, when
 * not recorded (too many keys, too slow, refused): never fails the probe.
 */
async function expiryHistogram(client: RedisClient, at: number, deps: ProbeDeps): Promise<string | undefined> {
  const bounds = deps.expiryScan ?? PROBE_EXPIRY_SCAN;
  try {
    const times = await scanExpiryTimes(client, bounds);
    if (times === undefined) {
      deps.log.warn('expiry times not recorded: more keys than the probe scans, or the scan outlasted its time', bounds);
      return undefined;
    }
    return formatExpiryHistogram(histogramOf(at, times), MAX_TAG_CHARS);
  } catch (err) {
    deps.log.warn('expiry times not recorded: the server refused the scan', { error: err instanceof Error ? err.message : String(err) });
    return undefined;
  }
}

/** Writes the canary (no expiry: it must be in the snapshot) and counts keys across databases and primaries. */
export async function runProbe(input: ProbeInput, deps: ProbeDeps): Promise<ProbeResult> {
  const credentials = input.authSecretArn ? await getRedisCredentials(deps.secrets, input.authSecretArn) : undefined;
  const client = await createRedisConnection({
    host: input.host,
    port: input.port,
    tls: input.tls,
    clusterMode: input.clusterMode,
    ...credentials,
    connectTimeoutMs: deps.connectTimeoutMs,
  });
  try {
    await client.set(CANARY_KEY, input.canary);
    if (input.waitReplicas && input.clusterMode === 'disabled') {
      const acked = Number(await client.call('WAIT', input.waitReplicas, 1000));
      if (acked < input.waitReplicas) deps.log.warn('replicas did not confirm the canary within 1 s', { acked, wanted: input.waitReplicas });
    }
    // The histogram's base: the server's clock just before the count (no histogram when it cannot be read).
    const at = await serverTime(client).then(
      (t) => t.earliest,
      () => undefined,
    );
    const keys = await countKeys(client);
    const expiries = at === undefined ? undefined : await expiryHistogram(client, at, deps);
    deps.log.info('probe wrote the canary', { host: input.host, keys, expiries: expiries ?? 'not recorded' });
    return { canary: input.canary, keys, ...(expiries !== undefined ? { expiries } : {}) };
  } finally {
    client.disconnect();
  }
}
