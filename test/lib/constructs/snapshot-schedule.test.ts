import { beforeEach, describe, expect, it } from 'vitest';
import type { RedisDrConfig } from '../../../lib/config';
import { useDrillsSynth } from '../../support/state-machine';
import type { Synthesized } from '../../support/synth';

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

  it('runs the probe in the caches\' VPC and keeps the snapshot function outside it, pointing at the probe', () => {
    const probe = fn(/write the canary key/);
    const snapshot = fn(/create scheduled, tagged manual snapshots/);
    expect(probe.props.VpcConfig).toEqual({ SubnetIds: config.network!.subnetIds, SecurityGroupIds: config.network!.securityGroupIds });
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

  it('tells the snapshot run to probe, with the secret, for the probing plan only', () => {
    const inputs = Object.values(synth.primary.findResources('AWS::Scheduler::Schedule'))
      .filter((s) => /^redis-dr snapshot for plan /.test(s.Properties.Description))
      .map((s) => JSON.parse(s.Properties.Target.Input as string));
    expect(inputs.find((i) => i.plan === 'sessions').probe).toEqual({ authSecretArn: config.plans[0]!.probe.authSecretArn });
    expect(inputs.find((i) => i.plan === 'queues').probe).toBeUndefined();
  });
});
