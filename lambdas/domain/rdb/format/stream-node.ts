/**
 * A stream node's listpack read as a stream node (src/t_stream.c): its
 * master entry (count, deleted, the master field count, the fields, a 0),
 * then count + deleted entries, each its flags, the id's two deltas from
 * the node's master id, either (same-fields flag) one value per master field
 * or a field count and its fields and values, and its element count
 * (lp-count); nothing after. What Redis's `streamValidateListpackIntegrity`
 * checks with deep validation (`sanitize-dump-payload yes`, redis-check-rdb),
 * plus what redis-dr's readers need beyond it: the master entry's count and
 * deleted each equal to the entries without and with the deleted flag (Redis
 * checks only their sum; XLEN and XRANGE then disagree with the entries), no
 * negative field count (Redis's loops read it as none; no server writes one),
 * and the entries' ids (master id + deltas) in the order Redis's reads by id
 * assume: the node's first entry at the node's id (deltas 0-0: a node begins
 * with the entry that created it, and entries are only flagged, never
 * removed), each live entry above the live one before it; in any node but
 * the stream's first, one below the node's id is named in {@link belowNode}
 * for a warning (see {@link checkStreamNode}).
 * The node's last live id is left in {@link lastLive} for the checks across
 * nodes (parse-streams.ts: below the next node's id, not above the stream's
 * last id).
 *
 * One walk serves the verifier (parse-streams.ts, after the listpack itself
 * was validated) and the DUMP payload decoder (value.ts), so the files the
 * verifier passes are the ones every reader reads.
 */
import { RdbFormatError } from '../errors.js';
import { backlenSize, walkListpack } from './blobs.js';
import { i16le, i32le, u32le } from './bytes.js';
import { loadWasmStreamNode } from './member-walks-wasm.js';

/** The WebAssembly walk of the common case (member-walks-wasm.ts); undefined where WebAssembly is unavailable. */
const wasmStreamNode = loadWasmStreamNode();

/**
 * Validates a stream node's listpack as a listpack (blobs.ts) and as a
 * stream node ({@link checkStreamNode}) in one walk; returns its live
 * entries. The common case (entries of up to 127 bytes, integers where
 * integers belong, nothing wrong) is walked in WebAssembly; whatever that
 * walk does not vouch for is walked again here, in JavaScript, which decides
 * and words the problem.
 * @throws RdbFormatError naming the problem
 */
export function validateStreamNode(lp: Uint8Array, masterId: Uint8Array, first: boolean): number {
  belowNode.entry = '';
  if (wasmStreamNode !== undefined && lp.length >= 7) {
    const live = wasmStreamNode(lp, masterId, lastLive);
    if (live >= 0) return live;
  }
  if (walkListpack(lp) === 0) fail('empty listpack inside stream');
  return checkStreamNode(lp, masterId, first);
}

/**
 * A stream id's half (milliseconds or sequence): a number while it is
 * exact (below 2^53, as every real id's milliseconds are), else a bigint.
 * Compared with `<` and `>` either way (JavaScript compares the two kinds
 * exactly); never with `===`.
 */
export type IdPart = number | bigint;

/**
 * What the parser keeps of the stream being read (parse-streams.ts): nodes, live entries so far, the last node's key
 * (big-endian); a live entry seen, the last's ID and its node's key; the highest live entry's ID and its node's key
 * (another than the last only after an entry below its node's ID).
 */
export function streamReadState() {
  return {
    nodes: 0,
    entries: 0,
    nodeKey: new Uint8Array(16),
    live: false,
    lastMs: 0 as IdPart,
    lastSeq: 0 as IdPart,
    liveNode: new Uint8Array(16),
    topMs: 0 as IdPart,
    topSeq: 0 as IdPart,
    topNode: new Uint8Array(16),
  };
}

/**
 * A live entry of the node last walked that lies below the node's id in a node other than the stream's first, named
 * ('' when none), and its id (the node's first live entry: the ones after it rise from it): a Redis before 7.2 writes
 * one (XTRIM MINID leaving a node of deleted entries only, XSETID below it, XADD, then a node made before that one),
 * loads it, with deep sanitization too, and then answers by id inconsistently itself (XRANGE - + lists 1-6 then 1-5,
 * XRANGE 1-5 1-5 nothing; after a further XSETID, which 7.0 checks against the last live entry in file order, an id
 * twice). The copy holds what the server held: a warning (parse-streams.ts, which also holds it against the stream's
 * live entries before it), not a refusal.
 */
export const belowNode: { entry: string; ms: IdPart; seq: IdPart } = { entry: '', ms: 0, seq: 0 };

/** The last live entry of the node last walked (its id; `some` false when it has none), for the checks across nodes. */
export const lastLive: { ms: IdPart; seq: IdPart; some: boolean } = { ms: 0, seq: 0, some: false };

/** Whether id `a` is below id `b`. */
export function idBelow(aMs: IdPart, aSeq: IdPart, bMs: IdPart, bSeq: IdPart): boolean {
  return aMs < bMs || (!(aMs > bMs) && aSeq < bSeq);
}

/** Half `at` (0: milliseconds, 8: sequence) of a 16-byte big-endian id, as an {@link IdPart}. */
export function keyPart(key: Uint8Array, at: number): IdPart {
  const hi = ((key[at]! << 24) | (key[at + 1]! << 16) | (key[at + 2]! << 8) | key[at + 3]!) >>> 0;
  const lo = ((key[at + 4]! << 24) | (key[at + 5]! << 16) | (key[at + 6]! << 8) | key[at + 7]!) >>> 0;
  return hi < 0x200000 ? hi * 0x100000000 + lo : (BigInt(hi) << 32n) | BigInt(lo);
}

/** Stream entry flags (t_stream.c): deleted by XDEL; fields as in the node's master entry. */
export const STREAM_DELETED = 1;
export const STREAM_SAMEFIELDS = 2;

/** Where the element after the one {@link intAt} read starts. */
let after = 0;

/**
 * The element at `p` of a validated listpack as Redis's lpGetIntegerIfValid
 * reads it: an integer encoding's value, a string's when string2ll takes
 * it (decimal, no sign but '-', no leading zero, within 64 bits); NaN for
 * any other string. A value beyond 2^53 is approximate (only counts are
 * compared: none is near it). Sets {@link after}.
 */
function intAt(lp: Uint8Array, p: number): number {
  const enc = lp[p]!;
  if (enc < 0x80) {
    after = p + 2;
    return enc;
  }
  if (enc < 0xc0) {
    const n = enc & 0x3f;
    after = p + n + 2;
    return stringInt(lp, p + 1, n);
  }
  if (enc < 0xe0) {
    after = p + 3;
    return ((((enc & 0x1f) << 8) | lp[p + 1]!) << 19) >> 19;
  }
  if (enc < 0xf0) {
    const n = ((enc & 0x0f) << 8) | lp[p + 1]!;
    after = p + 2 + n + backlenSize(2 + n);
    return stringInt(lp, p + 2, n);
  }
  if (enc === 0xf0) {
    const n = u32le(lp, p + 1);
    after = p + 5 + n + backlenSize(5 + n);
    return stringInt(lp, p + 5, n);
  }
  if (enc === 0xf1) {
    after = p + 4;
    return i16le(lp, p + 1);
  }
  if (enc === 0xf2) {
    after = p + 5;
    return ((lp[p + 1]! | (lp[p + 2]! << 8) | (lp[p + 3]! << 16)) << 8) >> 8;
  }
  if (enc === 0xf3) {
    after = p + 6;
    return i32le(lp, p + 1);
  }
  after = p + 10; // 0xf4 (validateListpack refused any other byte)
  return i32le(lp, p + 5) * 4294967296 + u32le(lp, p + 1);
}

/** Where the element after the one at `p` starts (its content not read). */
function skipAt(lp: Uint8Array, p: number): number {
  const enc = lp[p]!;
  if (enc < 0x80) return p + 2;
  if (enc < 0xc0) return p + (enc & 0x3f) + 2;
  if (enc < 0xe0) return p + 3;
  if (enc < 0xf0) {
    const size = 2 + (((enc & 0x0f) << 8) | lp[p + 1]!);
    return p + size + backlenSize(size);
  }
  if (enc === 0xf0) {
    const size = 5 + u32le(lp, p + 1);
    return p + size + backlenSize(size);
  }
  return p + (enc === 0xf4 ? 10 : enc - 0xee + 1);
}

/** The string `lp[from, from + n)` as string2ll (src/util.c) reads it: its value, or NaN when it takes it for no integer. */
function stringInt(lp: Uint8Array, from: number, n: number): number {
  const exact = stringBigInt(lp, from, n);
  return exact === null ? Number.NaN : Number(exact);
}

function stringBigInt(lp: Uint8Array, from: number, n: number): bigint | null {
  // Not empty, shorter than LONG_STR_SIZE (21); "0" alone, else an optional '-' and a first digit 1-9.
  if (n === 0 || n >= 21) return null;
  const text = String.fromCharCode(...lp.subarray(from, from + n));
  if (!/^(0|-?[1-9][0-9]*)$/.test(text)) return null;
  const v = BigInt(text);
  return v < -(2n ** 63n) || v >= 2n ** 63n ? null : v;
}

/** The exact integer at `p` (for the flags' bits and the ids in a message): null when it is none. */
function exactAt(lp: Uint8Array, p: number): bigint | null {
  const enc = lp[p]!;
  if (enc === 0xf4) return (BigInt(i32le(lp, p + 5)) << 32n) | BigInt(u32le(lp, p + 1));
  if (enc >= 0x80 && enc < 0xc0) return stringBigInt(lp, p + 1, enc & 0x3f);
  if (enc >= 0xe0 && enc < 0xf0) return stringBigInt(lp, p + 2, ((enc & 0x0f) << 8) | lp[p + 1]!);
  if (enc === 0xf0) return stringBigInt(lp, p + 5, u32le(lp, p + 1));
  return BigInt(intAt(lp, p));
}

function fail(message: string): never {
  throw new RdbFormatError(message);
}

/** The node's master id as text. */
function nodeId(masterId: Uint8Array): string {
  const view = new DataView(masterId.buffer, masterId.byteOffset, 16);
  return `${view.getBigUint64(0)}-${view.getBigUint64(8)}`;
}

/** The id of the entry whose flags are at `at`: the master id plus its deltas, wrapped at 64 bits as Redis's uint64 arithmetic does. */
function entryId(lp: Uint8Array, masterId: Uint8Array, at: number): string {
  const ms = skipAt(lp, at);
  const seq = skipAt(lp, ms);
  const view = new DataView(masterId.buffer, masterId.byteOffset, 16);
  const part = (base: bigint, delta: bigint | null): string => (delta === null ? '?' : String(BigInt.asUintN(64, base + delta)));
  return `${part(view.getBigUint64(0), exactAt(lp, ms))}-${part(view.getBigUint64(8), exactAt(lp, seq))}`;
}

/** What a live entry's id must be against the one before it (checkStreamNode). */
const ANY = 0;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const NOT_BELOW = 1;
const ABOVE = 2;

/**
 * An entry's id half: the master's half plus the delta at `p` (read by
 * {@link intAt}, which sets {@link after}), wrapped at 64 bits as Redis's
 * uint64 arithmetic does; in numbers while all three are exact.
 */
function idPartAt(lp: Uint8Array, p: number, base: IdPart): IdPart {
  const delta = intAt(lp, p);
  if (Number.isNaN(delta)) return delta;
  if (typeof base === 'number' && delta <= Number.MAX_SAFE_INTEGER && delta >= -Number.MAX_SAFE_INTEGER) {
    const sum = base + delta;
    if (sum >= 0 && sum <= Number.MAX_SAFE_INTEGER) return sum;
  }
  const next = after;
  const exact = BigInt.asUintN(64, BigInt(base) + exactAt(lp, p)!);
  after = next;
  return exact <= MAX_SAFE ? Number(exact) : exact;
}

/**
 * Checks the stream layout of node listpack `lp` (one validateListpack
 * accepted) whose 16-byte master id is `masterId`; returns its live entries
 * (the master entry's count, now known true) and leaves its last live id in
 * {@link lastLive}.
 *
 * The ids: the first entry's deltas are 0-0 (its id is the node's: no server
 * writes another), and each live entry's id is above the live one's before
 * it; unless the node is the stream's `first`, a live entry below the
 * node's id is named in {@link belowNode} (not refused: a Redis before 7.2
 * writes one): Redis finds entries by the node ids (XRANGE's start,
 * XREVRANGE's end seek the last node at or below it), so such an entry is
 * one Redis's reads by id miss while XRANGE - + lists it, and redis-dr's
 * readers (file order) answer otherwise. Deleted entries are held to nothing but
 * their place (and the first's deltas): every reader skips them, and a real
 * Redis leaves them out of order after an XSETID below a deleted entry (XDEL
 * of the top entry, XSETID below it, XADD: the node then holds 1-0 2-0
 * 3-0(deleted) 2-6), which 7.2 refuses unless the stream came from a 6.2
 * file (its largest deleted id unknown). A first node's live entries below
 * its id are another such state (XTRIM MINID leaving a node of deleted
 * entries only, XSETID below it, XADD), which Redis still reads
 * consistently: a seek below the first node's id starts at the first node.
 * @throws RdbFormatError naming the node or entry and what is wrong
 */
export function checkStreamNode(lp: Uint8Array, masterId: Uint8Array, first = true): number {
  const masterMs = keyPart(masterId, 0);
  const masterSeq = keyPart(masterId, 8);
  // The previous live entry's id (before the first, the node's), and what the next live one must be against it.
  let prevMs: IdPart = masterMs;
  let prevSeq: IdPart = masterSeq;
  let need = first ? ANY : NOT_BELOW;
  lastLive.some = false;
  belowNode.entry = '';
  const end = lp.length - 1;
  let p = 6;
  // The master entry: count, deleted, field count, the fields, 0.
  if (p >= end) fail(`stream node ${nodeId(masterId)} has an empty listpack`);
  const count = intAt(lp, p);
  if (Number.isNaN(count)) fail(`stream node ${nodeId(masterId)}: its master entry's count is not an integer`);
  p = after;
  if (p >= end) fail(`stream node ${nodeId(masterId)}: its listpack ends inside the master entry`);
  const deleted = intAt(lp, p);
  if (Number.isNaN(deleted)) fail(`stream node ${nodeId(masterId)}: its master entry's deleted count is not an integer`);
  p = after;
  if (p >= end) fail(`stream node ${nodeId(masterId)}: its listpack ends inside the master entry`);
  const masterFields = intAt(lp, p);
  if (Number.isNaN(masterFields)) fail(`stream node ${nodeId(masterId)}: its master entry's field count is not an integer`);
  if (masterFields < 0) fail(`stream node ${nodeId(masterId)}: its master entry has ${masterFields} fields`);
  p = after;
  for (let j = 0; j < masterFields; j++) {
    if (p >= end) fail(`stream node ${nodeId(masterId)}: its listpack ends inside the master entry`);
    p = skipAt(lp, p);
  }
  if (p >= end) fail(`stream node ${nodeId(masterId)}: its listpack ends inside the master entry`);
  if (intAt(lp, p) !== 0) fail(`stream node ${nodeId(masterId)}: its master entry does not end with 0`);
  p = after;
  let live = 0;
  let dead = 0;
  while (p < end) {
    const at = p;
    let flags = intAt(lp, p);
    if (Number.isNaN(flags)) fail(`stream node ${nodeId(masterId)}, entry ${live + dead + 1}: its flags are not an integer`);
    // Past 2^53 the double's low bits are gone: the flags are bits, read exactly.
    if (flags > Number.MAX_SAFE_INTEGER || flags < -Number.MAX_SAFE_INTEGER) flags = Number(BigInt.asUintN(2, exactAt(lp, p)!));
    p = after;
    // The id: the master id plus two integer deltas (wrapping at 64 bits).
    if (p >= end) fail(`stream node ${nodeId(masterId)}, entry ${live + dead + 1}: the listpack ends inside it`);
    const ms = idPartAt(lp, p, masterMs);
    if (Number.isNaN(ms)) fail(`stream node ${nodeId(masterId)}, entry ${live + dead + 1}: its id is not two integers`);
    p = after;
    if (p >= end) fail(`stream node ${nodeId(masterId)}, entry ${live + dead + 1}: the listpack ends inside it`);
    const seq = idPartAt(lp, p, masterSeq);
    if (Number.isNaN(seq)) fail(`stream node ${nodeId(masterId)}, entry ${live + dead + 1}: its id is not two integers`);
    p = after;
    if (live + dead === 0 && (ms < masterMs || ms > masterMs || seq < masterSeq || seq > masterSeq))
      fail(`stream node ${nodeId(masterId)}, entry 1 (${ms}-${seq}): a node's first entry is at the node's ID (deltas 0-0); no server writes another`);
    if ((flags & STREAM_DELETED) === 0) {
      if (need === NOT_BELOW && idBelow(ms, seq, prevMs, prevSeq)) {
        belowNode.entry = `stream node ${nodeId(masterId)}, entry ${live + dead + 1} (${ms}-${seq}): below its node's ID; Redis's reads by ID can miss it (XREVRANGE ending at it where a node before it lies at or below it, XRANGE ending at it where a live entry before it lies above it) (a Redis before 7.2 writes this after an XSETID below deleted entries)`;
        belowNode.ms = ms;
        belowNode.seq = seq;
      } else if (need === ABOVE && !idBelow(prevMs, prevSeq, ms, seq))
        fail(
          `stream node ${nodeId(masterId)}, entry ${live + dead + 1} (${ms}-${seq}): not above the live entry before it (${prevMs}-${prevSeq}); Redis's XRANGE - + then lists an ID twice or out of order`,
        );
      need = ABOVE;
      prevMs = ms;
      prevSeq = seq;
    }
    let elements: number;
    if ((flags & STREAM_SAMEFIELDS) !== 0) {
      for (let j = 0; j < masterFields; j++) {
        if (p >= end) fail(`stream entry ${entryId(lp, masterId, at)}: the listpack ends inside it`);
        p = skipAt(lp, p);
      }
      elements = 3 + masterFields;
    } else {
      if (p >= end) fail(`stream entry ${entryId(lp, masterId, at)}: the listpack ends inside it`);
      const fields = intAt(lp, p);
      if (Number.isNaN(fields)) fail(`stream entry ${entryId(lp, masterId, at)}: its field count is not an integer`);
      if (fields < 0) fail(`stream entry ${entryId(lp, masterId, at)} has ${fields} fields`);
      p = after;
      for (let j = 2 * fields; j > 0; j--) {
        if (p >= end) fail(`stream entry ${entryId(lp, masterId, at)}: the listpack ends inside it`);
        p = skipAt(lp, p);
      }
      elements = 4 + 2 * fields;
    }
    if (p >= end) fail(`stream entry ${entryId(lp, masterId, at)}: the listpack ends inside it`);
    if (intAt(lp, p) !== elements) fail(`stream entry ${entryId(lp, masterId, at)} has a wrong element count`);
    p = after;
    if ((flags & STREAM_DELETED) !== 0) dead++;
    else live++;
  }
  if (live !== count || dead !== deleted) fail(`stream node ${nodeId(masterId)} says ${count} entries and ${deleted} deleted, holds ${live} and ${dead}`);
  lastLive.some = live > 0;
  lastLive.ms = prevMs;
  lastLive.seq = prevSeq;
  return live;
}
