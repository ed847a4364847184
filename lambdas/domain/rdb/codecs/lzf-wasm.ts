/**
 * LZF decompression in WebAssembly (see wasm.ts for why), for the small
 * compressed blobs (listpack, ziplist and intset nodes) that have to be
 * expanded to be validated. It makes the same checks as `lzfDecompress` in
 * lzf.ts but only reports *that* one failed; the caller re-runs the
 * JavaScript decoder for the exact message. Literal runs and back references
 * at a distance of 8 bytes or more are copied in 8-byte words (`memory.copy`
 * costs a call per run of a few bytes); closer back references byte by byte,
 * as LZF allows them to overlap their own output. Memory: compressed input at
 * 0, output at {@link MAX_BYTES}, one spare page after it for the last word.
 *
 * ```wat
 * (func $run (param $ip i32) (param $inEnd i32) (param $op i32) (param $outEnd i32) (result i32)
 *   ;; returns the bytes produced, or a negative code:
 *   ;; -1 literal past input, -2 output exceeds outEnd, -3/-4 back reference length/distance past input,
 *   ;; -5 back reference before the start of the output
 * ```
 */
import { I32, instantiate, OP, sleb } from './wasm.js';

/** Largest compressed input and output handled here; larger blobs are left to JavaScript. */
export const MAX_BYTES = 64 * 1024;

function code(): number[] {
  const [IP, IN_END, OUT, OUT_END, CTRL, LEN, REF, OUT0] = [0, 1, 2, 3, 4, 5, 6, 7];
  const get = (local: number): number[] => [OP.localGet, local];
  const set = (local: number): number[] => [OP.localSet, local];
  const add = (local: number, n: number): number[] => [...get(local), OP.i32Const, ...sleb(n), OP.i32Add, ...set(local)];
  /** `if (<condition on the stack>) return code;` */
  const failIf = (failure: number): number[] => [OP.if, OP.void, OP.i32Const, ...sleb(failure), OP.return, OP.end];
  const loadByte = (local: number): number[] => [...get(local), OP.i32Load8U, 0, 0];
  /**
   * Copies LEN bytes from `from` to OUT in 8-byte words (`from` advances; OUT
   * ends LEN bytes further). Up to 7 bytes past the end are written: the
   * output region has a spare page, and output past OUT is never read back.
   */
  const copyWords = (from: number): number[] => [
    ...get(OUT),
    ...get(LEN),
    OP.i32Add,
    ...set(CTRL), // the end of the copy (the control byte is no longer needed)
    OP.loop,
    OP.void,
    ...get(OUT),
    ...get(from),
    OP.i64Load,
    0,
    0,
    OP.i64Store,
    0,
    0,
    ...add(from, 8),
    ...add(OUT, 8),
    ...get(OUT),
    ...get(CTRL),
    OP.i32LtU,
    OP.brIf,
    0,
    OP.end,
    ...get(CTRL),
    ...set(OUT),
  ];
  return [
    ...get(OUT),
    ...set(OUT0),
    OP.block,
    OP.void,
    OP.loop,
    OP.void,
    ...get(IP),
    ...get(IN_END),
    OP.i32GeU,
    OP.brIf,
    1, // all input read
    ...loadByte(IP),
    ...set(CTRL),
    ...add(IP, 1),
    ...get(CTRL),
    OP.i32Const,
    32,
    OP.i32LtU,
    OP.if,
    OP.void,
    // Literal run of ctrl + 1 bytes.
    ...get(CTRL),
    OP.i32Const,
    1,
    OP.i32Add,
    ...set(LEN),
    ...get(IP),
    ...get(LEN),
    OP.i32Add,
    ...get(IN_END),
    OP.i32GtU,
    ...failIf(-1),
    ...get(OUT),
    ...get(LEN),
    OP.i32Add,
    ...get(OUT_END),
    OP.i32GtU,
    ...failIf(-2),
    // Copied 8 bytes at a time (at most 4 words): the few bytes past the run are overwritten by what follows.
    ...get(IP),
    ...set(REF),
    ...copyWords(REF),
    ...get(IP),
    ...get(LEN),
    OP.i32Add,
    ...set(IP),
    OP.else,
    // Back reference: length in the top 3 bits (7 = extended), 13-bit distance.
    ...get(CTRL),
    OP.i32Const,
    5,
    OP.i32ShrU,
    ...set(LEN),
    ...get(OUT),
    ...get(CTRL),
    OP.i32Const,
    31,
    OP.i32And,
    OP.i32Const,
    8,
    OP.i32Shl,
    OP.i32Sub,
    OP.i32Const,
    1,
    OP.i32Sub,
    ...set(REF),
    ...get(LEN),
    OP.i32Const,
    7,
    OP.i32Eq,
    OP.if,
    OP.void,
    ...get(IP),
    ...get(IN_END),
    OP.i32GeU,
    ...failIf(-3),
    ...get(LEN),
    ...loadByte(IP),
    OP.i32Add,
    ...set(LEN),
    ...add(IP, 1),
    OP.end,
    ...get(IP),
    ...get(IN_END),
    OP.i32GeU,
    ...failIf(-4),
    ...get(REF),
    ...loadByte(IP),
    OP.i32Sub,
    ...set(REF),
    ...add(IP, 1),
    ...add(LEN, 2),
    ...get(OUT),
    ...get(LEN),
    OP.i32Add,
    ...get(OUT_END),
    OP.i32GtU,
    ...failIf(-2),
    ...get(REF),
    ...get(OUT0),
    OP.i32LtS,
    ...failIf(-5),
    // At a distance of 8 bytes or more, a word read is all output already written: 8 bytes at a time.
    ...get(OUT),
    ...get(REF),
    OP.i32Sub,
    OP.i32Const,
    8,
    OP.i32GeU,
    OP.if,
    OP.void,
    ...copyWords(REF),
    OP.else,
    // Closer, the source overlaps what this copy writes: one byte at a time (len >= 2).
    OP.loop,
    OP.void,
    ...get(OUT),
    ...loadByte(REF),
    OP.i32Store8,
    0,
    0,
    ...add(OUT, 1),
    ...add(REF, 1),
    ...get(LEN),
    OP.i32Const,
    1,
    OP.i32Sub,
    OP.localTee,
    LEN,
    OP.brIf,
    0,
    OP.end,
    OP.end,
    OP.end,
    OP.br,
    0,
    OP.end,
    OP.end,
    ...get(OUT),
    ...get(OUT0),
    OP.i32Sub,
  ];
}

/**
 * Decompresses `input` into exactly `expectedLength` bytes: returns a view of
 * the module's memory (valid until the next call), null when the input is
 * corrupt, or undefined when the sizes exceed {@link MAX_BYTES}.
 */
export type WasmLzf = (input: Uint8Array, expectedLength: number) => Uint8Array | null | undefined;

/** Instantiates the decoder; undefined when WebAssembly is unavailable. */
export function loadWasmLzf(): WasmLzf | undefined {
  const wasm = instantiate<(ip: number, inEnd: number, out: number, outEnd: number) => number>({
    params: [I32, I32, I32, I32],
    result: I32,
    locals: [I32, I32, I32, I32],
    code: code(),
    pages: (2 * MAX_BYTES) / 65536 + 1, // + the words written past the output's end
  });
  if (!wasm) return undefined;
  const { run, memory } = wasm;
  return (input, expectedLength) => {
    if (input.length > MAX_BYTES || expectedLength > MAX_BYTES) return undefined;
    memory.set(input, 0);
    const produced = run(0, input.length, MAX_BYTES, MAX_BYTES + expectedLength);
    return produced === expectedLength ? memory.subarray(MAX_BYTES, MAX_BYTES + expectedLength) : null;
  };
}
