/**
 * A key through a series of recovery points (`redis-dr history`): what each
 * point held of it, and where it appeared, changed or vanished. Pure: the
 * points are read by lambdas/jobs/serve/history.ts.
 */
import { type KeyValue, valueDigest } from '../rdb/fingerprint.js';

/** What one point held of the key (`value` undefined: not there, or already expired when its file was saved). */
export interface KeyAtPoint {
  /** The backup's file name. */
  readonly point: string;
  /** When the point was taken, as its name says. */
  readonly at: Date;
  readonly value?: KeyValue;
  /** Instead of `value`: the key was there with a value over the limit values are read to, followed by its stored bytes. */
  readonly overLimit?: OverLimit;
  /** Absolute expiry (Unix ms) of the key, or null. */
  readonly expireAtMs?: number | null;
  /**
   * When the file holding the key was saved (its `ctime`), the time it was judged at; without `value`, the earliest save
   * of the point's files (one file: its save). Absent where the file has none: judged at `at`.
   */
  readonly savedAt?: Date;
}

/**
 * A value over the limit a value is read to (serve's proto-max-bulk-len, 512 MiB): not decoded, so neither counted nor
 * digested as a value; its stored bytes are hashed as they are read, a range at a time. The same value stored in
 * another encoding (another server version, another history of writes) therefore shows as changed.
 */
export interface OverLimit {
  /** TYPE's answer. */
  readonly type: string;
  /** The bytes the file stores for the value. */
  readonly storedBytes: number;
  /** sha256 (hex) of those bytes, prefixed `stored:` (never equal to a value's digest). */
  readonly digest: string;
}

/** How a point's state of the key differs from the point before it. */
export type KeyChange = 'first' | 'absent' | 'appeared' | 'vanished' | 'changed' | 'ttl' | 'same';

/** One row of a key's history. */
export interface HistoryRow {
  readonly point: string;
  readonly at: Date;
  readonly exists: boolean;
  readonly type?: string;
  /** Elements (bytes for a string). */
  readonly size?: number;
  /** Time to live left when the point's file was saved (ms; `savedAt`); null: no expiry. */
  readonly ttlMs?: number | null;
  /**
   * When the file holding the key was saved (its `ctime`), what it was judged at (a key absent: the earliest save of the
   * point's files); absent where the file has none (judged at `at`).
   */
  readonly savedAt?: Date;
  /** sha256 (hex) of the value's canonical form (compare's digest, so equal values give equal digests across encodings). */
  readonly digest?: string;
  /** Set when the value was over the read limit ({@link OverLimit}): its stored bytes, `size` absent, `digest` theirs. */
  readonly storedBytes?: number;
  readonly change: KeyChange;
}

/** Elements of a value (bytes of a string), as STRLEN, LLEN, SCARD, ZCARD, HLEN and XLEN count them. */
export function valueSize(value: KeyValue): number {
  switch (value.type) {
    case 'string':
      return value.value.length;
    case 'list':
      return value.items.length;
    case 'set':
      return value.members.length;
    case 'zset':
      return value.entries.length;
    case 'hash':
      return value.fields.length;
    case 'stream':
      return value.entries.length;
    default:
      return value.dump.length;
  }
}

/** The type TYPE answers for a value. */
export function valueType(value: KeyValue): string {
  return value.type === 'other' ? value.typeName : value.type;
}

/** The rows of a key's history, points in time order (oldest first), each marked against the one before. */
export function keyHistory(points: readonly KeyAtPoint[]): HistoryRow[] {
  const sorted = [...points].sort((a, b) => a.at.getTime() - b.at.getTime());
  const rows: HistoryRow[] = [];
  for (const [i, p] of sorted.entries()) {
    const prev = rows[i - 1];
    if (!p.value && !p.overLimit) {
      rows.push({
        point: p.point,
        at: p.at,
        exists: false,
        ...(p.savedAt ? { savedAt: p.savedAt } : {}),
        change: !prev ? 'absent' : prev.exists ? 'vanished' : 'absent',
      });
      continue;
    }
    const digest = p.value ? valueDigest(p.value) : p.overLimit!.digest;
    const type = p.value ? valueType(p.value) : p.overLimit!.type;
    const expireAtMs = p.expireAtMs ?? null;
    const judged = p.savedAt ?? p.at;
    const ttlMs = expireAtMs === null ? null : expireAtMs - judged.getTime();
    const prevExpire = i > 0 ? (sorted[i - 1]!.expireAtMs ?? null) : null;
    const change: KeyChange = !prev
      ? 'first'
      : !prev.exists
        ? 'appeared'
        : prev.digest !== digest || prev.type !== type
          ? 'changed'
          : prevExpire !== expireAtMs
            ? 'ttl'
            : 'same';
    const size = p.value ? { size: valueSize(p.value) } : { storedBytes: p.overLimit!.storedBytes };
    rows.push({ point: p.point, at: p.at, exists: true, type, ...size, ttlMs, ...(p.savedAt ? { savedAt: p.savedAt } : {}), digest, change });
  }
  return rows;
}

/** What changed for one key between two consecutive points (for `history --match`). */
export interface KeyChangeRow {
  readonly key: Buffer;
  /** The later point, where the change is first seen. */
  readonly point: string;
  readonly at: Date;
  /** The earliest save (`ctime`) of the later point's files, where they have one. */
  readonly savedAt?: Date;
  readonly change: Exclude<KeyChange, 'first' | 'absent' | 'same'>;
}

/** Per point (time order): key (latin1) → digest of value and expiry; undefined when absent. */
export type PointDigests = {
  readonly point: string;
  readonly at: Date;
  /** The earliest save (`ctime`) of the point's files, where they have one. */
  readonly savedAt?: Date;
  readonly keys: ReadonlyMap<string, { readonly digest: string; readonly expireAtMs: number | null }>;
};

/** The keys that appeared, changed, changed TTL or vanished between each point and the one before it. */
export function changedKeys(points: readonly PointDigests[]): KeyChangeRow[] {
  const out: KeyChangeRow[] = [];
  const sorted = [...points].sort((a, b) => a.at.getTime() - b.at.getTime());
  for (let i = 1; i < sorted.length; i++) {
    const before = sorted[i - 1]!.keys;
    const now = sorted[i]!;
    const row = (key: string, change: KeyChangeRow['change']): KeyChangeRow => ({
      key: Buffer.from(key, 'latin1'),
      point: now.point,
      at: now.at,
      ...(now.savedAt ? { savedAt: now.savedAt } : {}),
      change,
    });
    for (const [key, d] of now.keys) {
      const b = before.get(key);
      if (!b) out.push(row(key, 'appeared'));
      else if (b.digest !== d.digest) out.push(row(key, 'changed'));
      else if (b.expireAtMs !== d.expireAtMs) out.push(row(key, 'ttl'));
    }
    for (const key of before.keys()) if (!now.keys.has(key)) out.push(row(key, 'vanished'));
  }
  return out.sort((a, b) => a.at.getTime() - b.at.getTime() || Buffer.compare(a.key, b.key));
}
