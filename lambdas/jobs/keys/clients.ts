/**
 * The Redis sides of the key jobs (migrate, compare, backup, ship-aof) as an
 * operator names them: a URL checked before any connection (a bad one is a
 * {@link RedisUrlError}), shown without its password, and credentials read
 * from a Secrets Manager secret. The commands call these and hand the
 * result to the job; the SDK loads only when a secret is named.
 */
import type { RedisCredentials } from '../../adapters/aws/secrets.js';

export {
  type KeyspaceSpec,
  parseRedisUrl,
  RedisUrlError,
  redactUrl,
  type UrlCredentials,
} from '../../adapters/redis/dump-restore.js';

/** The Redis login in secret `arn` (read in `region`, the Lambdas' SDK settings). */
export async function secretCredentials(region: string, arn: string): Promise<RedisCredentials> {
  const [{ SecretsManagerClient }, { sdkClientConfig }, { getRedisCredentials }] = await Promise.all([
    import('@aws-sdk/client-secrets-manager'),
    import('../../adapters/aws/client-config.js'),
    import('../../adapters/aws/secrets.js'),
  ]);
  return getRedisCredentials(new SecretsManagerClient({ region, ...sdkClientConfig() }), arn);
}
