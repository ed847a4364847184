import { describe, expect, it } from 'vitest';
import { DrReport } from '../../../lib/constructs/dr-report.js';
import { REPORT_SCHEDULES } from '../../../lib/deployment.js';
import { exampleConfig, synthesize } from '../../support/synth.js';

/** The scheduled report function of the DR stack (lib/constructs/dr-report.ts), in the example's synth. */

type Json = Record<string, any>;

function reportSchedules(dr: ReturnType<typeof synthesize>['dr']): Json[] {
  return Object.values(dr.findResources('AWS::Scheduler::Schedule')).filter((s: Json) => /DR report/.test(String(s.Properties.Description)));
}

describe('DrReport (DR stack)', () => {
  it('schedules the weekly and the monthly report, each with its period and the report input, in UTC', () => {
    const synth = synthesize(exampleConfig());
    const schedules = reportSchedules(synth.dr);
    expect(schedules.map((s) => s.Properties.ScheduleExpression).sort()).toEqual([REPORT_SCHEDULES.monthly, REPORT_SCHEDULES.weekly].sort());
    for (const s of schedules) {
      expect(s.Properties.ScheduleExpressionTimezone).toBe('UTC');
      const input = JSON.stringify(s.Properties.Target.Input);
      expect(input).toMatch(/\\"period\\":\\"(weekly|monthly)\\"/);
      expect(input).toContain('\\"alarmPrefix\\":\\"redis-dr-example-\\"');
    }
    expect(synth.stacks.dr.report).toBeInstanceOf(DrReport);
  });

  it('writes only under reports/ of the DR bucket, and reads no object data but the verdicts and copy versions', () => {
    const synth = synthesize(exampleConfig());
    const role = Object.values(synth.dr.findResources('AWS::IAM::Role')).find((r: Json) => r.Properties.Description === 'redis-dr report function') as Json;
    expect(role).toBeDefined();
    const policies = Object.values(synth.dr.findResources('AWS::IAM::Policy')).filter((p: Json) =>
      JSON.stringify(p.Properties.Roles).includes(
        JSON.stringify(Object.keys(synth.dr.findResources('AWS::IAM::Role')).find((id) => synth.dr.toJSON().Resources[id] === role) ?? ''),
      ),
    );
    const statements = policies.flatMap((p: Json) => p.Properties.PolicyDocument.Statement as Json[]);
    const of = (action: string) => statements.filter((s) => [s.Action].flat().includes(action));
    expect(of('s3:PutObject')).toHaveLength(1);
    expect(JSON.stringify(of('s3:PutObject')[0]!.Resource)).toMatch(/\/reports\/\*"\]\]\}$/);
    // GetObject: its own reports, and the DR verifier's verdict objects with each copy's version (HeadObject) they name.
    const reads = of('s3:GetObject').map((st) => JSON.stringify(st.Resource));
    const verdictReads = JSON.stringify(
      ['/*.rdb', '/redis-dr-verdicts/*'].map((p) => ({ 'Fn::Join': ['', [{ 'Fn::GetAtt': ['CopiesBucket6E8469CA', 'Arn'] }, p]] })),
    );
    expect(reads.sort()).toEqual([JSON.stringify(of('s3:PutObject')[0]!.Resource), verdictReads].sort());
    // Besides its own logs and traces, nothing it may create, start, delete or change; but removing one of its own
    // files that did not read back (a delete marker: the DR bucket is versioned), under reports/ only.
    const actions = statements.flatMap((s) => [s.Action].flat().map(String)).filter((a) => !/^(logs|xray):/.test(a));
    expect(actions.filter((a) => /Delete|Create|Start|Put(?!Object$)|Modify|:(Un)?Tag/.test(a))).toEqual(['s3:DeleteObject']);
    expect(of('s3:DeleteObject').map((st) => JSON.stringify(st.Resource))).toEqual([JSON.stringify(of('s3:PutObject')[0]!.Resource)]);
  });

  it('schedules nothing with report.periods []', () => {
    const config = exampleConfig();
    const synth = synthesize({ ...config, name: 'noreports', report: { periods: [] } });
    expect(reportSchedules(synth.dr)).toEqual([]);
  });
});
