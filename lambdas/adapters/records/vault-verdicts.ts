import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  parseVaultVerdict,
  trustedVaultTags,
  type ReplicaVersion,
  type VaultVerdict,
  vaultVerdictBody,
  vaultVerdictKey,
  verdictNamesReplica,
} from '../../domain/vault/vault-verdict.js';
import type { CallWrapper } from '../aws/elasticache.js';
import { errorName } from '../aws/errors.js';
import { PutError } from '../storage/object-store.js';
import { S3ObjectStore } from '../storage/object-store-s3.js';
import { getObjectTags } from '../aws/s3/objects.js';

/**
 * The vault verifier's verdict objects (domain/vault/vault-verdict.ts):
 * written and read back by the vault's verify-rdb, read by the drill from the
 * vault and the vault's freshness monitor. `expectedOwner` (the vault
 * account) makes S3 refuse a bucket of the same name owned by anyone else.
 */

const direct: CallWrapper = (call) => call();
const ABSENT = new Set(['NoSuchKey', 'NotFound']);

/** Options of every call here. */
export interface VaultReadOptions {
  readonly wrap?: CallWrapper;
  /** The vault account: S3 refuses the call when another account owns the bucket. */
  readonly expectedOwner?: string;
}

/** What {@link readVaultVerdict} found: a verdict, or why there is none (no object, or one that is not a verdict). */
export type StoredVaultVerdict = { readonly verdict: VaultVerdict } | { readonly verdict?: undefined; readonly absent: string };

/** The verdict object of `replicaKey`, parsed; `absent` says why there is none. Other errors (AccessDenied, throttling) throw. */
export async function readVaultVerdict(s3: S3Client, bucket: string, replicaKey: string, options: VaultReadOptions = {}): Promise<StoredVaultVerdict> {
  const key = vaultVerdictKey(replicaKey);
  let body: string;
  try {
    const out = await (options.wrap ?? direct)(() => s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, ExpectedBucketOwner: options.expectedOwner })));
    body = (await out.Body?.transformToString('utf8')) ?? '';
  } catch (err) {
    if (ABSENT.has(errorName(err))) return { absent: `no verdict object s3://${bucket}/${key}` };
    throw err;
  }
  const parsed = parseVaultVerdict(body);
  if ('problem' in parsed) return { absent: `s3://${bucket}/${key} is not a verdict: ${parsed.problem}` };
  return { verdict: parsed.verdict };
}

/**
 * Writes a verdict object through the object store's verified put
 * ({@link S3ObjectStore}: PutObject with its SHA-256, then HeadObject reads
 * S3's checksum back), replacing the one there: it counts as stored only when
 * S3 holds the bytes written. A mismatch (another verification wrote the
 * object meanwhile) is an Error the state machine retries; the store's delete
 * of the unproven object is refused in the vault (nobody deletes there:
 * VaultBucket), the store swallows that refusal, and the retry replaces the
 * object. Readers judge a verdict by the replica version it names.
 * @throws Error when the write fails or the read-back does not match
 */
export async function writeVaultVerdict(s3: S3Client, bucket: string, verdict: VaultVerdict, options: VaultReadOptions = {}): Promise<string> {
  const key = vaultVerdictKey(verdict.replica.key);
  const store = new S3ObjectStore(s3, bucket, '', undefined, options.expectedOwner);
  try {
    await (options.wrap ?? direct)(() => store.put(key, Buffer.from(vaultVerdictBody(verdict)), { ifExists: 'replace', contentType: 'application/json' }));
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

/** The replica's current version (HeadObject; `versionId` pins one). */
export async function replicaVersion(
  s3: S3Client,
  bucket: string,
  key: string,
  options: VaultReadOptions & { versionId?: string } = {},
): Promise<ReplicaVersion> {
  const out = await (options.wrap ?? direct)(() =>
    s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, VersionId: options.versionId, ExpectedBucketOwner: options.expectedOwner })),
  );
  return { key, versionId: out.VersionId, etag: out.ETag, size: out.ContentLength ?? 0 };
}

/**
 * The verdict that holds for a replica now: its verdict object, when it names
 * the replica's current version; else `absent` says why not.
 */
export async function currentVaultVerdict(s3: S3Client, bucket: string, key: string, options: VaultReadOptions = {}): Promise<StoredVaultVerdict> {
  const [current, stored] = await Promise.all([replicaVersion(s3, bucket, key, options), readVaultVerdict(s3, bucket, key, options)]);
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

/**
 * A vault replica's tags as readers may use them
 * ({@link trustedVaultTags}): the replicated tags without any verdict tag,
 * and the verdict of {@link currentVaultVerdict} in their place when there is one.
 */
export async function vaultReplicaTags(s3: S3Client, bucket: string, key: string, options: VaultReadOptions = {}): Promise<Record<string, string>> {
  const [tags, stored] = await Promise.all([
    getObjectTags(s3, bucket, key, undefined, options.wrap, options.expectedOwner),
    currentVaultVerdict(s3, bucket, key, options),
  ]);
  return trustedVaultTags(tags, stored.verdict);
}
