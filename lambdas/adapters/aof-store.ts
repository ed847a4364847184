/**
 * Where shipped AOF history goes: a folder (`file:///dir`) or an S3 prefix
 * (`s3://bucket/prefix`, any S3-compatible store) — the destinations of
 * `redis-dr backup` (lambdas/adapters/backup-store.ts), with the same
 * conventions: an object exists under its name only once it is whole (a
 * hidden temporary file synced then linked; one S3 request, or a multipart
 * upload that completes only after the last byte was accepted), with a
 * SHA-256 the store checks (S3) or the reader checks (the layout puts it in
 * part names).
 *
 * Narrow: list, put, get. What the keys mean is lambdas/domain/aof-history.ts.
 */
import { createHash, randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { link, mkdir, open, readdir, readFile, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { AofManifestError, parseAofManifest, type AofManifest } from '../domain/aof-manifest.js';
import { listObjects } from './s3.js';
import { storeError } from './backup-store.js';
import { errorName } from './errors.js';

/** A destination for shipped AOF history. Keys are relative, `/`-separated. */
export interface AofStore {
  /** `file:///dir` or `s3://bucket/prefix/`, for messages. */
  readonly url: string;
  /** Every key there (objects being written are not listed). */
  list(): Promise<string[]>;
  /**
   * Writes `body` whole under `key` (S3 checks its SHA-256 on receipt). A key
   * that exists is left as it is: keys of the layout name their content.
   * Resolves to the bytes sent (0 when the key existed).
   */
  put(key: string, body: Uint8Array): Promise<number>;
  /**
   * Streams a large object under `key`; `commit()` is asked after the last
   * byte and, when it throws, nothing is left (its error rethrown). An abort
   * leaves nothing either.
   */
  putStream(key: string, body: AsyncIterable<Uint8Array>, commit: () => void, signal?: AbortSignal): Promise<number>;
  /** A whole object. */
  get(key: string): Promise<Buffer>;
  /** An object as a stream of chunks. */
  getStream(key: string): Promise<AsyncIterable<Uint8Array>>;
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
  if (sha256(bytes).toString('hex').slice(0, 16) !== m.sha) throw new StoredManifestError('corrupt', `${store.url}: ${m.key} does not match the SHA-256 in its name: the stored manifest is damaged`);
  try {
    return parseAofManifest(bytes.toString('utf8'), m.key);
  } catch (err) {
    if (err instanceof AofManifestError) throw new StoredManifestError('inconsistent', `${store.url}: ${err.message}`);
    throw err;
  }
}

// ---- a folder ---------------------------------------------------------------

/** A folder: keys are paths under it. */
export class FileAofStore implements AofStore {
  readonly url: string;
  constructor(private readonly dir: string) {
    this.url = `file://${dir}`;
  }

  async list(): Promise<string[]> {
    const out: string[] = [];
    const walk = async (rel: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(join(this.dir, rel), { withFileTypes: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw err;
      }
      for (const e of entries) {
        if (e.name.startsWith('.')) continue; // temporary files being written
        const key = rel === '' ? e.name : `${rel}/${e.name}`;
        if (e.isDirectory()) await walk(key);
        else if (e.isFile()) out.push(key);
      }
    };
    try {
      await walk('');
    } catch (err) {
      throw storeError(this.url, 'list', err);
    }
    return out.sort();
  }

  private path(key: string): string {
    if (key.split('/').some((s) => s === '' || s === '.' || s === '..')) throw new Error(`not a key: ${key}`);
    return join(this.dir, ...key.split('/'));
  }

  async put(key: string, body: Uint8Array): Promise<number> {
    return this.write(key, (async function* () {
      yield body;
    })(), () => undefined);
  }

  putStream(key: string, body: AsyncIterable<Uint8Array>, commit: () => void, signal?: AbortSignal): Promise<number> {
    return this.write(key, body, commit, signal);
  }

  private async write(key: string, body: AsyncIterable<Uint8Array>, commit: () => void, signal?: AbortSignal): Promise<number> {
    const final = this.path(key);
    const folder = dirname(final);
    const temp = join(folder, `.${final.slice(folder.length + 1)}.partial-${process.pid}-${randomBytes(4).toString('hex')}`);
    let bytes = 0;
    let made = false;
    try {
      if (await exists(final)) return 0;
      await mkdir(folder, { recursive: true });
      const fh = await open(temp, fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_WRONLY, 0o600);
      made = true;
      try {
        for await (const chunk of body) {
          signal?.throwIfAborted();
          await fh.write(chunk);
          bytes += chunk.byteLength;
        }
        await fh.sync();
      } finally {
        await fh.close();
      }
      signal?.throwIfAborted();
      commit();
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
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Makes a new directory entry durable (a power cut after the link keeps the file). */
async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } catch {
    // some file systems refuse fsync on a directory: the data itself was synced
  } finally {
    await fh.close();
  }
}

// ---- S3 -------------------------------------------------------------------------

/**
 * An S3 prefix. Small objects are one PutObject with `ChecksumSHA256` (S3
 * refuses bytes that do not match); large ones one multipart upload with
 * SHA-256 checksums on every part, completed only after `commit()`, aborted
 * otherwise. Objects are written once: the layout's keys name their content.
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

  async list(): Promise<string[]> {
    try {
      const objects = await listObjects(this.client, this.bucket, this.prefix);
      return objects.filter((o) => o.key.length > this.prefix.length).map((o) => o.key.slice(this.prefix.length)).sort();
    } catch (err) {
      throw storeError(this.url, 'list', err);
    }
  }

  async put(key: string, body: Uint8Array): Promise<number> {
    try {
      await this.client.send(
        new PutObjectCommand({ Bucket: this.bucket, Key: this.prefix + key, Body: body, ContentLength: body.byteLength, ChecksumSHA256: sha256(body).toString('base64') }),
      );
      return body.byteLength;
    } catch (err) {
      throw storeError(this.url, `write ${key}`, err);
    }
  }

  async putStream(key: string, body: AsyncIterable<Uint8Array>, commit: () => void, signal?: AbortSignal): Promise<number> {
    let bytes = 0;
    async function* judged(): AsyncGenerator<Uint8Array> {
      for await (const chunk of body) {
        bytes += chunk.byteLength;
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
      return bytes;
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      throw storeError(this.url, `upload ${key}`, err);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
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
}
