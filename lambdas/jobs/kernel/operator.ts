/**
 * What the on-demand jobs (`redis-dr snapshot`, `export`, `verify-copy`,
 * `selftest`) run with: the operator's AWS clients by region, the
 * dependencies the scheduled jobs expect, a clock; and the one wait they
 * share (poll until done, within a limit, saying what it waits for).
 */
import type { ElastiCacheClient } from '@aws-sdk/client-elasticache';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { RetryClock } from '../../adapters/aws/retry.js';
import type { ScheduledDeps } from './deps.js';

/** The environment variable naming the vault account's AWS profile when `--vault-profile` is not given (read by the CLI, named in the vault jobs' fixes). */
export const VAULT_PROFILE_ENV = 'REDIS_DR_VAULT_PROFILE';

/** The operator's AWS access (OperatorClients of ./clients.ts is the one the CLI builds). */
export interface OperatorAws {
  readonly clock: RetryClock;
  elasticache(region: string): ElastiCacheClient;
  s3(region: string): S3Client;
  sfn(region: string): SFNClient;
  /** The dependencies the scheduled jobs run with, against `region`. */
  deps(region: string): ScheduledDeps;
}

/** How long and how often a wait looks. */
export interface WaitOptions {
  /** Seconds between looks. */
  readonly pollSeconds: number;
  /** Minutes before the wait gives up. */
  readonly timeoutMinutes: number;
  /** Said before each sleep: what it waits for, now. */
  readonly onStatus?: (status: string) => void;
}

/** A wait that gave up: what it waited for, and for how long. */
export class WaitTimedOutError extends Error {
  override readonly name = 'WaitTimedOutError';
}

/**
 * Looks until `look` returns a value (`undefined`: not yet; `status` says
 * why), sleeping `pollSeconds` between looks.
 * @throws WaitTimedOutError after `timeoutMinutes`
 */
export async function pollUntil<T>(
  clock: RetryClock,
  what: string,
  o: WaitOptions,
  look: () => Promise<{ readonly done: T } | { readonly status: string }>,
): Promise<T> {
  const deadline = clock.now() + o.timeoutMinutes * 60_000;
  for (;;) {
    const r = await look();
    if ('done' in r) return r.done;
    if (clock.now() >= deadline) throw new WaitTimedOutError(`${what}: not done within ${o.timeoutMinutes} min (last seen: ${r.status})`);
    o.onStatus?.(`${what}: ${r.status}`);
    await clock.sleep(o.pollSeconds * 1000);
  }
}
