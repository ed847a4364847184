/**
 * `convert-rdb -o s3://bucket/key` (loaded only for s3:// outputs): the
 * object a verified local file becomes. The upload is the object store's
 * verified put (object-store-s3.ts: SHA-256 on every part, S3's checksum of
 * the object matched, `If-None-Match: *` unless replacing, nothing left on a
 * failure); the caller then reads the stored object back (pinned to the
 * ETag the put stored) through its own checks, and removes it when they fail.
 */
import { bucketExists, noSuchBucket, storageS3Client } from '../aws/s3/client.js';
import { parseS3Url } from '../aws/s3/objects.js';
import { type CutPut, S3ObjectStore, type StoredDeletion } from './object-store-s3.js';
import { checkKey } from './object-store.js';
import { openS3Object } from './s3-rdb.js';

/** One output object. */
export interface S3Output {
  readonly url: string;
  /** The object's name, for a local temporary file's. */
  readonly name: string;
  exists(): Promise<boolean>;
  /** Why the bucket cannot take the object when it is not there (with the fix), else undefined (HeadBucket; a bucket the caller may not list exists). */
  missingBucket(): Promise<string | undefined>;
  /**
   * Stores `body` (replacing an object there only with `replace`); resolves
   * once S3's checksum of the stored object matched the bytes sent. An
   * attempt whose answer was lost after S3 stored the object is told from
   * another writer's by the put's mark (S3PutOptions.mark): its own counts.
   * @throws KeyExistsError when another writer's object is there (or appears) without `replace`; PutError otherwise
   *   (`unsettled`: whether S3 stored an object of the put could not be told)
   */
  put(body: AsyncIterable<Uint8Array>, replace: boolean, signal?: AbortSignal): Promise<void>;
  /** The stored object's bytes, read again from S3 (ranged GETs pinned to its ETag). */
  read(): Promise<AsyncIterable<Uint8Array>>;
  /**
   * Removes the object this output's put stored, only while it is still that one (`If-Match` on the put's ETag:
   * another writer's object that replaced it meanwhile is left as it is): says which.
   */
  remove(): Promise<StoredDeletion>;
  /** When a signal cut {@link put} short: what it left at the key (S3PutOptions.onCut); else undefined. */
  cut(): CutPut | undefined;
  /** Why the key cannot be written (an empty, `.` or `..` part, which the store refuses: checkKey), with the key to write instead. */
  readonly keyProblem?: string;
}

/** The output object `url` names, or undefined when it names none (`s3://<bucket>/<key>`). */
export function s3Output(url: string): S3Output | undefined {
  const parsed = parseS3Url(url);
  if (!parsed || parsed.key.endsWith('/')) return undefined;
  const { bucket, key } = parsed;
  const client = storageS3Client();
  const store = new S3ObjectStore(client, bucket, '');
  /** The ETag of the object {@link S3Output.put} stored: what read and remove hold to. */
  let stored: string | undefined;
  let cut: CutPut | undefined;
  return {
    url,
    ...keyProblemOf(bucket, key),
    name: key.slice(key.lastIndexOf('/') + 1),
    exists: () => store.exists(key),
    missingBucket: async () => ((await bucketExists(client, bucket)) ? undefined : noSuchBucket(bucket)),
    put: async (body, replace, signal) => {
      // Marked: a PUT whose answer was lost after S3 stored it is told from another writer's object (S3PutOptions.mark).
      stored = (
        await store.put(key, body, {
          ifExists: replace ? 'replace' : 'fail',
          mark: true,
          onCut: (left) => {
            cut = left;
          },
          ...(signal ? { signal } : {}),
        })
      ).etag;
    },
    // The object this put stored, or ObjectReplacedError: a read-back of another writer's object proves nothing of ours.
    read: async () => (await openS3Object(url, stored === undefined ? {} : { etag: stored })).read(),
    remove: () => store.deleteIfStill(key, stored),
    cut: () => cut,
  };
}

/** `{ keyProblem }` when `key` has a part the store refuses (checkKey), naming the key it most likely means; else nothing. */
function keyProblemOf(bucket: string, key: string): { keyProblem?: string } {
  try {
    checkKey(key);
    return {};
  } catch {
    const parts: string[] = [];
    for (const p of key.split('/')) {
      if (p === '..') parts.pop();
      else if (p !== '' && p !== '.') parts.push(p);
    }
    // Nothing left (`a/..`): s3://<bucket>/ is no object either.
    const meant =
      parts.length > 0 ? `write it as s3://${bucket}/${parts.join('/')}` : `it names no object under s3://${bucket}/; write it as s3://${bucket}/<key>.rdb`;
    return { keyProblem: `the key ${key} has an empty, "." or ".." part (redis-dr writes no such key); ${meant}` };
  }
}
