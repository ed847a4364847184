/**
 * The S3 destination of self-managed backups (`s3://bucket/prefix`, any
 * S3-compatible store); loaded only for s3:// destinations. See backup-store.ts.
 */
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, PutObjectTaggingCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { formatReadBackTag, parseReadBackTag, type StoredBackup } from '../../domain/self-managed/backup.js';
import { TAGS, isTier } from '../../domain/plans/types.js';
import {
  storeError,
  type BackupContent,
  type BackupMeta,
  type BackupStore,
  type LeaseAttempt,
  type ReadBackRecord,
  type WrittenBackup,
} from './backup-store.js';
import { describeHolder, formatLease, leaseName, parseLease, staleLease, type FoundLease, type LeaseHolder } from '../../domain/self-managed/lease.js';
import { processAlive } from '../host/process.js';
import { errorName } from '../aws/errors.js';
import { getObjectTags, listObjects, openObject } from '../aws/s3.js';
import { PartDigests, verifyS3ReadBack } from '../aws/s3-read-back.js';

/** An S3 tag value: letters, digits, spaces and `+ - = . _ : / @`, at most 256 characters. */
function tagValue(text: string): string {
  return text.replace(/[^\p{L}\p{N} +\-=._:/@]/gu, '').slice(0, 256);
}

/**
 * An S3 prefix. A backup is one multipart upload (lib-storage's Upload, with
 * SHA-256 checksums S3 checks on every part): it becomes visible only when the
 * upload completes, which happens after `commit()` accepted the last byte; a
 * failure aborts the upload, so no partial object is left. Then it is read
 * back: HeadObject with checksum mode gives its length and S3's SHA-256 —
 * of the whole object for a single PUT (`ChecksumType` FULL_OBJECT), or, for
 * a multipart upload, the composite `<base64 SHA-256 of the parts'
 * SHA-256 digests>-<parts>` (COMPOSITE: S3 offers no full-object SHA-256 for
 * multipart uploads), which is matched against the part digests taken while
 * streaming; a store that returns no checksum has the object read again.
 * A mismatch deletes the object. The record is the object's tags
 * (`redis-dr:managed`, `…:tier`, `…:source`, `…:created` set with the upload;
 * `…:keys` and `redis-dr:read-back` added once read back).
 *
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
 */
export class S3BackupStore implements BackupStore {
  readonly url: string;
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly prefix: string,
    /** Part size and parts in flight of the upload. */
    private readonly upload: { partBytes: number; queueSize: number } = { partBytes: 16 * 1024 * 1024, queueSize: 4 },
  ) {
    this.url = `s3://${bucket}/${prefix}`;
  }

  async list(): Promise<StoredBackup[]> {
    const found: StoredBackup[] = [];
    try {
      for (const o of await listObjects(this.client, this.bucket, this.prefix)) {
        const file = o.key.slice(this.prefix.length);
        if (!file || file.includes('/') || !file.endsWith('.rdb')) continue;
        const tags = await getObjectTags(this.client, this.bucket, o.key);
        const tier = tags[TAGS.tier];
        if (tags[TAGS.managed] !== 'true' || !isTier(tier)) {
          found.push({ file, size: o.size });
          continue;
        }
        const keys = Number(tags[TAGS.keys]);
        found.push({
          file,
          size: o.size,
          tier,
          ...(parseReadBackTag(tags[TAGS.readBack])?.bytes === o.size ? { proven: true } : {}),
          ...(tags[TAGS.keys] !== undefined && Number.isInteger(keys) && keys >= 0 ? { keys } : {}),
          ...(tags[TAGS.hold] ? { hold: tags[TAGS.hold] } : {}),
          ...(tags[TAGS.collapsed] ? { collapsed: tags[TAGS.collapsed] } : {}),
        });
      }
    } catch (err) {
      throw storeError(this.url, 'list', err);
    }
    return found;
  }

  /**
   * The lease is an object written with `If-None-Match: *` (S3 conditional
   * writes: only one writer creates it); a stale one is replaced with
   * `If-Match: <its ETag>` (only one run takes it over), and released with
   * a delete `If-Match` this run's ETag (never another run's lease).
   * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html
   */
  async takeLease(target: string, holder: LeaseHolder, staleAfterMs: number): Promise<LeaseAttempt> {
    const key = this.prefix + leaseName(target);
    const body = formatLease(holder);
    let tookOver: string | undefined;
    const taken = (etag: string | undefined): LeaseAttempt => ({
      taken: {
        ...(tookOver ? { tookOver } : {}),
        release: async () => {
          await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key, ...(etag ? { IfMatch: etag } : {}) })).catch(() => undefined);
        },
      },
    });
    try {
      for (let round = 0; round < 5; round++) {
        try {
          const put = await this.client.send(
            new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, IfNoneMatch: '*', ContentType: 'application/json' }),
          );
          return taken(put.ETag);
        } catch (err) {
          if (!['PreconditionFailed', 'ConditionalRequestConflict'].includes(errorName(err))) throw err;
        }
        const found = await this.readLease(key);
        if (!found) continue;
        const why = staleLease(found.lease, { host: hostname(), now: new Date(), alive: processAlive }, staleAfterMs);
        if (!why) return { held: found.lease };
        try {
          const put = await this.client.send(
            new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, IfMatch: found.etag, ContentType: 'application/json' }),
          );
          tookOver = `a stale lease (${why}: ${describeHolder(found.lease)})`;
          return taken(put.ETag);
        } catch (err) {
          // Another run took it over first (or released it): look again.
          if (!['PreconditionFailed', 'ConditionalRequestConflict', 'NoSuchKey', 'NotFound'].includes(errorName(err))) throw err;
        }
      }
    } catch (err) {
      throw storeError(this.url, `take the lease of ${target}`, err);
    }
    return { held: (await this.readLease(key).catch(() => undefined))?.lease ?? { writtenAt: new Date() } };
  }

  /** The lease object, with its ETag; `undefined` when there is none. */
  private async readLease(key: string): Promise<{ lease: FoundLease; etag: string } | undefined> {
    try {
      const got = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      const holder = parseLease((await got.Body?.transformToString()) ?? '');
      return { lease: { ...(holder ? { holder } : {}), writtenAt: got.LastModified ?? new Date(0) }, etag: got.ETag ?? '' };
    } catch (err) {
      if (['NoSuchKey', 'NotFound'].includes(errorName(err))) return undefined;
      throw err;
    }
  }

  /** S3 keeps a backup's record in its tags: nothing is left beside a deleted object. */
  async sweepOrphans(): Promise<string[]> {
    return [];
  }

  async exists(file: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.prefix + file }));
      return true;
    } catch (err) {
      if (['NotFound', 'NoSuchKey'].includes(errorName(err))) return false;
      throw storeError(this.url, `check ${file}`, err);
    }
  }

  async write(file: string, body: AsyncIterable<Uint8Array>, meta: BackupMeta, commit: () => BackupContent): Promise<WrittenBackup> {
    const key = this.prefix + file;
    const location = `s3://${this.bucket}/${key}`;
    const whole = createHash('sha256');
    const parts = new PartDigests(this.upload.partBytes);
    let bytes = 0;
    let content: BackupContent | undefined;
    async function* judged(): AsyncGenerator<Uint8Array> {
      for await (const chunk of body) {
        whole.update(chunk);
        parts.update(chunk);
        bytes += chunk.byteLength;
        yield chunk;
      }
      // Throwing here fails the upload before it completes: S3 never shows the object.
      content = commit();
    }
    const tagging = new URLSearchParams({
      [TAGS.managed]: 'true',
      [TAGS.tier]: meta.tier,
      [TAGS.source]: meta.target,
      [TAGS.created]: meta.createdAt,
    }).toString();
    const upload = new Upload({
      client: this.client,
      // If-None-Match: * on PutObject / CompleteMultipartUpload: a key already there (another run this minute) is never replaced.
      params: { Bucket: this.bucket, Key: key, Body: Readable.from(judged()), ChecksumAlgorithm: 'SHA256', Tagging: tagging, IfNoneMatch: '*' },
      partSize: this.upload.partBytes,
      queueSize: this.upload.queueSize,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (err) {
      if (errorName(err) === 'PreconditionFailed')
        throw new Error(`${this.url}: ${file} appeared while this backup was uploaded: not replaced`, { cause: err });
      throw storeError(this.url, 'upload', err);
    }
    const sha256 = whole.digest('hex');
    try {
      const how = await verifyS3ReadBack(
        this.client,
        this.bucket,
        key,
        location,
        { bytes, sha256 },
        parts.digests(),
        async () => (await openObject(this.client, this.bucket, key)).body,
      );
      const readBack: ReadBackRecord = { bytes, sha256, at: new Date().toISOString(), how };
      const c = content!;
      await this.client.send(
        new PutObjectTaggingCommand({
          Bucket: this.bucket,
          Key: key,
          Tagging: {
            TagSet: Object.entries({
              [TAGS.managed]: 'true',
              [TAGS.tier]: meta.tier,
              [TAGS.source]: meta.target,
              [TAGS.created]: meta.createdAt,
              [TAGS.keys]: String(c.keys),
              [TAGS.readBack]: formatReadBackTag(bytes, sha256),
              ...(c.collapsed ? { [TAGS.collapsed]: tagValue(c.collapsed) } : {}),
            }).map(([Key, Value]) => ({ Key, Value })),
          },
        }),
      );
      return { bytes, sha256, location, readBack };
    } catch (err) {
      // The object this run created goes: never one that was not proven, nor one without its record.
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key })).catch(() => undefined);
      throw storeError(this.url, 'write', err);
    }
  }

  async remove(file: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.prefix + file }));
    } catch (err) {
      throw storeError(this.url, `delete ${file}`, err);
    }
  }

  async hold(file: string, reason: string): Promise<void> {
    await this.retag(file, `hold ${file}`, (tags) => ({ ...tags, [TAGS.hold]: tagValue(reason) }));
  }

  async release(file: string, acceptedMark?: string): Promise<void> {
    await this.retag(file, `release ${file}`, ({ [TAGS.hold]: _hold, [TAGS.collapsed]: _collapsed, ...rest }) =>
      acceptedMark === undefined ? rest : { ...rest, [TAGS.collapsed]: tagValue(acceptedMark) },
    );
  }

  /** Replaces the tags of a backup redis-dr wrote with `change(tags)`. */
  private async retag(file: string, what: string, change: (tags: Record<string, string>) => Record<string, string>): Promise<void> {
    const key = this.prefix + file;
    try {
      const tags = await getObjectTags(this.client, this.bucket, key);
      if (tags[TAGS.managed] !== 'true') throw new Error(`${file} is not tagged ${TAGS.managed}=true: not ours to ${what.split(' ')[0]}`);
      const next = change(tags);
      await this.client.send(
        new PutObjectTaggingCommand({ Bucket: this.bucket, Key: key, Tagging: { TagSet: Object.entries(next).map(([Key, Value]) => ({ Key, Value })) } }),
      );
    } catch (err) {
      throw storeError(this.url, what, err);
    }
  }
}
