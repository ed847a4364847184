/**
 * The common case of {@link validateListpack} in WebAssembly (see
 * codecs/wasm.ts for why): a listpack of short entries, walked and checked
 * entry by entry, its members (every `stride`-th entry) checked for a repeat
 * in the same walk. It is an accelerator, never a judge: it answers only
 * "valid, this many entries, no member twice" or "ask JavaScript", and the
 * JavaScript walk in blobs.ts stays the one that decides and words every
 * problem. It asks JavaScript for anything it does not handle:
 * - a structural problem of any kind (JavaScript then finds and names it);
 * - an entry of more than 127 bytes (a back length of more than one byte) or
 *   a string with a 32-bit length;
 * - two members whose 32-bit hashes are equal: a repeat, or (rarely) two
 *   different members that share a hash. JavaScript's exact check decides.
 *
 * So a member twice is always sent to JavaScript: equal members hash alike.
 * Members are compared as Redis compares them, as text: an integer entry is
 * hashed as its decimal digits, so the integer 7 and the string "7" are one
 * member here as they are to Redis.
 *
 * Measured (bench/README.md, verify-rdb): on the 62,452 listpacks of the
 * everyday file's first 100 MB, the JavaScript walk took 32–40 ms with the
 * members checked, this one 21–31 ms (the walk itself is bound by each
 * entry's size depending on the byte before it, in either language: the
 * gain is in the member check); the one-thread verification of that part
 * took 0.89–0.92 of the time in one process, the whole command on the
 * everyday file 0.94 (1.26 → 1.18 s).
 *
 * Memory: the blob at 0 (copied in; at most {@link LISTPACK_WASM_MAX_BYTES}),
 * a spare 16 bytes after it (a member's last word is read whole, then
 * masked), the digits of an integer member, then the member table: 32-bit
 * hash and 32-bit generation per slot (a generation per walk, so a walk
 * does not clear the table).
 *
 * ```wat
 * (func $run (param $len i32) (param $stride i32) (param $mask i32) (param $gen i32) (result i32)
 *   ;; the entry count, or -1: ask JavaScript
 * ```
 */
import { I32, I64, instantiate, OP, sleb, sleb64 } from '../codecs/wasm.js';

/** Largest listpack walked here. */
export const LISTPACK_WASM_MAX_BYTES = 64 * 1024;
/** Most members (entries at the stride) checked here: the table has four times as many slots. */
export const LISTPACK_WASM_MAX_MEMBERS = 1 << 13;

const DIGITS_END = LISTPACK_WASM_MAX_BYTES + 48;
const TABLE_AT = LISTPACK_WASM_MAX_BYTES + 64;
const TABLE_SLOTS = 4 * LISTPACK_WASM_MAX_MEMBERS;
const PAGES = Math.ceil((TABLE_AT + TABLE_SLOTS * 8) / 65536);

// Parameters, then locals.
const LEN = 0;
const STRIDE = 1;
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
const INT = 12;
const I = 13;
const SLOT = 14;
const H32 = 15;
const NEG = 16;
const HELD = 17;
const V = 18;
const H = 19;
const LOCALS = [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I64, I64];

// Multipliers of the member hash (odd 64-bit constants from splitmix64 / xxHash).
const K1 = 0x9e3779b97f4a7c15n;
const K2 = 0xbf58476d1ce4e5b9n;
const K3 = 0x94d049bb133111ebn;

function code(): number[] {
  const out: number[] = [];
  const emit = (...ops: (number | number[])[]): void => {
    for (const op of ops) typeof op === 'number' ? out.push(op) : out.push(...op);
  };
  const get = (local: number): number[] => [OP.localGet, local];
  const set = (local: number): number[] => [OP.localSet, local];
  const i32 = (n: number): number[] => [OP.i32Const, ...sleb(n)];
  const i64 = (n: bigint): number[] => [OP.i64Const, ...sleb64(n)];
  const load8 = (addr: number[]): number[] => [...addr, OP.i32Load8U, 0, 0];
  /** `if (<condition on the stack>) return -1;` */
  const askJsIf = (): number[] => [OP.if, OP.void, ...i32(-1), OP.return, OP.end];

  // The header: total bytes, the end marker.
  emit(get(LEN), i32(7), OP.i32LtU, askJsIf());
  emit(i32(0), OP.i32Load, 2, 0, get(LEN), OP.i32Ne, askJsIf());
  emit(get(LEN), i32(1), OP.i32Sub, set(LAST));
  emit(load8(get(LAST)), i32(0xff), OP.i32Ne, askJsIf());
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
  // A member: every stride-th entry from the first.
  emit(get(STRIDE), OP.if, OP.void);
  emit(get(SKIP), OP.if, OP.void, get(SKIP), i32(1), OP.i32Sub, set(SKIP), OP.else);
  emit(get(STRIDE), i32(1), OP.i32Sub, set(SKIP));
  member(emit, get, set, i32, i64, askJsIf);
  emit(OP.end, OP.end);
  emit(get(Q), get(SIZE), OP.i32Add, i32(1), OP.i32Add, set(Q));
  emit(get(COUNT), i32(1), OP.i32Add, set(COUNT));
  emit(OP.br, 0, OP.end, OP.end);
  // The header's count, unless it says "unknown" (0xffff).
  emit(i32(4), OP.i32Load16U, 1, 0, set(I));
  emit(get(I), i32(0xffff), OP.i32Ne, get(I), get(COUNT), OP.i32Ne, OP.i32And, askJsIf());
  emit(get(COUNT));
  return out;
}

/** The member at Q (ENC, SIZE, FROM, INT set): its text hashed, then looked up and added in the table. */
function member(
  emit: (...ops: (number | number[])[]) => void,
  get: (l: number) => number[],
  set: (l: number) => number[],
  i32: (n: number) => number[],
  i64: (n: bigint) => number[],
  askJsIf: () => number[],
): void {
  const q = (plus: number): number[] => [...get(Q), ...i32(plus), OP.i32Add];
  // An integer: its value, then its decimal digits (written backwards before DIGITS_END).
  emit(get(INT), OP.if, OP.void);
  emit(get(ENC), i32(0x80), OP.i32LtU, OP.if, OP.void, get(ENC), OP.i64ExtendI32U, set(V), OP.else);
  emit(get(ENC), i32(0xe0), OP.i32LtU, OP.if, OP.void);
  emit(get(ENC), i32(0x1f), OP.i32And, i32(8), OP.i32Shl, q(1), OP.i32Load8U, 0, 0, OP.i32Or, i32(19), OP.i32Shl, i32(19), OP.i32ShrS);
  emit(OP.i64ExtendI32S, set(V), OP.else);
  emit(get(ENC), i32(0xf1), OP.i32Eq, OP.if, OP.void, q(1), OP.i64Load16S, 0, 0, set(V), OP.else);
  emit(get(ENC), i32(0xf2), OP.i32Eq, OP.if, OP.void, q(1), OP.i32Load, 0, 0, i32(8), OP.i32Shl, i32(8), OP.i32ShrS, OP.i64ExtendI32S, set(V), OP.else);
  emit(get(ENC), i32(0xf3), OP.i32Eq, OP.if, OP.void, q(1), OP.i64Load32S, 0, 0, set(V), OP.else, q(1), OP.i64Load, 0, 0, set(V), OP.end);
  emit(OP.end, OP.end, OP.end, OP.end);
  emit(get(V), i64(0n), OP.i64LtS, OP.localTee, NEG, OP.if, OP.void, i64(0n), get(V), OP.i64Sub, set(V), OP.end);
  emit(i32(DIGITS_END), OP.localTee, TO, set(FROM));
  emit(OP.loop, OP.void);
  emit(get(FROM), i32(1), OP.i32Sub, OP.localTee, FROM, get(V), i64(10n), OP.i64RemU, OP.i32WrapI64, i32(48), OP.i32Add, OP.i32Store8, 0, 0);
  emit(get(V), i64(10n), OP.i64DivU, OP.localTee, V, i64(0n), OP.i64Ne, OP.brIf, 0, OP.end);
  emit(get(NEG), OP.if, OP.void, get(FROM), i32(1), OP.i32Sub, OP.localTee, FROM, i32(45), OP.i32Store8, 0, 0, OP.end);
  emit(OP.else, get(Q), get(SIZE), OP.i32Add, set(TO), OP.end);
  // The text's hash: its length, then 8 bytes at a time (the last word masked to the text).
  emit(get(TO), get(FROM), OP.i32Sub, OP.i64ExtendI32U, i64(K1), OP.i64Mul, set(H), get(FROM), set(I));
  const mix = (): void => emit(OP.i64Xor, i64(K2), OP.i64Mul, OP.localTee, H, get(H), i64(32n), OP.i64ShrU, OP.i64Xor, set(H));
  emit(OP.block, OP.void, OP.loop, OP.void);
  emit(get(I), i32(8), OP.i32Add, get(TO), OP.i32GtU, OP.brIf, 1);
  emit(get(H), get(I), OP.i64Load, 0, 0);
  mix();
  emit(get(I), i32(8), OP.i32Add, set(I), OP.br, 0, OP.end, OP.end);
  emit(get(I), get(TO), OP.i32LtU, OP.if, OP.void);
  emit(get(H), get(I), OP.i64Load, 0, 0, i64(1n), get(TO), get(I), OP.i32Sub, i32(3), OP.i32Shl, OP.i64ExtendI32U, OP.i64Shl, i64(1n), OP.i64Sub, OP.i64And);
  mix();
  emit(OP.end);
  emit(get(H), i64(K3), OP.i64Mul, i64(32n), OP.i64ShrU, OP.i32WrapI64, set(H32));
  // Open addressing: an empty slot (another generation) takes it; the same hash goes to JavaScript. More members
  // than the header promised (a corrupt count) go to JavaScript before the table is half full.
  emit(get(HELD), i32(1), OP.i32Add, OP.localTee, HELD, i32(1), OP.i32Shl, get(MASK), OP.i32GtU, askJsIf());
  emit(get(H32), get(MASK), OP.i32And, set(I));
  emit(OP.block, OP.void, OP.loop, OP.void);
  emit(get(I), i32(3), OP.i32Shl, i32(TABLE_AT), OP.i32Add, set(SLOT));
  emit(get(SLOT), OP.i32Load, 2, 4, get(GEN), OP.i32Ne, OP.if, OP.void);
  emit(get(SLOT), get(H32), OP.i32Store, 2, 0, get(SLOT), get(GEN), OP.i32Store, 2, 4, OP.br, 2, OP.end);
  emit(get(SLOT), OP.i32Load, 2, 0, get(H32), OP.i32Eq, askJsIf());
  emit(get(I), i32(1), OP.i32Add, get(MASK), OP.i32And, set(I), OP.br, 0, OP.end, OP.end);
}

/**
 * Walks `blob` (members every `stride` entries, none when 0, expecting
 * `members` of them): the entry count when it is valid with no member twice,
 * -1 when JavaScript must walk it, -2 when it is too large for this walk.
 */
export type WasmListpack = (blob: Uint8Array, stride: number, members: number) => number;

/** Instantiates the walk; undefined when WebAssembly is unavailable. */
export function loadWasmListpack(): WasmListpack | undefined {
  const wasm = instantiate<(len: number, stride: number, mask: number, gen: number) => number>({
    params: [I32, I32, I32, I32],
    result: I32,
    locals: LOCALS,
    code: code(),
    pages: PAGES,
  });
  if (!wasm) return undefined;
  const { run, memory } = wasm;
  let gen = 0;
  return (blob, stride, members) => {
    if (blob.length > LISTPACK_WASM_MAX_BYTES || members > LISTPACK_WASM_MAX_MEMBERS) return -2;
    let mask = 0;
    if (stride !== 0) {
      let size = 16;
      while (size < 4 * members) size *= 2;
      mask = size - 1;
      if (++gen === 0x7fffffff) {
        memory.fill(0, TABLE_AT, TABLE_AT + TABLE_SLOTS * 8);
        gen = 1;
      }
    }
    memory.set(blob, 0);
    return run(blob.length, stride, mask, gen);
  };
}
