/**
 * `redis-dr selftest`: the pipeline once, in the account, step by step
 * (docs/deploying.md, "Day 1"): preflight (doctor's checks that matter
 * for the run, by the doctor job: AWS reached, both stacks deployed, the
 * buckets and targets), per plan a recovery point now (the snapshot job;
 * `--canary`: of a throwaway cache, ./canary.ts), its export, replication to the DR region (and the vault)
 * and the DR verifier's verdict (the export job), a drill in each drilled
 * region (the deployed state machines), the alert path of each region (a
 * TEST message through the formatter), and the summary record in the DR
 * bucket. A failed step names its cause and fix; what needed it is skipped.
 *
 * Safe to rerun: it takes snapshots (kept under the plan's retention, as a
 * scheduled one) and exports them; drills delete their clusters themselves.
 * An error that means AWS is no longer reachable ends the run (`fatal`);
 * `changed` has said by then whether anything was done.
 */
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { SNSClient } from '@aws-sdk/client-sns';
import { countChecks, type DoctorCheck, type DoctorSection } from '../../domain/doctor/check.js';
import { type DoctorClients, type DoctorInput, doctorClients, runDoctorChecks } from '../doctor/checks.js';
import { drillReportOf } from '../../adapters/aws/drill-history.js';
import { startExecution } from '../../adapters/aws/executions.js';
import { ServiceClients } from '../../adapters/aws/service-clients.js';
import { formatSnapshotName } from '../../domain/plans/naming.js';
import type { SelftestInput, SelftestPlan } from '../../domain/selftest/input.js';
import type { SelftestStep } from '../../domain/selftest/steps.js';
import { exportRecoveryPoint } from '../on-demand/export-now.js';
import { executionName, followExecution } from '../on-demand/executions.js';
import { type OperatorAws, type WaitOptions, WaitTimedOutError } from '../kernel/operator.js';
import { takeRecoveryPoints } from '../on-demand/snapshot-now.js';
import { withCanary } from './canary.js';
import { SelftestRunner, StepFailedError, type StepOutcome } from './runner.js';
import { integrationsStep } from './pages-step.js';
import { type AlertTopic, alertPathStep, recordStep } from './shared-steps.js';
import { RUNBOOKS } from '../../domain/alerting/catalog.js';
import { accountRegionPrefix } from '../../domain/points/account-prefix.js';

/** The operator's access, with the CloudFormation and SNS clients the selftest also reads (made here when not given). */
export interface SelftestAws extends OperatorAws {
  cloudformation?(region: string): CloudFormationClient;
  sns?(region: string): SNSClient;
  lambda?(region: string): LambdaClient;
}

/** How the run waits, and what it says while it runs. */
export interface SelftestOptions {
  /** Seconds between looks while waiting. */
  readonly pollSeconds: number;
  /** Minutes each wait may last (a snapshot, an export, a verdict, a drill). */
  readonly timeoutMinutes: number;
  /** Said while a step waits (live progress). */
  readonly onStatus?: (status: string) => void;
  readonly onStart?: (step: string, region: string) => void;
  readonly onStep?: (row: SelftestStep) => void;
  /**
   * Errors of the preflight that end the run instead of failing a step (the
   * CLI: AWS not reachable, no credentials; nothing was done yet): rethrown.
   */
  readonly fatal?: (err: unknown) => boolean;
  /** Doctor's expectations of the deployment (lambdas/jobs/doctor/expectations.ts `doctorInput`): the preflight checks them. */
  readonly preflight: Omit<DoctorInput, 'now' | 'only'>;
  /** Said when the run first changes something (a recovery point, the canary): an error that ends the run later is then no longer "nothing done". */
  readonly changed?: (what: string) => void;
}

/** What the run came to. */
export interface SelftestReport {
  readonly deployment: string;
  readonly regions: SelftestInput['regions'];
  readonly startedAt: string;
  readonly verdict: 'passed' | 'failed';
  readonly steps: readonly SelftestStep[];
  /** The summary record's key in the DR bucket, when it was stored. */
  readonly record?: string;
}

const OPERATOR = "the operator's credentials";

/** Runs the selftest (see the module comment). Never throws for a failed step: the report says which and why. */
export async function runSelftest(input: SelftestInput, aws: SelftestAws, o: SelftestOptions): Promise<SelftestReport> {
  const services = new ServiceClients();
  const sns = (r: string) => aws.sns?.(r) ?? services.sns(r);
  const startedAt = new Date(aws.clock.now());
  const runner = new SelftestRunner({ now: () => aws.clock.now(), ...(o.onStart ? { onStart: o.onStart } : {}), ...(o.onStep ? { onStep: o.onStep } : {}) });
  const wait: WaitOptions = { pollSeconds: o.pollSeconds, timeoutMinutes: o.timeoutMinutes, ...(o.onStatus ? { onStatus: o.onStatus } : {}) };
  const log = aws.deps(input.primaryRegion).log;

  // 1. Preflight: doctor's checks of what the run needs (the doctor job itself, not a copy of it).
  const clients: DoctorClients = { ...doctorClients(aws), ...(aws.cloudformation ? { cloudformation: aws.cloudformation } : {}), sns };
  // Drills are sized against the newest point; before the run takes one, that sizing says only "unknown".
  const regions = o.preflight.regions.map((r) => ({ ...r, targets: r.targets.map(({ drills: _sizedLater, ...t }) => t) }));
  const checked = await runDoctorChecks({ ...o.preflight, regions, now: startedAt, only: PREFLIGHT_SECTIONS }, clients);
  // AWS not reachable at all (or no credentials): nothing was done, the caller ends the run.
  const fatal = checked.unreachable.find((u) => o.fatal?.(u.error));
  if (fatal) throw fatal.error;
  const topics: AlertTopic[] = checked.topics.filter((t) => input.regions === 'both' || input.regions === t.where);
  let ready = true;
  for (const r of o.preflight.regions) {
    const ok = await runner.step(`preflight ${r.stackName}`, r.region, { who: OPERATOR, fix: 'run `redis-dr doctor` for the details' }, async () =>
      preflightOutcome(checked.checks.filter((c) => c.region === r.region || c.region === null)),
    );
    if (!ok) ready = false;
  }

  const ctx: PlanRun = { input, aws, runner, wait, ...(o.fatal ? { fatal: o.fatal } : {}), ...(o.changed ? { changed: o.changed } : {}) };
  for (const plan of input.plans) {
    if (!ready) {
      runner.skip(`plan ${plan.plan}`, input.primaryRegion, 'preflight failed');
      continue;
    }
    const canary = input.canary;
    if (!canary) {
      const taken = await pointSteps(plan, ctx);
      await drillSteps(plan, ctx, taken);
      continue;
    }
    if (canary.plan === plan.plan) {
      await withCanary(
        {
          canary,
          region: input.primaryRegion,
          deployment: input.deployment,
          aws,
          runner,
          wait,
          who: OPERATOR,
          ...(o.fatal ? { fatal: o.fatal } : {}),
          ...(o.changed ? { created: o.changed } : {}),
        },
        async (took) => {
          await pointSteps(canaryPlan(plan, canary.id), ctx, canary.knownKeys, took);
        },
      );
    }
    // The other plans take no point of their own under --canary (the canary's stands in, by design): no step is
    // listed for them, as a skipped step would fail the run; their drills below run all the same.
    // The drills restore each plan's own newest points, never the canary's: they run whatever the canary came to.
    await drillSteps(plan, ctx, { point: undefined, copyOk: true, drillsOnly: true });
  }

  if (ready) {
    for (const topic of topics) {
      await alertPathStep(runner, topic, { deployment: input.deployment, sns: sns(topic.region), log, startedAt, who: OPERATOR });
      // alerts.integrations: the TEST page through the region's page router, one answer per integration.
      if (topic.pageRouterArn)
        await integrationsStep(
          runner,
          { where: topic.where ?? topic.region, region: topic.region, functionArn: topic.pageRouterArn },
          { lambda: aws.lambda?.(topic.region) ?? services.lambda(topic.region), startedAt, who: OPERATOR },
        );
    }
  }

  const record = await recordStep(runner, {
    s3: aws.s3(input.drRegion),
    bucket: input.drBucket,
    region: input.drRegion,
    deployment: input.deployment,
    regions: input.regions,
    startedAt,
    now: () => new Date(aws.clock.now()),
    who: OPERATOR,
    stacks: checked.stacks,
    ...(input.orgEvidence ? { orgRoot: accountRegionPrefix(input.orgEvidence.account, input.drRegion) } : {}),
  });
  return {
    deployment: input.deployment,
    regions: input.regions,
    startedAt: startedAt.toISOString(),
    verdict: runner.verdict,
    steps: runner.steps,
    ...(record ? { record } : {}),
  };
}

/** What one run of the plans' steps shares. */
interface PlanRun {
  readonly input: SelftestInput;
  readonly aws: SelftestAws;
  readonly runner: SelftestRunner;
  readonly wait: WaitOptions;
  readonly fatal?: (err: unknown) => boolean;
  readonly changed?: (what: string) => void;
}

/** What the point steps came to: the snapshot taken, and whether its DR copy was verified. */
interface Taken {
  readonly point: string | undefined;
  readonly copyOk: boolean;
  /** The drills run without a point of this run (`--canary`: each plan's own newest). */
  readonly drillsOnly?: boolean;
}

/** A plan's steps as the canary's: its snapshot and export inputs, on the canary cache. */
function canaryPlan(plan: SelftestPlan, id: string): SelftestPlan {
  return {
    ...plan,
    target: { kind: 'replication-group', id },
    snapshot: { ...plan.snapshot, targets: { replicationGroupIds: [id], serverlessCacheNames: [], selectByTags: {} } },
  };
}

/** Runs a step of a plan: a wait that gave up is explained; errors that end the run are rethrown. */
function planStep<T>(ctx: PlanRun, label: string, region: string, fix: string, body: () => Promise<StepOutcome<T>>): Promise<T | undefined> {
  return ctx.runner.step<T>(label, region, { who: OPERATOR, fix, ...(ctx.fatal ? { rethrow: ctx.fatal } : {}) }, async () => {
    try {
      return await body();
    } catch (err) {
      throw asStepFailure(err);
    }
  });
}

/** The keys the DR verifier counted in each copy (`v11 keys=1000`), where it says. */
function countedKeys(rdb: string | undefined): number | undefined {
  const m = /keys=(\d+)/.exec(rdb ?? '');
  return m ? Number(m[1]) : undefined;
}

/** One plan's point: snapshot → export → replication → verdict (`knownKeys`: what the DR verifier must count, the canary's). */
async function pointSteps(plan: SelftestPlan, ctx: PlanRun, knownKeys?: number, took?: (point: string) => void): Promise<Taken> {
  const { input, aws, wait } = ctx;
  const primary = input.primaryRegion;
  const name = `${plan.plan}/${plan.target?.id ?? '(tag selection)'}`;

  const points = await planStep(ctx, `snapshot ${name}`, primary, `see ${RUNBOOKS.backupsStopped}`, async () => {
    ctx.changed?.(`started taking a recovery point of ${name}`);
    // A canary's snapshot is named before it is asked for: whatever comes of the call (a failed snapshot, a wait
    // that gives up while it is still being created, an error), the cleanup knows what to look for and delete.
    const at = new Date(aws.clock.now());
    if (took && plan.target) took(formatSnapshotName(plan.target.id, at));
    const r = await takeRecoveryPoints({ run: plan.snapshot, region: primary, wait: true, at }, aws, wait);
    if (!r.ok || r.points.length === 0) {
      const why = r.points.find((x) => x.status !== 'available')?.error ?? (r.problems.join('; ') || 'no recovery point');
      throw new StepFailedError(`snapshot of plan ${plan.plan} failed: ${why}`, `see ${RUNBOOKS.backupsStopped}`);
    }
    return {
      value: r.points,
      detail: r.points
        .map((p) => `${p.snapshot} ${p.status} (${p.outcome}, tier ${p.tier ?? '?'}${p.keys !== undefined ? `, ${p.keys} keys` : ', key count: no probe'})`)
        .join('; '),
    };
  });
  if (!points) return { point: undefined, copyOk: false };

  let copyOk = true;
  // Every point the plan took is exported and verified (a tag selection takes one per cache it selects), each its own step.
  for (const point of plan.export ? points : []) {
    // Each point's own cache (a plan of several caches takes one point per cache).
    const target = { kind: point.kind, id: point.target };
    const label = points.length > 1 ? `export ${plan.plan}/${point.target}` : `export ${name}`;
    const exported = await planStep(ctx, label, primary, `see ${RUNBOOKS.drCopies}`, async () => {
      const r = await exportRecoveryPoint(
        {
          run: plan.export!,
          target,
          point: point.snapshot,
          primaryRegion: primary,
          drRegion: input.drRegion,
          drBucket: input.drBucket,
          wait: true,
          vault: input.vault,
        },
        aws,
        wait,
      );
      if (!r.ok)
        throw new StepFailedError(r.problem ?? 'export failed', r.problem?.includes('corrupt') ? `see ${RUNBOOKS.corruption}` : `see ${RUNBOOKS.drCopies}`);
      const c = r.copies;
      if (knownKeys !== undefined) {
        const counted = c.map((x) => countedKeys(x.rdb));
        if (counted.some((k) => k !== knownKeys))
          throw new StepFailedError(
            `the DR verifier counted ${counted.map((k) => k ?? '?').join(', ')} key(s) in the canary's copy; it holds ${knownKeys}`,
            `see ${RUNBOOKS.corruption}: the copy does not hold what was snapshotted`,
          );
      }
      return {
        value: r,
        detail:
          `${c.length} object(s) s3://${r.exportBucket}/${r.exportName}-*: replicated to ${r.drBucket}${input.vault ? ' and the vault' : ''} (${c.map((x) => x.replication).join(', ')}); ` +
          `DR verifier: ${c.map((x) => `${x.verdict}${x.rdb ? ` (${x.rdb})` : ''}`).join(', ')}${knownKeys !== undefined ? `; the canary's ${knownKeys} keys counted` : ''}`,
      };
    });
    if (exported === undefined) copyOk = false;
  }
  return { point: points[0]!.snapshot, copyOk };
}

/** A plan's drills (the DR drill only with a verified DR copy of this run, unless the run takes none for the plan). */
async function drillSteps(plan: SelftestPlan, ctx: PlanRun, taken: Taken): Promise<void> {
  const { aws, runner, wait } = ctx;
  for (const d of plan.drills) {
    if (!taken.drillsOnly && !taken.point) {
      runner.skip(`drill ${plan.plan} ${d.where}`, d.region, 'the snapshot step failed');
      continue;
    }
    if (d.where === 'dr' && !taken.copyOk) {
      runner.skip(`drill ${plan.plan} ${d.where}`, d.region, 'no verified DR copy of this run (the export step failed)');
      continue;
    }
    await planStep(ctx, `drill ${plan.plan} ${d.where}`, d.region, `see ${RUNBOOKS.restoreDrill}`, async () => {
      const sfn = aws.sfn(d.region);
      const arn = await startExecution(sfn, d.stateMachineArn, executionName(`selftest-${plan.plan}`, new Date(aws.clock.now())), d.input);
      // A drill takes tens of minutes: it gets four times the other waits.
      const ended = await followExecution(sfn, arn, aws.clock, { ...wait, timeoutMinutes: wait.timeoutMinutes * 4 }, `drill ${plan.plan} ${d.where}`);
      const { report } = await drillReportOf(sfn, { executionArn: arn, status: ended.status ?? 'UNKNOWN', output: ended.output });
      const rto = typeof report?.rtoSeconds === 'number' ? `RTO ${Math.round(report.rtoSeconds)} s (objective ${d.input.rtoMinutes} min)` : 'no RTO';
      if (ended.status !== 'SUCCEEDED' || report?.ok !== true) {
        const what =
          typeof report?.body === 'string'
            ? report.body
                .split('\n')
                .map((l) => l.trim())
                .filter((l) => l.startsWith('-'))
                .join('; ')
            : '';
        throw new StepFailedError(
          `drill ${ended.status ?? 'UNKNOWN'}${ended.error ? ` (${ended.error}${ended.cause ? `: ${ended.cause}` : ''})` : ''}${what ? `: ${what}` : ''}; execution ${arn}`,
          ended.status === 'TIMED_OUT'
            ? `the drill ran over its time limit: see ${RUNBOOKS.restoreDrill} (node type, cluster size)`
            : `see ${RUNBOOKS.restoreDrill}`,
          `the ${d.where} drill's state machine role`,
        );
      }
      return { value: report, detail: `passed, ${rto}; cluster deleted by the drill; execution ${arn}` };
    });
  }
}

/** Doctor's sections the run needs: AWS reached, the stacks deployed, the buckets set up, the targets as the plans need them. */
export const PREFLIGHT_SECTIONS: readonly DoctorSection[] = ['network', 'stacks', 'buckets', 'targets'];

/** One region's doctor checks as a step: any failure fails it (every failing check's cause and fix), a warning warns. */
export function preflightOutcome(checks: readonly DoctorCheck[]): StepOutcome<true> {
  const said = (list: readonly DoctorCheck[]) => list.map((c) => `${c.subject}: ${c.detail}`).join('; ');
  const fixes = (list: readonly DoctorCheck[]) => [...new Set(list.map((c) => c.fix).filter((f): f is string => !!f))].join('; ');
  const failed = checks.filter((c) => c.state === 'fail');
  if (failed.length > 0) throw new StepFailedError(said(failed), fixes(failed) || 'run `redis-dr doctor` for the details');
  const { pass, warn } = countChecks(checks);
  const detail = `doctor: ${pass} check(s) passed${warn > 0 ? `, ${warn} warned` : ''} (${[...new Set(checks.map((c) => c.section))].join(', ')})`;
  const warned = checks.filter((c) => c.state === 'warn');
  if (warned.length === 0) return { value: true, detail };
  return { value: true, detail, verdict: 'warned', cause: said(warned), fix: fixes(warned) || 'run `redis-dr doctor` for the details' };
}

/** A wait that gave up says what it waited for and how to wait longer; other failures pass as they are (the runner explains AWS errors). */
function asStepFailure(err: unknown): unknown {
  if (err instanceof WaitTimedOutError)
    return new StepFailedError(err.message, 'look at it in the console (the step names it), or run again with a larger --timeout-minutes');
  return err;
}
