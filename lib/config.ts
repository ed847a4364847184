/**
 * Deployment config: schema (zod 4), defaults, cross-field checks and the
 * JSON Schema editors use for completion (`config/schema.json`).
 *
 * Validated once, in `bin/app.ts` through {@link loadConfig}. Every problem is
 * reported at once, each as `<path> <what is wrong>, got <value>[: <fix>]`,
 * e.g. `plans[0].retention.daily must be >= 1, got 0`.
 */
import { readFileSync } from 'node:fs';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { z } from 'zod';
import {
  analyzeSchedule,
  isValidTimeZone,
  parseAwsCron,
  utcOffsetMinutes,
  type ScheduleAnalysis,
} from '../lambdas/domain/schedule.js';
import { TIERS, type Tier } from '../lambdas/domain/types.js';

/**
 * At most 20 manual snapshots per node in a rolling 24 h.
 * @see https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/backups.html#backups-constraints
 */
export const MAX_MANUAL_SNAPSHOTS_PER_NODE_PER_DAY = 20;
/**
 * At most 24 snapshots per serverless cache in a rolling 24 h.
 * @see https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/backups.html#backups-constraints
 */
export const MAX_SERVERLESS_SNAPSHOTS_PER_DAY = 24;

/** Retention periods CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** Prune schedule used when a plan's retention gives none: every hour at :30. */
export const DEFAULT_PRUNE_CRON = 'cron(30 * * * ? *)';

/** Drill schedule used when a plan's drill gives none: Sundays 04:00. */
export const DEFAULT_DRILL_CRON = 'cron(0 4 ? * SUN *)';

/** Export reconciler schedule used when a plan's export gives none: every 15 minutes. */
export const DEFAULT_EXPORT_CRON = 'cron(0/15 * * * ? *)';

/** How far ahead schedules are simulated: long enough for monthly patterns and both DST changes. */
const HORIZON_DAYS = 400;

/** Regions aws-cdk-lib knows, sorted. */
const KNOWN_REGIONS = RegionInfo.regions.map((r) => r.name).sort() as [string, ...string[]];
const REGION_SUGGESTIONS = ['us-east-1', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-southeast-2'];

// ---------------------------------------------------------------------------
// Message helpers

/** Short, quoted rendering of a received value for messages. */
function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 80 ? `${json.slice(0, 77)}...` : json;
}

/** `plans[0].retention.daily` from `['plans', 0, 'retention', 'daily']`. */
function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? 'config' : out;
}

/** A schema-level error: `<what>, got <value>[: <fix>]`. */
function says(what: string, fix?: string | ((input: unknown) => string | undefined)) {
  return (iss: { input?: unknown }): string => {
    if (iss.input === undefined) return 'is required';
    const f = typeof fix === 'function' ? fix(iss.input) : fix;
    return `${what}, got ${show(iss.input)}${f ? `: ${f}` : ''}`;
  };
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return row[b.length]!;
}

/** The candidate closest to `value`, if it is close enough to be a typo. */
function closest(value: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const d = levenshtein(value.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(value.length / 4)) ? best : undefined;
}

function regionFix(input: unknown): string {
  const guess = typeof input === 'string' ? closest(input, KNOWN_REGIONS) : undefined;
  const some = `known regions include ${REGION_SUGGESTIONS.join(', ')}`;
  return guess ? `did you mean "${guess}"? (${some})` : `use an AWS region code; ${some}`;
}

function timeZoneFix(input: unknown): string {
  const zones = ['UTC', ...Intl.supportedValuesOf('timeZone')];
  const guess = typeof input === 'string' ? closest(input, zones) : undefined;
  const some = 'use an IANA name such as "UTC", "Europe/Berlin" or "America/New_York"';
  return guess ? `did you mean "${guess}"? (${some})` : some;
}

/** ElastiCache replication group ids and serverless cache names share these rules. */
const ELASTICACHE_ID = /^(?!.*--)[a-z](?:[a-z0-9-]{0,38}[a-z0-9])?$/;
function elastiCacheIdProblem(value: string): string | undefined {
  if (value.length < 1 || value.length > 40) return `must be 1-40 characters long`;
  if (!/^[a-zA-Z]/.test(value)) return 'must start with a letter';
  if (/[A-Z]/.test(value)) return 'must be lowercase';
  if (/[^a-zA-Z0-9-]/.test(value)) return 'may only contain lowercase letters, digits and hyphens';
  if (value.endsWith('-')) return 'must not end with a hyphen';
  if (value.includes('--')) return 'must not contain two hyphens in a row';
  return undefined;
}

// ---------------------------------------------------------------------------
// Field schemas

const cronSchema = z
  .string()
  .superRefine((value, ctx) => {
    const parsed = parseAwsCron(value);
    if (!parsed.ok) ctx.addIssue({ code: 'custom', message: `${parsed.problem}, got ${show(value)}: ${parsed.fix}` });
  })
  .meta({
    description:
      'EventBridge Scheduler cron: cron(minutes hours day-of-month month day-of-week year). Exactly one of day-of-month / day-of-week is "?"; year is "*".',
    examples: ['cron(0 * * * ? *)', 'cron(0 0/4 * * ? *)', 'cron(0 3 ? * MON-FRI *)'],
    pattern: '^\\s*cron\\(.*\\)\\s*$',
  });

const timeZoneSchema = z
  .string()
  .superRefine((value, ctx) => {
    if (!isValidTimeZone(value)) {
      ctx.addIssue({ code: 'custom', message: `is not a known IANA time zone, got ${show(value)}: ${timeZoneFix(value)}` });
    }
  })
  .meta({ description: 'IANA time zone the cron runs in (daylight saving included).', examples: ['UTC', 'Europe/Berlin'] });

const regionSchema = z.enum(KNOWN_REGIONS, { error: says('is not a known AWS region', regionFix) });

const accountSchema = z
  .string()
  .regex(/^\d{12}$/, { error: says('must be a 12-digit AWS account id', 'write it as a string of 12 digits, or leave it out') })
  .meta({ description: 'AWS account id. Optional: without it the stacks are account-agnostic.' });

function elastiCacheIdSchema(kind: string) {
  return z.string().superRefine((value, ctx) => {
    const problem = elastiCacheIdProblem(value);
    if (!problem && ELASTICACHE_ID.test(value)) return;
    const lower = value.toLowerCase();
    const fix =
      !elastiCacheIdProblem(lower) && ELASTICACHE_ID.test(lower)
        ? `ElastiCache stores ${kind}s in lowercase: write ${show(lower)}`
        : `${kind}s are 1-40 lowercase letters, digits or hyphens, start with a letter, no trailing or double hyphen`;
    ctx.addIssue({ code: 'custom', message: `${problem ?? 'is not a valid id'}, got ${show(value)}: ${fix}` });
  }).meta({ pattern: ELASTICACHE_ID.source, maxLength: 40 });
}

/** Lists of ids: each valid, none twice. */
function idListSchema(kind: string) {
  return z
    .array(elastiCacheIdSchema(kind))
    .superRefine((ids, ctx) => {
      ids.forEach((id, i) => {
        const first = ids.indexOf(id);
        if (first !== i) {
          ctx.addIssue({ code: 'custom', path: [i], message: `${show(id)} is already listed at [${first}]: list each ${kind} once` });
        }
      });
    })
    .default([]);
}

const tagsSchema = z
  .record(z.string(), z.string())
  .superRefine((tags, ctx) => {
    const keys = Object.keys(tags);
    if (keys.length > 50) {
      ctx.addIssue({ code: 'custom', message: `must have at most 50 tag pairs, got ${keys.length}: select by fewer tags` });
    }
    for (const key of keys) {
      if (key.length < 1 || key.length > 128 || /^aws:/i.test(key)) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `is not a usable tag key, got ${show(key)}: tag keys are 1-128 characters and must not start with "aws:"`,
        });
      }
      if (tags[key]!.length > 256) {
        ctx.addIssue({ code: 'custom', path: [key], message: `is too long a tag value, got ${tags[key]!.length} characters: tag values are at most 256 characters` });
      }
    }
  })
  .default({})
  .meta({ description: 'Back up every cache carrying all of these tags (key: value). At most 50 pairs.' });

const targetsSchema = z
  .strictObject({
    replicationGroupIds: idListSchema('replication group id').meta({ description: 'Replication groups to back up, by id.' }),
    serverlessCacheNames: idListSchema('serverless cache name').meta({ description: 'Serverless caches to back up, by name.' }),
    selectByTags: tagsSchema,
  })
  .meta({ description: 'What to back up. At least one of the three must be non-empty.' });

const scheduleSchema = z
  .strictObject({
    cron: cronSchema,
    timeZone: timeZoneSchema.default('UTC'),
  })
  .meta({ description: 'When snapshots are taken.' });

const count = (min: number, dflt: number, description: string) =>
  z.number().int().min(min).default(dflt).meta({ description });

const retentionSchema = z
  .strictObject({
    hourly: count(0, 24, 'Keep the newest N recovery points of tier hourly or higher.'),
    daily: count(1, 7, 'Keep the newest N recovery points of tier daily or higher.'),
    weekly: count(0, 4, 'Keep the newest N recovery points of tier weekly or higher.'),
    monthly: count(0, 12, 'Keep the newest N monthly recovery points.'),
    minKeep: count(1, 3, 'Never delete the newest N available snapshots of a target.'),
    dryRun: z.boolean().default(false).meta({ description: 'Log what would be deleted, delete nothing.' }),
    maxDeletesPerTarget: count(1, 10, 'Delete at most N snapshots of one target per prune run (oldest first); the rest waits for the next run.'),
    schedule: z
      .strictObject({
        cron: cronSchema.default(DEFAULT_PRUNE_CRON),
        timeZone: timeZoneSchema.optional().meta({ description: "Defaults to the plan's schedule.timeZone." }),
      })
      .optional()
      .meta({ description: `When pruning runs. Default ${DEFAULT_PRUNE_CRON} in the plan's time zone.` }),
  })
  .prefault({})
  .meta({ description: 'Grandfather-father-son retention of manual snapshots, with safety rails.' });

const planSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,31}$/, {
        error: says('must be 1-32 lowercase letters, digits or hyphens, starting with a letter or digit'),
      })
      .meta({ description: 'Plan name, unique across plans; used in resource names and tags.' }),
    targets: targetsSchema,
    schedule: scheduleSchema,
    rpoMinutes: z
      .number()
      .int()
      .min(5, { error: says('must be >= 5') })
      .meta({ description: 'Recovery point objective: alarm when the newest recovery point is older. At least the longest gap between scheduled runs.' }),
    retention: retentionSchema,
    snapshotBudgetSeconds: z
      .number()
      .int()
      .min(60)
      .max(840, { error: says('must be <= 840', 'the snapshot Lambda runs at most 900 s and needs headroom') })
      .default(600)
      .meta({ description: 'Time the snapshot Lambda may spend per run (Lambda timeout is this plus headroom).' }),
    probe: z
      .strictObject({
        enabled: z
          .boolean()
          .default(false)
          .meta({ description: 'Before each snapshot, write the canary key redis-dr:canary and record the key count (needs network).' }),
        authSecretArn: z
          .string()
          .regex(/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/, { error: says('must be a Secrets Manager secret ARN') })
          .optional()
          .meta({ description: 'Secret with the AUTH token ({"password"}) or RBAC user ({"username","password"}) of the caches, when they require one.' }),
      })
      .prefault({})
      .meta({ description: 'The snapshot probe: proves in drills that a restore holds exactly that snapshot (one SET of one key on the source).' }),
    export: z
      .strictObject({
        enabled: z.boolean().default(false).meta({ description: 'Export snapshots to S3 and replicate them to the DR region.' }),
        minTier: z
          .enum(TIERS, { error: says(`must be one of ${TIERS.join(', ')}`) })
          .default('hourly')
          .meta({ description: 'Export recovery points of this tier or higher. Default hourly: every recovery point.' }),
        schedule: z
          .strictObject({
            cron: cronSchema.default(DEFAULT_EXPORT_CRON),
            timeZone: timeZoneSchema.optional().meta({ description: "Defaults to the plan's schedule.timeZone." }),
          })
          .optional()
          .meta({ description: `When the export reconciler runs. Default ${DEFAULT_EXPORT_CRON} (every 15 minutes).` }),
        maxStartsPerRun: count(1, 5, 'Exports started per run at most (newest first); the rest wait for the next run.'),
        expireDays: z
          .strictObject({
            hourly: z.number().int().min(1).optional().meta({ description: 'Days exported hourly-tier copies are kept in S3.' }),
            daily: z.number().int().min(1).optional().meta({ description: 'Days exported daily-tier copies are kept in S3.' }),
            weekly: z.number().int().min(1).optional().meta({ description: 'Days exported weekly-tier copies are kept in S3.' }),
            monthly: z.number().int().min(1).optional().meta({ description: 'Days exported monthly-tier copies are kept in S3.' }),
          })
          .prefault({})
          .meta({
            description:
              'S3 lifecycle expiry per tier, in both buckets. Defaults follow the retention counts: hourly ceil(hourly/24)+1, daily daily+1, weekly 7*weekly+1, monthly 31*monthly+1 days.',
          }),
        archiveMonthlyAfterDays: z
          .number()
          .int()
          .min(1)
          .optional()
          .meta({ description: 'Move monthly copies to S3 Glacier Instant Retrieval (still seedable) after this many days. Off by default.' }),
      })
      .prefault({}),
    drill: z
      .strictObject({
        enabled: z.boolean().default(false).meta({ description: 'Run scheduled restore drills.' }),
        schedule: z
          .strictObject({
            cron: cronSchema.default(DEFAULT_DRILL_CRON),
            timeZone: timeZoneSchema.optional().meta({ description: "Defaults to the plan's schedule.timeZone." }),
          })
          .optional()
          .meta({ description: `When drills run. Default ${DEFAULT_DRILL_CRON} (Sundays 04:00).` }),
        where: z
          .enum(['primary', 'dr', 'both'], { error: says('must be "primary", "dr" or "both"') })
          .default('both')
          .meta({ description: 'primary: restore the native snapshot; dr: restore the verified .rdb copies in the DR region; both.' }),
        nodeType: z
          .string()
          .regex(/^cache\.[a-z0-9]+\.[a-z0-9]+$/, { error: says('must be an ElastiCache node type like "cache.t4g.small"') })
          .optional()
          .meta({ description: "Node type of drill clusters; default: the recovery point's." }),
        rtoMinutes: z
          .number()
          .int()
          .min(1)
          .default(60)
          .meta({ description: 'Recovery time objective: a drill whose start-to-verified time is longer reports a miss.' }),
        maxHours: z
          .number()
          .int()
          .min(1)
          .max(24, { error: says('must be <= 24', 'a Standard state machine may run longer, but a drill that long is stuck') })
          .default(6)
          .meta({ description: 'Execution timeout of a drill; the reaper deletes drill clusters older than this.' }),
        verify: z
          .strictObject({
            keyCountTolerancePct: z.number().min(0).max(100).default(1).meta({ description: 'Allowed difference between recorded and restored key count, %.' }),
            expectKeys: z.array(z.string().min(1)).default([]).meta({ description: 'Keys that must exist after the restore.' }),
            expectValues: z.record(z.string(), z.string()).default({}).meta({ description: 'Keys whose string value must be exactly this after the restore.' }),
            sampleSize: z.number().int().min(0).max(10000).default(100).meta({ description: 'Random keys read back for sane types and TTLs.' }),
          })
          .prefault({}),
      })
      .prefault({}),
  })
  .transform((plan) => {
    // The prune schedule follows the plan's time zone unless it names its own.
    const { schedule: prune, ...retention } = plan.retention;
    const { schedule: exportSchedule, expireDays, ...exportRest } = plan.export;
    const { schedule: drillSchedule, ...drillRest } = plan.drill;
    return {
      ...plan,
      retention: {
        ...retention,
        schedule: { cron: prune?.cron ?? DEFAULT_PRUNE_CRON, timeZone: prune?.timeZone ?? plan.schedule.timeZone } as ScheduleConfig,
      },
      export: {
        ...exportRest,
        schedule: {
          cron: exportSchedule?.cron ?? DEFAULT_EXPORT_CRON,
          timeZone: exportSchedule?.timeZone ?? plan.schedule.timeZone,
        } as ScheduleConfig,
        expireDays: {
          hourly: expireDays.hourly ?? Math.ceil(retention.hourly / 24) + 1,
          daily: expireDays.daily ?? retention.daily + 1,
          weekly: expireDays.weekly ?? 7 * retention.weekly + 1,
          monthly: expireDays.monthly ?? 31 * retention.monthly + 1,
        } as Record<Tier, number>,
      },
      drill: {
        ...drillRest,
        schedule: { cron: drillSchedule?.cron ?? DEFAULT_DRILL_CRON, timeZone: drillSchedule?.timeZone ?? plan.schedule.timeZone } as ScheduleConfig,
      },
    };
  });

const regionConfigSchema = z.strictObject({
  region: regionSchema,
  account: accountSchema.optional(),
});

const drConfigSchema = regionConfigSchema.extend({
  network: z
    .lazy(() => networkSchema)
    .optional()
    .meta({ description: 'VPC placement in the DR region (DR restore drills); same fields as the top-level network.' }),
  replicationTimeControl: z
    .boolean()
    .default(false)
    .meta({ description: 'S3 Replication Time Control: 99.99 % of objects replicated within 15 minutes (extra cost); turns on replication metrics.' }),
  replicationMetrics: z
    .boolean()
    .default(false)
    .meta({ description: 'Publish S3 replication metrics (bytes and operations pending, latency); always on with replicationTimeControl.' }),
  objectLock: z
    .strictObject({
      mode: z
        .enum(['GOVERNANCE', 'COMPLIANCE'], {
          error: says('must be "GOVERNANCE" or "COMPLIANCE"', 'GOVERNANCE can be lifted by privileged users; COMPLIANCE by nobody, not even root'),
        })
        .meta({ description: 'GOVERNANCE: privileged users can lift it. COMPLIANCE: nobody can, not even root, until it expires.' }),
      days: z.number().int().min(1).max(36500).meta({ description: 'Default retention of every DR copy, in days.' }),
    })
    .optional()
    .meta({
      description:
        'Object Lock default retention on the DR bucket (ransomware and fat-finger protection). Can only be turned on when the bucket is created.',
    }),
});

const subnetOrGroupIds = (prefix: string, max: number, what: string) =>
  z
    .array(
      z.string().regex(new RegExp(`^${prefix}-[0-9a-f]{8}(?:[0-9a-f]{9})?$`), {
        error: says(`must be a ${what} id like "${prefix}-0123456789abcdef0"`),
      }),
    )
    .min(1, { error: says(`must list at least one ${what}`) })
    .max(max, { error: says(`must list at most ${max} ${what}s`) });

const networkSchema = z
  .strictObject({
    vpcId: z.string().regex(/^vpc-[0-9a-f]{8}(?:[0-9a-f]{9})?$/, { error: says('must be a VPC id like "vpc-0123456789abcdef0"') }),
    subnetIds: subnetOrGroupIds('subnet', 16, 'subnet'),
    securityGroupIds: subnetOrGroupIds('sg', 5, 'security group'),
    cacheSubnetGroupName: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,254}$/, { error: says('must be an ElastiCache subnet group name (lowercase letters, digits, hyphens)') })
      .optional()
      .meta({ description: 'ElastiCache subnet group restore drills create clusters in (required for drills in this region).' }),
  })
  .meta({ description: 'VPC placement for Lambdas that talk to Redis (probe, drill verification). Optional.' });

const lambdaSchema = z
  .strictObject({
    logRetentionDays: z
      .literal(LOG_RETENTION_DAYS, {
        error: says('must be a CloudWatch Logs retention period', (input) => {
          if (typeof input !== 'number') return `one of ${LOG_RETENTION_DAYS.join(', ')}`;
          const nearest = [...LOG_RETENTION_DAYS].sort((a, b) => Math.abs(a - input) - Math.abs(b - input))[0];
          return `use one of ${LOG_RETENTION_DAYS.join(', ')} (nearest: ${nearest})`;
        }),
      })
      .default(90),
    memorySizeMb: z.number().int().min(128).max(10240).default(512),
  })
  .prefault({})
  .meta({ description: 'Settings shared by every Lambda.' });

const baseSchema = z
  .strictObject({
    $schema: z.string().optional().meta({ description: 'Path of this JSON Schema, for editors. Ignored.' }),
    name: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,23}$/, {
        error: says('must be 1-24 lowercase letters, digits or hyphens, starting with a letter', 'it is part of stack and resource names'),
      })
      .meta({ description: 'Deployment name, e.g. "prod"; part of stack names (RedisDr-<name>-Primary).' }),
    primary: regionConfigSchema.meta({ description: 'Region (and optionally account) of the caches being backed up.' }),
    dr: drConfigSchema.meta({
      description: 'Disaster-recovery region; must differ from primary.region. account, if given, must equal primary.account.',
    }),
    alerts: z
      .strictObject({
        emails: z
          .array(z.email({ error: says('must be an email address') }))
          .default([])
          .meta({ description: 'Subscribed to the alert topic of both regions (each address must confirm).' }),
        httpsEndpoints: z
          .array(
            z.url({ protocol: /^https$/, error: says('must be an https:// URL', 'SNS delivers to HTTPS endpoints only (e.g. a paging service webhook)') }),
          )
          .default([])
          .meta({ description: 'HTTPS endpoints (paging webhooks) subscribed to the alert topic of both regions.' }),
        existingTopicArns: z
          .strictObject({
            primary: z.string().regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/, { error: says('must be an SNS topic ARN') }).optional(),
            dr: z.string().regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/, { error: says('must be an SNS topic ARN') }).optional(),
          })
          .prefault({})
          .meta({
            description:
              'Reuse an existing on-call topic per region instead of creating one (alarms cannot publish across regions). Its key policy must let CloudWatch and EventBridge publish.',
          }),
      })
      .prefault({}),
    network: networkSchema.optional(),
    lambda: lambdaSchema,
    metricsNamespace: z
      .string()
      .regex(/^(?!AWS\/)[A-Za-z0-9 ._/#:-]{1,255}$/, {
        error: says('must be a CloudWatch namespace (1-255 of letters, digits, space . - _ / # :) not starting with "AWS/"'),
      })
      .default('RedisDr'),
    plans: z.array(planSchema).min(1, { error: says('must have at least one plan', 'add a backup plan') }),
  })
  .meta({ title: 'redis-dr configuration', description: 'One deployment of redis-dr: regions, alerts and backup plans.' });

// ---------------------------------------------------------------------------
// Cross-field checks. They read the raw input defensively (whatever parsed),
// so they run even when other parts of the config are broken.

interface Problem {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

type Json = Record<string, unknown>;
const asObject = (v: unknown): Json | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);
const asString = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
/** An array, or [] for a missing (defaulted) one; undefined when it is something else. */
const asList = (v: unknown): unknown[] | undefined => (v === undefined ? [] : Array.isArray(v) ? v : undefined);

interface PlanView {
  readonly index: number;
  readonly name: string | undefined;
  readonly replicationGroupIds: readonly unknown[];
  readonly serverlessCacheNames: readonly unknown[];
  readonly tagCount: number;
  readonly schedule?: { readonly cron: string; readonly timeZone: string };
  readonly analysis?: ScheduleAnalysis;
  /** Snapshots allowed per 24 h for this plan's targets; undefined when it selects nothing. */
  readonly limit?: number;
}

function crossFieldProblems(input: unknown, now: Date): Problem[] {
  const root = asObject(input);
  if (!root) return [];
  const problems: Problem[] = [];
  checkRegions(root, problems);
  const plans = Array.isArray(root.plans) ? root.plans : [];
  const views = plans.map((plan, index) => checkPlan(asObject(plan), index, now, problems));
  checkPlanNames(views, problems);
  checkSharedTargets(views, problems);
  plans.forEach((plan, index) => checkDrill(root, asObject(plan), index, problems));
  plans.forEach((plan, index) => checkProbe(root, asObject(plan), index, problems));
  return problems;
}

/** The probe runs in the caches' VPC: it needs the primary region's network. */
function checkProbe(root: Json, plan: Json | undefined, index: number, problems: Problem[]): void {
  if (asObject(plan?.probe)?.enabled !== true || asObject(root.network)) return;
  problems.push({
    path: ['plans', index, 'probe', 'enabled'],
    message: 'needs the caches\' network, got true without network: set network (vpcId, subnetIds, securityGroupIds) so the probe can reach the caches, or turn the probe off',
  });
}

/**
 * A drill needs somewhere to build its cluster (a subnet group and security
 * groups in each region it runs in), and a DR drill needs DR copies.
 */
function checkDrill(root: Json, plan: Json | undefined, index: number, problems: Problem[]): void {
  const drill = asObject(plan?.drill);
  if (!drill || drill.enabled !== true) return;
  const where = drill.where === undefined ? 'both' : asString(drill.where);
  const regions = where === 'both' ? ['primary', 'dr'] : where === 'primary' || where === 'dr' ? [where] : [];
  for (const region of regions) {
    const network = region === 'primary' ? asObject(root.network) : asObject(asObject(root.dr)?.network);
    const field = region === 'primary' ? 'network' : 'dr.network';
    if (!network || asString(network.cacheSubnetGroupName) === undefined) {
      problems.push({
        path: ['plans', index, 'drill', 'where'],
        message:
          `runs drills in the ${region} region, got ${show(where)} without ${field}.cacheSubnetGroupName: ` +
          `set ${field} (vpcId, subnetIds, securityGroupIds, cacheSubnetGroupName) for that region, or change drill.where`,
      });
    }
  }
  if (regions.includes('dr') && asObject(plan?.export)?.enabled !== true) {
    problems.push({
      path: ['plans', index, 'drill', 'where'],
      message: `restores DR copies, got ${show(where)} with export.enabled false: set export.enabled to true, or drill.where to "primary"`,
    });
  }
}

function checkRegions(root: Json, problems: Problem[]): void {
  const primary = asObject(root.primary);
  const dr = asObject(root.dr);
  const p = asString(primary?.region);
  const d = asString(dr?.region);
  if (p && d && p === d) {
    const others = KNOWN_REGIONS.filter((r) => r !== p && r.split('-')[0] === p.split('-')[0] && RegionInfo.get(r).partition === RegionInfo.get(p).partition);
    problems.push({
      path: ['dr', 'region'],
      message: `must differ from primary.region, got ${show(p)} for both: pick another region for DR${others.length ? `, e.g. ${show(others[0])}` : ''}`,
    });
  } else if (p && d && KNOWN_REGIONS.includes(p) && KNOWN_REGIONS.includes(d)) {
    const pp = RegionInfo.get(p).partition;
    const dp = RegionInfo.get(d).partition;
    if (pp !== dp) {
      problems.push({
        path: ['dr', 'region'],
        message: `must be in the same partition as primary.region (${pp}), got ${show(d)} (${dp}): S3 replication cannot cross partitions; pick a DR region in ${pp}`,
      });
    }
  }
  const drAccount = asString(dr?.account);
  const primaryAccount = asString(primary?.account);
  if (drAccount !== undefined && drAccount !== primaryAccount) {
    problems.push({
      path: ['dr', 'account'],
      message: `must equal primary.account (cross-account DR is not supported), got ${show(drAccount)}${primaryAccount ? ` and ${show(primaryAccount)}` : ' with no primary.account'}: remove dr.account, or set both to the same account`,
    });
  }
}

function checkPlan(plan: Json | undefined, index: number, now: Date, problems: Problem[]): PlanView {
  const targets = asObject(plan?.targets);
  const rgs = asList(targets?.replicationGroupIds);
  const sls = asList(targets?.serverlessCacheNames);
  const tags = targets?.selectByTags === undefined ? {} : asObject(targets.selectByTags);
  const view: PlanView = {
    index,
    name: asString(plan?.name),
    replicationGroupIds: rgs ?? [],
    serverlessCacheNames: sls ?? [],
    tagCount: tags ? Object.keys(tags).length : 0,
  };
  if (!plan) return view;

  // Only judge the selection when every part of it has the right shape.
  let limit: number | undefined;
  if (targets && rgs && sls && tags) {
    if (rgs.length === 0 && sls.length === 0 && Object.keys(tags).length === 0) {
      problems.push({
        path: ['plans', index, 'targets'],
        message: `must select at least one cache, got ${show(targets)}: list replicationGroupIds or serverlessCacheNames, or set selectByTags`,
      });
    } else {
      // Tag selection may match replication groups, so only explicit serverless-only plans get 24.
      limit = rgs.length > 0 || Object.keys(tags).length > 0 ? MAX_MANUAL_SNAPSHOTS_PER_NODE_PER_DAY : MAX_SERVERLESS_SNAPSHOTS_PER_DAY;
    }
  }

  const scheduleObj = asObject(plan.schedule);
  const cron = asString(scheduleObj?.cron);
  const timeZone = scheduleObj?.timeZone === undefined ? 'UTC' : asString(scheduleObj.timeZone);
  if (!cron || !timeZone || !parseAwsCron(cron).ok || !isValidTimeZone(timeZone)) return { ...view, limit };
  const schedule = { cron, timeZone };
  const analysis = analyzeSchedule(cron, timeZone, now, { horizonDays: HORIZON_DAYS });
  const where = `${cron} in ${timeZone}`;

  if (limit !== undefined && analysis.maxPerRolling24h > limit) {
    const runs = analysis.truncated ? `more than ${analysis.maxPerRolling24h - 1}` : String(analysis.maxPerRolling24h);
    const quota =
      limit === MAX_MANUAL_SNAPSHOTS_PER_NODE_PER_DAY
        ? `ElastiCache allows at most ${limit} manual snapshots per node in 24 h${rgs!.length === 0 ? ' (tag selection may match replication groups)' : ''}`
        : `ElastiCache allows at most ${limit} snapshots per serverless cache in 24 h`;
    problems.push({
      path: ['plans', index, 'schedule', 'cron'],
      message: `runs ${runs} times in some rolling 24 h, got ${show(cron)} in ${timeZone}: ${quota}; run it less often, e.g. ${
        limit === MAX_SERVERLESS_SNAPSHOTS_PER_DAY ? 'hourly with cron(0 * * * ? *)' : 'every 2 hours with cron(0 0/2 * * ? *)'
      }`,
    });
  }

  const rpo = plan.rpoMinutes;
  if (typeof rpo === 'number' && Number.isFinite(rpo) && !analysis.truncated && rpo < analysis.maxGapMinutes) {
    problems.push({ path: ['plans', index, 'rpoMinutes'], message: rpoMessage(rpo, where, analysis, timeZone) });
  }
  return { ...view, limit, schedule, analysis };
}

function rpoMessage(rpo: number, where: string, analysis: ScheduleAnalysis, timeZone: string): string {
  const head = `is shorter than the longest gap between scheduled runs, got ${rpo}`;
  if (!Number.isFinite(analysis.maxGapMinutes) || !analysis.maxGapStartsAt) {
    return `${head}: ${where} runs at most once in ${HORIZON_DAYS} days; schedule it more often`;
  }
  const start = analysis.maxGapStartsAt;
  const end = new Date(start.getTime() + analysis.maxGapMinutes * 60_000);
  const dst = utcOffsetMinutes(timeZone, start) !== utcOffsetMinutes(timeZone, end) ? ' (a daylight-saving change)' : '';
  const at = (d: Date) => `${d.toISOString().slice(0, 16)}Z`;
  return (
    `${head}: ${where} leaves ${analysis.maxGapMinutes} minutes between the runs at ${at(start)} and ${at(end)}${dst}; ` +
    `set rpoMinutes to at least ${analysis.maxGapMinutes} or run the schedule more often`
  );
}

function checkPlanNames(views: readonly PlanView[], problems: Problem[]): void {
  const firstIndex = new Map<string, number>();
  for (const v of views) {
    if (v.name === undefined) continue;
    const first = firstIndex.get(v.name);
    if (first === undefined) {
      firstIndex.set(v.name, v.index);
    } else {
      problems.push({
        path: ['plans', v.index, 'name'],
        message: `${show(v.name)} is already used by plans[${first}]: plan names must be unique`,
      });
    }
  }
}

/**
 * A cache belongs to one plan: tiers, retention and the snapshot name of a tick
 * are per plan, so two plans on one cache would compete for the same snapshot
 * names and each other's tiers. (Overlapping tag selections cannot be seen
 * here; the snapshot Lambda reports those at run time.)
 */
function checkSharedTargets(views: readonly PlanView[], problems: Problem[]): void {
  for (const key of ['replicationGroupIds', 'serverlessCacheNames'] as const) {
    const owner = new Map<string, PlanView>();
    for (const view of views) {
      view[key].forEach((id, position) => {
        if (typeof id !== 'string') return;
        const first = owner.get(id);
        if (first === undefined) {
          owner.set(id, view);
        } else if (first !== view) {
          problems.push({
            path: ['plans', view.index, 'targets', key, position],
            message:
              `${show(id)} is already backed up by plans[${first.index}]${first.name ? ` ${show(first.name)}` : ''}: ` +
              'a cache belongs to one plan (its tiers, retention and snapshot names are per plan); remove it from one of them',
          });
        }
      });
    }
  }
}

// ---------------------------------------------------------------------------
// Public API

/** Snapshot or prune schedule: an EventBridge Scheduler cron and its IANA time zone. */
export interface ScheduleConfig {
  readonly cron: string;
  readonly timeZone: string;
}

/**
 * The config schema: shape, defaults and every check, including the
 * cross-field ones (which run here only once the shape is valid; use
 * {@link validateConfig} to get every problem at once).
 */
export const configSchema = baseSchema.superRefine((config, ctx) => {
  for (const p of crossFieldProblems(config, new Date())) {
    ctx.addIssue({ code: 'custom', path: [...p.path], message: p.message });
  }
});

/** A validated config with every default filled in. */
export type RedisDrConfig = z.infer<typeof configSchema>;
/** One backup plan. */
export type PlanConfig = RedisDrConfig['plans'][number];
/** Retention counts, safety rails and the prune schedule of a plan. */
export type RetentionConfig = PlanConfig['retention'];
/** What a plan backs up. */
export type TargetsConfig = PlanConfig['targets'];
/** VPC placement for Lambdas that connect to Redis. */
export type NetworkConfig = NonNullable<RedisDrConfig['network']>;
/** A region and, optionally, the account. */
export type RegionConfig = RedisDrConfig['primary'];
/** The DR region and its bucket options. */
export type DrConfig = RedisDrConfig['dr'];
/** Settings shared by every Lambda. */
export type LambdaConfig = RedisDrConfig['lambda'];
/** DR export settings of a plan. */
export type ExportConfig = PlanConfig['export'];
/** Restore-drill settings of a plan. */
export type DrillConfig = PlanConfig['drill'];

/** Options for {@link validateConfig}. */
export interface ValidateOptions {
  /**
   * Start of the window schedules are simulated over (400 days).
   * @default new Date()
   */
  readonly now?: Date;
}

/** Result of {@link validateConfig}. */
export type ValidationResult = { ok: true; config: RedisDrConfig } | { ok: false; problems: string[] };

/**
 * Validate a parsed JSON config. Collects every problem at once, schema and
 * cross-field checks together, each as `<path> <what is wrong>, got <value>[: <fix>]`.
 */
export function validateConfig(raw: unknown, options: ValidateOptions = {}): ValidationResult {
  const parsed = baseSchema.safeParse(raw, { error: defaultMessage });
  const problems = parsed.success ? [] : parsed.error.issues.flatMap(formatIssue);
  for (const p of crossFieldProblems(raw, options.now ?? new Date())) problems.push(`${formatPath(p.path)} ${p.message}`);
  if (problems.length > 0 || !parsed.success) return { ok: false, problems: [...new Set(problems)] };
  return { ok: true, config: parsed.data };
}

/** A config that cannot be used. `message` lists every problem, one per line. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  /** Every problem found, `<path> <what is wrong>, got <value>[: <fix>]`. */
  readonly problems: readonly string[];
  /** The config file, when the config came from one. */
  readonly file?: string;

  constructor(problems: readonly string[], file?: string, options?: { cause?: unknown }) {
    super(problems.map((p) => (file ? `${file}: ${p}` : p)).join('\n'), options);
    this.problems = problems;
    this.file = file;
  }
}

/**
 * Read, parse and validate a JSON config file.
 * @throws ConfigError naming the file: unreadable, not JSON, or invalid (every problem).
 */
export function loadConfig(file: string): RedisDrConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const what = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? (err as Error).message})`;
    throw new ConfigError([`${what}: check the path given with -c config=<file>, e.g. config/example.json`], file, { cause: err });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new ConfigError([`is not valid JSON: ${jsonErrorWithLine((err as Error).message, text)}`], file, { cause: err });
  }
  const result = validateConfig(raw);
  if (!result.ok) throw new ConfigError(result.problems, file);
  return result.config;
}

/** The JSON Schema of the config file (input side: defaulted fields are optional). */
export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(baseSchema, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
}

// ---------------------------------------------------------------------------
// zod issue → problem text

/** Message for issues the schema does not phrase itself. */
function defaultMessage(iss: z.core.$ZodRawIssue): string | undefined {
  const input = iss.input;
  switch (iss.code) {
    case 'invalid_type': {
      if (input === undefined) return 'is required';
      const expected =
        iss.expected === 'int' ? 'a whole number' : iss.expected === 'array' ? 'a list' : `${/^[aeiou]/.test(iss.expected) ? 'an' : 'a'} ${iss.expected}`;
      return `must be ${expected}, got ${show(input)}`;
    }
    case 'too_small':
    case 'too_big': {
      const small = iss.code === 'too_small';
      const bound = Number(small ? iss.minimum : iss.maximum);
      if (iss.origin === 'array' || iss.origin === 'set') {
        return `must have ${small ? 'at least' : 'at most'} ${bound} item${bound === 1 ? '' : 's'}, got ${Array.isArray(input) ? input.length : show(input)}`;
      }
      if (iss.origin === 'string') return `must be ${small ? 'at least' : 'at most'} ${bound} characters long, got ${show(input)}`;
      const op = small ? (iss.inclusive === false ? '>' : '>=') : iss.inclusive === false ? '<' : '<=';
      return `must be ${op} ${bound}, got ${show(input)}`;
    }
    case 'invalid_value':
      return `must be one of ${iss.values.map((v) => show(v)).join(', ')}, got ${show(input)}`;
    case 'invalid_format':
      return `must be a valid ${iss.format}${iss.pattern ? ` (${iss.pattern})` : ''}, got ${show(input)}`;
    case 'unrecognized_keys': {
      // Turned into one problem per key by formatIssue; carry the known keys.
      const shape = (iss.inst as { _zod?: { def?: { shape?: Record<string, unknown> } } } | undefined)?._zod?.def?.shape;
      return JSON.stringify(Object.keys(shape ?? {}));
    }
    default:
      return undefined;
  }
}

function formatIssue(issue: z.core.$ZodIssue): string[] {
  const path = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    let known: string[] = [];
    try {
      known = JSON.parse(issue.message) as string[];
    } catch {
      // keep the list empty
    }
    return issue.keys.map((key) => {
      const guess = closest(key, known);
      const fix = guess ? `did you mean "${guess}"?` : `known settings here are ${known.join(', ')}`;
      return `${formatPath([...issue.path, key])} is not a known setting: ${fix}`;
    });
  }
  return [`${path} ${issue.message}`];
}

/** Node 20 reports JSON errors by character position; add line and column. */
function jsonErrorWithLine(message: string, text: string): string {
  const m = /at position (\d+)/.exec(message);
  if (!m || /line \d+/.test(message)) return message;
  const before = text.slice(0, Number(m[1]));
  const line = before.split('\n').length;
  const column = Number(m[1]) - before.lastIndexOf('\n');
  return `${message} (line ${line}, column ${column})`;
}
