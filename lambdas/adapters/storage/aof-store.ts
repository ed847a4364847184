/**
 * Where shipped AOF history goes: a folder (`file:///dir`) or an S3 prefix
 * (`s3://bucket/prefix`, any S3-compatible store) — the destinations of
 * `redis-dr backup`, on the same object store (object-store.ts): an object
 * exists under its key only once it is whole and was read back, with a
 * SHA-256 the reader checks too (the layout puts it in part names). Objects
 * are written once (`ifExists: 'skip'`): the layout's keys name their content.
 *
 * Narrow: list, put, get, remove. What the keys mean is lambdas/domain/self-managed/aof-history.ts.
 */
import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { AofManifestError, parseAofManifest, type AofManifest } from '../../domain/self-managed/aof-manifest.js';
import { parseStoredKey } from '../../domain/self-managed/aof-layout.js';
import { errorName } from '../aws/errors.js';
import { putFault, storeError, type ObjectStore, type StoredObject } from './object-store.js';
import { FileObjectStore, type OpenFile } from './object-store-file.js';
import { S3ObjectStore, type S3PutOptions, type UploadShape } from './object-store-s3.js';

export type { StoredObject } from './object-store.js';

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
  /** Writes `body` whole under `key`, replacing what is there (a reader sees the old or the new), and reads it back. */
  replace(key: string, body: Uint8Array): Promise<number>;
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
  /** Removes what a killed writer left (temporary files, unfinished uploads of the layout's keys); resolves to what was removed. */
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

// ---- on the object store ----------------------------------------------------

/** The part of a `FileHandle` the folder store writes through (a test hands in one that fails midway). */
export type { StoreFileHandle } from './object-store-file.js';

/** How the folder store opens the files it writes (tests inject faults here: short writes, EROFS). */
export type OpenForWrite = OpenFile;

/** AOF history on an object store: every put is written once and read back; the store's faults are named with the destination. */
class ObjectAofStore implements AofStore {
  readonly url: string;
  constructor(
    private readonly store: ObjectStore,
    /** What a streamed put is called in messages (`write` in a folder, `upload` to S3). */
    private readonly streamVerb: string,
    /** S3: every put marked (S3PutOptions.mark), so one whose answer was lost after S3 stored it is read back and counted, not taken for an earlier run's. */
    private readonly marked: Pick<S3PutOptions, 'mark'> = {},
  ) {
    this.url = store.url;
  }

  async list(): Promise<string[]> {
    return (await this.objects()).map((o) => o.key);
  }

  async objects(): Promise<StoredObject[]> {
    try {
      return (await this.store.list()).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    } catch (err) {
      throw storeError(this.url, 'list', err);
    }
  }

  async put(key: string, body: Uint8Array): Promise<number> {
    try {
      return (await this.store.put(key, body, { ifExists: 'skip', ...this.marked })).bytes;
    } catch (err) {
      throw putFault(this.url, `write ${key}`, err);
    }
  }

  async replace(key: string, body: Uint8Array): Promise<number> {
    try {
      return (await this.store.put(key, body, { ifExists: 'replace', ...this.marked })).bytes;
    } catch (err) {
      throw putFault(this.url, `write ${key}`, err);
    }
  }

  async putStream(key: string, body: AsyncIterable<Uint8Array>, commit: () => void, signal?: AbortSignal): Promise<number> {
    try {
      return (await this.store.put(key, body, { ifExists: 'skip', commit, ...this.marked, ...(signal ? { signal } : {}) })).bytes;
    } catch (err) {
      throw putFault(this.url, `${this.streamVerb} ${key}`, err, signal);
    }
  }

  async get(key: string): Promise<Buffer> {
    try {
      return await this.store.get(key);
    } catch (err) {
      throw storeError(this.url, `read ${key}${errorName(err) === 'NoSuchKey' ? ' (no such key)' : ''}`, err);
    }
  }

  async getStream(key: string): Promise<AsyncIterable<Uint8Array>> {
    try {
      return await this.store.getStream(key);
    } catch (err) {
      throw storeError(this.url, `read ${key}`, err);
    }
  }

  async remove(key: string): Promise<void> {
    try {
      await this.store.delete(key);
    } catch (err) {
      throw storeError(this.url, `remove ${key}`, err);
    }
  }

  sweep(): Promise<string[]> {
    // The layout's keys only: a prefix shared with another writer (backups) keeps that writer's uploads.
    return this.store.sweep((key) => parseStoredKey(key) !== undefined);
  }
}

/** A folder: keys are paths under it. */
export class FileAofStore extends ObjectAofStore {
  constructor(dir: string, io: { openForWrite?: OpenForWrite } = {}) {
    super(new FileObjectStore(dir, io.openForWrite ? { open: io.openForWrite } : {}), 'write');
  }
}

/** An S3 prefix (any S3-compatible store). */
export class S3AofStore extends ObjectAofStore {
  constructor(client: S3Client, bucket: string, prefix: string, upload?: UploadShape) {
    super(new S3ObjectStore(client, bucket, prefix, upload), 'upload', { mark: true });
  }
}
