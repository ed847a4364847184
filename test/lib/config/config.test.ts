import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ConfigError,
  MAX_MANUAL_SNAPSHOTS_PER_NODE_PER_DAY,
  MAX_SERVERLESS_SNAPSHOTS_PER_DAY,
  configJsonSchema,
  configSchema,
  loadConfig,
  validateConfig,
  type RedisDrConfig,
} from '../../../lib/config/index.js';

const ROOT = join(__dirname, '..', '..', '..');
const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'config');
/** Fixed "now": its 400-day window holds both DST changes of 2026. */
const NOW = new Date('2026-01-15T00:00:00Z');

/** A small valid config; tests change one thing at a time. */
function baseConfig(): Record<string, any> {
  return {
    name: 'test',
    primary: { region: 'eu-west-1' },
    dr: { region: 'eu-central-1' },
    plans: [
      {
        name: 'sessions',
        targets: { replicationGroupIds: ['sessions-prod'] },
        schedule: { cron: 'cron(0 0/2 * * ? *)' },
        rpoMinutes: 150,
      },
    ],
  };
}

function problemsOf(raw: unknown): string[] {
  const result = validateConfig(raw, { now: NOW });
  return result.ok ? [] : result.problems;
}

function withChange(change: (c: Record<string, any>) => void): Record<string, any> {
  const c = baseConfig();
  change(c);
  return c;
}

const plan = (overrides: Record<string, unknown>) => ({ ...baseConfig().plans[0], ...overrides });

describe('validateConfig', () => {
  it('accepts the base config and fills in every default', () => {
    const result = validateConfig(baseConfig(), { now: NOW });
    expect(result).toEqual({
      ok: true,
      config: {
        name: 'test',
        primary: { region: 'eu-west-1' },
        dr: { region: 'eu-central-1', replicationTimeControl: false, replicationMetrics: false },
        alerts: { emails: [], httpsEndpoints: [], existingTopicArns: {} },
        lambda: { logRetentionDays: 90, memorySizeMb: 512 },
        metricsNamespace: 'RedisDr',
        coverage: { alarm: true },
        plans: [
          {
            name: 'sessions',
            targets: { replicationGroupIds: ['sessions-prod'], serverlessCacheNames: [], selectByTags: {} },
            schedule: { cron: 'cron(0 0/2 * * ? *)', timeZone: 'UTC' },
            rpoMinutes: 150,
            retention: {
              hourly: 24,
              daily: 7,
              weekly: 4,
              monthly: 12,
              minKeep: 3,
              dryRun: false,
              maxDeletesPerTarget: 10,
              schedule: { cron: 'cron(30 * * * ? *)', timeZone: 'UTC' },
            },
            collapseThresholdPct: 50,
            snapshotBudgetSeconds: 600,
            probe: { enabled: false },
            export: {
              enabled: false,
              minTier: 'hourly',
              maxStartsPerRun: 5,
              schedule: { cron: 'cron(0/15 * * * ? *)', timeZone: 'UTC' },
              // From the retention counts: ceil(24/24)+1, 7+1, 7*4+1, 31*12+1.
              expireDays: { hourly: 2, daily: 8, weekly: 29, monthly: 373 },
            },
            drill: {
              enabled: false,
              schedule: { cron: 'cron(0 4 ? * SUN *)', timeZone: 'UTC' },
              where: 'both',
              fromVault: false,
              pointSelection: 'newest',
              rtoMinutes: 60,
              maxHours: 6,
              verify: { keyCountTolerancePct: 1, expectKeys: [], expectValues: {}, sampleSize: 100 },
            },
          },
        ],
      } satisfies RedisDrConfig,
    });
  });

  it('derives S3 expiry from the retention counts unless given, and follows the plan time zone for the export schedule', () => {
    const result = validateConfig(
      withChange((c) => {
        c.plans[0] = plan({
          schedule: { cron: 'cron(0 0/2 * * ? *)', timeZone: 'Europe/Berlin' },
          rpoMinutes: 180,
          retention: { hourly: 49, daily: 3, weekly: 2, monthly: 1 },
          export: { enabled: true, minTier: 'daily', expireDays: { weekly: 60 }, archiveMonthlyAfterDays: 30 },
        });
      }),
      { now: NOW },
    );
    if (!result.ok) throw new Error(result.problems.join('\n'));
    expect(result.config.plans[0]!.export).toEqual({
      enabled: true,
      minTier: 'daily',
      maxStartsPerRun: 5,
      archiveMonthlyAfterDays: 30,
      schedule: { cron: 'cron(0/15 * * * ? *)', timeZone: 'Europe/Berlin' },
      expireDays: { hourly: 4, daily: 4, weekly: 60, monthly: 32 },
    });
  });

  it.each([
    [
      'a drill in both regions without networks or exports',
      { enabled: true },
      undefined,
      [
        'plans[0].drill.where runs drills in the primary region, got "both" without network.cacheSubnetGroupName: set network (vpcId, subnetIds, securityGroupIds, cacheSubnetGroupName) for that region, or change drill.where',
        'plans[0].drill.where runs drills in the dr region, got "both" without dr.network.cacheSubnetGroupName: set dr.network (vpcId, subnetIds, securityGroupIds, cacheSubnetGroupName) for that region, or change drill.where',
        'plans[0].drill.where restores DR copies, got "both" with export.enabled false: set export.enabled to true, or drill.where to "primary"',
      ],
    ],
    [
      'a primary drill with its network',
      { enabled: true, where: 'primary' },
      { vpcId: 'vpc-0123456789abcdef0', subnetIds: ['subnet-0123456789abcdef0'], securityGroupIds: ['sg-0123456789abcdef0'], cacheSubnetGroupName: 'drills' },
      [],
    ],
    [
      "a primary drill in an RBAC user group, its user's secret in the primary region",
      {
        enabled: true,
        where: 'primary',
        rbac: { userGroupId: 'drill-readers', secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:drill-reader' },
      },
      { vpcId: 'vpc-0123456789abcdef0', subnetIds: ['subnet-0123456789abcdef0'], securityGroupIds: ['sg-0123456789abcdef0'], cacheSubnetGroupName: 'drills' },
      [],
    ],
    [
      'an RBAC user group with a bad id and a secret that is no ARN',
      { enabled: true, where: 'primary', rbac: { userGroupId: '1readers_', secretArn: 'drill-reader' } },
      { vpcId: 'vpc-0123456789abcdef0', subnetIds: ['subnet-0123456789abcdef0'], securityGroupIds: ['sg-0123456789abcdef0'], cacheSubnetGroupName: 'drills' },
      [
        'plans[0].drill.rbac.userGroupId must be an ElastiCache user group id (a letter, then letters, digits and hyphens), got "1readers_"',
        'plans[0].drill.rbac.secretArn must be a Secrets Manager secret ARN, got "drill-reader"',
      ],
    ],
    [
      "an RBAC user group whose user's secret is in another region than the drill",
      {
        enabled: true,
        where: 'primary',
        rbac: { userGroupId: 'drill-readers', secretArn: 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:drill-reader' },
      },
      { vpcId: 'vpc-0123456789abcdef0', subnetIds: ['subnet-0123456789abcdef0'], securityGroupIds: ['sg-0123456789abcdef0'], cacheSubnetGroupName: 'drills' },
      [
        'plans[0].drill.rbac.secretArn must be a secret in eu-west-1 (where this plan drills), got "arn:aws:secretsmanager:eu-central-1:123456789012:secret:drill-reader" in eu-central-1: replicate the secret to eu-west-1 (Secrets Manager replica) and give that ARN',
      ],
    ],
    [
      'an RBAC user group for drills in both regions',
      { enabled: true, where: 'both', rbac: { userGroupId: 'drill-readers', secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:drill-reader' } },
      { vpcId: 'vpc-0123456789abcdef0', subnetIds: ['subnet-0123456789abcdef0'], securityGroupIds: ['sg-0123456789abcdef0'], cacheSubnetGroupName: 'drills' },
      [
        'plans[0].drill.where runs drills in the dr region, got "both" without dr.network.cacheSubnetGroupName: set dr.network (vpcId, subnetIds, securityGroupIds, cacheSubnetGroupName) for that region, or change drill.where',
        'plans[0].drill.rbac uses one region\'s user group and secret, got drill.where "both": set drill.where to "primary" or "dr", or leave drill.rbac out (a token generated per execution works in both regions)',
        'plans[0].drill.where restores DR copies, got "both" with export.enabled false: set export.enabled to true, or drill.where to "primary"',
      ],
    ],
  ])('checks drills: %s', (_what, drill, network, expected) => {
    const problems = problemsOf(
      withChange((c) => {
        c.plans[0].drill = drill;
        if (network) c.network = network;
      }),
    );
    expect(problems).toEqual(expected);
  });

  it('refuses drills that could collide (two caches whose drill names meet, node-based or serverless); a serverless-only plan drills', () => {
    const network = {
      vpcId: 'vpc-0123456789abcdef0',
      subnetIds: ['subnet-0123456789abcdef0'],
      securityGroupIds: ['sg-0123456789abcdef0'],
      cacheSubnetGroupName: 'drills',
    };
    const drill = { enabled: true, where: 'primary' };
    expect(
      problemsOf(
        withChange((c) => {
          c.network = network;
          c.plans[0].drill = drill;
          // Same first characters, different groups: kept apart by the hash…
          c.plans[0].targets.replicationGroupIds = ['orders-production-eu-1', 'orders-production-eu-2', 'cache-grp-2134'];
          // …except for a real collision of the 6-character hash (found by search, 1 in 16 million per pair).
          c.plans.push({ ...plan({ name: 'other', drill }), targets: { replicationGroupIds: ['cache-grp-2494'] } });
          c.plans.push({ ...plan({ name: 'edge', drill }), targets: { serverlessCacheNames: ['edge-cache', 'cache-grp-2494'] } });
        }),
      ),
    ).toEqual([
      'plans[1].targets.replicationGroupIds[0] "cache-grp-2494" gives the same drill cluster name (rdr-drill-cache-grp-415b9c-…) as "cache-grp-2134" in plans[0]: their drills could collide; drill one of them in another plan without a drill, or rename one',
      'plans[2].targets.serverlessCacheNames[1] "cache-grp-2494" gives the same drill cluster name (rdr-drill-cache-grp-415b9c-…) as "cache-grp-2134" in plans[0]: their drills could collide; drill one of them in another plan without a drill, or rename one',
    ]);
  });

  it('requires the network for the probe and a secret ARN for its AUTH', () => {
    expect(
      problemsOf(
        withChange((c) => {
          c.plans[0].probe = { enabled: true, authSecretArn: 'my-secret' };
        }),
      ),
    ).toEqual([
      'plans[0].probe.authSecretArn must be a Secrets Manager secret ARN, got "my-secret"',
      "plans[0].probe.enabled needs the caches' network, got true without network: set network (vpcId, subnetIds, securityGroupIds) so the probe can reach the caches, or turn the probe off",
    ]);
  });

  it("takes the AUTH secret's customer managed key by ARN, in the secret's region, only with the secret (issue 53 item 1)", () => {
    const secret = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:app-auth';
    const key = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const probe = (p: Record<string, unknown>) =>
      problemsOf(
        withChange((c) => {
          c.plans[0].probe = p;
        }),
      );
    expect(probe({ authSecretArn: secret, authSecretKmsKeyArn: key })).toEqual([]);
    expect(probe({ authSecretArn: secret, authSecretKmsKeyArn: 'alias/app' })).toEqual([
      'plans[0].probe.authSecretKmsKeyArn must be a KMS key ARN like "arn:aws:kms:eu-west-1:111122223333:key/<id>", got "alias/app": not an alias (IAM grants kms:Decrypt on the key ARN); leave it out when the secret uses the AWS managed key aws/secretsmanager',
    ]);
    expect(probe({ authSecretKmsKeyArn: key })).toEqual([
      `plans[0].probe.authSecretKmsKeyArn names the key of authSecretArn, got "${key}" without authSecretArn: set authSecretArn, or leave authSecretKmsKeyArn out`,
    ]);
    const elsewhere = key.replace('eu-west-1', 'eu-central-1');
    expect(probe({ authSecretArn: secret, authSecretKmsKeyArn: elsewhere })).toEqual([
      `plans[0].probe.authSecretKmsKeyArn must be a key in eu-west-1 (the region of authSecretArn), got "${elsewhere}" in eu-central-1: give the ARN of the key that encrypts the secret (aws secretsmanager describe-secret --secret-id <arn>: KmsKeyId)`,
    ]);
  });

  it('reports bad DR bucket options with the fix', () => {
    const problems = problemsOf(
      withChange((c) => {
        c.dr.objectLock = { mode: 'STRICT', days: 0 };
        c.dr.replicationTimeControl = 'yes';
        c.dr.elastiCacheBucketAccess = 'policy';
      }),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^dr\.objectLock\.mode must be "GOVERNANCE" or "COMPLIANCE", got "STRICT": GOVERNANCE can be lifted/),
        'dr.objectLock.days must be >= 1, got 0',
        'dr.replicationTimeControl must be a boolean, got "yes"',
        'dr.elastiCacheBucketAccess must be "acl" or "bucket-policy", got "policy": leave it out to choose by region (docs/dr-copies.md, "How ElastiCache reaches the buckets")',
      ]),
    );
  });

  it("accepts either ElastiCache bucket access route and has no default (the route then follows each bucket's region)", () => {
    for (const route of ['acl', 'bucket-policy']) {
      const result = validateConfig(
        withChange((c) => (c.dr.elastiCacheBucketAccess = route)),
        { now: NOW },
      );
      expect(result.ok && result.config.dr.elastiCacheBucketAccess).toBe(route);
    }
    const result = validateConfig(baseConfig(), { now: NOW });
    expect(result.ok && 'elastiCacheBucketAccess' in result.config.dr).toBe(false);
  });

  it.each([
    ['the plan time zone', {}, 'Europe/Berlin'],
    ['its own time zone when given', { schedule: { timeZone: 'UTC' } }, 'UTC'],
  ])('gives the prune schedule %s', (_what, retention, expected) => {
    const result = validateConfig(
      withChange((c) => {
        c.plans[0] = plan({ schedule: { cron: 'cron(0 0/2 * * ? *)', timeZone: 'Europe/Berlin' }, rpoMinutes: 180, retention });
      }),
      { now: NOW },
    );
    if (!result.ok) throw new Error(result.problems.join('\n'));
    expect(result.config.plans[0]!.retention.schedule).toEqual({ cron: 'cron(30 * * * ? *)', timeZone: expected });
  });

  it.each<[string, (c: Record<string, any>) => void]>([
    [
      'hourly on a serverless cache (24 per day allowed)',
      (c) => (c.plans[0] = plan({ targets: { serverlessCacheNames: ['edge'] }, schedule: { cron: 'cron(0 * * * ? *)' }, rpoMinutes: 60 })),
    ],
    ['20 runs a day on a replication group', (c) => (c.plans[0] = plan({ schedule: { cron: 'cron(0 0-19 * * ? *)' }, rpoMinutes: 300 }))],
    ['weekdays with an RPO covering the weekend', (c) => (c.plans[0] = plan({ schedule: { cron: 'cron(0 3 ? * MON-FRI *)' }, rpoMinutes: 3 * 1440 }))],
    ['a network section', (c) => (c.network = { vpcId: 'vpc-0123456789abcdef0', subnetIds: ['subnet-0123abcd'], securityGroupIds: ['sg-0123456789abcdef0'] })],
    ['a primary account and the same DR account', (c) => (c.primary.account = c.dr.account = '123456789012')],
    ['a "$schema" reference', (c) => (c.$schema = './schema.json')],
  ])('accepts %s', (_what, change) => {
    expect(problemsOf(withChange(change))).toEqual([]);
  });

  it.each<[string, (c: Record<string, any>) => void, string | RegExp]>([
    [
      'an unknown region, suggesting the closest',
      (c) => (c.primary.region = 'eu-west-9'),
      'primary.region is not a known AWS region, got "eu-west-9": did you mean "eu-west-1"? (known regions include us-east-1, us-west-2, eu-west-1, eu-central-1, ap-southeast-2)',
    ],
    [
      'an unknown region, listing a few valid ones',
      (c) => (c.dr.region = 'frankfurt'),
      'dr.region is not a known AWS region, got "frankfurt": use an AWS region code; known regions include us-east-1, us-west-2, eu-west-1, eu-central-1, ap-southeast-2',
    ],
    [
      'a DR region equal to the primary region',
      (c) => (c.dr.region = 'eu-west-1'),
      'dr.region must differ from primary.region, got "eu-west-1" for both: pick another region for DR, e.g. "eu-central-1"',
    ],
    [
      'a DR region in another partition',
      (c) => (c.dr.region = 'cn-north-1'),
      'dr.region must be in the same partition as primary.region (aws), got "cn-north-1" (aws-cn): S3 replication cannot cross partitions; pick a DR region in aws',
    ],
    [
      'a DR account different from the primary account',
      (c) => (c.dr.account = '123456789012'),
      'dr.account must equal primary.account (cross-account DR is not supported), got "123456789012" with no primary.account: remove dr.account, or set both to the same account',
    ],
    [
      'a malformed account id',
      (c) => (c.primary.account = '1234'),
      'primary.account must be a 12-digit AWS account id, got "1234": write it as a string of 12 digits, or leave it out',
    ],
    [
      'a deployment name that cannot be part of a stack name',
      (c) => (c.name = 'Prod_1'),
      'name must be 1-24 lowercase letters, digits or hyphens, starting with a letter, got "Prod_1": it is part of stack and resource names',
    ],
    [
      'an invalid cron',
      (c) => (c.plans[0].schedule.cron = 'cron(0 * * * *)'),
      // The did-you-mean is a schedule the next check accepts: hourly would exceed 20 snapshots a day (test/lib/config/suggestions.test.ts).
      /^plans\[0\]\.schedule\.cron must have 6 fields \(minutes hours day-of-month month day-of-week year\), found 5, got "cron\(0 \* \* \* \*\)": did you mean "cron\(0 0\/2 \* \* \? \*\)"\?/,
    ],
    [
      'a cron limited to a year',
      (c) => (c.plans[0].schedule.cron = 'cron(0 0/2 * * ? 2027)'),
      /^plans\[0\]\.schedule\.cron has year "2027", but only "\*" is supported/,
    ],
    [
      'an invalid time zone, suggesting the closest',
      (c) => (c.plans[0].schedule.timeZone = 'Europe/Berln'),
      'plans[0].schedule.timeZone is not a known IANA time zone, got "Europe/Berln": did you mean "Europe/Berlin"? (use an IANA name such as "UTC", "Europe/Berlin" or "America/New_York")',
    ],
    [
      'duplicate plan names',
      (c) => c.plans.push(plan({ targets: { serverlessCacheNames: ['other'] } })),
      'plans[1].name "sessions" is already used by plans[0]: plan names must be unique',
    ],
    [
      'an empty target selection',
      (c) => (c.plans[0].targets = { replicationGroupIds: [], selectByTags: {} }),
      'plans[0].targets must select at least one cache, got {"replicationGroupIds":[],"selectByTags":{}}: list replicationGroupIds or serverlessCacheNames, or set selectByTags or selectWithoutTag',
    ],
    [
      'a schedule above 20 a day on a replication group',
      (c) => (c.plans[0] = plan({ schedule: { cron: 'cron(0 * * * ? *)' }, rpoMinutes: 60 })),
      'plans[0].schedule.cron runs 24 times in some rolling 24 h, got "cron(0 * * * ? *)" in UTC: ElastiCache allows at most 20 manual snapshots per node in 24 h; run it less often, e.g. every 2 hours with cron(0 0/2 * * ? *)',
    ],
    [
      'a schedule above 20 a day selecting by tags (may match replication groups)',
      (c) => (c.plans[0] = plan({ targets: { selectByTags: { team: 'x' } }, schedule: { cron: 'cron(0 * * * ? *)' }, rpoMinutes: 60 })),
      /^plans\[0\]\.schedule\.cron runs 24 times .*at most 20 manual snapshots per node in 24 h \(a run-time selection may match replication groups\)/,
    ],
    [
      'a schedule above 20 a day selecting the caches without a tag (may match replication groups)',
      (c) => (c.plans[0] = plan({ targets: { selectWithoutTag: 'redis-dr:tier' }, schedule: { cron: 'cron(0 * * * ? *)' }, rpoMinutes: 60 })),
      /^plans\[0\]\.schedule\.cron runs 24 times .*at most 20 manual snapshots per node in 24 h \(a run-time selection may match replication groups\)/,
    ],
    [
      'a selectWithoutTag that is no usable tag key',
      (c) => (c.plans[0] = plan({ targets: { selectWithoutTag: 'aws:cloudformation:stack-name' } })),
      'plans[0].targets.selectWithoutTag is not a usable tag key, got "aws:cloudformation:stack-name": tag keys are 1-128 characters and must not start with "aws:"',
    ],
    [
      'a schedule above 24 a day on a serverless-only plan',
      (c) => (c.plans[0] = plan({ targets: { serverlessCacheNames: ['edge'] }, schedule: { cron: 'cron(0/30 * * * ? *)' }, rpoMinutes: 30 })),
      'plans[0].schedule.cron runs 48 times in some rolling 24 h, got "cron(0/30 * * * ? *)" in UTC: ElastiCache allows at most 24 snapshots per serverless cache in 24 h; run it less often, e.g. hourly with cron(0 * * * ? *)',
    ],
    [
      'an every-minute schedule (counting stops at the cap)',
      (c) => (c.plans[0] = plan({ schedule: { cron: 'cron(* * * * ? *)' }, rpoMinutes: 5 })),
      /^plans\[0\]\.schedule\.cron runs more than 100 times in some rolling 24 h/,
    ],
    [
      'two plans backing up the same cache, naming the first',
      (c) => {
        c.plans[0] = plan({ name: 'even', schedule: { cron: 'cron(0 0/2 * * ? *)' } });
        c.plans.push(plan({ name: 'odd', schedule: { cron: 'cron(0 1/2 * * ? *)' } }));
      },
      'plans[1].targets.replicationGroupIds[0] "sessions-prod" is already backed up by plans[0] "even": a cache belongs to one plan (its tiers, retention and snapshot names are per plan); remove it from one of them',
    ],
    [
      'an RPO shorter than the longest gap, with the gap and the minimum',
      (c) => (c.plans[0].rpoMinutes = 90),
      'plans[0].rpoMinutes is shorter than the longest gap between scheduled runs, got 90: cron(0 0/2 * * ? *) in UTC leaves 120 minutes between the runs at 2026-01-15T02:00Z and 2026-01-15T04:00Z; set rpoMinutes to at least 120 or run the schedule more often',
    ],
    [
      'an RPO that only a daylight-saving change breaks',
      (c) =>
        (c.plans[0] = plan({
          targets: { serverlessCacheNames: ['edge'] },
          schedule: { cron: 'cron(0 * * * ? *)', timeZone: 'Europe/Berlin' },
          rpoMinutes: 90,
        })),
      'plans[0].rpoMinutes is shorter than the longest gap between scheduled runs, got 90: cron(0 * * * ? *) in Europe/Berlin leaves 120 minutes between the runs at 2026-10-25T00:00Z and 2026-10-25T02:00Z (a daylight-saving change); set rpoMinutes to at least 120 or run the schedule more often',
    ],
    [
      'a weekday-only schedule whose RPO forgets the weekend',
      (c) => (c.plans[0] = plan({ schedule: { cron: 'cron(0 3 ? * MON-FRI *)' }, rpoMinutes: 1440 })),
      /^plans\[0\]\.rpoMinutes .* leaves 4320 minutes between the runs at 2026-01-16T03:00Z and 2026-01-19T03:00Z; set rpoMinutes to at least 4320/,
    ],
    ['an RPO under 5 minutes', (c) => (c.plans[0].rpoMinutes = 1), 'plans[0].rpoMinutes must be >= 5, got 1'],
    ['a fractional RPO', (c) => (c.plans[0].rpoMinutes = 150.5), 'plans[0].rpoMinutes must be a whole number, got 150.5'],
    [
      'an invalid prune schedule',
      (c) => (c.plans[0].retention = { schedule: { cron: 'cron(30 * * * ? * *)' } }),
      /^plans\[0\]\.retention\.schedule\.cron must have 6 fields .* found 7, got "cron\(30 \* \* \* \? \* \*\)"/,
    ],
    [
      'an invalid prune time zone',
      (c) => (c.plans[0].retention = { schedule: { timeZone: 'Berlin' } }),
      /^plans\[0\]\.retention\.schedule\.timeZone is not a known IANA time zone, got "Berlin"/,
    ],
    [
      'an unknown key (typo), suggesting the right one',
      (c) => (c.plans[0].retension = { daily: 7 }),
      'plans[0].retension is not a known setting: did you mean "retention"?',
    ],
    ['an unknown top-level key', (c) => (c.alarms = {}), 'alarms is not a known setting: did you mean "alerts"?'],
    [
      'daily retention of 0',
      (c) => (c.plans[0].retention = { daily: 0 }),
      'plans[0].retention.daily must be >= 1, got 0: keep at least the newest daily recovery point (set 1); to keep fewer hourly ones, lower hourly instead',
    ],
    [
      'negative hourly retention',
      (c) => (c.plans[0].retention = { hourly: -1 }),
      'plans[0].retention.hourly must be >= 0, got -1: set 0 to keep no hourly recovery points beyond the other tiers',
    ],
    [
      'minKeep of 0',
      (c) => (c.plans[0].retention = { minKeep: 0 }),
      'plans[0].retention.minKeep must be >= 1, got 0: the newest snapshot of a target is never deleted: set 1 or more',
    ],
    [
      'maxDeletesPerTarget of 0',
      (c) => (c.plans[0].retention = { maxDeletesPerTarget: 0 }),
      'plans[0].retention.maxDeletesPerTarget must be >= 1, got 0: set 1 or more; to delete nothing, set retention.dryRun to true',
    ],
    [
      'a fractional retention count',
      (c) => (c.plans[0].retention = { monthly: 1.5 }),
      'plans[0].retention.monthly must be a whole number, got 1.5: write a whole number like 12',
    ],
    [
      'maxStartsPerRun of 0',
      (c) => (c.plans[0].export = { enabled: true, maxStartsPerRun: 0 }),
      'plans[0].export.maxStartsPerRun must be >= 1, got 0: set 1 or more; to export nothing, set export.enabled to false',
    ],
    [
      'a retention count as a string',
      (c) => (c.plans[0].retention = { weekly: '4' }),
      'plans[0].retention.weekly must be a number, got "4": write 4 without quotes',
    ],
    ['a bad email', (c) => (c.alerts = { emails: ['oncall@example.com', 'not-an-email'] }), 'alerts.emails[1] must be an email address, got "not-an-email"'],
    [
      'a log retention CloudWatch does not offer, with the nearest',
      (c) => (c.lambda = { logRetentionDays: 100 }),
      /^lambda\.logRetentionDays must be a CloudWatch Logs retention period, got 100: use one of 1, 3, .* 3653 \(nearest: 90\)$/,
    ],
    ['too little Lambda memory', (c) => (c.lambda = { memorySizeMb: 64 }), 'lambda.memorySizeMb must be >= 128, got 64'],
    [
      'a snapshot budget beyond the Lambda limit',
      (c) => (c.plans[0].snapshotBudgetSeconds = 900),
      'plans[0].snapshotBudgetSeconds must be <= 840, got 900: the snapshot Lambda runs at most 900 s and needs headroom',
    ],
    [
      'an uppercase replication group id, with the lowercase fix',
      (c) => (c.plans[0].targets.replicationGroupIds = ['Sessions-Prod']),
      'plans[0].targets.replicationGroupIds[0] must be lowercase, got "Sessions-Prod": ElastiCache stores replication group ids in lowercase: write "sessions-prod"',
    ],
    [
      'a replication group id with a double hyphen',
      (c) => (c.plans[0].targets.replicationGroupIds = ['sessions--prod']),
      /^plans\[0\]\.targets\.replicationGroupIds\[0\] must not contain two hyphens in a row, got "sessions--prod"/,
    ],
    [
      'a serverless cache name over 40 characters',
      (c) => (c.plans[0].targets = { serverlessCacheNames: [`a${'b'.repeat(40)}`] }),
      /^plans\[0\]\.targets\.serverlessCacheNames\[0\] must be 1-40 characters long/,
    ],
    [
      'the same id twice in one plan',
      (c) => (c.plans[0].targets.replicationGroupIds = ['a', 'a']),
      'plans[0].targets.replicationGroupIds[1] "a" is already listed at [0]: list each replication group id once',
    ],
    [
      'more than 50 tag pairs',
      (c) => (c.plans[0].targets = { selectByTags: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v'])) }),
      'plans[0].targets.selectByTags must have at most 50 tag pairs, got 51: select by fewer tags',
    ],
    [
      'a malformed subnet id',
      (c) => (c.network = { vpcId: 'vpc-0123abcd', subnetIds: ['subnet-xyz'], securityGroupIds: ['sg-0123abcd'] }),
      'network.subnetIds[0] must be a subnet id like "subnet-0123456789abcdef0", got "subnet-xyz"',
    ],
    ['no plans', (c) => (c.plans = []), 'plans must have at least one plan, got []: add a backup plan'],
    ['a missing required field', (c) => delete c.plans[0].rpoMinutes, 'plans[0].rpoMinutes is required'],
    ['a missing region', (c) => (c.primary = {}), 'primary.region is required'],
    [
      'an unknown export tier',
      (c) => (c.plans[0].export = { minTier: 'yearly' }),
      'plans[0].export.minTier must be one of hourly, daily, weekly, monthly, got "yearly"',
    ],
    [
      'a collapse threshold above 100',
      (c) => (c.plans[0].collapseThresholdPct = 150),
      'plans[0].collapseThresholdPct must be <= 100, got 150: set a percentage within 0..100; 100 pages only on an empty keyspace',
    ],
    [
      'a negative collapse threshold',
      (c) => (c.plans[0].collapseThresholdPct = -1),
      'plans[0].collapseThresholdPct must be >= 0, got -1: set a percentage within 0..100; 100 pages only on an empty keyspace',
    ],
    [
      'a collapse threshold in quotes',
      (c) => (c.plans[0].collapseThresholdPct = '40'),
      'plans[0].collapseThresholdPct must be a number, got "40": write a percentage like 50',
    ],
  ])('rejects %s', (_what, change, expected) => {
    const problems = problemsOf(withChange(change));
    if (typeof expected === 'string') {
      expect(problems).toContain(expected);
    } else {
      expect(
        problems.some((p) => expected.test(p)),
        problems.join('\n'),
      ).toBe(true);
    }
  });

  it('reports every problem at once: schema and cross-field checks together', () => {
    const raw = JSON.parse(readFileSync(join(FIXTURES, 'several-problems.json'), 'utf8'));
    const problems = problemsOf(raw);
    const expected = [
      /^alerts\.emails\[0\] must be an email address, got "oncall-at-example.com"$/,
      /^plans\[0\]\.retention\.daily must be >= 1, got 0: keep at least the newest daily recovery point/,
      /^plans\[0\]\.retention\.retension is not a known setting/,
      /^plans\[1\]\.schedule\.cron must have 6 fields/,
      /^dr\.region must differ from primary\.region/,
      /^plans\[0\]\.schedule\.cron runs 24 times in some rolling 24 h/,
      /^plans\[0\]\.rpoMinutes is shorter than the longest gap .* set rpoMinutes to at least 120/,
      /^plans\[1\]\.targets must select at least one cache/,
      /^plans\[1\]\.name "sessions" is already used by plans\[0\]/,
    ];
    for (const pattern of expected)
      expect(
        problems.some((p) => pattern.test(p)),
        `${pattern}\n${problems.join('\n')}`,
      ).toBe(true);
    expect(problems).toHaveLength(expected.length);
  });

  it.each([
    ['null', null, 'config must be an object, got null'],
    ['an array', [], 'config must be an object, got []'],
  ])('rejects %s as the whole config', (_what, raw, expected) => {
    expect(problemsOf(raw)).toEqual([expected]);
  });

  it('names every missing top-level field', () => {
    expect(problemsOf({})).toEqual(['name is required', 'primary is required', 'dr is required', 'plans is required']);
  });
});

describe('configSchema', () => {
  it('runs the cross-field checks too when used on its own', () => {
    const result = configSchema.safeParse(withChange((c) => (c.dr.region = 'eu-west-1')));
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join('.'))).toEqual(['dr.region']);
  });
});

describe('limits', () => {
  it('match the ElastiCache quotas', () => {
    expect([MAX_MANUAL_SNAPSHOTS_PER_NODE_PER_DAY, MAX_SERVERLESS_SNAPSHOTS_PER_DAY]).toEqual([20, 24]);
  });
});

describe('config files', () => {
  it('config/schema.json is what `npm run schema` writes (not stale)', () => {
    const committed = JSON.parse(readFileSync(join(ROOT, 'config', 'schema.json'), 'utf8'));
    expect(committed).toEqual(configJsonSchema());
  });

  it('config/example.json validates and points at the schema', () => {
    const raw = JSON.parse(readFileSync(join(ROOT, 'config', 'example.json'), 'utf8'));
    expect(raw.$schema).toBe('./schema.json');
    expect(problemsOf(raw)).toEqual([]);
  });

  it('config/example.json is account-agnostic', () => {
    const config = loadConfig(join(ROOT, 'config', 'example.json'));
    expect(config.primary.account).toBeUndefined();
    expect(config.dr.account).toBeUndefined();
  });
});

describe('loadConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'redis-dr-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function thrown(file: string): ConfigError {
    try {
      loadConfig(file);
    } catch (err) {
      if (err instanceof ConfigError) return err;
      throw err;
    }
    throw new Error(`loadConfig(${file}) did not throw`);
  }

  it('returns the validated config with defaults', () => {
    const file = join(dir, 'ok.json');
    writeFileSync(file, JSON.stringify(baseConfig()));
    expect(loadConfig(file).metricsNamespace).toBe('RedisDr');
  });

  it('throws ConfigError naming a missing file', () => {
    const file = join(dir, 'nope.json');
    const err = thrown(file);
    expect(err.file).toBe(file);
    expect(err.message).toBe(`${file}: does not exist: check the path given with -c config=<file>, e.g. config/example.json`);
  });

  it('throws ConfigError naming a file with broken JSON, with line and column', () => {
    const file = join(FIXTURES, 'broken-json.json');
    const err = thrown(file);
    expect(err.file).toBe(file);
    expect(err.problems).toHaveLength(1);
    expect(err.message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: is not valid JSON: .*line 4, column 1`));
  });

  it('throws ConfigError with every problem, one per line, each prefixed with the file', () => {
    const file = join(FIXTURES, 'several-problems.json');
    const err = thrown(file);
    expect(err.problems.length).toBeGreaterThan(5);
    expect(err.message.split('\n')).toEqual(err.problems.map((p) => `${file}: ${p}`));
  });

  it('accepts a plan that selects only the caches without a tag key (the selection at least one cache needs)', () => {
    const result = validateConfig(
      withChange((c) => (c.plans[0].targets = { selectWithoutTag: 'redis-dr:tier' })),
      { now: NOW },
    );
    expect(result.ok && result.config.plans[0]!.targets).toEqual({
      replicationGroupIds: [],
      serverlessCacheNames: [],
      selectByTags: {},
      selectWithoutTag: 'redis-dr:tier',
    });
  });

  it('accepts a UTF-8 byte order mark', () => {
    const file = join(dir, 'bom.json');
    writeFileSync(file, `\uFEFF${JSON.stringify(baseConfig())}`);
    expect(loadConfig(file).name).toBe('test');
  });
});
