import { Crc64 } from '../../lambdas/domain/rdb/codecs/crc64.js';
import { DUMP_FOOTER_BYTES } from '../../lambdas/domain/rdb/format/dump-payload.js';
import { Cursor } from '../../lambdas/domain/rdb/format/value.js';
import { RdbKeyReader } from '../../lambdas/domain/rdb/keys.js';
import { RdbOut } from '../../lambdas/domain/rdb/write/rdb-out.js';

/**
 * RDB files of formats newer than the local redis-server 7.0 reads (RDB 11,
 * 12, Valkey 9's VALKEY080), for convert-rdb's tests: every key a real 7.0
 * server wrote (test/support/rdb-dataset.ts: every type and encoding it
 * persists, expiries, several databases, a function library) framed again
 * under the newer header, plus keys in the encodings only the newer
 * releases write, built byte by byte as their loaders read them (Redis's and
 * Valkey's src/rdb.c): a listpack set (type 20, RDB 11), a stream with
 * consumers' active time (21, RDB 11, from the real type 19 stream), Redis
 * 7.4's hashes with field TTLs (24 and 25, RDB 12) and Valkey 9's (22).
 * Framing (header, AUX, SELECTDB, expiry, EOF, CRC-64) is written here, not
 * by the writer under test.
 */

/** One key as framed: database, name, type, object bytes, absolute expiry. */
export interface FramedKey {
  readonly db: number;
  readonly name: string;
  readonly type: number;
  readonly object: Uint8Array;
  readonly expireAtMs: number | null;
  /** Redis 8.6 key metadata (opcode 243 and its classes: {@link keyMetadata}), written between the expiry and the type. */
  readonly meta?: Uint8Array;
}

const len = (n: number): number[] =>
  n < 64 ? [n] : n < 16384 ? [0x40 | (n >> 8), n & 0xff] : [0x80, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
const str = (s: string | Uint8Array): number[] => {
  const b = typeof s === 'string' ? Buffer.from(s, 'latin1') : s; // names come from keysOf as latin1: their bytes as they were
  return [...len(b.length), ...b];
};
const le64 = (n: bigint): number[] => Array.from({ length: 8 }, (_, i) => Number((BigInt.asUintN(64, n) >> BigInt(8 * i)) & 0xffn));

/** A listpack of short strings, 7-bit integers and 64-bit ones (bigint), as Redis writes one. */
export function listpack(items: readonly (string | number | bigint)[]): number[] {
  const body = items.flatMap((x) => {
    if (typeof x === 'string') return [0x80 | x.length, ...Buffer.from(x), 1 + x.length];
    if (typeof x === 'number' && x >= 0 && x < 128) return [x, 1];
    return [0xf4, ...le64(BigInt(x)), 9];
  });
  const total = 6 + body.length + 1;
  return [total & 0xff, (total >> 8) & 0xff, 0, 0, items.length & 0xff, items.length >> 8, ...body, 0xff];
}

/**
 * A whole file: magic, AUX fields, function libraries (FUNCTION2 opcode and code), keys, EOF and a real CRC-64. `aux`
 * adds to or replaces the defaults (`redis-ver`, `redis-bits`, `ctime` now); an undefined value leaves that field out.
 */
export function frameFile(
  magic: string,
  keys: readonly FramedKey[],
  functions: readonly Uint8Array[] = [],
  aux: Record<string, string | undefined> = {},
): Buffer {
  // In pieces, joined once: a value of many MiB is neither spread as arguments nor pushed byte by byte.
  const pieces: Uint8Array[] = [Buffer.from(magic, 'latin1')];
  const bytes = (...b: number[]) => pieces.push(Uint8Array.from(b));
  for (const [k, v] of Object.entries({ 'redis-ver': '7.0.15', 'redis-bits': '64', ctime: String(Math.floor(Date.now() / 1000)), ...aux }))
    if (v !== undefined) bytes(0xfa, ...str(k), ...str(v));
  pieces.push(...functions);
  let db = -1;
  for (const k of keys) {
    if (k.db !== db) bytes(0xfe, ...len(k.db));
    db = k.db;
    if (k.expireAtMs !== null) bytes(0xfc, ...le64(BigInt(k.expireAtMs)));
    if (k.meta) pieces.push(k.meta);
    bytes(k.type, ...str(k.name));
    pieces.push(k.object);
  }
  bytes(0xff);
  const out = Buffer.concat(pieces);
  const crc = Buffer.alloc(8);
  new Crc64().update(out).writeLittleEndian(crc, 0);
  return Buffer.concat([out, crc]);
}

/** The keys and function libraries (FUNCTION2 opcode and code) of a real file. */
export function keysOf(rdb: Uint8Array): { keys: FramedKey[]; functions: Uint8Array[] } {
  const reader = new RdbKeyReader();
  const keys = reader.push(rdb).map((k) => ({
    db: k.db,
    name: k.name.toString('latin1'),
    type: k.type,
    object: k.payload.subarray(1, k.payload.length - DUMP_FOOTER_BYTES),
    expireAtMs: k.expireAtMs,
  }));
  const report = reader.end();
  if (!report.ok) throw new Error(`the source file is not valid: ${report.error?.message}`);
  return { keys, functions: reader.functions.map((f) => f.subarray(0, f.length - DUMP_FOOTER_BYTES)) };
}

/** A type 19 stream's object bytes as type 21: each consumer's active time (8 bytes) after its seen time. */
export function streamWithActiveTime(object: Uint8Array, activeTime: bigint): Uint8Array {
  const c = new Cursor(object, 0, object.length);
  const out: Uint8Array[] = [];
  let mark = 0;
  for (let nodes = c.length(); nodes > 0; nodes--) c.string(), c.string();
  c.length();
  for (let i = 0; i < 7; i++) c.bigLength();
  for (let groups = c.length(); groups > 0; groups--) {
    c.string();
    for (let i = 0; i < 3; i++) c.bigLength();
    for (let p = c.length(); p > 0; p--) c.skip(24), c.bigLength();
    for (let consumers = c.length(); consumers > 0; consumers--) {
      c.string();
      c.skip(8);
      out.push(object.subarray(mark, c.at), Uint8Array.from(le64(activeTime)));
      mark = c.at;
      c.skip(16 * c.length());
    }
  }
  out.push(object.subarray(mark));
  return Buffer.concat(out);
}

/** A time well ahead, so a loaded key's TTLs are all still in the future. */
export const LATER = Date.now() + 30 * 86_400_000;

/** The keys of the newer formats (beside the 7.0 ones): RDB 11's, and RDB 12's or Valkey 9's field TTL hashes. */
export function newerKeys(stream19: FramedKey, fieldTtls: 'redis' | 'valkey' | 'none'): FramedKey[] {
  const T = BigInt(LATER);
  const keys: FramedKey[] = [
    { db: 0, name: 'v11:set-listpack', type: 20, object: Uint8Array.from(str(Uint8Array.from(listpack(['a', 'b', 'c', 7, 100])))), expireAtMs: null },
    { db: 0, name: 'v11:stream', type: 21, object: streamWithActiveTime(stream19.object, T), expireAtMs: LATER + 5000 },
  ];
  if (fieldTtls === 'redis') {
    keys.push(
      // 24: earliest expiry, count, per field its TTL (relative + 1, 0 none), field, value.
      {
        db: 0,
        name: 'v12:hash-ttl',
        type: 24,
        object: Uint8Array.from([...le64(T), 2, ...len(1), ...str('f1'), ...str('v1'), 0, ...str('f2'), ...str('v2')]),
        expireAtMs: null,
      },
      // 25: earliest expiry, then a listpack of (field, value, TTL); fields with a TTL first.
      {
        db: 2,
        name: 'v12:hash-lp-ttl',
        type: 25,
        object: Uint8Array.from([...le64(T), ...str(Uint8Array.from(listpack(['a', 'x', T + 7n, 'b', 'y', 0])))]),
        expireAtMs: null,
      },
    );
  }
  if (fieldTtls === 'valkey') {
    // Valkey 9's 22: count, per field the field, the value, its expiry (8 bytes; -1 none).
    keys.push({
      db: 0,
      name: 'v9:hash-ttl',
      type: 22,
      object: Uint8Array.from([2, ...str('f1'), ...str('v1'), ...le64(T), ...str('f2'), ...str('v2'), ...le64(-1n)]),
      expireAtMs: null,
    });
  }
  return keys;
}

/**
 * A Redis 7.4 hash with field TTLs as RDB type 24 stores it: the earliest
 * expiry (`ceiling` when none is lower), the count, and per field its TTL
 * relative to that earliest + 1 (0: none; `0n` in `fields`), field, value.
 */
export function hashWithTtls24(fields: readonly [string, string, bigint][], ceiling: bigint): Uint8Array {
  const min = fields.reduce((m, [, , t]) => (t !== 0n && t < m ? t : m), ceiling);
  const rel = (t: bigint) => (t === 0n ? 0 : Number(t - min + 1n));
  const relLen = (n: number) => (n < 16384 ? len(n) : [0x80, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]);
  const out: number[] = [...le64(min), ...len(fields.length)];
  // A loop with push per byte, not flatMap and spreads: a test's hash of 150,000 fields builds in milliseconds.
  for (const [f, v, t] of fields) {
    const r = rel(t);
    for (const b of r > 0xffffffff ? [0x81, ...le64(BigInt(r)).reverse()] : relLen(r)) out.push(b);
    for (const b of str(f)) out.push(b);
    for (const b of str(v)) out.push(b);
  }
  return Uint8Array.from(out);
}

/**
 * Hashes some of whose fields' TTLs have passed (an hour before `now`), as
 * Redis 7.4 (24, 25) or Valkey 9 (22) would have saved them just before:
 * `…:mixed` (field `old` expired, `live` a TTL ahead, `perm` none),
 * `…:allgone` (every field expired: gone for a server loading the file),
 * `…:onlyold` (its one TTL expired, `perm` none: no field TTL left to lose),
 * and for Redis `v12:lp-mixed`, the listpack form of `…:mixed`.
 */
export function expiredFieldKeys(fork: 'redis' | 'valkey', now = Date.now()): FramedKey[] {
  const past = BigInt(now - 3_600_000);
  const T = BigInt(LATER);
  if (fork === 'valkey') {
    const v22 = (fields: [string, string, bigint][]) =>
      Uint8Array.from([...len(fields.length), ...fields.flatMap(([f, v, t]) => [...str(f), ...str(v), ...le64(t)])]);
    return [
      {
        db: 0,
        name: 'v9:mixed',
        type: 22,
        object: v22([
          ['old', 'x', past],
          ['live', 'y', T],
          ['perm', 'z', -1n],
        ]),
        expireAtMs: null,
      },
      {
        db: 0,
        name: 'v9:allgone',
        type: 22,
        object: v22([
          ['a', '1', past],
          ['b', '2', past],
        ]),
        expireAtMs: null,
      },
      {
        db: 0,
        name: 'v9:onlyold',
        type: 22,
        object: v22([
          ['old', 'x', past],
          ['perm', 'z', -1n],
        ]),
        expireAtMs: null,
      },
    ];
  }
  const v24 = (fields: [string, string, bigint][]) => hashWithTtls24(fields, T);
  return [
    {
      db: 0,
      name: 'v12:mixed',
      type: 24,
      object: v24([
        ['old', 'x', past],
        ['live', 'y', T],
        ['perm', 'z', 0n],
      ]),
      expireAtMs: null,
    },
    {
      db: 0,
      name: 'v12:allgone',
      type: 24,
      object: v24([
        ['a', '1', past],
        ['b', '2', past],
      ]),
      expireAtMs: null,
    },
    {
      db: 0,
      name: 'v12:onlyold',
      type: 24,
      object: v24([
        ['old', 'x', past],
        ['perm', 'z', 0n],
      ]),
      expireAtMs: null,
    },
    {
      db: 0,
      name: 'v12:lp-mixed',
      type: 25,
      object: Uint8Array.from([...le64(past), ...str(Uint8Array.from(listpack(['old', 'x', past, 'live', 'y', T, 'perm', 'z', 0])))]),
      expireAtMs: null,
    },
  ];
}

/** The newer-format files built from a real 7.0 dump, by name. */
export function newerFiles(rdb70: Uint8Array): Record<'REDIS0011' | 'REDIS0012' | 'VALKEY080', Buffer> {
  const { keys, functions } = keysOf(rdb70);
  // The largest type 19 stream: the one most likely to hold groups and consumers (whose active times type 21 adds).
  const stream = keys.filter((k) => k.type === 19).sort((a, b) => b.object.length - a.object.length)[0];
  if (!stream) throw new Error('the 7.0 dump holds no type 19 stream');
  const sorted = (more: FramedKey[]) => [...keys, ...more].sort((a, b) => a.db - b.db);
  return {
    REDIS0011: frameFile('REDIS0011', sorted(newerKeys(stream, 'none')), functions),
    REDIS0012: frameFile('REDIS0012', sorted(newerKeys(stream, 'redis')), functions),
    VALKEY080: frameFile('VALKEY080', sorted(newerKeys(stream, 'valkey')), functions, { 'valkey-ver': '9.0.0' }),
  };
}

const MODULE_ID_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** A module's 64-bit id as RDB stores it (module.c moduleTypeEncodeId: nine 6-bit characters of its type name, then a 10-bit encoding version), as an RDB length. */
function moduleId(typeName: string, encver: number): number[] {
  let id = 0n;
  for (const c of typeName) id = (id << 6n) | BigInt(MODULE_ID_CHARS.indexOf(c));
  id = (id << 10n) | BigInt(encver);
  return [0x81, ...Array.from({ length: 8 }, (_, i) => Number((id >> BigInt(8 * (7 - i))) & 0xffn))];
}

/**
 * Module AUX data of `typeName` (opcode 0xF7, as a module's aux_save writes it: its id, the `when` as an unsigned
 * integer, an empty module body ended by the EOF opcode), for frameFile's `functions` (bytes before the keys).
 */
export function moduleAux(typeName: string): Uint8Array {
  return Uint8Array.from([0xf7, ...moduleId(typeName, 3), 2, 2, 0]);
}

/** A key holding a module value of `typeName` (type 7, MODULE_2: its id, one string, the EOF opcode), as a module's rdb_save writes it. */
export function moduleValueKey(db: number, name: string, typeName: string): FramedKey {
  return { db, name, type: 7, object: Uint8Array.from([...moduleId(typeName, 3), 5, 3, 0x61, 0x62, 0x63, 0]), expireAtMs: null };
}

/** Class names' characters, 6 bits each (Redis 8.6 keymeta.c's keyMetaCharSet). */
const META_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';

/**
 * Redis 8.6 key metadata of one class (opcode 243, one class, its 32-bit spec little-endian: 4 name characters of 6
 * bits, version 0, the ALLOW_IGNORE flag when `ignorable`; its value as module data: one unsigned integer, EOF), as
 * keymeta.c's rdbSaveKeyMetadata writes it, for {@link FramedKey.meta} (in an RDB 13 file). Without ALLOW_IGNORE a
 * server lacking the class's module refuses the file.
 */
export function keyMetadata(className: string, ignorable = false): Uint8Array {
  let chars = 0;
  for (const c of className) chars = chars * 64 + META_CHARS.indexOf(c);
  const spec = ((chars << 8) | (ignorable ? 1 : 0)) >>> 0;
  return Uint8Array.from([0xf3, 1, spec & 0xff, (spec >>> 8) & 0xff, (spec >>> 16) & 0xff, spec >>> 24, 2, 1, 0]);
}

/** Redis 7.4's type 24 object of `fields` (name, value, absolute expiry or 0): the earliest expiry, the count, per field its TTL relative to that + 1 (0: none), name, value. */
export function redis24(fields: readonly (readonly [string, string, number])[]): Uint8Array {
  const ttls = fields.map(([, , t]) => t).filter((t) => t !== 0);
  const min = ttls.length > 0 ? Math.min(...ttls) : 1_900_000_000_000; // none: any earliest expiry (Redis writes such a hash plain)
  const out = new RdbOut(4 << 20).int64(min).len(fields.length);
  for (const [f, v, t] of fields)
    out
      .len(t === 0 ? 0 : t - min + 1)
      .string(Buffer.from(f))
      .string(Buffer.from(v));
  return out.take();
}
