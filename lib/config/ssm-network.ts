/**
 * A network given as SSM parameter names instead of ids (`network.fromSsm`,
 * and the org config's `drill.network`): the stacks take them as stack
 * parameters of SSM types, which CloudFormation resolves in each stack's own
 * account and region, so one template (a StackSet's) serves every account
 * (docs/org.md, "Restore drills in the member stacks").
 */
import { z } from 'zod';
import { says } from './messages.js';

/**
 * An SSM parameter name (what `AWS::SSM::Parameter::Value<…>` stack parameters take):
 * letters, digits, `_ . -` and `/`, fully qualified with a leading `/` or a single name.
 * @see https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-su-create.html
 */
const ssmParameterName = (example: string) =>
  z
    .string()
    .regex(/^(?!\/?(?:aws|ssm))(?:\/[\w.-]+){1,15}$|^(?!aws|ssm)[\w.-]+$/i, {
      error: says(
        `must be an SSM parameter name like "${example}"`,
        'letters, digits, _ . - and /, at most 15 levels, not starting with aws or ssm: the name the account baseline (Control Tower, AFT) writes the value under',
      ),
    })
    .max(1011, { error: says('must be at most 1011 characters (an SSM parameter name)') });

/**
 * A network given as SSM parameter names instead of ids (`network.fromSsm`): the stacks take
 * them as stack parameters of SSM types, which CloudFormation resolves in each stack's own
 * account and region, so one template (a StackSet's) serves every account (docs/org.md).
 */
export const ssmNetworkSchema = z
  .strictObject({
    fromSsm: z
      .strictObject({
        vpcId: ssmParameterName('/org/network/vpc-id').meta({ description: 'Parameter holding the VPC id (String).' }),
        subnetIds: ssmParameterName('/org/network/private-subnet-ids').meta({ description: 'Parameter holding the subnet ids (StringList).' }),
        securityGroupIds: ssmParameterName('/org/network/redis-dr-security-group-ids').meta({
          description: 'Parameter holding the security group ids (StringList).',
        }),
        subnetGroupName: ssmParameterName('/org/network/cache-subnet-group').meta({
          description: 'Parameter holding the ElastiCache subnet group name restore drills create clusters in (String).',
        }),
      })
      .meta({ description: 'SSM parameter names of the VPC id, subnet ids, security group ids and ElastiCache subnet group name.' }),
  })
  .meta({ description: "VPC placement read from SSM parameters in each stack's own account and region (StackSets: one template for every account)." });

/** VPC placement by SSM parameter names (`network.fromSsm`). */
export type SsmNetworkConfig = z.infer<typeof ssmNetworkSchema>;
