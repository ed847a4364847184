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
 * judges an unmarked newest point again. A point a later active collapse
 * holds too (it holds every point before it) is not freed: its hold moves to
 * that collapse and its copies stay held. The mark is read again before it
 * is written (one another release rewrote is kept, a failed change), and a
 * hold a snapshot Lambda run put back from the still-active mark meanwhile
 * is removed once more after it. Every change is reported to
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
import { parseExportObjectKey, snapshotOfExport } from '../../domain/points/export-objects.js';
import { parseCollapseHold } from '../../domain/plans/collapse.js';
import { collapseMarkState, type HoldCandidate, missingHolds, releasedMarkValue } from '../../domain/points/collapse-points.js';
import { isSnapshotOf, parseSnapshotName } from '../../domain/plans/naming.js';
import { TAGS } from '../../domain/plans/types.js';
import { openDrCollapses, setCopyTiers } from '../dr-copies/collapse-copies.js';
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

/** Step 2 of a release: removes the `redis-dr:hold` of each snapshot of `held` whose copies are back, or moves it to the later active collapse that holds it too (`movedTo`), logging each. */
async function removeSnapshotHolds(
  held: readonly TaggedSnapshot[],
  movedTo: ReadonlyMap<string, string>,
  copiesFailed: ReadonlySet<string>,
  dryRun: boolean,
  elasticache: Parameters<typeof untagSnapshot>[0],
  retry: ReturnType<typeof throttleRetry>,
  log: (c: ReleaseChange) => void,
): Promise<void> {
  for (const s of held) {
    const moved = movedTo.get(s.name);
    const change = {
      what: 'snapshot-hold' as const,
      resource: s.name,
      from: `${TAGS.hold}=${s.tags[TAGS.hold]}`,
      to: moved ? `${TAGS.hold}=${moved}` : '(none)',
    };
    if (moved === undefined && copiesFailed.has(s.name)) {
      log({ ...change, outcome: 'failed', error: 'kept: a copy of it could not be released' });
    } else if (dryRun) {
      log({ ...change, outcome: 'planned' });
    } else {
      try {
        await retry(() => (moved === undefined ? untagSnapshot(elasticache, s.arn, [TAGS.hold]) : tagSnapshot(elasticache, s.arn, { [TAGS.hold]: moved })));
        log({ ...change, outcome: 'done' });
      } catch (err) {
        log({ ...change, outcome: 'failed', error: describeError(err) });
      }
    }
  }
}

/** The snapshots of `target` this deployment manages, with their tags (the Tagging API). */
async function targetSnapshots(
  tagging: Parameters<typeof taggedElastiCacheResources>[0],
  deployment: string,
  target: string,
  retry: ReturnType<typeof throttleRetry>,
): Promise<TaggedSnapshot[]> {
  const snapshots: TaggedSnapshot[] = [];
  const filters = [
    { Key: TAGS.managed, Values: ['true'] },
    { Key: TAGS.deployment, Values: [deployment] },
    { Key: TAGS.source, Values: [target] },
  ];
  for await (const r of taggedElastiCacheResources(tagging, filters, retry)) {
    if (r.type === 'snapshot' || r.type === 'serverlesscachesnapshot') snapshots.push({ arn: r.arn, name: r.name, tags: r.tags });
  }
  return snapshots;
}

/** Step 1 of a dry run: the copies among `keys` whose tier is held, each logged as the change a release would make. */
async function planCopyTiers(
  s3: Parameters<typeof getObjectTags>[0],
  bucket: string,
  keys: readonly string[],
  retry: ReturnType<typeof throttleRetry>,
  log: (c: ReleaseChange) => void,
): Promise<void> {
  for (const key of keys) {
    const tier = (await getObjectTags(s3, bucket, key, undefined, retry))[TAGS.tier];
    if (tier?.startsWith('held-'))
      log({ what: 'copy-tier', resource: `s3://${bucket}/${key}`, from: tier, to: tier.slice('held-'.length), outcome: 'planned' });
  }
}

/** Releases the hold of collapsed point `o.point` on target `o.target` (see the module comment). */
export async function releaseCollapseHold(config: RedisDrConfig, aws: OperatorClients, o: CollapseReleaseOptions): Promise<ReleaseReport> {
  const at = parseSnapshotName(o.point)?.at;
  if (!at || !isSnapshotOf(o.point, o.target)) {
    throw new UsageError(
      `--point must be a snapshot of --target ${o.target} named rdr-${o.target}-<yyyymmdd>-<hhmm>, got ${JSON.stringify(o.point)}: copy it from \`redis-dr status\` (held points)`,
    );
  }
  const deps = aws.deps(config.primary.region);
  const retry = throttleRetry(deps.clock, deps.clock.now() + 600_000, deps.throttleDelayMs);
  const listSnapshots = () => targetSnapshots(deps.tagging, config.name, o.target, retry);
  const snapshots = await listSnapshots();
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

  // A point an active collapse after it holds too is not freed: its hold moves to that collapse (as the snapshot Lambda would
  // put it back at its next run; a prune or an S3 lifecycle run in between would take it) and its copies stay held, as does
  // every copy taken before another active collapse (the DR verifier held every earlier copy, those whose snapshot is gone too),
  // one only the DR verifier marked included (drOnly: DR copies).
  const others = otherActiveCollapses(snapshots, o.point);
  const movedTo = laterCollapseHolds(others, held);
  const drOnly = drBucket ? await drOnlyCollapses(aws.s3(config.dr.region), drBucket, o.target, o.point, others, retry) : [];
  const otherHold = heldByOthers(snapshots, o.point, movedTo);
  const copiesFailed = new Set<string>();
  // 1. S3 copies of the points before the collapse whose tier is held, unless another collapse still holds their snapshot.
  const releaseCopies = async (again: boolean): Promise<void> => {
    if (exporting) {
      const account = await aws.account();
      for (const where of [config.dr.region, config.primary.region]) {
        const bucket = recoveryBucketName(config.name, account, where);
        const s3 = aws.s3(where);
        let keys: string[];
        try {
          keys = (await listObjects(s3, bucket, `rdr-${o.target}-`, retry))
            .map((x) => x.key)
            .filter((key) =>
              copyOfPointBefore(
                key,
                o.target,
                at,
                (snapshot, taken) =>
                  otherHold.has(snapshot) ||
                  others.some((c) => c.createdAt > taken) ||
                  (bucket === drBucket && drOnly.some((c) => c > taken)) ||
                  (again && copiesFailed.has(snapshot)),
              ),
            );
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
          await planCopyTiers(s3, bucket, keys, retry, log);
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
  const removeHolds = (of: readonly TaggedSnapshot[]) => removeSnapshotHolds(of, movedTo, copiesFailed, o.dryRun === true, deps.elasticache, retry, log);
  await removeHolds(held);

  // The export job may have held a copy again between step 1 and step 2 (its snapshot was still held): once more.
  if (!o.dryRun && held.some((s) => !movedTo.has(s.name))) await releaseCopies(true);

  // 3. The mark, last: while it is active the snapshot Lambda puts missing holds back.
  const failedSoFar = changes.some((c) => c.outcome === 'failed');
  const state = collapseMarkState(mark);
  let written = false;
  if (point && mark !== undefined && (state === 'active' || (o.accept && state !== 'accepted'))) {
    const to = releasedMarkValue(mark, new Date(aws.clock.now()), o.accept === true);
    const change = { what: 'collapse-mark' as const, resource: point.name, from: mark, to };
    if (failedSoFar) {
      log({ ...change, outcome: 'failed', error: 'kept: not every hold was released' });
    } else if (o.dryRun) {
      log({ ...change, outcome: 'planned' });
    } else {
      try {
        // Read again just before it is written: a release run meanwhile (an --accept, say) rewrote it, and this one's
        // value, made from the mark read minutes ago, would undo that. Tags have no conditional write: the window left is
        // this read's, not the release's.
        const now = (await listSnapshots()).find((s) => s.name === point.name)?.tags[TAGS.collapsed];
        if (now !== mark) {
          log({
            ...change,
            outcome: 'failed',
            error: `kept: the mark changed since this release read it (another release ran meanwhile?); it is now: ${now ?? '(none)'}`,
          });
        } else {
          await retry(() => tagSnapshot(deps.elasticache, point.arn, { [TAGS.collapsed]: to }));
          log({ ...change, outcome: 'done' });
          written = true;
        }
      } catch (err) {
        log({ ...change, outcome: 'failed', error: describeError(err) });
      }
    }
  }
  // The snapshot Lambda puts an active mark's holds back from what it read: a run that read the mark before it was
  // rewritten may have held a snapshot again after step 2. Once more, now that the mark asks for none. Its own failure
  // is named as the holds' (the mark was written: reporting it failed would name the wrong change).
  if (written) await removeHoldsPutBack(o.point, listSnapshots, removeHolds, () => releaseCopies(true), log);
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

/** After the mark is rewritten: the holds naming `point` a snapshot Lambda run put back meanwhile, removed again (and their copies). */
async function removeHoldsPutBack(
  point: string,
  listSnapshots: () => Promise<TaggedSnapshot[]>,
  removeHolds: (of: readonly TaggedSnapshot[]) => Promise<void>,
  releaseCopies: () => Promise<void>,
  log: (c: ReleaseChange) => void,
): Promise<void> {
  try {
    const again = (await listSnapshots()).filter((s) => s.tags[TAGS.hold] !== undefined && parseCollapseHold(s.tags[TAGS.hold]!) === point);
    if (again.length > 0) {
      await removeHolds(again);
      await releaseCopies();
    }
  } catch (err) {
    log({
      what: 'snapshot-hold',
      resource: `(the snapshots held by ${point})`,
      from: `${TAGS.hold} put back meanwhile?`,
      to: '(none)',
      outcome: 'failed',
      error: `the mark is rewritten, but a hold put back meanwhile could not be looked for again: ${describeError(err)}; run the release again`,
    });
  }
}

/** The target's active collapses other than `point`, as hold candidates. */
function otherActiveCollapses(snapshots: readonly TaggedSnapshot[], point: string): HoldCandidate[] {
  return snapshots
    .filter((s) => s.name !== point && collapseMarkState(s.tags[TAGS.collapsed]) === 'active')
    .flatMap((s) => {
      const at = parseSnapshotName(s.name)?.at;
      return at ? [{ name: s.name, createdAt: at, status: 'available', managed: true, mark: 'active' as const }] : [];
    });
}

/**
 * The points a released collapse held that a later active collapse (`others`) holds as well, with the hold value
 * that collapse gives them (the snapshot Lambda's own rule, `missingHolds`: the first active collapse after the point).
 */
function laterCollapseHolds(others: readonly HoldCandidate[], held: readonly TaggedSnapshot[]): Map<string, string> {
  if (others.length === 0) return new Map();
  const freed = held.flatMap((s) => {
    const at = parseSnapshotName(s.name)?.at;
    return at ? [{ name: s.name, createdAt: at, status: 'available', managed: true }] : [];
  });
  return new Map(missingHolds([...freed, ...others]).map((h) => [h.snapshot, h.hold]));
}

/** The snapshots another collapse than `point` holds, or will once their hold moves there (`movedTo`). */
function heldByOthers(snapshots: readonly TaggedSnapshot[], point: string, movedTo: ReadonlyMap<string, string>): Set<string> {
  const held = snapshots.filter((s) => s.tags[TAGS.hold] !== undefined && parseCollapseHold(s.tags[TAGS.hold]!) !== point).map((s) => s.name);
  return new Set([...held, ...movedTo.keys()]);
}

/** Whether `key` is a copy of a point of `target` taken before `at` that `kept` (its snapshot, when taken) does not keep. */
function copyOfPointBefore(key: string, target: string, at: Date, kept: (snapshot: string, taken: Date) => boolean): boolean {
  const snapshot = parseExportObjectKey(key)?.snapshot;
  const taken = snapshot && isSnapshotOf(snapshot, target) ? parseSnapshotName(snapshot)?.at : undefined;
  return snapshot !== undefined && taken !== undefined && taken < at && !kept(snapshot, taken);
}

/**
 * When the collapses of `target` only the DR verifier marked, not released, other than `point` and the snapshot marks
 * `others`, were taken. Such a collapse (a plan without the probe; a point good on the primary) holds no snapshot, but
 * the verifier held every DR copy before it: those stay held until it is released too.
 */
async function drOnlyCollapses(
  s3: S3Client,
  bucket: string,
  target: string,
  point: string,
  others: readonly HoldCandidate[],
  retry: CallWrapper,
): Promise<Date[]> {
  const points = new Set((await openDrCollapses(s3, bucket, '', `rdr-${target}-`, retry)).map(snapshotOfExport));
  return [...points].filter((p) => p !== point && isSnapshotOf(p, target) && !others.some((c) => c.name === p)).flatMap((p) => parseSnapshotName(p)?.at ?? []);
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
  return [...marks].some((e) => snapshotOfExport(e) === point);
}
