/**
 * The re-encoding's per-element walks in WebAssembly (see codecs/wasm.ts for
 * the assembler and why), over one memory:
 * - `lp`: a listpack's entries written in their plain form (each an RDB
 *   string: an integer entry as its decimal text; a zset's score as a
 *   little-endian binary double) into the output region, and the same
 *   elements, framed as write/key-list.ts's digest frames them (the plain
 *   form's own framing: an RDB length and the bytes, a score's 8 bytes; by
 *   an encoder of its own, {@link rdbLength}), into the digest region, each
 *   copied from the listpack, not from the output.
 *
 * The read-back needs no walk of its own: a plain form written is digested
 * by its bytes as they lie (write/key-list.ts `plainAt`), after the
 * verifier's read has walked its every length.
 *
 * In JavaScript (write/transcode.ts, the fallback and the judge of every
 * problem) these were the re-encoding conversion's largest cost: a byte loop
 * per element and copies of each (output, digest),
 * and the optimizing compiler's work on them (bench/README.md, convert-rdb).
 *
 * Like the verifier's walks they answer only "done" (with the entries
 * walked; the regions' ends in two cells) or "ask JavaScript" (-1: anything
 * malformed or not handled: a 64-bit or encoded RDB length, a score that is
 * not a number; -2: a region would overflow). JavaScript then writes the
 * value itself and words any problem. Nothing reaches the output or the
 * digest before a walk answers "done".
 *
 * A score's text is read by JavaScript (the one import, `js.score`: exact
 * decimal-to-double, write/score-text.ts `scoreOf`), an integer score here.
 *
 * Memory: two cells (the output's and the digest's end) at 0 and 4, an
 * integer's digits before {@link DIGITS_END}, the input at {@link IN} (a
 * listpack, copied in), the output at {@link OUT}, the
 * digest's bytes at {@link DIG}; 64 spare bytes after each region (short
 * copies move whole 8-byte words).
 *
 * ```wat
 * (func $lp (param $from i32) (param $to i32) (param $kind i32) (param $dig i32) (param $mask i32) (param $gen i32) (result i32))
 * ;; kind: 0 list/set, 1 hash, 2 zset; mask, gen: the member check's table (mask 0: none)
 * ```
 */
import { CRC64_BYTES } from '../codecs/crc64-wasm.js';
import { claimWalksPart, WALKS_BYTES } from '../codecs/shared-area.js';
import { F64, I32, I64, instantiateModule, OP, sleb, sleb64, uleb } from '../codecs/wasm.js';
import { MEMBER_TABLE_BYTES, MEMBER_WALK_MAX_MEMBERS, memberCheckOps, memberTable } from '../format/member-walks-wasm.js';

/** Where the walks' memory starts: after the CRC-64 loop's (codecs/crc64-wasm.ts), which shares it (codecs/shared-area.ts). */
const BASE = CRC64_BYTES;
/** Where the output's and the digest's ends are kept between calls. */
const CELL_OUT = BASE;
const CELL_DIG = BASE + 4;
const DIGITS_END = BASE + 48;
/** 10^0 … 10^22 as doubles (the exact ones), for the score reading. */
const POW10_AT = BASE + 256;
/** The input region: a listpack, at most {@link IN_CAP} bytes. */
export const IN = BASE + 65536;
export const IN_CAP = 1 << 20;
export const OUT = IN + IN_CAP + 64;
export const OUT_CAP = 4 << 20;
export const DIG = OUT + OUT_CAP + 64;
export const DIG_CAP = 4 << 20;
const OUT_END = OUT + OUT_CAP;
const DIG_END = DIG + DIG_CAP;
/** The member table of the walk's check of a set's, hash's or zset's members (format/member-walks-wasm.ts's). */
const TABLE_AT = DIG_END + 64;
/** Most members the walk checks (more: it asks JavaScript). */
export const MEMBERS_CHECKED = MEMBER_WALK_MAX_MEMBERS;
const PAGES = Math.ceil((TABLE_AT + MEMBER_TABLE_BYTES) / 65536);

/** Answers besides a count: JavaScript must write it (malformed, not handled); a region would overflow (JavaScript writes it too). */
export const ASK_JS = -1;
export const TOO_LARGE = -2;

/** Kinds of the walks: a list or set (one element an entry), a hash (two), a zset (a member and a score). */
export const KIND_ONE = 0;
export const KIND_HASH = 1;
export const KIND_ZSET = 2;

const get = (local: number): number[] => [OP.localGet, local];
const set = (local: number): number[] => [OP.localSet, local];
const tee = (local: number): number[] => [OP.localTee, local];
const i32 = (n: number): number[] => [OP.i32Const, ...sleb(n)];
const i64 = (n: bigint): number[] => [OP.i64Const, ...sleb64(n)];
const load8 = (addr: number[], offset = 0): number[] => [...addr, OP.i32Load8U, 0, offset];
const store8 = (addr: number[], value: number[], offset = 0): number[] => [...addr, ...value, OP.i32Store8, 0, offset];
const add = (local: number, n: number[] | number): number[] => [...get(local), ...(typeof n === 'number' ? i32(n) : n), OP.i32Add, ...set(local)];
const returnIf = (code: number): number[] => [OP.if, OP.void, ...i32(code), OP.return, OP.end];

class Body {
  readonly out: number[] = [];
  emit(...ops: (number | number[])[]): void {
    for (const op of ops) typeof op === 'number' ? this.out.push(op) : this.out.push(...op);
  }
}

/**
 * Copies N bytes from SRC to the address in local `dst` and advances it: up
 * to 16 bytes (most elements) as two 8-byte words, no loop; up to 64 in a
 * loop of words (up to 15 bytes past its end are written and read: the
 * regions have spare bytes); a longer run with `memory.copy`.
 */
function copy(b: Body, src: number, n: number, dst: number, j: number): void {
  b.emit(get(n), i32(16), OP.i32LeU, OP.if, OP.void);
  b.emit(get(dst), get(src), OP.i64Load, 0, 0, OP.i64Store, 0, 0, get(dst), get(src), OP.i64Load, 0, 8, OP.i64Store, 0, 8, OP.else);
  b.emit(get(n), i32(64), OP.i32GtU, OP.if, OP.void);
  b.emit(get(dst), get(src), get(n), OP.bulk, 0x0a, 0x00, 0x00);
  b.emit(OP.else, i32(0), set(j), OP.block, OP.void, OP.loop, OP.void);
  b.emit(get(j), get(n), OP.i32GeU, OP.brIf, 1);
  b.emit(get(dst), get(j), OP.i32Add, get(src), get(j), OP.i32Add, OP.i64Load, 0, 0, OP.i64Store, 0, 0);
  b.emit(add(j, 8), OP.br, 0, OP.end, OP.end, OP.end, OP.end);
  b.emit(add(dst, get(n)));
}

/**
 * `n` (local, < 2^31) as an RDB length at the address in local `dst` (advanced): one byte under 64, two
 * (`0x40 | n >> 8`, `n & 0xff`) under 16,384, else `0x80` and 32 bits big-endian, as rdbSaveLen and
 * write/rdb-out.ts `len` write it. The digest's own encoder, written apart from the output's (the digest
 * holds the output against the input's elements: write/key-list.ts).
 */
function rdbLength(b: Body, n: number, dst: number): void {
  b.emit(get(n), i32(64), OP.i32LtU, OP.if, OP.void, store8(get(dst), get(n)), add(dst, 1), OP.else);
  b.emit(get(n), i32(16384), OP.i32LtU, OP.if, OP.void);
  // The two bytes as one little-endian 16-bit word: the high 6 bits and 0x40 first, the low 8 second.
  b.emit(get(dst), get(n), i32(8), OP.i32ShrU, i32(0x40), OP.i32Or, get(n), i32(0xff), OP.i32And, i32(8), OP.i32Shl, OP.i32Or);
  b.emit(OP.i32Store16, 0, 0, add(dst, 2), OP.else, store8(get(dst), i32(0x80)));
  // The 32 bits byte-swapped into a little-endian word.
  b.emit(get(dst), get(n), i32(24), OP.i32Shl, get(n), i32(0xff00), OP.i32And, i32(8), OP.i32Shl, OP.i32Or);
  b.emit(get(n), i32(8), OP.i32ShrU, i32(0xff00), OP.i32And, OP.i32Or, get(n), i32(24), OP.i32ShrU, OP.i32Or, OP.i32Store, 0, 1);
  b.emit(add(dst, 5), OP.end, OP.end);
}

/**
 * The listpack walk: `lp(from, to, kind, dig, mask, gen)`. It also checks
 * all that the verifier's validation (format/blobs.ts `walkListpack`) checks,
 * and answers "ask JavaScript" where that would not pass: the header's byte
 * count and entry count (unless 65535), every entry's encoding, bounds and
 * back length; with `mask` (not 0), every member (a set's entry, a hash's
 * field, a zset's member) against the others in the member table of
 * generation `gen`, as format/member-walks-wasm.ts checks them (a same hash
 * asks JavaScript). So a value walked here needs no validation walk of its
 * own (write/transcode.ts `WalkedListpacks`).
 */
function lpCode(): { locals: number[]; code: number[] } {
  const [P, LPTO, KIND, DIG_ON, MASK, GEN] = [0, 1, 2, 3, 4, 5];
  const [LAST, ENC, SIZE, FROM, N, OUTP, DIGP, COUNT, PHASE, J, SRC, BL, NEXT] = [6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18];
  const [V, U] = [19, 20];
  const D = 21;
  const [W, Q, UQ] = [22, 23, 24];
  const [HELD, H32, SLOT, I, H, TO, DECL] = [25, 26, 27, 28, 29, 30, 31];
  const locals = [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I64, I64, F64, I32, I32, I64, I32, I32, I32, I32, I64, I32, I32];
  const b = new Body();
  const e = b.emit.bind(b);
  e(get(LPTO), get(P), OP.i32Sub, i32(7), OP.i32LtS, returnIf(ASK_JS));
  e(load8([...get(LPTO), ...i32(1), OP.i32Sub]), i32(0xff), OP.i32Ne, returnIf(ASK_JS));
  // The header: the listpack's bytes (32 bits), its entries (16 bits, 65535: not counted).
  e(get(P), OP.i32Load, 0, 0, get(LPTO), get(P), OP.i32Sub, OP.i32Ne, returnIf(ASK_JS), get(P), OP.i32Load16U, 0, 4, set(DECL));
  e(get(LPTO), i32(1), OP.i32Sub, set(LAST), add(P, 6));
  e(i32(CELL_OUT), OP.i32Load, 2, 0, set(OUTP), i32(CELL_DIG), OP.i32Load, 2, 0, set(DIGP));
  e(OP.block, OP.void, OP.loop, OP.void);
  e(get(P), get(LAST), OP.i32GeU, OP.brIf, 1);
  e(load8(get(P)), set(ENC), i32(0), set(FROM));
  // The entry: a string (FROM its bytes, N their count) or an integer (FROM 0, V), SIZE its bytes before the back length.
  e(get(ENC), i32(0x80), OP.i32LtU, OP.if, OP.void, get(ENC), OP.i64ExtendI32U, set(V), i32(1), set(SIZE), OP.else);
  e(get(ENC), i32(0xc0), OP.i32LtU, OP.if, OP.void);
  e(get(ENC), i32(0x3f), OP.i32And, set(N), get(N), i32(1), OP.i32Add, set(SIZE), get(P), i32(1), OP.i32Add, set(FROM), OP.else);
  e(get(ENC), i32(0xe0), OP.i32LtU, OP.if, OP.void);
  e(get(ENC), i32(0x1f), OP.i32And, i32(8), OP.i32Shl, load8(get(P), 1), OP.i32Or, i32(19), OP.i32Shl, i32(19), OP.i32ShrS);
  e(OP.i64ExtendI32S, set(V), i32(2), set(SIZE), OP.else);
  e(get(ENC), i32(0xf0), OP.i32LtU, OP.if, OP.void);
  e(get(ENC), i32(0x0f), OP.i32And, i32(8), OP.i32Shl, load8(get(P), 1), OP.i32Or, set(N), get(N), i32(2), OP.i32Add, set(SIZE));
  e(get(P), i32(2), OP.i32Add, set(FROM), OP.else);
  e(get(ENC), i32(0xf0), OP.i32Eq, OP.if, OP.void);
  // A 32-bit length: within what is left of the listpack, or JavaScript says what is wrong.
  e(get(P), OP.i32Load, 0, 1, tee(N), get(LAST), get(P), OP.i32Sub, OP.i32GtU, returnIf(ASK_JS));
  e(get(N), i32(5), OP.i32Add, set(SIZE), get(P), i32(5), OP.i32Add, set(FROM), OP.else);
  e(get(ENC), i32(0xf1), OP.i32Eq, OP.if, OP.void, get(P), OP.i64Load16S, 0, 1, set(V), i32(3), set(SIZE), OP.else);
  e(get(ENC), i32(0xf2), OP.i32Eq, OP.if, OP.void, get(P), OP.i32Load, 0, 1, i32(8), OP.i32Shl, i32(8), OP.i32ShrS, OP.i64ExtendI32S, set(V));
  e(i32(4), set(SIZE), OP.else);
  e(get(ENC), i32(0xf3), OP.i32Eq, OP.if, OP.void, get(P), OP.i64Load32S, 0, 1, set(V), i32(5), set(SIZE), OP.else);
  e(get(ENC), i32(0xf4), OP.i32Ne, returnIf(ASK_JS), get(P), OP.i64Load, 0, 1, set(V), i32(9), set(SIZE));
  e(OP.end, OP.end, OP.end, OP.end, OP.end, OP.end, OP.end, OP.end);
  // The back length's bytes BL by SIZE, as listpack.c's lpEncodeBacklen: 1 up to 127, 2 below 16,383, 3 below 2,097,151, 4
  // below 268,435,455, else 5 (blobs.ts backlenSize); the next entry after it, before the end byte.
  e(i32(1), set(BL));
  for (const limit of [128, 16383, 2097151, 268435455]) e(get(SIZE), i32(limit), OP.i32GeU, get(BL), OP.i32Add, set(BL));
  e(get(P), get(SIZE), OP.i32Add, get(BL), OP.i32Add, tee(NEXT), get(LAST), OP.i32GtU, returnIf(ASK_JS));
  // The back length says SIZE: one byte (SIZE itself), or 7 bits a byte read from the last (each with the "more" bit but
  // the first): byte NEXT − 1 − k holds bits 7k… of SIZE.
  e(get(BL), i32(1), OP.i32Eq, OP.if, OP.void, load8([...get(P), ...get(SIZE), OP.i32Add]), get(SIZE), OP.i32Ne, returnIf(ASK_JS), OP.else);
  e(i32(0), set(J), OP.loop, OP.void, load8([...get(NEXT), ...i32(1), OP.i32Sub, ...get(J), OP.i32Sub]));
  e(get(SIZE), get(J), i32(7), OP.i32Mul, OP.i32ShrU, i32(0x7f), OP.i32And, i32(0x80), i32(0), get(J), get(BL), i32(1), OP.i32Sub, OP.i32LtU);
  e(OP.select, OP.i32Or, OP.i32Ne, returnIf(ASK_JS), add(J, 1), get(J), get(BL), OP.i32LtU, OP.brIf, 0, OP.end, OP.end);
  // An integer's decimal text, before DIGITS_END.
  e(get(FROM), OP.i32Eqz, OP.if, OP.void);
  e(get(V), i64(0n), OP.i64LtS, OP.if, OP.void, i64(0n), get(V), OP.i64Sub, set(U), OP.else, get(V), set(U), OP.end);
  // One division a digit (the remainder from the quotient), in 32 bits where the magnitude fits (nearly every
  // integer entry): a 64-bit division costs several times a 32-bit one, whose divisor 10 the compiler turns into a multiply.
  e(i32(DIGITS_END), set(FROM), get(U), i64(0x100000000n), OP.i64LtU, OP.if, OP.void, get(U), OP.i32WrapI64, set(W), OP.loop, OP.void);
  e(get(FROM), i32(1), OP.i32Sub, tee(FROM), get(W), get(W), i32(10), OP.i32DivU, tee(Q), i32(10), OP.i32Mul, OP.i32Sub, i32(48), OP.i32Add);
  e(OP.i32Store8, 0, 0, get(Q), tee(W), OP.brIf, 0, OP.end, OP.else, OP.loop, OP.void);
  e(get(FROM), i32(1), OP.i32Sub, tee(FROM), get(U), get(U), i64(10n), OP.i64DivU, tee(UQ), i64(10n), OP.i64Mul, OP.i64Sub, OP.i32WrapI64);
  e(i32(48), OP.i32Add, OP.i32Store8, 0, 0, get(UQ), tee(U), i64(0n), OP.i64Ne, OP.brIf, 0, OP.end, OP.end);
  e(get(V), i64(0n), OP.i64LtS, OP.if, OP.void, get(FROM), i32(1), OP.i32Sub, tee(FROM), i32(45), OP.i32Store8, 0, 0, OP.end);
  e(i32(DIGITS_END), get(FROM), OP.i32Sub, set(N), OP.end);
  e(get(FROM), set(SRC));
  // A member (every entry of a set, the first of a hash's or zset's pair) checked against the others.
  e(get(MASK), get(PHASE), OP.i32Eqz, OP.i32And, OP.if, OP.void, get(SRC), get(N), OP.i32Add, set(TO));
  e(memberCheckOps({ from: SRC, to: TO, h: H, h32: H32, i: I, held: HELD, mask: MASK, gen: GEN, slot: SLOT }, TABLE_AT), OP.end);
  e(get(KIND), i32(KIND_ZSET), OP.i32Eq, get(PHASE), OP.i32And, OP.if, OP.void);
  // A score: a binary double, little-endian, into the output and the digest.
  e(get(ENC), i32(0x80), OP.i32LtU, get(ENC), i32(0xc0), OP.i32GeU, get(ENC), i32(0xe0), OP.i32LtU, OP.i32And, OP.i32Or);
  e(get(ENC), i32(0xf1), OP.i32GeU, OP.i32Or, OP.if, OP.void, get(V), OP.f64ConvertI64S, set(D), OP.else);
  e(get(SRC), get(SRC), get(N), OP.i32Add, OP.call, FN_SCORE, tee(D), get(D), OP.f64Ne, OP.if, OP.void);
  e(get(SRC), get(SRC), get(N), OP.i32Add, OP.call, FN_JS_SCORE, tee(D), get(D), OP.f64Ne, returnIf(ASK_JS), OP.end, OP.end);
  e(get(OUTP), i32(OUT_END - 8), OP.i32GtU, get(DIGP), i32(DIG_END - 8), OP.i32GtU, OP.i32Or, returnIf(TOO_LARGE));
  e(get(OUTP), get(D), OP.f64Store, 0, 0, add(OUTP, 8));
  e(get(DIG_ON), OP.if, OP.void, get(DIGP), get(D), OP.f64Store, 0, 0, add(DIGP, 8), OP.end, OP.else);
  // An element: its RDB length and bytes into the output, and into the digest (its own encoder).
  e(get(N), get(OUTP), OP.i32Add, i32(OUT_END - 16), OP.i32GtU, get(N), get(DIGP), OP.i32Add, i32(DIG_END - 16), OP.i32GtU, OP.i32Or);
  e(get(N), i32(0x3fffffff), OP.i32GtU, OP.i32Or, returnIf(TOO_LARGE));
  e(get(N), i32(64), OP.i32LtU, OP.if, OP.void, store8(get(OUTP), get(N)), add(OUTP, 1), OP.else);
  e(get(N), i32(16384), OP.i32LtU, OP.if, OP.void);
  e(store8(get(OUTP), [...get(N), ...i32(8), OP.i32ShrU, ...i32(0x40), OP.i32Or]), store8(get(OUTP), get(N), 1), add(OUTP, 2), OP.else);
  e(store8(get(OUTP), i32(0x80)));
  for (let k = 0; k < 4; k++) e(store8(get(OUTP), [...get(N), ...i32(24 - 8 * k), OP.i32ShrU], 1 + k));
  e(add(OUTP, 5), OP.end, OP.end);
  copy(b, SRC, N, OUTP, J);
  e(get(DIG_ON), OP.if, OP.void);
  rdbLength(b, N, DIGP);
  copy(b, SRC, N, DIGP, J);
  e(OP.end, OP.end);
  // The next element: a list or set's entry is one, a hash's or zset's two.
  e(get(KIND), OP.if, OP.void, get(PHASE), i32(1), OP.i32Xor, tee(PHASE), OP.i32Eqz, OP.if, OP.void, add(COUNT, 1), OP.end);
  e(OP.else, add(COUNT, 1), OP.end);
  e(get(NEXT), set(P), OP.br, 0, OP.end, OP.end);
  e(get(PHASE), returnIf(ASK_JS)); // an odd number of entries in a hash or zset
  // The header's count of entries (a pair is two), unless 65535.
  e(get(DECL), i32(0xffff), OP.i32Ne, get(DECL), get(COUNT), get(COUNT), OP.i32Add, get(COUNT), get(KIND), OP.select, OP.i32Ne, OP.i32And, returnIf(ASK_JS));
  e(i32(CELL_OUT), get(OUTP), OP.i32Store, 2, 0, i32(CELL_DIG), get(DIGP), OP.i32Store, 2, 0);
  e(get(COUNT));
  return { locals, code: b.out };
}

/** Function indices: the import first, then the module's own (`lp`, `score`). */
const FN_JS_SCORE = 0;
const FN_SCORE = 2;

const f64c = (x: number): number[] => [OP.f64Const, ...new Uint8Array(Float64Array.of(x).buffer)];
/** Dekker's splitter for doubles (2^27 + 1). */
const SPLIT = 134217729;

/**
 * A score's text `[from, to)` as write/transcode.ts's `shortDecimal` reads
 * it, step for step (Clinger's fast path up to 15 significant digits; 16–17
 * digits by a candidate and its exact residual, Dekker's TwoProduct; the
 * digits split into two exact doubles by their bits, not their first 9
 * decimal digits: one accumulator a digit, not two, and the same residual),
 * or NaN where that leaves it to `Number` (then the import reads it), and
 * also where the candidate is below 2^-969 (its half unit is built from its
 * bits here).
 */
function scoreCode(): { locals: number[]; code: number[] } {
  const [FROM, TO] = [0, 1];
  const [I, C, NEG, SIG, FRAC, POINT, DIGITS, , , STEP, EXP] = [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]; // 9, 10: unused
  const [M, , , BITS] = [13, 14, 15, 16]; // 14, 15: unused
  const [, P, A, LOF, Q, HALF, PH, PL, R, T, AH, AL, BH, BL, V] = [17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31]; // 17: unused
  const locals = [...Array(11).fill(I32), ...Array(4).fill(I64), ...Array(15).fill(F64)];
  const b = new Body();
  const e = b.emit.bind(b);
  const nan = [...f64c(Number.NaN), OP.return];
  const nanIf = [OP.if, OP.void, ...nan, OP.end];
  /** Returns the local `q`, negated for a text with a minus sign. */
  const signed = (q: number): number[] => [...get(q), OP.f64Neg, ...get(q), ...get(NEG), OP.select, OP.return];
  const pow10 = (index: number[]): number[] => [...index, ...i32(3), OP.i32Shl, OP.f64Load, 3, ...uleb(POW10_AT)];
  e(get(FROM), set(I));
  e(load8(get(I)), i32(0x2d), OP.i32Eq, OP.if, OP.void, i32(1), set(NEG), add(I, 1), OP.end);
  e(OP.block, OP.void, OP.loop, OP.void, get(I), get(TO), OP.i32GeU, OP.brIf, 1);
  e(load8(get(I)), tee(C), i32(48), OP.i32Sub, i32(10), OP.i32LtU, OP.if, OP.void);
  // Every digit into M (a leading zero leaves it 0: under 10^17 < 2^57 for the 17 significant digits read below, whatever
  // wraps beyond is refused by the count); SIG counts from the first nonzero one, without a branch.
  e(get(SIG), get(SIG), get(C), i32(48), OP.i32Ne, OP.i32Or, i32(0), OP.i32Ne, OP.i32Add, set(SIG));
  e(get(M), i64(10n), OP.i64Mul, get(C), i32(48), OP.i32Sub, OP.i64ExtendI32U, OP.i64Add, set(M));
  e(add(DIGITS, 1), add(FRAC, get(POINT)), OP.else);
  e(get(C), i32(0x2e), OP.i32Ne, get(POINT), OP.i32Or, nanIf, i32(1), set(POINT), OP.end);
  e(add(I, 1), OP.br, 0, OP.end, OP.end);
  e(get(DIGITS), OP.i32Eqz, get(FRAC), i32(22), OP.i32GtU, OP.i32Or, nanIf);
  e(get(SIG), i32(15), OP.i32GtU, OP.if, OP.void);
  // 16–17 significant digits: D = M = A + LOF, two exact doubles (its bits above the low 24, under 2^57, and the low 24):
  // A − PH below is then exact (Sterbenz: D ≥ 2^53, so A is within a factor 2 of PH) and A − PH + LOF = D − PH exactly, as
  // with shortDecimal's split into its first 9 decimal digits and the rest: the same residual R, bit for bit.
  e(get(SIG), i32(17), OP.i32GtU, get(FRAC), i32(20), OP.i32GtU, OP.i32Or, nanIf);
  e(pow10(get(FRAC)), set(P));
  e(get(M), i64(-(1n << 24n)), OP.i64And, OP.f64ConvertI64U, set(A), get(M), i64((1n << 24n) - 1n), OP.i64And, OP.f64ConvertI64U, set(LOF));
  e(get(A), get(LOF), OP.f64Add, tee(V), f64c(2 ** 53), OP.f64Lt, nanIf);
  e(get(V), get(P), OP.f64Div, set(Q));
  e(OP.loop, OP.void);
  e(get(STEP), i32(4), OP.i32GeU, nanIf, add(STEP, 1));
  e(get(Q), OP.i64ReinterpretF64, tee(BITS), i64((1n << 52n) - 1n), OP.i64And, tee(M), OP.i64Eqz, get(M), i64((1n << 52n) - 1n), OP.i64Eq, OP.i32Or, nanIf);
  // The edge of a binade (its ulp changes there), or a candidate too small for its half ulp's bits: left to Number.
  e(get(BITS), i64(52n), OP.i64ShrU, OP.i32WrapI64, i32(0x7ff), OP.i32And, tee(EXP), i32(54), OP.i32LtU, nanIf);
  e(get(EXP), i32(53), OP.i32Sub, OP.i64ExtendI32U, i64(52n), OP.i64Shl, OP.f64ReinterpretI64, get(P), OP.f64Mul, set(HALF)); // ulp(Q) / 2 × 10^f
  // TwoProduct(Q, P) = PH + PL exactly, then the residual R = D − Q · 10^f, as the JavaScript computes it.
  e(get(Q), get(P), OP.f64Mul, set(PH));
  e(f64c(SPLIT), get(Q), OP.f64Mul, tee(T), get(T), get(Q), OP.f64Sub, OP.f64Sub, set(AH), get(Q), get(AH), OP.f64Sub, set(AL));
  e(f64c(SPLIT), get(P), OP.f64Mul, tee(T), get(T), get(P), OP.f64Sub, OP.f64Sub, set(BH), get(P), get(BH), OP.f64Sub, set(BL));
  e(get(AH), get(BH), OP.f64Mul, get(PH), OP.f64Sub, get(AH), get(BL), OP.f64Mul, OP.f64Add, get(AL), get(BH), OP.f64Mul, OP.f64Add);
  e(get(AL), get(BL), OP.f64Mul, OP.f64Add, set(PL));
  e(get(A), get(PH), OP.f64Sub, get(LOF), OP.f64Add, get(PL), OP.f64Sub, tee(R), OP.f64Abs, tee(T), get(HALF), OP.f64Lt, OP.if, OP.void, signed(Q), OP.end);
  e(get(T), get(HALF), OP.f64Eq, OP.if, OP.void);
  e(get(BITS), i64(1n), OP.i64And, OP.i64Eqz, OP.if, OP.void, signed(Q), OP.end);
  e(OP.else, get(T), f64c(8), get(HALF), OP.f64Mul, OP.f64Gt, nanIf, OP.end);
  // Its neighbour towards R (no carry into the exponent: not a binade edge).
  e(get(BITS), i64(1n), i64(-1n), get(R), f64c(0), OP.f64Gt, OP.select, OP.i64Add, OP.f64ReinterpretI64, set(Q), OP.br, 0, OP.end);
  e(nan, OP.end);
  e(get(M), OP.f64ConvertI64U, set(V));
  e(get(FRAC), OP.if, OP.void, get(V), pow10(get(FRAC)), OP.f64Div, set(V), OP.end);
  e(signed(V));
  return { locals, code: b.out };
}

/** The walks over one memory (views of it stay valid: it never grows). */
export interface TranscodeWasm {
  readonly memory: Uint8Array;
  /** Starts a value: the output and digest regions empty. */
  reset(): void;
  /** Where the output region's bytes end (they start at {@link OUT}). */
  outEnd(): number;
  /** Where the digest region's bytes end (they start at {@link DIG}). */
  digEnd(): number;
  /**
   * The listpack at `[from, to)` of the memory: entries walked (pairs count once), or {@link ASK_JS} / {@link TOO_LARGE};
   * its members checked (`mask` not 0: {@link maskFor}, in the table of generation `gen`, {@link nextGeneration}).
   */
  lp(from: number, to: number, kind: number, dig: number, mask: number, gen: number): number;
  /** The member table's mask for `members` (at most {@link MEMBERS_CHECKED}). */
  maskFor(members: number): number;
  /** A new generation of the member table (a walk's: no walk clears it). */
  nextGeneration(): number;
  /** The score whose text is `[from, to)` of the memory, or NaN where the walk asks JavaScript. */
  score(from: number, to: number): number;
}

/**
 * Instantiates the walks, `score(memory, from, to)` reading a score's text
 * (NaN: not a number); undefined when WebAssembly is unavailable or the
 * host is big-endian (the cells are read as little-endian words).
 */
export function loadTranscodeWasm(score: (memory: Uint8Array, from: number, to: number) => number): TranscodeWasm | undefined {
  if (new Uint8Array(Uint32Array.of(1).buffer)[0] !== 1) return undefined;
  const sig = { params: [I32, I32, I32, I32, I32, I32], result: I32 };
  let memory: Uint8Array = new Uint8Array(0);
  // In the shared area's memory (its first WALKS_BYTES), where the writer's buffers and the digest's batch are too: the walk's
  // output and digest bytes go to them by memory.copy.
  const area = PAGES * 65536 <= WALKS_BYTES ? claimWalksPart() : undefined;
  const m = instantiateModule(
    {
      imports: [{ name: 'score', params: [I32, I32], result: F64 }],
      functions: [
        { name: 'lp', ...sig, ...lpCode() },
        { name: 'score', params: [I32, I32], result: F64, ...scoreCode() },
      ],
      pages: PAGES,
      importMemory: area !== undefined,
    },
    { score: (from: number, to: number) => score(memory, from, to), ...(area ? { memory: area.memory } : {}) },
  );
  if (!m) return undefined;
  // The shared area's own view (its copy knows it without asking it where it lies: codecs/shared-area.ts `knows`).
  memory = area !== undefined ? area.bytes : m.memory;
  new Float64Array(memory.buffer, POW10_AT, 23).set(Array.from({ length: 23 }, (_, i) => 10 ** i));
  const cells = new Int32Array(memory.buffer, CELL_OUT, 2);
  return {
    memory,
    reset: () => {
      cells[0] = OUT;
      cells[1] = DIG;
    },
    outEnd: () => cells[0]!,
    digEnd: () => cells[1]!,
    lp: m.exports.lp as TranscodeWasm['lp'],
    score: m.exports.score as TranscodeWasm['score'],
    ...memberTable(memory, TABLE_AT),
  };
}

/**
 * `load(score)` ({@link loadTranscodeWasm}, passed in so tests can wrap it)
 * on the first call of what this returns, not before: a process that
 * re-encodes only small values (migrate's RESTORE payloads below 192 bytes
 * walk in JavaScript) never assembles, compiles or maps the module's 9 MiB.
 */
export function transcodeWasmOnFirstUse(load: typeof loadTranscodeWasm, score: Parameters<typeof loadTranscodeWasm>[0]): () => TranscodeWasm | undefined {
  let loaded: TranscodeWasm | undefined | null = null;
  return () => (loaded === null ? (loaded = load(score)) : loaded);
}
