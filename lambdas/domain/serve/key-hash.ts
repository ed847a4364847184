/**
 * The hash a key index finds a key by (database and name bytes → 32 bits):
 * the `RDRKEYS3`, `RDRKEYS4` and `RDRKEYS5` index files' lookup section groups its keys by this hash's
 * top bits (domain/serve/index-file.ts), and an index held in memory finds
 * a name through a table of it ({@link KeyHashTable}). A hash only narrows
 * the search: every reader confirms the name's bytes before answering, so
 * two names with one hash (about 500 pairs among 2 million keys) each cost
 * a comparison more, never a wrong answer.
 *
 * FNV-1a over the database number and the name's bytes, then murmur3's
 * finalizer (so the top bits, which choose a bucket, depend on every byte).
 * Part of the files' layout: never changed for `RDRKEYS3` to `RDRKEYS5`. Hand-written:
 * the hash packages on npm take strings or whole buffers (an object or a
 * copy a key), not a range of the one names buffer.
 */

import { CRC16 as CRC16_TABLE, CRC16_2 as CRC16_2_TABLE, slotOfBytes } from '../keys/hash-slot.js';

/** The CRC16 tables held here: a TypeScript runner (tsx, the benches) reads an import through a getter each time, a byte. */
const CRC16 = CRC16_TABLE;
const CRC16_2 = CRC16_2_TABLE;

/** The hash of name `names[from, to)` in database `db` (an unsigned 32-bit number). */
export function keyHash(db: number, names: Uint8Array, from: number, to: number): number {
  let h = hashStart(db);
  for (let i = from; i < to; i++) h = Math.imul(h ^ names[i]!, FNV_PRIME);
  return hashEnd(h);
}

/** FNV-1a's multiplier: a name's byte `b` steps the hash `h` to `Math.imul(h ^ b, FNV_PRIME)` (between {@link hashStart} and {@link hashEnd}). */
const FNV_PRIME = 0x01000193;

/** The hash's state before the name's first byte: FNV-1a's offset basis stepped by the database number. */
function hashStart(db: number): number {
  return Math.imul(0x811c9dc5 ^ db, FNV_PRIME);
}

/** The hash of the state after the name's last byte: murmur3's finalizer, unsigned. */
function hashEnd(state: number): number {
  let h = state;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * {@link keyHash} of `names[from, to)` in `db`, its Redis Cluster hash slot
 * set in `slots` (a bit a slot) from the same read of its bytes: the CRC16
 * stepped beside the hash, the slot taken from it when the name has no `{`
 * (else by domain/keys/hash-slot.ts's rule, which looks for a tag).
 */
export function hashAndSlot(db: number, names: Uint8Array, from: number, to: number, slots: Uint8Array): number {
  let h = hashStart(db);
  let crc = 0;
  let brace = false;
  let i = from;
  // Two bytes a step (the CRC by hash-slot.ts's CRC16_2), then the odd last byte.
  for (; i + 2 <= to; i += 2) {
    const x = names[i]!;
    const y = names[i + 1]!;
    h = Math.imul(Math.imul(h ^ x, FNV_PRIME) ^ y, FNV_PRIME);
    crc = CRC16_2[(crc >> 8) ^ x]! ^ CRC16[(crc & 0xff) ^ y]!;
    if (x === 0x7b || y === 0x7b) brace = true;
  }
  if (i < to) {
    const x = names[i]!;
    h = Math.imul(h ^ x, FNV_PRIME);
    crc = ((crc << 8) & 0xffff) ^ CRC16[((crc >> 8) ^ x) & 0xff]!;
    if (x === 0x7b) brace = true;
  }
  const slot = brace ? slotOfBytes(names, from, to) : crc & 0x3fff;
  slots[slot >> 3]! |= 1 << (slot & 7);
  return hashEnd(h);
}

/**
 * Copies name `names[from, to)` in database `db` to `into` at `at`, writes
 * its {@link hashAndSlot}'s hash as key `k`'s (`hashes[k]`) and sets its
 * Redis Cluster hash slot in `slots` (a bit a slot, as {@link hashAndSlot}),
 * from the same read of its bytes: what the DR verifier's index places each
 * key with (key-blocks.ts), so its encoding reads no name again. The same
 * steps as {@link hashAndSlot}, the copy in its loop (a micro-benchmark of
 * 2 M names of 14–18 bytes: the copy and a pass of {@link hashAndSlot}
 * after, 0.080 CPU-s; this, 0.063); a test holds the two equal. The slot
 * goes into the 2 KiB map at once, not kept a key (2 bytes a key of fresh
 * memory and a pass over them at the encoding: bench/README.md, h56e).
 * Returns 1 when the slot's bit was not set before, else 0 (so a caller
 * counts the slots set, and once all are, places names with
 * {@link copyHash}: no slot to take).
 *
 * The bytes move four at a time: read through `from` (a DataView of
 * `names`' own bytes, `names[i]` at `from.getUint8(i)`) and written through
 * `into` (a DataView of the buffer they go to), a name's last 0–3 bytes one
 * by one; the hash and the CRC16 still step a byte at a time, from the word's
 * bytes (a micro-benchmark of 2 M names of 16 bytes into memory touched
 * before: 0.036 CPU-s a byte at a time, 0.028 a word; bench/README.md, h56u
 * of session 30).
 */
export function copyHashAndSlot(
  db: number,
  names: Uint8Array,
  from: DataView,
  nameFrom: number,
  nameTo: number,
  into: DataView,
  at: number,
  hashes: Uint32Array,
  slots: Uint8Array,
  k: number,
): number {
  let h = hashStart(db);
  let crc = 0;
  let brace = false;
  let i = nameFrom;
  let o = at;
  for (; i + 4 <= nameTo; i += 4, o += 4) {
    const w = from.getUint32(i, true);
    into.setUint32(o, w, true);
    const a = w & 0xff;
    const b = (w >>> 8) & 0xff;
    const c = (w >>> 16) & 0xff;
    const d = w >>> 24;
    h = Math.imul(Math.imul(Math.imul(Math.imul(h ^ a, FNV_PRIME) ^ b, FNV_PRIME) ^ c, FNV_PRIME) ^ d, FNV_PRIME);
    crc = CRC16_2[(crc >> 8) ^ a]! ^ CRC16[(crc & 0xff) ^ b]!;
    crc = CRC16_2[(crc >> 8) ^ c]! ^ CRC16[(crc & 0xff) ^ d]!;
    if (a === 0x7b || b === 0x7b || c === 0x7b || d === 0x7b) brace = true;
  }
  for (; i < nameTo; i++, o++) {
    const x = names[i]!;
    into.setUint8(o, x);
    h = Math.imul(h ^ x, FNV_PRIME);
    crc = ((crc << 8) & 0xffff) ^ CRC16[((crc >> 8) ^ x) & 0xff]!;
    if (x === 0x7b) brace = true;
  }
  const slot = brace ? slotOfBytes(names, nameFrom, nameTo) : crc & 0x3fff;
  const byte = slots[slot >> 3]!;
  const bit = 1 << (slot & 7);
  slots[slot >> 3] = byte | bit;
  hashes[k] = hashEnd(h);
  return (byte & bit) === 0 ? 1 : 0;
}

/**
 * {@link copyHashAndSlot} without the slot: the name copied and its hash
 * written, for a caller whose slot map has every slot set already (the
 * slot would change nothing). A file of one keyspace (no cluster's shard)
 * sets every one of the 16,384 slots within its first ~170,000 keys (by
 * chance, as coupons are collected); past them each name costs its copy
 * and FNV-1a alone (a micro-benchmark of 2 M names of 16 bytes: 0.062 →
 * 0.042 CPU-s). A cluster shard's file holds its own slots only, so its
 * map never fills: it stays with {@link copyHashAndSlot}. Its bytes move
 * four at a time as there.
 */
export function copyHash(
  db: number,
  names: Uint8Array,
  from: DataView,
  nameFrom: number,
  nameTo: number,
  into: DataView,
  at: number,
  hashes: Uint32Array,
  k: number,
): void {
  let h = hashStart(db);
  let i = nameFrom;
  let o = at;
  for (; i + 4 <= nameTo; i += 4, o += 4) {
    const w = from.getUint32(i, true);
    into.setUint32(o, w, true);
    h = Math.imul(
      Math.imul(Math.imul(Math.imul(h ^ (w & 0xff), FNV_PRIME) ^ ((w >>> 8) & 0xff), FNV_PRIME) ^ ((w >>> 16) & 0xff), FNV_PRIME) ^ (w >>> 24),
      FNV_PRIME,
    );
  }
  for (; i < nameTo; i++, o++) {
    const x = names[i]!;
    into.setUint8(o, x);
    h = Math.imul(h ^ x, FNV_PRIME);
  }
  hashes[k] = hashEnd(h);
}

/** A DataView of `bytes`' own bytes (byte `i` of `bytes` at its offset `i`): what {@link copyHash} and {@link copyHashAndSlot} read a name's words through. */
export function bytesView(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Keys a hash block holds on average: about 4 KiB of 8-byte entries (one small read a lookup). */
const PER_BUCKET = 512;

/** The bits of the hash that choose a bucket (hash block) for `keys` keys: 2^bits buckets of about {@link PER_BUCKET}. */
export function hashBitsFor(keys: number): number {
  let bits = 0;
  while (bits < 24 && keys / 2 ** bits > PER_BUCKET) bits++;
  return bits;
}

/** The bucket of `hash` among 2^`bits`. */
export function bucketOf(hash: number, bits: number): number {
  return bits === 0 ? 0 : hash >>> (32 - bits);
}

/**
 * An index's positions by hash, for an index held in memory: open
 * addressing over typed arrays (a slot: the position + 1, 0 empty; beside it
 * the key's hash, so a probe compares names only where the hashes agree).
 * Built in one pass over the keys: no sort. Position i is key `order[i]`,
 * whose name is `names[nameAt[k], nameAt[k] + nameLen[k])` in database `db[k]`.
 */
export class KeyHashTable {
  private readonly slot: Uint32Array;
  private readonly hashes: Uint32Array;
  private readonly mask: number;
  /** A position whose (database, name) an earlier position has (the first such), or -1. */
  readonly firstTwin: number;

  constructor(
    private readonly order: Uint32Array,
    private readonly names: Uint8Array,
    private readonly nameAt: Float64Array,
    private readonly nameLen: Uint32Array,
    private readonly db: Uint32Array,
  ) {
    const n = order.length;
    let size = 16;
    while (size < n * 2) size *= 2;
    this.slot = new Uint32Array(size);
    this.hashes = new Uint32Array(size);
    this.mask = size - 1;
    let twin = -1;
    for (let p = 0; p < n; p++) {
      const k = order[p]!;
      const from = nameAt[k]!;
      const to = from + nameLen[k]!;
      const h = keyHash(db[k]!, names, from, to);
      let i = h & this.mask;
      for (;;) {
        const s = this.slot[i]!;
        if (s === 0) {
          this.slot[i] = p + 1;
          this.hashes[i] = h;
          break;
        }
        // A twin (shards of two clusters served as one): the first one kept, the twin noted.
        if (this.hashes[i] === h && this.same(s - 1, db[k]!, names, from, to)) {
          if (twin < 0) twin = p;
          break;
        }
        i = (i + 1) & this.mask;
      }
    }
    this.firstTwin = twin;
  }

  /** Whether position `p`'s key is `name[from, to)` of `db`. */
  private same(p: number, db: number, name: Uint8Array, from: number, to: number): boolean {
    const k = this.order[p]!;
    if (this.db[k] !== db || this.nameLen[k] !== to - from) return false;
    const at = this.nameAt[k]! - from;
    for (let i = from; i < to; i++) if (this.names[at + i] !== name[i]) return false;
    return true;
  }

  /** The position of `name` in `db`, or -1. */
  find(db: number, name: Uint8Array): number {
    const h = keyHash(db, name, 0, name.length);
    for (let i = h & this.mask; ; i = (i + 1) & this.mask) {
      const s = this.slot[i]!;
      if (s === 0) return -1;
      if (this.hashes[i] === h && this.same(s - 1, db, name, 0, name.length)) return s - 1;
    }
  }
}
