/**
 * Checks of the members stored inside compact blobs that passed their
 * structural validation (blobs.ts): a field or member twice in a ziplist or
 * listpack (Redis refuses those with sanitize-dump-payload yes), and the TTL
 * entries of a hash with field expirations, as Redis's loader checks them,
 * and a sorted set's score entry that reads as NaN.
 *
 * @see https://github.com/redis/redis/blob/unstable/src/rdb.c
 */

import { backlenSize, listpackEntrySize } from './blobs.js';
import { i16le, i32le, i64le, u32be, u32le } from './bytes.js';
import { seenBytes, seenInteger, type SeenCheck } from './duplicates.js';
import { scoreByStrtod } from './score-read.js';

/**
 * Whether every `stride`-th entry, from the first, of a ziplist
 * {@link validateZiplist} accepted (the fields of a hash, the members of a
 * sorted set) holds the same content twice: a string's bytes, an integer's
 * decimal text, fingerprinted and checked with `seen`.
 */
export function ziplistHasDuplicate(b: Uint8Array, stride: number, seen: SeenCheck): boolean {
  const end = b.length - 1;
  let p = 10;
  for (let i = 0; p < end; i++) {
    p += b[p] === 0xfe ? 5 : 1; // prevlen
    const enc = b[p]!;
    const take = i % stride === 0;
    switch (enc >>> 6) {
      case 0: {
        const from = p + 1;
        p = from + (enc & 0x3f);
        if (take && seenBytes(b, from, p, seen)) return true;
        break;
      }
      case 1: {
        const from = p + 2;
        p = from + (((enc & 0x3f) << 8) | b[p + 1]!);
        if (take && seenBytes(b, from, p, seen)) return true;
        break;
      }
      case 2: {
        const from = p + 5;
        p = from + u32be(b, p + 1);
        if (take && seenBytes(b, from, p, seen)) return true;
        break;
      }
      default: {
        const from = p + 1;
        let value: number | bigint;
        if (enc === 0xc0) (value = i16le(b, from)), (p = from + 2);
        else if (enc === 0xd0) (value = i32le(b, from)), (p = from + 4);
        else if (enc === 0xe0) (value = i64le(b, from)), (p = from + 8);
        else if (enc === 0xf0) (value = ((b[from]! | (b[from + 1]! << 8) | (b[from + 2]! << 16)) << 8) >> 8), (p = from + 3);
        else if (enc === 0xfe) (value = (b[from]! << 24) >> 24), (p = from + 1);
        else (value = (enc & 0x0f) - 1), (p = from); // 0xf1..0xfd: 0..12
        if (take && seenInteger(value, seen)) return true;
      }
    }
  }
  return false;
}

/**
 * The same as {@link ziplistHasDuplicate} for a listpack
 * {@link validateListpack} accepted. Hot (every small hash, sorted set and
 * set of a dump): strings are fingerprinted inline, the same lanes as
 * {@link fingerprintUpdate}.
 */
export function listpackHasDuplicate(b: Uint8Array, stride: number, seen: SeenCheck): boolean {
  const end = b.length - 1;
  let p = 6;
  for (let skip = 0; p < end; skip = skip === 0 ? stride - 1 : skip - 1) {
    const enc = b[p]!;
    let from = p + 1;
    let to: number;
    let value: number | bigint | undefined;
    if ((enc & 0x80) === 0) {
      value = enc & 0x7f;
      to = from;
    } else if ((enc & 0xc0) === 0x80) {
      to = from + (enc & 0x3f);
    } else if ((enc & 0xe0) === 0xc0) {
      value = ((((enc & 0x1f) << 8) | b[p + 1]!) << 19) >> 19;
      to = p + 2;
    } else if ((enc & 0xf0) === 0xe0) {
      from = p + 2;
      to = from + (((enc & 0x0f) << 8) | b[p + 1]!);
    } else if (enc === 0xf0) {
      from = p + 5;
      to = from + u32le(b, p + 1);
    } else if (enc === 0xf1) (value = i16le(b, from)), (to = from + 2);
    else if (enc === 0xf2) (value = ((b[from]! | (b[from + 1]! << 8) | (b[from + 2]! << 16)) << 8) >> 8), (to = from + 3);
    else if (enc === 0xf3) (value = i32le(b, from)), (to = from + 4);
    else (value = i64le(b, from)), (to = from + 8); // 0xf4
    if (skip === 0) {
      if (value !== undefined) {
        if (seenInteger(value, seen)) return true;
      } else {
        let h1 = 0x811c9dc5 | 0; // an int32 from the start: see seenBytes in duplicates.ts
        let h2 = 0x050c5d1f;
        for (let i = from; i < to; i++) {
          const c = b[i]!;
          h1 = Math.imul(h1 ^ c, 0x01000193);
          h2 = Math.imul(h2 ^ c, 0x01000197);
        }
        if (seen(h1, h2)) return true;
      }
    }
    const size = to - p;
    p = to + (size <= 127 ? 1 : backlenSize(size));
  }
  return false;
}

/**
 * The first score entry (every second entry, from the second) of a ziplist
 * (`listpack` false) or listpack {@link validateZiplist} / {@link validateListpack}
 * accepted whose text strtod reads as NaN (`nan`, `-NaN`, ` nanx`: as Redis
 * reads a listpack score, score-read.ts): its text, or undefined. An
 * integer entry is never NaN; a blob without an `n` or `N` holds none.
 */
export function nanScoreEntry(b: Uint8Array, listpack: boolean): string | undefined {
  if (b.indexOf(0x6e) < 0 && b.indexOf(0x4e) < 0) return undefined;
  const end = b.length - 1;
  let p = listpack ? 6 : 10;
  for (let i = 0; p < end; i++) {
    let from: number;
    let to: number;
    if (listpack) {
      const enc = b[p]!;
      if ((enc & 0xc0) === 0x80) (from = p + 1), (to = from + (enc & 0x3f));
      else if ((enc & 0xf0) === 0xe0) (from = p + 2), (to = from + (((enc & 0x0f) << 8) | b[p + 1]!));
      else if (enc === 0xf0) (from = p + 5), (to = from + u32le(b, p + 1));
      else (from = -1), (to = p + (enc < 0x80 ? 1 : enc < 0xe0 ? 2 : enc === 0xf1 ? 3 : enc === 0xf2 ? 4 : enc === 0xf3 ? 5 : 9));
      const size = to - p;
      p = to + (size <= 127 ? 1 : backlenSize(size));
    } else {
      p += b[p] === 0xfe ? 5 : 1; // prevlen
      const enc = b[p]!;
      if (enc >>> 6 === 0) (from = p + 1), (to = from + (enc & 0x3f));
      else if (enc >>> 6 === 1) (from = p + 2), (to = from + (((enc & 0x3f) << 8) | b[p + 1]!));
      else if (enc >>> 6 === 2) (from = p + 5), (to = from + u32be(b, p + 1));
      else (from = -1), (to = p + 1 + (ZIPLIST_INT_SIZE[enc] ?? 0));
      p = to;
    }
    const nan = i % 2 === 1 && from >= 0 ? nanScoreText(b, from, to) : undefined;
    if (nan !== undefined) return nan;
  }
  return undefined;
}

/** The score text `b[from, to)` (a string entry) when it reads as NaN as 7.0 reads it (strtod of its first 127 bytes), else undefined. */
export function nanScoreText(b: Uint8Array, from: number, to: number): string | undefined {
  if (!nanStart(b, from, to)) return undefined;
  const text = Buffer.from(b.buffer, b.byteOffset + from, Math.min(to - from, 127)).toString('latin1');
  return Number.isNaN(scoreByStrtod(text)) ? Buffer.from(b.buffer, b.byteOffset + from, to - from).toString('latin1') : undefined;
}

/** Whether `b[from, to)` may read as NaN: C whitespace, a sign, then `n` or `N` (the few that do are then read whole). */
function nanStart(b: Uint8Array, from: number, to: number): boolean {
  let p = from;
  while (p < to && (b[p] === 0x20 || (b[p]! >= 0x09 && b[p]! <= 0x0d))) p++;
  if (p < to && (b[p] === 0x2b || b[p] === 0x2d)) p++;
  return p < to && (b[p] === 0x6e || b[p] === 0x4e);
}

/** A ziplist integer entry's bytes after its encoding byte: 0xc0 2, 0xd0 4, 0xe0 8, 0xf0 3, 0xfe 1 (0xf1-0xfd hold 0-12 in the byte itself: none). */
const ZIPLIST_INT_SIZE: Record<number, number> = { 192: 2, 208: 4, 224: 8, 240: 3, 254: 1 };

/** Redis's EB_EXPIRE_TIME_MAX: the latest field expiry (ms) a hash field may carry, 2^48 - 1. */
export const HFE_EXPIRE_TIME_MAX = 2n ** 48n - 1n;

/** A decimal integer as Redis's string2ll reads it (no sign but '-', no leading zeros, no spaces, within int64); else undefined. */
function string2ll(b: Uint8Array, from: number, to: number): bigint | undefined {
  const n = to - from;
  if (n === 0 || n > 20) return undefined;
  if (n === 1 && b[from] === 0x30) return 0n;
  let p = from;
  const negative = b[p] === 0x2d;
  if (negative) p++;
  if (p === to || b[p]! < 0x31 || b[p]! > 0x39) return undefined; // a digit 1–9 first
  let v = 0n;
  for (; p < to; p++) {
    const c = b[p]!;
    if (c < 0x30 || c > 0x39) return undefined;
    v = v * 10n + BigInt(c - 0x30);
  }
  v = negative ? -v : v;
  return v >= -(2n ** 63n) && v < 2n ** 63n ? v : undefined;
}

/**
 * The TTL checks Redis makes of a listpack of (field, value, TTL) triplets
 * (RDB types 23 and 25; `_lpEntryValidation` in its rdb.c): every TTL an
 * integer (integer-encoded, or a string string2ll reads), 0 (none) or an
 * expiry in ms up to 2^48 - 1, in ascending order with the fields without
 * one last. Fed each TTL entry in order ({@link ListpackTtls.entry}), it keeps
 * the first problem: the walk over a whole listpack here
 * ({@link listpackTtlProblem}) and the one over a big listpack as it streams
 * by (listpack-stream.ts).
 */
export class ListpackTtls {
  private last = -1n;
  private field = 0;
  /** The first problem, or null. */
  problem: string | null = null;

  /** The TTL entry of the next field, its encoding byte at `b[p]`, its whole entry in `b` (back length aside). */
  entry(b: Uint8Array, p: number): void {
    this.field++;
    if (this.problem !== null) return;
    const enc = b[p]!;
    const from = p + 1;
    let ttl: bigint | undefined;
    if ((enc & 0x80) === 0) ttl = BigInt(enc & 0x7f);
    else if ((enc & 0xc0) === 0x80) ttl = string2ll(b, from, from + (enc & 0x3f));
    else if ((enc & 0xe0) === 0xc0) ttl = BigInt(((((enc & 0x1f) << 8) | b[p + 1]!) << 19) >> 19);
    else if ((enc & 0xf0) === 0xe0) ttl = string2ll(b, p + 2, p + 2 + (((enc & 0x0f) << 8) | b[p + 1]!));
    else if (enc === 0xf0) ttl = string2ll(b, p + 5, p + 5 + u32le(b, p + 1));
    else if (enc === 0xf1) ttl = BigInt(i16le(b, from));
    else if (enc === 0xf2) ttl = BigInt(((b[from]! | (b[from + 1]! << 8) | (b[from + 2]! << 16)) << 8) >> 8);
    else if (enc === 0xf3) ttl = BigInt(i32le(b, from));
    else ttl = i64le(b, from); // 0xf4
    this.check(ttl);
  }

  /** The TTL entry of the next field is a string too long to be read whole (streamed): no integer. */
  long(): void {
    this.field++;
    this.check(undefined);
  }

  private check(ttl: bigint | undefined): void {
    if (this.problem !== null) return;
    const field = this.field;
    const last = this.last;
    if (ttl === undefined) this.problem = `the TTL of field ${field} is not an integer`;
    else if (ttl < 0n || ttl > HFE_EXPIRE_TIME_MAX) this.problem = `the TTL of field ${field} (${ttl}) is outside 0 to 2^48 - 1 ms`;
    else if (ttl !== 0n && last === 0n) this.problem = `field ${field} has a TTL after a field without one (fields with a TTL come first)`;
    else if (ttl !== 0n && ttl < last)
      this.problem = `the TTL of field ${field} (${ttl}) is before the one of the field ahead of it (${last}): TTLs are in ascending order`;
    else this.last = ttl;
  }
}

/** {@link ListpackTtls} over the whole listpack `b`, which must have passed validateListpack: the first problem, or null. */
export function listpackTtlProblem(b: Uint8Array): string | null {
  const end = b.length - 1;
  const ttls = new ListpackTtls();
  for (let p = 6, i = 0; p < end; i++) {
    const size = listpackEntrySize(b, p, end - p, i, p);
    if (i % 3 === 2) ttls.entry(b, p);
    if (ttls.problem !== null) return ttls.problem;
    p += size + backlenSize(size);
  }
  return null;
}
