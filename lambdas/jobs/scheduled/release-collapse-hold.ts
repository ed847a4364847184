/**
 * The release of `redis-dr retention release --target <id> --point <snapshot> [--accept] [--dry-run]`
 * (printed by cli/commands/retention/release-action.ts): ends the hold a keyspace collapse put on the points before it. In this
 * order, so that a run cut short is finished by running it again: the S3
 * copies' tier tags go back (`held-daily` → `daily`, DR bucket and export
 * bucket), then the `redis-dr:hold` tags naming the point are removed from
 * the snapshots whose copies are all back, then the point's collapse mark is
 * rewritten to `released …` (or `accepted …` with `--accept`: the drop was
 * intended, the point becomes the baseline), then, where a plan exports, the
 * point's release record is written in the DR bucket and read back
 * (domain/points/collapse-records.ts: the DR verifier judges the point no
 * more, the DR drills stop passing its copies over). A point only the DR
 * verifier marked (no snapshot mark or hold) is released too. The mark is rewritten, never
 * removed: the snapshot Lambda enforces the holds of every active mark, and
 * judges an unmarked newest point again. Every change is reported to
 * `onChange` as it is made, and in the result.
 */

import type { S3Client } from '@aws-sdk/client-s3';
import type { RedisDrConfig } from '../../../lib/config/index.js';
import { recoveryBucketName } from '../../../lib/deployment.js';
import { type CallWrapper, tagSnapshot, untagSnapshot } from '../../adapters/aws/elasticache.js';
import { describeError } from '../../adapters/aws/errors.js';
import { throttleRetry } from '../../adapters/aws/retry.js';
import { getObjectTags, listObjects } from '../../adapters/aws/s3/objects.js';
import { taggedElastiCacheResources } from '../../adapters/aws/tagging.js';
import { parseExportObjectKey } from '../../domain/points/export-objects.js';
import { parseCollapseHold } from '../../domain/plans/collapse.js';
import { collapseMarkState, releasedMarkValue } from '../../domain/points/collapse-points.js';
import { isSnapshotOf, parseSnapshotName } from '../../domain/plans/naming.js';
import { TAGS } from '../../domain/plans/types.js';
import { setCopyTiers } from '../dr-copies/collapse-copies.js';
import { writeCollapseRecord } from '../../adapters/records/collapse-records.js';
import { COLLAPSE_MARK_PREFIX, type CollapseRelease, collapseReleaseKey, markedExportsOfKeys } from '../../domain/points/collapse-records.js';
import type { OperatorClients } from '../kernel/clients.js';
import { UsageError } from '../kernel/usage-error.js';

/** Options of {@link releaseCollapseHold}. */
export interface CollapseReleaseOptions {
  readonly target: string;
  /** The collapsed point whose hold ends. */
  readonly point: string;
  /** The drop was intended: the point becomes the baseline (`accepted …`). */
  readonly accept?: boolean;
  /** Say what would change; change nothing. */
  readonly dryRun?: boolean;
  /** Called with each change as it is made (or planned). */
  readonly onChange?: (change: ReleaseChange) => void;
}

/** One change made (or, in a dry run, to make) and its outcome. */
export interface ReleaseChange {
  readonly what: 'copy-tier' | 'snapshot-hold' | 'collapse-mark' | 'dr-release';
  /** `s3://bucket/key` (a copy, or the DR release record) or the snapshot name. */
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
export async function releaseCollapseHold(config: RedisDrConfig, aws: OperatorClients, o: CollapseReleaseOptions): Promise<ReleaseReport> {
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
  // The DR copies' side: their bucket, where the DR verifier marks a collapse it judged (a plan without the probe has
  // no snapshot mark; the snapshot may be pruned before its copies) and where the release is recorded (step 4).
  const exporting = config.plans.some((p) => p.export.enabled);
  const drBucket = exporting ? recoveryBucketName(config.name, await aws.account(), config.dr.region) : undefined;
  if (held.length === 0 && mark === undefined && !(drBucket && (await drMarked(aws.s3(config.dr.region), drBucket, o.point, retry)))) {
    throw new UsageError(
      `no snapshot of ${o.target} is held by ${o.point}, and ${o.point} carries no collapse mark (nor a DR copy of it): check --point (\`redis-dr status\` lists the collapsed and held points)`,
    );
  }

  const changes: ReleaseChange[] = [];
  const log = (c: ReleaseChange): void => {
    changes.push(c);
    o.onChange?.(c);
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
  // 4. The release record of the DR copies (domain/points/collapse-records.ts), last as the mark: the DR verifier judges
  // the point no more (accepted: its baseline) and the DR drills no longer pass its exports over. Read back.
  if (drBucket)
    log(
      await recordDrRelease(
        config,
        aws,
        drBucket,
        o,
        changes.some((c) => c.outcome === 'failed'),
        retry,
      ),
    );
  return { target: o.target, point: o.point, dryRun: o.dryRun === true, changes, failed: changes.filter((c) => c.outcome === 'failed').length };
}

/** Step 4: the point's release record in the DR bucket, put and read back (not while a change before it failed). */
async function recordDrRelease(
  config: RedisDrConfig,
  aws: OperatorClients,
  bucket: string,
  o: CollapseReleaseOptions,
  failedSoFar: boolean,
  retry: CallWrapper,
): Promise<ReleaseChange> {
  const state = o.accept === true ? 'accepted' : 'released';
  const key = collapseReleaseKey('', o.point, state);
  const change = { what: 'dr-release' as const, resource: `s3://${bucket}/${key}`, from: '(none)', to: state };
  if (failedSoFar) return { ...change, outcome: 'failed', error: 'kept: not every hold was released' };
  if (o.dryRun) return { ...change, outcome: 'planned' };
  const record: CollapseRelease = { kind: 'dr-collapse-release', point: o.point, target: o.target, state, at: new Date(aws.clock.now()).toISOString() };
  try {
    await writeCollapseRecord(aws.s3(config.dr.region), bucket, key, record, retry);
    return { ...change, outcome: 'done' };
  } catch (err) {
    return { ...change, outcome: 'failed', error: describeError(err) };
  }
}

/** Whether the DR verifier marked an export of `point` (any attempt) a keyspace collapse. */
async function drMarked(s3: S3Client, bucket: string, point: string, retry: CallWrapper): Promise<boolean> {
  const marks = markedExportsOfKeys(
    '',
    (await listObjects(s3, bucket, `${COLLAPSE_MARK_PREFIX}${point}`, retry)).map((x) => x.key),
  );
  return [...marks].some((e) => e === point || e.startsWith(`${point}-r`));
}
