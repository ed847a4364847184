/**
 * Decisions of the export Lambda, pure: which snapshots are export
 * candidates, in which order, and the next step for one candidate given its
 * status and the objects earlier exports left in the bucket. The handler
 * gathers that state from ElastiCache and S3 and carries the step out.
 */
import { exportName, parseExportObjectKey } from '../points/export-objects.js';
import { isTier, TAGS, tierRank, type RecoveryPoint, type TargetKind, type Tier } from '../plans/types.js';

/** Exports of one snapshot at most (`<snapshot>`, `-r2`, `-r3`); after that a person looks. */
export const MAX_EXPORT_ATTEMPTS = 3;

/**
 * The tags an export under a new name (a retry, `<snapshot>-r2`…) carries on
 * its CopySnapshot request (tag-on-create). The target name is no tagged
 * snapshot, so IAM can only tell it is this deployment's by these request
 * tags (the export role admits retry names on `aws:RequestTag`, see
 * lib/constructs/dr-export.ts). A first export, named like its source, carries none.
 */
export function retryTargetTags(deployment: string): Record<string, string> {
  return { [TAGS.managed]: 'true', [TAGS.deployment]: deployment };
}

/**
 * How long after its last object an export counts as settled. Until then an
 * incomplete shard set is taken as still arriving (the snapshot's status may
 * not say that an export runs: unverified), and a serverless export, whose
 * shard count nothing tells, is not yet taken as complete.
 */
export const EXPORT_SETTLE_MS = 15 * 60_000;

/**
 * Snapshot statuses while an export runs: the API reference lists `copying`
 * for CopySnapshot; `exporting` is what the console shows. Both mean "wait".
 * @see https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_Snapshot.html
 */
const EXPORTING = new Set(['exporting', 'copying']);

/** Why a snapshot of this plan is not exported, though it would qualify by age. */
export type ExportSkipReason = 'no-tier' | 'snapshot-failed' | 'deleting' | 'gone';

/** Whether a recovery point is one to export. */
export type CandidateVerdict =
  | { readonly kind: 'candidate'; readonly tier: Tier }
  /** Not this plan's, exported already, or below the plan's export tier: not mentioned. */
  | { readonly kind: 'ignored' }
  /** This plan's, but it cannot be exported: counted and logged. */
  | { readonly kind: 'skipped'; readonly reason: ExportSkipReason };

/**
 * Decides whether `point` (with its tags) is to be exported: managed by this
 * plan, not yet marked `redis-dr:exported`, of tier `minTier` or higher, and
 * not failed or being deleted. A snapshot of the plan without a valid tier
 * tag is skipped (its objects could not be given a lifecycle tier).
 */
export function classifyCandidate(point: RecoveryPoint, tags: Readonly<Record<string, string>> | undefined, minTier: Tier): CandidateVerdict {
  if (!point.managed || tags?.[TAGS.exported] !== undefined) return { kind: 'ignored' };
  const tier = tags?.[TAGS.tier];
  if (!isTier(tier)) return { kind: 'skipped', reason: 'no-tier' };
  if (tierRank(tier) < tierRank(minTier)) return { kind: 'ignored' };
  if (point.status === 'failed') return { kind: 'skipped', reason: 'snapshot-failed' };
  if (point.status === 'deleting') return { kind: 'skipped', reason: 'deleting' };
  return { kind: 'candidate', tier };
}

/** Newest first (the newest DR copy sets the DR recovery point's age), then by name for a stable order. */
export function newestFirst<T extends { readonly createdAt: Date; readonly name: string }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || a.name.localeCompare(b.name));
}

/** An object in the export bucket, as a listing shows it. */
export interface BucketObject {
  readonly key: string;
  readonly lastModified?: Date;
}

/** The objects one export (attempt) of a snapshot left in the bucket. */
export interface ExportAttempt {
  /** 1 for `<snapshot>`, 2 for `<snapshot>-r2`, … */
  readonly attempt: number;
  /** The export's `TargetSnapshotName`. */
  readonly exportName: string;
  /** Shard numbers present, ascending, without duplicates. */
  readonly shards: readonly number[];
  /** When its newest object was written, when the listing says. */
  readonly lastWrittenAt?: Date;
}

/**
 * The exports of `snapshot` found among `objects` (a listing of the prefix
 * `<snapshot>-`), by attempt ascending. Keys that are not exported shards,
 * or are shards of another snapshot whose name merely starts the same way
 * (`rdr-a-…` is also the start of target `a-b`'s names), are left out.
 */
export function exportAttempts(snapshot: string, objects: readonly BucketObject[]): ExportAttempt[] {
  const byAttempt = new Map<number, { shards: Set<number>; last?: number }>();
  for (const o of objects) {
    const parsed = parseExportObjectKey(o.key);
    if (!parsed || parsed.snapshot !== snapshot) continue;
    const entry = byAttempt.get(parsed.attempt) ?? { shards: new Set<number>() };
    entry.shards.add(parsed.shard);
    const written = o.lastModified?.getTime();
    if (written !== undefined && (entry.last === undefined || written > entry.last)) entry.last = written;
    byAttempt.set(parsed.attempt, entry);
  }
  return [...byAttempt.entries()]
    .sort(([a], [b]) => a - b)
    .map(([attempt, e]) => ({
      attempt,
      exportName: exportName(snapshot, attempt),
      shards: [...e.shards].sort((a, b) => a - b),
      lastWrittenAt: e.last === undefined ? undefined : new Date(e.last),
    }));
}

/**
 * True when `shards` holds every shard of an export: `1..expected` when the
 * shard count is known (extra numbers do not matter), else a contiguous
 * `1..max` with at least one shard.
 */
export function isCompleteShardSet(shards: readonly number[], expected?: number): boolean {
  const present = new Set(shards);
  const count = expected ?? Math.max(0, ...shards);
  if (count < 1) return false;
  for (let shard = 1; shard <= count; shard++) if (!present.has(shard)) return false;
  return true;
}

/** What the export Lambda knows about one candidate. */
export interface ExportState {
  readonly snapshot: string;
  readonly kind: TargetKind;
  /** Lowercase snapshot status, as fresh as the Lambda has it. */
  readonly status: string;
  /** {@link exportAttempts} of the bucket listing. */
  readonly attempts: readonly ExportAttempt[];
  /** Shards in the snapshot, when ElastiCache says (replication groups). */
  readonly shards?: number;
  readonly now: Date;
}

/** The next step for one candidate. */
export type ExportStep =
  /** Start export `attempt`; `incomplete` is the attempt found half-finished (a failure to report). */
  | { readonly step: 'start'; readonly attempt: number; readonly exportName: string; readonly incomplete?: ExportAttempt }
  /** Every shard of `attempt` is there: tag the objects, then mark the snapshot exported. */
  | { readonly step: 'finalize'; readonly attempt: ExportAttempt; readonly shards: number }
  /** An export runs (or its objects are still arriving): look again next run. */
  | { readonly step: 'in-progress'; readonly why: string }
  /** The snapshot is not ready to export yet (`creating`, `restoring`…). */
  | { readonly step: 'wait'; readonly why: string }
  /** The snapshot cannot be exported. */
  | { readonly step: 'skip'; readonly reason: ExportSkipReason }
  /** Half-finished and no further attempt is possible: report, keep everything. */
  | { readonly step: 'give-up'; readonly attempt: ExportAttempt; readonly why: string };

/**
 * The next step for one candidate. Only the latest attempt counts: complete →
 * finalize; nothing yet → start the first; half-finished and settled → start
 * the next under a new name (ElastiCache never overwrites a key, and the
 * leftovers are never deleted here), up to {@link MAX_EXPORT_ATTEMPTS}.
 */
export function nextExportStep(state: ExportState): ExportStep {
  const { status } = state;
  if (status === 'failed') return { step: 'skip', reason: 'snapshot-failed' };
  if (status === 'deleting') return { step: 'skip', reason: 'deleting' };
  if (EXPORTING.has(status)) return { step: 'in-progress', why: `snapshot is ${status}` };
  if (status !== 'available') return { step: 'wait', why: `snapshot is ${status}` };

  const latest = state.attempts.at(-1);
  if (!latest) return { step: 'start', attempt: 1, exportName: exportName(state.snapshot, 1) };

  const settled = latest.lastWrittenAt === undefined || state.now.getTime() - latest.lastWrittenAt.getTime() >= EXPORT_SETTLE_MS;
  if (isCompleteShardSet(latest.shards, state.shards) && (state.shards !== undefined || settled)) {
    return { step: 'finalize', attempt: latest, shards: state.shards ?? Math.max(...latest.shards) };
  }
  const found = `${latest.exportName}: ${latest.shards.length} of ${state.shards ?? '?'} shard(s)`;
  if (!settled) return { step: 'in-progress', why: `objects still arriving (${found})` };
  if (state.kind === 'serverless-cache') {
    // ExportServerlessCacheSnapshot takes no target name: a second export
    // would collide with the leftovers.
    return { step: 'give-up', attempt: latest, why: `half-finished (${found}); a serverless export cannot be retried under a new name` };
  }
  if (latest.attempt >= MAX_EXPORT_ATTEMPTS) {
    return { step: 'give-up', attempt: latest, why: `half-finished after ${latest.attempt} attempts (${found})` };
  }
  const next = latest.attempt + 1;
  return { step: 'start', attempt: next, exportName: exportName(state.snapshot, next), incomplete: latest };
}
