/**
 * Where self-managed backups go: a folder (`file:///dir`) or an S3 prefix
 * (`s3://bucket/prefix`, any S3-compatible store). Both write a backup so it
 * exists under its final name only once it is complete, its bytes were
 * judged good (`commit` is asked after the last byte) and read back from
 * the destination and matched; both record the tier and the read-back
 * beside it (what makes a file ours, deletable by retention, and proven),
 * and both carry an integrity checksum the store or a reader checks.
 *
 * Narrow: list, exists, write, remove, hold, release. Policy (names, tiers, what to delete)
 * is in lambdas/domain/self-managed/backup.ts. The S3 store is in backup-store-s3.ts, so a
 * file:// run never loads the AWS SDK (about 60 MiB: bench/README.md, backup).
 */
import { createHash } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { type FileHandle, link, mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { StoredBackup } from '../../domain/self-managed/backup.js';
import { describeHolder, type FoundLease, type LeaseHolder, formatLease, leaseName, parseLease, staleLease } from '../../domain/self-managed/lease.js';
import { isTier, type Tier } from '../../domain/plans/types.js';
import { syncDir, verifyReadBack, writeAll } from './durable-file.js';
import { errorName } from '../aws/errors.js';
import { processAlive } from '../host/process.js';

/** What is known of a backup before its bytes are (its name's facts). */
export interface BackupMeta {
  readonly tier: Tier;
  readonly target: string;
  /** When the backup was taken (ISO). */
  readonly createdAt: string;
}

/** What the bytes were judged to hold, returned by `commit()` once the last byte was verified. */
export interface BackupContent {
  readonly keys: number;
  readonly rdbVersion: number;
  /** Set when the backup is a keyspace collapse (the detail): recorded so retention holds. */
  readonly collapsed?: string;
}

/** The stored bytes read back from the destination and matched against what was written. */
export interface ReadBackRecord {
  readonly bytes: number;
  /** SHA-256 of the whole file, hex. */
  readonly sha256: string;
  /** When it was read back (ISO). */
  readonly at: string;
  /** How: the file read again, or S3's checksum of the object (full-object or composite of the parts), or the object read again. */
  readonly how: 'file' | 's3-full-object-checksum' | 's3-composite-checksum' | 's3-get';
}

/** What is recorded beside a backup (the `.json` sidecar; object tags on S3). */
export interface BackupRecord extends BackupMeta, BackupContent {
  readonly sha256?: string;
  readonly bytes?: number;
  /** Absent: the backup was never proven stored (an older redis-dr, a run killed before the record). */
  readonly readBack?: ReadBackRecord;
  /** Why retention must keep it (`keyspace-collapsed:<point>`) until released. */
  readonly hold?: string;
}

/** What a write produced. */
export interface WrittenBackup {
  readonly bytes: number;
  /** SHA-256 of the whole file, hex. */
  readonly sha256: string;
  /** Where it is, as a URL (`file:///…` or `s3://…`). */
  readonly location: string;
  /** The read-back that made it count as stored. */
  readonly readBack: ReadBackRecord;
}

/** A lease this run holds (domain/self-managed/lease.ts). */
export interface TakenLease {
  /** Set when a stale lease was taken over: why it was stale and whose it was. */
  readonly tookOver?: string;
  /** Gives the lease up, only if it still carries this run's token. Never throws. */
  release(): Promise<void>;
}

/** One attempt at the lease: taken, or held by a run that may still be running. */
export type LeaseAttempt = { readonly taken: TakenLease } | { readonly held: FoundLease };

/** A destination for backups. */
export interface BackupStore {
  /** `file:///dir` or `s3://bucket/prefix/`, for messages. */
  readonly url: string;
  /** Every `.rdb` file there, with what redis-dr recorded for it (nothing for foreign files). */
  list(): Promise<StoredBackup[]>;
  exists(file: string): Promise<boolean>;
  /**
   * Writes `body` as `file`. After the last byte `commit()` is called: when it
   * throws, nothing is left under the final name (nor a temporary one) and
   * its error is rethrown. Then the stored bytes are read back and matched
   * (length and SHA-256) against what was streamed; only then is the backup
   * there under its name, with its record (the read-back in it).
   * @throws an Error whose message names the destination, on any store fault
   *   or a read-back that does not match (its cause a ReadBackMismatchError);
   *   nothing this run created is left
   */
  write(file: string, body: AsyncIterable<Uint8Array>, meta: BackupMeta, commit: () => BackupContent): Promise<WrittenBackup>;
  /** Deletes a backup redis-dr wrote, with what it recorded beside it. */
  remove(file: string): Promise<void>;
  /** Records a hold on a backup redis-dr wrote (retention keeps it until released). */
  hold(file: string, reason: string): Promise<void>;
  /**
   * Takes the lease of `target` in this destination (one run at a time per
   * target), taking over a stale one (domain/self-managed/lease.ts
   * staleLease), or says who holds it.
   * @throws an Error naming the destination on a store fault, or (folders)
   *   when the folder does not exist and the store was not opened to create it
   */
  takeLease(target: string, holder: LeaseHolder, staleAfterMs: number): Promise<LeaseAttempt>;
  /**
   * Removes what a run killed midway left beside no backup: a folder's
   * `<file>.json` and `<file>.sha256` whose `<file>` is gone. Call it under
   * the lease. Returns the names removed (S3 keeps records in tags: none).
   */
  sweepOrphans(): Promise<string[]>;
  /**
   * Removes the hold recorded on a backup, and its collapse mark: removed, or
   * replaced by `acceptedMark` (an accepted collapse: a good point again, and
   * the start of a new collapse window).
   */
  release(file: string, acceptedMark?: string): Promise<void>;
}

/** Parses `file:///dir` or `s3://bucket[/prefix]`. */
export function parseDestination(url: string): { kind: 'file'; dir: string } | { kind: 's3'; bucket: string; prefix: string } | undefined {
  const file = /^file:\/\/(\/.*)$/.exec(url);
  if (file) return { kind: 'file', dir: decodeURIComponent(file[1]!).replace(/\/+$/, '') || '/' };
  const s3 = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(url);
  if (s3) {
    const prefix = (s3[2] ?? '').replace(/^\/+/, '');
    return { kind: 's3', bucket: s3[1]!, prefix: prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/` };
  }
  return undefined;
}

// ---- a folder ---------------------------------------------------------------

/** Bytes gathered before one write to the file. */
const WRITE_BATCH_BYTES = 1 << 20;

/** The part of a file handle the folder store uses. */
export type StoreFileHandle = Pick<FileHandle, 'write' | 'sync' | 'close'>;

/** Opens a file for the store (`fs.promises.open`; a test hands in one whose handle writes short or fails). */
export type OpenFile = (path: string, flags: number, mode: number) => Promise<StoreFileHandle>;

const CREATE_NEW = fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_WRONLY;

/**
 * A folder. A backup is written to a hidden temporary file (every byte:
 * short writes are looped over), synced, read back and matched, then linked
 * to its final name (a link, not a rename: it never replaces a file already
 * there), the folder synced, and the temporary name removed. Beside it:
 * `<file>.sha256` (`sha256sum -c` format) and `<file>.json` (the record,
 * with the read-back).
 */
export class FileBackupStore implements BackupStore {
  readonly url: string;
  private readonly open: OpenFile;
  private readonly create: boolean;
  constructor(
    private readonly dir: string,
    /** `create`: make the folder when it does not exist (`--create`); else a missing folder is refused (a typo). @default true */
    deps: { open?: OpenFile; create?: boolean } = {},
  ) {
    this.url = `file://${dir}`;
    this.open = deps.open ?? ((path, flags, mode) => open(path, flags, mode));
    this.create = deps.create ?? true;
  }

  async takeLease(target: string, holder: LeaseHolder, staleAfterMs: number): Promise<LeaseAttempt> {
    await this.ensureFolder();
    const path = join(this.dir, leaseName(target));
    let tookOver: string | undefined;
    try {
      // A few rounds: a lease may be released or taken over by another run between two steps.
      for (let round = 0; round < 5; round++) {
        if (await this.createLease(path, holder)) {
          const release = async (): Promise<void> => {
            const now = await readFile(path, 'utf8').catch(() => '');
            if (parseLease(now)?.token === holder.token) await unlink(path).catch(() => undefined);
          };
          return { taken: { ...(tookOver ? { tookOver } : {}), release } };
        }
        const found = await readLease(path);
        if (!found) continue;
        const why = staleLease(found, { host: hostname(), now: new Date(), alive: processAlive }, staleAfterMs);
        if (!why) return { held: found };
        // Moved aside (atomic), then checked: a fresh lease another run put there meanwhile goes back.
        const aside = `${path}.stale-${holder.token}`;
        try {
          await rename(path, aside);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
          throw err;
        }
        const moved = await readLease(aside);
        if (moved?.holder?.token !== found.holder?.token) await link(aside, path).catch(() => undefined);
        else tookOver = `a stale lease (${why}: ${describeHolder(found)})`;
        await unlink(aside).catch(() => undefined);
      }
    } catch (err) {
      throw storeError(this.url, `take the lease of ${target}`, err);
    }
    return { held: (await readLease(path)) ?? { writtenAt: new Date() } };
  }

  /** Creates the lease whole (written to a temporary name, then linked: never replacing); false when one is there. */
  private async createLease(path: string, holder: LeaseHolder): Promise<boolean> {
    const temp = `${path}.partial-${process.pid}-${Date.now()}`;
    const created: string[] = [];
    try {
      await this.writeSynced(temp, formatLease(holder), created);
      await link(temp, path);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    } finally {
      for (const p of created) await unlink(p).catch(() => undefined);
    }
  }

  /** The folder exists, or is made when the store may create it; a missing folder is refused otherwise (a mistyped --to). */
  private async ensureFolder(): Promise<void> {
    try {
      if ((await stat(this.dir)).isDirectory()) return;
      throw new Error(`${this.url} is not a folder`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw storeError(this.url, 'open the folder', err);
    }
    if (!this.create) throw new Error(`${this.url}: no such folder. Check the path (a typo?), or add --create to make it (the first run of a new destination)`);
    await mkdir(this.dir, { recursive: true }).catch((err: unknown) => {
      throw storeError(this.url, 'create the folder', err);
    });
  }

  async sweepOrphans(): Promise<string[]> {
    const names = new Set(await readdir(this.dir).catch(() => [] as string[]));
    const removed: string[] = [];
    for (const name of names) {
      const m = /^(.+\.rdb)\.(json|sha256)$/.exec(name);
      if (!m || name.startsWith('.') || names.has(m[1]!)) continue;
      await unlink(join(this.dir, name)).catch(() => undefined);
      removed.push(name);
    }
    if (removed.length > 0) await syncDir(this.dir).catch(() => undefined);
    return removed.sort();
  }

  async list(): Promise<StoredBackup[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if (errorName(err) === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new Error(`cannot list ${this.url}: ${(err as Error).message}`, { cause: err });
    }
    const found: StoredBackup[] = [];
    for (const file of names.filter((n) => n.endsWith('.rdb') && !n.startsWith('.'))) {
      const info = await stat(join(this.dir, file));
      if (!info.isFile()) continue;
      found.push({ file, size: info.size, ...recorded(await this.record(file), info.size) });
    }
    return found;
  }

  /** The record beside `file`, or `undefined` (none, or not ours). */
  private async record(file: string): Promise<Partial<BackupRecord> | undefined> {
    try {
      const record = JSON.parse(await readFile(join(this.dir, `${file}.json`), 'utf8')) as Partial<BackupRecord>;
      return record !== null && typeof record === 'object' ? record : undefined;
    } catch {
      return undefined; // no record (or not ours): never deleted
    }
  }

  async exists(file: string): Promise<boolean> {
    try {
      await stat(join(this.dir, file));
      return true;
    } catch {
      return false;
    }
  }

  async write(file: string, body: AsyncIterable<Uint8Array>, meta: BackupMeta, commit: () => BackupContent): Promise<WrittenBackup> {
    const tag = `${process.pid}-${Date.now()}`;
    const temp = join(this.dir, `.${file}.partial-${tag}`);
    const hash = createHash('sha256');
    let bytes = 0;
    // Every path this run created, and only those, is removed when it fails.
    const created: string[] = [];
    try {
      await mkdir(this.dir, { recursive: true });
      await this.sweepStalePartials();
      const fh = await this.open(temp, CREATE_NEW, 0o600);
      created.push(temp);
      try {
        // Chunks (16 KiB from a replication stream) are written in batches of about 1 MiB: one write per
        // chunk was a quarter of the CPU of a remote backup (bench/README.md, backup). Each batch is awaited,
        // so the source waits while the disk catches up (memory stays bounded).
        let batch: Uint8Array[] = [];
        let batched = 0;
        for await (const chunk of body) {
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
      const content = commit();
      const sha256 = hash.digest('hex');
      // Read back before the final name exists: a mismatch never shows under it.
      const found = await verifyReadBack(temp, { bytes, sha256 }, `${this.url}/${file}`);
      const readBack: ReadBackRecord = { ...found, at: new Date().toISOString(), how: 'file' };
      // The backup first, then its record beside it; links never replace what is there.
      await this.linkNew(temp, file, created);
      await this.writeNew(`${file}.sha256`, `${sha256}  ${file}\n`, tag, created);
      const record: BackupRecord = { ...meta, ...content, sha256, bytes, readBack };
      await this.writeNew(`${file}.json`, `${JSON.stringify(record, null, 2)}\n`, tag, created);
      await unlink(temp);
      created.splice(created.indexOf(temp), 1);
      await syncDir(this.dir);
      return { bytes, sha256, location: `${this.url}/${file}`, readBack };
    } catch (err) {
      // This run's backup goes too when its record could not be written: never a backup retention cannot manage.
      for (const path of created.reverse()) await unlink(path).catch(() => undefined);
      await syncDir(this.dir).catch(() => undefined);
      throw storeError(this.url, 'write', err);
    }
  }

  /** Links `from` as `name` in the folder; fails (EEXIST) rather than replace. */
  private async linkNew(from: string, name: string, created: string[]): Promise<void> {
    try {
      await link(from, join(this.dir, name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new Error(`${name} appeared in ${this.url} while this backup was written: not replaced`);
      throw err;
    }
    created.push(join(this.dir, name));
  }

  /** Writes a small file under a temporary name (every byte), syncs it, and links it as `name` (never replacing). */
  private async writeNew(name: string, text: string, tag: string, created: string[]): Promise<void> {
    const temp = join(this.dir, `.${name}.partial-${tag}`);
    await this.writeSynced(temp, text, created);
    await this.linkNew(temp, name, created);
    await unlink(temp);
    created.splice(created.indexOf(temp), 1);
  }

  /** Creates `path` with `text`, every byte written and synced. */
  private async writeSynced(path: string, text: string, created: string[]): Promise<void> {
    const fh = await this.open(path, CREATE_NEW, 0o600);
    created.push(path);
    try {
      await writeAll(fh, Buffer.from(text, 'utf8'), path);
      await fh.sync();
    } finally {
      await fh.close();
    }
  }

  /**
   * Removes the temporary files of runs that died (killed, OOM): `.<name>.partial-<pid>-<ms>`
   * whose process is gone, and those of this pid created before this process started (a killed
   * earlier run that had the same pid: a container's pid 1 every time). A live run's files, and
   * this process's own, are left alone.
   */
  private async sweepStalePartials(): Promise<void> {
    const startedMs = Date.now() - process.uptime() * 1000;
    for (const name of await readdir(this.dir)) {
      const m = /^\..+\.partial-(\d+)-(\d+)$/.exec(name);
      if (!m) continue;
      const pid = Number(m[1]);
      const ours = pid === process.pid && Number(m[2]) >= startedMs - 1000;
      if (ours || (pid !== process.pid && processAlive(pid))) continue;
      await unlink(join(this.dir, name)).catch(() => undefined);
    }
  }

  async remove(file: string): Promise<void> {
    try {
      await unlink(join(this.dir, file));
    } catch (err) {
      throw storeError(this.url, `delete ${file}`, err);
    }
    for (const side of [`${file}.sha256`, `${file}.json`]) await unlink(join(this.dir, side)).catch(() => undefined);
    await syncDir(this.dir).catch(() => undefined);
  }

  async hold(file: string, reason: string): Promise<void> {
    await this.rewriteRecord(file, `hold ${file}`, (r) => ({ ...r, hold: reason }));
  }

  async release(file: string, acceptedMark?: string): Promise<void> {
    await this.rewriteRecord(file, `release ${file}`, ({ hold: _hold, collapsed: _collapsed, ...rest }) =>
      acceptedMark === undefined ? rest : { ...rest, collapsed: acceptedMark },
    );
  }

  /** Replaces `file`'s record with `change(record)`: a new file renamed over it (a reader sees the old or the new one). */
  private async rewriteRecord(file: string, what: string, change: (r: Partial<BackupRecord>) => Partial<BackupRecord>): Promise<void> {
    const created: string[] = [];
    try {
      const record = await this.record(file);
      if (record === undefined || !isTier(record.tier))
        throw new Error(`${file} has no record redis-dr wrote (${file}.json): not ours to ${what.split(' ')[0]}`);
      const temp = join(this.dir, `.${file}.json.partial-${process.pid}-${Date.now()}`);
      await this.writeSynced(temp, `${JSON.stringify(change(record), null, 2)}\n`, created);
      await rename(temp, join(this.dir, `${file}.json`));
      created.length = 0;
      await syncDir(this.dir);
    } catch (err) {
      for (const path of created) await unlink(path).catch(() => undefined);
      throw storeError(this.url, what, err);
    }
  }
}

/** The lease at `path`, or `undefined` when there is none. */
async function readLease(path: string): Promise<FoundLease | undefined> {
  try {
    const [text, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    const holder = parseLease(text);
    return { ...(holder ? { holder } : {}), writtenAt: info.mtime };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** What a record says of a stored file of `size` bytes, as the domain sees it. */
function recorded(record: Partial<BackupRecord> | undefined, size: number): Omit<StoredBackup, 'file' | 'size'> {
  if (record === undefined || !isTier(record.tier)) return {};
  const readBack = record.readBack;
  return {
    tier: record.tier,
    // A record whose read-back length is not the file's (changed since) proves nothing.
    ...(readBack && readBack.bytes === size && typeof readBack.sha256 === 'string' ? { proven: true } : {}),
    ...(typeof record.keys === 'number' ? { keys: record.keys } : {}),
    ...(typeof record.hold === 'string' ? { hold: record.hold } : {}),
    ...(typeof record.collapsed === 'string' ? { collapsed: record.collapsed } : {}),
  };
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
