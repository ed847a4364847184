/**
 * Which recovery point: the newest available snapshot of a target, and the
 * exports of a DR bucket listing (grouped by target, newest first) with what
 * their tags say of their shards and their verification. Shared by the
 * drills (which seed from one), freshness (which measures its age), the
 * copies listing and the report. Pure.
 */
import { parseExportObjectKey, parseShardTag } from './export-objects.js';
import { parseSnapshotName } from '../plans/naming.js';
import { parseRdbSummary, type RdbSummary } from './rdb-summary.js';
import { UNPROVEN_VERDICT } from './verdict-objects.js';
import { TAGS, type RecoveryPoint } from '../plans/types.js';

/**
 * Exports looked at per target, newest first, before the DR drill gives up
 * on a target: a longer run of unusable exports is a finding by itself, and
 * each export costs one GetObjectTagging per shard.
 */
export const MAX_EXPORTS_PER_TARGET = 48;

/** The `available` snapshots the plan owns (`managed`), newest first, ties by name. */
export function availableNewestFirst(points: readonly RecoveryPoint[]): RecoveryPoint[] {
  return points
    .filter((p) => p.managed && p.status === 'available')
    .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.name.localeCompare(a.name));
}

/** The newest `available` snapshot the plan owns (`managed`), ties by name; `undefined` when none. */
export function newestAvailable(points: readonly RecoveryPoint[]): RecoveryPoint | undefined {
  return availableNewestFirst(points)[0];
}

/** Seconds from `createdAt` to `startedAt`, never negative (clocks of different services). */
export function ageSeconds(createdAt: Date, startedAt: Date): number {
  return Math.max(0, Math.round((startedAt.getTime() - createdAt.getTime()) / 1000));
}

// ---------------------------------------------------------------------------
// DR region: the exports in the DR bucket.

/** One export (attempt) of a snapshot in the DR bucket, from the listing alone. */
export interface DrExport {
  readonly target: string;
  readonly snapshot: string;
  readonly exportName: string;
  readonly attempt: number;
  /** From the snapshot name (the `redis-dr:created` tag is more precise, read later). */
  readonly createdAt: Date;
  /** Object keys by shard number, ascending. */
  readonly objects: readonly { readonly shard: number; readonly key: string }[];
}

/**
 * The exports among `keys` (a listing of the DR bucket), grouped by target,
 * newest first (then latest attempt first). Keys that are not exported shards
 * of a redis-dr snapshot, or whose target `accept` refuses, are left out.
 */
export function drExportsByTarget(keys: readonly string[], accept: (target: string) => boolean): Map<string, DrExport[]> {
  const byName = new Map<string, { target: string; snapshot: string; attempt: number; at: Date; objects: Map<number, string> }>();
  for (const key of keys) {
    const parsed = parseExportObjectKey(key);
    const name = parsed && parseSnapshotName(parsed.snapshot);
    if (!parsed || !name || !accept(name.target)) continue;
    const entry = byName.get(parsed.exportName) ?? {
      target: name.target,
      snapshot: parsed.snapshot,
      attempt: parsed.attempt,
      at: name.at,
      objects: new Map<number, string>(),
    };
    entry.objects.set(parsed.shard, key);
    byName.set(parsed.exportName, entry);
  }
  const byTarget = new Map<string, DrExport[]>();
  for (const [exportName, e] of byName) {
    const objects = [...e.objects.entries()].sort(([a], [b]) => a - b).map(([shard, key]) => ({ shard, key }));
    const list = byTarget.get(e.target) ?? [];
    list.push({ target: e.target, snapshot: e.snapshot, exportName, attempt: e.attempt, createdAt: e.at, objects });
    byTarget.set(e.target, list);
  }
  for (const list of byTarget.values()) {
    list.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.attempt - a.attempt || a.exportName.localeCompare(b.exportName));
  }
  return byTarget;
}

/**
 * The exports among `keys` listed under `under` (an organization's vault: an
 * account's `<account>/<primary region>/`; `''`: the bucket's root), parsed by
 * the names after it and their objects named by full key again. Keys not
 * under it (another account's replicas) are left out.
 */
export function drExportsUnder(keys: readonly string[], under: string, accept: (target: string) => boolean): Map<string, DrExport[]> {
  const byTarget = drExportsByTarget(
    keys.filter((k) => k.startsWith(under)).map((k) => k.slice(under.length)),
    accept,
  );
  if (under === '') return byTarget;
  return new Map(
    [...byTarget].map(([target, exports]) => [target, exports.map((e) => ({ ...e, objects: e.objects.map((o) => ({ ...o, key: `${under}${o.key}` })) }))]),
  );
}

/** An export's shard set, from its objects' `redis-dr:shard` tags. */
export interface ExportShards {
  /** How many shards the export has (the first object's tag); `undefined` when its tag is missing or malformed. */
  readonly of: number | undefined;
  /** The shard numbers found (one object each), ascending. */
  readonly found: readonly number[];
  /** Shards `1..of` not found. */
  readonly missing: readonly number[];
  /** Every object is there and every tag agrees with its key and with the others' shard count. */
  readonly complete: boolean;
  /** Each found shard's hash slots as tagged (shard order), `undefined` where none. */
  readonly slots: readonly (string | undefined)[];
}

/** Which shards of `exp` are there, by its objects' tags (missing tags: nothing is known to be complete). */
export function exportShards(exp: DrExport, tagsByKey: ReadonlyMap<string, Readonly<Record<string, string>>>): ExportShards {
  const tags = exp.objects.map((o) => ({ shard: o.shard, tag: parseShardTag(tagsByKey.get(o.key)?.[TAGS.shard]) }));
  const of = tags[0]?.tag?.shards;
  const consistent = of !== undefined && tags.every((t) => t.tag?.shard === t.shard && t.tag.shards === of);
  const found = exp.objects.map((o) => o.shard);
  const missing = of === undefined ? [] : Array.from({ length: of }, (_, i) => i + 1).filter((n) => !found.includes(n));
  return { of, found, missing, complete: consistent && found.length === of, slots: tags.map((t) => t.tag?.slots) };
}

/** What the verifier said about an export: `ok` when every object is `redis-dr:verified=ok` with a readable summary. */
export interface ExportVerification {
  readonly state: 'ok' | 'corrupt' | 'not-verified';
  /** Keys verified corrupt. */
  readonly corrupt: readonly string[];
  /** Keys without an `ok` verdict and a readable summary (and not corrupt). */
  readonly unverified: readonly string[];
  /** Of those, the keys whose verdict tag has no verdict object (`unproven`: domain/points/verdict-objects.ts). */
  readonly unproven: readonly string[];
  /** Each object's summary (shard order), `undefined` where not verified ok. */
  readonly summaries: readonly (RdbSummary | undefined)[];
}

/** The verifier's verdict on `exp`, from the `redis-dr:verified` and `redis-dr:rdb` tags of its objects. */
export function exportVerification(exp: DrExport, tagsByKey: ReadonlyMap<string, Readonly<Record<string, string>>>): ExportVerification {
  const objects = exp.objects.map((o) => ({ key: o.key, tags: tagsByKey.get(o.key) ?? {} }));
  const corrupt = objects.filter((o) => o.tags[TAGS.verified] === 'corrupt' || parseRdbSummary(o.tags[TAGS.rdb])?.error).map((o) => o.key);
  const summaries = objects.map((o) => (o.tags[TAGS.verified] === 'ok' ? parseRdbSummary(o.tags[TAGS.rdb]) : undefined));
  const unverified = objects.filter((o, i) => summaries[i] === undefined && !corrupt.includes(o.key)).map((o) => o.key);
  const unproven = objects.filter((o) => o.tags[TAGS.verified] === UNPROVEN_VERDICT).map((o) => o.key);
  const state = corrupt.length > 0 ? 'corrupt' : unverified.length > 0 || objects.length === 0 ? 'not-verified' : 'ok';
  return { state, corrupt, unverified, unproven, summaries };
}
