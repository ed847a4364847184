/**
 * `redis-dr export`: one recovery point to S3 now, through the scheduled
 * export job (lambdas/jobs/dr-copies/export.ts, the schedule's input from
 * lib/deployment.ts `exportRunInput`, the tier floor lowered so the point
 * chosen exports whatever its tier); then, with `wait`, its objects tagged in
 * the export bucket, their replication to the DR region (and the vault: S3
 * says COMPLETED only once every destination has it) and the DR verifier's
 * verdict on each copy.
 */
import { listTargetSnapshots } from '../../adapters/aws/elasticache.js';
import { listObjects } from '../../adapters/aws/s3/objects.js';
import { drCopyTags } from '../../adapters/records/verdict-objects.js';
import { objectReplicationStatus } from '../../adapters/aws/s3/bucket.js';
import { exportObjectKey } from '../../domain/points/export-objects.js';
import { exportAttempts, isCompleteShardSet } from '../../domain/dr-copies/export-plan.js';
import { isSnapshotOf } from '../../domain/plans/naming.js';
import type { ExportRunInput } from '../../domain/plans/plan-input.js';
import { TAGS, type TargetRef } from '../../domain/plans/types.js';
import { ExportRunFailedError, runExportPlan, type ExportRunReport } from '../dr-copies/export.js';
import { type OperatorAws, pollUntil, type WaitOptions } from '../kernel/operator.js';
import { RUNBOOKS } from '../../domain/alerting/catalog.js';
import { UNPROVEN_VERDICT } from '../../domain/points/verdict-objects.js';

/** What to export. */
export interface ExportNowInput {
  /** The export schedule's input (targets narrowed to `target` here). */
  readonly run: Omit<ExportRunInput, 'scheduledTime' | 'targets'>;
  readonly target: TargetRef;
  /** The snapshot to export; default the target's newest available one of this deployment. */
  readonly point?: string;
  readonly primaryRegion: string;
  readonly drRegion: string;
  /** The DR bucket (its copies are verified there). */
  readonly drBucket: string;
  /** Wait for the objects, their replication and the DR verdict. */
  readonly wait: boolean;
  /** The export bucket also replicates into a vault (its verdict is the vault account's to read). */
  readonly vault?: boolean;
}

/** One exported object (shard) and what became of it. */
export interface ExportedCopy {
  readonly key: string;
  /** `COMPLETED`, `FAILED`, `PENDING`, or undefined when not waited for. */
  readonly replication?: string;
  /** The DR verifier's tag `redis-dr:verified` (`ok`, `corrupt`, `unsupported`). */
  readonly verdict?: string;
  /** Keys the verifier counted (tag `redis-dr:rdb`'s `keys=`), when it says. */
  readonly rdb?: string;
}

/** What `redis-dr export` did. */
export interface ExportNowResult {
  readonly target: string;
  readonly point: string;
  readonly exportName?: string;
  readonly exportBucket: string;
  readonly drBucket: string;
  readonly copies: readonly ExportedCopy[];
  /** Exported and (with wait) replicated and verified `ok`. */
  readonly ok: boolean;
  /** Why not ok. */
  readonly problem?: string;
}

/** The target's newest available snapshot of this deployment's naming (`rdr-<target>-…`). */
async function newestPoint(aws: OperatorAws, region: string, target: TargetRef): Promise<string> {
  const points = (await listTargetSnapshots(aws.elasticache(region), target))
    .filter((s) => s.status === 'available' && isSnapshotOf(s.name, target.id))
    .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  if (!points[0])
    throw new Error(`${target.id} has no available redis-dr snapshot to export: take one first (redis-dr snapshot --plan <plan> --target ${target.id} --wait)`);
  return points[0].name;
}

/** The complete export of `point` in the bucket (its newest attempt with every shard), if any. */
async function exportedObjects(aws: OperatorAws, region: string, bucket: string, point: string): Promise<{ exportName: string; keys: string[] } | undefined> {
  const attempts = exportAttempts(point, await listObjects(aws.s3(region), bucket, `${point}-`));
  const done = attempts.reverse().find((a) => isCompleteShardSet(a.shards));
  return done ? { exportName: done.exportName, keys: done.shards.map((s) => exportObjectKey(done.exportName, s)) } : undefined;
}

/** Exports the point now and, with `wait`, follows it to the DR verifier's verdict. */
export async function exportRecoveryPoint(input: ExportNowInput, aws: OperatorAws, wait: WaitOptions): Promise<ExportNowResult> {
  const { target, primaryRegion, drRegion } = input;
  const bucket = input.run.bucket;
  const point = input.point ?? (await newestPoint(aws, primaryRegion, target));
  const base = { target: target.id, point, exportBucket: bucket, drBucket: input.drBucket };
  const targets = {
    replicationGroupIds: target.kind === 'replication-group' ? [target.id] : [],
    serverlessCacheNames: target.kind === 'serverless-cache' ? [target.id] : [],
    selectByTags: {},
  };
  // The export job reconciles: each run starts, looks at or finishes the export; its result for this point says where it is.
  let last: { running: boolean; status: string } = { running: false, status: 'not looked at' };
  const exported = await pollUntil(aws.clock, `export of ${point}`, input.wait ? wait : { ...wait, timeoutMinutes: 0 }, async () => {
    const objects = await exportedObjects(aws, primaryRegion, bucket, point);
    let report: ExportRunReport;
    try {
      report = await runExportPlan(
        { ...input.run, targets, minTier: 'hourly', scheduledTime: new Date(aws.clock.now()).toISOString() },
        aws.deps(primaryRegion),
      );
    } catch (err) {
      if (!(err instanceof ExportRunFailedError)) throw err;
      report = err.report;
    }
    const mine = report.results.find((r) => r.snapshot === point);
    if (mine?.outcome === 'failed') throw new Error(`export of ${point} failed: ${mine.reason}: ${mine.error}`);
    // Skipped for good (a failed snapshot, no tier tag, being deleted, gone): no later run exports it either.
    if (mine?.outcome === 'skipped') throw new Error(`${point} is not exported: ${mine.reason}${mine.detail ? ` (${mine.detail})` : ''}`);
    if (mine?.outcome === 'completed' || (!mine && objects)) {
      const found = await exportedObjects(aws, primaryRegion, bucket, point);
      if (found) return { done: found };
    }
    last = {
      running: mine?.outcome === 'started' || mine?.outcome === 'in-progress',
      status: mine
        ? `${mine.outcome}${mine.detail ? ` (${mine.detail})` : ''}`
        : `not an export candidate of plan ${input.run.plan} (yet): no tags of this deployment and plan the Tagging API returns, or marked ${TAGS.exported} without its objects in s3://${bucket}`,
    };
    return { status: last.status };
  }).catch((err: unknown) => {
    if (!input.wait && err instanceof Error && err.name === 'WaitTimedOutError') return undefined;
    throw err;
  });
  // Not waited for: started (or running) is all this run can say; anything else started nothing (waiting, backlog, not a candidate).
  if (!exported && last.running) return { ...base, copies: [], ok: true, problem: 'export started; not waited for (--wait follows it to the DR verdict)' };
  if (!exported) return { ...base, copies: [], ok: false, problem: `${point} is not exported: ${last.status}` };
  if (!input.wait) return { ...base, exportName: exported.exportName, copies: exported.keys.map((key) => ({ key })), ok: true };

  const copies: ExportedCopy[] = [];
  for (const key of exported.keys) {
    const replication = await pollUntil<string>(
      aws.clock,
      `replication of ${key} to ${input.drBucket}${input.vault ? ' and the vault' : ''}`,
      wait,
      async () => {
        const status = await objectReplicationStatus(aws.s3(primaryRegion), bucket, key);
        return status === 'COMPLETED' || status === 'FAILED' ? { done: status } : { status: status ?? 'no replication status' };
      },
    );
    if (replication === 'FAILED') {
      copies.push({ key, replication });
      return {
        ...base,
        exportName: exported.exportName,
        copies,
        ok: false,
        problem: `replication of s3://${bucket}/${key} FAILED: see ${RUNBOOKS.drCopies} (the replication role, the DR bucket's policy, versioning)`,
      };
    }
    const tags = await pollUntil<Record<string, string>>(aws.clock, `DR verifier's verdict on s3://${input.drBucket}/${key}`, wait, async () => {
      // The verdict object's (a verdict tag without one reads `unproven`: not ok, and said so below).
      const t = await drCopyTags(aws.s3(drRegion), input.drBucket, key);
      return t[TAGS.verified] ? { done: t } : { status: 'no verdict yet' };
    });
    copies.push({ key, replication, verdict: tags[TAGS.verified], ...(tags[TAGS.rdb] ? { rdb: tags[TAGS.rdb] } : {}) });
  }
  const bad = copies.find((c) => c.verdict !== 'ok');
  return {
    ...base,
    exportName: exported.exportName,
    copies,
    ok: !bad,
    ...(bad
      ? {
          problem:
            bad.verdict === UNPROVEN_VERDICT
              ? `s3://${input.drBucket}/${bad.key} carries a verdict tag without a verdict object (not the DR verifier's): not trusted; verify it again: redis-dr verify-copy s3://${input.drBucket}/${bad.key}`
              : `the DR verifier says ${bad.verdict} for s3://${input.drBucket}/${bad.key}: see ${RUNBOOKS.corruption}`,
        }
      : {}),
  };
}
