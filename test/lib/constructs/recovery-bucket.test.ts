import { Duration } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lifecycleRules, NONCURRENT_VERSION_DAYS } from '../../../lib/constructs/recovery-bucket';
import { exampleConfig, synthesize, type Synthesized } from '../../support/synth';

/** The one recovery bucket of a template (the one with a fixed name). */
export function recoveryBucket(template: Template): { id: string; props: Record<string, any> } {
  const found = Object.entries(template.findResources('AWS::S3::Bucket')).filter(([, r]) => r.Properties.BucketName);
  expect(found).toHaveLength(1);
  return { id: found[0]![0], props: found[0]![1].Properties };
}

/** Bucket policy statements of the bucket with logical id `bucketId`. */
export function bucketPolicyStatements(template: Template, bucketId: string): Record<string, any>[] {
  const policies = Object.values(template.findResources('AWS::S3::BucketPolicy')).filter(
    (p) => JSON.stringify(p.Properties.Bucket) === JSON.stringify({ Ref: bucketId }),
  );
  expect(policies).toHaveLength(1);
  return policies[0]!.Properties.PolicyDocument.Statement;
}

describe('lifecycleRules', () => {
  it('expires each plan and tier by its tags, archives monthly copies only before they expire, and keeps housekeeping', () => {
    const plan = exampleConfig().plans[0]!;
    const rules = lifecycleRules([
      { ...plan, export: { ...plan.export, archiveMonthlyAfterDays: 90, expireDays: { hourly: 2, daily: 8, weekly: 29, monthly: 373 } } },
      { ...plan, name: 'short', export: { ...plan.export, archiveMonthlyAfterDays: 400, expireDays: { hourly: 1, daily: 2, weekly: 3, monthly: 30 } } },
    ]);
    expect(rules.map((r) => r.id)).toEqual([
      'sessions-hourly',
      'sessions-daily',
      'sessions-weekly',
      'sessions-monthly',
      'short-hourly',
      'short-daily',
      'short-weekly',
      'short-monthly',
      'housekeeping',
      'orphaned-delete-markers',
    ]);
    expect(rules[1]).toEqual({
      id: 'sessions-daily',
      tagFilters: { 'redis-dr:plan': 'sessions', 'redis-dr:tier': 'daily' },
      expiration: Duration.days(8),
      transitions: undefined,
    });
    expect(rules[3]!.transitions).toEqual([{ storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL, transitionAfter: Duration.days(90) }]);
    // Archiving after the expiry would be a transition that never happens (and costs a minimum storage charge).
    expect(rules[7]!.transitions).toBeUndefined();
    expect(rules[8]!.noncurrentVersionExpiration).toEqual(Duration.days(NONCURRENT_VERSION_DAYS));
    expect(rules[8]!.tagFilters).toBeUndefined();
  });
});

describe('recovery buckets in both regions', () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthesize();
  });
  afterAll(() => synth.cleanup());

  it.each(['primary', 'dr'] as const)('%s: versioned, SSE-S3, owner-enforced, public access blocked, logged, retained', (which) => {
    const template = synth[which];
    const { id, props } = recoveryBucket(template);
    const region = which === 'primary' ? exampleConfig().primary.region : exampleConfig().dr.region;
    expect(props.BucketName).toEqual({ 'Fn::Join': ['', ['redis-dr-example-', { Ref: 'AWS::AccountId' }, `-${region}`]] });
    expect(props.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(props.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault).toEqual({ SSEAlgorithm: 'AES256' });
    expect(props.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
    expect(props.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(props.LoggingConfiguration.DestinationBucketName).toEqual({ Ref: expect.stringMatching(/AccessLogs/) });
    template.hasResource('AWS::S3::Bucket', { Properties: Match.objectLike({ BucketName: props.BucketName }), DeletionPolicy: 'RetainExceptOnCreate', UpdateReplacePolicy: 'Retain' });
    const statements = bucketPolicyStatements(template, id);
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Principal: { AWS: '*' }, Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
  });

  it.each(['primary', 'dr'] as const)('%s: one expiry rule per exporting plan and tier, with the configured days', (which) => {
    const { props } = recoveryBucket(synth[which]);
    const plan = exampleConfig().plans.find((p) => p.export.enabled)!;
    const rules = props.LifecycleConfiguration.Rules as Record<string, any>[];
    for (const tier of ['hourly', 'daily', 'weekly', 'monthly'] as const) {
      expect(rules).toContainEqual(
        expect.objectContaining({
          Id: `${plan.name}-${tier}`,
          Status: 'Enabled',
          ExpirationInDays: plan.export.expireDays[tier],
          TagFilters: [
            { Key: 'redis-dr:plan', Value: plan.name },
            { Key: 'redis-dr:tier', Value: tier },
          ],
        }),
      );
    }
    expect(rules.find((r) => r.Id === `${plan.name}-monthly`)!.Transitions).toEqual([
      { StorageClass: 'GLACIER_IR', TransitionInDays: plan.export.archiveMonthlyAfterDays },
    ]);
    // Only exporting plans have rules: the other plan's copies do not exist.
    expect(rules.some((r) => String(r.Id).startsWith('queues-'))).toBe(false);
  });
});
