/**
 * The report separates scheduled from manual drills (issue 58, "drills for
 * auditors"): the summary counts each, the drills table says who started a
 * manual one and which older point a random draw restored, drills.csv has
 * the same in columns of their own; an execution says how it was started.
 */
import { describe, expect, it } from 'vitest';
import { drillTriggerOf } from '../../../../lambdas/domain/points/freshness.js';
import { buildReport } from '../../../../lambdas/domain/report/build.js';
import type { DrillFact } from '../../../../lambdas/domain/report/model.js';
import { reportCsv, reportHtml, triggerSummary } from '../../../../lambdas/domain/report/render.js';
import { monthOfFacts } from '../../../support/report-facts.js';

const ALICE = 'arn:aws:sts::111122223333:assumed-role/ops-admin/alice';

/** The month of facts with its drills marked: the first manual by Alice, a random draw; the rest scheduled. */
function facts() {
  const f = monthOfFacts();
  const drills: DrillFact[] = f.drills.map((d, i) =>
    i === 0
      ? { ...d, trigger: 'manual', startedBy: ALICE, point: 'rdr-sessions-prod-20261001-0200', pointSelection: 'random' }
      : { ...d, trigger: 'scheduled', point: `rdr-${d.cache}-point-${i}` },
  );
  return { ...f, drills };
}

describe('scheduled and manual drills in the report', () => {
  it('the summary counts each kind, and says when the start is not known', () => {
    const d = (trigger?: DrillFact['trigger']) => ({ trigger }) as DrillFact;
    expect(triggerSummary([d('scheduled'), d('scheduled'), d('manual')])).toBe('2 scheduled, 1 manual');
    expect(triggerSummary([d('scheduled'), d(undefined)])).toBe('1 scheduled, 0 manual, 1 not known');
  });

  it('the drills table names who started a manual drill and the random point; the summary line splits them', () => {
    const html = reportHtml(buildReport(facts()));
    expect(html).toContain('<th scope="col">started by</th>');
    expect(html).toContain(`manual: ${ALICE}; random older point rdr-sessions-prod-20261001-0200`);
    expect(html).toMatch(/drill\(s\), \d+ passed \(\d+ scheduled, 1 manual\)/);
  });

  it('drills.csv carries trigger, started_by, point and point_selection', () => {
    const rows = reportCsv(buildReport(facts()))['drills.csv']!.split('\r\n').filter(Boolean);
    expect(rows[0]!.endsWith(',trigger,started_by,point,point_selection')).toBe(true);
    expect(rows.some((r) => r.endsWith(`,manual,${ALICE},rdr-sessions-prod-20261001-0200,random`))).toBe(true);
    expect(rows.filter((r) => /,scheduled,,rdr-[^,]+,newest$/.test(r)).length).toBe(rows.length - 2);
  });
});

describe('drillTriggerOf', () => {
  const arn = (name: string) => `arn:aws:states:eu-west-1:111122223333:execution:redis-dr-prod-primary-drill:${name}`;
  it('a drill whose input names who started it is manual, by them', () => {
    expect(drillTriggerOf({ executionArn: arn('cli-sessions-20261121T100000Z'), input: JSON.stringify({ plan: 'sessions', startedBy: ALICE }) })).toEqual({
      trigger: 'manual',
      startedBy: ALICE,
    });
  });
  it("one the CLI or the selftest named (before drills recorded who) is manual; the schedule's is scheduled", () => {
    expect(drillTriggerOf({ executionArn: arn('cli-sessions-20261101T100000Z'), input: '{"plan":"sessions"}' })).toEqual({ trigger: 'manual' });
    expect(drillTriggerOf({ executionArn: arn('selftest-sessions-20261101T100000Z'), input: '{}' })).toEqual({ trigger: 'manual' });
    expect(drillTriggerOf({ executionArn: arn('3f6c1e0a-6a4b-4c1e-9d2f-0e1b2c3d4e5f'), input: '{"plan":"sessions"}' })).toEqual({ trigger: 'scheduled' });
  });
});
