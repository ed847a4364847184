/**
 * Cross-field checks of the deployment config. They read the raw input
 * defensively (whatever parsed), so they run even when other parts of the
 * config are broken, and every problem is reported at once.
 */
import { analyzeSchedule, isValidTimeZone, parseAwsCron, utcOffsetMinutes, type ScheduleAnalysis } from '../../lambdas/domain/plans/schedule.js';
import {
  DEFAULT_DRILL_WHERE,
  DEFAULT_RETENTION_COUNTS,
  DEFAULT_TIME_ZONE,
  HORIZON_DAYS,
  KNOWN_REGIONS,
  MAX_MANUAL_SNAPSHOTS_PER_NODE_PER_DAY,
  MAX_SERVERLESS_SNAPSHOTS_PER_DAY,
  tierExpireDays,
  type TierCounts,
} from './defaults.js';
import { regionFacts } from './regions.js';
import { KMS_KEY_ARN, SECRET_ARN, show } from './messages.js';
import { DRILL_PREFIX, drillTargetStem } from '../../lambdas/domain/drills/drill.js';
import { TIERS } from '../../lambdas/domain/plans/types.js';
import { alertProblems } from './alert-checks.js';

export interface Problem {
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

export function crossFieldProblems(input: unknown, now: Date): Problem[] {
  const root = asObject(input);
  if (!root) return [];
  const problems: Problem[] = [];
  checkRegions(root, problems);
  const plans = Array.isArray(root.plans) ? root.plans : [];
  const views = plans.map((plan, index) => checkPlan(asObject(plan), index, now, problems));
  checkPlanNames(views, problems);
  checkSharedTargets(views, problems);
  plans.forEach((plan, index) => {
    checkDrill(root, asObject(plan), index, problems);
  });
  checkDrillIds(plans.map(asObject), problems);
  plans.forEach((plan, index) => {
    checkProbe(root, asObject(plan), index, problems);
  });
  checkVault(root, problems);
  checkGovernedLambda(root, problems);
  plans.forEach((plan, index) => {
    checkVaultDrill(root, asObject(plan), index, problems);
  });
  checkDrillAccount(root, plans.map(asObject), problems);
  problems.push(...alertProblems(root));
  return problems;
}

/** The probe runs in the caches' VPC: it needs the primary region's network. */
function checkProbe(root: Json, plan: Json | undefined, index: number, problems: Problem[]): void {
  const probe = asObject(plan?.probe);
  checkSecretKey(probe?.authSecretArn, probe?.authSecretKmsKeyArn, ['plans', index, 'probe'], ['authSecretArn', 'authSecretKmsKeyArn'], problems);
  if (probe?.enabled !== true || asObject(root.network)) return;
  problems.push({
    path: ['plans', index, 'probe', 'enabled'],
    message:
      "needs the caches' network, got true without network: set network (vpcId, subnetIds, securityGroupIds) so the probe can reach the caches, or turn the probe off",
  });
}

/**
 * A secret's customer managed key names a secret to decrypt, and is in the
 * secret's region: Secrets Manager encrypts a secret with a key of its own
 * region, and the grant is for calls through Secrets Manager there.
 */
function checkSecretKey(secret: unknown, key: unknown, at: (string | number)[], [secretField, keyField]: [string, string], problems: Problem[]): void {
  const keyRegion = KMS_KEY_ARN.exec(asString(key) ?? '')?.[1];
  if (!keyRegion) return;
  const secretArn = asString(secret);
  if (!secretArn) {
    problems.push({
      path: [...at, keyField],
      message: `names the key of ${secretField}, got ${show(key)} without ${secretField}: set ${secretField}, or leave ${keyField} out`,
    });
    return;
  }
  const secretRegion = SECRET_ARN.exec(secretArn)?.[1];
  if (secretRegion && secretRegion !== keyRegion)
    problems.push({
      path: [...at, keyField],
      message: `must be a key in ${secretRegion} (the region of ${secretField}), got ${show(key)} in ${keyRegion}: give the ARN of the key that encrypts the secret (aws secretsmanager describe-secret --secret-id <arn>: KmsKeyId)`,
    });
}

/**
 * A drill needs somewhere to build its cluster (a subnet group and security
 * groups in each region it runs in), and a DR drill needs DR copies.
 */
function checkDrill(root: Json, plan: Json | undefined, index: number, problems: Problem[]): void {
  const drill = asObject(plan?.drill);
  if (drill?.enabled !== true) return;
  const where = drill.where === undefined ? DEFAULT_DRILL_WHERE : asString(drill.where);
  const regions = where === 'both' ? ['primary', 'dr'] : where === 'primary' || where === 'dr' ? [where] : [];
  for (const region of regions) {
    // A plan of the drill account drills there, in drillAccount.network (checkDrillAccount).
    if (region === 'dr' && drill.account !== undefined) continue;
    const network = region === 'primary' ? asObject(root.network) : asObject(asObject(root.dr)?.network);
    const field = region === 'primary' ? 'network' : 'dr.network';
    // network.fromSsm names the subnet group's parameter (its schema requires it).
    if (!network || (asString(network.cacheSubnetGroupName) === undefined && !asObject(network.fromSsm))) {
      problems.push({
        path: ['plans', index, 'drill', 'where'],
        message:
          `runs drills in the ${region} region, got ${show(where)} without ${field}.cacheSubnetGroupName: ` +
          `set ${field} (vpcId, subnetIds, securityGroupIds, cacheSubnetGroupName) for that region, or change drill.where`,
      });
    }
  }
  checkDrillRbac(root, drill, index, where, problems);
  if (regions.includes('dr') && asObject(plan?.export)?.enabled !== true) {
    problems.push({
      path: ['plans', index, 'drill', 'where'],
      message: `restores DR copies, got ${show(where)} with export.enabled false: set export.enabled to true, or drill.where to "primary"`,
    });
  }
}

/**
 * An RBAC user group and its user's secret exist in one region: drills that
 * use them run in that region only, and the verify function (a client of its
 * own region) must find the secret there.
 */
function checkDrillRbac(root: Json, drill: Json, index: number, where: string | undefined, problems: Problem[]): void {
  const rbac = asObject(drill.rbac);
  if (!rbac) return;
  if (where === 'both') {
    problems.push({
      path: ['plans', index, 'drill', 'rbac'],
      message:
        'uses one region\'s user group and secret, got drill.where "both": set drill.where to "primary" or "dr", ' +
        'or leave drill.rbac out (a token generated per execution works in both regions)',
    });
    return;
  }
  checkSecretKey(rbac.secretArn, rbac.secretKmsKeyArn, ['plans', index, 'drill', 'rbac'], ['secretArn', 'secretKmsKeyArn'], problems);
  const secretArn = asString(rbac.secretArn);
  const secretRegion = secretArn ? SECRET_ARN.exec(secretArn)?.[1] : undefined;
  const drillRegion = asString(asObject(where === 'dr' ? root.dr : root.primary)?.region);
  if (secretRegion && drillRegion && secretRegion !== drillRegion) {
    problems.push({
      path: ['plans', index, 'drill', 'rbac', 'secretArn'],
      message:
        `must be a secret in ${drillRegion} (where this plan drills), got ${show(secretArn)} in ${secretRegion}: ` +
        `replicate the secret to ${drillRegion} (Secrets Manager replica) and give that ARN`,
    });
  }
}

/**
 * Drill clusters are named from the target (drillTargetStem: its first
 * characters and a 6-character hash): two targets of drilling plans whose
 * stems meet (a hash collision) could take each other's drill cluster id. The state machine never deletes a group it did not create,
 * but such drills would fail; refuse them here.
 */
function checkDrillIds(plans: readonly (Json | undefined)[], problems: Problem[]): void {
  const seen = new Map<string, { id: string; index: number }>();
  plans.forEach((plan, index) => {
    if (asObject(plan?.drill)?.enabled !== true) return;
    for (const key of ['replicationGroupIds', 'serverlessCacheNames'] as const) {
      (asList(asObject(plan?.targets)?.[key]) ?? []).forEach((id, position) => {
        if (typeof id !== 'string') return;
        const stem = drillTargetStem(id);
        const first = seen.get(stem);
        if (!first) {
          seen.set(stem, { id, index });
          return;
        }
        if (first.id === id && first.index === index) return;
        problems.push({
          path: ['plans', index, 'targets', key, position],
          message:
            `${show(id)} gives the same drill cluster name (${DRILL_PREFIX}${stem}-…) as ${show(first.id)} in plans[${first.index}]: ` +
            'their drills could collide; drill one of them in another plan without a drill, or rename one',
        });
      });
    }
  });
}

function checkRegions(root: Json, problems: Problem[]): void {
  const primary = asObject(root.primary);
  const dr = asObject(root.dr);
  const p = asString(primary?.region);
  const d = asString(dr?.region);
  if (p && d && p === d) {
    const others = KNOWN_REGIONS.filter((r) => r !== p && r.split('-')[0] === p.split('-')[0] && regionFacts(r)?.partition === regionFacts(p)?.partition);
    problems.push({
      path: ['dr', 'region'],
      message: `must differ from primary.region, got ${show(p)} for both: pick another region for DR${others.length ? `, e.g. ${show(others[0])}` : ''}`,
    });
  } else if (p && d && KNOWN_REGIONS.includes(p) && KNOWN_REGIONS.includes(d)) {
    const pp = regionFacts(p)?.partition;
    const dp = regionFacts(d)?.partition;
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
    const withoutTag = targets.selectWithoutTag !== undefined;
    if (rgs.length === 0 && sls.length === 0 && Object.keys(tags).length === 0 && !withoutTag) {
      problems.push({
        path: ['plans', index, 'targets'],
        message: `must select at least one cache, got ${show(targets)}: list replicationGroupIds or serverlessCacheNames, or set selectByTags or selectWithoutTag`,
      });
    } else {
      // A run-time selection may match replication groups, so only explicit serverless-only plans get 24.
      limit = rgs.length > 0 || Object.keys(tags).length > 0 || withoutTag ? MAX_MANUAL_SNAPSHOTS_PER_NODE_PER_DAY : MAX_SERVERLESS_SNAPSHOTS_PER_DAY;
    }
  }

  const scheduleObj = asObject(plan.schedule);
  const cron = asString(scheduleObj?.cron);
  const timeZone = scheduleObj?.timeZone === undefined ? DEFAULT_TIME_ZONE : asString(scheduleObj.timeZone);
  if (!cron || !timeZone || !parseAwsCron(cron).ok || !isValidTimeZone(timeZone)) return { ...view, limit };
  const schedule = { cron, timeZone };
  const analysis = analyzeSchedule(cron, timeZone, now, { horizonDays: HORIZON_DAYS });
  const where = `${cron} in ${timeZone}`;

  if (limit !== undefined && analysis.maxPerRolling24h > limit) {
    const runs = analysis.truncated ? `more than ${analysis.maxPerRolling24h - 1}` : String(analysis.maxPerRolling24h);
    const quota =
      limit === MAX_MANUAL_SNAPSHOTS_PER_NODE_PER_DAY
        ? `ElastiCache allows at most ${limit} manual snapshots per node in 24 h${rgs!.length === 0 ? ' (a run-time selection may match replication groups)' : ''}`
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

/**
 * A vault must be isolated (another account than the workload's), its key in
 * its own account and region, and its retention at least as long as any
 * exported copy is kept: else the vault would let go of a copy the workload
 * still counts on.
 */
function checkVault(root: Json, problems: Problem[]): void {
  const vault = asObject(root.vault);
  if (!vault) return;
  const account = asString(vault.account);
  const primaryAccount = asString(asObject(root.primary)?.account);
  const byOrganization = asString(vault.organizationId) !== undefined;
  checkVaultDeployment(root, vault, byOrganization, problems);
  // A vault granted by organization names no workload account (an organization's member stacks name none either).
  if (primaryAccount === undefined && !byOrganization) {
    problems.push({
      path: ['primary', 'account'],
      message:
        "is required with a vault, got none: the vault bucket's policy lets exactly this account's replication role write; set primary.account to the workload account id",
    });
  } else if (account === primaryAccount) {
    problems.push({
      path: ['vault', 'account'],
      message: `must differ from primary.account, got ${show(account)} for both: a vault in the workload account gives no isolation (its administrators could delete it); use a separate account`,
    });
  }
  const workload = asList(vault.workloadAccounts);
  if (workload && account !== undefined && workload.includes(account)) {
    problems.push({
      path: ['vault', 'workloadAccounts'],
      message: `must not list the vault account ${show(account)}: the vault takes replicas from workload accounts only; remove it`,
    });
  }
  if (workload && workload.length > 0 && primaryAccount !== undefined && !workload.includes(primaryAccount)) {
    problems.push({
      path: ['vault', 'workloadAccounts'],
      message: `must list primary.account ${show(primaryAccount)}, got ${show(workload)}: this deployment's exports replicate from it; add it`,
    });
  }
  checkVaultRetention(root, vault, problems);
}

/**
 * `vault.deployment`, another deployment's vault: only one granted by
 * organization takes other deployments' roles, and only those whose name
 * starts with its own (its grant's `redis-dr-<deployment>*-replication-*`).
 */
function checkVaultDeployment(root: Json, vault: Json, byOrganization: boolean, problems: Problem[]): void {
  const owner = asString(vault.deployment);
  if (owner === undefined) return;
  const name = asString(root.name);
  if (!byOrganization) {
    problems.push({
      path: ['vault', 'deployment'],
      message: `needs vault.organizationId, got ${show(owner)} without it: a vault that lists its accounts grants its own deployment's roles only; set vault.organizationId, or remove vault.deployment`,
    });
  } else if (name !== undefined && !name.startsWith(owner)) {
    problems.push({
      path: ['vault', 'deployment'],
      message: `must be the start of name ${show(name)}, got ${show(owner)}: the vault's grant takes the replication roles redis-dr-${owner}*-replication-<region> only; rename the deployment ${owner}-<suffix>, or name the vault it replicates to`,
    });
  }
}

/**
 * `lambda.inVpc` places every function in its region's network, so both
 * regions need one; each `lambda.logKmsKeyArns` key must be in its region
 * (CloudWatch Logs uses a key of the log group's region only).
 */
function checkGovernedLambda(root: Json, problems: Problem[]): void {
  const lambda = asObject(root.lambda);
  const vault = asObject(root.vault);
  if (lambda?.inVpc === true) {
    for (const [field, network] of [
      ['network', root.network],
      ['dr.network', asObject(root.dr)?.network],
      ...(vault ? ([['vault.network', vault.network]] as const) : []),
    ] as const) {
      if (asObject(network)) continue;
      problems.push({
        path: ['lambda', 'inVpc'],
        message: `needs ${field}, got true without ${field}: every function of that region runs in its subnets; set ${field} (vpcId, subnetIds, securityGroupIds) or leave lambda.inVpc out`,
      });
    }
  }
  const keys = asObject(lambda?.logKmsKeyArns);
  // The drill account's stack is in the vault's region (checkDrillAccount).
  const drillKey = asString(keys?.drill)?.match(KMS_KEY_ARN);
  const vaultRegion = asString(vault?.region);
  if (drillKey && !asObject(root.drillAccount)) {
    problems.push({
      path: ['lambda', 'logKmsKeyArns', 'drill'],
      message:
        'needs drillAccount, got a key without a drillAccount: it encrypts the drill account stack’s log groups; set drillAccount or leave logKmsKeyArns.drill out',
    });
  } else if (drillKey && vaultRegion !== undefined && drillKey[1] !== vaultRegion) {
    problems.push({
      path: ['lambda', 'logKmsKeyArns', 'drill'],
      message: `must be a key in vault.region ${show(vaultRegion)} (where the drill account's stack is), got a key in ${show(drillKey[1])}: CloudWatch Logs encrypts a log group only with a key of its own region; create the key in the drill account in ${show(vaultRegion)}`,
    });
  }
  for (const [where, regionField] of [
    ['primary', 'primary.region'],
    ['dr', 'dr.region'],
    ['vault', 'vault.region'],
  ] as const) {
    const key = asString(keys?.[where])?.match(KMS_KEY_ARN);
    if (key && where === 'vault' && !vault) {
      problems.push({
        path: ['lambda', 'logKmsKeyArns', 'vault'],
        message: 'needs vault, got a key without a vault: it encrypts the vault stack’s log groups; set vault or leave logKmsKeyArns.vault out',
      });
      continue;
    }
    const region = asString(asObject(root[where])?.region);
    if (!key || region === undefined || key[1] === region) continue;
    problems.push({
      path: ['lambda', 'logKmsKeyArns', where],
      message: `must be a key in ${regionField} ${show(region)}, got a key in ${show(key[1])}: CloudWatch Logs encrypts a log group only with a key of its own region; create the key (or a multi-Region replica) in ${show(region)}`,
    });
  }
}

/**
 * Each tier is kept in the vault (its `tierRetentionDays`, else
 * `retentionDays`) at least as long as the exporting plans keep its copies,
 * and no tier shorter than `retentionDays`, the retention every replica gets
 * as it lands (COMPLIANCE retention cannot be shortened).
 */
function checkVaultRetention(root: Json, vault: Json, problems: Problem[]): void {
  const plans = (Array.isArray(root.plans) ? root.plans : []).map(asObject);
  // Per tier, the longest any exporting plan keeps its copies.
  const need = new Map<string, { days: number; plan: string }>();
  let exporting = 0;
  for (const plan of plans) {
    const exp = asObject(plan?.export);
    if (exp?.enabled !== true) continue;
    exporting++;
    const counts = { ...DEFAULT_RETENTION_COUNTS, ...numbers(asObject(plan?.retention)) };
    const expire = tierExpireDays(counts, numbers(asObject(exp.expireDays)));
    const minTier = asString(exp.minTier) ?? 'hourly';
    for (const tier of TIERS.slice(Math.max(0, TIERS.indexOf(minTier as (typeof TIERS)[number])))) {
      const seen = need.get(tier);
      if (seen === undefined || expire[tier] > seen.days) need.set(tier, { days: expire[tier], plan: asString(plan?.name) ?? '?' });
    }
  }
  if (exporting === 0) {
    problems.push({
      path: ['vault'],
      message: 'needs a plan with export.enabled, got none: only exported .rdb copies replicate into the vault; enable export on a plan, or remove vault',
    });
    return;
  }
  const validDays = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1;
  const floor = validDays(vault.retentionDays) ? vault.retentionDays : undefined;
  const perTier = asObject(vault.tierRetentionDays) ?? {};
  // The tiers that fall back to retentionDays: the one message for that field names the longest of them.
  let longest: { days: number; plan: string; tier: string } | undefined;
  for (const tier of TIERS) {
    const own = perTier[tier];
    const wanted = need.get(tier);
    if (own === undefined) {
      if (wanted && (longest === undefined || wanted.days > longest.days)) longest = { ...wanted, tier };
      continue;
    }
    if (!validDays(own)) continue;
    if (floor !== undefined && own < floor) {
      problems.push({
        path: ['vault', 'tierRetentionDays', tier],
        message:
          `must be at least vault.retentionDays (${floor}, the retention every replica gets as it lands), got ${own}: COMPLIANCE retention cannot be shortened; ` +
          `set ${floor} or more, or lower vault.retentionDays to the shortest tier's days`,
      });
    } else if (wanted && own < wanted.days) {
      problems.push({
        path: ['vault', 'tierRetentionDays', tier],
        message:
          `must be at least the time the exporting plans keep ${tier} copies (${wanted.days} days: plan ${show(wanted.plan)}), got ${own}: ` +
          `the vault would let go of copies the workload still keeps; set ${wanted.days} or more`,
      });
    }
  }
  if (floor !== undefined && longest !== undefined && floor < longest.days) {
    const which = Object.keys(perTier).length > 0 ? 'an exported copy of a tier tierRetentionDays does not name' : 'an exported copy';
    problems.push({
      path: ['vault', 'retentionDays'],
      message:
        `must be at least the longest time ${which} is kept (${longest.days} days: plan ${show(longest.plan)}, tier ${longest.tier}), got ${floor}: ` +
        `the vault would let go of copies the workload still keeps; set ${longest.days} or more${Object.keys(perTier).length === 0 ? ', or give that tier its own days in vault.tierRetentionDays' : ''}`,
    });
  }
}

/**
 * A drill seeded from the vault (plan `drill.fromVault`) runs in the DR
 * region's drill machinery of the workload account: ElastiCache seeds a
 * cluster only from an SSE-S3 object in the cluster's own region, so the
 * vault must be in the DR region and keep replicas SSE-S3; and there must be
 * a vault, replicas of this plan (export on) and a DR drill to seed.
 */
function checkVaultDrill(root: Json, plan: Json | undefined, index: number, problems: Problem[]): void {
  const drill = asObject(plan?.drill);
  if (drill?.fromVault !== true) return;
  const path = ['plans', index, 'drill', 'fromVault'];
  const vault = asObject(root.vault);
  if (!vault) {
    problems.push({
      path,
      message: "needs a vault, got true without a vault section: a vault drill seeds from the vault account's replicas; add vault, or remove drill.fromVault",
    });
    return;
  }
  const where = asString(drill.where) ?? DEFAULT_DRILL_WHERE;
  if (where === 'primary') {
    problems.push({
      path: ['plans', index, 'drill', 'where'],
      message: `must be "dr" or "both" with drill.fromVault, got ${show(where)}: a vault drill runs in the DR region's drill state machine; set drill.where to "dr" or "both"`,
    });
  }
  if (asObject(plan?.export)?.enabled !== true) {
    problems.push({
      path,
      message:
        'needs export.enabled on the same plan, got true without it: only exported .rdb copies replicate into the vault; enable export, or remove drill.fromVault',
    });
  }
  // In the drill account the drill runs in the vault's region, in a stack of its own (checkDrillAccount): the DR region's rules below are the workload's.
  if (drill.account !== undefined) return;
  const vaultRegion = asString(vault.region);
  const drRegion = asString(asObject(root.dr)?.region);
  if (vaultRegion !== undefined && drRegion !== undefined && vaultRegion !== drRegion) {
    problems.push({
      path: ['vault', 'region'],
      message:
        `must equal dr.region ${show(drRegion)} for a vault drill (plan ${show(asString(plan?.name) ?? '?')} has drill.fromVault), got ${show(vaultRegion)}: ` +
        "ElastiCache seeds a cluster only from a bucket in the cluster's region, and the vault drill runs in the DR region; put the vault in the DR region, or remove drill.fromVault",
    });
  }
  // The drill seeds from its own copy in the DR bucket and deletes it after: a default Object Lock there would lock
  // the copy as it lands, so it could not be deleted (every drill would leave a copy behind and report it).
  const lock = asObject(asObject(root.dr)?.objectLock);
  if (lock) {
    problems.push({
      path: ['dr', 'objectLock'],
      message:
        `cannot be set with a vault drill (plan ${show(asString(plan?.name) ?? '?')} has drill.fromVault), got ${show(asString(lock.mode) ?? '?')} for ${show(lock.days as number)} days: ` +
        "the drill copies the vault's replica into the DR bucket and deletes the copy when it ends, which a default lock forbids; the vault already keeps the copies locked: remove dr.objectLock, or remove drill.fromVault",
    });
  }
  // Without dr.account the drills run in primary.account, which checkVault already keeps apart from the vault.
  const drillAccount = asString(asObject(root.dr)?.account);
  const vaultAccount = asString(vault.account);
  if (drillAccount !== undefined && drillAccount === vaultAccount) {
    problems.push({
      path: ['dr', 'account'],
      message: `must differ from vault.account for a vault drill, got ${show(drillAccount)} for both: the drill runs in the workload account, which the vault lets read only; deploy the DR stack in a workload account`,
    });
  }
}

/**
 * Drills in a separate drill account (config `drillAccount`, plan
 * `drill.account`): the account restores the vault's replicas only (it reads
 * nothing of the workload account), so a plan drilling there drills from the
 * vault, with a token generated per execution (a user group and its secret
 * would be the workload account's); the account is none of the deployment's
 * others, and one drill account serves the deployment.
 */
function checkDrillAccount(root: Json, plans: readonly (Json | undefined)[], problems: Problem[]): void {
  const section = asObject(root.drillAccount);
  const account = asString(section?.account);
  const others: [string, string | undefined][] = [
    ['primary.account', asString(asObject(root.primary)?.account)],
    ['dr.account', asString(asObject(root.dr)?.account)],
    ['vault.account', asString(asObject(root.vault)?.account)],
  ];
  if (account !== undefined) {
    for (const [field, other] of others) {
      if (other !== account) continue;
      problems.push({
        path: ['drillAccount', 'account'],
        message: `must differ from ${field}, got ${show(account)} for both: drills in the drill account are segregated from the workload and the vault only in an account of their own; use a separate account`,
      });
    }
  }
  let used = false;
  plans.forEach((plan, index) => {
    const drill = asObject(plan?.drill);
    const named = asString(drill?.account);
    if (named === undefined) return;
    used = true;
    const path = ['plans', index, 'drill', 'account'];
    if (!section) {
      problems.push({
        path,
        message: `needs drillAccount, got ${show(named)} without a drillAccount section: add drillAccount (account ${show(named)}, network of that account in vault.region), or remove drill.account`,
      });
      return;
    }
    if (account !== undefined && named !== account) {
      problems.push({
        path,
        message: `must be drillAccount.account ${show(account)} (one drill account per deployment), got ${show(named)}: set ${show(account)}, or remove drill.account`,
      });
    }
    if (drill?.fromVault !== true) {
      problems.push({
        path,
        message: `drills from the vault only, got ${show(named)} with drill.fromVault ${show(drill?.fromVault ?? false)}: the drill account reads the vault's replicas and nothing of the workload account; set drill.fromVault to true, or remove drill.account`,
      });
    }
    if (asObject(drill?.rbac)) {
      problems.push({
        path: ['plans', index, 'drill', 'rbac'],
        message: `cannot be used with drill.account, got a user group ${show(asString(asObject(drill?.rbac)?.userGroupId) ?? '?')}: a user group and its secret are the workload account's, the drill account's clusters lock with a token generated per execution; remove drill.rbac`,
      });
    }
  });
  // An organization's vault lets each account read only under its own prefix, where the drill account has no replicas.
  const org = asString(asObject(root.vault)?.organizationId);
  if (used && org !== undefined) {
    problems.push({
      path: ['drillAccount'],
      message: `cannot be used with vault.organizationId ${show(org)}: an organization's vault lets each account's drills read only under its own prefix <account id>/, and the drill account's holds no replica; list the accounts in vault.workloadAccounts instead, or remove drillAccount`,
    });
  }
  if (section && !used) {
    problems.push({
      path: ['drillAccount'],
      message: `is used by no plan, got account ${show(account ?? '?')}: set drill.account to it on a plan that drills from the vault, or remove drillAccount`,
    });
  }
}

/** The numeric fields of an object (the tier counts the user gave). */
function numbers(o: Json | undefined): Partial<TierCounts> {
  return Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => typeof v === 'number')) as Partial<TierCounts>;
}
