/**
 * A big hash with field TTLs stored field by field (RDB type 22 or 24, see
 * source-forms.ts ttlHashFields) or as a listpack of (field, value, TTL)
 * triplets (23, 25: {@link listpackTtlFields}) re-encoded from the parts a reader kept
 * (KeyInPlace.parts): as a plain hash (type 4) for a target without field
 * TTLs (`--lossy field-ttl`, or no live field has one), or in the target
 * fork's form with its TTLs (Valkey 9's 22, Redis 7.4's 24). Its fields are
 * read one by one across the parts and the output made in pieces handed to
 * the writer, the parts let go as they are passed, so the value is held about
 * once, the input's parts going as the output's pieces come (issue 55:
 * memory bounded by the largest value), never
 * decoded into one array of fields nor gathered into one copy. The
 * read-back digests such an output from its parts the same way
 * ({@link digestTtlHashParts}).
 *
 * What a server loading the input would hold is written, as
 * express.ts expressValue writes a small one: a field whose TTL passed
 * before the run's time `now` is left out, as rdb.c leaves it out on load.
 */
import { RdbFormatError } from '../errors.js';
import { backlenSize } from '../format/blobs.js';
import { bytesOf, type Element, listpackElementsOf, listpackEntry } from '../format/listpack.js';
import { PartsCursor } from '../format/value-cursor.js';
import type { KeyListDigest } from './key-list.js';
import { RdbOut } from './rdb-out.js';
import { ttlHashFields } from './source-forms.js';
import { walk } from './transcode.js';
import { lzfExpanding } from './transcode-parts.js';

/** The RDB types written: a plain hash, Valkey 9's hash with field TTLs, Redis 7.4's. */
const PLAIN_HASH = 4;
const VALKEY_TTL_HASH = 22;
const REDIS_TTL_HASH = 24;
/** Bytes of a piece handed to the writer (the last one shorter). */
const PIECE_BYTES = 1 << 20;

/** What the digest is fed: write/key-list.ts's, as its addValue feeds a hash. */
type HashSink = Pick<KeyListDigest, 'kind' | 'hashField' | 'end'>;

/** Whether RDB value `type` is a hash with field TTLs stored field by field (22: Valkey 9's, or Redis 7.4 RC's; 24: Redis 7.4's), which a big one re-encoded is walked in parts as. */
export const isTtlHashByField = (type: number): boolean => type === 22 || type === 24;

/** What {@link scanTtlHash} finds: fields live at the run's time, those of them with a TTL (the earliest: `minTtl`), fields whose TTL passed. */
export interface TtlHashScan {
  readonly live: number;
  readonly withTtl: number;
  readonly minTtl: number;
  readonly expired: number;
}

/** How the hash is written: plain (no TTLs), or in a fork's form with them. */
export type TtlHashForm = 'plain' | 'valkey' | 'redis';

const cursorOver = (parts: readonly Uint8Array[]): PartsCursor => {
  let end = 0;
  for (const p of parts) end += p.length;
  return new PartsCursor(parts, 0, end);
};

/**
 * Walks every field of the hash of RDB `type` held in `parts`, to its end. With `letGo`, `parts` (the caller's own) is
 * a walk's last: the parts behind the cursor are let go from it every 1 MiB or so, so that the bytes read are
 * collectable while the rest is read (the value then held about once, its parts going as its pieces come).
 */
function fields(type: number, valkey: boolean, parts: Uint8Array[], decode: boolean, each: Parameters<typeof ttlHashFields>[4], letGo = false): void {
  const c = cursorOver(parts);
  let next = PIECE_BYTES;
  (type === 23 || type === 25 ? listpackTtlFields : ttlHashFields)(type, valkey, c, decode, (t, f, v) => {
    each(t, f, v);
    if (letGo && c.at >= next) {
      c.letGoBehind(parts);
      next = c.at + PIECE_BYTES;
    }
  });
  if (c.at !== c.end) throw new RangeError(`${c.end - c.at} bytes after the value`);
}

/** Counts the fields of the hash of RDB `type` held in `parts` (names and values skipped, not decoded) at time `now` (ms). */
export function scanTtlHash(type: number, valkey: boolean, parts: Uint8Array[], now: number): TtlHashScan {
  let live = 0;
  let withTtl = 0;
  let minTtl = Number.POSITIVE_INFINITY;
  let expired = 0;
  fields(type, valkey, parts, false, (t) => {
    if (t !== 0 && t < now) expired++;
    else {
      live++;
      if (t !== 0) {
        withTtl++;
        if (t < minTtl) minTtl = t;
      }
    }
  });
  return { live, withTtl, minTtl, expired };
}

/**
 * Writes the fields of the hash of RDB `type` held in `parts` live at `now` in `form` (`scan`: its {@link scanTtlHash}):
 * each piece to `to.piece`, then the key closed with its head (the count; Redis's earliest TTL before it) and type
 * (`to.piecesWritten`); each field, value and (with TTLs) absolute expiry into `sink`, as KeyListDigest.addValue feeds
 * the hash written. Returns the RDB type written.
 */
export function writeTtlHashFromParts(
  type: number,
  valkey: boolean,
  parts: Uint8Array[],
  now: number,
  form: TtlHashForm,
  scan: TtlHashScan,
  to: { piece(bytes: Uint8Array): void; piecesWritten(type: number, head: Uint8Array): void },
  sink: HashSink,
): number {
  if (form === 'redis' && scan.withTtl === 0) throw new RangeError('no live field of the hash has a TTL: write it as a plain hash');
  const min = scan.minTtl;
  let out = new RdbOut(PIECE_BYTES + 64);
  let count = 0;
  sink.kind(form === 'plain' ? 'hash' : 'hash-ttl');
  fields(
    type,
    valkey,
    parts,
    true,
    (t, f, v) => {
      if (t !== 0 && t < now) return;
      // Relative to the earliest expiry, plus 1 (0: none), as Redis 7.4 stores it; absolute (-1: none) as Valkey 9 does.
      if (form === 'redis') out.len(t === 0 ? 0 : t - min + 1);
      out.string(f!).string(v!);
      if (form === 'valkey') out.int64(t === 0 ? -1 : t);
      sink.hashField(f!, v!, form === 'plain' ? undefined : t === 0 ? null : t);
      count++;
      if (out.length >= PIECE_BYTES) {
        to.piece(out.view()); // this buffer is the piece's: a new one follows
        out = new RdbOut(PIECE_BYTES + 64);
      }
    },
    true,
  );
  if (out.length > 0) to.piece(out.view());
  sink.end(count);
  const head = new RdbOut(24);
  if (form === 'redis') head.int64(min);
  const written = form === 'plain' ? PLAIN_HASH : form === 'valkey' ? VALKEY_TTL_HASH : REDIS_TTL_HASH;
  to.piecesWritten(written, head.len(count).take());
  return written;
}

/**
 * A hash with field TTLs of RDB `type` read back in `parts` (a big one a conversion wrote) into `sink` as
 * KeyListDigest.addValue feeds its decoded value: every field it holds (none left out), with each field's expiry
 * where any field has one. Two walks of the parts: whether any field has a TTL, then the fields.
 */
export function digestTtlHashParts(type: number, valkey: boolean, parts: Uint8Array[], sink: HashSink): void {
  let anyTtl = false;
  fields(type, valkey, parts, false, (t) => {
    if (t !== 0) anyTtl = true;
  });
  let count = 0;
  sink.kind(anyTtl ? 'hash-ttl' : 'hash');
  fields(
    type,
    valkey,
    parts,
    true,
    (t, f, v) => {
      sink.hashField(f!, v!, anyTtl ? (t === 0 ? null : t) : undefined);
      count++;
    },
    true,
  );
  sink.end(count);
}

/**
 * {@link ttlHashFields} of a hash with field TTLs in listpack form (23: Redis 7.4's release candidates; 25: the same
 * after the hash's earliest expiry), at `c`: its (field, value, TTL) triplets walked entry by entry across the parts
 * ({@link listpackEntriesInParts}), the TTL an absolute expiry in ms (0: none), as source-forms.ts hashFieldTtls reads a
 * small one. The parser validated it (format/parse-hashes.ts).
 */
function listpackTtlFields(type: number, _valkey: boolean, c: PartsCursor, decode: boolean, each: Parameters<typeof ttlHashFields>[4]): void {
  if (type === 25) c.skip(8);
  let field: Element | undefined;
  let value: Element | undefined;
  const n = listpackEntriesInParts(
    c,
    (i) => decode || i % 3 === 2,
    (i, e) => {
      const k = i % 3;
      if (k === 0) field = e;
      else if (k === 1) value = e;
      else each(ttlOf(e!), decode ? bytesOf(field!) : undefined, decode ? bytesOf(value!) : undefined);
    },
  );
  if (n % 3 !== 0) throw new RdbFormatError(`hash listpack with TTLs of ${n} elements, not a multiple of 3`);
}

const ttlOf = (e: Element): number => (typeof e === 'object' ? Number(e.toString('latin1')) : Number(e));

/**
 * The entries of the listpack at `c` (an RDB string, the value's last bytes) walked one by one across the parts, each
 * decoded from its own bytes (format/listpack.ts) where `decode(i)` asks, into `each` (undefined where not decoded);
 * returns how many. An LZF-compressed one is expanded as it is walked (transcode-parts.ts lzfExpanding: the expansion's
 * pieces let go behind each entry; the compressed parts by the caller as the cursor passes them), neither its
 * compressed body nor its expansion held whole. The parser validated it.
 */
export function listpackEntriesInParts(c: PartsCursor, decode: (i: number, size: number) => boolean, each: EntryVisit): number {
  if (c.peek() === 0xc3) {
    const x = lzfExpanding(c, undefined);
    const n = entriesAt(x.e, 6, x.plain - 1, decode, each, x.ensure, x.pieces);
    x.finish();
    return n;
  }
  if (c.peek() >> 6 === 3) {
    // An integer-encoded string: no listpack (refused as a small one is).
    const all = listpackElementsOf(c.string());
    for (let i = 0; i < all.length; i++) each(i, all[i], c, c.at, 0);
    return all.length;
  }
  const n = c.length();
  const last = c.at + n - 1;
  if (n < 7 || c.view(last, last + 1)[0] !== 0xff) throw new RdbFormatError(`a listpack of ${n} bytes without its header and end byte`);
  const count = entriesAt(c, c.at + 6, last, decode, each);
  c.at = last + 1;
  return count;
}

/**
 * Entry `i` of a listpack walked in parts: decoded (`e`), or, where the walk's `decode` did not ask for it, its bytes
 * (encoding head, data) at `[at, at + size)` of `c`, which lie there (made, for an expansion) until the next entry.
 */
export type EntryVisit = (i: number, e: Element | undefined, c: PartsCursor, at: number, size: number) => void;

/**
 * The entries at `[p, last)` of `c` (`last`: the listpack's end byte) into `each`; `ensure` makes the bytes up to an
 * offset there (an expansion's), whose `pieces` are let go behind each entry.
 */
function entriesAt(
  c: PartsCursor,
  p: number,
  last: number,
  decode: (i: number, size: number) => boolean,
  each: EntryVisit,
  ensure: (upto: number) => void = () => {},
  pieces?: Uint8Array[],
): number {
  const one: Element[] = [];
  let i = 0;
  for (; p < last; i++) {
    ensure(Math.min(p + 9, last));
    const probe = c.view(p, Math.min(p + 9, last));
    const size = walk.entryAt(probe, 0);
    if (size > probe.length) ensure(p + size);
    if (decode(i, size)) {
      const entry = size <= probe.length ? probe : c.view(p, p + size);
      one.length = 0;
      listpackEntry(entry, new DataView(entry.buffer, entry.byteOffset, entry.byteLength), 0, one);
      each(i, one[0], c, p, size);
    } else each(i, undefined, c, p, size);
    p += size + backlenSize(size);
    if (p > last) throw new RdbFormatError(`listpack entry ${i} runs past its end`);
    c.at = p;
    if (pieces !== undefined) c.letGoBehind(pieces);
  }
  return i;
}
