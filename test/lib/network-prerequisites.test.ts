import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisDrConfig, validateConfig } from '../../lib/config/index.js';
import { networkPrerequisites, selftestCanary } from '../../lib/deployment.js';
import { networkLines } from '../../lib/synth-summary.js';
import { DRILLS_CONFIG } from '../support/state-machine.js';
import { type Synthesized, synthesize } from '../support/synth.js';
import { cfnLint } from '../support/cfn-lint.js';
import { networkIds } from '../../lib/config/index.js';

/** The drills fixture (probe and drills in both regions), changed by `edit`. */
function drillsConfig(edit: (raw: any) => void = () => {}): RedisDrConfig {
  const raw = JSON.parse(readFileSync(DRILLS_CONFIG, 'utf8'));
  edit(raw);
  const result = validateConfig(raw);
  if (!result.ok) throw new Error(result.problems.join('\n'));
  return result.config;
}

describe('networkPrerequisites', () => {
  it('lists each VPC with the functions placed in it and the ports its groups must admit from themselves', () => {
    const found = networkPrerequisites(drillsConfig());
    expect(found.map(({ field, users, selfIngressPorts }) => ({ field, users, selfIngressPorts }))).toEqual([
      // sessions drills a serverless cache too: 6380 serves reads from replicas.
      { field: 'network', users: ['probe', 'drill verification'], selfIngressPorts: 'tcp 6379-6380' },
      { field: 'dr.network', users: ['drill verification'], selfIngressPorts: 'tcp 6379-6380' },
    ]);
  });

  it('asks only 6379 of node-based drills, nothing of a probe-only VPC, and lists no VPC without redis-dr functions', () => {
    const nodeOnly = drillsConfig((raw) => {
      raw.plans[0].targets = { replicationGroupIds: ['sessions-prod'] };
      raw.plans[0].drill.where = 'primary';
      delete raw.dr.network;
    });
    expect(networkPrerequisites(nodeOnly).map((n) => [n.field, n.selfIngressPorts])).toEqual([['network', 'tcp 6379']]);
    const probeOnly = drillsConfig((raw) => {
      raw.plans[0].drill.enabled = false;
      delete raw.dr.network;
    });
    expect(networkPrerequisites(probeOnly).map((n) => [n.field, n.users, n.selfIngressPorts])).toEqual([['network', ['probe'], 'none']]);
    const nothingInVpc = drillsConfig((raw) => {
      raw.plans[0].drill.enabled = false;
      raw.plans[0].probe.enabled = false;
    });
    expect(networkPrerequisites(nothingInVpc)).toEqual([]);
  });
});

describe('the synth summary on network prerequisites', () => {
  it('names the route to Secrets Manager and the self-referencing ingress it cannot inspect, with the command that checks it', () => {
    const lines = networkLines(drillsConfig());
    expect(lines).toEqual([
      '  network (eu-west-1; probe, drill verification): the subnets need a NAT route to Secrets Manager, or set network.secretsManagerEndpoint',
      expect.stringMatching(
        /^ {2}network: security group\(s\) sg-0123456789abcdef0 cannot be inspected at synth: each must admit itself on tcp 6379-6380 .*aws ec2 describe-security-group-rules --region eu-west-1 --filters Name=group-id,Values=sg-0123456789abcdef0$/,
      ),
      '  dr.network (eu-central-1; drill verification): the subnets need a NAT route to Secrets Manager, or set dr.network.secretsManagerEndpoint',
      expect.stringMatching(/^ {2}dr\.network: security group\(s\) sg-0123456789abcdef0 cannot be inspected at synth: .*--region eu-central-1 /),
    ]);
  });

  it('says the endpoint is created when the setting is on', () => {
    const lines = networkLines(drillsConfig((raw) => (raw.network.secretsManagerEndpoint = true)));
    expect(lines[0]).toBe(
      '  network (eu-west-1; probe, drill verification): a Secrets Manager interface endpoint is created (network.secretsManagerEndpoint); the groups must allow outbound tcp 443 to it',
    );
    expect(lines[2]).toMatch(/or set dr\.network\.secretsManagerEndpoint$/);
  });

  it('with network.fromSsm, names the SSM parameters (no ids are known at synth) and the command that reads the groups in each account', () => {
    const fromSsm = { vpcId: '/n/vpc', subnetIds: '/n/subnets', securityGroupIds: '/n/groups', subnetGroupName: '/n/subnet-group' };
    const config = drillsConfig((raw) => (raw.dr.network = { fromSsm }));
    const lines = networkLines(config);
    expect(lines.slice(2)).toEqual([
      '  dr.network (eu-central-1; drill verification): from SSM parameters /n/vpc (VPC), /n/subnets (subnets), /n/groups (security groups), /n/subnet-group (cache subnet group), resolved by CloudFormation in each account; the subnets need a NAT route to Secrets Manager',
      '  dr.network: the security group(s) in /n/groups cannot be inspected at synth: each must admit itself on tcp 6379-6380 (drill clusters share it); check in each account: aws ssm get-parameter --region eu-central-1 --name /n/groups',
    ]);
    expect(lines.slice(2).join('\n')).not.toMatch(/sg-0|subnet-0/);
    // Without a serverless cache to drill in the DR region, nothing there reads the VPC id: not named (the stack has no parameter for it).
    const nodeBased = networkLines(
      drillsConfig((raw) => {
        raw.dr.network = { fromSsm };
        for (const plan of raw.plans) delete plan.targets.serverlessCacheNames;
      }),
    );
    expect(nodeBased.find((l) => l.startsWith('  dr.network (eu-central-1'))).toBe(
      '  dr.network (eu-central-1; drill verification): from SSM parameters /n/subnets (subnets), /n/groups (security groups), /n/subnet-group (cache subnet group), resolved by CloudFormation in each account; the subnets need a NAT route to Secrets Manager',
    );
  });
});

describe("selftest --canary's drill input", () => {
  it('takes the ids of network, and says what to do with SSM parameter names instead', () => {
    const at = new Date('2026-11-25T00:00:00Z');
    expect(
      selftestCanary(
        drillsConfig((raw) => (raw.network.cacheSubnetGroupName = 'drills')),
        at,
        false,
        'cache.t4g.micro',
      ),
    ).toMatchObject({
      cacheSubnetGroupName: 'drills',
      securityGroupIds: ['sg-0123456789abcdef0'],
    });
    const fromSsm = drillsConfig((raw) => {
      raw.network = { fromSsm: { vpcId: '/n/vpc', subnetIds: '/n/subnets', securityGroupIds: '/n/groups', subnetGroupName: '/n/subnet-group' } };
      for (const plan of raw.plans) plan.probe = { enabled: false };
    });
    expect(selftestCanary(fromSsm, at, false, 'cache.t4g.micro')).toBe(
      'needs ids in network, got SSM parameter names (network.fromSsm: /n/subnet-group, /n/groups), which the canary does not read: run selftest without --canary, or pass a config with network ids',
    );
  });
});

describe('network.secretsManagerEndpoint', () => {
  let synth: Synthesized;
  let config: RedisDrConfig;
  beforeAll(() => {
    config = drillsConfig((raw) => {
      raw.network.secretsManagerEndpoint = true;
      raw.dr.network.secretsManagerEndpoint = true;
    });
    synth = synthesize(config);
  });
  afterAll(() => synth?.cleanup());

  it('creates a private-DNS Secrets Manager endpoint in the configured subnets of each region', () => {
    for (const [template, region, network] of [
      [synth.primary, 'eu-west-1', networkIds(config.network)!],
      [synth.dr, 'eu-central-1', networkIds(config.dr.network)!],
    ] as const) {
      const endpoints = Object.values(template.findResources('AWS::EC2::VPCEndpoint'));
      expect(endpoints).toHaveLength(1);
      const props = endpoints[0]!.Properties;
      expect(props.ServiceName).toBe(`com.amazonaws.${region}.secretsmanager`);
      expect(props.VpcEndpointType).toBe('Interface');
      expect(props.PrivateDnsEnabled).toBe(true);
      expect(props.VpcId).toBe(network.vpcId);
      expect(props.SubnetIds).toEqual(network.subnetIds);
    }
  });

  it("admits tcp 443 only from the functions' security groups, and sends nothing out", () => {
    const groups = Object.entries(synth.primary.findResources('AWS::EC2::SecurityGroup'));
    expect(groups).toHaveLength(1);
    const [id, group] = groups[0]!;
    expect(group.Properties.SecurityGroupIngress).toBeUndefined();
    const ingress = Object.values(synth.primary.findResources('AWS::EC2::SecurityGroupIngress')).map((r) => r.Properties);
    expect(ingress).toEqual([
      expect.objectContaining({
        GroupId: { 'Fn::GetAtt': [id, 'GroupId'] },
        IpProtocol: 'tcp',
        FromPort: 443,
        ToPort: 443,
        SourceSecurityGroupId: networkIds(config.network)!.securityGroupIds[0],
      }),
    ]);
    // allowAllOutbound false: CDK writes a deny-all placeholder egress rule (no real destination).
    expect(group.Properties.SecurityGroupEgress).toEqual([expect.objectContaining({ CidrIp: '255.255.255.255/32' })]);
    const endpoint = Object.values(synth.primary.findResources('AWS::EC2::VPCEndpoint'))[0]!;
    expect(endpoint.Properties.SecurityGroupIds).toEqual([{ 'Fn::GetAtt': [id, 'GroupId'] }]);
  });

  it('is clean under cfn-lint (cdk-nag ran at synth)', async () => {
    expect(await cfnLint(synth.templateFiles)).toEqual({ status: 0, output: '' });
  }, 300_000);

  it('creates nothing in the VPC when the setting is off (the default)', () => {
    const plain = synthesize(drillsConfig());
    try {
      expect(plain.primary.findResources('AWS::EC2::VPCEndpoint')).toEqual({});
      expect(plain.dr.findResources('AWS::EC2::SecurityGroup')).toEqual({});
    } finally {
      plain.cleanup();
    }
  });
});
