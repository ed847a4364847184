/**
 * The S3 driver of the object store (object-store.ts): keys under a prefix
 * of a bucket, any S3-compatible store. Loaded only for s3:// destinations.
 */
import { createHash, randomUUID } from 'node:crypto';
import { addAbortSignal, Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { errorName, httpStatus } from '../aws/errors.js';
import { getObjectTags, listObjects } from '../aws/s3/objects.js';
import { PartDigests, verifyS3ReadBack } from './s3-read-back.js';
import { checkKey, KeyExistsError, PutError, storeError, type ObjectStore, type PutOptions, type PutResult, type StoredObject } from './object-store.js';

/** Part size and parts in flight of a multipart upload. */
export interface UploadShape {
  readonly partBytes: number;
  readonly queueSize: number;
}

/** {@link PutOptions} of the S3 driver. */
export interface S3PutOptions extends PutOptions {
  /**
   * Replace the object only while its ETag is this one (`If-Match`, S3
   * conditional writes; `ifExists` is then not used): S3 refuses the put
   * (PutError, its cause PreconditionFailed or ConditionalRequestConflict)
   * when another writer replaced or deleted it meanwhile.
   */
  readonly ifMatch?: string;
  /**
   * The put carries a mark of its own ({@link PUT_MARK} metadata, random per put): when its answer is lost after S3
   * stored the object (the SDK sends it again and that attempt meets it, 412 under a condition, or every attempt's
   * answer is lost), the object at the key is looked at, and when it bears this put's mark it is this put's, read
   * back as any put's object is (its length and SHA-256 against the bytes sent) and the put resolves with it; another
   * writer's object (no mark, or another) is what the put's error says, as without the mark.
   */
  readonly mark?: boolean;
  /**
   * With {@link mark}: when `signal` cut the put short, the object at the key is looked at, and the put's own (S3 had
   * stored it: the answer was under way) is removed while it is still that one; this says what was found. The put
   * then throws the signal's reason, as any cut put does.
   */
  readonly onCut?: (left: CutPut) => void;
}

/**
 * What a put cut short by its signal left ({@link S3PutOptions.onCut}): `removed` (S3 had stored it; removed),
 * `none` (no object of the put at the key), `unknown` (it could not be looked at or removed: the object may be there).
 */
export type CutPut = 'removed' | 'none' | 'unknown';

/** Whether S3 answered the only attempt of a request with a 4xx error (the SDK's retries did not try it again). */
function refusedOnce(err: unknown): boolean {
  const status = httpStatus(err);
  const attempts = (err as { $metadata?: { attempts?: number } } | undefined)?.$metadata?.attempts;
  return attempts === 1 && status !== undefined && status >= 400 && status < 500;
}

/** The metadata (`x-amz-meta-…`) naming the put that stored an object, when it was put with {@link S3PutOptions.mark}. */
export const PUT_MARK = 'redis-dr-put';

/** Errors S3 gives for a key that is not there (GetObject: NoSuchKey; HeadObject: NotFound). */
const MISSING = ['NoSuchKey', 'NotFound'];
/** What taking back a stored object did: removed it, left another writer's object that replaced it, or found none. */
export type StoredDeletion = 'removed' | 'replaced' | 'gone';

/** What a store that does not do conditional deletes answers a DeleteObject with `If-Match` (an older S3-compatible store). */
const NO_CONDITIONAL_DELETE = ['NotImplemented'];

/**
 * An S3 prefix. A whole body is one PutObject with `ChecksumSHA256` (S3
 * refuses bytes that do not match); a stream one multipart upload
 * (lib-storage's Upload) with SHA-256 checksums on every part, completed
 * only after `commit()` accepted the last byte and aborted otherwise, so no
 * partial object is left. `ifExists` `fail`/`skip` send `If-None-Match: *`
 * (PutObject and CompleteMultipartUpload): a key already there is never
 * replaced. Then the object is read back: HeadObject with checksum mode,
 * its length and S3's SHA-256 — of the whole object for one PUT
 * (FULL_OBJECT), or the composite `<SHA-256 of the parts' digests>-<parts>`
 * matched against the part digests taken while streaming; a store that
 * reports no checksum has the object read again. A mismatch deletes it,
 * only while it is still the object this put stored (`If-Match` on its ETag:
 * a concurrent writer's object stays).
 *
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html
 */
export class S3ObjectStore implements ObjectStore {
  readonly url: string;
  constructor(
    readonly client: S3Client,
    readonly bucket: string,
    /** Empty, or ending in `/`. */
    readonly prefix: string,
    private readonly upload: UploadShape = { partBytes: 16 * 1024 * 1024, queueSize: 4 },
    /**
     * The bucket's account, sent as `ExpectedBucketOwner` on every object
     * call: S3 refuses the call when another account owns a bucket of that
     * name (the vault's verdicts). Unset: no check.
     */
    readonly expectedOwner?: string,
  ) {
    this.url = `s3://${bucket}/${prefix}`;
  }

  location(key: string): string {
    return `${this.url}${key}`;
  }

  /** The object key of `key`. */
  key(key: string): string {
    checkKey(key);
    return this.prefix + key;
  }

  async put(key: string, body: Uint8Array | AsyncIterable<Uint8Array>, options: S3PutOptions = {}): Promise<PutResult> {
    const { ifExists = 'fail', commit, signal, tags, contentType, ifMatch } = options;
    const mark = options.mark ? randomUUID() : undefined;
    const metadata = mark === undefined ? options.metadata : { ...options.metadata, [PUT_MARK]: mark };
    const Key = this.key(key);
    const location = this.location(key);
    const conditional = ifMatch !== undefined ? { IfMatch: ifMatch } : ifExists === 'replace' ? {} : { IfNoneMatch: '*' };
    const headers = {
      ...this.owner(),
      ...(tags ? { Tagging: new URLSearchParams(tags as Record<string, string>).toString() } : {}),
      ...(contentType ? { ContentType: contentType } : {}),
      ...(metadata && Object.keys(metadata).length > 0 ? { Metadata: { ...metadata } } : {}),
    };
    const whole = createHash('sha256');
    const parts = new PartDigests(this.upload.partBytes);
    let partDigests: Buffer[] | undefined;
    let bytes = 0;
    // The ETag S3 gave the object this put stored: a failed read-back deletes that object, never another writer's.
    let stored: string | undefined;
    try {
      signal?.throwIfAborted();
      if (body instanceof Uint8Array) {
        whole.update(body);
        bytes = body.byteLength;
        commit?.();
        const digest = createHash('sha256').update(body).digest('base64');
        // One request, one part, whatever its length: its checksum is of the whole object. The algorithm named too:
        // a bucket with a default Object Lock retention (the DR bucket) refuses a put without it or a Content-MD5.
        partDigests = [Buffer.from(digest, 'base64')];
        // No abortSignal on the request: a PUT aborted once S3 has its body may still be done there after the put looked
        // for its object (its object then left, the caller told nothing is). The signal is heeded once S3 has answered.
        const put = await this.client.send(
          new PutObjectCommand({
            Bucket: this.bucket,
            Key,
            Body: body,
            ContentLength: bytes,
            ChecksumAlgorithm: 'SHA256',
            ChecksumSHA256: digest,
            ...conditional,
            ...headers,
          }),
        );
        stored = put?.ETag;
        signal?.throwIfAborted();
      } else {
        async function* judged(): AsyncGenerator<Uint8Array> {
          for await (const chunk of body as AsyncIterable<Uint8Array>) {
            whole.update(chunk);
            parts.update(chunk);
            bytes += chunk.byteLength;
            yield chunk;
          }
          // Throwing here fails the upload before it completes: S3 never shows the object.
          commit?.();
        }
        // A signal stops the body (the stream destroyed, also while a read stalls), not the Upload: see below.
        const source = Readable.from(judged());
        const upload = new Upload({
          client: this.client,
          params: { Bucket: this.bucket, Key, Body: signal ? addAbortSignal(signal, source) : source, ChecksumAlgorithm: 'SHA256', ...conditional, ...headers },
          partSize: this.upload.partBytes,
          queueSize: this.upload.queueSize,
          leavePartsOnError: false,
        });
        // A signal stops the body (addAbortSignal), not the Upload: upload.abort() rejects done() at once while the
        // requests under way go on (a PUT or CompleteMultipartUpload S3 then does after the object was looked for, the
        // AbortMultipartUpload sent after the caller said nothing is left). The body failing makes lib-storage wait
        // for its requests and abort the multipart upload; one whose body was all sent ends, and is taken back below.
        stored = (await upload.done())?.ETag;
        signal?.throwIfAborted();
      }
    } catch (err) {
      if (signal?.aborted) {
        if (mark !== undefined) options.onCut?.(await this.cutPut(Key, mark));
        else if (stored !== undefined) await this.deleteStored(Key, stored).catch(() => undefined);
        throw signal.reason;
      }
      // An attempt whose answer was lost may have stored the object: this put's own (its mark) is read back below. A put
      // S3 refused on its only attempt (a 4xx answer, not tried again) stored nothing: not looked for.
      stored = mark === undefined || refusedOnce(err) ? undefined : await this.markedBy(Key, mark, err);
      if (stored === undefined) {
        if (errorName(err) === 'PreconditionFailed' && ifMatch === undefined && ifExists !== 'replace') {
          if (ifExists === 'skip') return { written: false, bytes: 0, sha256: '', location, how: 's3-full-object-checksum' };
          throw new KeyExistsError(this.url, key);
        }
        throw new PutError('write', err);
      }
    }
    const sha256 = whole.digest('hex');
    try {
      const { how, etag } = await verifyS3ReadBack(
        this.client,
        this.bucket,
        Key,
        location,
        { bytes, sha256 },
        partDigests ?? parts.digests(),
        () => this.getStream(key),
        this.expectedOwner,
      );
      return { written: true, bytes, sha256, location, how, ...(etag === undefined ? {} : { etag }) };
    } catch (err) {
      // The object this put created goes: never one that was not proven. A delete that fails (a bucket
      // where nobody may delete, as the vault's; the network) is swallowed, so the error the caller sees
      // is always the read-back's, never the cleanup's.
      await this.deleteStored(Key, stored).catch(() => undefined);
      throw new PutError('read-back', err);
    }
  }

  /**
   * The ETag of the object at `Key` when it bears `mark` (a put whose answer was lost stored it), else undefined (no
   * object, or another writer's). A HeadObject that fails leaves it unknown: PutError `unsettled`, `err` its cause.
   */
  private async markedBy(Key: string, mark: string, err: unknown): Promise<string | undefined> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key, ...this.owner() }));
      return head?.Metadata?.[PUT_MARK] === mark ? head.ETag : undefined;
    } catch (headErr) {
      if (MISSING.includes(errorName(headErr))) return undefined;
      // A HEAD's error has no body: its status says more than the SDK's UnknownError.
      const status = httpStatus(headErr);
      const why = `${headErr instanceof Error ? headErr.message : String(headErr)}${status === undefined ? '' : `, HTTP ${status}`}`;
      throw new PutError(
        'unsettled',
        new Error(`${err instanceof Error ? err.message : String(err)}; whether S3 stored it could not be told (HeadObject: ${why})`, { cause: err }),
      );
    }
  }

  /** What a put with `mark` cut short left at `Key`: its own object, looked for by the mark, removed while still it. */
  private async cutPut(Key: string, mark: string): Promise<CutPut> {
    try {
      const etag = await this.markedBy(Key, mark, new Error('cut short'));
      if (etag === undefined) return 'none';
      const done = await this.deleteStored(Key, etag);
      return done === 'removed' ? 'removed' : 'none';
    } catch {
      return 'unknown';
    }
  }

  /**
   * Deletes the object a put stored, only while it is still that object:
   * `DeleteObject` with `If-Match: <its ETag>`. Under `ifExists: 'replace'`
   * or a lease taken over, another writer may have replaced it between the
   * PUT and the read-back: S3 then answers 412 PreconditionFailed (404 when
   * the key is gone) and that writer's object stays. A store that refuses
   * conditional deletes (NotImplemented) has the object looked at again and
   * deleted only while its ETag is still the put's. That leaves a window of
   * one round trip (a writer replacing it between that HeadObject and the
   * DeleteObject loses its object), against the whole read-back without it.
   * A store that ignores `If-Match` on a delete cannot be told apart here.
   * With no ETag from the put (no S3 store gives none), the delete is plain.
   * Says what it did: `removed`, `replaced` (another object is there: left
   * as it is) or `gone` (nothing there).
   * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-deletes.html
   */
  private async deleteStored(Key: string, etag: string | undefined): Promise<StoredDeletion> {
    const remove = async (ifMatch?: string): Promise<StoredDeletion> => {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key, ...this.owner(), ...(ifMatch === undefined ? {} : { IfMatch: ifMatch }) }));
      return 'removed';
    };
    if (etag === undefined) return remove();
    try {
      return await remove(etag);
    } catch (err) {
      const name = errorName(err);
      if (name === 'PreconditionFailed') return 'replaced';
      if (MISSING.includes(name)) return 'gone';
      if (!NO_CONDITIONAL_DELETE.includes(name)) throw err;
    }
    let now: string | undefined;
    try {
      now = (await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key, ...this.owner() })))?.ETag;
    } catch (err) {
      if (MISSING.includes(errorName(err))) return 'gone';
      throw err;
    }
    return now === etag ? remove() : 'replaced';
  }

  /**
   * Deletes `key` only while it is the object a put of this process stored ({@link PutResult.etag}; see
   * {@link deleteStored}): a caller taking back what it stored, after the put's read-back held.
   */
  deleteIfStill(key: string, etag: string | undefined): Promise<StoredDeletion> {
    return this.deleteStored(this.key(key), etag);
  }

  /** `ExpectedBucketOwner`, when the bucket's account is known. */
  private owner(): { ExpectedBucketOwner?: string } {
    return this.expectedOwner === undefined ? {} : { ExpectedBucketOwner: this.expectedOwner };
  }

  async get(key: string): Promise<Buffer> {
    const r = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(key), ...this.owner() }));
    return Buffer.from((await r.Body?.transformToByteArray()) ?? new Uint8Array());
  }

  async getStream(key: string): Promise<AsyncIterable<Uint8Array>> {
    const r = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(key), ...this.owner() }));
    return (r.Body as AsyncIterable<Uint8Array> | undefined) ?? (async function* () {})();
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.key(key), ...this.owner() }));
      return true;
    } catch (err) {
      if (MISSING.includes(errorName(err))) return false;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(key), ...this.owner() }));
  }

  /** In S3's order (by key: ListObjectsV2 lists keys in UTF-8 binary order). */
  async list(): Promise<StoredObject[]> {
    return (await listObjects(this.client, this.bucket, this.prefix, undefined, this.expectedOwner))
      .filter((o) => o.key.length > this.prefix.length)
      .map((o) => ({ key: o.key.slice(this.prefix.length), bytes: o.size }));
  }

  /** Aborts the multipart uploads a killed run left under the prefix (their parts are billed until then): of `ours` keys only, when given. */
  async sweep(ours?: (key: string) => boolean): Promise<string[]> {
    const removed: string[] = [];
    try {
      let KeyMarker: string | undefined;
      let UploadIdMarker: string | undefined;
      do {
        const page = await this.client.send(new ListMultipartUploadsCommand({ Bucket: this.bucket, Prefix: this.prefix, KeyMarker, UploadIdMarker }));
        for (const u of page?.Uploads ?? []) {
          if (!u.Key || !u.UploadId || (ours && !ours(u.Key.slice(this.prefix.length)))) continue;
          await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: u.Key, UploadId: u.UploadId }));
          removed.push(u.Key.slice(this.prefix.length));
        }
        // NextKeyMarker comes "when IsTruncated is true": without it the rest cannot be listed, and uploads
        // left unlisted would be billed on with this sweep saying it aborted them all.
        if (page?.IsTruncated && !page.NextKeyMarker)
          throw new Error(
            `ListMultipartUploads answered IsTruncated without a NextKeyMarker after ${removed.length} upload(s) aborted: the rest cannot be listed (an S3-compatible store that does not page as S3 does?)`,
          );
        ({ NextKeyMarker: KeyMarker, NextUploadIdMarker: UploadIdMarker } = page?.IsTruncated
          ? page
          : { NextKeyMarker: undefined, NextUploadIdMarker: undefined });
      } while (KeyMarker !== undefined);
    } catch (err) {
      throw storeError(this.url, 'abort unfinished uploads', err);
    }
    return removed;
  }

  /** An object's tags (its marks: the backup store keeps a backup's record there). */
  async tags(key: string): Promise<Record<string, string>> {
    return getObjectTags(this.client, this.bucket, this.key(key), undefined, undefined, this.expectedOwner);
  }

  /** Replaces an object's tags with `tags` (PutObjectTagging replaces the whole set). */
  async setTags(key: string, tags: Readonly<Record<string, string>>): Promise<void> {
    await this.client.send(
      new PutObjectTaggingCommand({
        Bucket: this.bucket,
        Key: this.key(key),
        ...this.owner(),
        Tagging: { TagSet: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) },
      }),
    );
  }
}
