/**
 * Listpack-encoded values (Redis 7.0+: hash 16, zset 17, quicklist 2 list
 * 18, Redis 7.2's set 20) written straight into their plain forms (hash 4,
 * zset 5, list 1, set 2), entry by entry, without decoding the value into
 * element Buffers first: an entry's bytes go from the listpack into the
 * output (an integer entry as its decimal text, as the server answers it),
 * and, given an {@link ElementSink}, into a digest from the same place.
 * Decoding each value into Buffers per element and encoding it again was
 * most of a re-encoding conversion's time (bench/README.md, convert-rdb).
 * Where WebAssembly is available the per-element walks run there
 * (write/transcode-wasm.ts: the same bytes, the same digest); the
 * JavaScript walks here are the fallback and word every problem.
 *
 * These are the only encodings a conversion re-encodes from its canonical
 * value: every target of the writer (RDB 9 and later) reads the older ones
 * (types 0–15) as they are. The listpack's structure was checked by the
 * verifier's parser when the file was read (format/blobs.ts
 * validateListpack); a walk that runs past its end is refused all the same.
 *
 * Layouts: src/listpack.c (entries: `lpEncodeBacklen`, `lpGet`), and
 * `rdbSaveObject` of src/rdb.c for the plain forms (as encode-value.ts).
 */
import { RdbFormatError } from '../errors.js';
import { DUMP_FOOTER_BYTES } from '../format/dump-payload.js';
import { Cursor, PartsCursor } from '../format/value-cursor.js';
import { backlenSize } from '../format/blobs.js';
import { decimalInto, i16le, i32le, i64le, u32le } from '../format/bytes.js';
import { lzfDecompressTransient } from '../codecs/lzf.js';
import { T_HASH, T_LIST, T_SET, T_ZSET_2 } from './encode-value.js';
import { RdbOut } from './rdb-out.js';
import { scoreOf } from './score-text.js';
import {
  DIG,
  IN,
  IN_CAP,
  KIND_HASH,
  KIND_ONE,
  KIND_ZSET,
  loadTranscodeWasm,
  MEMBERS_CHECKED,
  OUT,
  type TranscodeWasm,
  transcodeWasmOnFirstUse,
} from './transcode-wasm.js';

/** Where a transcoded value's elements go besides the output: a digest, in the framing write/key-list.ts defines (the plain form's). */
export interface ElementSink {
  /** The value's kind, before its entries. */
  kind(kind: 'list' | 'set' | 'zset' | 'hash'): void;
  /** A string element's bytes `b[from, to)` (an item, a member, a field, a field's value). */
  element(b: Uint8Array, from: number, to: number): void;
  /** A zset score, after its member. */
  score(d: number): void;
  /** The value ends after `count` entries (pairs count once). */
  end(count: number): void;
  /** Elements framed already as this sink frames them (by the WebAssembly walk, write/transcode-wasm.ts): `b[from, to)`. */
  framed(b: Uint8Array, from: number, to: number): void;
  /** A plain form read back whose object bytes are `b[from, to)`: its kind, elements and count, from its bytes as they lie. */
  plainAt(kind: 'list' | 'set' | 'zset' | 'hash', b: Uint8Array, from: number, to: number): void;
}

/** Where an LZF string's expansion may be already (rdb/keys.ts KeyInPlace: the verifier's read of the value expanded it just before). */
export interface Expansions {
  /** The expansion of the LZF string whose compressed bytes are `[from, to)` of the value's bytes, or undefined. */
  expanded(from: number, to: number): Uint8Array | undefined;
}

/** Listpack value types → their plain forms. */
export const PLAIN_OF: Readonly<Record<number, number>> = { 16: T_HASH, 17: T_ZSET_2, 18: T_LIST, 20: T_SET };

/** Whether {@link transcodeListpacks} writes values of RDB `type`. */
export function transcodes(type: number): boolean {
  return PLAIN_OF[type] !== undefined;
}

/** The score reading's exact fast path (score-text.ts), for tests. */
export { shortDecimal } from './score-text.js';

/** Decimal text of integer entries, written here (no string per entry for the common small ones). */
const DIGITS = new Uint8Array(24);

/**
 * A walk over a listpack's entries: after {@link next} returns true, the
 * entry is bytes `[from, to)` of {@link lp}, or (`from` = -1) the integer
 * {@link int}. One object for every value, nothing allocated per value or
 * entry (the listpack is read where it lies, its integers byte by byte).
 */
class ListpackWalk {
  lp: Uint8Array = new Uint8Array(0);
  private base = 0;
  private p = 0;
  private last = 0;
  from = 0;
  to = 0;
  int: number | bigint = 0;

  /** Starts on the listpack `lp[from, to)`. */
  reset(lp: Uint8Array, from: number, to: number): void {
    if (to - from < 7 || lp[to - 1] !== 0xff) throw new RdbFormatError(`listpack of ${to - from} bytes without its header and end byte`);
    this.lp = lp;
    this.base = from;
    this.p = from + 6;
    this.last = to - 1;
  }

  /** The number of entries its header declares (65535: unknown, count them). */
  get declared(): number {
    return this.lp[this.base + 4]! | (this.lp[this.base + 5]! << 8);
  }

  next(): boolean {
    const p = this.p;
    if (p >= this.last) return false;
    const size = this.entryAt(this.lp, p);
    this.p = p + size + backlenSize(size);
    if (this.p > this.last) throw new RdbFormatError(`listpack entry at byte ${p - this.base} runs past its end`);
    return true;
  }

  /** The entry at `lp[p]` read into {@link from}, {@link to} and {@link int} ({@link lp} set to `lp`): its size without its back length. */
  entryAt(lp: Uint8Array, p: number): number {
    this.lp = lp;
    const enc = lp[p]!;
    let size: number;
    this.from = -1;
    if (enc < 0x80) {
      this.int = enc;
      size = 1;
    } else if (enc < 0xc0) {
      size = 1 + (enc & 0x3f);
      this.from = p + 1;
    } else if (enc < 0xe0) {
      this.int = ((((enc & 0x1f) << 8) | lp[p + 1]!) << 19) >> 19;
      size = 2;
    } else if (enc < 0xf0) {
      size = 2 + (((enc & 0x0f) << 8) | lp[p + 1]!);
      this.from = p + 2;
    } else if (enc === 0xf0) {
      size = 5 + u32le(lp, p + 1);
      this.from = p + 5;
    } else if (enc === 0xf1) {
      this.int = i16le(lp, p + 1);
      size = 3;
    } else if (enc === 0xf2) {
      this.int = ((lp[p + 1]! | (lp[p + 2]! << 8) | (lp[p + 3]! << 16)) << 8) >> 8;
      size = 4;
    } else if (enc === 0xf3) {
      this.int = i32le(lp, p + 1);
      size = 5;
    } else if (enc === 0xf4) {
      this.int = i64le(lp, p + 1);
      size = 9;
    } else throw new RdbFormatError(`listpack entry with encoding 0x${enc.toString(16)} at byte ${p - this.base}`);
    this.to = p + size;
    return size;
  }

  /** The entry as an RDB string into `out` and its bytes into `sink`. */
  emit(out: RdbOut, sink: ElementSink | undefined): void {
    let b = this.lp;
    let from = this.from;
    let to = this.to;
    if (from < 0) {
      b = DIGITS;
      from = decimalInto(this.int, DIGITS);
      to = DIGITS.length;
    }
    out.string(b, from, to);
    sink?.element(b, from, to);
  }

  /** The entry as a zset score: a double (text as the server's strtod reads it; `inf` forms included). */
  score(): number {
    return this.from < 0 ? Number(this.int) : scoreOf(this.lp, this.from, this.to);
  }
}

export const walk = new ListpackWalk();

/**
 * The RDB string at `c` as {@link at}: a plain one where it lies, a
 * compressed one (a node of 8 KiB by default) expanded into a reused buffer,
 * valid until the next (its entries are written and digested before); an
 * integer-encoded one decoded. One object for every string: nothing built per value.
 */
export const at = { b: new Uint8Array(0) as Uint8Array, from: 0, to: 0 };
export function transientString(c: Cursor, b: Uint8Array, x: Expansions | undefined): void {
  const first = c.at < c.end ? b[c.at]! : 0xff;
  if (first >> 6 !== 3) {
    const n = c.length();
    at.b = b;
    at.from = c.at;
    c.skip(n);
    at.to = at.from + n;
    return;
  }
  if (first !== 0xc3) {
    const s = c.string();
    at.b = s;
    at.from = 0;
    at.to = s.length;
    return;
  }
  c.skip(1);
  const compressed = c.length();
  const plain = c.length();
  const from = c.at;
  c.skip(compressed);
  // One expansion per string: the verifier's, where it is intact (a node of a list, a hash's listpack: 30 MB in 34,000 strings, bench/README.md).
  const ready = x?.expanded(from, from + compressed);
  at.b = ready !== undefined && ready.length === plain ? ready : lzfDecompressTransient(b.subarray(from, from + compressed), plain);
  at.from = 0;
  at.to = plain;
}

/** A value's entries before its count is known (a list's nodes): written here, then after their count. */
const body = new RdbOut(64 * 1024);

/** The entries of one listpack: plain strings (stride 1, 2) or member and binary score (zset). Returns the entries (pairs count once). */
function entries(lp: Uint8Array, from: number, to: number, kind: 'list' | 'set' | 'zset' | 'hash', out: RdbOut, sink: ElementSink | undefined): number {
  walk.reset(lp, from, to);
  return entriesWalked(walkNext, kind, out, sink);
}

const walkNext = (): boolean => walk.next();

/**
 * The entries `next` reads into {@link walk} (a listpack in hand's, or one read across a reader's parts:
 * transcode-parts.ts) written as {@link entries} writes them; `each` called after each (pair), e.g. to hand on a piece.
 */
export function entriesWalked(next: () => boolean, kind: string, out: RdbOut, sink: ElementSink | undefined, each?: () => void): number {
  let n = 0;
  if (kind === 'list' || kind === 'set') {
    while (next()) {
      walk.emit(out, sink);
      n++;
      each?.();
    }
    return n;
  }
  while (next()) {
    walk.emit(out, sink);
    if (!next()) throw new RdbFormatError(`${kind} listpack of an odd number of entries`);
    if (kind === 'hash') walk.emit(out, sink);
    else {
      const d = walk.score();
      out.double(d);
      sink?.score(d);
    }
    n++;
    each?.();
  }
  return n;
}

/** RDB type of a set as an intset. */
export const T_SET_INTSET = 11;
/** The members of the set listpack in hand, when all are integers (reused). */
let members = new Float64Array(64);

/**
 * A set listpack of integers only (Redis 7.2 keeps a set so after its
 * string members are removed) written as the intset (type 11) every target
 * reads: what the target itself makes of such a set on load (a plain set of
 * integers becomes an intset), so it is sent and loaded as a blob, not
 * parsed member by member there (a plain form's integers cost the target
 * about a third more time to restore: bench/README.md, migrate --from-rdb
 * re-encoding). The digest gets the members as the read-back decodes an
 * intset: ascending, as decimal text. False (nothing written) when a member
 * is a string or an integer beyond 2^53 (then the plain form is written).
 * `kind`: the set's kind goes into `sink` here, before its members (the
 * caller did not feed it).
 */
export function intsetOf(lp: Uint8Array, from: number, to: number, declared: number, out: RdbOut, sink: ElementSink | undefined, kind = false): boolean {
  walk.reset(lp, from, to);
  if (members.length < declared) members = new Float64Array(declared);
  let n = 0;
  let wide = 2;
  while (walk.next()) {
    if (walk.from >= 0 || n === declared) return false;
    const v = Number(walk.int);
    if (!Number.isSafeInteger(v)) return false;
    if (v < -32768 || v > 32767) wide = v < -2147483648 || v > 2147483647 ? 8 : Math.max(wide, 4);
    members[n++] = v;
  }
  if (n !== declared) throw new RdbFormatError(`set listpack declares ${declared} entries and holds ${n}`);
  const sorted = members.subarray(0, n).sort();
  if (kind) sink?.kind('set'); // the set's kind, when the caller left it to an intset written
  const bytes = 8 + n * wide;
  out.len(bytes);
  const head = Buffer.allocUnsafe(8);
  head.writeUInt32LE(wide, 0);
  head.writeUInt32LE(n, 4);
  out.bytes(head);
  const cell = Buffer.allocUnsafe(8);
  for (let i = 0; i < n; i++) {
    const v = sorted[i]!;
    if (i > 0 && v === sorted[i - 1]) throw new RdbFormatError(`set listpack holds ${v} twice`);
    if (wide === 2) cell.writeInt16LE(v, 0);
    else if (wide === 4) cell.writeInt32LE(v, 0);
    else cell.writeBigInt64LE(BigInt(v), 0);
    out.bytes(cell, 0, wide);
    if (sink !== undefined) {
      const at = decimalInto(v, DIGITS);
      sink.element(DIGITS, at, DIGITS.length);
    }
  }
  sink?.end(n);
  return true;
}

/**
 * Writes the listpack value of the DUMP payload `payload` (type byte, object
 * bytes, footer; {@link transcodes} its type) in its plain form into `out`
 * (object bytes after the type byte; a set of integers only as an intset)
 * and returns the type written; `sink` gets its elements in the order
 * written (an intset's ascending, as the read-back decodes it).
 * @throws RdbFormatError for another type or a malformed value
 */
export function transcodeListpacks(payload: Uint8Array, out: RdbOut, sink?: ElementSink): number {
  return transcodeObject(payload[0]!, payload, 1, payload.length - DUMP_FOOTER_BYTES, out, sink);
}

/**
 * {@link transcodeListpacks} of a value of RDB `type` whose object bytes are `b[from, end)` (where a reader found them: no payload built);
 * `x` gives the LZF strings the reader expanded already.
 */
export function transcodeObject(type: number, b: Uint8Array, from: number, end: number, out: RdbOut, sink?: ElementSink, x?: Expansions): number {
  const plain = PLAIN_OF[type];
  if (plain === undefined) throw new RdbFormatError(`RDB type ${type} is not a listpack value the transcoder writes`);
  const w = end - from >= (sink === undefined ? wasmFromBytes.bare : wasmFromBytes.digested) ? walks() : undefined;
  const written = w !== undefined ? transcodeInWasm(w, type, b, from, end, out, sink, x) : -1;
  lastInWasm = written >= 0;
  if (lastInWasm) return written;
  const payload = b;
  const c = new Cursor(b, from, end);
  const kind = type === 16 ? 'hash' : type === 17 ? 'zset' : type === 18 ? 'list' : 'set';
  sink?.kind(kind);
  body.clear();
  let n = 0;
  if (type === 18) {
    for (let nodes = c.length(); nodes > 0; nodes--) {
      // quicklist 2: per node its container, PLAIN (1: one element) or PACKED (2: a listpack)
      const container = c.length();
      transientString(c, payload, x);
      if (container === 1) {
        body.string(at.b, at.from, at.to);
        sink?.element(at.b, at.from, at.to);
        n++;
      } else if (container === 2) n += entries(at.b, at.from, at.to, kind, body, sink);
      else throw new RdbFormatError(`quicklist node container ${container} is neither plain (1) nor packed (2)`);
    }
  } else {
    transientString(c, payload, x);
    const { b: lp, from: lpFrom, to: lpTo } = at;
    const declared = lpTo - lpFrom >= 7 ? lp[lpFrom + 4]! | (lp[lpFrom + 5]! << 8) : 65535;
    if (type === 20 && declared !== 65535 && declared > 0 && intsetOf(lp, lpFrom, lpTo, declared, out, sink)) {
      if (c.at !== end) throw new RdbFormatError(`${end - c.at} bytes after the value`);
      return T_SET_INTSET;
    }
    if (declared !== 65535) {
      // One listpack whose header counts its entries: the count first, then the entries straight into `out` (no second copy).
      const count = kind === 'set' ? declared : declared / 2;
      out.len(Math.floor(count));
      n = entries(lp, lpFrom, lpTo, kind, out, sink);
      if (n !== count) throw new RdbFormatError(`${kind} listpack declares ${declared} entries and holds ${kind === 'set' ? n : 2 * n}`);
      if (c.at !== end) throw new RdbFormatError(`${end - c.at} bytes after the value`);
      sink?.end(n);
      return plain;
    }
    n = entries(lp, lpFrom, lpTo, kind, body, sink);
  }
  if (c.at !== end) throw new RdbFormatError(`${end - c.at} bytes after the value`);
  sink?.end(n);
  out.len(n).bytes(body.view());
  return plain;
}

/** Where a big value's plain form goes as it is made, piece by piece (RdbFileWriter's keyInPieces). */
export interface Pieces {
  /** The next piece of the value's bytes, its own (unchanged after). */
  piece(bytes: Uint8Array): void;
  /** The value ends: it is of RDB `type`, and `head` (its count, known only now) goes before its first piece. */
  piecesWritten(type: number, head: Uint8Array): void;
}

/** Bytes of a big value's plain form gathered before they go out as a piece. */
export const PIECE_BYTES = 1 << 20;

/** Whether {@link transcodeParts} writes a big value of RDB `type` from the parts a reader kept (a quicklist: a list of nodes, each small). */
export const transcodesInParts = (type: number): boolean => type === 18 || type === 16 || type === 17 || type === 20;

/**
 * {@link transcodeObject} of a big value whose object bytes are held in `parts` (KeyInPlace.parts: the reader's, not
 * gathered into one copy), of a type {@link transcodesInParts}: a quicklist's nodes read across the parts one at a time
 * (a node that spans two parts copied alone), each node's entries written into a buffer that goes to `to` as a piece of
 * its own every {@link PIECE_BYTES}, and its count, which the plain list writes before its entries but is known only
 * after the last node, given at the end. The value is held once on each side (its input in the reader's parts, its
 * output in the pieces), not twice more (a gathered copy, one buffer of its output); and the parts read are let go
 * from `parts` (the caller's: KeyInPlace.parts, which the reader no longer holds) as the pieces are made. Each node is walked as
 * {@link transcodeObject} walks it (in WebAssembly where it fits, else in JavaScript): the same bytes and digest.
 * @throws RdbFormatError for another type or a malformed value
 */
export function transcodeParts(type: number, parts: Uint8Array[], to: Pieces, sink?: ElementSink): void {
  if (!transcodesInParts(type)) throw new RdbFormatError(`RDB type ${type} is not a value the transcoder writes from parts`);
  let end = 0;
  for (const p of parts) end += p.length;
  const c = new PartsCursor(parts, 0, end);
  const w = wasmFromBytes === OFF ? undefined : walks();
  const out = new RdbOut(PIECE_BYTES + (PIECE_BYTES >> 2));
  sink?.kind('list');
  let n = 0;
  let inWasm = w !== undefined;
  for (let nodes = c.length(); nodes > 0; nodes--) {
    // quicklist 2: per node its container, PLAIN (1: one element) or PACKED (2: a listpack), as transcodeObject reads it
    const container = c.length();
    const stored = c.storedString();
    transientString(new Cursor(stored, 0, stored.length), stored, undefined);
    if (container === 1) {
      out.string(at.b, at.from, at.to);
      sink?.element(at.b, at.from, at.to);
      n++;
    } else if (container === 2) {
      const walked = w !== undefined ? nodeInWasm(w, out, sink) : -1;
      if (walked < 0) inWasm = false;
      n += walked >= 0 ? walked : entries(at.b, at.from, at.to, 'list', out, sink);
    } else throw new RdbFormatError(`quicklist node container ${container} is neither plain (1) nor packed (2)`);
    if (out.length >= PIECE_BYTES) {
      to.piece(out.take());
      out.clear();
      // The input read so far goes as its output is made: the value is not held twice while it is re-encoded.
      c.letGoBehind(parts);
    }
  }
  if (c.at !== end) throw new RdbFormatError(`${end - c.at} bytes after the value`);
  if (out.length > 0) to.piece(out.take());
  sink?.end(n);
  lastInWasm = inWasm;
  to.piecesWritten(T_LIST, new RdbOut(9).len(n).take());
}

/** The quicklist node in {@link at} (a listpack) walked in WebAssembly into `out` and `sink`: its entries, or -1 (nothing written: JavaScript walks it). */
function nodeInWasm(w: TranscodeWasm, out: RdbOut, sink: ElementSink | undefined): number {
  const size = at.to - at.from;
  if (size > IN_CAP) return -1;
  w.memory.set(at.b.subarray(at.from, at.to), IN);
  w.reset();
  const n = w.lp(IN, IN + size, KIND_ONE, sink === undefined ? 0 : 1, 0, 0);
  if (n < 0) return -1;
  out.bytes(w.memory, OUT, w.outEnd());
  sink?.framed(w.memory, DIG, w.digEnd());
  return n;
}

/** Plain forms → the kind {@link digestPlainForm} feeds. */
const KIND_OF_PLAIN: Readonly<Record<number, 'list' | 'set' | 'zset' | 'hash'>> = { [T_LIST]: 'list', [T_SET]: 'set', [T_ZSET_2]: 'zset', [T_HASH]: 'hash' };

/** Whether {@link digestPlainForm} reads values of RDB `type`. */
export function digestsPlainForm(type: number): boolean {
  return KIND_OF_PLAIN[type] !== undefined;
}

/** The kind of a plain list, set, zset or hash of RDB `type` ({@link digestsPlainForm}); undefined for another type. */
export const plainKindOf = (type: number): 'list' | 'set' | 'zset' | 'hash' | undefined => KIND_OF_PLAIN[type];

/**
 * Feeds `sink` the elements of a plain list, set, zset or hash (a DUMP
 * payload of type 1, 2, 5 or 4; {@link digestsPlainForm}) as they lie: what
 * a written file's read-back digests, the framing {@link transcodeListpacks}
 * and write/key-list.ts's `addValue` feed (the plain form's own: no walk
 * here; the verifier's read of a file walks its every length).
 * @throws RdbFormatError for another type
 */
export function digestPlainForm(payload: Uint8Array, sink: ElementSink): void {
  digestPlainObject(payload[0]!, payload, 1, payload.length - DUMP_FOOTER_BYTES, sink);
}

/** {@link digestPlainForm} of a value of RDB `type` whose object bytes are `b[from, end)` (where a reader found them: no payload built). */
export function digestPlainObject(type: number, b: Uint8Array, from: number, end: number, sink: ElementSink): void {
  const kind = KIND_OF_PLAIN[type];
  if (kind === undefined) throw new RdbFormatError(`RDB type ${type} is not a plain list, set, zset or hash`);
  sink.plainAt(kind, b, from, end);
}

/** The WebAssembly walks (write/transcode-wasm.ts), instantiated on first use; undefined where WebAssembly is unavailable (then JavaScript walks every value). */
const walks = transcodeWasmOnFirstUse(loadTranscodeWasm, (memory, from, to) => {
  try {
    return scoreOf(memory, from, to);
  } catch {
    return Number.NaN; // JavaScript's walk words it
  }
});
/**
 * The smallest value (object bytes) walked in WebAssembly, with a digest fed
 * (a conversion: every value) and without (migrate's RESTORE payloads: from
 * 192 bytes on). Warm, in one process, JavaScript's walk is the cheaper
 * below about 100 bytes with a digest and 150–200 without (the call into the
 * module and the copies in and out cost more than a few elements; hashes of
 * 2–64 fields, 100,000 values each); but in a whole conversion, JavaScript's
 * walk kept hot beside the module's costs more of V8's optimizing compiler
 * than the small values save (same-run CLI pairs, bench/README.md
 * convert-rdb: 0.895 CPU-s with every value in WebAssembly, 0.920 with the
 * small ones in JavaScript).
 */
const SIZED = { digested: 0, bare: 192 } as const;
const OFF = { digested: Number.POSITIVE_INFINITY, bare: Number.POSITIVE_INFINITY } as const;
const ALWAYS = { digested: 0, bare: 0 } as const;
let wasmFromBytes: { readonly digested: number; readonly bare: number } = SIZED;
/** Whether the last value transcoded was walked in WebAssembly (tests: the path they mean was taken). */
let lastInWasm = false;
/** The value just transcoded was walked in JavaScript (transcode-parts.ts: a big listpack from a reader's parts). */
export const walkedInJs = (): void => {
  lastInWasm = false;
};

/**
 * Whether the WebAssembly walks are used (`on`: false turns them off, true
 * uses them for values of {@link SIZED} bytes on, as by default, `always`
 * for every value: for tests holding the two paths against each other);
 * false where WebAssembly is unavailable.
 */
export function transcodeWalksInWasm(on?: boolean | 'always'): boolean {
  if (on !== undefined) wasmFromBytes = on === 'always' ? ALWAYS : on ? SIZED : OFF;
  return wasmFromBytes !== OFF && walks() !== undefined;
}

/** Whether the last value {@link transcodeObject} wrote was walked in WebAssembly (for tests). */
export function lastWalkInWasm(): boolean {
  return lastInWasm;
}

/**
 * {@link transcodeObject} by the WebAssembly walk: the RDB type written
 * when it wrote the value into `out` and its elements into `sink`; -1
 * (nothing written) when JavaScript must (a problem to word, a node or value
 * too large for the walk's regions, a quicklist's plain node). The
 * quicklist's nodes and their LZF expansion are read here as in
 * JavaScript's walk, and a set listpack of integers only is written as its
 * intset by JavaScript's {@link intsetOf}, as there.
 */
function transcodeInWasm(
  w: TranscodeWasm,
  type: number,
  b: Uint8Array,
  from: number,
  end: number,
  out: RdbOut,
  sink: ElementSink | undefined,
  x: Expansions | undefined,
): number {
  const c = new Cursor(b, from, end);
  const dig = sink === undefined ? 0 : 1;
  const memory = w.memory;
  w.reset();
  let n = 0;
  if (type === 18) {
    for (let nodes = c.length(); nodes > 0; nodes--) {
      if (c.length() !== 2) return -1; // a plain node (or a bad container): JavaScript's walk
      transientString(c, b, x);
      const size = at.to - at.from;
      if (size > IN_CAP) return -1;
      memory.set(at.b.subarray(at.from, at.to), IN);
      const r = w.lp(IN, IN + size, KIND_ONE, dig, 0, 0);
      if (r < 0) return -1;
      n += r;
    }
  } else {
    transientString(c, b, x);
    const size = at.to - at.from;
    if (size > IN_CAP || size < 7) return -1;
    const declared = at.b[at.from + 4]! | (at.b[at.from + 5]! << 8);
    if (type === 20 && declared !== 65535 && declared > 0 && intsetOf(at.b, at.from, at.to, declared, out, sink, true)) {
      if (c.at !== end) throw new RdbFormatError(`${end - c.at} bytes after the value`);
      return T_SET_INTSET;
    }
    memory.set(at.b.subarray(at.from, at.to), IN);
    n = w.lp(IN, IN + size, kindOf(type), dig, 0, 0);
    if (n < 0 || (declared !== 65535 && declared !== (type === 20 ? n : 2 * n))) return -1;
  }
  if (c.at !== end) return -1;
  return writeWalked(w, type, n, out, sink);
}

/** The walk's kind of a listpack value of RDB `type` (16 hash, 17 zset, 18 a list's nodes, 20 set). */
const kindOf = (type: number): number => (type === 16 ? KIND_HASH : type === 17 ? KIND_ZSET : KIND_ONE);

/** The value the WebAssembly walk wrote into its regions, `n` entries (pairs count once), into `out` and `sink`: the RDB type written. */
function writeWalked(w: TranscodeWasm, type: number, n: number, out: RdbOut, sink: ElementSink | undefined): number {
  if (sink !== undefined) {
    sink.kind(type === 16 ? 'hash' : type === 17 ? 'zset' : type === 18 ? 'list' : 'set');
    sink.framed(w.memory, DIG, w.digEnd());
    sink.end(n);
  }
  out.len(n).bytes(w.memory, OUT, w.outEnd());
  return PLAIN_OF[type]!;
}

/**
 * A conversion's listpack values walked once, for the verifier and the
 * writer both: the input's parser hands each listpack of a value the
 * conversion re-encodes (a hash's, zset's or set's, each packed node of a
 * list) to {@link walk} (format/key-sink.ts `RdbKeySink.listpack`) instead
 * of its validation walk (format/blobs.ts `validateListpack`), and the
 * WebAssembly walk, which checks what that validation checks (write/transcode-wasm.ts
 * `lp`), writes the value's plain form and digest into its regions; the
 * key's visit then writes them out ({@link write}) without walking the
 * value again. Where the walk does not vouch for a listpack (anything it
 * does not handle or would not pass, a member that may be there twice), the
 * parser validates it as ever, with every message and verdict its own, and
 * the visit transcodes the value from its bytes ({@link transcodeObject}).
 * Before (two walks), the verifier's walk was about 4 % of a
 * 1,000,000-key conversion's profile (bench/README.md, convert-rdb).
 */
export class WalkedListpacks {
  /** The key (its type byte's file offset) whose listpacks the regions hold; -1: none. */
  private at = -1;
  /** Every listpack of that value walked so far vouched for. */
  private ok = false;
  private listpacks = 0;
  /** Entries written (pairs count once). */
  private entries = 0;
  /** The last listpack's bytes (at IN: a set's, for its intset). */
  private size = 0;

  /**
   * The listpack `blob` of the value of RDB `type` whose key starts at file offset `keyStart`, its members every `stride`
   * entries (0: none checked), `members` of them: walked and written into the regions; its entries (as
   * `validateListpack` counts them: a pair is two) when the walk vouches for it, no member twice; else -1 (the parser
   * validates it, and the value is transcoded from its bytes). A value's listpacks come in order, each once.
   */
  readonly walk = (keyStart: number, type: number, blob: Uint8Array, stride: number, members: number): number => {
    const w = wasmFromBytes === OFF ? undefined : walks(); // the WebAssembly walks turned off (tests): the validation and JavaScript's walk
    if (keyStart !== this.at) {
      this.at = keyStart;
      this.ok = w !== undefined && transcodes(type);
      this.listpacks = 0;
      this.entries = 0;
      w?.reset();
    }
    if (!this.ok || w === undefined) return -1;
    const kind = kindOf(type);
    const size = blob.length;
    const check = stride !== 0 && members >= 2;
    if (size > IN_CAP || (check && (stride !== (kind === KIND_ONE ? 1 : 2) || members > MEMBERS_CHECKED))) return this.refuse();
    // Copied in, not walked where it lies in a chunk read into the walks' memory (codecs/shared-area.ts): asking the view
    // where it lies (`.buffer`, `.byteOffset`: about 80 ns each) costs more than this `set` (about 110 ns with its bytes).
    w.memory.set(blob, IN);
    const n = w.lp(IN, IN + size, kind, 1, check ? w.maskFor(members) : 0, check ? w.nextGeneration() : 0);
    if (n < 0) return this.refuse();
    this.listpacks++;
    this.entries += n;
    this.size = size;
    return kind === KIND_ONE ? n : 2 * n;
  };

  private refuse(): number {
    this.ok = false;
    return -1;
  }

  /**
   * Writes the value of RDB `type` whose key starts at file offset `keyStart` (its object bytes `b[from, end)`) from
   * {@link walk}'s regions into `out` and `sink`, as {@link transcodeObject} would: the RDB type written; -1 (nothing
   * written) when the walk does not hold the whole value (then transcode it).
   */
  write(keyStart: number, type: number, b: Uint8Array, from: number, end: number, out: RdbOut, sink: ElementSink | undefined): number {
    const held = keyStart === this.at && this.ok;
    this.at = -1;
    const w = walks();
    if (!held || w === undefined) return -1;
    // A list: every node a packed one walked here (a plain node is not a listpack); any other value is one listpack.
    if (this.listpacks !== (type === 18 ? new Cursor(b, from, end).length() : 1)) return -1;
    lastInWasm = true;
    const declared = w.memory[IN + 4]! | (w.memory[IN + 5]! << 8);
    if (type === 20 && declared !== 65535 && declared > 0 && intsetOf(w.memory, IN, IN + this.size, declared, out, sink, true)) return T_SET_INTSET;
    return writeWalked(w, type, this.entries, out, sink);
  }
}

/** The WebAssembly walk's reading of the score text `b[from, to)` (NaN: it asks JavaScript; undefined: no WebAssembly), for tests. */
export function scoreInWasm(b: Uint8Array, from: number, to: number): number | undefined {
  const wasm = walks();
  if (wasm === undefined || to - from > IN_CAP) return undefined;
  wasm.memory.set(b.subarray(from, to), IN);
  return wasm.score(IN, IN + to - from);
}
