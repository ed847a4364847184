/**
 * Per-key fingerprints that are equal on two servers exactly when the keys
 * hold the same data, whatever the encoding or insertion order. DUMP bytes
 * are not usable for this: a hash-table-encoded set or hash dumps its members
 * in the order of that process's table, so equal sets on two servers can dump
 * differently. Instead each type is reduced to a canonical form (members and
 * fields sorted, zset scores normalised, lists and streams in order) and
 * hashed. Pure: the values are read by the Redis adapters (lambdas/adapters/redis/).
 */
import { createHash } from 'node:crypto';

/** A key's value as read from a server, per type. Byte strings stay bytes. */
export type KeyValue =
  | { readonly type: 'string'; readonly value: Buffer }
  | { readonly type: 'list'; readonly items: readonly Buffer[] }
  | { readonly type: 'set'; readonly members: readonly Buffer[] }
  /** Scores as the server prints them (`1.5`, `inf`, `-inf`). */
  | { readonly type: 'zset'; readonly entries: readonly (readonly [member: Buffer, score: string])[] }
  | {
      readonly type: 'hash';
      readonly fields: readonly (readonly [field: Buffer, value: Buffer])[];
      /**
       * Each field's absolute expiry (Unix ms; null: none), in the order of
       * `fields`, where the source keeps field TTLs (RDB types 22–25, a DUMP
       * of Redis ≥ 7.4 or Valkey ≥ 9.0); absent where it cannot hold them.
       */
      readonly fieldExpireAtMs?: readonly (number | null)[];
    }
  | {
      readonly type: 'stream';
      /** XRANGE - + : entry id and its field/value list, in id order. */
      readonly entries: readonly (readonly [id: string, fields: readonly Buffer[]])[];
      /** Consumer groups: name, last delivered id, pending count (and, where read, PEL and consumers). @default [] */
      readonly groups?: readonly StreamGroup[];
      /** The stream's own ids (XINFO STREAM); every reader of a file or server gives them, fixtures may not. */
      readonly meta?: StreamMeta;
    }
  /** A type we cannot read member by member (a module type): its DUMP payload. */
  | { readonly type: 'other'; readonly typeName: string; readonly dump: Buffer };

/**
 * One consumer group of a stream, as far as the fingerprint covers it: what
 * XINFO GROUPS reports, its PEL (ids, owner, delivery count: XPENDING) and
 * its consumers (XINFO CONSUMERS names, those holding nothing too). Left out
 * on purpose: delivery times and consumers' seen/active times (clocks: a
 * file and a server read seconds apart, or a consumer merely polling, would
 * differ without any data differing; a DUMP/RESTORE keeps them, an
 * XCLAIM/XREADGROUP that moves an entry also changes an id's owner or count,
 * which is covered), and a group's lag (Redis derives it from the ids and
 * the entries-read covered here). A group's entries-read is covered: a
 * counter stored since RDB 10 (`XGROUP SETID … ENTRIESREAD` sets it), of a
 * type-15 stream what Redis 7.0 derives loading it.
 */
export interface StreamGroup {
  readonly name: Buffer;
  readonly lastDeliveredId: string;
  readonly pending: number;
  /** The PEL in id order: entry id, the consumer holding it, its delivery count. */
  readonly pel?: readonly (readonly [id: string, consumer: Buffer, deliveries: string])[];
  /** Every consumer's name, in any order. */
  readonly consumers?: readonly Buffer[];
  /** XINFO GROUPS' entries-read (`nil`: unknown to the server). */
  readonly entriesRead?: string;
}

/**
 * A stream's ids beside its entries (XINFO STREAM): the last generated id,
 * entries added over its life, the largest deleted id. A stream of RDB type
 * 15 (Redis < 7.0, which keep neither count) gets what Redis 7.0 derives on
 * loading it: entries added = its length, largest deleted id 0-0.
 */
export interface StreamMeta {
  readonly lastId: string;
  readonly entriesAdded: string;
  readonly maxDeletedId: string;
}

/** What compare holds per key: type, value digest, absolute expiry. */
export interface KeyDigest {
  readonly type: string;
  /** sha256 (hex) of the canonical form of the value. */
  readonly digest: string;
  /** Absolute expiry (PEXPIRETIME, Unix ms), `null` without a TTL. */
  readonly expireAtMs: number | null;
}

/** Why a key differs between side A and side B. */
export type DiffReason = 'missing-in-a' | 'missing-in-b' | 'type' | 'value' | 'ttl';

/** A normalised score: Redis prints the same double the same way, but `1` vs `1.0` or `+inf` must not differ. */
export function normaliseScore(score: string): string {
  const s = score.trim().toLowerCase();
  if (s === 'inf' || s === '+inf' || s === 'infinity' || s === '+infinity') return 'inf';
  if (s === '-inf' || s === '-infinity') return '-inf';
  const n = Number(s);
  // -0 keeps its sign: a skiplist holds it as such, and the server prints it (`-0`).
  return Number.isNaN(n) ? s : Object.is(n, -0) ? '-0' : String(n);
}

/** Length-prefixed parts: no separator byte can be confused with data. */
function frame(hash: ReturnType<typeof createHash>, part: Buffer | string): void {
  const b = typeof part === 'string' ? Buffer.from(part, 'utf8') : part;
  const len = Buffer.alloc(8);
  len.writeBigUInt64BE(BigInt(b.length));
  hash.update(len);
  hash.update(b);
}

const byBytes = (a: Buffer, b: Buffer): number => Buffer.compare(a, b);

/**
 * The {@link valueDigest} of a list or a stream fed a piece at a time, in
 * order (a big value read a chunk at a time, on a server or from a file's
 * payload, is never held whole): the count first, then the items, or the
 * entries and last the consumer groups. valueDigest itself goes through it,
 * so a value digested in pieces and whole get the same digest by construction.
 */
export class OrderedDigest {
  private readonly h: ReturnType<typeof createHash>;
  /** `h`: valueDigest's hash, with the type name framed (when absent, a fresh one gets it). */
  constructor(type: 'list' | 'stream', count: number, h?: ReturnType<typeof createHash>) {
    this.h = h ?? createHash('sha256');
    if (!h) frame(this.h, type);
    frame(this.h, String(count));
  }

  /** The next item of a list. */
  item(item: Buffer): void {
    frame(this.h, item);
  }

  /** The next entry of a stream: its id and its field/value list. */
  entry(id: string, fields: readonly Buffer[]): void {
    frame(this.h, id);
    frame(this.h, String(fields.length));
    for (const f of fields) frame(this.h, f);
  }

  /**
   * A stream's ids and consumer groups, after its entries (groups in any
   * order: sorted by name here). `meta` and a group's PEL and consumers are
   * framed behind a tag (no count or group name is framed in its place, so
   * a value with them never digests as one without).
   */
  groups(groups: readonly StreamGroup[], meta?: StreamMeta): void {
    if (meta) {
      frame(this.h, '\0meta');
      frame(this.h, meta.lastId);
      frame(this.h, meta.entriesAdded);
      frame(this.h, meta.maxDeletedId);
    }
    const sorted = [...groups].sort((a, b) => byBytes(a.name, b.name));
    frame(this.h, String(sorted.length));
    for (const g of sorted) {
      frame(this.h, g.name);
      frame(this.h, g.lastDeliveredId);
      frame(this.h, String(g.pending));
      if (g.pel) {
        frame(this.h, '\0pel');
        frame(this.h, String(g.pel.length));
        for (const [id, consumer, deliveries] of g.pel) {
          frame(this.h, id);
          frame(this.h, consumer);
          frame(this.h, deliveries);
        }
      }
      if (g.consumers) {
        frame(this.h, '\0consumers');
        frame(this.h, String(g.consumers.length));
        for (const c of [...g.consumers].sort(byBytes)) frame(this.h, c);
      }
      if (g.entriesRead !== undefined) {
        frame(this.h, '\0read');
        frame(this.h, g.entriesRead);
      }
    }
  }

  /** The sha256 (hex); the digest is spent after it. */
  digest(): string {
    return this.h.digest('hex');
  }
}

/**
 * The sha256 (hex) of a value's canonical form: the type name, then
 * - string: the bytes;
 * - list: items in order;
 * - set: members sorted bytewise;
 * - zset: (member, normalised score) sorted by member;
 * - hash: (field, value) sorted by field; where fields have TTLs, each
 *   field's absolute expiry in ms too (a hash without any stays as it was);
 *   with `nowMs`, fields whose expiry is before it are left out (Redis 7.4's hashTypeIsExpired: expireAt < now) (a server
 *   answers without them, and drops them loading a file);
 * - stream: entries in id order with their field/value lists in order, then
 *   the stream's ids (last generated, entries added, largest deleted), then
 *   consumer groups sorted by name (name, last delivered id, pending count,
 *   the PEL's ids with owner and delivery count, the consumers' names);
 * - other (module types): the DUMP payload (stable only on equal encodings).
 */
export function valueDigest(value: KeyValue, nowMs?: number): string {
  const h = createHash('sha256');
  frame(h, value.type === 'other' ? `other:${value.typeName}` : value.type);
  switch (value.type) {
    case 'string':
      frame(h, value.value);
      break;
    case 'list': {
      const d = new OrderedDigest('list', value.items.length, h);
      for (const item of value.items) d.item(item);
      break;
    }
    case 'set': {
      frame(h, String(value.members.length));
      for (const m of [...value.members].sort(byBytes)) frame(h, m);
      break;
    }
    case 'zset': {
      frame(h, String(value.entries.length));
      for (const [m, score] of [...value.entries].sort((a, b) => byBytes(a[0], b[0]))) {
        frame(h, m);
        frame(h, normaliseScore(score));
      }
      break;
    }
    case 'hash': {
      const ttls = value.fieldExpireAtMs;
      let fields = value.fields.map((f, i) => [f[0], f[1], ttls?.[i] ?? null] as const);
      if (nowMs !== undefined) fields = fields.filter(([, , t]) => t === null || t >= nowMs);
      const timed = fields.some(([, , t]) => t !== null);
      // A hash none of whose (live) fields has a TTL digests as before field TTLs existed; one with any frames each field's expiry.
      frame(h, timed ? `${fields.length}\0ttl` : String(fields.length));
      for (const [f, v, t] of fields.sort((a, b) => byBytes(a[0], b[0]))) {
        frame(h, f);
        frame(h, v);
        if (timed) frame(h, t === null ? '' : String(t));
      }
      break;
    }
    case 'stream': {
      const d = new OrderedDigest('stream', value.entries.length, h);
      for (const [id, fields] of value.entries) d.entry(id, fields);
      d.groups(value.groups ?? [], value.meta);
      break;
    }
    case 'other':
      frame(h, value.dump);
      break;
  }
  return h.digest('hex');
}

/**
 * A value as a server loading it at `nowMs` holds it: a hash's fields whose
 * TTL has passed left out (Redis 7.4 t_hash.c `expireAt < now`, as
 * {@link valueDigest} with a clock), and undefined for a hash with field
 * TTLs none of whose fields is left (the server has no such key). Other
 * values as they are.
 */
export function liveValueAt(value: KeyValue, nowMs: number): KeyValue | undefined {
  if (value.type !== 'hash' || !value.fieldExpireAtMs) return value;
  const ttls = value.fieldExpireAtMs;
  const live = (i: number): boolean => ttls[i] === null || ttls[i]! >= nowMs;
  if (value.fields.every((_, i) => live(i))) return value;
  const keep = value.fields.flatMap((_, i) => (live(i) ? [i] : []));
  if (keep.length === 0) return undefined;
  return { type: 'hash', fields: keep.map((i) => value.fields[i]!), fieldExpireAtMs: keep.map((i) => ttls[i]!) };
}

/**
 * A hash as a target without field TTLs holds it once `--lossy field-ttl`
 * let them go: its fields still live at `nowMs` (one whose TTL has passed
 * is gone, not kept for ever), without TTLs. Other values as they are.
 */
export function withoutFieldTtls(value: KeyValue, nowMs: number): KeyValue {
  if (value.type !== 'hash' || !value.fieldExpireAtMs) return value;
  const live = liveValueAt(value, nowMs);
  return { type: 'hash', fields: live?.type === 'hash' ? live.fields : [] };
}

/** A key's digest: value digest and expiry; `nowMs`: the read's clock, fields of a hash expired by then left out. */
export function keyDigest(value: KeyValue, expireAtMs: number | null, nowMs?: number): KeyDigest {
  return { type: value.type === 'other' ? value.typeName : value.type, digest: valueDigest(value, nowMs), expireAtMs };
}

/**
 * How one key differs between A and B, or `undefined` when equal. TTLs are
 * compared as absolute expiry times (PEXPIRETIME), not remaining TTLs, so the
 * time between the two reads does not matter; `ttlToleranceMs` absorbs copies
 * made with relative TTLs (e.g. a RESTORE without ABSTTL). A key with a TTL
 * and the same key without one always differ.
 */
export function diffKey(a: KeyDigest | undefined, b: KeyDigest | undefined, ttlToleranceMs: number): DiffReason | undefined {
  if (!a && !b) return undefined;
  if (!a) return 'missing-in-a';
  if (!b) return 'missing-in-b';
  if (a.type !== b.type) return 'type';
  if (a.digest !== b.digest) return 'value';
  if ((a.expireAtMs === null) !== (b.expireAtMs === null)) return 'ttl';
  if (a.expireAtMs !== null && b.expireAtMs !== null && Math.abs(a.expireAtMs - b.expireAtMs) > ttlToleranceMs) return 'ttl';
  return undefined;
}

/**
 * A key as people read it: printable ASCII as is, everything else escaped
 * like redis-cli does (`\n`, `\\`, `\"`, `\xff`), quoted when it needs it.
 */
export function displayKey(key: Buffer): string {
  let out = '';
  let quote = key.length === 0;
  for (const byte of key) {
    if (byte === 0x5c) out += '\\\\';
    else if (byte === 0x22) out += '\\"';
    else if (byte === 0x0a) out += '\\n';
    else if (byte === 0x0d) out += '\\r';
    else if (byte === 0x09) out += '\\t';
    else if (byte >= 0x20 && byte < 0x7f) out += String.fromCharCode(byte);
    else out += `\\x${byte.toString(16).padStart(2, '0')}`;
    if (byte <= 0x20 || byte >= 0x7f || byte === 0x22 || byte === 0x5c) quote = true;
  }
  return quote ? `"${out}"` : out;
}

/** A key in JSON: the UTF-8 text when the bytes are valid UTF-8, else base64 as well. */
export function jsonKey(key: Buffer): { key: string; keyBase64?: string } {
  const text = key.toString('utf8');
  return Buffer.from(text, 'utf8').equals(key) ? { key: text } : { key: text, keyBase64: key.toString('base64') };
}
