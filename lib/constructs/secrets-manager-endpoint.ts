import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import type { NetworkConfig } from '../config/index.js';
import { vpcPlacement } from './job-function.js';

/**
 * The opt-in route to Secrets Manager for subnets without NAT
 * (`network.secretsManagerEndpoint`): an interface endpoint with private DNS
 * in the configured subnets, behind a security group of its own that admits
 * tcp 443 from each configured group, so the probe and drill verification
 * resolve `secretsmanager.<region>.amazonaws.com` to it unchanged. AWS allows
 * one endpoint subnet per Availability Zone and one private-DNS endpoint per
 * service and VPC; docs/configuration.md says so.
 */
export class SecretsManagerEndpoint extends Construct {
  /** The endpoint. */
  public readonly endpoint: ec2.InterfaceVpcEndpoint;
  /** The endpoint's own security group. */
  public readonly securityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, network: NetworkConfig) {
    super(scope, id);
    const { vpc, vpcSubnets, securityGroups } = vpcPlacement(this, network);
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc,
      description: 'redis-dr: Secrets Manager endpoint, tcp 443 from the redis-dr functions only',
      allowAllOutbound: false,
    });
    for (const group of securityGroups) this.securityGroup.addIngressRule(group, ec2.Port.tcp(443), `redis-dr functions (${group.securityGroupId})`);
    this.endpoint = new ec2.InterfaceVpcEndpoint(this, 'Endpoint', {
      vpc,
      service: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
      subnets: vpcSubnets,
      securityGroups: [this.securityGroup],
      privateDnsEnabled: true,
      // Ingress is added above from the functions' groups only, not from the whole VPC.
      open: false,
    });
  }
}
