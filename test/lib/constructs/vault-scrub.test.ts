import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../lib/config/index.js';
import { DEFAULT_SCRUB_DAYS, SCRUB_SCHEDULE, scrubAgeLimitMinutes } from '../../../lib/deployment.js';
import { Template } from 'aws-cdk-lib/assertions';
import { VaultStack } from '../../../lib/stacks/vault-stack.js';
import { quietApp, synthesize } from '../../support/synth.js';

/** The daily scrub of the vault stack (lib/constructs/vault/vault-scrub.ts), in config vault's synth. */

type Json = Record<string, any>;

const synth = synthesize(loadConfig(join(__dirname, '..', '..', 'fixtures', 'config', 'vault.json')));
afterAll(() => synth.cleanup());
const resources = () => synth.vault!.toJSON().Resources as Record<string, Json>;

/** The statements of the vault scrub function's role. */
function scrubStatements(): Json[] {
  const all = resources();
  const roleId = Object.keys(all).find((id) => all[id]!.Type === 'AWS::IAM::Role' && all[id]!.Properties.Description === 'redis-dr scrub function');
  expect(roleId).toBeDefined();
  return Object.values(all)
    .filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.Roles).includes(`"${roleId}"`))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Json[]);
}

describe('VaultScrub (vault stack)', () => {
  it('schedules one daily run in UTC over the vault bucket (place vault), retried never', () => {
    const schedules = Object.values(synth.vault!.findResources('AWS::Scheduler::Schedule')).filter((s: Json) =>
      /vault scrub/.test(String(s.Properties.Description)),
    );
    expect(schedules).toHaveLength(1);
    const s = schedules[0]!;
    expect(s.Properties).toMatchObject({ ScheduleExpression: SCRUB_SCHEDULE, ScheduleExpressionTimezone: 'UTC' });
    expect(s.Properties.Target.RetryPolicy.MaximumRetryAttempts).toBe(0);
    const input = JSON.stringify(s.Properties.Target.Input);
    expect(input).toContain(`\\"days\\":${DEFAULT_SCRUB_DAYS}`);
    expect(input).toContain('\\"place\\":\\"vault\\"');
    expect(synth.stacks.vault?.scrub).toBeDefined();
  });

  it('reads replicas and verdicts, writes only under redis-dr-vault-scrub/, and has no destructive action', () => {
    const statements = scrubStatements();
    const actions = statements.flatMap((s) => [s.Action].flat().map(String)).filter((a) => !/^(logs|xray|sqs):/.test(a));
    expect([...new Set(actions)].sort()).toEqual([
      'kms:Decrypt',
      'kms:GenerateDataKey',
      'kms:GetPublicKey',
      'kms:Sign',
      's3:GetObject',
      's3:ListBucket',
      's3:PutObject',
      'sns:Publish',
    ]);
    const of = (action: string) => statements.filter((s) => [s.Action].flat().includes(action)).map((s) => JSON.stringify(s.Resource));
    // It signs its records with the vault's evidence key, and with nothing else.
    expect(of('kms:Sign')).toEqual([expect.stringMatching(/^\{"Fn::GetAtt":\["EvidenceKey[0-9A-F]+","Arn"\]\}$/)]);
    expect(of('s3:PutObject')).toEqual([expect.stringMatching(/\/redis-dr-vault-scrub\/\*"\]\]\}$/)]);
    const reads = of('s3:GetObject').join(' ');
    expect(reads).toContain('/*.rdb');
    expect(reads).toContain('/redis-dr-vault-verdicts/*');
  });

  it("reserves its records' prefix in the bucket policy: nobody but its role puts there, nothing replicates there", () => {
    const policy = Object.values(resources())
      .filter((r) => r.Type === 'AWS::S3::BucketPolicy')
      .flatMap((r) => r.Properties.PolicyDocument.Statement as Json[]);
    const bySid = Object.fromEntries(policy.filter((s) => s.Sid).map((s) => [s.Sid, s]));
    const writer = bySid.OnlyTheScrubWritesScrubRecords;
    expect(writer).toMatchObject({ Effect: 'Deny', Action: ['s3:PutObject*', 's3:ReplicateObject', 's3:ReplicateTags'] });
    expect(JSON.stringify(writer.Condition.ArnNotEquals)).toMatch(/"Scrub[^"]*Role[^"]*","Arn"/);
    expect(JSON.stringify(writer.Resource)).toContain('/redis-dr-vault-scrub/*');
    expect(bySid.ScrubRecordsArePutOnly).toMatchObject({ Effect: 'Deny' });
  });

  it('pages a failed run (a bad replica, a PARTIAL run) through an errors alarm on the vault topic', () => {
    const alarms = Object.values(synth.vault!.findResources('AWS::CloudWatch::Alarm')).filter((a: Json) =>
      /lambda-errors-vault-scrub$/.test(a.Properties.AlarmName),
    );
    expect(alarms).toHaveLength(1);
  });

  it("pages when it stops (scrub-age-vault): the vault's freshness monitor measures its newest record, reading its schedule only", () => {
    const all = resources();
    const alarm = Object.values(all).find((r) => r.Type === 'AWS::CloudWatch::Alarm' && r.Properties.AlarmName === 'redis-dr-vaulted-scrub-age-vault');
    expect(alarm?.Properties).toMatchObject({
      MetricName: 'ScrubRecordAgeSeconds',
      Threshold: scrubAgeLimitMinutes() * 60,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'breaching',
    });
    const bucket = Object.keys(all).find((id) => all[id]!.Type === 'AWS::S3::Bucket' && /vault/i.test(id))!;
    expect(alarm!.Properties.Dimensions).toEqual([{ Name: 'Bucket', Value: { Ref: bucket } }]);
    const [schedule] = Object.entries(all).find(([, r]) => r.Type === 'AWS::Scheduler::Schedule' && /vault scrub/.test(String(r.Properties.Description)))!;
    const monitor = Object.values(all).find((r) => r.Type === 'AWS::Scheduler::Schedule' && /freshness monitor/.test(String(r.Properties.Description)))!;
    const input = JSON.stringify(monitor.Properties.Target.Input);
    expect(input).toContain('\\"scrub\\":{\\"prefix\\":\\"redis-dr-vault-scrub/\\",\\"scheduleArn\\":');
    expect(input).toContain(`{"Fn::GetAtt":["${schedule}","Arn"]}`);
    const getSchedule = Object.values(all)
      .filter((r) => r.Type === 'AWS::IAM::Policy')
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Json[])
      .filter((st) => JSON.stringify(st.Action).includes('scheduler:GetSchedule"'));
    expect(getSchedule).toEqual([
      { Sid: 'ScrubProtectionStart', Effect: 'Allow', Action: 'scheduler:GetSchedule', Resource: { 'Fn::GetAtt': [schedule, 'Arn'] } },
    ]);
  });

  it("an organization's vault with no member account listed still has its monitor, measuring the scrub's records only: scrub-age-vault pages when the scrub stops", () => {
    const config = loadConfig(join(__dirname, '..', '..', 'fixtures', 'config', 'vault.json'));
    const stack = new VaultStack(quietApp(), 'OrgVaultNoAccounts', {
      config,
      vault: { ...config.vault!, organizationId: 'o-abcdefghij' },
      env: { account: config.vault!.account, region: config.vault!.region },
    });
    const names = Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm')).map((a: Json) => a.Properties.AlarmName);
    expect(names).toContain('redis-dr-vaulted-lambda-errors-vault-scrub');
    expect(names).toContain('redis-dr-vaulted-scrub-age-vault');
    const all = Template.fromStack(stack).toJSON().Resources as Record<string, Json>;
    const monitor = Object.values(all).find((r) => r.Type === 'AWS::Scheduler::Schedule' && /freshness monitor/.test(String(r.Properties.Description)))!;
    const input = JSON.stringify(monitor.Properties.Target.Input);
    expect(input).toContain('\\"vaultAccounts\\":[]');
    expect(input).toContain('\\"scrub\\":{\\"prefix\\":\\"redis-dr-vault-scrub/\\",\\"scheduleArn\\":');
  });
});
