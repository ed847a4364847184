/** The AOF destination an option names (`--to` of ship-aof, `--from` of restore-aof). */
import { S3Client } from '@aws-sdk/client-s3';
import { FileAofStore, S3AofStore, type AofStore } from '../lambdas/adapters/storage/aof-store';
import { parseDestination } from '../lambdas/adapters/storage/backup-store';
import { sdkClientConfig } from '../lambdas/adapters/aws/runtime';
import { UsageError } from './usage';

/** The store `url` names, or a usage error naming `option` and what to write. */
export function openAofStore(option: string, url: string, s3Endpoint: string | undefined): AofStore {
  const dest = parseDestination(url);
  if (!dest) throw new UsageError(`${option} ${url} is not a destination: write file:///absolute/dir or s3://bucket/prefix`);
  if (dest.kind === 'file') {
    if (s3Endpoint) throw new UsageError(`--s3-endpoint ${s3Endpoint} is for s3:// destinations, and ${option} is ${url}: drop --s3-endpoint`);
    return new FileAofStore(dest.dir);
  }
  if (s3Endpoint !== undefined && !/^https?:\/\/[^/]+/.test(s3Endpoint)) {
    throw new UsageError(`--s3-endpoint ${s3Endpoint} is not an http(s) URL: write e.g. http://127.0.0.1:9000`);
  }
  const client = new S3Client({
    ...sdkClientConfig(),
    region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
    ...(s3Endpoint ? { endpoint: s3Endpoint, forcePathStyle: true } : { followRegionRedirects: true }),
  });
  return new S3AofStore(client, dest.bucket, dest.prefix);
}
