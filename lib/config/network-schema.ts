/**
 * The config's VPC placement: literal ids (`network`, `dr.network`, a drill account's `network`),
 * or SSM parameter names resolved at deploy time (lib/config/ssm-network.ts). Split from schema.ts by what it does.
 */
import { z } from 'zod';
import { says } from './messages.js';
import { type SsmNetworkConfig, ssmNetworkSchema } from './ssm-network.js';

const subnetOrGroupIds = (prefix: string, max: number, what: string) =>
  z
    .array(
      z.string().regex(new RegExp(`^${prefix}-[0-9a-f]{8}(?:[0-9a-f]{9})?$`), {
        error: says(`must be a ${what} id like "${prefix}-0123456789abcdef0"`),
      }),
    )
    .min(1, { error: says(`must list at least one ${what}`) })
    .max(max, { error: says(`must list at most ${max} ${what}s`) });

export const networkSchema = z
  .strictObject({
    vpcId: z.string().regex(/^vpc-[0-9a-f]{8}(?:[0-9a-f]{9})?$/, { error: says('must be a VPC id like "vpc-0123456789abcdef0"') }),
    subnetIds: subnetOrGroupIds('subnet', 16, 'subnet'),
    securityGroupIds: subnetOrGroupIds('sg', 5, 'security group'),
    cacheSubnetGroupName: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,254}$/, { error: says('must be an ElastiCache subnet group name (lowercase letters, digits, hyphens)') })
      .optional()
      .meta({ description: 'ElastiCache subnet group restore drills create clusters in (required for drills in this region).' }),
    secretsManagerEndpoint: z
      .boolean()
      .default(false)
      .meta({
        description:
          'Create a Secrets Manager interface endpoint (private DNS) in these subnets, reachable on 443 from these security groups: ' +
          'for subnets without a NAT route. Leave false when the VPC has NAT or its own Secrets Manager endpoint (a second one with private DNS fails).',
      }),
  })
  .meta({ description: 'VPC placement for Lambdas that talk to Redis (probe, drill verification). Optional.' });

/** A network: literal ids, or SSM parameter names resolved at deploy time. */
export const networkSettingSchema = z.union([networkSchema, ssmNetworkSchema]);

/** A network's ids when the config gives them (not `network.fromSsm`, whose ids only CloudFormation reads, in each account). */
export function networkIds(network: NetworkSetting | undefined): NetworkConfig | undefined {
  return network && 'fromSsm' in network ? undefined : network;
}

/** VPC placement for Lambdas that connect to Redis, by id (at synth, each id may also be a token: lib/constructs/network-parameters.ts). */
export type NetworkConfig = z.infer<typeof networkSchema>;
/** What a config's `network` or `dr.network` holds: ids, or SSM parameter names. */
export type NetworkSetting = NetworkConfig | SsmNetworkConfig;
