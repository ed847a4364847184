/**
 * The duplicate-key check's inner loop (`firstRepeat` in key-digests.ts) in
 * WebAssembly (see codecs/wasm.ts for why): one shard's records (four 32-bit
 * words each: three digest lanes and the database) inserted in order into an
 * open-addressing table of four-word slots, word 3 holding the database + 1
 * so that 0 marks a free slot, the same table and probe order as
 * `firstRepeat` (its first slot from slotOf); the first record already there is the first duplicate.
 * The check runs once per verification, at its end, on the critical path of
 * both threads of a split one: in JavaScript its loop was still unoptimized
 * code for much of a run (25–35 ms for each half of 1,000,000 keys, two
 * threads; bench/README.md, verify-rdb).
 *
 * Memory: the shard's records copied in at 0, the table after them; grown
 * to the largest shard checked.
 *
 * ```wat
 * (func $run (param $records i32) (param $mask i32) (param $table i32) (result i32)
 *   ;; the database + 1 of the first record seen before, or 0: none
 * ```
 */
import { I32, instantiate, OP, sleb, type WasmFunction } from '../codecs/wasm.js';

/** The database's multiplier in key-digests.ts slotOf (2^32 / φ, as int32): one constant for both loops. */
export const SLOT_MIX = 0x9e3779b1 | 0;

const N = 0;
const MASK = 1;
const TABLE = 2;
const AT = 3;
const END = 4;
const J = 5;
const H1 = 6;
const H2 = 7;
const H3 = 8;
const TAG = 9;
const T = 10;
const WRAP = 11;
const SLOT = 12;

function code(): number[] {
  const out: number[] = [];
  const emit = (...ops: (number | number[])[]): void => {
    for (const op of ops) typeof op === 'number' ? out.push(op) : out.push(...op);
  };
  const get = (local: number): number[] => [OP.localGet, local];
  const set = (local: number): number[] => [OP.localSet, local];
  const i32 = (n: number): number[] => [OP.i32Const, ...sleb(n)];
  const load = (local: number, offset: number): number[] => [...get(local), OP.i32Load, 2, offset];
  emit(get(N), i32(4), OP.i32Shl, set(END));
  // Slots are 16 bytes: the byte offset of slot i is i << 4, the next one wraps within the table.
  emit(get(MASK), i32(4), OP.i32Shl, i32(15), OP.i32Or, set(WRAP));
  emit(OP.block, OP.void, OP.loop, OP.void);
  emit(get(AT), get(END), OP.i32GeU, OP.brIf, 1);
  emit(load(AT, 0), set(H1), load(AT, 4), set(H2), load(AT, 8), set(H3), load(AT, 12), i32(1), OP.i32Add, set(TAG));
  // The first slot: key-digests.ts slotOf, the first lane mixed with the database + 1.
  emit(get(H1), get(TAG), i32(SLOT_MIX), OP.i32Mul, OP.i32Xor, get(MASK), OP.i32And, i32(4), OP.i32Shl, set(J));
  emit(OP.block, OP.void, OP.loop, OP.void);
  emit(get(TABLE), get(J), OP.i32Add, set(SLOT));
  emit(load(SLOT, 12), OP.localTee, T, OP.i32Eqz, OP.if, OP.void);
  emit(get(SLOT), get(H1), OP.i32Store, 2, 0, get(SLOT), get(H2), OP.i32Store, 2, 4);
  emit(get(SLOT), get(H3), OP.i32Store, 2, 8, get(SLOT), get(TAG), OP.i32Store, 2, 12, OP.br, 2, OP.end);
  // The same record: every word equal (the tag first, the likeliest to differ after the probe's own bits).
  emit(get(T), get(TAG), OP.i32Eq, load(SLOT, 0), get(H1), OP.i32Eq, OP.i32And);
  emit(load(SLOT, 4), get(H2), OP.i32Eq, OP.i32And, load(SLOT, 8), get(H3), OP.i32Eq, OP.i32And);
  emit(OP.if, OP.void, get(TAG), OP.return, OP.end);
  emit(get(J), i32(16), OP.i32Add, get(WRAP), OP.i32And, set(J), OP.br, 0, OP.end, OP.end);
  emit(get(AT), i32(16), OP.i32Add, set(AT), OP.br, 0, OP.end, OP.end);
  emit(i32(0));
  return out;
}

/**
 * The first record of `parts` (one shard's records, in the order added)
 * already seen among those before it: its database, or -1 when none is.
 */
export type WasmDigestCheck = (parts: readonly Uint32Array[]) => number;

type Run = (records: number, mask: number, table: number) => number;

/**
 * The module assembled and compiled once per process, its first instance kept only to make the others from
 * ({@link WasmFunction.another}: the compiled code shared). Every verification used to assemble and compile it anew:
 * in the test suite's split checks, thousands of parsers, 0.6 of 7 CPU-s.
 */
let compiled: WasmFunction<Run> | undefined;

/** Instantiates the check (a new memory each time: it grows to the largest shard); undefined when WebAssembly is unavailable. */
export function loadWasmDigestCheck(): WasmDigestCheck | undefined {
  // The records are copied in as the bytes of their 32-bit words, which WebAssembly reads little-endian.
  if (new Uint8Array(Uint32Array.of(1).buffer)[0] !== 1) return undefined;
  compiled ??= instantiate<Run>({
    params: [I32, I32, I32],
    result: I32,
    locals: [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32],
    code: code(),
    pages: 1,
  });
  const wasm = compiled?.another();
  if (!wasm) return undefined;
  const { run } = wasm;
  let memory = wasm.memory;
  return (parts) => {
    let records = 0;
    for (const p of parts) records += p.length >>> 2;
    let slots = 16;
    while (slots < 2 * records) slots *= 2;
    const table = records * 16;
    const end = table + slots * 16;
    if (end > memory.length) memory = wasm.grow(Math.ceil((end - memory.length) / 65536));
    let at = 0;
    for (const p of parts) {
      memory.set(new Uint8Array(p.buffer, p.byteOffset, (p.length >>> 2) * 16), at);
      at += (p.length >>> 2) * 16;
    }
    memory.fill(0, table, end);
    const tag = run(records, slots - 1, table) >>> 0;
    return tag === 0 ? -1 : tag - 1;
  };
}
