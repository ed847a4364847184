import { beforeEach, describe, expect, it } from 'vitest';
import type { RedisDrConfig } from '../../../lib/config/index.js';
import { useDrillsSynth } from '../../support/state-machine.js';
import type { Synthesized } from '../../support/synth.js';
import { networkIds } from '../../../lib/config/index.js';

describe('SnapshotSchedule with a probing plan', () => {
  const current = useDrillsSynth();
  let synth: Synthesized;
  let config: RedisDrConfig;
  beforeEach(() => ({ synth, config } = current()));

  function fn(description: RegExp): { id: string; props: Record<string, any> } {
    const found = Object.entries(synth.primary.findResources('AWS::Lambda::Function')).filter(([, f]) => description.test(f.Properties.Description));
    expect(found).toHaveLength(1);
    return { id: found[0]![0], props: found[0]![1].Properties };
  }

  it("runs the probe in the caches' VPC and keeps the snapshot function outside it, pointing at the probe", () => {
    const probe = fn(/write the canary key/);
    const snapshot = fn(/create scheduled, tagged manual snapshots/);
    expect(probe.props.VpcConfig).toEqual({ SubnetIds: networkIds(config.network)!.subnetIds, SecurityGroupIds: networkIds(config.network)!.securityGroupIds });
    expect(snapshot.props.VpcConfig).toBeUndefined();
    expect(snapshot.props.Environment.Variables.PROBE_FUNCTION_NAME).toEqual({ Ref: probe.id });
  });

  it('lets only the snapshot function invoke the probe, and only the probe read the cache secret', () => {
    const statements = Object.entries(synth.primary.findResources('AWS::IAM::Policy')).flatMap(([id, p]) =>
      (p.Properties.PolicyDocument.Statement as Record<string, any>[]).map((s): Record<string, any> => ({ policy: id, ...s })),
    );
    const invokes = statements.filter((s) => [s.Action].flat().includes('lambda:InvokeFunction') && JSON.stringify(s.Resource).includes('Probe'));
    expect(invokes.map((s) => s.policy)).toEqual([expect.stringMatching(/^SnapshotsSnapshotRole/)]);
    const reads = statements.filter((s) => [s.Action].flat().includes('secretsmanager:GetSecretValue'));
    // The drill verify step reads only the drill token secrets it is given; nothing else reads the cache secret.
    const drillTokens = reads.filter((s) => JSON.stringify(s.Resource).includes(':secret:redis-dr/drill/*'));
    expect(drillTokens.map((s) => s.policy)).toEqual([expect.stringMatching(/^DrillsVerify/)]);
    const secrets = reads.filter((s) => !drillTokens.includes(s));
    expect(secrets).toHaveLength(1);
    expect(secrets[0]!.policy).toMatch(/^SnapshotsProbeRole/);
    // The ARN as configured and with the 6-character suffix Secrets Manager appends (the config may name it without).
    const arn = config.plans[0]!.probe.authSecretArn!;
    expect(secrets[0]!.Resource).toEqual([arn, `${arn}-??????`]);
  });

  it('lets the probe decrypt the cache secret with exactly its configured customer managed key, only through Secrets Manager and only for that secret', () => {
    const statements = Object.entries(synth.primary.findResources('AWS::IAM::Policy')).flatMap(([id, p]) =>
      (p.Properties.PolicyDocument.Statement as Record<string, any>[]).map((s): Record<string, any> => ({ policy: id, ...s })),
    );
    const decrypts = statements.filter((s) => [s.Action].flat().includes('kms:Decrypt') && s.Sid === 'ReadCacheAuthKey');
    expect(decrypts).toHaveLength(1);
    const { authSecretArn: arn, authSecretKmsKeyArn: key } = config.plans[0]!.probe;
    const region = arn!.split(':')[3];
    expect(decrypts[0]!.policy).toMatch(/^SnapshotsProbeRole/);
    // The drills fixture names the secret's key (probe.authSecretKmsKeyArn): that key, no other.
    expect(key).toMatch(/^arn:aws:kms:eu-west-1:\d{12}:key\/[0-9a-f-]+$/);
    expect(decrypts[0]!.Resource).toBe(key);
    expect(decrypts[0]!.Condition).toEqual({
      StringEquals: { 'kms:ViaService': `secretsmanager.${region}.amazonaws.com` },
      StringLike: { 'kms:EncryptionContext:SecretARN': [arn, `${arn}-??????`] },
    });
  });

  it('tells the snapshot run to probe, with the secret, for the probing plan only', () => {
    const inputs = Object.values(synth.primary.findResources('AWS::Scheduler::Schedule'))
      .filter((s) => /^redis-dr snapshot for plan /.test(s.Properties.Description))
      .map((s) => JSON.parse(s.Properties.Target.Input as string));
    expect(inputs.find((i) => i.plan === 'sessions').probe).toEqual({ authSecretArn: config.plans[0]!.probe.authSecretArn });
    expect(inputs.find((i) => i.plan === 'queues').probe).toBeUndefined();
  });

  it('lets the snapshot function mark and hold only managed rdr-* snapshots, only with the two tripwire tag keys, and never untag', () => {
    const statements = Object.entries(synth.primary.findResources('AWS::IAM::Policy'))
      .filter(([id]) => /^SnapshotsSnapshotRole/.test(id))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Record<string, any>[]);
    const hold = statements.find((s) => s.Sid === 'HoldManagedSnapshots');
    expect(hold).toBeDefined();
    expect(hold!.Action).toBe('elasticache:AddTagsToResource');
    expect(hold!.Condition).toEqual({
      StringEquals: { 'aws:ResourceTag/redis-dr:managed': 'true', 'aws:ResourceTag/redis-dr:deployment': config.name },
      'ForAllValues:StringEquals': { 'aws:TagKeys': ['redis-dr:hold', 'redis-dr:collapsed'] },
    });
    expect(JSON.stringify(hold!.Resource)).toMatch(/snapshot:rdr-\*/);
    expect(JSON.stringify(hold!.Resource)).not.toMatch(/replicationgroup/);
    expect(statements.some((s) => [s.Action].flat().includes('elasticache:RemoveTagsFromResource'))).toBe(false);
  });

  it("passes each plan's collapseThresholdPct to its snapshot runs", () => {
    const inputs = Object.values(synth.primary.findResources('AWS::Scheduler::Schedule'))
      .filter((s) => /^redis-dr snapshot for plan /.test(s.Properties.Description))
      .map((s) => JSON.parse(s.Properties.Target.Input as string));
    expect(inputs.map((i) => [i.plan, i.collapseThresholdPct])).toEqual(config.plans.map((p) => [p.name, p.collapseThresholdPct]));
    expect(inputs.every((i) => typeof i.collapseThresholdPct === 'number')).toBe(true);
  });
});
