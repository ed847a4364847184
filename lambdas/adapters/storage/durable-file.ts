/**
 * Writing a file so that it is really there: every byte written (a write may
 * write fewer bytes than asked: under `ulimit -f`/systemd's `LimitFSIZE=`, on
 * network and FUSE filesystems), the file and its directory synced, and the
 * stored bytes read back and matched before anyone calls them stored.
 *
 * Node's `FileHandle.write` resolves with `bytesWritten` and does not loop
 * (`fs.writeFile` does, but takes the whole content at once): the stores
 * stream gigabytes in batches, so the loop is here, once, for every store.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';

/** The part of a `FileHandle` a write needs (a test hands in one that writes short). */
export type WritableHandle = Pick<FileHandle, 'write'>;

/** A write that stopped making progress: the file holds fewer bytes than were sent. */
export class ShortWriteError extends Error {
  override readonly name = 'ShortWriteError';
  constructor(
    readonly path: string,
    readonly expected: number,
    readonly written: number,
  ) {
    super(`short write to ${path}: ${written} of ${expected} bytes written (is a file-size limit, ulimit -f or LimitFSIZE=, in force, or the device full?)`);
  }
}

/**
 * Writes all of `data` at the handle's position (or at file offset
 * `position`), looping over short writes. A write that writes nothing twice in
 * a row, or fails, throws: the caller removes what it created.
 * @param path for the message only
 */
export async function writeAll(fh: WritableHandle, data: Uint8Array, path: string, position?: number): Promise<void> {
  let offset = 0;
  let stalls = 0;
  while (offset < data.byteLength) {
    const { bytesWritten } = await fh.write(data, offset, data.byteLength - offset, position === undefined ? null : position + offset);
    if (bytesWritten <= 0) {
      // One zero-byte write can be a transient signal; two is a limit that will not lift.
      if (++stalls >= 2) throw new ShortWriteError(path, data.byteLength, offset);
      continue;
    }
    stalls = 0;
    offset += bytesWritten;
  }
}

/**
 * fsyncs a directory, so a link or unlink done in it survives a crash.
 * Filesystems that cannot sync a directory (EINVAL, EISDIR on some) are
 * accepted: there is nothing more to do on them.
 */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync().catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EINVAL' && err.code !== 'EISDIR' && err.code !== 'EBADF') throw err;
    });
  } finally {
    await fh.close();
  }
}

/** What reading a stored file back found. */
export interface ReadBack {
  readonly bytes: number;
  /** SHA-256 of the whole file, hex. */
  readonly sha256: string;
}

/** Streams a file and returns its length and SHA-256. */
export async function readBackFile(path: string): Promise<ReadBack> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).byteLength;
  }
  return { bytes, sha256: hash.digest('hex') };
}

/** The stored bytes are not the bytes that were verified while streaming. */
export class ReadBackMismatchError extends Error {
  override readonly name = 'ReadBackMismatchError';
  constructor(
    readonly location: string,
    readonly expected: ReadBack,
    readonly found: ReadBack,
  ) {
    super(
      `read-back of ${location} does not match what was written: ${found.bytes} bytes, sha256 ${found.sha256}; ` +
        `expected ${expected.bytes} bytes, sha256 ${expected.sha256}`,
    );
  }
}

/**
 * Reads `path` back and throws {@link ReadBackMismatchError} unless its length
 * and SHA-256 are `expected`.
 */
export async function verifyReadBack(path: string, expected: ReadBack, location = path): Promise<ReadBack> {
  const found = await readBackFile(path);
  if (found.bytes !== expected.bytes || found.sha256 !== expected.sha256) throw new ReadBackMismatchError(location, expected, found);
  return found;
}
