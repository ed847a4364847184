/**
 * Where self-managed backups go: a folder (`file:///dir`) or an S3 prefix
 * (`s3://bucket/prefix`, any S3-compatible store). Both write a backup so it
 * exists under its final name only once it is complete and its bytes were
 * judged good (`commit` is asked after the last byte), both record the tier
 * beside it (what makes a file ours, and deletable by retention), and both
 * carry an integrity checksum the store or a reader checks.
 *
 * Narrow: list, exists, write, remove. Policy (names, tiers, what to delete)
 * is in lambdas/domain/backup.ts. The S3 store is in backup-store-s3.ts, so a
 * file:// run never loads the AWS SDK (about 60 MiB: bench/README.md, backup).
 */
import { createHash } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { link, mkdir, open, readdir, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { StoredBackup } from '../domain/backup.js';
import { isTier, type Tier } from '../domain/types.js';
import { errorName } from './errors.js';
import { processAlive } from './process.js';

/** What is recorded beside a backup. */
export interface BackupRecord {
  readonly tier: Tier;
  readonly target: string;
  /** When the backup was taken (ISO). */
  readonly createdAt: string;
  readonly keys: number;
  readonly rdbVersion: number;
}

/** What a write produced. */
export interface WrittenBackup {
  readonly bytes: number;
  /** SHA-256 of the whole file, hex. */
  readonly sha256: string;
  /** Where it is, as a URL (`file:///…` or `s3://…`). */
  readonly location: string;
}

/** A destination for backups. */
export interface BackupStore {
  /** `file:///dir` or `s3://bucket/prefix/`, for messages. */
  readonly url: string;
  /** Every `.rdb` file there, with the tier redis-dr recorded for it (absent for foreign files). */
  list(): Promise<StoredBackup[]>;
  exists(file: string): Promise<boolean>;
  /**
   * Writes `body` as `file`. After the last byte `commit()` is called: when it
   * throws, nothing is left under the final name (nor a temporary one) and
   * its error is rethrown. The record is written with the file.
   * @throws an Error whose message names the destination, on any store fault
   */
  write(file: string, body: AsyncIterable<Uint8Array>, record: () => BackupRecord, commit: () => void): Promise<WrittenBackup>;
  /** Deletes a backup redis-dr wrote, with what it recorded beside it. */
  remove(file: string): Promise<void>;
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

/**
 * A folder. A backup is written to a hidden temporary file, synced, then
 * linked to its final name (a link, not a rename: it never replaces a file
 * already there) and the temporary name removed. Beside it:
 * `<file>.sha256` (`sha256sum -c` format) and `<file>.json` (the record).
 */
export class FileBackupStore implements BackupStore {
  readonly url: string;
  constructor(private readonly dir: string) {
    this.url = `file://${dir}`;
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
      found.push({ file, size: info.size, ...(await this.recordedTier(file)) });
    }
    return found;
  }

  private async recordedTier(file: string): Promise<{ tier?: Tier }> {
    try {
      const record = JSON.parse(await readFile(join(this.dir, `${file}.json`), 'utf8')) as Partial<BackupRecord>;
      return isTier(record.tier) ? { tier: record.tier } : {};
    } catch {
      return {}; // no record (or not ours): never deleted
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

  async write(file: string, body: AsyncIterable<Uint8Array>, record: () => BackupRecord, commit: () => void): Promise<WrittenBackup> {
    const tag = `${process.pid}-${Date.now()}`;
    const temp = join(this.dir, `.${file}.partial-${tag}`);
    const hash = createHash('sha256');
    let bytes = 0;
    // Every path this run created, and only those, is removed when it fails.
    const created: string[] = [];
    try {
      await mkdir(this.dir, { recursive: true });
      await this.sweepStalePartials();
      const fh = await open(temp, fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_WRONLY, 0o600);
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
            await fh.write(Buffer.concat(batch, batched));
            batch = [];
            batched = 0;
          }
        }
        if (batched > 0) await fh.write(Buffer.concat(batch, batched));
        await fh.sync();
      } finally {
        await fh.close();
      }
      commit();
      const sha256 = hash.digest('hex');
      // The backup first, then its record beside it; links never replace what is there.
      await this.linkNew(temp, file, created);
      await this.writeNew(`${file}.sha256`, `${sha256}  ${file}\n`, tag, created);
      await this.writeNew(`${file}.json`, `${JSON.stringify({ ...record(), sha256, bytes }, null, 2)}\n`, tag, created);
      await unlink(temp);
      return { bytes, sha256, location: `${this.url}/${file}` };
    } catch (err) {
      // This run's backup goes too when its record could not be written: never a backup retention cannot manage.
      for (const path of created.reverse()) await unlink(path).catch(() => undefined);
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

  /** Writes a small file under a temporary name, syncs it, and links it as `name` (never replacing). */
  private async writeNew(name: string, text: string, tag: string, created: string[]): Promise<void> {
    const temp = join(this.dir, `.${name}.partial-${tag}`);
    const fh = await open(temp, fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_WRONLY, 0o600);
    created.push(temp);
    try {
      await fh.writeFile(text);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await this.linkNew(temp, name, created);
    await unlink(temp);
    created.splice(created.indexOf(temp), 1);
  }

  /**
   * Removes the temporary files of runs that died (killed, OOM): `.<name>.partial-<pid>-<ms>`
   * whose process is gone. A live run's files are left alone.
   */
  private async sweepStalePartials(): Promise<void> {
    for (const name of await readdir(this.dir)) {
      const m = /^\..+\.partial-(\d+)-\d+$/.exec(name);
      if (!m || Number(m[1]) === process.pid || processAlive(Number(m[1]))) continue;
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
  }
}

/** An error naming the destination and what failed there (the cause kept). */
export function storeError(url: string, what: string, err: unknown): Error {
  const code = (err as NodeJS.ErrnoException).code;
  const hint =
    code === 'ENOSPC'
      ? ' (no space left on the device)'
      : code === 'EROFS'
        ? ' (read-only file system)'
        : code === 'EACCES' || code === 'EPERM'
          ? ' (permission denied)'
          : '';
  const message = err instanceof Error ? err.message : String(err);
  return new Error(`${url}: ${what} failed${hint}: ${message}`, { cause: err });
}
