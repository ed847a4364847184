/**
 * Exported recovery points in S3: object keys and object tags. The export
 * Lambda writes them, the verify-rdb Lambda and the DR drill read them, the
 * bucket lifecycle rules filter on the tags. Pure.
 *
 * ElastiCache writes one object per shard, `<TargetSnapshotName>-0001.rdb`,
 * `-0002.rdb`, … at the bucket root, and never overwrites an existing key
 * (ElastiCache's export documentation). The target name is the snapshot name; when an
 * export has to be started again after a half-finished one, the next attempt
 * is `<snapshot>-r<attempt>` so it cannot collide with the leftovers.
 */
import { MAX_OBJECT_TAGS, TAGS, type Tier } from '../plans/types.js';

const SHARD_DIGITS = 4;
const MAX_SHARDS = 500;

// `rdr-<target>-<yyyymmdd>-<hhmm>[-r<n>]-<shard>.rdb`
const OBJECT_KEY = /^(rdr-.+-\d{8}-\d{4})(?:-r([2-9]|[1-9]\d+))?-(\d{4})\.rdb$/;

/** The `TargetSnapshotName` of the `attempt`-th export of `snapshot` (1-based). */
export function exportName(snapshot: string, attempt = 1): string {
  if (!Number.isInteger(attempt) || attempt < 1) throw new Error(`attempt must be a positive integer, got ${attempt}`);
  return attempt === 1 ? snapshot : `${snapshot}-r${attempt}`;
}

/** Inverse of {@link exportName}: the snapshot an export's name (`<snapshot>` or `<snapshot>-r<n>`) was made from. */
export function snapshotOfExport(name: string): string {
  return name.replace(/-r([2-9]|[1-9]\d+)$/, '');
}

/** Object key of shard `shard` (1-based) of an export. */
export function exportObjectKey(name: string, shard: number): string {
  if (!Number.isInteger(shard) || shard < 1 || shard > MAX_SHARDS) throw new Error(`shard must be 1-${MAX_SHARDS}, got ${shard}`);
  return `${name}-${String(shard).padStart(SHARD_DIGITS, '0')}.rdb`;
}

/** What an object key says about the export it belongs to. */
export interface ExportObjectKey {
  /** The snapshot the export was made from. */
  readonly snapshot: string;
  /** 1 for the first export of the snapshot, then 2, 3… */
  readonly attempt: number;
  /** The export's `TargetSnapshotName`. */
  readonly exportName: string;
  /** 1-based shard number. */
  readonly shard: number;
}

/** Inverse of {@link exportObjectKey}; `undefined` for keys that are not exported shards. */
export function parseExportObjectKey(key: string): ExportObjectKey | undefined {
  const m = OBJECT_KEY.exec(key);
  if (!m) return undefined;
  const shard = Number(m[3]);
  if (shard < 1 || shard > MAX_SHARDS) return undefined;
  const attempt = m[2] ? Number(m[2]) : 1;
  return { snapshot: m[1]!, attempt, exportName: exportName(m[1]!, attempt), shard };
}

/** Metadata of one exported shard, written as object tags. */
export interface ExportObjectMeta {
  readonly tier: Tier;
  readonly plan: string;
  readonly snapshot: string;
  readonly createdAt: Date;
  readonly shard: number;
  readonly shards: number;
  /** e.g. `redis 7.1.0` or `valkey 8.0`. */
  readonly engine?: string;
  /** Key count recorded when the snapshot was taken, when known. */
  readonly keys?: number;
  /** The probe's canary value, when one was written. */
  readonly canary?: string;
  /** This shard's hash slots as ElastiCache recorded them (`0-5460` or `0-100,200-300`), cluster mode enabled. */
  readonly slots?: string;
}

/** S3 tag values allow letters, digits, spaces and `+ - = . _ : / @`. */
function tagValue(value: string): string {
  return value.replace(/[^\p{L}\p{N}\s+\-=._:/@]/gu, '_').slice(0, 256);
}

/**
 * The object tags of an exported shard (at most 8, see {@link MAX_OBJECT_TAGS}).
 * The source is not a tag: it is in the snapshot name, and the budget is tight.
 */
export function exportObjectTags(meta: ExportObjectMeta): Record<string, string> {
  const pad = (n: number) => String(n).padStart(SHARD_DIGITS, '0');
  const tags: Record<string, string> = {
    [TAGS.tier]: meta.tier,
    [TAGS.plan]: tagValue(meta.plan),
    [TAGS.snapshot]: tagValue(meta.snapshot),
    [TAGS.created]: meta.createdAt.toISOString(),
    [TAGS.shard]: shardTag(pad(meta.shard), pad(meta.shards), meta.slots),
  };
  if (meta.engine) tags[TAGS.engine] = tagValue(meta.engine);
  if (meta.keys !== undefined && Number.isFinite(meta.keys)) tags[TAGS.keys] = String(meta.keys);
  if (meta.canary) tags[TAGS.canary] = tagValue(meta.canary);
  return tags;
}

/** Slot ranges as ElastiCache writes them: `0-5460`, `5461`, `0-100,200-300`. */
const SLOTS = /^\d{1,5}(?:-\d{1,5})?(?:,\d{1,5}(?:-\d{1,5})?)*$/;

/**
 * `0002/0003`, or with the shard's hash slots `0002/0003 5461-10922` (S3 tag
 * values allow no comma: ranges are joined with `+`). The object tag budget
 * is spent (see {@link MAX_OBJECT_TAGS}), so the slots ride on the shard tag;
 * a layout longer than a tag value (256) is left out, and restores then
 * split the slots evenly.
 */
function shardTag(shard: string, shards: string, slots: string | undefined): string {
  const plain = `${shard}/${shards}`;
  if (!slots || !SLOTS.test(slots)) return plain;
  const withSlots = `${plain} ${slots.replace(/,/g, '+')}`;
  return withSlots.length <= 256 ? withSlots : plain;
}

/** `0002/0003` → shard 2 of 3 (and `0002/0003 5461-10922` → its slots too); `undefined` when malformed. */
export function parseShardTag(value: string | undefined): { shard: number; shards: number; slots?: string } | undefined {
  const m = /^(\d{1,4})\/(\d{1,4})(?: ([\d+-]+))?$/.exec(value ?? '');
  if (!m) return undefined;
  const shard = Number(m[1]);
  const shards = Number(m[2]);
  const slots = m[3]?.replace(/\+/g, ',');
  if (slots !== undefined && !SLOTS.test(slots)) return undefined;
  return shard >= 1 && shard <= shards ? { shard, shards, ...(slots ? { slots } : {}) } : undefined;
}

/**
 * Tags after merging `add` into `current` (S3 replaces an object's whole tag
 * set, so every writer merges). Keys in `add` win.
 * @throws Error when the result would exceed S3's 10 tags per object.
 */
export function mergeTags(current: Readonly<Record<string, string>>, add: Readonly<Record<string, string>>): Record<string, string> {
  const merged = { ...current, ...add };
  const count = Object.keys(merged).length;
  if (count > MAX_OBJECT_TAGS) {
    throw new Error(`object would carry ${count} tags, S3 allows ${MAX_OBJECT_TAGS}: ${Object.keys(merged).join(', ')}`);
  }
  return merged;
}
