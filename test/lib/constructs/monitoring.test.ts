import { existsSync, readFileSync } from 'node:fs';
import { Template } from 'aws-cdk-lib/assertions';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { FRESHNESS_CRON } from '../../../lib/constructs/monitoring/index.js';
import { drillsIn, freshnessLimits } from '../../../lib/deployment.js';
import { ALARM_KINDS } from '../../../lambdas/domain/alerting/catalog.js';
import { parseAlarmName } from '../../../lambdas/domain/alerting/names.js';
import { loadConfig, type RedisDrConfig } from '../../../lib/config/index.js';
import { VaultStack } from '../../../lib/stacks/vault-stack.js';
import { useDrillsSynth } from '../../support/state-machine.js';
import { basicConfig, quietApp, synthesize, type Synthesized } from '../../support/synth.js';

const ROOT = join(__dirname, '..', '..', '..');

type Alarm = { id: string; props: Record<string, any> };
function alarms(template: Synthesized['primary']): Alarm[] {
  return Object.entries(template.findResources('AWS::CloudWatch::Alarm')).map(([id, a]) => ({ id, props: a.Properties }));
}
/** The catalog kind of an alarm, read with the catalog's own name format (not re-implemented here). */
function kindOf(name: string, deployment = 'example'): string {
  return parseAlarmName(name, deployment)?.kind ?? `unknown:${name}`;
}

describe('Monitoring (drills config: exports, drills and probe in both regions)', () => {
  const current = useDrillsSynth();
  let synth: Synthesized;
  let config: RedisDrConfig;
  beforeEach(() => ({ synth, config } = current()));

  it.each(['primary', 'dr'] as const)(
    '%s: every alarm has an alarm and an OK action, a runbook in its description, and the deployment in its name',
    (which) => {
      const list = alarms(synth[which]);
      expect(list.length).toBeGreaterThan(5);
      for (const { props } of list) {
        expect(props.AlarmName).toMatch(/^redis-dr-example-/);
        expect(props.AlarmActions, props.AlarmName).toHaveLength(1);
        expect(props.OKActions, props.AlarmName).toEqual(props.AlarmActions);
        const runbook = /Runbook: (docs\/runbooks\/[a-z-]+\.md)$/.exec(props.AlarmDescription)?.[1];
        expect(runbook, props.AlarmName).toBeDefined();
        expect(existsSync(join(ROOT, runbook!)), runbook).toBe(true);
      }
    },
  );

  it('pages on the freshness of every plan with missing data treated as breaching, with the RPO as threshold', () => {
    const byName = Object.fromEntries(alarms(synth.primary).map((a) => [a.props.AlarmName, a.props]));
    for (const plan of config.plans) {
      expect(byName[`redis-dr-example-recovery-point-age-${plan.name}`]).toMatchObject({
        MetricName: 'RecoveryPointAgeSeconds',
        Dimensions: [{ Name: 'Plan', Value: plan.name }],
        Threshold: plan.rpoMinutes * 60,
        TreatMissingData: 'breaching',
      });
    }
    const dr = Object.fromEntries(alarms(synth.dr).map((a) => [a.props.AlarmName, a.props]));
    expect(dr['redis-dr-example-verified-copy-age-sessions']).toMatchObject({
      TreatMissingData: 'breaching',
      Threshold: (config.plans[0]!.rpoMinutes + 120) * 60,
    });
    expect(dr['redis-dr-example-drill-age-sessions']).toMatchObject({ TreatMissingData: 'breaching', MetricName: 'LastSuccessfulDrillAgeSeconds' });
    expect(dr['redis-dr-example-rdb-corrupt']).toMatchObject({ MetricName: 'RdbCorrupt', TreatMissingData: 'notBreaching' });
  });

  it('the dead-man alarms: thresholds of the freshness limits, missing data breaching (the monitor emits from its first run, grace included)', () => {
    const primary = Object.fromEntries(alarms(synth.primary).map((a) => [a.props.AlarmName, a.props]));
    const dr = Object.fromEntries(alarms(synth.dr).map((a) => [a.props.AlarmName, a.props]));
    const deadMen = (plan: RedisDrConfig['plans'][number]) => {
      const limits = freshnessLimits(plan);
      const exports = plan.export.enabled;
      return [
        [true, primary, `recovery-point-age-${plan.name}`, 'RecoveryPointAgeSeconds', limits.recoveryPointAge],
        [exports, primary, `exported-copy-age-${plan.name}`, 'ExportedCopyAgeSeconds', limits.copyAge],
        [exports, dr, `verified-copy-age-${plan.name}`, 'VerifiedCopyAgeSeconds', limits.copyAge],
        [drillsIn(plan, 'primary'), primary, `drill-age-${plan.name}`, 'LastSuccessfulDrillAgeSeconds', limits.lastDrillAge],
        [drillsIn(plan, 'dr'), dr, `drill-age-${plan.name}`, 'LastSuccessfulDrillAgeSeconds', limits.lastDrillAge],
      ] as const;
    };
    let checked = 0;
    for (const plan of config.plans) {
      for (const [present, region, kind, metric, minutes] of deadMen(plan)) {
        if (!present) {
          expect(region[`redis-dr-example-${kind}`], kind).toBeUndefined();
          continue;
        }
        checked += 1;
        expect(region[`redis-dr-example-${kind}`], kind).toMatchObject({
          MetricName: metric,
          Dimensions: [{ Name: 'Plan', Value: plan.name }],
          Statistic: 'Maximum',
          Threshold: minutes * 60,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          EvaluationPeriods: 1,
          TreatMissingData: 'breaching',
        });
      }
    }
    // All five kinds for the plan that exports and drills in both regions.
    expect(checked).toBeGreaterThanOrEqual(6);
  });

  it('the freshness monitor knows when protection started: the drill and verify state machines and (primary) the schedule group, in its input, readable by its role only', () => {
    const freshnessInput = (which: 'primary' | 'dr') => {
      const schedule = Object.values(synth[which].findResources('AWS::Scheduler::Schedule')).find((s) => /freshness monitor/.test(s.Properties.Description))!;
      return JSON.stringify(schedule.Properties.Target.Input);
    };
    const stateMachine = (which: 'primary' | 'dr', name: RegExp) =>
      Object.entries(synth[which].findResources('AWS::StepFunctions::StateMachine')).find(([, sm]) =>
        name.test(JSON.stringify(sm.Properties.StateMachineName)),
      )![0];
    const drills = { primary: stateMachine('primary', /primary-drill/), dr: stateMachine('dr', /dr-drill/) };
    const verify = stateMachine('dr', /verify-rdb/);
    expect(freshnessInput('dr')).toMatch(new RegExp(`verifyStateMachineArn\\\\":\\\\"",\\{"Ref":"${verify}"\\}`));
    expect(freshnessInput('dr')).toMatch(new RegExp(`drillStateMachineArn\\\\":\\\\"",\\{"Ref":"${drills.dr}"\\}`));
    expect(freshnessInput('primary')).not.toContain('verifyStateMachineArn');
    for (const [which, arns] of [
      ['primary', [drills.primary]],
      ['dr', [drills.dr, verify]],
    ] as const) {
      const statements = Object.values(synth[which].findResources('AWS::IAM::Policy')).flatMap(
        (p) => p.Properties.PolicyDocument.Statement as Record<string, any>[],
      );
      const describe = statements.filter((st) => JSON.stringify(st.Action).includes('states:DescribeStateMachine'));
      expect(describe, which).toEqual([expect.objectContaining({ Sid: 'ProtectionStart', Effect: 'Allow', Action: 'states:DescribeStateMachine' })]);
      const resources = [describe[0]!.Resource].flat().map((r: { Ref: string }) => r.Ref);
      expect(resources.sort(), which).toEqual([...arns].sort());
      // Snapshots (primary): the schedule group's creation, GetScheduleGroup on that group only.
      const group = Object.keys(synth[which].findResources('AWS::Scheduler::ScheduleGroup'))[0]!;
      const getGroup = statements.filter((st) => JSON.stringify(st.Action).includes('scheduler:GetScheduleGroup'));
      expect(getGroup, which).toEqual(
        which === 'primary' ? [expect.objectContaining({ Sid: 'SnapshotProtectionStart', Resource: { 'Fn::GetAtt': [group, 'Arn'] } })] : [],
      );
    }
    expect(freshnessInput('primary')).toContain('scheduleGroupArn');
    expect(freshnessInput('dr')).not.toContain('scheduleGroupArn');
  });

  it("sends every alarm through the formatter, except the formatter's own errors, which go to the topic", () => {
    for (const which of ['primary', 'dr'] as const) {
      const formatter = Object.entries(synth[which].findResources('AWS::Lambda::Function')).find(([, f]) => /turn alarms/.test(f.Properties.Description))![0];
      for (const { props } of alarms(synth[which])) {
        const action = JSON.stringify(props.AlarmActions[0]);
        if (props.AlarmName === 'redis-dr-example-lambda-errors-formatter') expect(action).toMatch(/AlertsTopic/);
        else expect(action, props.AlarmName).toContain(formatter);
      }
    }
  });

  it('runs the freshness monitor every 5 minutes in both regions with the plans it measures', () => {
    for (const [which, where] of [
      ['primary', 'primary'],
      ['dr', 'dr'],
    ] as const) {
      const schedule = Object.values(synth[which].findResources('AWS::Scheduler::Schedule')).find((s) => /freshness monitor/.test(s.Properties.Description))!;
      expect(schedule.Properties.ScheduleExpression).toBe(FRESHNESS_CRON);
      expect(JSON.stringify(schedule.Properties.Target.Input)).toContain(`\\"where\\":\\"${where}\\"`);
    }
  });

  it('pages on a drill over its RTO objective and on failed replications (metrics on in this config)', () => {
    const primary = Object.fromEntries(alarms(synth.primary).map((a) => [a.props.AlarmName, a.props]));
    expect(primary['redis-dr-example-drill-rto-sessions']).toMatchObject({
      MetricName: 'DrillRtoSeconds',
      Dimensions: [
        { Name: 'Plan', Value: 'sessions' },
        { Name: 'Region', Value: 'eu-west-1' },
      ],
      Threshold: config.plans[0]!.drill.rtoMinutes * 60 + 1,
    });
    expect(primary['redis-dr-example-replication-failed']).toMatchObject({
      Namespace: 'AWS/S3',
      MetricName: 'OperationsFailedReplication',
      TreatMissingData: 'notBreaching',
    });
    expect(JSON.stringify(primary['redis-dr-example-replication-failed'].Dimensions)).toContain('"RuleId","Value":"to-dr-region"');
  });

  it.each(['primary', 'dr'] as const)("%s: a recovery dashboard with each plan's ages against its RPO and the alarms", (which) => {
    const dashboards = Object.values(synth[which].findResources('AWS::CloudWatch::Dashboard'));
    expect(dashboards).toHaveLength(1);
    expect(dashboards[0]!.Properties.DashboardName).toBe(`redis-dr-example-${which}`);
    const body = JSON.stringify(dashboards[0]!.Properties.DashboardBody);
    expect(body).toContain(which === 'primary' ? 'RecoveryPointAgeSeconds' : 'VerifiedCopyAgeSeconds');
    expect(body).toContain(`RPO ${config.plans[0]!.rpoMinutes} min`);
    expect(body).toContain('DrillRtoSeconds');
    expect(body).toContain('alarm');
  });

  it.each(['primary', 'dr'] as const)("%s: every alarm is of a catalog kind, and names that kind's runbook", (which) => {
    for (const { props } of alarms(synth[which])) {
      const parsed = parseAlarmName(props.AlarmName, 'example');
      expect(parsed, props.AlarmName).toBeDefined();
      expect(props.AlarmDescription, props.AlarmName).toMatch(new RegExp(`Runbook: ${ALARM_KINDS[parsed!.kind].runbook}$`));
    }
  });

  it('alarms per plan on snapshot deletions that fail and on snapshots nobody can prove ours', () => {
    const byName = Object.fromEntries(alarms(synth.primary).map((a) => [a.props.AlarmName, a.props]));
    for (const plan of config.plans) {
      expect(byName[`redis-dr-example-prune-failed-${plan.name}`]).toMatchObject({
        MetricName: 'SnapshotDeleteFailed',
        Dimensions: [{ Name: 'Plan', Value: plan.name }],
        Threshold: 1,
      });
      expect(byName[`redis-dr-example-snapshots-untagged-${plan.name}`]).toMatchObject({
        MetricName: 'SnapshotsUntagged',
        Dimensions: [{ Name: 'Plan', Value: plan.name }],
        Threshold: 1,
        // Counted once per prune run: between runs the state holds (not breaching resolved it 5 min after each run).
        TreatMissingData: 'ignore',
      });
      expect(byName[`redis-dr-example-prune-held-${plan.name}`]).toMatchObject({ MetricName: 'PruneHeld', TreatMissingData: 'ignore' });
    }
  });

  it('pages per plan on a keyspace collapse (KeyspaceCollapsed by Plan, max, >= 1) with the collapse runbook', () => {
    const byName = Object.fromEntries(alarms(synth.primary).map((a) => [a.props.AlarmName, a.props]));
    for (const plan of config.plans) {
      expect(byName[`redis-dr-example-keyspace-collapsed-${plan.name}`]).toMatchObject({
        MetricName: 'KeyspaceCollapsed',
        Dimensions: [{ Name: 'Plan', Value: plan.name }],
        Statistic: 'Maximum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        // Measured once per snapshot run: between runs the state holds (not breaching resolved the page 5 min after each run).
        TreatMissingData: 'ignore',
        AlarmDescription: expect.stringMatching(/Runbook: docs\/runbooks\/keyspace-collapse\.md$/),
      });
    }
  });

  it('pages in the DR region on a collapsed DR copy (KeyspaceCollapsed by Bucket, max, >= 1)', () => {
    const found = alarms(synth.dr).filter((a) => a.props.AlarmName === 'redis-dr-example-keyspace-collapsed');
    expect(found).toHaveLength(1);
    expect(found[0]!.props).toMatchObject({
      MetricName: 'KeyspaceCollapsed',
      Statistic: 'Maximum',
      Threshold: 1,
      Dimensions: [{ Name: 'Bucket', Value: expect.anything() }],
    });
  });

  it.each(['primary', 'dr'] as const)('%s: the dashboard shows every alarm of the region, those of functions watched last included', (which) => {
    const dashboards = Object.values(synth[which].findResources('AWS::CloudWatch::Dashboard'));
    expect(dashboards).toHaveLength(1);
    const body = JSON.stringify(dashboards[0]!.Properties.DashboardBody);
    const list = alarms(synth[which]);
    for (const { id } of list) expect(body, id).toContain(id);
    expect(list.some((a) => a.props.AlarmName.startsWith('redis-dr-example-lambda-errors-'))).toBe(true);
  });

  it.each(['primary', 'dr'] as const)(
    '%s: pages (warning) when UnprotectedCaches stays >= 1 for a whole day; the monitor asks for coverage and may list caches, read only',
    (which) => {
      const byName = Object.fromEntries(alarms(synth[which]).map((a) => [a.props.AlarmName, a.props]));
      expect(byName['redis-dr-example-unprotected-caches']).toMatchObject({
        MetricName: 'UnprotectedCaches',
        Namespace: config.metricsNamespace,
        Statistic: 'Minimum',
        Period: 86_400,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
      expect(byName['redis-dr-example-unprotected-caches']!.Dimensions).toBeUndefined();
      expect(ALARM_KINDS['unprotected-caches'].severity).toBe('warning');
      const schedule = Object.values(synth[which].findResources('AWS::Scheduler::Schedule')).find((s) => /freshness monitor/.test(s.Properties.Description))!;
      expect(JSON.stringify(schedule.Properties.Target.Input)).toContain('\\"coverage\\":true');
      const statements = Object.values(synth[which].findResources('AWS::IAM::Policy')).flatMap(
        (p) => p.Properties.PolicyDocument.Statement as Record<string, any>[],
      );
      expect(statements.filter((st) => st.Sid === 'ListCaches')).toEqual([
        { Sid: 'ListCaches', Effect: 'Allow', Action: ['elasticache:DescribeReplicationGroups', 'elasticache:DescribeServerlessCaches'], Resource: '*' },
      ]);
    },
  );

  it('docs/alerts.md lists every alarm kind the templates contain, and only those', () => {
    const doc = readFileSync(join(ROOT, 'docs', 'alerts.md'), 'utf8');
    const documented = new Set([...doc.matchAll(/^\| `([a-z-]+)` \|/gm)].map((m) => m[1]!));
    // The vault's kinds come from its own stack (config vault), synthesized alone.
    const app = quietApp();
    const vaultConfig = loadConfig(join(ROOT, 'test', 'fixtures', 'config', 'vault.json'));
    const vault = Template.fromStack(
      new VaultStack(app, 'Vault', { config: vaultConfig, vault: vaultConfig.vault!, env: { account: '222222222222', region: 'eu-central-1' } }),
    );
    const deployed = new Set([
      ...[...alarms(synth.primary), ...alarms(synth.dr)].map((a) => kindOf(a.props.AlarmName)),
      ...alarms(vault).map((a) => kindOf(a.props.AlarmName, vaultConfig.name)),
    ]);
    expect([...deployed].sort()).toEqual([...documented].sort());
  });
});

describe('Monitoring: coverage.alarm false', () => {
  it('deploys no unprotected-caches alarm in either region (the monitor still counts)', () => {
    const config = basicConfig();
    const synth = synthesize({ ...config, coverage: { alarm: false } });
    try {
      for (const which of ['primary', 'dr'] as const) {
        expect(alarms(synth[which]).map((a) => a.props.AlarmName)).not.toContain('redis-dr-example-unprotected-caches');
        expect(alarms(synth[which]).length).toBeGreaterThan(3);
      }
      // On by default.
      expect(config.coverage.alarm).toBe(true);
    } finally {
      synth.cleanup();
    }
  });
});
