/**
 * Grandfather-father-son retention of one target's manual snapshots, with the
 * safety rails from the design: only managed snapshots are ever deleted, the
 * newest `minKeep` are always kept, and a target whose backups are failing or
 * stale is put on hold (nothing deleted). Pure: time is passed in as `now`.
 */
import { COLLAPSE_WINDOW_DAYS, fullestInWindow } from './collapse.js';
import { classifyTier } from './tier.js';
import { TAGS, TIERS, tierRank, type RecoveryPoint, type RetentionPolicy, type Tier } from './types.js';

/** Why pruning of a target was suspended. */
export type HoldReason = 'no-available-point' | 'newest-failed' | 'newest-stale' | 'newest-collapsed' | 'newest-unproven';

/** A point that stays, with every rule that keeps it (at least one). */
export interface KeepEntry {
  /** The recovery point kept. */
  readonly point: RecoveryPoint;
  /** Human-readable rules that keep it, e.g. `daily: 3rd newest of 7 kept`. */
  readonly reasons: readonly string[];
}

/** A point to delete, with the reason to log next to the deletion. */
export interface DeleteEntry {
  /** The recovery point to delete (always managed, status available or failed). */
  readonly point: RecoveryPoint;
  /** Human-readable reason for the deletion. */
  readonly reason: string;
}

/** A point retention does not touch at all (unmanaged or in progress). */
export interface IgnoredEntry {
  /** The recovery point left alone. */
  readonly point: RecoveryPoint;
  /** Why retention does not consider it. */
  readonly reason: string;
}

/**
 * Outcome of {@link selectExpired}. Every input point is in exactly one of
 * `keep`, `delete` and `ignored`; each list is sorted newest first.
 */
export interface RetentionDecision {
  /** Set when pruning is suspended for this target; `delete` is then empty. */
  readonly hold?: {
    /** Which safety rail fired. */
    readonly reason: HoldReason;
    /** A sentence for humans naming the snapshot concerned and its age. */
    readonly detail: string;
  };
  /** Managed available/failed points that stay. */
  readonly keep: readonly KeepEntry[];
  /** Managed points to delete. */
  readonly delete: readonly DeleteEntry[];
  /** Unmanaged and in-progress points; never deleted. */
  readonly ignored: readonly IgnoredEntry[];
}

const MS_PER_MINUTE = 60_000;

/**
 * Decides which manual snapshots of ONE target to delete.
 *
 * Order of rules:
 * 1. unmanaged points (no `redis-dr:managed=true`) and points neither
 *    `available` nor `failed` (creating, deleting, exporting…) are ignored;
 * 2. hold rails over all available/failed points, managed or not: no
 *    available point, newest point failed, newest available point older
 *    than `policy.rpoMinutes`, collapsed (a keyspace collapse: domain/
 *    collapse.ts) or unproven (never read back) → keep every managed point,
 *    delete nothing;
 * 3. GFS: for each tier T keep the newest `policy[T]` available managed points
 *    whose effective tier is T or higher (tag, else {@link classifyTier} over
 *    the chronological available managed points);
 * 4. keep the newest available managed points until `policy.minKeep` proven
 *    ones are kept (an unproven point never counts towards `minKeep`), every
 *    held point (`held`: kept until an operator releases it), with
 *    `keepCollapsed` every active collapsed point (likewise), the fullest
 *    counted point of the collapse window while the newest counted one holds
 *    fewer keys (a slow drain is judged against it: collapse.ts), and, in a
 *    plan that exports, the newest available managed point of the export
 *    tier or higher not yet marked exported;
 * 5. delete failed managed points and the remaining available managed points.
 *
 * Ties on `createdAt` are broken by name, so the result is deterministic.
 *
 * @param points every manual snapshot of one target (any status, managed or not)
 * @param policy validated retention counts, rails and time zone
 * @param now the current time
 * @throws Error when the points belong to several targets, a date is invalid,
 *   or the policy is malformed (counts must be integers >= 0, `minKeep` >= 1,
 *   `rpoMinutes` > 0, `timeZone` an IANA zone)
 */
export function selectExpired(points: readonly RecoveryPoint[], policy: RetentionPolicy, now: Date): RetentionDecision {
  validate(points, policy, now);

  const ignored: IgnoredEntry[] = [];
  const managed: RecoveryPoint[] = []; // managed, available or failed
  for (const point of points) {
    if (!point.managed) {
      ignored.push({ point, reason: `not managed by redis-dr (no ${TAGS.managed}=true tag)` });
    } else if (!isSettled(point)) {
      ignored.push({ point, reason: `in progress (status ${JSON.stringify(point.status)}); only available or failed snapshots are pruned` });
    } else {
      managed.push(point);
    }
  }

  const hold = holdFor(points.filter(isSettled), policy, now);
  if (hold !== undefined) {
    const reason = `hold (${hold.reason}): nothing is pruned while backups of this target are not healthy`;
    return {
      hold,
      keep: sortNewestFirst(managed.map((point) => ({ point, reasons: [reason] }))),
      delete: [],
      ignored: sortNewestFirst(ignored),
    };
  }

  // Newest first; the rails above guarantee at least one available point.
  const available = managed.filter((p) => p.status === 'available').sort(newestFirst);
  const effective = effectiveTiers(available, policy.timeZone);
  const reasons = new Map<RecoveryPoint, string[]>();
  const addReason = (point: RecoveryPoint, reason: string): void => {
    const list = reasons.get(point);
    if (list === undefined) reasons.set(point, [reason]);
    else list.push(reason);
  };

  for (const tier of TIERS) {
    const count = policy[tier];
    const eligible = available.filter((p) => tierRank(effective.get(p)!.tier) >= tierRank(tier));
    eligible.slice(0, count).forEach((point, i) => {
      addReason(point, `${tier}: ${ordinal(i + 1)} newest of ${count} kept`);
    });
  }
  let proven = 0;
  for (const point of available) {
    if (proven >= policy.minKeep) break;
    if (point.unproven) {
      addReason(point, `minKeep: never read back, so it does not count towards the ${policy.minKeep} proven points always kept`);
      continue;
    }
    proven++;
    addReason(point, `minKeep: ${ordinal(proven)} newest of ${policy.minKeep} always kept`);
  }
  for (const point of managed) if (point.held !== undefined) addReason(point, `held (${point.held}): kept until an operator releases it`);
  // A snapshot's mark is what pages (keyspace-collapsed) and what the tripwire holds the points before it by: deleted,
  // the alarm would clear with nobody having released it.
  for (const point of managed)
    if (policy.keepCollapsed && point.collapsed)
      addReason(point, 'keyspace collapse: kept until an operator releases it (retention release), its mark pages and holds the points before it');
  for (const watched of drainBaselines(available)) {
    addReason(
      watched.fullest,
      watched.measure === 'keys'
        ? `drain watch: the fullest point of the last ${COLLAPSE_WINDOW_DAYS} days (${watched.fullest.keys} keys), kept while the newest, ${watched.newest.name}, holds fewer (${watched.newest.keys}): a slow drain is judged against it`
        : `drain watch: the largest point of the last ${COLLAPSE_WINDOW_DAYS} days (${watched.fullest.bytes} bytes), kept while the newest, ${watched.newest.name}, is smaller (${watched.newest.bytes}): a drain of bytes (values cut shorter, keys kept) is judged against it`,
    );
  }
  if (policy.exportMinTier !== undefined) {
    // A snapshot pruned before its DR copy exists would leave the DR region a point behind.
    const minRank = tierRank(policy.exportMinTier);
    const pending = available.find((p) => tierRank(effective.get(p)!.tier) >= minRank && !p.exported);
    if (pending)
      addReason(pending, `export pending: the newest snapshot due for a DR copy (tier ${policy.exportMinTier} or higher) whose export has not finished`);
  }

  const newestAvailable = points.filter((p) => p.status === 'available').sort(newestFirst)[0]!;
  const keep: KeepEntry[] = [];
  const remove: DeleteEntry[] = [];
  const counts = `policy keeps hourly=${policy.hourly} daily=${policy.daily} weekly=${policy.weekly} monthly=${policy.monthly} minKeep=${policy.minKeep}`;
  for (const point of managed) {
    const kept = reasons.get(point);
    if (kept !== undefined) {
      keep.push({ point, reasons: kept });
    } else if (point.status === 'failed') {
      remove.push({ point, reason: `failed snapshot, superseded by ${newestAvailable.name}` });
    } else {
      const { tier, from } = effective.get(point)!;
      remove.push({ point, reason: `expired: effective tier ${tier} (${from}) is beyond retention; ${counts}` });
    }
  }

  return { keep: sortNewestFirst(keep), delete: sortNewestFirst(remove), ignored: sortNewestFirst(ignored) };
}

/**
 * The fullest counted point of the collapse window (collapse.ts) when the
 * newest counted point holds fewer keys, and the largest by bytes when the
 * newest is smaller: the points a drain is judged against, which retention
 * must not delete while the newest is below them. The window starts afresh
 * at an accepted collapse.
 */
function drainBaselines(newestFirstAvailable: readonly RecoveryPoint[]): { fullest: RecoveryPoint; newest: RecoveryPoint; measure: 'keys' | 'bytes' }[] {
  const counted = newestFirstAvailable.filter((p) => p.keys !== undefined);
  const newest = counted[0];
  if (newest === undefined) return [];
  const accepted = counted.find((p) => p.accepted);
  const out: { fullest: RecoveryPoint; newest: RecoveryPoint; measure: 'keys' | 'bytes' }[] = [];
  for (const measure of ['keys', 'bytes'] as const) {
    const fullest = fullestInWindow(counted, newest.createdAt, accepted?.createdAt, measure);
    const was = fullest?.[measure];
    const now = newest[measure];
    if (fullest && fullest !== newest && was !== undefined && now !== undefined && was > now) out.push({ fullest, newest, measure });
  }
  return out;
}

/** Available or failed: the statuses retention acts on. Anything else is in progress. */
function isSettled(point: RecoveryPoint): boolean {
  return point.status === 'available' || point.status === 'failed';
}

/** The safety rails, over available/failed points whether managed or not. */
function holdFor(settled: readonly RecoveryPoint[], policy: RetentionPolicy, now: Date): { reason: HoldReason; detail: string } | undefined {
  const ordered = [...settled].sort(newestFirst);
  const newest = ordered[0];
  const newestAvailable = ordered.find((p) => p.status === 'available');
  if (newestAvailable === undefined) {
    const detail =
      newest === undefined
        ? 'no available snapshot: the target has no available or failed snapshot yet'
        : `no available snapshot: all ${ordered.length} finished snapshot(s) failed; the newest, ${newest.name}, failed ${age(newest, now)}`;
    return { reason: 'no-available-point', detail };
  }
  if (newest !== newestAvailable) {
    // newest is failed: the settled list holds only available and failed points.
    return {
      reason: 'newest-failed',
      detail: `newest snapshot ${newest!.name} failed ${age(newest!, now)}; newest available is ${newestAvailable.name}, taken ${age(newestAvailable, now)}`,
    };
  }
  if (newestAvailable.collapsed) {
    return {
      reason: 'newest-collapsed',
      detail: `newest snapshot ${newestAvailable.name} is a keyspace collapse (far fewer keys than the point before it): nothing is pruned until a good point follows or an operator releases it`,
    };
  }
  if (newestAvailable.unproven) {
    return {
      reason: 'newest-unproven',
      detail: `newest point ${newestAvailable.name} is not proven yet (a backup never read back from its destination, or a snapshot the collapse tripwire has not judged): nothing is pruned while it is unproven`,
    };
  }
  if (now.getTime() - newestAvailable.createdAt.getTime() > policy.rpoMinutes * MS_PER_MINUTE) {
    return {
      reason: 'newest-stale',
      detail: `newest available snapshot ${newestAvailable.name} was taken ${age(newestAvailable, now)}, beyond the RPO of ${policy.rpoMinutes} minutes`,
    };
  }
  return undefined;
}

/**
 * Effective tier of each available managed point: its tag, else the tier
 * computed from the previous available managed point. Unmanaged points do not
 * take part: a snapshot we never prune must not take a month's `monthly` slot
 * from the managed point we do prune (someone else may delete it any time).
 */
function effectiveTiers(newestFirstAvailable: readonly RecoveryPoint[], timeZone: string): Map<RecoveryPoint, { tier: Tier; from: 'tag' | 'computed' }> {
  const result = new Map<RecoveryPoint, { tier: Tier; from: 'tag' | 'computed' }>();
  const chronological = [...newestFirstAvailable].reverse();
  chronological.forEach((point, i) => {
    if (point.tier !== undefined) {
      result.set(point, { tier: point.tier, from: 'tag' });
    } else {
      const previous = i > 0 ? chronological[i - 1]!.createdAt : undefined;
      result.set(point, { tier: classifyTier(previous, point.createdAt, timeZone), from: 'computed' });
    }
  });
  return result;
}

/** Total order, newest first: createdAt descending, then name descending. */
function newestFirst(a: RecoveryPoint, b: RecoveryPoint): number {
  const byTime = b.createdAt.getTime() - a.createdAt.getTime();
  if (byTime !== 0) return byTime;
  return a.name < b.name ? 1 : a.name > b.name ? -1 : 0;
}

function sortNewestFirst<E extends { readonly point: RecoveryPoint }>(entries: E[]): E[] {
  return entries.sort((a, b) => newestFirst(a.point, b.point));
}

/** `3h 5m ago`, `2d 4h ago`, or `… in the future` for clock skew. */
function age(point: RecoveryPoint, now: Date): string {
  const ms = now.getTime() - point.createdAt.getTime();
  const text = duration(Math.abs(ms));
  return ms >= 0 ? `${text} ago` : `${text} in the future`;
}

function duration(ms: number): string {
  const totalMinutes = Math.floor(ms / MS_PER_MINUTE);
  const days = Math.floor(totalMinutes / 1440);
  const hours = Math.floor((totalMinutes % 1440) / 60);
  const minutes = totalMinutes % 60;
  if (days > 0) return `${days}d ${hours}h ${minutes}m`;
  if (hours > 0) return `${hours}h ${minutes}m`;
  return `${minutes}m`;
}

/** 1st, 2nd, 3rd, 4th … 11th, 12th, 13th … 21st. */
function ordinal(n: number): string {
  const mod100 = n % 100;
  if (mod100 >= 11 && mod100 <= 13) return `${n}th`;
  switch (n % 10) {
    case 1:
      return `${n}st`;
    case 2:
      return `${n}nd`;
    case 3:
      return `${n}rd`;
    default:
      return `${n}th`;
  }
}

/** Fail fast, before deciding anything: a malformed input must never delete. */
function validate(points: readonly RecoveryPoint[], policy: RetentionPolicy, now: Date): void {
  for (const field of [...TIERS, 'minKeep'] as const) {
    const value = policy[field];
    if (!Number.isInteger(value) || value < 0) {
      throw new Error(`policy.${field} must be an integer >= 0, got ${value}`);
    }
  }
  if (policy.minKeep < 1) {
    throw new Error(`policy.minKeep must be >= 1 so the newest snapshot is never deleted, got ${policy.minKeep}`);
  }
  if (!(policy.rpoMinutes > 0) || !Number.isFinite(policy.rpoMinutes)) {
    throw new Error(`policy.rpoMinutes must be a positive number of minutes, got ${policy.rpoMinutes}`);
  }
  if (Number.isNaN(now.getTime())) {
    throw new Error('now must be a valid Date, got an invalid Date');
  }
  // Resolves the zone once, so a bad zone fails even when every point is tagged.
  classifyTier(undefined, now, policy.timeZone);

  const source = points[0]?.source;
  for (const point of points) {
    if (point.source !== source) {
      throw new Error(
        `points must all belong to one source, got ${JSON.stringify(source)} and ${JSON.stringify(point.source)} (${point.name}); call selectExpired once per target`,
      );
    }
    if (Number.isNaN(point.createdAt.getTime())) {
      throw new Error(`points[].createdAt must be a valid Date, got an invalid Date for ${point.name}`);
    }
  }
}
