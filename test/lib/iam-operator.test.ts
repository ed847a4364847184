import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type AwsCall, CALLS_DIR, checkedInCalls } from '../support/aws-calls.js';
import {
  evaluate,
  type IamRequest,
  type KmsEncrypted,
  kmsEncryptedResources,
  kmsEncryptedSecrets,
  kmsRequestsOf,
  type PolicyDocument,
  RECORDED_NAMES,
  requestObjectTags,
  requestsOfCall,
} from '../support/iam.js';
import { DEFAULT_STAND_INS, type TemplateJson } from '../../lib/asl.js';
import { API_ACTIONS, type DependentScope } from '../../lib/iam-actions.js';
import {
  alertTopicArnPatterns,
  alertTopicLogicalId,
  authSecretKeyStatement,
  authSecretResources,
  DEPLOYMENT_PLACEHOLDER,
  operatorPolicyFor,
  orgSelftestRecords,
  RECOVERY_BUCKETS,
} from '../../lib/iam-operator-resources.js';
import { loadConfig } from '../../lib/config/index.js';
import { stackNames } from '../../lib/deployment.js';
import { accountRegionPrefix } from '../../lambdas/domain/points/account-prefix.js';
import { SELFTEST_PREFIX as SELFTEST_RECORDS_PREFIX, selftestRecordKey } from '../../lambdas/domain/selftest/steps.js';
import { COLLAPSE_RELEASE_PREFIX } from '../../lambdas/domain/points/collapse-records.js';
import { TAG_WRITE_ACTIONS, VERDICT_FORGERIES, VERDICT_OBJECT_WRITES, VERDICT_TAG_KEYS } from '../../lib/constructs/verdict-guard.js';
import { chainRecordKey, VERDICT_PREFIXES, verdictChainHeadKey, verdictObjectKey } from '../../lambdas/domain/points/verdict-objects.js';

/**
 * docs/iam/operator-policy.json: the least-privilege policy for the CLI's AWS
 * commands (status, doctor, restore, drill run, prune --dry-run, retention release,
 * snapshot, export, verify-copy, selftest),
 * derived from the calls the CLI's tests make (test/fixtures/iam/calls/cli-*.json)
 * and held to them: every recorded call is allowed by it (IAM simulator), and
 * the file is exactly what the recordings give. The deployment's own alert
 * topics and AUTH secrets are named by placeholder (lib/iam-operator-resources.ts);
 * the simulation fills them in from a config (`operatorPolicyFor`). After a CLI change re-record
 * (RECORD_AWS_CALLS=1 npx vitest run test/cli) and rewrite it:
 * UPDATE_OPERATOR_POLICY=1 npx vitest run test/lib/iam-operator.test.ts
 */

const FILE = join(__dirname, '..', '..', 'docs', 'iam', 'operator-policy.json');

/** The account test/fixtures/config/selftest.json names. */
const SELFTEST_ACCOUNT = '111122223333';

/**
 * The selftest's deployment as synthesized (its golden templates, which
 * test/lib/template-review.test.ts holds equal to a synth): the stacks whose
 * alert topics the selftest publishes its TEST page to, each SSE-KMS with
 * the stack's key.
 */
const SELFTEST_STACKS = ['primary', 'dr'].map((which) => {
  const text = readFileSync(join(__dirname, '..', 'fixtures', 'templates', `selftest.${which}.json`), 'utf8');
  // The config names its account (its key policies name its root): moved to the simulation's account, as the principal is.
  const template = JSON.parse(text.replaceAll(SELFTEST_ACCOUNT, DEFAULT_STAND_INS.account)) as TemplateJson;
  const region = which === 'primary' ? 'eu-west-1' : 'eu-central-1';
  return { region, where: which as 'primary' | 'dr', template, encrypted: kmsEncryptedResources(template, { ...DEFAULT_STAND_INS, region }) };
});

/** The alert topic's logical id as synthesized (the stacks' AlertTopicArn output names it; one construct path in both stacks). */
const TOPIC_LOGICAL_ID = (() => {
  const ids = SELFTEST_STACKS.map((s) => alertTopicLogicalId(s.template));
  if (ids.some((id) => id !== ids[0])) throw new Error(`the stacks' alert topics differ in logical id: ${ids.join(', ')}`);
  return ids[0]!;
})();

/** The AUTH token secrets configured for it: the ones the restore tests read (test/cli/commands/restore). */
const CONFIGURED_SECRETS = ['sessions-auth', 'sessions-user'].map((n) => `arn:aws:secretsmanager:eu-west-1:111122223333:secret:${n}`);

/** The customer managed key of the first secret (`probe.authSecretKmsKeyArn`); the second is under the AWS managed aws/secretsmanager. */
const SECRET_KEY = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';

/**
 * The config the simulation fills the policy's placeholders in from: the
 * selftest's (its golden templates above), its caches requiring AUTH (the
 * secrets above, the first under a customer managed key).
 */
const SIMULATED_CONFIG = (() => {
  const config = loadConfig('test/fixtures/config/selftest.json');
  const plan = config.plans[0]!;
  const plans = CONFIGURED_SECRETS.map((authSecretArn, i) => ({
    ...plan,
    name: `${plan.name}${i}`,
    probe: { ...plan.probe, authSecretArn, ...(i === 0 ? { authSecretKmsKeyArn: SECRET_KEY } : {}) },
  }));
  return { ...config, plans };
})();

/** The simulated config's secrets under a customer managed key: reading one needs its key (test/support/iam.ts). */
const ENCRYPTED_SECRETS = kmsEncryptedSecrets(
  SIMULATED_CONFIG.plans.flatMap(({ probe }) =>
    probe.authSecretArn && probe.authSecretKmsKeyArn ? [{ arn: probe.authSecretArn, kmsKeyArn: probe.authSecretKmsKeyArn }] : [],
  ),
);

/** KMS-aware (issue 53 item 1): what a recorded read of an AUTH secret needs of its customer managed key (none under aws/secretsmanager). */
function secretKeyRequestsOf(request: IamRequest): IamRequest[] {
  return kmsRequestsOf(request, ENCRYPTED_SECRETS);
}

/** The simulated deployment's name. */
const SIMULATED = SIMULATED_CONFIG.name;

/**
 * The recorded topic is the test's; the deployment's alert topic of that
 * region as CloudFormation names it (`<stack>-<logical id>-<random>`) stands
 * for it (the selftest and doctor read its ARN from the stack's output).
 */
function deployedTopic(resource: string): string {
  const [, , , region, account] = resource.split(':');
  const where = SELFTEST_STACKS.find((s) => s.region === region)?.where;
  if (!where) throw new Error(`no stack of the selftest's deployment in ${region} (${resource})`);
  return `arn:aws:sns:${region}:${account}:${stackNames({ name: SIMULATED })[where]}-${TOPIC_LOGICAL_ID}-1QX4N2ZPJ7K3T`;
}

/** The file's policy for the simulated deployment (its placeholders filled in from its config: lib/iam-operator-resources.ts). */
function simulatedPolicy(): PolicyDocument {
  const file = JSON.parse(readFileSync(FILE, 'utf8')) as PolicyDocument;
  return operatorPolicyFor({ Version: '2012-10-17', ...file }, SIMULATED_CONFIG) as PolicyDocument;
}

/** A recorded request as the deployment sees it: an alert topic's ARN as deployed. */
function asDeployed(request: IamRequest): IamRequest {
  return request.action.startsWith('sns:') ? { ...request, resource: deployedTopic(request.resource) } : request;
}

/**
 * KMS-aware (issue 53 item 1): what a recorded publish needs of the key of
 * the topic it publishes to. The recorded topic is the test's; the
 * deployment's alert topic of that region, as synthesized, stands for it.
 */
function kmsRequestsOfOperator(request: IamRequest): IamRequest[] {
  if (request.action !== 'sns:Publish') return [];
  const region = request.resource.split(':')[3];
  const topics: KmsEncrypted[] = SELFTEST_STACKS.find((s) => s.region === region)?.encrypted.filter((e) => e.type === 'topic') ?? [];
  if (topics.length !== 1) throw new Error(`no one encrypted alert topic in the selftest's ${region} stack (found ${topics.length})`);
  return kmsRequestsOf({ ...request, resource: topics[0]!.resource }, topics);
}

/**
 * The dependent actions of a recorded call (lib/iam-actions.ts, issue 53
 * item 2): an export (CopySnapshot, ExportServerlessCacheSnapshot) is
 * authorized for the S3 actions ElastiCache checks on the caller, on the
 * target bucket, the target's `rdr-*` keys and no resource in particular.
 * Tag-on-create and the topics' keys are added where the requests are made
 * (requestsOfCall, kmsRequestsOfOperator); a serverless cache's network
 * ('network') is not the operator's: see docs/deploying.md.
 */
function dependentRequestsOf(call: AwsCall): IamRequest[] {
  const row = API_ACTIONS[`${call.service}:${call.operation}`];
  if (!row) throw new Error(`recorded call ${call.service}:${call.operation} has no row in lib/iam-actions.ts`);
  const input = call.input as Record<string, string | undefined>;
  const bucket = input.TargetBucket ?? input.S3BucketName;
  const name = input.TargetSnapshotName ?? input.ServerlessCacheSnapshotName;
  // A create seeded from S3 reads each object it names (SnapshotArns, SnapshotArnsToRestore).
  const seeds = [call.input.SnapshotArns, call.input.SnapshotArnsToRestore]
    .flat()
    .filter((a): a is string => typeof a === 'string' && a.startsWith('arn:aws:s3:::'));
  const resourceOf: Partial<Record<DependentScope, readonly string[]>> = {
    ...(bucket ? { 'target bucket': [`arn:aws:s3:::${bucket}`], 'target objects': [`arn:aws:s3:::${bucket}/${name}-0001.rdb`] } : {}),
    'seed objects': seeds,
    'any resource': ['*'],
  };
  return Object.entries(row.dependent ?? {}).flatMap(([scope, actions]) =>
    (resourceOf[scope as DependentScope] ?? []).flatMap((resource) => (actions ?? []).map((action) => ({ action, resource, context: {} }))),
  );
}

/** Where the callers' dependent actions are granted: redis-dr's buckets, their `rdr-*` keys, and `*` (bucket names only). */
function dependentStatement(request: IamRequest): { sid: string; resource: string } {
  if (request.resource === '*') return { sid: 'ExportCallerListBuckets', resource: '*' };
  return request.resource.includes('/')
    ? { sid: 'ExportCallerObjects', resource: 'arn:aws:s3:::redis-dr-*/rdr-*' }
    : { sid: 'ExportCallerBuckets', resource: 'arn:aws:s3:::redis-dr-*' };
}

/**
 * What a selftest of a serverless plan needs besides what a replication
 * group's does (issue 53 item 2): its snapshot, export and describes, and
 * the export's dependent actions ElastiCache checks on the caller.
 */
const SERVERLESS_SELFTEST_ACTIONS = [
  'elasticache:CreateServerlessCacheSnapshot',
  'elasticache:DescribeServerlessCaches',
  'elasticache:DescribeServerlessCacheSnapshots',
  'elasticache:ExportServerlessCacheSnapshot',
  's3:GetBucketLocation',
  's3:GetBucketAcl',
  's3:ListAllMyBuckets',
  's3:PutObject',
  's3:DeleteObject',
];

/** The operator's recorded calls. */
function operatorCalls(): AwsCall[] {
  return readdirSync(CALLS_DIR)
    .filter((f) => f.startsWith('cli-'))
    .flatMap((f) => checkedInCalls(join(CALLS_DIR, f)))
    .filter((c) => c.principal === 'operator');
}

/** Keys of {@link policyResource} for what the policy names by placeholder (lib/iam-operator-resources.ts). */
const ALERT_TOPICS = 'alert-topics';
const AUTH_SECRETS = 'auth-secrets';

/** The resources a statement of {@link policyResource}'s key names. */
function statementResources(key: string): string | string[] {
  if (key === ALERT_TOPICS) return alertTopicArnPatterns(DEPLOYMENT_PLACEHOLDER, TOPIC_LOGICAL_ID);
  if (key === AUTH_SECRETS) return authSecretResources();
  return key;
}

/**
 * A request's resource as the policy names it, in any region and account:
 * recovery points and S3 objects of redis-dr (`rdr-*`, `redis-dr-*`
 * buckets), the deployment's state machines and executions (`redis-dr-*`),
 * the deployment's alert topics and configured AUTH secrets (by
 * placeholder), and, for what a restore creates (the target cluster, its
 * subnet and parameter groups, user groups), any name of that type: the
 * operator chooses them.
 */
function policyResource(resource: string): string {
  if (resource === '*') return '*';
  const s3 = /^arn:aws:s3:::([^/]+)(\/.*)?$/.exec(resource);
  // The objects the operator writes each have their own prefix: the selftest's records, and the release records of
  // `retention release` (lambdas/domain/points/collapse-records.ts).
  if (s3) {
    if (!s3[2]) return 'arn:aws:s3:::redis-dr-*';
    const own = [SELFTEST_RECORDS_PREFIX, COLLAPSE_RELEASE_PREFIX].find((p) => s3[2]!.startsWith(`/${p}`));
    return own ? `arn:aws:s3:::redis-dr-*/${own}*` : 'arn:aws:s3:::redis-dr-*/*';
  }
  const [, partition, service, , , ...rest] = resource.split(':');
  const path = rest.join(':');
  if (service === 'elasticache') {
    const [type, name] = [rest[0]!, rest.slice(1).join(':')];
    return `arn:${partition}:elasticache:*:*:${type}:${/^(serverlesscache)?snapshot$/.test(type) && name.startsWith('rdr-') ? 'rdr-*' : '*'}`;
  }
  if (service === 'states') return `arn:${partition}:states:*:*:${path.startsWith('execution:') ? 'execution:redis-dr-*:*' : 'stateMachine:redis-dr-*'}`;
  if (service === 'secretsmanager') return AUTH_SECRETS;
  if (service === 'cloudformation') return `arn:${partition}:cloudformation:*:*:stack/RedisDr-*/*`;
  if (service === 'sns') return ALERT_TOPICS;
  if (service === 'scheduler')
    return `arn:${partition}:scheduler:*:*:${path.startsWith('schedule-group/') ? 'schedule-group/redis-dr-*' : 'schedule/redis-dr-*/*'}`;
  throw new Error(`no policy pattern for ${resource}: add one to policyResource in ${__filename}`);
}

/** The alert topics' keys, for the selftest's TEST page: any key of redis-dr, only through SNS (issue 53 item 1). */
const ALERT_TOPIC_KEYS = {
  sid: 'AlertTopicKeys',
  resource: 'arn:aws:kms:*:*:key/*',
  condition: { StringEquals: { 'aws:ResourceTag/redis-dr:managed': 'true' }, StringLike: { 'kms:ViaService': 'sns.*.amazonaws.com' } },
};

/**
 * The operator's only deletions: the selftest's canary (`--canary`) and its
 * recovery point, each held to the tags only the canary carries (the drills'
 * `redis-dr:drill` on the cache; a `redis-dr:source` of the drills' prefix on
 * the point), so no production cache or recovery point can be deleted.
 */
const CONDITIONED: Record<string, { sid: string; resource: string; condition: Record<string, Record<string, string>> }> = {
  // The selftest's TEST page through alerts.integrations: only the page router (its name is generated, its tag is not).
  'lambda:InvokeFunction': {
    sid: 'PageRouters',
    resource: 'arn:aws:lambda:*:*:function:*',
    condition: { StringEquals: { 'aws:ResourceTag/redis-dr:managed': 'true', 'aws:ResourceTag/redis-dr:page-router': 'true' } },
  },
  // The alert topics' keys (the selftest's TEST page): any key of redis-dr, only through SNS.
  'kms:Decrypt': ALERT_TOPIC_KEYS,
  'kms:GenerateDataKey': ALERT_TOPIC_KEYS,
  'elasticache:DeleteReplicationGroup': {
    sid: 'CanaryCaches',
    resource: 'arn:aws:elasticache:*:*:replicationgroup:rdr-drill-*',
    condition: { StringEquals: { 'aws:ResourceTag/redis-dr:managed': 'true' }, StringLike: { 'aws:ResourceTag/redis-dr:drill': '?*' } },
  },
  'elasticache:DeleteSnapshot': {
    sid: 'CanaryRecoveryPoints',
    resource: 'arn:aws:elasticache:*:*:snapshot:rdr-*',
    condition: { StringEquals: { 'aws:ResourceTag/redis-dr:managed': 'true' }, StringLike: { 'aws:ResourceTag/redis-dr:source': 'rdr-drill-*' } },
  },
};

/**
 * The tags the canary's cache and point carry when they are deleted, and the page router when the selftest invokes it
 * (what the recorded calls' resources hold; test/lib/constructs/page-integrations.test.ts holds the router's tag).
 */
function canaryTags(_type: string, arn: string): Record<string, string> {
  if (/^arn:aws:lambda:[^:]+:\d+:function:/.test(arn)) return { 'redis-dr:managed': 'true', 'redis-dr:page-router': 'true' };
  const cache = /:replicationgroup:(rdr-drill-[^:]+)$/.exec(arn);
  if (cache) return { 'redis-dr:managed': 'true', 'redis-dr:deployment': 'st', 'redis-dr:drill': cache[1]!, 'redis-dr:source': cache[1]! };
  const point = /:snapshot:rdr-(rdr-drill-.+)-\d{8}-\d{4}$/.exec(arn);
  if (point) return { 'redis-dr:managed': 'true', 'redis-dr:deployment': 'st', 'redis-dr:source': point[1]! };
  return {};
}

/** Every object of redis-dr's buckets. */
const RECOVERY_OBJECTS = 'arn:aws:s3:::redis-dr-*/*';

/**
 * Verdict tags are the verifier's (issue 53 item 3): whatever the Allows
 * grant, the operator puts no object that carries a verdict key, and no tag
 * write of its forges a verdict (lib/constructs/verdict-guard.ts: a verdict
 * on an object without one, `ok` over one that is not). On the export
 * bucket too: S3 replication carries a source's tag changes onto the
 * replicas. The DR bucket's own policy denies the same to every principal
 * but the verifier, and any write or delete of its `rdr-*` copies. And the
 * verdict objects, which readers take a verdict from (IAM cannot tell a
 * changed summary over an `ok` tag): no put, overwrite or delete under any
 * verdict prefix (the Allows' `redis-dr-*` / `rdr-*` patterns would reach
 * `<bucket>/redis-dr-verdicts/rdr-….json`: an ARN wildcard spans `/`).
 */
function verdictGuards(): Record<string, unknown>[] {
  return [
    {
      Sid: 'NoVerdictObjectWrites',
      Effect: 'Deny',
      Action: [...VERDICT_OBJECT_WRITES],
      Resource: VERDICT_PREFIXES.map((prefix) => `${RECOVERY_BUCKETS}/${prefix}*`),
    },
    {
      Sid: 'NoObjectArrivesWithAVerdict',
      Effect: 'Deny',
      Action: ['s3:PutObject'],
      Resource: RECOVERY_OBJECTS,
      Condition: { 'ForAnyValue:StringEquals': { 's3:RequestObjectTagKeys': VERDICT_TAG_KEYS } },
    },
    ...VERDICT_FORGERIES.map((f) => ({ Sid: f.sid, Effect: 'Deny', Action: [...TAG_WRITE_ACTIONS], Resource: RECOVERY_OBJECTS, Condition: f.condition })),
  ];
}

/**
 * A recorded tag write with the object's verdict as it stood: a tag write
 * replaces the whole set, and the operator's (`retention release`, the
 * export's tier tags) read the set first and put it back with one tag
 * changed (jobs/dr-copies/collapse-copies.ts), so the verdict in the request
 * is the object's own.
 */
function withExistingVerdict(request: IamRequest): IamRequest {
  if (!TAG_WRITE_ACTIONS.includes(request.action)) return request;
  const existing = Object.entries(request.context)
    .filter(([k]) => VERDICT_TAG_KEYS.some((key) => k === `s3:RequestObjectTag/${key}`))
    .map(([k, v]) => [k.replace('s3:RequestObjectTag/', 's3:ExistingObjectTag/'), v]);
  return { ...request, context: { ...request.context, ...Object.fromEntries(existing) } };
}

/** The policy: one statement per resource pattern, its actions sorted; the deletions conditioned (see {@link CONDITIONED}). */
async function operatorPolicy(calls: readonly AwsCall[]): Promise<PolicyDocument> {
  const byResource = new Map<string, Set<string>>();
  const conditioned = new Set<string>();
  for (const call of calls) {
    const requests = await requestsOfCall(call, RECORDED_NAMES, canaryTags);
    for (const request of [...requests, ...requests.flatMap(kmsRequestsOfOperator)]) {
      if (CONDITIONED[request.action]) {
        conditioned.add(request.action);
        continue;
      }
      const resource = policyResource(request.resource);
      byResource.set(resource, (byResource.get(resource) ?? new Set()).add(request.action));
    }
  }
  const sid = (resource: string): string => {
    if (resource === '*') return 'NoResourceLevelPermissions';
    if (resource === ALERT_TOPICS) return 'AlertTopics';
    if (resource === AUTH_SECRETS) return 'AuthTokenSecrets';
    if (resource.startsWith('arn:aws:s3:::'))
      return resource.endsWith('/selftest/*')
        ? 'SelftestRecords'
        : resource.endsWith(`/${COLLAPSE_RELEASE_PREFIX}*`)
          ? 'CollapseReleaseRecords'
          : resource.endsWith('/*')
            ? 'RecoveryObjects'
            : 'RecoveryBuckets';
    const [, , service, , , type = '', name = ''] = resource.split(':');
    const word = (w: string) => w.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase());
    if (service === 'states') return type === 'execution' ? 'DrillExecutions' : 'DrillStateMachines';
    if (service === 'cloudformation') return 'DeploymentStacks';
    if (service === 'scheduler') return type.startsWith('schedule-group') ? 'DeploymentScheduleGroups' : 'DeploymentSchedules';
    return `${word(type)}${name.startsWith('rdr-') ? 'RecoveryPoints' : 'Any'}`;
  };
  const dependent = new Map<string, { resource: string; actions: Set<string> }>();
  for (const request of calls.flatMap(dependentRequestsOf)) {
    const { sid, resource } = dependentStatement(request);
    const entry = dependent.get(sid) ?? { resource, actions: new Set<string>() };
    dependent.set(sid, { resource, actions: entry.actions.add(request.action) });
  }
  const statements = [...byResource.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(
      ([resource, actions]): Record<string, unknown> => ({
        Sid: sid(resource),
        Effect: 'Allow',
        Action: [...actions].sort(),
        Resource: statementResources(resource),
      }),
    );
  // An organization's selftest writes (and reads back) its record under `<account>/<region>/selftest/` too: what it
  // does with its records, under its own account's prefix (lambdas/domain/points/account-prefix.ts).
  const records = byResource.get(`${RECOVERY_BUCKETS}/selftest/*`);
  if (!records) throw new Error('no recorded call writes a selftest record: the organization statement has nothing to follow');
  statements.push({ Sid: 'OrganizationSelftestRecords', Effect: 'Allow', Action: [...records].sort(), Resource: orgSelftestRecords() });
  for (const [sid, { resource, actions }] of [...dependent.entries()].sort(([a], [b]) => a.localeCompare(b)))
    statements.push({ Sid: sid, Effect: 'Allow', Action: [...actions].sort(), Resource: resource });
  // One statement per sid: actions under the same resource and condition share it.
  const bySid = new Map<string, string[]>();
  for (const action of [...conditioned].sort()) bySid.set(CONDITIONED[action]!.sid, [...(bySid.get(CONDITIONED[action]!.sid) ?? []), action]);
  for (const [sid, actions] of bySid) {
    const c = CONDITIONED[actions[0]!]!;
    statements.push({ Sid: sid, Effect: 'Allow', Action: actions, Resource: c.resource, Condition: c.condition });
  }
  // The AUTH secrets the operator reads may be under a customer managed key: its statement, by placeholder (issue 53 item 1).
  if (byResource.has(AUTH_SECRETS)) statements.push(authSecretKeyStatement());
  statements.push(...verdictGuards());
  return { Version: '2012-10-17', Statement: statements };
}

describe('docs/iam/operator-policy.json', () => {
  it('is what the CLI tests’ recorded calls give (UPDATE_OPERATOR_POLICY=1 rewrites it)', async () => {
    const policy = await operatorPolicy(operatorCalls());
    const text = `${JSON.stringify(policy, null, 2)}\n`;
    if (process.env.UPDATE_OPERATOR_POLICY === '1') writeFileSync(FILE, text);
    expect(readFileSync(FILE, 'utf8')).toBe(text);
  });

  it('allows every call the CLI makes in its tests (IAM simulation), and no wildcard action', async () => {
    const policy = simulatedPolicy();
    const denied: string[] = [];
    let checked = 0;
    for (const call of operatorCalls()) {
      const requests = await requestsOfCall(call, RECORDED_NAMES, canaryTags);
      // KMS-aware: a TEST page to an SSE-KMS alert topic needs its key too.
      // And the dependent actions the service checks on the caller (lib/iam-actions.ts).
      // And a read of an AUTH secret under a customer managed key, its key.
      for (const request of [...requests, ...requests.flatMap(kmsRequestsOfOperator), ...requests.flatMap(secretKeyRequestsOf), ...dependentRequestsOf(call)]) {
        checked++;
        const result = await evaluate([policy], withExistingVerdict(asDeployed(request)));
        if (result !== 'Allowed') denied.push(`${call.operation} -> ${request.action} on ${request.resource}: ${result}`);
      }
    }
    expect(denied).toEqual([]);
    expect(checked).toBeGreaterThan(50);
    expect(policy.Statement.flatMap((s) => s.Action as string[]).filter((a) => a.includes('*'))).toEqual([]);
  });

  it('KMS-aware: the selftest publishes to SSE-KMS topics, and the policy allows their keys only through SNS, only redis-dr keys (issue 53 item 1)', async () => {
    const policy = simulatedPolicy();
    const publishes = operatorCalls().filter((c) => c.operation === 'Publish');
    expect(publishes.length).toBeGreaterThanOrEqual(2);
    const kms = (await Promise.all(publishes.map((c) => requestsOfCall(c, RECORDED_NAMES, canaryTags)))).flat().flatMap(kmsRequestsOfOperator);
    expect(kms.map((r) => r.action).sort()).toEqual(publishes.flatMap(() => ['kms:Decrypt', 'kms:GenerateDataKey']).sort());
    for (const request of kms) {
      expect(await evaluate([policy], request)).toBe('Allowed');
      // Not outside SNS, not on a key that is not redis-dr's.
      expect(await evaluate([policy], { ...request, context: { ...request.context, 'kms:ViaService': 's3.eu-west-1.amazonaws.com' } })).toBe(
        'ImplicitlyDenied',
      );
      const foreign = Object.fromEntries(Object.entries(request.context).filter(([k]) => !k.startsWith('aws:ResourceTag/')));
      expect(await evaluate([policy], { ...request, context: foreign })).toBe('ImplicitlyDenied');
    }
    // A policy without the key statement is denied: the TEST page would fail (what the review found).
    const without: PolicyDocument = { ...policy, Statement: policy.Statement.filter((s) => s.Sid !== 'AlertTopicKeys') };
    expect(await evaluate([without], kms[0]!)).toBe('ImplicitlyDenied');
  });

  it('KMS-aware: reading an AUTH secret under its configured customer managed key needs kms:Decrypt on exactly that key, only through Secrets Manager, only for that secret (issue 53 items 1, 3)', async () => {
    const policy = simulatedPolicy();
    const reads = (await Promise.all(operatorCalls().map((c) => requestsOfCall(c, RECORDED_NAMES, canaryTags))))
      .flat()
      .filter((r) => r.action === 'secretsmanager:GetSecretValue');
    const [keyed, managed] = CONFIGURED_SECRETS;
    // `restore --auth-token-secret` reads both: the one under the customer managed key, the other under aws/secretsmanager.
    expect(reads.map((r) => r.resource).sort()).toEqual(expect.arrayContaining([keyed, managed]));
    expect(reads.filter((r) => r.resource === managed).flatMap(secretKeyRequestsOf)).toEqual([]);
    const kms = reads.filter((r) => r.resource === keyed).flatMap(secretKeyRequestsOf);
    expect(kms.length).toBeGreaterThan(0);
    const keyStatements = policy.Statement.filter((s) => String(s.Sid).startsWith('AuthTokenSecretKeys'));
    expect(keyStatements.map((s) => s.Resource)).toEqual([[SECRET_KEY]]);
    const without: PolicyDocument = { ...policy, Statement: policy.Statement.filter((s) => !keyStatements.includes(s)) };
    for (const request of kms) {
      expect([request.action, request.resource]).toEqual(['kms:Decrypt', SECRET_KEY]);
      expect(await evaluate([policy], request)).toBe('Allowed');
      // Without the grant (what the review found), through another service, another key, another secret's data key: denied.
      expect(await evaluate([without], request)).toBe('ImplicitlyDenied');
      expect(await evaluate([policy], { ...request, context: { ...request.context, 'kms:ViaService': 'sns.eu-west-1.amazonaws.com' } })).toBe(
        'ImplicitlyDenied',
      );
      expect(await evaluate([policy], { ...request, resource: SECRET_KEY.replace(/key\/.*$/, 'key/0f0e0d0c-0b0a-4909-8807-060504030201') })).toBe(
        'ImplicitlyDenied',
      );
      const other = { ...request.context, 'kms:EncryptionContext:SecretARN': `${managed}-AbCdEf` };
      expect(await evaluate([policy], { ...request, context: other })).toBe('ImplicitlyDenied');
    }
    // No key configured (secrets under aws/secretsmanager): no KMS statement for the secrets at all.
    const plain = { ...SIMULATED_CONFIG, plans: SIMULATED_CONFIG.plans.map((p) => ({ ...p, probe: { ...p.probe, authSecretKmsKeyArn: undefined } })) };
    const file = JSON.parse(readFileSync(FILE, 'utf8')) as PolicyDocument;
    const filled = operatorPolicyFor({ Version: '2012-10-17', ...file }, plain);
    expect(filled.Statement.filter((s) => String(s.Sid).startsWith('AuthTokenSecretKeys'))).toEqual([]);
    expect(filled.Statement.some((s) => s.Sid === 'AuthTokenSecrets')).toBe(true);
  });

  it('holds a whole selftest of a serverless plan: each serverless action and export dependent action allows one of its calls, and without it that call is denied (issue 53 item 2)', async () => {
    const calls = checkedInCalls(join(CALLS_DIR, 'cli-selftest-serverless.json'));
    expect(calls.map((c) => c.operation)).toEqual(
      expect.arrayContaining([
        'CreateServerlessCacheSnapshot',
        'DescribeServerlessCaches',
        'DescribeServerlessCacheSnapshots',
        'ExportServerlessCacheSnapshot',
      ]),
    );
    const requests: IamRequest[] = [];
    for (const call of calls) requests.push(...(await requestsOfCall(call, RECORDED_NAMES, canaryTags)).map(asDeployed), ...dependentRequestsOf(call));
    const policy = simulatedPolicy();
    const without = (action: string): PolicyDocument => ({
      ...policy,
      Statement: policy.Statement.map((st) => ({ ...st, Action: (st.Action as string[]).filter((a) => a !== action) })),
    });
    for (const action of SERVERLESS_SELFTEST_ACTIONS) {
      const needing = requests.filter((r) => r.action === action);
      expect(needing.length, `a recorded serverless selftest call needs ${action}`).toBeGreaterThan(0);
      for (const request of needing) {
        expect(await evaluate([policy], withExistingVerdict(request)), `${action} on ${request.resource}`).toBe('Allowed');
        expect(await evaluate([without(action)], withExistingVerdict(request)), `${action} on ${request.resource}, left out`).toBe('ImplicitlyDenied');
      }
    }
  });

  it("publishes only to the deployment's two alert topics and reads only the configured secrets (issue 53 item 3)", async () => {
    const policy = simulatedPolicy();
    const publish = (resource: string): IamRequest => ({ action: 'sns:Publish', resource, context: {} });
    const read = (resource: string): IamRequest => ({ action: 'secretsmanager:GetSecretValue', resource, context: {} });
    for (const region of ['eu-west-1', 'eu-central-1'])
      expect(await evaluate([policy], publish(deployedTopic(`arn:aws:sns:${region}:111122223333:x`)))).toBe('Allowed');
    const [secret] = CONFIGURED_SECRETS;
    expect(await evaluate([policy], read(secret!))).toBe('Allowed');
    expect(await evaluate([policy], read(`${secret}-AbC123`))).toBe('Allowed'); // the suffix Secrets Manager appends
    const denied: IamRequest[] = [
      publish('arn:aws:sns:eu-west-1:111122223333:payments-alerts'),
      // Another deployment's alert topic, and another topic of this deployment's stack.
      publish(deployedTopic('arn:aws:sns:eu-west-1:111122223333:x').replace(`RedisDr-${SIMULATED}-`, 'RedisDr-other-')),
      publish(`arn:aws:sns:eu-west-1:111122223333:${stackNames({ name: SIMULATED }).primary}-PageIntegrationsChatslack1A2B3C-1QX4N2ZPJ7K3T`),
      read('arn:aws:secretsmanager:eu-west-1:111122223333:secret:payroll-db-AbC123'),
      // A secret whose name merely starts like a configured one.
      read(`${secret}-admin-AbC123`),
    ];
    for (const request of denied) expect(await evaluate([policy], request), request.resource).toBe('ImplicitlyDenied');
    // The file itself names the topics by placeholder: as it is, it allows none (test/docs/operator-permissions.test.ts: its patterns).
    const file = JSON.parse(readFileSync(FILE, 'utf8')) as PolicyDocument;
    expect(await evaluate([file], publish(deployedTopic('arn:aws:sns:eu-west-1:111122223333:x')))).toBe('ImplicitlyDenied');
  });

  it("lets an organization's selftest write and read back its record under <account>/<region>/selftest/ by a statement of its own (docs/org.md)", async () => {
    const policy = simulatedPolicy();
    // The caller's account (aws:PrincipalAccount, which AWS fills in): the bucket's own.
    const account = DEFAULT_STAND_INS.account;
    const context = { 'aws:PrincipalAccount': account };
    // The key as the selftest writes it (lambdas/jobs/selftest/shared-steps.ts: the same two functions).
    const key = (rest: string) => `arn:aws:s3:::redis-dr-st-${account}-eu-central-1/${accountRegionPrefix(account, 'eu-central-1')}${rest}`;
    const record = key(selftestRecordKey(new Date('2026-11-23T10:00:00Z')));
    const statement = policy.Statement.find((s) => s.Sid === 'OrganizationSelftestRecords');
    expect(statement?.Resource).toEqual([orgSelftestRecords()]);
    // IAM's * spans "/": the plain records' redis-dr-*/selftest/* matches the prefixed key too. The organization's
    // statement grants it on its own, so the record step does not hang on that; without either, it is denied.
    const only = (drop: string[]): PolicyDocument => ({ ...policy, Statement: policy.Statement.filter((s) => !drop.includes(s.Sid as string)) });
    for (const action of ['s3:PutObject', 's3:GetObject']) {
      expect(await evaluate([policy], { action, resource: record, context }), action).toBe('Allowed');
      expect(await evaluate([only(['SelftestRecords'])], { action, resource: record, context }), action).toBe('Allowed');
    }
    // (The read-back is also every object's s3:GetObject, RecoveryObjects: the put is what hangs on these statements.)
    const put: IamRequest = { action: 's3:PutObject', resource: record, context };
    expect(await evaluate([only(['SelftestRecords', 'OrganizationSelftestRecords'])], put)).toBe('ImplicitlyDenied');
    // Nothing else under the prefix: no other evidence written, no record deleted. (Another account's prefix is held
    // by the organization vault's policy, `${aws:PrincipalAccount}/*`: lib/constructs/vault/org-grants.ts.)
    const denied: IamRequest[] = [
      { action: 's3:PutObject', resource: key('reports/weekly/2026-11-23/report.json'), context },
      { action: 's3:DeleteObject', resource: record, context },
    ];
    for (const request of denied) expect(await evaluate([policy], request), `${request.action} ${request.resource}`).toBe('ImplicitlyDenied');
  });

  it('allows deleting the canary and its point only with their tags', async () => {
    const policy = simulatedPolicy();
    const cache = 'arn:aws:elasticache:eu-west-1:000000000000:replicationgroup:rdr-drill-canary-20261123-100000';
    const point = 'arn:aws:elasticache:eu-west-1:000000000000:snapshot:rdr-rdr-drill-canary-20261123-100000-20261123-1000';
    const tags = (arn: string) => Object.fromEntries(Object.entries(canaryTags('', arn)).map(([k, v]) => [`aws:ResourceTag/${k}`, v]));
    expect(await evaluate([policy], { action: 'elasticache:DeleteReplicationGroup', resource: cache, context: tags(cache) })).toBe('Allowed');
    expect(await evaluate([policy], { action: 'elasticache:DeleteSnapshot', resource: point, context: tags(point) })).toBe('Allowed');
    expect(await evaluate([policy], { action: 'elasticache:DeleteReplicationGroup', resource: cache, context: {} })).toBe('ImplicitlyDenied');
  });

  it('writes no verdict tag: no object put with one, no verdict forged by a tag write, its own verdict put back allowed (issue 53 item 3)', async () => {
    const policy = simulatedPolicy();
    const copy = 'arn:aws:s3:::redis-dr-prod-000000000000-eu-central-1/rdr-sessions-prod-20261123-1000-0001.rdb';
    const source = 'arn:aws:s3:::redis-dr-prod-000000000000-eu-west-1/rdr-sessions-prod-20261123-1000-0001.rdb';
    const tagWrite = (resource: string, tags: Record<string, string>, existing: Record<string, string>): IamRequest => ({
      action: 's3:PutObjectTagging',
      resource,
      context: {
        ...requestObjectTags({ TagSet: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }),
        ...Object.fromEntries(Object.entries(existing).map(([k, v]) => [`s3:ExistingObjectTag/${k}`, v])),
      },
    });
    const ok = { 'redis-dr:verified': 'ok', 'redis-dr:rdb': 'v11 keys=1000' };
    const forged: [string, IamRequest][] = [
      ['an ok verdict on an unverified copy', tagWrite(copy, { 'redis-dr:tier': 'daily', 'redis-dr:verified': 'ok' }, { 'redis-dr:tier': 'daily' })],
      ['an ok verdict on the export bucket’s object (replicated onto the copies)', tagWrite(source, { 'redis-dr:tier': 'daily', ...ok }, {})],
      ['a summary alone on an unverified copy', tagWrite(copy, { 'redis-dr:rdb': 'v11 keys=1000' }, {})],
      ['ok over a corrupt verdict', tagWrite(copy, ok, { 'redis-dr:verified': 'corrupt', 'redis-dr:rdb': 'truncated' })],
      ['ok over a corrupt verdict, by version', { ...tagWrite(copy, ok, { 'redis-dr:verified': 'corrupt' }), action: 's3:PutObjectVersionTagging' }],
      ['an object put with a verdict', { action: 's3:PutObject', resource: copy, context: requestObjectTags('redis-dr%3Averified=ok') }],
    ];
    for (const [what, request] of forged) expect(await evaluate([policy], request), what).toBe('ExplicitlyDenied');
    // What the operator does: `retention release` puts the copy's own verdict back with the tier changed; the export's tier tags.
    expect(await evaluate([policy], tagWrite(copy, { 'redis-dr:tier': 'daily', ...ok }, { 'redis-dr:tier': 'held-daily', ...ok }))).toBe('Allowed');
    expect(await evaluate([policy], tagWrite(copy, { 'redis-dr:tier': 'daily', 'redis-dr:verified': 'corrupt' }, { 'redis-dr:verified': 'corrupt' }))).toBe(
      'Allowed',
    );
    expect(await evaluate([policy], tagWrite(source, { 'redis-dr:tier': 'hourly', 'redis-dr:plan': 'app' }, {}))).toBe('Allowed');
    expect(await evaluate([policy], { action: 's3:PutObject', resource: copy, context: {} })).toBe('Allowed'); // the export's dependent action
    // Without the guards, the same policy would let each forgery through (but by version, which no Allow grants): they are what denies it.
    const unguarded: PolicyDocument = { ...policy, Statement: policy.Statement.filter((st) => st.Effect !== 'Deny') };
    for (const [what, request] of forged.filter(([, r]) => r.action !== 's3:PutObjectVersionTagging'))
      expect(await evaluate([unguarded], request), what).toBe('Allowed');
  });

  it('puts, overwrites or deletes no verdict object, in the DR bucket or the vault, while the verifier role does (issue 53 item 3)', async () => {
    const policy = simulatedPolicy();
    const dr = 'redis-dr-prod-000000000000-eu-central-1';
    const copyKey = 'rdr-sessions-prod-20261123-1000-0001.rdb';
    const verdicts = [
      `arn:aws:s3:::${dr}/${verdictObjectKey('dr', copyKey)}`,
      `arn:aws:s3:::${dr}/${verdictObjectKey('dr', `111122223333/eu-west-1/${copyKey}`)}`,
      `arn:aws:s3:::redis-dr-prod-vault-444455556666-eu-central-1/${verdictObjectKey('vault', copyKey)}`,
      // The chain of signed verdicts (issue 58): a record, and the head hint.
      `arn:aws:s3:::${dr}/${chainRecordKey('dr', 1)}`,
      `arn:aws:s3:::${dr}/${verdictChainHeadKey('dr')}`,
      `arn:aws:s3:::redis-dr-prod-vault-444455556666-eu-central-1/${chainRecordKey('vault', 1)}`,
    ];
    const writes = VERDICT_OBJECT_WRITES.flatMap((action) => verdicts.map((resource): IamRequest => ({ action, resource, context: {} })));
    expect(writes.length).toBeGreaterThanOrEqual(5 * 6);
    for (const w of writes) expect(await evaluate([policy], w), `${w.action} ${w.resource}`).toBe('ExplicitlyDenied');
    // Reading them stays allowed (status, doctor, report, restore read the verdicts).
    for (const resource of verdicts) expect(await evaluate([policy], { action: 's3:GetObject', resource, context: {} })).toBe('Allowed');
    // The negative case: without the Deny, the export's dependent s3:PutObject and s3:DeleteObject on `redis-dr-*/rdr-*`
    // reach a verdict object (the ARN wildcard spans the slash): the Deny is what stops them.
    const unguarded: PolicyDocument = { ...policy, Statement: policy.Statement.filter((st) => st.Sid !== 'NoVerdictObjectWrites') };
    for (const action of ['s3:PutObject', 's3:DeleteObject'])
      expect(await evaluate([unguarded], { action, resource: verdicts[0]!, context: {} }), action).toBe('Allowed');
  });

  it('denies what the operator never needs: deleting a cache, a snapshot, an object, or reading another bucket', async () => {
    const policy = simulatedPolicy();
    const requests: IamRequest[] = [
      { action: 'elasticache:DeleteReplicationGroup', resource: 'arn:aws:elasticache:eu-west-1:000000000000:replicationgroup:sessions-prod', context: {} },
      { action: 'elasticache:DeleteSnapshot', resource: 'arn:aws:elasticache:eu-west-1:000000000000:snapshot:rdr-sessions-x', context: {} },
      // The export's dependent s3:DeleteObject (a delete marker on the versioned buckets) is held; a version never goes.
      { action: 's3:DeleteObjectVersion', resource: 'arn:aws:s3:::redis-dr-prod-000000000000-eu-west-1/rdr-x-0001.rdb', context: {} },
      { action: 's3:DeleteObject', resource: 'arn:aws:s3:::redis-dr-prod-000000000000-eu-west-1/selftest-old/x.json', context: {} },
      { action: 's3:GetObjectTagging', resource: 'arn:aws:s3:::payroll-exports/x', context: {} },
      // The canary's deletions need the canary's tags: a production cache, or a point of one, carries neither.
      {
        action: 'elasticache:DeleteReplicationGroup',
        resource: 'arn:aws:elasticache:eu-west-1:000000000000:replicationgroup:rdr-drill-sessions-prod',
        context: { 'aws:ResourceTag/redis-dr:managed': 'true' },
      },
      {
        action: 'elasticache:DeleteSnapshot',
        resource: 'arn:aws:elasticache:eu-west-1:000000000000:snapshot:rdr-sessions-prod-20261123-1000',
        context: { 'aws:ResourceTag/redis-dr:managed': 'true', 'aws:ResourceTag/redis-dr:source': 'sessions-prod' },
      },
      // The only function the operator invokes is the page router: not the snapshot or prune function, though redis-dr's.
      {
        action: 'lambda:InvokeFunction',
        resource: 'arn:aws:lambda:eu-west-1:000000000000:function:RedisDr-prod-Primary-PruneFunction-abc',
        context: { 'aws:ResourceTag/redis-dr:managed': 'true' },
      },
      // The operator writes the selftest's records and (the export's dependent action) `rdr-*` keys, nothing else.
      { action: 's3:PutObject', resource: 'arn:aws:s3:::redis-dr-prod-000000000000-eu-west-1/selftest-old/x.json', context: {} },
      { action: 's3:PutObject', resource: 'arn:aws:s3:::payroll-exports/rdr-x-0001.rdb', context: {} },
    ];
    for (const request of requests) expect(await evaluate([policy], request), request.action).toBe('ImplicitlyDenied');
  });
});
