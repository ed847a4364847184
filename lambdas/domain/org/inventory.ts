/**
 * The organization's cache inventory (issue 52 item 5), pure: every cache an
 * AWS Config aggregator records (`AWS::ElastiCache::ReplicationGroup`,
 * `AWS::ElastiCache::CacheCluster`), with its account, region, tier tag and
 * state, judged against the org config and the redis-dr stacks the same
 * aggregator sees:
 *
 * - `protected`: opted into a tier (its `redis-dr:tier` tag, or without
 *   the tag the account's default tier, whose plan in the member stacks
 *   selects untagged caches too) in an account of the org config, in the
 *   primary region, where a redis-dr stack runs;
 * - `native-backups-only`: not protected by redis-dr, but ElastiCache's own
 *   automatic backups are on (`SnapshotRetentionLimit` > 0): what the managed
 *   Config rules judge, no copy outside the region and no restore proven;
 * - `unprotectable`: ElastiCache cannot give redis-dr what it needs (data
 *   tiering: no export to S3; Memcached or cache.t1.micro: no snapshot; a
 *   cache cluster outside any replication group: no redis-dr target);
 * - `unprotected`: the rest, each with why (not opted in, the account in no
 *   OU, no stack, another region, a tier tag naming no tier).
 *
 * A cache cluster that is a member of a replication group is its group's
 * node, not a cache of its own: folded into the group. Serverless caches are
 * no type Config records: they are judged per account from the verified-copy
 * rule's evaluation of the account (`AWS::::Account`, its annotation written
 * by ./cache-verdicts.ts), read through the same aggregator (docs/org.md).
 */
import { z } from 'zod';
import { exportUnsupported, selectedWithoutTag, snapshotUnsupported } from '../plans/coverage.js';
import { TAGS } from '../plans/types.js';
import { readServerlessAnnotation } from './cache-verdicts.js';
import { CACHE_TIER_TAG, effectivePlans, tierOfCache } from './effective.js';
import type { OrgTree } from './tree.js';

/** The resource types the aggregator is asked for. */
export const INVENTORY_RESOURCE_TYPES = ['AWS::ElastiCache::ReplicationGroup', 'AWS::ElastiCache::CacheCluster'] as const;

const tagsSchema = z
  .union([z.array(z.object({ key: z.string(), value: z.string().optional() })), z.record(z.string(), z.string())])
  .optional()
  .transform((t): Record<string, string> => {
    if (t === undefined) return {};
    if (!Array.isArray(t)) return t;
    return Object.fromEntries(t.map((x) => [x.key, x.value ?? '']));
  });

/** One row of the aggregator's answer (a configuration item's fields the inventory reads). */
export const inventoryRowSchema = z.object({
  accountId: z.string().regex(/^\d{12}$/),
  awsRegion: z.string().min(1),
  resourceType: z.enum(INVENTORY_RESOURCE_TYPES),
  resourceId: z.string().min(1),
  tags: tagsSchema,
  configuration: z
    .looseObject({
      engine: z.string().optional(),
      cacheNodeType: z.string().optional(),
      dataTiering: z.string().optional(),
      snapshotRetentionLimit: z.number().optional(),
      replicationGroupId: z.string().optional(),
      status: z.string().optional(),
      cacheClusterStatus: z.string().optional(),
    })
    .optional()
    .transform((c) => c ?? {}),
});

/** A parsed row. */
export type InventoryRow = z.infer<typeof inventoryRowSchema>;

/** A stack the aggregator records: an account and region where redis-dr runs. */
export interface RedisDrStackRow {
  readonly accountId: string;
  readonly awsRegion: string;
}

/** What the inventory says of a cache. */
export type InventoryState = 'protected' | 'native-backups-only' | 'unprotectable' | 'unprotected';

/** One cache of the organization. */
export interface InventoryCache {
  readonly account: string;
  readonly region: string;
  readonly kind: 'replication-group' | 'cache-cluster';
  readonly id: string;
  /** The `redis-dr:tier` tag's value, or `<default> (default)` when the account's default tier applies; null when neither. */
  readonly tier: string | null;
  readonly state: InventoryState;
  /** Native automatic backups kept (days); 0 when off. */
  readonly nativeRetentionDays: number;
  readonly why: string | null;
}

/** The inventory, with every row that was no configuration item named. */
export interface Inventory {
  readonly caches: readonly InventoryCache[];
  readonly malformed: readonly string[];
  /** Caches whose tier tag names no tier (bad input of the organization's: exit 2 after the listing). */
  readonly tagProblems: readonly string[];
}

/** Parses the aggregator's JSON strings; a row that is no configuration item is named, never dropped silently. */
export function parseInventoryRows(results: readonly string[]): { rows: InventoryRow[]; malformed: string[] } {
  const rows: InventoryRow[] = [];
  const malformed: string[] = [];
  for (const [i, text] of results.entries()) {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      malformed.push(`result ${i + 1}: not JSON, got ${JSON.stringify(text.slice(0, 60))}`);
      continue;
    }
    const parsed = inventoryRowSchema.safeParse(raw);
    if (parsed.success) rows.push(parsed.data);
    else malformed.push(`result ${i + 1}: ${parsed.error.issues.map((x) => `${x.path.join('.') || '(row)'} ${x.message}`).join('; ')}`);
  }
  return { rows, malformed };
}

/** Why a cache cannot be protected by redis-dr at all, or cannot get a DR copy; undefined when it can. */
function cannotProtect(row: InventoryRow): string | undefined {
  const c = row.configuration;
  if (row.resourceType === 'AWS::ElastiCache::CacheCluster' && c.engine?.toLowerCase() !== 'memcached') {
    return 'a cache cluster outside any replication group: redis-dr plans target replication groups and serverless caches; move it into a replication group';
  }
  const info = { engine: c.engine, nodeType: c.cacheNodeType, dataTiering: c.dataTiering === 'enabled' };
  const asCache = { kind: 'replication-group' as const, id: row.resourceId, clusterMode: false, tags: row.tags, ...info };
  return snapshotUnsupported(asCache) ?? exportUnsupported(asCache);
}

/** Judges one cache (never a member node of a replication group: the caller folds those). */
function judge(org: OrgTree & { regions: { primary: string } }, stacks: ReadonlySet<string>, row: InventoryRow, problems: string[]): InventoryCache {
  const kind = row.resourceType === 'AWS::ElastiCache::ReplicationGroup' ? 'replication-group' : 'cache-cluster';
  const nativeRetentionDays = row.configuration.snapshotRetentionLimit ?? 0;
  const base = { account: row.accountId, region: row.awsRegion, kind, id: row.resourceId, nativeRetentionDays } as const;
  const notRedisDr = (why: string, tier: string | null): InventoryCache => {
    const cannot = cannotProtect(row);
    if (cannot) return { ...base, tier, state: 'unprotectable', why: cannot };
    if (nativeRetentionDays > 0)
      return { ...base, tier, state: 'native-backups-only', why: `${why}; ElastiCache keeps automatic backups ${nativeRetentionDays} day(s), in-region` };
    return { ...base, tier, state: 'unprotected', why };
  };
  const merged = effectivePlans(org, row.accountId);
  const tagged = row.tags[CACHE_TIER_TAG] ?? null;
  if (!merged.ok) return notRedisDr(`account ${row.accountId} is in no OU of the org config`, tagged);
  const found = tierOfCache(merged.plans, row.tags);
  if ('problem' in found) {
    problems.push(`${row.accountId}/${row.awsRegion} ${row.resourceId}: ${found.problem}`);
    return notRedisDr(found.problem, tagged);
  }
  if (found.tier === undefined) return notRedisDr('not opted in: no redis-dr:tier tag and no default tier for its account', null);
  const tier = found.by === 'tag' ? found.tier.name : `${found.tier.name} (default)`;
  // The default tier's plan selects untagged caches by the rule coverage judges with (member-config.ts
  // `selectWithoutTag`): a drill's own restore is not among them (Memcached is unprotectable below).
  if (
    found.by === 'default' &&
    !selectedWithoutTag(CACHE_TIER_TAG, { tags: row.tags, ...(row.configuration.engine ? { engine: row.configuration.engine } : {}) })
  )
    return notRedisDr(`a redis-dr drill's restore (${TAGS.drill}), deleted when the drill ends: no default tier applies to it`, null);
  if (row.awsRegion !== org.regions.primary)
    return notRedisDr(`tier ${found.tier.name}, but in ${row.awsRegion}: the organization protects ${org.regions.primary}`, tier);
  const cannot = cannotProtect(row);
  const noCopy = row.configuration.dataTiering === 'enabled' && cannot?.startsWith('data tiering');
  if (cannot && !noCopy) return { ...base, tier, state: 'unprotectable', why: cannot };
  if (!stacks.has(`${row.accountId}/${row.awsRegion}`)) {
    return notRedisDr(`tier ${found.tier.name}, but no redis-dr stack in ${row.accountId}/${row.awsRegion}: deploy the StackSets to its OU`, tier);
  }
  return { ...base, tier, state: 'protected', why: noCopy ? cannot! : null };
}

/**
 * The organization's inventory from the aggregator's rows and the accounts
 * and regions where a redis-dr stack runs. Sorted by account, region, id.
 */
export function classifyInventory(
  org: OrgTree & { regions: { primary: string } },
  rows: readonly InventoryRow[],
  stacks: readonly RedisDrStackRow[],
): Inventory {
  const where = new Set(stacks.map((s) => `${s.accountId}/${s.awsRegion}`));
  const problems: string[] = [];
  const caches = rows
    // A member node of a replication group is judged with its group.
    .filter((r) => !(r.resourceType === 'AWS::ElastiCache::CacheCluster' && r.configuration.replicationGroupId))
    .map((r) => judge(org, where, r, problems))
    .sort((a, b) => a.account.localeCompare(b.account) || a.region.localeCompare(b.region) || a.id.localeCompare(b.id));
  return { caches, malformed: [], tagProblems: problems };
}

/** Counts per state, for the summary line. */
export function inventoryCounts(caches: readonly InventoryCache[]): Record<InventoryState, number> {
  const counts: Record<InventoryState, number> = { protected: 0, 'native-backups-only': 0, unprotectable: 0, unprotected: 0 };
  for (const c of caches) counts[c.state] += 1;
  return counts;
}

/** One source of the aggregator and its last collection (DescribeConfigurationAggregatorSourcesStatus's AggregatedSourceStatus). */
export interface AggregatorSource {
  /** An account id, or the organization's id. */
  readonly id: string;
  /** ACCOUNT or ORGANIZATION. */
  readonly type: string;
  readonly region: string;
  /** SUCCEEDED (the data moved), FAILED (errors while moving it) or OUTDATED (not the most recent). */
  readonly status: string;
  readonly updatedAt?: string;
  /** The last error's code and message. */
  readonly error?: string;
}

/**
 * What the aggregator's sources say of the inventory's completeness. `problems`: the inventory is incomplete (exit
 * 1): no source at all, none that collected, or each source whose collection FAILED (its caches are not listed).
 * `notes`: each OUTDATED source (listed as of its last collection). An aggregator that collects from nobody lists no
 * cache, which would otherwise read as an organization with nothing unprotected.
 */
export function judgeSources(sources: readonly AggregatorSource[]): { problems: string[]; notes: string[] } {
  const named = (s: AggregatorSource) =>
    `source ${s.type.toLowerCase()} ${s.id} in ${s.region}: ${s.status}${s.updatedAt ? ` at ${s.updatedAt}` : ''}${s.error ? ` (${s.error})` : ''}`;
  if (sources.length === 0)
    return {
      problems: ['the aggregator has no source: it collects from no account, so it lists no cache (give it the organization or the accounts as its source)'],
      notes: [],
    };
  const problems = sources.filter((s) => s.status !== 'SUCCEEDED' && s.status !== 'OUTDATED').map((s) => `${named(s)}: its caches are not listed`);
  if (!sources.some((s) => s.status === 'SUCCEEDED' || s.status === 'OUTDATED'))
    problems.unshift(`the aggregator has collected from none of its ${sources.length} source(s): it lists no cache of theirs`);
  return { problems, notes: sources.filter((s) => s.status === 'OUTDATED').map((s) => `${named(s)}: its caches as of its last collection`) };
}

/** What the inventory says of one account's serverless caches in the primary region. */
export type ServerlessState = 'verified' | 'without-verified-copy' | 'unprotectable' | 'none' | 'not-evaluated' | 'stale' | 'unread';

/** One account's serverless caches, from the verified-copy rule's evaluation of the account. */
export interface ServerlessAccount {
  readonly account: string;
  readonly region: string;
  /** The rule read (`redis-dr-<deployment>-verified-copy`). */
  readonly rule: string;
  readonly state: ServerlessState;
  /** The region's serverless caches, and of them those without a verified copy within the RPO; null when not read. */
  readonly caches: number | null;
  readonly without: number | null;
  /** The caches the evaluation names (those without a verified copy when there are any). */
  readonly names: readonly string[];
  /** When Config recorded the evaluation; null when there is none. */
  readonly evaluatedAt: string | null;
  readonly why: string;
}

/** The rule runs every 24 hours: an account evaluation older than two runs is a rule that stopped. */
export const SERVERLESS_EVALUATION_MAX_AGE_HOURS = 48;

/** The states that need action: `org inventory` exits 1 with one of them. */
export const SERVERLESS_ACTION_STATES: ReadonlySet<ServerlessState> = new Set(['without-verified-copy', 'not-evaluated', 'stale']);

/**
 * Judges one account's serverless caches from the rule's evaluation of the account (undefined: the aggregator has
 * none). Never "none" without an evaluation saying so: the rule puts one every run, with or without serverless caches.
 */
export function judgeServerless(
  at: { readonly rule: string; readonly account: string; readonly region: string },
  evaluation: { readonly compliance: string; readonly annotation: string; readonly recordedAt: string | null } | undefined,
  now: Date,
): ServerlessAccount {
  const base = { ...at, evaluatedAt: evaluation?.recordedAt ?? null };
  if (!evaluation) {
    return {
      ...base,
      state: 'not-evaluated',
      caches: null,
      without: null,
      names: [],
      why: `no evaluation of the account by ${at.rule} in ${at.account}/${at.region}: the rule does not run there (no redis-dr stack, or deployed without configRule.enabled) or has not run yet (every 24 h)`,
    };
  }
  const read = readServerlessAnnotation(evaluation.annotation);
  if (!read) {
    const state = evaluation.compliance === 'NON_COMPLIANT' ? 'without-verified-copy' : 'unread';
    return {
      ...base,
      state,
      caches: null,
      without: null,
      names: [],
      why: `${evaluation.compliance}, an annotation this version does not read: ${JSON.stringify(evaluation.annotation)}`,
    };
  }
  const counts = { caches: read.caches, without: read.without, names: read.names };
  const more = read.clipped ? ' (clipped to the 256 characters Config takes: more not named)' : '';
  const age = evaluation.recordedAt === null ? Number.POSITIVE_INFINITY : now.getTime() - Date.parse(evaluation.recordedAt);
  if (age > SERVERLESS_EVALUATION_MAX_AGE_HOURS * 3_600_000) {
    return {
      ...base,
      ...counts,
      state: 'stale',
      why: `last evaluated ${evaluation.recordedAt ?? 'at no recorded time'}, over ${SERVERLESS_EVALUATION_MAX_AGE_HOURS} h ago: the rule runs every 24 h, so it stopped (its function, or Config recording in the account)`,
    };
  }
  // The rule's own annotation is the why: the counts and names as it wrote them.
  const why = `${evaluation.annotation}${more}`;
  if (evaluation.compliance === 'NON_COMPLIANT' || read.without > 0) return { ...base, ...counts, state: 'without-verified-copy', why };
  if (read.caches === 0) return { ...base, ...counts, state: 'none', why: 'no serverless cache' };
  return { ...base, ...counts, state: read.named === 'cannot-copy' ? 'unprotectable' : 'verified', why };
}
