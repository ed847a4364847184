/**
 * Two XXH64 streams of different seeds over the same bytes, in one pass:
 * the 128-bit digest of write/key-list.ts (a conversion hashes every key
 * it writes, and again every key read back). xxhash-wasm (the package the
 * compressed envelope's checksum uses) computes XXH64 exactly, but a
 * stream takes its input as a view it copies into its own memory, and two
 * streams copy every batch twice and load every word twice; here the batch
 * is written straight into this module's memory by its producer and both
 * streams advance over it in one loop (the input word times PRIME64_2 shared
 * by the two). Only the stripe loop is WebAssembly; the finish (at most 31
 * bytes left, the merge and the avalanche, once per digest) is JavaScript
 * with BigInt, step for step as the specification writes it. The result is
 * XXH64 bit for bit: its test holds it against xxhash-wasm on random
 * inputs, lengths and splits.
 *
 * Memory: the eight lane accumulators (seed a's four, then seed b's) at 0,
 * the batch at {@link XXH2_BATCH}, {@link XXH2_BATCH_BYTES} long; in a slot
 * of a shared memory (codecs/shared-area.ts), the same from the slot's start.
 *
 * @see https://github.com/Cyan4973/xxHash/blob/dev/doc/xxhash_spec.md (XXH64)
 */
import { assembleModule, I32, I64, OP, sleb64, uleb } from './wasm.js';

const P1 = 0x9e3779b185ebca87n;
const P2 = 0xc2b2ae3d27d4eb4fn;
const P3 = 0x165667b19e3779f9n;
const P4 = 0x85ebca77c2b2ae63n;
const P5 = 0x27d4eb2f165667c5n;
const M64 = (1n << 64n) - 1n;

/** Where the batch starts in the module's memory (after the eight accumulators). */
export const XXH2_BATCH = 64;
/** The batch's size: bytes gathered between two runs of the stripe loop. */
export const XXH2_BATCH_BYTES = 3 * 64 * 1024;

const I64_ROTL = 0x89;

/**
 * The stripe loop: `run(from, to, acc)` takes the 32-byte stripes of memory [from, to) (to - from a multiple of 32) into
 * both streams' accumulators, at `acc` (a pair in a shared memory has its own place there).
 */
function stripeLoop(): { locals: number[]; code: number[] } {
  const FROM = 0;
  const TO = 1;
  const AT = 2;
  const X = 3;
  const ACC = 4; // 4…7: seed a's lanes, 8…11: seed b's
  const code: number[] = [];
  for (let i = 0; i < 8; i++) code.push(OP.localGet, AT, OP.i64Load, 3, ...uleb(8 * i), OP.localSet, ACC + i);
  code.push(OP.block, OP.void, OP.loop, OP.void);
  code.push(OP.localGet, FROM, OP.localGet, TO, OP.i32GeU, OP.brIf, 1);
  for (let lane = 0; lane < 4; lane++) {
    code.push(OP.localGet, FROM, OP.i64Load, 3, ...uleb(8 * lane), OP.i64Const, ...sleb64(P2), OP.i64Mul, OP.localSet, X);
    for (const acc of [ACC + lane, ACC + 4 + lane]) {
      // acc = rotl(acc + input * PRIME64_2, 31) * PRIME64_1
      code.push(OP.localGet, acc, OP.localGet, X, OP.i64Add, OP.i64Const, 31, I64_ROTL, OP.i64Const, ...sleb64(P1), OP.i64Mul, OP.localSet, acc);
    }
  }
  code.push(OP.localGet, FROM, OP.i32Const, 32, OP.i32Add, OP.localSet, FROM, OP.br, 0);
  code.push(OP.end, OP.end);
  for (let i = 0; i < 8; i++) code.push(OP.localGet, AT, OP.localGet, ACC + i, OP.i64Store, 3, ...uleb(8 * i));
  return { locals: [I64, I64, I64, I64, I64, I64, I64, I64, I64], code };
}

/** Minimal typing of the WebAssembly global (not in the ES library typings this project uses). */
declare const WebAssembly:
  | {
      Module: new (bytes: Uint8Array) => object;
      Instance: new (module: object, imports?: object) => { exports: Record<string, unknown> };
      Memory: new (d: { initial: number }) => { buffer: ArrayBuffer };
    }
  | undefined;

let compiled: object | undefined | null;

/** Pages of a pair's own memory (accumulators and batch). */
const OWN_PAGES = Math.ceil((XXH2_BATCH + XXH2_BATCH_BYTES) / 65536);
/** A pair's slot in a shared memory: its accumulators, its batch. */
export const XXH2_SLOT_BYTES = XXH2_BATCH + XXH2_BATCH_BYTES;

/** One pair of streams: its accumulators and batch in a memory of its own or a slot of a shared one. */
export interface Xxh64Pair {
  /** The whole memory the pair runs in; the batch is [{@link batch}, + {@link XXH2_BATCH_BYTES}). */
  readonly memory: Uint8Array;
  /** Where the batch starts in {@link memory}. */
  readonly batch: number;
  /** Where the eight accumulators are in {@link memory}. */
  readonly acc: number;
  /** Takes the stripes of memory [from, to) (a multiple of 32 bytes) into both streams. */
  readonly run: (from: number, to: number) => void;
}

/**
 * A new pair of streams seeded `a` and `b` (its accumulators set), or undefined where WebAssembly is unavailable: in
 * `shared` (a WebAssembly.Memory, at offset `at`: {@link XXH2_SLOT_BYTES} there) or in a memory of its own.
 */
export function xxh64Pair(a: bigint, b: bigint, shared?: { memory: object; at: number }): Xxh64Pair | undefined {
  if (compiled === undefined) {
    try {
      compiled =
        typeof WebAssembly === 'object'
          ? new WebAssembly.Module(
              assembleModule({ functions: [{ name: 'run', params: [I32, I32, I32], ...stripeLoop() }], pages: OWN_PAGES, importMemory: true }),
            )
          : null;
    } catch {
      compiled = null;
    }
  }
  if (compiled === null || typeof WebAssembly !== 'object') return undefined;
  const mem = (shared?.memory as { buffer: ArrayBuffer } | undefined) ?? new WebAssembly.Memory({ initial: OWN_PAGES });
  const acc = shared?.at ?? 0;
  // Not destructured as `exports`: in the CLI's CommonJS that name is the module's own (its constants are read through it).
  const instance = new WebAssembly.Instance(compiled, { js: { memory: mem } }).exports;
  const memory = new Uint8Array(mem.buffer);
  const dv = new DataView(memory.buffer);
  for (const [s, seed] of [a, b].entries()) {
    const lanes = [seed + P1 + P2, seed + P2, seed, seed - P1];
    for (const [i, v] of lanes.entries()) dv.setBigUint64(acc + 8 * (4 * s + i), v & M64, true);
  }
  const stripes = instance.run as (from: number, to: number, acc: number) => void;
  return { memory, batch: acc + XXH2_BATCH, acc, run: (from, to) => stripes(from, to, acc) };
}

const rotl = (v: bigint, r: bigint): bigint => ((v << r) | (v >> (64n - r))) & M64;
const mul = (x: bigint, y: bigint): bigint => (x * y) & M64;
const round = (acc: bigint, input: bigint): bigint => mul(rotl((acc + mul(input, P2)) & M64, 31n), P1);

/**
 * XXH64's finish of stream `s` (0: seed a, 1: seed b, `seed`) of a pair whose
 * stripes so far were run, with `tail` (< 32 bytes) left over and `length`
 * bytes in all.
 */
export function xxh64Finish(pair: Xxh64Pair, s: number, seed: bigint, tail: Uint8Array, length: number): bigint {
  const dv = new DataView(pair.memory.buffer);
  const v = [0, 1, 2, 3].map((i) => dv.getBigUint64(pair.acc + 8 * (4 * s + i), true));
  let h: bigint;
  if (length >= 32) {
    h = (rotl(v[0]!, 1n) + rotl(v[1]!, 7n) + rotl(v[2]!, 12n) + rotl(v[3]!, 18n)) & M64;
    for (const lane of v) h = (mul(h ^ round(0n, lane), P1) + P4) & M64;
  } else h = (seed + P5) & M64;
  h = (h + BigInt(length)) & M64;
  const t = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  let at = 0;
  for (; at + 8 <= tail.length; at += 8) h = (mul(rotl(h ^ round(0n, t.getBigUint64(at, true)), 27n), P1) + P4) & M64;
  if (at + 4 <= tail.length) {
    h = (mul(rotl(h ^ mul(BigInt(t.getUint32(at, true)), P1), 23n), P2) + P3) & M64;
    at += 4;
  }
  for (; at < tail.length; at++) h = mul(rotl(h ^ mul(BigInt(tail[at]!), P5), 11n), P1);
  h = mul(h ^ (h >> 33n), P2);
  h = mul(h ^ (h >> 29n), P3);
  return h ^ (h >> 32n);
}
