import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_BUCKET_ACTIONS, SEED_OBJECT_ACTIONS } from '../../../lib/constructs/recovery-bucket.js';
import { retryBudgetSeconds, VERIFY_CONCURRENCY, VERIFY_EVENT_TYPES, VERIFY_MAX_HOURS } from '../../../lib/constructs/dr-copies.js';
import { VERIFY_MEMORY_MB, verifyStateMachineName } from '../../../lib/deployment.js';
import { VERIFY_GAVE_UP } from '../../../lambdas/domain/dr-copies/verify-errors.js';
import { copyVerificationSettingsSchema } from '../../../lambdas/domain/plans/settings.js';
import { MAX_VERIFY_INVOCATIONS } from '../../../lambdas/jobs/dr-copies/verify-rdb.js';
import { stateMachineDefinition } from '../../support/state-machine.js';
import { exampleConfig, synthesize, type Synthesized } from '../../support/synth.js';
import { bucketPolicyStatements, recoveryBucket } from '../../support/recovery-bucket.js';
import { lockedBucketNames, lockedReplicationProblems, reservedConcurrency, type TemplateJson, uncappedVerifiers } from '../../support/template-review.js';

describe('DrCopies (DR region)', () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthesize();
  });
  afterAll(() => synth.cleanup());

  it('lets ElastiCache in the DR region read copies to seed clusters, and nothing more', () => {
    const { id } = recoveryBucket(synth.dr);
    const service = bucketPolicyStatements(synth.dr, id).filter((s) => s.Principal?.Service);
    expect(service.map((s) => [s.Sid, s.Principal.Service, s.Action])).toEqual([
      ['ElastiCacheSeedBucket', 'eu-central-1.elasticache-snapshot.amazonaws.com', [...SEED_BUCKET_ACTIONS].sort()],
      ['ElastiCacheSeedObjects', 'eu-central-1.elasticache-snapshot.amazonaws.com', SEED_OBJECT_ACTIONS[0]],
    ]);
  });

  it('sends object events to EventBridge, which starts the verify state machine for each .rdb copy on create and on re-tag, retrying into the DLQ', () => {
    const { id, props } = recoveryBucket(synth.dr);
    expect(props.NotificationConfiguration).toEqual({ EventBridgeConfiguration: { EventBridgeEnabled: true } });
    // The S3 object rule (the example also drills in the DR region: its failed-execution rule is the formatter's).
    const rules = Object.values(synth.dr.findResources('AWS::Events::Rule')).filter((r) => r.Properties.EventPattern?.source?.[0] === 'aws.s3');
    expect(rules).toHaveLength(1);
    const rule = rules[0]!.Properties;
    expect(rule.EventPattern).toEqual({
      source: ['aws.s3'],
      'detail-type': [...VERIFY_EVENT_TYPES],
      detail: { bucket: { name: [{ Ref: id }] }, object: { key: [{ suffix: '.rdb' }] } },
    });
    expect(rule.Targets).toHaveLength(1);
    expect(rule.Targets[0]).toMatchObject({
      Arn: { Ref: expect.stringMatching(/^CopiesVerifyStateMachine/) },
      RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 6 * 3600 },
      DeadLetterConfig: { Arn: { 'Fn::GetAtt': [expect.stringMatching(/^DeadLetters/), 'Arn'] } },
    });
    // The event itself is the execution input (no transformer).
    expect(rule.Targets[0].InputTransformer).toBeUndefined();
  });

  it('verifies one copy per execution, invocation after invocation, retrying a failed one from the same checkpoint', () => {
    const machines = Object.entries(synth.dr.findResources('AWS::StepFunctions::StateMachine')).filter(([id]) => id.startsWith('CopiesVerifyStateMachine'));
    expect(machines).toHaveLength(1);
    const props = machines[0]![1].Properties;
    expect(props.StateMachineName).toBe(verifyStateMachineName('example'));
    expect(props.TracingConfiguration).toEqual({ Enabled: true });
    expect(props.LoggingConfiguration.Level).toBe('ALL');
    const asl = stateMachineDefinition(synth.dr, 'verify');
    expect(asl.TimeoutSeconds).toBe(VERIFY_MAX_HOURS * 3600);
    expect(asl.StartAt).toBe('Start');
    expect(asl.States.Start).toMatchObject({ Type: 'Pass', Parameters: { 'event.$': '$' }, Next: 'Verify' });
    const verify = asl.States.Verify!;
    expect(verify.Resource).toMatch(/function:CopiesVerifyRdb/);
    expect(verify.Next).toBe('Done?');
    // A verification that gave up is not retried; anything else is, from the same checkpoint.
    expect(verify.Retry).toEqual([
      { ErrorEquals: [VERIFY_GAVE_UP], MaxAttempts: 0 },
      { ErrorEquals: ['Lambda.TooManyRequestsException'], IntervalSeconds: 60, BackoffRate: 2, MaxDelaySeconds: 300, MaxAttempts: 40 },
      { ErrorEquals: ['States.ALL'], IntervalSeconds: 30, BackoffRate: 2, MaxAttempts: 3 },
    ]);
    expect(verify.Catch).toEqual([{ ErrorEquals: ['States.ALL'], Next: 'Verification failed' }]);
    expect(asl.States['Done?']).toMatchObject({
      Type: 'Choice',
      Choices: [{ Variable: '$.done', BooleanEquals: true, Next: 'Verdict tagged' }],
      Default: 'Verify',
    });
    expect(asl.States['Verification failed']).toMatchObject({ Type: 'Fail', ErrorPath: '$.Error', CausePath: '$.Cause' });
    // Its role may invoke the verify function and nothing else of Lambda.
    const lambdaActions = Object.entries(synth.dr.findResources('AWS::IAM::Policy'))
      .filter(([id]) => id.startsWith('CopiesVerifyStateMachineRole'))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Record<string, any>[])
      .filter((st) => JSON.stringify(st.Action).includes('lambda:'));
    expect(lambdaActions).toHaveLength(1);
    expect(lambdaActions[0]!.Action).toBe('lambda:InvokeFunction');
    expect(JSON.stringify(lambdaActions[0]!.Resource)).toMatch(/CopiesVerifyRdb/);
    // The verify function is only invoked synchronously (by the state machine): no async retries of its own.
    const configs = Object.values(synth.dr.findResources('AWS::Lambda::EventInvokeConfig')).filter((c) =>
      JSON.stringify(c.Properties.FunctionName).includes('CopiesVerifyRdb'),
    );
    expect(configs.map((c) => c.Properties.MaximumRetryAttempts)).toEqual([0]);
  });

  it("runs the verifier within a new account's Lambda memory quota and 15 minutes, reading and tagging copies but never deleting or writing them (it writes only the key index beside each)", () => {
    const fns = Object.values(synth.dr.findResources('AWS::Lambda::Function')).filter((f) => /verify every DR copy/.test(f.Properties.Description));
    expect(fns).toHaveLength(1);
    expect(fns[0]!.Properties).toMatchObject({ MemorySize: VERIFY_MEMORY_MB, Timeout: 900 });
    // At most 3,008 MB by default: a new account's quota (the deploy of a fresh account failed at 3,538). The state
    // machine outlasts every invocation a verification may take at the function's timeout: it gives up by count, never
    // by its clock.
    expect(VERIFY_MEMORY_MB).toBeLessThanOrEqual(3008);
    expect(VERIFY_MAX_HOURS * 3600).toBeGreaterThanOrEqual(MAX_VERIFY_INVOCATIONS * fns[0]!.Properties.Timeout);
    expect(fns[0]!.Properties.Environment.Variables.ALERT_TOPIC_ARN).toEqual({ Ref: expect.stringMatching(/^Alerts/) });
    const statements = Object.entries(synth.dr.findResources('AWS::IAM::Policy'))
      .filter(([id]) => id.startsWith('CopiesVerifyRdbRole'))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Record<string, any>[]);
    const actions = statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])).filter((a: string) => a.startsWith('s3:'));
    // The writes: the key index beside a copy (<copy>.keys) and the verdict objects (redis-dr-verdicts/), nowhere else.
    const writes = statements.filter((s) => [s.Action].flat().includes('s3:PutObject'));
    expect(writes.map((s) => s.Sid)).toEqual(['WriteKeyIndexes', 'Verdicts']);
    expect(JSON.stringify(writes[0]!.Resource)).toContain('"/*.rdb.keys"');
    // The verdict objects and the chain of signed verdicts.
    expect(JSON.stringify(writes[1]!.Resource)).toContain('"/redis-dr-verdicts/*"');
    expect(JSON.stringify(writes[1]!.Resource)).toContain('"/redis-dr-verdict-chain/*"');
    expect(actions.sort()).toEqual(
      [
        's3:GetObject',
        's3:GetObject',
        's3:GetObject',
        's3:PutObject',
        's3:PutObject',
        's3:GetObjectTagging',
        // The key index's and its segments' tags (the copy's plan and tier, for the lifecycle), read back and retagged.
        's3:GetObjectTagging',
        's3:GetObjectVersion',
        's3:GetObjectVersionTagging',
        's3:ListBucket',
        's3:PutObjectTagging',
        's3:PutObjectTagging',
        's3:PutObjectVersionTagging',
      ].sort(),
    );
    // Tagging an index: only redis-dr:* keys, only on *.rdb.keys.
    const tagIndexes = statements.find((s) => s.Sid === 'TagKeyIndexes')!;
    expect(tagIndexes.Condition).toEqual({ 'ForAnyValue:StringLike': { 's3:RequestObjectTagKeys': ['redis-dr:*'] } });
    expect(JSON.stringify(tagIndexes.Resource)).toContain('"/*.rdb.keys"');
  });

  it('lets the verifier write only redis-dr:* tag keys, list its bucket, and sends each invocation each plan its collapse threshold', () => {
    const statements = Object.entries(synth.dr.findResources('AWS::IAM::Policy'))
      .filter(([id]) => id.startsWith('CopiesVerifyRdbRole'))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Record<string, any>[]);
    const tag = statements.find((s) => s.Sid === 'TagCopies')!;
    expect(tag.Condition).toEqual({ 'ForAnyValue:StringLike': { 's3:RequestObjectTagKeys': ['redis-dr:*'] } });
    // Unconditioned: S3 answers a GetObject of a verdict not written yet with 404 only to a caller that may list the bucket.
    expect(statements.find((s) => s.Sid === 'ListCopies')).toMatchObject({
      Action: 's3:ListBucket',
      Resource: { 'Fn::GetAtt': [expect.stringMatching(/^CopiesBucket/), 'Arn'] },
    });
    expect(statements.find((s) => s.Sid === 'ListCopies')!.Condition).toBeUndefined();
    const fn = Object.values(synth.dr.findResources('AWS::Lambda::Function')).find((f) => /verify every DR copy/.test(f.Properties.Description))!;
    // Wiring only in the environment: the settings travel in each invocation's payload, parsed by the verifier's schema.
    expect(Object.keys(fn.Properties.Environment.Variables).filter((k) => /THRESHOLD|RETENTION/.test(k))).toEqual([]);
    const verify = stateMachineDefinition(synth.dr, 'verify').States.Verify as Record<string, any>;
    expect(verify.Parameters['step.$']).toBe('$');
    expect(copyVerificationSettingsSchema.parse(verify.Parameters.settings).collapseThresholdPct).toEqual(
      Object.fromEntries(
        exampleConfig()
          .plans.filter((p) => p.export.enabled)
          .map((p) => [p.name, p.collapseThresholdPct]),
      ),
    );
  });
});

describe('Object Lock', () => {
  it.each([
    ['GOVERNANCE', 30],
    ['COMPLIANCE', 400],
  ] as const)('%s for %i days becomes the DR bucket default retention, never on the export bucket', (mode, days) => {
    const config = exampleConfig();
    const synth = synthesize({ ...config, dr: { ...config.dr, objectLock: { mode, days } } });
    try {
      const { props } = recoveryBucket(synth.dr);
      expect(props.ObjectLockEnabled).toBe(true);
      expect(props.ObjectLockConfiguration).toEqual({ ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: mode, Days: days } } });
      expect(recoveryBucket(synth.primary).props.ObjectLockConfiguration).toBeUndefined();
      // S3's Object Lock guide: replicating into a locked bucket needs the role to read the source's retention and legal hold.
      const templates = [synth.primary, synth.dr].map((t) => t.toJSON() as TemplateJson);
      const locked = new Set(templates.flatMap(lockedBucketNames));
      expect(locked.size).toBe(1);
      expect(lockedReplicationProblems(templates[0]!, locked)).toEqual([]);
    } finally {
      synth.cleanup();
    }
  });

  it('caps verify-rdb at lambda.verifyConcurrency (default 10) and retries a throttled invocation for longer than one runs (issue 53 item 5)', () => {
    const verifiers = (t: Synthesized['dr']) =>
      Object.values(t.findResources('AWS::Lambda::Function')).filter((f) => /verify every (DR copy|vault replica)/.test(f.Properties.Description));
    const base = exampleConfig();
    const dr = synthesize().dr;
    expect(verifiers(dr).map((f) => f.Properties.ReservedConcurrentExecutions)).toEqual([VERIFY_CONCURRENCY]);
    expect(uncappedVerifiers(dr.toJSON() as TemplateJson)).toEqual([]);
    expect(reservedConcurrency(dr.toJSON() as TemplateJson)).toEqual([]);
    // The retry budget of a throttled invocation, read from the template, against the function's own timeout.
    const throttled = stateMachineDefinition(dr, 'verify').States.Verify!.Retry!.find((r) => r.ErrorEquals.includes('Lambda.TooManyRequestsException'));
    const r = throttled as unknown as { IntervalSeconds: number; BackoffRate: number; MaxDelaySeconds: number; MaxAttempts: number };
    const budget = retryBudgetSeconds({
      intervalSeconds: r.IntervalSeconds,
      backoffRate: r.BackoffRate,
      maxDelaySeconds: r.MaxDelaySeconds,
      maxAttempts: r.MaxAttempts,
    });
    expect(budget).toBeGreaterThanOrEqual(verifiers(dr)[0]!.Properties.Timeout);
    // The general retry alone (the old budget: 3.5 min) is shorter than one invocation: why throttling has its own.
    expect(retryBudgetSeconds({ intervalSeconds: 30, backoffRate: 2, maxAttempts: 3 })).toBeLessThan(900);

    const set = synthesize({ ...base, lambda: { ...base.lambda, verifyConcurrency: 3 } }).dr;
    expect(verifiers(set).map((f) => f.Properties.ReservedConcurrentExecutions)).toEqual([3]);
    const unreserved = synthesize({ ...base, lambda: { ...base.lambda, verifyConcurrency: 'unreserved' } }).dr;
    expect(verifiers(unreserved).map((f) => f.Properties.ReservedConcurrentExecutions)).toEqual([undefined]);
    // The checks see it: an uncapped verifier, and a reservation of 0 or on another function.
    expect(uncappedVerifiers(unreserved.toJSON() as TemplateJson)).toEqual([expect.stringContaining('has no concurrency cap')]);
    const planted = (service: string, n: number) => ({
      Resources: {
        Fn: {
          Type: 'AWS::Lambda::Function',
          Properties: { ReservedConcurrentExecutions: n, Environment: { Variables: { POWERTOOLS_SERVICE_NAME: service } } },
        },
      },
    });
    expect(reservedConcurrency(planted('redis-dr-verify-rdb', 0))).toEqual(['Fn reserves 0 concurrent executions']);
    expect(reservedConcurrency(planted('redis-dr-prune', 5))).toEqual(['Fn reserves 5 concurrent executions']);
    expect(reservedConcurrency(planted('redis-dr-verify-rdb', 5))).toEqual([]);
  });

  it("takes lambda.verifyMemorySizeMb where an account's quota allows more (3538: two whole vCPUs)", () => {
    const base = exampleConfig();
    const config = { ...base, lambda: { ...base.lambda, verifyMemorySizeMb: 3538 } };
    const more = synthesize(config);
    const memory = (t: typeof more.dr) =>
      Object.values(t.findResources('AWS::Lambda::Function'))
        .filter((f) => /verify every (DR copy|vault replica)/.test(f.Properties.Description))
        .map((f) => f.Properties.MemorySize);
    expect(memory(more.dr)).toEqual([3538]);
    expect(memory(synthesize().dr)).toEqual([3008]);
  });
});
