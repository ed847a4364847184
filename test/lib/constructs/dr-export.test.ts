import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXPORT_BUCKET_ACTIONS, EXPORT_OBJECT_ACTIONS } from '../../../lib/constructs/recovery-bucket.js';
import type { RedisDrConfig } from '../../../lib/config/index.js';
import { EXPORT_CALLER_BUCKET_ACTIONS, EXPORT_CALLER_OBJECT_ACTIONS, EXPORT_FUNCTION_OBJECT_ACTIONS } from '../../../lib/constructs/dr-export.js';
import type { TemplateJson } from '../../../lib/asl.js';
import { evaluate, rolePolicies } from '../../support/iam.js';
import { exampleConfig, synthesize, type Synthesized } from '../../support/synth.js';
import { bucketPolicyStatements, recoveryBucket } from '../../support/recovery-bucket.js';

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

  it("schedules the export reconciler per exporting plan with the plan's export settings", () => {
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

  /** The export role's statements by Sid. */
  function exportStatements(): Record<string, Record<string, any>> {
    const policies = Object.entries(synth.primary.findResources('AWS::IAM::Policy')).filter(([id]) => id.startsWith('DrExportRole'));
    expect(policies).toHaveLength(1);
    const statements = policies[0]![1].Properties.PolicyDocument.Statement as Record<string, any>[];
    return Object.fromEntries(statements.map((s) => [s.Sid, s]));
  }
  const ours = { 'aws:ResourceTag/redis-dr:managed': 'true', 'aws:ResourceTag/redis-dr:deployment': 'example' };

  it("lets the export function export and mark only this deployment's managed rdr-* snapshots, and never delete a snapshot or an object version", () => {
    const bySid = exportStatements();
    // StringEquals, this deployment's tags: an untagged rdr-* snapshot (hand-made, foreign) or another deployment's is not exportable.
    expect(bySid.ExportManagedSnapshots!.Condition).toEqual({ StringEquals: ours });
    expect(JSON.stringify(bySid.ExportManagedSnapshots!.Resource)).toMatch(/:snapshot:rdr-\*/);
    expect(bySid.MarkExported!.Condition).toEqual({
      StringEquals: ours,
      'ForAllValues:StringEquals': { 'aws:TagKeys': ['redis-dr:exported'] },
    });
    const actions = Object.values(bySid).flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    // s3:DeleteObject (a dependent action of the export calls) only adds a delete marker on this versioned bucket.
    expect(actions.filter((a) => /Delete/.test(a))).toEqual(['s3:DeleteObject']);
  });

  it("admits an export retry (<snapshot>-r2, -r3) only with this deployment's tags on the request and for names no other deployment's snapshot has", () => {
    const bySid = exportStatements();
    const condition = {
      StringEquals: { 'aws:RequestTag/redis-dr:managed': 'true', 'aws:RequestTag/redis-dr:deployment': 'example' },
      'ForAllValues:StringEquals': { 'aws:TagKeys': ['redis-dr:managed', 'redis-dr:deployment'] },
      StringEqualsIfExists: ours,
    };
    for (const sid of ['ExportRetryTargets', 'TagRetryTargets']) {
      expect(bySid[sid]!.Condition, sid).toEqual(condition);
      const resources = (bySid[sid]!.Resource as unknown[]).map((r) => JSON.stringify(r));
      expect(resources, sid).toHaveLength(2);
      expect(resources[0]).toMatch(/:snapshot:rdr-\*-r2"/);
      expect(resources[1]).toMatch(/:snapshot:rdr-\*-r3"/);
    }
    expect(bySid.ExportRetryTargets!.Action).toBe('elasticache:CopySnapshot');
    expect(bySid.TagRetryTargets!.Action).toBe('elasticache:AddTagsToResource');
  });

  describe('evaluated by an IAM policy simulator (test/support/iam.ts)', () => {
    const standIns = { region: 'eu-west-1', account: '111122223333' };
    const arn = (name: string) => `arn:aws:elasticache:eu-west-1:111122223333:snapshot:${name}`;
    const snap = 'rdr-rg-a-20261121-0300';
    const requestTags = {
      'aws:RequestTag/redis-dr:managed': 'true',
      'aws:RequestTag/redis-dr:deployment': 'example',
      'aws:TagKeys': ['redis-dr:managed', 'redis-dr:deployment'],
    };
    const policies = () => {
      const json = synth.primary.toJSON() as TemplateJson;
      const roleId = Object.keys(json.Resources ?? {}).find((id) => json.Resources![id]!.Type === 'AWS::IAM::Role' && id.startsWith('DrExportRole'))!;
      return rolePolicies(json, roleId, standIns);
    };
    /** A CopySnapshot, authorized on the source (with its tags) and on the target name (untagged, or as given): both must pass. */
    async function copyAllowed(
      source: { name: string; tags: Record<string, string> },
      target: { name: string; tags?: Record<string, string> },
      request: Record<string, string | string[]> = {},
    ): Promise<boolean> {
      const resourceTags = (tags: Record<string, string> = {}) => Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:ResourceTag/${k}`, v]));
      const check = async (action: string, name: string, tags?: Record<string, string>) =>
        (await evaluate(policies(), { action, resource: arn(name), context: { ...request, ...resourceTags(tags) } }, standIns)) === 'Allowed';
      const tagging = 'aws:TagKeys' in request;
      return (
        (await check('elasticache:CopySnapshot', source.name, source.tags)) &&
        (await check('elasticache:CopySnapshot', target.name, target.tags)) &&
        // With Tags on the request, AddTagsToResource on the new name is a dependent action.
        (!tagging || (await check('elasticache:AddTagsToResource', target.name, target.tags)))
      );
    }
    const ourTags = { 'redis-dr:managed': 'true', 'redis-dr:deployment': 'example' };

    it("allows a first export (target named like the source) and a retry that carries this deployment's tags", async () => {
      expect(await copyAllowed({ name: snap, tags: ourTags }, { name: snap, tags: ourTags })).toBe(true);
      expect(await copyAllowed({ name: snap, tags: ourTags }, { name: `${snap}-r2` }, requestTags)).toBe(true);
      expect(await copyAllowed({ name: snap, tags: ourTags }, { name: `${snap}-r3` }, requestTags)).toBe(true);
      // Also if IAM presented the request's tags as the new name's resource tags.
      expect(await copyAllowed({ name: snap, tags: ourTags }, { name: `${snap}-r2`, tags: ourTags }, requestTags)).toBe(true);
    });

    it("denies a retry without request tags (the request before the fix), another deployment's source, and a name another deployment owns", async () => {
      expect(await copyAllowed({ name: snap, tags: ourTags }, { name: `${snap}-r2` })).toBe(false);
      const staging = { 'redis-dr:managed': 'true', 'redis-dr:deployment': 'staging' };
      expect(await copyAllowed({ name: snap, tags: staging }, { name: `${snap}-r2` }, requestTags)).toBe(false);
      expect(await copyAllowed({ name: snap, tags: {} }, { name: `${snap}-r2` }, requestTags)).toBe(false);
      expect(await copyAllowed({ name: snap, tags: ourTags }, { name: `${snap}-r2`, tags: staging }, requestTags)).toBe(false);
      // Claiming another deployment, or adding other tag keys, on the request.
      expect(
        await copyAllowed({ name: snap, tags: ourTags }, { name: `${snap}-r2` }, { ...requestTags, 'aws:RequestTag/redis-dr:deployment': 'staging' }),
      ).toBe(false);
      expect(
        await copyAllowed(
          { name: snap, tags: ourTags },
          { name: `${snap}-r2` },
          { ...requestTags, 'aws:TagKeys': ['redis-dr:managed', 'redis-dr:deployment', 'redis-dr:tier'] },
        ),
      ).toBe(false);
      // No fourth attempt.
      expect(await copyAllowed({ name: snap, tags: ourTags }, { name: `${snap}-r4` }, requestTags)).toBe(false);
    });
  });

  it('gives the export caller the S3 actions ElastiCache checks, object writes on rdr-* keys of its bucket only', () => {
    const bySid = exportStatements();
    const { id } = recoveryBucket(synth.primary);
    // Dependent actions of CopySnapshot / ExportServerlessCacheSnapshot (Service Authorization Reference) and the export guide.
    expect(bySid.ExportCallerObjects).toEqual({
      Sid: 'ExportCallerObjects',
      Effect: 'Allow',
      Action: ['s3:DeleteObject', 's3:GetObject', 's3:PutObject'],
      Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [id, 'Arn'] }, '/rdr-*']] },
    });
    expect(bySid.ExportBucket).toMatchObject({
      Action: ['s3:GetBucketAcl', 's3:GetBucketLocation', 's3:ListBucket'],
      Resource: { 'Fn::GetAtt': [id, 'Arn'] },
    });
    expect(bySid.ListBucketsForExport).toMatchObject({ Action: 's3:ListAllMyBuckets', Resource: '*' });
    // The function's own object calls: tags only; a write must carry the project's keys (merged with the object's others).
    expect([bySid.ExportObjects!.Action, bySid.ExportObjectTags!.Action].flat().sort()).toEqual([...EXPORT_FUNCTION_OBJECT_ACTIONS].sort());
    expect(bySid.ExportObjects!.Condition).toBeUndefined();
    expect(bySid.ExportObjectTags!.Condition).toEqual({ 'ForAnyValue:StringLike': { 's3:RequestObjectTagKeys': ['redis-dr:*'] } });
    const s3Actions = Object.values(bySid)
      .flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]))
      .filter((a: string) => a.startsWith('s3:'))
      .sort();
    expect(s3Actions).toEqual(
      [...EXPORT_CALLER_BUCKET_ACTIONS, ...EXPORT_CALLER_OBJECT_ACTIONS, ...EXPORT_FUNCTION_OBJECT_ACTIONS, 's3:ListAllMyBuckets'].sort(),
    );
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
      expect(
        Object.values(synth.primary.findResources('AWS::Lambda::Function')).filter((f) => /export available snapshots/.test(f.Properties.Description)),
      ).toEqual([]);
    } finally {
      synth.cleanup();
    }
  });
});
