import { Duration, Lazy, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { DRILL_EVIDENCE_PREFIX } from '../../lambdas/domain/drills/evidence-record.js';
import { accountRegionPrefix } from '../../lambdas/domain/points/account-prefix.js';
import { nagPseudoParameters } from './elasticache-arns.js';
import type { JobFunction } from './job-function.js';
import { denyGrantsButForAwsResources } from './kms-grants.js';

/** Props for {@link EvidenceKey}. */
export interface EvidenceKeyProps {
  /** The deployment's name: the key's alias is `alias/redis-dr-<deployment>-evidence`. */
  readonly deployment: string;
  /** Where the key is (`dr`, `vault`): in its description. */
  readonly where: string;
  /**
   * What it signs, for its description.
   * @default 'scrub records'
   */
  readonly signs?: string;
}

/** The key's alias, for `aws kms get-public-key --key-id` (docs/attest.md). */
export function evidenceKeyAlias(deployment: string): string {
  return `alias/redis-dr-${deployment}-evidence`;
}

/**
 * The deployment's evidence key (docs/attest.md): an asymmetric KMS key
 * (`ECC_NIST_P256`, `SIGN_VERIFY`) whose private half never leaves KMS, so
 * a record it signed was written by a role allowed to sign, and an auditor
 * checks it offline with the public key (`aws kms get-public-key`). The key
 * policy leaves the key's administration to the account (IAM policies, as
 * every key of the stacks) but denies `kms:Sign` to every principal other
 * than the roles {@link grantSign} names: not even an administrator with
 * `kms:*` can sign a record into the chain. Kept when the stack goes (the
 * records it signed are checked with its public key for years).
 */
export class EvidenceKey extends Construct {
  /** The key. */
  public readonly key: kms.Key;
  private readonly signers: string[] = [];

  constructor(scope: Construct, id: string, props: EvidenceKeyProps) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      description: `redis-dr ${props.deployment} evidence signing (${props.where}, ${Stack.of(this).region}): signs ${props.signs ?? 'scrub records'}, checked offline by redis-dr attest`,
      keySpec: kms.KeySpec.ECC_NIST_P256,
      keyUsage: kms.KeyUsage.SIGN_VERIFY,
      alias: evidenceKeyAlias(props.deployment),
      pendingWindow: Duration.days(30),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Sign only by the roles granted below: the list is filled as they are granted, rendered at synth.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'SignOnlyByEvidenceWriters',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['kms:Sign'],
        resources: ['*'],
        conditions: { ArnNotEquals: { 'aws:PrincipalArn': Lazy.list({ produce: () => this.signers }) } },
      }),
    );
    // No grant signs: only AWS services may create one, for AWS resources (Control Tower's CT.KMS.PR.3).
    denyGrantsButForAwsResources(this.key);
  }

  /**
   * Lets `fn` sign its records: `kms:Sign` and `kms:GetPublicKey` (its key id) on this key only, the key's ARN in
   * its environment (`EVIDENCE_KEY_ARN`), and its role named in the key policy's one exception.
   */
  grantSign(fn: JobFunction): void {
    fn.role.addToPolicy(new iam.PolicyStatement({ sid: 'SignEvidence', actions: ['kms:Sign', 'kms:GetPublicKey'], resources: [this.key.keyArn] }));
    fn.function.addEnvironment('EVIDENCE_KEY_ARN', this.key.keyArn);
    this.signers.push(fn.role.roleArn);
  }

  /**
   * Names a role of another stack (the primary region's drill report, a role of a fixed name) in the key policy's
   * one exception; that role's own policy is {@link grantSignByAlias}'s.
   */
  allowSigner(roleArn: string): void {
    this.signers.push(roleArn);
  }
}

/**
 * Lets `fn` (in another region's stack, where the key cannot be referenced) sign with the deployment's evidence key
 * in `keyRegion` by its alias: `kms:Sign` and `kms:GetPublicKey` on the keys of that region and account, only
 * when the request names the key by its alias (`kms:RequestAlias`); the alias's ARN in `EVIDENCE_KEY_ARN` and the
 * region in `EVIDENCE_REGION`. The key policy must also name the role ({@link EvidenceKey.allowSigner}).
 * @see https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-request-alias
 */
export function grantSignByAlias(fn: JobFunction, deployment: string, keyRegion: string): void {
  const stack = Stack.of(fn);
  const alias = evidenceKeyAlias(deployment);
  fn.role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'SignEvidenceByAlias',
      actions: ['kms:Sign', 'kms:GetPublicKey'],
      resources: [`arn:${stack.partition}:kms:${keyRegion}:${stack.account}:key/*`],
      conditions: { StringEquals: { 'kms:RequestAlias': alias } },
    }),
  );
  fn.function.addEnvironment('EVIDENCE_KEY_ARN', `arn:${stack.partition}:kms:${keyRegion}:${stack.account}:${alias}`);
  fn.function.addEnvironment('EVIDENCE_REGION', keyRegion);
  const { partition, account } = nagPseudoParameters(fn);
  Validations.of(fn.role).acknowledge({
    id: `AwsSolutions-IAM5[Resource::arn:${partition}:kms:${keyRegion}:${account}:key/*]`,
    reason: `The key is in another region's stack (no reference across regions): the statement allows it only when the request names it by its alias ${alias} (kms:RequestAlias), and the key policy denies Sign to every other role.`,
  });
}

/** The DR bucket as drill records are granted on it: its ARN and name, and how cdk-nag prints its ARN. */
export interface DrillRecordsBucket {
  readonly bucketArn: string;
  readonly bucketName: string;
  /** `<Logical.Arn>` for a bucket of the stack, the ARN with `<AWS::…>` pseudo parameters for one named. */
  readonly nagArn: string;
  /**
   * The DR region (config `dr.region`) when the deployment's vault is an organization's (`vault.organizationId`): each
   * record is then also kept under `<account>/<DR region>/`, the DR bucket's prefix that replicates into the vault.
   * @default - no organization's copy
   */
  readonly orgEvidenceRegion?: string;
}

/**
 * Lets a drill report function keep its drills' signed records in the DR bucket (docs/attest.md): list, read and
 * write under `drills/<its region>/` only (never delete: a record that did not read back stays, and the run fails),
 * the bucket's name in `EVIDENCE_BUCKET`; with `orgEvidenceRegion`, also write and read the organization's copy under
 * `<account>/<DR region>/drills/<its region>/` (that prefix in `EVIDENCE_ORG_ROOT`).
 */
export function grantDrillRecords(fn: JobFunction, bucket: DrillRecordsBucket): void {
  const stack = Stack.of(fn);
  const prefix = `${DRILL_EVIDENCE_PREFIX}${stack.region}/`;
  // With an organization's vault: the same records under <account>/<DR region>/ (the prefix that replicates there).
  const org = bucket.orgEvidenceRegion === undefined ? undefined : accountRegionPrefix(stack.account, bucket.orgEvidenceRegion);
  fn.role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'ListDrillRecords',
      actions: ['s3:ListBucket'],
      resources: [bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${prefix}*`, ...(org ? [`${org}${prefix}*`] : [])] } },
    }),
  );
  fn.role.addToPolicy(
    new iam.PolicyStatement({ sid: 'WriteDrillRecords', actions: ['s3:GetObject', 's3:PutObject'], resources: [`${bucket.bucketArn}/${prefix}*`] }),
  );
  fn.function.addEnvironment('EVIDENCE_BUCKET', bucket.bucketName);
  Validations.of(fn.role).acknowledge({
    id: `AwsSolutions-IAM5[Resource::${bucket.nagArn}/${prefix}*]`,
    reason: `The drill report reads the newest record of its plan's chain and writes the next, named by its place in the chain, under ${prefix} only; it deletes nothing.`,
  });
  if (!org || bucket.orgEvidenceRegion === undefined) return;
  const nag = nagPseudoParameters(fn);
  fn.role.addToPolicy(
    new iam.PolicyStatement({ sid: 'WriteOrgDrillRecords', actions: ['s3:GetObject', 's3:PutObject'], resources: [`${bucket.bucketArn}/${org}${prefix}*`] }),
  );
  fn.function.addEnvironment('EVIDENCE_ORG_ROOT', org);
  Validations.of(fn.role).acknowledge({
    id: `AwsSolutions-IAM5[Resource::${bucket.nagArn}/${accountRegionPrefix(nag.account, bucket.orgEvidenceRegion)}${prefix}*]`,
    reason: `The drill report keeps the organization's copy of each record of its chains (the same bytes) under its own account's ${org}${prefix} only, the prefix that replicates into the organization's vault; it deletes nothing.`,
  });
}
