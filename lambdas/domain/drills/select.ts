/**
 * Decisions of the drill select step, pure: which target a drill restores,
 * which recovery point of it (the newest available snapshot in the primary
 * region; the newest complete and verified `.rdb` export in the DR region,
 * from the listing and verdicts of `points/choice.ts`), and the
 * {@link RecoveryPointChoice} the create step maps one to one onto
 * CreateReplicationGroup. The handler gathers snapshots, tags and objects
 * and passes them in, with the execution's start time.
 */
import { releasedTierValue } from '../plans/collapse.js';
import {
  clusterParameterGroup,
  drillClusterId,
  evenSlotLayout,
  majorVersion,
  recoveryPointChoiceSchema,
  SERVERLESS_NODE_TYPE,
  type DrillInput,
  type DrillKind,
  type DrillWhere,
  type ExpectedData,
  type RecoveryPointChoice,
} from './drill.js';
import { histogramKeys, parseExpiryHistogram } from '../rdb/expiry-histogram.js';
import type { RdbSummary } from '../points/rdb-summary.js';
import { ageSeconds, type DrExport, exportShards, exportVerification } from '../points/choice.js';
import { isTier, TAGS, tierRank, type Tier } from '../plans/types.js';

/** The canary value written just before a snapshot (by the probe, when it runs). */
export const CANARY_TAG = TAGS.canary;

/**
 * Node type of a DR drill cluster when the input names none: the `.rdb`
 * objects do not record the source's node type. Big enough for a few GiB
 * of data; set `drill.nodeType` for larger datasets (a restore that does not
 * fit fails, and the drill reports it).
 */
export const DEFAULT_DRILL_NODE_TYPE = 'cache.t4g.small';

const DAY_MS = 86_400_000;

/** Thrown when no target of the plan has a usable recovery point: the drill fails, and that is its finding. */
export class NoRecoveryPointError extends Error {
  override readonly name = 'NoRecoveryPointError';
  constructor(
    readonly plan: string,
    readonly where: DrillWhere,
    readonly reasons: readonly { readonly target: string; readonly why: string }[],
  ) {
    super(
      `plan ${plan}: no usable ${where === 'dr' ? 'DR copy' : 'snapshot'} to restore` +
        (reasons.length > 0 ? `: ${reasons.map((r) => `${r.target} (${r.why})`).join('; ')}` : ': the plan selected no caches'),
    );
  }
}

/**
 * Index of the target a drill started at `startedAt` restores, among `count`
 * candidates sorted by id: whole UTC days since the epoch, modulo `count`.
 * No state is kept between drills, so this is the rotation: daily drills
 * restore every target once in `count` runs; drills every k days do so when
 * k and `count` share no factor (weekly drills of 7 or 14 targets would not);
 * several drills on one day restore the same target. Hours were the obvious
 * unit but fail the common case: a daily drill at a fixed hour moves 24
 * hours, so with 2, 3, 4, 6, 8… targets it would always pick the same one.
 */
export function rotationIndex(startedAt: Date, count: number): number {
  if (!Number.isInteger(count) || count < 1) throw new Error(`count must be a positive integer, got ${count}`);
  return Math.floor(startedAt.getTime() / DAY_MS) % count;
}

/** The candidate {@link rotationIndex} picks, candidates sorted by `target`; `undefined` when there are none. */
export function pickTarget<T extends { readonly target: string }>(candidates: readonly T[], startedAt: Date): T | undefined {
  if (candidates.length === 0) return undefined;
  const sorted = [...candidates].sort((a, b) => a.target.localeCompare(b.target));
  return sorted[rotationIndex(startedAt, sorted.length)];
}

/** `redis 7.1.0` → engine and version; `undefined` unless both are there. */
export function parseEngineTag(value: string | undefined): { engine: string; engineVersion: string } | undefined {
  const m = /^(\S+) (\S+)$/.exec(value?.trim() ?? '');
  return m ? { engine: m[1]!.toLowerCase(), engineVersion: m[2]! } : undefined;
}

/** The AWS partition of a region: `aws-cn` for `cn-*`, `aws-us-gov` for `us-gov-*`, else `aws`. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** The ARN CreateReplicationGroup's `SnapshotArns` wants for an S3 object: `arn:<partition>:s3:::<bucket>/<key>`. */
export function s3ObjectArn(partition: string, bucket: string, key: string): string {
  return `arn:${partition}:s3:::${bucket}/${key}`;
}

/**
 * Cluster mode of a restore: enabled for more than one shard, or when the
 * source's parameter group is a `*.cluster.on` default. A one-shard source
 * with a custom cluster-mode parameter group restores with cluster mode
 * disabled: the data is the same, and a snapshot says no more.
 */
export function clusterModeOf(shards: number, parameterGroup?: string): RecoveryPointChoice['clusterMode'] {
  return shards > 1 || /\.cluster\.on$/.test(parameterGroup ?? '') ? 'enabled' : 'disabled';
}

/** A non-negative integer tag value, else `undefined`. */
function countTag(value: string | undefined): number | undefined {
  return /^\d+$/.test(value ?? '') ? Number(value) : undefined;
}

// ---------------------------------------------------------------------------
// Primary region: the newest available managed snapshot.

/** The chosen snapshot as DescribeSnapshots and its tags describe it. */
export interface PrimarySnapshot {
  readonly name: string;
  readonly target: string;
  readonly createdAt: Date;
  readonly engine: string;
  readonly engineVersion: string;
  /** The source's node type, when the snapshot records it. */
  readonly nodeType?: string;
  readonly shards: number;
  readonly parameterGroup?: string;
  /** The snapshot's tags (`redis-dr:keys`, `redis-dr:canary` when a probe recorded them). */
  readonly tags: Readonly<Record<string, string>>;
}

/**
 * What the verify step can expect from a snapshot: the probe's key count,
 * its expiry histogram (only with the count, and only when it parses) and
 * canary, when recorded.
 */
export function snapshotExpected(tags: Readonly<Record<string, string>>): ExpectedData {
  const keys = countTag(tags[TAGS.keys]);
  const canary = tags[CANARY_TAG];
  const ttl = tags[TAGS.expiries];
  const expiries = keys !== undefined && ttl !== undefined && parseExpiryHistogram(ttl) ? { expires: histogramKeys(ttl)!, expiries: [ttl] } : {};
  return { ...(keys !== undefined ? { keys } : {}), ...expiries, ...(canary !== undefined ? { canary } : {}) };
}

/**
 * The choice for a primary drill. Node type: the input's, else the
 * snapshot's, else {@link DEFAULT_DRILL_NODE_TYPE}.
 * @throws ZodError when a field is out of the contract (e.g. an empty engine).
 */
export function primaryChoice(snapshot: PrimarySnapshot, input: Pick<DrillInput, 'nodeType'>, startedAt: Date): RecoveryPointChoice {
  const clusterMode = clusterModeOf(snapshot.shards, snapshot.parameterGroup);
  return recoveryPointChoiceSchema.parse({
    kind: 'replication-group',
    target: snapshot.target,
    recoveryPoint: snapshot.name,
    createdAt: snapshot.createdAt.toISOString(),
    ageSeconds: ageSeconds(snapshot.createdAt, startedAt),
    clusterId: drillClusterId(snapshot.target, startedAt),
    engine: snapshot.engine,
    engineVersion: snapshot.engineVersion,
    nodeType: input.nodeType ?? snapshot.nodeType ?? DEFAULT_DRILL_NODE_TYPE,
    shards: snapshot.shards,
    clusterMode,
    snapshotName: snapshot.name,
    // The source's own cluster-mode group when it has one (custom settings), else the default.
    ...(clusterMode === 'enabled'
      ? {
          cacheParameterGroupName: /\.cluster\.on$/.test(snapshot.parameterGroup ?? '')
            ? snapshot.parameterGroup
            : clusterParameterGroup(snapshot.engine, snapshot.engineVersion),
        }
      : {}),
    expected: snapshotExpected(snapshot.tags),
  } satisfies RecoveryPointChoice);
}

/** A serverless snapshot as DescribeServerlessCacheSnapshots and its tags describe it. */
export interface ServerlessSnapshot {
  readonly name: string;
  readonly arn: string;
  readonly target: string;
  readonly createdAt: Date;
  readonly engine: string;
  /** The major version (`7`) or a full one (`7.1`): the choice keeps the major. */
  readonly engineVersion: string;
  readonly tags: Readonly<Record<string, string>>;
}

/**
 * The choice for a primary drill of a serverless cache: a new serverless
 * cache from the snapshot's ARN, same engine and major version. Serverless
 * caches shard by themselves: the verify step reads it as a cluster.
 */
export function serverlessChoice(snapshot: ServerlessSnapshot, startedAt: Date): RecoveryPointChoice {
  return recoveryPointChoiceSchema.parse({
    kind: 'serverless-cache',
    target: snapshot.target,
    recoveryPoint: snapshot.name,
    createdAt: snapshot.createdAt.toISOString(),
    ageSeconds: ageSeconds(snapshot.createdAt, startedAt),
    clusterId: drillClusterId(snapshot.target, startedAt),
    engine: snapshot.engine.toLowerCase(),
    engineVersion: majorVersion(snapshot.engineVersion),
    nodeType: SERVERLESS_NODE_TYPE,
    shards: 1,
    clusterMode: 'enabled',
    snapshotArns: [snapshot.arn],
    expected: snapshotExpected(snapshot.tags),
  } satisfies RecoveryPointChoice);
}

// ---------------------------------------------------------------------------
// DR region: the newest complete, verified export in the DR bucket.

/** Why an export cannot seed a drill. */
export type DrExportProblem =
  /** Its objects carry another plan's tag (or none). */
  | 'other-plan'
  /** Below the input's `minTier`, or without a tier tag when one is required. */
  | 'below-min-tier'
  /** Shards missing (still replicating, or a half-finished export), or shard tags that disagree. */
  | 'incomplete'
  /** At least one object not verified yet. */
  | 'unverified'
  /** At least one object verified corrupt. */
  | 'corrupt'
  /** No `redis-dr:engine` tag: nothing says which engine to create. */
  | 'no-engine';

/** An export that can seed a drill, with everything the choice needs. */
export interface UsableDrExport {
  readonly export: DrExport;
  readonly createdAt: Date;
  readonly engine: string;
  readonly engineVersion: string;
  readonly tier?: Tier;
  readonly expected: ExpectedData;
  /** Each shard's hash slots as the export recorded them (shard order), when every shard has them. */
  readonly slots?: readonly string[];
  /** The verifier's summary of each shard (shard order): the restore preflight reads RDB versions and databases from them. */
  readonly summaries: readonly RdbSummary[];
}

/** The verdict on one export. */
export type DrExportVerdict =
  | { readonly usable: true; readonly choice: UsableDrExport }
  | { readonly usable: false; readonly problem: DrExportProblem; readonly detail: string };

/**
 * Decides whether an export can seed a drill, given every object's tags:
 * the plan's (`redis-dr:plan`), tier `minTier` or higher when given, a
 * complete shard set (`0001..N/N` from the `redis-dr:shard` tags, one object
 * per shard), every object `redis-dr:verified=ok` with a readable
 * `redis-dr:rdb` summary, and an engine tag. Expected data: keys, expiring
 * keys and keys per type summed over the shards' summaries, the shards'
 * expiry histograms (when every shard with expiring keys has one); the
 * canary from the object tags, when one was recorded.
 */
export function assessDrExport(
  exp: DrExport,
  tagsByKey: ReadonlyMap<string, Readonly<Record<string, string>>>,
  options: { readonly plan: string; readonly minTier?: Tier },
): DrExportVerdict {
  const no = (problem: DrExportProblem, detail: string): DrExportVerdict => ({ usable: false, problem, detail });
  const objects = exp.objects.map((o) => ({ ...o, tags: tagsByKey.get(o.key) ?? {} }));
  const first = objects[0]?.tags ?? {};
  if (objects.some((o) => o.tags[TAGS.plan] !== options.plan)) {
    return no('other-plan', `${exp.exportName} is tagged plan ${first[TAGS.plan] ?? '(none)'}`);
  }
  // A copy a keyspace collapse holds (`held-daily`) is still of its tier: drills may use it.
  const tier = first[TAGS.tier] === undefined ? undefined : releasedTierValue(first[TAGS.tier]);
  if (options.minTier && !(isTier(tier) && tierRank(tier) >= tierRank(options.minTier))) {
    return no('below-min-tier', `${exp.exportName} is tier ${tier ?? '(none)'}, below ${options.minTier}`);
  }
  const shards = exportShards(exp, tagsByKey);
  if (!shards.complete) {
    return no('incomplete', `${exp.exportName} has shard(s) ${shards.found.join(',')} of ${shards.of ?? '?'}`);
  }
  const verification = exportVerification(exp, tagsByKey);
  if (verification.state === 'corrupt') return no('corrupt', `${verification.corrupt.join(', ')} verified corrupt`);
  if (verification.state === 'not-verified') {
    const pending = verification.unverified.filter((k) => !verification.unproven.includes(k));
    const said = [
      ...(verification.unproven.length > 0 ? [`${verification.unproven.join(', ')} carry a verdict tag without a verdict object (not trusted)`] : []),
      ...(pending.length > 0 ? [`${pending.join(', ')} not verified yet`] : []),
    ];
    return no('unverified', said.join('; '));
  }
  const summaries = verification.summaries as readonly RdbSummary[];
  const engine = parseEngineTag(first[TAGS.engine]);
  if (!engine) return no('no-engine', `${exp.exportName} has no ${TAGS.engine} tag`);

  const byType: Record<string, number> = {};
  for (const s of summaries) for (const [type, n] of Object.entries(s.byType)) byType[type] = (byType[type] ?? 0) + n;
  const canary = objects.map((o) => o.tags[CANARY_TAG]).find((c) => c !== undefined);
  // Expiry times only when every shard with expiring keys recorded them: one without would let its keys go unaccounted.
  const volatileShards = summaries.filter((s) => s.expires > 0);
  const expiries =
    volatileShards.every((s) => s.expiryHistogram !== undefined) && volatileShards.length > 0 ? volatileShards.map((s) => s.expiryHistogram!) : undefined;
  const created = Date.parse(first[TAGS.created] ?? '');
  const slots = shards.slots;
  return {
    usable: true,
    choice: {
      export: exp,
      summaries,
      ...(slots.every((x): x is string => x !== undefined) ? { slots } : {}),
      createdAt: Number.isNaN(created) ? exp.createdAt : new Date(created),
      ...engine,
      tier: isTier(tier) ? tier : undefined,
      expected: {
        keys: summaries.reduce((a, s) => a + s.keys, 0),
        expires: summaries.reduce((a, s) => a + s.expires, 0),
        ...(expiries ? { expiries } : {}),
        byType,
        ...(canary !== undefined ? { canary } : {}),
      },
    },
  };
}

/**
 * The choice for a DR drill: seeded from the export's objects in shard order.
 * A replication group: node type the input's, else
 * {@link DEFAULT_DRILL_NODE_TYPE}; several shards restore with the slot
 * layout the export recorded. A serverless cache (`kind`): a new serverless
 * cache from every object, same engine and major version.
 */
export function drChoice(
  usable: UsableDrExport,
  input: Pick<DrillInput, 'nodeType'>,
  where: { readonly bucket: string; readonly partition: string },
  startedAt: Date,
  kind: DrillKind = 'replication-group',
): RecoveryPointChoice {
  const { export: exp } = usable;
  const shards = exp.objects.length;
  const common = {
    kind,
    target: exp.target,
    recoveryPoint: exp.exportName,
    createdAt: usable.createdAt.toISOString(),
    ageSeconds: ageSeconds(usable.createdAt, startedAt),
    clusterId: drillClusterId(exp.target, startedAt),
    engine: usable.engine,
    snapshotArns: exp.objects.map((o) => s3ObjectArn(where.partition, where.bucket, o.key)),
    expected: usable.expected,
  };
  if (kind === 'serverless-cache') {
    return recoveryPointChoiceSchema.parse({
      ...common,
      engineVersion: majorVersion(usable.engineVersion),
      nodeType: SERVERLESS_NODE_TYPE,
      shards,
      clusterMode: 'enabled',
    } satisfies RecoveryPointChoice);
  }
  return recoveryPointChoiceSchema.parse({
    ...common,
    engineVersion: usable.engineVersion,
    nodeType: input.nodeType ?? DEFAULT_DRILL_NODE_TYPE,
    shards,
    clusterMode: clusterModeOf(shards),
    // The source's slot layout as the export recorded it; copies made before it was recorded: the even split (an assumption).
    ...(shards > 1
      ? {
          cacheParameterGroupName: clusterParameterGroup(usable.engine, usable.engineVersion),
          nodeGroupConfiguration: usable.slots
            ? usable.slots.map((slots, i) => ({ NodeGroupId: String(i + 1).padStart(4, '0'), Slots: slots, ReplicaCount: 0 }))
            : evenSlotLayout(shards),
        }
      : {}),
  } satisfies RecoveryPointChoice);
}
