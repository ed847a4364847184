/**
 * verify-rdb's key index beside a DR copy (`<copy>.keys`,
 * domain/serve/index-file.ts): built from the very bytes the verifier reads
 * (no read of its own), written once the copy's verdict is `ok`, under the
 * copy's Object Lock retention (the vault's per tier; the DR bucket's
 * default), so `serve -c … --point` and
 * `history -c … --plan` open the copy with a few ranged GETs. The index is
 * tied to the copy by its length and CRC-64 trailer (its directory by its
 * SHA-256, each block by its CRC-64): `serve` refuses one that does not match and
 * reads the copy whole.
 *
 * A copy verified across several invocations (a checkpoint between each):
 * each invocation that pauses puts the keys of the bytes it read as a
 * segment beside the copy (`<copy>.<start>-<end>.part.rdb.keys`,
 * domain/serve/index-segment.ts; locked as the index is), its boundaries
 * carried in the verifier's progress, and the invocation that ends the
 * verification reads them back (each checked by its SHA-256, its object
 * version and byte range) and stitches them with its own keys into the
 * index. A copy read in two parts at once on two threads (verify-rdb-split.ts)
 * is indexed the same way: this thread's pass reads its part, the worker
 * indexes its own part's keys beside its verification and hands them over
 * (their rows and names moved, every key checked here: they are never
 * stored, so no checksum), which stand for those bytes once the part is taken (a
 * paused part is this invocation's segment's end, as a pause on one
 * thread). A copy in Valkey's compressed envelope gets none: said in the
 * verdict's log line, never a failure of the verification.
 *
 * Retention: the index and every segment carry the copy's lifecycle tags
 * (`redis-dr:plan`, `redis-dr:tier`), put with them and read back, so the
 * DR bucket's lifecycle rules (one per plan and tier, filtered on those
 * tags: lib/constructs/recovery-bucket.ts) expire them with the copy. A
 * copy's tags that change later (the export's tags arriving, a hold moving
 * the tier to `held-<tier>`, a release) raise a tag event; the verifier,
 * finding the verdict present, makes its index's and segments' tags follow
 * ({@link followCopyTags}). Segments stay after the stitch (the verifier may
 * not delete, and the bucket's lock may forbid it) and expire with the copy.
 * The vault's lifecycle expires every object after the longest tier's lock,
 * whatever its tags: indexes and segments there go with the replicas.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { addObjectTags, getObjectTags, listObjects, openObject } from '../../adapters/aws/s3/objects.js';
import { objectLockOf, putObjectBeside } from '../../adapters/aws/s3/put-beside.js';
import { TAGS } from '../../domain/plans/types.js';
import { SEGMENT_DB } from '../../domain/rdb/format/parse-constants.js';
import { fileTimeOf } from '../../domain/rdb/format/parse-opcodes.js';
import type { RdbReport } from '../../domain/rdb/report.js';
import type { RdbCheckpoint } from '../../domain/rdb/verifier.js';
import { INDEX_SUFFIX, indexableTrailer, MAGIC } from '../../domain/serve/index-file.js';
import { encodeKeyIndex, indexBytesFor } from '../../domain/serve/index-write.js';
import { besidesKeysOfReport } from '../../domain/serve/besides-keys.js';
import { indexSourceMetadata } from '../../domain/serve/index-source.js';
import { decodeKeySegment, encodeKeySegment, type SegmentOf, takeHandedKeys } from '../../domain/serve/index-segment.js';
import { type IndexedKey, KeyIndexBuilder } from '../../domain/serve/key-index.js';
import { KeyBlocks } from '../../domain/serve/key-blocks.js';
import type { KeyPlaces } from '../../domain/rdb/keys.js';
import type { RdbKeySink, RdbParser } from '../../domain/rdb/format/parser.js';
import { countsUnlike, type IndexedVerification, VerifiedKeys } from '../keys/rdb-index-pass.js';
import { memoryHeadroomBytes } from '../../adapters/host/memory.js';
import type { SplitIndexPart, SplitKeyIndex } from './verify-rdb-split.js';

/**
 * The most a key of the index takes in the duplicate-key check over every key (KeyIndex.firstDuplicateKept: the keys
 * kept, their names' lengths, starts and databases, the hash table's 2-4 slots and hashes; about 36-52 bytes), rounded up.
 */
const DUPLICATE_CHECK_BYTES_A_KEY = 64;

/** The object a segment of `key`'s index for bytes [start, end) is put as (matched by the verifier's `*.rdb.keys` grant). */
export function segmentKey(key: string, start: number, end: number): string {
  return `${key}.${start}-${end}.part.rdb${INDEX_SUFFIX}`;
}

/**
 * A DR copy's key index in the making, taken from the verification's own
 * parse (no second pass over the bytes): readCopy's verifier's parser has
 * this index's sink ({@link verifying}, rdb-index-pass.ts's VerifiedKeys),
 * which places each key as the parser finds it; this
 * thread's bytes are told as read ({@link push}: their extent and the
 * trailer), from `start` (0, or where the last invocation paused), and on
 * two threads the keys of the worker's part come once that part is taken
 * (verify-rdb-split.ts).
 */
export class CopyKeyIndex implements SplitKeyIndex {
  /** This invocation's keys, as the index file's blocks (domain/serve/key-blocks.ts: the file is finished over them). */
  private readonly builder = new KeyBlocks();
  private readonly keys: VerifiedKeys;
  /** The bytes [start, at) were read here (their keys placed by the verification), or stand indexed by the worker's part. */
  private at: number;
  /** The worker's part taken (its keys added). */
  private part: { readonly trailer: Uint8Array | null } | undefined;
  /** Why this invocation's keys cannot be whole (a gap in the bytes read, the worker's part without keys). */
  private broken: string | undefined;
  /** Where the keys placed so far end: {@link at}, or the worker's part's end as its keys are added. */
  private placedTo = 0;
  /** The index file, once encoded (finished over the builder's blocks: once only). */
  private encoded: Buffer | string | undefined;
  /** The earlier invocations' segments read back into {@link before} (once only): why not, or null when they were. */
  private stitched: string | null | undefined;
  /**
   * A resumed verification's keys looked for one stored twice over the whole copy (every invocation's, as the index
   * holds them), when the index was made: the verifier's own check covers only the last invocation's keys.
   */
  private twice: { readonly name: Buffer | undefined } | undefined;

  constructor(
    readonly location: string,
    readonly start = 0,
    /** The bytes this process may still take (the duplicate-key check over every key is made only where it fits). */
    private readonly headroom: () => number = memoryHeadroomBytes,
  ) {
    this.at = start;
    this.keys = new VerifiedKeys(location, this.builder);
  }

  /**
   * The verification of this thread's bytes, read through this index's key
   * reader: `parser` is built around the reader (the verifier's own parser,
   * with the options it has without an index), so the index costs no parse
   * of its own. From `resumeFrom` (this index's start) or byte 0.
   */
  verifying(parser: (sink: RdbKeySink) => RdbParser, resumeFrom?: RdbCheckpoint): IndexedVerification {
    if ((resumeFrom?.offset ?? 0) !== this.start) this.broken = `the verification starts at byte ${resumeFrom?.offset ?? 0}, the index at ${this.start}`;
    return this.keys.verifying(parser, resumeFrom);
  }

  /**
   * The copy is `size` bytes: the builder's buffer grows at once to what its
   * keys are expected to take (those so far over the share of this
   * invocation's bytes read), with room for the index file finished over its
   * blocks (key-rows.ts's RowsSizing).
   */
  expect(size: number): void {
    this.builder.growBy({
      share: () => (Math.max(this.at, this.placedTo) - this.start) / Math.max(1, size - this.start),
      rowsBytes: (keys, nameBytes) => indexBytesFor(keys, nameBytes),
    });
  }

  /** The hook each key of the verification's parse goes through (tests plant faults in it). */
  get places(): KeyPlaces {
    return this.keys;
  }

  /** This thread's bytes read at file offset `at` (readCopy's; in file order, bytes read again skipped): their extent and the trailer. */
  push(chunk: Uint8Array, at = this.at): void {
    if (this.part || this.broken) return;
    if (at > this.at) {
      this.broken = `bytes [${this.at}, ${at}) were not read here`;
      return;
    }
    const skip = this.at - at;
    if (skip >= chunk.byteLength) return;
    const bytes = skip > 0 ? chunk.subarray(skip) : chunk;
    this.at += bytes.byteLength;
    this.keys.seen(bytes);
  }

  /**
   * The worker's part (bytes [from, end)) was taken into the verification
   * (two threads): its keys stand for those bytes (this thread's parse
   * stopped at `from`, so its keys end there).
   */
  takePart(part: SplitIndexPart): void {
    if (this.part || this.broken) return;
    this.keys.closed = true;
    if (typeof part.keys === 'string') this.broken = `the second thread's part [${part.from}, ${part.end}) has no keys: ${part.keys}`;
    else if (this.at < part.from) this.broken = `bytes [${this.at}, ${part.from}) were not read here`;
    else {
      this.builder.dropPast(part.from);
      this.placedTo = part.end;
      // Its keys appended after this thread's, a block's run at a time, once every key is checked (a key found wrong: no
      // index); its keys before its first SELECTDB are of the database this thread's part ended in.
      const problem = takeHandedKeys(part.keys, { start: part.from, end: part.end }, this.builder, [SEGMENT_DB, part.db]);
      if (problem) this.broken = `the second thread's part [${part.from}, ${part.end}): ${problem.problem}`;
      else {
        this.at = part.end;
        this.part = { trailer: part.trailer };
      }
    }
  }

  /**
   * The earlier invocations' segments (`parts`: their boundaries) read back, then the index encoded for a copy of
   * `size` bytes: the file, or why there is none. Once: a second call returns the first's outcome.
   */
  async stitch(read: (into: CopyKeyIndex) => Promise<string | undefined>, size: number): Promise<Buffer | string> {
    if (this.start > 0) {
      if (this.stitched === undefined) {
        try {
          this.stitched = (await read(this)) ?? null;
        } catch (err) {
          // Part of the segments may be in: never read again into the same index (its keys would be counted twice).
          this.stitched = `its segments could not be read back (${err instanceof Error ? err.message : String(err)})`;
          throw err;
        }
      }
      if (this.stitched !== null) return `no key index: ${this.stitched}`;
    }
    const file = this.encode(size);
    return typeof file === 'string' ? `no key index: ${file}` : file;
  }

  /**
   * A resumed verification's check for a key stored twice, over every invocation's keys (the index's), once it is
   * made ({@link stitch}): the first name found twice in one database, `{ name: undefined }` for none, or undefined
   * when no index was made (its keys are not all at hand) or the copy was read in one invocation.
   */
  get duplicateOverAll(): { readonly name: Buffer | undefined } | undefined {
    return this.twice;
  }

  /** Earlier invocations' keys (bytes [0, start)), read back from their segments: put before this invocation's at {@link encode}. */
  private readonly before = new KeyIndexBuilder();

  /** Where earlier invocations' keys go, read back from their segments (in file order, before this invocation's keys). */
  get earlier(): KeyPlaces {
    return this.before;
  }

  /** Why the keys of [start, end) are not all at hand, or undefined. */
  private missing(end: number): string | undefined {
    if (this.keys.envelope) return "in Valkey's compressed envelope (no offsets to read values at)";
    if (this.broken) return this.broken;
    if (!this.keys.read) return 'no verification read through it';
    if (this.at < end) return `only bytes [${this.start}, ${this.at}) of [${this.start}, ${end}) were indexed here`;
    return undefined;
  }

  /**
   * This invocation's keys, of bytes [start, end) (`end`: where the verifier
   * paused, a boundary between two keys), as a segment; or why there is none.
   */
  segment(end: number, of: Pick<SegmentOf, 'etag' | 'versionId'>): Buffer | string {
    const missing = this.missing(end);
    if (missing) return missing;
    // The parse stopped at the pause: keys that end past it (none) would be the next invocation's.
    const all = this.builder.flat().finish(0);
    const keys: IndexedKey[] = [];
    for (const db of all.databases())
      for (let pos = 0; pos < all.size(db); pos++) {
        const e = all.entry(db, pos);
        if (e.valueEnd <= end) keys.push(e);
      }
    return encodeKeySegment({ ...of, start: this.start, end }, keys);
  }

  /**
   * The index file for a copy of `size` bytes (this invocation's keys and the
   * earlier segments' added), or why there is none.
   * @throws UsageError when the verification it was read with did not end, or did not pass the copy (never for a copy judged `ok`)
   */
  encode(size: number): Buffer | string {
    this.encoded ??= this.encoding(size);
    return this.encoded;
  }

  private encoding(size: number): Buffer | string {
    const missing = this.missing(size);
    if (missing) return missing;
    // Only a copy the verifier passed gets an index: its report, from the same parse the keys came from.
    const read = this.keys.finish();
    const trailer = this.part ? (this.part.trailer ? Buffer.from(this.part.trailer).toString('hex') : '0'.repeat(16)) : read.trailer;
    if (!indexableTrailer(trailer)) return 'no CRC-64 to tie an index to';
    const copy = { bytes: this.part ? size : this.at, trailer, besidesKeys: besidesKeysOfReport(read.report) };
    if (this.start === 0) {
      const unlike = countsUnlike(this.builder, read.report);
      // Finished over this invocation's blocks (this index is used no more).
      return unlike ?? this.builder.encode(copy, read.version, read.valkey, read.templates);
    }
    // The index's keys in file order: the earlier invocations', then this one's, laid flat.
    this.before.append(this.builder.flat());
    // A resumed verification knows the templates defined before its checkpoint by their field counts only (and a split
    // one those of the second thread's part not at all): those are not kept (HashTemplates.named), and a hash
    // referencing one is refused in words when served from this index. ElastiCache's engines (Redis OSS up to 7.1,
    // Valkey) write no template hashes, so a DR copy holds none; a self-managed backup's index is one pass and keeps them.
    // Carrying the names in the segments (index-segment.ts) and the worker's handed keys would close it.
    const index = this.before.finish(read.version, read.templates);
    const unlike = countsUnlike(index, read.report);
    if (unlike) return unlike;
    // Exact, over every key of the copy, before the rows' buffer is reused for the file (the name is a view: copied).
    // Among the keys a primary keeps on load (one expired when the file was written is dropped), as the verifier checks.
    // Only where its table fits in half the memory left (a copy of tens of millions of keys in a 3,008 MB function may not
    // hold it beside the index): else no check over every key, and the verdict keeps saying the check was partial.
    if (index.keys * DUPLICATE_CHECK_BYTES_A_KEY <= this.headroom() / 2) {
      const ctime = read.report.auxFields.ctime;
      const name = index.firstDuplicateKept(ctime === undefined ? -1 : fileTimeOf(ctime, -1));
      this.twice = { name: name ? Buffer.from(name) : undefined };
    }
    // Over the rows' buffer when it has the room (this index is used no more).
    return encodeKeyIndex(index, copy, read.valkey, MAGIC, true);
  }
}

/** The copy an index is written beside: where, which version, and what the verifier read of it. */
export interface IndexedObject {
  readonly bucket: string;
  readonly key: string;
  readonly versionId: string | undefined;
  readonly etag: string | undefined;
  readonly size: number;
  /** The copy's lifecycle tags ({@link lifecycleTags}), put on its index and segments. */
  readonly tags: Readonly<Record<string, string>>;
}

/** The tags the DR bucket's lifecycle rules filter on (plan and tier), of a copy's tags: those an index beside it carries. */
export function lifecycleTags(tags: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of [TAGS.plan, TAGS.tier]) if (tags[k] !== undefined) out[k] = tags[k];
  return out;
}

/** Whether `key` is the index or a segment of the index of `copy`. */
function besideCopy(copy: string, key: string): boolean {
  return key === `${copy}${INDEX_SUFFIX}` || (key.startsWith(`${copy}.`) && /^\d+-\d+\.part\.rdb\.keys$/.test(key.slice(copy.length + 1)));
}

/**
 * Makes the lifecycle tags of a copy's index and segments those of the copy
 * (`tags`: its current tags), keeping their other tags; the objects retagged.
 */
export async function followCopyTags(s3: S3Client, bucket: string, copy: string, tags: Readonly<Record<string, string>>): Promise<string[]> {
  const want = lifecycleTags(tags);
  if (Object.keys(want).length === 0) return [];
  const retagged: string[] = [];
  for (const o of await listObjects(s3, bucket, `${copy}.`)) {
    if (!besideCopy(copy, o.key)) continue;
    const current = await getObjectTags(s3, bucket, o.key);
    if (Object.entries(want).every(([k, v]) => current[k] === v)) continue;
    await addObjectTags(s3, bucket, o.key, want, { current });
    retagged.push(o.key);
  }
  return retagged;
}

/**
 * Puts this invocation's segment beside the copy (under the copy's lock, as
 * the index), read back; its boundaries for the progress, or why there is
 * none (the verification goes on; the last invocation then writes no index).
 */
export async function writeCopyKeySegment(s3: S3Client, copy: IndexedObject, index: CopyKeyIndex, end: number, lockAsCopy: boolean): Promise<Buffer | string> {
  const segment = index.segment(end, { etag: copy.etag, versionId: copy.versionId });
  if (typeof segment === 'string') return segment;
  const retention = lockAsCopy ? await objectLockOf(s3, copy.bucket, copy.key, copy.versionId) : undefined;
  await putObjectBeside(s3, copy.bucket, segmentKey(copy.key, index.start, end), segment, retention, copy.tags);
  return segment;
}

/** The earlier invocations' segments (`parts`: their boundaries, 0 to this invocation's start) read back into `index`; why not, else undefined. */
async function readSegments(s3: S3Client, copy: IndexedObject, index: CopyKeyIndex, parts: readonly number[] | undefined): Promise<string | undefined> {
  if (parts?.[0] !== 0 || parts.at(-1) !== index.start)
    return `verified across invocations, and the keys of bytes [0, ${index.start}) were not put as segments`;
  for (let i = 0; i + 1 < parts.length; i++) {
    const name = segmentKey(copy.key, parts[i]!, parts[i + 1]!);
    const { body } = await openObject(s3, copy.bucket, name);
    const chunks: Uint8Array[] = [];
    for await (const c of body) chunks.push(c);
    const problem = decodeKeySegment(
      Buffer.concat(chunks),
      { etag: copy.etag, versionId: copy.versionId, start: parts[i]!, end: parts[i + 1]! },
      index.earlier,
    );
    if (problem) return `segment s3://${copy.bucket}/${name}: ${problem.problem}`;
  }
  return undefined;
}

/**
 * A resumed verification that passed checked for a key stored twice among its last invocation's keys only (the
 * report's duplicateKeyCheck): its index, made now from every invocation's keys ({@link stitchCopyKeyIndex}, before
 * the verdict), completes the check, exactly over every key of the copy, so no partial check is reported; a name
 * found twice makes the copy corrupt, as Redis refuses the file on load. Without an index (a segment missing, a read
 * failing: `failed` is told why), the report is unchanged and says the check was partial.
 */
export async function duplicatesOverAll(
  s3: S3Client,
  copy: IndexedObject,
  index: CopyKeyIndex,
  parts: readonly number[] | undefined,
  report: RdbReport,
  failed: (err: unknown) => void,
): Promise<RdbReport> {
  if (!report.ok || report.duplicateKeyCheck === undefined || index.start === 0) return report;
  try {
    await stitchCopyKeyIndex(s3, copy, index, parts);
  } catch (err) {
    failed(err);
  }
  return judgedOverAll(report, index.duplicateOverAll, copy.size);
}

function judgedOverAll(report: RdbReport, twice: CopyKeyIndex['duplicateOverAll'], size: number): RdbReport {
  if (twice === undefined) return report;
  const { duplicateKeyCheck: _partial, ...whole } = report;
  if (twice.name === undefined) return whole;
  const name = JSON.stringify(twice.name.toString('latin1').slice(0, 64));
  return {
    ...whole,
    ok: false,
    error: {
      offset: size - (report.trailingBytes ?? 0),
      message: `key ${name} is stored twice in one database (found over every invocation's keys, as the key index holds them): Redis refuses the file ("Duplicated key found in RDB file")`,
    },
  };
}

/**
 * The index of a copy verified `ok` made (with the earlier invocations' segments, `parts`, when it was verified
 * across several), not written yet: its file, or why there is none. Once for an index: writing it after
 * ({@link writeCopyKeyIndex}) reads no segment again. A resumed verification's duplicate-key check over every
 * invocation's keys is then {@link CopyKeyIndex.duplicateOverAll}.
 */
export function stitchCopyKeyIndex(s3: S3Client, copy: IndexedObject, index: CopyKeyIndex, parts?: readonly number[]): Promise<Buffer | string> {
  return index.stitch((into) => readSegments(s3, copy, into, parts), copy.size);
}

/**
 * Writes `<key>.keys` beside a verified copy (with the earlier invocations'
 * segments, `parts`, when it was verified across several); what was done,
 * for the log. `lockAsCopy` (the vault, whose replicas carry each tier's
 * retention): put under the copy's own mode and retain-until date.
 * Otherwise (the DR bucket) the bucket's default retention, when it has
 * one, locks the index as it locked the copy (the DR verifier sets no
 * retention itself).
 */
export async function writeCopyKeyIndex(
  s3: S3Client,
  copy: IndexedObject,
  index: CopyKeyIndex,
  lockAsCopy: boolean,
  parts?: readonly number[],
): Promise<string> {
  const file = await stitchCopyKeyIndex(s3, copy, index, parts);
  if (typeof file === 'string') return file;
  const retention = lockAsCopy ? await objectLockOf(s3, copy.bucket, copy.key, copy.versionId) : undefined;
  // Named by the version the verifier read (its ETag and version id, pinned for every read): serve uses the index
  // only while the copy is still that version (docs/serve.md), never a HeadObject taken after the fact.
  await putObjectBeside(s3, copy.bucket, `${copy.key}${INDEX_SUFFIX}`, file, retention, copy.tags, indexSourceMetadata(copy));
  const locked = retention?.mode && retention.retainUntil ? `, ${retention.mode} until ${retention.retainUntil.toISOString()} as the copy` : '';
  const stitched = index.start > 0 ? `, stitched from ${parts!.length} invocations' segments` : '';
  const tagged = Object.entries(copy.tags)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  return `key index s3://${copy.bucket}/${copy.key}${INDEX_SUFFIX}: ${file.length} bytes${locked}${stitched}${tagged ? `, tagged ${tagged} as the copy` : ''}, read back`;
}
