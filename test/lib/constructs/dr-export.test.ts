import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXPORT_BUCKET_ACTIONS, EXPORT_OBJECT_ACTIONS } from '../../../lib/constructs/recovery-bucket';
import type { RedisDrConfig } from '../../../lib/config';
import { EXPORT_FUNCTION_OBJECT_ACTIONS } from '../../../lib/constructs/dr-export';
import { exampleConfig, synthesize, type Synthesized } from '../../support/synth';
import { bucketPolicyStatements, recoveryBucket } from './recovery-bucket.test';

/** A `Fn::Join` of strings and `{ Ref }`s as text, references as `<Ref:Id>`. */
function renderJoin(value: unknown): string {
  if (typeof value === 'string') return value;
  const [sep, parts] = (value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
  return parts.map((p) => (typeof p === 'string' ? p : `<Ref:${(p as { Ref: string }).Ref}>`)).join(sep);
}

function withDr(dr: Partial<RedisDrConfig['dr']>): RedisDrConfig {
  const config = exampleConfig();
  return { ...config, dr: { ...config.dr, ...dr } };
}

describe('DrExport (primary region)', () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthesize();
  });
  afterAll(() => synth.cleanup());

  it('grants the regional ElastiCache service principal exactly the export permissions, nothing else', () => {
    const { id } = recoveryBucket(synth.primary);
    const service = bucketPolicyStatements(synth.primary, id).filter((s) => s.Principal?.Service);
    expect(service).toEqual([
      {
        Sid: 'ElastiCacheExportBucket',
        Effect: 'Allow',
        Principal: { Service: 'eu-west-1.elasticache-snapshot.amazonaws.com' },
        Action: [...EXPORT_BUCKET_ACTIONS].sort(),
        Resource: { 'Fn::GetAtt': [id, 'Arn'] },
      },
      {
        Sid: 'ElastiCacheExportObjects',
        Effect: 'Allow',
        Principal: { Service: 'eu-west-1.elasticache-snapshot.amazonaws.com' },
        Action: [...EXPORT_OBJECT_ACTIONS].sort(),
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [id, 'Arn'] }, '/*']] },
      },
    ]);
    expect([...EXPORT_BUCKET_ACTIONS, ...EXPORT_OBJECT_ACTIONS].sort()).toEqual([
      's3:GetBucketAcl',
      's3:GetObject',
      's3:ListBucket',
      's3:ListBucketMultipartUploads',
      's3:ListMultipartUploadParts',
      's3:PutObject',
    ]);
  });

  it('replicates every object to the DR bucket by its deterministic name, with 15-minute RTC and metrics as configured', () => {
    const { props } = recoveryBucket(synth.primary);
    expect(props.ReplicationConfiguration.Rules).toEqual([
      {
        Id: 'to-dr-region',
        Priority: 1,
        Status: 'Enabled',
        Filter: { Prefix: '' },
        DeleteMarkerReplication: { Status: 'Disabled' },
        Destination: {
          Bucket: { 'Fn::Join': ['', ['arn:aws:s3:::redis-dr-example-', { Ref: 'AWS::AccountId' }, '-eu-central-1']] },
          ReplicationTime: { Status: 'Enabled', Time: { Minutes: 15 } },
          Metrics: { Status: 'Enabled', EventThreshold: { Minutes: 15 } },
        },
      },
    ]);
    // The DR bucket of the DR stack has exactly that name.
    expect(recoveryBucket(synth.dr).props.BucketName).toEqual({
      'Fn::Join': ['', ['redis-dr-example-', { Ref: 'AWS::AccountId' }, '-eu-central-1']],
    });
  });

  it('deploys the DR stack first (the replication destination must exist)', () => {
    expect(synth.stacks.primary.dependencies.map((s) => s.stackName)).toContain(synth.stacks.dr.stackName);
  });

  it('schedules the export reconciler per exporting plan with the plan\'s export settings', () => {
    const config = exampleConfig();
    const exporting = config.plans.filter((p) => p.export.enabled);
    expect(exporting.length).toBeGreaterThan(0);
    const exports = Object.values(synth.primary.findResources('AWS::Scheduler::Schedule')).filter((s) =>
      String(s.Properties.Description).startsWith('redis-dr export'),
    );
    expect(exports).toHaveLength(exporting.length);
    const { id: bucketId } = recoveryBucket(synth.primary);
    for (const plan of exporting) {
      const schedule = exports.find((s) => s.Properties.Description === `redis-dr export for plan ${plan.name}`)!.Properties;
      expect(schedule).toMatchObject({
        ScheduleExpression: plan.export.schedule.cron,
        ScheduleExpressionTimezone: plan.schedule.timeZone,
        FlexibleTimeWindow: { Mode: 'OFF' },
      });
      // The input names the bucket by reference: render references, then parse.
      expect(JSON.parse(renderJoin(schedule.Target.Input))).toEqual({
        deployment: 'example',
        plan: plan.name,
        targets: plan.targets,
        minTier: plan.export.minTier,
        bucket: `<Ref:${bucketId}>`,
        maxStartsPerRun: plan.export.maxStartsPerRun,
        budgetSeconds: 300,
        scheduledTime: '<aws.scheduler.scheduled-time>',
      });
    }
  });

  it('lets the export function export and mark only this deployment\'s managed rdr-* snapshots, and never delete an object', () => {
    const policies = Object.entries(synth.primary.findResources('AWS::IAM::Policy')).filter(([id]) => id.startsWith('DrExportRole'));
    expect(policies).toHaveLength(1);
    const statements = policies[0]![1].Properties.PolicyDocument.Statement as Record<string, any>[];
    const bySid = Object.fromEntries(statements.filter((s) => s.Sid).map((s) => [s.Sid, s]));
    // StringEquals, this deployment's tags: an untagged rdr-* snapshot (hand-made, foreign) or another deployment's is not exportable.
    const ours = { 'aws:ResourceTag/redis-dr:managed': 'true', 'aws:ResourceTag/redis-dr:deployment': 'example' };
    expect(bySid.ExportManagedSnapshots!.Condition).toEqual({ StringEquals: ours });
    expect(JSON.stringify(bySid.ExportManagedSnapshots!.Resource)).toMatch(/:snapshot:rdr-\*/);
    expect(bySid.MarkExported!.Condition).toEqual({
      StringEquals: ours,
      'ForAllValues:StringEquals': { 'aws:TagKeys': ['redis-dr:exported'] },
    });
    const actions = statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    expect(actions.filter((a) => /Delete/.test(a))).toEqual([]);
  });

  it('gives the export function only the S3 object calls it makes (object tags), never object data', () => {
    const policies = Object.entries(synth.primary.findResources('AWS::IAM::Policy')).filter(([id]) => id.startsWith('DrExportRole'));
    const statements = policies[0]![1].Properties.PolicyDocument.Statement as Record<string, any>[];
    const s3Actions = statements
      .flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]))
      .filter((a: string) => a.startsWith('s3:'))
      .sort();
    // ListAllMyBuckets (bucket names only): ElastiCache's permissions reference lists it for CopySnapshot to S3.
    expect(s3Actions).toEqual(['s3:GetBucketAcl', 's3:GetBucketLocation', 's3:GetObjectTagging', 's3:ListAllMyBuckets', 's3:ListBucket', 's3:PutObjectTagging']);
    const objects = statements.find((s) => s.Sid === 'ExportObjects')!;
    expect([...objects.Action].sort()).toEqual([...EXPORT_FUNCTION_OBJECT_ACTIONS].sort());
  });
});

describe('replication options', () => {
  it.each([
    ['neither', { replicationTimeControl: false, replicationMetrics: false }, undefined, undefined],
    ['metrics only', { replicationTimeControl: false, replicationMetrics: true }, undefined, { Status: 'Enabled' }],
  ])('%s', (_name, dr, time, metrics) => {
    const synth = synthesize(withDr(dr));
    try {
      const destination = recoveryBucket(synth.primary).props.ReplicationConfiguration.Rules[0].Destination;
      expect(destination.ReplicationTime).toEqual(time);
      expect(destination.Metrics).toEqual(metrics);
    } finally {
      synth.cleanup();
    }
  });

  it('creates no buckets and no export function when no plan exports', () => {
    const config = exampleConfig();
    const synth = synthesize({ ...config, plans: config.plans.map((p) => ({ ...p, export: { ...p.export, enabled: false } })) });
    try {
      synth.primary.resourceCountIs('AWS::S3::Bucket', 0);
      synth.dr.resourceCountIs('AWS::S3::Bucket', 0);
      const descriptions = Object.values(synth.dr.findResources('AWS::Lambda::Function')).map((f) => String(f.Properties.Description));
      expect(descriptions.filter((d) => /export|verify every DR copy/.test(d))).toEqual([]);
      expect(Object.values(synth.primary.findResources('AWS::Lambda::Function')).filter((f) => /export available snapshots/.test(f.Properties.Description))).toEqual([]);
    } finally {
      synth.cleanup();
    }
  });
});
