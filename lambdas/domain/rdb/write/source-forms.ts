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
import { type StreamIds, streamInfoAt } from '../format/stream-info.js';
import { entriesReadText, estimateEntriesRead, loadedAsType15, type StreamId, storedEntriesRead } from '../format/stream-ids.js';
import { Cursor, decodeDumpPayload, listpackElements } from '../format/value.js';
import { PartsCursor } from '../format/value-cursor.js';
import type { HashWithTtls } from './encode-value.js';
import { RdbOut } from './rdb-out.js';

/** The first stream type of each layout: listpacks (5.0), listpacks 2 (7.0: ids and lag), listpacks 3 (7.2: consumers' active time). */
export const STREAM_1 = 15;
export const STREAM_2 = 19;
export const STREAM_3 = 21;

const cursorOf = (payload: Uint8Array): Cursor => new Cursor(payload, 1, payload.length - DUMP_FOOTER_BYTES);

function done(c: Pick<Cursor, 'at' | 'end'>): void {
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
  if (type === 22 || type === 24) {
    ttlHashFields(type, valkey, c, true, (t, f, v) => {
      fields.push([f!, v!]);
      expireAt.push(t);
    });
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

/** What {@link ttlHashFields} reads a hash with: a {@link Cursor} over its bytes, or a {@link PartsCursor} over its parts. */
export type FieldCursor = Pick<Cursor, 'at' | 'end' | 'length' | 'bigLength' | 'skipString' | 'string' | 'millisecondTime'>;

/**
 * Walks the fields of a hash with field TTLs stored field by field (RDB type 22: Valkey 9's, or Redis 7.4's before
 * its release; 24: Redis 7.4's), its object bytes at `c`, calling `each` with each field's absolute expiry (0: none)
 * and, with `decode`, its name and value (else they are skipped, not decoded). The cursor ends after the value.
 * @throws RdbFormatError for another type
 */
export function ttlHashFields(
  type: number,
  valkey: boolean,
  c: FieldCursor,
  decode: boolean,
  each: (expireAt: number, field: Buffer | undefined, value: Buffer | undefined) => void,
): void {
  const string = (): Buffer | undefined => {
    if (decode) return c.string();
    c.skipString();
    return undefined;
  };
  if (type === 22 && valkey) {
    for (let n = c.length(); n > 0; n--) {
      const f = string();
      const v = string();
      const t = c.millisecondTime();
      each(t < 0 ? 0 : t, f, v);
    }
  } else if (type === 22 || type === 24) {
    // Redis 7.4's: each TTL relative to the hash's earliest, plus 1 (0: none); before its release, absolute.
    const min = type === 24 ? c.millisecondTime() : 0;
    for (let n = c.length(); n > 0; n--) {
      const ttl = num(c.bigLength());
      const t = type === 24 && ttl !== 0 ? ttl + min - 1 : ttl;
      each(t, string(), string());
    }
  } else throw new RdbFormatError(`RDB type ${type} is not a hash with field TTLs stored field by field`);
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
 * A stream's object bytes (a DUMP payload of type 19 or 21) rewritten as
 * type `to` (15 or 19, older than the payload's): the nodes, length, last
 * id, groups, pending entries and consumers copied byte for byte; what the
 * older layout lacks left out, as an older server never had it: (from 19)
 * the first id, the max deleted id, entries added and each group's entries
 * read, which Redis 7.0 recomputes when it loads a 5.0 stream (the lag XINFO
 * reports may then be unknown); (from 21) each consumer's active time, which
 * Redis 7.2 takes from its seen time when it loads an older one.
 * @throws RdbFormatError for another type or a malformed payload
 */
export function downgradeStream(payload: Uint8Array, to: number): Uint8Array {
  const out = new RdbOut(payload.length);
  new StreamLayout().read(payload[0]!, payload, 1, payload.length - DUMP_FOOTER_BYTES).writeAs(to, out);
  return out.take();
}

/**
 * What a run of a stream's bytes holds ({@link StreamLayout}): what every layout has, a type 19's ids, a type 21's
 * active time; or bytes made here (a group's PEL count once its NACKed entries are left out), {@link StreamLayout}'s
 * `made[from]`, written as what every layout has.
 */
const EVERY = 0;
const IDS = 1;
const ACTIVE = 2;
const MADE = 3;

/** Redis 8.6's stream with idempotent-producer data (RDB_TYPE_STREAM_LISTPACKS_4) and Redis 8.8's with NACKed entries (_5). */
export const STREAM_4 = 26;
export const STREAM_5 = 27;

/** What of a type 26 or 27 stream no older layout holds: its groups' NACKed entries, its IDMP data (write/stream-extras.ts). */
export interface NewerStreamExtras {
  /** NACKed entries left out of their group's PEL, by group name (groups with none not listed). */
  readonly nacked: readonly { readonly group: string; readonly entries: number }[];
  /** The IDMP data left out: its settings, producers and their ids, and its totals (ids added, duplicates found). */
  readonly idmp: {
    readonly duration: number;
    readonly maxEntries: number;
    readonly producers: number;
    readonly ids: number;
    readonly added: bigint;
    readonly duplicates: bigint;
  };
}

const NO_EXTRAS: NewerStreamExtras = { nacked: [], idmp: { duration: 0, maxEntries: 0, producers: 0, ids: 0, added: 0n, duplicates: 0n } };

/**
 * One walk of a newer stream's object bytes (RDB type 19, 21, 26 or 27, `b[at, end)`
 * where a reader found them, or the parts a reader kept: no payload built) serving all a conversion
 * asks of it (issue 55: three walks and their compiles were a tenth of a
 * re-encoding's CPU for 2 % of the keys): where its fields lie, as runs of
 * bytes every stream layout holds (the nodes, copied as they are: skipped,
 * not decoded, a compressed node not expanded; the length and last id; per
 * group its name, last delivered id and pending entries; per consumer its
 * name, seen time and pending ids) between the fields a newer layout adds
 * (a type 19's first id, max deleted id and entries added, and each group's
 * entries read; a type 21's consumers' active times); and its ids as it
 * holds them and as Redis 7.0 derives them loading it as a type 15: what
 * the RDB 9 rule compares ({@link exact}, {@link lost}). From
 * it a downgrade writes the runs the older layout keeps ({@link writeAs})
 * and the digest takes every field that layout keeps: the bytes every
 * layout holds, and a type 19's ids where the output is one ({@link digest}).
 * A Redis 8.6 or 8.8 stream (type 26 or 27) is walked as the type 21 it holds:
 * its groups' NACK zones and its IDMP tail are no run (what they hold is in
 * {@link extras}, for the judge), and a group's PEL without its NACKed entries
 * is their runs after a count made here (stream-extras.ts says why).
 * One instance is reused stream after stream.
 */
export class StreamLayout {
  /** The runs, flattened: from, to, what it holds ({@link EVERY}, {@link IDS}, {@link ACTIVE}); adjacent runs of one kind joined. */
  private readonly runs: number[] = [];
  private n = 0;
  private b: Uint8Array = new Uint8Array(0);
  /** The stream's bytes in parts instead ({@link readParts}: a big one as a reader kept it), its runs' positions theirs joined. */
  private parts: readonly Uint8Array[] | undefined = undefined;
  /** Bytes of the runs every layout holds (made ones included), of those holding a type 19's ids, and a type 21's active times. */
  private every = 0;
  private idBytes = 0;
  private activeBytes = 0;
  /** Bytes made here ({@link MADE} runs' `from`). */
  private made: Uint8Array[] = [];
  /** Runs before this index take no run joined to them (a type 27's PEL, which its NACKs may split). */
  private sealed = 0;
  /** The stream's RDB type as walked. */
  type = 0;
  /** A type 26's or 27's NACKed entries and IDMP data (none of a 19 or 21). */
  extras: NewerStreamExtras = NO_EXTRAS;
  /** Its ids as it holds them, and as Redis 7.0 derives them loading it as a type 15; each group's name where it lies. */
  held: LayoutIds = NO_IDS;
  loaded: LayoutIds = NO_IDS;
  /** Whether they are the same: a type 15 expresses the stream exactly ({@link lost} names what it does not). */
  exact = true;

  /**
   * Walks the stream of RDB type `type` (19 or 21) at `b[at, end)`.
   * @throws RdbFormatError for another type or a malformed value
   */
  read(type: number, b: Uint8Array, at: number, end: number): this {
    this.b = b;
    this.parts = undefined;
    return this.walk(type, new Cursor(b, at, end), at);
  }

  /**
   * {@link read} of a stream whose object bytes are held in `parts` (KeyInPlace.parts: a big one as the reader kept it,
   * not gathered into one copy), in order: its runs are of their bytes joined, written and digested from the parts.
   * @throws RdbFormatError for another type or a malformed value
   */
  readParts(type: number, parts: readonly Uint8Array[]): this {
    let end = 0;
    for (const p of parts) end += p.length;
    this.b = EMPTY;
    this.parts = parts;
    return this.walk(type, new PartsCursor(parts, 0, end), 0);
  }

  private walk(type: number, c: StreamCursor, at: number): this {
    if (type !== STREAM_2 && type !== STREAM_3 && !isNewerStream(type)) throw new RdbFormatError(`RDB type ${type} is not a stream of listpacks 2 to 5`);
    this.type = type;
    this.n = 0;
    this.every = 0;
    this.idBytes = 0;
    this.activeBytes = 0;
    this.made = [];
    this.sealed = 0;
    this.extras = NO_EXTRAS;
    try {
      for (let nodes = c.length(); nodes > 0; nodes--) {
        c.skipString();
        c.skipString();
      }
      const length = c.length();
      const lastId: StreamId = [c.bigLength(), c.bigLength()];
      let from = c.at;
      this.run(at, from, EVERY);
      const firstId: StreamId = [c.bigLength(), c.bigLength()];
      const maxDeletedId: StreamId = [c.bigLength(), c.bigLength()];
      const entriesAdded = c.bigLength();
      this.run(from, c.at, IDS);
      // A type 15 derives its first id from its first live entry: the stored one (Redis keeps it there); none when empty.
      const derived = loadedAsType15(length, lastId, length > 0 ? firstId : undefined);
      let exact = entriesAdded === derived.entriesAdded && sameId(maxDeletedId, derived.maxDeletedId) && (length > 0 || sameId(firstId, derived.firstId));
      const held: LayoutGroup[] = [];
      const loaded: LayoutGroup[] = [];
      const nacked: { group: string; entries: number }[] = [];
      from = c.at;
      for (let groups = c.length(); groups > 0; groups--) {
        const nameAt = c.at;
        c.skipString();
        const last: StreamId = [c.bigLength(), c.bigLength()];
        this.run(from, c.at, EVERY);
        from = c.at;
        const read = storedEntriesRead(c.bigLength());
        const estimate = estimateEntriesRead(derived, last);
        exact &&= read === estimate;
        held.push({ nameAt, entriesRead: read });
        loaded.push({ nameAt, entriesRead: estimate });
        this.run(from, c.at, IDS);
        from = c.at;
        // A type 27's PEL as a run of its own (its NACKed entries may be left out of it), with each entry's start and id.
        const pel = type === STREAM_5 ? { run: this.n, starts: [] as number[], ids: [] as string[] } : undefined;
        for (let pending = c.length(); pending > 0; pending--) {
          if (pel) {
            pel.starts.push(c.at);
            pel.ids.push(idKey(c.rawStreamId()));
            c.skip(8);
          } else c.skip(16 + 8); // id, delivery time
          c.skipLength(); // delivery count
        }
        if (pel) {
          this.sealed = this.n;
          this.run(from, c.at, EVERY);
          this.sealed = this.n;
          from = c.at;
        }
        for (let consumers = c.length(); consumers > 0; consumers--) {
          c.skipString();
          c.skip(8); // seen time
          if (type !== STREAM_2) {
            this.run(from, c.at, EVERY);
            c.skip(8); // active time
            this.run(c.at - 8, c.at, ACTIVE);
            from = c.at;
          }
          c.skip(16 * c.length());
        }
        if (pel) {
          // The NACK zone (ids): no run.
          this.run(from, c.at, EVERY);
          const nacks = new Set<string>();
          for (let n = c.length(); n > 0; n--) nacks.add(idKey(c.rawStreamId()));
          from = c.at;
          if (nacks.size > 0) {
            nacked.push({ group: this.nameAt(nameAt), entries: nacks.size });
            this.leaveOut(pel.run, pel.starts, pel.ids, nacks);
          }
        }
      }
      this.run(from, c.at, EVERY);
      if (isNewerStream(type)) this.extras = { nacked, idmp: idmpTail(c) };
      done(c);
      this.held = { length, firstId, maxDeletedId, entriesAdded, groups: held };
      this.loaded = { length, firstId: derived.firstId, maxDeletedId: derived.maxDeletedId, entriesAdded: derived.entriesAdded, groups: loaded };
      this.exact = exact;
      return this;
    } catch (err) {
      throw new RdbFormatError(`malformed stream (RDB type ${type}, near byte ${c.at}): ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** Notes the run `[from, to)` of kind `kind` (none when empty; joined to the one before when of its kind and adjacent). */
  private run(from: number, to: number, kind: number): void {
    if (from === to) return;
    if (kind === EVERY) this.every += to - from;
    else if (kind === IDS) this.idBytes += to - from;
    else if (kind === ACTIVE) this.activeBytes += to - from;
    const runs = this.runs;
    const n = this.n;
    if (n > this.sealed && runs[n - 1] === kind && runs[n - 2] === from) {
      runs[n - 2] = to;
      return;
    }
    runs[n] = from;
    runs[n + 1] = to;
    runs[n + 2] = kind;
    this.n = n + 3;
  }

  /**
   * A type 27 group's PEL, the run at `index`, without the entries whose ids are in `nacks`: a count made here, then
   * the runs of the entries kept (starting at `starts`, ids `ids`); unchanged when none of its entries is NACKed.
   */
  private leaveOut(index: number, starts: readonly number[], ids: readonly string[], nacks: ReadonlySet<string>): void {
    const runs = this.runs;
    const pelEnd = runs[index + 1]!;
    const kept = ids.filter((id) => !nacks.has(id)).length;
    if (kept === ids.length) return;
    const tail = runs.slice(index + 3, this.n);
    const removed = pelEnd - runs[index]!;
    this.n = index;
    this.sealed = index;
    const count = new RdbOut(9).len(kept).take();
    this.made.push(count);
    runs[this.n] = this.made.length - 1;
    runs[this.n + 1] = count.length;
    runs[this.n + 2] = MADE;
    this.n += 3;
    this.sealed = this.n;
    this.every += count.length - removed;
    ids.forEach((id, i) => {
      if (!nacks.has(id)) this.run(starts[i]!, i + 1 < starts.length ? starts[i + 1]! : pelEnd, EVERY);
    });
    this.sealed = this.n;
    for (let i = 0; i < tail.length; i++) runs[this.n + i] = tail[i]!;
    this.n += tail.length;
  }

  /**
   * Calls `f` on each piece of the stream as type `to` holds it (15, 19, or 21 for a type 21, 26 or 27), in order:
   * the runs that layout holds, where they lie ({@link over}), and the bytes made here.
   */
  private each(to: number, f: (b: Uint8Array, from: number, to: number) => void): void {
    if (to !== STREAM_1 && to !== STREAM_2 && (to !== STREAM_3 || this.type === STREAM_2))
      throw new RdbFormatError(`stream type ${to} is not a layout a type ${this.type} is written as`);
    const runs = this.runs;
    const over = this.over();
    for (let i = 0; i < this.n; i += 3) {
      const kind = runs[i + 2]!;
      if (kind === MADE) f(this.made[runs[i]!]!, 0, runs[i + 1]!);
      else if (kind === EVERY || (kind === IDS && to !== STREAM_1) || (kind === ACTIVE && to === STREAM_3)) over(runs[i]!, runs[i + 1]!, f);
    }
  }

  /** Writes the stream as type `to` (15 or 19; 21 for a type 21, 26 or 27) into `out`: the runs that layout holds, as they are. */
  writeAs(to: number, out: RdbOut): void {
    this.each(to, (b, from, end) => out.bytes(b, from, end));
  }

  /**
   * {@link writeAs} of a stream read in parts ({@link readParts}), each run handed to `to` as views of the parts it
   * lies in (RdbFileWriter.piece: no copy; the parts must stay unchanged until the writer's chunks are taken), then
   * the key closed as of type `type` (15 or 19; 21 for a type 26 or 27), with no head.
   */
  writePiecesAs(type: number, to: { piece(bytes: Uint8Array): void; piecesWritten(type: number, head: Uint8Array): void }): void {
    this.each(type, (b, from, end) => to.piece(b.subarray(from, end)));
    to.piecesWritten(type, EMPTY);
  }

  /**
   * Calls `f` on each piece of the bytes `[from, to)` where they lie: `b`, or the parts ({@link readParts}) they span,
   * runs asked in order (the part searched for goes forward from the last run's).
   */
  private over(): (from: number, to: number, f: (b: Uint8Array, from: number, to: number) => void) => void {
    const parts = this.parts;
    if (parts === undefined) return (from, to, f) => f(this.b, from, to);
    let part = 0;
    let partAt = 0;
    return (from, to, f) => {
      while (partAt + parts[part]!.length <= from) partAt += parts[part++]!.length;
      for (let pos = from; pos < to; ) {
        const p = parts[part]!;
        const end = Math.min(to - partAt, p.length);
        f(p, pos - partAt, end);
        pos = partAt + end;
        if (end === p.length) partAt += parts[part++]!.length;
      }
    };
  }

  /**
   * Feeds `sink` the stream as {@link digestStreamAt} does it once written
   * as type `to` (15 or 19): as a type 19, every field that layout stores
   * (the runs it is written from, ids included, whatever `ids` says: the
   * output holds them as it holds the rest), as one part: the bytes of the
   * type 19 written, which a read-back digests whole; as a type 15, the
   * bytes every layout holds, as one part, then with `ids` its ids as it
   * holds them, which a server loading the type 15 must derive.
   */
  digest(sink: StreamSink, to: number, ids: boolean): void {
    sink.kind('stream');
    sink.partHead(this.every + (to !== STREAM_1 ? this.idBytes : 0) + (to === STREAM_3 ? this.activeBytes : 0));
    this.each(to, (b, from, end) => sink.framed(b, from, end));
    if (to === STREAM_1 && ids) idsPart(sink, this.held);
  }

  /**
   * What of the stream a server loading it as type 15 would not get back,
   * named (none when {@link exact}): its entries added, largest deleted id,
   * groups' entries read and (an empty stream's) recorded first id, which
   * Redis 7.0 derives from the entries of a type 15 (format/stream-info.ts
   * streamInfoAt) instead of reading them. Those are what XINFO STREAM and
   * XINFO GROUPS report (compare's fingerprint covers the first three:
   * fingerprint.ts StreamMeta and StreamGroup).
   */
  lost(): string[] {
    const { held, loaded } = this;
    const lost: string[] = [];
    if (held.entriesAdded !== loaded.entriesAdded) lost.push(`entries-added ${held.entriesAdded} (would be ${loaded.entriesAdded})`);
    if (!sameId(held.maxDeletedId, loaded.maxDeletedId))
      lost.push(`max-deleted-entry-id ${idText(held.maxDeletedId)} (would be ${idText(loaded.maxDeletedId)})`);
    // An empty stream's recorded first id (XINFO STREAM recorded-first-entry-id: 0-0 as XGROUP CREATE … MKSTREAM
    // leaves it) is no entry's: a type 15 derives none (2^64-1-2^64-1). A stream with entries has its first live one's.
    if (held.length === 0 && !sameId(held.firstId, loaded.firstId))
      lost.push(`recorded-first-entry-id ${idText(held.firstId)} (would be ${idText(loaded.firstId)})`);
    held.groups.forEach((g, i) => {
      const other = loaded.groups[i]!.entriesRead;
      const name = () => this.nameAt(g.nameAt);
      if (g.entriesRead !== other) lost.push(`group ${name()} entries-read ${entriesReadText(g.entriesRead)} (would be ${entriesReadText(other)})`);
    });
    return lost;
  }

  /** The RDB string at `at` (a group's name), decoded from where the stream lies. */
  private nameAt(at: number): string {
    const parts = this.parts;
    if (parts === undefined) return new Cursor(this.b, at, this.b.length).string().toString('latin1');
    let end = 0;
    for (const p of parts) end += p.length;
    return new PartsCursor(parts, at, end).string().toString('latin1');
  }
}

/** What {@link StreamLayout} walks a stream with: a {@link Cursor} over its bytes, or a {@link PartsCursor} over its parts. */
type StreamCursor = Pick<Cursor, 'at' | 'end' | 'length' | 'bigLength' | 'skip' | 'skipLength' | 'skipString' | 'rawStreamId'>;

/** Whether RDB value `type` is a Redis 8.6 or 8.8 stream (26 or 27). */
export const isNewerStream = (type: number): boolean => type === STREAM_4 || type === STREAM_5;

const idKey = (id: readonly [bigint, bigint]): string => `${id[0]}-${id[1]}`;

/** A type 26's or 27's IDMP tail, read to its end: its duration (s), max entries, producers and their ids; then two counters (ids added, duplicates). */
function idmpTail(c: StreamCursor): NewerStreamExtras['idmp'] {
  const duration = c.length();
  const maxEntries = c.length();
  const producers = c.length();
  let ids = 0;
  for (let p = producers; p > 0; p--) {
    c.skipString(); // producer
    for (let n = c.length(); n > 0; n--, ids++) {
      c.skipString(); // idempotent id
      c.skipLength(); // the entry's id: ms, seq
      c.skipLength();
    }
  }
  const added = c.bigLength(); // ids added
  const duplicates = c.bigLength();
  return { duration, maxEntries, producers, ids, added, duplicates };
}

const EMPTY = new Uint8Array(0);

/** A group of {@link LayoutIds}: its name where it lies (an RDB string at that offset), its entries read. */
interface LayoutGroup {
  readonly nameAt: number;
  readonly entriesRead: bigint | null;
}

/** {@link StreamIds} as {@link StreamLayout} holds them: a group's name not decoded unless a refusal names it. */
type LayoutIds = Omit<StreamIds, 'groups'> & { readonly groups: readonly LayoutGroup[] };

const NO_IDS: LayoutIds = { length: 0, firstId: [0n, 0n], maxDeletedId: [0n, 0n], entriesAdded: 0n, groups: [] };

const idText = (id: readonly [bigint, bigint]): string => `${id[0]}-${id[1]}`;
const sameId = (a: StreamId, b: StreamId): boolean => a[0] === b[0] && a[1] === b[1];

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

/**
 * A stream's entries added, largest deleted id, first id and groups' entries
 * read, as one part (stored, or as a server derives them of a type 15). The
 * first id of a stream with entries too: a type 19 or 21 stores its first
 * live entry's (Redis keeps it there through XDEL and XTRIM), which the RDB 9
 * rule takes on trust ({@link StreamLayout.read}, without decoding a node); a
 * type 15's read-back derives it from the entries written, so a stored one
 * that is not theirs differs here and is refused, never written as exact.
 */
function idsPart(sink: StreamSink, s: Omit<StreamIds, 'groups'> & { readonly groups: readonly { readonly entriesRead: bigint | null }[] }): void {
  const text = Buffer.from(
    [String(s.entriesAdded), idText(s.maxDeletedId), idText(s.firstId), ...s.groups.map((g) => entriesReadText(g.entriesRead))].join(' '),
    'latin1',
  );
  sink.part(text, 0, text.length);
}

/** What a stream's digest feeds: write/key-list.ts's KeyListDigest. */
export interface StreamSink {
  kind(kind: 'stream'): void;
  part(b: Uint8Array, from: number, to: number): void;
  /** A part's length; its bytes follow through {@link framed}. */
  partHead(n: number): void;
  framed(b: Uint8Array, from: number, to: number): void;
}

/**
 * Feeds `sink` what a stream (RDB type `type`, 15, 19 or 21, its object
 * bytes `b[at, end)` where a reader found them) holds once written: a type
 * 19 (or 21) every field it stores, its bytes whole, as one part; a type 15
 * the bytes it shares with every layout (all of its own), as one part, then
 * with `ids` its entries added, largest deleted id, first id and groups'
 * entries read as a server loading it derives them from its entries
 * ({@link StreamLayout.lost}), so a downgrade that loses them does not
 * digest as the input (without `ids`, `--lossy stream-ids`, they are left
 * out). A stream and its exact downgrade feed the same parts
 * ({@link StreamLayout.digest} with the layout written): a conversion's
 * read-back digests the output's bytes as they lie, and proves by that
 * digest that they are the ones the input's read checked.
 * @throws RdbFormatError for a malformed type 15 (its ids derived)
 */
export function digestStreamAt(type: number, b: Uint8Array, at: number, end: number, sink: StreamSink, ids: boolean): void {
  sink.kind('stream');
  sink.part(b, at, end);
  if (type === STREAM_1 && ids) idsPart(sink, streamInfoAt(type, b, at, end));
}
