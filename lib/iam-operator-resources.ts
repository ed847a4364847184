/**
 * The resources of docs/iam/operator-policy.json that are the deployment's
 * own, from the names the stacks and jobs use (issue 53 item 3): the alert
 * topics (named by CloudFormation after the stack and the topic's logical
 * id: `<stack>-<logical id>-<random>`), the configured AUTH secrets (as
 * written and with Secrets Manager's suffix, as the probe's role grants
 * them), and an organization's selftest records under `<account>/<region>/`
 * (the key layout of lambdas/domain/points/account-prefix.ts).
 *
 * The policy is a static file, so it names the deployment and the secrets by
 * placeholder; {@link operatorPolicyFor} fills them in for one deployment.
 * test/lib/iam-operator.test.ts writes the file from these functions and
 * simulates it; test/docs/operator-permissions.test.ts holds it to them.
 */
import { accountRegionPrefix } from '../lambdas/domain/points/account-prefix.js';
import { SELFTEST_PREFIX } from '../lambdas/domain/selftest/steps.js';
import { secretArnResources } from './constructs/elasticache-arns.js';
import type { RedisDrConfig } from './config/index.js';
import { ALERT_TOPIC_OUTPUT, stackNames } from './deployment.js';

/** Stands for the deployment's name (config `name`) in the static policy. */
export const DEPLOYMENT_PLACEHOLDER = '<deployment>';
/** Stands for each AUTH token secret the operator may read (`restore --auth-token-secret`: each plan's `probe.authSecretArn`). */
export const AUTH_SECRET_PLACEHOLDER = '<auth-secret-arn>';

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

/** The AUTH token secrets a config names: each plan's `probe.authSecretArn` (the caches' AUTH, what a restore of them sets). */
export function configuredAuthSecrets(config: Pick<RedisDrConfig, 'plans'>): string[] {
  return [...new Set(config.plans.flatMap((p) => (p.probe.authSecretArn ? [p.probe.authSecretArn] : [])))];
}

/**
 * The static policy for one deployment's config: `<deployment>` replaced by
 * its name, each `<auth-secret-arn>` resource by every configured secret's
 * ({@link configuredAuthSecrets}; none: the statement that only reads
 * secrets goes).
 */
export function operatorPolicyFor(policy: OperatorPolicy, config: Pick<RedisDrConfig, 'name' | 'plans'>): OperatorPolicy {
  const secrets = configuredAuthSecrets(config);
  const resource = (r: string): string[] =>
    r.includes(AUTH_SECRET_PLACEHOLDER)
      ? secrets.map((arn) => r.replaceAll(AUTH_SECRET_PLACEHOLDER, arn))
      : [r.replaceAll(DEPLOYMENT_PLACEHOLDER, config.name)];
  const statements = policy.Statement.map((s) => {
    const given = s.Resource;
    if (given === undefined) return s;
    const list = (Array.isArray(given) ? given : [given]).flatMap((r: string) => resource(r));
    return { ...s, Resource: [...new Set(list)] };
  }).filter((s) => !Array.isArray(s.Resource) || s.Resource.length > 0);
  return { ...policy, Statement: statements };
}
