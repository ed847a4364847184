/**
 * A key's value read out of its DUMP payload (what `RdbKey.payload` holds):
 * the canonical {@link KeyValue} of `fingerprint.ts`, so that a key taken
 * from an RDB file and the same key read from a live server
 * (`readCanonicalBatch`) get the same {@link keyDigest}. `migrate --from-rdb
 * --verify` needs it where DUMP bytes cannot be compared: a hash-table
 * encoded set or hash dumps in the order of that process's table.
 *
 * Every value type and encoding Redis up to 8 and Valkey up to 9 write (and
 * RESTORE takes) is read; what a server answers is reproduced, not what is
 * stored: integers kept integer-encoded (RDB strings, ziplists, listpacks,
 * intsets) become their decimal text, zset scores the text of the double the
 * server would print (normalised as `normaliseScore` does), stream entries
 * what `XRANGE - +` returns (deleted entries left out, ids rebuilt from each
 * node's master id and the deltas), consumer groups what `XINFO GROUPS`
 * reports of them (name, last delivered id, pending count) with their PELs
 * (ids, owners, delivery counts) and consumers, and the stream's ids
 * (fingerprint.ts StreamGroup, StreamMeta); hashes with field TTLs with
 * each field's absolute expiry.
 *
 * The payload has been verified before it gets here (CRC-64, and the file's
 * structure by the parser), so a malformed one is a bug: it is refused with
 * an {@link RdbFormatError} that names the RDB type and byte.
 *
 * Layouts: `rdbSaveObject` / `rdbLoadObject` of src/rdb.c, src/t_stream.c
 * (stream listpacks), src/listpack.c, src/ziplist.c, src/zipmap.c and
 * src/intset.c of Redis; the parser (`parser.ts`) reads the same layouts.
 */
import { keyDigest, OrderedDigest, type KeyDigest, type KeyValue, type StreamGroup, type StreamMeta } from '../fingerprint.js';
import { RdbFormatError } from '../errors.js';
import { itemsSha1 } from './items-digest.js';
import { validateIntset, validateListpack, validateZiplist, validateZipmap } from './blobs.js';
import { bytesOf, type Element, listpackEntry, signedLE, view } from './listpack.js';
import { type HashTemplates, SELF_FIELDS_RAW, selfFieldFormatProblem } from './hash-template.js';
import { referencesTemplate, resolveTemplateHash, templateHashAlone } from './template-ref.js';
import { DUMP_FOOTER_BYTES } from './dump-payload.js';
import { moduleTypeNameOf } from './encoded-string.js';
import { checkStreamNode, STREAM_DELETED, STREAM_SAMEFIELDS } from './stream-node.js';
import { entriesReadText, estimateEntriesRead, loadedAsType15, parseStreamId, ReadOrder, type StreamId, storedEntriesRead } from './stream-ids.js';
import { Cursor, cursorOf, fail, payloadLength, scoreOfDouble, scoreOfText, type ValueCursor } from './value-cursor.js';
import { readNackedEntries, skipIdmpData } from './stream-newer-tail.js';
import { isStreamType } from './opcodes.js';

export { Cursor };

function scoreOf(e: Element): string {
  return typeof e === 'object' ? scoreOfText(e.toString('latin1')) : scoreOfDouble(Number(e));
}

/** The first RDB version after Valkey's `VALKEY` magic: its type 22 is not Redis's. */
const VALKEY_FIRST_VERSION = 80;

/**
 * The elements of a ziplist or listpack, in order, once `validate` accepted
 * its structure: from the first entry (after `header` bytes) to the end
 * byte, `entry` reads the one at `p` into `out` and returns where the next starts.
 */
function elements(
  blob: Uint8Array,
  validate: (b: Uint8Array) => number,
  header: number,
  entry: (b: Uint8Array, dv: DataView, p: number, out: Element[]) => number,
): Element[] {
  validate(blob);
  const dv = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const out: Element[] = [];
  for (let p = header, end = blob.length - 1; p < end; ) p = entry(blob, dv, p, out);
  return out;
}

/** The elements of a listpack. */
export const listpackElements = (lp: Uint8Array): Element[] => elements(lp, validateListpack, 6, listpackEntry);

/** Integer widths of the ziplist encodings 0xc0, 0xd0, 0xe0, 0xf0 and 0xfe. */
const ZIPLIST_INT_WIDTH: Readonly<Record<number, number>> = { 192: 2, 208: 4, 224: 8, 240: 3, 254: 1 };

/** The elements of a ziplist (Redis < 7.0). */
const ziplistElements = (zl: Uint8Array): Element[] => elements(zl, validateZiplist, 10, ziplistEntry);

/** A ziplist entry: the previous entry's length, its encoding, its content. */
function ziplistEntry(zl: Uint8Array, dv: DataView, at: number, out: Element[]): number {
  const p = at + (zl[at] === 0xfe ? 5 : 1);
  const enc = zl[p]!;
  const kind = enc >> 6;
  if (kind < 3) {
    // Strings: 6-bit, 14-bit and 32-bit big-endian lengths.
    const header = kind === 0 ? 1 : kind === 1 ? 2 : 5;
    const n = kind === 0 ? enc & 0x3f : kind === 1 ? ((enc & 0x3f) << 8) | zl[p + 1]! : dv.getUint32(p + 1, false);
    out.push(view(zl, p + header, n));
    return p + header + n;
  }
  if (enc >= 0xf1 && enc <= 0xfd) {
    out.push((enc & 0x0f) - 1); // 0–12 in the encoding byte
    return p + 1;
  }
  const width = ZIPLIST_INT_WIDTH[enc]!;
  out.push(signedLE(dv, p + 1, width));
  return p + 1 + width;
}

/** The members of an intset, as decimal text (their order does not matter to a set). */
function intsetMembers(b: Uint8Array): Buffer[] {
  // Members out of order: Redis loads such an intset unless sanitize-dump-payload is on; a set has no order anyway.
  const count = validateIntset(b, () => undefined);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const width = dv.getUint32(0, true);
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) out.push(Buffer.from(String(signedLE(dv, 8 + i * width, width))));
  return out;
}

/** The (field, value) pairs of a zipmap (hashes of Redis < 2.6). */
function zipmapPairs(zm: Uint8Array): [Buffer, Buffer][] {
  validateZipmap(zm);
  const dv = new DataView(zm.buffer, zm.byteOffset, zm.byteLength);
  let p = 1;
  const len = (): number => {
    const first = zm[p]!;
    p += first < 254 ? 1 : 5;
    return first < 254 ? first : dv.getUint32(p - 4, true);
  };
  const out: [Buffer, Buffer][] = [];
  while (p < zm.length && zm[p] !== 0xff) {
    const fieldLength = len();
    const field = view(zm, p, fieldLength);
    p += fieldLength;
    const valueLength = len();
    const free = zm[p]!; // unused bytes after the value
    out.push([field, view(zm, p + 1, valueLength)]);
    p += 1 + valueLength + free;
  }
  return out;
}

/** Elements in groups of `stride` (hash pairs, hash triplets with a TTL, zset pairs): the first two of each. */
function tuples<T>(elements: readonly Element[], stride: number, what: string, make: (a: Element, b: Element) => T): T[] {
  if (elements.length % stride !== 0) fail(`${what} of ${elements.length} elements, not a multiple of ${stride}`);
  const out: T[] = [];
  for (let i = 0; i < elements.length; i += stride) out.push(make(elements[i]!, elements[i + 1]!));
  return out;
}

const hashPair = (f: Element, v: Element): [Buffer, Buffer] => [bytesOf(f), bytesOf(v)];
const zsetPair = (m: Element, s: Element): [Buffer, string] => [bytesOf(m), scoreOf(s)];

/**
 * The entries of one stream node (a listpack, t_stream.c): a master entry
 * (count, deleted, the master fields, 0), then per entry its flags, the
 * id's deltas from the node's master id, either its fields and values or
 * (same-fields flag) only values for the master fields, and its element
 * count. Entries flagged deleted are what XDEL left behind: XRANGE skips them.
 * The layout is checked first by the verifier's own walk (stream-node.ts),
 * so this reads what the verifier passed and refuses what it refuses.
 */
export function streamNodeEntries(masterId: Buffer, lp: Uint8Array, out: [string, Buffer[]][], order?: ReadOrder): void {
  if (masterId.length !== 16) fail(`stream node key is ${masterId.length} bytes, not a 16-byte stream id`);
  const masterMs = masterId.readBigUInt64BE(0);
  const masterSeq = masterId.readBigUInt64BE(8);
  const elements = listpackElements(lp);
  checkStreamNode(lp, masterId);
  let i = 0;
  // An integer where one belongs (checked): integer-encoded, or a string string2ll reads, as Redis's lpGetIntegerIfValid does.
  const int = (): bigint => {
    const e = elements[i++]!;
    return typeof e === 'object' ? BigInt(e.toString('latin1')) : BigInt(e);
  };
  int(); // count
  int(); // deleted
  const masterFields = Array.from({ length: Number(int()) }, () => bytesOf(elements[i++]!));
  i++; // the master entry's 0
  while (i < elements.length) {
    const flags = Number(BigInt.asUintN(2, int()));
    // Deltas are 64-bit two's complement: the id wraps as Redis's uint64 arithmetic does.
    const ms = BigInt.asUintN(64, masterMs + int());
    const seq = BigInt.asUintN(64, masterSeq + int());
    const fields: Buffer[] = [];
    if (flags & STREAM_SAMEFIELDS) for (const field of masterFields) fields.push(field, bytesOf(elements[i++]!));
    else for (let n = Number(int()); n > 0; n--) fields.push(bytesOf(elements[i++]!), bytesOf(elements[i++]!));
    i++; // its element count
    if (flags & STREAM_DELETED) continue;
    out.push([`${ms}-${seq}`, fields]);
    order?.live(masterMs, masterSeq, ms, seq);
  }
}

/** The live entries of a stream's nodes (RDB types 15, 19, 21, 26 and 27), a node at a time: a big stream is never decoded whole. */
function* streamNodes(c: ValueCursor, order?: ReadOrder): Generator<[string, Buffer[]][]> {
  for (let nodes = c.length(); nodes > 0; nodes--) {
    const masterId = c.string();
    const entries: [string, Buffer[]][] = [];
    streamNodeEntries(masterId, c.string(), entries, order);
    yield entries;
  }
}

/** A consumer of a group as the file stores it (XINFO CONSUMERS' source). */
export interface StreamConsumerInfo {
  readonly name: Buffer;
  /** Entries of the group's PEL it holds. */
  readonly pending: number;
  /** When it was last seen (Unix ms). */
  readonly seenMs: number;
  /** When it last read or claimed (Unix ms; -1: never), stored by type 21 (Redis 7.2+) only: undefined before. */
  readonly activeMs?: number;
}

/** What XINFO GROUPS reports of a group, as stored (RDB types 19 and 21) or as Redis 7.0 derives it on load (15). */
export interface StreamGroupInfo {
  readonly name: Buffer;
  readonly consumers: number;
  /** Its consumers in the file's order (the server's: by name). */
  readonly consumerList: readonly StreamConsumerInfo[];
  readonly pending: number;
  readonly lastId: StreamId;
  /** The group's logical read counter; null when unknown (SCG_INVALID_ENTRIES_READ). */
  readonly entriesRead: bigint | null;
  /** Its pending entries (the PEL), in id order as stored, each with the consumer holding it. */
  readonly pel: readonly PendingEntry[];
}

/** An entry of a group's PEL (t_stream.c's streamNACK): delivered to `consumer`, not yet acknowledged. */
export interface PendingEntry {
  readonly id: StreamId;
  /** When it was last delivered (Unix ms). */
  readonly deliveredMs: number;
  readonly deliveries: bigint;
  readonly consumer: Buffer;
}

/** The stream metadata Redis 7.0 keeps beside the entries (t_stream.c's stream struct), and its groups. */
export interface StreamInfo {
  readonly length: number;
  readonly lastId: StreamId;
  readonly firstId: StreamId;
  readonly maxDeletedId: StreamId;
  readonly entriesAdded: bigint;
  readonly groups: readonly StreamGroupInfo[];
}

/**
 * What follows a stream's nodes: its length (held against the `entries`
 * its nodes hold), its ids, then its consumer groups with their pending
 * entries and consumers: the stream's first, last and largest deleted ids
 * and entries added (RDB 19 and 21 store them; of a type-15 stream Redis
 * 7.0's rdbLoadObject derives them: entries added = length, no deleted id,
 * the first live entry's id (`firstLive`), each group's read counter
 * estimated), each group's PEL, consumers and entries read. What the
 * fingerprint keeps of it is {@link canonicalTail}'s.
 */
export function streamTail(c: ValueCursor, type: number, entries: number | undefined, firstLive?: StreamId, asType15 = false, firstStored = false): StreamInfo {
  const length = c.length();
  if (entries !== undefined && length !== entries) fail(`the stream says it holds ${length} entries, its nodes hold ${entries}`);
  const id = (): StreamId => [c.bigLength(), c.bigLength()];
  const lastId = id();
  const read19 = type >= 19 ? { firstId: id(), maxDeletedId: id(), entriesAdded: c.bigLength() } : undefined;
  const stored = asType15 ? undefined : read19;
  // With `firstStored` (a type 19/21 whose nodes were not read), the stored first id stands for the first live entry's.
  const meta = stored
    ? { length, lastId, ...stored }
    : loadedAsType15(length, lastId, firstLive ?? (firstStored && read19 && length > 0 ? read19.firstId : undefined));
  const infos: StreamGroupInfo[] = [];
  for (let n = c.length(); n > 0; n--) {
    const name = c.string();
    const last = id();
    const storedRead = type >= 19 ? c.bigLength() : undefined;
    const read = storedRead !== undefined && !asType15 ? storedRead : estimateEntriesRead(meta, last);
    const pending = c.length();
    // The PEL: entry id, delivery time, delivery count; its owners come with the consumers below.
    const pel: { id: StreamId; deliveredMs: number; deliveries: bigint; consumer: Buffer }[] = [];
    for (let p = 0; p < pending; p++) {
      pel.push({ id: c.rawStreamId(), deliveredMs: c.millisecondTime(), deliveries: c.bigLength(), consumer: Buffer.alloc(0) });
    }
    const owner = new Map(pel.map((e) => [`${e.id[0]}-${e.id[1]}`, e]));
    const consumerList: StreamConsumerInfo[] = [];
    for (let left = c.length(); left > 0; left--) {
      const consumer = c.string();
      // rdbSaveMillisecondTime: 8 bytes, little-endian; an active time never set is -1.
      const seenMs = c.millisecondTime();
      const activeMs = type >= 21 ? c.millisecondTime() : undefined;
      const held = c.length();
      for (let k = 0; k < held; k++) {
        const id = c.rawStreamId();
        const e = owner.get(`${id[0]}-${id[1]}`);
        if (!e) fail(`consumer ${consumer.toString('latin1')} holds ${id[0]}-${id[1]}, which its group's PEL lacks`);
        e.consumer = consumer;
      }
      consumerList.push({ name: consumer, pending: held, seenMs, ...(activeMs === undefined ? {} : { activeMs }) });
    }
    readNackedEntries(c, type, owner);
    infos.push({
      name,
      consumers: consumerList.length,
      consumerList,
      pending,
      lastId: last,
      entriesRead: read === null ? null : storedEntriesRead(read),
      pel,
    });
  }
  skipIdmpData(c, type);
  return { ...meta, groups: infos };
}

const idText = (id: StreamId): string => `${id[0]}-${id[1]}`;

/** An entry id's text as numbers; undefined for none. */
const firstIdOf = (id: string | undefined): StreamId | undefined => (id === undefined ? undefined : parseStreamId(id));

/** What the fingerprint keeps of a stream's metadata and groups (fingerprint.ts StreamGroup: no clocks). */
function canonicalTail(s: StreamInfo): { groups: StreamGroup[]; meta: StreamMeta } {
  return {
    meta: { lastId: idText(s.lastId), entriesAdded: String(s.entriesAdded), maxDeletedId: idText(s.maxDeletedId) },
    groups: s.groups.map((g) => ({
      name: g.name,
      lastDeliveredId: idText(g.lastId),
      pending: g.pending,
      pel: g.pel.map((e) => [idText(e.id), e.consumer, String(e.deliveries)] as const),
      consumers: g.consumerList.map((k) => k.name),
      entriesRead: entriesReadText(g.entriesRead),
    })),
  };
}

/**
 * The metadata and groups of a stream's DUMP payload (RDB types 15, 19, 21,
 * 26 and 27), what XINFO GROUPS answers from; undefined for another type.
 * @throws RdbFormatError when the payload is malformed
 */
export function streamInfo(payload: Uint8Array | readonly Uint8Array[]): StreamInfo | undefined {
  const { type, end, bytes } = payloadBounds(payload);
  if (!isStreamType(type)) return undefined;
  const c = cursorOf(payload, 1, end);
  try {
    let size = 0;
    let first: string | undefined;
    for (const node of streamNodes(c)) {
      first ??= node[0]?.[0];
      size += node.length;
    }
    return streamTail(c, type, size, firstIdOf(first));
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new RdbFormatError(`malformed DUMP payload (RDB type ${type}, ${bytes} bytes, near byte ${c.at}): ${message}`);
  }
}

/** A stream (RDB types 15, 19, 21, 26 and 27), whole. */
function stream(c: ValueCursor, type: number): KeyValue {
  const entries: [string, Buffer[]][] = [];
  for (const node of streamNodes(c)) for (const e of node) entries.push(e);
  // The first live entry's id: a type 15's groups' read counters are estimated from it (streamTail).
  return { type: 'stream', entries, ...canonicalTail(streamTail(c, type, entries.length, firstIdOf(entries[0]?.[0]))) };
}

/** The items of a list (RDB types 1, 10, 14 and 18), a node at a time (a linked list's item by item). */
function* listNodes(c: ValueCursor, type: number): Generator<Buffer[]> {
  if (type === 1) for (let n = c.length(); n > 0; n--) yield [c.string()];
  else if (type === 10) yield ziplistElements(c.string()).map(bytesOf);
  else if (type === 14) for (let nodes = c.length(); nodes > 0; nodes--) yield ziplistElements(c.string()).map(bytesOf);
  else
    for (let nodes = c.length(); nodes > 0; nodes--) {
      // quicklist 2: per node its container, PLAIN (1: one element) or PACKED (2: a listpack)
      const container = c.length();
      if (container === 1) yield [c.string()];
      else if (container === 2) yield listpackElements(c.string()).map(bytesOf);
      else fail(`quicklist node container ${container} is neither plain (1) nor packed (2)`);
    }
}

/**
 * A list's items (RDB types 1, 10, 14 and 18) read from its payload (whole
 * or in parts), `perChunk` at a time, each chunk as its {@link itemsSha1}:
 * what a server's chunk of LRANGE is held against without its items coming
 * back (adapters/redis/canonical-read.ts listRangeIs). Undefined for a
 * payload of another type.
 */
export function listChunkDigests(payload: Uint8Array | readonly Uint8Array[], perChunk: number): Iterable<string> | undefined {
  const { type, end } = payloadBounds(payload);
  if (type !== 1 && type !== 10 && type !== 14 && type !== 18) return undefined;
  return {
    *[Symbol.iterator]() {
      let chunk: Buffer[] = [];
      for (const node of listNodes(cursorOf(payload, 1, end), type))
        for (const item of node) {
          chunk.push(item);
          if (chunk.length === perChunk) {
            yield itemsSha1(chunk);
            chunk = [];
          }
        }
      if (chunk.length > 0) yield itemsSha1(chunk);
    },
  };
}

/** The number of items of a list's payload (RDB types 1, 10, 14 and 18, whole or in parts); undefined for another type. */
export function listLength(payload: Uint8Array | readonly Uint8Array[]): number | undefined {
  const { type, end, bytes } = payloadBounds(payload);
  if (type !== 1 && type !== 10 && type !== 14 && type !== 18) return undefined;
  const c = cursorOf(payload, 1, end);
  try {
    let size = 0;
    for (const node of listNodes(c, type)) size += node.length;
    if (c.at !== end) fail(`${end - c.at} bytes after the value`);
    return size;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new RdbFormatError(`malformed DUMP payload (RDB type ${type}, ${bytes} bytes, near byte ${c.at}): ${message}`);
  }
}

/** A list (RDB types 1, 10, 14 and 18), whole. */
function list(c: ValueCursor, type: number): KeyValue {
  const items: Buffer[] = [];
  for (const node of listNodes(c, type)) for (const item of node) items.push(item);
  return { type: 'list', items };
}

/**
 * A hash with field expiration, plain encoding: (Redis 24) the earliest
 * field expiry first; (Redis 22, 7.4 release candidates, and 24) per field
 * a TTL length before the field and value; (Valkey 9's 22) per field the
 * field, the value and an 8-byte expiry.
 */
function hashWithTtls(c: ValueCursor, type: number, valkey: boolean): KeyValue {
  // Redis 24 stores each TTL as expiry - the earliest + 1 (0: none); 22 (7.4 RCs) the expiry itself; Valkey's 22 8 bytes, negative: none.
  const min = type === 24 ? c.millisecondTime() : 0;
  const fields: [Buffer, Buffer][] = [];
  const fieldExpireAtMs: (number | null)[] = [];
  for (let n = c.length(); n > 0; n--) {
    const ttl = valkey ? 0 : Number(c.bigLength());
    fields.push([c.string(), c.string()]);
    if (valkey) {
      const t = c.millisecondTime();
      fieldExpireAtMs.push(t < 0 ? null : t);
    } else fieldExpireAtMs.push(ttl === 0 ? null : type === 24 ? ttl + min - 1 : ttl);
  }
  return { type: 'hash', fields, fieldExpireAtMs };
}

/** A listpack of (field, value, expiry) triplets (types 23, 25): expiry 0 is none. */
function hashListpackWithTtls(lp: Uint8Array): KeyValue {
  const elements = listpackElements(lp);
  const fields = tuples(elements, 3, 'hash listpack with TTLs', hashPair);
  const fieldExpireAtMs = fields.map((_, i) => {
    const t = elements[3 * i + 2]!;
    const ms = typeof t === 'object' ? Number(t.toString('latin1')) : Number(t);
    return ms === 0 ? null : ms;
  });
  return { type: 'hash', fields, fieldExpireAtMs };
}

/**
 * A self-contained template hash (types 29, 31): the field names (format
 * SELF_FIELDS_LISTPACK, one listpack; SELF_FIELDS_RAW, a count then strings;
 * hash-template.ts), then the values: a listpack of the
 * writer's template id and one value per field (29), or one string each (31).
 */
function selfContainedTemplate(c: ValueCursor, type: number): KeyValue {
  const format = c.length();
  const problem = selfFieldFormatProblem(format);
  if (problem !== null) fail(problem);
  const names = format === SELF_FIELDS_RAW ? c.strings(c.length()) : listpackElements(c.string()).map(bytesOf);
  const values = type === 29 ? listpackElements(c.string()).slice(1).map(bytesOf) : c.strings(names.length);
  if (values.length !== names.length) fail(`template hash holds ${values.length} values for ${names.length} fields`);
  return { type: 'hash', fields: names.map((name, i) => [name, values[i]!]) };
}

/** The value of the object bytes `[c.at, c.end)` of RDB `type`. */
function decodeObject(c: ValueCursor, type: number, version: number): KeyValue {
  if (isStreamType(type)) return stream(c, type);
  switch (type) {
    case 0:
      return { type: 'string', value: c.string() };
    case 1: // linked list
    case 10: // ziplist
    case 14: // quicklist of ziplists
    case 18: // quicklist 2
      return list(c, type);
    case 2:
      return { type: 'set', members: c.strings(c.length()) };
    case 11:
      return { type: 'set', members: intsetMembers(c.string()) };
    case 20:
      return { type: 'set', members: listpackElements(c.string()).map(bytesOf) };
    case 3: // member, score as text
    case 5: {
      // member, binary double
      const entries: [Buffer, string][] = [];
      for (let n = c.length(); n > 0; n--) entries.push([c.string(), type === 3 ? c.textScore() : c.binaryScore()]);
      return { type: 'zset', entries };
    }
    case 12:
      return { type: 'zset', entries: tuples(ziplistElements(c.string()), 2, 'zset ziplist', zsetPair) };
    case 17:
      return { type: 'zset', entries: tuples(listpackElements(c.string()), 2, 'zset listpack', zsetPair) };
    case 4: {
      const fields: [Buffer, Buffer][] = [];
      for (let n = c.length(); n > 0; n--) fields.push([c.string(), c.string()]);
      return { type: 'hash', fields };
    }
    case 9:
      return { type: 'hash', fields: zipmapPairs(c.string()) };
    case 13:
      return { type: 'hash', fields: tuples(ziplistElements(c.string()), 2, 'hash ziplist', hashPair) };
    case 16:
      return { type: 'hash', fields: tuples(listpackElements(c.string()), 2, 'hash listpack', hashPair) };
    // Hashes with field expiration (Redis 7.4+, Valkey 9): fields, values and each field's absolute expiry
    // (part of the fingerprint). A field whose TTL has passed since the file was written is kept here: the
    // digest leaves it out when given the reader's clock (fingerprint.ts valueDigest).
    case 22:
    case 24:
      return hashWithTtls(c, type, type === 22 && version >= VALKEY_FIRST_VERSION);
    case 25: // the earliest field expiry, then a listpack of (field, value, TTL)
    case 23: // 7.4 release candidates: the listpack alone
      if (type === 25) c.skip(8);
      return hashListpackWithTtls(c.string());
    case 29: // Redis 8.10's self-contained template hashes (format/hash-template.ts): field names, then values
    case 31:
      return selfContainedTemplate(c, type);
    default:
      return fail(`unknown RDB value type ${type}`);
  }
}

/**
 * The value a DUMP payload holds (RDB type byte, object bytes, RDB version,
 * CRC-64; the CRC is not checked again here), as `readCanonicalBatch` reads
 * it from a server. A module value (RDB types 6 and 7) cannot be read member
 * by member: it is `other`, named by its module type, with the payload as
 * its bytes. A Redis 8.10 hash that references its file's templates (types
 * 30, 32) is the hash it stands for, its field names from `templates` (the
 * file's, as its read kept them).
 * @throws RdbFormatError when the payload is malformed, or references a template `templates` does not hold (none given: any)
 */
export function decodeDumpPayload(payload: Uint8Array, templates?: HashTemplates): KeyValue {
  if (payload.length < 1 + DUMP_FOOTER_BYTES) fail(`a DUMP payload of ${payload.length} bytes is too short`);
  const type = payload[0]!;
  if (type === 6 || type === 7) return { type: 'other', typeName: moduleTypeNameOf(payload), dump: view(payload, 0, payload.length) };
  if (referencesTemplate(type)) {
    // Not malformed, and not to be called so where its file's templates were not read: its field names are theirs.
    const value = templates && resolveTemplateHash(payload, (id) => templates.fieldNames(id));
    if (value === undefined) throw new RdbFormatError(templateHashAlone(type));
    return value;
  }
  const end = payload.length - DUMP_FOOTER_BYTES;
  const version = payload[end]! | (payload[end + 1]! << 8);
  const c = new Cursor(payload, 1, end);
  try {
    const value = decodeObject(c, type, version);
    if (c.at !== end) fail(`${end - c.at} bytes after the value`);
    return value;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new RdbFormatError(`malformed DUMP payload (RDB type ${type}, ${payload.length} bytes, near byte ${c.at}): ${message}`);
  }
}

/** The digest `compare` computes for the key a DUMP payload holds, with this absolute expiry (ms; null: none); `nowMs` as keyDigest's. */
export function payloadDigest(payload: Uint8Array, expireAtMs: number | null, nowMs?: number): KeyDigest {
  return keyDigest(decodeDumpPayload(payload), expireAtMs, nowMs);
}

/** One chunk of a big value's elements, in the order the file holds them (see {@link chunkedPayload}). */
export type ElementChunk =
  | { readonly type: 'set'; readonly members: Buffer[] }
  | { readonly type: 'hash'; readonly fields: [Buffer, Buffer][] }
  | { readonly type: 'zset'; readonly entries: [Buffer, string][] };

/** A big value of a DUMP payload, read a chunk at a time (strings: the bytes, a view of the payload where stored plain). */
export type ChunkedValue =
  | { readonly type: 'string'; readonly size: number; readonly value: Buffer }
  | { readonly type: 'set' | 'hash' | 'zset'; readonly size: number; readonly chunks: () => Generator<ElementChunk> };

/**
 * The value of a DUMP payload as chunks of at most `perChunk` elements, so
 * a big set, hash or sorted set is checked against a server chunk by chunk
 * (members asked for by name) instead of all its elements at once; a string
 * whole (a view of the payload unless LZF-compressed). Undefined for the
 * other types and encodings (lists, streams, listpacks, intsets, modules:
 * decodeDumpPayload reads them whole, {@link streamedDigest} lists and
 * streams in pieces). The payload whole or in parts (never joined here).
 * @throws RdbFormatError when the payload is malformed (as the chunks are read)
 */
export function chunkedPayload(payload: Uint8Array | readonly Uint8Array[], perChunk: number): ChunkedValue | undefined {
  const { type, end, bytes } = payloadBounds(payload);
  const c = cursorOf(payload, 1, end);
  const malformed = (err: unknown): never => {
    const message = err instanceof Error ? err.message : String(err);
    throw new RdbFormatError(`malformed DUMP payload (RDB type ${type}, ${bytes} bytes, near byte ${c.at}): ${message}`);
  };
  try {
    if (type === 0) {
      const value = c.string();
      if (c.at !== end) fail(`${end - c.at} bytes after the value`);
      return { type: 'string', size: value.length, value };
    }
    if (type !== 2 && type !== 3 && type !== 4 && type !== 5) return undefined;
    const size = c.length();
    const from = c.at;
    function* chunks(): Generator<ElementChunk> {
      const r = cursorOf(payload, from, end);
      try {
        for (let left = size; left > 0; ) {
          const n = Math.min(perChunk, left);
          left -= n;
          if (type === 2) yield { type: 'set', members: r.strings(n) };
          else if (type === 4) {
            const fields: [Buffer, Buffer][] = [];
            for (let i = 0; i < n; i++) fields.push([r.string(), r.string()]);
            yield { type: 'hash', fields };
          } else {
            const entries: [Buffer, string][] = [];
            for (let i = 0; i < n; i++) entries.push([r.string(), type === 3 ? r.textScore() : r.binaryScore()]);
            yield { type: 'zset', entries };
          }
        }
        if (r.at !== end) fail(`${end - r.at} bytes after the value`);
      } catch (err) {
        c.at = r.at;
        malformed(err);
      }
    }
    return { type: type === 2 ? 'set' : type === 4 ? 'hash' : 'zset', size, chunks };
  } catch (err) {
    return malformed(err);
  }
}

/** A payload's RDB type, the end of its object bytes (its footer's start) and its length, whole or in parts. */
function payloadBounds(payload: Uint8Array | readonly Uint8Array[]): { type: number; end: number; bytes: number } {
  const bytes = payloadLength(payload);
  if (bytes < 1 + DUMP_FOOTER_BYTES) fail(`a DUMP payload of ${bytes} bytes is too short`);
  const type = payload instanceof Uint8Array ? payload[0]! : payload.find((p) => p.length > 0)![0]!;
  return { type, end: bytes - DUMP_FOOTER_BYTES, bytes };
}

/** A big list's or stream's digest, read from its payload a node at a time. */
export interface StreamedDigest {
  readonly type: 'list' | 'stream';
  /** Items of the list, entries of the stream (what LLEN and XLEN answer). */
  readonly size: number;
  /** {@link valueDigest} of the value. */
  readonly digest: string;
  /**
   * A type 19 or 21 stream's stored first id (XINFO STREAM's recorded-first-entry-id), which the digest leaves out
   * (as the fingerprint does: a type 15 has none); absent for a list and a type 15 stream.
   */
  readonly storedFirstId?: StreamId;
  /** A stream's: whether reads by ID list its entries in the payload's order ({@link ReadOrder}); absent for a list. */
  readonly readsInOrder?: boolean;
}

/**
 * The digest of a list or stream payload (whole or in parts, never joined),
 * computed a node at a time: the same as `valueDigest(decodeDumpPayload(…))`
 * without the value ever decoded whole (a big list's items would be the
 * value once more, in a buffer per item). Two reads of the payload: one to
 * count (the digest starts with the count), one to hash. Undefined for the
 * other types ({@link chunkedPayload} takes sets, hashes and sorted sets).
 * @throws RdbFormatError when the payload is malformed
 */
export function streamedDigest(payload: Uint8Array | readonly Uint8Array[]): StreamedDigest | undefined {
  const { type, end, bytes } = payloadBounds(payload);
  const isList = type === 1 || type === 10 || type === 14 || type === 18;
  if (!isList && !isStreamType(type)) return undefined;
  let c = cursorOf(payload, 1, end);
  try {
    let size = 0;
    if (isList) {
      for (const node of listNodes(c, type)) size += node.length;
      const d = new OrderedDigest('list', size);
      c = cursorOf(payload, 1, end);
      for (const node of listNodes(c, type)) for (const item of node) d.item(item);
      if (c.at !== end) fail(`${end - c.at} bytes after the value`);
      return { type: 'list', size, digest: d.digest() };
    }
    let first: string | undefined;
    const order = new ReadOrder();
    for (const node of streamNodes(c, order)) {
      first ??= node[0]?.[0];
      size += node.length;
    }
    const tail = streamTail(c, type, size, firstIdOf(first));
    const { groups, meta } = canonicalTail(tail);
    if (c.at !== end) fail(`${end - c.at} bytes after the value`);
    const d = new OrderedDigest('stream', size);
    c = cursorOf(payload, 1, end);
    for (const node of streamNodes(c)) for (const [id, fields] of node) d.entry(id, fields);
    d.groups(groups, meta);
    return { type: 'stream', size, digest: d.digest(), readsInOrder: order.inOrder, ...(type === 15 ? {} : { storedFirstId: tail.firstId }) };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new RdbFormatError(`malformed DUMP payload (RDB type ${type}, ${bytes} bytes, near byte ${c.at}): ${message}`);
  }
}
