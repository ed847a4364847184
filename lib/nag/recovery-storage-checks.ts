import { type CfnResource, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { NagMessageLevel, NagPack, rules } from 'cdk-nag';

/**
 * Checks the project holds its own storage to, beyond AwsSolutions: every
 * bucket encrypted with KMS and versioned. Recovery buckets deliberately use
 * SSE-S3 (ElastiCache cannot export with a customer-managed key, and seeding
 * needs SSE-S3), so they carry an explicit, reasoned acknowledgement of
 * `RedisDr-S3KMS` instead of the choice going unrecorded.
 */
export class RecoveryStorageChecks extends NagPack {
  readonly name = 'RedisDr';

  constructor(...args: ConstructorParameters<typeof NagPack>) {
    super(...args);
    this.packName = 'RedisDr';
  }

  protected checkResource(node: CfnResource): void {
    this.applyRule({
      ruleSuffixOverride: 'S3KMS',
      info: 'The S3 bucket is not encrypted with a KMS key by default.',
      explanation: 'KMS keys give key policies and CloudTrail records of every use; where a service requires SSE-S3, say why.',
      level: NagMessageLevel.ERROR,
      rule: rules.s3.S3DefaultEncryptionKMS,
      node,
    });
    this.applyRule({
      ruleSuffixOverride: 'S3Versioning',
      info: 'The S3 bucket is not versioned.',
      explanation: 'Versioning keeps overwritten and deleted objects recoverable; replication requires it.',
      level: NagMessageLevel.ERROR,
      rule: rules.s3.S3BucketVersioningEnabled,
      node,
    });
  }
}

/**
 * Acknowledges SSE-S3 on a bucket with its reason, for this project's
 * `RedisDr-S3KMS` and for cdk-nag's NIST 800-53 rev 5 rule of the same
 * finding (docs/deploying.md#governed-accounts).
 */
export function acknowledgeSseS3(bucket: IConstruct, reason: string): void {
  Validations.of(bucket).acknowledge({ id: 'RedisDr-S3KMS', reason }, { id: 'NIST.800.53.R5-S3DefaultEncryptionKMS', reason });
}

/** Acknowledges NIST 800-53 rev 5's "bucket without replication" on a bucket that is not replicated, with why. */
export function acknowledgeNoReplication(bucket: IConstruct, reason: string): void {
  Validations.of(bucket).acknowledge({ id: 'NIST.800.53.R5-S3BucketReplicationEnabled', reason });
}
