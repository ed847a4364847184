import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { VAULT_VERDICT_PREFIX } from '../../../lambdas/domain/vault/vault-verdict.js';
import { VAULT_PREFIX_REPLICATION_ACTIONS } from '../recovery-bucket.js';

/**
 * The prefix each account of the organization owns in the vault: its account
 * id, as IAM resolves it for the caller (`${aws:PrincipalAccount}`), so the
 * policy names no account and every account names only its own prefix.
 */
// biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable, resolved by IAM per request
export const OWN_ACCOUNT_PREFIX = '${aws:PrincipalAccount}/';

/** What an account of the organization may write, and no account may write outside its prefix. */
export const ORG_WRITE_ACTIONS = ['s3:ReplicateObject', 's3:ReplicateTags', 's3:ObjectOwnerOverrideToBucketOwner', 's3:PutObject'] as const;

/** Props of {@link grantOrganization}. */
export interface OrganizationGrants {
  /** `vault.organizationId`. */
  readonly organizationId: string;
  /** The vault account: its own principals (the verifier writing verdicts) are not held to a prefix. */
  readonly vaultAccount: string;
  /**
   * The export buckets' replication role name (the same in every account: `redis-dr-<deployment>-replication-<region>`),
   * or an `ArnLike` pattern of names (`redis-dr-<deployment>*-replication-<region>`: every deployment sharing the vault).
   */
  readonly replicationRoleName: string;
  /** The DR buckets' replication role name (or pattern), when reports replicate into the vault. */
  readonly reportRoleName?: string;
  /** The drill roles' names, when drills seed from the vault. */
  readonly drillRoleNames?: readonly string[];
  /** Object actions the replication role needs (the vault bucket's own list). */
  readonly replicationActions: readonly string[];
  /** Bucket settings every account's deployer reads when it sets up replication. */
  readonly bucketSettingsActions: readonly string[];
  /** Object and bucket reads of a drill. */
  readonly drillObjectActions: readonly string[];
}

/** `arn:<partition>:iam::*:role/<name>`: the role of that name in any account (the organization condition bounds which). */
const anyAccountRole = (bucket: s3.Bucket, name: string): string => `arn:${bucket.stack.partition}:iam::*:role/${name}`;

/**
 * The vault granted to an organization (`vault.organizationId`) instead of
 * a list of accounts: every statement holds `aws:PrincipalOrgID`, so the
 * policy's size does not grow with the accounts (a list passes S3's 20 KB
 * near 70 of them). Replicas, reports and drill reads live under the
 * caller's own account prefix, `<account id>/`: the allows name only
 * `${aws:PrincipalAccount}/*`, and a deny refuses every write outside it to
 * any principal but the vault account's, so no account can write, overwrite
 * (a newer version over another's replica) or read under another's.
 * Deletes stay denied to everyone (the vault bucket's own statement).
 */
export function grantOrganization(bucket: s3.Bucket, grants: OrganizationGrants): void {
  const everyone = [new iam.AnyPrincipal()];
  const inOrg = { 'aws:PrincipalOrgID': grants.organizationId };
  const own = bucket.arnForObjects(`${OWN_ACCOUNT_PREFIX}*`);
  const writers = [grants.replicationRoleName, ...(grants.reportRoleName ? [grants.reportRoleName] : [])].map((n) => anyAccountRole(bucket, n));
  bucket.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'ReplicasFromOrganizationAccounts',
      principals: everyone,
      actions: [...new Set([...grants.replicationActions, ...VAULT_PREFIX_REPLICATION_ACTIONS])],
      resources: [own],
      conditions: { StringEquals: inOrg, ArnLike: { 'aws:PrincipalArn': writers } },
    }),
  );
  bucket.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'OrganizationReadsBucketSettings',
      principals: everyone,
      actions: [...grants.bucketSettingsActions],
      resources: [bucket.bucketArn],
      conditions: { StringEquals: inOrg },
    }),
  );
  if (grants.drillRoleNames && grants.drillRoleNames.length > 0) {
    const drillRoles = { ArnLike: { 'aws:PrincipalArn': grants.drillRoleNames.map((n) => anyAccountRole(bucket, n)) } };
    bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DrillsReadOwnReplicas',
        principals: everyone,
        actions: [...grants.drillObjectActions],
        // The replicas and the vault verifier's verdicts on them (named after the replica: under the same account prefix).
        resources: [own, bucket.arnForObjects(`${VAULT_VERDICT_PREFIX}${OWN_ACCOUNT_PREFIX}*`)],
        conditions: { StringEquals: inOrg, ...drillRoles },
      }),
    );
    bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DrillsListOwnReplicas',
        principals: everyone,
        actions: ['s3:ListBucket'],
        resources: [bucket.bucketArn],
        conditions: { StringEquals: inOrg, StringLike: { 's3:prefix': `${OWN_ACCOUNT_PREFIX}*` }, ...drillRoles },
      }),
    );
  }
  // Belt and braces: whatever another statement (or a later edit) allows, no principal outside the vault
  // account writes outside its own account's prefix.
  bucket.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'NoAccountWritesUnderAnother',
      effect: iam.Effect.DENY,
      principals: everyone,
      actions: [...ORG_WRITE_ACTIONS],
      notResources: [own],
      conditions: { StringNotEquals: { 'aws:PrincipalAccount': grants.vaultAccount } },
    }),
  );
}
