/**
 * The report-wide checks (audits.ts) and the scrub's coverage as the page's
 * section and a CSV file. Pure.
 */
import type { DrReport } from './model.js';
import { esc, withCode } from './readable.js';

/** The "Stored copies re-read and other checks" section, or nothing when the report made no such check. */
export function auditsHtml(r: DrReport, when: (d: Date | undefined) => string): string {
  const audits = r.audits ?? [];
  if (audits.length === 0 && !r.scrub) return '';
  const s = r.scrub;
  const coverage = s
    ? `<p>Scrub: ${s.readWithinDays} of ${s.copies} copies read and found good within ${s.days} days; ${s.reRead} re-read by a scrub; ` +
      `${s.oldestRead ? `the copy read longest ago: <code>${esc(s.oldestRead.file)}</code>, ${esc(when(s.oldestRead.at))}` : 'no copy'}; ` +
      `${s.lastRunAt ? `last scrub ${esc(when(s.lastRunAt))}` : 'no scrub has run'}.</p>`
    : '';
  const rows = audits
    .map(
      (a) =>
        `<tr><td>${esc(a.check)}</td><td><code>${esc(a.subject)}</code></td><td class="${a.verdict === 'fail' ? 'fail' : 'pass'}">${a.verdict === 'fail' ? '✗ FAIL' : '✓ pass'}</td><td>${withCode(a.why)}</td></tr>`,
    )
    .join('\n');
  return `<section><h2 id="audits">Stored copies re-read, retention and holds</h2>
${coverage}
<table class="controls"><caption>Checks over the whole report</caption><thead><tr><th scope="col">check</th><th scope="col">subject</th><th scope="col">verdict</th><th scope="col">why</th></tr></thead><tbody>
${rows}
</tbody></table>
</section>`;
}

/** The checks as rows of `audits.csv` (check, subject, verdict, why). */
export function auditRows(r: DrReport): (readonly string[])[] {
  return (r.audits ?? []).map((a) => [a.check, a.subject, a.verdict, a.why]);
}
