import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALARM_KIND_NAMES, ALARM_KINDS, ALARM_SEVERITIES, PAGE_KINDS, RUNBOOKS, runbookOf } from '../../../../lambdas/domain/alerting/catalog.js';
import { alertCatalogTable, CATALOG_MARKERS, withCatalogTable } from '../../../../lambdas/domain/alerting/docs.js';
import { METRIC } from '../../../../lambdas/domain/alerting/metrics.js';
import { alarmName, parseAlarmName } from '../../../../lambdas/domain/alerting/names.js';

const ROOT = join(__dirname, '..', '..', '..', '..');

describe('the alert catalog', () => {
  it.each(Object.values(RUNBOOKS))('runbook %s exists', (runbook) => {
    expect(existsSync(join(ROOT, runbook))).toBe(true);
  });

  it.each(ALARM_KIND_NAMES)('%s has a title, a known severity, a runbook and a documented metric', (name) => {
    const kind = ALARM_KINDS[name];
    expect(kind.title.length).toBeGreaterThan(3);
    expect(ALARM_SEVERITIES).toContain(kind.severity);
    expect(Object.values(RUNBOOKS)).toContain(kind.runbook);
    expect(kind.metric.names.length).toBeGreaterThan(0);
    // Our metrics are named by METRIC: no second spelling of a metric name.
    if (kind.metric.namespace === 'project') for (const m of kind.metric.names) expect(Object.values(METRIC)).toContain(m);
  });

  it('gives page kinds that are not alarms a runbook too', () => {
    for (const kind of Object.keys(PAGE_KINDS) as (keyof typeof PAGE_KINDS)[]) expect(Object.values(RUNBOOKS)).toContain(runbookOf(kind));
    expect(runbookOf('rdb-corrupt')).toBe(RUNBOOKS.corruption);
  });

  it.each(ALARM_KIND_NAMES)('alarm names of %s read back to the same kind and suffix', (kind) => {
    expect(parseAlarmName(alarmName('prod', kind), 'prod')).toEqual({ kind });
    expect(parseAlarmName(alarmName('prod', kind, 'sessions-eu'), 'prod')).toEqual({ kind, rest: 'sessions-eu' });
    expect(parseAlarmName(alarmName('prod', kind, 'sessions'), 'staging')).toBeUndefined();
  });
});

describe('docs/alerts.md', () => {
  it('holds exactly the table generated from the catalog (npm run docs:alerts)', () => {
    const doc = readFileSync(join(ROOT, 'docs', 'alerts.md'), 'utf8');
    expect(doc).toContain(CATALOG_MARKERS.start);
    expect(doc).toBe(withCatalogTable(doc));
    for (const kind of ALARM_KIND_NAMES) expect(alertCatalogTable()).toContain(`| \`${kind}\` | ${ALARM_KINDS[kind].severity} |`);
  });

  it('refuses a doc without the markers rather than guessing where the table goes', () => {
    expect(() => withCatalogTable('# Alerts\n')).toThrow(/alert-catalog:start/);
  });
});

describe('missing data, as the catalog says it (docs/alerts.md)', () => {
  /** CloudFormation's TreatMissingData for the catalog's words of `region` (`primary`, `dr`, `vault`). */
  function treatMissingData(words: string, region: string): string {
    const perRegion = /^primary: (.*); DR: (.*)$/.exec(words);
    const said = perRegion ? (region === 'primary' ? perRegion[1]! : perRegion[2]!) : words;
    if (said.startsWith('kept')) return 'ignore';
    return said === 'not breaching' ? 'notBreaching' : said;
  }

  // The golden templates (test/fixtures/templates): every alarm of a catalog kind, in every stack.
  const dir = join(ROOT, 'test', 'fixtures', 'templates');
  const alarms = readdirSync(dir).flatMap((file) => {
    const region = file.split('.').at(-2)!;
    const template = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { Resources: Record<string, { Type: string; Properties: Record<string, string> }> };
    return Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::CloudWatch::Alarm' && typeof r.Properties.AlarmName === 'string')
      .map((r) => ({ file, region, name: r.Properties.AlarmName!, treat: r.Properties.TreatMissingData }));
  });

  it('holds in every golden template: the doc says what the alarm does between its data points (rev34)', () => {
    const wrong: string[] = [];
    let judged = 0;
    for (const a of alarms) {
      // The deployment is the name's words before the kind: the first split that parses.
      const words = a.name.split('-');
      const kind = words.map((_, i) => parseAlarmName(a.name, words.slice(2, i).join('-'))?.kind).find((k) => k !== undefined);
      if (kind === undefined) continue;
      judged++;
      const expected = treatMissingData(ALARM_KINDS[kind].doc.missingData, a.region);
      if (a.treat !== expected) wrong.push(`${a.file} ${a.name}: ${a.treat}, the catalog says ${ALARM_KINDS[kind].doc.missingData}`);
    }
    expect(judged).toBeGreaterThan(100);
    expect(wrong).toEqual([]);
  });
});
