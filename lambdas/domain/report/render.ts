/**
 * The DR report in the forms people and tools read: one self-contained HTML
 * page (no script, stylesheet, font or image from anywhere else; charts as
 * inline SVG, each with a table holding the same figures; readable printed
 * or saved as PDF), the same facts as JSON, and CSV files for GRC tools.
 * Pure.
 */
import { type CacheReport, type CollectedSection, CONTROLS, type ControlResult, type DrillFact, type DrReport } from './model.js';
import { auditRows, auditsHtml } from './render-audits.js';
import { esc, readableDuration, readableSeconds, readableTime, withCode } from './readable.js';
import { copiesPerWeek, rpoTimeline, rtoBars } from './svg.js';

const iso = (d: Date | undefined) => (d ? d.toISOString().replace('.000Z', 'Z') : '');
const mark = (v: ControlResult['verdict']) => (v === 'pass' ? '✓ pass' : v === 'fail' ? '✗ FAIL' : '– n/a');

/** A cell: its text, and whether it holds markup already escaped (a reason with `code`). */
type Cell = string | { readonly html: string };
const cellHtml = (c: Cell) => (typeof c === 'string' ? esc(c) : c.html);
const cellEmpty = (c: Cell) => (typeof c === 'string' ? c === '' : c.html === '');

/**
 * A table, or what stands for one: "not collected" with why, or "none". A
 * column empty in every row is left out (an empty column says nothing).
 */
function table(caption: string, head: readonly string[], rows: readonly (readonly Cell[])[], notCollected?: string, cls?: string): string {
  // Nothing read is not "none": a section with no source here says so, and why.
  if (notCollected !== undefined) return `<p class="not-collected"><strong>${esc(caption)}: not collected</strong> (${withCode(notCollected)}).</p>`;
  if (rows.length === 0) return `<p class="empty">${esc(caption)}: none.</p>`;
  const keep = head.map((_, i) => rows.some((r) => !cellEmpty(r[i] ?? '')));
  const pick = <T>(xs: readonly T[]) => xs.filter((_, i) => keep[i]);
  return (
    `<table${cls ? ` class="${cls}"` : ''}><caption>${esc(caption)}</caption><thead><tr>${pick(head)
      .map((h) => `<th scope="col">${esc(h)}</th>`)
      .join('')}</tr></thead>` +
    `<tbody>${rows
      .map(
        (r) =>
          `<tr>${pick(r)
            .map((c) => `<td>${cellHtml(c)}</td>`)
            .join('')}</tr>`,
      )
      .join('')}</tbody></table>`
  );
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * Recovery points per day as a calendar: a row per week (Monday first), a
 * cell per day (`14: 5`; `1 Nov: 12` where a month starts), so a month is five
 * rows, not thirty.
 */
function calendar(perDay: readonly { readonly day: string; readonly points: number }[]): Cell[][] {
  const rows: Cell[][] = [];
  let row: Cell[] | undefined;
  for (const { day, points } of perDay) {
    const [y, m, d] = day.split('-').map(Number) as [number, number, number];
    const weekday = (new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7;
    if (!row || weekday === 0) {
      row = [`from ${d} ${MONTHS[m - 1]}`, '', '', '', '', '', '', ''];
      rows.push(row);
    }
    // The month where it starts (and on the first cell); the row's label names the week.
    row[weekday + 1] = `${d === 1 || day === perDay[0]!.day ? `${d} ${MONTHS[m - 1]}` : d}: ${points}`;
  }
  return rows;
}

/** The headline figures, as cards: each a number, what it counts, and a word on it. */
function cards(r: DrReport): string {
  const drills = r.caches.flatMap((c) => c.drills);
  const passed = drills.filter((d) => d.passed).length;
  const rtos = drills.filter((d) => d.passed && d.rtoSeconds !== undefined).map((d) => d.rtoSeconds!);
  const median = rtos.length > 0 ? [...rtos].sort((a, b) => a - b)[Math.floor((rtos.length - 1) / 2)]! : undefined;
  const targets = r.caches.map((c) => c.facts.rtoTargetSeconds).filter((t): t is number => t !== undefined);
  const copies = r.caches.flatMap((c) => [c.dr, c.vault].filter((s) => s !== undefined));
  const verified = copies.reduce((n, s) => n + s.verified, 0);
  const copyCount = copies.reduce((n, s) => n + s.copies, 0);
  const failedCopies = copies.reduce((n, s) => n + s.corrupt + s.unsupported, 0);
  const withinRpo = r.caches.filter((c) => c.rpo.breaches.length === 0).length;
  const card = (state: 'ok' | 'bad' | 'none', figure: string, what: string, note: string) =>
    `<div class="card ${state}"><div class="figure">${esc(figure)}</div><div class="what">${esc(what)}</div><div class="note">${esc(note)}</div></div>`;
  return `<div class="cards">${[
    card(
      r.summary.fail > 0 ? 'bad' : 'ok',
      `${r.summary.pass}/${r.summary.pass + r.summary.fail}`,
      'controls pass',
      r.summary.fail > 0 ? `${r.summary.fail} FAIL, ${r.summary.notApplicable} n/a` : `none fails; ${r.summary.notApplicable} n/a`,
    ),
    card(
      r.unprotected.length > 0 ? 'bad' : 'ok',
      String(r.caches.length),
      'caches protected',
      r.notCollected.coverage !== undefined ? 'coverage not collected' : `${r.unprotected.length} unprotected, ${r.unprotectable.length} unprotectable`,
    ),
    card(
      withinRpo < r.caches.length ? 'bad' : 'ok',
      `${withinRpo}/${r.caches.length}`,
      'caches within the RPO all period',
      `${r.caches.reduce((n, c) => n + c.rpo.points, 0)} recovery points`,
    ),
    card(
      copyCount === 0 ? 'none' : failedCopies > 0 ? 'bad' : 'ok',
      `${verified}/${copyCount}`,
      'copies verified',
      copyCount === 0 ? 'no copy in this period' : failedCopies > 0 ? `${failedCopies} corrupt or not verifiable` : 'none corrupt',
    ),
    card(
      drills.length === 0 ? 'none' : passed < drills.length ? 'bad' : 'ok',
      `${passed}/${drills.length}`,
      'restore drills passed',
      drills.length === 0 ? 'no drill in this period' : `${drills.length - passed} failed`,
    ),
    card(
      median === undefined ? 'none' : targets.length > 0 && median > Math.min(...targets) ? 'bad' : 'ok',
      median === undefined ? '–' : readableSeconds(median),
      'median RTO',
      targets.length > 0 ? `target ${readableSeconds(Math.min(...targets))}` : 'no target',
    ),
  ].join('')}</div>`;
}

function cacheSection(c: CacheReport, index: number, report: DrReport): string {
  const f = c.facts;
  const when = (d: Date | undefined) => readableTime(d, f.timeZone);
  const parts = [
    `<section class="cache"><h2 id="cache-${index}">${esc(f.cache)} <small>plan ${esc(f.plan)}, RPO ${esc(readableDuration(f.rpoMinutes * 60_000))}</small></h2>`,
    '<div class="panels">',
    '<div class="panel"><h3>Recovery points and the RPO</h3>',
    `<p>${c.rpo.points} recovery point(s) in the period; largest gap ${esc(readableDuration(c.rpo.largestGapMs))}; ${c.rpo.daysMissed.length} of ${c.rpo.days} day(s) with time over the RPO.</p>`,
    `<figure>${rpoTimeline(
      `rpo-${index}`,
      f.cache,
      report.since,
      report.until,
      f.points.map((p) => p.at),
      c.rpo.breaches,
      f.timeZone,
    )}<figcaption>Each tick a recovery point; hatched, the time no recovery point was within the RPO.</figcaption></figure>`,
    table(
      `Time over the RPO of ${f.cache}`,
      ['from', 'to', 'length'],
      c.rpo.breaches.map((b) => [when(b.from), when(b.to), readableDuration(b.to.getTime() - b.from.getTime())]),
    ),
    table(
      `Recovery points per day of ${f.cache} (${f.timeZone})`,
      ['week', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'],
      calendar(c.rpo.perDay),
      undefined,
      'calendar',
    ),
    '</div>',
  ];
  for (const [where, s] of [
    ['DR region', c.dr],
    ['Vault', c.vault],
  ] as const) {
    if (!s) continue;
    parts.push(
      `<div class="panel"><h3>${where} copies</h3><p>${s.copies} copies in the period: ${s.verified} verified, ${s.corrupt} corrupt, ${s.unsupported} in a format not verified, ${s.unproven ? `${s.unproven} with a verdict tag but no verdict object (not trusted), ` : ''}${s.pending} pending; newest verified ${esc(when(s.newestVerifiedAt) || 'none')}.` +
        `${where === 'Vault' && c.vault ? ` ${c.vault.locked} locked (COMPLIANCE) past the report's end${c.vault.earliestRetainUntil ? `, the earliest until ${esc(when(c.vault.earliestRetainUntil))}` : ''}.` : ''}</p>`,
      s.copies === 0
        ? `<p class="no-data">No ${where === 'Vault' ? 'vault' : 'DR'} copy in this period.</p>`
        : `<figure>${copiesPerWeek(`copies-${where === 'Vault' ? 'v' : 'd'}-${index}`, f.cache, where, s.verifiedPerWeek)}<figcaption>Per ISO week: solid verified, hatched failed (corrupt or not verifiable).</figcaption></figure>`,
      table(
        `${where} copies per week of ${f.cache}`,
        ['week', 'verified', 'failed'],
        s.verifiedPerWeek.map((w) => [w.week, String(w.verified), String(w.failed)]),
      ),
      '</div>',
    );
  }
  // The drills' table has seven columns: the whole width.
  parts.push('<div class="panel wide"><h3>Restore drills</h3>');
  if (f.rtoTargetSeconds === undefined) parts.push('<p>This plan runs no restore drill.</p>');
  else {
    parts.push(
      `<p>${c.drills.length} drill(s), ${c.drills.filter((d) => d.passed).length} passed (${esc(triggerSummary(c.drills))}); RTO target ${esc(readableSeconds(f.rtoTargetSeconds))}` +
        `${c.rtoTrendSecondsPerWeek !== undefined ? `; RTO trend ${c.rtoTrendSecondsPerWeek >= 0 ? '+' : ''}${c.rtoTrendSecondsPerWeek.toFixed(1)} s per week` : ''}.</p>`,
      c.drills.length === 0
        ? '<p class="no-data">No drill in this period.</p>'
        : `<figure>${rtoBars(
            `rto-${index}`,
            f.cache,
            c.drills.map((d) => ({ at: d.startedAt, passed: d.passed, ...(d.rtoSeconds !== undefined ? { rtoSeconds: d.rtoSeconds } : {}) })),
            f.rtoTargetSeconds,
            f.timeZone,
          )}<figcaption>RTO per drill (start to verified); dashed, the target; hatched and labelled FAILED, a drill that failed.</figcaption></figure>`,
      table(
        `Drills of ${f.cache}`,
        ['started', 'started by', 'region', 'result', 'RTO', 'phases', 'checks'],
        c.drills.map((d) => [
          when(d.startedAt),
          startedByCell(d),
          d.region,
          d.passed ? 'passed' : { html: `FAILED${d.reason ? `: ${withCode(d.reason, f.timeZone)}` : ''}` },
          d.rtoSeconds !== undefined ? readableSeconds(d.rtoSeconds) : '',
          Object.entries(d.phases ?? {})
            .map(([k, v]) => `${k} ${readableSeconds(v)}`)
            .join(', '),
          (d.checks ?? []).map((ch) => `${ch.name} ${ch.ok ? 'ok' : 'FAILED'}`).join(', '),
        ]),
      ),
    );
  }
  parts.push('</div>', '</div>', '</section>');
  return parts.join('\n');
}

/**
 * Light and dark (the reader's setting), wide screens used (cards, then the
 * controls, then two panels of charts a row), and print: light colours,
 * sections on pages of their own, no table or chart cut across a page.
 */
export const STYLE = `
:root{--bg:#fff;--fg:#1c1b1f;--muted:#5b5b66;--line:#c9c9d1;--card:#f6f6f9;--ok:#1b5e20;--bad:#b3261e;--warn:#7a4b00;--track:#e8f0e8;--copy:#1565c0;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#17171c;--fg:#e6e6ea;--muted:#a4a4b0;--line:#3c3c47;--card:#22222a;--ok:#81c784;--bad:#f28b82;--warn:#f6c177;--track:#24352a;--copy:#64b5f6}}
*{box-sizing:border-box}
body{font-family:system-ui,sans-serif;margin:0 auto;padding:1.5rem 2rem;max-width:1440px;background:var(--bg);color:var(--fg);line-height:1.45}
h1{font-size:1.7rem;margin:0 0 .3rem}h2{font-size:1.3rem;border-top:2px solid var(--line);padding-top:.8rem;margin-top:2rem}h2 small{font-weight:normal;color:var(--muted)}
h3{font-size:1.05rem;margin:.4rem 0}
.meta{color:var(--muted);margin:0}.simulated{border:2px dashed var(--warn);color:var(--warn);padding:.5rem .8rem;border-radius:.4rem}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(190px,1fr));gap:.8rem;margin:1.2rem 0}
.card{background:var(--card);border-left:5px solid var(--line);border-radius:.4rem;padding:.7rem .9rem}
.card.ok{border-left-color:var(--ok)}.card.bad{border-left-color:var(--bad)}
.card .figure{font-size:1.9rem;font-weight:650;font-variant-numeric:tabular-nums}.card .what{font-weight:600}.card .note{color:var(--muted);font-size:.85rem}
.card.bad .note{color:var(--bad)}
.panels{display:grid;grid-template-columns:repeat(auto-fit,minmax(560px,1fr));gap:1rem 2rem}.panel{min-width:0}.panel.wide{grid-column:1/-1}.panel.wide figure{max-width:760px}
table{border-collapse:collapse;margin:.5rem 0 1rem;width:100%;font-size:.85rem}caption{text-align:left;font-weight:600;padding:.2rem 0}
th,td{border:1px solid var(--line);padding:.25rem .45rem;text-align:left;vertical-align:top;overflow-wrap:break-word}
th{background:var(--card);white-space:nowrap;overflow-wrap:normal}td:first-child{white-space:nowrap;overflow-wrap:normal}
table.controls td:nth-child(3),table.calendar td{white-space:nowrap}table.calendar{font-size:.8rem}
code{font-family:ui-monospace,monospace;font-size:.9em;background:var(--card);padding:0 .2em;border-radius:.2em}
.pass{color:var(--ok)}.not-collected{color:var(--warn)}.fail{color:var(--bad);font-weight:600}.no-data{color:var(--muted);font-style:italic;border:1px dashed var(--line);padding:.8rem;border-radius:.4rem}
figure{margin:.5rem 0}figcaption{font-size:.8rem;color:var(--muted)}
svg.chart{width:100%;height:auto}svg.chart text{fill:var(--fg)}
svg.chart .c-track{fill:var(--track)}svg.chart .c-point{stroke:var(--ok)}svg.chart .c-ok{fill:var(--ok)}svg.chart .c-copy{fill:var(--copy)}svg.chart .c-axis{stroke:var(--muted)}
@media print{
:root{--bg:#fff;--fg:#000;--muted:#444;--line:#999;--card:#f2f2f2;--ok:#1b5e20;--bad:#b3261e;--warn:#7a4b00;--track:#e8f0e8;--copy:#1565c0}
body{padding:0;max-width:none;font-size:10pt}
section{break-before:page}header+main>section:first-child{break-before:avoid}
.panels{display:block}figure,tr,.card{break-inside:avoid}thead{display:table-header-group}
}
`;

/** The report as one self-contained HTML page. */
export function reportHtml(r: DrReport): string {
  // The deployment's time zone: its first plan's (the plans of one deployment share one in practice), else UTC.
  const timeZone = r.caches[0]?.facts.timeZone ?? 'UTC';
  const when = (d: Date | undefined) => readableTime(d, timeZone);
  const controlRows = r.controls.map((c) => {
    const title = CONTROLS.find((k) => k.id === c.control)!;
    return `<tr><td>${esc(c.cache)}</td><td>${esc(title.title)}<br><small>${esc(title.auditManager)}</small></td><td class="${c.verdict === 'fail' ? 'fail' : c.verdict === 'pass' ? 'pass' : ''}">${esc(mark(c.verdict))}</td><td>${withCode(c.why, timeZone)}</td></tr>`;
  });
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>redis-dr report: ${esc(r.deployment)}, ${esc(when(r.since))} to ${esc(when(r.until))}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>Disaster recovery report: ${esc(r.deployment)}</h1>
<p class="meta">${esc(when(r.since))} to ${esc(when(r.until))} (${esc(readableDuration(r.until.getTime() - r.since.getTime()))}); written ${esc(when(r.generatedAt))} by redis-dr. Times in ${esc(timeZone)}; the JSON and CSV files give them in UTC.</p>${
    r.policyDocument !== undefined
      ? `
<p class="meta">Held against the backup policy: <a href="${esc(r.policyDocument)}">${esc(r.policyDocument)}</a> (ISO 27001 A.8.13).</p>`
      : ''
  }
${r.simulated !== undefined ? `<p class="simulated"><strong>Simulated history.</strong> ${withCode(r.simulated)}</p>` : ''}
${cards(r)}
${r.problems.length > 0 ? `<section><h2 id="not-read">Partial report: facts not read</h2><ul>${r.problems.map((p) => `<li class="fail">${withCode(p)}</li>`).join('')}</ul></section>` : ''}
</header>
<main>
<section><h2 id="controls">Controls</h2>
<p><strong>Controls: ${r.summary.pass} pass, ${r.summary.fail} fail, ${r.summary.notApplicable} not applicable.</strong></p>
<table class="controls"><caption>Each control per cache, in AWS Backup Audit Manager's terms</caption><thead><tr><th scope="col">cache</th><th scope="col">control</th><th scope="col">verdict</th><th scope="col">why</th></tr></thead><tbody>
${controlRows.join('\n')}
</tbody></table>
</section>
<section><h2 id="coverage">Coverage</h2>
${
  r.notCollected.coverage !== undefined
    ? `<p class="not-collected"><strong>${r.caches.length} cache(s) protected; unprotected and unprotectable caches: not collected</strong> (${withCode(r.notCollected.coverage)}).</p>`
    : `<p>${r.caches.length} cache(s) protected; ${r.unprotected.length} unprotected${r.unprotected.length ? ` (${esc(r.unprotected.join(', '))})` : ''}; ${r.unprotectable.length} unprotectable.</p>
${table(
  'Caches that cannot be protected',
  ['cache', 'why'],
  r.unprotectable.map((u) => [u.cache, { html: withCode(u.why) }]),
)}`
}
</section>
${r.caches.map((c, i) => cacheSection(c, i, r)).join('\n')}
<section><h2 id="holds">Holds and collapses</h2>
${table(
  'Recovery points held after a keyspace collapse',
  ['cache', 'point', 'since', 'reason', 'released'],
  r.holds.map((h) => [h.cache, h.point, when(h.since), { html: withCode(h.reason) }, when(h.released) || 'still held']),
  r.notCollected.holds,
)}
</section>
${auditsHtml(r, when)}
<section><h2 id="alarms">Alarms</h2>
${table(
  'Alarms that fired in the period',
  ['alarm', 'from', 'to', 'time in ALARM'],
  r.alarms.map((a) => [a.alarm, when(a.from), when(a.to) || 'still in ALARM', readableDuration(a.minutesInAlarm * 60_000)]),
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
      // New columns go last: a reader of the earlier columns keeps working.
      ['cache', 'plan', 'region', 'started', 'passed', 'rto_seconds', 'rto_target_seconds', 'reason', 'trigger', 'started_by', 'point', 'point_selection'],
      r.caches.flatMap((c) =>
        c.drills.map((d) => [
          d.cache,
          d.plan,
          d.region,
          iso(d.startedAt),
          d.passed ? 'true' : 'false',
          d.rtoSeconds,
          c.facts.rtoTargetSeconds,
          d.reason,
          d.trigger,
          d.startedBy,
          d.point,
          d.point ? (d.pointSelection ?? 'newest') : undefined,
        ]),
      ),
    ),
    ...(r.audits && r.audits.length > 0 ? { 'audits.csv': twin(status, ['check', 'subject', 'verdict', 'why'], auditRows(r)) } : {}),
    'alarms.csv': twin(
      csvStatus(r, 'alarms'),
      ['alarm', 'from', 'to', 'minutes_in_alarm'],
      r.alarms.map((a) => [a.alarm, iso(a.from), iso(a.to), a.minutesInAlarm]),
    ),
  };
}

/** `2 scheduled, 1 manual` (drills whose start is not known are counted apart). */
export function triggerSummary(drills: readonly DrillFact[]): string {
  const count = (t: DrillFact['trigger']) => drills.filter((d) => d.trigger === t).length;
  const unknown = count(undefined);
  // Drills on systems segregated from the source (DORA art. 12, NIST CP-9(2)) are named as such.
  const separate = [...new Set(drills.flatMap((d) => (d.account ? [d.account] : [])))];
  const segregated = separate.length > 0 ? `; ${drills.filter((d) => d.account).length} in the separate drill account ${separate.join(', ')}` : '';
  return `${count('scheduled')} scheduled, ${count('manual')} manual${unknown > 0 ? `, ${unknown} not known` : ''}${segregated}`;
}

/** Who started a drill, and for a random draw the point: `schedule`, `manual: arn:…`, `schedule; random point rdr-…`. */
function startedByCell(d: DrillFact): string {
  const who = d.trigger === 'scheduled' ? 'schedule' : d.trigger === 'manual' ? `manual${d.startedBy ? `: ${d.startedBy}` : ''}` : 'not known';
  return d.pointSelection === 'random' && d.point ? `${who}; random older point ${d.point}` : who;
}
