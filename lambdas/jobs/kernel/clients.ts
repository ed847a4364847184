/**
 * The operator's AWS clients: what the CLI's AWS commands are given to call
 * the jobs with. SDK clients per region (created once, the Lambdas' retry
 * settings), the account the credentials belong to, and the dependencies the
 * scheduled jobs expect. The CLI never builds an SDK client itself: it
 * builds one of these (cli/aws.ts) and passes it to the job it calls.
 */
import { ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { RedisDrConfig } from '../../../lib/config/index.js';
import { describeError, errorName } from '../../adapters/aws/errors.js';
import type { MetricsSink } from '../../adapters/aws/metrics.js';
import { systemClock, type RetryClock } from '../../adapters/aws/retry.js';
import { s3ClientConfig, sdkClientConfig, TUNING } from '../../adapters/aws/client-config.js';
import { reachability } from '../../adapters/aws/reachability.js';
import { partitionOf } from '../../domain/drills/select.js';
import { connectionProblem } from './connection-problem.js';
import type { LogSink, ScheduledDeps } from './deps.js';
import { UsageError } from './usage-error.js';
import type { OperatorAws } from './operator.js';

/** Warnings and errors the Lambda code logs, kept for the report instead of printed as JSON lines. */
export class CollectingLog implements LogSink {
  readonly entries: { level: 'info' | 'warn' | 'error'; message: string; extra: Record<string, unknown> }[] = [];
  info(message: string, extra: Record<string, unknown> = {}): void {
    this.entries.push({ level: 'info', message, extra });
  }
  warn(message: string, extra: Record<string, unknown> = {}): void {
    this.entries.push({ level: 'warn', message, extra });
  }
  error(message: string, extra: Record<string, unknown> = {}): void {
    this.entries.push({ level: 'error', message, extra });
  }
}

/** The CLI emits no metrics: the deployed functions do. */
const noMetrics: MetricsSink = { put: () => undefined };

/** What tests may replace when they drive the program in-process. */
export interface OperatorEnv {
  /** The clock of waits and ages. @default the system clock */
  readonly clock?: RetryClock;
}

/** Credentials other than the workload account's that a command was given. */
export interface OperatorAccess {
  /** The AWS profile of the vault account (`--vault-profile`, else $REDIS_DR_VAULT_PROFILE); undefined: the credentials in use. */
  readonly vaultProfile?: string;
}

/** AWS access for one operator run (a CLI command): clients by region (created once), the account, the Lambda dependencies. */
export class OperatorClients implements OperatorAws {
  private readonly clients = new Map<string, unknown>();
  private caller: Promise<{ readonly account: string; readonly arn?: string }> | undefined;
  readonly log = new CollectingLog();

  /** The clock the Lambda code and waits use (tests pass a fake one). */
  readonly clock: RetryClock;

  constructor(
    readonly config: RedisDrConfig,
    options: OperatorEnv = {},
    /** Credentials of other accounts (the vault's). */
    readonly access: OperatorAccess = {},
  ) {
    this.clock = options.clock ?? systemClock;
  }

  /** The process's AWS answer counts when this run began (adapters/aws/reachability.ts). */
  private readonly reachedAtStart = { answered: reachability.answered, unanswered: reachability.unanswered };

  /**
   * Throws the connection error when no AWS call of this run got an answer
   * and one could not connect (not resolved, refused, timed out): the
   * commands call it before they print, so a machine without a route to AWS
   * gets one line naming the endpoint and its fix (exit 2), never a report
   * whose every row failed nor advice that presumes AWS answered.
   */
  assertReached(): void {
    if (reachability.answered > this.reachedAtStart.answered || reachability.unanswered === this.reachedAtStart.unanswered) return;
    const err = reachability.lastUnanswered;
    if (NO_ROUTE.has(connectionProblem(err)?.code ?? '')) throw err;
  }

  private client<T>(kind: string, region: string, make: () => T): T {
    const key = `${kind}@${region}`;
    let c = this.clients.get(key) as T | undefined;
    if (!c) {
      c = make();
      this.clients.set(key, c);
    }
    return c;
  }

  elasticache(region: string): ElastiCacheClient {
    return this.client('elasticache', region, () => new ElastiCacheClient({ region, ...sdkClientConfig() }));
  }

  s3(region: string): S3Client {
    return this.client('s3', region, () => new S3Client({ region, ...s3ClientConfig() }));
  }

  /** S3 in `region` with the vault account's profile when one was given (else the credentials in use). */
  vaultS3(region: string): S3Client {
    const profile = this.access.vaultProfile;
    return this.client(`s3-vault:${profile ?? ''}`, region, () => new S3Client({ region, ...(profile ? { profile } : {}), ...s3ClientConfig() }));
  }

  secrets(region: string): SecretsManagerClient {
    return this.client('secrets', region, () => new SecretsManagerClient({ region, ...sdkClientConfig() }));
  }

  sfn(region: string): SFNClient {
    return this.client('sfn', region, () => new SFNClient({ region, ...sdkClientConfig() }));
  }

  /**
   * The account the credentials belong to (STS GetCallerIdentity, which needs
   * no permission, at the primary region's endpoint, then the DR region's:
   * during a regional outage the other one answers).
   */
  identity(): Promise<string> {
    return this.callerIdentity().then((c) => c.account);
  }

  /** Who the credentials are (the caller's IAM ARN), for the record of a manual drill; undefined when STS does not say. */
  callerArn(): Promise<string | undefined> {
    return this.callerIdentity().then((c) => c.arn);
  }

  private callerIdentity(): Promise<{ readonly account: string; readonly arn?: string }> {
    const ask = async (region: string) => {
      const sts = this.client('sts', region, () => new STSClient({ region, ...sdkClientConfig() }));
      const out = await sts.send(new GetCallerIdentityCommand({}));
      if (!out.Account) throw new Error(`STS GetCallerIdentity (${region}) returned no account`);
      return { account: out.Account, ...(out.Arn ? { arn: out.Arn } : {}) };
    };
    this.caller ??= (async () => {
      try {
        return await ask(this.config.primary.region);
      } catch (err) {
        if (isNoCredentials(err)) throw err;
        return ask(this.config.dr.region);
      }
    })();
    return this.caller;
  }

  /**
   * Fails before any other call when there are no usable credentials, or
   * when they belong to another account than the config names (a usage
   * error: exit 2, one line, nothing done).
   */
  async checkCredentials(): Promise<void> {
    const configured = this.config.primary.account ?? this.config.dr.account;
    let caller: string;
    try {
      caller = await this.identity();
    } catch (err) {
      // STS unreachable in both regions (an outage, an endpoint policy): the
      // configured account stands and the command's own calls say whether the
      // credentials work. Missing credentials are never waved through.
      if (isNoCredentials(err) || !configured) throw err;
      return;
    }
    if (configured && configured !== caller) {
      throw new UsageError(
        `the AWS credentials in use are for account ${caller}, but the config names primary.account ${configured}: use a profile of account ${configured} (aws sts get-caller-identity shows the one in use)`,
      );
    }
  }

  /** The deployment's account: `primary.account` from the config, else the caller's. */
  account(): Promise<string> {
    const configured = this.config.primary.account ?? this.config.dr.account;
    return configured ? Promise.resolve(configured) : this.identity();
  }

  partition(region: string): string {
    return partitionOf(region);
  }

  /** The dependencies the scheduled Lambda code runs with, against `region`. */
  deps(region: string): ScheduledDeps {
    return {
      elasticache: this.elasticache(region),
      tagging: this.client('tagging', region, () => new ResourceGroupsTaggingAPIClient({ region, ...sdkClientConfig() })),
      s3: this.s3(region),
      metrics: noMetrics,
      log: this.log,
      clock: this.clock,
      concurrency: 8,
      throttleDelayMs: TUNING.throttleDelayMs,
      busyDelayMs: TUNING.busyDelayMs,
    };
  }
}

/** The connection problems that mean no route to AWS (credentials problems are told apart by checkCredentials). */
const NO_ROUTE = new Set(['dns', 'connection-refused', 'timeout', 'unreachable', 'tls']);

/** Missing, expired or refused credentials (the shared mapping of lambdas/jobs/kernel/connection-problem.ts). */
function isNoCredentials(err: unknown): boolean {
  return connectionProblem(err)?.code === 'aws-credentials';
}

/** An AWS failure in words, with the fix when there is a usual one (credentials and endpoints: lambdas/jobs/kernel/connection-problem.ts). */
export function awsProblem(err: unknown): string {
  const connection = connectionProblem(err);
  if (connection) return `${connection.message}: ${connection.fix}`;
  return awsErrorText(err);
}

/** An AWS error that is not a connection problem, in words: access denied with where to look, else its name and message. */
export function awsErrorText(err: unknown): string {
  if (/AccessDenied|UnauthorizedOperation|NotAuthorized/.test(errorName(err)))
    return `access denied: ${describeError(err)} (check the role in use with \`aws sts get-caller-identity\`; docs/deploying.md lists the permissions)`;
  return describeError(err);
}
