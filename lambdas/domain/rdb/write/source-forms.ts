/**
 * What the canonical value leaves out, read from a key's own bytes where a
 * conversion needs it: a hash's field TTLs (RDB types 22–25), and a stream
 * rewritten for an older stream type (21 → 19 → 15) with its consumer
 * groups, pending entries and consumers intact.
 *
 * The payload has passed the verifier (its structure and CRC-64) before it
 * gets here; a malformed one is refused with the reader's RdbFormatError.
 *
 * Layouts: Redis's src/rdb.c (`rdbSaveObject` for streams and hashes with
 * field expiry), Valkey 9's hash with field expiration; the same the reader
 * (format/parse-streams.ts, format/parse-hashes.ts) takes apart.
 */
import { RdbFormatError } from '../errors.js';
import { DUMP_FOOTER_BYTES } from '../format/dump-payload.js';
import { bytesOf } from '../format/listpack.js';
import type { KeyValue } from '../fingerprint.js';
import { streamIdsAt, streamInfoAt } from '../format/stream-info.js';
import { entriesReadText } from '../format/stream-ids.js';
import { Cursor, decodeDumpPayload, listpackElements, type StreamInfo } from '../format/value.js';
import type { HashWithTtls } from './encode-value.js';
import { RdbOut } from './rdb-out.js';

/** The first stream type of each layout: listpacks (5.0), listpacks 2 (7.0: ids and lag), listpacks 3 (7.2: consumers' active time). */
export const STREAM_1 = 15;
export const STREAM_2 = 19;
export const STREAM_3 = 21;

const cursorOf = (payload: Uint8Array): Cursor => new Cursor(payload, 1, payload.length - DUMP_FOOTER_BYTES);

function done(c: Cursor): void {
  if (c.at !== c.end) throw new RdbFormatError(`${c.end - c.at} bytes after the value`);
}

const num = (n: bigint | number): number => Number(n);

/**
 * The fields of a hash with field TTLs (a DUMP payload of type 22–25) with
 * each field's absolute expiry (0: none); `valkey` for a payload from a
 * `VALKEY` file, whose 22 is Valkey's.
 * @throws RdbFormatError for another type or a malformed payload
 */
export function hashFieldTtls(payload: Uint8Array, valkey: boolean): HashWithTtls {
  const type = payload[0]!;
  const c = cursorOf(payload);
  const fields: [Buffer, Buffer][] = [];
  const expireAt: number[] = [];
  if (type === 22 && valkey) {
    for (let n = c.length(); n > 0; n--) {
      fields.push([c.string(), c.string()]);
      c.skip(8);
      const t = new DataView(payload.buffer, payload.byteOffset + c.at - 8, 8).getBigInt64(0, true);
      expireAt.push(t < 0n ? 0 : num(t));
    }
  } else if (type === 22 || type === 24) {
    let min = 0;
    if (type === 24) {
      c.skip(8);
      min = num(new DataView(payload.buffer, payload.byteOffset + c.at - 8, 8).getBigUint64(0, true));
    }
    for (let n = c.length(); n > 0; n--) {
      const ttl = num(c.bigLength());
      expireAt.push(type === 24 && ttl !== 0 ? ttl + min - 1 : ttl);
      fields.push([c.string(), c.string()]);
    }
  } else if (type === 23 || type === 25) {
    if (type === 25) c.skip(8);
    const elements = listpackElements(c.string());
    if (elements.length % 3 !== 0) throw new RdbFormatError(`hash listpack with TTLs of ${elements.length} elements, not a multiple of 3`);
    for (let i = 0; i < elements.length; i += 3) {
      fields.push([bytesOf(elements[i]!), bytesOf(elements[i + 1]!)]);
      const t = elements[i + 2]!;
      expireAt.push(typeof t === 'object' ? Number(t.toString('latin1')) : num(t));
    }
  } else throw new RdbFormatError(`RDB type ${type} is not a hash with field TTLs`);
  done(c);
  return { fields, expireAt };
}

/** Whether RDB value `type` is a hash with field TTLs (Redis 22–25; Valkey 9's 22). */
export const isHashWithTtls = (type: number): boolean => type >= 22 && type <= 25;

/**
 * The fields of `h` still live at `now` (ms), and how many had expired: a
 * field whose expiry is before `now` is gone, as Redis 7.4 has it (t_hash.c
 * hashTypeIsExpired, `expireAt < now`; rdb.c leaves such fields out on load,
 * and the key when none is left) and Valkey 9 alike.
 */
export function liveFieldsAt(h: HashWithTtls, now: number): { readonly live: HashWithTtls; readonly expired: number } {
  if (!h.expireAt.some((t) => t !== 0 && t < now)) return { live: h, expired: 0 };
  const fields: (readonly [Buffer, Buffer])[] = [];
  const expireAt: number[] = [];
  h.expireAt.forEach((t, i) => {
    if (t !== 0 && t < now) return;
    fields.push(h.fields[i]!);
    expireAt.push(t);
  });
  return { live: { fields, expireAt }, expired: h.fields.length - fields.length };
}

/**
 * A stream's object bytes (a DUMP payload of type 15, 19 or 21) rewritten
 * as type `to` (15 or 19, not newer than the payload's): the nodes, length,
 * last id, groups, pending entries and consumers copied byte for byte; what
 * the older layout lacks left out, as an older server never had it: (from
 * 19) the first id, the max deleted id, entries added and each group's
 * entries read, which Redis 7.0 recomputes when it loads a 5.0 stream (the
 * lag XINFO reports may then be unknown); (from 21) each consumer's active
 * time, which Redis 7.2 takes from its seen time when it loads an older one.
 * @throws RdbFormatError for another type or a malformed payload
 */
export function downgradeStream(payload: Uint8Array, to: number): Uint8Array {
  const out = new RdbOut(payload.length);
  downgradeStreamInto(payload[0]!, payload, 1, payload.length - DUMP_FOOTER_BYTES, to, out);
  return out.take();
}

/**
 * {@link downgradeStream} of a stream of RDB type `from` whose object bytes
 * are `b[at, end)` (where a reader found them: no payload built), written
 * into `out` (a conversion's file buffer: no copy of it made first).
 * @throws RdbFormatError for another type or a malformed value
 */
export function downgradeStreamInto(from: number, b: Uint8Array, at: number, end: number, to: number, out: RdbOut): void {
  if (from !== STREAM_1 && from !== STREAM_2 && from !== STREAM_3) throw new RdbFormatError(`RDB type ${from} is not a stream of listpacks`);
  if (to !== STREAM_1 && to !== STREAM_2) throw new RdbFormatError(`stream type ${to} is not an older stream layout`);
  const c = new Cursor(b, at, end);
  let mark = c.at;
  /** Copies the bytes read since the last mark. */
  const keep = (): void => {
    out.bytes(b, mark, c.at);
    mark = c.at;
  };
  /** Leaves out what is read by `read`. */
  const drop = (read: () => void): void => {
    keep();
    read();
    mark = c.at;
  };
  for (let nodes = c.length(); nodes > 0; nodes--) {
    // Copied as they are: skipped, not decoded (a compressed node is not expanded).
    c.skipString();
    c.skipString();
  }
  c.length(); // length
  c.bigLength(); // last id
  c.bigLength();
  if (from >= STREAM_2) {
    const ids = (): void => {
      for (let i = 0; i < 5; i++) c.bigLength(); // first id, max deleted id, entries added
    };
    if (to < STREAM_2) drop(ids);
    else ids();
  }
  for (let groups = c.length(); groups > 0; groups--) {
    c.skipString();
    c.bigLength();
    c.bigLength();
    if (from >= STREAM_2) {
      if (to < STREAM_2)
        drop(() => c.bigLength()); // entries read
      else c.bigLength();
    }
    for (let pending = c.length(); pending > 0; pending--) {
      c.skip(16 + 8);
      c.bigLength();
    }
    for (let consumers = c.length(); consumers > 0; consumers--) {
      c.skipString();
      c.skip(8); // seen time
      if (from >= STREAM_3) drop(() => c.skip(8)); // active time
      c.skip(16 * c.length());
    }
  }
  keep();
  done(c);
}

const idText = (id: readonly [bigint, bigint]): string => `${id[0]}-${id[1]}`;

/**
 * What of a stream (RDB type 19 or 21, its object bytes `b[at, end)`) a
 * server loading it as type 15 would not get back, named (none: the older
 * layout expresses it exactly): its entries added, largest deleted id,
 * groups' entries read and (an empty stream's) recorded first id, which
 * Redis 7.0 derives from the entries of a type 15 (format/value.ts
 * streamInfoAt) instead of reading them. Those are what XINFO STREAM and
 * XINFO GROUPS report (compare's fingerprint covers the first three:
 * fingerprint.ts StreamMeta and StreamGroup).
 * @throws RdbFormatError for a malformed value
 */
export function streamIdsLostAt(type: number, b: Uint8Array, at: number, end: number): string[] {
  const { held, loaded } = streamIdsAt(type, b, at, end);
  const lost: string[] = [];
  if (held.entriesAdded !== loaded.entriesAdded) lost.push(`entries-added ${held.entriesAdded} (would be ${loaded.entriesAdded})`);
  if (idText(held.maxDeletedId) !== idText(loaded.maxDeletedId))
    lost.push(`max-deleted-entry-id ${idText(held.maxDeletedId)} (would be ${idText(loaded.maxDeletedId)})`);
  // An empty stream's recorded first id (XINFO STREAM recorded-first-entry-id: 0-0 as XGROUP CREATE … MKSTREAM
  // leaves it) is no entry's: a type 15 derives none (2^64-1-2^64-1). A stream with entries has its first live one's.
  if (held.length === 0 && idText(held.firstId) !== idText(loaded.firstId))
    lost.push(`recorded-first-entry-id ${idText(held.firstId)} (would be ${idText(loaded.firstId)})`);
  held.groups.forEach((g, i) => {
    const other = loaded.groups[i]!.entriesRead;
    if (g.entriesRead !== other)
      lost.push(`group ${g.name.toString('latin1')} entries-read ${entriesReadText(g.entriesRead)} (would be ${entriesReadText(other)})`);
  });
  return lost;
}

/**
 * A newer stream's value (a DUMP payload of type 19 or 21) as a server holds
 * it once it was written as type 15 (`--lossy stream-ids`): its entries and
 * groups, with the entries added, largest deleted id and groups' entries
 * read that server derives (what compare's fingerprint holds of them).
 * @throws RdbFormatError for another type or a malformed payload
 */
export function asLoadedFromType15(payload: Uint8Array): KeyValue {
  const value = decodeDumpPayload(payload);
  if (value.type !== 'stream' || !value.meta) throw new RdbFormatError(`RDB type ${payload[0]} is not a stream of listpacks`);
  const s = streamInfoAt(payload[0]!, payload, 1, payload.length - DUMP_FOOTER_BYTES, true);
  const groups = value.groups?.map((g, i) => ({ ...g, entriesRead: entriesReadText(s.groups[i]!.entriesRead) }));
  return { ...value, ...(groups ? { groups } : {}), meta: { ...value.meta, entriesAdded: String(s.entriesAdded), maxDeletedId: idText(s.maxDeletedId) } };
}

/** A stream's entries added, largest deleted id and groups' entries read, as one text (stored, or as a server derives them of a type 15). */
function streamIdsText(s: StreamInfo): string {
  return [
    String(s.entriesAdded),
    idText(s.maxDeletedId),
    ...(s.length === 0 ? [idText(s.firstId)] : []),
    ...s.groups.map((g) => entriesReadText(g.entriesRead)),
  ].join(' ');
}

/** What {@link digestStreamAt} feeds: write/transcode.ts's ElementSink (a digest). */
interface StreamSink {
  kind(kind: 'stream'): void;
  part(b: Uint8Array, from: number, to: number): void;
}

/**
 * Feeds `sink` what a stream (RDB type `type`, 15, 19 or 21, its object bytes `b[at, end)` where a reader found them: no payload built) holds
 * in every layout, read where it lies, each type by its own layout (not by
 * {@link downgradeStream}'s rules): the nodes' bytes (entries are in them,
 * copied as they are by a downgrade), the length and last id, and per
 * group its name, last delivered id and pending entries, per consumer its
 * name, seen time and pending ids; then, with `ids`, its entries added,
 * largest deleted id and groups' entries read as a server holding it has
 * them (stored, or derived from a type 15's entries: {@link streamIdsLostAt}),
 * so a downgrade that loses them does not digest as the input (without
 * `ids`, `--lossy stream-ids`, they are left out). The first id and active
 * times a layout adds are left out. A stream and its exact downgrade feed
 * the same parts: a conversion's read-back checks a downgrade without
 * decoding any entry but its first node's.
 * @throws RdbFormatError for another type or a malformed value
 */
export function digestStreamAt(type: number, b: Uint8Array, at: number, end: number, sink: StreamSink, ids = true): void {
  if (type !== STREAM_1 && type !== STREAM_2 && type !== STREAM_3) throw new RdbFormatError(`RDB type ${type} is not a stream of listpacks`);
  const c = new Cursor(b, at, end);
  /** The bytes `read` moves past, as one part. */
  const part = (read: () => unknown): void => {
    const from = c.at;
    read();
    sink.part(b, from, c.at);
  };
  const lengthPart = (): number => {
    const from = c.at;
    const n = c.length();
    sink.part(b, from, c.at);
    return n;
  };
  sink.kind('stream');
  for (let nodes = lengthPart(); nodes > 0; nodes--) {
    part(() => c.skipString());
    part(() => c.skipString());
  }
  // length, last id
  part(() => {
    c.length();
    c.bigLength();
    c.bigLength();
  });
  if (type >= STREAM_2) for (let i = 0; i < 5; i++) c.bigLength(); // first id, max deleted id, entries added
  for (let groups = lengthPart(); groups > 0; groups--) {
    // name, last delivered id
    part(() => {
      c.skipString();
      c.bigLength();
      c.bigLength();
    });
    if (type >= STREAM_2) c.bigLength(); // entries read
    for (let pending = lengthPart(); pending > 0; pending--)
      part(() => {
        c.skip(16 + 8); // id, delivery time
        c.bigLength(); // delivery count
      });
    for (let consumers = lengthPart(); consumers > 0; consumers--) {
      // name, seen time
      part(() => {
        c.skipString();
        c.skip(8);
      });
      if (type >= STREAM_3) c.skip(8); // active time
      const pel = lengthPart();
      part(() => c.skip(16 * pel));
    }
  }
  done(c);
  if (ids) {
    const text = Buffer.from(streamIdsText(streamInfoAt(type, b, at, end)), 'latin1');
    sink.part(text, 0, text.length);
  }
}
