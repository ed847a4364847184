import { Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as cr from 'aws-cdk-lib/custom-resources';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import { recoveryBucketName as bucketName, replicationRoleName, vaultBucketName } from '../deployment.js';
import type { PlanConfig } from '../config/index.js';
import { nagArnRef, nagPseudoParameters } from './elasticache-arns.js';
import { SEED_COPY_PREFIX } from '../../lambdas/domain/vault/vault-seed.js';
import { SNAPSHOT_PREFIX } from '../../lambdas/domain/plans/naming.js';
import { DRILL_EVIDENCE_PREFIX } from '../../lambdas/domain/drills/evidence-record.js';
import { REPORTS_PREFIX } from '../../lambdas/domain/report/input.js';
import { acknowledgeNoReplication, acknowledgeSseS3 } from '../nag/recovery-storage-checks.js';
import {
  ELASTICACHE_ACL_PERMISSIONS,
  elastiCacheBucketAccessRoute,
  elastiCacheCanonicalUserId,
  type ElastiCacheBucketAccessRoute,
} from './elasticache-s3-access.js';
import { TAGS, TIERS } from '../../lambdas/domain/plans/types.js';

/**
 * The S3 buckets that hold exported recovery points: the export bucket in the
 * primary region and its replica, the DR bucket. Both share one hardening:
 * versioned, SSE-S3, public access blocked, TLS only, server access logs,
 * lifecycle rules by plan and tier tag, and a bucket policy for the regional
 * ElastiCache service principal. How ElastiCache gets in follows the bucket's
 * region (./elasticache-s3-access.ts): in default regions also an ACL grant
 * to ElastiCache's canonical user (ObjectOwnership BucketOwnerPreferred), in
 * opt-in regions the policy alone (ACLs disabled, BucketOwnerEnforced).
 */

/** What ElastiCache in the bucket's region may do with it. */
export type ElastiCacheBucketAccess = 'export' | 'seed';

/** Props for {@link RecoveryBucket}. */
export interface RecoveryBucketProps {
  /** Deployment name (config `name`), part of the bucket name. */
  readonly deployment: string;
  /** Plans whose copies live here: one lifecycle rule per plan and tier. */
  readonly plans: readonly PlanConfig[];
  /**
   * `export`: ElastiCache writes exports (CopySnapshot TargetBucket).
   * `seed`: ElastiCache reads `.rdb` objects to seed new clusters.
   */
  readonly elastiCacheAccess: ElastiCacheBucketAccess;
  /**
   * How ElastiCache is let in (config `dr.elastiCacheBucketAccess`).
   * @default - by the bucket's region: `acl` in default regions, `bucket-policy` in opt-in regions
   */
  readonly elastiCacheAccessRoute?: ElastiCacheBucketAccessRoute;
  /**
   * Log retention of the deploy-time function that sets the bucket ACL (the `acl` route).
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
  /** Where server access logs go. */
  readonly accessLogs: s3.IBucket;
  /**
   * Object Lock default retention (only at bucket creation).
   * @default - no Object Lock
   */
  readonly objectLock?: { readonly mode: 'GOVERNANCE' | 'COMPLIANCE'; readonly days: number };
  /**
   * Send object events to EventBridge (the verify-rdb function listens there).
   * @default false
   */
  readonly eventBridgeEnabled?: boolean;
  /**
   * S3 replication of every object to this bucket.
   * @default - no replication
   */
  readonly replicateTo?: {
    readonly bucket: s3.IBucket;
    /** Region of the destination bucket. */
    readonly region: string;
    /** 15-minute Replication Time Control (turns metrics on too). */
    readonly timeControl: boolean;
    readonly metrics: boolean;
    /**
     * The destination has Object Lock (config `dr.objectLock`): the replication role must read each
     * source version's retention and legal hold.
     * @default false
     */
    readonly objectLocked?: boolean;
  };
  /**
   * A second replication rule, into the vault bucket of another account
   * (config `vault`): replicas owned by the vault account, delete markers not
   * replicated. Needs `replicateTo`.
   * @default - no vault
   */
  readonly replicateToVault?: VaultReplication & {
    /**
     * An organization's vault: only this prefix (`<account>/<region>/`, where the export function copies each
     * finished export) replicates into it, and only ElastiCache's exports (`rdr-`) to the DR bucket.
     * @default - everything to both
     */
    readonly prefix?: string;
  };
  /**
   * Replication of the objects under the rules' prefixes only (the DR
   * reports, `reports/`, and the drills' signed records, `drills/`: {@link DR_EVIDENCE_REPLICATION_RULES};
   * an organization's vault: `<account>/<region>/`) into the vault bucket of
   * another account (config `vault`), a rule per prefix: the vault's default
   * COMPLIANCE retention then locks them like the replicas. The role reads
   * and writes only under the prefixes. For the DR bucket, which has no
   * `replicateTo`.
   * @default - nothing of this bucket replicates to the vault
   */
  readonly replicatePrefixToVault?: VaultReplication & { readonly rules: readonly PrefixReplicationRule[] };
}

/** Where the vault bucket is (config `vault`). */
export interface VaultReplication {
  /** The vault account. */
  readonly account: string;
  /** The vault bucket's region. */
  readonly region: string;
  /**
   * The deployment the vault belongs to (config `vault.deployment`: an organization's vault, named by the organization).
   * @default - this bucket's deployment
   */
  readonly deployment?: string;
  /** 15-minute Replication Time Control on this rule. */
  readonly timeControl: boolean;
}

const S3_LOGS_USE_BUCKET_POLICY = '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy';

/** Id of the export → DR replication rule (the replication metrics' `RuleId`). */
export const REPLICATION_RULE_ID = 'to-dr-region';
/** Id of the export → vault replication rule. */
export const VAULT_REPLICATION_RULE_ID = 'to-vault';
/** Id of the DR bucket's `reports/` → vault replication rule (an organization's vault: its `<account>/<region>/` rule). */
export const REPORTS_REPLICATION_RULE_ID = 'reports-to-vault';
/** Id of the DR bucket's `drills/` → vault replication rule (the drills' signed records, docs/attest.md). */
export const DRILLS_REPLICATION_RULE_ID = 'drills-to-vault';

/** One rule of the DR bucket's replication into the vault: its id and the prefix it takes. */
export interface PrefixReplicationRule {
  readonly id: string;
  readonly prefix: string;
  /**
   * `prefix` as cdk-nag prints it in finding ids, when it holds the stack's account or region (an account-agnostic
   * stack's `<AWS::AccountId>/<AWS::Region>/`: an organization's member stacks).
   * @default prefix
   */
  readonly nagPrefix?: string;
}

/**
 * What the DR bucket replicates into a vault that lists its accounts: the
 * scheduled reports and the drills' signed records (and their chains' heads,
 * the newest records), each prefix a rule. An organization's vault takes the
 * account's `<account>/<region>/` instead, where the writers keep a copy.
 */
export const DR_EVIDENCE_REPLICATION_RULES: readonly PrefixReplicationRule[] = [
  { id: REPORTS_REPLICATION_RULE_ID, prefix: REPORTS_PREFIX },
  { id: DRILLS_REPLICATION_RULE_ID, prefix: DRILL_EVIDENCE_PREFIX },
];
/**
 * What a replication role reads of each source version it replicates
 * (S3's replication setup guide), besides {@link LOCKED_REPLICATION_SOURCE_ACTIONS}.
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/setting-repl-config-perm-overview.html
 */
export const REPLICATION_SOURCE_OBJECT_ACTIONS = ['s3:GetObjectVersionForReplication', 's3:GetObjectVersionAcl', 's3:GetObjectVersionTagging'] as const;

/** How long a version stays after it stopped being current (a deletion or lifecycle expiry), for fat-finger recovery. */
export const NONCURRENT_VERSION_DAYS = 7;
/**
 * What S3's Object Lock guide requires of a replication role whose destination
 * has Object Lock, on the source objects: without them the first object's
 * replication fails (the vault is always locked; the DR bucket with `dr.objectLock`).
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-managing.html#object-lock-managing-replication
 */
export const LOCKED_REPLICATION_SOURCE_ACTIONS = ['s3:GetObjectRetention', 's3:GetObjectLegalHold'] as const;

/** Multipart uploads left unfinished (an export that died) are cleaned up after this many days. */
export const ABORT_INCOMPLETE_UPLOAD_DAYS = 7;

/**
 * The deterministic name of a deployment's recovery bucket in `region`:
 * `redis-dr-<deployment>-<account>-<region>` (at most 24 + 12 + 14 + 11 = 61
 * characters). Both stacks compute the DR bucket's name the same way, so the
 * primary stack replicates to it without a cross-region reference, and the
 * CLI and the DR drill find it from the config alone.
 */
export function recoveryBucketName(scope: Construct, deployment: string, region: string): string {
  return bucketName(deployment, Stack.of(scope).account, region);
}

/** The ElastiCache service principal that reads and writes snapshots in S3 in `region`. */
export function elastiCacheSnapshotPrincipal(region: string): iam.ServicePrincipal {
  // Regional form: required in opt-in regions, accepted everywhere.
  return new iam.ServicePrincipal(`${region}.elasticache-snapshot.amazonaws.com`);
}

/** Exactly the permissions ElastiCache needs to export to a bucket (docs/dr-copies.md). */
export const EXPORT_BUCKET_ACTIONS = ['s3:ListBucket', 's3:GetBucketAcl', 's3:ListBucketMultipartUploads'] as const;
export const EXPORT_OBJECT_ACTIONS = ['s3:PutObject', 's3:GetObject', 's3:ListMultipartUploadParts'] as const;
/** What ElastiCache needs to seed a cluster from `.rdb` objects. */
export const SEED_BUCKET_ACTIONS = ['s3:ListBucket', 's3:GetBucketAcl'] as const;
export const SEED_OBJECT_ACTIONS = ['s3:GetObject'] as const;

/**
 * S3 object events of `bucket` to EventBridge (a copy's verification starts there). Set on the
 * bucket itself rather than with `eventBridgeEnabled`, which deploys a notifications
 * custom-resource Lambda for the same result.
 */
export function sendObjectEventsToEventBridge(bucket: s3.Bucket): void {
  (bucket.node.defaultChild as s3.CfnBucket).notificationConfiguration = { eventBridgeConfiguration: { eventBridgeEnabled: true } };
}

/** A hardened bucket for exported `.rdb` recovery points. */
export class RecoveryBucket extends Construct {
  /** The bucket. */
  public readonly bucket: s3.Bucket;
  /** How ElastiCache reaches this bucket. */
  public readonly elastiCacheRoute: ElastiCacheBucketAccessRoute;

  constructor(scope: Construct, id: string, props: RecoveryBucketProps) {
    super(scope, id);
    const region = Stack.of(this).region;
    if (Token.isUnresolved(region)) {
      throw new Error(`RecoveryBucket ${this.node.path} needs a stack bound to a region (env.region): ElastiCache's access route depends on it`);
    }
    this.elastiCacheRoute = elastiCacheBucketAccessRoute(region, props.elastiCacheAccessRoute);
    // CDK names the replication role `CDKReplicationRole` unless this flag is on: an account-wide
    // name, so a second deployment (or any other CDK app replicating a bucket) in the account fails
    // on it (aws/aws-cdk#33355). Set here, not only in cdk.json, so the construct is right in any app.
    this.node.setContext(cxapi.SET_UNIQUE_REPLICATION_ROLE_NAME, true);

    const vault = props.replicateToVault ? this.vaultBucket(props.deployment, props.replicateToVault) : undefined;
    if (props.replicateTo && props.replicatePrefixToVault) {
      throw new Error(
        `RecoveryBucket ${this.node.path}: replicatePrefixToVault is for a bucket without replicateTo (the DR bucket); the export bucket replicates everything with replicateToVault`,
      );
    }
    const reports = props.replicatePrefixToVault ? this.vaultBucket(props.deployment, props.replicatePrefixToVault) : undefined;
    const reportsRole = reports
      ? this.replicationRole(
          props.deployment,
          region,
          `redis-dr: S3 replication of ${reports.props.rules.map((r) => r.prefix).join(' and ')} of the DR bucket to the vault account`,
        )
      : undefined;
    const vaultRole = vault
      ? this.replicationRole(props.deployment, region, 'redis-dr: S3 replication of the export bucket to the DR region and to the vault account')
      : undefined;

    this.bucket = new s3.Bucket(this, 'Bucket', {
      ...this.bucketProps(props, region),
      replicationRole: vaultRole ?? reportsRole,
      replicationRules: reports
        ? reports.props.rules.map((rule, i) => prefixReplicationRule(reports.props, rule, i + 1, reports.bucket))
        : props.replicateTo
          ? drReplicationRules(props.replicateTo, vault)
          : undefined,
    });
    if (props.replicateTo) this.grantDrReplication(props.deployment, props.replicateTo, vault, vaultRole);
    if (reportsRole && reports) this.grantPrefixReplication(reportsRole, reports.bucket, props.deployment, reports.props);
    if (props.eventBridgeEnabled) sendObjectEventsToEventBridge(this.bucket);
    this.grantElastiCache(region, props.elastiCacheAccess, props.logRetention);
    this.acknowledgeFindings(props);
  }

  /** The vault account's bucket a replication writes to (imported: it is in another account). */
  private vaultBucket<T extends VaultReplication>(deployment: string, target: T): { props: T; bucket: s3.IBucket } {
    return {
      props: target,
      bucket: s3.Bucket.fromBucketAttributes(this, 'VaultBucket', {
        bucketName: vaultBucketName(deployment, target),
        account: target.account,
        region: target.region,
      }),
    };
  }

  /** The replication role to the vault: a fixed name the vault's policy names (aws:PrincipalArn). */
  private replicationRole(deployment: string, region: string, description: string): iam.Role {
    return new iam.Role(this, 'ReplicationRole', {
      roleName: replicationRoleName(deployment, region),
      assumedBy: new iam.ServicePrincipal('s3.amazonaws.com'),
      description,
    });
  }

  /** The bucket's own settings: versioned, SSE-S3, TLS only, private, logged, the plans' lifecycle, the lock when asked, kept. */
  private bucketProps(props: RecoveryBucketProps, region: string): s3.BucketProps {
    return {
      bucketName: recoveryBucketName(this, props.deployment, region),
      versioned: true,
      // SSE-S3, not KMS: ElastiCache exports cannot use a customer-managed key,
      // and seeding a cluster from S3 requires SSE-S3 objects.
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      // The ACL route needs ACLs enabled; BucketOwnerPreferred keeps objects written with
      // bucket-owner-full-control owned by this account.
      objectOwnership: this.elastiCacheRoute === 'acl' ? s3.ObjectOwnership.BUCKET_OWNER_PREFERRED : s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: props.accessLogs,
      serverAccessLogsPrefix: `${props.deployment}/`,
      lifecycleRules: lifecycleRules(props.plans),
      objectLockEnabled: props.objectLock !== undefined,
      objectLockDefaultRetention: props.objectLock
        ? props.objectLock.mode === 'COMPLIANCE'
          ? s3.ObjectLockRetention.compliance(Duration.days(props.objectLock.days))
          : s3.ObjectLockRetention.governance(Duration.days(props.objectLock.days))
        : undefined,
      // Recovery points outlive the stack: deleting the stack must not delete backups. Except
      // on create (RetainExceptOnCreate): a failed first deploy rolls back an empty bucket, so the
      // retry does not fail on the bucket's fixed name (docs/deploying.md: re-importing a kept bucket).
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    };
  }

  /** The export bucket's replication role: to the DR bucket (and the vault), reading the lock state a locked destination needs. */
  private grantDrReplication(
    deployment: string,
    replicateTo: NonNullable<RecoveryBucketProps['replicateTo']>,
    vault: { props: VaultReplication; bucket: s3.IBucket } | undefined,
    vaultRole: iam.Role | undefined,
  ): void {
    if (vault && vaultRole) {
      // A role of our own (CDK's would have a generated name the vault's policy could not name).
      this.bucket.grantReplicationPermission(vaultRole, {
        destinations: [{ bucket: replicateTo.bucket }, { bucket: vault.bucket }],
      });
    }
    const role = vaultRole ?? (this.bucket.node.findChild('ReplicationRole') as iam.Role);
    if (vault || replicateTo.objectLocked) {
      // Replicas carry the source version's lock state into a locked destination; S3 reads it as the role.
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...LOCKED_REPLICATION_SOURCE_ACTIONS], resources: [this.bucket.arnForObjects('*')] }));
    }
    const { partition, account } = nagPseudoParameters(this);
    Validations.of(role).acknowledge(
      {
        id: `AwsSolutions-IAM5[Resource::${nagArnRef(this.bucket)}/*]`,
        reason: 'S3 replication reads every object version of the export bucket (the role CDK generates for the replication rule).',
      },
      {
        id: `AwsSolutions-IAM5[Resource::arn:${partition}:s3:::${bucketName(deployment, account, replicateTo.region)}/*]`,
        reason: 'S3 replication writes every replicated object into the DR bucket (the role CDK generates for the replication rule).',
      },
    );
    if (vault) {
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:${partition}:s3:::${vaultBucketName(deployment, vault.props)}/*]`,
        reason: 'S3 replication writes every replicated object into the vault bucket and hands it to the vault account (owner override).',
      });
    }
  }

  /** ElastiCache's access to the bucket: the bucket policy (both routes), and the ACL grant on the ACL route. */
  private grantElastiCache(region: string, access: ElastiCacheBucketAccess, logRetention: logs.RetentionDays | undefined): void {
    const principal = elastiCacheSnapshotPrincipal(region);
    const exporting = access === 'export';
    // The policy on both routes: the documented route in opt-in regions, and in default regions
    // what S3's user guide gives as the replacement of ElastiCache's ACL grant ("Prerequisites for
    // disabling ACLs"), so either reading of the guides finds its grant.
    // No aws:SourceAccount condition: ElastiCache's documented bucket policies
    // carry none, and an unsupported condition would silently break exports.
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: exporting ? 'ElastiCacheExportBucket' : 'ElastiCacheSeedBucket',
        principals: [principal],
        actions: [...(exporting ? EXPORT_BUCKET_ACTIONS : SEED_BUCKET_ACTIONS)],
        resources: [this.bucket.bucketArn],
      }),
    );
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: exporting ? 'ElastiCacheExportObjects' : 'ElastiCacheSeedObjects',
        principals: [principal],
        actions: [...(exporting ? EXPORT_OBJECT_ACTIONS : SEED_OBJECT_ACTIONS)],
        resources: [this.bucket.arnForObjects('*')],
      }),
    );
    if (this.elastiCacheRoute === 'acl') {
      new ElastiCacheAclGrant(this, 'ElastiCacheAcl', {
        bucket: this.bucket,
        canonicalUserId: elastiCacheCanonicalUserId(region),
        permissions: ELASTICACHE_ACL_PERMISSIONS[access],
        logRetention: logRetention ?? logs.RetentionDays.THREE_MONTHS,
      });
    }
  }

  /** The cdk-nag findings this bucket answers by design: SSE-S3, and no replication of the DR copy itself. */
  private acknowledgeFindings(props: RecoveryBucketProps): void {
    acknowledgeSseS3(
      this.bucket,
      'SSE-S3 by design: ElastiCache exports cannot be written with a customer-managed KMS key, and seeding a cluster from S3 requires SSE-S3 objects.',
    );
    if (!props.replicateTo && !props.replicatePrefixToVault) {
      acknowledgeNoReplication(
        this.bucket,
        'This is the DR region copy, itself the replica of the export bucket; the copy beyond it is the vault account (config vault), replicated from the export bucket.',
      );
    }
  }

  /**
   * The prefix replication role's permissions, written out rather than
   * `grantReplicationPermission` (which reads every object): the bucket's
   * replication configuration and listing, each source version under
   * `prefixes` with its ACL, tags, retention and legal hold (the vault is
   * locked: S3 reads them to replicate into it), and in the vault only
   * writing replicas under `prefixes` handed to the vault account.
   */
  private grantPrefixReplication(
    role: iam.Role,
    vault: s3.IBucket,
    deployment: string,
    target: NonNullable<RecoveryBucketProps['replicatePrefixToVault']>,
  ): void {
    const prefixes = target.rules.map((r) => r.prefix);
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetReplicationConfiguration', 's3:ListBucket'], resources: [this.bucket.bucketArn] }));
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [...REPLICATION_SOURCE_OBJECT_ACTIONS, ...LOCKED_REPLICATION_SOURCE_ACTIONS],
        resources: prefixes.map((prefix) => this.bucket.arnForObjects(`${prefix}*`)),
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: [...VAULT_PREFIX_REPLICATION_ACTIONS], resources: prefixes.map((prefix) => vault.arnForObjects(`${prefix}*`)) }),
    );
    const { partition } = nagPseudoParameters(this);
    for (const { prefix, nagPrefix = prefix } of target.rules)
      Validations.of(role).acknowledge(
        {
          id: `AwsSolutions-IAM5[Resource::${nagArnRef(this.bucket)}/${nagPrefix}*]`,
          reason: `S3 replication reads each version under ${prefix} (files named by period, date or place in a chain), nothing else of the bucket.`,
        },
        {
          id: `AwsSolutions-IAM5[Resource::arn:${partition}:s3:::${vaultBucketName(deployment, target)}/${nagPrefix}*]`,
          reason: `S3 replication writes ${prefix} into the vault bucket and hands it to the vault account, nothing else of the vault.`,
        },
      );
  }
}

/** The DR bucket's rule `rule`: its prefix only, to the vault, owned by the vault account there. */
function prefixReplicationRule(target: VaultReplication, rule: PrefixReplicationRule, priority: number, destination: s3.IBucket): s3.ReplicationRule {
  return {
    id: rule.id,
    destination,
    priority,
    filter: { prefix: rule.prefix },
    // Deletions in the workload account never reach the vault.
    deleteMarkerReplication: false,
    // Owned by the vault account once there: the workload account keeps no ACL on them.
    accessControlTransition: true,
    replicationTimeControl: target.timeControl ? s3.ReplicationTimeValue.FIFTEEN_MINUTES : undefined,
    metrics: target.timeControl ? s3.ReplicationTimeValue.FIFTEEN_MINUTES : undefined,
  };
}

/** The export bucket's rules: everything to the DR bucket, and with a vault, everything to it too. */
function drReplicationRules(
  replicateTo: NonNullable<RecoveryBucketProps['replicateTo']>,
  vault: { props: VaultReplication & { readonly prefix?: string }; bucket: s3.IBucket } | undefined,
): s3.ReplicationRule[] {
  const prefix = vault?.props.prefix;
  return [
    {
      id: REPLICATION_RULE_ID,
      destination: replicateTo.bucket,
      priority: 1,
      // With an organization's vault, the copies under the account's prefix are the vault's alone: the DR bucket gets the exports.
      ...(prefix !== undefined ? { filter: { prefix: SNAPSHOT_PREFIX } } : {}),
      // The DR copy keeps its own lifecycle: deletions here are not mirrored.
      deleteMarkerReplication: false,
      replicationTimeControl: replicateTo.timeControl ? s3.ReplicationTimeValue.FIFTEEN_MINUTES : undefined,
      metrics: replicateTo.timeControl || replicateTo.metrics ? s3.ReplicationTimeValue.FIFTEEN_MINUTES : undefined,
    },
    ...(vault
      ? [
          {
            id: VAULT_REPLICATION_RULE_ID,
            destination: vault.bucket,
            priority: 2,
            ...(prefix !== undefined ? { filter: { prefix } } : {}),
            // Deletions in the workload account never reach the vault.
            deleteMarkerReplication: false,
            // Replicas are owned by the vault account: the workload account keeps no ACL on them.
            accessControlTransition: true,
            replicationTimeControl: vault.props.timeControl ? s3.ReplicationTimeValue.FIFTEEN_MINUTES : undefined,
            // Always: OperationsFailedReplication of this rule pages (replication-failed-vault), with or without RTC.
            metrics: s3.ReplicationTimeValue.FIFTEEN_MINUTES,
          },
        ]
      : []),
  ];
}

/** What a prefix replication role may do in the vault: write replicas (no tags: the reports carry none) and hand them to the vault account. */
export const VAULT_PREFIX_REPLICATION_ACTIONS = ['s3:ReplicateObject', 's3:ObjectOwnerOverrideToBucketOwner'] as const;

/**
 * Role and log group of the CDK's AwsCustomResource provider function, once
 * per stack (the provider is a stack singleton, and takes the role and log
 * group of the first AwsCustomResource): no AWS managed policy, logs with
 * retention.
 */
class AclProviderIdentity extends Construct {
  static of(scope: Construct, logRetention: logs.RetentionDays): AclProviderIdentity {
    const stack = Stack.of(scope);
    return (
      (stack.node.tryFindChild('ElastiCacheAclProvider') as AclProviderIdentity | undefined) ??
      new AclProviderIdentity(stack, 'ElastiCacheAclProvider', logRetention)
    );
  }

  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  private constructor(scope: Construct, id: string, logRetention: logs.RetentionDays) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: logRetention, removalPolicy: RemovalPolicy.DESTROY });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'redis-dr: set the ElastiCache grant in recovery bucket ACLs (deploy time)',
    });
    this.role.addToPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [this.logGroup.logGroupArn] }));
  }
}

/** Props for {@link ElastiCacheAclGrant}. */
interface ElastiCacheAclGrantProps {
  readonly bucket: s3.Bucket;
  readonly canonicalUserId: string;
  readonly permissions: readonly ('READ' | 'WRITE' | 'READ_ACP')[];
  readonly logRetention: logs.RetentionDays;
}

/**
 * The bucket ACL of the `acl` route: the owner's FULL_CONTROL kept, plus
 * ElastiCache's canonical user with `permissions`. CloudFormation can only
 * set canned ACLs on a bucket, none of which names another canonical user, so
 * two deploy-time SDK calls do it: GetBucketAcl (the owner's canonical id,
 * which PutBucketAcl must repeat), then PutBucketAcl with the whole ACL. A
 * failing call fails the deploy. The grant stays when the stack is deleted,
 * like the bucket.
 * @see https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketAcl.html
 */
class ElastiCacheAclGrant extends Construct {
  constructor(scope: Construct, id: string, props: ElastiCacheAclGrantProps) {
    super(scope, id);
    const { bucket } = props;
    const { role, logGroup } = AclProviderIdentity.of(this, props.logRetention);
    const common = { role, logGroup, installLatestAwsSdk: false, timeout: Duration.minutes(2) };
    const owner = new cr.AwsCustomResource(this, 'ReadOwner', {
      ...common,
      onUpdate: {
        service: 'S3',
        action: 'GetBucketAcl',
        parameters: { Bucket: bucket.bucketName },
        physicalResourceId: cr.PhysicalResourceId.of(`${bucket.node.path}/owner`),
        outputPaths: ['Owner.ID'],
      },
      policy: cr.AwsCustomResourcePolicy.fromStatements([new iam.PolicyStatement({ actions: ['s3:GetBucketAcl'], resources: [bucket.bucketArn] })]),
    });
    const ownerId = owner.getResponseField('Owner.ID');
    const grant = (id: string, permission: string) => ({ Grantee: { Type: 'CanonicalUser', ID: id }, Permission: permission });
    const put = new cr.AwsCustomResource(this, 'PutAcl', {
      ...common,
      onUpdate: {
        service: 'S3',
        action: 'PutBucketAcl',
        parameters: {
          Bucket: bucket.bucketName,
          AccessControlPolicy: {
            Owner: { ID: ownerId },
            Grants: [grant(ownerId, 'FULL_CONTROL'), ...props.permissions.map((p) => grant(props.canonicalUserId, p))],
          },
        },
        physicalResourceId: cr.PhysicalResourceId.of(`${bucket.node.path}/elasticache-acl`),
      },
      policy: cr.AwsCustomResourcePolicy.fromStatements([new iam.PolicyStatement({ actions: ['s3:PutBucketAcl'], resources: [bucket.bucketArn] })]),
    });
    put.node.addDependency(owner);
  }
}

/**
 * One expiry rule per plan and tier, filtered on the object tags the export
 * function writes (`redis-dr:plan` and `redis-dr:tier`); untagged objects
 * (an export not yet finalized) are never expired. Plus housekeeping:
 * noncurrent versions, orphaned delete markers and abandoned uploads.
 */
export function lifecycleRules(plans: readonly PlanConfig[]): s3.LifecycleRule[] {
  const rules: s3.LifecycleRule[] = [];
  for (const plan of plans) {
    for (const tier of TIERS) {
      const archive = tier === 'monthly' ? plan.export.archiveMonthlyAfterDays : undefined;
      const expire = plan.export.expireDays[tier];
      rules.push({
        id: `${plan.name}-${tier}`,
        tagFilters: { [TAGS.plan]: plan.name, [TAGS.tier]: tier },
        expiration: Duration.days(expire),
        transitions:
          archive !== undefined && archive < expire
            ? [{ storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL, transitionAfter: Duration.days(archive) }]
            : undefined,
      });
    }
  }
  rules.push({
    id: 'housekeeping',
    noncurrentVersionExpiration: Duration.days(NONCURRENT_VERSION_DAYS),
    abortIncompleteMultipartUploadAfter: Duration.days(ABORT_INCOMPLETE_UPLOAD_DAYS),
  });
  rules.push({ id: 'orphaned-delete-markers', expiredObjectDeleteMarker: true });
  // A vault drill deletes its seed copy on every path of its state machine; only an execution stopped from
  // outside (its own timeout, a StopExecution) skips that, and this backstop removes what it left after
  // longer than any drill runs (drill.maxHours is at most a day).
  rules.push({ id: 'drill-seed-copies', prefix: SEED_COPY_PREFIX, expiration: Duration.days(SEED_COPY_EXPIRE_DAYS) });
  return rules;
}

/** Days after which a vault drill's seed copy left in the DR bucket expires (the lifecycle backstop). */
export const SEED_COPY_EXPIRE_DAYS = 3;

/** Props for {@link AccessLogBucket}. */
export interface AccessLogBucketProps {
  /**
   * Days access logs are kept.
   * @default 365
   */
  readonly retentionDays?: number;
}

/** Server access logs of the recovery buckets in one region. */
export class AccessLogBucket extends Construct {
  /** The bucket. */
  public readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: AccessLogBucketProps = {}) {
    super(scope, id);
    // Log delivery is granted by this bucket's policy, not an ACL (ACLs are off:
    // BucketOwnerEnforced). The bucket reads this flag; set here, not only in
    // cdk.json, so the construct is right in any app.
    this.node.setContext(S3_LOGS_USE_BUCKET_POLICY, true);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      lifecycleRules: [{ id: 'expire', expiration: Duration.days(props.retentionDays ?? 365), noncurrentVersionExpiration: Duration.days(1) }],
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This bucket receives the server access logs of the recovery buckets; logging it to itself would loop.',
    });
    acknowledgeSseS3(this.bucket, 'S3 server access logging delivers only to buckets encrypted with SSE-S3 (SSE-KMS destinations are not supported).');
    acknowledgeNoReplication(
      this.bucket,
      "Server access logs of this region's recovery bucket: an audit trail of requests, not recovery data, kept in the region it describes.",
    );
  }
}
