/**
 * XXH3-128 (xxHash 0.8, seed 0, its default secret) of a long stream: the
 * 128-bit digest of write/key-list.ts (a conversion hashes every key it
 * writes, and again every key read back). Its stripe loop is WebAssembly
 * SIMD: each 64-byte stripe is four 128-bit lanes, each the input XOR the
 * secret, the low 32 bits of each 64-bit half times its high 32 bits
 * (`i64x2.extmul_low_i32x4_u`) added to its accumulator with the input's
 * halves swapped; one 32 × 32 → 64-bit product per 8 bytes, where the two
 * XXH64 streams the digest used before took three 64-bit products (7.6–7.8
 * GB/s in place on one CPU here, this loop 14.6–15.0: bench/README.md,
 * session 55). Hand-written because no package computes it in place in a
 * memory its producers write into (hash-wasm's XXH3-128, scalar, copies each
 * batch into its own memory first: 5.5–6.1 GB/s); the test holds it against
 * hash-wasm, bit for bit, for random lengths and splits.
 *
 * Only the long form (a stream of more than 240 bytes) is here: its
 * consumer starts every stream with 256 bytes of its own, so no stream is
 * short. The stream's stripes are taken as xxhash.h's XXH3_update takes
 * them: a batch's whole stripes but its last byte's, the accumulators
 * scrambled after every 16 stripes; the last stripe consumed kept for the
 * finish, which takes the stream's last 64 bytes with the secret at 121
 * (XXH3_digest_long) and merges the accumulators into two 64-bit halves
 * (XXH3_mergeAccs, JavaScript with BigInt, once per digest).
 *
 * Memory of a state (a slot of a shared memory, codecs/shared-area.ts, or a
 * memory of its own): the eight accumulators at 0, the last stripe consumed
 * at {@link XXH3_LAST}, the secret at {@link XXH3_SECRET_AT}, the batch at
 * {@link XXH3_BATCH}.
 *
 * @see https://github.com/Cyan4973/xxHash/blob/dev/doc/xxhash_spec.md (XXH3)
 */
import { assembleModule, I32, OP, sleb, sleb64, uleb } from './wasm.js';

/** XXH3's default secret (XXH3_kSecret, 192 bytes). */
const SECRET = Uint8Array.from(
  [
    'b8fe6c3923a44bbe7c01812cf721ad1cded46de9839097db7240a4a4b7b3671fcb79e64eccc0e578825ad07dccff7221b8084674f743248ee03590e6813a264c',
    '3c2852bb91c300cb88d0658b1b532ea371644897a20df94e3819ef46a9deacd8a8fa763fe39c343ff9dcbbc7c70b4f1d8a51e04bcdb45931c89f7ec9d9787364',
    'eac5ac8334d3ebc3c581a0fffa1363eb170ddd51b7f0da49d316552629d4689e2b16be587d47a1fc8ff8b8d17ad031ce45cb3a8f95160428afd7fbcabb4b407e',
  ]
    .join('')
    .match(/../g)!
    .map((h) => Number.parseInt(h, 16)),
);

const P32_1 = 0x9e3779b1n;
const P32_2 = 0x85ebca77n;
const P32_3 = 0xc2b2ae3dn;
const P64_1 = 0x9e3779b185ebca87n;
const P64_2 = 0xc2b2ae3d27d4eb4fn;
const P64_3 = 0x165667b19e3779f9n;
const P64_4 = 0x85ebca77c2b2ae63n;
const P64_5 = 0x27d4eb2f165667c5n;
const M64 = (1n << 64n) - 1n;

/** Bytes a stripe takes; stripes a block (the secret's 192 bytes less a stripe, 8 bytes a stripe). */
const STRIPE = 64;
const STRIPES_PER_BLOCK = 16;
/** Where the scramble's key and the last stripe's secret start in the secret (secretLimit, and it less 7). */
const SCRAMBLE_AT = 128;
const LAST_STRIPE_SECRET = SCRAMBLE_AT - 7;

/** Where the last stripe consumed, the secret and the batch lie in a state's memory (after the eight accumulators). */
const XXH3_LAST = 64;
export const XXH3_SECRET_AT = 128;
export const XXH3_BATCH = XXH3_SECRET_AT + SECRET.length;
/** The batch's size: bytes gathered between two runs of the stripe loop. */
export const XXH3_BATCH_BYTES = 3 * 64 * 1024;
/** A state's slot in a shared memory: accumulators, last stripe, secret, batch. */
export const XXH3_SLOT_BYTES = XXH3_BATCH + XXH3_BATCH_BYTES;

/** WebAssembly SIMD (the 0xfd prefix) and its 128-bit value type. */
const V128 = 0x7b;
const SIMD = {
  load: [0xfd, 0x00],
  store: [0xfd, 0x0b],
  xor: [0xfd, 0x51],
  i64x2Add: [0xfd, 0xce, 0x01],
  i64x2Mul: [0xfd, 0xd5, 0x01],
  i64x2ShrU: [0xfd, 0xcd, 0x01],
  i64x2ExtmulLowI32x4U: [0xfd, 0xde, 0x01],
  i64x2Splat: [0xfd, 0x12],
  shuffle: [0xfd, 0x0d],
} as const;
/** i8x16.shuffle lanes: the two 64-bit halves swapped; the low 32 bits of each half; the high 32 bits of each. */
const SWAP_HALVES = [8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7];
const LOW_WORDS = [0, 1, 2, 3, 8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11];
const HIGH_WORDS = [4, 5, 6, 7, 12, 13, 14, 15, 4, 5, 6, 7, 12, 13, 14, 15];

const get = (local: number): number[] => [OP.localGet, local];
const set = (local: number): number[] => [OP.localSet, local];
const i32 = (n: number): number[] => [OP.i32Const, ...sleb(n)];
/** A v128 load or store of `addr` at `offset` (byte-aligned: the input and the secret at 121 are not aligned). */
const load = (addr: number[], offset: number): number[] => [...addr, ...SIMD.load, 0, ...uleb(offset)];

/**
 * XXH3_accumulate_512 of the stripe at local `input`, the secret at local `secret`, into the accumulator locals
 * `acc[0…3]` (two 64-bit lanes each), with locals `d` and `dk` for scratch.
 */
function accumulate(input: number, secret: number, acc: readonly number[], d: number, dk: number): number[] {
  const code: number[] = [];
  for (let k = 0; k < 4; k++) {
    code.push(...load(get(input), 16 * k), ...set(d));
    code.push(...get(d), ...load(get(secret), 16 * k), ...SIMD.xor, ...set(dk));
    // acc += swap(d) + lo32(dk) * hi32(dk), each 64-bit half (xxhash.h XXH3_scalarRound: acc[i ^ 1] += d[i]).
    code.push(...get(acc[k]!), ...get(d), ...get(d), ...SIMD.shuffle, ...SWAP_HALVES, ...SIMD.i64x2Add);
    code.push(...get(dk), ...get(dk), ...SIMD.shuffle, ...LOW_WORDS, ...get(dk), ...get(dk), ...SIMD.shuffle, ...HIGH_WORDS);
    code.push(...SIMD.i64x2ExtmulLowI32x4U, ...SIMD.i64x2Add, ...set(acc[k]!));
  }
  return code;
}

/**
 * `consume(state, input, stripes, soFar)`: the `stripes` stripes at `input` into the accumulators of the state at
 * `state` (XXH3_consumeStripes), `soFar` stripes of the block taken before; returns the block's stripes taken after.
 * `last(state, input)`: the stripe at `input` with the secret at 121, no scramble (the finish's last stripe).
 */
function functions(): { name: string; params: number[]; result?: number; locals: number[]; code: number[] }[] {
  // Parameters: state, input, stripes, soFar; locals: secret (i32), four accumulators, d, dk, the scramble's prime.
  const [STATE, INPUT, STRIPES, SO_FAR, SECRET_P] = [0, 1, 2, 3, 4];
  const ACC = [5, 6, 7, 8];
  const [D, DK, PRIME] = [9, 10, 11];
  const locals = [I32, V128, V128, V128, V128, V128, V128, V128];
  const loadAcc = ACC.flatMap((a, k) => [...load(get(STATE), 16 * k), ...set(a)]);
  const storeAcc = ACC.flatMap((a, k) => [...get(STATE), ...get(a), ...SIMD.store, 0, ...uleb(16 * k)]);
  const consume: number[] = [...loadAcc, OP.i64Const, ...sleb64(P32_1), ...SIMD.i64x2Splat, ...set(PRIME)];
  consume.push(OP.block, OP.void, OP.loop, OP.void, ...get(STRIPES), OP.i32Eqz, OP.brIf, 1);
  consume.push(...get(STATE), ...i32(XXH3_SECRET_AT), OP.i32Add, ...get(SO_FAR), ...i32(3), OP.i32Shl, OP.i32Add, ...set(SECRET_P));
  consume.push(...accumulate(INPUT, SECRET_P, ACC, D, DK));
  consume.push(...get(INPUT), ...i32(STRIPE), OP.i32Add, ...set(INPUT), ...get(STRIPES), ...i32(1), OP.i32Sub, ...set(STRIPES));
  consume.push(...get(SO_FAR), ...i32(1), OP.i32Add, OP.localTee, SO_FAR, ...i32(STRIPES_PER_BLOCK), OP.i32Eq, OP.if, OP.void);
  // The block's end: each accumulator ^= itself >> 47, ^= the secret at 128, *= PRIME32_1 (XXH3_scrambleAcc).
  for (const [k, a] of ACC.entries()) {
    consume.push(...get(a), ...get(a), ...i32(47), ...SIMD.i64x2ShrU, ...SIMD.xor);
    consume.push(...load([...get(STATE), ...i32(XXH3_SECRET_AT + SCRAMBLE_AT), OP.i32Add], 16 * k), ...SIMD.xor);
    consume.push(...get(PRIME), ...SIMD.i64x2Mul, ...set(a));
  }
  consume.push(...i32(0), ...set(SO_FAR), OP.end, OP.br, 0, OP.end, OP.end, ...storeAcc, ...get(SO_FAR));
  // last(state, input): its own locals after the two parameters (the same numbering from 2 on, less the stripe counts).
  const [L_STATE, L_INPUT, L_SECRET] = [0, 1, 2];
  const L_ACC = [3, 4, 5, 6];
  const [L_D, L_DK] = [7, 8];
  const last: number[] = [...L_ACC.flatMap((a, k) => [...load(get(L_STATE), 16 * k), ...set(a)])];
  last.push(...get(L_STATE), ...i32(XXH3_SECRET_AT + LAST_STRIPE_SECRET), OP.i32Add, ...set(L_SECRET));
  last.push(...accumulate(L_INPUT, L_SECRET, L_ACC, L_D, L_DK));
  last.push(...L_ACC.flatMap((a, k) => [...get(L_STATE), ...get(a), ...SIMD.store, 0, ...uleb(16 * k)]));
  return [
    { name: 'consume', params: [I32, I32, I32, I32], result: I32, locals, code: consume },
    { name: 'last', params: [I32, I32], locals: [I32, V128, V128, V128, V128, V128, V128], code: last },
  ];
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

/** Pages of a state's own memory. */
const OWN_PAGES = Math.ceil(XXH3_SLOT_BYTES / 65536);

/** One stream's state: its accumulators, last stripe, secret and batch in a memory of its own or a slot of a shared one. */
export interface Xxh3State {
  /** The whole memory the state is in; the batch is [{@link batch}, + {@link XXH3_BATCH_BYTES}). */
  readonly memory: Uint8Array;
  /** Where the state starts in {@link memory} (its accumulators). */
  readonly at: number;
  /** Where the batch starts in {@link memory}. */
  readonly batch: number;
  /**
   * Takes the batch's first `n` bytes into the stream as xxhash.h's XXH3_update takes its input: its whole stripes but
   * the one its last byte is in (1 to 64 bytes kept back: the stream's last stripe is the finish's), the last stripe
   * taken kept beside the batch, the bytes kept back moved to the batch's start. Returns how many were kept (`n` itself
   * when it is 64 or fewer).
   */
  readonly take: (n: number) => number;
  /**
   * The digest (32 hex digits: XXH3-128's high half, then its low) of the stream whose last `n` bytes (1 to 64, after
   * {@link take}) are at the batch's start, of more than 240 bytes in all (XXH3_digest_long); the state is done after it.
   */
  readonly digest: (n: number) => string;
}

/**
 * A new stream (its accumulators and secret set), or undefined where WebAssembly or its SIMD is unavailable: in
 * `shared` (a WebAssembly.Memory, at offset `at`: {@link XXH3_SLOT_BYTES} there) or in a memory of its own.
 */
export function xxh3State(shared?: { memory: object; at: number }): Xxh3State | undefined {
  if (compiled === undefined) {
    try {
      compiled =
        typeof WebAssembly === 'object' ? new WebAssembly.Module(assembleModule({ functions: functions(), pages: OWN_PAGES, importMemory: true })) : null;
    } catch {
      compiled = null;
    }
  }
  if (compiled === null || typeof WebAssembly !== 'object') return undefined;
  const mem = (shared?.memory as { buffer: ArrayBuffer } | undefined) ?? new WebAssembly.Memory({ initial: OWN_PAGES });
  const at = shared?.at ?? 0;
  // Not destructured as `exports`: in the CLI's CommonJS that name is the module's own (its constants are read through it).
  const instance = new WebAssembly.Instance(compiled, { js: { memory: mem } }).exports;
  const memory = new Uint8Array(mem.buffer);
  const dv = new DataView(memory.buffer);
  // XXH3_INIT_ACC.
  for (const [i, v] of [P32_3, P64_1, P64_2, P64_3, P64_4, P32_2, P64_5, P32_1].entries()) dv.setBigUint64(at + 8 * i, v, true);
  memory.set(SECRET, at + XXH3_SECRET_AT);
  const consume = instance.consume as (state: number, input: number, stripes: number, soFar: number) => number;
  const lastStripe = instance.last as (state: number, input: number) => void;
  let soFar = 0;
  /** Bytes taken into the accumulators so far. */
  let taken = 0;
  const batch = at + XXH3_BATCH;
  const last = at + XXH3_LAST;
  return {
    memory,
    at,
    batch,
    take: (n) => {
      if (n <= STRIPE) return n;
      const stripes = ((n - 1) / STRIPE) | 0;
      const used = stripes * STRIPE;
      soFar = consume(at, batch, stripes, soFar);
      memory.copyWithin(last, batch + used - STRIPE, batch + used);
      memory.copyWithin(batch, batch + used, batch + n);
      taken += used;
      return n - used;
    },
    digest: (n) => {
      // The stream's last 64 bytes: the last stripe taken's last 64 − n, then the batch's n.
      memory.copyWithin(last, last + n, last + STRIPE);
      memory.copyWithin(last + STRIPE - n, batch, batch + n);
      lastStripe(at, last);
      const acc = Array.from({ length: 8 }, (_, i) => dv.getBigUint64(at + 8 * i, true));
      const len = BigInt(taken + n);
      const low = mergeAccs(acc, 11, (len * P64_1) & M64);
      const high = mergeAccs(acc, SECRET.length - 64 - 11, ~(len * P64_2) & M64);
      return `${high.toString(16).padStart(16, '0')}${low.toString(16).padStart(16, '0')}`;
    },
  };
}

const secret64 = (at: number): bigint => new DataView(SECRET.buffer).getBigUint64(at, true);

/** XXH3_mergeAccs: the accumulators folded pairwise with the secret at `secretAt` (XXH3_mix2Accs), from `start`, avalanched. */
function mergeAccs(acc: readonly bigint[], secretAt: number, start: bigint): bigint {
  let r = start;
  for (let i = 0; i < 4; i++) {
    const product = (acc[2 * i]! ^ secret64(secretAt + 16 * i)) * (acc[2 * i + 1]! ^ secret64(secretAt + 16 * i + 8));
    r = (r + ((product & M64) ^ (product >> 64n))) & M64;
  }
  r ^= r >> 37n;
  r = (r * 0x165667919e3779f9n) & M64;
  return r ^ (r >> 32n);
}
