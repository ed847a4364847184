/**
 * The S3 destination of self-managed backups (`s3://bucket/prefix`, any
 * S3-compatible store); loaded only for s3:// destinations. See backup-store.ts.
 */
import { DeleteObjectCommand, GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { RecordedCopy } from '../../domain/scrub/judge.js';
import { formatReadBackTag, parseReadBackTag, type StoredBackup } from '../../domain/self-managed/backup.js';
import { TAGS, isTier } from '../../domain/plans/types.js';
import {
  type BackupContent,
  type BackupMeta,
  type BackupStore,
  HoldChangedError,
  type LeaseAttempt,
  type ReadBackRecord,
  type WrittenBackup,
} from './backup-store.js';
import { describeHolder, formatLease, leaseName, parseLease, staleLease, type FoundLease, type LeaseHolder } from '../../domain/self-managed/lease.js';
import { processAlive, thisPidScope } from '../host/process.js';
import { errorName } from '../aws/errors.js';
import { KeyExistsError, PutError, putFault, readStored, storeError } from './object-store.js';
import { S3ObjectStore, type UploadShape } from './object-store-s3.js';

/** What S3 answers a conditional write another writer won (`If-None-Match`/`If-Match`). */
const CONFLICT = ['PreconditionFailed', 'ConditionalRequestConflict'];

/**
 * An upload whose answer was lost and whose object could not be looked at: `location` may hold this run's backup, not
 * read back. What that means and what to do, in words: it has the backup's tags but no read-back record, so it is
 * listed unproven (drill and serve --from take only proven backups: backup-point.ts; retention never counts it
 * towards minKeep and prunes it as it ages: plans/retention.ts), and a new run writes a backup of its own name.
 */
function unsettledBackup(fault: Error, location: string): Error {
  return new Error(
    `${fault.message}: ${location} may hold this run's backup, not read back (listed unproven: no drill or serve --from takes it, retention prunes it as it ages); ` +
      `run the backup again for one that is read back, and check this one with redis-dr verify-rdb ${location}, or remove it`,
    { cause: fault.cause },
  );
}

/** A put's fault as S3 gave it (a PutError's cause). */
function causeOf(err: unknown): unknown {
  return err instanceof PutError ? err.cause : err;
}

/** An S3 tag value: letters, digits, spaces and `+ - = . _ : / @`, at most 256 characters. */
function tagValue(text: string): string {
  return text.replace(/[^\p{L}\p{N} +\-=._:/@]/gu, '').slice(0, 256);
}

/**
 * An S3 prefix. A backup is put through the S3 driver (object-store-s3.ts):
 * one multipart upload with SHA-256 checksums S3 checks on every part,
 * completed only after `commit()` accepted the last byte (aborted
 * otherwise), never replacing a key (`If-None-Match: *`), then read back
 * against S3's full-object or composite SHA-256 (or read again where the
 * store reports none); a mismatch deletes it. The record is the object's tags
 * (`redis-dr:managed`, `…:tier`, `…:source`, `…:created` set with the upload;
 * `…:keys` and `redis-dr:read-back` added once read back).
 *
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
 */
export class S3BackupStore implements BackupStore {
  readonly url: string;
  private readonly objects: S3ObjectStore;
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly prefix: string,
    /** Part size and parts in flight of the upload. */
    upload?: UploadShape,
  ) {
    this.url = `s3://${bucket}/${prefix}`;
    this.objects = new S3ObjectStore(client, bucket, prefix, upload);
  }

  async list(): Promise<StoredBackup[]> {
    const found: StoredBackup[] = [];
    try {
      for (const o of await this.objects.list()) {
        const file = o.key;
        if (file.includes('/') || !file.endsWith('.rdb')) continue;
        const tags = await this.objects.tags(file);
        const tier = tags[TAGS.tier];
        if (tags[TAGS.managed] !== 'true' || !isTier(tier)) {
          found.push({ file, size: o.bytes });
          continue;
        }
        const keys = Number(tags[TAGS.keys]);
        found.push({
          file,
          size: o.bytes,
          tier,
          ...provenOf(parseReadBackTag(tags[TAGS.readBack]), o.bytes),
          ...(tags[TAGS.keys] !== undefined && Number.isInteger(keys) && keys >= 0 ? { keys } : {}),
          ...(parseDbsTag(tags[TAGS.dbs]) ? { keysByDb: parseDbsTag(tags[TAGS.dbs])! } : {}),
          ...(tags[TAGS.hold] ? { hold: tags[TAGS.hold] } : {}),
          ...(tags[TAGS.collapsed] ? { collapsed: tags[TAGS.collapsed] } : {}),
        });
      }
    } catch (err) {
      throw storeError(this.url, 'list', err);
    }
    return found;
  }

  /**
   * The lease is an object put through the object store (read back like
   * any object) with `If-None-Match: *` (S3 conditional writes: only one
   * writer creates it); a stale one is replaced with `If-Match: <its ETag>`
   * (only one run takes it over), and released with a delete `If-Match`
   * the ETag the put read back (never another run's lease).
   * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html
   */
  async takeLease(target: string, holder: LeaseHolder, staleAfterMs: number): Promise<LeaseAttempt> {
    const key = this.prefix + leaseName(target);
    const body = formatLease(holder);
    let tookOver: string | undefined;
    const taken = (first: string | undefined): LeaseAttempt => {
      let etag = first;
      return {
        taken: {
          ...(tookOver ? { tookOver } : {}),
          release: async () => {
            await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key, ...(etag ? { IfMatch: etag } : {}) })).catch(() => undefined);
          },
          // Put over the lease only while it is the one this run put (If-Match its ETag): never over another run's.
          refresh: async () => {
            if (!etag) return false;
            try {
              const put = await this.objects.put(leaseName(target), Buffer.from(formatLease({ ...holder, refreshed: new Date().toISOString() })), {
                ifMatch: etag,
                contentType: 'application/json',
                mark: true,
              });
              etag = put.etag;
              return true;
            } catch {
              return false;
            }
          },
        },
      };
    };
    const lease = Buffer.from(body);
    try {
      for (let round = 0; round < 5; round++) {
        try {
          // Marked (as every put of the lease): a PUT whose answer was lost after S3 stored it is this run's lease, not one another run holds.
          const put = await this.objects.put(leaseName(target), lease, { ifExists: 'fail', contentType: 'application/json', mark: true });
          return taken(put.etag);
        } catch (err) {
          if (!(err instanceof KeyExistsError) && !CONFLICT.includes(errorName(causeOf(err)))) throw causeOf(err);
        }
        const found = await this.readLease(key);
        if (!found) continue;
        const why = staleLease(found.lease, { ...thisPidScope(), now: new Date(), alive: processAlive }, staleAfterMs);
        if (!why) return { held: found.lease };
        try {
          const put = await this.objects.put(leaseName(target), lease, { ifMatch: found.etag, contentType: 'application/json', mark: true });
          tookOver = `a stale lease (${why}: ${describeHolder(found.lease)})`;
          return taken(put.etag);
        } catch (err) {
          // Another run took it over first (or released it): look again.
          if (![...CONFLICT, 'NoSuchKey', 'NotFound'].includes(errorName(causeOf(err)))) throw causeOf(err);
        }
      }
    } catch (err) {
      throw storeError(this.url, `take the lease of ${target}`, err);
    }
    return { held: (await this.readLease(key).catch(() => undefined))?.lease ?? { writtenAt: new Date() } };
  }

  /** The lease object, with its ETag; `undefined` when there is none. */
  private async readLease(key: string): Promise<{ lease: FoundLease; etag: string } | undefined> {
    try {
      const got = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      const holder = parseLease((await got.Body?.transformToString()) ?? '');
      return { lease: { ...(holder ? { holder } : {}), writtenAt: got.LastModified ?? new Date(0) }, etag: got.ETag ?? '' };
    } catch (err) {
      if (['NoSuchKey', 'NotFound'].includes(errorName(err))) return undefined;
      throw err;
    }
  }

  location(file: string): string {
    return `s3://${this.bucket}/${this.prefix}${file}`;
  }

  async putRecord(name: string, body: Buffer, metadata?: Readonly<Record<string, string>>): Promise<void> {
    try {
      // Marked: a PUT whose answer was lost after S3 stored it (the SDK's retry meets it, 412) is this run's record,
      // read back, not one that appeared (the key index beside a backup, a report, a drill's or scrub's record).
      await this.objects.put(name, body, { ifExists: 'fail', contentType: 'application/json', mark: true, ...(metadata ? { metadata } : {}) });
    } catch (err) {
      throw storeError(this.url, `write ${name}`, err);
    }
  }

  async records(prefix: string): Promise<{ name: string; body: Buffer }[]> {
    try {
      const out: { name: string; body: Buffer }[] = [];
      for (const o of (await this.objects.list()).filter((x) => x.key.startsWith(prefix))) out.push({ name: o.key, body: await this.objects.get(o.key) });
      return out;
    } catch (err) {
      throw storeError(this.url, 'list the drill records', err);
    }
  }

  read(file: string): Promise<AsyncIterable<Uint8Array>> {
    return readStored(this.objects, this.url, file);
  }

  /** The record in the object's tags: the read-back (length, SHA-256) and the key counts. */
  async recordedCopy(file: string): Promise<RecordedCopy | undefined> {
    let tags: Record<string, string>;
    try {
      tags = await this.objects.tags(file);
    } catch (err) {
      throw storeError(this.url, `read the tags of ${file}`, err);
    }
    if (tags[TAGS.managed] !== 'true' || !isTier(tags[TAGS.tier])) return undefined;
    const readBack = parseReadBackTag(tags[TAGS.readBack]);
    const keys = Number(tags[TAGS.keys]);
    const dbs = parseDbsTag(tags[TAGS.dbs]);
    return {
      ...(readBack ? { readBack } : {}),
      ...(tags[TAGS.keys] !== undefined && Number.isInteger(keys) && keys >= 0 ? { keys } : {}),
      ...(dbs ? { keysByDb: dbs } : {}),
    };
  }

  /** S3 keeps a backup's record in its tags; its key index is removed with it (remove). */
  async sweepOrphans(): Promise<string[]> {
    return [];
  }

  async exists(file: string): Promise<boolean> {
    try {
      return await this.objects.exists(file);
    } catch (err) {
      throw storeError(this.url, `check ${file}`, err);
    }
  }

  async write(file: string, body: AsyncIterable<Uint8Array>, meta: BackupMeta, commit: () => BackupContent): Promise<WrittenBackup> {
    let content: BackupContent | undefined;
    const record = { [TAGS.managed]: 'true', [TAGS.tier]: meta.tier, [TAGS.source]: meta.target, [TAGS.created]: meta.createdAt };
    let put;
    try {
      put = await this.objects.put(file, body, {
        commit: () => {
          content = commit();
        },
        tags: record,
        // Marked: an upload whose answer was lost after S3 stored it is this run's backup (read back, then recorded),
        // not one that "appeared" (the SDK's retry meets it: 412), nor a failed upload that leaves it unnamed.
        mark: true,
      });
    } catch (err) {
      if (err instanceof KeyExistsError) throw new Error(`${this.url}: ${file} appeared while this backup was uploaded: not replaced`, { cause: err });
      const fault = putFault(this.url, err instanceof PutError && err.stage === 'read-back' ? 'write' : 'upload', err);
      if (err instanceof PutError && err.stage === 'unsettled') throw unsettledBackup(fault as Error, this.objects.location(file));
      throw fault;
    }
    const { bytes, sha256, location } = put;
    const readBack: ReadBackRecord = { bytes, sha256, at: new Date().toISOString(), how: put.how };
    const c = content!;
    try {
      await this.objects.setTags(file, {
        ...record,
        [TAGS.keys]: String(c.keys),
        ...(formatDbsTag(c.keysByDb) ? { [TAGS.dbs]: formatDbsTag(c.keysByDb)! } : {}),
        [TAGS.readBack]: formatReadBackTag(bytes, sha256),
        ...(c.collapsed ? { [TAGS.collapsed]: tagValue(c.collapsed) } : {}),
      });
    } catch (err) {
      // The object this run created goes: never one without its record.
      await this.objects.delete(file).catch(() => undefined);
      throw storeError(this.url, 'write', err);
    }
    // The ETag the read-back found (tagging it since makes no new version): what its key index names.
    return { bytes, sha256, location, readBack, ...(put.etag ? { etag: put.etag } : {}) };
  }

  async remove(file: string): Promise<void> {
    try {
      await this.objects.delete(file);
    } catch (err) {
      throw storeError(this.url, `delete ${file}`, err);
    }
    // Its key index (serve's) goes with it; a backup written before indexes has none.
    await this.objects.delete(`${file}.keys`).catch(() => undefined);
  }

  async hold(file: string, reason: string, expected?: { readonly hold: string | undefined }): Promise<void> {
    await this.retag(file, `hold ${file}`, (tags) => {
      // As the listing reads it: an empty tag is no hold.
      const now = tags[TAGS.hold] || undefined;
      if (expected !== undefined && now !== expected.hold) throw new HoldChangedError(file, now);
      return { ...tags, [TAGS.hold]: tagValue(reason) };
    });
  }

  async release(file: string, acceptedMark?: string): Promise<void> {
    await this.retag(file, `release ${file}`, ({ [TAGS.hold]: _hold, [TAGS.collapsed]: _collapsed, ...rest }) =>
      acceptedMark === undefined ? rest : { ...rest, [TAGS.collapsed]: tagValue(acceptedMark) },
    );
  }

  /** Replaces the tags of a backup redis-dr wrote with `change(tags)`. */
  private async retag(file: string, what: string, change: (tags: Record<string, string>) => Record<string, string>): Promise<void> {
    try {
      const tags = await this.objects.tags(file);
      if (tags[TAGS.managed] !== 'true') throw new Error(`${file} is not tagged ${TAGS.managed}=true: not ours to ${what.split(' ')[0]}`);
      await this.objects.setTags(file, change(tags));
    } catch (err) {
      if (err instanceof HoldChangedError) throw err;
      throw storeError(this.url, what, err);
    }
  }
}

/** Keys per database as a tag value (`0=147000 3=53000`); undefined when there are none or they do not fit one tag (256 characters). */
export function formatDbsTag(keysByDb: Readonly<Record<string, number>> | undefined): string | undefined {
  if (keysByDb === undefined) return undefined;
  const text = Object.entries(keysByDb)
    .map(([db, n]) => `${db}=${n}`)
    .join(' ');
  return text.length > 0 && text.length <= 256 ? text : undefined;
}

/** The counts of a `redis-dr:dbs` tag; undefined for a missing or malformed one. */
export function parseDbsTag(value: string | undefined): Record<string, number> | undefined {
  if (value === undefined || !/^\d+=\d+( \d+=\d+)*$/.test(value)) return undefined;
  return Object.fromEntries(
    value
      .split(' ')
      .map((pair) => pair.split('=').map(Number) as [number, number])
      .map(([db, n]) => [String(db), n]),
  );
}

/** A read-back tag of the object's length proves it stored, with the SHA-256 it found. */
function provenOf(readBack: { bytes: number; sha256: string } | undefined, bytes: number): { proven?: true; sha256?: string } {
  return readBack?.bytes === bytes ? { proven: true, sha256: readBack.sha256 } : {};
}
