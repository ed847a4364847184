import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  type CopyReading,
  judgeCopyVerdict,
  parseVerdictObject,
  type ReplicaVersion,
  trustedVerdictTags,
  type VerdictObject,
  type VerdictPlace,
  verdictNamesReplica,
  verdictObjectBody,
  verdictObjectKey,
} from '../../domain/points/verdict-objects.js';
import type { CallWrapper } from '../aws/elasticache.js';
import { errorName } from '../aws/errors.js';
import { PutError } from '../storage/object-store.js';
import { S3ObjectStore } from '../storage/object-store-s3.js';
import { getObjectTags } from '../aws/s3/objects.js';

/**
 * The verifiers' verdict objects (domain/points/verdict-objects.ts), in the
 * DR bucket and the vault: written and read back by verify-rdb, read by
 * every reader that trusts a copy's verdict (status, doctor, report, the
 * drills' and restore's choice, freshness, verify-copy, export, scrub, the
 * collapse tripwire). `expectedOwner` (the vault account) makes S3 refuse a
 * bucket of the same name owned by anyone else.
 */

const direct: CallWrapper = (call) => call();
const ABSENT = new Set(['NoSuchKey', 'NotFound']);

/** Options of every call here. */
export interface VerdictReadOptions {
  readonly wrap?: CallWrapper;
  /** The bucket's account: S3 refuses the call when another account owns the bucket. */
  readonly expectedOwner?: string;
}
/** The vault's name for {@link VerdictReadOptions}. */
export type VaultReadOptions = VerdictReadOptions;

/** What {@link readVerdictObject} found: a verdict, or why there is none (no object, or one that is not a verdict). */
export type StoredVerdict = { readonly verdict: VerdictObject } | { readonly verdict?: undefined; readonly absent: string };
/** The vault's name for {@link StoredVerdict}. */
export type StoredVaultVerdict = StoredVerdict;

/** The verdict object of `copyKey` in `place`'s bucket, parsed; `absent` says why there is none. Other errors (AccessDenied, throttling) throw. */
export async function readVerdictObject(
  s3: S3Client,
  bucket: string,
  place: VerdictPlace,
  copyKey: string,
  options: VerdictReadOptions = {},
): Promise<StoredVerdict> {
  const key = verdictObjectKey(place, copyKey);
  let body: string;
  try {
    const out = await (options.wrap ?? direct)(() => s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, ExpectedBucketOwner: options.expectedOwner })));
    body = (await out.Body?.transformToString('utf8')) ?? '';
  } catch (err) {
    if (ABSENT.has(errorName(err))) return { absent: `no verdict object s3://${bucket}/${key}` };
    throw err;
  }
  const parsed = parseVerdictObject(body);
  if ('problem' in parsed) return { absent: `s3://${bucket}/${key} is not a verdict: ${parsed.problem}` };
  if (parsed.verdict.replica.key !== copyKey) return { absent: `s3://${bucket}/${key} is the verdict of ${parsed.verdict.replica.key}, not of ${copyKey}` };
  return { verdict: parsed.verdict };
}

/** The vault's verdict object of `replicaKey` ({@link readVerdictObject}). */
export function readVaultVerdict(s3: S3Client, bucket: string, replicaKey: string, options: VerdictReadOptions = {}): Promise<StoredVerdict> {
  return readVerdictObject(s3, bucket, 'vault', replicaKey, options);
}

/**
 * Writes a verdict object through the object store's verified put
 * ({@link S3ObjectStore}: PutObject with its SHA-256, then HeadObject reads
 * S3's checksum back), replacing the one there: it counts as stored only when
 * S3 holds the bytes written. A mismatch (another verification wrote the
 * object meanwhile) is an Error the state machine retries. Readers judge a
 * verdict by the copy version it names. `body`: the text to store (a signed
 * verdict's, with its attestation); default the verdict's own.
 * @throws Error when the write fails or the read-back does not match
 */
export async function writeVerdictObject(
  s3: S3Client,
  bucket: string,
  place: VerdictPlace,
  verdict: VerdictObject,
  options: VerdictReadOptions & { readonly body?: string } = {},
): Promise<string> {
  const key = verdictObjectKey(place, verdict.replica.key);
  const store = new S3ObjectStore(s3, bucket, '', undefined, options.expectedOwner);
  try {
    await (options.wrap ?? direct)(() =>
      store.put(key, Buffer.from(options.body ?? verdictObjectBody(verdict)), { ifExists: 'replace', contentType: 'application/json' }),
    );
  } catch (err) {
    const stage = err instanceof PutError ? err.stage : 'write';
    const cause = err instanceof PutError ? err.cause : err;
    const message = cause instanceof Error ? cause.message : String(cause);
    // A plain Error whatever the cause: the state machine retries every error but its give-up one.
    throw new Error(
      stage === 'read-back'
        ? `verdict object s3://${bucket}/${key} written but not read back as written (another verification wrote it meanwhile? The state machine retries): ${message}`
        : `verdict object s3://${bucket}/${key} not written: ${message}`,
      { cause },
    );
  }
  return key;
}

/** The vault's {@link writeVerdictObject}. */
export function writeVaultVerdict(s3: S3Client, bucket: string, verdict: VerdictObject, options: VerdictReadOptions = {}): Promise<string> {
  return writeVerdictObject(s3, bucket, 'vault', verdict, options);
}

/** The copy's current version (HeadObject; `versionId` pins one). */
export async function replicaVersion(
  s3: S3Client,
  bucket: string,
  key: string,
  options: VerdictReadOptions & { versionId?: string } = {},
): Promise<ReplicaVersion> {
  const out = await (options.wrap ?? direct)(() =>
    s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, VersionId: options.versionId, ExpectedBucketOwner: options.expectedOwner })),
  );
  return { key, versionId: out.VersionId, etag: out.ETag, size: out.ContentLength ?? 0 };
}

/**
 * The verdict that holds for a copy now: its verdict object, when it names
 * the copy's current version; else `absent` says why not.
 */
export async function currentVerdict(s3: S3Client, bucket: string, place: VerdictPlace, key: string, options: VerdictReadOptions = {}): Promise<StoredVerdict> {
  const [current, stored] = await Promise.all([replicaVersion(s3, bucket, key, options), readVerdictObject(s3, bucket, place, key, options)]);
  if (!stored.verdict) return stored;
  if (!verdictNamesReplica(stored.verdict, current)) {
    return {
      absent:
        `the verdict of s3://${bucket}/${key} is about version ${stored.verdict.replica.versionId} (ETag ${stored.verdict.replica.etag}), ` +
        `not the current ${current.versionId ?? '(none)'} (ETag ${current.etag ?? '(none)'}): not verified yet`,
    };
  }
  return stored;
}

/** The vault's {@link currentVerdict}. */
export function currentVaultVerdict(s3: S3Client, bucket: string, key: string, options: VerdictReadOptions = {}): Promise<StoredVerdict> {
  return currentVerdict(s3, bucket, 'vault', key, options);
}

/**
 * A vault replica's tags as readers may use them
 * ({@link trustedVerdictTags}): the replicated tags without any verdict tag,
 * and the verdict of {@link currentVaultVerdict} in their place when there is one.
 */
export async function vaultReplicaTags(s3: S3Client, bucket: string, key: string, options: VerdictReadOptions = {}): Promise<Record<string, string>> {
  const [tags, stored] = await Promise.all([
    getObjectTags(s3, bucket, key, undefined, options.wrap, options.expectedOwner),
    currentVaultVerdict(s3, bucket, key, options),
  ]);
  return trustedVerdictTags(tags, stored.verdict);
}

/**
 * A DR copy as readers may use it (judgeCopyVerdict): its tags with the
 * verdict of its verdict object naming its current version; a verdict tag
 * without one is `unproven`, and `untrusted` says why.
 */
export async function readDrCopy(s3: S3Client, bucket: string, key: string, options: VerdictReadOptions = {}): Promise<CopyReading> {
  const [tags, stored] = await Promise.all([
    getObjectTags(s3, bucket, key, undefined, options.wrap, options.expectedOwner),
    currentVerdict(s3, bucket, 'dr', key, options),
  ]);
  return judgeCopyVerdict(tags, stored.verdict, stored.verdict ? undefined : stored.absent);
}

/** A DR copy's trusted tags ({@link readDrCopy}). */
export async function drCopyTags(s3: S3Client, bucket: string, key: string, options: VerdictReadOptions = {}): Promise<Record<string, string>> {
  return (await readDrCopy(s3, bucket, key, options)).tags;
}

/** A copy's trusted tags in the DR bucket or the vault: {@link drCopyTags} or {@link vaultReplicaTags}. */
export function trustedCopyTags(
  s3: S3Client,
  bucket: string,
  key: string,
  place: VerdictPlace,
  options: VerdictReadOptions = {},
): Promise<Record<string, string>> {
  return place === 'vault' ? vaultReplicaTags(s3, bucket, key, options) : drCopyTags(s3, bucket, key, options);
}
