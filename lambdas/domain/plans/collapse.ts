/**
 * The keyspace-collapse tripwire, the pure half. A recovery point whose key
 * count (or size) drops past a threshold against the fullest good point of
 * the same target in the collapse window (the last
 * {@link COLLAPSE_WINDOW_DAYS} days) is an incident — an accidental
 * FLUSHALL, a mass delete, a slow drain, a bad deploy — not a backup: it
 * pages `keyspace-collapsed` and the points before it are held from pruning
 * and lifecycle until an operator releases them. Without this, GFS retention
 * rotates the good points out day by day behind a green heartbeat. Judged
 * against the fullest point, not only the one before: keys falling 40 % a run
 * never drop 50 % from one run to the next. Pure: data in, verdict out.
 */

import { collapseHoldValue, parseHold } from './holds.js';
import { checkCollapseThresholdPct, DEFAULT_COLLAPSE_THRESHOLD_PCT } from './settings.js';

export { DEFAULT_COLLAPSE_THRESHOLD_PCT } from './settings.js';

/**
 * How far back (days before a new point) the tripwire looks for the fullest
 * good point to judge the new one against. Retention keeps that point while
 * the newest holds fewer keys (retention.ts), so a drain within the window is
 * judged against where it started. A week: a weekly cycle of load stays in it.
 */
export const COLLAPSE_WINDOW_DAYS = 7;
const COLLAPSE_WINDOW_MS = COLLAPSE_WINDOW_DAYS * 24 * 60 * 60 * 1000;

/**
 * The fullest of `points` by `measure` (most keys, or most bytes; the newest
 * of equals) taken within the collapse window up to `until` (inclusive:
 * `[until - window, until]`) and not before `since` (an accepted collapse: an
 * operator said the smaller keyspace is intended, so the fuller points before
 * it are no measure); `undefined` when none is. Callers pass only good,
 * counted points. By bytes too: values cut shorter run after run (a
 * serializer bug) keep the key count while the data drains away.
 */
export function fullestInWindow<P extends { readonly createdAt: Date; readonly keys?: number; readonly bytes?: number }>(
  points: readonly P[],
  until: Date,
  since?: Date,
  measure: 'keys' | 'bytes' = 'keys',
): P | undefined {
  const from = Math.max(until.getTime() - COLLAPSE_WINDOW_MS, since?.getTime() ?? Number.NEGATIVE_INFINITY);
  let best: P | undefined;
  for (const p of points) {
    const t = p.createdAt.getTime();
    const size = p[measure];
    if (p.keys === undefined || size === undefined || t > until.getTime() || t < from) continue;
    const bestSize = best?.[measure];
    if (!best || bestSize === undefined || size > bestSize || (size === bestSize && t > best.createdAt.getTime())) best = p;
  }
  return best;
}

/** What a recovery point holds, as far as it was counted. */
export interface KeyspaceSize {
  /** The point's name (snapshot, backup file, export). */
  readonly point: string;
  readonly keys: number;
  /** Size in bytes (RDB file or snapshot), when known. */
  readonly bytes?: number;
}

/** A collapse found: the point, the good point it is judged against, and a sentence for on-call. */
export interface Collapse {
  readonly point: string;
  /** The good point it is judged against: the fullest of the collapse window (or the newest earlier one). */
  readonly previous: string;
  /** Which measure tripped first. */
  readonly measure: 'keys' | 'bytes';
  /** The database whose keys collapsed, when one database did and the whole keyspace did not (self-managed backups). */
  readonly database?: number;
  /** The drop in percent of the previous point (100 for an empty keyspace). */
  readonly dropPct: number;
  readonly detail: string;
}

/**
 * Judges `current` against `previous` (the good point of the same target it
 * is measured against: counted, not itself collapsed; the fullest of the
 * collapse window, collapse-points.ts baselinePoint). Rules:
 * - no previous good point, or an empty previous one: nothing to judge;
 * - 0 keys after a non-empty point always trips (whatever the threshold);
 * - otherwise a drop of keys, or of bytes where both sides know them, by
 *   MORE than `thresholdPct` percent trips. `thresholdPct` 100 disables all
 *   but the empty-keyspace rule.
 * @throws Error when `thresholdPct` is not within 0..100 or a count is negative
 */
export function detectCollapse(
  previous: KeyspaceSize | undefined,
  current: KeyspaceSize,
  thresholdPct: number = DEFAULT_COLLAPSE_THRESHOLD_PCT,
): Collapse | undefined {
  checkCollapseThresholdPct(thresholdPct);
  for (const s of [previous, current]) {
    if (s && (!(s.keys >= 0) || (s.bytes !== undefined && !(s.bytes >= 0))))
      throw new Error(`key count and bytes of ${s.point} must be >= 0, got keys ${s.keys}, bytes ${s.bytes}`);
  }
  if (previous === undefined || previous.keys === 0) return undefined;
  const verdict = (measure: 'keys' | 'bytes', was: number, now: number): Collapse => {
    const dropPct = Math.round(((was - now) / was) * 1000) / 10;
    const unit = measure === 'keys' ? 'keys' : 'bytes';
    return {
      point: current.point,
      previous: previous.point,
      measure,
      dropPct,
      detail:
        `${current.point} holds ${now} ${unit}, ${dropPct} % fewer than ${was} in ${previous.point} ` +
        `(threshold ${thresholdPct} %): a FLUSHALL or mass delete (or a slow drain)? The points before it are held from pruning until released`,
    };
  };
  if (current.keys === 0) return verdict('keys', previous.keys, 0);
  if (dropPct(previous.keys, current.keys) > thresholdPct) return verdict('keys', previous.keys, current.keys);
  if (previous.bytes !== undefined && current.bytes !== undefined && previous.bytes > 0 && dropPct(previous.bytes, current.bytes) > thresholdPct) {
    return verdict('bytes', previous.bytes, current.bytes);
  }
  return undefined;
}

function dropPct(was: number, now: number): number {
  return ((was - now) / was) * 100;
}

/**
 * The hold recorded on the points before a collapse (`redis-dr:hold` tag, a
 * backup's record), expiring `days` after the collapsed point (taken at `at`;
 * holds.ts has the shape).
 */
export function collapseHold(c: Pick<Collapse, 'point'>, at: Date, days?: number): string {
  return collapseHoldValue(c.point, at, days);
}

/** The collapsed point a hold names, or `undefined` for a hold of another kind. */
export function parseCollapseHold(hold: string): string | undefined {
  return parseHold(hold).collapsedPoint;
}

/**
 * The tier tag value of an S3 copy held by a collapse: `held-<tier>`. The
 * lifecycle rules filter on the exact tier value, so a held copy matches
 * none of them and never expires; release puts `<tier>` back. A value of the
 * same tag, not a new tag: exported objects already carry up to 10 tags
 * (types.ts MAX_OBJECT_TAGS).
 */
export const HELD_TIER_PREFIX = 'held-';

/** `held-daily` for `daily`; a value already held stays as it is. */
export function heldTierValue(tier: string): string {
  return tier.startsWith(HELD_TIER_PREFIX) ? tier : `${HELD_TIER_PREFIX}${tier}`;
}

/** `daily` for `held-daily`; any other value as it is. */
export function releasedTierValue(value: string): string {
  return value.startsWith(HELD_TIER_PREFIX) ? value.slice(HELD_TIER_PREFIX.length) : value;
}
