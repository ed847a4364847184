import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { countKeys, createRedisConnection } from '../adapters/redis.js';
import type { LogSink } from '../adapters/runtime.js';
import { getRedisCredentials } from '../adapters/secrets.js';
import { CANARY_KEY, type ProbeInput, type ProbeResult } from '../domain/probe.js';

/**
 * The snapshot probe (in the cache's VPC, invoked by the snapshot Lambda just
 * before it creates a snapshot): writes the canary key and counts keys. Both
 * end up in the snapshot's tags, so a restore drill can prove the restored
 * data is exactly that snapshot's. One SET of one key: the only write
 * redis-dr ever makes to a source cache.
 */

/** Everything a probe needs from the outside world. */
export interface ProbeDeps {
  readonly secrets: SecretsManagerClient;
  readonly log: LogSink;
  readonly connectTimeoutMs: number;
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
    const keys = await countKeys(client);
    deps.log.info('probe wrote the canary', { host: input.host, keys });
    return { canary: input.canary, keys };
  } finally {
    client.disconnect();
  }
}
