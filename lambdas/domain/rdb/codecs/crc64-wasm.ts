/**
 * The CRC-64 slicing-by-16 loop in WebAssembly (see wasm.ts for why).
 * WebAssembly's i64 does two 64-bit loads and sixteen table lookups per 16
 * input bytes, where the JavaScript loop in crc64.ts (slicing-by-8) needs two
 * 32-bit halves and twice the lookups; sixteen bytes a step measured 12 %
 * faster than eight (bench: 1.26 vs 1.11 GB/s). Its memory (4 pages, 256 KiB)
 * holds the sixteen 256-entry tables at offset 0, the CRC state (8 bytes) after them, and a buffer for
 * input pieces after that. The state goes in and out through memory, as two
 * 32-bit halves on the JavaScript side: an i64 parameter or result would be
 * a BigInt per call, which cost more than the loop itself on the short
 * updates of a DUMP payload's checksum (rdb/format/dump-payload.ts).
 *
 * ```wat
 * (func $run (param $p i32) (param $end i32) (local …)
 *   crc = load64(STATE)
 *   ;; while p + 16 <= end: y = load64(p + 8); acc = T7[y & 255] ^ … ^ T0[y >> 56]
 *   ;;   x = crc ^ load64(p); crc = (T15[x & 255] ^ T14[x >> 8 & 255] ^ … ^ T8[x >> 56]) ^ acc; p += 16
 *   ;; while p < end:      crc = T0[(crc ^ load8(p)) & 255] ^ (crc >> 8); p += 1
 *   store64(STATE, crc))
 * ```
 */
import { claimCrc64Part } from './shared-area.js';
import { assemble, I32, I64, instantiate, instantiateModule, OP, sleb, uleb, type ModuleSpec, type WasmFunction } from './wasm.js';

const ENTRIES = 256;
const SLICES = 16;
const TABLE_BYTES = ENTRIES * SLICES * 8;
const PAGES = 4;
/** The loop's memory: the start of a shared area's (codecs/shared-area.ts), where the walks' part follows it. */
export const CRC64_BYTES = PAGES * 65536;
/** Where the CRC state is kept between calls. */
const STATE_AT = TABLE_BYTES;
/** Where input pieces are copied, and how many bytes fit there. */
const BUFFER_AT = STATE_AT + 8;
const BUFFER_BYTES = PAGES * 65536 - BUFFER_AT;

/**
 * The function body (parameters 0 p, 1 end; locals 2 x, 3 crc, 4 y as i64, then the 32-bit halves 5 xl, 6 xh,
 * 7 yl, 8 yh and 9 acc as i64).
 *
 * Two choices make it 1.2–1.4× the plain transcription of the loop (bench: 1.58 → 2.19 GB/s at best, the same
 * minutes on one pinned CPU):
 * - The eight lookups of bytes 8–15 do not depend on the CRC: they are xored first, into `acc`, so the
 *   processor runs them beside the previous step's chain, and the eight that do depend on it are xored as a
 *   tree (three levels) instead of a chain of fifteen. A step's dependency chain through the CRC is then a load
 *   and four xors instead of a load and fifteen.
 * - Table indices come from 32-bit halves, shifted and masked straight into byte offsets
 *   (`(half >>> (8k - 3)) & 0x7f8`): one shift and one mask per lookup instead of a 64-bit shift, a wrap,
 *   a mask and a multiply by eight.
 */
function code(): number[] {
  const [P, END, X, CRC, , XL, XH, YL, YH, ACC] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const out: number[] = [];
  out.push(OP.i32Const, ...sleb(STATE_AT), OP.i64Load, 3, 0, OP.localSet, CRC);
  /** Pushes the entry of table `slice` for byte `k` (0–3) of the 32-bit local `half`. */
  const lookup = (half: number, k: number, slice: number): void => {
    out.push(OP.localGet, half);
    if (k === 0) out.push(OP.i32Const, 3, OP.i32Shl);
    else out.push(OP.i32Const, ...sleb(8 * k - 3), OP.i32ShrU);
    out.push(OP.i32Const, ...sleb(0xff << 3), OP.i32And, OP.i64Load, 3, ...uleb(slice * ENTRIES * 8));
  };
  /** Byte `byte` of the 16 (little-endian: 0–7 in x, 8–15 in y) goes through table 15 - byte: 15 - byte bytes follow it. */
  const entry = (byte: number): void => {
    const b = byte % 8;
    const half = byte < 8 ? (b < 4 ? XL : XH) : b < 4 ? YL : YH;
    lookup(half, b % 4, 15 - byte);
  };
  /** The xor of the entries of bytes `first`–`first + 7`, as a tree. */
  const tree = (first: number): void => {
    for (const quad of [first, first + 4]) {
      entry(quad);
      entry(quad + 1);
      out.push(OP.i64Xor);
      entry(quad + 2);
      entry(quad + 3);
      out.push(OP.i64Xor, OP.i64Xor);
    }
    out.push(OP.i64Xor);
  };
  out.push(OP.block, OP.void, OP.loop, OP.void);
  out.push(OP.localGet, P, OP.i32Const, 16, OP.i32Add, OP.localGet, END, OP.i32GtU, OP.brIf, 1);
  out.push(OP.localGet, P, OP.i32Load, 2, 8, OP.localSet, YL, OP.localGet, P, OP.i32Load, 2, 12, OP.localSet, YH);
  tree(8);
  out.push(OP.localSet, ACC);
  out.push(OP.localGet, CRC, OP.localGet, P, OP.i64Load, 3, 0, OP.i64Xor, OP.localSet, X);
  out.push(OP.localGet, X, OP.i32WrapI64, OP.localSet, XL, OP.localGet, X, OP.i64Const, 32, OP.i64ShrU, OP.i32WrapI64, OP.localSet, XH);
  tree(0);
  out.push(OP.localGet, ACC, OP.i64Xor, OP.localSet, CRC);
  out.push(OP.localGet, P, OP.i32Const, 16, OP.i32Add, OP.localSet, P, OP.br, 0, OP.end, OP.end);
  // The remaining bytes one at a time.
  out.push(OP.block, OP.void, OP.loop, OP.void);
  out.push(OP.localGet, P, OP.localGet, END, OP.i32GeU, OP.brIf, 1);
  out.push(OP.localGet, CRC, OP.localGet, P, OP.i64Load8U, 0, 0, OP.i64Xor, OP.i32WrapI64);
  out.push(OP.i32Const, 3, OP.i32Shl, OP.i32Const, ...sleb(0xff << 3), OP.i32And, OP.i64Load, 3, 0);
  out.push(OP.localGet, CRC, OP.i64Const, 8, OP.i64ShrU, OP.i64Xor, OP.localSet, CRC);
  out.push(OP.localGet, P, OP.i32Const, 1, OP.i32Add, OP.localSet, P, OP.br, 0, OP.end, OP.end);
  out.push(OP.i32Const, ...sleb(STATE_AT), OP.localGet, CRC, OP.i64Store, 3, 0);
  return out;
}

/**
 * Adds `data[start, end)` to the 64-bit CRC state given as its low and high
 * 32-bit halves; returns the new state the same way, in `out`. Bytes in the
 * module's own memory (an {@link WasmCrc64.inputArea}) are read in place,
 * others copied in piece by piece.
 */
export type WasmCrc64Update = (lo: number, hi: number, data: Uint8Array, start: number, end: number, out: Uint32Array) => void;

/** The loop of {@link loadWasmCrc64}. */
export interface WasmCrc64 {
  readonly update: WasmCrc64Update;
  /**
   * `bytes` of the module's memory for a caller to read its input into: the
   * loop then reads it in place instead of copying it piece by piece (the
   * copy cost about a tenth of a one-thread verification's checksumming,
   * bench/verify-rdb). The memory grows by that much, once; views of it taken
   * before stay valid (they are taken after the growth).
   */
  readonly inputArea: (bytes: number) => Uint8Array;
  /** The same loop with a memory of its own (the compiled code shared: {@link WasmFunction.another}). */
  readonly another: () => WasmCrc64 | undefined;
}

/**
 * Instantiates the loop with the tables as their low and high 32-bit halves
 * (slice k's entry for byte b at `k * 256 + b`). Undefined when WebAssembly
 * is unavailable, so callers use JavaScript.
 */
export function loadWasmCrc64(lo: Uint32Array, hi: Uint32Array): WasmCrc64 | undefined {
  const area = claimCrc64Part();
  if (area !== undefined) {
    // In the shared area's memory (its first CRC64_BYTES): a file read into an input area there (a slot of it, not
    // grown) is checksummed in place and copied from by memory.copy (the walks, the writer, the digest). Another
    // instance has a memory of its own.
    const m = instantiateModule({ functions: [{ name: 'run', ...spec(lo) }], pages: PAGES, importMemory: true }, { memory: area.memory });
    const own = (): WasmFunction<(p: number, end: number) => void> | undefined => instantiate(spec(lo));
    const shared =
      m &&
      loopOf(
        {
          run: m.exports.run as (p: number, end: number) => void,
          memory: area.bytes,
          grow: () => area.bytes,
          another: own,
        },
        tableImage(lo, hi),
        (bytes) => {
          const at = area.take(bytes);
          // None left: memory of the caller's own (the loop copies it in by pieces, as any bytes outside its memory).
          return at === undefined ? new Uint8Array(bytes) : area.bytes.subarray(at, at + bytes);
        },
      );
    if (shared) return shared;
  }
  return loopOf(instantiate<(p: number, end: number) => void>(spec(lo)), tableImage(lo, hi));
}

function loopOf(
  wasm: WasmFunction<(p: number, end: number) => void> | undefined,
  tables: Uint8Array,
  slotOf?: (bytes: number) => Uint8Array | undefined,
): WasmCrc64 | undefined {
  if (!wasm) return undefined;
  const { run } = wasm;
  let memory = wasm.memory;
  memory.set(tables, 0);
  // WebAssembly memory is little-endian whatever the host.
  let view = new DataView(memory.buffer);
  const update: WasmCrc64Update = (lo, hi, data, start, end, out) => {
    view.setUint32(STATE_AT, lo, true);
    view.setUint32(STATE_AT + 4, hi, true);
    if (data.buffer === memory.buffer) run(data.byteOffset + start, data.byteOffset + end);
    else {
      for (let at = start; at < end; at += BUFFER_BYTES) {
        const piece = Math.min(BUFFER_BYTES, end - at);
        memory.set(data.subarray(at, at + piece), BUFFER_AT);
        run(BUFFER_AT, BUFFER_AT + piece);
      }
    }
    out[0] = view.getUint32(STATE_AT, true);
    out[1] = view.getUint32(STATE_AT + 4, true);
  };
  const inputArea = (bytes: number): Uint8Array => {
    const slot = slotOf?.(bytes);
    if (slot !== undefined) return slot;
    const at = memory.length;
    memory = wasm.grow(Math.ceil(bytes / 65_536));
    view = new DataView(memory.buffer);
    return memory.subarray(at, at + bytes);
  };
  return { update, inputArea, another: () => loopOf(wasm.another(), tables) };
}

function spec(tables: Uint32Array): ModuleSpec {
  if (tables.length !== ENTRIES * SLICES) throw new Error(`expected ${ENTRIES * SLICES} table entries, got ${tables.length}`);
  return { params: [I32, I32], locals: [I64, I64, I64, I32, I32, I32, I32, I64], code: code(), pages: PAGES };
}

/** The tables as the module's memory holds them from offset 0 (64-bit little-endian entries: low half, high half). */
function tableImage(lo: Uint32Array, hi: Uint32Array): Uint8Array {
  const image = new Uint8Array(TABLE_BYTES);
  const view = new DataView(image.buffer);
  for (let i = 0; i < lo.length; i++) {
    view.setUint32(i * 8, lo[i]!, true);
    view.setUint32(i * 8 + 4, hi[i]!, true);
  }
  return image;
}

/**
 * Everything another thread needs to run the same loop without this code:
 * the binary module (exports `run(p, end)` and `memory`), the bytes to put
 * at the start of its memory (the tables), where the CRC state lives (two
 * little-endian 32-bit halves, low first; zero in a fresh instance) and where
 * input pieces of at most `bufferBytes` go.
 */
export interface WasmCrc64Image {
  readonly module: Uint8Array;
  readonly tables: Uint8Array;
  readonly stateAt: number;
  readonly bufferAt: number;
  readonly bufferBytes: number;
}

/** The loop of {@link loadWasmCrc64} as a {@link WasmCrc64Image}. */
export function wasmCrc64Image(lo: Uint32Array, hi: Uint32Array): WasmCrc64Image {
  return { module: assemble(spec(lo)), tables: tableImage(lo, hi), stateAt: STATE_AT, bufferAt: BUFFER_AT, bufferBytes: BUFFER_BYTES };
}
