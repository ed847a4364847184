/**
 * What every command of the read-only endpoint is given: the point's index,
 * a way to read one key's value, the clock, and the connection's session;
 * and the lookups the commands share (a key past its expiry is gone, as on
 * a server that loaded the file now).
 */
import type { KeyValue } from '../rdb/fingerprint.js';
import { decodeDumpPayload } from '../rdb/format/value.js';
import type { IndexedKey, KeyIndex } from './key-index.js';
import { typeNameOf } from './key-index.js';
import type { Protocol, Reply } from './resp.js';
import { ERR } from './reply-text.js';

/** One connection's state. */
export interface Session {
  readonly id: number;
  db: number;
  proto: Protocol;
  name: Buffer | null;
  authenticated: boolean;
  /** Set by QUIT: the reply goes out, then the connection closes. */
  closing: boolean;
}

/** The point being served. */
export interface ServeContext {
  readonly index: KeyIndex;
  /** The key's DUMP payload (its type byte, the value's bytes as stored, the file's RDB version, CRC-64), read at its offset. */
  readonly payload: (key: IndexedKey) => Promise<Buffer>;
  readonly now: () => number;
  /** The password clients must send with AUTH (or HELLO … AUTH); none: every client is in. */
  readonly password?: string;
  /** Where it listens (INFO). */
  readonly port: number;
  /** Databases SELECT takes (0 to this−1), as a server's `databases`. @default 16 */
  readonly databases: number;
  /** Decoded values kept (a big list paged through LRANGE is read once). */
  readonly cache: ValueCache;
  /** What INFO server says of the point (file, RDB version, the release that writes it). */
  readonly about: { readonly location: string; readonly redisVersion: string; readonly startedAtMs: number };
}

/** A command: Redis's arity (n exact, −n at least n, the name counted) and its run. */
export interface CommandSpec {
  readonly arity: number;
  readonly flags: readonly string[];
  /** First key argument, last (−1: the last argument), step: COMMAND's key spec. @default 1, 1, 1 */
  readonly keys?: readonly [first: number, last: number, step: number];
  run(ctx: ServeContext, s: Session, args: Buffer[]): Reply | Promise<Reply>;
}

/** The last values decoded, most recently used last; bounded by their payload bytes. */
export class ValueCache {
  private readonly held = new Map<number, { value: KeyValue; bytes: number }>();
  private bytes = 0;

  constructor(private readonly maxBytes = 64 * 1024 * 1024) {}

  async get(key: IndexedKey, read: () => Promise<Buffer>): Promise<KeyValue> {
    const hit = this.held.get(key.valueAt);
    if (hit) {
      this.held.delete(key.valueAt);
      this.held.set(key.valueAt, hit);
      return hit.value;
    }
    const payload = await read();
    const value = decodeDumpPayload(payload);
    const bytes = payload.length;
    if (bytes <= this.maxBytes) {
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

/** The position of `name` in the session's database, or -1 when it is not there or has expired. */
export function lookup(ctx: ServeContext, db: number, name: Buffer): number {
  const pos = ctx.index.find(db, name);
  if (pos < 0) return -1;
  const at = ctx.index.expireAtMs(db, pos);
  return at !== null && at <= ctx.now() ? -1 : pos;
}

/** The value of the key at `pos` of `db`. */
export function valueAt(ctx: ServeContext, db: number, pos: number): Promise<KeyValue> {
  const entry = ctx.index.entry(db, pos);
  return ctx.cache.get(entry, () => ctx.payload(entry));
}

/** The key's value when it holds `type`; null when there is no such key; a WRONGTYPE reply otherwise. */
export async function typed<T extends KeyValue['type']>(
  ctx: ServeContext,
  s: Session,
  name: Buffer,
  type: T,
): Promise<Extract<KeyValue, { type: T }> | null | Reply> {
  const pos = lookup(ctx, s.db, name);
  if (pos < 0) return null;
  // The type is in the index: a wrong one is answered without reading the value.
  if (typeNameOf(ctx.index.typeAt(s.db, pos)) !== type) return { t: 'error', s: ERR.wrongType };
  const value = await valueAt(ctx, s.db, pos);
  if (value.type !== type) return { t: 'error', s: ERR.wrongType };
  return value as Extract<KeyValue, { type: T }>;
}

/** Whether {@link typed} answered a reply (WRONGTYPE) rather than a value. */
export function isReply(v: unknown): v is Reply {
  return typeof v === 'object' && v !== null && 't' in v;
}

/** The command name as Redis prints it in errors (lower case). */
export function nameOf(args: readonly Buffer[]): string {
  return args[0]!.toString('latin1').toLowerCase();
}
