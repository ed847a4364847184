import type { S3Client } from '@aws-sdk/client-s3';
import { copyVersion, deleteAllVersions, headObject } from '../../adapters/aws/s3/copy.js';
import { type ThrottleRetry, throttleRetry } from '../../adapters/aws/retry.js';
import {
  type SeedCleanupResult,
  type SeedCopyEvent,
  type SeedCopyResult,
  type SeedReplica,
  seedCopyEventSchema,
  seedCopyKey,
  seedCopyResult,
  seedCopyProblem,
} from '../../domain/vault/vault-seed.js';
import type { LogSink } from '../kernel/deps.js';
import type { RetryClock } from '../../adapters/aws/retry.js';

/**
 * The vault drill's seed copy (a task of the DR drill state machine, plans
 * with `drill.fromVault`). `copy`: each verified replica version the select
 * step chose (`vault.replicas`, named by the vault verifier's verdicts) is
 * copied server-side into this account's DR bucket under
 * `redis-dr-drill-seeds/<execution>/`, then read back (length and ETag equal
 * to the verified version's); the drill cluster is seeded from those copies,
 * in the same account (ElastiCache's documented seeding route). `delete`:
 * every version of those keys is removed and the listing read again; the
 * state machine runs it on every path after the copy, success or failure.
 */

/** What the step needs from outside. */
export interface SeedCopyDeps {
  readonly s3: S3Client;
  readonly log: LogSink;
  readonly clock: RetryClock;
  readonly throttleDelayMs: number;
}

/** Time the step may spend retrying throttled calls. */
export const SEED_COPY_BUDGET_MS = 120_000;

/** Runs the copy or the delete. */
export async function runSeedCopy(raw: SeedCopyEvent, deps: SeedCopyDeps): Promise<SeedCopyResult | SeedCleanupResult> {
  const event = seedCopyEventSchema.parse(raw);
  const retry = throttleRetry(deps.clock, deps.clock.now() + SEED_COPY_BUDGET_MS, deps.throttleDelayMs);
  return event.action === 'copy' ? copySeed(event, deps, retry) : deleteSeed(event, deps, retry);
}

type Event = ReturnType<typeof seedCopyEventSchema.parse>;

async function copySeed(event: Event, deps: SeedCopyDeps, retry: ThrottleRetry): Promise<SeedCopyResult> {
  const { vault } = event;
  const replicas: SeedReplica[] = vault.keys.map((key) => {
    const r = vault.replicas?.find((x) => x.key === key);
    if (!r) {
      throw new Error(`vault.replicas names no verified version of ${key}: the select step records one per key from the verdict objects (select again)`);
    }
    return r;
  });
  const keys: string[] = [];
  for (const replica of replicas) {
    const key = seedCopyKey(event.execution, replica.key);
    await copyVersion(deps.s3, { bucket: vault.bucket, replica, expectedOwner: vault.account }, event.bucket, key, retry);
    keys.push(key);
    // Stored = read back: the copy counts only with the verified version's length and ETag.
    const back = await headObject(deps.s3, event.bucket, key, retry);
    const problem = seedCopyProblem(replica, back);
    if (problem) throw new Error(`copy s3://${event.bucket}/${key} of s3://${vault.bucket}/${replica.key} (version ${replica.versionId}): ${problem}`);
  }
  deps.log.info('vault replicas copied for the drill', { from: vault.bucket, to: event.bucket, keys });
  return seedCopyResult(event.bucket, event.partition, keys, (i) => replicas[i]!);
}

async function deleteSeed(event: Event, deps: SeedCopyDeps, retry: ThrottleRetry): Promise<SeedCleanupResult> {
  const keys = event.vault.keys.map((k) => seedCopyKey(event.execution, k));
  let versions = 0;
  for (const key of keys) versions += await deleteAllVersions(deps.s3, event.bucket, key, retry);
  deps.log.info('vault drill seed copies deleted', { bucket: event.bucket, keys, versions });
  return { deleted: true, bucket: event.bucket, keys, versions };
}
