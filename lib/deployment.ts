/**
 * The deployment as data: resource names, the inputs the schedules send and
 * the limits the alarms watch, all derived from the config. The stacks build
 * their schedules and alarms from these functions and the operator CLI uses
 * the same ones, so `redis-dr drill run` sends exactly what the schedule
 * sends and `redis-dr status` judges ages exactly as the alarms do.
 *
 * Pure: no CDK constructs, no AWS calls (the CLI imports it).
 */
import { createHash } from 'node:crypto';
import type { DrillInput, DrillWhere } from '../lambdas/domain/drills/drill.js';
import { type ExportRunInput, type FreshnessInput, type PruneRunInput, type SnapshotRunInput, selectsAtRunTime } from '../lambdas/domain/plans/plan-input.js';
import { analyzeSchedule } from '../lambdas/domain/plans/schedule.js';
import type { CopyVerificationSettings } from '../lambdas/domain/plans/settings.js';
import { canaryId, type SelftestCanary, type SelftestInput, type SelftestPlan, type SelftestRegions } from '../lambdas/domain/selftest/input.js';
import type { ReportInput } from '../lambdas/domain/report/input.js';
import { alarmNamePrefix } from '../lambdas/domain/alerting/names.js';
import { accountRegionPrefix } from '../lambdas/domain/points/account-prefix.js';
import type { NetworkSetting, PlanConfig, RedisDrConfig, VaultConfig } from './config/index.js';

/** Wall-clock budget of one prune run (deletions are retried within it). */
export const PRUNE_BUDGET_SECONDS = 600;
/** Wall-clock budget of one freshness run. */
export const FRESHNESS_BUDGET_SECONDS = 150;
/** Time a copy may take beyond the RPO to be exported (reconciler every 15 min, export minutes) and replicated. */
export const DR_COPY_ALLOWANCE_MINUTES = 120;
/** Drill interval assumed when the drill cron never repeats within the analysis horizon. */
const FALLBACK_DRILL_INTERVAL_MINUTES = 7 * 24 * 60;

/** Stack names of a deployment, e.g. `RedisDr-prod-Primary`. */
export function stackNames(config: Pick<RedisDrConfig, 'name'>): { primary: string; dr: string } {
  return { primary: `RedisDr-${config.name}-Primary`, dr: `RedisDr-${config.name}-Dr` };
}

/**
 * Stack name of a deployment's vault (config `vault`), deployed with the vault account's credentials:
 * `RedisDr-<name>-Vault`, or the vault's own deployment's (`vault.deployment`: an organization's vault, deployed once).
 */
export function vaultStackName(config: Pick<RedisDrConfig, 'name'> & { readonly vault?: Pick<VaultConfig, 'deployment'> }): string {
  return `RedisDr-${config.vault?.deployment ?? config.name}-Vault`;
}

/**
 * The vault bucket a deployment replicates into: `redis-dr-<vault deployment>-<vault account>-<vault region>`, the
 * vault deployment `vault.deployment` (an organization's vault, named by the organization) or else this deployment.
 */
export function vaultBucketName(deployment: string, vault: Pick<VaultConfig, 'account' | 'region' | 'deployment'>): string {
  return recoveryBucketName(vault.deployment ?? deployment, vault.account, vault.region);
}

/** The verified-copy AWS Config rule of a deployment (lib/constructs/org/verified-copy-rule.ts), which `org inventory` reads back through the aggregator. */
export function verifiedCopyRuleName(deployment: string): string {
  return `redis-dr-${deployment}-verified-copy`;
}

/**
 * Name of the export bucket's replication role when a vault is configured:
 * `redis-dr-<deployment>-replication-<primary region>`. Fixed, so the vault
 * bucket's policy (in another account, deployed first) names exactly this
 * role and no other; with the region, because IAM names are account-wide and
 * the same deployment name may be deployed in two regions of one account.
 * At most 9 + 24 + 13 + 14 = 60 characters (IAM allows 64).
 */
export function replicationRoleName(deployment: string, region: string): string {
  return `redis-dr-${deployment}-replication-${region}`;
}

/**
 * Fixed names of the DR drill's roles when a plan drills from the vault
 * (`drill.fromVault`), in the DR region: the select function's
 * (`redis-dr-<deployment>-vault-select-<region>`: lists the replicas, reads
 * their tags, verdicts and retention) and the seed-copy function's
 * (`redis-dr-<deployment>-vault-seed-<region>`: copies the chosen versions
 * into the DR bucket; the cluster is seeded from that copy, in its own
 * account). The vault bucket's policy (in another account, deployed first)
 * names exactly these roles. The region, as for {@link replicationRoleName};
 * at most 61 characters.
 */
export function vaultDrillRoleNames(deployment: string, region: string): { readonly seedCopy: string; readonly select: string } {
  return { seedCopy: `redis-dr-${deployment}-vault-seed-${region}`, select: `redis-dr-${deployment}-vault-select-${region}` };
}

/**
 * The primary region's drill report role, of a fixed name: the evidence key's policy in the DR region's stack names
 * it (no reference across regions). As long as {@link vaultDrillRoleNames}'s, at most 61 characters.
 */
export function drillReportRoleName(deployment: string, region: string): string {
  return `redis-dr-${deployment}-drill-report-${region}`;
}

/** Whether a plan's DR-region drills seed from the vault (`drill.fromVault`, with a vault configured). */
export function drillsFromVault(config: Pick<RedisDrConfig, 'vault'>, plan: PlanConfig): boolean {
  return config.vault !== undefined && plan.drill.fromVault && drillsIn(plan, 'dr');
}

/**
 * The accounts whose drills the vault lets read replicas: the DR drills' account, when a plan drills from the vault
 * there, and the drill account (config `drillAccount`), when a plan drills in it.
 */
export function vaultDrillAccounts(config: Pick<RedisDrConfig, 'vault' | 'plans' | 'primary' | 'dr' | 'drillAccount'>): string[] {
  const account = drillAccount(config);
  const workload = account !== undefined && config.plans.some((p) => drillsFromVault(config, p)) ? [account] : [];
  const separate = config.vault && config.drillAccount && drillAccountPlans(config.plans).length > 0 ? [config.drillAccount.account] : [];
  return [...workload, ...separate];
}

/**
 * The region the vault's readers for drills run in: the vault's (the workload's vault drills run in the DR region,
 * which must equal it; the drill account's run in the vault's region). Part of the drill roles' names.
 */
export function vaultDrillRegion(config: Pick<RedisDrConfig, 'vault' | 'dr'>): string {
  return config.vault?.region ?? config.dr.region;
}

/** Stack name of a deployment's drill account (config `drillAccount`), deployed with that account's credentials: `RedisDr-<name>-Drill`. */
export function drillAccountStackName(config: Pick<RedisDrConfig, 'name'>): string {
  return `RedisDr-${config.name}-Drill`;
}

/** The drill account's scheduler group (its drills and reaper): `redis-dr-<deployment>-drill`. */
export function drillAccountScheduleGroupName(deployment: string): string {
  return `redis-dr-${deployment}-drill`;
}

/**
 * Where the workload's report reads the drill account's drills: the signed records under `drills/<region>/` of the
 * drill account's own bucket (`redis-dr-<deployment>-<drill account>-<vault region>`), which grants the workload
 * account read of that prefix only. Absent when no plan drills there.
 */
export function drillAccountRecords(
  config: Pick<RedisDrConfig, 'name' | 'vault' | 'drillAccount' | 'plans'>,
): { readonly account: string; readonly region: string; readonly bucket: string; readonly plans: readonly string[] } | undefined {
  const plans = drillAccountPlans(config.plans);
  if (!config.vault || !config.drillAccount || plans.length === 0) return undefined;
  const { account } = config.drillAccount;
  const region = config.vault.region;
  return { account, region, bucket: recoveryBucketName(config.name, account, region), plans: plans.map((p) => p.name) };
}

/** The account the DR drills run in (`dr.account`, else `primary.account`): the one the vault lets read for drills. */
export function drillAccount(config: Pick<RedisDrConfig, 'primary' | 'dr'>): string | undefined {
  return config.dr.account ?? config.primary.account;
}

/** The scheduler group of a region's schedules: `redis-dr-<deployment>` (primary), `redis-dr-<deployment>-dr`. */
export function scheduleGroupName(deployment: string, where: DrillWhere): string {
  return where === 'primary' ? `redis-dr-${deployment}` : `redis-dr-${deployment}-dr`;
}

/** The vault account's scheduler group (its freshness monitor): `redis-dr-<deployment>-vault`. */
export function vaultScheduleGroupName(deployment: string): string {
  return `redis-dr-${deployment}-vault`;
}

/** The stack output holding {@link configHash} of the config the stack was deployed from. */
export const CONFIG_HASH_OUTPUT = 'ConfigHash';

/**
 * A fingerprint of the validated config (defaults filled in): SHA-256 of its
 * JSON with keys sorted, first 16 hex digits. Both stacks carry it as the
 * output {@link CONFIG_HASH_OUTPUT}; `redis-dr doctor` compares it with the
 * local config's to name a config changed since the last deploy. It sees
 * config changes (and changed defaults of a newer redis-dr), not changes made
 * in the console.
 */
export function configHash(config: RedisDrConfig): string {
  const sorted = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sorted)
      : v !== null && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, sorted((v as Record<string, unknown>)[k])]),
          )
        : v;
  return createHash('sha256')
    .update(JSON.stringify(sorted(config)))
    .digest('hex')
    .slice(0, 16);
}

/** `redis-dr-<deployment>-<account>-<region>`: the recovery bucket of a region (deterministic, so replication needs no cross-region reference). */
export function recoveryBucketName(deployment: string, account: string, region: string): string {
  return `redis-dr-${deployment}-${account}-${region}`;
}

/** The vault's verify state machine (vault account): `redis-dr-<deployment>-vault-verify-rdb`. */
export function vaultVerifyStateMachineName(deployment: string): string {
  return `redis-dr-${deployment}-vault-verify-rdb`;
}

/** The verify state machine's name (DR region): `redis-dr-<deployment>-verify-rdb`. */
export function verifyStateMachineName(deployment: string): string {
  return `redis-dr-${deployment}-verify-rdb`;
}

/** The drill state machine's name: `redis-dr-<deployment>-<where>-drill`. */
export function drillStateMachineName(deployment: string, where: DrillWhere): string {
  return `redis-dr-${deployment}-${where}-drill`;
}

/** The drill state machine's ARN, for callers outside the stack (the CLI). */
export function drillStateMachineArn(deployment: string, where: DrillWhere, region: string, account: string, partition = 'aws'): string {
  return `arn:${partition}:states:${region}:${account}:stateMachine:${drillStateMachineName(deployment, where)}`;
}

/**
 * Whether `plan` runs restore drills in `where` of the workload account (`drill.where` is that region or `both`);
 * a plan with `drill.account` drills from the vault in the drill account instead of the DR region ({@link drillsInDrillAccount}).
 */
export function drillsIn(plan: PlanConfig, where: DrillWhere): boolean {
  if (where === 'dr' && plan.drill.account !== undefined) return false;
  return plan.drill.enabled && (plan.drill.where === where || plan.drill.where === 'both');
}

/** Whether `plan` runs its vault drills in the separate drill account (config `drillAccount`, plan `drill.account`). */
export function drillsInDrillAccount(plan: PlanConfig): boolean {
  return plan.drill.enabled && plan.drill.account !== undefined && plan.drill.where !== 'primary';
}

/** The plans that drill in the drill account. */
export function drillAccountPlans(plans: readonly PlanConfig[]): PlanConfig[] {
  return plans.filter(drillsInDrillAccount);
}

/** The plans that drill in `where`. */
export function drillPlans(plans: readonly PlanConfig[], where: DrillWhere): PlanConfig[] {
  return plans.filter((p) => drillsIn(p, where));
}

/**
 * Whether a region's drills can meet a serverless cache: a plan lists
 * serverless caches, or (primary region) selects caches at run time (by tags,
 * or those without a tag), which may match serverless ones. Only then does the state machine get the serverless
 * states and their permissions, and the VPC's groups must admit 6380.
 */
export function drillsServerless(plans: readonly PlanConfig[], where: DrillWhere): boolean {
  return plans.some((p) => (p.targets.serverlessCacheNames ?? []).length > 0 || (where === 'primary' && selectsAtRunTime(p.targets)));
}

/**
 * Whether the DR stack names its VPC id: only a serverless drill's endpoint grant does (functions take subnets and
 * groups), so with `dr.network.fromSsm` and no such drill it makes no `NetworkVpcId` (lib/constructs/network-parameters.ts).
 */
export function drNamesVpc(plans: readonly PlanConfig[]): boolean {
  return drillsServerless(drillPlans(plans, 'dr'), 'dr');
}

/** What a region's VPC must provide for the functions redis-dr places in it. */
export interface NetworkPrerequisites {
  /** The config field of that network: `network` or `dr.network`. */
  readonly field: 'network' | 'dr.network';
  readonly where: DrillWhere;
  /** Its ids, or the SSM parameter names they are read from at deploy time (`network.fromSsm`). */
  readonly network: NetworkSetting;
  /** The functions in the VPC: `probe`, `drill verification`. */
  readonly users: readonly string[];
  /** Ports the security groups must admit from themselves: drill clusters share the functions' groups. */
  readonly selfIngressPorts: string;
}

/**
 * Each region whose VPC holds redis-dr functions, with what they need there:
 * a route to Secrets Manager (a NAT route or an interface endpoint; the probe
 * reads the cache secret, drill verification the drill token) and, where
 * drills run, security groups that admit themselves on the Redis ports
 * (6379; serverless caches also 6380 for reads from replicas).
 */
export function networkPrerequisites(config: Pick<RedisDrConfig, 'network' | 'dr' | 'plans'>): NetworkPrerequisites[] {
  const found: NetworkPrerequisites[] = [];
  for (const where of ['primary', 'dr'] as const) {
    const network = where === 'primary' ? config.network : config.dr.network;
    if (!network) continue;
    const probing = where === 'primary' && config.plans.some((p) => p.probe.enabled);
    const drilling = drillPlans(config.plans, where);
    const users = [...(probing ? ['probe'] : []), ...(drilling.length > 0 ? ['drill verification'] : [])];
    if (users.length === 0) continue;
    const selfIngressPorts = drilling.length === 0 ? 'none' : drillsServerless(drilling, where) ? 'tcp 6379-6380' : 'tcp 6379';
    found.push({ field: where === 'primary' ? 'network' : 'dr.network', where, network, users, selfIngressPorts });
  }
  return found;
}

/** Wall-clock budget of one export run (lib/constructs/dr-export.ts sizes the function's timeout by it). */
export const EXPORT_BUDGET_SECONDS = 300;

/** The snapshot schedule's input for a plan: `redis-dr snapshot` sends the same, so names, tags, tier and probe are the scheduled run's. */
export function snapshotRunInput(deployment: string, plan: PlanConfig): Omit<SnapshotRunInput, 'scheduledTime'> {
  return {
    deployment,
    plan: plan.name,
    targets: plan.targets,
    timeZone: plan.schedule.timeZone,
    budgetSeconds: plan.snapshotBudgetSeconds,
    probe: plan.probe.enabled ? JSON.parse(JSON.stringify({ authSecretArn: plan.probe.authSecretArn })) : undefined,
    collapseThresholdPct: plan.collapseThresholdPct,
  };
}

/** The export schedule's input for a plan (`bucket`: the export bucket); `redis-dr export` sends the same. */
export function exportRunInput(deployment: string, plan: PlanConfig, bucket: string): Omit<ExportRunInput, 'scheduledTime'> {
  return {
    deployment,
    plan: plan.name,
    targets: plan.targets,
    minTier: plan.export.minTier,
    bucket,
    maxStartsPerRun: plan.export.maxStartsPerRun,
    budgetSeconds: EXPORT_BUDGET_SECONDS,
  };
}

/**
 * The settings every invocation of a copy verification (verify-rdb) is sent
 * by its state machine's task: each plan's `collapseThresholdPct` and, in the
 * vault, each tier's COMPLIANCE days (`vaultRetentionDays`).
 */
export function copyVerificationSettings(
  plans: readonly Pick<PlanConfig, 'name' | 'collapseThresholdPct'>[],
  vaultRetentionDays?: CopyVerificationSettings['vaultRetentionDays'],
): CopyVerificationSettings {
  return {
    collapseThresholdPct: Object.fromEntries(plans.map((p) => [p.name, p.collapseThresholdPct])),
    ...(vaultRetentionDays ? { vaultRetentionDays: { ...vaultRetentionDays } } : {}),
  };
}

/** The verify state machine's ARN (DR region), for callers outside the stack (the CLI). */
export function verifyStateMachineArn(deployment: string, region: string, account: string, partition = 'aws'): string {
  return `arn:${partition}:states:${region}:${account}:stateMachine:${verifyStateMachineName(deployment)}`;
}

/** The prune schedule's input for a plan (`dryRun` from the config unless given). */
export function pruneRunInput(deployment: string, plan: PlanConfig, dryRun = plan.retention.dryRun): Omit<PruneRunInput, 'scheduledTime'> {
  const { hourly, daily, weekly, monthly, minKeep, maxDeletesPerTarget } = plan.retention;
  return {
    deployment,
    plan: plan.name,
    targets: plan.targets,
    timeZone: plan.schedule.timeZone,
    rpoMinutes: plan.rpoMinutes,
    retention: { hourly, daily, weekly, monthly, minKeep },
    ...(plan.export.enabled ? { exportMinTier: plan.export.minTier } : {}),
    dryRun,
    maxDeletesPerTarget,
    budgetSeconds: PRUNE_BUDGET_SECONDS,
  };
}

/**
 * Where a DR drill from an organization's vault (config `vault.organizationId`) finds this account's replicas:
 * `<account>/<primary region>/`, the prefix the export function copies each shard under and the vault grants the
 * account's drill roles. `undefined` without an organization (the replicas are at the bucket's root).
 */
export function vaultDrillPrefix(config: Pick<RedisDrConfig, 'vault' | 'primary'>, account: string): string | undefined {
  return config.vault?.organizationId === undefined ? undefined : accountRegionPrefix(account, config.primary.region);
}

/**
 * The drill schedule's input for a plan in `where` (`bucket`: the DR bucket,
 * for DR drills). With `vault` (config `vault`) and the plan's
 * `drill.fromVault`, a DR drill reads the vault bucket instead, expecting the
 * vault account as its owner.
 */
export function drillRunInput(
  deployment: string,
  plan: PlanConfig,
  where: DrillWhere,
  bucket: string | undefined,
  vault?: Pick<VaultConfig, 'account' | 'region' | 'deployment' | 'organizationId'>,
  vaultPrefix?: string,
): DrillInput {
  const fromVault = where === 'dr' && plan.drill.fromVault && vault !== undefined;
  // An organization's vault keeps this account's replicas under `<account>/<primary region>/` (vaultDrillPrefix).
  if (fromVault && vault.organizationId !== undefined && vaultPrefix === undefined) {
    throw new Error(`plan ${plan.name}: a DR drill from an organization's vault (vault.organizationId) needs this account's key prefix (vaultDrillPrefix)`);
  }
  const prefix = fromVault && vaultPrefix !== undefined ? { prefix: vaultPrefix } : {};
  return {
    deployment,
    plan: plan.name,
    where,
    targets: plan.targets,
    bucket: fromVault ? vaultBucketName(deployment, vault) : bucket,
    // The seed copy goes into this account's DR bucket: the drill cluster seeds from it, never from the vault.
    ...(fromVault ? { vault: { account: vault.account, ...(bucket ? { seedBucket: bucket } : {}), ...prefix } } : {}),
    nodeType: plan.drill.nodeType,
    minTier: where === 'dr' ? plan.export.minTier : undefined,
    rtoMinutes: plan.drill.rtoMinutes,
    checks: plan.drill.verify,
    rbac: plan.drill.rbac,
    // Only when it is not the default: the schedules' inputs of every other config stay as they were.
    ...(plan.drill.pointSelection === 'random' ? { pointSelection: 'random' as const } : {}),
  };
}

/** The freshness monitor's input for a region (`verifyStateMachineArn`: DR, where copies are verified). */
export function freshnessRunInput(
  deployment: string,
  where: DrillWhere,
  plans: readonly PlanConfig[],
  bucket: string | undefined,
  drillStateMachineArn: string | undefined,
  verifyStateMachineArn?: string,
  scheduleGroupArn?: string,
): Omit<FreshnessInput, 'scheduledTime'> {
  return {
    deployment,
    where,
    plans: plans.map((p) => ({
      plan: p.name,
      targets: p.targets,
      exports: p.export.enabled,
      drills: drillsIn(p, where),
      ...(where === 'primary' ? { snapshotSchedule: { cron: p.schedule.cron, timeZone: p.schedule.timeZone } } : {}),
    })),
    bucket,
    drillStateMachineArn,
    verifyStateMachineArn,
    scheduleGroupArn,
    budgetSeconds: FRESHNESS_BUDGET_SECONDS,
  };
}

/** The age limits (minutes) the freshness alarms of a plan hold its recovery points to. */
export interface FreshnessLimits {
  /** Newest snapshot: the RPO. */
  readonly recoveryPointAge: number;
  /** Newest exported / verified DR copy: the RPO plus {@link DR_COPY_ALLOWANCE_MINUTES}. */
  readonly copyAge: number;
  /** Last successful drill: the drill cron's longest gap plus `drill.maxHours` (the dead man's switch). */
  readonly lastDrillAge: number;
}

/** The limits of {@link FreshnessLimits} for `plan`, with the drill cron analysed from `now`. */
export function freshnessLimits(plan: PlanConfig, now: Date = new Date()): FreshnessLimits {
  const gap = analyzeSchedule(plan.drill.schedule.cron, plan.drill.schedule.timeZone, now, { horizonDays: 400 }).maxGapMinutes;
  return {
    recoveryPointAge: plan.rpoMinutes,
    copyAge: plan.rpoMinutes + DR_COPY_ALLOWANCE_MINUTES,
    lastDrillAge: (Number.isFinite(gap) ? gap : FALLBACK_DRILL_INTERVAL_MINUTES) + plan.drill.maxHours * 60,
  };
}

/** The stack output naming a region's alert topic (lib/constructs/alert-topic.ts). */
export const ALERT_TOPIC_OUTPUT = 'AlertTopicArn';

/**
 * What `redis-dr selftest` covers in `regions`: both stacks' names, per plan
 * its first named cache (or its tag selection), the schedules' inputs, and
 * the drills in the regions covered.
 */
export function selftestInput(
  config: RedisDrConfig,
  account: string,
  regions: SelftestRegions,
  partition = 'aws',
  configFile = 'config/<env>.json',
): SelftestInput {
  const covers = (where: DrillWhere) => regions === 'both' || regions === where;
  const regionOf = (where: DrillWhere) => (where === 'primary' ? config.primary.region : config.dr.region);
  const drBucket = recoveryBucketName(config.name, account, config.dr.region);
  const plans: SelftestPlan[] = config.plans.map((plan) => {
    const rg = plan.targets.replicationGroupIds[0];
    const sl = plan.targets.serverlessCacheNames[0];
    const target = rg ? ({ kind: 'replication-group', id: rg } as const) : sl ? ({ kind: 'serverless-cache', id: sl } as const) : undefined;
    const run = snapshotRunInput(config.name, plan);
    return {
      plan: plan.name,
      ...(target ? { target } : {}),
      snapshot: target
        ? {
            ...run,
            targets: {
              replicationGroupIds: target.kind === 'replication-group' ? [target.id] : [],
              serverlessCacheNames: target.kind === 'serverless-cache' ? [target.id] : [],
              selectByTags: {},
            },
          }
        : run,
      ...(plan.export.enabled && covers('dr')
        ? { export: exportRunInput(config.name, plan, recoveryBucketName(config.name, account, config.primary.region)) }
        : {}),
      drills: (['primary', 'dr'] as const)
        .filter((where) => covers(where) && drillsIn(plan, where))
        .map((where) => ({
          where,
          region: regionOf(where),
          stateMachineArn: drillStateMachineArn(config.name, where, regionOf(where), account, partition),
          input: drillRunInput(config.name, plan, where, where === 'dr' ? drBucket : undefined, config.vault, vaultDrillPrefix(config, account)),
        })),
    };
  });
  return {
    deployment: config.name,
    regions,
    primaryRegion: config.primary.region,
    drRegion: config.dr.region,
    drBucket,
    vault: config.vault !== undefined,
    ...(config.vault?.organizationId !== undefined ? { orgEvidence: { account } } : {}),
    plans,
    deploy: `npx cdk deploy --all -c config=${configFile}`,
  };
}

/**
 * The selftest's canary (`--canary`): a throwaway cache in the primary
 * region's drill network, put through the first plan's snapshot and export
 * inputs. A string when the config cannot have one: what is missing, and the fix.
 */
export function selftestCanary(config: RedisDrConfig, at: Date, keep: boolean, nodeType: string): SelftestCanary | string {
  const network = config.network;
  if (network && 'fromSsm' in network)
    return `needs ids in network, got SSM parameter names (network.fromSsm: ${network.fromSsm.subnetGroupName}, ${network.fromSsm.securityGroupIds}), which the canary does not read: run selftest without --canary, or pass a config with network ids`;
  if (!network?.cacheSubnetGroupName)
    return 'needs network.cacheSubnetGroupName in the config (the subnet group the drills create clusters in, primary region): add it, or run selftest without --canary';
  const plan = config.plans[0]!;
  return {
    id: canaryId(at),
    plan: plan.name,
    engine: 'valkey',
    nodeType: plan.drill.nodeType ?? nodeType,
    cacheSubnetGroupName: network.cacheSubnetGroupName,
    securityGroupIds: network.securityGroupIds,
    knownKeys: 0,
    keep,
  };
}

/** The plan's named cache `id` as a target (`undefined` when the plan does not name it), else with no id its first named cache. */
export function planTargetRef(plan: PlanConfig, id?: string): { readonly kind: 'replication-group' | 'serverless-cache'; readonly id: string } | undefined {
  const groups = plan.targets.replicationGroupIds;
  const caches = plan.targets.serverlessCacheNames;
  if (id === undefined) return groups[0] ? { kind: 'replication-group', id: groups[0] } : caches[0] ? { kind: 'serverless-cache', id: caches[0] } : undefined;
  if (groups.includes(id)) return { kind: 'replication-group', id };
  if (caches.includes(id)) return { kind: 'serverless-cache', id };
  return undefined;
}

/** Scheduled report periods when the config's `report.periods` is left out. */
export const DEFAULT_REPORT_PERIODS: readonly ('weekly' | 'monthly')[] = ['weekly', 'monthly'];
/** The retention control's floor when the config's `report.minRetentionDays` is left out. */
export const DEFAULT_REPORT_MIN_RETENTION_DAYS = 30;
/** When the scheduled reports run (EventBridge Scheduler, UTC): weekly on Mondays, monthly on the 1st, at 06:00. */
export const REPORT_SCHEDULES = { weekly: 'cron(0 6 ? * MON *)', monthly: 'cron(0 6 1 * ? *)' } as const;

/** The config's report settings with their defaults (the section is optional, so configs without it keep their hash). */
export function reportSettings(config: Pick<RedisDrConfig, 'report'>): { periods: readonly ('weekly' | 'monthly')[]; minRetentionDays: number } {
  return {
    periods: config.report?.periods ?? DEFAULT_REPORT_PERIODS,
    minRetentionDays: config.report?.minRetentionDays ?? DEFAULT_REPORT_MIN_RETENTION_DAYS,
  };
}

/** When the DR scrub runs: daily, 04:30 UTC (after the night's exports have landed and been verified). */
export const SCRUB_SCHEDULE = 'cron(30 4 * * ? *)';
/**
 * How old a scheduled scrub's newest record may be before `scrub-age` pages, in minutes: two runs of
 * {@link SCRUB_SCHEDULE} that wrote nothing (a single run that throws already pages lambda-errors and writes no
 * record; the next day's takes over), plus 60 minutes for a run to write its record (its Lambda's 15 minutes, the
 * monitor's 5-minute tick, the alarm's period). A record is named by its run's start.
 */
export function scrubAgeLimitMinutes(now: Date = new Date()): number {
  return 2 * analyzeSchedule(SCRUB_SCHEDULE, 'UTC', now, { horizonDays: 400 }).maxGapMinutes + 60;
}
/** Days within which the scrub re-reads every DR copy, when `scrub.days` is not given. */
export const DEFAULT_SCRUB_DAYS = 30;

/** The config's scrub settings with their defaults (the section is optional, so configs without it keep their hash). */
export function scrubSettings(config: Pick<RedisDrConfig, 'scrub'>): { days: number } {
  return { days: config.scrub?.days ?? DEFAULT_SCRUB_DAYS };
}

/** Days of each tier (a month counted as 30 days). */
const TIER_DAYS = { hourly: 1 / 24, daily: 1, weekly: 7, monthly: 30 } as const;

/** How long a plan keeps its longest-kept recovery points, in days: the largest retention count times its tier's length. */
export function planRetentionDays(plan: PlanConfig): number {
  const r = plan.retention;
  return Math.max(r.hourly * TIER_DAYS.hourly, r.daily * TIER_DAYS.daily, r.weekly * TIER_DAYS.weekly, r.monthly * TIER_DAYS.monthly);
}

/**
 * The report job's input (lambdas/domain/report/input.ts) of a deployment in
 * `account`: the scheduled report function's and `redis-dr report -c`'s.
 */
export function reportRunInput(config: RedisDrConfig, account: string, partition = 'aws'): ReportInput {
  const arn = (where: DrillWhere, region: string) =>
    config.plans.some((p) => drillsIn(p, where)) ? drillStateMachineArn(config.name, where, region, account, partition) : undefined;
  const primaryArn = arn('primary', config.primary.region);
  const drArn = arn('dr', config.dr.region);
  const drillRecords = drillAccountRecords(config);
  return {
    deployment: config.name,
    primaryRegion: config.primary.region,
    drRegion: config.dr.region,
    drBucket: recoveryBucketName(config.name, account, config.dr.region),
    ...(config.vault
      ? {
          vault: {
            bucket: vaultBucketName(config.name, config.vault),
            region: config.vault.region,
            account: config.vault.account,
          },
        }
      : {}),
    // An organization's vault: the report is written under <account>/<region>/ too, the prefix that replicates there.
    ...(config.vault?.organizationId !== undefined ? { orgEvidence: { account } } : {}),
    plans: config.plans.map((p) => ({
      plan: p.name,
      targets: p.targets,
      rpoMinutes: p.rpoMinutes,
      timeZone: p.schedule.timeZone,
      retentionDays: planRetentionDays(p),
      exports: p.export.enabled,
      drCopyLimitMinutes: p.rpoMinutes + DR_COPY_ALLOWANCE_MINUTES,
      ...(p.drill.enabled ? { rtoTargetSeconds: p.drill.rtoMinutes * 60 } : {}),
      ...(p.maxRetentionDays !== undefined ? { maxRetentionDays: p.maxRetentionDays } : {}),
    })),
    drillStateMachineArns: { ...(primaryArn ? { primary: primaryArn } : {}), ...(drArn ? { dr: drArn } : {}) },
    ...(drillRecords ? { drillAccount: { ...drillRecords, plans: [...drillRecords.plans] } } : {}),
    alarmPrefix: alarmNamePrefix(config.name),
    minRetentionDays: reportSettings(config).minRetentionDays,
    ...(config.report?.policyDocument !== undefined ? { policyDocument: config.report.policyDocument } : {}),
  };
}

/**
 * (Here, not in lib/constructs/dr-copies.ts: `redis-dr cost` reads it, and the CLI must not bundle the CDK.)
 *
 * The verify function's memory by default: 3,008 MB, the most a new
 * account's Lambda quota allows (accounts start with a lower maximum memory
 * than Lambda's 10,240 MB; 3,008 MB is the figure reported for new
 * accounts): a deploy of a fresh account must not fail on it. Lambda
 * allocates CPU by memory (a vCPU per 1,769 MB), so 3,008 MB is about 1.7
 * vCPUs. More memory buys time to a verdict, not correctness: the job parses
 * the object's two parts at once (lambdas/jobs/dr-copies/verify-rdb-split.ts),
 * and at 3,538 MB (two full vCPUs) bench/verify-rdb/cpus.ts measured two
 * vCPUs verifying 1.14–1.67× faster than one at 1.2–1.7× the cost per GB.
 * An account whose quota allows it sets `lambda.verifyMemorySizeMb` (3538 for
 * two whole vCPUs).
 */
export const VERIFY_MEMORY_MB = 3008;
