import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { DEFAULT_STAND_INS, type TemplateJson } from '../../../lib/asl.js';
import type { NetworkSetting } from '../../../lib/config/index.js';
import { idListParameter, stackNetwork } from '../../../lib/constructs/network-parameters.js';
import { evaluate, rolePolicies } from '../../support/iam.js';
import { MEMBER_DR_NETWORK_VALUES, MEMBER_NETWORK_VALUES, memberDrillConfig } from '../../support/state-machine.js';
import { synthesize } from '../../support/synth.js';

const LITERAL: NetworkSetting = {
  vpcId: 'vpc-0123456789abcdef0',
  subnetIds: ['subnet-0123456789abcdef0'],
  securityGroupIds: ['sg-0123456789abcdef0'],
  cacheSubnetGroupName: 'drills',
  secretsManagerEndpoint: false,
};
const FROM_SSM: NetworkSetting = {
  fromSsm: { vpcId: '/n/vpc', subnetIds: '/n/subnets', securityGroupIds: '/n/groups', subnetGroupName: '/n/subnet-group' },
};

describe('stackNetwork', () => {
  it('gives literal ids back as they are, with no stack parameter', () => {
    const stack = new Stack(new App(), 'S');
    expect(stackNetwork(stack, LITERAL)).toBe(LITERAL);
    expect(Object.keys(Template.fromStack(stack).toJSON().Parameters)).toEqual(['BootstrapVersion']);
  });

  it('makes one SSM-typed parameter per name, once per stack however often asked', () => {
    const stack = new Stack(new App(), 'S');
    const first = stackNetwork(stack, FROM_SSM)!;
    const second = stackNetwork(stack, FROM_SSM)!;
    expect(stack.resolve(second.subnetIds)).toEqual(stack.resolve(first.subnetIds));
    expect(stack.resolve(first.subnetIds)).toEqual({ Ref: 'NetworkSubnetIds' });
    expect(stack.resolve(first.cacheSubnetGroupName)).toEqual({ Ref: 'NetworkCacheSubnetGroupName' });
    const { BootstrapVersion: _cdk, ...params } = Template.fromStack(stack).toJSON().Parameters as Record<string, { Type: string; Default: string }>;
    expect(Object.fromEntries(Object.entries(params).map(([id, p]) => [id, [p.Type, p.Default]]))).toEqual({
      NetworkVpcId: ['AWS::SSM::Parameter::Value<AWS::EC2::VPC::Id>', '/n/vpc'],
      NetworkSubnetIds: ['AWS::SSM::Parameter::Value<List<AWS::EC2::Subnet::Id>>', '/n/subnets'],
      NetworkSecurityGroupIds: ['AWS::SSM::Parameter::Value<List<AWS::EC2::SecurityGroup::Id>>', '/n/groups'],
      NetworkCacheSubnetGroupName: ['AWS::SSM::Parameter::Value<String>', '/n/subnet-group'],
    });
  });
});

describe('stackNetwork with vpcId false (a stack where nothing names the VPC)', () => {
  it('makes no NetworkVpcId, and fails the synth naming it if anything renders the id', () => {
    const stack = new Stack(new App(), 'S');
    const network = stackNetwork(stack, FROM_SSM, { vpcId: false })!;
    expect(stack.resolve(network.subnetIds)).toEqual({ Ref: 'NetworkSubnetIds' });
    expect(Object.keys(Template.fromStack(stack).toJSON().Parameters).sort()).toEqual([
      'BootstrapVersion',
      'NetworkCacheSubnetGroupName',
      'NetworkSecurityGroupIds',
      'NetworkSubnetIds',
    ]);
    expect(() => stack.resolve(network.vpcId)).toThrow(/NetworkVpcId was not made/);
  });

  it('takes the parameter a caller before it made', () => {
    const stack = new Stack(new App(), 'S');
    stackNetwork(stack, FROM_SSM);
    expect(stack.resolve(stackNetwork(stack, FROM_SSM, { vpcId: false })!.vpcId)).toEqual({ Ref: 'NetworkVpcId' });
  });
});

describe('idListParameter', () => {
  it('passes ids known at synth as the list, and a deploy-time list through States.StringSplit of its join', () => {
    const stack = new Stack(new App(), 'S');
    expect(idListParameter('SubnetIds', ['subnet-1', 'subnet-2'])).toEqual({ SubnetIds: ['subnet-1', 'subnet-2'] });
    const deployTime = idListParameter('SubnetIds', stackNetwork(stack, FROM_SSM)!.subnetIds);
    expect(Object.keys(deployTime)).toEqual(['SubnetIds.$']);
    expect(stack.resolve(deployTime['SubnetIds.$'])).toEqual({
      'Fn::Join': ['', ["States.StringSplit('", { 'Fn::Join': [',', { Ref: 'NetworkSubnetIds' }] }, "', ',')"]],
    });
  });
});

describe("a member stack's serverless drill endpoint grant (network.fromSsm), simulated", () => {
  const template = synthesize(memberDrillConfig()).primary.toJSON() as TemplateJson;
  const standIns = { ...DEFAULT_STAND_INS, parameters: MEMBER_NETWORK_VALUES };
  const roles = Object.entries(template.Resources ?? {})
    .filter(([, r]) => r.Type === 'AWS::IAM::Role')
    .map(([id]) => id)
    .filter((id) => JSON.stringify(rolePolicies(template, id, standIns)).includes('ec2:CreateVpcEndpoint'));
  const arn = (resource: string) => `arn:aws:ec2:${DEFAULT_STAND_INS.region}:${DEFAULT_STAND_INS.account}:${resource}`;
  const OTHER_SUBNET = 'subnet-0ffffffffffffffff';
  const OTHER_GROUP = 'sg-0ffffffffffffffff';
  /** CreateVpcEndpoint on one resource, with the keys the Service Authorization Reference gives the action on that resource type. */
  const ask = (resource: string) => {
    const [type, id] = resource.split('/') as [string, string];
    const key = { subnet: 'ec2:SubnetID', 'security-group': 'ec2:SecurityGroupID', vpc: 'ec2:VpcID' }[type]!;
    return { action: 'ec2:CreateVpcEndpoint', resource: arn(resource), context: { [key]: id } };
  };

  it('is the drill role only', () => {
    expect(roles).toHaveLength(1);
  });

  it("allows the parameters' own subnets, security groups and VPC, and denies any other of the account", async () => {
    const policies = rolePolicies(template, roles[0]!, standIns);
    for (const subnet of MEMBER_NETWORK_VALUES.NetworkSubnetIds) expect(await evaluate(policies, ask(`subnet/${subnet}`), standIns), subnet).toBe('Allowed');
    for (const group of MEMBER_NETWORK_VALUES.NetworkSecurityGroupIds)
      expect(await evaluate(policies, ask(`security-group/${group}`), standIns), group).toBe('Allowed');
    expect(await evaluate(policies, ask(`vpc/${MEMBER_NETWORK_VALUES.NetworkVpcId}`), standIns)).toBe('Allowed');
    // Another VPC's (or the same VPC's other) subnet and group, and another VPC: denied.
    expect(await evaluate(policies, ask(`subnet/${OTHER_SUBNET}`), standIns)).toBe('ImplicitlyDenied');
    expect(await evaluate(policies, ask(`security-group/${OTHER_GROUP}`), standIns)).toBe('ImplicitlyDenied');
    expect(await evaluate(policies, ask('vpc/vpc-0ffffffffffffffff'), standIns)).toBe('ImplicitlyDenied');
    // The grant rests on the documented keys, not on the wildcard: a request without ec2:SubnetID is denied.
    const subnet = `subnet/${MEMBER_NETWORK_VALUES.NetworkSubnetIds[0]}`;
    expect(await evaluate(policies, { action: 'ec2:CreateVpcEndpoint', resource: arn(subnet), context: {} }, standIns)).toBe('ImplicitlyDenied');
  });
});

describe("a member stack's drill cluster placement (network.fromSsm, dr.network.fromSsm), simulated in both regions", () => {
  const config = memberDrillConfig();
  const synth = synthesize(config);
  const regions = [
    ['primary', synth.primary.toJSON() as TemplateJson, MEMBER_NETWORK_VALUES],
    ['dr', synth.dr.toJSON() as TemplateJson, MEMBER_DR_NETWORK_VALUES],
  ] as const;
  // Each stack is bound to its region (its ARNs name it).
  const subnetGroup = (where: 'primary' | 'dr', name: string) => `arn:aws:elasticache:${config[where].region}:${DEFAULT_STAND_INS.account}:subnetgroup:${name}`;

  it.each(regions)(
    "%s: the drill role creates clusters in the parameter's subnet group only (a subnet group is one VPC's), and names no VPC endpoint outside the primary region",
    async (where, template, values) => {
      const standIns = { ...DEFAULT_STAND_INS, parameters: values };
      const drillRoles = Object.entries(template.Resources ?? {})
        .filter(([, r]) => r.Type === 'AWS::IAM::Role')
        .map(([id]) => id)
        .filter((id) => JSON.stringify(rolePolicies(template, id, standIns)).includes('elasticache:CreateReplicationGroup'));
      expect(drillRoles, where).toHaveLength(1);
      // A wrong-region ARN would be denied for that reason alone: the allowed case below shows the region is right.
      const policies = rolePolicies(template, drillRoles[0]!, standIns);
      const create = (name: string) =>
        evaluate(policies, { action: 'elasticache:CreateReplicationGroup', resource: subnetGroup(where, name), context: {} }, standIns);
      expect(await create(values.NetworkCacheSubnetGroupName)).toBe('Allowed');
      expect(await create('another-vpcs-subnet-group')).toBe('ImplicitlyDenied');
      // The other region's subnet group is not this region's either.
      const other = where === 'primary' ? MEMBER_DR_NETWORK_VALUES : MEMBER_NETWORK_VALUES;
      expect(await create(other.NetworkCacheSubnetGroupName)).toBe('ImplicitlyDenied');
      // The DR region's drills by tag seed node-based clusters only: its drill role makes no VPC endpoint at all.
      expect(JSON.stringify(policies).includes('ec2:CreateVpcEndpoint'), where).toBe(where === 'primary');
    },
  );
});
