import { afterAll, describe, expect, it } from 'vitest';
import type { Template } from 'aws-cdk-lib/assertions';
import { loadConfig } from '../../lib/config/index.js';
import {
  drillRunInput,
  drillStateMachineArn,
  freshnessLimits,
  freshnessRunInput,
  pruneRunInput,
  recoveryBucketName,
  replicationRoleName,
  vaultDrillRoleNames,
} from '../../lib/deployment.js';
import { drillInputSchema } from '../../lambdas/domain/drills/drill.js';
import { exportRunInputSchema, freshnessInputSchema, pruneRunInputSchema, snapshotRunInputSchema } from '../../lambdas/domain/plans/plan-input.js';
import { copyVerificationSettingsSchema } from '../../lambdas/domain/plans/settings.js';
import { reportInputSchema } from '../../lambdas/domain/report/input.js';
import { drScrubInputSchema, SCRUB_RECORDS_PREFIX } from '../../lambdas/domain/scrub/input.js';
import { drillReaperInputSchema } from '../../lambdas/jobs/drills/drill-reaper.js';
import { DRILLS_CONFIG, stateMachineDefinition } from '../support/state-machine.js';
import { synthesize } from '../support/synth.js';

/**
 * The CLI sends and judges by lib/deployment.ts; the stacks are built from
 * it. These tests hold the two together on a synthesized deployment: what
 * `redis-dr drill run` sends is byte for byte what the schedule sends.
 */

const ACCOUNT = '111122223333';

/** Every schedule's input (Fn::Join parts with Refs rendered as the referenced bucket's name), by schedule name. */
function scheduleInputs(t: Template): Record<string, unknown>[] {
  return scheduleTargets(t).map(({ input: { scheduledTime: _tick, ...input } }) => input);
}

/**
 * Every schedule's input with what it reaches: the service name of the
 * target function (`POWERTOOLS_SERVICE_NAME`), or `state machine`.
 */
function scheduleTargets(t: Template): { reaches: string; input: Record<string, unknown> }[] {
  const resources = t.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>;
  const render = (v: unknown): string => {
    if (typeof v === 'string') return v;
    const o = v as Record<string, unknown>;
    if (o['Fn::Join']) return (o['Fn::Join'] as [string, unknown[]])[1].map(render).join((o['Fn::Join'] as [string])[0]);
    if (o.Ref) return String(resources[o.Ref as string]?.Properties.BucketName ?? `<${String(o.Ref)}>`);
    if (o['Fn::GetAtt']) return `<${(o['Fn::GetAtt'] as string[]).join('.')}>`;
    return `<${JSON.stringify(v)}>`;
  };
  const reaches = (arn: unknown): string => {
    const [id] = ((arn as Record<string, unknown>)['Fn::GetAtt'] as string[] | undefined) ?? [(arn as Record<string, unknown>).Ref as string];
    const target = resources[id!];
    if (target?.Type === 'AWS::StepFunctions::StateMachine') return 'state machine';
    return String((target?.Properties.Environment as { Variables?: Record<string, string> } | undefined)?.Variables?.POWERTOOLS_SERVICE_NAME);
  };
  return (
    Object.values(resources)
      .filter((r) => r.Type === 'AWS::Scheduler::Schedule')
      .map((r) => r.Properties.Target as { Arn: unknown; Input: unknown })
      // The Scheduler fills in the tick's time (scheduledTime); the CLI sends none.
      .map((target) => ({ reaches: reaches(target.Arn), input: JSON.parse(render(target.Input)) as Record<string, unknown> }))
  );
}

/** The schema each scheduled Lambda (or the drill state machine) parses its input with. */
const PARSERS: Record<string, { parse(input: unknown): unknown }> = {
  'redis-dr-snapshot': snapshotRunInputSchema,
  'redis-dr-prune': pruneRunInputSchema,
  'redis-dr-export': exportRunInputSchema,
  'redis-dr-freshness': freshnessInputSchema,
  'redis-dr-drill-reaper': drillReaperInputSchema,
  'redis-dr-report': reportInputSchema,
  'redis-dr-scrub': drScrubInputSchema,
  'state machine': drillInputSchema,
};

describe('lib/deployment: the schedules send what the CLI would send', () => {
  const config = loadConfig(DRILLS_CONFIG);
  const withAccount = { ...config, primary: { ...config.primary, account: ACCOUNT }, dr: { ...config.dr, account: ACCOUNT } };
  const synth = synthesize(withAccount);
  const sessions = config.plans.find((p) => p.name === 'sessions')!;
  afterAll(() => synth.cleanup());

  it('drill inputs of both regions, prune inputs and freshness inputs', () => {
    const primary = scheduleInputs(synth.primary);
    const dr = scheduleInputs(synth.dr);
    const strip = (o: object) => JSON.parse(JSON.stringify(o)) as unknown;
    expect(primary).toContainEqual(strip(drillRunInput('example', sessions, 'primary', undefined)));
    expect(dr).toContainEqual(strip(drillRunInput('example', sessions, 'dr', recoveryBucketName('example', ACCOUNT, 'eu-central-1'))));
    for (const plan of config.plans) expect(primary).toContainEqual(strip(pruneRunInput('example', plan)));
    const drFreshness = dr.find((i) => i.where === 'dr' && 'budgetSeconds' in i && Array.isArray(i.plans) && !('plan' in i));
    // The deployed monitor also takes the coverage inventory (`status --coverage` lists caches on its own).
    expect(drFreshness).toEqual({
      ...(strip(
        freshnessRunInput(
          'example',
          'dr',
          config.plans,
          recoveryBucketName('example', ACCOUNT, 'eu-central-1'),
          drFreshness?.drillStateMachineArn as string,
          drFreshness?.verifyStateMachineArn as string,
        ),
      ) as object),
      coverage: true,
      // The daily scrub's dead man's switch: its records' prefix and its schedule (whose creation starts the watch).
      scrub: { prefix: SCRUB_RECORDS_PREFIX, scheduleArn: expect.stringMatching(/^<ScrubSchedulePlanscrub[0-9A-F]+\.Arn>$/) },
    });
    // Primary: the schedule group (its creation starts snapshot protection) and each plan's snapshot schedule.
    const primaryFreshness = primary.find((i) => i.where === 'primary' && 'budgetSeconds' in i && Array.isArray(i.plans) && !('plan' in i));
    expect(primaryFreshness?.scheduleGroupArn).toMatch(/^<Schedules[0-9A-F]+\.Arn>$/);
    expect(primaryFreshness).toEqual({
      ...(strip(
        freshnessRunInput(
          'example',
          'primary',
          config.plans,
          undefined,
          primaryFreshness?.drillStateMachineArn as string,
          undefined,
          primaryFreshness?.scheduleGroupArn as string,
        ),
      ) as object),
      coverage: true,
    });
    expect((primaryFreshness!.plans as { snapshotSchedule?: unknown }[]).map((p) => p.snapshotSchedule)).toEqual(
      config.plans.map((p) => ({ cron: p.schedule.cron, timeZone: p.schedule.timeZone })),
    );
  });

  it("every schedule's input passes the parser of the Lambda it reaches, settings unchanged by the parse (the config and the Lambdas agree)", () => {
    const targets = [synth.primary, synth.dr, ...(synth.vault ? [synth.vault] : [])].flatMap(scheduleTargets);
    expect(new Set(targets.map((t) => t.reaches))).toEqual(new Set(Object.keys(PARSERS)));
    for (const { reaches, input } of targets) {
      // Scheduler's own placeholder for the tick: an ISO instant at run time.
      const sent = input.scheduledTime === '<aws.scheduler.scheduled-time>' ? { ...input, scheduledTime: '2026-11-21T02:00:00Z' } : input;
      expect(PARSERS[reaches]!.parse(sent), reaches).toEqual(sent);
    }
  });

  it("the verify task sends each plan's collapse threshold as the config has it, in the verifier's own schema", () => {
    const settings = stateMachineDefinition(synth.dr, 'verify').States.Verify!.Parameters!.settings;
    expect(copyVerificationSettingsSchema.parse(settings)).toEqual({
      collapseThresholdPct: Object.fromEntries(config.plans.filter((p) => p.export.enabled).map((p) => [p.name, p.collapseThresholdPct])),
    });
  });

  it('names and ARNs the stacks use', () => {
    expect(recoveryBucketName('prod', ACCOUNT, 'eu-west-1')).toBe(`redis-dr-prod-${ACCOUNT}-eu-west-1`);
    expect(drillStateMachineArn('prod', 'dr', 'cn-north-1', ACCOUNT, 'aws-cn')).toBe(
      `arn:aws-cn:states:cn-north-1:${ACCOUNT}:stateMachine:redis-dr-prod-dr-drill`,
    );
  });

  it('freshness limits: RPO, RPO + 2 h for copies, the drill cron’s longest gap + maxHours', () => {
    // Weekly drills (the default cron, in the plan's Europe/Berlin) with maxHours 4: the longest week
    // (7 days + 1 h, across the autumn clock change) + 4 h.
    expect(freshnessLimits(sessions, new Date('2026-11-21T00:00:00Z'))).toEqual({ recoveryPointAge: 210, copyAge: 330, lastDrillAge: 7 * 24 * 60 + 60 + 240 });
  });
});

describe('fixed IAM role names', () => {
  it('differ per region, so one deployment name deployed in two regions of one account does not collide (IAM names are account-wide)', () => {
    expect(replicationRoleName('prod', 'eu-west-1')).toBe('redis-dr-prod-replication-eu-west-1');
    expect(replicationRoleName('prod', 'eu-west-1')).not.toBe(replicationRoleName('prod', 'us-east-1'));
    expect(vaultDrillRoleNames('prod', 'eu-central-1')).toEqual({
      seedCopy: 'redis-dr-prod-vault-seed-eu-central-1',
      select: 'redis-dr-prod-vault-select-eu-central-1',
    });
    const [a, b] = [vaultDrillRoleNames('prod', 'eu-central-1'), vaultDrillRoleNames('prod', 'eu-west-1')];
    expect(new Set([a.seedCopy, a.select, b.seedCopy, b.select]).size).toBe(4);
  });

  it("fit IAM's 64 characters for the longest deployment name (24) and the longest region codes", () => {
    const name = 'a'.repeat(24);
    for (const region of ['ap-southeast-5', 'ap-northeast-3', 'eusc-de-east-1']) {
      const names = [replicationRoleName(name, region), ...Object.values(vaultDrillRoleNames(name, region))];
      for (const n of names) expect(n.length, n).toBeLessThanOrEqual(64);
    }
  });
});
