/**
 * Coverage inventory, pure: for every ElastiCache cache of a region, the
 * plan that protects it, or `unprotected`, or `unprotectable` with the
 * reason — what AWS Backup's "resources protected by a backup plan" control
 * reports, for caches. The freshness monitor counts the unprotected ones
 * (`UnprotectedCaches`) and `redis-dr status --coverage` lists them all.
 *
 * What ElastiCache cannot do (checked against its documentation):
 * - no snapshot at all of a cache on `cache.t1.micro` nodes, nor of a
 *   Memcached cache other than serverless (SnapshotFeatureNotSupportedFault);
 *   redis-dr protects Valkey and Redis OSS only, so Memcached is out anyway;
 * - no export to S3 of a snapshot of a data-tiering (r6gd) cache, so no
 *   `.rdb` copy and no DR copy: snapshots alone are possible.
 */
import type { TargetKind } from './types.js';
import { TAGS } from './types.js';

/** One cache as the region's listings show it. */
export interface CacheInfo {
  readonly kind: TargetKind;
  /** Replication group id or serverless cache name (lowercase, as ElastiCache stores them). */
  readonly id: string;
  /** `valkey`, `redis`, `memcached`; unknown when the API did not say. */
  readonly engine?: string;
  /** Node type of a replication group (`cache.r7g.large`); none for serverless. */
  readonly nodeType?: string;
  /** Data tiering enabled (r6gd nodes). */
  readonly dataTiering: boolean;
  readonly clusterMode: boolean;
  /** The cache's tags (empty when it has none). */
  readonly tags: Readonly<Record<string, string>>;
}

/** A plan's target selection, as the config holds it. */
export interface CoveragePlan {
  readonly name: string;
  /** The plan exports snapshots to S3 (its DR copy). */
  readonly exports: boolean;
  readonly targets: {
    readonly replicationGroupIds: readonly string[];
    readonly serverlessCacheNames: readonly string[];
    readonly selectByTags: Readonly<Record<string, string>>;
    readonly selectWithoutTag?: string;
  };
}

/** The verdict for one cache. */
export type CoverageState = 'protected' | 'unprotected' | 'unprotectable' | 'redis-dr';

/** One cache and what protects it. */
export interface CacheCoverage {
  readonly kind: TargetKind;
  readonly id: string;
  readonly state: CoverageState;
  /** The plans that name the cache (by id or tag selection), in config order; empty unless protected. */
  readonly plans: readonly string[];
  /**
   * unprotectable: why, and what is possible instead; protected: what the
   * plan cannot do for it (a data-tiering cache in an exporting plan gets
   * snapshots but no DR copy); redis-dr: which of its own caches it is.
   */
  readonly why: string | null;
}

/** Why ElastiCache cannot snapshot the cache at all; `undefined` when it can. */
export function snapshotUnsupported(cache: CacheInfo): string | undefined {
  const engine = cache.engine?.toLowerCase();
  if (engine === 'memcached') return 'engine memcached: redis-dr protects Valkey and Redis OSS caches only';
  if (cache.nodeType?.toLowerCase() === 'cache.t1.micro') {
    return 'node type cache.t1.micro: ElastiCache takes no snapshots of it (SnapshotFeatureNotSupportedFault); move it to a current node type';
  }
  return undefined;
}

/** Why a snapshot of the cache cannot be exported to S3 (no DR copy); `undefined` when it can. */
export function exportUnsupported(cache: CacheInfo): string | undefined {
  if (cache.dataTiering) {
    return 'data tiering: ElastiCache does not export its snapshots to S3, so no DR copy is possible; snapshots alone are (a plan with export.enabled false)';
  }
  return undefined;
}

/**
 * A cache `selectWithoutTag: key` selects: it lacks the tag key (with any value, even empty), and it is none of
 * redis-dr's own drill restores (tagged `redis-dr:drill`, deleted when the drill ends) and no Memcached cache
 * (redis-dr protects Valkey and Redis OSS: an untagged Memcached cache never asked for it). The snapshot, prune,
 * export, freshness and drill runs select by this (adapters/aws/targets.ts), and coverage judges by it: one rule.
 */
export function selectedWithoutTag(key: string, cache: Pick<CacheInfo, 'tags' | 'engine'>): boolean {
  return !Object.hasOwn(cache.tags, key) && cache.tags[TAGS.drill] === undefined && cache.engine?.toLowerCase() !== 'memcached';
}

/**
 * The plan's selection names the cache: by id (case-insensitive, of its kind), by carrying every tag of
 * `selectByTags`, or by lacking the tag key `selectWithoutTag` ({@link selectedWithoutTag}).
 */
export function planSelects(plan: CoveragePlan, cache: CacheInfo): boolean {
  const id = cache.id.toLowerCase();
  const ids = cache.kind === 'replication-group' ? plan.targets.replicationGroupIds : plan.targets.serverlessCacheNames;
  if (ids.some((x) => x.toLowerCase() === id)) return true;
  const without = plan.targets.selectWithoutTag;
  if (without !== undefined && selectedWithoutTag(without, cache)) return true;
  const wanted = Object.entries(plan.targets.selectByTags);
  return wanted.length > 0 && wanted.every(([key, value]) => cache.tags[key] === value);
}

/**
 * Coverage of every cache of a region by `plans` (pass none for a region
 * whose caches no plan targets: plans protect primary-region caches).
 * Order: by kind, then id. A cache redis-dr made for a drill is `redis-dr`
 * (not counted). A cache a plan names is `protected` even when ElastiCache
 * cannot snapshot it: the plan's own runs fail and page for that.
 */
export function coverageOf(caches: readonly CacheInfo[], plans: readonly CoveragePlan[]): CacheCoverage[] {
  return [...caches]
    .sort((a, b) => a.kind.localeCompare(b.kind) || a.id.localeCompare(b.id))
    .map((cache): CacheCoverage => {
      const base = { kind: cache.kind, id: cache.id };
      if (cache.tags[TAGS.drill] !== undefined) {
        return { ...base, state: 'redis-dr', plans: [], why: `a drill's restore (${TAGS.drill}=${cache.tags[TAGS.drill]}), deleted when the drill ends` };
      }
      const by = plans.filter((p) => planSelects(p, cache));
      if (by.length > 0) {
        const noCopy = by.some((p) => p.exports) ? exportUnsupported(cache) : undefined;
        const cannot = snapshotUnsupported(cache) ?? noCopy;
        return { ...base, state: 'protected', plans: by.map((p) => p.name), why: cannot ?? null };
      }
      const why = snapshotUnsupported(cache) ?? exportUnsupported(cache);
      return why ? { ...base, state: 'unprotectable', plans: [], why } : { ...base, state: 'unprotected', plans: [], why: null };
    });
}

/** How many caches no plan protects that could be protected: what `UnprotectedCaches` reports. */
export function unprotectedCount(coverage: readonly CacheCoverage[]): number {
  return coverage.filter((c) => c.state === 'unprotected').length;
}
