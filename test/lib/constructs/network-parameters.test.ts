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
  const VPC = arn(`vpc/${MEMBER_NETWORK_VALUES.NetworkVpcId}`);
  const OTHER_VPC = arn('vpc/vpc-0ffffffffffffffff');
  const ask = (resource: string, vpc: string) => ({ action: 'ec2:CreateVpcEndpoint', resource: arn(resource), context: { 'ec2:Vpc': vpc } });

  it('is the drill role only', () => {
    expect(roles).toHaveLength(1);
  });

  it("allows the parameter VPC's subnets and security groups, and denies those of another VPC of the account", async () => {
    const policies = rolePolicies(template, roles[0]!, standIns);
    const subnet = `subnet/${MEMBER_NETWORK_VALUES.NetworkSubnetIds[0]}`;
    const group = `security-group/${MEMBER_NETWORK_VALUES.NetworkSecurityGroupIds[0]}`;
    expect(await evaluate(policies, ask(subnet, VPC), standIns)).toBe('Allowed');
    expect(await evaluate(policies, ask(group, VPC), standIns)).toBe('Allowed');
    expect(await evaluate(policies, ask(`vpc/${MEMBER_NETWORK_VALUES.NetworkVpcId}`, VPC), standIns)).toBe('Allowed');
    // Another VPC: its subnets, its groups, the VPC itself.
    expect(await evaluate(policies, ask('subnet/subnet-0ffffffffffffffff', OTHER_VPC), standIns)).toBe('ImplicitlyDenied');
    expect(await evaluate(policies, ask('security-group/sg-0ffffffffffffffff', OTHER_VPC), standIns)).toBe('ImplicitlyDenied');
    expect(await evaluate(policies, ask('vpc/vpc-0ffffffffffffffff', OTHER_VPC), standIns)).toBe('ImplicitlyDenied');
    // Without ec2:Vpc in the request (the reference does not list it for this action), the call is fenced by the VPC's own ARN:
    // the subnet is usable, and a call naming another VPC is still denied on that VPC.
    expect(await evaluate(policies, { action: 'ec2:CreateVpcEndpoint', resource: arn(subnet), context: {} }, standIns)).toBe('Allowed');
    expect(await evaluate(policies, { action: 'ec2:CreateVpcEndpoint', resource: arn('vpc/vpc-0ffffffffffffffff'), context: {} }, standIns)).toBe(
      'ImplicitlyDenied',
    );
  });
});
