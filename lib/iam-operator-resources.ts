/**
 * The resources of docs/iam/operator-policy.json that are the deployment's
 * own, from the names the stacks and jobs use (issue 53 item 3): the alert
 * topics (named by CloudFormation after the stack and the topic's logical
 * id: `<stack>-<logical id>-<random>`), the configured AUTH secrets (as
 * written and with Secrets Manager's suffix, as the probe's role grants
 * them), and an organization's selftest records under `<account>/<region>/`
 * (the key layout of lambdas/domain/points/account-prefix.ts), and the
 * customer managed KMS keys of those secrets where the config names them
 * (`probe.authSecretKmsKeyArn`: kms:Decrypt through Secrets Manager only).
 *
 * The policy is a static file, so it names the deployment and the secrets by
 * placeholder; {@link operatorPolicyFor} fills them in for one deployment.
 * test/lib/iam-operator.test.ts writes the file from these functions and
 * simulates it; test/docs/operator-permissions.test.ts holds it to them.
 */
import { accountRegionPrefix } from '../lambdas/domain/points/account-prefix.js';
import { SELFTEST_PREFIX } from '../lambdas/domain/selftest/steps.js';
import { secretArnResources } from './constructs/elasticache-arns.js';
import { type ConfiguredSecret, secretKeyGrants, secretKeyStatement } from './constructs/secret-keys.js';
import type { RedisDrConfig } from './config/index.js';
import { ALERT_TOPIC_OUTPUT, stackNames } from './deployment.js';

/** Stands for the deployment's name (config `name`) in the static policy. */
export const DEPLOYMENT_PLACEHOLDER = '<deployment>';
/** Stands for each AUTH token secret the operator may read (`restore --auth-token-secret`: each plan's `probe.authSecretArn`). */
export const AUTH_SECRET_PLACEHOLDER = '<auth-secret-arn>';

/** Stands for the customer managed KMS key of each AUTH token secret that has one (`probe.authSecretKmsKeyArn`). */
export const AUTH_SECRET_KEY_PLACEHOLDER = '<auth-secret-kms-key-arn>';
/** Stands for the region of that key (and its secret): Secrets Manager's endpoint there is the only way the key is used. */
export const AUTH_SECRET_REGION_PLACEHOLDER = '<auth-secret-region>';

/** The bucket pattern of the policy's S3 statements: every recovery bucket of redis-dr (`redis-dr-<deployment>-<account>-<region>`). */
export const RECOVERY_BUCKETS = 'arn:aws:s3:::redis-dr-*';

/**
 * The alert topics of a deployment's Primary and DR stacks. The topics are
 * not named in the template, so CloudFormation names each
 * `<stack name>-<logical id>-<random suffix>`; `topicLogicalId` is the
 * topic's logical id as synthesized (the same in both stacks: one
 * construct path).
 */
export function alertTopicArnPatterns(deployment: string, topicLogicalId: string, partition = 'aws'): string[] {
  const stacks = stackNames({ name: deployment });
  return [stacks.primary, stacks.dr].map((stack) => `arn:${partition}:sns:*:*:${stack}-${topicLogicalId}-*`);
}

/**
 * The alert topic's logical id in a synthesized Primary or DR template: the
 * topic the stack's {@link ALERT_TOPIC_OUTPUT} output names.
 * @throws when the template has no such output
 */
export function alertTopicLogicalId(template: object): string {
  const outputs = (template as { Outputs?: Record<string, { Value?: { Ref?: unknown } } | undefined> }).Outputs;
  const ref = outputs?.[ALERT_TOPIC_OUTPUT]?.Value?.Ref;
  if (typeof ref !== 'string') throw new Error(`the template has no ${ALERT_TOPIC_OUTPUT} output naming its alert topic`);
  return ref;
}

/** The AUTH token secrets the operator reads, by placeholder: as written and with the suffix Secrets Manager appends. */
export function authSecretResources(): string[] {
  return secretArnResources(AUTH_SECRET_PLACEHOLDER);
}

/** The caller's own account, as IAM resolves it per request. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable, resolved by IAM per request
const CALLER_ACCOUNT = '${aws:PrincipalAccount}';

/**
 * An organization's selftest records (`vault.organizationId`): the selftest
 * writes its record under `<account>/<region>/selftest/` too, and reads it
 * back. The account is the caller's own (`${aws:PrincipalAccount}`, as the
 * organization vault's policy holds each account to), any region.
 */
export function orgSelftestRecords(): string {
  return `${RECOVERY_BUCKETS}/${accountRegionPrefix(CALLER_ACCOUNT, '*')}${SELFTEST_PREFIX}*`;
}

/** A policy document as the file holds it. */
export interface OperatorPolicy {
  readonly Version: string;
  readonly Statement: readonly Record<string, unknown>[];
}

/** The AUTH token secrets a config names, each with its customer managed key where it has one (`probe.authSecretKmsKeyArn`). */
function configuredAuthSecretKeys(config: Pick<RedisDrConfig, 'plans'>): ConfiguredSecret[] {
  return config.plans.flatMap(({ probe }) => (probe.authSecretArn ? [{ arn: probe.authSecretArn, kmsKeyArn: probe.authSecretKmsKeyArn }] : []));
}

/** The AUTH token secrets a config names: each plan's `probe.authSecretArn` (the caches' AUTH, what a restore of them sets). */
export function configuredAuthSecrets(config: Pick<RedisDrConfig, 'plans'>): string[] {
  return [...new Set(configuredAuthSecretKeys(config).map((s) => s.arn))];
}

/**
 * The AUTH token secrets' keys, by placeholder: `kms:Decrypt` on the key,
 * only through Secrets Manager in its region, only for the secrets' data
 * keys (lib/constructs/secret-keys.ts: the Lambda roles' grant, the same
 * shape). {@link operatorPolicyFor} makes one per configured key; a secret
 * under the AWS managed `aws/secretsmanager` key needs none.
 */
export function authSecretKeyStatement(): Record<string, unknown> {
  return secretKeyStatement(
    { key: AUTH_SECRET_KEY_PLACEHOLDER, region: AUTH_SECRET_REGION_PLACEHOLDER, secrets: [AUTH_SECRET_PLACEHOLDER] },
    'AuthTokenSecretKeys',
  );
}

/** The key statement for each configured key (its Sid numbered from the second), none without one. */
function authSecretKeyStatements(sid: string, config: Pick<RedisDrConfig, 'plans'>): Record<string, unknown>[] {
  return secretKeyGrants(configuredAuthSecretKeys(config), 'none').map((grant, i) => secretKeyStatement(grant, i === 0 ? sid : `${sid}${i + 1}`));
}

/**
 * The static policy for one deployment's config: `<deployment>` replaced by
 * its name, each `<auth-secret-arn>` resource by every configured secret's
 * ({@link configuredAuthSecrets}; none: the statement that only reads
 * secrets goes), and the `<auth-secret-kms-key-arn>` statement by one per
 * configured key ({@link authSecretKeyStatement}; none configured: it goes).
 */
export function operatorPolicyFor(policy: OperatorPolicy, config: Pick<RedisDrConfig, 'name' | 'plans'>): OperatorPolicy {
  const secrets = configuredAuthSecrets(config);
  const resource = (r: string): string[] =>
    r.includes(AUTH_SECRET_PLACEHOLDER)
      ? secrets.map((arn) => r.replaceAll(AUTH_SECRET_PLACEHOLDER, arn))
      : [r.replaceAll(DEPLOYMENT_PLACEHOLDER, config.name)];
  const statements = policy.Statement.flatMap((s) => {
    const given = s.Resource;
    if (JSON.stringify(given ?? '').includes(AUTH_SECRET_KEY_PLACEHOLDER)) return authSecretKeyStatements(String(s.Sid), config);
    if (given === undefined) return [s];
    const list = (Array.isArray(given) ? given : [given]).flatMap((r: string) => resource(r));
    return [{ ...s, Resource: [...new Set(list)] }];
  }).filter((s) => !Array.isArray(s.Resource) || s.Resource.length > 0);
  return { ...policy, Statement: statements };
}
