/**
 * The keyspace-collapse tripwire over a target's history of recovery points,
 * the pure half the jobs and the CLI share: which count a point carries,
 * which earlier point it is judged against, how the verdict is recorded on
 * the point (`redis-dr:collapsed`) and which earlier points must be held
 * (`redis-dr:hold`). See collapse.ts for the verdict itself.
 *
 * A verdict is recorded once, when the point is created (in its creation
 * tags), and never judged again: a mark is the durable state the holds are
 * enforced from on every run, and release rewrites it (`released …`,
 * `accepted …`) rather than deleting it, so the next run does not put the
 * holds back.
 */
import { collapseHold, detectCollapse, fullestInWindow, parseCollapseHold, type Collapse, type KeyspaceSize } from '../plans/collapse.js';
import { tagSafe } from '../plans/holds.js';
import { parseRdbSummary } from './rdb-summary.js';
import { parseExportObjectKey, parseShardTag } from './export-objects.js';
import { TAGS } from '../plans/types.js';

/** ElastiCache and S3 allow tag values of at most 256 characters. */
export const MAX_TAG_VALUE = 256;

/**
 * What a `redis-dr:collapsed` mark says. `active`: the collapse pages and
 * holds the earlier points. `released`: an operator released the holds; the
 * point still is no baseline (a later point as gutted trips again).
 * `accepted`: the drop was intended; the point is a good baseline again.
 */
export type CollapseMarkState = 'active' | 'released' | 'accepted' | 'unjudged' | 'ok';

/**
 * The mark of a counted point its creation could not judge (the plan's tags
 * could not be read): the next run judges it and writes the verdict.
 */
export const UNJUDGED_MARK = 'unjudged';
/** The mark of a point judged late and found good (only such points carry it). */
export const JUDGED_OK_MARK = 'ok';

/** The mark of a new collapse: its detail, made tag-safe and cut to {@link MAX_TAG_VALUE}. */
export function collapseMarkValue(c: Pick<Collapse, 'detail'>): string {
  return tagSafe(c.detail.replace(/ ?%/g, ' pct')).slice(0, MAX_TAG_VALUE);
}

/** The mark after `retention release` (`accept`: the drop was intended). Idempotent. */
export function releasedMarkValue(value: string, at: Date, accept: boolean): string {
  // `%` is no tag character: said as `pct`, as a new mark says it (it was dropped, leaving "40 fewer").
  const rest = value.replace(/^(released|accepted) \S+ /, '').replace(/ ?%/g, ' pct');
  return tagSafe(`${accept ? 'accepted' : 'released'} ${at.toISOString()} ${rest}`).slice(0, MAX_TAG_VALUE);
}

/** The state a mark value records; `undefined` without a mark. */
export function collapseMarkState(value: string | undefined): CollapseMarkState | undefined {
  if (value === undefined) return undefined;
  if (value.startsWith('released ')) return 'released';
  if (value.startsWith('accepted ')) return 'accepted';
  if (value === UNJUDGED_MARK) return 'unjudged';
  if (value === JUDGED_OK_MARK) return 'ok';
  return 'active';
}

/**
 * The keys of the dataset the probe counted, from a snapshot's tags: the
 * probe's DBSIZE includes the canary key it had just written, so a flushed
 * cache shows 1, not 0 (and the empty-keyspace rule must see 0).
 * `undefined` when the point was not counted.
 */
export function probeKeyspace(tags: Readonly<Record<string, string>> | undefined): number | undefined {
  const raw = tags?.[TAGS.keys];
  if (raw === undefined || !/^\d+$/.test(raw)) return undefined;
  const keys = Number(raw);
  return tags?.[TAGS.canary] ? Math.max(0, keys - 1) : keys;
}

/** A point of a target's history as the tripwire sees it. */
export interface CountedPoint {
  readonly name: string;
  readonly createdAt: Date;
  /** Counted keys; `undefined` when the point was never counted. */
  readonly keys?: number;
  readonly bytes?: number;
  readonly mark?: CollapseMarkState;
}

/**
 * Whether a point with this mark can be a baseline: no collapse, or an
 * accepted one (good again); a released collapse still holds the gutted
 * data, and an unjudged point is not judged yet.
 */
export function isGoodMark(mark: CollapseMarkState | undefined): boolean {
  return mark !== 'active' && mark !== 'released' && mark !== 'unjudged';
}

/** A good point: counted, with a good mark ({@link isGoodMark}). */
function isGood(p: CountedPoint): boolean {
  return p.keys !== undefined && isGoodMark(p.mark);
}

/**
 * The newest point before `before` that is good: counted, and not a collapse
 * (an accepted one is good again). A released collapse is skipped: the data
 * it holds is still the gutted one; so is a point not judged yet.
 */
export function previousGoodPoint<P extends CountedPoint>(points: readonly P[], before: Date): P | undefined {
  let best: P | undefined;
  for (const p of points) {
    if (p.createdAt.getTime() >= before.getTime() || !isGood(p)) continue;
    if (!best || p.createdAt.getTime() > best.createdAt.getTime()) best = p;
  }
  return best;
}

/**
 * The point a new one taken at `before` is judged against: the fullest good
 * point of the collapse window before it (collapse.ts fullestInWindow), so a
 * slow drain is measured from where it started; when the window holds none
 * (a weekly plan), the newest earlier good point. An accepted collapse starts
 * the window afresh: the fuller points before it are no measure any more.
 */
export function baselinePoint<P extends CountedPoint>(points: readonly P[], before: Date, measure: 'keys' | 'bytes' = 'keys'): P | undefined {
  const earlier = points.filter((p) => p.createdAt.getTime() < before.getTime() && isGood(p));
  const accepted = earlier.filter((p) => p.mark === 'accepted').sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())[0];
  return fullestInWindow(earlier, before, accepted?.createdAt, measure) ?? (measure === 'keys' ? previousGoodPoint(earlier, before) : undefined);
}

/**
 * Judges a new point against its history: its keys against the fullest good
 * point of the collapse window by keys ({@link baselinePoint}), then its bytes
 * against the fullest by bytes, where the sizes are known. Each measure has
 * its own baseline: a drain of bytes keeps the key count level, so the fullest
 * by keys (the newest of equals) would measure each run against the last
 * shrunken one and never trip.
 */
export function judgePoint(history: readonly CountedPoint[], current: KeyspaceSize & { createdAt: Date }, thresholdPct: number): Collapse | undefined {
  const byKeys = baselinePoint(history, current.createdAt);
  // Keys alone against the fullest by keys (its bytes are judged below, against the largest).
  const keys = byKeys && byKeys.keys !== undefined ? detectCollapse({ point: byKeys.name, keys: byKeys.keys }, current, thresholdPct) : undefined;
  if (keys || current.bytes === undefined) return keys;
  // Bytes against the largest by bytes (or, where no point has a size, the fullest by keys). Its keys do not trip here:
  // it holds no more keys than the fullest by keys, against which they passed.
  const byBytes = baselinePoint(history, current.createdAt, 'bytes') ?? byKeys;
  return byBytes && byBytes.keys !== undefined && byBytes.bytes !== undefined
    ? detectCollapse({ point: byBytes.name, keys: byBytes.keys, bytes: byBytes.bytes }, current, thresholdPct)
    : undefined;
}

/** A snapshot as the hold reconciler sees it. */
export interface HoldCandidate {
  readonly name: string;
  readonly createdAt: Date;
  readonly status: string;
  readonly managed: boolean;
  /** `redis-dr:hold`, when present. */
  readonly held?: string;
  readonly mark?: CollapseMarkState;
}

/** One hold to add. */
export interface HoldToAdd {
  readonly snapshot: string;
  readonly hold: string;
}

/**
 * The holds an active collapse still lacks: every available, managed point
 * before it that is not itself a collapse and carries no hold yet is held by
 * the first active collapse after it (the incident it was the last good point
 * before). Level-triggered: a run that failed midway is finished by the next;
 * a released collapse holds nothing.
 */
export function missingHolds(points: readonly HoldCandidate[]): HoldToAdd[] {
  const active = points.filter((p) => p.mark === 'active').sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  if (active.length === 0) return [];
  const out: HoldToAdd[] = [];
  for (const p of points) {
    if (p.held !== undefined || !p.managed || p.status !== 'available') continue;
    if (p.mark === 'active' || p.mark === 'released') continue;
    const next = active.find((c) => c.createdAt.getTime() > p.createdAt.getTime());
    if (next) out.push({ snapshot: p.name, hold: collapseHold({ point: next.name }, next.createdAt) });
  }
  return out;
}

/** The points a collapse's release frees: those whose hold names it. */
export function heldBy<P extends { readonly held?: string }>(points: readonly P[], collapsedPoint: string): P[] {
  return points.filter((p) => p.held !== undefined && parseCollapseHold(p.held) === collapsedPoint);
}

/** An S3 object of an export as listed, with its tags. */
export interface CopyObject {
  readonly key: string;
  readonly size: number;
  readonly tags: Readonly<Record<string, string>>;
}

/** One export's copies (all shards of one attempt), as counted by the verifier. */
export interface CopySet {
  readonly snapshot: string;
  readonly exportName: string;
  readonly createdAt: Date;
  readonly shards: number;
  /** Keys summed over the shards; `undefined` until every shard was verified intact. */
  readonly keys?: number;
  /** Bytes summed over the shards (object sizes). */
  readonly bytes: number;
  readonly objects: readonly CopyObject[];
}

/**
 * Groups exported objects into one set per export and sums the verifier's
 * per-shard key counts (`redis-dr:rdb`). A set is counted only when complete:
 * every shard 1..N present and verified `ok` — a cluster-mode export read
 * half-way would look like a collapse. The probe's canary key is not
 * counted (a flushed cache's copy then holds 0 keys). The snapshot time comes from the
 * snapshot name (our naming), else the `redis-dr:created` tag.
 */
export function copySets(objects: readonly CopyObject[], createdOf: (snapshot: string) => Date | undefined): CopySet[] {
  const groups = new Map<string, { snapshot: string; objects: CopyObject[] }>();
  for (const o of objects) {
    const parsed = parseExportObjectKey(o.key.split('/').pop() ?? o.key);
    if (!parsed) continue;
    const g = groups.get(parsed.exportName) ?? { snapshot: parsed.snapshot, objects: [] };
    g.objects.push(o);
    groups.set(parsed.exportName, g);
  }
  const sets: CopySet[] = [];
  for (const [exportName, g] of groups) {
    const createdTag = g.objects.map((o) => o.tags[TAGS.created]).find((t) => t !== undefined && !Number.isNaN(Date.parse(t)));
    const createdAt = createdOf(g.snapshot) ?? (createdTag ? new Date(createdTag) : undefined);
    if (!createdAt) continue;
    const shardTags = g.objects.map((o) => parseShardTag(o.tags[TAGS.shard]));
    const shards = shardTags.find((s) => s !== undefined)?.shards ?? 0;
    const seen = new Set(shardTags.map((s) => s?.shard));
    const summaries = g.objects.map((o) => (o.tags[TAGS.verified] === 'ok' ? parseRdbSummary(o.tags[TAGS.rdb]) : undefined));
    const complete =
      shards > 0 &&
      g.objects.length === shards &&
      seen.size === shards &&
      shardTags.every((s) => s?.shards === shards) &&
      summaries.every((s) => s !== undefined && s.error === undefined);
    // The probe's canary key is in one shard of a probed point (its objects carry `redis-dr:canary`): not the dataset's.
    const canary = g.objects.some((o) => o.tags[TAGS.canary] !== undefined) ? 1 : 0;
    const keys = complete ? Math.max(0, summaries.reduce((n, s) => n + (s?.keys ?? 0), 0) - canary) : undefined;
    sets.push({ snapshot: g.snapshot, exportName, createdAt, shards, keys, bytes: g.objects.reduce((n, o) => n + o.size, 0), objects: g.objects });
  }
  return sets.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
}

/**
 * The copies' verdicts, oldest first: each counted set judged against the
 * fullest earlier good set of the collapse window ({@link baselinePoint}). S3 objects have no tag left for a mark (see
 * MAX_OBJECT_TAGS), so the verdicts are recomputed from the counts, which
 * never change; callers act only on the set just completed. `releases`: the
 * points an operator released (`retention release`, the DR bucket's release
 * records, collapse-records.ts) by snapshot: such a set is judged no more,
 * and counts as its mark says (`accepted`: the good baseline the window starts
 * afresh from; `released`: still no baseline), as a released snapshot's
 * rewritten `redis-dr:collapsed` tag does.
 */
export function judgeCopySets(
  sets: readonly CopySet[],
  thresholdPct: number,
  releases: ReadonlyMap<string, 'released' | 'accepted'> = new Map(),
): Map<string, Collapse> {
  const verdicts = new Map<string, Collapse>();
  const history: CountedPoint[] = [];
  for (const s of sets) {
    if (s.keys === undefined) continue;
    const released = releases.get(s.snapshot);
    const c = released ? undefined : judgePoint(history, { point: s.snapshot, keys: s.keys, bytes: s.bytes, createdAt: s.createdAt }, thresholdPct);
    if (c) verdicts.set(s.exportName, c);
    history.push({ name: s.snapshot, createdAt: s.createdAt, keys: s.keys, bytes: s.bytes, mark: released ?? (c ? 'active' : undefined) });
  }
  return verdicts;
}
