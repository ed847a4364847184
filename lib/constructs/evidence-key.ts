import { Duration, Lazy, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
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
}
