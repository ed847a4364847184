/**
 * Retention decisions as the table a person reads: `retention plan` and
 * `prune --dry-run` print the same one.
 */
import type { TargetPlan } from '../lambdas/domain/plans/retention-plan.js';

/** The table a person reads. */
export function formatPlan(plans: readonly TargetPlan[]): string {
  const lines: string[] = [];
  for (const p of plans) {
    lines.push(`${p.target}: keep ${p.keep.length}, delete ${p.delete.length}, ignored ${p.ignored.length}${p.hold ? ` - HOLD: ${p.hold.detail}` : ''}`);
    for (const k of p.keep) lines.push(`  keep    ${k.name}  ${k.reasons.join('; ')}`);
    for (const d of p.delete) lines.push(`  DELETE  ${d.name}  ${d.reason}`);
    for (const i of p.ignored) lines.push(`  ignore  ${i.name}  ${i.reason}`);
  }
  return `${lines.join('\n')}\n`;
}
