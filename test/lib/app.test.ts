import { join } from 'node:path';
import { App, CfnResource, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { RecoveryStorageChecks } from '../../lib/nag/recovery-storage-checks.js';
import { Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Validations } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stackNames } from '../../lib/app.js';
import { REDIS_DR_PROPS } from '../../examples/embedded/lib/app.js';
import { loadConfig, validateConfig } from '../../lib/config/index.js';
import { basicConfig, exampleConfig, synthesize, type Synthesized, synthValidated, validationFindings } from '../support/synth.js';
import { cfnLint } from '../support/cfn-lint.js';

/**
 * Gates on the whole synthesized app: cdk-nag (AwsSolutions) with zero
 * unacknowledged findings and cfn-lint clean on every template.
 */
describe('synthesized app', () => {
  let synth: Synthesized;
  beforeAll(() => {
    // With the CDK's built-in CloudFormation validation on (as is config vault's, below; no other synth of the suite has it).
    synth = synthesize(exampleConfig(), { cloudFormationValidation: true });
    // A whole app with its Lambda assets and the validation: seconds alone, past the 60 s default on a machine whose
    // cores are busy with the rest of the suite or another one (seen under load).
  }, 300_000);
  afterAll(() => synth.cleanup());

  it("the CDK's template validation finds nothing in the example's stacks, nor in config vault's three, nor in examples/embedded's (its report: synth does not throw on one)", () => {
    expect(validationFindings(synth)).toEqual([]);
    // The suite's only validated synths, all here: the rule engine loads once per process (about 4-5 CPU-s; a validated
    // synth in a child paid it again: bin/app.ts's run 7.4 -> 2.0 CPU-s without it), and each synth after costs about 1.
    // Config vault's rather than in test/lib/stacks/vault-stack.test.ts; the embedded example's config (its `cdk synth`
    // in test/examples/embedded.test.ts runs without validation and is held equal to this app's templates there).
    const vaulted = synthesize(loadConfig(join(__dirname, '..', 'fixtures', 'config', 'vault.json')), { cloudFormationValidation: true });
    expect(vaulted.templateFiles).toHaveLength(3);
    expect(validationFindings(vaulted)).toEqual([]);
    const shop = validateConfig(REDIS_DR_PROPS);
    if (!shop.ok) throw new Error(shop.problems.join('\n'));
    const embedded = synthesize(shop.config, { cloudFormationValidation: true });
    expect(embedded.templateFiles).toHaveLength(2);
    expect(validationFindings(embedded)).toEqual([]);
  });

  it('the gate can fail: the validation runs where it is asked (the test run turns it off for every other App) and names what it finds', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Bad', { env: { region: 'eu-west-1' } });
    new CfnResource(stack, 'B', { type: 'AWS::S3::Bucket', properties: { NotAProperty: 1, VersioningConfiguration: { Status: 'Sometimes' } } });
    const findings = synthValidated(app);
    expect(findings).toContainEqual(expect.stringMatching(/NotAProperty.* at Bad\/B$/));
    expect(findings).toContainEqual(expect.stringMatching(/'Sometimes' is not one of \['Enabled', 'Suspended'\] at Bad\/B$/));
  });

  it('names the two stacks after the deployment and binds them to the configured regions', () => {
    const config = exampleConfig();
    expect(synth.stacks.primary.stackName).toBe(stackNames(config).primary);
    expect(synth.stacks.dr.stackName).toBe('RedisDr-example-Dr');
    expect(synth.stacks.primary.region).toBe(config.primary.region);
    expect(synth.stacks.dr.region).toBe(config.dr.region);
  });

  it('passes cdk-nag AwsSolutions with every acknowledgement carrying a reason', () => {
    // synth() above would have thrown on an unacknowledged finding; check the
    // acknowledgements themselves are explained.
    const acks = synth.app.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
      .flatMap((m) => Object.entries(m.data as Record<string, string>));
    expect(acks.length).toBeGreaterThan(0);
    for (const [id, reason] of acks) expect(reason.length, id).toBeGreaterThan(30);
  });

  it("is clean under cfn-lint (W3005, CDK's explicit DependsOn noise, ignored)", async () => {
    expect(await cfnLint(synth.templateFiles)).toEqual({ status: 0, output: '' });
  }, 300_000);

  it('makes the example undeployable: every stack carries a CloudFormation rule whose assertion is false', () => {
    for (const template of [synth.primary, synth.dr]) {
      const rules = template.toJSON().Rules as Record<string, { Assertions: { Assert: unknown; AssertDescription: string }[] }>;
      const rule = Object.entries(rules).find(([id]) => id.startsWith('ExampleConfigIsNotDeployable'))?.[1];
      expect(template.toJSON().Parameters.ExampleConfig).toMatchObject({ Default: 'not-deployable', AllowedValues: ['not-deployable'] });
      expect(rule?.Assertions).toEqual([
        {
          Assert: { 'Fn::Equals': [{ Ref: 'ExampleConfig' }, 'deployable'] },
          AssertDescription: expect.stringContaining('synthesized from an example config'),
        },
      ]);
    }
  });
});

describe('cdk-nag gate', () => {
  it.each([
    ['an SSE-S3 bucket without an acknowledgement', false, true],
    ['the same bucket with its reason acknowledged', true, false],
  ])('RedisDr pack: %s', (_what, acknowledged, fails) => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Storage', { env: { region: 'eu-west-1' } });
    const bucket = new s3.Bucket(stack, 'B', { encryption: s3.BucketEncryption.S3_MANAGED, versioned: true });
    if (acknowledged) Validations.of(bucket).acknowledge({ id: 'RedisDr-S3KMS', reason: 'a test of the acknowledgement path' });
    Validations.of(app).addPlugins(new RecoveryStorageChecks(app));
    if (fails) expect(() => app.synth()).toThrow(/not encrypted with a KMS key by default\. \(RedisDr\)/);
    else expect(() => app.synth()).not.toThrow();
  });

  it('fails synthesis on an unacknowledged finding', () => {
    // Proves the gate can fail: a wildcard policy with no acknowledgement.
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Bad', { env: { region: 'eu-west-1' } });
    const role = new iam.Role(stack, 'R', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:*'], resources: ['*'] }));
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow();
  });
});

// The basic config: counts below are of snapshot, prune and export capabilities alone.
describe('primary stack', () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthesize(basicConfig());
  });
  afterAll(() => synth.cleanup());

  it("creates one snapshot and one prune schedule per plan, in the plan's time zone, flexible window off, with retries and a DLQ", () => {
    const config = basicConfig();
    const schedules = synth.primary.findResources('AWS::Scheduler::Schedule');
    // Snapshot and prune per plan, export per exporting plan, and the freshness monitor.
    expect(Object.keys(schedules)).toHaveLength(config.plans.length * 2 + config.plans.filter((p) => p.export.enabled).length + 1);
    for (const plan of config.plans) {
      synth.primary.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: plan.schedule.cron,
        ScheduleExpressionTimezone: plan.schedule.timeZone,
        FlexibleTimeWindow: { Mode: 'OFF' },
        Description: `redis-dr snapshot for plan ${plan.name}`,
        Target: Match.objectLike({
          RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
          DeadLetterConfig: { Arn: Match.anyValue() },
          Input: Match.serializedJson(Match.objectLike({ plan: plan.name, timeZone: plan.schedule.timeZone, scheduledTime: '<aws.scheduler.scheduled-time>' })),
        }),
      });
      synth.primary.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: plan.retention.schedule.cron,
        ScheduleExpressionTimezone: plan.retention.schedule.timeZone,
        Description: `redis-dr prune for plan ${plan.name}`,
        Target: Match.objectLike({
          Input: Match.serializedJson(
            Match.objectLike({
              plan: plan.name,
              rpoMinutes: plan.rpoMinutes,
              dryRun: plan.retention.dryRun,
              retention: {
                hourly: plan.retention.hourly,
                daily: plan.retention.daily,
                weekly: plan.retention.weekly,
                monthly: plan.retention.monthly,
                minKeep: plan.retention.minKeep,
              },
            }),
          ),
        }),
      });
    }
  });

  it('runs every function on Node.js 24, arm64, with tracing, explicit memory and timeout', () => {
    // Both stacks use the same logical ids for the monitoring functions: list, don't merge.
    const all = [...Object.entries(synth.primary.findResources('AWS::Lambda::Function')), ...Object.entries(synth.dr.findResources('AWS::Lambda::Function'))];
    // The CDK's AwsCustomResource provider, once per stack: the deploy-time PutBucketAcl of the ACL route (the
    // basic config's regions are default regions). Its runtime and architecture are the CDK's; its role is ours.
    const providers = all.filter(([id]) => id.startsWith('AWS679f53fac002430cb0da5b7982bd2287'));
    expect(providers).toHaveLength(2);
    for (const [, fn] of providers)
      expect(fn.Properties).toMatchObject({ Runtime: 'nodejs24.x', Timeout: 120, LoggingConfig: { LogGroup: expect.anything() } });
    const fns = all.filter(([id]) => !id.startsWith('AWS679f53fac002430cb0da5b7982bd2287')).map(([, fn]) => fn);
    // snapshot, prune, export, freshness, formatter; verify-rdb, freshness, formatter, the scheduled report and the scrub in the DR region.
    expect(fns).toHaveLength(10);
    for (const fn of fns) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        MemorySize: expect.any(Number),
        Timeout: expect.any(Number),
        LoggingConfig: { LogFormat: 'JSON', LogGroup: expect.anything() },
      });
      expect(fn.Properties.Timeout).toBeLessThanOrEqual(900);
    }
  });

  it('gives every log group a retention', () => {
    const groups = [...Object.values(synth.primary.findResources('AWS::Logs::LogGroup')), ...Object.values(synth.dr.findResources('AWS::Logs::LogGroup'))];
    // 10 functions', the verify state machine's, and one per stack for the bucket-ACL custom resource provider.
    expect(groups).toHaveLength(10 + 1 + 2);
    for (const g of groups) expect(g.Properties.RetentionInDays).toBe(basicConfig().lambda.logRetentionDays);
  });

  it('grants no wildcard actions and no AWS managed policies', () => {
    for (const template of [synth.primary, synth.dr]) {
      const policies = template.findResources('AWS::IAM::Policy');
      for (const p of Object.values(policies)) {
        for (const s of p.Properties.PolicyDocument.Statement as { Action: string | string[] }[]) {
          const actions = Array.isArray(s.Action) ? s.Action : [s.Action];
          for (const a of actions) expect(a).not.toMatch(/\*/);
        }
      }
      for (const r of Object.values(template.findResources('AWS::IAM::Role'))) {
        expect(r.Properties.ManagedPolicyArns).toBeUndefined();
      }
    }
  });

  it('allows deleting snapshots only when they are named rdr-* and tagged redis-dr:managed=true by this deployment', () => {
    const statements = allStatements(synth);
    const deletes = statements.filter((s) => actionsOf(s).some((a) => /^elasticache:Delete/.test(a)));
    expect(deletes).toHaveLength(1);
    const del = deletes[0]!;
    expect(actionsOf(del).sort()).toEqual(['elasticache:DeleteServerlessCacheSnapshot', 'elasticache:DeleteSnapshot']);
    expect(del.Condition).toEqual({ StringEquals: { 'aws:ResourceTag/redis-dr:managed': 'true', 'aws:ResourceTag/redis-dr:deployment': basicConfig().name } });
    const resources = JSON.stringify(del.Resource);
    expect(resources).toContain(':snapshot:rdr-*');
    expect(resources).toContain(':serverlesscachesnapshot:rdr-*');
    expect(resources).not.toMatch(/"\*"/);
  });

  it('allows creating snapshots only with the managed request tag', () => {
    const creates = allStatements(synth).filter((s) => actionsOf(s).includes('elasticache:CreateSnapshot'));
    expect(creates).toHaveLength(1);
    expect(creates[0]!.Condition).toEqual({ StringEquals: { 'aws:RequestTag/redis-dr:managed': 'true' } });
    expect(actionsOf(creates[0]!)).not.toContain('elasticache:AddTagsToResource');
  });

  it('allows tagging only our rdr-* snapshots, with redis-dr:* keys, never caches', () => {
    const requestTagged = allStatements(synth).filter(
      (s) => actionsOf(s).includes('elasticache:AddTagsToResource') && JSON.stringify(s.Condition).includes('RequestTag'),
    );
    // The export role's tag-on-create of a retry name (test/lib/constructs/dr-export.test.ts) is the other one.
    const retries = requestTagged.filter((s) => s.Sid === 'TagRetryTargets');
    expect(retries).toHaveLength(1);
    expect(retries[0]!.Condition!['ForAllValues:StringEquals']).toEqual({ 'aws:TagKeys': ['redis-dr:managed', 'redis-dr:deployment'] });
    expect(JSON.stringify(retries[0]!.Resource)).toMatch(/:snapshot:rdr-\*-r2.*:snapshot:rdr-\*-r3/);
    const tagging = requestTagged.filter((s) => s.Sid !== 'TagRetryTargets');
    expect(tagging).toHaveLength(1);
    expect(actionsOf(tagging[0]!)).toEqual(['elasticache:AddTagsToResource']);
    expect(tagging[0]!.Condition).toEqual({
      StringEquals: { 'aws:RequestTag/redis-dr:managed': 'true' },
      'ForAllValues:StringLike': { 'aws:TagKeys': ['redis-dr:*'] },
    });
    const resources = JSON.stringify(tagging[0]!.Resource);
    expect(resources).toContain(':snapshot:rdr-*');
    expect(resources).not.toMatch(/replicationgroup|:cluster:|serverlesscache:/);
  });

  it('retries a failed snapshot run while recent, never replays a prune run', () => {
    const configs = Object.values(synth.primary.findResources('AWS::Lambda::EventInvokeConfig')).map((c) => c.Properties);
    expect(configs).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 }),
        expect.objectContaining({ MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 900 }),
      ]),
    );
  });

  it('keeps wildcard resources to read-only calls', () => {
    // Step Functions' log delivery (the verify state machine logs to CloudWatch) takes no resource-level permissions either.
    const readOnly =
      /^(elasticache:Describe|tag:GetResources$|cloudwatch:Describe(Alarms|AlarmHistory)$|xray:(Put|GetSampling)|s3:ListAllMyBuckets$|logs:((Create|Get|Update|Delete)LogDelivery|ListLogDeliveries|PutResourcePolicy|DescribeResourcePolicies|DescribeLogGroups)$)/;
    for (const s of allStatements(synth)) {
      if (JSON.stringify(s.Resource) === '"*"') {
        for (const a of actionsOf(s)) expect(a, `${a} on *`).toMatch(readOnly);
      }
    }
  });

  it('sends failed asynchronous invocations to an encrypted, TLS-only dead-letter queue', () => {
    synth.primary.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
    synth.primary.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      },
    });
    const configs = synth.primary.findResources('AWS::Lambda::EventInvokeConfig');
    expect(Object.keys(configs)).toHaveLength(5);
    for (const c of Object.values(configs)) {
      expect(c.Properties.DestinationConfig.OnFailure.Destination).toBeDefined();
    }
  });

  it('tags every taggable resource with redis-dr:managed=true', () => {
    for (const type of ['AWS::Lambda::Function', 'AWS::SQS::Queue', 'AWS::IAM::Role']) {
      for (const r of Object.values(synth.primary.findResources(type))) {
        expect(r.Properties.Tags).toEqual(expect.arrayContaining([{ Key: 'redis-dr:managed', Value: 'true' }]));
      }
    }
  });
});

type Statement = { Sid?: string; Action: string | string[]; Resource: unknown; Condition?: Record<string, unknown>; Effect: string };

function allStatements(synth: Synthesized): Statement[] {
  return [synth.primary, synth.dr].flatMap((t) =>
    Object.values(t.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]),
  );
}

function actionsOf(s: Statement): string[] {
  return Array.isArray(s.Action) ? s.Action : [s.Action];
}

describe('restore drills', () => {
  it('deploys no drill state machine, drill function or reaper when no plan drills', () => {
    const synth = synthesize(basicConfig());
    try {
      expect(basicConfig().plans.some((p) => p.drill.enabled)).toBe(false);
      synth.primary.resourceCountIs('AWS::StepFunctions::StateMachine', 0);
      // The DR stack's only state machine verifies copies.
      expect(Object.keys(synth.dr.findResources('AWS::StepFunctions::StateMachine'))).toEqual([expect.stringMatching(/^CopiesVerifyStateMachine/)]);
      for (const template of [synth.primary, synth.dr]) {
        const descriptions = Object.values(template.findResources('AWS::Lambda::Function')).map((f) => String(f.Properties.Description));
        expect(descriptions.filter((d) => /drill/.test(d))).toEqual([]);
      }
    } finally {
      synth.cleanup();
    }
  });
});
