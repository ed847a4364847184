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
 * is in lambdas/domain/self-managed/backup.ts. Both sit on the object store
 * (object-store.ts: its verified put writes and reads back the bytes);
 * what is theirs is the record and the lease. The S3 store is in
 * backup-store-s3.ts, so a file:// run never loads the AWS SDK (about 60 MiB:
 * bench/README.md, backup).
 */
import { link, mkdir, open, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RecordedCopy } from '../../domain/scrub/judge.js';
import { parseBackupFileName, type StoredBackup } from '../../domain/self-managed/backup.js';
import { describeHolder, type FoundLease, type LeaseHolder, formatLease, leaseName, parseLease, staleLease } from '../../domain/self-managed/lease.js';
import { isTier, type Tier } from '../../domain/plans/types.js';
import { processAlive, thisPidScope } from '../host/process.js';
import { KeyExistsError, putFault, readStored, storeError, type ReadBackHow } from './object-store.js';
import { FileObjectStore, type OpenFile } from './object-store-file.js';

export { storeError } from './object-store.js';
export type { OpenFile, StoreFileHandle } from './object-store-file.js';

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
  /** Keys per database number, as the verifier counted them (a FLUSHDB of one database is judged on them). */
  readonly keysByDb?: Readonly<Record<string, number>>;
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
  readonly how: ReadBackHow;
}

/** What is recorded beside a backup (the `.json` sidecar; object tags on S3). */
export interface BackupRecord extends BackupMeta, BackupContent {
  readonly sha256?: string;
  readonly bytes?: number;
  /** Absent: the backup was never proven stored (an older redis-dr, a run killed before the record). */
  readonly readBack?: ReadBackRecord;
  /** Why retention must keep it until released, in the shape of domain/plans/holds.ts (`keyspace-collapsed:<point> until=<time>`, an operator's `held until=… by=… reason=…`). */
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
  /** The stored object's ETag as its read-back found it (S3; a folder gives none): the version its key index names. */
  readonly etag?: string;
}

/** A lease this run holds (domain/self-managed/lease.ts). */
export interface TakenLease {
  /** Set when a stale lease was taken over: why it was stale and whose it was. */
  readonly tookOver?: string;
  /** Gives the lease up, only if it still carries this run's token. Never throws. */
  release(): Promise<void>;
  /**
   * Says the holder is still working (the lease's `refreshed` time), only if it still carries this run's token: a run
   * elsewhere judges its age from there. False when the lease is not this run's any more. Never throws.
   */
  refresh(): Promise<boolean>;
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
  /** Where `file` is, for a reader: a local path (a folder) or `s3://bucket/key`. */
  location(file: string): string;
  /** Stores a record redis-dr keeps beside the backups (a drill's, a scrub run's) under `name`, never replacing one, read back like every put. */
  putRecord(name: string, body: Buffer, metadata?: Readonly<Record<string, string>>): Promise<void>;
  /** The records there whose names start with `prefix`, each with its bytes. */
  records(prefix: string): Promise<{ readonly name: string; readonly body: Buffer }[]>;
  /** The stored bytes of `file`, as they are now (a scrub's re-read). */
  read(file: string): Promise<AsyncIterable<Uint8Array>>;
  /** What was recorded of `file` when it was written (lengths, SHA-256s, key counts); undefined when redis-dr recorded nothing. */
  recordedCopy(file: string): Promise<RecordedCopy | undefined>;
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
  /**
   * Records a hold on a backup redis-dr wrote (retention keeps it until released). `expected`: the hold the caller
   * read (none: `undefined`), read again just before the write; another (an operator's hold put meanwhile, a collapse's)
   * is kept, never overwritten: a HoldChangedError names it. A store has no conditional write of a record's hold (S3
   * tags have none), so the window left is that read's, not the caller's listing's.
   */
  hold(file: string, reason: string, expected?: { readonly hold: string | undefined }): Promise<void>;
  /**
   * Takes the lease of `target` in this destination (one run at a time per
   * target), taking over a stale one (domain/self-managed/lease.ts
   * staleLease), or says who holds it.
   * @throws an Error naming the destination on a store fault, or (folders)
   *   when the folder does not exist and the store was not opened to create it
   */
  takeLease(target: string, holder: LeaseHolder, staleAfterMs: number): Promise<LeaseAttempt>;
  /**
   * Removes what a run of `target` killed midway left beside no backup: a
   * folder's `<file>.json` and `<file>.sha256` whose `<file>` is gone. Call
   * it under the lease of `target`: only files of that target's naming are
   * touched (another target's run, under its own lease, may be between
   * linking its backup and writing its record). Returns the names removed
   * (S3 keeps records in tags: none).
   */
  sweepOrphans(target: string): Promise<string[]>;
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

/** The marker beside a backup being written, until its record is (a folder's write). */
const WRITING = '.writing';

// ---- a folder ---------------------------------------------------------------

/** A backup's hold changed between the caller's read and the write of a new one ({@link BackupStore.hold}): kept as it is. */
export class HoldChangedError extends Error {
  override readonly name = 'HoldChangedError';
  constructor(
    readonly file: string,
    readonly now: string | undefined,
  ) {
    super(`the hold on ${file} changed since it was read: it is now ${now === undefined ? '(none)' : JSON.stringify(now)}, kept as it is`);
  }
}

/**
 * A folder. A backup is put through the folder driver (object-store-file.ts:
 * a hidden temporary file, every byte, synced, read back and matched, then
 * linked under its name, never replacing a file already there). Beside it,
 * put the same way: `<file>.sha256` (`sha256sum -c` format) and
 * `<file>.json` (the record, with the read-back); a hold replaces the record
 * whole.
 */
export class FileBackupStore implements BackupStore {
  readonly url: string;
  private readonly objects: FileObjectStore;
  private readonly open: OpenFile;
  private readonly create: boolean;
  constructor(
    private readonly dir: string,
    /** `create`: make the folder when it does not exist (`--create`); else a missing folder is refused (a typo). @default true */
    deps: { open?: OpenFile; create?: boolean } = {},
  ) {
    this.url = `file://${dir}`;
    this.open = deps.open ?? ((path, flags, mode) => open(path, flags, mode));
    this.objects = new FileObjectStore(dir, { open: this.open });
    this.create = deps.create ?? true;
  }

  async takeLease(target: string, holder: LeaseHolder, staleAfterMs: number): Promise<LeaseAttempt> {
    await this.ensureFolder();
    const path = join(this.dir, leaseName(target));
    let tookOver: string | undefined;
    try {
      // A few rounds: a lease may be released or taken over by another run between two steps.
      for (let round = 0; round < 5; round++) {
        if (await this.createLease(target, holder)) {
          const release = async (): Promise<void> => {
            const now = await readFile(path, 'utf8').catch(() => '');
            if (parseLease(now)?.token === holder.token) await unlink(path).catch(() => undefined);
          };
          // A new text under a name of this run's, then renamed over the lease (atomic): only while it is this run's.
          const refresh = async (): Promise<boolean> => {
            try {
              if (parseLease(await readFile(path, 'utf8'))?.token !== holder.token) return false;
              const next = `${path}.refresh-${holder.token}`;
              await writeFile(next, formatLease({ ...holder, refreshed: new Date().toISOString() }));
              await rename(next, path);
              return true;
            } catch {
              return false;
            }
          };
          return { taken: { ...(tookOver ? { tookOver } : {}), release, refresh } };
        }
        const found = await readLease(path);
        if (!found) continue;
        const why = staleLease(found, { ...thisPidScope(), now: new Date(), alive: processAlive }, staleAfterMs);
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
      throw putFault(this.url, `take the lease of ${target}`, err);
    }
    return { held: (await readLease(path)) ?? { writtenAt: new Date() } };
  }

  /**
   * Creates the lease whole through the folder driver's put (a temporary
   * file, synced, read back, then linked: never replacing one); false when
   * one is there.
   */
  private async createLease(target: string, holder: LeaseHolder): Promise<boolean> {
    try {
      await this.objects.put(leaseName(target), Buffer.from(formatLease(holder), 'utf8'), { ifExists: 'fail' });
      return true;
    } catch (err) {
      if (err instanceof KeyExistsError) return false;
      throw err;
    }
  }

  /** Whether the folder is there (a report of a destination that is not is refused, not read as empty). */
  async folderExists(): Promise<boolean> {
    try {
      return (await stat(this.dir)).isDirectory();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw storeError(this.url, 'open the folder', err);
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

  async sweepOrphans(target: string): Promise<string[]> {
    const objects = await this.objects.list().catch(() => []);
    // Only this target's (the lease held covers no other target's run, and a file not of our naming is not ours).
    const ours = (file: string) => parseBackupFileName(file)?.target === target.toLowerCase();
    const names = new Set(objects.filter((o) => !o.key.includes('/') && ours(o.key.replace(/\.(writing|json|sha256|keys)$/, ''))).map((o) => o.key));
    const removed: string[] = [];
    // A backup whose run was killed before its record (the marker is there, the record is not): this project's, never
    // proven, never to be managed: removed with what it had beside it.
    for (const name of names) {
      const w = /^(.+\.rdb)\.writing$/.exec(name);
      if (!w) continue;
      const file = w[1]!;
      if (names.has(file) && !names.has(`${file}.json`)) {
        for (const key of [file, `${file}.sha256`, `${file}.keys`]) {
          if (!names.has(key)) continue;
          await this.objects.delete(key).catch(() => undefined);
          removed.push(key);
          names.delete(key);
        }
      }
      await this.objects.delete(name).catch(() => undefined);
      names.delete(name);
    }
    for (const name of names) {
      const m = /^(.+\.rdb)\.(json|sha256|keys)$/.exec(name);
      if (!m || names.has(m[1]!)) continue;
      await this.objects.delete(name).catch(() => undefined);
      removed.push(name);
    }
    return removed.sort();
  }

  async list(): Promise<StoredBackup[]> {
    const found: StoredBackup[] = [];
    const objects = await this.objects.list().catch((err: unknown) => {
      throw storeError(this.url, 'list', err);
    });
    for (const o of objects) {
      if (o.key.includes('/') || !o.key.endsWith('.rdb')) continue;
      found.push({ file: o.key, size: o.bytes, ...recorded(await this.record(o.key), o.bytes) });
    }
    return found;
  }

  /** The record beside `file`, or `undefined` (none, or not ours). */
  private async record(file: string): Promise<Partial<BackupRecord> | undefined> {
    try {
      const record = JSON.parse((await this.objects.get(`${file}.json`)).toString('utf8')) as Partial<BackupRecord>;
      return record !== null && typeof record === 'object' ? record : undefined;
    } catch {
      return undefined; // no record (or not ours): never deleted
    }
  }

  async exists(file: string): Promise<boolean> {
    return this.objects.exists(file).catch(() => false);
  }

  async write(file: string, body: AsyncIterable<Uint8Array>, meta: BackupMeta, commit: () => BackupContent): Promise<WrittenBackup> {
    // Every key this run created, and only those, is removed when it fails.
    const created: string[] = [];
    let content: BackupContent | undefined;
    try {
      await mkdir(this.dir, { recursive: true });
      await this.objects.sweep();
      // A marker first, removed once the record is written: a run killed between the backup and its record leaves the
      // marker, so the next run knows the file is its own, unfinished (sweepOrphans), not a file someone else put there.
      await this.objects.put(`${file}${WRITING}`, Buffer.from(`${JSON.stringify({ file, since: new Date().toISOString() })}\n`, 'utf8'));
      created.push(`${file}${WRITING}`);
      const put = await this.objects.put(file, body, {
        commit: () => {
          content = commit();
        },
      });
      created.push(file);
      const { bytes, sha256 } = put;
      const readBack: ReadBackRecord = { bytes, sha256, at: new Date().toISOString(), how: put.how };
      // The backup first, then its record beside it; neither replaces what is there.
      await this.objects.put(`${file}.sha256`, Buffer.from(`${sha256}  ${file}\n`, 'utf8'));
      created.push(`${file}.sha256`);
      const record: BackupRecord = { ...meta, ...content!, sha256, bytes, readBack };
      await this.objects.put(`${file}.json`, Buffer.from(`${JSON.stringify(record, null, 2)}\n`, 'utf8'));
      await this.objects.delete(`${file}${WRITING}`).catch(() => undefined);
      return { bytes, sha256, location: put.location, readBack };
    } catch (err) {
      // This run's backup goes too when its record could not be written: never a backup retention cannot manage.
      for (const key of created.reverse()) await this.objects.delete(key).catch(() => undefined);
      if (err instanceof KeyExistsError)
        throw storeError(this.url, 'write', new Error(`${err.key} appeared in ${this.url} while this backup was written: not replaced`, { cause: err }));
      throw putFault(this.url, 'write', err);
    }
  }

  location(file: string): string {
    return join(this.dir, file);
  }

  async putRecord(name: string, body: Buffer, metadata?: Readonly<Record<string, string>>): Promise<void> {
    try {
      await this.objects.put(name, body, { ifExists: 'fail', ...(metadata ? { metadata } : {}) });
    } catch (err) {
      throw putFault(this.url, `write ${name}`, err);
    }
  }

  async records(prefix: string): Promise<{ name: string; body: Buffer }[]> {
    // A folder that is not there lists nothing (the walk skips it); any other fault is no "no record" (as S3's store says).
    const objects = await this.objects.list().catch((err: unknown) => {
      throw storeError(this.url, 'list the records', err);
    });
    const out: { name: string; body: Buffer }[] = [];
    for (const o of objects.filter((x) => x.key.startsWith(prefix))) out.push({ name: o.key, body: await this.objects.get(o.key) });
    return out;
  }

  read(file: string): Promise<AsyncIterable<Uint8Array>> {
    return readStored(this.objects, this.url, file);
  }

  async recordedCopy(file: string): Promise<RecordedCopy | undefined> {
    const record = await this.record(file);
    if (record === undefined || !isTier(record.tier)) return undefined;
    // The `.sha256` file beside it (sha256sum -c format): a third digest, kept apart from the record.
    const sidecar = /^([0-9a-f]{64}) {2}/.exec((await this.objects.get(`${file}.sha256`).catch(() => Buffer.alloc(0))).toString('utf8'))?.[1];
    const rb = record.readBack;
    return {
      ...(typeof record.bytes === 'number' ? { bytes: record.bytes } : {}),
      ...(typeof record.sha256 === 'string' ? { sha256: record.sha256 } : {}),
      ...(rb && typeof rb.bytes === 'number' && typeof rb.sha256 === 'string' ? { readBack: { bytes: rb.bytes, sha256: rb.sha256 } } : {}),
      ...(sidecar ? { sidecarSha256: sidecar } : {}),
      ...(typeof record.keys === 'number' ? { keys: record.keys } : {}),
      ...(isKeysByDb(record.keysByDb) ? { keysByDb: record.keysByDb } : {}),
    };
  }

  async remove(file: string): Promise<void> {
    try {
      if (!(await this.objects.exists(file))) throw Object.assign(new Error(`no such file: ${file}`), { code: 'ENOENT' });
      await this.objects.delete(file);
    } catch (err) {
      throw storeError(this.url, `delete ${file}`, err);
    }
    for (const side of [`${file}.sha256`, `${file}.json`, `${file}.keys`]) await this.objects.delete(side).catch(() => undefined);
  }

  async hold(file: string, reason: string, expected?: { readonly hold: string | undefined }): Promise<void> {
    await this.rewriteRecord(file, `hold ${file}`, (r) => {
      if (expected !== undefined && r.hold !== expected.hold) throw new HoldChangedError(file, r.hold);
      return { ...r, hold: reason };
    });
  }

  async release(file: string, acceptedMark?: string): Promise<void> {
    await this.rewriteRecord(file, `release ${file}`, ({ hold: _hold, collapsed: _collapsed, ...rest }) =>
      acceptedMark === undefined ? rest : { ...rest, collapsed: acceptedMark },
    );
  }

  /** Replaces `file`'s record with `change(record)`: put whole and read back, then renamed over it (a reader sees the old or the new one). */
  private async rewriteRecord(file: string, what: string, change: (r: Partial<BackupRecord>) => Partial<BackupRecord>): Promise<void> {
    try {
      const record = await this.record(file);
      if (record === undefined || !isTier(record.tier))
        throw new Error(`${file} has no record redis-dr wrote (${file}.json): not ours to ${what.split(' ')[0]}`);
      await this.objects.put(`${file}.json`, Buffer.from(`${JSON.stringify(change(record), null, 2)}\n`, 'utf8'), { ifExists: 'replace' });
    } catch (err) {
      if (err instanceof HoldChangedError) throw err;
      throw putFault(this.url, what, err);
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
    ...(readBack && readBack.bytes === size && typeof readBack.sha256 === 'string' ? { proven: true, sha256: readBack.sha256 } : {}),
    ...(typeof record.keys === 'number' ? { keys: record.keys } : {}),
    ...(isKeysByDb(record.keysByDb) ? { keysByDb: record.keysByDb } : {}),
    ...(typeof record.hold === 'string' ? { hold: record.hold } : {}),
    ...(typeof record.collapsed === 'string' ? { collapsed: record.collapsed } : {}),
  };
}

/** A recorded `keysByDb`: database numbers to whole key counts, nothing else. */
export function isKeysByDb(value: unknown): value is Readonly<Record<string, number>> {
  return (
    value !== null &&
    typeof value === 'object' &&
    Object.entries(value).every(([db, n]) => /^\d+$/.test(db) && typeof n === 'number' && Number.isInteger(n) && n >= 0)
  );
}
