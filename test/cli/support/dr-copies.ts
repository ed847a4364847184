import { ACCOUNT, type fakeAws } from './fake-aws.js';

/** The DR bucket of the drills fixture config (`example` in eu-central-1). */
export const DR_BUCKET = `redis-dr-example-${ACCOUNT}-eu-central-1`;
/** Its export bucket in the primary region (eu-west-1), replicated to {@link DR_BUCKET}. */
export const PRIMARY_BUCKET = `redis-dr-example-${ACCOUNT}-eu-west-1`;

/**
 * A DR copy in the fake account's DR bucket (or `bucket`): `shards` objects
 * of export `exportName` but those in `absent`, tagged as the export and
 * verify-rdb Lambdas leave them (`verified: null`: not verified yet).
 */
export function putDrCopy(
  aws: ReturnType<typeof fakeAws>,
  exportName: string,
  o: { shards?: number; verified?: 'ok' | 'corrupt' | null; engine?: string; bucket?: string; absent?: readonly number[] } = {},
): void {
  const of = o.shards ?? 1;
  const name = o.bucket ?? DR_BUCKET;
  const bucket = aws.state.objects.get(name) ?? new Map();
  aws.state.objects.set(name, bucket);
  for (let shard = 1; shard <= of; shard++) {
    if (o.absent?.includes(shard)) continue;
    const pad = (n: number) => String(n).padStart(4, '0');
    const tags: Record<string, string> = {
      'redis-dr:plan': 'sessions',
      'redis-dr:tier': 'daily',
      'redis-dr:created': '2026-11-21T06:00:42.000Z',
      'redis-dr:shard': `${pad(shard)}/${pad(of)}`,
      'redis-dr:engine': o.engine ?? 'valkey 8.0',
    };
    if (o.verified !== null) {
      tags['redis-dr:verified'] = o.verified ?? 'ok';
      tags['redis-dr:rdb'] = o.verified === 'corrupt' ? 'v=11 keys=0 expires=0 error@9=bad crc' : 'v=11 keys=10 expires=1 string=10';
    }
    bucket.set(`${exportName}-${pad(shard)}.rdb`, tags);
  }
}
