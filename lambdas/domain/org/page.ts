/**
 * The organization's roll-up as one self-contained HTML page (the single
 * account report's style and chart frame, lambdas/domain/report/: no
 * script, stylesheet or font from anywhere else) and as CSV. The page: what
 * needs action first (MALFORMED, MISSING, FAIL lines), the headline figures
 * as cards, a chart per figure with a table of the same values, then a
 * section per account (its regions, caches, unprotected and unprotectable
 * caches, selftest). Pure.
 */
import { STYLE } from '../report/render.js';
import { esc, readableSeconds, readableTime } from '../report/readable.js';
import { type Bar, hbars, rtoTiers } from './charts.js';
import type { OrgRollup } from './figures.js';
import type { AccountRollup, CacheLine } from './rollup.js';
import type { StackDrift } from './stack-drift.js';
import { lineWord, pct, problemLines } from './text.js';

const UTC = 'UTC';
const when = (iso: string | null | undefined) => (iso ? readableTime(new Date(iso), UTC) : '');
const DAY = 86_400_000;

/** An HTML table of text cells (escaped), with a caption. */
function table(caption: string, head: readonly string[], rows: readonly (readonly string[])[]): string {
  if (rows.length === 0) return `<p class="empty">${esc(caption)}: none.</p>`;
  return (
    `<table><caption>${esc(caption)}</caption><thead><tr>${head.map((h) => `<th scope="col">${esc(h)}</th>`).join('')}</tr></thead>` +
    `<tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`
  );
}

/** A chart under its title (the SVG's own title, shown), and the table of its figures. */
function figure(svg: string, caption: string, tableHtml: string): string {
  const title = /<title id="[^"]*">([^<]*)<\/title>/.exec(svg)?.[1] ?? '';
  return `<div class="panel"><h3>${title}</h3><figure>${svg}<figcaption>${esc(caption)}</figcaption></figure>${tableHtml}</div>`;
}

/** The headline cards. */
function cards(r: OrgRollup): string {
  const card = (bad: boolean, fig: string, what: string, note: string) =>
    `<div class="card ${bad ? 'bad' : 'ok'}"><div class="figure">${esc(fig)}</div><div class="what">${esc(what)}</div><div class="note">${esc(note)}</div></div>`;
  const u = r.oldestUnverified;
  const s = r.stacks;
  return `<div class="cards">${[
    card(r.failing > 0 || r.malformed.length > 0, `${r.accounts.length - r.failing}/${r.accounts.length}`, 'account-regions ok', `${r.failing} not ok`),
    card(r.verifiedShare !== 1, pct(r.verifiedShare), 'caches with a verified copy within the RPO', `${r.caches} cache(s)`),
    card(r.drilledShare !== 1, pct(r.drilledShare), 'drilled within the RTO', 'in the newest reports’ periods'),
    card(r.drilled30Share !== 1, pct(r.drilled30Share), 'drilled in the last 30 days', `${pct(r.drilled90Share)} in the last 90`),
    card(
      u !== null,
      u ? `${Math.floor((Date.parse(r.generatedAt) - Date.parse(u.at)) / DAY)} d` : '–',
      'oldest unverified copy',
      u ? `${u.account} ${u.cache} (${u.verdict})` : 'none',
    ),
    card(r.unprotected > 0, String(r.unprotected), 'caches unprotected', `${r.unprotectable} unprotectable`),
    card(
      s.missing + s.stopped + s['selftest-failed'] + s.drifted > 0,
      String(s.missing + s.stopped + s['selftest-failed'] + s.drifted),
      'stacks missing or drifted',
      `${s.missing} missing, ${s.drifted} drifted, ${s.stopped} stopped, ${s['selftest-failed']} failing selftest`,
    ),
  ].join('')}</div>`;
}

/** Caches of the fresh reports by the age of their oldest copy not verified. */
function unverifiedAges(r: OrgRollup): { label: string; count: number }[] {
  const now = Date.parse(r.generatedAt);
  const ages = r.accounts
    .filter((a) => a.state !== 'stale')
    .flatMap((a) => a.cacheLines.flatMap((c) => (c.oldestUnverified ? [(now - Date.parse(c.oldestUnverified.at)) / DAY] : [])));
  const buckets = [
    { label: 'under 1 day', from: 0, to: 1 },
    { label: '1–7 days', from: 1, to: 7 },
    { label: '7–30 days', from: 7, to: 30 },
    { label: '30 days or more', from: 30, to: Number.POSITIVE_INFINITY },
  ];
  return buckets.map((b) => ({ label: b.label, count: ages.filter((d) => d >= b.from && d < b.to).length }));
}

/** One chart per headline figure, each with its table. */
function charts(r: OrgRollup): string {
  const states = (['ok', 'fail', 'stale', 'missing', 'malformed'] as const).map((st) => ({ st, n: r.accounts.filter((a) => a.state === st).length }));
  const notVerified = r.verifiedShare === null ? 0 : r.caches - Math.round(r.verifiedShare * r.caches);
  const share = (label: string, s: number | null): Bar => {
    const yes = s === null ? 0 : Math.round(s * r.caches);
    return {
      label,
      segments: [
        { value: yes, kind: 'ok', label: 'yes' },
        { value: r.caches - yes, kind: 'bad', label: 'no' },
      ],
    };
  };
  const drillBars = [
    share('within the RTO (period)', r.drilledShare),
    share('in the last 30 days', r.drilled30Share),
    share('in the last 90 days', r.drilled90Share),
  ];
  const perAccount = [...new Set(r.accounts.map((a) => a.account))]
    .map((account) => {
      const ls = r.accounts.filter((a) => a.account === account);
      return { account, unprotected: ls.reduce((n, l) => n + l.unprotected, 0), unprotectable: ls.reduce((n, l) => n + l.unprotectable, 0) };
    })
    .filter((a) => a.unprotected + a.unprotectable > 0)
    .sort((a, b) => b.unprotected - a.unprotected || b.unprotectable - a.unprotectable || a.account.localeCompare(b.account));
  const top = perAccount.slice(0, 15);
  const ages = unverifiedAges(r);
  const s = r.stacks;
  const stackRows: [string, number, Bar['segments'][number]['kind']][] = [
    ['missing', s.missing, 'bad'],
    ['stopped reporting', s.stopped, 'bad'],
    ['drifted (CloudFormation)', s.drifted, 'bad'],
    ['selftest failed (broken)', s['selftest-failed'], 'bad'],
    ['no selftest', s['no-selftest'], 'warn'],
    ['ok', s.ok, 'ok'],
  ];
  return [
    figure(
      hbars('org-accounts', 'Account-regions by state', [
        { label: 'account-regions', segments: states.map(({ st, n }) => ({ value: n, kind: st === 'ok' ? 'ok' : 'bad', label: st })) },
      ]),
      'Solid: ok; hatched: FAIL, stale, missing or malformed.',
      table(
        'Account-regions by state',
        ['state', 'lines'],
        states.map(({ st, n }) => [st, String(n)]),
      ),
    ),
    figure(
      hbars('org-verified', 'Caches with a verified copy within the RPO', [share('verified copy within the RPO', r.verifiedShare)]),
      'Solid: a verified copy within the RPO; hatched: none (a stale report counts as none).',
      table('Verified copies', ['caches', 'verified', 'not'], [[String(r.caches), String(r.caches - notVerified), String(notVerified)]]),
    ),
    figure(
      hbars('org-drilled', 'Caches drilled', drillBars, Math.max(1, r.caches)),
      'Solid: drilled (a drill that passed); hatched: not.',
      table(
        'Caches drilled',
        ['when', 'share', 'caches'],
        drillBars.map((b, i) => [b.label, pct([r.drilledShare, r.drilled30Share, r.drilled90Share][i]!), String(b.segments[0]!.value)]),
      ),
    ),
    figure(
      rtoTiers('org-rto', r.rtoByTier),
      'Per tier: a line from the fastest drill to the slowest, a box from p50 to p90 (hatched when a drill is over the target), the target dashed.',
      table(
        'RTO per tier',
        ['tier', 'drills', 'min', 'p50', 'p90', 'max', 'target', 'over target'],
        r.rtoByTier.map((t) => [
          t.tier,
          String(t.drills),
          ...[t.minSeconds, t.p50Seconds, t.p90Seconds, t.maxSeconds].map((x) => (t.drills > 0 ? readableSeconds(x) : '')),
          t.targetSeconds === null ? 'none' : readableSeconds(t.targetSeconds),
          String(t.overTarget),
        ]),
      ),
    ),
    figure(
      hbars(
        'org-unverified',
        'Caches by the age of their oldest unverified copy',
        ages.map((a) => ({ label: a.label, segments: [{ value: a.count, kind: 'bad', label: 'caches' }] })),
      ),
      r.oldestUnverified
        ? `The oldest: ${r.oldestUnverified.account} ${r.oldestUnverified.region} ${r.oldestUnverified.cache} ${r.oldestUnverified.key} (${r.oldestUnverified.verdict}, ${when(r.oldestUnverified.at)}).`
        : 'No copy is unverified.',
      table(
        'Caches by the age of their oldest unverified copy',
        ['age', 'caches'],
        ages.map((a) => [a.label, String(a.count)]),
      ),
    ),
    figure(
      hbars(
        'org-unprotected',
        'Unprotected and unprotectable caches per account',
        top.map((a) => ({
          label: a.account,
          segments: [
            { value: a.unprotected, kind: 'bad', label: 'unprotected' },
            { value: a.unprotectable, kind: 'warn', label: 'unprotectable' },
          ],
        })),
      ),
      `Hatched: unprotected; amber: unprotectable. ${perAccount.length > top.length ? `The ${top.length} accounts with most of ${perAccount.length}; every one is in its section.` : ''}`,
      table(
        'Unprotected and unprotectable caches per account',
        ['account', 'unprotected', 'unprotectable'],
        perAccount.map((a) => [a.account, String(a.unprotected), String(a.unprotectable)]),
      ),
    ),
    figure(
      hbars('org-stacks', 'Stacks missing or drifted', [
        { label: 'account-regions', segments: stackRows.map(([label, value, kind]) => ({ label, value, kind })) },
      ]),
      'Hatched: missing, stopped reporting, drifted from its template, or failing the selftest; amber: no selftest record.',
      table(
        'Stacks',
        ['stack', 'account-regions'],
        stackRows.map(([label, n]) => [label, String(n)]),
      ),
    ),
  ].join('\n');
}

/** Each stack's drift status, `<stack> <status> (checked <time>)`, `; ` between them. */
function driftWords(stacks: readonly StackDrift[]): string {
  return stacks.map((d) => `${d.stack} ${d.drift}${d.checkedAt ? ` (checked ${d.checkedAt})` : ''}`).join('; ');
}

/** A cache's row of the drill-down. */
const cacheRow = (c: CacheLine): string[] => [
  c.cache,
  c.tier,
  c.verified ? 'yes' : 'NO',
  c.drilled ? 'yes' : 'NO',
  when(c.lastDrillAt) || 'none in 90 days',
  c.rtoSeconds.map(readableSeconds).join(', '),
  c.rtoTargetSeconds === null ? '' : readableSeconds(c.rtoTargetSeconds),
  c.oldestUnverified ? `${c.oldestUnverified.key} (${c.oldestUnverified.verdict}, ${when(c.oldestUnverified.at)})` : '',
];

/** One account's section: each region it reports from (or should). */
function accountSection(account: string, lines: readonly AccountRollup[]): string {
  const bad = lines.some((l) => l.state !== 'ok');
  const regions = lines.map((l) => {
    const st = l.selftest;
    return (
      `<h3>${esc(l.region)}: <span class="${l.state === 'ok' ? 'pass' : 'fail'}">${esc(lineWord(l))}</span> <small>stack ${esc(l.stack)}</small></h3>` +
      `${l.why ? `<p class="fail">${esc(l.why)}</p>` : ''}` +
      `<p>${l.key ? `Report ${esc(l.key)} (to ${esc(when(l.until))})` : 'No report'}; ${st ? `selftest ${esc(st.verdict)} ${esc(when(st.at))}` : 'no selftest record'}.</p>` +
      (st?.stacks?.length ? `<p>CloudFormation drift: ${esc(driftWords(st.stacks))}.</p>` : '') +
      table(
        `Caches of ${account} in ${l.region}`,
        ['cache', 'tier', 'verified copy', 'drilled (period)', 'last drill', 'RTO', 'target', 'oldest unverified copy'],
        l.cacheLines.map(cacheRow),
      ) +
      (l.drillChains.length > 0
        ? table(
            `Signed drill records of ${account} in ${l.region}`,
            ['plan', 'drill region', 'records', 'newest', 'finished', 'drill'],
            l.drillChains.map((c) => [
              c.plan,
              c.region,
              c.records < c.newestSeq ? `${c.records} of ${c.newestSeq}: MISSING RECORDS` : String(c.records),
              `record ${c.newestSeq}`,
              when(c.newest.finishedAt),
              c.newest.passed ? 'passed' : `FAILED${c.newest.failedStep ? ` (${c.newest.failedStep})` : ''}`,
            ]),
          )
        : '') +
      (l.unprotectedCaches.length > 0 ? `<p class="fail">Unprotected: ${esc(l.unprotectedCaches.join(', '))}</p>` : '') +
      (l.unprotectableCaches.length > 0
        ? table(
            `Unprotectable caches of ${account} in ${l.region}`,
            ['cache', 'why'],
            l.unprotectableCaches.map((u) => [u.cache, u.why]),
          )
        : '')
    );
  });
  return `<section class="account"><details${bad ? ' open' : ''}><summary><h2 id="account-${esc(account)}">${esc(account)} <small>${esc(lines.map((l) => `${l.region} ${lineWord(l)}`).join(', '))}</small></h2></summary>${regions.join('\n')}</details></section>`;
}

/** The roll-up as one self-contained HTML page. */
export function orgHtml(r: OrgRollup): string {
  const accounts = [...new Set(r.accounts.map((a) => a.account))];
  const problems = [
    ...r.malformed.map((m) => `MALFORMED ${m.key}: ${m.why}`),
    ...problemLines(r).map((a) => `${lineWord(a)} ${a.account} ${a.region} ${a.state}: ${a.why}`),
  ];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>redis-dr organization roll-up, ${esc(when(r.generatedAt))}</title>
<style>${STYLE}
details>summary{cursor:pointer;list-style:none}details>summary h2{display:inline}ul.needs li{margin:.2rem 0}
</style>
</head>
<body>
<header>
<h1>Disaster recovery roll-up of the organization</h1>
<p class="meta">${accounts.length} account(s), ${r.accounts.length} account-region line(s), ${r.caches} cache(s); written ${esc(when(r.generatedAt))} by redis-dr from every account's newest scheduled report and selftest record. Times in UTC.</p>
<section><h2 id="needs-action">${problems.length > 0 ? `Needs action (${problems.length})` : 'Every account is ok'}</h2>
${problems.length > 0 ? `<ul class="needs">${problems.map((p) => `<li class="fail">${esc(p)}</li>`).join('')}</ul>` : ''}
</section>
${cards(r)}
</header>
<main>
<section><h2 id="figures">Figures</h2><div class="panels">
${charts(r)}
</div></section>
<section><h2 id="accounts">Accounts</h2>
${accounts
  .map((a) =>
    accountSection(
      a,
      r.accounts.filter((l) => l.account === a),
    ),
  )
  .join('\n')}
</section>
</main>
</body>
</html>
`;
}

/** A CSV cell (RFC 4180 quoting). */
const cell = (v: unknown) => {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};
const csv = (rows: readonly (readonly unknown[])[]) => `${rows.map((r) => r.map(cell).join(',')).join('\r\n')}\r\n`;

/** The accounts' columns; new ones go last (a reader of the earlier columns keeps working). */
const ACCOUNT_HEAD = [
  'account',
  'region',
  'state',
  'deployment',
  'caches',
  'verified',
  'drilled',
  'unprotected',
  'until',
  'key',
  'why',
  'stack',
  'unprotectable',
  'selftest_verdict',
  'selftest_at',
  'stack_drift',
] as const;

/** The roll-up's CSV files: one row per account and region, and one per cache (the drill-down). */
export function orgCsv(r: OrgRollup): { 'accounts.csv': string; 'caches.csv': string } {
  return {
    'accounts.csv': csv([
      ACCOUNT_HEAD,
      ...r.accounts.map((a) => {
        const row: Record<(typeof ACCOUNT_HEAD)[number], unknown> = {
          ...a,
          selftest_verdict: a.selftest?.verdict,
          selftest_at: a.selftest?.at,
          stack_drift: a.selftest?.stacks ? driftWords(a.selftest.stacks) : undefined,
        };
        return ACCOUNT_HEAD.map((h) => row[h]);
      }),
    ]),
    'caches.csv': csv([
      [
        'account',
        'region',
        'cache',
        'tier',
        'verified',
        'drilled',
        'last_drill_at',
        'rto_seconds',
        'rto_target_seconds',
        'oldest_unverified_key',
        'oldest_unverified_at',
        'oldest_unverified_verdict',
      ],
      ...r.accounts.flatMap((a) =>
        a.cacheLines.map((c) => [
          a.account,
          a.region,
          c.cache,
          c.tier,
          c.verified,
          c.drilled,
          c.lastDrillAt,
          c.rtoSeconds.join(' '),
          c.rtoTargetSeconds,
          c.oldestUnverified?.key,
          c.oldestUnverified?.at,
          c.oldestUnverified?.verdict,
        ]),
      ),
    ]),
  };
}
