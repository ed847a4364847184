/**
 * A recovery point opened for reading key by key (`serve`, `history`): one
 * pass over the file through the verifier's parser both judges it (a file
 * the verifier does not pass is refused, before anything is served) and
 * builds its key index (name → where the value lies); afterwards a key's
 * value is one read at its offset (a positional read, or one ranged GET on
 * S3). Memory: the index (names and five numbers a key), never the values.
 */
import { createHash } from 'node:crypto';
import { openRdbAt, RdbOpenError, type RdbAt } from '../../adapters/storage/rdb-at.js';
import { dumpPayload } from '../../domain/rdb/format/dump-payload.js';
import type { HashTemplates } from '../../domain/rdb/format/hash-template.js';
import { decodeDumpPayload } from '../../domain/rdb/format/value.js';
import { type BesidesKeys, besidesKeysOfReport, besidesKeysOfShards } from '../../domain/serve/besides-keys.js';
import type { KeyValue } from '../../domain/rdb/fingerprint.js';
import { fileTimeOf } from '../../domain/rdb/format/parse-opcodes.js';
import { readHeadContext } from '../../domain/rdb/format/split.js';
import { notRecordedBackup } from '../../domain/self-managed/backup.js';
import type { RdbReport } from '../../domain/rdb/verifier.js';
import { FOOTER, INDEX_SUFFIX, type IndexedCopy, indexableTrailer, OLD_MAGIC, readDirectory, readFooter } from '../../domain/serve/index-file.js';
import { foreignIndexSource } from '../../domain/serve/index-source.js';
import { type IndexedKey, type KeyIndex, KeyIndexBuilder } from '../../domain/serve/key-index.js';
import { PagedKeyIndex, settle } from '../../domain/serve/paged-index.js';
import { ShardedKeyIndex } from '../../domain/serve/sharded-index.js';
import { checkDeclaredSize, checkStoredSize, SERVE_MAX_VALUE_BYTES, STRING_HEAD_BYTES } from '../../domain/serve/value-limit.js';
import { verifyRdbFile } from '../dr-copies/verify-file.js';
import { indexRdbPass as indexShard, refuseUnverified } from '../keys/rdb-index-pass.js';
import { connectionProblem } from '../kernel/connection-problem.js';
import { FoundProblem } from '../kernel/found-problem.js';
import { UsageError } from '../kernel/usage-error.js';

/** A point ready to answer. */
export interface OpenedPoint {
  readonly location: string;
  readonly index: KeyIndex;
  /** The verifier's report of each shard verified at open (every local shard; an S3 shard only when read whole), in shard order. */
  readonly reports: readonly RdbReport[];
  /**
   * What the point holds besides its keys (its shards' verifier reports', or their key indexes' where opened from them
   * unread); undefined when a shard's index does not say (one written before indexes kept it).
   */
  readonly besidesKeys?: BesidesKeys;
  /** Per shard, how it was opened: from its key index, or read whole (and why: no index, one of another copy …). */
  readonly notes: readonly string[];
  /**
   * Per shard whose key index is there but was not used (damaged, another copy's, an older layout), why: the shard
   * was read whole. An operator moves or removes such an index so it is not tried at every open (nothing rewrites it).
   */
  readonly indexUnused: readonly string[];
  /** The file's magic says Valkey (VALKEY80 and on). */
  readonly valkey: boolean;
  /** The key's DUMP payload: its value's bytes as stored, with the file's RDB version and a CRC-64 (at once from a local file). */
  payload(key: IndexedKey): Buffer | Promise<Buffer>;
  /**
   * The value of `key`'s DUMP payload ({@link payload}): a Redis 8.10 hash that references its file's templates as the
   * hash it stands for, with the templates of its shard (read whole, or kept by the key index it was opened from; an
   * index that does not keep the one referenced: said, template-ref.ts templateHashAlone).
   */
  decode(key: IndexedKey, payload: Buffer): KeyValue;
  /** Bytes [from, to) of the key's value as stored (not decoded; more than proto-max-bulk-len at once refused). */
  stored(key: IndexedKey, from: number, to: number): Buffer | Promise<Buffer>;
  /** Every shard is a local file: a value is read again in microseconds (serve keeps only big decoded values). */
  readonly localReads: boolean;
  /**
   * Per shard, in shard order, when its server saved it: its `ctime` AUX field (Unix ms), undefined where the file has
   * none. What `history` judges expiries against (a file's name may say another time). Taken from the verifier's report;
   * an S3 shard opened by its key index, unread, has its head read for it once (one ranged GET).
   */
  savedAt(): Promise<readonly (number | undefined)[]>;
  /** The shard holding `key` (its place in {@link savedAt}'s list). */
  shardOf(key: IndexedKey): number;
  close(): void;
}

/** Bytes of a file's head read for its AUX fields (they come first: `redis-ver`, `ctime`, …). */
const HEAD_BYTES = 64 * 1024;

/**
 * A file's `ctime` AUX field (Unix seconds, as the verifier reports it) in ms, or undefined: read as the verifier reads
 * it (parse-opcodes.ts fileTimeOf), so one past what a double holds exactly in ms is no save time here either.
 */
function ctimeMs(aux: Readonly<Record<string, string>>): number | undefined {
  const ms = aux.ctime === undefined ? Number.NaN : fileTimeOf(aux.ctime, Number.NaN);
  return Number.isNaN(ms) ? undefined : ms;
}

/** A shard's `ctime` read from its head (a shard opened by its index, unread), or undefined (none, or a head that does not parse). */
async function headCtimeMs(at: RdbAt): Promise<number | undefined> {
  const head = await at.read(0, Math.min(at.size, HEAD_BYTES));
  const context = readHeadContext((offset, length) => head.subarray(offset, offset + length), head.length, {
    maxValueBytes: SERVE_MAX_VALUE_BYTES,
    requireChecksum: false,
  });
  return context && context.fileTimeMs >= 0 ? context.fileTimeMs : undefined;
}

/**
 * Opens, verifies and indexes the RDB file at `location` (a path or
 * `s3://bucket/key`), or the shards of one recovery point (an export of a
 * cluster: one file a shard, served as one keyspace). Each shard is judged
 * by the verifier on its own; the index keeps one offset a key, over the
 * shards laid end to end (shard i's bytes after shard i−1's), so a key's
 * (shard, offset) is one number.
 */
export async function openPoint(
  location: string | readonly string[],
  s3Endpoint?: string,
  maxValueBytes = SERVE_MAX_VALUE_BYTES,
  indexesUnused?: string,
  sha256?: string,
): Promise<OpenedPoint> {
  const locations = typeof location === 'string' ? [location] : location;
  if (locations.length === 0) throw new UsageError('a recovery point needs at least one .rdb file: give a path or s3://<bucket>/<key>');
  const shards: RdbAt[] = [];
  let opened: OpenedPoint;
  try {
    for (const l of locations) shards.push(await openRdbAt(l, s3Endpoint));
    opened = await indexPoint(shards, s3Endpoint, maxValueBytes, indexesUnused);
  } catch (err) {
    for (const at of shards) at.close();
    if (err instanceof RdbOpenError) throw new UsageError(openProblem(err, locations[shards.length] ?? locations.join(', ')));
    throw err;
  }
  if (sha256 === undefined) return opened;
  let problem: string | undefined;
  try {
    problem = await notRecorded(shards, opened, sha256);
  } catch (err) {
    opened.close();
    throw err;
  }
  if (problem === undefined) return opened;
  opened.close();
  throw new FoundProblem(problem);
}

/**
 * Why `location` could not be opened: an S3 endpoint that refuses or does not answer, or no AWS credentials, in the
 * words and with the fix every command gives them (cli/failure.ts, as `verify-rdb s3://…` says them); serve said the
 * SDK's bare error (`Error: connect ECONNREFUSED 127.0.0.1:1`, `CredentialsProviderError: Could not load credentials
 * from any providers`). Anything else as the reader put it.
 */
function openProblem(err: RdbOpenError, location: string): string {
  const connection = err.cause === undefined ? undefined : connectionProblem(err.cause);
  if (!connection) return err.message;
  return `cannot read ${location}: ${connection.message}${connection.fixInMessage ? '' : `: ${connection.fix}`}`;
}

/**
 * A backup opened as its destination names it (`serve --from`, `history --from`) is the one its record was read back
 * as when it was stored (`sha256`, as `drill local --from` checks it): a file replaced since by another valid RDB is
 * refused, never served or followed as that point. An S3 copy opened by its key index needs no second read: the index
 * is used only while the object is the version its read-back found (index-source.ts). Why it is refused, or undefined.
 */
async function notRecorded(shards: readonly RdbAt[], opened: OpenedPoint, sha256: string): Promise<string | undefined> {
  const at = shards[0]!;
  if (shards.length !== 1 || (at.object && opened.reports.length === 0)) return undefined;
  const hash = createHash('sha256');
  for await (const chunk of at.stream()) hash.update(chunk);
  const found = hash.digest('hex');
  if (found === sha256) return undefined;
  return notRecordedBackup(at.location, found, sha256, 'not read');
}

/** The copy's identity for its index: its length and CRC-64 trailer. */
async function copyOf(at: RdbAt): Promise<IndexedCopy> {
  return { bytes: at.size, trailer: at.size >= 8 ? (await at.read(at.size - 8, 8)).toString('hex') : '' };
}

/** An index beside a copy that checked out; `close` releases the index file its blocks are read from. */
interface IndexBeside {
  readonly index: PagedKeyIndex;
  readonly valkey: boolean;
  close(): void;
}

/** Bytes read from an index file's end at open: its footer and, for up to about 40,000 keys, its whole directory (one ranged GET on S3; a bigger directory takes a second). */
const TAIL_READ = 64 * 1024;

/**
 * The key index written beside the copy after it was verified
 * (`<copy>.keys`): its footer and directory read from its end (one read, or
 * two for a directory over {@link TAIL_READ}), checked by their SHA-256 and
 * against the copy (and, for an S3 copy, by the object version its metadata
 * names: domain/serve/index-source.ts foreignIndexSource); its blocks then read
 * one per lookup, each checked against its SHA-256
 * (domain/serve/paged-index.ts). Or why there is none to use (missing,
 * damaged, of another copy or object version, of the older layout): the caller
 * then reads the copy whole, and says so.
 */
async function indexBeside(at: RdbAt, s3Endpoint: string | undefined): Promise<IndexBeside | { problem: string; absent?: true }> {
  const copy = await copyOf(at);
  if (!indexableTrailer(copy.trailer)) return { problem: 'the copy has no CRC-64 to tie an index to', absent: true };
  let file: RdbAt;
  try {
    file = await openRdbAt(`${at.location}${INDEX_SUFFIX}`, s3Endpoint);
  } catch (err) {
    if (err instanceof RdbOpenError) return { problem: `no usable ${INDEX_SUFFIX} index beside it: ${err.message}`, absent: true };
    throw err;
  }
  let keepOpen = false;
  try {
    // An S3 copy is not read whole when its index is used: the index must name the object version it was built
    // from (its metadata, put by the index's writer), and that must be the copy's version now (its HeadObject at
    // open); the length and CRC-64 trailer alone would take an object overwritten since with the same trailer.
    // A local file is verified whole before its index is used (indexShards), so it needs no such name.
    if (at.object) {
      const foreign = foreignIndexSource(file.object?.metadata, at.object);
      if (foreign) return { problem: foreign };
    }
    const tailBytes = Math.min(file.size, TAIL_READ);
    const tailAt = file.size - tailBytes;
    const tail = await file.read(tailAt, tailBytes);
    const footer = readFooter(tail, file.size);
    if ('problem' in footer) {
      const older = file.size >= OLD_MAGIC.length && (await file.read(0, OLD_MAGIC.length)).toString('latin1') === OLD_MAGIC;
      return {
        problem: older
          ? `its index is of the older layout (${OLD_MAGIC}, one checksum over the whole index), not read by blocks (indexes written since are)`
          : footer.problem,
      };
    }
    const end = file.size - FOOTER;
    const directory = footer.at >= tailAt ? tail.subarray(footer.at - tailAt, end - tailAt) : await file.read(footer.at, end - footer.at);
    const checked = readDirectory(directory, footer.sha256, footer.at, copy, footer.layout);
    if ('problem' in checked) return checked;
    keepOpen = true;
    return { index: new PagedKeyIndex(checked, copy, file, file.location), valkey: checked.header.valkey, close: () => file.close() };
  } catch (err) {
    return { problem: `its index could not be read: ${err instanceof Error ? err.message : String(err)}` };
  } finally {
    if (!keepOpen) file.close();
  }
}

/**
 * Each shard's index: the one beside it when it checks out, else built by a verifying pass; what was done, per shard.
 * `indexesUnused`: why no index beside a shard is to be tried (every shard then read whole and verified).
 */
async function indexShards(shards: readonly RdbAt[], s3Endpoint: string | undefined, indexesUnused?: string) {
  const out: {
    version: number;
    valkey: boolean;
    report?: RdbReport;
    note: string;
    unused?: string;
    index: KeyIndex;
    close?: () => void;
    templates?: HashTemplates;
    besidesKeys?: BesidesKeys;
  }[] = [];
  for (const at of shards) {
    let beside: Awaited<ReturnType<typeof indexBeside>> = indexesUnused === undefined ? await indexBeside(at, s3Endpoint) : { problem: indexesUnused };
    // A local file's index is checked whole at open (a damaged block would answer some keys and fail others):
    // one that does not check out is not used, and the file is read whole and indexed instead.
    const damage = 'index' in beside && at.readNow ? beside.index.damage() : undefined;
    if (damage !== undefined && 'index' in beside) {
      beside.close();
      beside = { problem: `its key index (${INDEX_SUFFIX}) does not check out: ${damage}` };
    }
    if ('index' in beside) {
      // The index is tied to the copy by its length and CRC-64 trailer only: a byte changed since it was verified
      // (the trailer left alone) would be answered from the index. A local file is therefore verified whole before
      // anything is served (the verifier's pass, at verify speed: docs/serve.md "A local file is proven at every
      // open"); the index then only spares building one. Refused like a file read whole.
      let report: RdbReport | undefined;
      if (at.readNow) {
        try {
          report = refuseUnverified(at.location, (await verifyRdbFile(at.location)).report);
          // The verifier opened the path again: it judged the file served only if the path still names it, unchanged.
          const changed = at.pathChanged?.();
          if (changed !== undefined) throw new UsageError(changed);
        } catch (err) {
          beside.close();
          throw err;
        }
      }
      out.push({
        version: beside.index.rdbVersion,
        valkey: beside.valkey,
        ...(report ? { report } : {}),
        note: report
          ? `${at.location}: verified whole, then its key index (${INDEX_SUFFIX}) for lookups (read by blocks, not held)`
          : `${at.location}: its key index (${INDEX_SUFFIX}, written when it was verified; read by blocks, not held)`,
        index: beside.index,
        close: beside.close,
        ...(beside.index.templates ? { templates: beside.index.templates } : {}),
        ...(beside.index.besidesKeys ? { besidesKeys: beside.index.besidesKeys } : {}),
      });
    } else {
      const builder = new KeyIndexBuilder();
      const pass = await indexShard(at, builder, 0);
      const note = `${at.location}: read whole and verified (${beside.problem})`;
      out.push({ ...pass, index: builder.finish(pass.version, pass.templates), note, ...('absent' in beside ? {} : { unused: note }) });
    }
  }
  return out;
}

async function indexPoint(shards: readonly RdbAt[], s3Endpoint: string | undefined, maxValueBytes: number, indexesUnused?: string): Promise<OpenedPoint> {
  const bases: number[] = [];
  let base = 0;
  for (const at of shards) {
    bases.push(base);
    base += at.size;
  }
  const done = await indexShards(shards, s3Endpoint, indexesUnused);
  const versions = done.map((d) => d.version);
  const valkey = done.some((d) => d.valkey);
  const reports = done.flatMap((d) => (d.report ? [d.report] : []));
  const besides = done.map((d) => (d.report ? besidesKeysOfReport(d.report) : d.besidesKeys));
  // Several shards: one keyspace over their own indexes, none merged (domain/serve/sharded-index.ts).
  const index = shards.length === 1 ? done[0]!.index : new ShardedKeyIndex(done.map((d, i) => ({ index: d.index, base: bases[i]! })));
  if (shards.length > 1) {
    const twice = await settle(() => index.firstDuplicate());
    if (twice)
      throw new UsageError(
        `${shards.map((s) => s.location).join(', ')} are not the shards of one cluster: key ${JSON.stringify(twice.toString('latin1').slice(0, 64))} is in two of them; serve one file, or the shards of one export`,
      );
  }
  /** The shard holding global offset `at` (the last whose base is at or before it). */
  const shardOf = (at: number): number => {
    let i = bases.length - 1;
    while (i > 0 && bases[i]! > at) i--;
    return i;
  };
  let saved: Promise<(number | undefined)[]> | undefined;
  return {
    location: shards.length === 1 ? shards[0]!.location : `${shards[0]!.location} (+${shards.length - 1} shards)`,
    index,
    reports,
    ...(besides.every((b) => b !== undefined) ? { besidesKeys: besidesKeysOfShards(besides) } : {}),
    notes: done.map((d) => d.note),
    indexUnused: done.flatMap((d) => (d.unused ? [d.unused] : [])),
    valkey,
    localReads: shards.every((at) => at.readNow !== undefined),
    savedAt() {
      saved ??= Promise.all(done.map((d, i) => (d.report ? ctimeMs(d.report.auxFields) : headCtimeMs(shards[i]!))));
      return saved;
    },
    shardOf: (key) => shardOf(key.valueAt),
    decode: (key, payload) => decodeDumpPayload(payload, done[shardOf(key.valueAt)]!.templates),
    payload(key) {
      const bytes = key.valueEnd - key.valueAt;
      // Over proto-max-bulk-len: refused before a byte is read or decompressed (an error reply naming the key and the
      // limit); a string's length head not counted, its length checked exactly once read (seal).
      checkStoredSize(key, bytes, maxValueBytes, key.type === 0 ? STRING_HEAD_BYTES : 0);
      const i = shardOf(key.valueAt);
      const seal = (value: Buffer): Buffer => {
        checkDeclaredSize(key, value, maxValueBytes);
        const p = dumpPayload(key.type, value, versions[i]!);
        return Buffer.from(p.buffer, p.byteOffset, p.byteLength);
      };
      const at = shards[i]!;
      return at.readNow ? seal(at.readNow(key.valueAt - bases[i]!, bytes)) : at.read(key.valueAt - bases[i]!, bytes).then(seal);
    },
    stored(key, from, to) {
      const start = key.valueAt + Math.max(0, from);
      const end = Math.min(key.valueEnd, key.valueAt + to);
      checkStoredSize(key, end - start, maxValueBytes);
      if (end <= start) return Buffer.alloc(0);
      const i = shardOf(key.valueAt);
      const at = shards[i]!;
      return at.readNow ? at.readNow(start - bases[i]!, end - start) : at.read(start - bases[i]!, end - start);
    },
    close: () => {
      for (const at of shards) at.close();
      for (const d of done) d.close?.();
    },
  };
}
