/** Reading an `.rdb` from S3 for `verify-rdb` (loaded only for s3:// locations). */
import { headFoundNoBucket, noSuchBucket, storageS3Client } from '../aws/s3/client.js';
import { errorName, httpStatus } from '../aws/errors.js';
import { getObjectTags, listObjects, parseS3Url } from '../aws/s3/objects.js';
import { headObject, readRanges, type ObjectIdentity } from '../aws/s3/ranges.js';
import { parseExportObjectKey, parseShardTag } from '../../domain/points/export-objects.js';
import type { ShardFile } from '../../domain/keys/shard-set.js';
import { TAGS } from '../../domain/plans/types.js';
import { s3UrlFix } from '../../domain/keys/s3-url-meant.js';
import { ObjectReplacedError } from './object-store.js';

/**
 * An `s3://` location that names nothing this caller may read (no such bucket
 * or object, access denied, no credentials): the operator's input or
 * credentials are wrong, nothing was read. Jobs turn it into their usage error
 * (exit 2), as a missing local file is.
 */
export class S3LocationError extends Error {
  override readonly name = 'S3LocationError';
  constructor(
    message: string,
    /** Why, without the location (`no such object`, `no such bucket …`): for a caller that names the location its own way. */
    readonly why: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** `message` as an {@link S3LocationError} when `err` says the location names nothing readable, else as an Error. */
function located(err: unknown, message: string, why: string): Error {
  return locationProblem(err) ? new S3LocationError(message, why, { cause: err }) : new Error(message, { cause: err });
}

/** How `verify-rdb` reads an object. */
export interface S3ReadOptions {
  /** Ranged GETs in flight at once (1 = one sequential stream). @default 8 */
  readonly concurrency?: number;
  /** Bytes per ranged GET (the adapter's default, 8 MiB, unless a test makes parts small). */
  readonly partBytes?: number;
  /**
   * The object must be this one (the ETag a put of this process stored): another there throws
   * {@link ObjectReplacedError}, and the reads are pinned to it.
   */
  readonly etag?: string;
}

/** Whether two ETags name one object (S3 gives them quoted; a caller may not). */
const sameEtag = (a: string | undefined, b: string): boolean => a !== undefined && a.replace(/"/g, '') === b.replace(/"/g, '');

/**
 * Streams `s3://bucket/key` with the default credential chain (environment,
 * profile, SSO, instance role): a HeadObject for its size and ETag, then
 * `concurrency` ranged GETs at once, each with If-Match on that ETag (an
 * object replaced meanwhile fails instead of mixing two objects' bytes),
 * yielded in order. No VersionId is sent, so s3:GetObject is all it needs.
 * The bucket's region is followed from S3's redirect. With AWS_ENDPOINT_URL_S3
 * / AWS_ENDPOINT_URL set (an S3-compatible store such as MinIO for
 * self-managed Redis), path-style addressing is used.
 */
export async function openS3(url: string, options: S3ReadOptions = {}): Promise<{ body: AsyncIterable<Uint8Array>; size?: number }> {
  const object = await openS3Object(url, options);
  return { body: object.read(), size: object.size };
}

/**
 * {@link openS3}, for a reader that reads the object more than once
 * (`migrate --from-rdb`: verify, then restore): one HeadObject, and every
 * `read()` pinned to that ETag, so a replaced object fails the later read
 * (ObjectChangedError) instead of mixing two objects.
 */
export async function openS3Object(url: string, options: S3ReadOptions = {}): Promise<{ size: number; read(): AsyncIterable<Uint8Array> }> {
  const parsed = parseS3Url(url);
  if (!parsed) throw new Error(`cannot read ${url}: ${s3UrlFix(url, 's3://<bucket>/<key>')}`);
  const concurrency = options.concurrency ?? 8;
  const client = storageS3Client({ concurrency });
  let object: ObjectIdentity;
  try {
    object = await headObject(client, parsed.bucket, parsed.key);
  } catch (err) {
    const missingBucket = await headFoundNoBucket(client, parsed.bucket, err);
    const why = missingBucket ? noSuchBucket(parsed.bucket) : s3Problem(err);
    throw located(err, `cannot read ${url}: ${why}`, why);
  }
  if (options.etag !== undefined && !sameEtag(object.etag, options.etag)) throw new ObjectReplacedError(url);
  const read = () =>
    explained(
      url,
      readRanges(client, {
        bucket: parsed.bucket,
        key: parsed.key,
        etag: object.etag,
        end: object.size,
        concurrency,
        partBytes: options.partBytes,
      }),
    );
  return { size: object.size, read };
}

/**
 * The `.rdb` objects an `s3://` location names, each with its
 * `redis-dr:shard` tag when it has one: `s3://bucket/<key>.rdb` is that
 * object; `s3://bucket/<export name>` (no `.rdb`) is every shard of that
 * export (`<export name>-0001.rdb`, …; an export started again,
 * `<export name>-r2-…`, is another export and is not included), or that
 * one object when no shard bears the name.
 */
export async function s3ShardFiles(url: string, endpoint?: string): Promise<ShardFile[]> {
  const parsed = parseS3Url(url);
  if (!parsed || parsed.key === '')
    throw new Error(`cannot read ${url}: ${s3UrlFix(url, 's3://<bucket>/<key>.rdb, or s3://<bucket>/<export name> for every shard of an export')}`);
  const client = storageS3Client(endpoint ? { endpoint } : {});
  const { bucket } = parsed;
  const key = parsed.key.replace(/\/+$/, '');
  let keys: string[];
  /** Later attempts of the same snapshot's export (`<name>-r2`, …) the listing found. */
  let attempts: string[] = [];
  /** Said of a missing object when the location was also looked up as an export's name and no shards were found. */
  let noShards = '';
  if (key.endsWith('.rdb')) keys = [key];
  else {
    const exportName = key.slice(key.lastIndexOf('/') + 1);
    let listed: string[];
    try {
      listed = (await listObjects(client, bucket, `${key}-`)).map((o) => o.key);
    } catch (err) {
      throw located(err, `cannot list s3://${bucket}/${key}-*: ${s3Problem(err, bucket)}`, s3Problem(err, bucket));
    }
    const named = listed.map((k) => ({ k, parsed: parseExportObjectKey(k.slice(k.lastIndexOf('/') + 1)) }));
    keys = named.filter((n) => n.parsed?.exportName === exportName).map((n) => n.k);
    const later = named
      .filter((n) => n.parsed && n.parsed.snapshot === exportName && n.parsed.attempt > 1)
      .sort((a, b) => a.parsed!.attempt - b.parsed!.attempt);
    attempts = [...new Set(later.map((n) => n.parsed!.exportName))];
    // No shards of that name: the location is one object whose key does not end in .rdb (HeadObject says if not).
    if (keys.length === 0) {
      keys = [key];
      // Shard-like objects under a name no redis-dr export has (an export made by hand): named, not said to be absent.
      const byHand = listed.filter((k) => /^-\d{4}\.rdb$/.test(k.slice(key.length)));
      noShards =
        byHand.length > 0
          ? ` (${byHand.length} object${byHand.length === 1 ? '' : 's'} ${exportName}-NNNN.rdb beside it, but ${exportName} is not a redis-dr export's name, ` +
            `rdr-<target>-<yyyymmdd>-<hhmm>, so they are not taken as one recovery point: give each object, s3://${bucket}/${byHand[0]})`
          : ` (and no ${exportName}-NNNN.rdb shard objects beside it)`;
    }
  }
  const files = await Promise.all(
    keys.map(async (k) => {
      let tags: Record<string, string> = {};
      try {
        tags = await getObjectTags(client, bucket, k);
      } catch (err) {
        // Without s3:GetObjectTagging the shard count is unknown: checkShardSet then asks for --shards.
        if (!['AccessDenied', 'Forbidden'].includes(errorName(err))) {
          const why = `${s3Problem(err, bucket)}${errorName(err) === 'NoSuchKey' ? noShards : ''}`;
          throw located(err, `cannot read the tags of s3://${bucket}/${k}: ${why}`, why);
        }
      }
      const tag = parseShardTag(tags[TAGS.shard]);
      const snapshot = tags[TAGS.snapshot];
      return { location: `s3://${bucket}/${k}`, name: k.slice(k.lastIndexOf('/') + 1), ...(tag ? { tag } : {}), ...(snapshot ? { snapshot } : {}) };
    }),
  );
  if (attempts.length > 0 && files.some((f) => !f.tag)) {
    // Untagged objects of a first attempt beside a later one: the leftovers of an export started again.
    throw new Error(
      `s3://${bucket}/${key} holds untagged objects of an export that was started again (${attempts.join(', ')}): ` +
        `they are the leftovers of a half-finished attempt; give s3://${bucket}/${key.slice(0, key.lastIndexOf('/') + 1)}${attempts[attempts.length - 1]}`,
    );
  }
  return files;
}

/** The bytes, with a failure while reading named as the CLI names a failure to open. */
async function* explained(url: string, source: AsyncGenerator<Uint8Array>): AsyncGenerator<Uint8Array> {
  try {
    yield* source;
  } catch (err) {
    // Messages of the adapter name the object, the byte range and the cause (ObjectChangedError: the ETag).
    throw new Error(`cannot read ${url} to its end: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/** Whether `err` says the location names nothing the caller may read (see {@link S3LocationError}), not that reading failed. */
function locationProblem(err: unknown): boolean {
  return (
    /^(NoSuchKey|NotFound|NoSuchBucket|AccessDenied|Forbidden|CredentialsProviderError)$/.test(errorName(err)) || [403, 404].includes(httpStatus(err) ?? 0)
  );
}

function s3Problem(err: unknown, bucket?: string): string {
  const name = errorName(err);
  // A HEAD answer has no body, so no error code: the SDK names a 404 NotFound and a 403 only `Unknown`.
  const status = httpStatus(err);
  if (name === 'NoSuchKey' || name === 'NotFound') return 'no such object';
  if (name === 'NoSuchBucket') return bucket === undefined ? 'no such bucket' : noSuchBucket(bucket);
  if (name === 'AccessDenied' || name === 'Forbidden' || status === 403)
    return 'access denied: check the credentials in use (aws sts get-caller-identity) and s3:GetObject on the object';
  if (name === 'CredentialsProviderError')
    return 'no AWS credentials found: set AWS_PROFILE, or run `aws sso login`, or export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY';
  return `${name}: ${err instanceof Error ? err.message : String(err)}`;
}
