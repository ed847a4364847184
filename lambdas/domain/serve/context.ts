/**
 * What every command of the read-only endpoint is given: the point's index,
 * a way to read one key's value, the clock, and the connection's session;
 * and the lookups the commands share (a key past its expiry is gone, as on
 * a server that loaded the file now).
 */
import type { KeyValue } from '../rdb/fingerprint.js';
import { decodeDumpPayload } from '../rdb/format/value.js';
import { isHashWithTtls } from '../rdb/write/source-forms.js';
import type { IndexedKey, KeyIndex } from './key-index.js';
import { typeNameOf } from './key-index.js';
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
  /** The keys WATCHed since the last EXEC, DISCARD or UNWATCH. */
  watched?: readonly WatchedKey[];
}

/** The point being served. */
export interface ServeContext {
  readonly index: KeyIndex;
  /**
   * The key's DUMP payload (its type byte, the value's bytes as stored, the file's RDB version, CRC-64), read at its offset:
   * at once from a local file (a positional read), a promise from S3 (a ranged GET).
   */
  readonly payload: (key: IndexedKey) => Buffer | Promise<Buffer>;
  readonly now: () => number;
  /** The password clients must send with AUTH (or HELLO … AUTH); none: every client is in. */
  readonly password?: string;
  /** Where it listens (INFO). */
  readonly port: number;
  /** Databases SELECT takes (0 to this−1), as a server's `databases`. @default 16 */
  readonly databases: number;
  /** Decoded values kept (a big list paged through LRANGE is read once). */
  readonly cache: ValueCache;
  /**
   * Per database, the hashes all of whose fields have TTLs (RDB types 22–25), by position, with the last field's expiry:
   * such a hash is gone once that has passed, as on Redis 7.4 (t_hash.c). Found at start ({@link hashesGoneAt}); absent: none looked for.
   */
  readonly hashesGoneAt?: ReadonlyMap<number, ReadonlyMap<number, number>>;
  /** What INFO server says of the point (file, RDB version, the release that writes it). */
  readonly about: { readonly location: string; readonly redisVersion: string; readonly startedAtMs: number };
}

/**
 * Redis 7.0's defaults for the compact encodings its loader gives small
 * collections, whatever the file stored (rdbLoadObject): hashes and sorted
 * sets of up to 128 entries of at most 64 bytes as listpacks, sets of up to
 * 512 integers as intsets. SCAN answers a compact value whole; a listpack's
 * scores are its stored text.
 */
export const LOADED_COMPACT = { entries: 128, bytes: 64, intsetEntries: 512 } as const;

/** A command: Redis's arity (n exact, −n at least n, the name counted) and its run. */
export interface CommandSpec {
  readonly arity: number;
  readonly flags: readonly string[];
  /** First key argument, last (−1: the last argument), step: COMMAND's key spec. @default 1, 1, 1 */
  readonly keys?: readonly [first: number, last: number, step: number];
  run(ctx: ServeContext, s: Session, args: Buffer[]): Reply | Promise<Reply>;
}

/** Payloads below this many bytes are not kept when reading them again is cheap (a local file): see {@link ValueCache}. */
export const CACHE_MIN_BYTES = 4096;

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
  private readonly held = new Map<number, { value: KeyValue; bytes: number }>();
  private bytes = 0;

  constructor(
    private readonly maxBytes = 64 * 1024 * 1024,
    private readonly minBytes = 0,
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

  private keep(key: IndexedKey, payload: Buffer): KeyValue {
    const value = decodeDumpPayload(payload);
    const bytes = payload.length;
    if (bytes <= this.maxBytes && bytes >= this.minBytes) {
      this.held.set(key.valueAt, { value, bytes });
      this.bytes += bytes;
      for (const [at, old] of this.held) {
        if (this.bytes <= this.maxBytes) break;
        this.held.delete(at);
        this.bytes -= old.bytes;
      }
    }
    return value;
  }
}

/** A hash as a server holds it at `now`: without the fields whose TTL has passed (t_hash.c hashTypeIsExpired: `expireAt < now`); null when none is left. */
function liveHash(v: Extract<KeyValue, { type: 'hash' }>, now: number): Extract<KeyValue, { type: 'hash' }> | null {
  const at = v.fieldExpireAtMs;
  if (!at?.some((t) => t !== null && t < now)) return v;
  const fields = v.fields.filter((_, i) => !(at[i] !== null && at[i]! < now));
  return fields.length === 0 ? null : { type: 'hash', fields };
}

/**
 * Per database, the hashes all of whose fields have TTLs, by position, with the last field's expiry (see
 * {@link ServeContext.hashesGoneAt}): every key's type read from the index, the payloads of those hashes read.
 */
export async function hashesGoneAt(index: KeyIndex, payload: (key: IndexedKey) => Buffer | Promise<Buffer>): Promise<Map<number, Map<number, number>>> {
  const out = new Map<number, Map<number, number>>();
  for (const db of index.databases())
    for (let pos = 0, n = index.size(db); pos < n; pos++) {
      if (!isHashWithTtls(index.typeAt(db, pos))) continue;
      const v = decodeDumpPayload(await payload(index.entry(db, pos)));
      const expireAt = v.type === 'hash' ? v.fieldExpireAtMs : undefined;
      if (!expireAt || expireAt.length === 0 || expireAt.some((t) => t === null)) continue;
      let inDb = out.get(db);
      if (!inDb) out.set(db, (inDb = new Map()));
      // A loop, not Math.max(...): a hash of a few hundred thousand fields would overflow the call's arguments.
      let last = 0;
      for (const t of expireAt as number[]) if (t > last) last = t;
      inDb.set(pos, last);
    }
  return out;
}

/** Whether the key at `pos` of `db` is there at `now`: its expiry not passed, and (a hash all of whose fields have TTLs) a field left. */
export function liveAt(ctx: ServeContext, db: number, pos: number, now = ctx.now()): boolean {
  const at = ctx.index.expireAtMs(db, pos);
  if (at !== null && at <= now) return false;
  const last = ctx.hashesGoneAt?.get(db)?.get(pos);
  return last === undefined || last >= now;
}

/** Of the keys of `db` not expired by `now`, the hashes every field of which has (see {@link ServeContext.hashesGoneAt}). */
export function hashesGone(ctx: ServeContext, db: number, now: number): number {
  let n = 0;
  for (const [pos, last] of ctx.hashesGoneAt?.get(db) ?? []) {
    const at = ctx.index.expireAtMs(db, pos);
    if (last < now && (at === null || at > now)) n++;
  }
  return n;
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
