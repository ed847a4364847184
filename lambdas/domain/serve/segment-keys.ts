/**
 * A verification's keys taken straight from its parser's key callbacks: the
 * classes here are the parser's sink, with no key reader between
 * (rdb/keys.ts's RdbKeyReader, made for every reader of keys: a closure,
 * the name's view and the retained parts' checks on each key, a copy of
 * the open key's bytes after each chunk). What a key costs here is
 * {@link PlacingKeySink.key} (the name a view of the chunk when plain there:
 * nearly every key) and the collector's `place`; a name not plain in the
 * current chunk (cut by a chunk's seam, LZF or an integer) takes a cold
 * path.
 *
 * {@link SegmentKeySink}: the split worker's part of the DR verifier's key
 * index (stream mode, adapters/host/rdb-split-worker.ts), its segment
 * parser's keys collected for hand-over. The worker is a new isolate every
 * read, so what it runs for the index is compiled afresh each time
 * (bench/README.md, branch h56a: 110–122 TurboFan compilations a two-thread
 * read with the index, 75–83 without); here that is two hot methods
 * ({@link PlacingKeySink.key}, {@link PlacingKeySink.push}) and the row
 * written by KeyRows.place (small: inlined). The keys are handed over as a
 * KeySegmentBuilder's (index-segment.ts handOver: rows and names moved,
 * every key checked by the first thread).
 *
 * {@link PlacingKeySink} itself: the first thread's (and a backup's write
 * step's) verification read for its index (jobs/keys/rdb-index-pass.ts's
 * VerifiedKeys), the verifier's own parser around it.
 */
import { decodeRdbString } from '../rdb/format/encoded-string.js';
import { NO_EXPIRY } from '../rdb/format/key-sink.js';
import type { RdbKeySink, RdbParser } from '../rdb/format/parser.js';
import { newSegmentParser, type SegmentContext, type SegmentParserOptions } from '../rdb/format/split.js';
import { type KeyPlaces, storedNamePrefix as namePrefixOf } from '../rdb/keys.js';
import { type HandedKeys, KeySegmentBuilder } from './index-segment.js';
import { ROW } from './key-rows.js';

const EMPTY = new Uint8Array(0);
// Called a key: held here, as a CommonJS build (dist/, the split worker's, the benches') reads an import as a property
// each use, and rdb/keys.js' exports are a dictionary there (its re-exports are getters): a lookup a key.
const storedNamePrefix = namePrefixOf;

/** A verifying parser whose keys go to a collector as it finds them (bytes go in through {@link push}, in file order). */
export class PlacingKeySink<K extends KeyPlaces = KeyPlaces> implements RdbKeySink {
  /** The verifying parser (its findings are the verification's), built around this sink. */
  readonly parser: RdbParser;
  /** The chunk being parsed and its file offset. */
  protected chunk: Uint8Array = EMPTY;
  protected chunkAt: number;
  /** File bytes [keptAt, keptAt + kept.length) of earlier chunks: the open key's from its start to its name's end (all of it while its name is cut), or the parser's carry. */
  private kept: Uint8Array<ArrayBufferLike> = EMPTY;
  private keptAt: number;

  /** The bytes pushed start at file byte `from` (where `parser`, built around this sink, starts); each key goes to `keys`. */
  constructor(
    from: number,
    protected readonly keys: K,
    parser: (sink: RdbKeySink) => RdbParser,
  ) {
    this.chunkAt = from;
    this.keptAt = from;
    this.parser = parser(this);
  }

  /** The next bytes, in file order. */
  push(bytes: Uint8Array): void {
    // A plain view (as the key reader's): the names copied meet one class.
    this.chunk = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.parser.push(this.chunk);
    this.keep();
  }

  /** @internal The parser's {@link RdbKeySink} callback: the key's row and name, its name a view of the chunk when plain there (nearly every key). */
  key(db: number, type: number, start: number, nameEnd: number, end: number, expireAtMs: number): void {
    const at = start + 1 - this.chunkAt;
    const prefix = at >= 0 ? storedNamePrefix(this.chunk[at]!) : 0;
    const expireAt = expireAtMs === NO_EXPIRY ? Number.NaN : expireAtMs;
    if (prefix > 0 && start + 1 + prefix <= nameEnd) this.keys.place(db, type, this.chunk, at + prefix, nameEnd - this.chunkAt, nameEnd, end, expireAt);
    else this.keyElsewhere(db, type, start, nameEnd, end, expireAt);
  }

  /** A key whose stored name is not plain in the current chunk: gathered from the bytes kept, decoded when LZF or an integer. */
  private keyElsewhere(db: number, type: number, start: number, nameEnd: number, end: number, expireAt: number): void {
    const stored = this.gather(start + 1, nameEnd);
    const prefix = storedNamePrefix(stored[0]!);
    const decoded = prefix === 0 || prefix > stored.length ? decodeRdbString(stored) : stored.subarray(prefix);
    const name = new Uint8Array(decoded.buffer, decoded.byteOffset, decoded.byteLength);
    this.keys.place(db, type, name, 0, name.length, nameEnd, end, expireAt);
  }

  /** @internal The parser's {@link RdbKeySink} callback: a function library is not a key (the index has none). */
  functionLibrary(): void {}

  /**
   * After the parser paused at a boundary it was asked to stop at (the
   * split verification's start of the second thread, its part not taken):
   * the parse goes on from there, and the caller pushes the file's bytes
   * from that boundary on again. No key is open at a boundary: nothing kept
   * is needed.
   */
  continueFromPause(): void {
    const at = this.parser.pausedAt;
    this.parser.continueFromPause();
    this.chunkAt = at;
    this.keptAt = at;
    this.kept = EMPTY;
  }

  /** After a chunk: keeps what a key ending in a later one needs of it (as RdbKeyReader's retain: the open key to its name's end, or the carry). */
  private keep(): void {
    const end = this.chunkAt + this.chunk.length;
    const parser = this.parser;
    let kept: Uint8Array<ArrayBufferLike> = EMPTY;
    if (parser.state() === 'reading') {
      const from = parser.retainFrom();
      const open = parser.openKey();
      const to = open !== undefined && open.start === from && open.nameEnd <= end ? open.nameEnd : end;
      if (to > from) kept = this.gather(from, to);
      this.keptAt = from;
    }
    this.kept = kept;
    this.chunk = EMPTY;
    this.chunkAt = end;
  }

  /** File bytes [from, to) in a buffer of their own, from the bytes kept and the chunk. */
  private gather(from: number, to: number): Uint8Array {
    const out = new Uint8Array(to - from);
    const keptEnd = this.keptAt + this.kept.length;
    if (from < this.chunkAt && (from < this.keptAt || keptEnd < Math.min(to, this.chunkAt))) {
      throw new Error(`key bytes [${from}, ${to}) were not kept`);
    }
    let at = 0;
    if (from < this.chunkAt) {
      const take = Math.min(to, this.chunkAt) - from;
      out.set(this.kept.subarray(from - this.keptAt, from - this.keptAt + take));
      at = take;
    }
    if (at < out.length) out.set(this.chunk.subarray(from + at - this.chunkAt, to - this.chunkAt), at);
    return out;
  }
}

/** A segment's parser that also collects its keys for the index (bytes go in through {@link push}). */
export class SegmentKeySink extends PlacingKeySink<KeySegmentBuilder> {
  /** The segment from file byte `from` of a file of `size` bytes. */
  constructor(
    private readonly from: number,
    context: SegmentContext,
    options: SegmentParserOptions,
    size: number,
  ) {
    super(from, new KeySegmentBuilder(), (sink) => newSegmentParser(from, context, options, sink));
    // Its buffers grow at once to the keys expected over the part (from the share its keys reach): its rows and names
    // are moved as they are. The share is where the last key placed ends, not the chunk's end: the stream's messages
    // are large (in the DR bench, 7.6 % of the part each), and a chunk's end counted keys not yet placed, so
    // the guess fell short and the buffers grew again four or five times (copies, and fresh memory beside).
    this.keys.growBy({ share: () => ((this.keys.reached ?? from) - from) / Math.max(1, size - from), rowsBytes: (keys) => keys * ROW });
  }

  /** The keys of bytes [from, end) to be moved (KeySegmentBuilder.handOver): the collector is used no more. */
  handOver(end: number): HandedKeys {
    return this.keys.handOver(this.from, end);
  }
}
