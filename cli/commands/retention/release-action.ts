import { taggedElastiCacheResources } from '../../../lambdas/adapters/aws/tagging.js';
import { tagSnapshot, untagSnapshot } from '../../../lambdas/adapters/aws/elasticache.js';
import { describeError } from '../../../lambdas/adapters/aws/errors.js';
import { getObjectTags, listObjects } from '../../../lambdas/adapters/aws/s3.js';
import { throttleRetry } from '../../../lambdas/adapters/aws/retry.js';
import { parseCollapseHold } from '../../../lambdas/domain/plans/collapse.js';
import { collapseMarkState, releasedMarkValue } from '../../../lambdas/domain/plans/collapse-points.js';
import { parseExportObjectKey } from '../../../lambdas/domain/dr-copies/export.js';
import { isSnapshotOf, parseSnapshotName } from '../../../lambdas/domain/plans/naming.js';
import { TAGS } from '../../../lambdas/domain/plans/types.js';
import { setCopyTiers } from '../../../lambdas/jobs/dr-copies/collapse-copies.js';
import { recoveryBucketName } from '../../../lib/deployment.js';
import type { RedisDrConfig } from '../../../lib/config/index.js';
import { CliAws, type CliEnv, loadCliConfig, runAwsCommand } from '../../aws.js';
import { describeFailure, reportFailure } from '../../failure.js';
import { UsageError } from '../../usage.js';

/**
 * `redis-dr retention release --target <id> --point <snapshot> [--accept] [--dry-run] [--json]`:
 * ends the hold a keyspace collapse put on the points before it. In this
 * order, so that a run cut short is finished by running it again: the S3
 * copies' tier tags go back (`held-daily` → `daily`, DR bucket and export
 * bucket), then the `redis-dr:hold` tags naming the point are removed from
 * the snapshots whose copies are all back, then the point's collapse mark is
 * rewritten to `released …` (or `accepted …` with `--accept`: the drop was
 * intended, the point becomes the baseline). The mark is rewritten, never
 * removed: the snapshot Lambda enforces the holds of every active mark, and
 * judges an unmarked newest point again. Every change is logged. Exit 0 when
 * all was done, 1 when some change failed (each named), 2 for bad input.
 */

/** Options of `retention release` (cli/commands/retention/command.ts). */
export interface ReleaseOptions {
  readonly target: string;
  readonly point: string;
  readonly config: string;
  readonly accept?: boolean;
  readonly dryRun?: boolean;
  readonly json?: boolean;
  /** Self-managed backups: the `backup --to` destination whose holds to release (instead of -c). */
  readonly destination?: string;
  /** With `destination` on an S3-compatible store: its endpoint, as `backup --s3-endpoint`. */
  readonly s3Endpoint?: string;
}

/** One change made (or, in a dry run, to make) and its outcome. */
export interface ReleaseChange {
  readonly what: 'copy-tier' | 'snapshot-hold' | 'collapse-mark';
  /** `s3://bucket/key` or the snapshot name. */
  readonly resource: string;
  readonly from: string;
  readonly to: string;
  /** `done`, `planned` (dry run) or `failed`. */
  readonly outcome: 'done' | 'planned' | 'failed';
  readonly error?: string;
}

/** What a release did. */
export interface ReleaseReport {
  readonly target: string;
  readonly point: string;
  readonly dryRun: boolean;
  readonly changes: readonly ReleaseChange[];
  readonly failed: number;
}

/** A snapshot of the target as the Tagging API sees it. */
interface TaggedSnapshot {
  readonly arn: string;
  readonly name: string;
  readonly tags: Readonly<Record<string, string>>;
}

/** Releases the hold of collapsed point `o.point` on target `o.target` (see the module comment). */
export async function releaseCollapseHold(config: RedisDrConfig, aws: CliAws, o: ReleaseOptions): Promise<ReleaseReport> {
  const at = parseSnapshotName(o.point)?.at;
  if (!at || !isSnapshotOf(o.point, o.target)) {
    throw new UsageError(
      `--point must be a snapshot of --target ${o.target} named rdr-${o.target}-<yyyymmdd>-<hhmm>, got ${JSON.stringify(o.point)}: copy it from \`redis-dr status\` (held points)`,
    );
  }
  const region = config.primary.region;
  const deps = aws.deps(region);
  const retry = throttleRetry(deps.clock, deps.clock.now() + 600_000, deps.throttleDelayMs);
  const snapshots: TaggedSnapshot[] = [];
  const filters = [
    { Key: TAGS.managed, Values: ['true'] },
    { Key: TAGS.deployment, Values: [config.name] },
    { Key: TAGS.source, Values: [o.target] },
  ];
  for await (const r of taggedElastiCacheResources(deps.tagging, filters, retry)) {
    if (r.type === 'snapshot' || r.type === 'serverlesscachesnapshot') snapshots.push({ arn: r.arn, name: r.name, tags: r.tags });
  }
  const point = snapshots.find((s) => s.name === o.point);
  const held = snapshots.filter((s) => s.tags[TAGS.hold] !== undefined && parseCollapseHold(s.tags[TAGS.hold]!) === o.point);
  // Only a collapse's mark (not `unjudged` or `ok`, the verdicts of points judged late).
  const raw = point?.tags[TAGS.collapsed];
  const mark = ['active', 'released', 'accepted'].includes(collapseMarkState(raw) ?? '') ? raw : undefined;
  if (held.length === 0 && mark === undefined) {
    throw new UsageError(
      `no snapshot of ${o.target} is held by ${o.point}, and ${o.point} carries no collapse mark: check --point (\`redis-dr status\` lists the collapsed and held points)`,
    );
  }

  const changes: ReleaseChange[] = [];
  const log = (c: ReleaseChange): void => {
    changes.push(c);
    if (!o.json)
      process.stderr.write(
        `${c.outcome === 'failed' ? 'FAILED ' : c.outcome === 'planned' ? 'would ' : ''}${c.what} ${c.resource}: ${c.from} -> ${c.to}${c.error ? ` (${c.error})` : ''}\n`,
      );
  };

  const otherHold = new Set(snapshots.filter((s) => s.tags[TAGS.hold] !== undefined && parseCollapseHold(s.tags[TAGS.hold]!) !== o.point).map((s) => s.name));
  const copiesFailed = new Set<string>();
  // 1. S3 copies of the points before the collapse whose tier is held, unless another collapse still holds their snapshot.
  const releaseCopies = async (again: boolean): Promise<void> => {
    if (config.plans.some((p) => p.export.enabled)) {
      const account = await aws.account();
      for (const where of [config.dr.region, config.primary.region]) {
        const bucket = recoveryBucketName(config.name, account, where);
        const s3 = aws.s3(where);
        let keys: string[];
        try {
          keys = (await listObjects(s3, bucket, `rdr-${o.target}-`, retry))
            .map((x) => x.key)
            .filter((key) => {
              const snapshot = parseExportObjectKey(key)?.snapshot;
              const taken = snapshot && isSnapshotOf(snapshot, o.target) ? parseSnapshotName(snapshot)?.at : undefined;
              return (
                snapshot !== undefined &&
                taken !== undefined &&
                taken.getTime() < at.getTime() &&
                !otherHold.has(snapshot) &&
                !(again && copiesFailed.has(snapshot))
              );
            });
        } catch (err) {
          log({
            what: 'copy-tier',
            resource: `s3://${bucket}/rdr-${o.target}-*`,
            from: 'held-<tier>',
            to: '<tier>',
            outcome: 'failed',
            error: describeError(err),
          });
          for (const s of held) copiesFailed.add(s.name);
          continue;
        }
        if (o.dryRun) {
          for (const key of keys) {
            const tier = (await getObjectTags(s3, bucket, key, undefined, retry))[TAGS.tier];
            if (tier?.startsWith('held-'))
              log({ what: 'copy-tier', resource: `s3://${bucket}/${key}`, from: tier, to: tier.slice('held-'.length), outcome: 'planned' });
          }
          continue;
        }
        const result = await setCopyTiers(s3, bucket, keys, false, retry);
        for (const c of result.changed) log({ what: 'copy-tier', resource: `s3://${bucket}/${c.key}`, from: c.from, to: c.to, outcome: 'done' });
        for (const f of result.failed) {
          log({ what: 'copy-tier', resource: `s3://${bucket}/${f.key}`, from: 'held-<tier>', to: '<tier>', outcome: 'failed', error: f.error });
          const snapshot = parseExportObjectKey(f.key)?.snapshot;
          if (snapshot) copiesFailed.add(snapshot);
        }
      }
    }
  };
  await releaseCopies(false);
  // 2. The snapshots' holds, once their copies are back (else the hold stays: run it again).
  for (const s of held) {
    const change = { what: 'snapshot-hold' as const, resource: s.name, from: `${TAGS.hold}=${s.tags[TAGS.hold]}`, to: '(none)' };
    if (copiesFailed.has(s.name)) {
      log({ ...change, outcome: 'failed', error: 'kept: a copy of it could not be released' });
    } else if (o.dryRun) {
      log({ ...change, outcome: 'planned' });
    } else {
      try {
        await retry(() => untagSnapshot(deps.elasticache, s.arn, [TAGS.hold]));
        log({ ...change, outcome: 'done' });
      } catch (err) {
        log({ ...change, outcome: 'failed', error: describeError(err) });
      }
    }
  }

  // The export job may have held a copy again between step 1 and step 2 (its snapshot was still held): once more.
  if (!o.dryRun && held.length > 0) await releaseCopies(true);

  // 3. The mark, last: while it is active the snapshot Lambda puts missing holds back.
  const failedSoFar = changes.some((c) => c.outcome === 'failed');
  const state = collapseMarkState(mark);
  if (point && mark !== undefined && (state === 'active' || (o.accept && state !== 'accepted'))) {
    const to = releasedMarkValue(mark, new Date(aws.clock.now()), o.accept === true);
    const change = { what: 'collapse-mark' as const, resource: point.name, from: mark, to };
    if (failedSoFar) {
      log({ ...change, outcome: 'failed', error: 'kept: not every hold was released' });
    } else if (o.dryRun) {
      log({ ...change, outcome: 'planned' });
    } else {
      try {
        await retry(() => tagSnapshot(deps.elasticache, point.arn, { [TAGS.collapsed]: to }));
        log({ ...change, outcome: 'done' });
      } catch (err) {
        log({ ...change, outcome: 'failed', error: describeError(err) });
      }
    }
  }
  return { target: o.target, point: o.point, dryRun: o.dryRun === true, changes, failed: changes.filter((c) => c.outcome === 'failed').length };
}

/** The `retention release` action (loaded only when the command runs; options: cli/commands/retention/command.ts). */
export async function releaseAction(o: ReleaseOptions, env: CliEnv = {}): Promise<void> {
  if (o.destination !== undefined) return releaseBackups(o);
  const config = loadCliConfig(o.config);
  const aws = new CliAws(config, env);
  await runAwsCommand('retention release', aws, async () => {
    const r = await releaseCollapseHold(config, aws, o);
    if (o.json) {
      process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
    } else {
      const verb = r.dryRun ? 'DRY RUN: would make' : 'made';
      const done = r.changes.filter((c) => c.outcome !== 'failed').length;
      process.stdout.write(
        r.failed === 0
          ? `${verb} ${done} change(s): the hold of ${r.point} on ${r.target} is ${r.dryRun ? 'not yet ' : ''}released\n`
          : `PARTIAL: ${done} change(s) made, ${r.failed} failed (listed above); run it again to finish\n`,
      );
    }
    return r.failed === 0 ? 0 : 1;
  });
}

/**
 * `retention release --destination <url>`: the holds a collapse put on a
 * target's self-managed backups (lambdas/jobs/self-managed/release-backup-hold.ts). The
 * collapsed backup always becomes the new baseline: later backups are judged
 * against it (as --accept does for snapshots). Exit 0 released, 1 a store
 * fault (the releases before it stay done, logged), 2 bad input.
 */
async function releaseBackups(o: ReleaseOptions): Promise<void> {
  const [{ openStore }, { releaseBackupHold }] = await Promise.all([
    import('../backup/action.js'),
    import('../../../lambdas/jobs/self-managed/release-backup-hold.js'),
  ]);
  const store = await openStore(o.destination!, o.s3Endpoint, '--destination');
  const lines: string[] = [];
  let released;
  try {
    released = await releaseBackupHold(
      store,
      o.target,
      o.point,
      (line) => {
        lines.push(line);
        if (!o.json) process.stderr.write(`${line}\n`);
      },
      undefined,
      o.dryRun ?? false,
    );
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    // A wrong --point or --target is bad input; a store fault is a failed release.
    if (/^(--point|nothing in )/.test(message)) throw new UsageError(message);
    // The store not reached before any change: exit 2 naming it; a fault after changes: exit 1, PARTIAL (cli/failure.ts).
    const problem = describeFailure(err, 'retention release', lines.length > 0 ? `${lines.length} change(s) made before it` : undefined);
    const { code, fix } = problem;
    if (o.json)
      process.stdout.write(
        `${JSON.stringify({ ok: false, error: { code, message: problem.message, fix }, target: o.target, point: o.point, failed: 1, changes: lines }, null, 2)}\n`,
      );
    else if (problem.exitCode === 1)
      process.stderr.write(
        `PARTIAL: ${message}${lines.length > 0 ? ` (${lines.length} change(s) made before it, listed above); run it again to finish` : ''}\n`,
      );
    else reportFailure('retention release', problem, false);
    process.exitCode = problem.exitCode;
    return;
  }
  if (o.json) process.stdout.write(`${JSON.stringify({ ...released, failed: 0, changes: lines }, null, 2)}\n`);
  else
    process.stdout.write(
      released.dryRun
        ? `dry run: would release ${released.released.length} backup(s) held by ${released.point} in ${store.url}${released.accepted ? `; ${released.accepted} would be the new baseline` : ''}; nothing changed\n`
        : `released ${released.released.length} backup(s) held by ${released.point} in ${store.url}${released.accepted ? `; ${released.accepted} is the new baseline` : ''}\n`,
    );
}
