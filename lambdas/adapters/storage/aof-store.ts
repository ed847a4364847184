/**
 * Where shipped AOF history goes: a folder (`file:///dir`) or an S3 prefix
 * (`s3://bucket/prefix`, any S3-compatible store) — the destinations of
 * `redis-dr backup` (lambdas/adapters/storage/backup-store.ts), with the same
 * conventions: an object exists under its name only once it is whole and
 * was read back (a hidden temporary file, every byte written, synced, read
 * back against the length and SHA-256 streamed, then linked and its folder
 * synced; one S3 request, or a multipart upload that completes only after
 * the last byte was accepted, then its length and S3's SHA-256 checksum,
 * full-object or composite, compared with what was sent), with a SHA-256
 * the reader checks too (the layout puts it in part names).
 *
 * Narrow: list, put, get, remove. What the keys mean is lambdas/domain/self-managed/aof-history.ts.
 */
import { createHash, randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { link, mkdir, open, readdir, readFile, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { AofManifestError, parseAofManifest, type AofManifest } from '../../domain/self-managed/aof-manifest.js';
import { listObjects } from '../aws/s3.js';
import { PartDigests, verifyS3ReadBack } from '../aws/s3-read-back.js';
import { storeError } from './backup-store.js';
import { syncDir, verifyReadBack, writeAll, type ReadBack } from './durable-file.js';
import { errorName } from '../aws/errors.js';
import { processAlive } from '../host/process.js';

/** A stored object and its length as the destination lists it. */
export interface StoredObject {
  readonly key: string;
  readonly bytes: number;
}

/** A destination for shipped AOF history. Keys are relative, `/`-separated. */
export interface AofStore {
  /** `file:///dir` or `s3://bucket/prefix/`, for messages. */
  readonly url: string;
  /** Every key there (objects being written are not listed). */
  list(): Promise<string[]>;
  /** Every key there with its stored length (a torn object shows a length its name does not). */
  objects(): Promise<StoredObject[]>;
  /**
   * Writes `body` whole under `key` and reads it back (length and SHA-256)
   * before it resolves. A key that exists is left as it is: keys of the
   * layout name their content. Resolves to the bytes sent (0 when the key existed).
   */
  put(key: string, body: Uint8Array): Promise<number>;
  /**
   * Streams a large object under `key`; `commit()` is asked after the last
   * byte and, when it throws, nothing is left (its error rethrown). An abort
   * leaves nothing either. Resolves only after the object was read back.
   */
  putStream(key: string, body: AsyncIterable<Uint8Array>, commit: () => void, signal?: AbortSignal): Promise<number>;
  /** A whole object. */
  get(key: string): Promise<Buffer>;
  /** An object as a stream of chunks. */
  getStream(key: string): Promise<AsyncIterable<Uint8Array>>;
  /** Removes a key (a torn part about to be shipped again); no error when it is not there. */
  remove(key: string): Promise<void>;
  /** Removes what a killed writer left (temporary files, unfinished uploads); resolves to what was removed. */
  sweep(): Promise<string[]>;
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest();

/** A stored manifest that cannot be used: damaged (its bytes do not match the SHA-256 in its key) or not understood. */
export class StoredManifestError extends Error {
  override readonly name = 'StoredManifestError';
  constructor(
    readonly kind: 'corrupt' | 'inconsistent',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Reads and parses a stored manifest (`sha` is the SHA-256 prefix its key names).
 * @throws StoredManifestError, or the store's error
 */
export async function readStoredManifest(store: AofStore, m: { readonly key: string; readonly sha: string }): Promise<AofManifest> {
  const bytes = await store.get(m.key);
  if (sha256(bytes).toString('hex').slice(0, 16) !== m.sha)
    throw new StoredManifestError('corrupt', `${store.url}: ${m.key} does not match the SHA-256 in its name: the stored manifest is damaged`);
  try {
    return parseAofManifest(bytes.toString('utf8'), m.key);
  } catch (err) {
    if (err instanceof AofManifestError) throw new StoredManifestError('inconsistent', `${store.url}: ${err.message}`);
    throw err;
  }
}

// ---- a folder ---------------------------------------------------------------

/** The part of a `FileHandle` the folder store writes through (a test hands in one that fails midway). */
export type StoreFileHandle = Pick<FileHandle, 'write' | 'sync' | 'close'>;

/** How the folder store opens the files it writes (tests inject faults here: short writes, EROFS). */
export type OpenForWrite = (path: string, flags: number, mode: number) => Promise<StoreFileHandle>;

/** Temporary files of a write in progress: `.<name>.partial-<pid>-<random>`. */
const PARTIAL = /^\..+\.partial-(\d+)-[0-9a-f]+$/;

/** Whether process `pid` runs on this host (a temporary file of a live writer is left alone). */
function alive(pid: number): boolean {
  // This process has written nothing yet when it sweeps: a file of its pid is a killed run's (a container's pid 1).
  return pid !== process.pid && processAlive(pid);
}

/** A folder: keys are paths under it. */
export class FileAofStore implements AofStore {
  readonly url: string;
  private readonly openForWrite: OpenForWrite;
  constructor(
    private readonly dir: string,
    io: { openForWrite?: OpenForWrite } = {},
  ) {
    this.url = `file://${dir}`;
    this.openForWrite = io.openForWrite ?? ((path, flags, mode) => open(path, flags, mode));
  }

  /** Every file under the folder, temporary ones included, with its size. */
  private async walk(): Promise<{ rel: string; name: string; bytes: number }[]> {
    const out: { rel: string; name: string; bytes: number }[] = [];
    const walk = async (rel: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(join(this.dir, rel), { withFileTypes: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw err;
      }
      for (const e of entries) {
        const key = rel === '' ? e.name : `${rel}/${e.name}`;
        if (e.isDirectory()) {
          if (!e.name.startsWith('.')) await walk(key);
        } else if (e.isFile()) {
          const bytes = await stat(join(this.dir, key)).then(
            (s) => s.size,
            () => -1,
          );
          if (bytes >= 0) out.push({ rel: key, name: e.name, bytes });
        }
      }
    };
    await walk('');
    return out;
  }

  async objects(): Promise<StoredObject[]> {
    try {
      return (await this.walk())
        .filter((f) => !f.name.startsWith('.')) // temporary files being written
        .map((f) => ({ key: f.rel, bytes: f.bytes }))
        .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    } catch (err) {
      throw storeError(this.url, 'list', err);
    }
  }

  async list(): Promise<string[]> {
    return (await this.objects()).map((o) => o.key);
  }

  async sweep(): Promise<string[]> {
    const removed: string[] = [];
    try {
      for (const f of await this.walk()) {
        const m = PARTIAL.exec(f.name);
        if (!m || alive(Number(m[1]))) continue;
        await unlink(join(this.dir, f.rel));
        removed.push(f.rel);
      }
      for (const folder of new Set(removed.map((r) => dirname(join(this.dir, r))))) await syncDir(folder);
    } catch (err) {
      throw storeError(this.url, 'remove temporary files', err);
    }
    return removed;
  }

  private path(key: string): string {
    if (key.split('/').some((s) => s === '' || s === '.' || s === '..')) throw new Error(`not a key: ${key}`);
    return join(this.dir, ...key.split('/'));
  }

  async put(key: string, body: Uint8Array): Promise<number> {
    return this.write(
      key,
      (async function* () {
        yield body;
      })(),
      () => undefined,
    );
  }

  putStream(key: string, body: AsyncIterable<Uint8Array>, commit: () => void, signal?: AbortSignal): Promise<number> {
    return this.write(key, body, commit, signal);
  }

  /** A temporary file, every byte written, synced, read back, then linked under the key and the folder synced. */
  private async write(key: string, body: AsyncIterable<Uint8Array>, commit: () => void, signal?: AbortSignal): Promise<number> {
    const final = this.path(key);
    const folder = dirname(final);
    const temp = join(folder, `.${final.slice(folder.length + 1)}.partial-${process.pid}-${randomBytes(4).toString('hex')}`);
    let bytes = 0;
    let made = false;
    try {
      if (await exists(final)) return 0;
      await mkdir(folder, { recursive: true });
      const fh = await this.openForWrite(temp, fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_WRONLY, 0o600);
      made = true;
      const hash = createHash('sha256');
      try {
        for await (const chunk of body) {
          signal?.throwIfAborted();
          await writeAll(fh, chunk, temp);
          hash.update(chunk);
          bytes += chunk.byteLength;
        }
        await fh.sync();
      } finally {
        await fh.close();
      }
      signal?.throwIfAborted();
      commit();
      // What the file system holds, not what write() said it took: only a match is linked under the key.
      await verifyReadBack(temp, { bytes, sha256: hash.digest('hex') }, `${this.url}/${key}`);
      try {
        await link(temp, final); // never replaces: a key that appeared meanwhile stays
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        bytes = 0;
      }
      await syncDir(folder);
      return bytes;
    } catch (err) {
      if (signal?.aborted && err === signal.reason) throw err;
      throw storeError(this.url, `write ${key}`, err);
    } finally {
      if (made) await unlink(temp).catch(() => undefined);
    }
  }

  async get(key: string): Promise<Buffer> {
    try {
      return await readFile(this.path(key));
    } catch (err) {
      throw storeError(this.url, `read ${key}`, err);
    }
  }

  async getStream(key: string): Promise<AsyncIterable<Uint8Array>> {
    try {
      const fh = await open(this.path(key), 'r');
      return fh.createReadStream({ highWaterMark: 1 << 20 });
    } catch (err) {
      throw storeError(this.url, `read ${key}`, err);
    }
  }

  async remove(key: string): Promise<void> {
    const path = this.path(key);
    try {
      await unlink(path);
      await syncDir(dirname(path));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw storeError(this.url, `remove ${key}`, err);
    }
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

// ---- S3 -------------------------------------------------------------------------

/**
 * An S3 prefix. Small objects are one PutObject with `ChecksumSHA256` (S3
 * refuses bytes that do not match); large ones one multipart upload with
 * SHA-256 checksums on every part, completed only after `commit()`, aborted
 * otherwise. Then HeadObject with checksum mode: its length and SHA-256
 * (full-object for one PutObject, composite `…-N` for a multipart upload)
 * must be what was sent; a store that reports no checksum is read back
 * whole. Objects are written once: the layout's keys name their content.
 */
export class S3AofStore implements AofStore {
  readonly url: string;
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly prefix: string,
    private readonly upload: { partBytes: number; queueSize: number } = { partBytes: 16 * 1024 * 1024, queueSize: 4 },
  ) {
    this.url = `s3://${bucket}/${prefix}`;
  }

  async objects(): Promise<StoredObject[]> {
    try {
      const objects = await listObjects(this.client, this.bucket, this.prefix);
      return objects
        .filter((o) => o.key.length > this.prefix.length)
        .map((o) => ({ key: o.key.slice(this.prefix.length), bytes: o.size }))
        .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    } catch (err) {
      throw storeError(this.url, 'list', err);
    }
  }

  async list(): Promise<string[]> {
    return (await this.objects()).map((o) => o.key);
  }

  /** Aborts the multipart uploads a killed run left under the prefix (their parts are billed until then). */
  async sweep(): Promise<string[]> {
    const removed: string[] = [];
    try {
      let KeyMarker: string | undefined;
      let UploadIdMarker: string | undefined;
      do {
        const page = await this.client.send(new ListMultipartUploadsCommand({ Bucket: this.bucket, Prefix: this.prefix, KeyMarker, UploadIdMarker }));
        for (const u of page?.Uploads ?? []) {
          if (!u.Key || !u.UploadId) continue;
          await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: u.Key, UploadId: u.UploadId }));
          removed.push(u.Key.slice(this.prefix.length));
        }
        ({ NextKeyMarker: KeyMarker, NextUploadIdMarker: UploadIdMarker } = page?.IsTruncated
          ? page
          : { NextKeyMarker: undefined, NextUploadIdMarker: undefined });
      } while (KeyMarker !== undefined);
    } catch (err) {
      throw storeError(this.url, 'abort unfinished uploads', err);
    }
    return removed;
  }

  async put(key: string, body: Uint8Array): Promise<number> {
    try {
      const digest = sha256(body);
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.prefix + key,
          Body: body,
          ContentLength: body.byteLength,
          ChecksumSHA256: digest.toString('base64'),
        }),
      );
      await this.readBack(key, { bytes: body.byteLength, sha256: digest.toString('hex') }, [digest]);
      return body.byteLength;
    } catch (err) {
      throw storeError(this.url, `write ${key}`, err);
    }
  }

  async putStream(key: string, body: AsyncIterable<Uint8Array>, commit: () => void, signal?: AbortSignal): Promise<number> {
    let bytes = 0;
    const whole = createHash('sha256');
    const parts = new PartDigests(this.upload.partBytes);
    const tap = (chunk: Uint8Array) => {
      whole.update(chunk);
      parts.update(chunk);
    };
    async function* judged(): AsyncGenerator<Uint8Array> {
      for await (const chunk of body) {
        bytes += chunk.byteLength;
        tap(chunk);
        yield chunk;
      }
      commit(); // throwing here fails the upload before it completes
    }
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: this.prefix + key, Body: Readable.from(judged()), ChecksumAlgorithm: 'SHA256' },
      partSize: this.upload.partBytes,
      queueSize: this.upload.queueSize,
      leavePartsOnError: false,
    });
    const onAbort = () => void upload.abort().catch(() => undefined);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await upload.done();
      await this.readBack(key, { bytes, sha256: whole.digest('hex') }, parts.digests());
      return bytes;
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      throw storeError(this.url, `upload ${key}`, err);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * The object as stored: HeadObject with checksum mode, its length and
   * SHA-256 (composite `…-N` after a multipart upload) compared with what
   * was sent; read back whole when the store reports no SHA-256.
   * @throws ReadBackMismatchError
   */
  private async readBack(key: string, sent: ReadBack, partDigests: readonly Buffer[]): Promise<void> {
    await verifyS3ReadBack(this.client, this.bucket, this.prefix + key, `${this.url}${key}`, sent, partDigests, () => this.getStream(key));
  }

  async get(key: string): Promise<Buffer> {
    try {
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }));
      return Buffer.from((await r.Body?.transformToByteArray()) ?? new Uint8Array());
    } catch (err) {
      throw storeError(this.url, `read ${key}${errorName(err) === 'NoSuchKey' ? ' (no such key)' : ''}`, err);
    }
  }

  async getStream(key: string): Promise<AsyncIterable<Uint8Array>> {
    try {
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }));
      return (r.Body as AsyncIterable<Uint8Array> | undefined) ?? (async function* () {})();
    } catch (err) {
      throw storeError(this.url, `read ${key}`, err);
    }
  }

  async remove(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }));
    } catch (err) {
      throw storeError(this.url, `remove ${key}`, err);
    }
  }
}
