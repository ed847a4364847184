import { App, Duration, Stack } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { BudgetDefinition } from '../../asl-budget.js';
import { drillRunInput, drillStateMachineName, drillsServerless, vaultDrillRoleNames } from '../../deployment.js';
import { grantAlertPublish } from '../alert-topic.js';
import { JobFunction } from '../job-function.js';
import { stateMachineLogGroup } from '../log-retention.js';
import { PlanSchedules } from '../plan-schedules.js';
import { drillBudget, FUNCTION_TIMEOUTS } from './budget.js';
import { acknowledgeStateMachineScoping, grantReaping, grantSeedCopy, grantSelect, grantVerify } from './permissions.js';
import type { RestoreDrillProps } from './props.js';
import { drillDefinition } from './state-machine.js';

export { drillPlans, drillStateMachineName } from '../../deployment.js';
export { DRILL_PHASES, DRILL_TIMING, drillBudget, POLL_INTERVAL_SECONDS } from './budget.js';
export { SERVERLESS_VPCE_SERVICE } from './permissions.js';
export { requireDrillNetwork, type RestoreDrillProps } from './props.js';
export { DRILL_RETRY, type ElastiCacheCallKind, SFN_ERRORS } from './retries.js';
export { FAILED_STATUSES } from './steps/wait.js';

/** The reaper runs hourly at :15. */
export const REAPER_CRON = 'cron(15 * * * ? *)';

/**
 * Restore drills in one region: a Step Functions state machine that selects
 * the newest recovery point, builds a throwaway cluster from it, waits for it
 * (bounded polling, failing fast on `create-failed`/`restore-failed`),
 * verifies the data with a Redis client, always deletes the cluster, and
 * reports; scheduled per plan. ElastiCache calls are SDK integrations, not
 * Lambdas.
 */
export class RestoreDrill extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly selectFunction: JobFunction;
  public readonly verifyFunction: JobFunction;
  public readonly reportFunction: JobFunction;
  /** Drills from the vault: copies the chosen replicas into the DR bucket (the cluster seeds from the copy) and deletes them after. */
  public readonly seedCopyFunction?: JobFunction;
  public readonly schedules: PlanSchedules;
  /** Deletes drill clusters older than `drill.maxHours` (left behind by a timed-out or broken drill). */
  public readonly reaperFunction: JobFunction;
  public readonly reaperSchedule: PlanSchedules;

  constructor(scope: Construct, id: string, props: RestoreDrillProps) {
    super(scope, id);
    const region = Stack.of(this).region;
    const maxHours = Math.max(...props.plans.map((p) => p.drill.maxHours));
    const serverless = drillsServerless(props.plans, props.where);
    const common = {
      logRetention: props.logRetention,
      metricsNamespace: props.metricsNamespace,
      memorySizeMb: props.memorySizeMb,
      asyncRetryAttempts: 0,
      maxEventAge: Duration.minutes(15),
    };

    // Drills from the vault: roles of fixed names, which the vault bucket's policy (another account) names.
    const roleNames = props.vault ? vaultDrillRoleNames(props.deployment, region) : undefined;
    this.selectFunction = new JobFunction(this, 'Select', {
      ...common,
      roleName: roleNames?.select,
      handler: 'drill-select',
      description: `redis-dr: choose the recovery point a ${props.where} restore drill restores`,
      timeout: FUNCTION_TIMEOUTS.select,
      serviceName: 'redis-dr-drill-select',
    });
    this.verifyFunction = new JobFunction(this, 'Verify', {
      ...common,
      handler: 'drill-verify',
      description: 'redis-dr: verify a restored drill cluster with a Redis client',
      timeout: FUNCTION_TIMEOUTS.verify,
      serviceName: 'redis-dr-drill-verify',
      network: props.network,
    });
    this.reportFunction = new JobFunction(this, 'Report', {
      ...common,
      handler: 'drill-report',
      roleName: props.reportRoleName,
      description: 'redis-dr: report a restore drill (SNS summary, RTO metrics, the signed record)',
      timeout: FUNCTION_TIMEOUTS.report,
      serviceName: 'redis-dr-drill-report',
      environment: { ALERT_TOPIC_ARN: props.alerts.topic.topicArn },
    });
    grantAlertPublish(props.alerts, this.reportFunction.role);
    grantVerify(this.verifyFunction.role, props.deployment, props.plans);
    grantSelect(
      this.selectFunction.role,
      props.selectsFromBucket === false ? undefined : props.bucket,
      props.vault?.bucket,
      // A primary drill of a plan selecting the caches without a tag lists the region's caches, serverless ones too.
      props.where === 'primary' && props.plans.some((p) => p.targets.selectWithoutTag !== undefined),
    );
    if (props.vault) {
      if (!props.bucket) throw new Error(`${props.where} drills from the vault need the DR bucket their seed copies go to (RestoreDrillProps.bucket)`);
      this.seedCopyFunction = new JobFunction(this, 'SeedCopy', {
        ...common,
        roleName: roleNames?.seedCopy,
        handler: 'drill-seed-copy',
        description: 'redis-dr: copy the verified vault replica into the DR bucket for a drill, and delete the copy after',
        timeout: FUNCTION_TIMEOUTS.seedCopy,
        serviceName: 'redis-dr-drill-seed-copy',
      });
      grantSeedCopy(this.seedCopyFunction.role, props.bucket, props.vault.bucket);
    }

    this.reaperFunction = new JobFunction(this, 'Reaper', {
      ...common,
      handler: 'drill-reaper',
      description: 'redis-dr: delete restore-drill clusters left behind (tagged redis-dr:drill, older than drill.maxHours)',
      timeout: Duration.minutes(3),
      serviceName: 'redis-dr-drill-reaper',
      onFailureQueue: props.deadLetterQueue,
    });
    grantReaping(this.reaperFunction.role, serverless);
    this.reaperSchedule = new PlanSchedules(this, 'ReaperSchedule', {
      function: this.reaperFunction.function,
      deadLetterQueue: props.deadLetterQueue,
      group: props.scheduleGroup,
      purpose: 'drill reaper',
      addScheduledTime: false,
      schedules: [{ plan: 'all', cron: REAPER_CRON, timeZone: 'UTC', input: { deployment: props.deployment, maxHours } }],
    });

    const steps = { select: this.selectFunction, verify: this.verifyFunction, report: this.reportFunction, seedCopy: this.seedCopyFunction, region };
    // The time budget is read from the definition itself: a probe with no poll rounds, built apart
    // (a state belongs to one graph), gives the work's fixed part, a round's and cleanup's worst case.
    // Its own app, never synthesized (autoSynth off: under `cdk synth` an app would otherwise write itself out).
    const probeStack = new Stack(new App({ autoSynth: false }), 'DrillBudgetProbe', { env: { account: Stack.of(this).account, region } });
    const probe = drillDefinition(new Construct(probeStack, 'States'), props, { ...steps, pollRounds: 0 });
    const { pollRounds, timeoutSeconds } = drillBudget(new sfn.StateGraph(probe.startState, 'budget probe').toGraphJson() as BudgetDefinition, maxHours);
    // States live in their own scope: their ids are the state names the console shows.
    const definition = drillDefinition(new Construct(this, 'States'), props, { ...steps, pollRounds });
    const stateMachineName = drillStateMachineName(props.deployment, props.where);
    const logGroup = stateMachineLogGroup(this, 'Logs', stateMachineName, props.logRetention);
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      // A fixed name: IAM for its executions, the CLI and the docs can name it.
      stateMachineName,
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      // maxHours for the work, plus the worst case of cleanup and report: both always run (drillBudget).
      timeout: Duration.seconds(timeoutSeconds),
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
      comment: `redis-dr ${props.where} restore drill`,
    });
    acknowledgeStateMachineScoping(this.stateMachine.role, {
      where: props.where,
      serverless,
      functions: [this.selectFunction, this.verifyFunction, this.reportFunction, ...(this.seedCopyFunction ? [this.seedCopyFunction] : [])],
      bucket: props.bucket,
    });

    this.schedules = new PlanSchedules(this, 'Schedules', {
      stateMachine: this.stateMachine,
      deadLetterQueue: props.deadLetterQueue,
      group: props.scheduleGroup,
      purpose: `${props.where} drill`,
      addScheduledTime: false,
      schedules: props.plans.map((plan) => {
        const input = drillRunInput(props.deployment, plan, props.where, props.bucket?.bucketName, props.vault, props.vault?.prefix);
        return { plan: plan.name, cron: plan.drill.schedule.cron, timeZone: plan.drill.schedule.timeZone, input: strip(input) };
      }),
    });
  }
}

/** JSON without `undefined` members (Scheduler input must be plain JSON). */
function strip(value: object): Record<string, unknown> {
  return JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
}
