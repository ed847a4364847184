/**
 * The deployment config's schema (zod 4): shape, defaults and per-field
 * checks, the types the rest of the app reads, and the JSON Schema editors use
 * for completion (`config/schema.json`, `npm run schema`).
 */
import { z } from 'zod';
import { integrationsSchema } from '../../lambdas/domain/alerting/integrations.js';
import { drillChecksSchema } from '../../lambdas/domain/drills/drill.js';
import { pointSelectionSchema } from '../../lambdas/domain/drills/point-selection.js';
import { awsCronFor } from '../../lambdas/domain/plans/cron-suggestion.js';
import { analyzeSchedule, isValidTimeZone, parseAwsCron } from '../../lambdas/domain/plans/schedule.js';
import {
  collapseThresholdPctSchema,
  maxDeletesPerTargetSchema,
  maxStartsPerRunSchema,
  minTierSchema,
  retentionCountsSchema,
  rpoMinutesSchema,
  vaultDaysSchema,
} from '../../lambdas/domain/plans/settings.js';
import type { Tier } from '../../lambdas/domain/plans/types.js';
import { crossFieldProblems } from './checks.js';
import { organizationIdSchema } from './organization-id.js';
import { coverageSchema, reportSchema } from './report-schema.js';
import { scrubSchema } from './scrub-schema.js';
import { type NetworkConfig, type NetworkSetting, networkIds, networkSchema, networkSettingSchema } from './network-schema.js';
import { type SsmNetworkConfig, ssmNetworkSchema } from './ssm-network.js';
import { DRILL_ACCOUNT_FIELD, drillAccountSchema } from './drill-account-schema.js';
import {
  DEFAULT_COLLAPSE_THRESHOLD_PCT,
  DEFAULT_DRILL_CRON,
  DEFAULT_DRILL_WHERE,
  DEFAULT_EXPORT_CRON,
  DEFAULT_PRUNE_CRON,
  DEFAULT_TIME_ZONE,
  DRILL_WHERE,
  LOG_RETENTION_DAYS,
  KNOWN_REGIONS,
  MAX_MANUAL_SNAPSHOTS_PER_NODE_PER_DAY,
  tierExpireDays,
} from './defaults.js';
import { elastiCacheIdProblem, ELASTICACHE_ID, KMS_KEY_ARN, regionFix, says, SECRET_ARN, show, timeZoneFix } from './messages.js';

/**
 * A cron setting. Another way of writing a schedule (a Unix cron, a rate) is
 * answered with its AWS form as the "did you mean"; with `maxPer24h` (a plan's
 * snapshots: ElastiCache's per-node quota), a form that runs more often than
 * that is not suggested as it is, but at the same minute every 2 hours, so
 * that no suggestion is one the next check refuses.
 */
function cronSetting(maxPer24h?: number) {
  return z
    .string()
    .superRefine((value, ctx) => {
      const parsed = parseAwsCron(value);
      if (parsed.ok) return;
      ctx.addIssue({ code: 'custom', message: `${parsed.problem}, got ${show(value)}: ${cronFix(value, maxPer24h) ?? parsed.fix}` });
    })
    .meta({
      description:
        'EventBridge Scheduler cron: cron(minutes hours day-of-month month day-of-week year). Exactly one of day-of-month / day-of-week is "?"; year is "*".',
      examples: ['cron(0 0/2 * * ? *)', 'cron(0 0/4 * * ? *)', 'cron(0 3 ? * MON-FRI *)'],
      pattern: '^\\s*cron\\(.*\\)\\s*$',
    });
}

/** The did-you-mean of a cron written another way, or undefined when it has no AWS form here. */
function cronFix(value: string, maxPer24h: number | undefined): string | undefined {
  const aws = awsCronFor(value);
  if (aws === undefined) return undefined;
  // Any fixed start: what matters is the most runs in some rolling 24 h.
  const runs = analyzeSchedule(aws, 'UTC', new Date(0), { horizonDays: 35 }).maxPerRolling24h;
  if (maxPer24h === undefined || runs <= maxPer24h) return `did you mean "${aws}"? (the same schedule in EventBridge Scheduler's form)`;
  const minute = /^cron\((\d{1,2}) /.exec(aws)?.[1] ?? '0';
  return `did you mean "cron(${minute} 0/2 * * ? *)"? (its EventBridge form, ${aws}, runs ${runs} times in 24 h, more than the ${maxPer24h} manual snapshots per node ElastiCache allows; this is every 2 hours)`;
}

const cronSchema = cronSetting();

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
  return z
    .string()
    .superRefine((value, ctx) => {
      const problem = elastiCacheIdProblem(value);
      if (!problem && ELASTICACHE_ID.test(value)) return;
      const lower = value.toLowerCase();
      const fix =
        !elastiCacheIdProblem(lower) && ELASTICACHE_ID.test(lower)
          ? `ElastiCache stores ${kind}s in lowercase: write ${show(lower)}`
          : `${kind}s are 1-40 lowercase letters, digits or hyphens, start with a letter, no trailing or double hyphen`;
      ctx.addIssue({ code: 'custom', message: `${problem ?? 'is not a valid id'}, got ${show(value)}: ${fix}` });
    })
    .meta({ pattern: ELASTICACHE_ID.source, maxLength: 40 });
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

/** Why `key` cannot be a tag key (1-128 characters, not `aws:`), or `undefined`. */
function tagKeyProblem(key: string): string | undefined {
  if (key.length >= 1 && key.length <= 128 && !/^aws:/i.test(key)) return undefined;
  return `is not a usable tag key, got ${show(key)}: tag keys are 1-128 characters and must not start with "aws:"`;
}

const tagsSchema = z
  .record(z.string(), z.string())
  .superRefine((tags, ctx) => {
    const keys = Object.keys(tags);
    if (keys.length > 50) {
      ctx.addIssue({ code: 'custom', message: `must have at most 50 tag pairs, got ${keys.length}: select by fewer tags` });
    }
    for (const key of keys) {
      const problem = tagKeyProblem(key);
      if (problem) ctx.addIssue({ code: 'custom', path: [key], message: problem });
      if (tags[key]!.length > 256) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `is too long a tag value, got ${tags[key]!.length} characters: tag values are at most 256 characters`,
        });
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
    selectWithoutTag: z
      .string()
      .superRefine((key, ctx) => {
        const problem = tagKeyProblem(key);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .optional()
      .meta({
        description:
          "Also back up every replication group and serverless cache of the primary region that does not carry this tag key (with any value), but redis-dr's own drill caches and Memcached: an organization's default tier (docs/org.md).",
      }),
  })
  .meta({ description: 'What to back up. At least one of the four must select something.' });

const scheduleSchema = z
  .strictObject({
    cron: cronSetting(MAX_MANUAL_SNAPSHOTS_PER_NODE_PER_DAY),
    timeZone: timeZoneSchema.default(DEFAULT_TIME_ZONE),
  })
  .meta({ description: 'When snapshots are taken.' });

/**
 * The schedule of a plan's prune, export or drill runs: its own cron (default
 * `defaultCron`) and time zone (default: the plan's), resolved by
 * {@link resolveSchedule}.
 */
function scheduleOverride(defaultCron: string, description: string) {
  return z
    .strictObject({
      cron: cronSchema.default(defaultCron),
      timeZone: timeZoneSchema.optional().meta({ description: "Defaults to the plan's schedule.timeZone." }),
    })
    .optional()
    .meta({ description });
}

/** A schedule override with its defaults filled in: the plan's time zone unless it names its own. */
function resolveSchedule(override: { cron: string; timeZone?: string } | undefined, defaultCron: string, planTimeZone: string): ScheduleConfig {
  return { cron: override?.cron ?? defaultCron, timeZone: override?.timeZone ?? planTimeZone };
}

/** A secret's customer managed KMS key: IAM grants kms:Decrypt on the key's ARN, never on an alias. */
const secretKeyArn = z
  .string()
  .regex(KMS_KEY_ARN, {
    error: says(
      'must be a KMS key ARN like "arn:aws:kms:eu-west-1:111122223333:key/<id>"',
      'not an alias (IAM grants kms:Decrypt on the key ARN); leave it out when the secret uses the AWS managed key aws/secretsmanager',
    ),
  })
  .optional();

const retentionSchema = retentionCountsSchema
  .extend({
    dryRun: z.boolean().default(false).meta({ description: 'Log what would be deleted, delete nothing.' }),
    maxDeletesPerTarget: maxDeletesPerTargetSchema,
    schedule: scheduleOverride(DEFAULT_PRUNE_CRON, `When pruning runs. Default ${DEFAULT_PRUNE_CRON} in the plan's time zone.`),
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
    rpoMinutes: rpoMinutesSchema,
    retention: retentionSchema,
    maxRetentionDays: z
      .number({ error: says('must be a whole number of days, e.g. 400') })
      .int({ error: says('must be a whole number of days, e.g. 400') })
      .min(1, { error: says('must be at least 1 day') })
      .max(36500, { error: says('must be at most 36500 days (100 years)') })
      .optional()
      .meta({
        description:
          'Maximum retention (PCI DSS req. 3, GDPR storage limitation): the DR report lists every copy of the plan older than this (primary snapshots, DR copies, vault replicas) and fails each one no hold with a reason and an expiry keeps. Off by default.',
      }),
    collapseThresholdPct: collapseThresholdPctSchema.default(DEFAULT_COLLAPSE_THRESHOLD_PCT).meta({
      description:
        'Keyspace-collapse tripwire: a recovery point whose key count (or size) dropped by more than this percentage against the fullest good point of the same target in the last 7 days (so a slow drain trips too) pages keyspace-collapsed and holds the earlier points from pruning and S3 expiry until released. 0 keys after a non-empty point always trips.',
    }),
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
          .regex(SECRET_ARN, { error: says('must be a Secrets Manager secret ARN') })
          .optional()
          .meta({ description: 'Secret with the AUTH token ({"password"}) or RBAC user ({"username","password"}) of the caches, when they require one.' }),
        authSecretKmsKeyArn: secretKeyArn.meta({
          description:
            "The customer managed KMS key that encrypts authSecretArn, when it is not the AWS managed aws/secretsmanager: the probe's role and the operator policy get kms:Decrypt on exactly this key, only through Secrets Manager in the secret's region and only for that secret.",
        }),
      })
      .prefault({})
      .meta({ description: 'The snapshot probe: proves in drills that a restore holds exactly that snapshot (one SET of one key on the source).' }),
    export: z
      .strictObject({
        enabled: z.boolean().default(false).meta({ description: 'Export snapshots to S3 and replicate them to the DR region.' }),
        minTier: minTierSchema.default('hourly').meta({ description: 'Export recovery points of this tier or higher. Default hourly: every recovery point.' }),
        schedule: scheduleOverride(DEFAULT_EXPORT_CRON, `When the export reconciler runs. Default ${DEFAULT_EXPORT_CRON} (every 15 minutes).`),
        maxStartsPerRun: maxStartsPerRunSchema,
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
        schedule: scheduleOverride(DEFAULT_DRILL_CRON, `When drills run. Default ${DEFAULT_DRILL_CRON} (Sundays 04:00).`),
        where: z
          .enum(DRILL_WHERE, { error: says('must be "primary", "dr" or "both"') })
          .default(DEFAULT_DRILL_WHERE)
          .meta({ description: 'primary: restore the native snapshot; dr: restore the verified .rdb copies in the DR region; both.' }),
        fromVault: z
          .boolean()
          .default(false)
          .meta({
            description:
              "DR-region drills seed from the vault account's replicas (config vault) instead of the DR bucket's copies: the newest replica the vault's own verifier tagged ok. " +
              'Needs vault.region = dr.region.',
          }),
        account: accountSchema.optional().meta({ description: DRILL_ACCOUNT_FIELD }),
        nodeType: z
          .string()
          .regex(/^cache\.[a-z0-9]+\.[a-z0-9]+$/, { error: says('must be an ElastiCache node type like "cache.t4g.small"') })
          .optional()
          .meta({ description: "Node type of drill clusters; default: the recovery point's." }),
        rbac: z
          .strictObject({
            userGroupId: z
              .string()
              .regex(/^[a-zA-Z][a-zA-Z0-9-]*$/, { error: says('must be an ElastiCache user group id (a letter, then letters, digits and hyphens)') })
              .meta({ description: 'The RBAC user group drill clusters join (it must exist in the region the drill runs in).' }),
            secretArn: z
              .string()
              .regex(SECRET_ARN, { error: says('must be a Secrets Manager secret ARN') })
              .meta({ description: 'Secret with {"username","password"} of a user in that group: the verify step connects as this user.' }),
            secretKmsKeyArn: secretKeyArn.meta({
              description:
                "The customer managed KMS key that encrypts secretArn, when it is not the AWS managed aws/secretsmanager: the verify function's role gets kms:Decrypt on exactly this key, only through Secrets Manager and only for that secret.",
            }),
          })
          .optional()
          .meta({
            description:
              'Drill clusters use this RBAC user group instead of an AUTH token generated per execution (the default). ' +
              'User groups and secrets are regional: only for drill.where "primary" or "dr", with the secret in that region.',
          }),
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
          .meta({
            description:
              "Time a drill has for its work (select, restore, verify); cleanup and report get their worst case on top as the execution's timeout. The reaper deletes drill clusters older than this.",
          }),
        verify: drillChecksSchema.prefault({}),
        pointSelection: pointSelectionSchema.default('newest').meta({
          description:
            'Which retained point a drill restores: newest (default), or random, a random older retained point (seeded by the execution), so drills sample the whole retention (CP-9(2), DORA art. 12).',
        }),
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
        schedule: resolveSchedule(prune, DEFAULT_PRUNE_CRON, plan.schedule.timeZone),
      },
      export: {
        ...exportRest,
        schedule: resolveSchedule(exportSchedule, DEFAULT_EXPORT_CRON, plan.schedule.timeZone),
        expireDays: tierExpireDays(retention, expireDays) as Record<Tier, number>,
      },
      drill: {
        ...drillRest,
        schedule: resolveSchedule(drillSchedule, DEFAULT_DRILL_CRON, plan.schedule.timeZone),
      },
    };
  });

const regionConfigSchema = z.strictObject({
  region: regionSchema,
  account: accountSchema.optional(),
});

const drConfigSchema = regionConfigSchema.extend({
  network: z
    .lazy(() => networkSettingSchema)
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
  elastiCacheBucketAccess: z
    .enum(['acl', 'bucket-policy'], {
      error: says('must be "acl" or "bucket-policy"', 'leave it out to choose by region (docs/dr-copies.md, "How ElastiCache reaches the buckets")'),
    })
    .optional()
    .meta({
      description:
        'How ElastiCache is let into both recovery buckets. Default: by region, as ElastiCache\'s export guide says: "acl" (bucket ACL grant to ElastiCache\'s canonical user, ObjectOwnership BucketOwnerPreferred, plus the service-principal bucket policy) in default regions, "bucket-policy" (regional service principal only, ACLs disabled) in opt-in regions.',
    }),
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
      description: 'Object Lock default retention on the DR bucket (ransomware and fat-finger protection). Can only be turned on when the bucket is created.',
    }),
});

/** Days of Object Lock COMPLIANCE retention in the vault. */
const vaultDays = vaultDaysSchema;

const vaultSchema = z
  .strictObject({
    account: accountSchema.meta({
      description: 'The vault account: a separate AWS account no principal of the workload account can administer. Must differ from primary.account.',
    }),
    region: regionSchema.meta({ description: 'Region of the vault bucket (may equal dr.region).' }),
    retentionDays: vaultDays.meta({
      description:
        "Object Lock COMPLIANCE retention every replica gets as it lands (the vault bucket's default retention, the floor), in days: nobody, not even the vault account's root, can delete a replica or shorten this before it ends. " +
        'Also the days of every tier tierRetentionDays does not name; each tier kept at least as long as the exporting plans keep its copies (export.expireDays).',
    }),
    tierRetentionDays: z
      .strictObject({
        hourly: vaultDays.optional().meta({ description: 'COMPLIANCE retention of hourly-tier replicas in the vault, in days. Default: retentionDays.' }),
        daily: vaultDays.optional().meta({ description: 'COMPLIANCE retention of daily-tier replicas in the vault, in days. Default: retentionDays.' }),
        weekly: vaultDays.optional().meta({ description: 'COMPLIANCE retention of weekly-tier replicas in the vault, in days. Default: retentionDays.' }),
        monthly: vaultDays.optional().meta({ description: 'COMPLIANCE retention of monthly-tier replicas in the vault, in days. Default: retentionDays.' }),
      })
      .optional()
      .meta({
        description:
          "Per tier (the export's redis-dr:tier tag), days of COMPLIANCE retention in the vault, each at least retentionDays: the vault's verifier extends each replica's retain-until date to its tier's days after it landed and reads it back. " +
          'A replica whose tier cannot be told is kept for the longest. Each tier at least as long as the exporting plans keep its copies.',
      }),
    workloadAccounts: z
      .array(accountSchema)
      .min(1, { error: says('must list at least one account', 'leave it out to allow primary.account only') })
      .optional()
      .meta({
        description:
          'Workload accounts whose redis-dr replication role (redis-dr-<name>-replication-<primary region>) may write replicas into the vault. Default: [primary.account].',
      }),
    organizationId: organizationIdSchema.optional().meta({
      description:
        "Grant the vault to every account of this AWS Organizations organization (aws:PrincipalOrgID) instead of listing workloadAccounts: the bucket policy does not grow with accounts (a list passes S3's 20 KB policy limit near 70). Each account writes and reads only under its own prefix, <account id>/ (docs/org.md).",
    }),
    deployment: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,23}$/, {
        error: says('must be 1-24 lowercase letters, digits or hyphens, starting with a letter', 'the name of the deployment whose vault this is'),
      })
      .optional()
      .meta({
        description:
          "The deployment the vault belongs to, when it is not this one (name): an organization's vault is deployed once (RedisDr-<deployment>-Vault, bucket redis-dr-<deployment>-<vault account>-<vault region>) and every deployment whose name starts with it replicates there (its grant takes the roles redis-dr-<deployment>*-replication-<region>). Needs organizationId. Default: name.",
      }),
    replicationTimeControl: z.boolean().default(false).meta({ description: 'S3 Replication Time Control (15 minutes, extra cost) on the rule to the vault.' }),
    network: z
      .lazy(() => networkSchema)
      .optional()
      .meta({
        description:
          "VPC placement in the vault account's region, for lambda.inVpc (governed vault accounts: Control Tower CT.LAMBDA.PR.3): the vault stack's functions run in these subnets and security groups. " +
          'The subnets need a route to S3, Step Functions, CloudWatch and SNS (NAT or interface endpoints). Same fields as the top-level network; drills never run there.',
      }),
  })
  .meta({
    description:
      'A vault in a separate account (issue: copies an attacker with the production account cannot delete): the export bucket also replicates into a bucket there under Object Lock COMPLIANCE. ' +
      "Its stack RedisDr-<name>-Vault is deployed with the vault account's credentials.",
  });

const logKeyArn = z.string().regex(KMS_KEY_ARN, {
  error: says('must be a KMS key ARN like "arn:aws:kms:eu-west-1:111122223333:key/<id>"', 'an alias is not accepted by CloudWatch Logs; or leave it out'),
});

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
    verifyMemorySizeMb: z
      .number()
      .int()
      .min(1024, { error: says('must be at least 1024 MB', 'the verifier holds a part of the object and its key digests: give 1024 or more (default 3008)') })
      .max(10240, { error: says("must be at most 10240 MB (Lambda's maximum)", "give 3008 (the default) or up to your account's Lambda memory quota") })
      .optional()
      .meta({
        description:
          "Memory of the verify-rdb function (DR stack and vault stack), MB. Default 3008: the most a new account's Lambda quota allows, so a fresh account deploys. " +
          'More buys time to a verdict, not correctness: Lambda gives a vCPU per 1,769 MB and the verifier parses two parts at once; 3538 gives two whole vCPUs (measured 1.14-1.67x faster than one, at 1.2-1.7x the cost per GB). Raise it only where the quota allows.',
      }),
    verifyConcurrency: z
      .union([
        z
          .number()
          .int()
          .min(1, { error: says('must be at least 1', 'a reservation of 0 stops every verification: give 1 or more, or "unreserved"') })
          .max(1000, { error: says('must be at most 1000', 'give the most concurrent verifications the account should run (default 10)') }),
        z.literal('unreserved'),
      ])
      .optional()
      .meta({
        description:
          "Most verify-rdb invocations at once (DR stack and vault stack), held by the function's reserved concurrency: a large export lands hundreds of copies, " +
          "and uncapped their invocations would take the account's shared Lambda pool from every other function. Default 10. A reservation must leave the account 100 " +
          'unreserved (Lambda\'s rule): in an account whose concurrency quota is under 110 (new accounts start lower) raise the quota or give "unreserved" (no cap). ' +
          'Throttled invocations are retried for over 3 hours (the state machine), so a burst waits its turn instead of failing.',
      }),
    // No defaults below: a config that leaves them out resolves as before (the same config hash).
    inVpc: z
      .boolean()
      .optional()
      .meta({
        description:
          "Run every function of the Primary and DR stacks (not only those that reach Redis) in the region's network (network, dr.network), and with a vault the vault stack's in vault.network: " +
          'for accounts that require Lambdas in a VPC (Control Tower CT.LAMBDA.PR.3, NIST 800-53 LambdaInsideVPC). The subnets need a route to the AWS APIs the functions call (NAT or interface endpoints). Default: false.',
      }),
    logKmsKeyArns: z
      .strictObject({
        primary: logKeyArn.optional().meta({ description: 'Key in primary.region for the Primary stack log groups.' }),
        dr: logKeyArn.optional().meta({ description: 'Key in dr.region for the DR stack log groups.' }),
        vault: logKeyArn.optional().meta({ description: "Key in vault.region (of the vault account) for the vault stack's log groups." }),
        drill: logKeyArn
          .optional()
          .meta({ description: "Key in vault.region (of the drill account, config drillAccount) for the drill account stack's log groups." }),
      })
      .optional()
      .meta({
        description:
          "Customer-managed KMS key per region that encrypts every log group of that region's stack (Control Tower CT.CLOUDWATCH.PR.3, NIST 800-53 CloudWatchLogGroupEncrypted). " +
          'Its key policy must let the service principal logs.<region>.amazonaws.com use it. Default: CloudWatch Logs encryption.',
      }),
  })
  .prefault({})
  .meta({ description: 'Settings shared by every Lambda.' });

/** The config's shape and defaults, without the cross-field checks. */
export const baseSchema = z
  .strictObject({
    $schema: z.string().optional().meta({ description: 'Path of this JSON Schema, for editors. Ignored.' }),
    name: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,23}$/, {
        error: says('must be 1-24 lowercase letters, digits or hyphens, starting with a letter', 'it is part of stack and resource names'),
      })
      .meta({ description: 'Deployment name, e.g. "prod"; part of stack names (RedisDr-<name>-Primary).' }),
    example: z.boolean().optional().meta({
      description:
        'true only in a config meant for learning (config/example.json): its placeholder values then pass validation, the synth summary says so in its first line, and every stack carries a CloudFormation rule that fails `cdk deploy` before anything is created.',
    }),
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
          .array(z.url({ protocol: /^https$/, error: says('must be an https:// URL', 'SNS delivers to HTTPS endpoints only (e.g. a paging service webhook)') }))
          .default([])
          .meta({ description: 'HTTPS endpoints (paging webhooks) subscribed to the alert topic of both regions.' }),
        integrations: integrationsSchema.optional(),
        existingTopicArns: z
          .strictObject({
            primary: z
              .string()
              .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/, { error: says('must be an SNS topic ARN') })
              .optional(),
            dr: z
              .string()
              .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/, { error: says('must be an SNS topic ARN') })
              .optional(),
          })
          .prefault({})
          .meta({
            description:
              'Reuse an existing on-call topic per region instead of creating one (alarms cannot publish across regions). Its key policy must let CloudWatch and EventBridge publish.',
          }),
      })
      .prefault({}),
    network: networkSettingSchema.optional(),
    vault: vaultSchema.optional(),
    drillAccount: drillAccountSchema(
      accountSchema,
      z.lazy(() => networkSettingSchema),
    ).optional(),
    lambda: lambdaSchema,
    metricsNamespace: z
      .string()
      .regex(/^(?!AWS\/)[A-Za-z0-9 ._/#:-]{1,255}$/, {
        error: says('must be a CloudWatch namespace (1-255 of letters, digits, space . - _ / # :) not starting with "AWS/"'),
      })
      .default('RedisDr'),
    coverage: coverageSchema,
    report: reportSchema.optional(),
    scrub: scrubSchema.optional(),
    plans: z.array(planSchema).min(1, { error: says('must have at least one plan', 'add a backup plan') }),
  })
  .meta({ title: 'redis-dr configuration', description: 'One deployment of redis-dr: regions, alerts and backup plans.' });

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
export { type NetworkConfig, type NetworkSetting, networkIds, ssmNetworkSchema, type SsmNetworkConfig };
/** A region and, optionally, the account. */
export type RegionConfig = RedisDrConfig['primary'];
/** The DR region and its bucket options. */
export type DrConfig = RedisDrConfig['dr'];
/** The separate drill account (config `drillAccount`). */
export type DrillAccountConfig = NonNullable<RedisDrConfig['drillAccount']>;
/** The vault account and its bucket's retention. */
export type VaultConfig = NonNullable<RedisDrConfig['vault']>;
/** Settings shared by every Lambda. */
export type LambdaConfig = RedisDrConfig['lambda'];
/** DR export settings of a plan. */
export type ExportConfig = PlanConfig['export'];
/** Restore-drill settings of a plan. */
export type DrillConfig = PlanConfig['drill'];

/** The JSON Schema of the config file (input side: defaulted fields are optional). */
export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(baseSchema, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
}
