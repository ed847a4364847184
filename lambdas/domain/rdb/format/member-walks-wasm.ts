/**
 * Two walks of the verifier in WebAssembly (see codecs/wasm.ts for why), each
 * checking the members of a collection for one seen twice as it goes:
 * - the common case of {@link validateListpack}: a listpack of short
 *   entries, walked and checked entry by entry, its members (every
 *   `stride`-th entry) checked in the same walk;
 * - the members of a set stored as a hash table (RDB type 2), when all of
 *   them are in the chunk in hand: each a 6- or 14-bit length and its bytes.
 *
 * They are accelerators, never judges: they answer only "valid, no member
 * twice" (with the count or the bytes taken) or "ask JavaScript", and the
 * JavaScript reads (blobs.ts, parse-sets.ts) stay the ones that decide and
 * word every problem. They ask JavaScript for anything they do not handle:
 * - a problem of any kind (JavaScript then finds and names it);
 * - a listpack entry of more than 127 bytes (a back length of more than one
 *   byte) or with a 32-bit length; a set member with another length or
 *   string encoding (an integer, LZF), or one not wholly in hand;
 * - two members whose 32-bit hashes are equal: a repeat, or (rarely) two
 *   different members that share a hash. JavaScript's exact check decides.
 *
 * So a member twice is always sent to JavaScript: equal members hash alike.
 * Members are compared as Redis compares them, as text: a listpack's integer
 * entry is hashed as its decimal digits, so the integer 7 and the string "7"
 * are one member here as they are to Redis.
 *
 * Measured (bench/README.md, verify-rdb): on the 62,452 listpacks of the
 * everyday file's first 100 MB, the JavaScript walk took 32–40 ms with the
 * members checked, this one 21–31 ms (the walk itself is bound by each
 * entry's size depending on the byte before it, in either language: the
 * gain is in the member check); the one-thread verification of that part
 * took 0.89–0.92 of the time in one process, the whole command on the
 * everyday file 0.94 (1.26 → 1.18 s). The set walk then took the whole
 * command to 0.92 of that (1.18 → 1.08 s on one CPU).
 *
 * Memory of each: the bytes walked at 0 (copied in; at most
 * {@link MEMBER_WALK_MAX_BYTES}), a spare 16 bytes after them (a member's
 * last word is read whole, then masked), the digits of an integer member,
 * then the member table: 32-bit hash and 32-bit generation per slot.
 *
 * ```wat
 * (func $run (param $len i32) (param $strideOrCount i32) (param $mask i32) (param $gen i32) (result i32))
 * ```
 */
import { I32, I64, instantiate, OP, sleb, sleb64 } from '../codecs/wasm.js';
import { LISTPACK_VALUE } from './parse-constants.js';

/** Most bytes walked at once. */
export const MEMBER_WALK_MAX_BYTES = 64 * 1024;
/** Most members checked in one walk: the table has four times as many slots. */
export const MEMBER_WALK_MAX_MEMBERS = 1 << 13;
/** A walk's answers besides a count: JavaScript must read it; too large for a walk; (set walk) the bytes in hand end first. */
export const ASK_JS = -1;
export const TOO_LARGE = -2;
const SHORT = -3;
/** Set in the set walk's answer when a member is longer than LISTPACK_VALUE (the set is then no listpack candidate). */
export const LONG_MEMBER = 1 << 30;

const DIGITS_END = MEMBER_WALK_MAX_BYTES + 48;
const TABLE_AT = MEMBER_WALK_MAX_BYTES + 64;
const TABLE_SLOTS = 4 * MEMBER_WALK_MAX_MEMBERS;
/** A member table's bytes: a 32-bit hash and a 32-bit generation a slot. */
export const MEMBER_TABLE_BYTES = TABLE_SLOTS * 8;
const PAGES = Math.ceil((TABLE_AT + MEMBER_TABLE_BYTES) / 65536);

// Parameters (the second is the listpack's stride, or the set's member count), then locals.
const LEN = 0;
const STRIDE = 1;
const COUNT_PARAM = 1;
const MASK = 2;
const GEN = 3;
const Q = 4;
const LAST = 5;
const COUNT = 6;
const ENC = 7;
const SIZE = 8;
const SKIP = 9;
const FROM = 10;
const TO = 11;
/** A listpack entry is an integer; in the set walk, {@link LONG_MEMBER} once a member is long. */
const INT = 12;
const I = 13;
const SLOT = 14;
const H32 = 15;
const NEG = 16;
const HELD = 17;
const V = 18;
const H = 19;
const LOCALS = [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I64, I64];
// The stream node walk's own (after V and H): where in the node's layout the entry is, the counts it holds against.
const STATE = 20;
const N = 21;
const MASTER_COUNT = 22;
const MASTER_DELETED = 23;
const MASTER_FIELDS = 24;
const LIVE = 25;
const DEAD = 26;
const FLAGS = 27;
const ELEMENTS = 28;
const SMALL = 29;
// The entries' ids: the master id's halves, the entry's, the one before it, the last live one.
const MASTER_MS = 30;
const MASTER_SEQ = 31;
const ID_MS = 32;
const ID_SEQ = 33;
const PREV_MS = 34;
const PREV_SEQ = 35;
const LIVE_MS = 36;
const LIVE_SEQ = 37;
const STREAM_LOCALS = [...LOCALS, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I64, I64, I64, I64, I64, I64, I64, I64];
/** Where the stream walk finds the node's master id (two little-endian 64-bit halves) and leaves its last live entry's id. */
const MASTER_ID_AT = TABLE_AT;
const LAST_LIVE_AT = TABLE_AT + 16;

// Multipliers of the member hash (odd 64-bit constants from splitmix64 / xxHash).
const K1 = 0x9e3779b97f4a7c15n;
const K2 = 0xbf58476d1ce4e5b9n;
const K3 = 0x94d049bb133111ebn;

/** Emits opcodes into one function body; the helpers every walk here writes with. */
class Body {
  readonly out: number[] = [];
  emit(...ops: (number | number[])[]): void {
    for (const op of ops) typeof op === 'number' ? this.out.push(op) : this.out.push(...op);
  }
}
const get = (local: number): number[] => [OP.localGet, local];
const set = (local: number): number[] => [OP.localSet, local];
const i32 = (n: number): number[] => [OP.i32Const, ...sleb(n)];
const i64 = (n: bigint): number[] => [OP.i64Const, ...sleb64(n)];
const load8 = (addr: number[]): number[] => [...addr, OP.i32Load8U, 0, 0];
/** `if (<condition on the stack>) return code;` (-1: ask JavaScript). */
const returnIf = (code: number): number[] => [OP.if, OP.void, ...i32(code), OP.return, OP.end];
const askJsIf = (): number[] => returnIf(ASK_JS);

// Places in a stream node's layout (STATE): the master entry's count, deleted, field count, fields, 0; an entry's flags, the id's two
// deltas, its field count (without the same-fields flag), its fields and values, its element count.
const S_COUNT = 0;
const S_DELETED = 1;
const S_MASTER_FIELDS = 2;
const S_MASTER_NAMES = 3;
const S_ZERO = 4;
const S_FLAGS = 5;
const S_MS = 6;
const S_SEQ = 7;
const S_FIELDS = 8;
const S_VALUES = 9;
const S_ELEMENTS = 10;

/**
 * The listpack walk (parameters: LEN, STRIDE, MASK, GEN); with `stream`,
 * the stream node walk instead of the member check (parameters: LEN alone):
 * each entry also read as its place in the node's layout (streamStep), the
 * live entries returned.
 */
function listpackCode(stream = false): number[] {
  const b = new Body();
  const emit = b.emit.bind(b);
  // The header: total bytes, the end marker.
  emit(get(LEN), i32(7), OP.i32LtU, askJsIf());
  emit(i32(0), OP.i32Load, 2, 0, get(LEN), OP.i32Ne, askJsIf());
  emit(get(LEN), i32(1), OP.i32Sub, set(LAST));
  emit(load8(get(LAST)), i32(0xff), OP.i32Ne, askJsIf());
  if (stream) emit(i32(MASTER_ID_AT), OP.i64Load, 3, 0, set(MASTER_MS), i32(MASTER_ID_AT), OP.i64Load, 3, 8, set(MASTER_SEQ));
  emit(i32(6), set(Q));
  emit(OP.block, OP.void, OP.loop, OP.void);
  emit(get(Q), get(LAST), OP.i32GeU, OP.brIf, 1);
  emit(load8(get(Q)), set(ENC), i32(1), set(INT));
  // The entry's size (and where a string's bytes start).
  emit(get(ENC), i32(0x80), OP.i32LtU, OP.if, OP.void, i32(1), set(SIZE), OP.else);
  emit(get(ENC), i32(0xc0), OP.i32LtU, OP.if, OP.void);
  emit(get(ENC), i32(0x3f), OP.i32And, i32(1), OP.i32Add, set(SIZE), get(Q), i32(1), OP.i32Add, set(FROM), i32(0), set(INT));
  emit(OP.else, get(ENC), i32(0xe0), OP.i32LtU, OP.if, OP.void, i32(2), set(SIZE), OP.else);
  emit(get(ENC), i32(0xf0), OP.i32LtU, OP.if, OP.void);
  emit(get(Q), i32(2), OP.i32Add, get(LAST), OP.i32GtU, askJsIf());
  emit(get(ENC), i32(0x0f), OP.i32And, i32(8), OP.i32Shl, load8([...get(Q), ...i32(1), OP.i32Add]), OP.i32Or, i32(2), OP.i32Add, set(SIZE));
  emit(get(Q), i32(2), OP.i32Add, set(FROM), i32(0), set(INT));
  emit(OP.else);
  // 0xf1–0xf4: 16, 24, 32 and 64-bit integers (3, 4, 5, 9 bytes); anything else (0xf0 too) goes to JavaScript.
  emit(get(ENC), i32(0xf1), OP.i32LtU, get(ENC), i32(0xf4), OP.i32GtU, OP.i32Or, askJsIf());
  emit(get(ENC), i32(0xf4), OP.i32Eq, OP.if, OP.void, i32(9), set(SIZE), OP.else, get(ENC), i32(0xee), OP.i32Sub, set(SIZE), OP.end);
  emit(OP.end, OP.end, OP.end, OP.end);
  // A one-byte back length (entries up to 127 bytes) that says the size; the entry and it before the end marker.
  emit(get(SIZE), i32(127), OP.i32GtU, askJsIf());
  emit(get(Q), get(SIZE), OP.i32Add, i32(1), OP.i32Add, get(LAST), OP.i32GtU, askJsIf());
  emit(load8([...get(Q), ...get(SIZE), OP.i32Add]), get(SIZE), OP.i32Ne, askJsIf());
  if (stream) streamStep(b);
  else {
    // A member: every stride-th entry from the first.
    emit(get(STRIDE), OP.if, OP.void);
    emit(get(SKIP), OP.if, OP.void, get(SKIP), i32(1), OP.i32Sub, set(SKIP), OP.else);
    emit(get(STRIDE), i32(1), OP.i32Sub, set(SKIP));
    integerText(b);
    emit(get(INT), OP.i32Eqz, OP.if, OP.void, get(Q), get(SIZE), OP.i32Add, set(TO), OP.end);
    memberCheck(b);
    emit(OP.end, OP.end);
  }
  emit(get(Q), get(SIZE), OP.i32Add, i32(1), OP.i32Add, set(Q));
  emit(get(COUNT), i32(1), OP.i32Add, set(COUNT));
  emit(OP.br, 0, OP.end, OP.end);
  // The header's count, unless it says "unknown" (0xffff).
  emit(i32(4), OP.i32Load16U, 1, 0, set(I));
  emit(get(I), i32(0xffff), OP.i32Ne, get(I), get(COUNT), OP.i32Ne, OP.i32And, askJsIf());
  if (!stream) {
    emit(get(COUNT));
    return b.out;
  }
  // The node ends after a whole entry (an empty listpack never gets there), holding the entries its master entry says.
  emit(get(STATE), i32(S_FLAGS), OP.i32Ne, askJsIf());
  emit(get(LIVE), get(MASTER_COUNT), OP.i32Ne, get(DEAD), get(MASTER_DELETED), OP.i32Ne, OP.i32Or, askJsIf());
  emit(i32(LAST_LIVE_AT), get(LIVE_MS), OP.i64Store, 3, 0, i32(LAST_LIVE_AT), get(LIVE_SEQ), OP.i64Store, 3, 8);
  emit(get(LIVE));
  return b.out;
}

/**
 * The entry at Q (ENC, SIZE, INT known) as its place in a stream node
 * (stream-node.ts checkStreamNode says the same in JavaScript): fields and
 * values counted, not read; every other place an integer (a string there,
 * which Redis may read as one, is JavaScript's), a count in [0, 2^30), the
 * master's 0, each element count right; anything else asks JavaScript.
 */
function streamStep(b: Body): void {
  const emit = b.emit.bind(b);
  const is = (state: number): number[] => [...get(STATE), ...i32(state), OP.i32Eq];
  const small = (): number[] => [...get(SMALL), OP.i32Eqz, ...askJsIf()];
  // The next state: `ifSome` when N (elements to count) is not 0, else `ifNone`.
  const countThen = (ifSome: number, ifNone: number): number[] => [...i32(ifSome), ...i32(ifNone), ...get(N), OP.select, ...set(STATE)];
  emit(is(S_MASTER_NAMES), is(S_VALUES), OP.i32Or, OP.if, OP.void);
  // S_MASTER_NAMES + 1 is S_ZERO, S_VALUES + 1 is S_ELEMENTS.
  emit(get(N), i32(1), OP.i32Sub, OP.localTee, N, OP.i32Eqz, OP.if, OP.void, get(STATE), i32(1), OP.i32Add, set(STATE), OP.end);
  emit(OP.else);
  emit(get(INT), OP.i32Eqz, askJsIf());
  integerValue(b);
  emit(get(V), i64(1n << 30n), OP.i64LtU, set(SMALL));
  emit(is(S_COUNT), OP.if, OP.void, small(), get(V), OP.i32WrapI64, set(MASTER_COUNT), i32(S_DELETED), set(STATE), OP.else);
  emit(is(S_DELETED), OP.if, OP.void, small(), get(V), OP.i32WrapI64, set(MASTER_DELETED), i32(S_MASTER_FIELDS), set(STATE), OP.else);
  emit(is(S_MASTER_FIELDS), OP.if, OP.void, small(), get(V), OP.i32WrapI64, OP.localTee, MASTER_FIELDS, set(N));
  emit(countThen(S_MASTER_NAMES, S_ZERO), OP.else);
  emit(is(S_ZERO), OP.if, OP.void, get(V), OP.i64Eqz, OP.i32Eqz, askJsIf(), i32(S_FLAGS), set(STATE), OP.else);
  emit(is(S_FLAGS), OP.if, OP.void, get(V), OP.i32WrapI64, set(FLAGS), i32(S_MS), set(STATE), OP.else);
  emit(is(S_MS), OP.if, OP.void, get(MASTER_MS), get(V), OP.i64Add, set(ID_MS), i32(S_SEQ), set(STATE), OP.else);
  emit(is(S_SEQ), OP.if, OP.void);
  // The id (wrapping at 64 bits): the first entry's the master id, every other above the one before it, deleted or not (what
  // servers write but after an XSETID below a deleted entry; anything else, deleted entries out of order too, JavaScript's).
  emit(get(MASTER_SEQ), get(V), OP.i64Add, set(ID_SEQ));
  emit(get(LIVE), get(DEAD), OP.i32Or, OP.i32Eqz, OP.if, OP.void);
  emit(get(ID_MS), get(MASTER_MS), OP.i64Ne, get(ID_SEQ), get(MASTER_SEQ), OP.i64Ne, OP.i32Or, askJsIf(), OP.else);
  emit(get(PREV_MS), get(ID_MS), OP.i64LtU, get(PREV_MS), get(ID_MS), OP.i64Eq, get(PREV_SEQ), get(ID_SEQ), OP.i64LtU, OP.i32And, OP.i32Or);
  emit(OP.i32Eqz, askJsIf(), OP.end);
  emit(get(ID_MS), set(PREV_MS), get(ID_SEQ), set(PREV_SEQ));
  emit(get(FLAGS), i32(2), OP.i32And, OP.if, OP.void);
  emit(get(MASTER_FIELDS), OP.localTee, N, i32(3), OP.i32Add, set(ELEMENTS), countThen(S_VALUES, S_ELEMENTS));
  emit(OP.else, i32(S_FIELDS), set(STATE), OP.end, OP.else);
  emit(is(S_FIELDS), OP.if, OP.void, small(), get(V), OP.i32WrapI64, i32(1), OP.i32Shl, OP.localTee, N, i32(4), OP.i32Add, set(ELEMENTS));
  emit(countThen(S_VALUES, S_ELEMENTS), OP.else);
  // S_ELEMENTS: the entry's element count; then it is counted live or deleted.
  emit(get(V), get(ELEMENTS), OP.i64ExtendI32U, OP.i64Ne, askJsIf());
  emit(get(FLAGS), i32(1), OP.i32And, OP.if, OP.void, get(DEAD), i32(1), OP.i32Add, set(DEAD), OP.else);
  emit(get(LIVE), i32(1), OP.i32Add, set(LIVE), get(PREV_MS), set(LIVE_MS), get(PREV_SEQ), set(LIVE_SEQ), OP.end, i32(S_FLAGS), set(STATE));
  emit(OP.end, OP.end, OP.end, OP.end, OP.end, OP.end, OP.end, OP.end);
  emit(OP.end);
}

/**
 * The hash-table set walk (parameters: LEN, COUNT, MASK, GEN): COUNT RDB
 * strings from 0, each a 6- or 14-bit length and its bytes. Returns the bytes
 * they took, with {@link LONG_MEMBER} set when one is longer than
 * LISTPACK_VALUE; -1: ask JavaScript (another length or string encoding, a
 * possible member twice); -3: the bytes end before the last member does.
 */
function setCode(): number[] {
  const b = new Body();
  const emit = b.emit.bind(b);
  emit(OP.block, OP.void, OP.loop, OP.void);
  emit(get(COUNT_PARAM), OP.i32Eqz, OP.brIf, 1);
  emit(get(Q), get(LEN), OP.i32GeU, returnIf(SHORT));
  emit(load8(get(Q)), set(ENC));
  emit(get(ENC), i32(6), OP.i32ShrU, OP.localTee, I, OP.i32Eqz, OP.if, OP.void);
  emit(get(ENC), set(SIZE), get(Q), i32(1), OP.i32Add, set(FROM), OP.else);
  emit(get(I), i32(1), OP.i32Ne, askJsIf());
  emit(get(Q), i32(2), OP.i32Add, get(LEN), OP.i32GtU, returnIf(SHORT));
  emit(get(ENC), i32(0x3f), OP.i32And, i32(8), OP.i32Shl, load8([...get(Q), ...i32(1), OP.i32Add]), OP.i32Or, set(SIZE));
  emit(get(Q), i32(2), OP.i32Add, set(FROM), OP.end);
  emit(get(SIZE), i32(LISTPACK_VALUE), OP.i32GtU, OP.if, OP.void, i32(LONG_MEMBER), set(INT), OP.end);
  emit(get(FROM), get(SIZE), OP.i32Add, OP.localTee, TO, get(LEN), OP.i32GtU, returnIf(SHORT));
  memberCheck(b);
  emit(get(TO), set(Q), get(COUNT_PARAM), i32(1), OP.i32Sub, set(COUNT_PARAM));
  emit(OP.br, 0, OP.end, OP.end);
  emit(get(Q), get(INT), OP.i32Or);
  return b.out;
}

/** An integer entry at Q (ENC its encoding byte, not a string's): its value into V. */
function integerValue(b: Body): void {
  const emit = b.emit.bind(b);
  const q = (plus: number): number[] => [...get(Q), ...i32(plus), OP.i32Add];
  emit(get(ENC), i32(0x80), OP.i32LtU, OP.if, OP.void, get(ENC), OP.i64ExtendI32U, set(V), OP.else);
  emit(get(ENC), i32(0xe0), OP.i32LtU, OP.if, OP.void);
  emit(get(ENC), i32(0x1f), OP.i32And, i32(8), OP.i32Shl, q(1), OP.i32Load8U, 0, 0, OP.i32Or, i32(19), OP.i32Shl, i32(19), OP.i32ShrS);
  emit(OP.i64ExtendI32S, set(V), OP.else);
  emit(get(ENC), i32(0xf1), OP.i32Eq, OP.if, OP.void, q(1), OP.i64Load16S, 0, 0, set(V), OP.else);
  emit(get(ENC), i32(0xf2), OP.i32Eq, OP.if, OP.void, q(1), OP.i32Load, 0, 0, i32(8), OP.i32Shl, i32(8), OP.i32ShrS, OP.i64ExtendI32S, set(V), OP.else);
  emit(get(ENC), i32(0xf3), OP.i32Eq, OP.if, OP.void, q(1), OP.i64Load32S, 0, 0, set(V), OP.else, q(1), OP.i64Load, 0, 0, set(V), OP.end);
  emit(OP.end, OP.end, OP.end, OP.end);
}

/** An integer entry at Q (INT set; ENC its encoding byte): its decimal text between FROM and TO (before DIGITS_END). */
function integerText(b: Body): void {
  const emit = b.emit.bind(b);
  emit(get(INT), OP.if, OP.void);
  integerValue(b);
  emit(get(V), i64(0n), OP.i64LtS, OP.localTee, NEG, OP.if, OP.void, i64(0n), get(V), OP.i64Sub, set(V), OP.end);
  emit(i32(DIGITS_END), OP.localTee, TO, set(FROM));
  emit(OP.loop, OP.void);
  emit(get(FROM), i32(1), OP.i32Sub, OP.localTee, FROM, get(V), i64(10n), OP.i64RemU, OP.i32WrapI64, i32(48), OP.i32Add, OP.i32Store8, 0, 0);
  emit(get(V), i64(10n), OP.i64DivU, OP.localTee, V, i64(0n), OP.i64Ne, OP.brIf, 0, OP.end);
  emit(get(NEG), OP.if, OP.void, get(FROM), i32(1), OP.i32Sub, OP.localTee, FROM, i32(45), OP.i32Store8, 0, 0, OP.end);
  emit(OP.end);
}

/** The locals {@link memberCheckOps} reads and writes (each walk has its own numbering): the text `[from, to)` (read only), the
 * hash (64-bit) and its 32-bit form, a scratch index, the members held so far, the table's mask and generation, a slot's address. */
export interface MemberCheckLocals {
  readonly from: number;
  readonly to: number;
  readonly h: number;
  readonly h32: number;
  readonly i: number;
  readonly held: number;
  readonly mask: number;
  readonly gen: number;
  readonly slot: number;
}

/**
 * The member text between `from` and `to`: hashed, then looked up and added in the table at `tableAt` (a 32-bit hash and
 * a 32-bit generation a slot); the same hash asks JavaScript (returns -1). Shared with the re-encoding's listpack walk
 * (write/transcode-wasm.ts), which checks a listpack's members as this module's listpack walk does.
 */
export function memberCheckOps(l: MemberCheckLocals, tableAt: number): number[] {
  const b = new Body();
  const emit = b.emit.bind(b);
  // The text's hash: its length, then 8 bytes at a time (the last word masked to the text).
  emit(get(l.to), get(l.from), OP.i32Sub, OP.i64ExtendI32U, i64(K1), OP.i64Mul, set(l.h), get(l.from), set(l.i));
  const mix = (): void => emit(OP.i64Xor, i64(K2), OP.i64Mul, OP.localTee, l.h, get(l.h), i64(32n), OP.i64ShrU, OP.i64Xor, set(l.h));
  emit(OP.block, OP.void, OP.loop, OP.void);
  emit(get(l.i), i32(8), OP.i32Add, get(l.to), OP.i32GtU, OP.brIf, 1);
  emit(get(l.h), get(l.i), OP.i64Load, 0, 0);
  mix();
  emit(get(l.i), i32(8), OP.i32Add, set(l.i), OP.br, 0, OP.end, OP.end);
  emit(get(l.i), get(l.to), OP.i32LtU, OP.if, OP.void);
  emit(get(l.h), get(l.i), OP.i64Load, 0, 0, i64(1n), get(l.to), get(l.i), OP.i32Sub, i32(3), OP.i32Shl);
  emit(OP.i64ExtendI32U, OP.i64Shl, i64(1n), OP.i64Sub, OP.i64And);
  mix();
  emit(OP.end);
  emit(get(l.h), i64(K3), OP.i64Mul, i64(32n), OP.i64ShrU, OP.i32WrapI64, set(l.h32));
  // Open addressing: an empty slot (another generation) takes it; the same hash goes to JavaScript. More members
  // than the caller promised (a corrupt count) go to JavaScript before the table is half full.
  emit(get(l.held), i32(1), OP.i32Add, OP.localTee, l.held, i32(1), OP.i32Shl, get(l.mask), OP.i32GtU, askJsIf());
  emit(get(l.h32), get(l.mask), OP.i32And, set(l.i));
  emit(OP.block, OP.void, OP.loop, OP.void);
  emit(get(l.i), i32(3), OP.i32Shl, i32(tableAt), OP.i32Add, set(l.slot));
  emit(get(l.slot), OP.i32Load, 2, 4, get(l.gen), OP.i32Ne, OP.if, OP.void);
  emit(get(l.slot), get(l.h32), OP.i32Store, 2, 0, get(l.slot), get(l.gen), OP.i32Store, 2, 4, OP.br, 2, OP.end);
  emit(get(l.slot), OP.i32Load, 2, 0, get(l.h32), OP.i32Eq, askJsIf());
  emit(get(l.i), i32(1), OP.i32Add, get(l.mask), OP.i32And, set(l.i), OP.br, 0, OP.end, OP.end);
  return b.out;
}

/** This module's walks' locals for {@link memberCheckOps}. */
const MEMBER_LOCALS: MemberCheckLocals = { from: FROM, to: TO, h: H, h32: H32, i: I, held: HELD, mask: MASK, gen: GEN, slot: SLOT };

/** The member text between FROM and TO: hashed, then looked up and added in the table; the same hash asks JavaScript. */
function memberCheck(b: Body): void {
  b.emit(memberCheckOps(MEMBER_LOCALS, TABLE_AT));
}

/**
 * A member table's generations in `memory` (its {@link MEMBER_TABLE_BYTES} at `tableAt`): a walk takes the next one, so
 * no walk clears the table (but once in 2^31 walks); and the mask for `members`: four slots a member at least (probes stay
 * short, and a walk asks JavaScript before the table is half full).
 */
export function memberTable(memory: Uint8Array, tableAt: number): { nextGeneration: () => number; maskFor: (members: number) => number } {
  let gen = 0;
  return {
    nextGeneration: () => {
      if (++gen === 0x7fffffff) {
        memory.fill(0, tableAt, tableAt + MEMBER_TABLE_BYTES);
        gen = 1;
      }
      return gen;
    },
    maskFor: (members) => {
      let size = 16;
      while (size < 4 * members) size *= 2;
      return size - 1;
    },
  };
}

/** A walk's module: its function, memory and member table (a generation per walk, so no walk clears it). */
function memberWalk(
  code: number[],
  locals: readonly number[] = LOCALS,
):
  | {
      run: (len: number, x: number, mask: number, gen: number) => number;
      memory: Uint8Array;
      nextGeneration: () => number;
      maskFor: (members: number) => number;
    }
  | undefined {
  const wasm = instantiate<(len: number, x: number, mask: number, gen: number) => number>({
    params: [I32, I32, I32, I32],
    result: I32,
    locals,
    code,
    pages: PAGES,
  });
  if (!wasm) return undefined;
  const { run, memory } = wasm;
  return { run, memory, ...memberTable(memory, TABLE_AT) };
}

/**
 * Walks `blob` (members every `stride` entries, none when 0, expecting
 * `members` of them): the entry count when it is valid with no member twice,
 * -1 when JavaScript must walk it, -2 when it is too large for this walk.
 */
export type WasmListpack = (blob: Uint8Array, stride: number, members: number) => number;

/** Instantiates the listpack walk; undefined when WebAssembly is unavailable. */
export function loadWasmListpack(): WasmListpack | undefined {
  const walk = memberWalk(listpackCode());
  if (!walk) return undefined;
  const { run, memory, nextGeneration, maskFor } = walk;
  return (blob, stride, members) => {
    if (blob.length > MEMBER_WALK_MAX_BYTES || members > MEMBER_WALK_MAX_MEMBERS) return TOO_LARGE;
    memory.set(blob, 0);
    return stride === 0 ? run(blob.length, 0, 0, 0) : run(blob.length, stride, maskFor(members), nextGeneration());
  };
}

/**
 * Walks the `count` members of a hash-table set (RDB type 2) that start at
 * `buf[from]`, where `to` ends what is in hand: the bytes they take, with
 * {@link LONG_MEMBER} set when one is longer than LISTPACK_VALUE; -1 when
 * JavaScript must read them (not all in hand, another encoding, a possible
 * member twice), -2 when there are too many for this walk.
 */
export type WasmSetMembers = (buf: Uint8Array, from: number, to: number, count: number) => number;

/** Instantiates the set walk; undefined when WebAssembly is unavailable. */
export function loadWasmSetMembers(): WasmSetMembers | undefined {
  const walk = memberWalk(setCode());
  if (!walk) return undefined;
  const { run, memory, nextGeneration, maskFor } = walk;
  return (buf, from, to, count) => {
    if (count > MEMBER_WALK_MAX_MEMBERS) return TOO_LARGE;
    const inHand = Math.min(to - from, MEMBER_WALK_MAX_BYTES);
    // First the bytes most sets take (members of up to ~30 bytes); all in hand when they were too few.
    let span = Math.min(inHand, 16 + 32 * count);
    for (;;) {
      memory.set(buf.subarray(from, from + span), 0);
      const walked = run(span, count, maskFor(count), nextGeneration());
      if (walked !== SHORT) return walked;
      if (span === inHand) return ASK_JS;
      span = inHand;
    }
  };
}

/**
 * Walks stream node listpack `blob`, whose node id (16 bytes, big-endian) is
 * `masterId`, as a listpack and as a stream node (stream-node.ts): its live
 * entries when both hold, its last live entry's id then set in `last` (when
 * it has one); -1 when JavaScript must walk it (anything wrong, an entry of
 * more than 127 bytes, a string where an integer belongs, an entry's id not
 * above the one before it, deleted or not), -2 when it is too large for this
 * walk.
 */
export type WasmStreamNode = (blob: Uint8Array, masterId: Uint8Array, last: { ms: number | bigint; seq: number | bigint; some: boolean }) => number;

/** Instantiates the stream node walk; undefined when WebAssembly is unavailable. */
export function loadWasmStreamNode(): WasmStreamNode | undefined {
  const walk = memberWalk(listpackCode(true), STREAM_LOCALS);
  if (!walk) return undefined;
  const { run, memory } = walk;
  const words = new DataView(memory.buffer, memory.byteOffset, memory.byteLength);
  // An id half as stream-node.ts's IdPart: a number while exact, else a bigint.
  const half = (at: number): number | bigint => {
    const hi = words.getUint32(at + 4, true);
    const lo = words.getUint32(at, true);
    return hi < 0x200000 ? hi * 0x100000000 + lo : (BigInt(hi) << 32n) | BigInt(lo);
  };
  return (blob, masterId, last) => {
    if (blob.length > MEMBER_WALK_MAX_BYTES) return TOO_LARGE;
    memory.set(blob, 0);
    for (let i = 0; i < 8; i++) {
      memory[MASTER_ID_AT + i] = masterId[7 - i]!;
      memory[MASTER_ID_AT + 8 + i] = masterId[15 - i]!;
    }
    const live = run(blob.length, 0, 0, 0);
    if (live >= 0) {
      last.some = live > 0;
      if (live > 0) {
        last.ms = half(LAST_LIVE_AT);
        last.seq = half(LAST_LIVE_AT + 8);
      }
    }
    return live;
  };
}
