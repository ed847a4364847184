import { z } from 'zod';
import {
  deleteDrillResource,
  describeDrillGroup,
  describeDrillServerless,
  findDrillResources,
  isAccessInUse,
  isDrillResourceGone,
  resourceTags,
  type DrillGroupState,
  type TaggedDrillResource,
} from '../../adapters/aws/drill-clusters.js';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { deleteDrillSecret, findDrillSecrets } from '../../adapters/aws/drill-secrets.js';
import { describeError, errorName, isBusy } from '../../adapters/aws/errors.js';
import { mapConcurrent, RetriesExhaustedError, throttleRetry, type ThrottleRetry } from '../../adapters/aws/retry.js';
import type { ScheduledDeps } from '../kernel/deps.js';
import { DRILL_PREFIX, DRILL_SECRET_PREFIX, drillStartOf } from '../../domain/drills/drill.js';
import { DIMENSION, METRIC } from '../../domain/alerting/metrics.js';
import { TAGS } from '../../domain/plans/types.js';

/**
 * Drill reaper (scheduled, both regions): deletes what a drill left behind:
 * replication groups, serverless caches, and the user groups and users
 * serverless drills lock their cache with, tagged `redis-dr:drill` and
 * `redis-dr:deployment=<deployment>`, created more than `maxHours` ago
 * (`ReplicationGroupCreateTime`, the serverless cache's `CreateTime`; for
 * users and user groups, which have none, the drill's start in their id). A
 * level-triggered reconciler: a cache still `creating`, or a user group still
 * in use by a cache being deleted, is deleted by a later run; one already
 * gone is counted as gone. Report ids: replication groups by id, the others
 * as `serverless-cache/<id>`, `user-group/<id>`, `user/<id>`.
 *
 * Safety rails, since this deletes clusters: the Tagging API only proposes
 * candidates; before deleting, the group's own tags are read again from
 * ElastiCache and must still carry the drill tag and this deployment, and its
 * id must start with `rdr-drill-`. Anything else is left alone and reported.
 * The drills' AUTH token secrets left behind are deleted too (reapDrillSecrets).
 */

/** Input of the reaper, one invocation per region per tick. */
export const drillReaperInputSchema = z.strictObject({
  deployment: z.string().min(1),
  /** Drill clusters older than this are deleted; give it more than a drill's longest run. */
  maxHours: z.number().positive(),
});
export type DrillReaperInput = z.infer<typeof drillReaperInputSchema>;

/** What one run did, by cluster id. */
export interface DrillReapReport {
  readonly region: string;
  /** Deletion started. */
  readonly deleted: readonly string[];
  /** Younger than `maxHours`: a drill may still be using it. */
  readonly young: readonly string[];
  /** Busy (still creating, or another operation runs) or already deleting: a later run looks again. */
  readonly busy: readonly string[];
  /** No longer exists. */
  readonly gone: readonly string[];
  /** Never touched, and why (tags changed since the listing, not a drill id, no creation time). */
  readonly skipped: readonly { readonly id: string; readonly why: string }[];
  readonly failed: readonly { readonly id: string; readonly error: string }[];
  /** AUTH token secrets of drills that never reached their cleanup, deleted (names). */
  readonly secretsDeleted: readonly string[];
}

/** The reaper's dependencies: the scheduled ones and Secrets Manager (the drills' token secrets). */
export type DrillReaperDeps = ScheduledDeps & { readonly secrets: SecretsManagerClient };

/** Thrown after every candidate was handled when a deletion failed, so Lambda errors and alarms see it. */
export class DrillReapFailedError extends Error {
  override readonly name = 'DrillReapFailedError';
  constructor(readonly report: DrillReapReport) {
    super(`drill reaper (${report.region}): deleting failed for ${report.failed.map((f) => `${f.id} (${f.error})`).join('; ')}`);
  }
}

/** Budget for throttling retries within one run. */
export const REAPER_BUDGET_MS = 120_000;

/** Statuses a cache passes through on its own (it becomes available, or failed, by itself): a tag read refused then is retried by a later run. */
const TRANSITIONAL = new Set(['creating', 'modifying', 'snapshotting']);

type Outcome = { kind: 'deleted' | 'young' | 'busy' | 'gone' } | { kind: 'skipped'; why: string } | { kind: 'failed'; error: string };

/** One reaper run. */
export async function reapDrillClusters(input: DrillReaperInput, deps: DrillReaperDeps): Promise<DrillReapReport> {
  const region = await deps.elasticache.config.region();
  const retry = throttleRetry(deps.clock, deps.clock.now() + REAPER_BUDGET_MS, deps.throttleDelayMs);
  const candidates = await findDrillResources(deps.tagging, input.deployment, retry);
  const outcomes = await mapConcurrent(candidates, deps.concurrency, async (group) => {
    try {
      return await reapOne(group, input, deps, retry);
    } catch (err) {
      const cause = err instanceof RetriesExhaustedError ? err.cause : err;
      return { kind: 'failed', error: describeError(cause) } satisfies Outcome;
    }
  });

  const secrets = await reapDrillSecrets(input, deps, retry);
  const label = (r: TaggedDrillResource) => (r.kind === 'replication-group' ? r.id : `${r.kind}/${r.id}`);
  const ids = (kind: Outcome['kind']) => candidates.filter((_, i) => outcomes[i]!.kind === kind).map(label);
  const report: DrillReapReport = {
    region,
    deleted: ids('deleted'),
    young: ids('young'),
    busy: ids('busy'),
    gone: ids('gone'),
    skipped: outcomes.flatMap((o, i) => (o.kind === 'skipped' ? [{ id: label(candidates[i]!), why: o.why }] : [])),
    failed: [...outcomes.flatMap((o, i) => (o.kind === 'failed' ? [{ id: label(candidates[i]!), error: o.error }] : [])), ...secrets.failed],
    secretsDeleted: secrets.deleted,
  };
  deps.metrics.put(METRIC.drillClustersReaped, report.deleted.length, 'Count', { [DIMENSION.region]: region });
  const log = { ...report, deployment: input.deployment, maxHours: input.maxHours };
  if (report.deleted.length > 0 || report.failed.length > 0 || report.secretsDeleted.length > 0) deps.log.warn('drill clusters left behind were reaped', log);
  else deps.log.info('no drill clusters to reap', log);
  if (report.failed.length > 0) throw new DrillReapFailedError(report);
  return report;
}

/** The state of a drill resource: described (caches), or from the drill start in its id (users and user groups). */
async function stateOf(r: TaggedDrillResource, deps: ScheduledDeps, retry: ThrottleRetry): Promise<DrillGroupState | undefined> {
  if (r.kind === 'replication-group') return describeDrillGroup(deps.elasticache, r.id, retry);
  if (r.kind === 'serverless-cache') return describeDrillServerless(deps.elasticache, r.id, retry);
  return { id: r.id, status: 'unknown', createdAt: drillStartOf(r.id), arn: r.arn };
}

async function reapOne(r: TaggedDrillResource, input: DrillReaperInput, deps: ScheduledDeps, retry: ThrottleRetry): Promise<Outcome> {
  if (!r.id.startsWith(DRILL_PREFIX)) return { kind: 'skipped', why: `id does not start with ${DRILL_PREFIX}` };
  const state = await stateOf(r, deps, retry);
  if (!state) return { kind: 'gone' };
  if (state.status === 'deleting') return { kind: 'busy' };
  if (!state.createdAt) {
    return {
      kind: 'skipped',
      why:
        r.kind === 'replication-group' || r.kind === 'serverless-cache'
          ? 'ElastiCache returned no creation time, so its age is unknown'
          : 'its id carries no drill start time, so its age is unknown',
    };
  }
  if (deps.clock.now() - state.createdAt.getTime() < input.maxHours * 3_600_000) return { kind: 'young' };

  // The Tagging API's view may be stale: the resource's own tags decide. ElastiCache lists the tags of an available
  // cache only (ListTagsForResource API reference): one still creating or modifying is a later run's (busy); one in any
  // other state that refuses them (create-failed…) fails the run, named, for a person to look at.
  let tags: Record<string, string>;
  try {
    tags = await resourceTags(deps.elasticache, state.arn ?? r.arn, retry);
  } catch (err) {
    if (isBusy(err) && TRANSITIONAL.has(state.status)) return { kind: 'busy' };
    throw err;
  }
  if (tags[TAGS.drill] === undefined || tags[TAGS.deployment] !== input.deployment) {
    return { kind: 'skipped', why: `its tags no longer say ${TAGS.drill} and ${TAGS.deployment}=${input.deployment}` };
  }
  try {
    await deleteDrillResource(deps.elasticache, r.kind, r.id, retry);
  } catch (err) {
    if (isDrillResourceGone(err)) return { kind: 'gone' };
    if (isBusy(err) || isAccessInUse(err)) return { kind: 'busy' };
    throw err;
  }
  deps.log.warn('drill resource left behind deleted', {
    kind: r.kind,
    id: r.id,
    drill: tags[TAGS.drill],
    plan: tags[TAGS.plan],
    createdAt: state.createdAt.toISOString(),
  });
  return { kind: 'deleted' };
}

/**
 * Token secrets (`redis-dr/drill/<execution>`) of this deployment older than
 * `maxHours`: their drill ended without its cleanup (an execution timed out).
 * Each opens only its own drill cluster, which the reaper deletes too; they
 * are deleted so nothing of a drill outlives it. A listing failure is a
 * failure of the run, like a deletion that fails.
 */
async function reapDrillSecrets(
  input: DrillReaperInput,
  deps: DrillReaperDeps,
  retry: ThrottleRetry,
): Promise<{ deleted: string[]; failed: { id: string; error: string }[] }> {
  const deleted: string[] = [];
  const failed: { id: string; error: string }[] = [];
  let found;
  try {
    found = await findDrillSecrets(deps.secrets, retry);
  } catch (err) {
    return {
      deleted,
      failed: [
        { id: DRILL_SECRET_PREFIX, error: `listing drill token secrets failed: ${describeError(err instanceof RetriesExhaustedError ? err.cause : err)}` },
      ],
    };
  }
  for (const secret of found) {
    const old = secret.createdAt !== undefined && deps.clock.now() - secret.createdAt.getTime() >= input.maxHours * 3_600_000;
    if (!old || !secret.name.startsWith(DRILL_SECRET_PREFIX) || secret.tags[TAGS.deployment] !== input.deployment || !secret.tags[TAGS.drill]) continue;
    try {
      await deleteDrillSecret(deps.secrets, secret.arn, retry);
      deleted.push(secret.name);
    } catch (err) {
      if (errorName(err) === 'ResourceNotFoundException') continue;
      failed.push({ id: secret.name, error: describeError(err instanceof RetriesExhaustedError ? err.cause : err) });
    }
  }
  return { deleted, failed };
}
