import { Duration, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lifecycleRules, NONCURRENT_VERSION_DAYS, RecoveryBucket, SEED_COPY_EXPIRE_DAYS } from '../../../lib/constructs/recovery-bucket.js';
import { exampleConfig, quietApp, synthesize, type Synthesized } from '../../support/synth.js';
import { bucketPolicyStatements, elastiCacheAclCall, recoveryBucket } from '../../support/recovery-bucket.js';
import { lifecycleTags, segmentKey } from '../../../lambdas/jobs/dr-copies/copy-key-index.js';

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
      'drill-seed-copies',
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
    // The backstop for a vault drill's seed copy an execution stopped from outside left behind.
    expect(rules[10]).toEqual({ id: 'drill-seed-copies', prefix: 'redis-dr-drill-seeds/', expiration: Duration.days(SEED_COPY_EXPIRE_DAYS) });
  });
});

describe('recovery buckets in both regions', () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthesize();
  });
  afterAll(() => synth.cleanup());

  it.each(['primary', 'dr'] as const)('%s: versioned, SSE-S3, public access blocked, logged, retained', (which) => {
    const template = synth[which];
    const { id, props } = recoveryBucket(template);
    const region = which === 'primary' ? exampleConfig().primary.region : exampleConfig().dr.region;
    expect(props.BucketName).toEqual({ 'Fn::Join': ['', ['redis-dr-example-', { Ref: 'AWS::AccountId' }, `-${region}`]] });
    expect(props.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(props.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault).toEqual({ SSEAlgorithm: 'AES256' });
    // Object ownership follows ElastiCache's access route: see 'ElastiCache access route' below.
    expect(props.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(props.LoggingConfiguration.DestinationBucketName).toEqual({ Ref: expect.stringMatching(/AccessLogs/) });
    template.hasResource('AWS::S3::Bucket', {
      Properties: Match.objectLike({ BucketName: props.BucketName }),
      DeletionPolicy: 'RetainExceptOnCreate',
      UpdateReplacePolicy: 'Retain',
    });
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

  it("dr: the expiry rule of a copy's plan and tier reaches its key index and segments (tagged as the copy by the verifier); a held or untagged one none", () => {
    const { props } = recoveryBucket(synth.dr);
    const plan = exampleConfig().plans.find((p) => p.export.enabled)!;
    const rules = props.LifecycleConfiguration.Rules as Record<string, any>[];
    /** The ids of the enabled rules that expire an object of this key and these tags (S3: every tag filter and the prefix must match). */
    const expiring = (key: string, tags: Record<string, string>) =>
      rules
        .filter((r) => r.Status === 'Enabled' && r.ExpirationInDays !== undefined)
        .filter((r) => (r.Prefix ?? '') === '' || key.startsWith(r.Prefix))
        .filter((r) => ((r.TagFilters ?? []) as { Key: string; Value: string }[]).every((f) => tags[f.Key] === f.Value))
        .map((r) => r.Id);
    const copy = `rdr-${plan.name}-prod-20261121-0200-0001.rdb`;
    for (const tier of ['hourly', 'daily', 'weekly', 'monthly'] as const) {
      const copyTags = { 'redis-dr:plan': plan.name, 'redis-dr:tier': tier, 'redis-dr:verified': 'ok', 'redis-dr:snapshot': 'rdr-x' };
      const indexTags = lifecycleTags(copyTags);
      expect(expiring(copy, copyTags)).toEqual([`${plan.name}-${tier}`]);
      for (const beside of [`${copy}.keys`, segmentKey(copy, 0, 4096)]) expect(expiring(beside, indexTags)).toEqual(expiring(copy, copyTags));
    }
    // A hold (held-<tier>) keeps the copy and its index alike; an index put without tags would never expire.
    expect(expiring(`${copy}.keys`, lifecycleTags({ 'redis-dr:plan': plan.name, 'redis-dr:tier': 'held-daily' }))).toEqual([]);
    expect(expiring(`${copy}.keys`, {})).toEqual([]);
  });
});

const ELASTICACHE = '540804c33a284a299d2547575ce1010f2312ef3da9b3a053c8bc45bf233e4353';
const grant = (id: string, permission: string) => ({ Grantee: { Type: 'CanonicalUser', ID: id }, Permission: permission });

describe('ElastiCache access route', () => {
  /** The example config with other regions or the override. */
  function config(primary: string, dr: string, route?: 'acl' | 'bucket-policy') {
    const c = exampleConfig();
    return { ...c, primary: { ...c.primary, region: primary }, dr: { ...c.dr, region: dr, elastiCacheBucketAccess: route } };
  }
  function serviceStatements(template: Template): Record<string, any>[] {
    return bucketPolicyStatements(template, recoveryBucket(template).id).filter((st) => st.Principal?.Service);
  }

  it('default regions (eu-west-1, eu-central-1): BucketOwnerPreferred and the canonical-id ACL grant, the service-principal policy kept', () => {
    const synth = synthesize();
    try {
      for (const [which, region, permissions] of [
        ['primary', 'eu-west-1', ['READ', 'WRITE', 'READ_ACP']],
        ['dr', 'eu-central-1', ['READ', 'READ_ACP']],
      ] as const) {
        const template = synth[which];
        const { id, props } = recoveryBucket(template);
        expect(props.OwnershipControls, which).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerPreferred' }] });
        // The export guide's grant ("List objects", "Write objects", "Read bucket permissions"; the seed bucket reads only),
        // with the owner's FULL_CONTROL kept.
        expect(elastiCacheAclCall(template), which).toEqual({
          Bucket: `<Ref:${id}>`,
          AccessControlPolicy: {
            Owner: { ID: '<owner>' },
            Grants: [grant('<owner>', 'FULL_CONTROL'), ...permissions.map((p) => grant(ELASTICACHE, p))],
          },
        });
        expect(
          serviceStatements(template).map((st) => st.Principal.Service),
          which,
        ).toEqual([`${region}.elasticache-snapshot.amazonaws.com`, `${region}.elasticache-snapshot.amazonaws.com`]);
      }
    } finally {
      synth.cleanup();
    }
  });

  it('opt-in regions (ap-east-1, me-south-1): BucketOwnerEnforced, the regional service principal only, no ACL call', () => {
    const synth = synthesize(config('ap-east-1', 'me-south-1'));
    try {
      for (const [which, region] of [
        ['primary', 'ap-east-1'],
        ['dr', 'me-south-1'],
      ] as const) {
        const template = synth[which];
        expect(recoveryBucket(template).props.OwnershipControls, which).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
        expect(elastiCacheAclCall(template), which).toBeUndefined();
        template.resourceCountIs('Custom::AWS', 0);
        expect(
          serviceStatements(template).map((st) => st.Principal.Service),
          which,
        ).toEqual([`${region}.elasticache-snapshot.amazonaws.com`, `${region}.elasticache-snapshot.amazonaws.com`]);
      }
    } finally {
      synth.cleanup();
    }
  });

  it('dr.elastiCacheBucketAccess overrides the region table both ways, for both buckets', () => {
    const policyOnly = synthesize(config('eu-west-1', 'eu-central-1', 'bucket-policy'));
    const acl = synthesize(config('ap-east-1', 'me-south-1', 'acl'));
    try {
      for (const which of ['primary', 'dr'] as const) {
        expect(recoveryBucket(policyOnly[which]).props.OwnershipControls, which).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
        expect(elastiCacheAclCall(policyOnly[which]), which).toBeUndefined();
        expect(recoveryBucket(acl[which]).props.OwnershipControls, which).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerPreferred' }] });
        expect(elastiCacheAclCall(acl[which])?.AccessControlPolicy.Grants, which).toContainEqual(grant(ELASTICACHE, 'READ'));
      }
    } finally {
      policyOnly.cleanup();
      acl.cleanup();
    }
  });

  it('shares one provider function, role and log group among the ACL grants of a stack', () => {
    const stack = new Stack(quietApp(), 'Two', { env: { region: 'eu-west-1', account: '111122223333' } });
    const accessLogs = new s3.Bucket(stack, 'Logs');
    for (const [id, access] of [
      ['A', 'export'],
      ['B', 'seed'],
    ] as const) {
      new RecoveryBucket(stack, id, { deployment: id.toLowerCase(), plans: exampleConfig().plans, elastiCacheAccess: access, accessLogs });
    }
    const template = Template.fromStack(stack);
    template.resourceCountIs('Custom::AWS', 4);
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.resourceCountIs('AWS::Logs::LogGroup', 1);
    expect(Object.values(template.findResources('AWS::IAM::Role')).filter((r) => /recovery bucket ACLs/.test(r.Properties.Description))).toHaveLength(1);
  });
});
