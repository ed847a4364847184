/**
 * A hash, zset or set of one big listpack (RDB 16, 17, 20: kept so only with raised `*-max-listpack-*` limits)
 * re-encoded from the parts its reader kept (KeyInPlace.parts) into pieces (RdbFileWriter.keyInPieces), as
 * transcode.ts transcodeParts writes a big list: the same bytes and digest as {@link transcodeObject}, the value held
 * about twice (its parts, let go as the walk passes them, and its plain form in the pieces), not three times (issue 55).
 */
import { RdbFormatError } from '../errors.js';
import { backlenSize } from '../format/blobs.js';
import { Cursor, PartsCursor } from '../format/value-cursor.js';
import { LzfExpander } from '../codecs/lzf-stream.js';
import { RdbOut } from './rdb-out.js';
import {
  at,
  type ElementSink,
  entriesWalked,
  type Expansions,
  intsetOf,
  PIECE_BYTES,
  type Pieces,
  PLAIN_OF,
  T_SET_INTSET,
  transientString,
  walk,
  walkedInJs,
} from './transcode.js';

const NO_BYTES = new Uint8Array(0);

/**
 * {@link transcodeObject} of a big hash (16), zset (17) or set (20) listpack whose object bytes are held in `parts`
 * (the reader's, which it no longer holds: each is let go from the array once walked), written into `to` in pieces
 * and `sink`. A plain one is walked across the parts entry by entry (an entry that spans two parts copied alone); an
 * LZF one from the expansion the reader made of it while it checked the value (`x`), else expanded here.
 * @throws RdbFormatError for a malformed value
 */
export function listpackInParts(type: number, parts: Uint8Array[], to: Pieces, sink?: ElementSink, x?: Expansions): void {
  const kind = type === 16 ? 'hash' : type === 17 ? 'zset' : type === 20 ? 'set' : fail(`RDB type ${type} is not a listpack of members`);
  let end = 0;
  for (const p of parts) end += p.length;
  const c = new PartsCursor(parts, 0, end);
  sink?.kind(kind);
  walkedInJs();
  const out = new RdbOut(PIECE_BYTES + (PIECE_BYTES >> 2));
  if (c.peek() >> 6 !== 3) {
    const n = c.length();
    const from = c.at;
    if (n < 7 || c.view(from + n - 1, from + n)[0] !== 0xff) fail(`listpack of ${n} bytes without its header and end byte`);
    const head = c.view(from, from + 6);
    const declared = head[4]! | (head[5]! << 8);
    // A set all of integers is written as an intset: possible only where each entry may be an integer's (at most 10 bytes).
    if (type !== 20 || declared === 65535 || n > 10 * declared + 7) {
      if (from + n !== end) fail(`${end - from - n} bytes after the value`);
      acrossParts(c, parts, from + 6, from + n - 1, kind, declared, out, to, sink);
      return;
    }
    c.at = 0;
    at.b = c.gatherPlainString(parts);
    at.from = 0;
    at.to = at.b.length;
  } else {
    const lzf = c.peek() === 0xc3 ? lzfAcrossParts(c, parts, type, kind, out, to, sink) : 'small';
    if (lzf === 'written') return;
    if (lzf === 'small' && !expandedBefore(c, x)) {
      const stored = c.storedString();
      transientString(new Cursor(stored, 0, stored.length), stored, undefined);
    }
  }
  if (c.at !== c.end) fail(`${c.end - c.at} bytes after the value`);
  // The parts go now: what is read of them is in `at` (an expansion, a copy, or a view of the one part that holds it).
  parts.fill(NO_BYTES);
  const { b: lp, from, to: lpTo } = at;
  const declared = lpTo - from >= 7 ? lp[from + 4]! | (lp[from + 5]! << 8) : 65535;
  if (type === 20 && declared !== 65535 && declared > 0 && intsetOf(lp, from, lpTo, declared, out, sink)) {
    to.piece(out.take());
    to.piecesWritten(T_SET_INTSET, new Uint8Array(0));
    return;
  }
  walk.reset(lp, from, lpTo);
  members(() => walk.next(), kind, declared, out, to, sink);
}

function fail(message: string): never {
  throw new RdbFormatError(message);
}

/** The listpack entries at `[p, last)` of the parts (`last`: its end byte), read one by one where they lie, into {@link members}. */
function acrossParts(
  c: PartsCursor,
  parts: Uint8Array[],
  p: number,
  last: number,
  kind: string,
  declared: number,
  out: RdbOut,
  to: Pieces,
  sink: ElementSink | undefined,
  ensure: (upto: number) => void = () => {},
): void {
  const next = (): boolean => {
    if (p >= last) return false;
    // Its header and an integer's bytes (9 at most), then, for a longer string, the whole entry.
    ensure(Math.min(p + 9, last));
    const probe = c.view(p, Math.min(p + 9, last));
    let size = walk.entryAt(probe, 0);
    if (size > probe.length && walk.from >= 0) {
      ensure(p + size);
      size = walk.entryAt(c.view(p, p + size), 0);
    }
    const after = p + size + backlenSize(size);
    if (!(after <= last)) fail(`listpack entry at byte ${p} runs past its end`);
    p = after;
    c.at = p;
    c.letGoBehind(parts);
    return true;
  };
  members(next, kind, declared, out, to, sink);
  parts.fill(NO_BYTES);
}

/**
 * The entries `next` reads (each in `walk`) written plain into pieces: a hash's fields and values, a zset's members and
 * scores (binary doubles), a set's members; the count checked against the header's `declared`, as transcodeObject does.
 */
function members(next: () => boolean, kind: string, declared: number, out: RdbOut, to: Pieces, sink: ElementSink | undefined): void {
  const n = entriesWalked(next, kind, out, sink, () => {
    if (out.length >= PIECE_BYTES) {
      to.piece(out.take());
      out.clear();
    }
  });
  if (declared !== 65535 && (kind === 'set' ? n : 2 * n) !== declared)
    fail(`${kind} listpack declares ${declared} entries and holds ${kind === 'set' ? n : 2 * n}`);
  if (out.length > 0) to.piece(out.take());
  sink?.end(n);
  to.piecesWritten(PLAIN_OF[kind === 'hash' ? 16 : kind === 'zset' ? 17 : 20]!, new RdbOut(9).len(n).take());
}

/**
 * The LZF string at `c` put in {@link at} from the expansion the reader made of it while it checked the value (`x`),
 * `c` moved past it: true; false (`c` unmoved) where it is not LZF or not expanded. Its compressed bytes are then not
 * gathered from the parts, nor expanded a second time.
 */
function expandedBefore(c: PartsCursor, x: Expansions | undefined): boolean {
  if (x === undefined || c.peek() !== 0xc3) return false;
  const start = c.at;
  c.skip(1);
  const compressed = c.length();
  const plain = c.length();
  const ready = x.expanded(c.at, c.at + compressed);
  if (ready === undefined || ready.length !== plain) {
    c.at = start;
    return false;
  }
  c.skip(compressed);
  at.b = ready;
  at.from = 0;
  at.to = plain;
  return true;
}

/** Compressed bytes expanded at a time (the expansion goes on in pieces of 1 MiB). */
const LZF_READ_BYTES = 256 * 1024;

/** A listpack expanded from LZF-compressed parts as it is read ({@link lzfExpanding}). */
export interface Expanding {
  /** A cursor over the expansion's pieces (`pieces`, let go by the walk once passed); `plain`: the expansion's length. */
  readonly e: PartsCursor;
  readonly pieces: Uint8Array[];
  readonly plain: number;
  /** Expands up to byte `upto` of the listpack. @throws RdbFormatError at an LZF problem, or where the expansion ends short */
  ensure(upto: number): void;
  /** Expands the rest and checks its end byte. */
  finish(): void;
}

/**
 * The LZF-compressed listpack at `c` (its 0xC3 byte; its string the value's last bytes), expanded from the parts as it
 * is read (codecs/lzf-stream.ts) into pieces of 1 MiB, its first 6 bytes (its header) out; with `parts` (the caller's
 * own), the compressed parts let go as they are expanded. Neither the compressed body nor the expansion is held whole
 * (issue 55).
 */
export function lzfExpanding(c: PartsCursor, parts: Uint8Array[] | undefined): Expanding {
  c.skip(1);
  const compressed = c.length();
  const plain = c.length();
  const end = c.at + compressed;
  if (end !== c.end) fail(`${c.end - end} bytes after the value`);
  if (plain < 7) fail(`listpack of ${plain} bytes without its header and end byte`);
  const pieces: Uint8Array[] = [];
  let produced = 0;
  let lastByte = 0;
  const lzf = new LzfExpander();
  lzf.expandInto(compressed, plain, (b, from, upto) => {
    pieces.push(b.slice(from, upto));
    produced += upto - from;
    lastByte = b[upto - 1]!;
  });
  const ensure = (upto: number): void => {
    while (produced < upto && c.at < end) {
      const take = Math.min(LZF_READ_BYTES, end - c.at);
      const piece = c.view(c.at, c.at + take);
      c.skip(take);
      if (parts !== undefined) c.letGoBehind(parts);
      lzf.update(piece, 0, take);
      if (c.at === end) {
        const problem = lzf.finish();
        if (problem !== null) fail(problem);
      }
    }
    if (produced < upto) fail(`listpack of ${plain} bytes: byte ${upto} needed`);
  };
  ensure(6);
  const finish = (): void => {
    ensure(plain);
    if (lastByte !== 0xff) fail(`listpack of ${plain} bytes without its end byte`);
  };
  return { e: new PartsCursor(pieces, 0, plain), pieces, plain, ensure, finish };
}

/**
 * A big LZF-compressed listpack at `c` (its 0xC3 byte) re-encoded as it is expanded from the parts ({@link lzfExpanding}),
 * the compressed parts and the expansion's pieces each let go once walked past: 'written'. 'small' (`c` unmoved) for
 * a small one; 'gathered' for a set that may be written as an intset: its expansion then in {@link at}, `c` past it,
 * as {@link expandedBefore} leaves them.
 */
function lzfAcrossParts(
  c: PartsCursor,
  parts: Uint8Array[],
  type: number,
  kind: string,
  out: RdbOut,
  to: Pieces,
  sink: ElementSink | undefined,
): 'written' | 'small' | 'gathered' {
  const start = c.at;
  c.skip(1);
  const compressed = c.length();
  const plain = c.length();
  c.at = start;
  if (compressed < LZF_READ_BYTES || plain < 7) return 'small';
  const x = lzfExpanding(c, parts);
  const head = x.e.view(0, 6);
  const declared = head[4]! | (head[5]! << 8);
  if (type === 20 && declared !== 65535 && plain <= 10 * declared + 7) {
    // Possibly all integers (an intset): the whole expansion, as before.
    x.ensure(plain);
    at.b = x.e.view(0, plain);
    at.from = 0;
    at.to = plain;
    x.pieces.fill(NO_BYTES);
    return 'gathered';
  }
  acrossParts(x.e, x.pieces, 6, plain - 1, kind, declared, out, to, sink, x.ensure);
  x.finish();
  parts.fill(NO_BYTES);
  return 'written';
}
