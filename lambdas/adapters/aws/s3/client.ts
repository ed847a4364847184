/**
 * The one builder of the S3 clients the CLI uses outside a deployment's
 * regions: backup and AOF destinations, `s3://` RDB sources, any
 * S3-compatible endpoint included.
 */
import { HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { s3ClientConfig } from '../client-config.js';
import { errorName, httpStatus } from '../errors.js';

/** Options of {@link storageS3Client}. */
export interface StorageS3Options {
  /** An S3-compatible endpoint (`--s3-endpoint`): path-style addressing. Else AWS, the bucket's region followed from S3's redirect. */
  readonly endpoint?: string;
  /** Requests in flight at once (ranged reads): the sockets each agent allows. @default 50 (the SDK's) */
  readonly concurrency?: number;
}

const storageClients = new Map<string, S3Client>();

/**
 * The S3 client of a destination or source named by URL rather than by a
 * deployment: the default credential chain, the region from AWS_REGION or
 * AWS_DEFAULT_REGION (else us-east-1, the bucket's own followed by
 * redirect), our retry schedule, and path-style addressing for an endpoint
 * given here or in AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL. One client per
 * setting for the whole process, so many objects share connections.
 */
export function storageS3Client(options: StorageS3Options = {}): S3Client {
  const region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const sockets = Math.max(50, options.concurrency ?? 0);
  const envEndpoint = process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
  // The SDK reads the endpoint from the environment when a client is made: a changed one gets its own client.
  const key = [region, sockets, options.endpoint ?? '', envEndpoint ?? ''].join(' ');
  let client = storageClients.get(key);
  if (!client) {
    const config = s3ClientConfig();
    client = new S3Client({
      ...config,
      region,
      ...(options.endpoint ? { endpoint: options.endpoint, forcePathStyle: true } : { followRegionRedirects: true }),
      requestHandler: { ...config.requestHandler, httpAgent: { maxSockets: sockets }, httpsAgent: { maxSockets: sockets } },
    });
    storageClients.set(key, client);
  }
  return client;
}

/** What a read of a bucket that is not there says, with the fix (one wording wherever an S3 location is read). */
export const noSuchBucket = (bucket: string): string => `no such bucket ${bucket}: check the bucket name (aws s3 ls lists yours)`;

/**
 * Whether `err`, a HeadObject's failure, is a 404 because `bucket` itself is
 * not there: a HEAD's 404 has no body to tell a missing object from a
 * missing bucket, so HeadBucket tells them apart (any fault of that call:
 * not known to be missing).
 */
export async function headFoundNoBucket(client: S3Client, bucket: string, err: unknown): Promise<boolean> {
  if (httpStatus(err) !== 404) return false;
  return !(await bucketExists(client, bucket).catch(() => true));
}

/**
 * Whether `bucket` exists, as HeadBucket says: false only for a bucket that
 * is not there (404, NoSuchBucket, NotFound); a bucket the caller may not
 * read (403) exists. Other faults (the network, credentials) are thrown, for
 * the caller's own words.
 */
export async function bucketExists(client: S3Client, bucket: string): Promise<boolean> {
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }));
    return true;
  } catch (err) {
    const name = errorName(err);
    const status = httpStatus(err);
    if (name === 'NotFound' || name === 'NoSuchBucket' || status === 404) return false;
    if (status === 403) return true;
    throw err;
  }
}
