/**
 * The one table of what each AWS API call redis-dr makes needs from IAM
 * (issue 53 item 2): the action(s) IAM checks for the call itself, and the
 * dependent actions the service checks on the caller besides (the Service
 * Authorization Reference's "Dependent actions" column, and what a service's
 * guide assumes). The calls are the SDK commands of lambdas/ and cli/, the
 * state machines' `aws-sdk` tasks and the stacks' custom resources.
 *
 * Used by the Lambda roles (lib/constructs/dr-export.ts takes the export
 * caller's S3 actions from here), by the operator policy
 * (docs/iam/operator-policy.json adds every recorded call's dependent
 * actions from here) and by docs/iam/api-actions.md (written from it by
 * `npm run docs:iam`). test/lib/iam-actions.test.ts fails when a call in the
 * sources has no row, a row names no call, or a role or the operator policy
 * grants an action no row (nor {@link PLATFORM_ACTIONS}) accounts for.
 * @see https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html
 */

/** What a dependent action is checked on. */
export type DependentScope = 'target bucket' | 'target objects' | 'seed objects' | 'any resource' | 'the resource made' | 'network' | 'encryption key';

/** One call's row. */
export interface ApiActions {
  /** The actions IAM checks for the call itself (a versioned variant when the request names a version). */
  readonly actions: readonly string[];
  /** Dependent actions, by what they are checked on. */
  readonly dependent?: Readonly<Partial<Record<DependentScope, readonly string[]>>>;
  /** Why, where the action's name is not the call's or a dependent action is listed. */
  readonly why?: string;
}

const same = (service: string, op: string, why?: string): ApiActions => ({ actions: [`${service}:${op}`], ...(why ? { why } : {}) });

/** ElastiCache's export to S3: what it checks on the caller for the target bucket (CopySnapshot, ExportServerlessCacheSnapshot). */
const EXPORT_DEPENDENT = {
  'target bucket': ['s3:ListBucket', 's3:GetBucketLocation', 's3:GetBucketAcl'],
  'target objects': ['s3:PutObject', 's3:GetObject', 's3:DeleteObject'],
  'any resource': ['s3:ListAllMyBuckets'],
} as const satisfies Partial<Record<DependentScope, readonly string[]>>;
const EXPORT_WHY =
  "dependent actions (Service Authorization Reference: s3:PutObject, s3:DeleteObject, s3:GetBucketAcl, s3:ListAllMyBuckets; ElastiCache's export guide: s3:GetObject, s3:ListBucket, s3:GetBucketLocation); ElastiCache writes the objects itself under the bucket policy or ACL";
/** Tag-on-create: a create with Tags is also authorized for AddTagsToResource on what it makes. */
const TAG_ON_CREATE = { 'the resource made': ['elasticache:AddTagsToResource'] } as const;
/** A create seeded from `.rdb` objects in S3 (SnapshotArns, SnapshotArnsToRestore): the caller must be able to read them. */
const SEED_READS = ['s3:GetObject'];
/** A serverless cache's VPC endpoint (AmazonElastiCacheFullAccess grants these as dependent actions of Create/DeleteServerlessCache). */
const SERVERLESS_NETWORK = [
  'ec2:CreateVpcEndpoint',
  'ec2:CreateTags',
  'ec2:DescribeVpcs',
  'ec2:DescribeSubnets',
  'ec2:DescribeSecurityGroups',
  'ec2:DescribeVpcEndpoints',
  'ec2:DescribeTags',
];

/** `<IAM service prefix>:<API operation>` → what IAM checks. */
export const API_ACTIONS: Readonly<Record<string, ApiActions>> = {
  'cloudformation:DescribeStacks': same('cloudformation', 'DescribeStacks'),
  'cloudformation:ListStackInstances': same(
    'cloudformation',
    'ListStackInstances',
    "the org app's StackSets (arn:aws:cloudformation:<region>:<account>:stackset/redis-dr-<name>-*), in the StackSets administrator account (management or delegated administrator): redis-dr org doctor",
  ),
  'organizations:DescribeOrganization': same('organizations', 'DescribeOrganization', 'no resource type (*): redis-dr org doctor reads the organization id'),
  'organizations:ListAccountsForParent': same(
    'organizations',
    'ListAccountsForParent',
    'each OU of the org config (arn:aws:organizations::<management account>:ou/o-…/ou-…), from the management account or a delegated administrator of Organizations: redis-dr org doctor',
  ),
  'cloudwatch:DescribeAlarmHistory': same('cloudwatch', 'DescribeAlarmHistory'),
  'cloudwatch:DescribeAlarms': same('cloudwatch', 'DescribeAlarms'),
  'config:SelectAggregateResourceConfig': same(
    'config',
    'SelectAggregateResourceConfig',
    'the aggregator (arn:aws:config:<region>:<account>:config-aggregator/…): redis-dr org inventory',
  ),
  'config:GetAggregateComplianceDetailsByConfigRule': same(
    'config',
    'GetAggregateComplianceDetailsByConfigRule',
    "the aggregator (arn:aws:config:<region>:<account>:config-aggregator/…): redis-dr org inventory reads each account's verified-copy rule evaluation of its serverless caches",
  ),
  'config:DescribeConfigurationAggregatorSourcesStatus': same(
    'config',
    'DescribeConfigurationAggregatorSourcesStatus',
    "the aggregator (arn:aws:config:<region>:<account>:config-aggregator/…): redis-dr org inventory reads whether each of the aggregator's sources was collected",
  ),
  'config:PutEvaluations': same('config', 'PutEvaluations', 'the verified-copy Config rule answers its run (no resource type: *)'),
  'elasticache:AddTagsToResource': same('elasticache', 'AddTagsToResource'),
  'elasticache:CopySnapshot': { actions: ['elasticache:CopySnapshot'], dependent: { ...EXPORT_DEPENDENT, ...TAG_ON_CREATE }, why: EXPORT_WHY },
  'elasticache:CreateReplicationGroup': {
    actions: ['elasticache:CreateReplicationGroup'],
    dependent: { ...TAG_ON_CREATE, 'seed objects': SEED_READS },
    why: 'dependent s3:GetObject (Service Authorization Reference): a group seeded from `.rdb` objects in S3 (SnapshotArns)',
  },
  'elasticache:CreateServerlessCache': {
    actions: ['elasticache:CreateServerlessCache'],
    dependent: { ...TAG_ON_CREATE, network: SERVERLESS_NETWORK, 'seed objects': SEED_READS },
    why: 'the VPC endpoint ElastiCache makes in the caller’s VPC; s3:GetObject of the `.rdb` objects a cache is seeded from (SnapshotArnsToRestore)',
  },
  'elasticache:CreateServerlessCacheSnapshot': { actions: ['elasticache:CreateServerlessCacheSnapshot'], dependent: TAG_ON_CREATE },
  'elasticache:CreateSnapshot': { actions: ['elasticache:CreateSnapshot'], dependent: TAG_ON_CREATE },
  'elasticache:CreateUser': { actions: ['elasticache:CreateUser'], dependent: TAG_ON_CREATE },
  'elasticache:CreateUserGroup': { actions: ['elasticache:CreateUserGroup'], dependent: TAG_ON_CREATE },
  'elasticache:DeleteReplicationGroup': same('elasticache', 'DeleteReplicationGroup'),
  'elasticache:DeleteServerlessCache': {
    actions: ['elasticache:DeleteServerlessCache'],
    dependent: { network: ['ec2:DescribeTags', 'ec2:DescribeVpcEndpoints'] },
    why: 'dependent actions (Service Authorization Reference); the endpoint is deleted by the service-linked role',
  },
  'elasticache:DeleteServerlessCacheSnapshot': same('elasticache', 'DeleteServerlessCacheSnapshot'),
  'elasticache:DeleteSnapshot': same('elasticache', 'DeleteSnapshot'),
  'elasticache:DeleteUser': same('elasticache', 'DeleteUser'),
  'elasticache:DeleteUserGroup': same('elasticache', 'DeleteUserGroup'),
  'elasticache:DescribeCacheClusters': same('elasticache', 'DescribeCacheClusters'),
  'elasticache:DescribeReplicationGroups': same('elasticache', 'DescribeReplicationGroups'),
  'elasticache:DescribeServerlessCacheSnapshots': same('elasticache', 'DescribeServerlessCacheSnapshots'),
  'elasticache:DescribeServerlessCaches': same('elasticache', 'DescribeServerlessCaches'),
  'elasticache:DescribeSnapshots': same('elasticache', 'DescribeSnapshots'),
  'elasticache:ExportServerlessCacheSnapshot': { actions: ['elasticache:ExportServerlessCacheSnapshot'], dependent: EXPORT_DEPENDENT, why: EXPORT_WHY },
  'elasticache:ListTagsForResource': same('elasticache', 'ListTagsForResource'),
  'elasticache:RemoveTagsFromResource': same('elasticache', 'RemoveTagsFromResource'),
  'kms:GetPublicKey': same(
    'kms',
    'GetPublicKey',
    'the evidence key (lib/constructs/evidence-key.ts): its key id, SHA-256 of its public key, in every signed record',
  ),
  'kms:Sign': same(
    'kms',
    'Sign',
    'the evidence key: a scrub record, a scheduled report or a drill record signed into its chain (the key policy denies every other principal)',
  ),
  'lambda:Invoke': { actions: ['lambda:InvokeFunction'], why: 'the API is Invoke, the action InvokeFunction' },
  'tag:GetResources': same('tag', 'GetResources'),
  's3:AbortMultipartUpload': same('s3', 'AbortMultipartUpload'),
  's3:CompleteMultipartUpload': { actions: ['s3:PutObject'], why: 'a multipart upload is authorized as s3:PutObject' },
  's3:CopyObject': {
    actions: ['s3:PutObject', 's3:GetObject', 's3:GetObjectVersion'],
    why: 'a write of the target and a read of the source (of its version, when named)',
  },
  's3:CreateMultipartUpload': { actions: ['s3:PutObject'], why: 'a multipart upload is authorized as s3:PutObject' },
  's3:DeleteObject': { actions: ['s3:DeleteObject', 's3:DeleteObjectVersion'], why: 's3:DeleteObjectVersion when the request names a version' },
  's3:GetBucketAcl': same('s3', 'GetBucketAcl'),
  's3:GetBucketPolicy': same('s3', 'GetBucketPolicy'),
  's3:GetBucketReplication': { actions: ['s3:GetReplicationConfiguration'], why: 'the action is named after the configuration' },
  's3:GetBucketVersioning': same('s3', 'GetBucketVersioning'),
  's3:GetObject': { actions: ['s3:GetObject', 's3:GetObjectVersion'], why: 's3:GetObjectVersion when the request names a version' },
  's3:GetObjectAcl': { actions: ['s3:GetObjectAcl', 's3:GetObjectVersionAcl'], why: 's3:GetObjectVersionAcl when the request names a version' },
  's3:GetObjectLockConfiguration': { actions: ['s3:GetBucketObjectLockConfiguration'], why: 'the action is named after the bucket setting' },
  's3:GetObjectRetention': same('s3', 'GetObjectRetention'),
  's3:GetObjectTagging': { actions: ['s3:GetObjectTagging', 's3:GetObjectVersionTagging'], why: 's3:GetObjectVersionTagging when the request names a version' },
  's3:HeadBucket': { actions: ['s3:ListBucket'], why: 'HeadBucket is authorized as s3:ListBucket' },
  's3:HeadObject': { actions: ['s3:GetObject', 's3:GetObjectVersion'], why: 'HeadObject is authorized as s3:GetObject (s3:GetObjectVersion with a version)' },
  's3:ListMultipartUploads': { actions: ['s3:ListBucketMultipartUploads'], why: 'the action is named after the bucket' },
  's3:ListObjectVersions': { actions: ['s3:ListBucketVersions'], why: 'the action is named after the bucket' },
  's3:ListObjectsV2': { actions: ['s3:ListBucket'], why: 'the action is named after the bucket' },
  's3:PutBucketAcl': same('s3', 'PutBucketAcl'),
  's3:PutObject': same('s3', 'PutObject'),
  's3:PutObjectRetention': same('s3', 'PutObjectRetention'),
  's3:PutObjectTagging': { actions: ['s3:PutObjectTagging', 's3:PutObjectVersionTagging'], why: 's3:PutObjectVersionTagging when the request names a version' },
  's3:UploadPart': { actions: ['s3:PutObject'], why: 'a multipart upload (lib-storage’s Upload) is authorized as s3:PutObject' },
  's3:UploadPartCopy': {
    actions: ['s3:PutObject', 's3:GetObject', 's3:GetObjectVersion'],
    why: 'a write of the target and a read of the source (of its version, when named)',
  },
  'scheduler:GetSchedule': same('scheduler', 'GetSchedule'),
  'scheduler:GetScheduleGroup': same('scheduler', 'GetScheduleGroup'),
  'scheduler:ListSchedules': same('scheduler', 'ListSchedules'),
  'secretsmanager:CreateSecret': {
    actions: ['secretsmanager:CreateSecret'],
    dependent: { 'the resource made': ['secretsmanager:TagResource'] },
    why: 'a create with Tags is also authorized for TagResource',
  },
  'secretsmanager:DeleteSecret': same('secretsmanager', 'DeleteSecret'),
  'secretsmanager:GetRandomPassword': same('secretsmanager', 'GetRandomPassword'),
  'secretsmanager:GetSecretValue': same('secretsmanager', 'GetSecretValue'),
  'secretsmanager:ListSecrets': same('secretsmanager', 'ListSecrets'),
  'securityhub:BatchImportFindings': same(
    'securityhub',
    'BatchImportFindings',
    "the account's own default product (arn:…:securityhub:<region>:<account>:product/<account>/default)",
  ),
  'sns:ListSubscriptionsByTopic': same('sns', 'ListSubscriptionsByTopic'),
  'sns:Publish': {
    actions: ['sns:Publish'],
    dependent: { 'encryption key': ['kms:GenerateDataKey', 'kms:Decrypt'] },
    why: 'an SSE-KMS topic (the alert topics): the publisher must be allowed the topic’s key (through SNS)',
  },
  'states:DescribeExecution': same('states', 'DescribeExecution'),
  'states:DescribeStateMachine': same('states', 'DescribeStateMachine'),
  'states:GetExecutionHistory': same('states', 'GetExecutionHistory'),
  'states:ListExecutions': same('states', 'ListExecutions'),
  'states:StartExecution': same('states', 'StartExecution'),
  'sts:GetCallerIdentity': { actions: [], why: 'needs no permission: it answers even when every action is denied' },
};

/**
 * Actions roles hold that no call of redis-dr's makes: what the platform
 * does for the function or state machine (logs, traces, a VPC function's
 * network interfaces, the dead-letter queue, a key's use by the service
 * that encrypts with it), each with why.
 */
export const PLATFORM_ACTIONS: Readonly<Record<string, string>> = {
  'logs:CreateLogStream': 'Lambda writes the function’s logs',
  'logs:PutLogEvents': 'Lambda writes the function’s logs',
  'logs:CreateLogDelivery': 'Step Functions delivers the state machine’s logs (vended logs)',
  'logs:DeleteLogDelivery': 'Step Functions delivers the state machine’s logs (vended logs)',
  'logs:DescribeLogGroups': 'Step Functions delivers the state machine’s logs (vended logs)',
  'logs:DescribeResourcePolicies': 'Step Functions delivers the state machine’s logs (vended logs)',
  'logs:GetLogDelivery': 'Step Functions delivers the state machine’s logs (vended logs)',
  'logs:ListLogDeliveries': 'Step Functions delivers the state machine’s logs (vended logs)',
  'logs:PutResourcePolicy': 'Step Functions delivers the state machine’s logs (vended logs)',
  'logs:UpdateLogDelivery': 'Step Functions delivers the state machine’s logs (vended logs)',
  'xray:PutTraceSegments': 'X-Ray tracing of functions and state machines',
  'xray:PutTelemetryRecords': 'X-Ray tracing of functions and state machines',
  'xray:GetSamplingRules': 'X-Ray tracing of state machines',
  'xray:GetSamplingTargets': 'X-Ray tracing of state machines',
  'ec2:CreateNetworkInterface': 'a function in a VPC: Lambda attaches its network interfaces',
  'ec2:DeleteNetworkInterface': 'a function in a VPC: Lambda attaches its network interfaces',
  'ec2:DescribeNetworkInterfaces': 'a function in a VPC: Lambda attaches its network interfaces',
  'ec2:AssignPrivateIpAddresses': 'a function in a VPC: Lambda attaches its network interfaces',
  'ec2:UnassignPrivateIpAddresses': 'a function in a VPC: Lambda attaches its network interfaces',
  'sqs:SendMessage': 'a function’s dead-letter queue (asynchronous invocations that failed)',
  'sqs:GetQueueAttributes': 'a function’s dead-letter queue',
  'sqs:GetQueueUrl': 'a function’s dead-letter queue',
  'kms:Decrypt': 'a KMS key used through the service that encrypts with it (an SSE-KMS topic, queue or log group)',
  'kms:GenerateDataKey': 'a KMS key used through the service that encrypts with it (an SSE-KMS topic, queue or log group)',
  'lambda:InvokeFunction': 'a state machine’s or schedule’s Lambda task (also the probe call, lambda:Invoke)',
  'states:StartExecution': 'a schedule starts a state machine (also the CLI’s drill run)',
};

/** The row of a call, or undefined. `service` is the IAM prefix; `operation` the API name. */
export function apiActions(service: string, operation: string): ApiActions | undefined {
  return API_ACTIONS[`${service}:${operation}`];
}

/** A dependent-action group of a call's row (empty when it has none). */
export function dependentActions(call: string, scope: DependentScope): readonly string[] {
  const row = API_ACTIONS[call];
  if (!row) throw new Error(`no row for ${call} in lib/iam-actions.ts: add the call's IAM actions there`);
  return row.dependent?.[scope] ?? [];
}

/** Every action some call needs (its own and its dependent ones), lower-cased as IAM compares them. */
export function actionsCallsNeed(): Set<string> {
  const out = new Set<string>();
  for (const row of Object.values(API_ACTIONS)) {
    for (const a of row.actions) out.add(a.toLowerCase());
    for (const group of Object.values(row.dependent ?? {})) for (const a of group ?? []) out.add(a.toLowerCase());
  }
  return out;
}
