import { createHash } from 'node:crypto';
/**
 * Restore drills: the shapes that flow through the drill state machine
 * (select → create → poll → verify → delete → report), shared by the
 * Lambdas, the CDK construct that builds the state machine, and the tests
 * that execute it locally. Pure: schemas, names and limits only.
 */
import { z } from 'zod';
import { seedReplicaSchema } from '../vault/vault-seed.js';
import { targetSelectionSchema } from '../plans/plan-input.js';
import { TIERS } from '../plans/types.js';
import { DEFAULT_DRILL_SAMPLE_SIZE, DEFAULT_KEY_COUNT_TOLERANCE_PCT } from './defaults.js';
import { pointSelectionSchema } from './point-selection.js';

/** Drill cluster ids: `rdr-drill-…`, at most 40 characters (ElastiCache's limit). */
export const DRILL_PREFIX = 'rdr-drill-';
/** Secrets Manager name prefix of the drills' AUTH token secrets (`redis-dr/drill/<execution name>`). */
export const DRILL_SECRET_PREFIX = 'redis-dr/drill/';
export const MAX_CLUSTER_ID_LENGTH = 40;

/** What a drill builds: the shape of the target it restores. */
export const DRILL_KINDS = ['replication-group', 'serverless-cache'] as const;
export type DrillKind = (typeof DRILL_KINDS)[number];

/** What a serverless drill reports as its node type: it has none. */
export const SERVERLESS_NODE_TYPE = 'serverless';

/**
 * The user a serverless drill cache is locked with (a serverless cache takes
 * no AUTH token): user name `default`, so the execution's token works as a
 * plain AUTH password; its id and its user group's id are the drill's id.
 */
export const DRILL_USER_NAME = 'default';
/** ACL of that user: everything (the verify step only reads, but it is the cache's only user). */
export const DRILL_USER_ACCESS = 'on ~* +@all';

/** `7.1.0` → `7` (CreateServerlessCache's MajorEngineVersion). */
export function majorVersion(engineVersion: string): string {
  const m = /^(\d+)/.exec(engineVersion.trim());
  if (!m) throw new Error(`engine version ${JSON.stringify(engineVersion)} has no major version`);
  return m[1]!;
}

/** Where a drill restores: from the native snapshot (primary) or the replicated `.rdb` copies (DR). */
export const DRILL_WHERE = ['primary', 'dr'] as const;
export type DrillWhere = (typeof DRILL_WHERE)[number];

const keyValue = z.record(z.string(), z.string());

/**
 * What the verify step checks: the plan's `drill.verify` config, the same
 * object (lib/config/schema.ts builds the config's section from it), so the
 * drill input is held to the config's ranges and messages.
 */
export const drillChecksSchema = z.strictObject({
  /** Allowed difference between the recorded and the restored key count, in percent. */
  keyCountTolerancePct: z
    .number()
    .min(0)
    .max(100)
    .default(DEFAULT_KEY_COUNT_TOLERANCE_PCT)
    .meta({ description: 'Allowed difference between recorded and restored key count, %.' }),
  /** Keys that must exist in the restored data. */
  expectKeys: z.array(z.string().min(1)).default([]).meta({ description: 'Keys that must exist after the restore.' }),
  /** Keys whose string value must equal the given one. */
  expectValues: keyValue.default({}).meta({ description: 'Keys whose string value must be exactly this after the restore.' }),
  /** Random keys read back for sane types and TTLs. */
  sampleSize: z.number().int().min(0).max(10000).default(DEFAULT_DRILL_SAMPLE_SIZE).meta({ description: 'Random keys read back for sane types and TTLs.' }),
});
export type DrillChecks = z.infer<typeof drillChecksSchema>;

/** Input of a drill execution (the schedule's input; `redis-dr drill run` sends the same). */
export const drillInputSchema = z.strictObject({
  deployment: z.string().min(1),
  plan: z.string().min(1),
  where: z.enum(DRILL_WHERE),
  targets: targetSelectionSchema,
  /** DR drills: the DR bucket holding the verified `.rdb` copies (the vault bucket with `vault`). */
  bucket: z.string().min(3).optional(),
  /**
   * DR drills seeded from the vault (plan `drill.fromVault`): `bucket` is the
   * vault bucket, owned by this account (every S3 call expects it as owner).
   */
  vault: z
    .strictObject({
      account: z.string().regex(/^\d{12}$/),
      /** This account's DR bucket: the drill copies the chosen replica there and seeds from the copy (domain/vault/vault-seed.ts). */
      seedBucket: z.string().min(3).optional(),
      /**
       * An organization's vault (config `vault.organizationId`): the replicas of this account's exports land under
       * `<account>/<primary region>/` (docs/org.md), and the drill lists, parses and reads them there only.
       */
      prefix: z
        .string()
        .regex(/^\d{12}\/[a-z0-9-]+\/$/, { message: 'must be <12-digit account>/<region>/' })
        .optional(),
    })
    .optional(),
  /** Node type of the drill cluster; default: the recovery point's. */
  nodeType: z.string().min(1).optional(),
  /** Export tiers the DR drill may pick (all by default). */
  minTier: z.enum(TIERS).optional(),
  rtoMinutes: z.number().int().positive(),
  checks: drillChecksSchema,
  /**
   * The plan's RBAC user group for drill clusters, and the secret of a user
   * in it the verify step connects as; without it each execution generates
   * its own AUTH token.
   */
  rbac: z.strictObject({ userGroupId: z.string().min(1), secretArn: z.string().min(1) }).optional(),
  /** The plan's `drill.pointSelection` when it is `random` (absent: the newest point). */
  pointSelection: pointSelectionSchema.optional(),
  /**
   * A manual drill (`redis-dr drill run`): who started it, the caller's IAM
   * ARN. Absent on the schedule's input: a drill without it was scheduled.
   */
  startedBy: z.string().min(1).max(2048).optional(),
});
export type DrillInput = z.infer<typeof drillInputSchema>;

/** What the verify step knows the restored data must contain. */
export const expectedDataSchema = z.strictObject({
  /** Key count recorded at snapshot time (probe) or counted by the RDB verifier (DR). */
  keys: z.number().int().nonnegative().optional(),
  /** Keys with an expiry in the RDB (DR); expired ones may be gone after the restore. */
  expires: z.number().int().nonnegative().optional(),
  /**
   * When those keys expire: expiry histograms (domain/rdb/expiry-histogram.ts text form),
   * one per object (shard) with keys with an expiry, or the probe's. Only the
   * keys expired by the check may be missing.
   */
  expiries: z.array(z.string().min(1)).optional(),
  /** The histograms were recorded but left out of the drill's state to fit it (domain/drills/state-size.ts). */
  expiriesLeftOut: z.literal(true).optional(),
  /** Keys per type from the RDB verifier (DR). */
  byType: z.record(z.string(), z.number().int().nonnegative()).optional(),
  /** The canary value written just before the snapshot (probe). */
  canary: z.string().optional(),
});
export type ExpectedData = z.infer<typeof expectedDataSchema>;

/** Where a drill seeded from the vault read its copy (the report names it). */
export const vaultSeedSchema = z.strictObject({
  account: z.string(),
  bucket: z.string(),
  /** The objects, shard order. */
  keys: z.array(z.string()).min(1),
  /** The earliest Object Lock retain-until of those objects (ISO instant); absent when S3 reported none. */
  retainUntil: z.string().optional(),
  /** Their Object Lock mode (`COMPLIANCE` in a vault); absent when S3 reported none. */
  mode: z.string().optional(),
  /**
   * The verified version of each object (key order), as the vault verifier's
   * verdict names it: what the drill copies into the DR bucket and seeds from.
   */
  replicas: z.array(seedReplicaSchema).optional(),
});
export type VaultSeed = z.infer<typeof vaultSeedSchema>;

/**
 * The recovery point the select step chose and everything the create step
 * needs, already in CreateReplicationGroup terms (the state machine maps
 * these fields one to one).
 */
export const recoveryPointChoiceSchema = z.strictObject({
  /**
   * What the drill builds: a replication group (CreateReplicationGroup) or a
   * serverless cache (CreateServerlessCache, from `snapshotArns`).
   */
  kind: z.enum(DRILL_KINDS).default('replication-group'),
  target: z.string().min(1),
  /** Snapshot name (primary) or export name (DR). */
  recoveryPoint: z.string().min(1),
  /** `drill.pointSelection: random`: the point was drawn among this many older retained points (0: the newest was the only one). */
  selection: z.strictObject({ mode: z.literal('random'), drawnFrom: z.number().int().nonnegative() }).optional(),
  /**
   * Points of the target the drill did not restore because each is marked a keyspace collapse: primary, available
   * snapshots marked `redis-dr:collapsed` (active); DR, exports the DR verifier marked (its mark object,
   * domain/points/collapse-records.ts) whose point no release record names. How many, the newest of them and its
   * mark. A drill restores the point a recovery would reach for, the newest before the collapse, and its report says
   * what it passed over.
   */
  collapsedPassedOver: z.strictObject({ count: z.number().int().positive(), newest: z.string().min(1), mark: z.string() }).optional(),
  /** ISO time the recovery point was taken. */
  createdAt: z.string(),
  ageSeconds: z.number().nonnegative(),
  /** The drill cluster's id (see {@link drillClusterId}). */
  clusterId: z.string().min(1).max(MAX_CLUSTER_ID_LENGTH),
  engine: z.string().min(1),
  /** The full version (replication groups) or the major version CreateServerlessCache takes (serverless: `7`, `8`). */
  engineVersion: z.string().min(1),
  /** The drill cluster's node type; {@link SERVERLESS_NODE_TYPE} for a serverless cache. */
  nodeType: z.string().min(1),
  /** 1 for cluster mode disabled. */
  shards: z.number().int().positive(),
  clusterMode: z.enum(['enabled', 'disabled']),
  /** Primary: the snapshot to restore. */
  snapshotName: z.string().optional(),
  /** DR: S3 ARNs of the `.rdb` objects, shard order; serverless primary: the serverless snapshot's ARN. */
  snapshotArns: z.array(z.string()).optional(),
  /** Cluster mode enabled: the parameter group with `cluster-enabled yes`. */
  cacheParameterGroupName: z.string().optional(),
  /**
   * Cluster mode enabled, DR: one node group per `.rdb`, with its slot range
   * (ElastiCache needs the layout when seeding shards from S3).
   */
  nodeGroupConfiguration: z.array(z.strictObject({ NodeGroupId: z.string(), Slots: z.string(), ReplicaCount: z.number().int() })).optional(),
  expected: expectedDataSchema,
  /** Seeded from the vault: which account's bucket, which objects, and until when Object Lock keeps them. */
  vault: vaultSeedSchema.optional(),
});
export type RecoveryPointChoice = z.infer<typeof recoveryPointChoiceSchema>;

/** Input of the verify Lambda: where the restored cluster listens and what to check. */
export const drillVerifyInputSchema = z.strictObject({
  host: z.string().min(1),
  port: z.number().int().positive(),
  /** In-transit encryption (always on for drill clusters; tests use plain TCP). */
  tls: z.boolean(),
  /** Secrets Manager secret with `{"password"}` or `{"username","password"}`, when the source uses AUTH/RBAC. */
  authSecretArn: z.string().optional(),
  /** Cluster mode enabled: SCAN every primary. */
  clusterMode: z.enum(['enabled', 'disabled']),
  expected: expectedDataSchema,
  checks: drillChecksSchema,
});
export type DrillVerifyInput = z.infer<typeof drillVerifyInputSchema>;

/** One named check with what was expected and what was found. */
export interface CheckResult {
  readonly name: 'canary' | 'key-count' | 'type-histogram' | 'expect-keys' | 'expect-values' | 'sample';
  readonly ok: boolean;
  /** `skipped` when there was nothing to compare with (e.g. no canary recorded). */
  readonly skipped?: boolean;
  readonly expected: string;
  readonly found: string;
}

/** What the verify Lambda returns (and the report step reports). */
export interface DrillVerifyReport {
  readonly ok: boolean;
  readonly keys: number;
  readonly byType: Readonly<Record<string, number>>;
  readonly checks: readonly CheckResult[];
  readonly seconds: number;
}

/**
 * The default parameter group with cluster mode on for an engine version:
 * `default.redis7.cluster.on`, `default.redis6.x.cluster.on`,
 * `default.valkey8.cluster.on`…
 */
export function clusterParameterGroup(engine: string, engineVersion: string): string {
  const major = Number.parseInt(engineVersion, 10);
  const family = engine === 'redis' && major === 6 ? 'redis6.x' : engine === 'redis' && major <= 5 ? `redis${major}.0` : `${engine}${major}`;
  return `default.${family}.cluster.on`;
}

/** Total hash slots of a Redis cluster. */
export const HASH_SLOTS = 16384;

/**
 * `shards` node groups splitting the hash slots evenly (the layout
 * ElastiCache gives a new cluster by default), ids `0001`…, no replicas.
 */
export function evenSlotLayout(shards: number): { NodeGroupId: string; Slots: string; ReplicaCount: number }[] {
  return Array.from({ length: shards }, (_, i) => {
    const from = Math.floor((i * HASH_SLOTS) / shards);
    const to = Math.floor(((i + 1) * HASH_SLOTS) / shards) - 1;
    return { NodeGroupId: String(i + 1).padStart(4, '0'), Slots: `${from}-${to}`, ReplicaCount: 0 };
  });
}

/** Hex characters of the target's hash in a drill cluster id. */
const TARGET_HASH_LENGTH = 6;

/**
 * The part of a drill cluster id that names the target: the target cut to 10
 * characters and a hash of its full id, so `orders-production-eu-1` and
 * `orders-production-eu-2` (same first characters) never share a drill cluster.
 */
export function drillTargetStem(target: string): string {
  const id = target.toLowerCase();
  const hash = createHash('sha256').update(id).digest('hex').slice(0, TARGET_HASH_LENGTH);
  const room = MAX_CLUSTER_ID_LENGTH - DRILL_PREFIX.length - STAMP_LENGTH - TARGET_HASH_LENGTH - 2;
  const cut = id
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, room)
    .replace(/-+/g, '-')
    .replace(/-$/, '');
  return `${cut}-${hash}`;
}

/** `yymmddhhmmss` */
const STAMP_LENGTH = 12;

/**
 * The drill cluster id for `target` in the execution started at `at`:
 * `rdr-drill-<target, cut>-<hash of the target>-<yymmddhhmmss>`, 40
 * characters at most, lowercase, no double or trailing hyphen (ElastiCache's
 * id rules). Two drills get the same id only for the same target in the same
 * second; the state machine then fails the second create and deletes nothing.
 */
export function drillClusterId(target: string, at: Date): string {
  // To the second: a drill started by hand and one by the schedule in the same minute must not share a cluster.
  const stamp = at
    .toISOString()
    .replace(/[-:T]/g, '')
    .slice(2, 2 + STAMP_LENGTH);
  return `${DRILL_PREFIX}${drillTargetStem(target)}-${stamp}`;
}

/**
 * When the drill that made `id` started, from the `yymmddhhmmss` at its end
 * (users and user groups, which ElastiCache gives no creation time);
 * `undefined` for an id without one.
 */
export function drillStartOf(id: string): Date | undefined {
  const m = /-(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(id);
  if (!id.startsWith(DRILL_PREFIX) || !m) return undefined;
  const [yy, mo, dd, hh, mi, ss] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const at = new Date(Date.UTC(2000 + yy, mo - 1, dd, hh, mi, ss));
  return at.getUTCMonth() === mo - 1 && at.getUTCDate() === dd && hh < 24 && mi < 60 && ss < 60 ? at : undefined;
}
