/**
 * What the AWS commands of the CLI share: the config file, the account, SDK
 * clients per region, the dependencies the Lambda code expects, and how AWS
 * failures become messages and exit codes.
 *
 * Exit codes: a thrown {@link UsageError} (bad arguments, a bad config file,
 * no credentials) exits 2 with its message; {@link runAwsCommand} turns any
 * other failure into a message naming the command and exit 1.
 */
import { ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { RedisDrConfig } from '../lib/config/index.js';
import { describeError, errorName } from '../lambdas/adapters/aws/errors.js';
import type { MetricsSink } from '../lambdas/adapters/aws/metrics.js';
import { systemClock, type RetryClock } from '../lambdas/adapters/aws/retry.js';
import { sdkClientConfig, TUNING } from '../lambdas/adapters/aws/client-config.js';
import type { LogSink, ScheduledDeps } from '../lambdas/jobs/deps.js';
import { partitionOf } from '../lambdas/domain/drills/select.js';
import { connectionProblem, describeFailure, reportFailure } from './failure.js';
import { UsageError } from './usage.js';

export { findPlan, loadCliConfig } from './config-file.js';

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
export interface CliEnv {
  /** The clock of waits and ages. @default the system clock */
  readonly clock?: RetryClock;
}

/** Credentials other than the workload account's that a command was given. */
export interface CliAccess {
  /** The AWS profile of the vault account (`--vault-profile`, else $REDIS_DR_VAULT_PROFILE); undefined: the credentials in use. */
  readonly vaultProfile?: string;
}

/** AWS access for one CLI run: clients by region (created once), the account, the Lambda dependencies. */
export class CliAws {
  private readonly clients = new Map<string, unknown>();
  private accountId: Promise<string> | undefined;
  readonly log = new CollectingLog();

  /** The clock the Lambda code and waits use (tests pass a fake one). */
  readonly clock: RetryClock;

  constructor(
    readonly config: RedisDrConfig,
    options: CliEnv = {},
    /** Credentials of other accounts (the vault's). */
    readonly access: CliAccess = {},
  ) {
    this.clock = options.clock ?? systemClock;
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
    return this.client('s3', region, () => new S3Client({ region, ...sdkClientConfig() }));
  }

  /** S3 in `region` with the vault account's profile when one was given (else the credentials in use). */
  vaultS3(region: string): S3Client {
    const profile = this.access.vaultProfile;
    return this.client(`s3-vault:${profile ?? ''}`, region, () => new S3Client({ region, ...(profile ? { profile } : {}), ...sdkClientConfig() }));
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
    const ask = async (region: string): Promise<string> => {
      const sts = this.client('sts', region, () => new STSClient({ region, ...sdkClientConfig() }));
      const out = await sts.send(new GetCallerIdentityCommand({}));
      if (!out.Account) throw new Error(`STS GetCallerIdentity (${region}) returned no account`);
      return out.Account;
    };
    this.accountId ??= (async () => {
      try {
        return await ask(this.config.primary.region);
      } catch (err) {
        if (isNoCredentials(err)) throw err;
        return ask(this.config.dr.region);
      }
    })();
    return this.accountId;
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

/** Missing, expired or refused credentials (the shared mapping of cli/failure.ts). */
function isNoCredentials(err: unknown): boolean {
  return connectionProblem(err)?.code === 'aws-credentials';
}

/** An AWS failure in words, with the fix when there is a usual one (credentials and endpoints: cli/failure.ts). */
export function awsProblem(err: unknown): string {
  const name = errorName(err);
  const connection = connectionProblem(err);
  if (connection) return `${connection.message}: ${connection.fix}`;
  if (/AccessDenied|UnauthorizedOperation|NotAuthorized/.test(name))
    return `access denied: ${describeError(err)} (check the role in use with \`aws sts get-caller-identity\`; docs/deploying.md lists the permissions)`;
  return describeError(err);
}

/**
 * Runs an AWS command's body once the credentials are known good, under the
 * one exit-code rule (cli/failure.ts): usage errors are rethrown (exit 2);
 * missing or expired credentials, another account's, or an AWS endpoint that
 * could not be reached are exit 2 with the endpoint and a fix, unless the
 * body had already changed something (it says so through `did`: then exit 1
 * and the message says what was done); anything else is exit 1. Under
 * --json a failure also prints `{ ok: false, error }` on stdout.
 */
export async function runAwsCommand(command: string, aws: CliAws, body: (did: (what: string) => void) => Promise<number>): Promise<void> {
  let done: string | undefined;
  try {
    await aws.checkCredentials();
    process.exitCode = await body((what) => {
      done = what;
    });
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const problem = describeFailure(err, command, done);
    // An AWS error with a usual fix (access denied, an expired session) in its words; the code stays the rule's.
    const message = problem.code === 'failed' ? `${awsProblem(err)}${done === undefined ? '' : `; it did part of the job first: ${done}`}` : problem.message;
    reportFailure(command, { ...problem, message });
  }
}
