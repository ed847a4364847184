/**
 * The server's AOF directory (`dir`/`appenddirname`), read the way a shipper
 * must: files are opened once and the descriptors kept, so an increment the
 * server removes after a rewrite can still be read to its end (on Linux and
 * other Unix systems an unlinked file lives while a descriptor holds it);
 * a watch on the directory lets the shipper open new files the moment a new
 * manifest names them. And a directory a restore writes.
 *
 * Narrow: no decisions, only reads, writes and the errors that say why.
 */
import { watch, type FSWatcher } from 'node:fs';
import { mkdir, open, readdir, readFile, rm, rmdir, stat, type FileHandle } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { appendFilenameOf } from '../../domain/self-managed/aof-manifest.js';
import { PutError } from './object-store.js';
import { FileObjectStore } from './object-store-file.js';

/** The directory is not a Redis 7+ AOF directory (the message says what it is instead). */
export class AofDirError extends Error {
  override readonly name = 'AofDirError';
}

/** An open file of the directory. */
export interface AofFileHandle {
  readonly name: string;
  /** Identity of the file opened (device and inode). */
  readonly dev: number;
  readonly ino: number;
  /** Its size now (fstat: also after the server removed it). */
  size(): Promise<number>;
  /** Bytes [offset, offset + length), fewer at the end of the file. */
  read(offset: number, length: number): Promise<Buffer>;
  /** Bytes [start, end) as chunks of at most 1 MiB. */
  stream(start: number, end: number): AsyncIterable<Uint8Array>;
  close(): Promise<void>;
}

/** The manifest as read. */
export interface ManifestFile {
  /** Its file name, e.g. `appendonly.aof.manifest`. */
  readonly file: string;
  /** The `appendfilename` it implies. */
  readonly appendFilename: string;
  readonly text: string;
}

/** A Redis 7+ AOF directory on this host. */
export class AofDirectory {
  constructor(readonly dir: string) {}

  /**
   * Finds and reads the manifest.
   * @throws AofDirError when the directory is missing, is not an AOF directory, or holds several manifests
   */
  async readManifest(): Promise<ManifestFile> {
    let names: string[];
    try {
      const info = await stat(this.dir);
      if (!info.isDirectory())
        throw new AofDirError(`${this.dir} is not a directory: give the server's AOF directory (its dir + appenddirname, e.g. /var/lib/redis/appendonlydir)`);
      names = await readdir(this.dir);
    } catch (err) {
      if (err instanceof AofDirError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      throw new AofDirError(
        `cannot read ${this.dir}: ${code === 'ENOENT' ? 'no such directory' : code === 'EACCES' ? 'permission denied (run as the redis user, or in its group)' : (err as Error).message}`,
      );
    }
    const manifests = names.filter((n) => appendFilenameOf(n) !== undefined);
    if (manifests.length === 0) {
      const sub = names.find((n) => n === 'appendonlydir');
      const legacy = names.find((n) => /\.aof$/.test(n) && !n.includes('.incr.') && !n.includes('.base.'));
      throw new AofDirError(
        `${this.dir} is not an AOF directory: it holds no <appendfilename>.manifest` +
          (sub
            ? ` (it looks like the server's dir: the AOF directory is ${join(this.dir, sub)})`
            : legacy
              ? ` (${legacy} looks like the single-file AOF of Redis before 7.0: ship-aof needs the multi-part AOF of Redis 7+ or Valkey)`
              : ' (is appendonly yes? the server creates the directory with its first write; Redis before 7.0 writes a single file, not supported)'),
      );
    }
    if (manifests.length > 1) {
      throw new AofDirError(
        `${this.dir} holds ${manifests.length} manifests (${manifests.join(', ')}): one server's AOF directory holds one; give each server its own appenddirname`,
      );
    }
    const file = manifests[0]!;
    let text: string;
    try {
      text = await readFile(join(this.dir, file), 'utf8');
    } catch (err) {
      throw new AofDirError(`cannot read ${join(this.dir, file)}: ${(err as Error).message}`);
    }
    return { file, appendFilename: appendFilenameOf(file)!, text };
  }

  /** Opens a file of the directory; undefined when it is not there (removed meanwhile). */
  async open(name: string): Promise<AofFileHandle | undefined> {
    if (name.includes('/') || name === '..' || name === '.') throw new Error(`not a file name: ${name}`);
    let fh: FileHandle;
    try {
      fh = await open(join(this.dir, name), 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    try {
      const info = await fh.stat();
      return handle(name, fh, info.dev, info.ino);
    } catch (err) {
      // Closed here, not left to the garbage collector (which closes it later with a warning on stderr).
      await fh.close().catch(() => undefined);
      throw err;
    }
  }

  /** Whether `name` in the directory is still the file `handle` was opened on (not replaced by a new file of the same name). */
  async sameFile(name: string, handle: AofFileHandle): Promise<boolean> {
    try {
      const now = await stat(join(this.dir, name));
      return now.ino === handle.ino && now.dev === handle.dev;
    } catch {
      return true; // removed: the descriptor still reads the file it was opened on
    }
  }

  /**
   * Calls `onChange` whenever a manifest of the directory is written (the
   * server renames a new one into place when files come and go; appends to
   * an increment are not reported); returns the function that stops watching.
   */
  watch(onChange: () => void): () => void {
    let w: FSWatcher | undefined;
    try {
      w = watch(this.dir, { persistent: false }, (_event, file) => {
        if (file === null || String(file).endsWith('.manifest')) onChange();
      });
      w.on('error', () => undefined);
    } catch {
      return () => undefined; // no watching here (some file systems): the interval still finds everything
    }
    return () => w?.close();
  }
}

function handle(name: string, fh: FileHandle, dev: number, ino: number): AofFileHandle {
  let closed = false;
  return {
    name,
    dev,
    ino,
    size: async () => (await fh.stat()).size,
    async read(offset, length) {
      const buf = Buffer.allocUnsafe(length);
      let got = 0;
      while (got < length) {
        const { bytesRead } = await fh.read(buf, got, length - got, offset + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return buf.subarray(0, got);
    },
    async *stream(start, end) {
      const size = 1 << 20;
      for (let at = start; at < end; ) {
        const want = Math.min(size, end - at);
        const buf = Buffer.allocUnsafe(want);
        const { bytesRead } = await fh.read(buf, 0, want, at);
        if (bytesRead === 0) throw new Error(`${name} ended at byte ${at}, before ${end}: it shrank while it was read`);
        yield buf.subarray(0, bytesRead);
        at += bytesRead;
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await fh.close();
    },
  };
}

/** A directory a restore writes: made new (or taken empty), removed again when the restore fails. */
export class RestoreDirectory {
  private created = false;
  private readonly written: string[] = [];
  private readonly files: FileObjectStore;
  constructor(readonly dir: string) {
    // Readable by the server's group (redis-server may run as another user than the restore).
    this.files = new FileObjectStore(dir, { mode: 0o640 });
  }

  /**
   * Makes the directory; refuses one that holds anything.
   * @throws AofDirError naming the problem
   */
  async prepare(): Promise<void> {
    try {
      const names = await readdir(this.dir);
      if (names.length > 0)
        throw new AofDirError(`${this.dir} is not empty (${names.slice(0, 3).join(', ')}${names.length > 3 ? ', …' : ''}): give a new or empty directory`);
    } catch (err) {
      if (err instanceof AofDirError) throw err;
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new AofDirError(`cannot use ${this.dir}: ${(err as Error).message}`);
      await mkdir(this.dir, { recursive: true, mode: 0o750 });
      this.created = true;
    }
  }

  /**
   * Writes a file from chunks through the folder driver of the object store
   * (every byte written, synced, read back: length and SHA-256, then linked
   * under its name, never replacing one, the directory synced). Resolves to
   * its size.
   * @throws the fault itself (a source's error, ShortWriteError, an errno error, ReadBackMismatchError)
   */
  async write(name: string, chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<number> {
    if (name.includes('/') || basename(name) !== name) throw new Error(`not a file name: ${name}`);
    try {
      const { bytes } = await this.files.put(name, asAsync(chunks));
      // Recorded once linked under its name: a put that failed left nothing there (its temporary file is the driver's),
      // and a name that was taken is not this restore's to remove.
      this.written.push(join(this.dir, name));
      return bytes;
    } catch (err) {
      throw err instanceof PutError ? err.cause : err;
    }
  }

  /** Removes what this restore wrote (and the directory, when it made it). */
  async discard(): Promise<void> {
    for (const path of this.written) await rm(path, { force: true });
    if (this.created) await rmdir(this.dir).catch(() => undefined);
  }
}

/** What the server says of its AOF (`ship-aof --redis`). */
export interface ServerAofState {
  /** INFO persistence aof_enabled. */
  readonly aofEnabled: boolean;
  /** CONFIG GET aof-timestamp-enabled, when the server allows CONFIG (ElastiCache and some ACLs do not). */
  readonly timestampsEnabled?: boolean;
}

/** The part of a client the state needs (an ioredis client). */
export interface AofStateClient {
  info(section: 'persistence'): Promise<string>;
  multi(): AofStateTransaction;
  disconnect(): void;
}

/** The part of a MULTI the state needs (ioredis's ChainableCommander). */
export interface AofStateTransaction {
  info(section: 'persistence'): AofStateTransaction;
  call(command: string, ...args: string[]): AofStateTransaction;
  exec(): Promise<[Error | null, unknown][] | null>;
}

/**
 * Reads the server's AOF state on one connection, opened again after it
 * broke (`connect` is asked each time there is none).
 *
 * `INFO persistence` and `CONFIG GET aof-timestamp-enabled` go in one
 * MULTI/EXEC, so the server answers both at one moment. Read one after the
 * other, a change made between the two was half seen: AOF turned off after the
 * INFO and timestamps turned on before the CONFIG GET read "AOF on, timestamps
 * on", a state the server was never in (a flaky test showed it, session 53).
 * A server that refuses CONFIG when it is queued (an ACL without it, a
 * renamed or disabled command: EXECABORT) gets the INFO alone, and its
 * timestamps stay unknown, as before.
 */
export function serverAofState(connect: () => Promise<AofStateClient>): { read(): Promise<ServerAofState>; close(): void } {
  let client: AofStateClient | undefined;
  return {
    async read() {
      client ??= await connect();
      try {
        const replies = await client
          .multi()
          .info('persistence')
          .call('CONFIG', 'GET', 'aof-timestamp-enabled')
          .exec()
          .catch((err: unknown) => {
            if (err instanceof Error && /^EXECABORT/.test(err.message)) return undefined;
            throw err;
          });
        const [infoReply, configReply] = replies ?? [];
        if (infoReply?.[0]) throw infoReply[0];
        const info = infoReply === undefined ? await client.info('persistence') : String(infoReply[1]);
        const m = /^aof_enabled:(\d)/m.exec(info);
        if (!m) throw new Error('INFO persistence has no aof_enabled field: is it a Redis/Valkey server?');
        const config = configReply !== undefined && !configReply[0] && Array.isArray(configReply[1]) ? (configReply[1] as unknown[]) : undefined;
        const ts = config !== undefined && config.length >= 2 ? String(config[1]) : undefined;
        return { aofEnabled: m[1] === '1', ...(ts !== undefined ? { timestampsEnabled: ts === 'yes' } : {}) };
      } catch (err) {
        client.disconnect();
        client = undefined;
        throw err;
      }
    },
    close() {
      client?.disconnect();
      client = undefined;
    },
  };
}

/** Chunks given as an iterable of either kind, as an async one. */
async function* asAsync(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  yield* chunks;
}
