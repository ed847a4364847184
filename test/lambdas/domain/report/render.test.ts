import { describe, expect, it } from 'vitest';
import { buildReport } from '../../../../lambdas/domain/report/build.js';
import { reportCsv, reportHtml, reportJson } from '../../../../lambdas/domain/report/render.js';
import { monthOfFacts } from '../../../support/report-facts.js';

const report = buildReport(monthOfFacts());
const html = reportHtml(report);

describe('reportHtml', () => {
  it('is one self-contained page: no script, and nothing loaded from elsewhere', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|src=|url\((?!#)/i);
    // The only links are to the page's own parts (SVG patterns by id).
    expect([...html.matchAll(/url\(([^)]*)\)/g)].map((m) => m[1])).toEqual(expect.arrayContaining(['#hatch']));
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
  });

  it('draws an RPO timeline per cache, RTO bars and copies per week, each with a title, a description and a table of the same figures', () => {
    const charts = [...html.matchAll(/<svg [^>]*aria-labelledby="([^ "]+) ([^"]+)"[^>]*>/g)];
    // sessions: RPO, DR copies, vault copies, RTO; queues: RPO.
    expect(charts).toHaveLength(5);
    for (const [, title, desc] of charts) {
      expect(html).toContain(`<title id="${title}">`);
      expect(html).toContain(`<desc id="${desc}">`);
    }
    expect(html).toContain('<caption>Drills of sessions-prod</caption>');
    expect(html).toContain('<caption>Time over the RPO of sessions-prod</caption>');
    expect(html).toContain('<caption>DR region copies per week of sessions-prod</caption>');
  });

  it('never speaks by colour alone: verdicts and failures are written out', () => {
    expect(html).toContain('✗ FAIL');
    expect(html).toContain('✓ pass');
    expect(html).toMatch(/>FAILED</);
  });

  it('escapes what comes from tags and names', () => {
    const evil = buildReport({ ...monthOfFacts(), unprotected: ['<script>alert(1)</script>'] });
    const page = reportHtml(evil);
    expect(page).not.toContain('<script>alert(1)</script>');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });
});

describe('reportHtml: the page as people read it', () => {
  it('opens with cards of the headline figures, then the controls, then the caches', () => {
    expect(html).toMatch(/<div class="cards">/);
    expect(html).toContain(
      `<div class="figure">${report.summary.pass}/${report.summary.pass + report.summary.fail}</div><div class="what">controls pass</div>`,
    );
    expect(html).toContain('<div class="what">restore drills passed</div>');
    expect(html).toContain('<div class="what">median RTO</div>');
    const at = (marker: string) => html.indexOf(marker);
    expect(at('class="cards"')).toBeLessThan(at('id="controls"'));
    expect(at('id="controls"')).toBeLessThan(at('id="cache-0"'));
  });

  it('writes times to the minute in the deployment zone: no ISO time with milliseconds, none in a reason', () => {
    expect(html).not.toMatch(/\d{2}:\d{2}:\d{2}\.\d{3}Z/);
    expect(html).toContain('1 Oct 2026, 02:00 CEST to 1 Nov 2026, 01:00 CET');
    // The frequency control's reason carried ISO times; the page writes them for people.
    expect(html).toMatch(/largest gap 16 h \(14 Oct 2026, 08:00 CEST to 15 Oct 2026, 00:00 CEST\)/);
  });

  it('renders `code` in a reason as code, never as backticks', () => {
    const page = reportHtml(buildReport({ ...monthOfFacts(), unprotectable: [{ cache: 't', why: 'run `redis-dr doctor` first' }] }));
    expect(page).toContain('run <code>redis-dr doctor</code> first');
    expect(page).not.toContain('`');
  });

  it('says "No drill in this period" instead of drawing an empty chart, and leaves out a column empty in every row', () => {
    const facts = monthOfFacts();
    const noDrills = reportHtml(buildReport({ ...facts, drills: [] }));
    expect(noDrills).toContain('<p class="no-data">No drill in this period.</p>');
    expect(noDrills).not.toMatch(/id="rto-0-t"/);
    const noChecks = reportHtml(buildReport({ ...facts, drills: facts.drills.map(({ checks: _c, ...d }) => d) }));
    const drillsTable = /<caption>Drills of sessions-prod<\/caption><thead><tr>(.*?)<\/tr>/.exec(noChecks)![1]!;
    expect(drillsTable).not.toContain('checks');
    expect(/<caption>Drills of sessions-prod<\/caption><thead><tr>(.*?)<\/tr>/.exec(html)![1]).toContain('checks');
  });

  it('draws a drill of under a second as a bar labelled "<1 s", not an empty frame', () => {
    const facts = monthOfFacts();
    const quick = reportHtml(buildReport({ ...facts, drills: [{ ...facts.drills[0]!, rtoSeconds: 0 }] }));
    const chart = /<svg [^>]*aria-labelledby="rto-0-t[\s\S]*?<\/svg>/.exec(quick)![0];
    expect(chart).toMatch(/<rect class="c-ok"[^>]*height="([3-9]|\d\d)/);
    expect(chart).toContain('&lt;1 s');
  });

  it('has a dark scheme and a print stylesheet (a section a page, no row or chart cut)', () => {
    expect(html).toContain('@media (prefers-color-scheme:dark)');
    expect(html).toMatch(/@media print\{[\s\S]*section\{break-before:page\}[\s\S]*figure,tr,\.card\{break-inside:avoid\}/);
  });
});

describe('reportJson and reportCsv', () => {
  it('the JSON twin holds the same controls and summary', () => {
    const json = JSON.parse(reportJson(report)) as typeof report;
    expect(json.summary).toEqual(report.summary);
    expect(json.controls).toHaveLength(report.controls.length);
  });

  it('writes one CSV per fact kind, quoted where a field needs it', () => {
    const files = reportCsv(report);
    expect(Object.keys(files)).toEqual(['controls.csv', 'recovery-points.csv', 'copies.csv', 'drills.csv', 'alarms.csv']);
    const controls = files['controls.csv']!.split('\r\n');
    expect(controls[0]).toBe('report_status,cache,control,audit_manager_control,verdict,why');
    expect(controls.length - 2).toBe(report.controls.length);
    expect(controls.slice(1, -1).every((row) => row.startsWith('COMPLETE,'))).toBe(true);
    // A reason with a comma is quoted.
    expect(files['controls.csv']).toMatch(/,"newest rdr-sessions-prod-202610312200, 120 min old at the report's end \(RPO 210 min\)"\r\n/);
    expect(files['drills.csv']!.split('\r\n')[0]).toBe(
      'report_status,cache,plan,region,started,passed,rto_seconds,rto_target_seconds,reason,trigger,started_by,point,point_selection',
    );
  });

  it('a partial report: every row of every CSV says PARTIAL, and a file with no rows gets one PARTIAL row (never a bare header)', () => {
    const partial = buildReport({ ...monthOfFacts(), alarms: [], problems: ['alarms: DescribeAlarmHistory AccessDenied'] });
    const files = reportCsv(partial);
    for (const [name, text] of Object.entries(files)) {
      const rows = text.split('\r\n').slice(1, -1);
      expect(rows.length, name).toBeGreaterThan(0);
      for (const row of rows) expect(row.split(',')[0], `${name}: ${row}`).toBe('PARTIAL');
    }
    expect(files['alarms.csv']).toBe('report_status,alarm,from,to,minutes_in_alarm\r\nPARTIAL,,,,\r\n');
  });

  it('a complete report with no alarms: alarms.csv is its header alone (none), not a marker row', () => {
    expect(reportCsv(buildReport({ ...monthOfFacts(), alarms: [] }))['alarms.csv']).toBe('report_status,alarm,from,to,minutes_in_alarm\r\n');
  });
});

describe('sections with no source (not collected)', () => {
  const notCollected = buildReport({
    ...monthOfFacts(),
    alarms: [],
    holds: [],
    notCollected: { alarms: 'the demo has no CloudWatch alarms', holds: 'no backup store was read' },
  });

  it('the page says "not collected" and why, never "none"', () => {
    const page = reportHtml(notCollected);
    expect(page).toContain('Alarms that fired in the period: not collected</strong> (the demo has no CloudWatch alarms)');
    expect(page).toContain('Recovery points held after a keyspace collapse: not collected</strong> (no backup store was read)');
    expect(page).not.toContain('Alarms that fired in the period: none.');
    expect(page).not.toContain('keyspace collapse: none.');
  });

  it('alarms.csv says NOT_COLLECTED in a row of its own; the other files stay COMPLETE', () => {
    const files = reportCsv(notCollected);
    expect(files['alarms.csv']).toBe('report_status,alarm,from,to,minutes_in_alarm\r\nNOT_COLLECTED,,,,\r\n');
    expect(files['controls.csv']!.split('\r\n')[1]).toMatch(/^COMPLETE,/);
  });

  it('the JSON twin names the sections not collected', () => {
    expect((JSON.parse(reportJson(notCollected)) as { notCollected: unknown }).notCollected).toEqual({
      alarms: 'the demo has no CloudWatch alarms',
      holds: 'no backup store was read',
    });
  });
});
