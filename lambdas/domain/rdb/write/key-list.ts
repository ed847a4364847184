/**
 * One digest of a file's keys in order (database, name, type, value,
 * absolute expiry of each). A conversion computes it over the keys it
 * writes and again over the keys of the written file read back, so the
 * check costs no second read of the input; only when they differ is the
 * input read again, key by key, to name the first key that differs
 * (compare's canonical digests). A key copied byte for byte is held by its
 * bytes (equal bytes, equal value: no decoding on either side); a
 * re-encoded one by its decoded value, element by element **in order**: the
 * writer writes a value's elements in the order the reader decoded them,
 * and the read-back decodes them in file order, so an ordered digest is
 * exact here and skips the canonical digest's sorting and per-key hashes
 * (most of a re-encoding conversion's time). Scores are held as doubles
 * (`1` and `1.0` are one score), as the writer stores them.
 *
 * A list, set, zset or hash is framed as its plain form (RDB types 1, 2, 5,
 * 4) frames its elements: each string an RDB length (rdbSaveLen's shortest
 * form) and its bytes, each score its 8 bytes (a little-endian double),
 * then a closing byte 0xff (no element starts with it) and the entries'
 * count, so a walk that learns the count only at the end (write/transcode.ts,
 * fed as an {@link ElementSink}) feeds the same bytes as
 * {@link KeyListDigest.addValue} of the decoded value, and a plain form read
 * back is digested by its bytes as they lie ({@link KeyListDigest.plainAt}:
 * no walk, no copy of its own), its elements framed by the file. That is
 * exact: the verifier's read of the value walked its every length, so its
 * bytes are `count` elements each an RDB length and bytes; where they equal
 * the input's framing, element boundary for boundary (each length byte the
 * input's, which is in the shortest form, read as the verifier reads it),
 * the elements are the input's. The elements' framing is written by the
 * digest's own encoders (here, and the WebAssembly walk's `rdbLength`),
 * not the writer's. Other parts' lengths (names, a stream's runs) are
 * LEB128 varints (one byte for most, not four).
 *
 * The hash is not SHA-256: nothing here needs a cryptographic property (the
 * two digests are computed by this process over bytes it wrote and read back;
 * no one chooses them to collide), only that two different key lists differ,
 * which any good 128-bit hash gives with odds of 2^-128 per comparison. It
 * is XXH3-128 (xxHash 0.8, seed 0) of a 256-byte preamble and the framed
 * bytes: about 15 GB/s in place on one core here against SHA-256's 2 GB/s
 * (SHA extensions), where SHA-256 was 7 % of a re-encoding conversion's CPU,
 * and against the 7.7 GB/s of the two seeded XXH64 streams it replaced
 * (bench/README.md, convert-rdb, session 55). Its stripe loop runs over a
 * batch gathered in its module's memory (codecs/xxh3-wasm.ts: XXH3-128 bit
 * for bit, as hash-wasm computes it, without a copy of every batch); the
 * preamble makes every stream one of XXH3's long form, the only one there.
 * compare's cross-engine fingerprints (rdb/fingerprint.ts) are not this
 * digest and are unchanged.
 */
import { type SharedArea, sharedArea } from '../codecs/shared-area.js';
import { XXH3_BATCH_BYTES, XXH3_SLOT_BYTES, type Xxh3State, xxh3State } from '../codecs/xxh3-wasm.js';
import type { KeyDigest, KeyValue } from '../fingerprint.js';
import { scoreToDouble } from './encode-value.js';
import type { ElementSink } from './transcode.js';

/** Value kinds of the ordered digest (one byte after the head). */
const KINDS = { string: 1, list: 2, set: 3, zset: 4, hash: 5, stream: 6, other: 7, 'hash-ttl': 8 } as const;
/** Bytes gathered before they go to the hash: one update per batch, not per element. */
const BATCH_BYTES = 64 * 1024;
/** What every digest's stream starts with: 256 bytes (XXH3's long form is for more than 240), a label padded with zeros. */
export const KEY_LIST_PREAMBLE = (() => {
  const p = new Uint8Array(256);
  p.set(Buffer.from('redis-dr key-list digest 1: XXH3-128 of this preamble and the keys framed (write/key-list.ts)\n', 'latin1'));
  return p;
})();

/** A key's database, expiry and name where it lies, `nameBytes[nameFrom, nameTo)` (a reader's KeyInPlace, rdb/keys.ts): what a head takes, no view made. */
export interface KeyHead {
  readonly db: number;
  readonly nameBytes: Uint8Array;
  readonly nameFrom: number;
  readonly nameTo: number;
  readonly expireAtMs: number | null;
  /** The expiry exactly where {@link expireAtMs} is rounded (past ±2^53 ms): what the writer writes. */
  readonly expireAtExact?: bigint | undefined;
  /** The name as stored when LZF-compressed or an integer (KeyInPlace.storedName): the writer copies it as it lies. */
  readonly storedName?: Uint8Array | undefined;
}

/**
 * The running digest of a sequence of keys. Each key is one framed head
 * (kind, database, expiry, name, the length of what follows) then its
 * value part: fixed-width fields and length prefixes, so no part can be
 * confused with another. The head is built in one reused buffer and hashed
 * in one call: this runs for every key of a file, twice, and per-part
 * updates with a string per key were a fifth of convert-rdb's time.
 */
export class KeyListDigest implements ElementSink {
  /** The stream; its batch is {@link buf}. */
  private readonly state: Xxh3State;
  /** Bytes not hashed yet, heads and elements, batched where the stripe loop reads them (1 to 64 left after a {@link flush}). */
  private buf: Buffer;
  /** {@link buf}'s fields written through a view (Buffer's writeUInt32BE and writeDoubleBE check their arguments per call: a head per key, twice). */
  private readonly view: DataView;
  private at = 0;
  /** Keys added. */
  keys = 0;

  /** The shared area the batch is a slot of (codecs/shared-area.ts; undefined: the stream's own memory, or the digest is done), and the slot's offset. */
  private area: SharedArea | undefined;
  private readonly slot: number;
  /** Where {@link buf} starts in the area's memory. */
  private readonly batchAt: number;
  /** The digest, once {@link hex} has made it (and given the slot back). */
  private done: string | undefined;

  /** @throws Error where WebAssembly with SIMD is unavailable or refuses the digest's module (its slot given back first) */
  constructor() {
    const area = sharedArea();
    const slot = area?.take(XXH3_SLOT_BYTES);
    const state = xxh3State(area && slot !== undefined ? { memory: area.memory, at: slot } : undefined);
    if (state === undefined) {
      if (area !== undefined && slot !== undefined) area.give(slot, XXH3_SLOT_BYTES);
      throw new Error('KeyListDigest: WebAssembly with SIMD is unavailable or refused its module (the digest runs in it)');
    }
    this.state = state;
    this.area = slot !== undefined ? area : undefined;
    this.slot = slot ?? -1;
    if (area !== undefined && slot !== undefined) slotsBack.register(this, { area, slot }, this);
    this.batchAt = state.batch;
    this.buf = Buffer.from(state.memory.buffer, state.memory.byteOffset + state.batch, XXH3_BATCH_BYTES);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    this.buf.set(KEY_LIST_PREAMBLE);
    this.at = KEY_LIST_PREAMBLE.length;
  }

  /** `b[from, to)` into the stream, through the batch (one copy). */
  private update(b: Uint8Array, from: number, to: number): void {
    if (this.done !== undefined) this.room(to - from); // throws: the batch is let go
    while (from < to) {
      const take = Math.min(to - from, this.buf.length - this.at);
      this.buf.set(b.subarray(from, from + take), this.at);
      this.at += take;
      from += take;
      this.flush();
    }
  }

  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    if (this.done !== undefined) throw new Error('KeyListDigest: written after its digest was made (hex)');
    this.flush();
    // Every caller asks for less than BATCH_BYTES + 14 (longer parts go through update).
    if (this.at + n > this.buf.length) throw new RangeError(`KeyListDigest: ${n} bytes asked of a ${this.buf.length}-byte batch`);
  }

  /** The batch into the stream but its last 1 to 64 bytes, moved to its start (Xxh3State.take). */
  private flush(): void {
    this.at = this.state.take(this.at);
  }

  private u32(n: number): void {
    this.room(4);
    const buf = this.buf;
    const at = this.at;
    buf[at] = n >>> 24;
    buf[at + 1] = n >>> 16;
    buf[at + 2] = n >>> 8;
    buf[at + 3] = n;
    this.at = at + 4;
  }

  /** A zset score. */
  f64(n: number): void {
    this.room(8);
    this.view.setFloat64(this.at, n);
    this.at += 8;
  }

  /** A length-prefixed part `b[from, to)` (a LEB128 length); a big one goes to the hash as it is (no copy), a short one is copied in a loop (no view made). */
  part(b: Uint8Array, from = 0, to = b.length): void {
    this.prefixed(false, b, from, to);
  }

  /** A part's length alone: its `n` bytes follow through {@link framed} (a part gathered from pieces: write/source-forms.ts StreamLayout). */
  partHead(n: number): void {
    this.room(5);
    this.at = varint(n, this.buf, this.at);
  }

  /** A string element's length alone, as {@link element} frames it (an RDB length): its `n` bytes follow through {@link framed} (an element in pieces). */
  elementHead(n: number): void {
    this.room(5);
    this.at = rdbLength(n, this.buf, this.at);
  }

  /** ElementSink: a string element `b[from, to)` of a collection, framed as its plain form frames it (an RDB length, then its bytes). */
  element(b: Uint8Array, from: number, to: number): void {
    this.prefixed(true, b, from, to);
  }

  /**
   * A hash's field and value; with `expireAtMs` (a hash of kind `hash-ttl`, some field of which has a TTL) the field's
   * absolute expiry after them (null: none). The one framing of a hash's field, whoever reads it (its decoded value,
   * or one walked in parts: write/ttl-hash-parts.ts).
   */
  hashField(f: Uint8Array, v: Uint8Array, expireAtMs?: number | null): void {
    this.element(f, 0, f.length);
    this.element(v, 0, v.length);
    if (expireAtMs !== undefined) this.f64(expireAtMs ?? -1);
  }

  /** `b[from, to)` after its length (`rdb`: an RDB length, else LEB128; both one byte under 64), written after one room check (one per element of a re-encoded value). */
  private prefixed(rdb: boolean, b: Uint8Array, from: number, to: number): void {
    const n = to - from;
    if (n >= BATCH_BYTES) {
      this.room(5);
      this.at = rdb ? rdbLength(n, this.buf, this.at) : varint(n, this.buf, this.at);
      this.update(b, from, to);
      return;
    }
    this.room(5 + n);
    const buf = this.buf;
    let at = this.at;
    if (n < 64) buf[at++] = n;
    else at = rdb ? rdbLength(n, buf, at) : varint(n, buf, at);
    // From the shared area (a chunk read there, codecs/shared-area.ts): one memory.copy, no view made.
    const area = this.area;
    const src = area !== undefined && (n > 32 || (n > 4 && area.knows(b))) ? area.offsetOf(b) : -1;
    if (src >= 0) area!.copy(this.batchAt + at, src + from, n);
    else if (n > 32) buf.set(b.subarray(from, to), at);
    else for (let i = from, j = at; i < to; i++) buf[j++] = b[i]!;
    this.at = at + n;
  }

  /** ElementSink: a zset's score, as its plain form holds it (8 bytes, a little-endian double). */
  score(d: number): void {
    this.room(8);
    this.view.setFloat64(this.at, d, true);
    this.at += 8;
  }

  /**
   * ElementSink: a plain list, set, zset or hash (RDB type 1, 2, 5 or 4) whose object bytes are `b[from, to)` (a file read
   * back: the verifier's read walked its every length): its kind, its elements as they lie, its count. The same bytes as
   * its elements fed one by one ({@link element}, {@link score}, {@link end}), with no walk.
   * @throws RangeError where its count is in no 6-, 14- or 32-bit form (a 64-bit count, which the writer never writes), or runs past the bytes
   */
  plainAt(kind: 'list' | 'set' | 'zset' | 'hash', b: Uint8Array, from: number, to: number): void {
    const [count, at] = plainCount(kind, b, from, to);
    this.kind(kind);
    this.framed(b, at, to);
    this.end(count);
  }

  /** {@link plainAt} of object bytes held in `parts` (KeyInPlace.parts), in order: the same digest as of their bytes joined. */
  plainPartsAt(kind: 'list' | 'set' | 'zset' | 'hash', parts: readonly Uint8Array[]): void {
    // The count's form from the first bytes (at most 5, which a first part may split).
    const head = new Uint8Array(5);
    let n = 0;
    for (const p of parts) for (let i = 0; i < p.length && n < 5; i++) head[n++] = p[i]!;
    let [count, skip] = plainCount(kind, head, 0, n);
    this.kind(kind);
    for (const p of parts) {
      const from = Math.min(skip, p.length);
      skip -= from;
      this.framed(p, from, p.length);
    }
    this.end(count);
  }

  /** ElementSink: elements framed already as {@link element} and {@link score} frame them, `b[from, to)` (the WebAssembly walk's bytes). */
  framed(b: Uint8Array, from: number, to: number): void {
    const n = to - from;
    if (n >= BATCH_BYTES) {
      this.update(b, from, to);
      return;
    }
    this.room(n);
    // The walk's bytes in the same memory as the batch (codecs/shared-area.ts): one memory.copy, no view made.
    const src = this.area !== undefined ? this.area.offsetOf(b) : -1;
    if (src >= 0) this.area!.copy(this.batchAt + this.at, src + from, n);
    else this.buf.set(b.subarray(from, to), this.at);
    this.at += n;
  }

  private text(s: string): void {
    this.part(Buffer.from(s, 'latin1'));
  }

  /** The head of a key: kind (1: by value, 2: by bytes), RDB type (by bytes), database, expiry (-1: none), name `name[from, to)`. */
  private head(kind: number, rawType: number, db: number, name: Uint8Array, from: number, to: number, expireAtMs: number | null, exact?: bigint): void {
    this.room(14);
    this.buf[this.at++] = kind;
    this.buf[this.at++] = rawType;
    this.view.setUint32(this.at, db);
    // -1: no expiry. One past ±2^53 ms its exact 64 bits (KeyHead.expireAtExact), so a writer that rounded it differs.
    if (exact !== undefined) this.view.setBigInt64(this.at + 4, exact);
    else this.view.setFloat64(this.at + 4, expireAtMs ?? -1);
    this.at += 12;
    this.part(name, from, to);
    this.keys++;
  }

  /** The head of a key digested by value; its value follows (through {@link addValue}, or as an {@link ElementSink}). */
  valueHead(db: number, name: Uint8Array, expireAtMs: number | null): void {
    this.head(1, 0, db, name, 0, name.length, expireAtMs);
  }

  /** {@link valueHead} of the key `k` (its name where it lies). */
  valueHeadAt(k: KeyHead): void {
    this.head(1, 0, k.db, k.nameBytes, k.nameFrom, k.nameTo, k.expireAtMs, k.expireAtExact);
  }

  /** ElementSink: a collection's kind. */
  kind(kind: keyof typeof KINDS): void {
    this.room(1);
    this.buf[this.at++] = KINDS[kind];
  }

  /** ElementSink: the collection ends after `count` entries (0xff, which starts no element, then the count), so its elements need no count up front. */
  end(count: number): void {
    this.room(1);
    this.buf[this.at++] = 0xff;
    this.u32(count);
  }

  /** A key by its decoded value, element by element in order (see the module's comment). */
  addValue(db: number, name: Uint8Array, value: KeyValue, expireAtMs: number | null): void {
    this.valueHead(db, name, expireAtMs);
    switch (value.type) {
      case 'string':
        this.kind('string');
        this.part(value.value);
        return;
      case 'list':
        this.kind('list');
        for (const item of value.items) this.element(item, 0, item.length);
        this.end(value.items.length);
        return;
      case 'set':
        this.kind('set');
        for (const m of value.members) this.element(m, 0, m.length);
        this.end(value.members.length);
        return;
      case 'zset':
        this.kind('zset');
        for (const [m, score] of value.entries) this.element(m, 0, m.length), this.score(scoreToDouble(score));
        this.end(value.entries.length);
        return;
      case 'hash': {
        // A field's TTL is part of the value where any field has one (a hash with none digests as a plain hash does).
        const ttls = value.fieldExpireAtMs?.some((t) => t !== null) ? value.fieldExpireAtMs : undefined;
        this.kind(ttls ? 'hash-ttl' : 'hash');
        for (let i = 0; i < value.fields.length; i++) {
          const [f, v] = value.fields[i]!;
          this.hashField(f, v, ttls ? (ttls[i] ?? null) : undefined);
        }
        this.end(value.fields.length);
        return;
      }
      case 'stream':
        this.kind('stream');
        this.u32(value.entries.length);
        for (const [id, fields] of value.entries) {
          this.text(id);
          this.u32(fields.length);
          for (const f of fields) this.part(f);
        }
        this.u32(value.groups?.length ?? 0);
        for (const g of value.groups ?? []) {
          this.part(g.name);
          this.text(g.lastDeliveredId);
          this.f64(g.pending);
        }
        return;
      case 'other':
        this.kind('other');
        this.text(value.typeName);
        this.part(value.dump);
        return;
    }
  }

  /** A key by its bytes (RDB type and object bytes): for a key copied as it is, byte equality is the check, no decoding needed. */
  addRaw(db: number, name: Uint8Array, type: number, object: Uint8Array, expireAtMs: number | null): void {
    this.head(2, type, db, name, 0, name.length, expireAtMs);
    this.part(object);
  }

  /** {@link addRaw} of the key `k` (its name where it lies) and the object bytes `b[from, to)`: no view, no copy made. */
  addRawAt(k: KeyHead, type: number, b: Uint8Array, from: number, to: number): void {
    this.head(2, type, k.db, k.nameBytes, k.nameFrom, k.nameTo, k.expireAtMs, k.expireAtExact);
    this.part(b, from, to);
  }

  /** {@link addRawAt} of object bytes held in `parts` (KeyInPlace.parts), in order: the same digest as of their bytes joined. */
  addRawParts(k: KeyHead, type: number, parts: readonly Uint8Array[]): void {
    this.head(2, type, k.db, k.nameBytes, k.nameFrom, k.nameTo, k.expireAtMs, k.expireAtExact);
    let n = 0;
    for (const p of parts) n += p.length;
    this.partHead(n);
    for (const p of parts) this.framed(p, 0, p.length);
  }

  /** The digest (32 hex digits: XXH3-128's high half, then its low); the object takes no more keys after it. */
  hex(): string {
    if (this.done !== undefined) return this.done;
    this.flush();
    // Over 240 bytes in all: the preamble's 256.
    this.done = this.state.digest(this.at);
    // The batch let go (a write after this throws, in room: none reaches the slot, which another digest may take now).
    this.buf = Buffer.alloc(0);
    this.at = 0;
    if (this.area !== undefined) {
      slotsBack.unregister(this);
      this.area.give(this.slot, XXH3_SLOT_BYTES);
      this.area = undefined;
    }
    return this.done;
  }
}

/**
 * The slot of a digest collected without its {@link KeyListDigest.hex} made (a run that failed part-way) given back, so a
 * long-lived process (a warm Lambda, `serve`) does not lose the shared area's room to digests it let go.
 */
const slotsBack = new FinalizationRegistry<{ area: SharedArea; slot: number }>(({ area, slot }) => area.give(slot, XXH3_SLOT_BYTES));

/** `n` (< 2^32) as an RDB length (rdbSaveLen's shortest form: 6-bit, 14-bit, or 0x80 and 32 bits big-endian) into `buf` at `at`; returns the offset after it. */
function rdbLength(n: number, buf: Uint8Array, at: number): number {
  if (n < 64) {
    buf[at] = n;
    return at + 1;
  }
  if (n < 16384) {
    buf[at] = 0x40 | (n >>> 8);
    buf[at + 1] = n & 0xff;
    return at + 2;
  }
  if (n > 0xffffffff) throw new RangeError(`an element of ${n} bytes`);
  buf[at] = 0x80;
  buf[at + 1] = n >>> 24;
  buf[at + 2] = n >>> 16;
  buf[at + 3] = n >>> 8;
  buf[at + 4] = n;
  return at + 5;
}

/** `n` (< 2^31) as a LEB128 varint into `buf` at `at`; returns the offset after it. */
function varint(n: number, buf: Uint8Array, at: number): number {
  while (n >= 0x80) {
    buf[at++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  buf[at++] = n;
  return at;
}

/** Keys a page of {@link KeyBits} holds: 2^16 (8 KiB of bits, 128 KiB of value lengths). */
const PAGE_SHIFT = 16;
const PAGE_KEYS = 1 << PAGE_SHIFT;
/** A value length {@link KeyBits} does not hold: unknown, or 65,535 bytes or more. */
const NO_LENGTH = 0xffff;
/**
 * Keys whose value lengths {@link KeyBits} keeps: the first 2^22 (8 MiB of them at most); the read-back walks the
 * values of later keys as ever (bounded memory for any number of keys: a bit a key past them).
 */
export const VALUE_LENGTHS_KEPT = 1 << 22;

/**
 * Which keys of a sequence were re-encoded (one bit a key): the read-back
 * digests those by value, the others by their bytes; and the byte length of
 * each key's value as written, where it is under 65,535 bytes (two bytes a
 * key, for the first {@link VALUE_LENGTHS_KEPT} keys): the read-back takes a
 * value whose bytes its digest holds by that length (RdbKeyReaderOptions.valueCheckedBefore).
 * In pages added as keys come, not one array grown by copying: a field given
 * a new array changes from constant to mutable, and V8 then threw away the
 * optimized code of the conversion's per-key visit that read it
 * (bench/README.md, convert-rdb, 2026-11-26 04:30).
 */
export class KeyBits {
  private readonly pages: Uint8Array[] = [];
  private readonly lengths: Uint16Array[] = [];
  private n = 0;

  /** Key `n` (the next): re-encoded (`on`), its value `valueBytes` long as written (-1: not known). */
  push(on: boolean, valueBytes = -1): void {
    const n = this.n;
    if ((n & (PAGE_KEYS - 1)) === 0) {
      this.pages.push(new Uint8Array(PAGE_KEYS >> 3));
      if (n < VALUE_LENGTHS_KEPT) this.lengths.push(new Uint16Array(PAGE_KEYS));
    }
    if (on) this.pages[n >>> PAGE_SHIFT]![(n & (PAGE_KEYS - 1)) >> 3]! |= 1 << (n & 7);
    if (n < VALUE_LENGTHS_KEPT) this.lengths[n >>> PAGE_SHIFT]![n & (PAGE_KEYS - 1)] = valueBytes >= 0 && valueBytes < NO_LENGTH ? valueBytes : NO_LENGTH;
    this.n = n + 1;
  }

  /** Whether key `i` was pushed `true` (false past the end). */
  get(i: number): boolean {
    return i < this.n && (this.pages[i >>> PAGE_SHIFT]![(i & (PAGE_KEYS - 1)) >> 3]! & (1 << (i & 7))) !== 0;
  }

  /** Key `i`'s value length as pushed; -1 where it was not known, not kept, or past the end. */
  valueBytes(i: number): number {
    if (i >= this.n || i >= VALUE_LENGTHS_KEPT) return -1;
    const n = this.lengths[i >>> PAGE_SHIFT]![i & (PAGE_KEYS - 1)]!;
    return n === NO_LENGTH ? -1 : n;
  }
}

/** A key's digest as one line: `hash 3f…9a expires 1900000000000` (or `no expiry`). */
export function keyEntryText(d: KeyDigest): string {
  return `${d.type} ${d.digest} ${d.expireAtMs === null ? 'no expiry' : `expires ${d.expireAtMs}`}`;
}

/** A plain form's count and where its elements start, from its object bytes `b[from, to)` (KeyListDigest.plainAt). */
function plainCount(kind: string, b: Uint8Array, from: number, to: number): [count: number, at: number] {
  const first = from < to ? b[from]! : 0xff;
  let count: number;
  let at: number;
  if (first < 0x40) (count = first), (at = from + 1);
  else if (first < 0x80) (count = ((first & 0x3f) << 8) | b[from + 1]!), (at = from + 2);
  else if (first === 0x80 && from + 5 <= to)
    (count = ((b[from + 1]! << 24) | (b[from + 2]! << 16) | (b[from + 3]! << 8) | b[from + 4]!) >>> 0), (at = from + 5);
  else throw new RangeError(`a plain ${kind}'s count starts with 0x${first.toString(16)}, a form the writer does not write`);
  if (at > to) throw new RangeError(`a plain ${kind}'s count runs past its bytes`);
  return [count, at];
}
