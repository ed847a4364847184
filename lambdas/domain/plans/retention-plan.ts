/**
 * A retention decision per target as `retention plan` and `prune --dry-run`
 * print it: every point kept (with the rules that keep it), deleted (with
 * why) or left alone. Pure.
 */
import { selectExpired, type RetentionDecision } from './retention.js';
import type { RecoveryPoint, RetentionPolicy } from './types.js';

/** One target's decision, as `--json` prints it. */
export interface TargetPlan {
  readonly target: string;
  readonly hold?: RetentionDecision['hold'];
  readonly keep: readonly { name: string; createdAt: string; reasons: readonly string[] }[];
  readonly delete: readonly { name: string; createdAt: string; reason: string }[];
  readonly ignored: readonly { name: string; reason: string }[];
}

/** `target`'s decision as printed. */
export function targetPlan(target: string, d: RetentionDecision): TargetPlan {
  return {
    target,
    ...(d.hold ? { hold: d.hold } : {}),
    keep: d.keep.map((k) => ({ name: k.point.name, createdAt: k.point.createdAt.toISOString(), reasons: k.reasons })),
    delete: d.delete.map((k) => ({ name: k.point.name, createdAt: k.point.createdAt.toISOString(), reason: k.reason })),
    ignored: d.ignored.map((k) => ({ name: k.point.name, reason: k.reason })),
  };
}

/** Runs the rules per target (targets sorted by id). */
export function planRetention(points: readonly RecoveryPoint[], policy: RetentionPolicy, now: Date): TargetPlan[] {
  const bySource = new Map<string, RecoveryPoint[]>();
  for (const p of points) bySource.set(p.source, [...(bySource.get(p.source) ?? []), p]);
  return [...bySource.keys()].sort().map((target) => targetPlan(target, selectExpired(bySource.get(target)!, policy, now)));
}
