/**
 * The split worker's part of the DR verifier's key index (stream mode,
 * adapters/host/rdb-split-worker.ts), taken straight from its segment
 * parser's key callbacks: this class is the parser's sink, with no key
 * reader between (rdb/keys.ts's RdbKeyReader, made for every reader of keys:
 * a closure, the name's view and the retained parts' checks on each key).
 * The worker is a new isolate every read, so what it runs for the index is
 * compiled afresh each time (bench/README.md, branch h56a: 110–122 TurboFan
 * compilations a two-thread read with the index, 75–83 without); here that
 * is two hot methods ({@link SegmentKeySink.key}, {@link SegmentKeySink.push})
 * and the row written by KeyRows.place (small: inlined). A name not plain in
 * the current chunk (cut by a chunk's seam, LZF or an integer) takes a cold
 * path. The keys are handed over as a KeySegmentBuilder's (index-segment.ts
 * handOver: rows and names moved, every key checked by the first thread).
 */
import { decodeRdbString } from '../rdb/format/encoded-string.js';
import type { RdbKeySink, RdbParser } from '../rdb/format/parser.js';
import { newSegmentParser, type SegmentContext, type SegmentParserOptions } from '../rdb/format/split.js';
import { storedNamePrefix } from '../rdb/keys.js';
import { type HandedKeys, KeySegmentBuilder } from './index-segment.js';
import { ROW } from './key-rows.js';

const EMPTY = new Uint8Array(0);

/** A segment's parser that also collects its keys for the index (bytes go in through {@link push}). */
export class SegmentKeySink implements RdbKeySink {
  /** The segment's verifying parser (its findings are the verification's). */
  readonly parser: RdbParser;
  private readonly keys = new KeySegmentBuilder();
  /** The chunk being parsed and its file offset. */
  private chunk: Uint8Array = EMPTY;
  private chunkAt: number;
  /** File bytes [keptAt, keptAt + kept.length) of earlier chunks: the open key's from its start to its name's end (all of it while its name is cut), or the parser's carry. */
  private kept: Uint8Array<ArrayBufferLike> = EMPTY;
  private keptAt: number;

  /** The segment from file byte `from` of a file of `size` bytes. */
  constructor(
    private readonly from: number,
    context: SegmentContext,
    options: SegmentParserOptions,
    size: number,
  ) {
    this.chunkAt = from;
    this.keptAt = from;
    // Its buffers grow at once to the keys expected over the part (from the share read): its rows and names are moved as they are.
    this.keys.growBy({ share: () => (this.chunkAt + this.chunk.length - from) / Math.max(1, size - from), rowsBytes: (keys) => keys * ROW });
    this.parser = newSegmentParser(from, context, options, this);
  }

  /** The next bytes of the segment, in file order. */
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
    const expireAt = expireAtMs < 0 ? Number.NaN : expireAtMs;
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

  /** The keys of bytes [from, end) to be moved (KeySegmentBuilder.handOver): the collector is used no more. */
  handOver(end: number): HandedKeys {
    return this.keys.handOver(this.from, end);
  }
}
