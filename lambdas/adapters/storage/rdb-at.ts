/**
 * Random access into an RDB file, local or `s3://`: what `serve` and
 * `history` read a key's value with once the file's index says where it
 * lies. A local file is read with positional reads; an S3 object with one
 * ranged GET per value, pinned to the ETag the object had when it was
 * opened (an object replaced meanwhile fails the read instead of mixing two
 * files' bytes).
 */
import { closeSync, type FSWatcher, fstatSync, read, openSync, readSync, statSync, watch } from 'node:fs';
import { promisify } from 'node:util';
import { httpStatus } from '../aws/errors.js';
import { s3UrlFix, noSuchFileHint } from '../../domain/keys/s3-url-meant.js';

const readAt = promisify(read);

/** A file read at offsets. */
export interface RdbAt {
  /** Where it is (for messages). */
  readonly location: string;
  readonly size: number;
  /** `length` bytes from `offset` (all of them, or it throws). */
  read(offset: number, length: number): Promise<Buffer>;
  /** {@link read} at once, where reading blocks only for microseconds (a local file's positional read); absent on S3. */
  readonly readNow?: (offset: number, length: number) => Buffer;
  /** An S3 object's version as opened (its ETag, version id and user metadata); absent for a local file. */
  readonly object?: { readonly etag?: string | undefined; readonly versionId?: string | undefined; readonly metadata?: Readonly<Record<string, string>> };
  /** The whole file, streamed in order (the one pass that builds the index): of a local file, the file opened, whatever its path names by then. */
  stream(): AsyncIterable<Uint8Array>;
  /**
   * Of a local file: why its path no longer names the file opened as it was
   * opened (another file renamed over it, or it rewritten), else undefined;
   * a reader that opened it again by path (the verifier) asks this after.
   */
  readonly pathChanged?: () => string | undefined;
  close(): void;
}

/** A file that cannot be opened: its location and why, as one line. */
export class RdbOpenError extends Error {
  override readonly name = 'RdbOpenError';
}

/** Opens a local file (a regular file, readable) for reads at offsets. */
export function openLocalRdb(path: string): RdbAt {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new RdbOpenError(
      `cannot read ${path}: ${code === 'ENOENT' ? `no such file${noSuchFileHint(path)}` : code === 'EACCES' ? 'permission denied' : String(err)}`,
    );
  }
  const stat = fstatSync(fd);
  if (!stat.isFile()) {
    closeSync(fd);
    throw new RdbOpenError(`cannot read ${path}: not a regular file`);
  }
  // The file as opened: a change of its size or modification time means it was written since.
  const rewritten = (now: { size: number; mtimeMs: number }): string | undefined =>
    now.size !== stat.size || now.mtimeMs !== stat.mtimeMs
      ? `${path} was changed after it was opened and verified (${stat.size} bytes modified ${new Date(stat.mtimeMs).toISOString()}, now ${now.size} bytes modified ${new Date(now.mtimeMs).toISOString()}): its values are no longer the verified file's; run serve again`
      : undefined;
  let closed = false;
  let changed: string | undefined;
  // Rewritten in place while served (cp onto it): every read after fails rather than answer from other bytes. The file system
  // reports it (inotify), so a read costs no stat; a file renamed over the path leaves the file opened as it was, and is no change.
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(path, { persistent: false }, () => {
      if (!closed && changed === undefined) changed = rewritten(fstatSync(fd));
    });
    watcher.on('error', () => watcher?.close());
  } catch {
    // No watch here (a file system without notifications): the file is checked at each stream's end only.
  }
  // A synchronous positional read: a value in the page cache comes back in microseconds, without the thread pool's round trip.
  const readNow = (offset: number, length: number): Buffer => {
    if (changed !== undefined) throw new Error(changed);
    const out = Buffer.allocUnsafe(length);
    let got = 0;
    while (got < length) {
      const n = readSync(fd, out, got, length - got, offset + got);
      if (n === 0)
        throw new Error(`${path} ends at byte ${offset + got}, ${length - got} bytes short of the value at ${offset}: was the file changed while served?`);
      got += n;
    }
    return out;
  };
  // Positional reads of the opened file, 1 MiB at a time: the bytes the values are read from. Not an fs.ReadStream on the
  // descriptor: one stopped early (a corrupt file) may still read or close it after close() gave its number to a socket.
  async function* stream(): AsyncGenerator<Uint8Array> {
    for (let at = 0; at < stat.size; ) {
      const chunk = Buffer.allocUnsafe(Math.min(1 << 20, stat.size - at));
      const { bytesRead } = await readAt(fd, chunk, 0, chunk.length, at);
      if (bytesRead === 0)
        throw new Error(`${path} ends at byte ${at}, ${stat.size - at} bytes short of its size when opened: was the file changed while read?`);
      at += bytesRead;
      yield bytesRead === chunk.length ? chunk : chunk.subarray(0, bytesRead);
    }
    const now = rewritten(fstatSync(fd));
    if (now !== undefined) throw new Error(now);
  }
  return {
    location: path,
    size: stat.size,
    read: async (offset, length) => readNow(offset, length),
    readNow,
    stream,
    pathChanged() {
      if (changed !== undefined) return changed;
      let named: { ino: number; dev: number; size: number; mtimeMs: number };
      try {
        named = statSync(path);
      } catch {
        return `${path} is gone since it was opened`;
      }
      if (named.ino !== stat.ino || named.dev !== stat.dev)
        return `${path} was replaced by another file after it was opened (a save renamed over it?): run serve again`;
      return rewritten(fstatSync(fd));
    },
    close: () => {
      closed = true;
      watcher?.close();
      closeSync(fd);
    },
  };
}

/** Opens `s3://bucket/key` (the default credential chain; `endpoint`, else AWS_ENDPOINT_URL_S3, for an S3-compatible store). */
export async function openS3Rdb(url: string, endpoint?: string): Promise<RdbAt> {
  const [{ parseS3Url }, { headObject, readRanges }, { headFoundNoBucket, noSuchBucket, storageS3Client }] = await Promise.all([
    import('../aws/s3/objects.js'),
    import('../aws/s3/ranges.js'),
    import('../aws/s3/client.js'),
  ]);
  const parsed = parseS3Url(url);
  if (!parsed) throw new RdbOpenError(`cannot read ${url}: ${s3UrlFix(url, 's3://<bucket>/<key>')}`);
  const client = storageS3Client({ concurrency: 8, ...(endpoint ? { endpoint } : {}) });
  let object: Awaited<ReturnType<typeof headObject>>;
  try {
    object = await headObject(client, parsed.bucket, parsed.key);
  } catch (err) {
    const status = httpStatus(err);
    const missing = await headFoundNoBucket(client, parsed.bucket, err);
    const why = missing
      ? noSuchBucket(parsed.bucket)
      : status === 404
        ? 'no such object'
        : status === 403
          ? 'access denied (s3:GetObject on it is needed)'
          : String(err);
    // The SDK's error kept as the cause: a connection or credentials problem is told with its fix (open-point.ts).
    throw new RdbOpenError(`cannot read ${url}: ${why}`, { cause: err });
  }
  const ranges = (start: number, end: number, concurrency: number) =>
    readRanges(client, { bucket: parsed.bucket, key: parsed.key, etag: object.etag, start, end, concurrency });
  return {
    location: url,
    size: object.size,
    object: { etag: object.etag, versionId: object.versionId, ...(object.metadata ? { metadata: object.metadata } : {}) },
    async read(offset, length) {
      const parts: Uint8Array[] = [];
      for await (const part of ranges(offset, offset + length, 1)) parts.push(part);
      return Buffer.concat(parts, length);
    },
    stream: () => ranges(0, object.size, 8),
    close: () => client.destroy(),
  };
}

/** {@link openLocalRdb} or {@link openS3Rdb} by the location's form (`s3Endpoint`: an S3-compatible store's). */
export function openRdbAt(location: string, s3Endpoint?: string): Promise<RdbAt> {
  return /^s3:\/\//i.test(location) ? openS3Rdb(location, s3Endpoint) : Promise.resolve(openLocalRdb(location));
}
