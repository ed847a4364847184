/**
 * A key index taken from a verifier's parse: the verifier's parser telling
 * where each key's value lies. {@link RdbIndexPass}: the one pass that both
 * verifies and indexes a recovery point `serve` opens
 * (jobs/serve/open-point.ts). {@link VerifiedKeys}: the index of a
 * verification that runs anyway, read through its own parse (a DR copy's,
 * jobs/dr-copies/copy-key-index.ts; a backup's, fed the bytes as they are
 * written, jobs/self-managed/backup-key-index.ts): no second parse.
 */
import { tempKeyDigestSpill } from '../../adapters/host/key-digest-spill.js';
import type { RdbAt } from '../../adapters/storage/rdb-at.js';
import { isRdbEnvelope } from '../../adapters/storage/rdb-envelope.js';
import type { HashTemplates } from '../../domain/rdb/format/hash-template.js';
import type { RdbKeySink, RdbParser } from '../../domain/rdb/format/parser.js';
import { type KeyPlaces, type RdbKeyReader, rdbHeaderVersion } from '../../domain/rdb/keys.js';
import { type RdbCheckpoint, rdbVerdict, type RdbReport } from '../../domain/rdb/verifier.js';
import { indexingKeyReader, type KeyIndex, type KeyIndexBuilder } from '../../domain/serve/key-index.js';
import { PlacingKeySink } from '../../domain/serve/segment-keys.js';
import { FoundProblem } from '../kernel/found-problem.js';
import { UsageError } from '../kernel/usage-error.js';

/**
 * The last (up to) 8 bytes of a file as its chunks go by (its CRC-64
 * trailer), in one array of 8: no buffer a chunk (a `Buffer.concat` and a
 * Buffer's `subarray` a chunk: 10–20 ms of a 460 MB copy's read in a
 * `--cpu-prof` profile, bench/README.md h56c).
 */
export class LastBytes {
  private readonly last = new Uint8Array(8);
  private held = 0;

  /** The next bytes. */
  push(chunk: Uint8Array): void {
    const n = chunk.byteLength;
    if (n >= 8) {
      this.last.set(new Uint8Array(chunk.buffer, chunk.byteOffset + n - 8, 8));
      this.held = 8;
      return;
    }
    const keep = Math.min(this.held, 8 - n);
    this.last.copyWithin(0, this.held - keep, this.held);
    this.last.set(chunk, keep);
    this.held = keep + n;
  }

  /** The bytes held (the first ones while fewer than 8 came). */
  get bytes(): Uint8Array {
    return this.last.subarray(0, this.held);
  }

  /** {@link bytes} in hex. */
  hex(): string {
    return Buffer.from(this.bytes).toString('hex');
  }
}

/** What one pass found: the file's version, the verifier's report, its length and its CRC-64 trailer (what an index is tied to). */
export interface IndexPassResult {
  readonly version: number;
  readonly valkey: boolean;
  readonly report: RdbReport;
  readonly bytes: number;
  readonly trailer: string;
  /** The file's hash templates (Redis 8.10, opcode 242), where it defines any: a hash referencing one is read with them. */
  readonly templates?: HashTemplates;
}

/**
 * One pass, fed chunk by chunk in file order (push), judged at {@link finish}.
 * A file in Valkey's compressed envelope (no offsets to read values at) is
 * noted at its first bytes ({@link envelope}) and read no further.
 */
export class RdbIndexPass {
  private readonly reader: RdbKeyReader;
  private bytes = 0;
  /** The last 8 bytes seen. */
  private readonly tail = new LastBytes();
  /** The first bytes said `VKCS` (Valkey's compressed envelope). */
  envelope = false;

  constructor(
    private readonly location: string,
    builder: KeyIndexBuilder,
    base: number,
  ) {
    // The spill folder is made only when the duplicate-key check's memory is full, and removed with it when the pass
    // ends: a folder made up front was left behind by every pass that never spilled (one per served file).
    this.reader = indexingKeyReader(builder, base, { keyDigestSpill: () => tempKeyDigestSpill() });
  }

  /** The file's RDB version and magic (once its header was read, or from the checkpoint resumed). */
  get fileVersion(): { readonly version: number; readonly valkey: boolean } {
    return this.reader.fileVersion;
  }

  /** Feeds the next bytes of the file; false once nothing more is worth feeding (an envelope, a parse error). */
  push(chunk: Uint8Array): boolean {
    if (this.envelope || this.reader.error) return false;
    if (this.bytes === 0 && chunk.length >= 4 && Buffer.from(chunk.buffer, chunk.byteOffset, 4).toString('latin1') === 'VKCS') {
      this.envelope = true;
      return false;
    }
    this.bytes += chunk.length;
    this.tail.push(chunk);
    this.reader.push(chunk);
    return !this.reader.error;
  }

  /**
   * The verifier's judgement of what was pushed.
   * @throws UsageError naming the file when it is in the compressed envelope; FoundProblem when the verifier does not pass it
   */
  finish(): IndexPassResult {
    if (this.envelope)
      throw new UsageError(
        `${this.location} is in Valkey's compressed envelope (rdbcompression lz4), which cannot be read at offsets: decompress it first (redis-dr migrate --from-rdb reads it as a stream)`,
      );
    const { version, valkey } = this.reader.fileVersion;
    const templates = this.reader.templates; // before end(), which lets the parser go
    const report = refuseUnverified(this.location, this.reader.end());
    return { version, valkey, report, bytes: this.bytes, trailer: this.tail.hex(), ...(templates && templates.size > 0 ? { templates } : {}) };
  }
}

/** What a verification whose keys an index places is handed ({@link VerifiedKeys.verifying}). */
export interface IndexedVerification {
  /** The verification's parser (its state, pause, checkpoint, split stop and merge). */
  readonly parser: RdbParser;
  /** The next bytes, through the reader that places each key. */
  push(chunk: Uint8Array): void;
  /** The parser paused at a split's boundary goes on from it; the bytes from there come again (PlacingKeySink.continueFromPause). */
  continueFromPause(): void;
  /** The verifier's report (kept: only a file judged `ok` gets an index). */
  end(): RdbReport;
}

/**
 * A key index taken from a verification's own parse, not from a pass of its
 * own: the verifier's parser ({@link verifying}: built with the verifier's
 * own options) has this object's sink (domain/serve/segment-keys.ts's
 * PlacingKeySink, no key reader between), which hands each key's place to
 * the builder as the parser finds it. The file's bytes as read are told to {@link seen} (its
 * length and trailer, and Valkey's compressed envelope, whose parse has the
 * decoded bytes' offsets: no keys are kept then). What the DR copy's index
 * (jobs/dr-copies/copy-key-index.ts) and a backup's (jobs/self-managed/backup-key-index.ts) are built with.
 */
export class VerifiedKeys implements KeyPlaces {
  private reader: PlacingKeySink<VerifiedKeys> | undefined;
  /** The file's version and magic: the checkpoint's when resumed, else read from the first 9 bytes parsed ({@link header}). */
  private resumed: { readonly version: number; readonly valkey: boolean } | undefined;
  private readonly header = new Uint8Array(9);
  private headerBytes = 0;
  private report: RdbReport | undefined;
  private readonly tail = new LastBytes();
  /** Bytes told to {@link seen}. */
  bytes = 0;
  /** The first bytes said `VKCS` (Valkey's compressed envelope). */
  envelope = false;
  /** No more keys are placed (the second thread's part stands for the rest). */
  closed = false;

  constructor(
    private readonly location: string,
    private readonly builder: KeyPlaces,
  ) {}

  /**
   * The verification, its parser's keys placed here as it finds them:
   * `parser` built around the sink (domain/serve/segment-keys.ts's
   * PlacingKeySink: no key reader between). From `resumeFrom` or byte 0.
   */
  verifying(parser: (sink: RdbKeySink) => RdbParser, resumeFrom?: RdbCheckpoint): IndexedVerification {
    if (this.reader) throw new Error(`${this.location}: one verification an index`);
    const reader = new PlacingKeySink(resumeFrom?.offset ?? 0, this, parser);
    this.reader = reader;
    if (resumeFrom) this.resumed = { version: resumeFrom.version, valkey: resumeFrom.valkey };
    return {
      parser: reader.parser,
      push: (chunk) => {
        if (this.headerBytes < 9) this.readHeader(chunk);
        reader.push(chunk);
      },
      continueFromPause: () => reader.continueFromPause(),
      end: () => {
        this.report ??= reader.parser.end();
        return this.report;
      },
    };
  }

  /** The first bytes parsed, up to the header's 9 (`REDIS0012`, `VALKEY080`). */
  private readHeader(chunk: Uint8Array): void {
    const take = Math.min(9 - this.headerBytes, chunk.byteLength);
    this.header.set(chunk.subarray(0, take), this.headerBytes);
    this.headerBytes += take;
  }

  /** The file's RDB version and magic (version 0 before its header was parsed). */
  private get fileVersion(): { readonly version: number; readonly valkey: boolean } {
    return this.resumed ?? rdbHeaderVersion(this.headerBytes < 9 ? undefined : this.header);
  }

  /** Whether a verification reads through it. */
  get read(): boolean {
    return this.reader !== undefined;
  }

  /** A key the verification's parse found (file order), unless its offsets are not the file's (the envelope) or it is closed. */
  place(db: number, type: number, name: Uint8Array, nameFrom: number, nameTo: number, valueAt: number, valueEnd: number, expireAt: number): void {
    if (this.envelope || this.closed) return;
    this.builder.place(db, type, name, nameFrom, nameTo, valueAt, valueEnd, expireAt);
  }

  /** The file's next bytes as read (not decoded), in order. */
  seen(bytes: Uint8Array): void {
    if (this.bytes < 4) {
      // The first 4 bytes, however they come (a chunk may be one byte): `VKCS` is the envelope.
      const head = new Uint8Array(4);
      head.set(this.tail.bytes.subarray(0, this.bytes));
      head.set(bytes.subarray(0, 4 - this.bytes), this.bytes);
      if (this.bytes + bytes.byteLength >= 4 && isRdbEnvelope(head)) this.envelope = true;
    }
    this.bytes += bytes.byteLength;
    this.tail.push(bytes);
  }

  /**
   * The verifier's judgement, the file's version, length and trailer.
   * @throws UsageError naming the file when no verification ended through it; FoundProblem when its verdict is not `ok`
   */
  finish(): IndexPassResult {
    if (!this.reader || !this.report) throw new UsageError(`${this.location}: the verification its keys came from did not end: no index is written for it`);
    const report = refuseUnverified(this.location, this.report);
    const { version, valkey } = this.fileVersion;
    const templates = this.reader.parser.templates;
    return { version, valkey, report, bytes: this.bytes, trailer: this.tail.hex(), ...(templates.size > 0 ? { templates } : {}) };
  }
}

/**
 * Why an index's keys are not the verifier's (another count in all or in a
 * database: a key the parse found and the index lost, or one placed twice),
 * or undefined. Every key the parser counts is the one it hands the reader,
 * so they agree unless the code between them is wrong: then no index.
 */
export function countsUnlike(index: Pick<KeyIndex, 'keys' | 'size'>, report: RdbReport): string | undefined {
  if (index.keys !== report.keys) return `its ${index.keys} keys are not the ${report.keys} the verifier counted`;
  for (const [db, keys] of Object.entries(report.keysByDb ?? {}))
    if (index.size(Number(db)) !== keys) return `its ${index.size(Number(db))} keys of database ${db} are not the ${keys} the verifier counted`;
  return undefined;
}

/**
 * `report` when the verifier passes the file at `location`.
 * @throws FoundProblem naming the file, its verdict and where it failed, when it does not (exit 1 for a corrupt one, a
 * problem found, and 3 for a format the verifier cannot judge, as verify-rdb says them; not a usage error)
 */
export function refuseUnverified(location: string, report: RdbReport): RdbReport {
  const verdict = rdbVerdict(report);
  if (verdict === 'ok') return report;
  const where = report.error ? ` at byte ${report.error.offset}: ${report.error.message}` : '';
  throw new FoundProblem(
    `${location} is ${verdict === 'corrupt' ? 'corrupt' : 'in a format this verifier cannot judge'} (the verifier's verdict${where}); redis-dr verify-rdb ${location} shows the report`,
    verdict === 'corrupt' ? 1 : 3,
  );
}

/**
 * One pass over an RDB file (one shard of a point) that judges it with the
 * verifier and adds its keys to `builder`, offsets from `base` on: what
 * `serve` opens a point with. A file the verifier does not pass, or one in
 * Valkey's compressed envelope (no offsets to read at), is a usage error
 * naming it.
 */
export async function indexRdbPass(at: Pick<RdbAt, 'location' | 'stream'>, builder: KeyIndexBuilder, base: number): Promise<IndexPassResult> {
  const pass = new RdbIndexPass(at.location, builder, base);
  for await (const chunk of at.stream()) if (!pass.push(chunk)) break;
  return pass.finish();
}
