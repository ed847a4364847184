/**
 * The recovery points of a deployment's plans as `serve -c --point` and
 * `history -c --plan` read them: the `.rdb` copies of a target's snapshots
 * in the primary region's export bucket and the DR bucket
 * (jobs/dr-copies/copy-listing.ts finds them; one copy a point is chosen
 * as the fast path of `restore --list` chooses it: complete, verified intact
 * first), each resolved to its shard objects.
 */
import { runTimeSelectionWords, selectsAtRunTime } from '../../domain/plans/plan-input.js';
import type { PlanConfig, RedisDrConfig } from '../../../lib/config/index.js';
import { s3ShardFiles } from '../../adapters/storage/s3-rdb.js';
import { fastPathOf, type PointCopies } from '../../domain/dr-copies/rdb-copies.js';
import { checkShardSet, ShardSetError } from '../../domain/keys/shard-set.js';
import { parseSnapshotName } from '../../domain/plans/naming.js';
import { anyPlanExports, copiesOf, copyBuckets, copiesOfPoint } from '../dr-copies/copy-listing.js';
import type { OperatorClients } from '../kernel/clients.js';
import { UsageError } from '../kernel/usage-error.js';

/** A recovery point of the config, with the copy to read or why there is none. */
export interface ConfigPoint {
  /** The snapshot's name (the recovery point's id). */
  readonly point: string;
  readonly at: Date;
  /** `s3://<bucket>/<export name>`: the copy read (every shard of it); absent with `problem`. */
  readonly location?: string;
  readonly problem?: string;
}

/**
 * Every shard object of an export (`s3://bucket/<export name>`), in shard order, checked at the read to be one
 * whole recovery point as `migrate --from-rdb` checks it (domain/keys/shard-set.ts: a shard missing or twice is
 * refused, naming it). A copy chosen as complete when listed (serve -c --point, history --plan) is listed again
 * here: a shard gone since (a lifecycle rule, a hand) would otherwise leave its keys out, each read as absent.
 * `what`: the words of a refusal after the location.
 */
export async function shardLocations(location: string, s3Endpoint?: string, what = 'not read'): Promise<string[]> {
  try {
    const files = await s3ShardFiles(location, s3Endpoint);
    // The shard count the objects' tags give (not the one-file shortcut, whose advice is migrate's): a missing shard is named.
    return checkShardSet(files, files.find((f) => f.tag)?.tag?.shards).files.map((f) => f.location);
  } catch (err) {
    throw new UsageError(err instanceof ShardSetError ? `${location}: ${what}: ${err.message}` : err instanceof Error ? err.message : String(err));
  }
}

/**
 * `serve s3://<bucket>/<export name>` (the location `status` and `restore
 * --list` print): every shard object of that export ({@link shardLocations}).
 * A location naming no export's shards is one object, read as it is named.
 */
export async function exportShardLocations(location: string, s3Endpoint?: string): Promise<string[]> {
  return shardLocations(location, s3Endpoint, 'not served');
}

/** The copy of one point to read, or why there is none. */
function chosenCopy(p: PointCopies, problems: readonly string[]): Pick<ConfigPoint, 'location' | 'problem'> {
  const fast = fastPathOf([p]);
  if (fast) return { location: fast.location };
  const why = p.copies.map((c) => `${c.location}: ${c.problem ?? c.verification}`);
  return {
    problem: why.length > 0 ? `no usable .rdb copy (${why.join('; ')})` : `no .rdb copy found${problems.length > 0 ? ` (${problems.join('; ')})` : ''}`,
  };
}

/**
 * The copy of the recovery point `point` (a snapshot name, `rdr-<target>-YYYYMMDD-HHMM`)
 * `serve -c --point` reads: a usage error naming the value and the fix when
 * the name is none, the config exports nothing, or no usable copy is there.
 */
export async function configPointLocation(config: RedisDrConfig, aws: OperatorClients, point: string): Promise<ConfigPoint> {
  const parsed = parseSnapshotName(point);
  if (!parsed)
    throw new UsageError(
      `--point ${point} is not a recovery point id: give a snapshot name such as rdr-<target>-20261125-0300 (redis-dr restore --target <id> --list lists them)`,
    );
  if (!anyPlanExports(config))
    throw new UsageError(
      `--point ${point}: no plan of this config exports .rdb copies (export.enabled), so there is nothing to serve: restore the snapshot instead`,
    );
  const found = await copiesOfPoint(point, await copyBuckets(config, aws));
  if (found.problems.length > 0 && found.copies.length === 0) throw new Error(`the copies of ${point} could not be listed: ${found.problems.join('; ')}`);
  const chosen = chosenCopy({ recoveryPoint: point, takenAt: null, newest: true, copies: found.copies }, found.problems);
  if (!chosen.location)
    throw new UsageError(`--point ${point}: ${chosen.problem}; redis-dr restore --target ${parsed.target} --list lists the recovery points that have one`);
  return { point, at: parsed.at, location: chosen.location };
}

/** The target of `plan` to follow: `target`, else the plan's one named target. */
export function planTarget(plan: PlanConfig, target: string | undefined): string {
  const named = [...plan.targets.replicationGroupIds, ...plan.targets.serverlessCacheNames];
  if (target !== undefined) {
    if (!selectsAtRunTime(plan.targets) && !named.some((t) => t.toLowerCase() === target.toLowerCase()))
      throw new UsageError(`--target ${target}: plan ${plan.name} does not back it up; its targets: ${named.join(', ')}`);
    return target.toLowerCase();
  }
  if (named.length === 1) return named[0]!.toLowerCase();
  throw new UsageError(
    named.length === 0
      ? `plan ${plan.name} selects its targets at run time (${runTimeSelectionWords(plan.targets).join(', ')}): name the one to follow with --target <replication group id>`
      : `plan ${plan.name} backs up ${named.join(', ')}: name the one to follow with --target`,
  );
}

/** Every recovery point of `target` with a copy in the deployment's buckets, oldest first, each with the copy to read. */
export async function configPoints(config: RedisDrConfig, aws: OperatorClients, target: string): Promise<ConfigPoint[]> {
  if (!anyPlanExports(config))
    throw new UsageError('no plan of this config exports .rdb copies (export.enabled): history reads those copies, so there is nothing to follow');
  const found = await copiesOf(target, await copyBuckets(config, aws), (exports) => ({
    points: [...new Set([...(exports.primary ?? []), ...(exports.dr ?? [])].map((e) => e.snapshot))],
  }));
  if (found.points.length === 0 && found.problems.length > 0) throw new Error(`the copies of ${target} could not be listed: ${found.problems.join('; ')}`);
  return found.points
    .map((p) => ({ point: p.recoveryPoint, at: parseSnapshotName(p.recoveryPoint)?.at ?? new Date(0), ...chosenCopy(p, found.problems) }))
    .sort((a, b) => a.at.getTime() - b.at.getTime());
}
