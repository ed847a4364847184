import { describe, expect, it } from 'vitest';
import { DrScrub } from '../../../lib/constructs/dr-scrub.js';
import { DEFAULT_SCRUB_DAYS, SCRUB_SCHEDULE, scrubAgeLimitMinutes } from '../../../lib/deployment.js';
import { basicConfig, exampleConfig, synthesize } from '../../support/synth.js';

/** The daily scrub of the DR stack (lib/constructs/dr-scrub.ts), in the example's synth. */

type Json = Record<string, any>;

function scrubSchedules(dr: ReturnType<typeof synthesize>['dr']): Json[] {
  return Object.values(dr.findResources('AWS::Scheduler::Schedule')).filter((s: Json) => /DR scrub/.test(String(s.Properties.Description)));
}

/** The statements of the scrub function's role. */
function scrubStatements(synth: ReturnType<typeof synthesize>): Json[] {
  const resources = synth.dr.toJSON().Resources as Record<string, Json>;
  const roleId = Object.keys(resources).find(
    (id) => resources[id]!.Type === 'AWS::IAM::Role' && resources[id]!.Properties.Description === 'redis-dr scrub function',
  );
  expect(roleId).toBeDefined();
  return Object.values(resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.Roles).includes(`"${roleId}"`))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Json[]);
}

describe('DrScrub (DR stack)', () => {
  it('schedules one daily run in UTC with the DR bucket, the days and the primary twin bucket, retried never', () => {
    const synth = synthesize(exampleConfig());
    const schedules = scrubSchedules(synth.dr);
    expect(schedules).toHaveLength(1);
    const s = schedules[0]!;
    expect(s.Properties).toMatchObject({ ScheduleExpression: SCRUB_SCHEDULE, ScheduleExpressionTimezone: 'UTC' });
    expect(s.Properties.Target.RetryPolicy.MaximumRetryAttempts).toBe(0);
    const input = JSON.stringify(s.Properties.Target.Input);
    expect(input).toContain(`\\"days\\":${DEFAULT_SCRUB_DAYS}`);
    expect(input).toMatch(/\\"primary\\":\{\\"bucket\\":\\"redis-dr-example-/);
    expect(synth.stacks.dr.scrub).toBeInstanceOf(DrScrub);
  });

  it('reads copies and twins, writes only under scrub/, publishes pages, and has no destructive action', () => {
    const statements = scrubStatements(synthesize(exampleConfig()));
    // Besides its logs, traces and failed-invocation queue (the dead-letter queue every function has):
    const actions = statements.flatMap((s) => [s.Action].flat().map(String)).filter((a) => !/^(logs|xray|sqs):/.test(a));
    expect([...new Set(actions)].sort()).toEqual([
      'kms:Decrypt',
      'kms:GenerateDataKey',
      'kms:GetPublicKey',
      'kms:Sign',
      's3:GetObject',
      's3:GetObjectTagging',
      's3:ListBucket',
      's3:PutObject',
      'sns:Publish',
    ]);
    const of = (action: string) => statements.filter((s) => [s.Action].flat().includes(action)).map((s) => JSON.stringify(s.Resource));
    // It signs its records with the DR stack's evidence key, and with nothing else.
    expect(of('kms:Sign')).toEqual([expect.stringMatching(/^\{"Fn::GetAtt":\["EvidenceKey[0-9A-F]+","Arn"\]\}$/)]);
    expect(of('s3:PutObject')).toHaveLength(1);
    expect(of('s3:PutObject')[0]).toMatch(/\/scrub\/\*"\]\]\}$/);
    // Copies are read by their .rdb names only, in the DR bucket and the primary's.
    expect(of('s3:GetObjectTagging')[0]).toMatch(/\/\*\.rdb"\]\]\}$/);
    expect(of('s3:GetObject').some((r) => r.includes('redis-dr-example-') && r.endsWith('/*.rdb"]]}'))).toBe(true);
  });

  it('is in a DR stack with a DR bucket only', () => {
    const config = basicConfig();
    const synth = synthesize({ ...config, name: 'scrubnone', plans: config.plans.map((p) => ({ ...p, export: { ...p.export, enabled: false } })) });
    expect(scrubSchedules(synth.dr)).toEqual([]);
    expect(synth.stacks.dr.scrub).toBeUndefined();
    // No scrub, no dead man's switch for it: no scrub-age alarm, nothing in the monitor's input, no GetSchedule.
    expect(alarmsOf(synth.dr).map((a) => a.AlarmName)).not.toContain('redis-dr-scrubnone-scrub-age');
    expect(JSON.stringify(freshnessSchedule(synth.dr).Properties.Target.Input)).not.toContain('\\"scrub\\":');
    expect(JSON.stringify(synth.dr.toJSON())).not.toContain('scheduler:GetSchedule"');
  });
});

function alarmsOf(dr: ReturnType<typeof synthesize>['dr']): Json[] {
  return Object.values(dr.findResources('AWS::CloudWatch::Alarm')).map((a: Json) => a.Properties);
}

function freshnessSchedule(dr: ReturnType<typeof synthesize>['dr']): Json {
  return Object.values(dr.findResources('AWS::Scheduler::Schedule')).find((s: Json) => /freshness monitor/.test(String(s.Properties.Description))) as Json;
}

describe("the scrub's dead man's switch (scrub-age, DR stack)", () => {
  const synth = synthesize(exampleConfig());
  const resources = synth.dr.toJSON().Resources as Record<string, Json>;
  const scrubSchedule = Object.entries(resources).find(
    ([, r]) => r.Type === 'AWS::Scheduler::Schedule' && /DR scrub/.test(String(r.Properties.Description)),
  )![0];
  const bucket = Object.entries(resources).find(([, r]) => r.Type === 'AWS::S3::Bucket' && /redis-dr-example-/.test(JSON.stringify(r.Properties.BucketName)))!;

  it('pages when the newest record is older than two daily runs + 60 min, missing data breaching', () => {
    const alarm = alarmsOf(synth.dr).find((a) => a.AlarmName === 'redis-dr-example-scrub-age');
    expect(alarm).toMatchObject({
      Namespace: 'RedisDr',
      MetricName: 'ScrubRecordAgeSeconds',
      Statistic: 'Maximum',
      Threshold: scrubAgeLimitMinutes() * 60,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'breaching',
    });
    expect(scrubAgeLimitMinutes()).toBe(49 * 60);
    expect(alarm!.Dimensions).toEqual([{ Name: 'Bucket', Value: { Ref: bucket[0] } }]);
    expect(alarm!.AlarmDescription).toMatch(/Runbook: docs\/runbooks\/corruption\.md$/);
  });

  it("the DR freshness monitor is told the records' prefix and the scrub schedule, and may read that schedule only", () => {
    const input = JSON.stringify(freshnessSchedule(synth.dr).Properties.Target.Input);
    expect(input).toContain('\\"scrub\\":{\\"prefix\\":\\"scrub/\\",\\"scheduleArn\\":');
    expect(input).toContain(`{"Fn::GetAtt":["${scrubSchedule}","Arn"]}`);
    const statements = Object.values(resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy')
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Json[]);
    const getSchedule = statements.filter((st) => JSON.stringify(st.Action).includes('scheduler:GetSchedule"'));
    expect(getSchedule).toEqual([
      { Sid: 'ScrubProtectionStart', Effect: 'Allow', Action: 'scheduler:GetSchedule', Resource: { 'Fn::GetAtt': [scrubSchedule, 'Arn'] } },
    ]);
  });
});
