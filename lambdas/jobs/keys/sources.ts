/**
 * Where `migrate --from-rdb` reads: local files, the shard files of one
 * export beside each other (`<dir>/<export name>`), and `s3://` objects —
 * resolved to one whole recovery point (domain/keys/shard-set.ts), each file
 * with a reader that yields its RDB bytes (a compressed envelope unwrapped),
 * each chunk a fresh buffer never written again (the key readers keep a big
 * key's chunks by reference: RdbKeyReaderOptions.keepChunks).
 */
import { closeSync, fstatSync, openSync, read, readdirSync, readSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { readFileChunksReused } from '../../adapters/host/crc64-thread.js';
import { decodeRdbEnvelope, isRdbEnvelope } from '../../adapters/storage/rdb-envelope.js';
import { parseExportObjectKey } from '../../domain/points/export-objects.js';
import { FileChangedError } from '../../domain/rdb/block-digests.js';
import { checkShardSet, ShardSetError, type ShardFile, type ShardSet } from '../../domain/keys/shard-set.js';
import type { RdbFileSource } from './read-rdb.js';
import { noSuchFileHint } from '../../domain/keys/s3-url-meant.js';

/** A source that names nothing readable (a directory, a missing file, no shard files): the caller's input is wrong. */
export class KeySourceError extends Error {
  override readonly name = 'KeySourceError';
}

/** What names the sources. */
export interface RdbSourceSpec {
  /** Files, `<dir>/<export name>`, or `s3://bucket/key` (an object, or an export's name for its shards). */
  readonly fromRdb: readonly string[];
  /** Shards of the recovery point, for local files (S3 objects carry it in their tags). */
  readonly shards?: number;
  /** Bytes per ranged GET of an s3:// source. @default 8 MiB */
  readonly readPartBytes?: number;
}

/**
 * Reads a local file in 1 MiB chunks (the RDB bytes of one in Valkey's
 * compressed envelope: see rdbBytes). Every read after the first must find the
 * same file (device, inode, size, modification time): the later passes trust
 * the first one's checks block by block, and block CRCs catch a change by
 * accident, not one made to match them (CRC-64 is linear). A file replaced
 * (a BGSAVE renaming a new dump over it) or rewritten in between is refused
 * before a byte of it is read; one rewritten while a read goes on is refused
 * at that read's end ({@link heldToTheEnd}).
 */
function localFile(path: string, transient = false, stored: { bytes: number } = { bytes: 0 }): () => AsyncIterable<Uint8Array> {
  let first: FileIdentity | undefined;
  return rdbBytes(
    countedOpen(() => {
      const fd = openSync(path, 'r');
      const now = identityOf(fstatSync(fd));
      first ??= now;
      const changed = changedFile(first, now, 'since the first read');
      if (changed) {
        closeSync(fd);
        throw changed;
      }
      const head = new Uint8Array(4);
      if (isRdbEnvelope(head.subarray(0, readSync(fd, head, 0, 4, 0)))) return heldToTheEnd(fd, now, reads(fd, false));
      if (transient) return heldToTheEnd(fd, now, readFileChunksReused(fd)); // the file held, not one renamed over the path since
      return heldToTheEnd(fd, now, reads(fd, true));
    }, stored),
  );
}

const identityOf = (st: { dev: number; ino: number; size: number; mtimeMs: number }): FileIdentity => ({
  dev: st.dev,
  ino: st.ino,
  size: st.size,
  mtimeMs: st.mtimeMs,
});

/** Why the file is not the one `first` found (replaced, or rewritten: its size or modification time moved), `when`; else undefined. */
function changedFile(first: FileIdentity, now: FileIdentity, when: string, atEnd = false): FileChangedError | undefined {
  if (now.dev === first.dev && now.ino === first.ino && now.size === first.size && now.mtimeMs === first.mtimeMs) return undefined;
  return new FileChangedError(
    0,
    `the file was ${now.ino !== first.ino || now.dev !== first.dev ? 'replaced' : 'rewritten'} ${when} ` +
      `(size ${first.size} → ${now.size}, modified ${new Date(first.mtimeMs).toISOString()} → ${new Date(now.mtimeMs).toISOString()}); ` +
      'run again once nothing writes it, or copy it aside first',
    atEnd,
  );
}

/**
 * `chunks` of the file `fd` holds open, then that file held against what it was when opened: rewritten in place while
 * it was read (its size or modification time moved), its bytes may be of two versions, and a file without a CRC-64
 * has no other check that tells (a review's convert-rdb run wrote and called verified a mix of two versions' values).
 * Refused at the end, before the reader's last step; `fd` closed either way. A file renamed over it meanwhile (a
 * BGSAVE) is no change to the one held open, read whole.
 */
async function* heldToTheEnd(fd: number, opened: FileIdentity, chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  try {
    yield* chunks;
    const changed = changedFile(opened, identityOf(fstatSync(fd)), 'while it was read', true);
    if (changed) throw changed;
  } finally {
    closeSync(fd);
  }
}

/** A local file's reads. */
const READ_BYTES = 1 << 20;

/**
 * The file `fd` holds, read from its start in {@link READ_BYTES} chunks (by this module's own loop, not a read stream:
 * a stream stopped early closes the descriptor it was given, and {@link heldToTheEnd} still needs it). `fresh`, each
 * chunk a new buffer (a plain file's chunks are kept by reference: the key readers' big values); else one buffer read
 * into again and again: a file in Valkey's compressed envelope, whose decoder copies out what it keeps
 * (RdbBytesDecoder.push), where a fresh buffer per read was a compressed file's size in garbage, 1 MiB at a time
 * between the decoder's own buffers (malloc kept the room resident: issue 54 item 10). A transient read of a plain
 * file reads into two page-aligned buffers in turn instead (adapters/host/crc64-thread.ts readFileChunksReused: the
 * kernel's fast copy, the CRC-64 reading them in place, no garbage), each valid until the next is asked.
 */
async function* reads(fd: number, fresh: boolean): AsyncGenerator<Uint8Array> {
  let buffer = fresh ? Buffer.allocUnsafeSlow(READ_BYTES) : new Uint8Array(READ_BYTES);
  for (let at = 0; ; ) {
    const into = buffer;
    const n = await new Promise<number>((resolve, reject) => read(fd, into, 0, READ_BYTES, at, (err, got) => (err ? reject(err) : resolve(got))));
    if (n === 0) return;
    at += n;
    yield buffer.subarray(0, n);
    if (fresh) buffer = Buffer.allocUnsafeSlow(READ_BYTES);
  }
}

/**
 * `chunks` as they are (a reused one still valid until the next is asked), `told` the bytes handed on so far as each
 * is: a conversion's progress (its upload's bytes; with {@link countedOpen}, its input's as stored).
 */
export async function* counted(chunks: AsyncIterable<Uint8Array>, told: (bytes: number) => void): AsyncGenerator<Uint8Array> {
  let n = 0;
  for await (const chunk of chunks) {
    told((n += chunk.length));
    yield chunk;
  }
}

/**
 * `open`'s chunks, their bytes counted into `stored` from each open: the bytes of the file as stored read so far, where
 * a compressed envelope's decoded RDB bytes run ahead of them (RdbFileSource.storedRead).
 */
const countedOpen =
  (open: () => AsyncIterable<Uint8Array>, stored: { bytes: number }): (() => AsyncIterable<Uint8Array>) =>
  () => {
    stored.bytes = 0;
    return counted(open(), (n) => (stored.bytes = n));
  };

/** What identifies one version of a local file. */
interface FileIdentity {
  readonly dev: number;
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
}

/**
 * The RDB bytes of a file, however it is stored: every read of a source goes
 * through here, so both passes (verify, then restore) and --verify see the
 * same bytes, offsets included, of a file in a compressed envelope too.
 */
export function rdbBytes(open: () => AsyncIterable<Uint8Array>): () => AsyncIterable<Uint8Array> {
  return () => envelopeDecoded(open());
}

/**
 * `source` through the envelope decoder, with lz4-napi's native LZ4 decoder
 * loaded only when the first chunk starts an envelope: its binding costs
 * about 4 ms of CPU to load, which a plain file (nearly every one) never
 * needs. A first chunk too short to tell (under 4 bytes) leaves the
 * decoder's own JavaScript LZ4: the same bytes, slower.
 */
async function* envelopeDecoded(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const it = source[Symbol.asyncIterator]();
  let started = false;
  try {
    const first = await it.next();
    if (first.done) return;
    const blocks = isRdbEnvelope(first.value.subarray(0, 4)) ? (await import('../../adapters/storage/lz4-native.js')).nativeLz4Blocks : undefined;
    started = true;
    yield* decodeRdbEnvelope(rest(first.value, it), undefined, blocks);
  } finally {
    if (!started) await it.return?.();
  }
}

/** `first`, then what `it` yields after it (`it` closed when the reader stops early). */
async function* rest(first: Uint8Array, it: AsyncIterator<Uint8Array>): AsyncGenerator<Uint8Array> {
  try {
    yield first;
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
  } finally {
    await it.return?.();
  }
}

/**
 * The files a local `--from-rdb` names: the file itself, or, for a path
 * that is no file, every `<path>-NNNN.rdb` shard of that export in its
 * directory (as `s3://bucket/<export name>` names them in S3).
 */
function localShardFiles(path: string): ShardFile[] {
  let kind: 'file' | 'directory' | 'other' | 'none' = 'none';
  try {
    const st = statSync(path);
    kind = st.isFile() ? 'file' : st.isDirectory() ? 'directory' : 'other';
  } catch {
    // not there: maybe the name of an export whose shards are beside it
  }
  if (kind === 'file') return [{ location: path, name: basename(path) }];
  if (kind !== 'none')
    throw new KeySourceError(
      `--from-rdb ${path}: a ${kind === 'directory' ? 'directory' : 'special file'}; give an .rdb file, or <dir>/<export name> for the shard files <export name>-NNNN.rdb in <dir>`,
    );
  const dir = dirname(path);
  const exportName = basename(path);
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((n) => parseExportObjectKey(n)?.exportName === exportName);
  } catch {
    // reported below
  }
  if (names.length === 0)
    throw new KeySourceError(`--from-rdb ${path}: no such file, and no ${exportName}-NNNN.rdb shard files in ${dir}${noSuchFileHint(path)}`);
  return names.map((n) => ({ location: join(dir, n), name: n }));
}

/** `use` of the S3 reader, a location that names nothing readable (no such bucket or object, access denied) a {@link KeySourceError}. */
async function s3Source<T>(location: string, use: (s3: typeof import('../../adapters/storage/s3-rdb.js')) => Promise<T>): Promise<T> {
  const s3 = await import('../../adapters/storage/s3-rdb.js');
  try {
    return await use(s3);
  } catch (err) {
    if (err instanceof s3.S3LocationError) throw new KeySourceError(`--from-rdb ${location}: ${err.why}`, { cause: err });
    throw err;
  }
}

/** Every --from-rdb resolved to files, checked to be one whole recovery point (see domain/keys/shard-set.ts), each with a reader. */
export async function resolveRdbSources(o: RdbSourceSpec): Promise<{ set: ShardSet; files: RdbFileSource[] }> {
  const given: ShardFile[] = [];
  for (const location of o.fromRdb) {
    // The AWS SDK loads only for s3:// sources.
    if (location.startsWith('s3://')) given.push(...(await s3Source(location, async (s3) => s3.s3ShardFiles(location))));
    else given.push(...localShardFiles(location));
  }
  const seen = new Set<string>();
  const unique = given.filter((f) => !seen.has(f.location) && seen.add(f.location));
  let set: ShardSet;
  try {
    set = checkShardSet(unique, o.shards);
  } catch (err) {
    if (err instanceof ShardSetError) throw new Error(`the files are refused, nothing was written: ${err.message}`);
    throw err;
  }
  const files: RdbFileSource[] = [];
  for (const f of set.files) {
    if (f.location.startsWith('s3://')) {
      // One HeadObject per object; every read pinned to its ETag.
      const object = await s3Source(f.location, (s3) => s3.openS3Object(f.location, { partBytes: o.readPartBytes }));
      const stored = { bytes: 0 };
      files.push({ location: f.location, size: object.size, storedRead: () => stored.bytes, open: rdbBytes(countedOpen(object.read, stored)) });
    } else {
      // Its size for progress only: one that cannot be told (a folder listed but not entered) is left unsaid, the read says why.
      let size: number | undefined;
      try {
        size = statSync(f.location).size;
      } catch {}
      const stored = { bytes: 0 };
      files.push({
        location: f.location,
        ...(size !== undefined ? { size } : {}),
        storedRead: () => stored.bytes,
        open: localFile(f.location, false, stored),
        openTransient: localFile(f.location, true, stored),
      });
    }
  }
  return { set, files };
}
