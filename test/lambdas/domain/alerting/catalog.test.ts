import { existsSync, readFileSync } from 'node:fs';
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
