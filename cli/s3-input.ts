/** Reading an `.rdb` from S3 for `verify-rdb` (loaded only for s3:// locations). */
import { S3Client } from '@aws-sdk/client-s3';
import { errorName } from '../lambdas/adapters/errors';
import { openObject, parseS3Url } from '../lambdas/adapters/s3';

/**
 * Streams `s3://bucket/key` with the default credential chain (environment,
 * profile, SSO, instance role). The bucket's region is followed from S3's
 * redirect. With AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL set (an S3-compatible
 * store such as MinIO for self-managed Redis), path-style addressing is used.
 */
export async function openS3(url: string): Promise<{ body: AsyncIterable<Uint8Array>; size?: number }> {
  const parsed = parseS3Url(url);
  if (!parsed) throw new Error(`cannot read ${url}: write S3 locations as s3://<bucket>/<key>`);
  const customEndpoint = Boolean(process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL);
  const client = new S3Client({
    region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
    followRegionRedirects: true,
    forcePathStyle: customEndpoint,
  });
  try {
    const object = await openObject(client, parsed.bucket, parsed.key);
    return { body: object.body, size: object.size };
  } catch (err) {
    throw new Error(`cannot read ${url}: ${s3Problem(err)}`, { cause: err });
  }
}

function s3Problem(err: unknown): string {
  const name = errorName(err);
  if (name === 'NoSuchKey' || name === 'NotFound') return 'no such object';
  if (name === 'NoSuchBucket') return 'no such bucket';
  if (name === 'AccessDenied' || name === 'Forbidden') return 'access denied: check the credentials in use (aws sts get-caller-identity) and s3:GetObject on the object';
  if (name === 'CredentialsProviderError') return 'no AWS credentials found: set AWS_PROFILE, or run `aws sso login`, or export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY';
  return `${name}: ${err instanceof Error ? err.message : String(err)}`;
}

