import { Duration } from 'aws-cdk-lib';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';

/** How often, how long apart and how fast backing off a retrier tries again (interval and maxDelay in seconds). */
export interface RetryShape {
  readonly interval: number;
  readonly backoffRate: number;
  readonly maxAttempts: number;
  /** @default - no cap on the wait between attempts */
  readonly maxDelay?: number;
}

/** Retry shapes of the drill's tasks (interval and maxDelay in seconds). */
export const DRILL_RETRY = {
  /** Throttling and transient faults: 3 + 6 + 12 s. */
  transient: { interval: 3, backoffRate: 2, maxAttempts: 3 },
  /** A cluster, cache, user group or user still busy (creating, deleting, in use): about 10 minutes, then the reaper's. */
  busy: { interval: 30, backoffRate: 1.5, maxAttempts: 6, maxDelay: 240 },
  /** A user or user group made a moment ago that is not active yet: about a minute. */
  settling: { interval: 5, backoffRate: 1.5, maxAttempts: 5 },
  /** Lambda service faults of the select and report invokes (the CDK's list of them); verify has none. */
  lambda: { interval: 2, backoffRate: 2, maxAttempts: 1 },
  /** Throttling and transient faults of the AUTH token's delete: 5 + 10 + 20 + 40 + 80 s (a token left behind outlives the drill). */
  secretCleanup: { interval: 5, backoffRate: 2, maxAttempts: 5 },
} as const satisfies Record<string, RetryShape>;

/** An ElastiCache fault as the SDK integration may name it: Step Functions prefixes the service; `…Exception` or `…Fault`. */
function ecErrors(...faults: string[]): string[] {
  return faults.flatMap((f) => [`ElastiCache.${f}Exception`, `ElastiCache.${f}Fault`]);
}

/** Error names of the ElastiCache SDK integration (Step Functions prefixes the service). */
export const SFN_ERRORS = {
  /**
   * Throttling and transient service faults. ElastiCache (a Query-protocol
   * API) answers throttling with the code `Throttling` and server faults
   * with `InternalFailure`/`ServiceUnavailable`; none is a modeled error of
   * the service (the SDK's models/errors list none; APICallRateForCustomerExceeded
   * is TestFailover's only). An unmodeled error surfaces as the client's
   * base exception, which Step Functions names `<Service>.<Exception>`:
   * `ElastiCache.ElastiCacheException` (as EC2 throttling surfaces as
   * `Ec2.Ec2Exception`). `ElastiCache.ThrottlingException` is never raised.
   * @see https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html (error names: ServiceName.ErrorName, with an Exception suffix)
   * @see https://github.com/aws/aws-sdk-java-v2/blob/master/codegen/src/main/java/software/amazon/awssdk/codegen/naming/DefaultNamingStrategy.java (XFault becomes XException; the base exception is ElastiCacheException)
   * @see https://github.com/CloudSnorkel/cdk-github-runners/issues/946 (an EC2 throttle in a Step Functions SDK task: "Ec2.Ec2Exception: Request limit exceeded")
   */
  transient: ['ElastiCache.ElastiCacheException'],
  /** The group is still creating/modifying: delete must wait. */
  busy: ecErrors('InvalidReplicationGroupState'),
  /** The group does not exist (never created, or already deleted). */
  notFound: ecErrors('ReplicationGroupNotFound'),
  /** A group or serverless cache with the drill's id exists: someone else's, or ours from a create that was retried. */
  alreadyExists: ecErrors('ReplicationGroupAlreadyExists', 'ServerlessCacheAlreadyExists'),
  /** The serverless cache is still creating/modifying. */
  serverlessBusy: ecErrors('InvalidServerlessCacheState'),
  /** The serverless cache does not exist. */
  serverlessNotFound: ecErrors('ServerlessCacheNotFound'),
  /** A user group still creating, or still in use by a cache being deleted. */
  userGroupBusy: ecErrors('InvalidUserGroupState'),
  userGroupNotFound: ecErrors('UserGroupNotFound'),
  /** A user still in a user group (being deleted), or not active yet. */
  userBusy: ecErrors('InvalidUserState', 'DefaultUserAssociatedToUserGroup'),
  userNotFound: ecErrors('UserNotFound'),
} as const;

/**
 * Throttling and transient faults of the Secrets Manager SDK integration.
 * Throttling is not in Secrets Manager's model: it surfaces as the base
 * exception (as ElastiCache's does, see {@link SFN_ERRORS}) or, if Step
 * Functions names it by its code, as ThrottlingException; both are retried.
 */
export const SECRETS_MANAGER_TRANSIENT_ERRORS = [
  'SecretsManager.SecretsManagerException',
  'SecretsManager.ThrottlingException',
  'SecretsManager.InternalServiceErrorException',
] as const;

/** The Lambda invoke faults worth one retry (the CDK's `retryOnServiceExceptions` list). */
export const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
] as const;

/**
 * How an ElastiCache call is retried: `read` and `delete` (idempotent)
 * retry throttling, transient faults and their own timeout; `create`
 * retries throttling and transient faults only (a timed-out create may
 * have made the group: its caller routes States.Timeout and
 * AlreadyExists to the owner check); `poll` retries nothing: the poll
 * loop's next round is its retry.
 */
export type ElastiCacheCallKind = 'read' | 'create' | 'delete' | 'poll';

/** The throttling retrier every ElastiCache call of `kind` gets first, or none (a poll). */
export function elastiCacheTransientRetry(kind: ElastiCacheCallKind): sfn.RetryProps | undefined {
  if (kind === 'poll') return undefined;
  const errors = kind === 'create' ? [...SFN_ERRORS.transient] : [...SFN_ERRORS.transient, 'States.Timeout'];
  return retryProps(errors, DRILL_RETRY.transient);
}

/** A retrier of `errors` in one of the {@link DRILL_RETRY} shapes: the one way the drill's tasks get their retries. */
export function retryProps(errors: readonly string[], shape: RetryShape): sfn.RetryProps {
  return {
    errors: [...errors],
    interval: Duration.seconds(shape.interval),
    backoffRate: shape.backoffRate,
    maxAttempts: shape.maxAttempts,
    ...(shape.maxDelay ? { maxDelay: Duration.seconds(shape.maxDelay) } : {}),
  };
}
