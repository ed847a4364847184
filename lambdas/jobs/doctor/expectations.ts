/**
 * What `redis-dr doctor` (and the selftest's preflight) expects of a
 * deployed config, derived from the config alone with the names
 * lib/deployment.ts gives: per region the stack, the schedule group, the
 * alarms' prefix, the recovery buckets (replication, Object Lock, how
 * ElastiCache reaches them) and the plans' targets; the vault's rule and
 * lifecycle bound. The doctor job (./checks.ts) checks the account against it.
 */
import { ELASTICACHE_ACL_PERMISSIONS, elastiCacheBucketAccessRoute, elastiCacheCanonicalUserId } from '../../../lib/constructs/elasticache-s3-access.js';
import type { RedisDrConfig } from '../../../lib/config/index.js';
import {
  CONFIG_HASH_OUTPUT,
  configHash,
  drillsIn,
  recoveryBucketName,
  scheduleGroupName,
  stackNames,
  vaultBucketName,
  vaultStackName,
} from '../../../lib/deployment.js';
import { alarmNamePrefix } from '../../domain/alerting/names.js';
import type { BucketExpectation, TargetExpectation, VaultExpectation } from '../../domain/doctor/judge.js';
import { vaultExpiryBound } from '../../domain/doctor/object-checks.js';
import { DEFAULT_DRILL_NODE_TYPE } from '../../domain/drills/select.js';
import { vaultTierDays } from '../../domain/vault/vault-retention.js';
import type { DoctorInput, DoctorRegion } from './checks.js';

/**
 * Names the stacks' constructs define, repeated here so the CLI does not load
 * the CDK to run doctor (test/cli/commands/doctor/doctor.test.ts pins them to lib/constructs).
 */
export const DEPLOYED_NAMES = {
  /** The stack output naming a region's alert topic (lib/constructs/alert-topic.ts). */
  alertTopicOutput: 'AlertTopicArn',
  /** The stack output naming a region's page router, when the config has alerts.integrations (lib/constructs/page-integrations.ts). */
  pageRouterOutput: 'PageRouterArn',
  /** The export bucket's replication rule (lib/constructs/recovery-bucket.ts). */
  replicationRuleId: 'to-dr-region',
  /** The export bucket's rule into the vault (lib/constructs/recovery-bucket.ts). */
  vaultReplicationRuleId: 'to-vault',
} as const;

/** The regions' expectations, from the config alone (the names lib/deployment.ts derives). */
export function doctorRegions(config: RedisDrConfig, account: string, partition: (region: string) => string): DoctorRegion[] {
  const names = stackNames(config);
  const exporting = config.plans.some((p) => p.export.enabled);
  const drBucket = recoveryBucketName(config.name, account, config.dr.region);
  const vault = doctorVault(config);
  const bucket = (role: 'export' | 'dr', region: string): BucketExpectation => {
    const route = elastiCacheBucketAccessRoute(region, config.dr.elastiCacheBucketAccess);
    return {
      role,
      name: recoveryBucketName(config.name, account, region),
      ...(role === 'export' ? { replicateTo: { bucket: drBucket, ruleId: DEPLOYED_NAMES.replicationRuleId } } : {}),
      ...(role === 'export' && vault ? { replicateToVault: vault } : {}),
      ...(role === 'dr' && config.dr.objectLock ? { objectLock: { mode: config.dr.objectLock.mode, days: config.dr.objectLock.days } } : {}),
      route,
      principal: `${region}.elasticache-snapshot.amazonaws.com`,
      ...(route === 'acl' ? { canonicalUserId: elastiCacheCanonicalUserId(region) } : {}),
      aclPermissions: ELASTICACHE_ACL_PERMISSIONS[role === 'export' ? 'export' : 'seed'],
    };
  };
  const targets: TargetExpectation[] = config.plans.flatMap((p) => {
    const drills = (['primary', 'dr'] as const)
      .filter((where) => drillsIn(p, where))
      // The DR drill has no snapshot to take the node type from: without drill.nodeType it uses the default.
      .map((where) => ({ where, nodeType: p.drill.nodeType, ...(where === 'dr' ? { defaultNodeType: DEFAULT_DRILL_NODE_TYPE } : {}) }));
    const drill = drills.length > 0 ? { drills } : {};
    return [
      ...p.targets.replicationGroupIds.map((id) => ({ plan: p.name, kind: 'replication-group' as const, id, exports: p.export.enabled, ...drill })),
      ...p.targets.serverlessCacheNames.map((id) => ({ plan: p.name, kind: 'serverless-cache' as const, id, exports: p.export.enabled })),
    ];
  });
  return (['primary', 'dr'] as const).map((where) => {
    const region = where === 'primary' ? config.primary.region : config.dr.region;
    return {
      where,
      region,
      stackName: where === 'primary' ? names.primary : names.dr,
      scheduleGroupArn: `arn:${partition(region)}:scheduler:${region}:${account}:schedule-group/${scheduleGroupName(config.name, where)}`,
      alarmPrefix: alarmNamePrefix(config.name),
      buckets: exporting ? [bucket(where === 'primary' ? 'export' : 'dr', region)] : [],
      targets: where === 'primary' ? targets : [],
    };
  });
}

/** The vault doctor checks the rule into (config `vault`); its own stack needs the vault account's credentials. */
export function doctorVault(config: RedisDrConfig): VaultExpectation | undefined {
  if (!config.vault) return undefined;
  return {
    bucket: vaultBucketName(config.name, config.vault),
    account: config.vault.account,
    ruleId: DEPLOYED_NAMES.vaultReplicationRuleId,
    stack: vaultStackName(config),
  };
}

/** The vault's lifecycle bound doctor checks its versions against (config `vault`; read with `--vault-profile`). */
export function doctorVaultLifecycle(config: RedisDrConfig): DoctorInput['vaultLifecycle'] {
  if (!config.vault) return undefined;
  return {
    bucket: vaultBucketName(config.name, config.vault),
    region: config.vault.region,
    account: config.vault.account,
    bound: vaultExpiryBound(vaultTierDays(config.vault.retentionDays, config.vault.tierRetentionDays)),
  };
}

/**
 * Doctor's input for a deployment (everything but what status measured:
 * the newest snapshots and copies, which size the drills).
 */
export function doctorInput(
  config: RedisDrConfig,
  account: string,
  partition: (region: string) => string,
  deploy: string,
  now: Date,
): Omit<DoctorInput, 'newestSnapshots' | 'copies'> {
  return {
    regions: doctorRegions(config, account, partition),
    configHash: configHash(config),
    configHashOutput: CONFIG_HASH_OUTPUT,
    alertTopicOutput: DEPLOYED_NAMES.alertTopicOutput,
    pageRouterOutput: DEPLOYED_NAMES.pageRouterOutput,
    deploy,
    now,
    ...(config.vault ? { vault: doctorVault(config)!, vaultLifecycle: doctorVaultLifecycle(config)! } : {}),
    exportRoute: (region) => elastiCacheBucketAccessRoute(region, config.dr.elastiCacheBucketAccess),
    selftest: { bucket: recoveryBucketName(config.name, account, config.dr.region), region: config.dr.region },
  };
}
