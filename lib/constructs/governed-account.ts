import { type IAspect, Validations } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { IConstruct } from 'constructs';
import { vpcAccessStatement } from './job-function.js';

/** Props for {@link GovernedAccount}. */
export interface GovernedAccountProps {
  /**
   * Subnets and security groups every function without a VPC placement gets.
   * @default - functions stay where their capability put them
   */
  readonly network?: { readonly subnetIds: readonly string[]; readonly securityGroupIds: readonly string[] };
  /**
   * KMS key (of the stack's region) every log group without a key is encrypted with.
   * @default - CloudWatch Logs' own encryption
   */
  readonly logKmsKeyArn?: string;
}

/**
 * An aspect that holds every function and log group of a stack to what
 * governed accounts require (Control Tower CT.LAMBDA.PR.3 and
 * CT.CLOUDWATCH.PR.3, NIST 800-53 LambdaInsideVPC and
 * CloudWatchLogGroupEncrypted): a VPC placement and a customer-managed log
 * key. An aspect rather than a prop of each capability, so it also reaches
 * the functions the CDK generates (the AwsCustomResource provider).
 */
export class GovernedAccount implements IAspect {
  constructor(private readonly props: GovernedAccountProps) {}

  visit(node: IConstruct): void {
    if (this.props.logKmsKeyArn && node instanceof logs.CfnLogGroup && node.kmsKeyId === undefined) node.kmsKeyId = this.props.logKmsKeyArn;
    if (this.props.network && node instanceof lambda.Function) this.placeInVpc(node, this.props.network);
  }

  private placeInVpc(fn: lambda.Function, network: NonNullable<GovernedAccountProps['network']>): void {
    const cfn = fn.node.defaultChild as lambda.CfnFunction;
    if (cfn.vpcConfig) return;
    if (!fn.role) throw new Error(`GovernedAccount: ${fn.node.path} has no role to grant its VPC network interfaces to`);
    cfn.vpcConfig = { subnetIds: [...network.subnetIds], securityGroupIds: [...network.securityGroupIds] };
    // Lambda checks the role may manage network interfaces when it creates the function: the policy comes first.
    const { policyDependable } = fn.role.addToPrincipalPolicy(vpcAccessStatement());
    if (policyDependable) cfn.node.addDependency(policyDependable);
    Validations.of(fn.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'The EC2 network-interface calls Lambda makes for a function in a VPC support no resource-level permissions.',
    });
  }
}
