/**
 * Domain types shared by the pure modules, adapters and handlers.
 * Nothing here imports the AWS SDK, reads the environment or the clock.
 */

/** Retention tiers, lowest first. A tier also qualifies for every lower tier. */
export const TIERS = ['hourly', 'daily', 'weekly', 'monthly'] as const;
export type Tier = (typeof TIERS)[number];

/** Rank of a tier: hourly 0 … monthly 3. */
export function tierRank(tier: Tier): number {
  return TIERS.indexOf(tier);
}

/** True when `value` names a tier. */
export function isTier(value: unknown): value is Tier {
  return typeof value === 'string' && (TIERS as readonly string[]).includes(value);
}

/** What kind of ElastiCache resource a backup target is. */
export type TargetKind = 'replication-group' | 'serverless-cache';

/** One backup target: a replication group or a serverless cache, by id/name. */
export interface TargetRef {
  readonly kind: TargetKind;
  /** Replication group id or serverless cache name (ElastiCache lowercases them). */
  readonly id: string;
}

/**
 * A manual snapshot of one target as the domain sees it. Adapters map
 * ElastiCache `Snapshot` / `ServerlessCacheSnapshot` plus tags into this.
 */
export interface RecoveryPoint {
  /** Snapshot name (unique per region). */
  readonly name: string;
  /** Target id the snapshot was taken of. */
  readonly source: string;
  /**
   * ElastiCache status, lowercase: `creating`, `available`, `failed`, `deleting`,
   * `exporting`, `restoring`, `copying`… Only `available` is a recovery point.
   */
  readonly status: string;
  /** When the snapshot was taken (from the API, or parsed from our name). */
  readonly createdAt: Date;
  /** `redis-dr:managed=true` was seen on the snapshot. Only these are ever pruned. */
  readonly managed: boolean;
  /** `redis-dr:tier` tag, when present and valid. */
  readonly tier?: Tier;
  /** `redis-dr:plan` tag, when present. */
  readonly plan?: string;
  /** `redis-dr:exported` was seen: its DR export finished (the copy exists in S3). */
  readonly exported?: boolean;
  /**
   * Why the point is held (`redis-dr:hold` tag, a backup's record; shape: holds.ts), e.g.
   * `keyspace-collapsed:<point>`: retention keeps it whatever its tier, until
   * an operator releases it.
   */
  readonly held?: string;
  /**
   * The point was judged a keyspace collapse (`redis-dr:collapsed` tag): while
   * it is the newest available point, nothing of the target is pruned.
   */
  readonly collapsed?: boolean;
  /**
   * The point was never proven stored (a self-managed backup without a
   * read-back record): it does not count towards `minKeep`, and while it is
   * the newest available point nothing is pruned. Absent for ElastiCache
   * snapshots, whose status says they are stored.
   */
  readonly unproven?: boolean;
  /**
   * Keys the point holds, when it was counted and is a good point (no
   * collapse, or an accepted one): retention keeps the fullest of the
   * collapse window while the newest holds fewer (a drain is judged against
   * it). Absent: not counted, or not a good point.
   */
  readonly keys?: number;
  /** Bytes the point holds (a backup file's size), when it is a counted good point: the drain watch keeps the fullest by bytes too. */
  readonly bytes?: number;
  /** An operator accepted this point's collapse: the fuller points before it are no measure for a drain. */
  readonly accepted?: boolean;
}

/** Retention counts and safety rails for one plan (validated config). */
export interface RetentionPolicy {
  /** Keep the newest N recovery points of tier hourly or higher. */
  readonly hourly: number;
  /** Keep the newest N recovery points of tier daily or higher. */
  readonly daily: number;
  /** Keep the newest N recovery points of tier weekly or higher. */
  readonly weekly: number;
  /** Keep the newest N recovery points of tier monthly. */
  readonly monthly: number;
  /** Never delete the newest `minKeep` available recovery points. */
  readonly minKeep: number;
  /** Plan RPO: a target whose newest available point is older is put on hold. */
  readonly rpoMinutes: number;
  /** Time zone the tiers are computed in (IANA name). */
  readonly timeZone: string;
  /**
   * The plan exports snapshots of this tier or higher to the DR region: the
   * newest such snapshot whose export has not finished is never pruned.
   * @default undefined (the plan does not export)
   */
  readonly exportMinTier?: Tier;
  /**
   * Keep an active keyspace collapse (`collapsed`) until it is released: the
   * snapshots' collapse mark is level-triggered (it pages `keyspace-collapsed`
   * and the tripwire holds the points before it), so deleting it would clear
   * the page unreleased. Self-managed backups set it too (their page is per run, but a release of an earlier
   * collapse and a backup run's put-back holds see a later collapse by its stored backup).
   * @default false
   */
  readonly keepCollapsed?: boolean;
}

/** Tag keys the project writes. Kept in one place: IAM conditions use them too. */
export const TAGS = {
  managed: 'redis-dr:managed',
  deployment: 'redis-dr:deployment',
  plan: 'redis-dr:plan',
  source: 'redis-dr:source',
  tier: 'redis-dr:tier',
  sourceKind: 'redis-dr:source-kind',
  drill: 'redis-dr:drill',
  /** On a snapshot: when its export to S3 was completed and its objects tagged (ISO instant). */
  exported: 'redis-dr:exported',
  /** On an exported object: the snapshot it holds a shard of. */
  snapshot: 'redis-dr:snapshot',
  /** On an exported object: when the snapshot was taken (ISO instant, UTC). */
  created: 'redis-dr:created',
  /** On an exported object: `<shard>/<shards>`, e.g. `0002/0003`. */
  shard: 'redis-dr:shard',
  /** On an exported object: engine and version, e.g. `redis 7.1.0`, `valkey 8.0`. */
  engine: 'redis-dr:engine',
  /** Key count recorded when the snapshot was taken (probe), when known. */
  keys: 'redis-dr:keys',
  /** On a self-managed backup in S3: its keys per database (`0=147000 3=53000`), when they fit a tag. */
  dbs: 'redis-dr:dbs',
  /** The canary value the probe wrote just before the snapshot. */
  canary: 'redis-dr:canary',
  /** On a snapshot only (never copied to objects): the probe's expiry histogram (domain/rdb/expiry-histogram.ts), when recorded. */
  expiries: 'redis-dr:ttl',
  /** On a DR object: verdict of the RDB verifier, `ok` or `corrupt`. */
  verified: 'redis-dr:verified',
  /** On a DR object: the verifier's summary (see `formatRdbSummary`). */
  rdb: 'redis-dr:rdb',
  /** On a snapshot: why retention must keep it, e.g. `keyspace-collapsed:<point>` (see domain/plans/collapse.ts). */
  hold: 'redis-dr:hold',
  /** On a snapshot: it was judged a keyspace collapse against the fullest good point of the collapse window (the detail). */
  collapsed: 'redis-dr:collapsed',
  /** On a self-managed backup object: `bytes=<n> sha256=<hex>`, written only after the object was read back and matched. */
  readBack: 'redis-dr:read-back',
  /** On the page router function (`true`): the one function the operator may invoke (the selftest's TEST page). */
  pageRouter: 'redis-dr:page-router',
} as const;

/**
 * S3 allows at most 10 tags per object. Exported objects carry at most 8
 * (tier, plan, snapshot, created, shard, engine, keys, canary; the source is
 * in the snapshot name) so the verifier's two (verified, rdb) always fit.
 */
export const MAX_OBJECT_TAGS = 10;
