/**
 * The folder driver of the object store (object-store.ts): keys are paths
 * under a folder.
 */
import { createHash } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { type FileHandle, link, mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pidScopeTag, processAlive } from '../host/process.js';
import { syncDir, verifyReadBack, writeAll } from './durable-file.js';
import {
  checkKey,
  chunksOf,
  KeyExistsError,
  PutError,
  storeError,
  type ObjectStore,
  type PutOptions,
  type PutResult,
  type StoredObject,
} from './object-store.js';

/** The part of a file handle the folder driver writes through. */
export type StoreFileHandle = Pick<FileHandle, 'write' | 'sync' | 'close'>;

/** Opens a file to write (`fs.promises.open`; a test hands in one whose handle writes short or fails). */
export type OpenFile = (path: string, flags: number, mode: number) => Promise<StoreFileHandle>;

/** Bytes gathered before one write to the file. */
const WRITE_BATCH_BYTES = 1 << 20;

const CREATE_NEW = fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_WRONLY;

/**
 * Temporary files of a write in progress: `.<name>.partial-<scope>-<pid>-<ms>`,
 * `<scope>` the writer's pid scope (host, boot, pid namespace: host/process.ts
 * pidScopeTag). Older redis-dr wrote `.<name>.partial-<pid>-<ms|hex>`, with no scope.
 */
const PARTIAL = /^\..+\.partial-(?:(h[0-9a-f]{12})-)?(\d+)-([0-9a-f]+)$/;

/**
 * How long a temporary file of a writer in another pid scope (another
 * host on a shared folder, another container, a boot before) must have
 * gone unmodified before a sweep takes its writer for dead: 6 hours, the
 * default `--lease-stale-after` of a backup. A live writer modifies its
 * file with every batch of about 1 MiB; it is quiet only while it syncs
 * and reads the file back, or while its source stalls, and a run older
 * than the lease bound has had its lease taken over anyway. Its pid cannot
 * be asked there (a pid of another host or container names another
 * process, alive or not).
 */
export const FOREIGN_PARTIAL_STALE_MS = 6 * 3600 * 1000;

/** When this process started (ms): a temporary file of this pid made before then is a killed earlier run's. */
const STARTED_MS = Date.now() - process.uptime() * 1000;

let lastStamp = 0;
/** A millisecond stamp, unique in this process (two puts in one millisecond never share a temporary name). */
function stamp(): number {
  lastStamp = Math.max(Date.now(), lastStamp + 1);
  return lastStamp;
}

/**
 * Whether a temporary file is a dead writer's. Written in this pid scope:
 * another process that is gone, or this very pid before this process
 * started (a container's pid 1 every time); a live run's files, and this
 * process's own, are left alone. Written elsewhere (or by an older redis-dr
 * that did not record where): unmodified for {@link FOREIGN_PARTIAL_STALE_MS}.
 */
function deadWriter(name: RegExpExecArray, modifiedMs: number, nowMs: number): boolean {
  const [, scope, pidText, stampText] = name;
  if (scope !== pidScopeTag()) return nowMs - modifiedMs > FOREIGN_PARTIAL_STALE_MS;
  const pid = Number(pidText);
  if (pid !== process.pid) return !processAlive(pid);
  return !/^\d+$/.test(stampText!) || Number(stampText) < STARTED_MS - 1000;
}

/**
 * A folder. A put writes a hidden temporary file beside the key (every
 * byte: short writes are looped over, in batches of about 1 MiB), syncs it,
 * reads it back and matches it, then links it under the key (a link never
 * replaces a file already there; `replace` renames over it), syncs the
 * folder and removes the temporary name.
 */
export class FileObjectStore implements ObjectStore {
  readonly url: string;
  private readonly open: OpenFile;
  private readonly mode: number;
  constructor(
    readonly dir: string,
    /** `mode`: of the files it creates. @default 0o600 */
    deps: { open?: OpenFile; mode?: number } = {},
  ) {
    this.url = `file://${dir}`;
    this.open = deps.open ?? ((path, flags, mode) => open(path, flags, mode));
    this.mode = deps.mode ?? 0o600;
  }

  location(key: string): string {
    return `${this.url}/${key}`;
  }

  /** The path of `key`. @throws on a key that would leave the folder */
  path(key: string): string {
    checkKey(key);
    return join(this.dir, ...key.split('/'));
  }

  async put(key: string, body: Uint8Array | AsyncIterable<Uint8Array>, options: PutOptions = {}): Promise<PutResult> {
    const { ifExists = 'fail', commit, signal } = options;
    const final = this.path(key);
    const folder = dirname(final);
    const temp = join(folder, `.${final.slice(folder.length + 1)}.partial-${pidScopeTag()}-${process.pid}-${stamp()}`);
    const location = this.location(key);
    const skipped: PutResult = { written: false, bytes: 0, sha256: '', location, how: 'file' };
    let made = false;
    let stage: PutError['stage'] = 'write';
    try {
      if (ifExists === 'skip' && (await this.exists(key))) return skipped;
      await mkdir(folder, { recursive: true });
      const fh = await this.open(temp, CREATE_NEW, this.mode);
      made = true;
      const hash = createHash('sha256');
      let bytes = 0;
      try {
        // Chunks (16 KiB from a replication stream) are written in batches of about 1 MiB: one write per
        // chunk was a quarter of the CPU of a remote backup (bench/README.md, backup). Each batch is awaited,
        // so the source waits while the disk catches up (memory stays bounded).
        let batch: Uint8Array[] = [];
        let batched = 0;
        for await (const chunk of chunksOf(body)) {
          signal?.throwIfAborted();
          hash.update(chunk);
          bytes += chunk.byteLength;
          batch.push(chunk);
          batched += chunk.byteLength;
          if (batched >= WRITE_BATCH_BYTES) {
            await writeAll(fh, Buffer.concat(batch, batched), temp);
            batch = [];
            batched = 0;
          }
        }
        if (batched > 0) await writeAll(fh, Buffer.concat(batch, batched), temp);
        await fh.sync();
      } finally {
        await fh.close();
      }
      signal?.throwIfAborted();
      commit?.();
      const sha256 = hash.digest('hex');
      // What the file system holds, not what write() said it took; read back before the key exists: a mismatch never shows under it.
      stage = 'read-back';
      await verifyReadBack(temp, { bytes, sha256 }, location);
      stage = 'write';
      if (ifExists === 'replace') await rename(temp, final);
      else
        try {
          await link(temp, final); // never replaces: a key that appeared meanwhile stays
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
          if (ifExists === 'skip') return skipped;
          throw new KeyExistsError(this.url, key);
        }
      await syncDir(folder);
      return { written: true, bytes, sha256, location, how: 'file' };
    } catch (err) {
      if ((signal?.aborted && err === signal.reason) || err instanceof KeyExistsError) throw err;
      throw new PutError(stage, err);
    } finally {
      // Only this put's own temporary name goes: the key is linked (or renamed) only after the read-back matched,
      // so a failed read-back never touches what another writer put under the key.
      if (made) await unlink(temp).catch(() => undefined);
    }
  }

  async get(key: string): Promise<Buffer> {
    return readFile(this.path(key));
  }

  async getStream(key: string): Promise<AsyncIterable<Uint8Array>> {
    const fh = await open(this.path(key), 'r');
    return fh.createReadStream({ highWaterMark: 1 << 20 });
  }

  async exists(key: string): Promise<boolean> {
    try {
      await stat(this.path(key));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    const path = this.path(key);
    try {
      await unlink(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    await syncDir(dirname(path));
  }

  async list(): Promise<StoredObject[]> {
    return (await this.walk())
      .filter((f) => !f.name.startsWith('.')) // temporary files being written
      .map((f) => ({ key: f.key, bytes: f.bytes }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async sweep(): Promise<string[]> {
    const removed: string[] = [];
    try {
      const now = Date.now();
      for (const f of await this.walk()) {
        const m = PARTIAL.exec(f.name);
        if (!m || !deadWriter(m, f.modifiedMs, now)) continue;
        await unlink(join(this.dir, f.key)).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'ENOENT') throw err;
        });
        removed.push(f.key);
      }
      for (const folder of new Set(removed.map((r) => dirname(join(this.dir, r))))) await syncDir(folder);
    } catch (err) {
      throw storeError(this.url, 'remove temporary files', err);
    }
    return removed;
  }

  /** Every file under the folder (not under hidden folders), temporary ones included, with its size and modification time. */
  private async walk(): Promise<{ key: string; name: string; bytes: number; modifiedMs: number }[]> {
    const out: { key: string; name: string; bytes: number; modifiedMs: number }[] = [];
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
          const found = await stat(join(this.dir, key)).catch(() => undefined);
          if (found) out.push({ key, name: e.name, bytes: found.size, modifiedMs: found.mtimeMs });
        }
      }
    };
    await walk('');
    return out;
  }
}
