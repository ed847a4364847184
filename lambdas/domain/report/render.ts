/**
 * The DR report in the forms people and tools read: one self-contained HTML
 * page (no script, stylesheet, font or image from anywhere else; charts as
 * inline SVG, each with a table holding the same figures; readable printed
 * or saved as PDF), the same facts as JSON, and CSV files for GRC tools.
 * Pure.
 */
import { type CacheReport, type CollectedSection, CONTROLS, type ControlResult, type DrReport } from './model.js';
import { copiesPerWeek, esc, rpoTimeline, rtoBars } from './svg.js';

const iso = (d: Date | undefined) => (d ? d.toISOString().replace('.000Z', 'Z') : '');
const hm = (ms: number) => `${Math.floor(ms / 3_600_000)} h ${Math.round((ms % 3_600_000) / 60_000)} min`;
const mark = (v: ControlResult['verdict']) => (v === 'pass' ? '✓ pass' : v === 'fail' ? '✗ FAIL' : '– n/a');

function table(caption: string, head: readonly string[], rows: readonly (readonly string[])[], notCollected?: string): string {
  // Nothing read is not "none": a section with no source here says so, and why.
  if (notCollected !== undefined) return `<p class="not-collected"><strong>${esc(caption)}: not collected</strong> (${esc(notCollected)}).</p>`;
  if (rows.length === 0) return `<p class="empty">${esc(caption)}: none.</p>`;
  return (
    `<table><caption>${esc(caption)}</caption><thead><tr>${head.map((h) => `<th scope="col">${esc(h)}</th>`).join('')}</tr></thead>` +
    `<tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`
  );
}

function cacheSection(c: CacheReport, index: number, report: DrReport): string {
  const f = c.facts;
  const parts = [
    `<section class="cache"><h2 id="cache-${index}">${esc(f.cache)} <small>plan ${esc(f.plan)}, RPO ${f.rpoMinutes} min</small></h2>`,
    '<h3>Recovery points and the RPO</h3>',
    `<p>${c.rpo.points} recovery point(s) in the period; largest gap ${hm(c.rpo.largestGapMs)}; ${c.rpo.daysMissed.length} of ${c.rpo.days} day(s) with time over the RPO.</p>`,
    `<figure>${rpoTimeline(
      `rpo-${index}`,
      f.cache,
      report.since,
      report.until,
      f.points.map((p) => p.at),
      c.rpo.breaches,
    )}<figcaption>RPO timeline: each tick a recovery point; hatched, the time no recovery point was within the RPO.</figcaption></figure>`,
    table(
      `Time over the RPO of ${f.cache}`,
      ['from', 'to', 'length'],
      c.rpo.breaches.map((b) => [iso(b.from), iso(b.to), hm(b.to.getTime() - b.from.getTime())]),
    ),
    table(
      `Recovery points per day of ${f.cache} (${f.timeZone})`,
      ['day', 'recovery points'],
      c.rpo.perDay.map((d) => [d.day, String(d.points)]),
    ),
  ];
  for (const [where, s] of [
    ['DR region', c.dr],
    ['Vault', c.vault],
  ] as const) {
    if (!s) continue;
    parts.push(
      `<h3>${where} copies</h3><p>${s.copies} copies in the period: ${s.verified} verified, ${s.corrupt} corrupt, ${s.unsupported} in a format not verified, ${s.pending} pending; newest verified ${iso(s.newestVerifiedAt) || 'none'}.` +
        `${where === 'Vault' && c.vault ? ` ${c.vault.locked} locked (COMPLIANCE) past the report's end${c.vault.earliestRetainUntil ? `, the earliest until ${iso(c.vault.earliestRetainUntil)}` : ''}.` : ''}</p>`,
      `<figure>${copiesPerWeek(`copies-${where === 'Vault' ? 'v' : 'd'}-${index}`, f.cache, where, s.verifiedPerWeek)}<figcaption>${where} copies per ISO week: solid verified, hatched failed (corrupt or not verifiable).</figcaption></figure>`,
      table(
        `${where} copies per week of ${f.cache}`,
        ['week', 'verified', 'failed'],
        s.verifiedPerWeek.map((w) => [w.week, String(w.verified), String(w.failed)]),
      ),
    );
  }
  parts.push('<h3>Restore drills</h3>');
  if (f.rtoTargetSeconds === undefined) parts.push('<p>This plan runs no restore drill.</p>');
  else {
    parts.push(
      `<p>${c.drills.length} drill(s), ${c.drills.filter((d) => d.passed).length} passed; RTO target ${f.rtoTargetSeconds} s` +
        `${c.rtoTrendSecondsPerWeek !== undefined ? `; RTO trend ${c.rtoTrendSecondsPerWeek >= 0 ? '+' : ''}${c.rtoTrendSecondsPerWeek.toFixed(1)} s per week` : ''}.</p>`,
      `<figure>${rtoBars(
        `rto-${index}`,
        f.cache,
        c.drills.map((d) => ({ at: d.startedAt, passed: d.passed, ...(d.rtoSeconds !== undefined ? { rtoSeconds: d.rtoSeconds } : {}) })),
        f.rtoTargetSeconds,
      )}<figcaption>RTO per drill (start to verified); dashed, the target; hatched and labelled FAILED, a drill that failed.</figcaption></figure>`,
      table(
        `Drills of ${f.cache}`,
        ['started', 'region', 'result', 'RTO (s)', 'phases', 'checks'],
        c.drills.map((d) => [
          iso(d.startedAt),
          d.region,
          d.passed ? 'passed' : `FAILED${d.reason ? `: ${d.reason}` : ''}`,
          d.rtoSeconds !== undefined ? String(Math.round(d.rtoSeconds)) : '',
          Object.entries(d.phases ?? {})
            .map(([k, v]) => `${k} ${Math.round(v)} s`)
            .join(', '),
          (d.checks ?? []).map((ch) => `${ch.name} ${ch.ok ? 'ok' : 'FAILED'}`).join(', '),
        ]),
      ),
    );
  }
  parts.push('</section>');
  return parts.join('\n');
}

const STYLE = `
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:780px;color:#1c1b1f;line-height:1.4}
h1{font-size:1.6rem}h2{font-size:1.25rem;border-top:2px solid #ccc;padding-top:.8rem;margin-top:2rem}h2 small{font-weight:normal;color:#555}
table{border-collapse:collapse;margin:.5rem 0 1rem;width:100%;font-size:.85rem}caption{text-align:left;font-weight:600;padding:.2rem 0}
th,td{border:1px solid #bbb;padding:.2rem .4rem;text-align:left;vertical-align:top}
.pass{color:#1b5e20}.not-collected{color:#7a4b00}.fail{color:#b3261e;font-weight:600}figure{margin:.5rem 0}figcaption{font-size:.8rem;color:#444}
svg.chart{max-width:100%;height:auto}
@media print{body{margin:0;max-width:none}section.cache{break-before:page}figure,table{break-inside:avoid}}
`;

/** The report as one self-contained HTML page. */
export function reportHtml(r: DrReport): string {
  const controlRows = r.controls.map((c) => {
    const title = CONTROLS.find((k) => k.id === c.control)!;
    return `<tr><td>${esc(c.cache)}</td><td>${esc(title.title)}<br><small>${esc(title.auditManager)}</small></td><td class="${c.verdict === 'fail' ? 'fail' : c.verdict === 'pass' ? 'pass' : ''}">${esc(mark(c.verdict))}</td><td>${esc(c.why)}</td></tr>`;
  });
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>redis-dr report: ${esc(r.deployment)}, ${esc(iso(r.since))} to ${esc(iso(r.until))}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>Disaster recovery report: ${esc(r.deployment)}</h1>
<p>Period ${esc(iso(r.since))} to ${esc(iso(r.until))}; written ${esc(iso(r.generatedAt))} by redis-dr.</p>
<p><strong>Controls: ${r.summary.pass} pass, ${r.summary.fail} fail, ${r.summary.notApplicable} not applicable.</strong></p>
${r.problems.length > 0 ? `<section><h2 id="not-read">Partial report: facts not read</h2><ul>${r.problems.map((p) => `<li class="fail">${esc(p)}</li>`).join('')}</ul></section>` : ''}
</header>
<main>
<section><h2 id="coverage">Coverage</h2>
${
  r.notCollected.coverage !== undefined
    ? `<p class="not-collected"><strong>${r.caches.length} cache(s) protected; unprotected and unprotectable caches: not collected</strong> (${esc(r.notCollected.coverage)}).</p>`
    : `<p>${r.caches.length} cache(s) protected; ${r.unprotected.length} unprotected${r.unprotected.length ? ` (${esc(r.unprotected.join(', '))})` : ''}; ${r.unprotectable.length} unprotectable.</p>
${table(
  'Caches that cannot be protected',
  ['cache', 'why'],
  r.unprotectable.map((u) => [u.cache, u.why]),
)}`
}
</section>
<section><h2 id="controls">Controls</h2>
<table><caption>Each control per cache, in AWS Backup Audit Manager's terms</caption><thead><tr><th scope="col">cache</th><th scope="col">control</th><th scope="col">verdict</th><th scope="col">why</th></tr></thead><tbody>
${controlRows.join('\n')}
</tbody></table>
</section>
${r.caches.map((c, i) => cacheSection(c, i, r)).join('\n')}
<section><h2 id="holds">Holds and collapses</h2>
${table(
  'Recovery points held after a keyspace collapse',
  ['cache', 'point', 'since', 'reason', 'released'],
  r.holds.map((h) => [h.cache, h.point, iso(h.since), h.reason, iso(h.released) || 'still held']),
  r.notCollected.holds,
)}
</section>
<section><h2 id="alarms">Alarms</h2>
${table(
  'Alarms that fired in the period',
  ['alarm', 'from', 'to', 'minutes in ALARM'],
  r.alarms.map((a) => [a.alarm, iso(a.from), iso(a.to) || 'still in ALARM', String(a.minutesInAlarm)]),
  r.notCollected.alarms,
)}
</section>
</main>
</body>
</html>
`;
}

/** The report as JSON (dates as ISO strings): the same facts as the page. */
export function reportJson(r: DrReport): string {
  return `${JSON.stringify(r, null, 2)}\n`;
}

/** A CSV field, quoted where it must be. */
function field(v: string | number | undefined): string {
  const s = v === undefined ? '' : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}
const csv = (head: readonly string[], rows: readonly (readonly (string | number | undefined)[])[]) =>
  `${[head, ...rows].map((r) => r.map(field).join(',')).join('\r\n')}\r\n`;

/** What a CSV twin's `report_status` column says. */
export type CsvStatus = 'COMPLETE' | 'PARTIAL' | 'NOT_COLLECTED';

/**
 * The `report_status` of a CSV twin: `PARTIAL` when any fact of the report
 * was not read (whatever the file holds), `NOT_COLLECTED` when the file's
 * own section had no source where the report was made, else `COMPLETE`.
 */
export function csvStatus(r: DrReport, section?: CollectedSection): CsvStatus {
  if (r.problems.length > 0) return 'PARTIAL';
  return section !== undefined && r.notCollected[section] !== undefined ? 'NOT_COLLECTED' : 'COMPLETE';
}

/**
 * One CSV twin: `report_status` first on every row, so a file read alone (or
 * rows filtered out of it) never passes for a complete report. A file with
 * no rows that is not complete still gets one row — its status, the other
 * fields empty — as a header alone would read as "none".
 */
function twin(status: CsvStatus, head: readonly string[], rows: readonly (readonly (string | number | undefined)[])[]): string {
  const marked = rows.map((row) => [status, ...row]);
  if (marked.length === 0 && status !== 'COMPLETE') marked.push([status, ...head.map(() => '')]);
  return csv(['report_status', ...head], marked);
}

/**
 * The report's CSV files by name: controls, recovery points, copies, drills,
 * alarms; each row starts with the report's `report_status` (see {@link twin}).
 */
export function reportCsv(r: DrReport): Record<string, string> {
  const status = csvStatus(r);
  return {
    'controls.csv': twin(
      status,
      ['cache', 'control', 'audit_manager_control', 'verdict', 'why'],
      r.controls.map((c) => [c.cache, c.control, CONTROLS.find((k) => k.id === c.control)!.auditManager, c.verdict, c.why]),
    ),
    'recovery-points.csv': twin(
      status,
      ['cache', 'plan', 'point', 'at', 'keys', 'tier'],
      r.caches.flatMap((c) =>
        c.facts.points.filter((p) => p.at >= r.since && p.at <= r.until).map((p) => [c.facts.cache, c.facts.plan, p.name, iso(p.at), p.keys, p.tier]),
      ),
    ),
    'copies.csv': twin(
      status,
      ['cache', 'where', 'key', 'at', 'verdict', 'retain_until'],
      r.caches.flatMap((c) => [
        ...(c.facts.drCopies ?? []).map((k) => [c.facts.cache, 'dr', k.key, iso(k.at), k.verdict, iso(k.retainUntil)]),
        ...(c.facts.vaultCopies ?? []).map((k) => [c.facts.cache, 'vault', k.key, iso(k.at), k.verdict, iso(k.retainUntil)]),
      ]),
    ),
    'drills.csv': twin(
      status,
      ['cache', 'plan', 'region', 'started', 'passed', 'rto_seconds', 'rto_target_seconds', 'reason'],
      r.caches.flatMap((c) =>
        c.drills.map((d) => [d.cache, d.plan, d.region, iso(d.startedAt), d.passed ? 'true' : 'false', d.rtoSeconds, c.facts.rtoTargetSeconds, d.reason]),
      ),
    ),
    'alarms.csv': twin(
      csvStatus(r, 'alarms'),
      ['alarm', 'from', 'to', 'minutes_in_alarm'],
      r.alarms.map((a) => [a.alarm, iso(a.from), iso(a.to), a.minutesInAlarm]),
    ),
  };
}
