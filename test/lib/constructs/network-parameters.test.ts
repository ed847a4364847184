import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { DEFAULT_STAND_INS, type TemplateJson } from '../../../lib/asl.js';
import type { NetworkSetting } from '../../../lib/config/index.js';
import { idListParameter, stackNetwork } from '../../../lib/constructs/network-parameters.js';
import { evaluate, rolePolicies } from '../../support/iam.js';
import { MEMBER_NETWORK_VALUES, memberDrillConfig } from '../../support/state-machine.js';
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
