/**
 * The report's checks beyond the per-cache controls, one line each, that
 * fail the report as a control does: the scrub's coverage (a copy whose
 * newest re-read found it bad; a copy not read and found good within the
 * bound), and maximum retention (max-retention.ts). Pure.
 */
import { maxRetentionAudits } from './max-retention.js';
import type { AuditResult, RetainedCopy, ScrubCoverage } from './model.js';

const isoTime = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The scrub's checks: one FAIL per bad copy, and one line on coverage (pass, or the oldest copy not re-read in time). */
export function scrubAudits(scrub: ScrubCoverage, deployment: string): AuditResult[] {
  const out: AuditResult[] = scrub.failing.map((f) => ({
    check: 'scrub' as const,
    subject: f.file,
    verdict: 'fail' as const,
    why: `re-read ${isoTime(f.at)} and not what was stored: ${f.problems.join('; ')}`,
  }));
  const late = scrub.copies - scrub.readWithinDays;
  const last = scrub.lastRunAt ? `last scrub ${isoTime(scrub.lastRunAt)}` : 'no scrub has run';
  out.push({
    check: 'scrub',
    subject: deployment,
    verdict: late === 0 ? 'pass' : 'fail',
    why:
      late === 0
        ? `all ${scrub.copies} copies read and found good within ${scrub.days} days (${scrub.reRead} re-read by a scrub; ${last})`
        : `${late} of ${scrub.copies} copies not read within ${scrub.days} days; the oldest, ${scrub.oldestRead!.file}, last read ${isoTime(scrub.oldestRead!.at)} (${last}): run redis-dr scrub --destination <url> daily`,
  });
  return out;
}

/** Every report-wide check the facts allow. */
export function reportAudits(facts: {
  readonly deployment: string;
  readonly until: Date;
  readonly scrub?: ScrubCoverage;
  readonly maxRetention?: { readonly days: number; readonly copies: readonly RetainedCopy[] };
}): AuditResult[] {
  return [
    ...(facts.scrub ? scrubAudits(facts.scrub, facts.deployment) : []),
    ...(facts.maxRetention ? maxRetentionAudits(facts.maxRetention.copies, facts.maxRetention.days, facts.until) : []),
  ];
}
