import type { CfnResource } from 'aws-cdk-lib';
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
