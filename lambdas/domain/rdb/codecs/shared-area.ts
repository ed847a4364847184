/**
 * One WebAssembly memory for the parts of a conversion that hand each other
 * bytes: the re-encoding walk's regions (write/transcode-wasm.ts, at its
 * start, {@link WALKS_BYTES}), the key-list digest's batches
 * (write/key-list.ts over codecs/xxh3-wasm.ts) and the writer's two
 * output buffers (write/rdb-file.ts), each a slot {@link SharedArea.take}n
 * from it. A copy from one into another is then {@link SharedArea.copy}, a
 * `memory.copy` behind one call into WebAssembly (about 10–25 ns here), not a
 * typed array's `set` of a view made for it (90–170 ns a call whatever the
 * size, most of the re-encoding's copies: bench/README.md, convert-rdb).
 *
 * The memory never grows (views of it stay valid): slots are taken from what
 * it reserves, and a part that finds none left works in memory of its own as
 * before (copies by `set`). The pages are the system's only once written.
 */
import { I32, instantiateModule, OP } from './wasm.js';

/** The CRC-64 loop's part (codecs/crc64-wasm.ts, from the start) and the walks' after it (write/transcode-wasm.ts lays its regions out there). */
export const WALKS_BYTES = 12 << 20;
/**
 * Where slots start, and what their sizes are rounded up to: a page. A file is read into one (the CRC-64 loop's input
 * area: adapters/host/crc64-thread.ts readFileChunksReused), and the kernel copies a read into page-aligned memory about
 * 4 times faster (adapters/host/crc64-thread.ts). Slots are few and large (a digest's batch, the writer's
 * buffers), so the rounding costs little room.
 */
const SLOT_ALIGN = 4096;
/** The whole memory: the walks' part, then slots (the digests' batches, the writer's buffers). */
const AREA_BYTES = 48 << 20;

/** Minimal typing of the WebAssembly global (not in the ES library typings this project uses). */
declare const WebAssembly: { Memory: new (d: { initial: number; maximum?: number }) => { buffer: ArrayBuffer } } | undefined;

/** The shared memory, its copy, and its slots. */
export interface SharedArea {
  /** The memory (a WebAssembly.Memory), for modules that import it (`js.memory`). */
  readonly memory: object;
  readonly bytes: Uint8Array;
  readonly buffer: ArrayBuffer;
  /** `memory.copy`: `n` bytes from `src` to `dst` (offsets of the memory; the two may overlap). */
  readonly copy: (dst: number, src: number, n: number) => void;
  /**
   * Whether {@link offsetOf} answers `b` without asking it for its buffer: the memory's own view ({@link bytes}) or one
   * of the last two arrays it was asked about (the chunk in hand, mostly). A typed array's `.buffer` and `.byteOffset`
   * cost about 80 ns a call here (CPU time, node 20), five times the memory.copy they would let go by.
   */
  knows(b: Uint8Array): boolean;
  /** Where `b[0]` lies in the memory, or -1 when `b` is not a view of it (the last two arrays asked about remembered). */
  offsetOf(b: Uint8Array): number;
  /** A slot of `n` bytes not in use, page-aligned ({@link SLOT_ALIGN}): its offset, or undefined when none is left. */
  take(n: number): number | undefined;
  /** Gives back the slot at `at` of `n` bytes (taken by {@link take}): for the next slot of its size, or of any size if it was the last taken. */
  give(at: number, n: number): void;
}

let area: SharedArea | undefined | null = null;

/** The process's shared area (made on first use); undefined where WebAssembly is unavailable. */
export function sharedArea(): SharedArea | undefined {
  if (area === null) area = makeArea();
  return area;
}

let walksClaimed = false;
let crcClaimed = false;

/** The shared area for the CRC-64 loop's part (its start), to the first caller only. */
export function claimCrc64Part(): SharedArea | undefined {
  if (crcClaimed) return undefined;
  crcClaimed = true;
  return sharedArea();
}

/** The shared area for the walks' part, to the first caller only (a second instance of the walks has memory of its own: the two would share regions). */
export function claimWalksPart(): SharedArea | undefined {
  if (walksClaimed) return undefined;
  walksClaimed = true;
  return sharedArea();
}

function makeArea(): SharedArea | undefined {
  if (typeof WebAssembly !== 'object') return undefined;
  try {
    const pages = AREA_BYTES / 65536;
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
    const m = instantiateModule(
      {
        functions: [{ name: 'copy', params: [I32, I32, I32], locals: [], code: [OP.localGet, 0, OP.localGet, 1, OP.localGet, 2, OP.bulk, 0x0a, 0, 0] }],
        pages,
        importMemory: true,
      },
      { memory },
    );
    if (!m) return undefined;
    let next = WALKS_BYTES;
    /** Slots given back, by size. */
    const free = new Map<number, number[]>();
    const bytes = new Uint8Array(memory.buffer);
    const buffer = memory.buffer;
    let c0: Uint8Array = bytes;
    let o0 = 0;
    let c1: Uint8Array = bytes;
    let o1 = 0;
    return {
      memory,
      bytes,
      buffer,
      knows: (b) => b === c0 || b === c1 || b === bytes,
      offsetOf(b) {
        if (b === c0) return o0;
        if (b === c1) return o1;
        if (b === bytes) return 0;
        const o = b.buffer === buffer ? b.byteOffset : -1;
        c1 = c0;
        o1 = o0;
        c0 = b;
        o0 = o;
        return o;
      },
      copy: m.exports.copy as SharedArea['copy'],
      take(n) {
        n = (n + SLOT_ALIGN - 1) & -SLOT_ALIGN;
        const again = free.get(n)?.pop();
        if (again !== undefined) return again;
        // 64 bytes spare after the last slot: the walks read whole 8-byte words up to 15 bytes past a listpack.
        if (next + n + 64 > AREA_BYTES) return undefined;
        next += n;
        return next - n;
      },
      give(at, n) {
        n = (n + SLOT_ALIGN - 1) & -SLOT_ALIGN;
        // The last slot taken: its room is had again by a slot of any size (slots given back in the order opposite to their
        // taking leave the memory as it was); any other waits for a slot of its size.
        if (at + n === next) {
          next = at;
          return;
        }
        const list = free.get(n) ?? [];
        list.push(at);
        free.set(n, list);
      },
    };
  } catch {
    return undefined;
  }
}
