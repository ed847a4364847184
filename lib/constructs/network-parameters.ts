/**
 * A region's network as the stack uses it: the config's ids as they are, or,
 * for `network.fromSsm`, stack parameters of SSM types whose defaults are the
 * parameter names, so CloudFormation resolves them in each stack instance's
 * own account and region (a StackSet's one template serves every account;
 * docs/org.md, "Restore drills in the member stacks"). The ids are then
 * tokens: a list is one token at synth, so whatever enumerates ids (an ARN
 * per subnet, an imported subnet per id) asks {@link isTokenList} first.
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/parameters-section-structure.html#aws-ssm-parameter-types
 */
import { CfnParameter, Fn, Lazy, Stack, Token } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { NetworkConfig, NetworkSetting, SsmNetworkConfig } from '../config/index.js';

/** Whether a config's network names SSM parameters instead of ids. */
export function isSsmNetwork(network: NetworkSetting | undefined): network is SsmNetworkConfig {
  return network !== undefined && 'fromSsm' in network;
}

/** Whether a list of ids is a deploy-time list (a parameter's), not ids known at synth. */
export function isTokenList(ids: readonly string[]): boolean {
  return Token.isUnresolved(ids as string[]);
}

/** The SSM stack parameter types, by what the parameter holds. */
export const SSM_PARAMETER_TYPES = {
  vpcId: 'AWS::SSM::Parameter::Value<AWS::EC2::VPC::Id>',
  subnetIds: 'AWS::SSM::Parameter::Value<List<AWS::EC2::Subnet::Id>>',
  securityGroupIds: 'AWS::SSM::Parameter::Value<List<AWS::EC2::SecurityGroup::Id>>',
  subnetGroupName: 'AWS::SSM::Parameter::Value<String>',
} as const;

/**
 * The network of `scope`'s stack: literal ids unchanged (no parameter: the
 * template is as without this function), SSM names as the stack parameters
 * `NetworkVpcId`, `NetworkSubnetIds`, `NetworkSecurityGroupIds` and
 * `NetworkCacheSubnetGroupName`, their values tokens. `vpcId: false` makes no
 * `NetworkVpcId` when the stack has none yet: only a serverless drill's
 * endpoint grant names the VPC (functions take subnets and groups), and a
 * parameter no resource uses is a template fault (cfn-lint W2001; a member
 * DR stack, whose drills seed node-based clusters from the DR copies); its
 * id is then a token that fails the synth, naming the parameter, if anything
 * renders it.
 */
export function stackNetwork(scope: Construct, network: NetworkSetting | undefined, options: { readonly vpcId?: boolean } = {}): NetworkConfig | undefined {
  if (!isSsmNetwork(network)) return network;
  const stack = Stack.of(scope);
  const names = network.fromSsm;
  // One set of parameters per stack, however many callers ask (the stack, and the governed-account aspect).
  const parameter = (id: string, key: keyof typeof SSM_PARAMETER_TYPES, description: string) =>
    (stack.node.tryFindChild(id) as CfnParameter | undefined) ??
    new CfnParameter(stack, id, { type: SSM_PARAMETER_TYPES[key], default: names[key], description: `${description} (SSM parameter name)` });
  const vpcId =
    options.vpcId === false && stack.node.tryFindChild('NetworkVpcId') === undefined
      ? Lazy.string({
          produce: () => {
            throw new Error(`${stack.node.path}: NetworkVpcId was not made (stackNetwork with vpcId false), yet the template names the VPC id`);
          },
        })
      : parameter('NetworkVpcId', 'vpcId', 'The VPC restore drills run in').valueAsString;
  return {
    vpcId,
    subnetIds: parameter('NetworkSubnetIds', 'subnetIds', 'The subnets of drill caches and of the functions that reach them').valueAsList,
    securityGroupIds: parameter('NetworkSecurityGroupIds', 'securityGroupIds', 'The security groups of drill caches and of the functions that reach them')
      .valueAsList,
    cacheSubnetGroupName: parameter('NetworkCacheSubnetGroupName', 'subnetGroupName', 'The ElastiCache subnet group drills create clusters in').valueAsString,
    secretsManagerEndpoint: false,
  };
}

/**
 * A list of ids as a state's parameter: the list itself when known at synth;
 * a deploy-time list (one token) joined into the definition and split back
 * by Step Functions' `States.StringSplit` when the state runs, so the API
 * call gets a JSON list. (Rendering the token as a JSON list at synth would
 * take the CDK's CfnJson, a Lambda-backed custom resource in every member
 * stack; ids hold neither quotes nor commas.)
 * @see https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html#asl-intrsc-func-arrays
 */
export function idListParameter(key: string, ids: readonly string[]): Record<string, unknown> {
  if (!isTokenList(ids)) return { [key]: ids };
  return { [`${key}.$`]: `States.StringSplit('${Fn.join(',', ids as string[])}', ',')` };
}
