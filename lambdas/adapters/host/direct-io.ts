/**
 * Reading a file in chunks, one read ahead ({@link readAhead}), and what
 * reading and writing past the page cache needs (O_DIRECT): the open, and
 * memory whose start is page-aligned. The kernel takes a direct read
 * or write only where the buffer's address, the file offset and the size are
 * multiples of the device's block (4,096 bytes covers the 512- and 4,096-byte
 * ones); anything else it refuses with EINVAL before moving a byte, and the
 * callers go on through the page cache from there.
 */
import { constants, read } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';

/** The alignment a direct read or write is given: buffer address, file offset and size in multiples of it. */
export const DIRECT_ALIGN = 4096;

/** Minimal typing of the WebAssembly global's memory (not in the ES library typings this project uses). */
declare const WebAssembly: { Memory: new (d: { initial: number; maximum: number; shared?: boolean }) => { buffer: ArrayBuffer } } | undefined;

/**
 * `bytes` of page-aligned memory (WebAssembly's), or undefined where there is none. The kernel copies a file read
 * into it about 4 times faster than into an ArrayBuffer from malloc, whose start is 16 bytes past a page (0.06 s
 * instead of 0.24 s of system time for 480 MB, bench/verify-rdb), and a direct read or write needs it. `shared` for the
 * CRC-64 worker's chunks: the parser's loads from shared memory cost about 4 % more instructions (cachegrind), but the
 * copy saved takes a core's time too (issue 26: the whole verification's CPU 1.24–1.31 s instead of 1.48–1.60 s on the
 * everyday-shape file).
 */
export function pageAligned(bytes: number, shared = false): Uint8Array | undefined {
  if (typeof WebAssembly !== 'object') return undefined;
  try {
    const pages = Math.ceil(bytes / 65_536);
    return new Uint8Array(new WebAssembly.Memory({ initial: pages, maximum: pages, shared }).buffer, 0, bytes);
  } catch {
    return undefined;
  }
}

/** A handle {@link openDirect} opened, and whether with O_DIRECT. */
export type DirectHandle = FileHandle & { readonly direct?: boolean };

/**
 * `path` opened with `flags` and O_DIRECT; where the system has no O_DIRECT (macOS, Windows) or the file system
 * refuses it at the open (tmpfs before Linux 6.6, some FUSE file systems: EINVAL), without it (through the page cache).
 */
export async function openDirect(path: string, flags: number = constants.O_RDONLY): Promise<DirectHandle> {
  const O_DIRECT = (constants as { O_DIRECT?: number }).O_DIRECT;
  if (O_DIRECT !== undefined) {
    try {
      return Object.assign(await open(path, flags | O_DIRECT), { direct: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err;
    }
  }
  return open(path, flags);
}

/**
 * The file in chunks of `chunkBytes`, each read into the buffer `bufferFor` gives, one read ahead: the next
 * chunk comes in while the caller works on this one. Opens the file when first iterated (a descriptor: read, left open).
 *
 * With `direct` (a path), opened with O_DIRECT where the system has it: the reads come from the device into the
 * buffers, past the page cache (a file written past it, as convert-rdb's output is: storage/direct-append.ts, read back
 * from the disk and not through pages allocated for it). The file system refuses that at the open, or the kernel a
 * read whose buffer, offset or size is not aligned as the device needs (EINVAL, nothing read): the rest through the
 * page cache, from the same offset.
 */
export async function* readAhead(
  path: string | number,
  chunkBytes: number,
  bufferFor: () => Uint8Array,
  options: {
    /** Past the page cache (a path; see above). */
    readonly direct?: boolean;
    /** Reads in flight while the caller works on a chunk (`bufferFor` gives this many + 1 buffers in turn). */
    readonly ahead?: number;
    /** The read itself (`fs.read`; a test hands in one that fails or stalls where a device would). */
    readonly read?: typeof read;
  } = {},
): AsyncGenerator<Uint8Array> {
  const readOnce = options.read ?? read;
  const file: DirectHandle | undefined = typeof path === 'number' ? undefined : options.direct ? await openDirect(path) : await open(path, 'r');
  /** Whether reads go to the direct handle (until the kernel refuses one). */
  let directNow = file?.direct === true;
  /** The file opened again without O_DIRECT, once the kernel refused a direct read (the direct handle stays open until the end: a read may still be on it). */
  let buffered: Promise<FileHandle> | undefined;
  let position = 0;
  /**
   * The chunk at `at`, read until it is full or the file ends: a read may return less than asked before the end (a
   * network or FUSE file system), and a chunk cut short there would leave a gap in the bytes, not an error.
   */
  const fill = async (fd: number, buffer: Uint8Array, at: number, viaDirect: boolean): Promise<number> => {
    let got = 0;
    while (got < chunkBytes) {
      const n = await new Promise<number>((resolve, reject) =>
        readOnce(fd, buffer, got, chunkBytes - got, at + got, (err, bytes) => (err ? reject(err) : resolve(bytes))),
      );
      got += n;
      // The end; or, past the page cache, a read that stopped off a block's edge, which is the file's end (the next direct
      // read from there would be refused: the chunk after it says whether the file did end).
      if (n === 0 || (viaDirect && got % DIRECT_ALIGN !== 0)) break;
    }
    return got;
  };
  const readNext = async (): Promise<Uint8Array> => {
    const buffer = bufferFor();
    const at = position;
    position += chunkBytes;
    const viaDirect = directNow;
    // A descriptor given: the file it holds, not one renamed over the path since.
    const fd = buffered !== undefined ? (await buffered).fd : (file?.fd ?? (path as number));
    const bytesRead = await fill(fd, buffer, at, viaDirect).catch(async (err: NodeJS.ErrnoException) => {
      // Every read issued on the direct handle before the first refusal came back is refused too: each is read again
      // (a direct read that stopped short leaves the next one unaligned, refused the same way).
      if (!viaDirect || err.code !== 'EINVAL') throw err;
      directNow = false;
      buffered ??= open(path as string, 'r');
      return fill((await buffered).fd, buffer, at, false);
    });
    return buffer.subarray(0, bytesRead);
  };
  /** A read issued ahead: its failure is thrown where the chunk is awaited, never left unhandled while another is. */
  const issue = (): Promise<Uint8Array> => {
    const p = readNext();
    p.catch(() => undefined);
    return p;
  };
  const next = Array.from({ length: options.ahead ?? 1 }, issue);
  try {
    for (let at = 0, short = false; ; at += chunkBytes) {
      const chunk = await next.shift()!;
      if (chunk.length === 0) return;
      // A chunk cut short is the file's end: bytes after it (a file that grew, a read that stopped early) would follow a gap.
      if (short) throw new Error(`reading ${String(path)}: a read returned fewer bytes than asked at offset ${at - chunkBytes}, yet more followed`);
      short = chunk.length < chunkBytes;
      next.push(issue());
      yield chunk;
    }
  } finally {
    for (const n of next) await n.catch(() => undefined);
    await file?.close();
    await (await buffered?.catch(() => undefined))?.close();
  }
}
