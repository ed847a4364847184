/**
 * Where self-managed backups go: a folder (`file:///dir`) or an S3 prefix
 * (`s3://bucket/prefix`, any S3-compatible store). Both write a backup so it
 * exists under its final name only once it is complete and its bytes were
 * judged good (`commit` is asked after the last byte), both record the tier
 * beside it (what makes a file ours, and deletable by retention), and both
 * carry an integrity checksum the store or a reader checks.
 *
 * Narrow: list, exists, write, remove. Policy (names, tiers, what to delete)
 * is in lambdas/domain/backup.ts.
 */
import { createHash } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { link, mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectTaggingCommand, HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { StoredBackup } from '../domain/backup.js';
import { TAGS, isTier, type Tier } from '../domain/types.js';
import { errorName } from './errors.js';

/** What is recorded beside a backup. */
export interface BackupRecord {
  readonly tier: Tier;
  readonly target: string;
  /** When the backup was taken (ISO). */
  readonly createdAt: string;
  readonly keys: number;
  readonly rdbVersion: number;
}

/** What a write produced. */
export interface WrittenBackup {
  readonly bytes: number;
  /** SHA-256 of the whole file, hex. */
  readonly sha256: string;
  /** Where it is, as a URL (`file:///…` or `s3://…`). */
  readonly location: string;
}

/** A destination for backups. */
export interface BackupStore {
  /** `file:///dir` or `s3://bucket/prefix/`, for messages. */
  readonly url: string;
  /** Every `.rdb` file there, with the tier redis-dr recorded for it (absent for foreign files). */
  list(): Promise<StoredBackup[]>;
  exists(file: string): Promise<boolean>;
  /**
   * Writes `body` as `file`. After the last byte `commit()` is called: when it
   * throws, nothing is left under the final name (nor a temporary one) and
   * its error is rethrown. The record is written with the file.
   * @throws an Error whose message names the destination, on any store fault
   */
  write(file: string, body: AsyncIterable<Uint8Array>, record: () => BackupRecord, commit: () => void): Promise<WrittenBackup>;
  /** Deletes a backup redis-dr wrote, with what it recorded beside it. */
  remove(file: string): Promise<void>;
}

/** Parses `file:///dir` or `s3://bucket[/prefix]`. */
export function parseDestination(url: string): { kind: 'file'; dir: string } | { kind: 's3'; bucket: string; prefix: string } | undefined {
  const file = /^file:\/\/(\/.*)$/.exec(url);
  if (file) return { kind: 'file', dir: decodeURIComponent(file[1]!).replace(/\/+$/, '') || '/' };
  const s3 = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(url);
  if (s3) {
    const prefix = (s3[2] ?? '').replace(/^\/+/, '');
    return { kind: 's3', bucket: s3[1]!, prefix: prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/` };
  }
  return undefined;
}

// ---- a folder ---------------------------------------------------------------

/**
 * A folder. A backup is written to a hidden temporary file, synced, then
 * linked to its final name (a link, not a rename: it never replaces a file
 * already there) and the temporary name removed. Beside it:
 * `<file>.sha256` (`sha256sum -c` format) and `<file>.json` (the record).
 */
export class FileBackupStore implements BackupStore {
  readonly url: string;
  constructor(private readonly dir: string) {
    this.url = `file://${dir}`;
  }

  async list(): Promise<StoredBackup[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if (errorName(err) === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new Error(`cannot list ${this.url}: ${(err as Error).message}`, { cause: err });
    }
    const found: StoredBackup[] = [];
    for (const file of names.filter((n) => n.endsWith('.rdb') && !n.startsWith('.'))) {
      const info = await stat(join(this.dir, file));
      if (!info.isFile()) continue;
      found.push({ file, size: info.size, ...(await this.recordedTier(file)) });
    }
    return found;
  }

  private async recordedTier(file: string): Promise<{ tier?: Tier }> {
    try {
      const record = JSON.parse(await readFile(join(this.dir, `${file}.json`), 'utf8')) as Partial<BackupRecord>;
      return isTier(record.tier) ? { tier: record.tier } : {};
    } catch {
      return {}; // no record (or not ours): never deleted
    }
  }

  async exists(file: string): Promise<boolean> {
    try {
      await stat(join(this.dir, file));
      return true;
    } catch {
      return false;
    }
  }

  async write(file: string, body: AsyncIterable<Uint8Array>, record: () => BackupRecord, commit: () => void): Promise<WrittenBackup> {
    const final = join(this.dir, file);
    const temp = join(this.dir, `.${file}.partial-${process.pid}-${Date.now()}`);
    const hash = createHash('sha256');
    let bytes = 0;
    const written: string[] = [];
    let linked = false;
    try {
      await mkdir(this.dir, { recursive: true });
      const fh = await open(temp, fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_WRONLY, 0o600);
      written.push(temp);
      try {
        for await (const chunk of body) {
          hash.update(chunk);
          bytes += chunk.byteLength;
          // Awaited one by one: the source is paused while the disk catches up (bounded memory).
          await fh.write(chunk);
        }
        await fh.sync();
      } finally {
        await fh.close();
      }
      commit();
      const sha256 = hash.digest('hex');
      await this.writeSidecar(`${file}.sha256`, `${sha256}  ${file}\n`, written);
      await this.writeSidecar(`${file}.json`, `${JSON.stringify({ ...record(), sha256, bytes }, null, 2)}\n`, written);
      try {
        await link(temp, final);
        linked = true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new Error(`${file} appeared in ${this.url} while this backup was written: not replaced`);
        throw err;
      }
      await unlink(temp);
      return { bytes, sha256, location: `${this.url}/${file}` };
    } catch (err) {
      // Nothing of this run stays but a committed backup: the temporary file goes, and the sidecars unless the backup was linked.
      for (const path of linked ? [temp] : written) await unlink(path).catch(() => undefined);
      throw storeError(this.url, 'write', err);
    }
  }

  private async writeSidecar(name: string, text: string, written: string[]): Promise<void> {
    const temp = join(this.dir, `.${name}.partial-${process.pid}`);
    await open(temp, 'w', 0o600).then(async (fh) => {
      try {
        await fh.writeFile(text);
        await fh.sync();
      } finally {
        await fh.close();
      }
    });
    written.push(temp);
    await rename(temp, join(this.dir, name));
    written.push(join(this.dir, name));
  }

  async remove(file: string): Promise<void> {
    try {
      await unlink(join(this.dir, file));
    } catch (err) {
      throw storeError(this.url, `delete ${file}`, err);
    }
    for (const side of [`${file}.sha256`, `${file}.json`]) await unlink(join(this.dir, side)).catch(() => undefined);
  }
}

// ---- S3 -------------------------------------------------------------------------

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
    let token: string | undefined;
    try {
      do {
        const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix, ContinuationToken: token }));
        for (const o of page.Contents ?? []) {
          const file = o.Key?.slice(this.prefix.length);
          if (!file || file.includes('/') || !file.endsWith('.rdb')) continue;
          const tags = await this.client.send(new GetObjectTaggingCommand({ Bucket: this.bucket, Key: o.Key }));
          const get = (k: string) => tags.TagSet?.find((t) => t.Key === k)?.Value;
          const tier = get(TAGS.tier);
          found.push({ file, size: o.Size ?? 0, ...(get(TAGS.managed) === 'true' && isTier(tier) ? { tier } : {}) });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
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
      params: { Bucket: this.bucket, Key: this.prefix + file, Body: Readable.from(judged()), ChecksumAlgorithm: 'SHA256', Tagging: tagging },
      partSize: this.upload.partBytes,
      queueSize: this.upload.queueSize,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (err) {
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

/** An error naming the destination and what failed there (the cause kept). */
export function storeError(url: string, what: string, err: unknown): Error {
  const code = (err as NodeJS.ErrnoException).code;
  const hint =
    code === 'ENOSPC'
      ? ' (no space left on the device)'
      : code === 'EROFS'
        ? ' (read-only file system)'
        : code === 'EACCES' || code === 'EPERM'
          ? ' (permission denied)'
          : '';
  const message = err instanceof Error ? err.message : String(err);
  return new Error(`${url}: ${what} failed${hint}: ${message}`, { cause: err });
}
