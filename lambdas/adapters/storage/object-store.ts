/**
 * One object store for everything redis-dr keeps at a destination it does
 * not own (self-managed backups, shipped AOF history): a folder
 * (object-store-file.ts) or an S3 prefix (object-store-s3.ts, any
 * S3-compatible store). The backup store (backup-store.ts,
 * backup-store-s3.ts) and the AOF store (aof-store.ts) sit on it, so the
 * verified write — every byte written, judged (`commit`), read back from
 * the destination and matched (length + SHA-256, or S3's checksums) before
 * the object exists under its key — is written once, per driver.
 *
 * This module holds the contract only (no fs, no AWS SDK): a file:// run
 * never loads the SDK (about 60 MiB: bench/README.md, backup).
 */
import type { ReadBack } from './durable-file.js';

/** A stored object and its length as the destination lists it. */
export interface StoredObject {
  readonly key: string;
  readonly bytes: number;
}

/** How a put was read back: the file read again, S3's checksum of the object (full-object, or composite of the parts), or the object read again. */
export type ReadBackHow = 'file' | 's3-full-object-checksum' | 's3-composite-checksum' | 's3-get';

/**
 * What to do when the key is already there. Keys of both layouts name
 * their content (a backup's time, an AOF part's range and SHA-256), so
 * nothing is overwritten by accident:
 * - `fail`: the put fails with {@link KeyExistsError} (also when the key
 *   appears while the bytes are written; S3: `If-None-Match: *`);
 * - `skip`: the put resolves with `written: false` and leaves it as it is;
 * - `replace`: the new object replaces it whole (a reader sees the old or the new one).
 */
export type IfExists = 'fail' | 'skip' | 'replace';

/** How to put an object. */
export interface PutOptions {
  /** @default 'fail' */
  readonly ifExists?: IfExists;
  /**
   * Asked after the last byte, before the object can exist under its key:
   * when it throws, nothing is left (the put fails, its error the cause).
   */
  readonly commit?: () => void;
  /**
   * Aborting leaves nothing; the put rejects with the signal's reason once the requests under way have ended (S3 may
   * still do one whose body it has: it is waited for, and what it stored removed), so a stalled request holds it.
   */
  readonly signal?: AbortSignal;
  /** Marks set with the object (S3: its tags, in the same request; a folder keeps none). */
  readonly tags?: Readonly<Record<string, string>>;
  /**
   * The object's media type (S3: its `Content-Type`, so a browser opens a report's HTML as a page; a folder keeps none).
   * @default none (S3 stores `application/octet-stream`)
   */
  readonly contentType?: string;
  /** User metadata set with the object (S3: `x-amz-meta-…`, in the same request; a folder keeps none). */
  readonly metadata?: Readonly<Record<string, string>>;
}

/** What a put stored. */
export interface PutResult {
  /** False when `ifExists: 'skip'` found the key there: nothing was written (`bytes` 0). */
  readonly written: boolean;
  readonly bytes: number;
  /** SHA-256 of the whole object, hex. */
  readonly sha256: string;
  /** Where it is, as a URL (`file:///…` or `s3://…`). */
  readonly location: string;
  /** How the stored bytes were read back and matched. */
  readonly how: ReadBackHow;
  /** The stored object's ETag as the read-back found it (S3; a folder gives none): what a later `ifMatch` names. */
  readonly etag?: string;
}

/**
 * A destination of objects. Keys are relative, `/`-separated; a key with an
 * empty, `.` or `..` segment is refused.
 */
export interface ObjectStore {
  /** `file:///dir` or `s3://bucket/prefix/`, for messages. */
  readonly url: string;
  /** The URL of `key`. */
  location(key: string): string;
  /**
   * Writes `body` under `key` and resolves only once the stored bytes were
   * read back and matched what was streamed. A `Uint8Array` is sent whole
   * (S3: one PutObject whose SHA-256 S3 checks); a stream is written as it
   * comes (S3: a multipart upload with SHA-256 on every part, completed
   * only after `commit`). On any failure nothing this put created is left.
   * @throws PutError (its `cause` the fault: ShortWriteError, an errno
   *   error such as ENOSPC/EROFS, ReadBackMismatchError, an S3 error,
   *   `commit`'s error), KeyExistsError, or the abort reason
   */
  put(key: string, body: Uint8Array | AsyncIterable<Uint8Array>, options?: PutOptions): Promise<PutResult>;
  /** A whole object. @throws when it is not there */
  get(key: string): Promise<Buffer>;
  /** An object as a stream of chunks. @throws when it is not there */
  getStream(key: string): Promise<AsyncIterable<Uint8Array>>;
  /** Every object (objects being written are not listed), in key order. A missing folder lists nothing. */
  list(): Promise<StoredObject[]>;
  exists(key: string): Promise<boolean>;
  /** Removes an object; no error when it is not there. */
  delete(key: string): Promise<void>;
  /**
   * Removes what killed writers left (temporary files, unfinished multipart uploads); resolves to what it removed.
   * `ours`: the keys the caller writes (an S3 upload of another key under the prefix is another writer's, left alone).
   */
  sweep(ours?: (key: string) => boolean): Promise<string[]>;
}

/**
 * A put that failed at a stage: `write` (the bytes on their way; nothing of the put stored), `read-back` (stored, then
 * not matched, or not readable), or `unsettled` (an answer lost, and whether the object was stored could not be told:
 * an object of the put, not verified, may be under the key).
 */
export class PutError extends Error {
  override readonly name = 'PutError';
  constructor(
    readonly stage: 'write' | 'read-back' | 'unsettled',
    override readonly cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
  }
}

/** The object at a URL is not the one the caller stored: another writer replaced it (its ETag is not the one stored). */
export class ObjectReplacedError extends Error {
  override readonly name = 'ObjectReplacedError';
  constructor(readonly url: string) {
    super(`${url} was replaced by another writer (its ETag is not the one stored)`);
  }
}

/** `ifExists: 'fail'` and the key is there (or appeared while the bytes were written): nothing was replaced. */
export class KeyExistsError extends Error {
  override readonly name = 'KeyExistsError';
  constructor(
    readonly url: string,
    readonly key: string,
  ) {
    super(`${key} appeared in ${url} while it was written: not replaced`);
  }
}

/** Refuses keys that would leave the destination (`..`), or name nothing. */
export function checkKey(key: string): void {
  if (key.split('/').some((s) => s === '' || s === '.' || s === '..')) throw new Error(`not a key: ${key}`);
}

/** The chunks of a body given whole or as a stream. */
export async function* chunksOf(body: Uint8Array | AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  if (body instanceof Uint8Array) yield body;
  else yield* body;
}

/** Whether `found` is what was `expected`. */
export function sameBytes(found: ReadBack, expected: ReadBack): boolean {
  return found.bytes === expected.bytes && found.sha256 === expected.sha256;
}

/** An error naming the destination and what failed there (the cause kept). */
export function storeError(url: string, what: string, err: unknown): Error {
  const code = (err as NodeJS.ErrnoException).code;
  const hint =
    code === 'ENOSPC'
      ? ' (no space left on the device)'
      : code === 'EROFS'
        ? ' (read-only file system)'
        : code === 'EFBIG'
          ? ' (file too large: a file-size limit, ulimit -f or systemd LimitFSIZE=, is in force)'
          : code === 'EACCES' || code === 'EPERM'
            ? ' (permission denied)'
            : '';
  const message = err instanceof Error ? err.message : String(err);
  return new Error(`${url}: ${what} failed${hint}: ${message}`, { cause: err });
}

/**
 * The fault of a put as the store error a user reports: `what` names the
 * step (`write`, `upload <key>`); a PutError is unwrapped to its cause (the
 * cause a caller checks, e.g. ReadBackMismatchError), an abort reason is
 * rethrown as it is.
 */
export function putFault(url: string, what: string, err: unknown, signal?: AbortSignal): unknown {
  if (signal?.aborted && err === signal.reason) return err;
  return storeError(url, what, err instanceof PutError ? err.cause : err);
}

/** The stored bytes of `key` as a stream; a fault names the destination (what a backup store's `read` gives). */
export async function readStored(objects: ObjectStore, url: string, key: string): Promise<AsyncIterable<Uint8Array>> {
  try {
    return await objects.getStream(key);
  } catch (err) {
    throw storeError(url, `read ${key}`, err);
  }
}
