/** The wording of a scheduled run that failed (the Lambda error and the page it becomes). */
/**
 * The message of a run that failed: plan-level problems first, then the
 * failed targets with why, one line each kind, so the Lambda error (and the
 * page it becomes) names everything that went wrong.
 */
export function runFailureMessage(plan: string, problems: readonly string[], what: string, failures: readonly { target: string; why: string }[]): string {
  return [
    ...problems.map((p) => `plan ${plan}: ${p}`),
    ...(failures.length > 0
      ? [`plan ${plan}: ${what} failed for ${failures.length} target(s): ${failures.map((f) => `${f.target} (${f.why})`).join('; ')}`]
      : []),
  ].join('\n');
}
