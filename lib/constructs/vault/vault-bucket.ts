import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { acknowledgeNoReplication, acknowledgeSseS3 } from '../../nag/recovery-storage-checks.js';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { VaultConfig } from '../../config/index.js';
import { recoveryBucketName, replicationRoleName, vaultDrillRoleNames } from '../../deployment.js';
import { type VaultTierDays, vaultReplicaDays, vaultTierDays } from '../../../lambdas/domain/vault/vault-retention.js';
import { VAULT_SCRUB_RECORDS_PREFIX } from '../../../lambdas/domain/scrub/input.js';
import { VAULT_VERDICT_PREFIX } from '../../../lambdas/domain/vault/vault-verdict.js';
import { VERDICT_CHAIN_PREFIX } from '../../../lambdas/domain/points/verdict-objects.js';
import { denyChainRecordReplacement, VERDICT_PUT_KIN } from '../verdict-guard.js';
import { VAULT_PREFIX_REPLICATION_ACTIONS } from '../recovery-bucket.js';
import { grantOrganization } from './org-grants.js';

/** Props for {@link VaultBucket}. */
export interface VaultBucketProps {
  /** Deployment name (config `name`), part of the bucket name. */
  readonly deployment: string;
  /** The vault settings (config `vault`). */
  readonly vault: VaultConfig;
  /** The workload accounts whose replication role may write replicas (config `vault.workloadAccounts`, default `primary.account`). */
  readonly workloadAccounts: readonly string[];
  /** The region of the workload accounts' export buckets and replication roles (config `primary.region`): part of the role's name. */
  readonly replicationRegion: string;
  /** Where server access logs go. */
  readonly accessLogs: s3.IBucket;
  /**
   * Workload accounts whose DR drills seed from the vault (plans with
   * `drill.fromVault`): their drill roles may read replicas, nothing more
   * (the drill seeds from a copy in its own account's DR bucket).
   * @default - none: nothing of any workload account reads the vault
   */
  readonly drillAccounts?: readonly string[];
  /**
   * The DR region, when the DR bucket replicates its evidence (`prefixes`: the reports, the drills' signed records)
   * into the vault: its replication role (a fixed name, per workload account) may write replicas there and nowhere else.
   * @default - no evidence replicates into the vault
   */
  readonly reportsFrom?: { readonly region: string; readonly prefixes: readonly string[] };
  /**
   * The region the vault drills run in (config `dr.region`, which equals `vault.region` for them): part of the drill roles' names.
   * @default - the vault's region
   */
  readonly drillRegion?: string;
  /**
   * With `vault.organizationId`: the DR drills of every deployment whose name starts with this one's (an
   * organization's member stacks, `<org name>-<group>`) seed from the vault, so the grant takes their drill roles by
   * pattern (`redis-dr-<deployment>*-vault-select-<drill region>`, `…-vault-seed-…`), each under its own account's
   * prefix only, whatever `drillAccounts` says.
   * @default false
   */
  readonly memberDrills?: boolean;
}

/** What the replication role of a workload account may do in the vault: write replicas and their tags, hand them to the vault account. */
export const VAULT_REPLICATION_OBJECT_ACTIONS = ['s3:ReplicateObject', 's3:ReplicateTags', 's3:ObjectOwnerOverrideToBucketOwner'] as const;
/**
 * What S3 replication reads of the destination bucket itself: granted to every
 * principal of the workload accounts (read-only), since the Primary stack's
 * deployer may be the one S3 checks when it sets up the rule.
 */
export const VAULT_REPLICATION_BUCKET_ACTIONS = ['s3:GetBucketVersioning', 's3:GetBucketObjectLockConfiguration'] as const;
/**
 * What a workload account's drill roles may do in the vault (plans with
 * `drill.fromVault`): list the replicas, read them and their verdict objects,
 * a named version of them (the seed copy copies the verified version into
 * the DR bucket), their tags and their retention (the report says until
 * when). Read only.
 */
export const VAULT_DRILL_OBJECT_ACTIONS = ['s3:GetObject', 's3:GetObjectVersion', 's3:GetObjectTagging', 's3:GetObjectRetention'] as const;
export const VAULT_DRILL_BUCKET_ACTIONS = ['s3:ListBucket'] as const;
/** What nobody may do in {@link VAULT_VERDICT_PREFIX}, the verifier included: replicate objects or tags into it. */
export const VAULT_VERDICT_DENIED_ACTIONS = ['s3:ReplicateObject', 's3:ReplicateTags'] as const;
/** The `s3:PutObject*` actions other than PutObject: nobody's in the verdict prefix (the verifier only puts verdicts). */
export const VAULT_VERDICT_DENIED_PUTS = VERDICT_PUT_KIN;
/**
 * What nobody may do to a replica, whoever asks (also the vault account's
 * administrators): delete a version, delete or replicate a deletion, lift a
 * retention. COMPLIANCE mode already refuses deleting a locked version and
 * shortening its retention; the policy states it, and covers versions whose
 * retention has ended until the lifecycle expires them.
 */
export const VAULT_DENIED_OBJECT_ACTIONS = ['s3:DeleteObject', 's3:DeleteObjectVersion', 's3:ReplicateDelete', 's3:BypassGovernanceRetention'] as const;

/**
 * The vault bucket in the vault account: versioned, Object Lock COMPLIANCE
 * with a default retention, written only by S3 replication from the named
 * workload accounts' replication roles, readable by nothing of theirs but
 * the drill roles of `drillAccounts` (plans with `drill.fromVault`: read
 * only), deletable by nobody, TLS only. Named like the recovery buckets
 * (`redis-dr-<deployment>-<vault account>-<region>`), so the workload
 * account's replication rule names it without a cross-account reference.
 */
export class VaultBucket extends Construct {
  /** The bucket. */
  public readonly bucket: s3.Bucket;
  /** ARNs of the replication roles allowed to write. */
  public readonly writerRoleArns: readonly string[];
  /** ARNs of the DR buckets' replication roles allowed to write reports (`reportsFrom`); empty without. */
  public readonly reportWriterRoleArns: readonly string[];
  /** ARNs of the drill roles allowed to read replicas (plans with `drill.fromVault`); empty without. */
  public drillRoleArns: readonly string[] = [];

  constructor(scope: Construct, id: string, props: VaultBucketProps) {
    super(scope, id);
    const { vault } = props;
    this.bucket = new s3.Bucket(this, 'Bucket', {
      bucketName: recoveryBucketName(props.deployment, vault.account, vault.region),
      versioned: true,
      // SSE-S3: replicas keep their source's SSE-S3 whatever the default (S3's replication guide), and the
      // verdict objects stay readable by the workload account's drills without a cross-account key grant.
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      // Replicas are handed to this account (owner override); no ACL of another account survives.
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: props.accessLogs,
      serverAccessLogsPrefix: `${props.deployment}-vault/`,
      objectLockEnabled: true,
      objectLockDefaultRetention: s3.ObjectLockRetention.compliance(Duration.days(vault.retentionDays)),
      lifecycleRules: vaultLifecycleRules(vaultTierDays(vault.retentionDays, vault.tierRetentionDays)),
      // The vault outlives every stack.
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });

    if (vault.organizationId !== undefined) {
      // An organization: grants by aws:PrincipalOrgID, each account under its own prefix (org-grants.ts).
      this.writerRoleArns = [];
      this.reportWriterRoleArns = [];
      grantOrganization(this.bucket, {
        organizationId: vault.organizationId,
        vaultAccount: vault.account,
        // Every deployment whose name starts with this one's (config vault.deployment: an organization's member stacks).
        replicationRoleName: replicationRoleName(`${props.deployment}*`, props.replicationRegion),
        reportRoleName: props.reportsFrom ? replicationRoleName(`${props.deployment}*`, props.reportsFrom.region) : undefined,
        drillRoleNames: props.memberDrills
          ? Object.values(vaultDrillRoleNames(`${props.deployment}*`, props.drillRegion ?? vault.region))
          : props.drillAccounts?.length
            ? Object.values(vaultDrillRoleNames(props.deployment, props.drillRegion ?? vault.region))
            : undefined,
        replicationActions: VAULT_REPLICATION_OBJECT_ACTIONS,
        bucketSettingsActions: VAULT_REPLICATION_BUCKET_ACTIONS,
        drillObjectActions: VAULT_DRILL_OBJECT_ACTIONS,
      });
    } else {
      const listed = this.grantAccounts(props);
      this.writerRoleArns = listed.writerRoleArns;
      this.reportWriterRoleArns = listed.reportWriterRoleArns;
    }
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'NobodyDeletesReplicas',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: [...VAULT_DENIED_OBJECT_ACTIONS],
        resources: [this.bucket.arnForObjects('*')],
      }),
    );
    // Listed accounts' drills (after the deny, where they always were: the golden templates keep their order).
    if (vault.organizationId === undefined && props.drillAccounts && props.drillAccounts.length > 0)
      this.grantDrillReads(props.deployment, props.drillRegion ?? vault.region, props.drillAccounts);
    acknowledgeSseS3(
      this.bucket,
      'SSE-S3 by design: replicas keep the SSE-S3 of their sources (ElastiCache cannot export with a customer-managed key, and seeds only from SSE-S3 objects), and S3 does not re-encrypt SSE-S3 sources with a destination key.',
    );
    acknowledgeNoReplication(
      this.bucket,
      "The vault is itself the replica (of the export bucket, and of the DR bucket's reports), locked under COMPLIANCE in an account of its own: a further copy would add an account to secure, not a protection.",
    );
  }

  /** The vault granted to the listed workload accounts (`vault.workloadAccounts`): each account's roles by aws:PrincipalArn. */
  private grantAccounts(props: VaultBucketProps): { writerRoleArns: string[]; reportWriterRoleArns: string[] } {
    const stack = Stack.of(this);
    const writerRoleArns = props.workloadAccounts.map((account) =>
      stack.formatArn({ service: 'iam', region: '', account, resource: 'role', resourceName: replicationRoleName(props.deployment, props.replicationRegion) }),
    );
    // Principals are the accounts, narrowed to the one role by aws:PrincipalArn: a bucket policy naming
    // a role directly is refused while the role does not exist yet, and the vault is deployed first.
    const writers = props.workloadAccounts.map((account) => new iam.AccountPrincipal(account));
    const onlyTheRoles = { ArnEquals: { 'aws:PrincipalArn': [...writerRoleArns] } };
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'ReplicasFromWorkloadAccounts',
        principals: writers,
        actions: [...VAULT_REPLICATION_OBJECT_ACTIONS],
        resources: [this.bucket.arnForObjects('*')],
        conditions: onlyTheRoles,
      }),
    );
    // Read-only bucket settings to every principal of the workload accounts, not only the replication role: S3
    // documents no single caller that reads them when the Primary stack sets up replication into this bucket
    // (the replication role, or the principal calling PutBucketReplication: CloudFormation's execution role).
    // Bucket-level reads of versioning and the lock configuration only; no object, no write.
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'WorkloadAccountsReadBucketSettings',
        principals: writers,
        actions: [...VAULT_REPLICATION_BUCKET_ACTIONS],
        resources: [this.bucket.bucketArn],
      }),
    );
    // The DR evidence (reports, drill records): the DR bucket's replication role of each workload account writes those prefixes only.
    const reports = props.reportsFrom;
    const reportWriterRoleArns = reports
      ? props.workloadAccounts.map((account) =>
          stack.formatArn({ service: 'iam', region: '', account, resource: 'role', resourceName: replicationRoleName(props.deployment, reports.region) }),
        )
      : [];
    if (reports) {
      this.bucket.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'ReportsFromWorkloadAccounts',
          principals: writers,
          actions: [...VAULT_PREFIX_REPLICATION_ACTIONS],
          resources: reports.prefixes.map((prefix) => this.bucket.arnForObjects(`${prefix}*`)),
          conditions: { ArnEquals: { 'aws:PrincipalArn': [...reportWriterRoleArns] } },
        }),
      );
    }
    return { writerRoleArns, reportWriterRoleArns };
  }

  /**
   * Reserves {@link VAULT_VERDICT_PREFIX} for the vault verifier's verdict
   * objects, and the vault's verdict chain (docs/attest.md) for their signed
   * records: S3 replication copies tags (and objects of any key) from the
   * workload account, so nothing it can write may land there. Denied to
   * everyone: replicating objects or tags into the prefixes, and every
   * `s3:PutObject*` there but PutObject; PutObject to everyone but the
   * verifier's role (aws:PrincipalArn); a chain record put over another
   * (without If-None-Match) to everyone, the verifier too.
   */
  reserveVerdicts(verifier: iam.IRole): void {
    this.reservePrefix([VAULT_VERDICT_PREFIX, VERDICT_CHAIN_PREFIX.vault], verifier, {
      writer: 'OnlyTheVerifierWritesVerdicts',
      putOnly: 'VerdictsArePutOnly',
    });
    denyChainRecordReplacement(this.bucket, 'vault');
  }

  /**
   * Reserves {@link VAULT_SCRUB_RECORDS_PREFIX} for the vault scrub's records,
   * as {@link reserveVerdicts} does the verdicts: nothing replicated from a
   * workload account can pose as a scrub run there, and only the scrub's role puts.
   */
  reserveScrubRecords(scrub: iam.IRole): void {
    this.reservePrefix([VAULT_SCRUB_RECORDS_PREFIX], scrub, { writer: 'OnlyTheScrubWritesScrubRecords', putOnly: 'ScrubRecordsArePutOnly' });
  }

  /** `prefixes` denied to replication (objects and tags) and every put but PutObject, and PutObject to all but `writer`. */
  private reservePrefix(prefixes: readonly string[], writer: iam.IRole, sids: { readonly writer: string; readonly putOnly: string }): void {
    const resources = prefixes.map((prefix) => this.bucket.arnForObjects(`${prefix}*`));
    const everyone = [new iam.AnyPrincipal()];
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: sids.writer,
        effect: iam.Effect.DENY,
        principals: everyone,
        actions: ['s3:PutObject*', ...VAULT_VERDICT_DENIED_ACTIONS],
        resources,
        conditions: { ArnNotEquals: { 'aws:PrincipalArn': writer.roleArn } },
      }),
    );
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: sids.putOnly,
        effect: iam.Effect.DENY,
        principals: everyone,
        actions: [...VAULT_VERDICT_DENIED_ACTIONS, ...VAULT_VERDICT_DENIED_PUTS],
        resources,
      }),
    );
  }

  /**
   * Drills from the vault read replicas, never write or delete them: the
   * named accounts' select and seed-copy roles (by aws:PrincipalArn, fixed
   * names, as the replication role) list and read replicas with their tags,
   * versions and retention. ElastiCache itself is granted nothing here: the
   * drill cluster is seeded from a copy in its own account's DR bucket, the
   * route ElastiCache's seeding guide documents.
   */
  private grantDrillReads(deployment: string, drillRegion: string, accounts: readonly string[]): void {
    const stack = Stack.of(this);
    const names = vaultDrillRoleNames(deployment, drillRegion);
    this.drillRoleArns = accounts.flatMap((account) =>
      [names.seedCopy, names.select].map((name) => stack.formatArn({ service: 'iam', region: '', account, resource: 'role', resourceName: name })),
    );
    const readers = accounts.map((account) => new iam.AccountPrincipal(account));
    const onlyTheRoles = { ArnEquals: { 'aws:PrincipalArn': [...this.drillRoleArns] } };
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DrillsReadReplicas',
        principals: readers,
        actions: [...VAULT_DRILL_OBJECT_ACTIONS],
        resources: [this.bucket.arnForObjects('*')],
        conditions: onlyTheRoles,
      }),
    );
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DrillsListReplicas',
        principals: readers,
        actions: [...VAULT_DRILL_BUCKET_ACTIONS],
        resources: [this.bucket.bucketArn],
        conditions: onlyTheRoles,
      }),
    );
  }
}

/**
 * Expiry of every replica a day after the longest tier's lock ends, whatever
 * its tier. Not by tier tag: tags replicate from the workload account, so
 * whoever holds it could re-tag an old replica to a short tier and have the
 * lifecycle lay a delete marker over a version still locked, hiding it from
 * every listing (review of issue 28). Shorter tiers cost their storage until
 * then; their locks still end at their tier's days.
 */
export function vaultLifecycleRules(days: VaultTierDays): s3.LifecycleRule[] {
  return [
    {
      id: 'expire-after-retention',
      expiration: Duration.days(vaultReplicaDays(days)),
      noncurrentVersionExpiration: Duration.days(1),
      abortIncompleteMultipartUploadAfter: Duration.days(7),
    },
    // The expiry above leaves a delete marker over each replica; once the noncurrent version is gone the marker
    // is alone and would stay forever (listed, counted). A rule of its own: S3 refuses ExpiredObjectDeleteMarker
    // beside Days or Date in one Expiration (API LifecycleExpiration).
    { id: 'expired-delete-markers', expiredObjectDeleteMarker: true },
  ];
}
