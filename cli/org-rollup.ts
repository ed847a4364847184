/**
 * The organization's roll-up in a terminal (lambdas/domain/org/text.ts),
 * printed the same by `report --org` and `status --org`; the exit code
 * (lambdas/domain/org/figures.ts): 0 every account ok; 1 an account failed
 * a control or its selftest, its report is older than its period, the org
 * config lists it and the tree has no report of it, or the tree is empty;
 * 2 a record is no report (named).
 */
import { type OrgRollup, rollupExitCode } from '../lambdas/domain/org/figures.js';
import { rollupText } from '../lambdas/domain/org/text.js';

/** The roll-up in a terminal (and the files written); the exit code. */
export function printRollup(r: OrgRollup, written: readonly string[]): number {
  process.stdout.write([...rollupText(r), ...written.map((f) => `  wrote ${f}`)].map((l) => `${l}\n`).join(''));
  return rollupExitCode(r);
}
