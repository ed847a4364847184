/**
 * What every command of the read-only endpoint is given: the point's index,
 * a way to read one key's value, the clock, and the connection's session;
 * and the lookups the commands share (a key past its expiry is gone, as on
 * a server that loaded the file now).
 */
import { keyExpired } from '../keys/expiry.js';
import type { KeyValue } from '../rdb/fingerprint.js';
import { decodeDumpPayload } from '../rdb/format/value.js';
import { isHashWithTtls } from '../rdb/write/source-forms.js';
import type { IndexedKey, KeyIndex } from './key-index.js';
import { typeNameOf } from './key-index.js';
import { ValuePending } from './paged-index.js';
import type { Protocol, Reply } from './resp.js';
import { ERR } from './reply-text.js';

/** What MULTI opened on a connection: the commands queued and whether one was refused. */
export interface Transaction {
  readonly queued: Buffer[][];
  dirty: boolean;
}

/** A WATCHed key, and whether it had expired when WATCHed (then its expiry cannot abort EXEC). */
export interface WatchedKey {
  readonly db: number;
  readonly name: Buffer;
  readonly expired: boolean;
}

/** One connection's state (the transaction commands: transaction.ts). */
export interface Session {
  readonly id: number;
  db: number;
  proto: Protocol;
  name: Buffer | null;
  authenticated: boolean;
  /** Set by QUIT: the reply goes out, then the connection closes. */
  closing: boolean;
  /** Open since MULTI until EXEC or DISCARD (transaction.ts). */
  multi?: Transaction;
  /** Set while EXEC runs the queued commands (a blocking read answers at once there, as on a server). */
  inExec?: boolean;
  /** The keys WATCHed since the last EXEC, DISCARD or UNWATCH. */
  watched?: readonly WatchedKey[];
  /** Set when the connection has closed (the client went, or serve is stopping): a long walk (KEYS) stops at its next slice. */
  gone?: boolean;
  /**
   * Aborted once the client has left: its FIN (it sends nothing more) or the connection's close. A blocked read (XREAD
   * BLOCK) stops waiting then and answers the null nothing will change, as 7.0 frees a blocked client that leaves:
   * else its wait, and the connection with it, stayed for good. Absent: nothing ends a wait but its timeout.
   */
  readonly left?: AbortSignal;
}

/**
 * The work between two turns of the event loop, in milliseconds of the clock: a slice of a KEYS or SCAN walk
 * (ServeContext.clock), a piece of a big reply's encoding (the socket's writer). A PING waits about this long.
 */
export const SLICE_MS = 1;

/** The point being served. */
export interface ServeContext {
  readonly index: KeyIndex;
  /**
   * The key's DUMP payload (its type byte, the value's bytes as stored, the file's RDB version, CRC-64), read at its offset:
   * at once from a local file (a positional read), a promise from S3 (a ranged GET).
   */
  readonly payload: (key: IndexedKey) => Buffer | Promise<Buffer>;
  /**
   * Bytes [from, to) of the key's value as the file stores them (offsets within the value), read without decoding it:
   * a string's length from its header, a range of a plain string (STRLEN and GETRANGE of one over proto-max-bulk-len).
   * More than proto-max-bulk-len at once is refused (ValueTooBig). Absent: those read the whole value.
   */
  readonly stored?: (key: IndexedKey, from: number, to: number) => Buffer | Promise<Buffer>;
  readonly now: () => number;
  /** The password clients must send with AUTH (or HELLO … AUTH); none: every client is in. */
  readonly password?: string;
  /**
   * Lets the event loop turn (setImmediate): KEYS and SCAN walk the keys in slices of bounded work and give way
   * between them, so other clients are answered and a SIGTERM is heard. Absent: a walk runs to its end at once.
   */
  readonly turn?: () => Promise<void>;
  /**
   * A monotonic clock in milliseconds (performance.now): a slice of a walk ends once it has run {@link SLICE_MS}
   * (looked at every few hundred keys). Absent: a slice is bounded by its steps alone.
   */
  readonly clock?: () => number;
  /** Where it listens (INFO). */
  readonly port: number;
  /** Databases SELECT takes (0 to this−1), as a server's `databases`. @default 16 */
  readonly databases: number;
  /**
   * proto-max-bulk-len: the largest value answered (`serve --proto-max-bulk-len`), what CONFIG GET says and what bounds
   * LCS's transient table, as 7.0's does. @default SERVE_MAX_VALUE_BYTES (512 MiB, Redis's default)
   */
  readonly maxValueBytes?: number;
  /** Decoded values kept (a big list paged through LRANGE is read once). */
  readonly cache: ValueCache;
  /**
   * The hashes with field TTLs (RDB types 22–25) and, for those all of whose fields have one, the last field's expiry:
   * such a hash is gone once that has passed, as on Redis 7.4 (t_hash.c). Absent: the file holds none.
   */
  readonly hashes?: FieldTtlHashes;
  /** What INFO server says of the point (file, RDB version, the release that writes it). */
  readonly about: {
    readonly location: string;
    readonly redisVersion: string;
    readonly startedAtMs: number;
    /** The file is Valkey's (VALKEY80 and on): where Valkey answers otherwise than Redis (HTTL's checks), as Valkey. */
    readonly valkey?: boolean;
  };
}

/**
 * Redis 7.0's defaults for the compact encodings its loader gives small
 * collections, whatever the file stored (rdbLoadObject): hashes of up to 512
 * fields (hash-max-listpack-entries, 512 built in and in redis.conf) and
 * sorted sets of up to 128 members (zset-max-listpack-entries), of at most
 * 64 bytes, as listpacks, sets of up to 512 integers as intsets. SCAN
 * answers a compact value whole; a listpack's scores are its stored text.
 */
export const LOADED_COMPACT = { hashEntries: 512, zsetEntries: 128, bytes: 64, intsetEntries: 512 } as const;

/** A command: Redis's arity (n exact, −n at least n, the name counted) and its run (its COMMAND INFO and DOCS: command-replies.ts, 7.0's). */
export interface CommandSpec {
  readonly arity: number;
  run(ctx: ServeContext, s: Session, args: Buffer[]): Reply | Promise<Reply>;
}

/** Payloads below this many bytes are not kept when reading them again is cheap (a local file): see {@link ValueCache}. */
export const CACHE_MIN_BYTES = 4096;

/** A value the {@link ValueCache} holds: its payload's bytes, and what it counts (those plus its memos': {@link ValueCache.memo}). */
interface HeldValue {
  readonly value: KeyValue;
  readonly payload: number;
  bytes: number;
  memos?: Map<string, unknown>;
}

/**
 * What a memo of a held value is charged per member ({@link ValueCache.memo}), beside the value's payload bytes once
 * more (the members' text a map holds: at most that): measured with node 22 (bench/serve/member-memos.ts --memory,
 * 200,000 members), a Map from a member's latin1 text to a number takes 52 bytes a member and the text (61 at 4 bytes,
 * 69 at 12, 93 at 40, 157 at 100); a sorted set's order, a [member, score] pair a member (the member shared), 81.
 */
export const MEMO_BYTES_PER_MEMBER = 88;

/**
 * The last values decoded, most recently used last; bounded by their payload
 * bytes. With `minBytes`, smaller values are decoded at each read and not
 * kept: for a local file a small value's positional read and decode take
 * microseconds, while keeping hundreds of thousands of small decoded values
 * made every young-generation GC copy them (2–15 ms pauses every ~130 ms
 * under `redis-benchmark -t get`: the p99 of GET); big values (a list paged
 * through LRANGE) are still kept.
 */
export class ValueCache {
  private readonly held = new Map<number, HeldValue>();
  /** The same entries by value: a command has the value, not its place ({@link memo}). */
  private readonly heldOf = new WeakMap<KeyValue, HeldValue>();
  private bytes = 0;

  constructor(
    private readonly maxBytes = 64 * 1024 * 1024,
    private readonly minBytes = 0,
    /** A payload's value (the point's: a hash referencing its file's templates read with them). */
    private readonly decode: (key: IndexedKey, payload: Buffer) => KeyValue = (_, payload) => decodeDumpPayload(payload),
  ) {}

  /** Values held now (tests). */
  get size(): number {
    return this.held.size;
  }

  /** The value of `key`: at once when held or when `read` answers at once, else a promise. */
  get(key: IndexedKey, read: () => Buffer | Promise<Buffer>): KeyValue | Promise<KeyValue> {
    const hit = this.held.get(key.valueAt);
    if (hit) {
      this.held.delete(key.valueAt);
      this.held.set(key.valueAt, hit);
      return hit.value;
    }
    const payload = read();
    return payload instanceof Promise ? payload.then((p) => this.keep(key, p)) : this.keep(key, payload);
  }

  /**
   * The memo `kind` of a held value (a lookup map, an order): made by `make` at its first ask and kept with the value
   * while the cache holds it, its cost ({@link MEMO_BYTES_PER_MEMBER} a member, and the payload's bytes) counted in the cache's bytes (older
   * values go to make room). Undefined for a value the cache does not hold (one read at each request: a memo would be
   * made for one request) or whose memo would not fit in the cache: the caller walks the value then.
   */
  memo<T>(value: KeyValue, kind: string, members: number, make: () => T): T | undefined {
    const entry = this.heldOf.get(value);
    if (!entry) return undefined;
    if (entry.memos?.has(kind)) return entry.memos.get(kind) as T;
    const cost = members * MEMO_BYTES_PER_MEMBER + entry.payload;
    if (entry.bytes + cost > this.maxBytes) return undefined;
    const made = make();
    (entry.memos ??= new Map()).set(kind, made);
    entry.bytes += cost;
    this.bytes += cost;
    this.evict(entry);
    return made;
  }

  /** Holds `value` (`bytes`: its payload's) at `valueAt`, older values let go past the budget. */
  protected hold(valueAt: number, value: KeyValue, bytes: number): void {
    const entry: HeldValue = { value, payload: bytes, bytes };
    this.held.set(valueAt, entry);
    this.heldOf.set(value, entry);
    this.bytes += bytes;
    this.evict(entry);
  }

  private keep(key: IndexedKey, payload: Buffer): KeyValue {
    // Read twice at once (two requests before either read came back): the value held already, not a second one
    // counted beside it (its bytes never let go, the budget shrinking) with memos of its own.
    const held = this.held.get(key.valueAt);
    if (held) return held.value;
    const value = this.decode(key, payload);
    const bytes = payload.length;
    if (bytes <= this.maxBytes && bytes >= this.minBytes) this.hold(key.valueAt, value, bytes);
    return value;
  }

  /** Lets go of the least recently used values (not `kept`) until the bytes held are within the budget. */
  private evict(kept: HeldValue): void {
    for (const [at, old] of this.held) {
      if (this.bytes <= this.maxBytes) break;
      if (old === kept) continue;
      this.held.delete(at);
      this.heldOf.delete(old.value);
      this.bytes -= old.bytes;
    }
  }
}

/** A hash as a server holds it at `now`: without the fields whose TTL has passed (t_hash.c hashTypeIsExpired: `expireAt < now`); null when none is left. */
function liveHash(v: Extract<KeyValue, { type: 'hash' }>, now: number): Extract<KeyValue, { type: 'hash' }> | null {
  const at = v.fieldExpireAtMs;
  if (!at?.some((t) => t !== null && t < now)) return v;
  const live = (_: unknown, i: number): boolean => !(at[i] !== null && at[i]! < now);
  const fields = v.fields.filter(live);
  // The fields left keep their TTLs (HTTL answers them).
  return fields.length === 0 ? null : { type: 'hash', fields, fieldExpireAtMs: at.filter(live) };
}

/** The last field expiry of a hash some of whose fields have none: it is never gone by its fields. */
const NEVER = Number.POSITIVE_INFINITY;
/** Hashes read at once when a range of keys asks for several (a SCAN page, a database's walk): S3 ranged GETs in flight. */
const READS_AT_ONCE = 16;

/**
 * The hashes with field TTLs (RDB types 22–25) of a point, and when each is
 * gone: a hash all of whose fields have TTLs has no field left, and so is
 * gone, once the last has passed (Redis 7.4 t_hash.c: hashTypeIsExpired
 * `expireAt < now`, and a hash with no field left deleted). The index holds
 * every key's type, not its fields' TTLs: those are in the value. A local
 * file is read for them at start ({@link learnAll}: a walk of the index and
 * those hashes read, microseconds each); an S3 copy's are read as they are
 * met ({@link liveAt} throws {@link ValuePending} for one not read yet; SCAN
 * and KEYS read those of the keys they walk, {@link learn}), and DBSIZE and
 * INFO keyspace read every one of the database at their first call (the
 * index's types walked, then those hashes' values: docs/serve.md "Hashes
 * with field TTLs"). Whatever was read is kept: a position and a number.
 */
export class FieldTtlHashes {
  /** Per database, position → the last field expiry ({@link NEVER}: a field without one). */
  private readonly last = new Map<number, Map<number, number>>();
  /** Databases every hash of which has been read. */
  private readonly whole = new Set<number>();
  /** Reads under way, by `db:pos` (a command run again, or another client, waits for the same read). */
  private readonly reading = new Map<string, Promise<void>>();

  constructor(
    private readonly index: KeyIndex,
    /** A key's value (through the point's {@link ValueCache} where reads are round trips: the command that met the hash reads it next). */
    private readonly value: (key: IndexedKey) => KeyValue | Promise<KeyValue>,
  ) {}

  /** Whether every hash of `db` has been read (DBSIZE counts only then). */
  known(db: number): boolean {
    return this.whole.has(db);
  }

  /** The last field expiry of the key at `pos` (NEVER: not such a hash, or a field without a TTL); undefined: a hash not read yet. */
  lastExpiry(db: number, pos: number): number | undefined {
    const at = this.last.get(db)?.get(pos);
    if (at !== undefined || this.whole.has(db)) return at ?? NEVER;
    return isHashWithTtls(this.index.typeAt(db, pos)) ? undefined : NEVER;
  }

  /**
   * Reads the hashes with field TTLs among positions [from, to) of `db` not read yet; undefined when there are
   * none (at once). The walk of the types may throw BlockPending (an index on S3): run it under settle.
   */
  learn(db: number, from: number, to: number): Promise<void> | undefined {
    const wanted: number[] = [];
    const seen = this.last.get(db);
    const all = from === 0 && to >= this.index.size(db);
    // The blocks the index's directory names as holding such hashes, when it names them: only their types are read.
    const runs = this.index.fieldTtlRuns?.(db) ?? [[from, to] as const];
    if (!this.whole.has(db))
      for (const [a, b] of runs)
        for (let pos = Math.max(a, from); pos < Math.min(b, to); pos++) if (isHashWithTtls(this.index.typeAt(db, pos)) && !seen?.has(pos)) wanted.push(pos);
    if (wanted.length === 0) {
      if (all) this.whole.add(db);
      return undefined;
    }
    return (async () => {
      for (let i = 0; i < wanted.length; i += READS_AT_ONCE) {
        await Promise.all(wanted.slice(i, i + READS_AT_ONCE).map((pos) => this.read(db, pos)));
      }
      if (all) this.whole.add(db);
    })();
  }

  /**
   * Reads the hashes with field TTLs at `positions` of `db` not read yet, {@link READS_AT_ONCE} in flight; undefined
   * when there are none (at once). RANDOMKEY's tries: each such hash met one at a time was one run of the command more.
   */
  learnAt(db: number, positions: readonly number[]): Promise<void> | undefined {
    if (this.whole.has(db)) return undefined;
    const seen = this.last.get(db);
    const wanted = [...new Set(positions)].filter((pos) => isHashWithTtls(this.index.typeAt(db, pos)) && !seen?.has(pos));
    if (wanted.length === 0) return undefined;
    return (async () => {
      for (let i = 0; i < wanted.length; i += READS_AT_ONCE) await Promise.all(wanted.slice(i, i + READS_AT_ONCE).map((pos) => this.read(db, pos)));
    })();
  }

  /** Reads every hash with field TTLs of every database (a local file, at start). */
  async learnAll(): Promise<void> {
    for (const db of this.index.databases()) await this.learn(db, 0, this.index.size(db));
  }

  /** Reads the hash at `pos` (or waits for its read under way). */
  private read(db: number, pos: number): Promise<void> {
    const id = `${db}:${pos}`;
    let r = this.reading.get(id);
    if (!r) {
      r = Promise.resolve(this.value(this.index.entry(db, pos)))
        .then((v) => this.keep(db, pos, v))
        .finally(() => this.reading.delete(id));
      this.reading.set(id, r);
    }
    return r;
  }

  private keep(db: number, pos: number, v: KeyValue): void {
    const expireAt = v.type === 'hash' ? v.fieldExpireAtMs : undefined;
    // A loop, not Math.max(...): a hash of a few hundred thousand fields would overflow the call's arguments.
    let last = expireAt && expireAt.length > 0 ? 0 : NEVER;
    for (const t of expireAt ?? []) {
      if (t === null) {
        last = NEVER;
        break;
      }
      if (t > last) last = t;
    }
    let inDb = this.last.get(db);
    if (!inDb) this.last.set(db, (inDb = new Map()));
    inDb.set(pos, last);
  }

  /** Of the keys of `db` not expired by `now`, the hashes whose every field has (every hash of `db` read: {@link known}). */
  gone(db: number, now: number): number {
    let n = 0;
    for (const [pos, last] of this.last.get(db) ?? []) {
      const at = this.index.expireAtMs(db, pos);
      if (last < now && !keyExpired(at, now)) n++;
    }
    return n;
  }
}

/**
 * Whether the key at `pos` of `db` is there at `now`: its expiry not passed, and (a hash all of whose fields have TTLs) a field left.
 * A hash with field TTLs not read yet throws {@link ValuePending} (its value is read, then the command runs again).
 */
export function liveAt(ctx: ServeContext, db: number, pos: number, now = ctx.now()): boolean {
  const at = ctx.index.expireAtMs(db, pos);
  if (keyExpired(at, now)) return false;
  if (!ctx.hashes) return true;
  const last = ctx.hashes.lastExpiry(db, pos);
  if (last === undefined) throw new ValuePending(ctx.hashes.learn(db, pos, pos + 1)!);
  return last >= now;
}

/**
 * The hashes with field TTLs of `db`'s positions [from, to) read (see {@link FieldTtlHashes}), before a walk over them asks
 * {@link liveAt} of each: undefined when there is nothing to read.
 */
export function readHashesIn(ctx: ServeContext, db: number, from: number, to: number): Promise<void> | undefined {
  return ctx.hashes?.learn(db, from, to);
}

/** Of the keys of `db` not expired by `now`, the hashes every field of which has: every hash of `db` read first (a promise then). */
export function hashesGone(ctx: ServeContext, db: number, now: number): number | Promise<number> {
  const h = ctx.hashes;
  if (!h) return 0;
  if (h.known(db)) return h.gone(db, now);
  const reading = h.learn(db, 0, ctx.index.size(db));
  return reading ? reading.then(() => h.gone(db, now)) : h.gone(db, now);
}

/** The position of `name` in the session's database, or -1 when it is not there or has expired. */
export function lookup(ctx: ServeContext, db: number, name: Buffer): number {
  const pos = ctx.index.find(db, name);
  if (pos < 0) return -1;
  return liveAt(ctx, db, pos) ? pos : -1;
}

/** The value of the key at `pos` of `db` (at once when it can be: see {@link ValueCache.get}). */
export function valueAt(ctx: ServeContext, db: number, pos: number): KeyValue | Promise<KeyValue> {
  const entry = ctx.index.entry(db, pos);
  return ctx.cache.get(entry, () => ctx.payload(entry));
}

/** What {@link typed} answers: the value, null (no such key) or a WRONGTYPE reply. */
export type Typed<T extends KeyValue['type']> = Extract<KeyValue, { type: T }> | null | Reply;

/** The key's value when it holds `type`; null when there is no such key; a WRONGTYPE reply otherwise (at once when the value can be read at once). */
export function typed<T extends KeyValue['type']>(ctx: ServeContext, s: Session, name: Buffer, type: T): Typed<T> | Promise<Typed<T>> {
  const pos = lookup(ctx, s.db, name);
  if (pos < 0) return null;
  // The type is in the index: a wrong one is answered without reading the value.
  if (typeNameOf(ctx.index.typeAt(s.db, pos)) !== type) return { t: 'error', s: ERR.wrongType };
  const value = valueAt(ctx, s.db, pos);
  const check = (v: KeyValue): Typed<T> => {
    if (v.type !== type) return { t: 'error', s: ERR.wrongType };
    // A hash's fields whose TTL has passed are gone (and the hash with them when none is left), as Redis 7.4 answers.
    return (v.type === 'hash' ? liveHash(v, ctx.now()) : v) as Typed<T>;
  };
  return whenRead(value, check);
}

/**
 * As {@link typed}, but a hash as the file stores it, its fields whose TTL has passed still in: for the reads of one
 * field, which look at that field's TTL themselves (a hash none of whose fields is left answers as no key there), so
 * the value the cache holds is what they look up (its memo: member-lookup.ts), not a copy made at each request.
 */
export function typedAsStored<T extends KeyValue['type']>(ctx: ServeContext, s: Session, name: Buffer, type: T): Typed<T> | Promise<Typed<T>> {
  const pos = lookup(ctx, s.db, name);
  if (pos < 0) return null;
  if (typeNameOf(ctx.index.typeAt(s.db, pos)) !== type) return { t: 'error', s: ERR.wrongType };
  return whenRead(valueAt(ctx, s.db, pos), (v) => (v.type === type ? v : { t: 'error', s: ERR.wrongType }) as Typed<T>);
}

/** `f` of `v`: at once when `v` is there, after it when it is a promise (the hot path of GET stays free of promises). */
export function whenRead<T, U>(v: T | Promise<T>, f: (t: T) => U): U | Promise<U> {
  return v instanceof Promise ? v.then(f) : f(v);
}

/** Whether {@link typed} answered a reply (WRONGTYPE) rather than a value. */
export function isReply(v: unknown): v is Reply {
  return typeof v === 'object' && v !== null && 't' in v;
}

/** The command name as Redis prints it in errors (lower case). */
export function nameOf(args: readonly Buffer[]): string {
  return args[0]!.toString('latin1').toLowerCase();
}
