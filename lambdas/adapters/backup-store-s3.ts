/**
 * The S3 destination of self-managed backups (`s3://bucket/prefix`, any
 * S3-compatible store); loaded only for s3:// destinations. See backup-store.ts.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { DeleteObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { StoredBackup } from '../domain/backup.js';
import { TAGS, isTier } from '../domain/types.js';
import { storeError, type BackupRecord, type BackupStore, type WrittenBackup } from './backup-store.js';
import { errorName } from './errors.js';
import { getObjectTags, listObjects } from './s3.js';

/**
 * An S3 prefix. A backup is one multipart upload (lib-storage's Upload, with
 * SHA-256 checksums S3 checks on every part): it becomes visible only when the
 * upload completes, which happens after `commit()` accepted the last byte; a
 * failure aborts the upload, so no partial object is left. The record is
 * the object's tags (`redis-dr:managed`, `redis-dr:tier`, `redis-dr:source`,
 * `redis-dr:created`), set with the upload itself.
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
        found.push({ file, size: o.size, ...(tags[TAGS.managed] === 'true' && isTier(tier) ? { tier } : {}) });
      }
    } catch (err) {
      throw storeError(this.url, 'list', err);
    }
    return found;
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

  async write(file: string, body: AsyncIterable<Uint8Array>, record: () => BackupRecord, commit: () => void): Promise<WrittenBackup> {
    const hash = createHash('sha256');
    let bytes = 0;
    async function* judged(): AsyncGenerator<Uint8Array> {
      for await (const chunk of body) {
        hash.update(chunk);
        bytes += chunk.byteLength;
        yield chunk;
      }
      // Throwing here fails the upload before it completes: S3 never shows the object.
      commit();
    }
    const r = record();
    const tagging = new URLSearchParams({
      [TAGS.managed]: 'true',
      [TAGS.tier]: r.tier,
      [TAGS.source]: r.target,
      [TAGS.created]: r.createdAt,
    }).toString();
    const upload = new Upload({
      client: this.client,
      // If-None-Match: * on PutObject / CompleteMultipartUpload: a key already there (another run this minute) is never replaced.
      params: { Bucket: this.bucket, Key: this.prefix + file, Body: Readable.from(judged()), ChecksumAlgorithm: 'SHA256', Tagging: tagging, IfNoneMatch: '*' },
      partSize: this.upload.partBytes,
      queueSize: this.upload.queueSize,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (err) {
      if (errorName(err) === 'PreconditionFailed') throw new Error(`${this.url}: ${file} appeared while this backup was uploaded: not replaced`, { cause: err });
      throw storeError(this.url, 'upload', err);
    }
    return { bytes, sha256: hash.digest('hex'), location: `s3://${this.bucket}/${this.prefix}${file}` };
  }

  async remove(file: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.prefix + file }));
    } catch (err) {
      throw storeError(this.url, `delete ${file}`, err);
    }
  }
}
