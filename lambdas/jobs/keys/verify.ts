/**
 * `migrate --from-rdb --verify`: after a restore from a recovery point, the
 * target is held against the file's own content (a third read of the
 * files), not against a server. Every selected key of the file must be on
 * the target with the same type, value and absolute expiry (to the
 * millisecond: RESTORE … ABSTTL writes it exactly), except the expected
 * differences: keys `--on-conflict skip` left alone on the target (they
 * were there, newer than the recovery point) and keys whose expiry has
 * passed (skipped by the restore, or gone since). A key `skip` kept that is
 * gone now is named apart: a live key written since the incident, lost
 * (evicted, deleted or expired), that the file cannot bring back. Keys only
 * on the target are not looked at: a restore deletes nothing, and the file
 * is the reference.
 *
 * Per batch: PEXPIRETIME + DUMP of the batch's keys on the target. The same
 * object bytes as the file's (the DUMP footer, which names the RDB version,
 * aside) are the same value; other bytes (a hash-table set or hash dumps in
 * the order of its process's table; a target that converted an encoding)
 * are compared by canonical fingerprint: the target's value read per type,
 * the file's decoded from its bytes (rdb/format/value.ts).
 *
 * A big key (BIG_KEY_BYTES of payload or more: a string, or a set, hash or
 * sorted set stored as a table) is neither DUMPed nor read whole: its type,
 * size and expiry are asked for, then its elements held against the target
 * a chunk at a time (a string piece, a hash's values and a list's items
 * compared on the server by a read-only EVAL of GETRANGE, HMGET or LRANGE
 * that hashes them there, or read back for a user without scripts;
 * SMISMEMBER and ZMSCORE by name), so memory is its payload and a chunk,
 * not the value two or three times over, and no reply of its size left for
 * the collector (bench/README.md, big-types).
 * Batches are bounded by payload bytes as the restore's are.
 */
import { collectGarbage } from '../../adapters/host/collect-garbage.js';
import { dumpBatch } from '../../adapters/redis/dump-restore.js';
import {
  hashChunkIs,
  holdsChunk,
  keyShape,
  listRangeIs,
  orderedDigestOn,
  readCanonicalKeyspace,
  stringRange,
  stringRangeIs,
} from '../../adapters/redis/canonical-read.js';
import type { Keyspace } from '../../adapters/redis/keyspace.js';
import { expiredDuringScan } from '../../domain/keys/expiry.js';
import type { LossKind } from '../../domain/rdb/write/losses.js';
import { diffKey, displayKey, keyDigest, type DiffReason, type KeyDigest, type KeyValue, liveValueAt, withoutFieldTtls } from '../../domain/rdb/fingerprint.js';
import { DifferenceTracker, type Difference } from '../../domain/keys/differences.js';
import { compileGlob } from '../../domain/keys/glob.js';
import { FileChangedError, type BlockDigests } from '../../domain/rdb/block-digests.js';
import { DUMP_FOOTER_BYTES } from '../../domain/rdb/format/dump-payload.js';
import { RdbKeyReader, releasePayload, type RdbKey } from '../../domain/rdb/keys.js';
import type { HashTemplates } from '../../domain/rdb/format/hash-template.js';
import { referencesTemplate, resolveTemplateHash } from '../../domain/rdb/format/template-ref.js';
import type { RdbReport } from '../../domain/rdb/verifier.js';
import {
  chunkedPayload,
  decodeDumpPayload,
  listChunkDigests,
  listLength,
  payloadDigest,
  streamedDigest,
  type ChunkedValue,
  type StreamedDigest,
} from '../../domain/rdb/format/value.js';
import { asLoadedFromType15, STREAM_2, STREAM_3 } from '../../domain/rdb/write/source-forms.js';
import { heldAsLoaded } from '../../domain/serve/loaded-encoding.js';
import { STREAM_4, STREAM_5, strippedPayload } from '../../domain/rdb/write/stream-extras.js';
import { streamInfoAt } from '../../domain/rdb/format/stream-info.js';
import type { StreamId } from '../../domain/rdb/format/stream-ids.js';
import { BATCH_BYTES, skippedKeyOf } from './writer.js';
import type { RdbTarget } from './read-rdb.js';
import type { OnConflict } from '../../domain/keys/key-copy.js';
import { COLLECT_AFTER_BYTES, readRdbBatches, type RdbFileSource } from './read-rdb-batches.js';

/**
 * A difference the restore expects: a key `skip` kept on the target, one whose expiry came, or a hash whose live field
 * TTLs `--lossy field-ttl` let go (the target holds its fields, without them: equal by its fields alone).
 */
export type RdbExpectedKind = (typeof RDB_EXPECTED_KINDS)[number];

/** Every {@link RdbExpectedKind}, in the order results list them. */
export const RDB_EXPECTED_KINDS = ['kept-on-target', 'expired', 'field-ttl'] as const;

/** One key of the file the target holds differently (`missing-in-b`: in the file, not on the target). */
export type RdbKeyDifference = Difference<RdbExpectedKind>;

export interface VerifyRdbKeysOptions {
  /** The database of the file held against a single target keyspace (not with a map of targets). @default 0 */
  readonly db?: number;
  readonly match?: string;
  readonly batchSize?: number;
  /** The restore's mode, and the keys it skipped because the target had them (see `rememberSkipped`). */
  readonly onConflict?: OnConflict;
  readonly skippedKeys: ReadonlySet<string>;
  /** True when the restore remembered fewer skipped keys than it skipped (past its bound). */
  readonly skippedOverflow?: boolean;
  /** Per file, the block CRCs the restore verified: this read must see the same bytes (a file replaced since proves nothing). */
  readonly digests?: readonly BlockDigests[];
  /** Per file, the empty keys the restore's verification found: with `digests`, this read reads only the keys' bounds (RdbKeyReaderOptions.verifiedBefore). */
  readonly emptyKeys?: readonly (ReadonlySet<number> | undefined)[];
  /** Differences listed (all are counted). @default 100 */
  readonly maxDiffs?: number;
  /** @internal A key whose payload has this many bytes or more is checked in chunks (tests make it small). @default {@link BIG_KEY_BYTES} */
  readonly bigKeyBytes?: number;
  /** @internal Elements per chunk of a big key (bytes: ×1024 per GETRANGE of a string). @default {@link CHUNK_ELEMENTS} */
  readonly chunkElements?: number;
  /** @internal Payload bytes per batch (tests make it small). @default BATCH_BYTES */
  readonly batchBytes?: number;
  /** @internal Value bytes from which a payload is kept in parts, the file's chunks (tests make it small). @default 1 MiB */
  readonly partsFromBytes?: number;
  /** @internal Payload bytes of a key (or batch) after which a full collection is made (tests make it small). @default 32 MiB */
  readonly collectAfterBytes?: number;
  /** The restore's accepted losses (`--lossy`): `field-ttl` holds a hash the target keeps without field TTLs against the file's fields alone. */
  readonly lossy?: ReadonlySet<LossKind>;
  /** Per file, the time (ms) the restore held field TTLs against: with `field-ttl`, the fields live then are the ones it wrote (for good). */
  readonly fieldsCutAtMs?: readonly (number | undefined)[];
  /** The restore left the file's module values out (`--lossy module` into a target with no module loaded): they are not checked. */
  readonly moduleValuesLeftOut?: boolean;
  /** The restore wrote Redis 8.6/8.8 streams as type 21 without their empty IDMP data (stream-extras.ts idmpIsEmpty): held so, as with `--lossy stream-idmp`. */
  readonly emptyIdmpLeftOut?: boolean;
  readonly onProgress?: (keysChecked: number) => void;
  readonly shouldStop?: () => boolean;
  readonly now?: () => number;
}

export interface VerifyRdbKeysResult {
  /** Every selected key of the file checked, no unexpected difference. */
  readonly equal: boolean;
  /** Keys of the file checked against the target. */
  readonly keys: number;
  readonly differences: number;
  readonly diffs: readonly RdbKeyDifference[];
  readonly expected: Readonly<Record<RdbExpectedKind, number>>;
  readonly expectedDiffs: readonly RdbKeyDifference[];
  /** Keys whose bytes differed and were compared by fingerprint. */
  readonly comparedByValue: number;
  /**
   * Live keys gone: keys the target held when the restore ran (`--on-conflict
   * skip` kept them, remembered) that are not there now — evicted, deleted,
   * or expired by their own TTL since. Each is also counted in `differences`.
   */
  readonly keptGone: number;
  /** The first of them (as many as `maxDiffs`). */
  readonly keptGoneKeys: readonly Buffer[];
  /**
   * The restore skipped more keys than it remembers: on a skip run every key
   * the target holds differently was taken as one skip kept, unchecked.
   */
  readonly skippedOverflow: boolean;
  readonly seconds: number;
  readonly interrupted: boolean;
  /** A file that failed this third read (it changed since the restore): nothing is proven. */
  readonly error?: string;
}

/**
 * A key of this many payload bytes or more is not read back whole (DUMP,
 * then SMEMBERS/HGETALL/ZRANGE of every member at once, each as big as the
 * value or bigger): its size, type and expiry are asked for, and its
 * elements held against the target a chunk at a time.
 */
export const BIG_KEY_BYTES = 1024 * 1024;

/** Elements per round trip of a big key's check (and, ×1024, bytes per GETRANGE of a big string). */
export const CHUNK_ELEMENTS = 1000;

/**
 * A big value as the chunked check reads it: a string's bytes piece by piece
 * (a view of its payload, or of its parts); a set's, hash's or sorted set's
 * elements a chunk at a time; a list's or stream's digest, computed a node
 * at a time (with the items or entries to ask the target for per round trip).
 */
type BigValue =
  | Exclude<ChunkedValue, { type: 'string' }>
  | (StreamedDigest & { readonly perRead: number })
  | {
      readonly type: 'string';
      readonly size: number;
      readonly same: (from: number, bytes: Buffer) => boolean;
      /** Bytes [from, to) as views (no copy). */
      readonly slice: (from: number, to: number) => Buffer[];
    };

/** The chunked check's view of a value chunkedPayload read. */
function bigValue(v: ChunkedValue | undefined): BigValue | undefined {
  if (v?.type !== 'string') return v;
  const bytes = v.value;
  return {
    type: 'string',
    size: v.size,
    same: (from, piece) => piece.equals(bytes.subarray(from, from + piece.length)),
    slice: (from, to) => [bytes.subarray(from, to)],
  };
}

/** True when `bytes` are the payload's in parts from byte `from` on (compared in place: views, no copies). */
function partsEqual(parts: readonly Buffer[], from: number, bytes: Buffer): boolean {
  const to = from + bytes.length;
  let partAt = 0;
  for (const part of parts) {
    const lo = Math.max(from, partAt);
    const hi = Math.min(to, partAt + part.length);
    if (hi > lo && part.compare(bytes, lo - from, hi - from, lo - partAt, hi - partAt) !== 0) return false;
    partAt += part.length;
    if (partAt >= to) break;
  }
  return partAt >= to;
}

/** Views of bytes [from, to) of the payload in parts. */
function partsSlice(parts: readonly Buffer[], from: number, to: number): Buffer[] {
  const out: Buffer[] = [];
  let partAt = 0;
  for (const part of parts) {
    const lo = Math.max(from, partAt);
    const hi = Math.min(to, partAt + part.length);
    if (hi > lo) out.push(part.subarray(lo - partAt, hi - partAt));
    partAt += part.length;
    if (partAt >= to) break;
  }
  return out;
}

/**
 * A big plain string whose payload is in parts (the file's chunks), as the
 * chunked check reads it, without joining the parts: its bytes are a view
 * over them. Undefined for any other key (an LZF or integer string is decoded whole).
 */
function plainStringOf(k: RdbKey): BigValue | undefined {
  const parts = k.payloadParts;
  if (!parts || k.type !== 0) return undefined;
  // The type byte and the length prefix (at most 9 bytes), from as few parts as hold them.
  const heads: Buffer[] = [];
  for (let n = 0, i = 0; n < 10 && i < parts.length; i++) {
    heads.push(parts[i]!.subarray(0, 10));
    n += heads[heads.length - 1]!.length;
  }
  const head = Buffer.concat(heads);
  const first = head[1]!;
  const prefix = first >> 6 === 0 ? 1 : first >> 6 === 1 ? 2 : first === 0x80 ? 5 : first === 0x81 ? 9 : 0;
  if (prefix === 0) return undefined;
  const size = k.payloadBytes - 1 - prefix - DUMP_FOOTER_BYTES;
  const from = 1 + prefix;
  return { type: 'string', size, same: (at, piece) => partsEqual(parts, from + at, piece), slice: (lo, hi) => partsSlice(parts, from + lo, from + hi) };
}

/**
 * A big key's value as the chunked check reads it, its payload never joined
 * (its parts read in place): a plain string as a view, a set, hash or sorted
 * set in chunks, a list or stream as its streamed digest; undefined for the
 * encodings read whole (a listpack, an intset: small by the server's own limits; a module value).
 */
function bigValueOf(k: RdbKey, perChunk: number): BigValue | undefined {
  const payload = k.payloadParts ?? k.payload;
  // About a quarter of perChunk KiB per round trip: each trip's command or reply is garbage once checked, and less at a time keeps the peak lower.
  const perRead = (size: number): number => Math.max(1, Math.min(perChunk, Math.floor((perChunk * 256 * size) / k.payloadBytes)));
  const plain = plainStringOf(k);
  if (plain) return plain;
  const chunked = chunkedPayload(payload, perChunk);
  if (chunked) return bigValue(chunked.type === 'string' ? chunked : chunkedPayload(payload, perRead(chunked.size)));
  const items = listLength(payload);
  if (items !== undefined) {
    if (items === 0) return undefined;
    // Its whole digest made only if it is read back (a target user without scripts): judged on the server, its chunks' digests do.
    let whole: string | undefined;
    return {
      type: 'list',
      size: items,
      perRead: perRead(items),
      get digest(): string {
        whole ??= streamedDigest(payload)!.digest;
        return whole;
      },
    };
  }
  const streamed = streamedDigest(payload);
  if (!streamed || streamed.size === 0) return undefined;
  return { ...streamed, perRead: perRead(streamed.size) };
}

/**
 * Whether a stream the file and the target both store the first id of (RDB
 * type 19 or 21 on each side: the file's copied, or rewritten 21 → 19) has
 * another one on the target: XINFO STREAM's recorded-first-entry-id, which
 * the canonical fingerprint leaves out (compare reads it of no server).
 */
function firstIdDiffers(file: Buffer, target: Buffer): boolean {
  const stores = (p: Buffer) => p[0] === STREAM_2 || p[0] === STREAM_3;
  if (!stores(file) || !stores(target)) return false;
  const id = (p: Buffer) => streamInfoAt(p[0]!, p, 1, p.length - DUMP_FOOTER_BYTES).firstId;
  return idsDiffer(id(file), id(target));
}

/** Whether two stream ids differ; false where either side has none (the file's a type 15, or a target before Redis 7.0). */
function idsDiffer(a: StreamId | undefined, b: StreamId | undefined): boolean {
  return a !== undefined && b !== undefined && (a[0] !== b[0] || a[1] !== b[1]);
}

/** The object bytes of a DUMP payload (its footer, RDB version and CRC-64, aside). */
function objectBytes(payload: Buffer): Buffer {
  return payload.subarray(0, payload.length - DUMP_FOOTER_BYTES);
}

/**
 * Holds the target against every selected key of `files` (read once more, in
 * order): database `db` of the files against `target`, or each database of
 * the files against its target (as the restore wrote them: {@link RdbTarget}).
 */
export async function verifyRdbKeys(
  files: readonly RdbFileSource[],
  target: Keyspace | ReadonlyMap<number, RdbTarget>,
  options: VerifyRdbKeysOptions,
): Promise<VerifyRdbKeysResult> {
  const now = options.now ?? Date.now;
  const started = now();
  const db = options.db ?? 0;
  const targets: ReadonlyMap<number, RdbTarget> = target instanceof Map ? target : new Map([[db, { db, keyspace: target as Keyspace }]]);
  const check = new TargetCheck(targets, options, now);
  const matches = options.match === undefined ? undefined : compileGlob(options.match);
  const selected = (kdb: number, name: Buffer) => targets.has(kdb) && (matches === undefined || matches(name));
  let interrupted = false;
  let error: string | undefined;
  let current = '';
  try {
    for (const [i, file] of files.entries()) {
      current = file.location;
      const read = await checkFile(file, check, selected, i, options);
      if (read.interrupted) {
        interrupted = true;
        break;
      }
      if (!read.report.ok) {
        error = `${file.location} changed since it was restored and now fails at byte ${read.report.error?.offset}: ${read.report.error?.message}; the verification proves nothing`;
        break;
      }
    }
  } catch (err) {
    if (err instanceof FileChangedError) error = `${current} changed since it was restored (${err.message}): the verification proves nothing`;
    else error = err instanceof Error ? err.message : String(err);
  }
  const { tracker } = check;
  return {
    equal: tracker.differences === 0 && !interrupted && !error,
    keys: check.keys,
    differences: tracker.differences,
    diffs: tracker.diffs,
    expected: tracker.expected,
    expectedDiffs: tracker.expectedDiffs,
    comparedByValue: check.comparedByValue,
    keptGone: check.keptGone,
    keptGoneKeys: check.keptGoneKeys,
    skippedOverflow: Boolean(options.skippedOverflow) && check.skipping,
    seconds: (now() - started) / 1000,
    interrupted,
    ...(error ? { error } : {}),
  };
}

/**
 * One file read once more, its keys in batches held against the target. A
 * stop (Ctrl-C) between batches ends the read (`interrupted`); the report is
 * the reader's, undefined only then.
 */
async function checkFile(
  file: RdbFileSource,
  check: TargetCheck,
  selected: (kdb: number, name: Buffer) => boolean,
  i: number,
  options: VerifyRdbKeysOptions,
): Promise<{ interrupted: true } | { interrupted: false; report: RdbReport }> {
  const digests = options.digests?.[i];
  const emptyKeys = digests !== undefined ? options.emptyKeys?.[i] : undefined;
  const reader = new RdbKeyReader({
    want: selected,
    wantName: selected,
    keepChunks: true,
    // With the restore's block CRCs, bytes its verification passed: read for the keys' bounds alone when it named the empty keys.
    reread: digests !== undefined,
    partsFromBytes: options.partsFromBytes,
    ...(emptyKeys ? { verifiedBefore: { emptyKeys } } : {}),
  });
  // Bounded by count and by payload bytes, as the restore's batches (the same reader).
  const bounds = {
    batchSize: options.batchSize ?? 1000,
    batchBytes: options.batchBytes ?? BATCH_BYTES,
    collectAfterBytes: options.collectAfterBytes,
    ...(digests ? { digests } : {}),
  };
  check.templatesOf = () => reader.templates;
  check.fieldsCutAt = options.fieldsCutAtMs?.[i];
  for await (const batch of readRdbBatches(file, reader, bounds)) {
    await check.check(batch.keys);
    if (batch.last) break;
    options.onProgress?.(check.keys);
    // Between batches: a stop (Ctrl-C) ends the run; the file's last batch is checked whatever comes.
    if (options.shouldStop?.()) return { interrupted: true };
  }
  options.onProgress?.(check.keys);
  return { interrupted: false, report: reader.end() };
}

/**
 * The target held against keys of the file, batch after batch, and what it
 * found: the differences (expected or not), the keys checked, those compared
 * by value, and the live keys `skip` kept that are gone.
 */
class TargetCheck {
  keys = 0;
  comparedByValue = 0;
  keptGone = 0;
  readonly keptGoneKeys: Buffer[] = [];
  readonly tracker: DifferenceTracker<RdbExpectedKind>;
  /** The hash templates of the file read (Redis 8.10, opcode 242): a template hash is held as the hash it stands for. */
  templatesOf: () => HashTemplates | undefined = () => undefined;
  /** The file read's {@link VerifyRdbKeysOptions.fieldsCutAtMs}. */
  fieldsCutAt: number | undefined;
  /** The restore ran with `--on-conflict skip`. */
  readonly skipping: boolean;
  private readonly maxDiffs: number;
  private readonly bigKeyBytes: number;
  private readonly perChunk: number;

  constructor(
    private readonly targets: ReadonlyMap<number, RdbTarget>,
    private readonly options: VerifyRdbKeysOptions,
    private readonly now: () => number,
  ) {
    this.maxDiffs = options.maxDiffs ?? 100;
    this.tracker = new DifferenceTracker<RdbExpectedKind>(RDB_EXPECTED_KINDS, this.maxDiffs);
    this.skipping = (options.onConflict ?? 'skip') === 'skip';
    this.bigKeyBytes = options.bigKeyBytes ?? BIG_KEY_BYTES;
    this.perChunk = options.chunkElements ?? CHUNK_ELEMENTS;
  }

  /** Checks a batch of keys, each run of keys of one database against that database's target. */
  async check(keys: readonly RdbKey[]): Promise<void> {
    const all = this.options.lossy?.has('stream-idmp') || this.options.emptyIdmpLeftOut ? keys.map(asStrippedStream) : keys;
    for (let from = 0, to = 0; from < all.length; from = to) {
      const d = all[from]!.db;
      for (to = from + 1; to < all.length && all[to]!.db === d; ) to++;
      await this.checkIn(this.targets.get(d)!.keyspace, all.slice(from, to));
    }
  }

  /** Keys of one database against its target: big keys in chunks, the others DUMPed in one batch. */
  private async checkIn(target: Keyspace, all: readonly RdbKey[]): Promise<void> {
    const batch: RdbKey[] = [];
    for (const k of all) {
      // Module values the restore left out (--lossy module, a target without modules): not expected on the target.
      if (this.options.moduleValuesLeftOut && (k.type === 6 || k.type === 7)) continue;
      // A newer stream whose ids an RDB 9 target derives (--lossy stream-ids) is held against those ids (fileDigest): read whole, not in chunks.
      const idsDerived = this.options.lossy?.has('stream-ids') && (k.type === STREAM_2 || k.type === STREAM_3);
      if (k.payloadBytes < this.bigKeyBytes || idsDerived || !(await this.checkBig(target, k))) {
        batch.push(k);
        continue;
      }
      // A big key of COLLECT_AFTER_BYTES or more is followed by a full collection (adapters/host/collect-garbage.ts).
      if (k.payloadBytes < (this.options.collectAfterBytes ?? COLLECT_AFTER_BYTES)) continue;
      // A huge key's round trips leave about its size in garbage: collected before the next one is read (a few ms against its checks),
      // with the key's own bytes, let go first (this loop's variable holds the key).
      releasePayload(k);
      collectGarbage();
    }
    if (batch.length > 0) await this.checkDumped(target, batch);
  }

  /**
   * A big key checked in chunks, its difference noted; false when its
   * encoding is read whole (it goes with the batch). Its chunked view is
   * this call's alone: let go when it returns.
   */
  private async checkBig(target: Keyspace, k: RdbKey): Promise<boolean> {
    const value = bigValueOf(k, this.perChunk);
    if (!value) return false;
    this.keys++;
    this.comparedByValue++;
    const reason = await this.bigKeyDiff(target, k, value);
    if (reason === 'missing-in-b' && this.wasSkipped(k)) this.lostLive(k);
    else if (reason) this.noteDiff(k, reason);
    return true;
  }

  /**
   * A batch by DUMP: the same object bytes are the same value (only the TTL
   * to compare); other bytes are compared by canonical fingerprint.
   */
  private async checkDumped(target: Keyspace, batch: readonly RdbKey[]): Promise<void> {
    const names = batch.map((k) => k.name);
    const onTarget = await dumpBatch(target, names, undefined, 'the target');
    const slow: number[] = [];
    for (const [i, k] of batch.entries()) {
      this.keys++;
      const t = onTarget[i]!;
      // The target had this key when the restore ran (skip kept it): a live key lost since, which the file cannot replace.
      if (t.gone && this.wasSkipped(k)) this.lostLive(k);
      else if (t.gone) this.note(k, 'missing-in-b', this.expiredNow(k) ? 'expired' : undefined);
      else if (objectBytes(t.payload).equals(objectBytes(k.payload))) {
        if (t.expireAtMs !== k.expireAtMs) this.note(k, 'ttl', this.expiredNow(k) ? 'expired' : this.kept(k));
      } else slow.push(i);
    }
    if (slow.length === 0) return;
    this.comparedByValue += slow.length;
    const reads = await readCanonicalKeyspace(
      target,
      slow.map((i) => batch[i]!.name),
    );
    for (const [j, i] of slow.entries()) {
      const k = batch[i]!;
      const read = reads[j];
      // Fields of a hash whose TTL has passed are gone on the target (RESTORE drops them): left out on both sides.
      const at = this.now();
      const t = onTarget[i]!;
      // A stream's first id the fingerprint leaves out: held where both sides store it (unless its ids are the derived ones: --lossy stream-ids).
      const file = this.fileDigest(k, read?.value, at);
      const reason =
        diffKey(file.digest, read ? keyDigest(read.value, read.expireAtMs, at) : undefined, 0) ??
        (!t.gone && !this.options.lossy?.has('stream-ids') && firstIdDiffers(k.payload, t.payload) ? 'value' : undefined);
      if (reason) this.noteDiff(k, reason);
      // Equal by its fields alone: the field TTLs it had are the accepted loss, named as such (not "same expiry").
      else if (file.fieldTtlsLost) this.note(k, 'value', this.kept(k) ?? 'field-ttl');
    }
  }

  /**
   * The file's key as the target should hold it: with `--lossy field-ttl`
   * accepted, a hash the target holds without any field TTL is held against
   * the file's fields without theirs (the loss accepted; a value, or a field
   * expired and back, still differs); with `--lossy stream-ids`, a newer
   * stream with the ids a server derives loading it as type 15 (what an RDB 9
   * target holds of it); else the file's digest.
   */
  private fileDigest(k: RdbKey, onTarget: KeyValue | undefined, at: number): { digest: KeyDigest; fieldTtlsLost?: true } {
    if (this.options.lossy?.has('stream-ids') && onTarget?.type === 'stream' && (k.type === STREAM_2 || k.type === STREAM_3))
      return { digest: keyDigest(asLoadedFromType15(k.payload), k.expireAtMs, at) };
    // A template hash (Redis 8.10, types 30 and 32): the hash it stands for, its field names from the file's templates.
    const templated = referencesTemplate(k.type) ? this.templateHash(k) : undefined;
    if (!this.options.lossy?.has('field-ttl') || onTarget?.type !== 'hash' || onTarget.fieldExpireAtMs?.some((t) => t !== null))
      // A small skiplist zset's -0, which a 7.0 target holds as 0 once RESTOREd (loaded-encoding.ts heldAsLoaded).
      return { digest: templated ? keyDigest(templated, k.expireAtMs, at) : (heldAsLoaded(k, onTarget, at) ?? payloadDigest(k.payload, k.expireAtMs, at)) };
    const value = templated ?? decodeDumpPayload(k.payload);
    // Fields live when the restore wrote them stay (no TTL); a field TTL still to come then is what the loss took.
    const cut = this.fieldsCutAt ?? at;
    const live = liveValueAt(value, cut);
    const lost = live?.type === 'hash' && live.fieldExpireAtMs?.some((t) => t !== null);
    return { digest: keyDigest(withoutFieldTtls(value, cut), k.expireAtMs, at), ...(lost ? { fieldTtlsLost: true as const } : {}) };
  }

  /** The hash a template hash of the file stands for (its template is defined before it, in the read's parser). */
  private templateHash(k: RdbKey): KeyValue {
    const value = resolveTemplateHash(k.payload, (id) => this.templatesOf()?.fieldNames(id));
    if (!value) throw new Error(`${displayKey(k.name)}: a template hash whose template this read of the file did not define`);
    return value;
  }

  /** A big key, checked in chunks: the reason it differs, or undefined when the target holds it the same. */
  private async bigKeyDiff(target: Keyspace, k: RdbKey, value: BigValue): Promise<DiffReason | undefined> {
    const shape = await keyShape(target, k.name);
    if (!shape) return 'missing-in-b';
    if (shape.type !== value.type) return 'type';
    if (shape.size !== value.size) return 'value';
    if ('digest' in value) {
      // A stream Redis's reads by ID list out of the file's order (ReadOrder): XRANGE … COUNT would skip entries, so its DUMP.
      if (value.type === 'stream' && value.readsInOrder === false) return this.streamByDump(target, k, value);
      // A list's items judged on the server, chunk by chunk (nothing comes back); read back when it runs no scripts for this user.
      const onServer = value.type === 'list' ? await this.listOnServer(target, k, value.perRead) : undefined;
      if (onServer !== undefined) return !onServer ? 'value' : shape.expireAtMs === k.expireAtMs ? undefined : 'ttl';
      const read = await orderedDigestOn(target, k.name, value.type, shape.size, value.perRead);
      if (read.digest !== value.digest) return 'value';
      // A type 19/21 stream's stored first id, which the digest leaves out, held as the batch path holds it (firstIdDiffers): against
      // XINFO STREAM's recorded-first-entry-id. A target before Redis 7.0 reports none (it keeps no first id): nothing to hold there.
      // With --lossy stream-ids the target's ids are the derived ones (such streams do not come here: checkIn reads them whole).
      if (!this.options.lossy?.has('stream-ids') && idsDiffer(value.storedFirstId, read.recordedFirstId)) return 'value';
    } else if (value.type === 'string') {
      const piece = this.perChunk * 1024;
      let onServer = true;
      for (let at = 0; at < value.size; at += piece) {
        const end = Math.min(value.size, at + piece);
        // Compared on the server (nothing comes back); read back when it runs no scripts for this user.
        const same = onServer ? await stringRangeIs(target, k.name, at, value.slice(at, end)) : undefined;
        if (same === false) return 'value';
        if (same === true) continue;
        onServer = false;
        const got = await stringRange(target, k.name, at, end - 1);
        if (got.length !== end - at || !value.same(at, got)) return 'value';
      }
    } else {
      // A hash's values judged on the server (nothing comes back); read back when it runs no scripts for this user.
      let onServer = value.type === 'hash';
      for (const chunk of value.chunks()) {
        const same = onServer && chunk.type === 'hash' ? await hashChunkIs(target, k.name, chunk.fields) : undefined;
        if (same === false) return 'value';
        if (same === true) continue;
        onServer = false;
        if (!(await holdsChunk(target, k.name, chunk))) return 'value';
      }
    }
    return shape.expireAtMs === k.expireAtMs ? undefined : 'ttl';
  }

  /**
   * A big stream whose entries Redis's reads by ID do not list in the file's
   * order (a Redis before 7.2 after an XSETID below deleted entries), held by
   * the target's DUMP: its digest streamed a node at a time in the payload's
   * order, as the file's was (never decoded whole: about the value's size
   * once more, the chunked reads' bound). The target's payload is the file's
   * (RESTORE keeps the nodes) or the same nodes re-encoded for it.
   */
  private async streamByDump(target: Keyspace, k: RdbKey, value: StreamedDigest): Promise<DiffReason | undefined> {
    const [t] = await dumpBatch(target, [k.name], undefined, 'the target');
    if (!t || t.gone) return 'missing-in-b';
    let read: StreamedDigest | undefined;
    try {
      read = streamedDigest(t.payload);
    } catch {
      return 'value'; // not a stream payload the reader takes: not the file's value
    }
    if (read?.type !== 'stream' || read.digest !== value.digest) return 'value';
    if (!this.options.lossy?.has('stream-ids') && idsDiffer(value.storedFirstId, read.storedFirstId)) return 'value';
    return t.expireAtMs === k.expireAtMs ? undefined : 'ttl';
  }

  /**
   * A big list's items held against the target's, `perRead` at a time, each
   * range hashed on the server (listRangeIs): the target's size is already
   * the file's (keyShape). Undefined when the target runs no scripts for
   * this user (the caller reads it back).
   */
  private async listOnServer(target: Keyspace, k: RdbKey, perRead: number): Promise<boolean | undefined> {
    const digests = listChunkDigests(k.payloadParts ?? k.payload, perRead);
    if (!digests) return undefined;
    let at = 0;
    for (const digest of digests) {
      const same = await listRangeIs(target, k.name, at, perRead, digest);
      if (same !== true) return same;
      at += perRead;
    }
    return true;
  }

  private note(k: RdbKey, reason: DiffReason, kind?: RdbExpectedKind): void {
    this.tracker.note(k.name, reason, kind, this.targets.size > 1 ? k.db : undefined);
  }

  /** A key the target holds differently: expected when its expiry came, or (but for a missing one) when `skip` kept the target's. */
  private noteDiff(k: RdbKey, reason: DiffReason): void {
    this.note(k, reason, this.expiredNow(k) ? 'expired' : reason === 'missing-in-b' ? undefined : this.kept(k));
  }

  /** A key `skip` kept on the target (it was there, live) that is gone now: lost since the restore, counted and named apart. */
  private lostLive(k: RdbKey): void {
    this.keptGone++;
    if (this.keptGoneKeys.length < this.maxDiffs) this.keptGoneKeys.push(k.name);
    this.note(k, 'missing-in-b');
  }

  /** A key of the file that the restore's `skip` left alone (the target had it). */
  private wasSkipped(k: RdbKey): boolean {
    return this.options.skippedKeys.has(skippedKeyOf(k.db, k.name));
  }

  /** Why a key the target holds differently is expected to: `skip` kept the target's (remembered, or past the bound on a skip run). */
  private kept(k: RdbKey): RdbExpectedKind | undefined {
    return this.wasSkipped(k) || (this.skipping && this.options.skippedOverflow) ? 'kept-on-target' : undefined;
  }

  /**
   * A key of the file whose expiry has passed: the restore skipped it (the
   * target may hold its own key of that name) or it expired since.
   */
  private expiredNow(k: RdbKey): boolean {
    // RESTORE … ABSTTL wrote it exact: no tolerance. A hash every field of which has expired is gone as well (a restore leaves it out).
    return expiredDuringScan(k.expireAtMs, this.now(), 0) || this.fieldsAllExpired(k);
  }

  /** Whether `k` is a hash with field TTLs (RDB types 22–25) every field of which has expired by now. */
  private fieldsAllExpired(k: RdbKey): boolean {
    if (k.type < 22 || k.type > 25) return false;
    const v = decodeDumpPayload(k.payload);
    const now = this.now();
    return v.type === 'hash' && v.fieldExpireAtMs !== undefined && v.fieldExpireAtMs.every((t) => t !== null && t <= now);
  }
}

/**
 * A Redis 8.6/8.8 stream (type 26, 27) as the target holds it once written
 * with `--lossy stream-idmp`, or without it where its IDMP data was empty
 * (and `stream-nacks` where it has NACKed entries: without it the first read
 * refused the file): the type 21 (stream-extras.ts strippedPayload), held
 * like any type 21 from there. Any other key as it is.
 */
function asStrippedStream(k: RdbKey): RdbKey {
  if (k.type !== STREAM_4 && k.type !== STREAM_5) return k;
  const payload = strippedPayload(k.type, k.payload);
  return { db: k.db, name: k.name, type: STREAM_3, expireAtMs: k.expireAtMs, payload, payloadBytes: payload.length, offset: k.offset, end: k.end };
}
