/**
 * How shipped AOF history is laid out at its destination: object keys, the
 * listing read back into files and parts, and what the destination holds of
 * each file. Pure: keys in, structure out.
 *
 * Destination layout (under `file:///dir` or `s3://bucket/prefix/`):
 *
 * ```
 * redis-dr-aof.json                                   what this destination is (written once)
 * manifests/<observed ms, 16 digits>-<sha256, 16 hex>.manifest
 *                                                     every distinct manifest the shipper saw, as the server wrote it
 * files/<file>/<start>-<end>.<sha256>.part            bytes [start, end) of an AOF file (16-digit offsets, SHA-256 of the part)
 * files/<file>/end-<end>.json                         the file is finished: its whole commands end at <end>
 * files/<file>/base.json                              a base file's record: format, time, keys
 * shipped-through.json                                the newest moment everything the server's directory held was here
 *                                                     and restorable (ship-aof rewrites it; restore-aof --until reads it)
 * ```
 *
 * A part is only ever written whole (a temporary name, read back, then
 * committed) and only ends at a command boundary, so every part is
 * complete; offsets make the bookkeeping: what the destination holds of a
 * file is the run of parts from byte 0 without a hole. A part whose stored
 * length is not the one its name gives (or that a reader found not to match
 * its SHA-256) is torn: it counts as missing, and a chain of history that
 * needs it stops there, naming it. Bases are shipped whole once; increments
 * by their new bytes.
 */

/** The file naming this destination (written first). */
export const AOF_MARKER_KEY = 'redis-dr-aof.json';

/**
 * The shipped-through record: the newest moment (`shippedThroughMs`) at which
 * everything whole the server's AOF directory held was stored here, read back,
 * and restorable. The shipper rewrites it after an ok cycle at most every
 * {@link SHIPPED_THROUGH_EVERY_MS}, and on its last cycle when stopped.
 */
export const SHIPPED_THROUGH_KEY = 'shipped-through.json';

/** How often an ok shipper rewrites the shipped-through record (one small PUT a minute, idle or not). */
export const SHIPPED_THROUGH_EVERY_MS = 60_000;

/**
 * Seconds before the record's moment from which its word is not taken. A command reaches the file after its `#TS`
 * second: Redis dates it by its cached clock (`server.unixtime`), and with `appendfsync everysec` a write waiting on a
 * slow background fsync is postponed up to 2 s (flushAppendOnlyFile). Three seconds cover both.
 */
export const SHIPPED_THROUGH_MARGIN_SECONDS = 3;

/** What the shipped-through record holds. */
export interface ShippedThrough {
  readonly shippedThroughMs: number;
  /** When it was written. */
  readonly writtenAt: string;
}

/** The shipped-through record's bytes. */
export function formatShippedThrough(shippedThroughMs: number, nowMs: number): Buffer {
  const record = { shippedThrough: new Date(shippedThroughMs).toISOString(), shippedThroughMs, writtenAt: new Date(nowMs).toISOString() };
  return Buffer.from(`${JSON.stringify(record, null, 2)}\n`);
}

/** The shipped-through record read, or why it cannot be. */
export function parseShippedThrough(text: string): ShippedThrough | { readonly damaged: string } {
  try {
    const r = JSON.parse(text) as { shippedThroughMs?: unknown; writtenAt?: unknown };
    if (typeof r.shippedThroughMs === 'number' && Number.isSafeInteger(r.shippedThroughMs) && r.shippedThroughMs > 0 && typeof r.writtenAt === 'string')
      return { shippedThroughMs: r.shippedThroughMs, writtenAt: r.writtenAt };
    return { damaged: 'its shippedThroughMs or writtenAt is missing or not what ship-aof writes' };
  } catch (err) {
    return { damaged: `not JSON (${err instanceof Error ? err.message : String(err)})` };
  }
}

/**
 * The first second whose commands the record does not vouch for: `--until` of that second or earlier (which restores
 * the commands of the seconds before it) is complete.
 */
export function vouchedBeforeSecond(r: ShippedThrough): number {
  return Math.floor(r.shippedThroughMs / 1000) - SHIPPED_THROUGH_MARGIN_SECONDS;
}

/** Layout version written in the marker. */
export const AOF_LAYOUT = 1;

const OFFSET_DIGITS = 16;
const pad = (n: number) => String(n).padStart(OFFSET_DIGITS, '0');

/** The folder segment of a file name (the server's names are plain, but a name with spaces or `%` stays one segment). */
function segment(file: string): string {
  return encodeURIComponent(file);
}

/** Key of the part holding bytes [start, end) of `file`. */
export function partKey(file: string, start: number, end: number, sha256: string): string {
  return `files/${segment(file)}/${pad(start)}-${pad(end)}.${sha256}.part`;
}

/** Key recording that `file` is finished, its whole commands ending at `end`. */
export function endKey(file: string, end: number): string {
  return `files/${segment(file)}/end-${pad(end)}.json`;
}

/** Key of a base file's record. */
export function baseRecordKey(file: string): string {
  return `files/${segment(file)}/base.json`;
}

/** Key of a manifest seen at `observedAtMs` with content hash `sha256` (hex). */
export function manifestKey(observedAtMs: number, sha256: string): string {
  return `manifests/${pad(observedAtMs)}-${sha256.slice(0, 16)}.manifest`;
}

/** A stored part. */
export interface StoredPart {
  readonly key: string;
  readonly start: number;
  readonly end: number;
  readonly sha256: string;
}

/** What a key is, or undefined for keys that are not ours. */
export type StoredKey =
  | { readonly kind: 'part'; readonly file: string; readonly part: StoredPart }
  | { readonly kind: 'end'; readonly file: string; readonly end: number }
  | { readonly kind: 'base-record'; readonly file: string }
  | { readonly kind: 'manifest'; readonly observedAtMs: number; readonly sha: string }
  | { readonly kind: 'marker' }
  | { readonly kind: 'shipped-through' };

/** Reads a key of the layout. */
export function parseStoredKey(key: string): StoredKey | undefined {
  if (key === AOF_MARKER_KEY) return { kind: 'marker' };
  if (key === SHIPPED_THROUGH_KEY) return { kind: 'shipped-through' };
  const manifest = /^manifests\/(\d{16})-([0-9a-f]{16})\.manifest$/.exec(key);
  if (manifest) return { kind: 'manifest', observedAtMs: Number(manifest[1]), sha: manifest[2]! };
  const m = /^files\/([^/]+)\/(.+)$/.exec(key);
  if (!m) return undefined;
  let file: string;
  try {
    file = decodeURIComponent(m[1]!);
  } catch {
    return undefined;
  }
  const rest = m[2]!;
  const part = /^(\d{16})-(\d{16})\.([0-9a-f]{64})\.part$/.exec(rest);
  if (part) {
    const start = Number(part[1]);
    const end = Number(part[2]);
    return end > start ? { kind: 'part', file, part: { key, start, end, sha256: part[3]! } } : undefined;
  }
  const end = /^end-(\d{16})\.json$/.exec(rest);
  if (end) return { kind: 'end', file, end: Number(end[1]) };
  if (rest === 'base.json') return { kind: 'base-record', file };
  return undefined;
}

/** A stored part that is not what its name says: `bytes` stored (-1: the length matched, the content did not). */
export interface TornPart extends StoredPart {
  readonly bytes: number;
}

/** How a torn part reads in a message. */
export function describeTorn(t: TornPart): string {
  const want = t.end - t.start;
  return `the stored part for bytes ${t.start}-${t.end} is torn (${t.bytes >= 0 ? `${t.bytes} of ${want} bytes stored` : `its ${want} bytes do not match their SHA-256`})`;
}

/** A listed object: its key and, when the listing gives it, its stored length. */
export type ListedObject = string | { readonly key: string; readonly bytes: number };

/** What the destination holds of one AOF file. */
export interface StoredFile {
  readonly name: string;
  /** Whole parts (their stored length is the one their name gives). */
  readonly parts: readonly StoredPart[];
  /** Parts that are not (left out of `parts`). */
  readonly torn: readonly TornPart[];
  /** Recorded end (the file is finished), when recorded. */
  readonly end?: number;
  readonly hasBaseRecord: boolean;
}

/** The destination as listed. */
export interface StoredHistory {
  readonly marker: boolean;
  /** The shipped-through record is there ({@link SHIPPED_THROUGH_KEY}). */
  readonly shippedThrough: boolean;
  readonly files: ReadonlyMap<string, StoredFile>;
  /** Manifest keys, oldest observation first. */
  readonly manifests: readonly { readonly key: string; readonly observedAtMs: number; readonly sha: string }[];
}

/**
 * Groups a listing by file. Keys that are not of the layout are ignored; a
 * part whose listed length is not the one its name gives, or whose key is in
 * `damaged` (read and found not to match its SHA-256), is torn.
 */
export function readStoredHistory(listing: Iterable<ListedObject>, damaged: ReadonlySet<string> = new Set()): StoredHistory {
  const files = new Map<string, { name: string; parts: StoredPart[]; torn: TornPart[]; end?: number; hasBaseRecord: boolean }>();
  const manifests: { key: string; observedAtMs: number; sha: string }[] = [];
  let marker = false;
  let shippedThrough = false;
  const fileOf = (name: string) => {
    let f = files.get(name);
    if (!f) files.set(name, (f = { name, parts: [], torn: [], hasBaseRecord: false }));
    return f;
  };
  for (const listed of listing) {
    const key = typeof listed === 'string' ? listed : listed.key;
    const k = parseStoredKey(key);
    if (!k) continue;
    if (k.kind === 'marker') marker = true;
    else if (k.kind === 'shipped-through') shippedThrough = true;
    else if (k.kind === 'manifest') manifests.push({ key, observedAtMs: k.observedAtMs, sha: k.sha });
    else if (k.kind === 'part') {
      const bytes = typeof listed === 'string' ? undefined : listed.bytes;
      if (bytes !== undefined && bytes !== k.part.end - k.part.start) fileOf(k.file).torn.push({ ...k.part, bytes });
      else if (damaged.has(key)) fileOf(k.file).torn.push({ ...k.part, bytes: -1 });
      else fileOf(k.file).parts.push(k.part);
    } else if (k.kind === 'end') {
      const f = fileOf(k.file);
      f.end = Math.max(f.end ?? 0, k.end);
    } else fileOf(k.file).hasBaseRecord = true;
  }
  for (const f of files.values()) f.parts.sort((a, b) => a.start - b.start || b.end - a.end);
  manifests.sort((a, b) => a.observedAtMs - b.observedAtMs || a.sha.localeCompare(b.sha));
  return { marker, shippedThrough, files, manifests };
}

/** A piece of a file to read: `length` bytes of `part` from `offset` within it. */
export interface PartSlice {
  readonly part: StoredPart;
  readonly offset: number;
  readonly length: number;
}

/** How much of a file the parts hold from byte 0 without a hole, and which part supplies which bytes. */
export interface Coverage {
  /** Bytes [0, end) are held. */
  readonly end: number;
  readonly slices: readonly PartSlice[];
  /** The first part after a hole (bytes [end, next.start) missing), when there is one. */
  readonly nextAfterHole?: StoredPart;
}

/**
 * The run of parts from byte 0 (overlapping parts, as two shippers would
 * leave, are sliced, not doubled). One pass over the parts sorted by start:
 * a part passed over ends before the slice taken instead, so it never
 * extends a later one (an increment of a long day holds tens of thousands).
 */
export function coverage(parts: readonly StoredPart[]): Coverage {
  const sorted = [...parts].sort((a, b) => a.start - b.start || b.end - a.end);
  const slices: PartSlice[] = [];
  let end = 0;
  let i = 0;
  for (;;) {
    let best: StoredPart | undefined;
    for (; i < sorted.length && sorted[i]!.start <= end; i++) {
      const p = sorted[i]!;
      if (p.end > end && (!best || p.end > best.end)) best = p;
    }
    if (!best) break;
    slices.push({ part: best, offset: end - best.start, length: best.end - end });
    end = best.end;
  }
  const next = sorted.find((p) => p.start > end);
  return { end, slices, ...(next ? { nextAfterHole: next } : {}) };
}
