/**
 * The drill of `redis-dr drill run --plan <name> [--where primary|dr] [--wait]`
 * (printed by cli/commands/drill/action.ts): starts the deployed drill state
 * machine of that region with exactly the input its schedule sends, and with
 * `wait` follows it (current step, time spent) to its report: the same text
 * on-call gets by SNS. One drill of a plan at a time.
 */
import { DescribeExecutionCommand, StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { PlanConfig, RedisDrConfig } from '../../../lib/config/index.js';
import { drillRunInput, drillsIn, vaultDrillPrefix, drillsInDrillAccount, drillStateMachineArn, recoveryBucketName } from '../../../lib/deployment.js';
import { currentState, drillReportOf, listDrillExecutions } from '../../adapters/aws/drill-history.js';
import { errorName } from '../../adapters/aws/errors.js';
import type { DrillInput, DrillWhere } from '../../domain/drills/drill.js';
import { drillPlanOf } from '../../domain/points/freshness.js';
import type { OperatorClients } from '../kernel/clients.js';
import { UsageError } from '../kernel/usage-error.js';

/** What a started (and maybe followed) drill came to. */
export interface DrillRunResult {
  readonly stateMachineArn: string;
  readonly executionArn: string;
  readonly region: string;
  readonly input: DrillInput;
  /** RUNNING without --wait; else how it ended. */
  readonly status: string;
  readonly report: Record<string, unknown> | null;
  readonly error: string | null;
  readonly cause: string | null;
}

/** Options of {@link runDrill}. */
export interface DrillRunOptions {
  /** The plan whose drill to run (the CLI found it by name in the config). */
  readonly plan: PlanConfig;
  readonly where?: DrillWhere;
  readonly wait?: boolean;
  /** Seconds between polls while waiting. @default 15 */
  readonly pollSeconds?: number;
  /** Called with the step the execution is in while waiting. */
  readonly onStep?: (step: string) => void;
  /** Called once the execution started (before any wait). */
  readonly onStarted?: (executionArn: string) => void;
}

/** Running executions looked at for one of the same plan. */
const RUNNING_LOOKED_AT = 20;

/** Where a plan's drill runs: `--where`, else its `drill.where` (primary for `both`). Usage error when it does not drill there. */
export function drillRegion(config: RedisDrConfig, plan: PlanConfig, where: DrillWhere | undefined): { where: DrillWhere; region: string } {
  const w = where ?? (plan.drill.where === 'dr' ? 'dr' : 'primary');
  // The drill account's state machine is another account's: these credentials neither start nor watch it.
  if (w === 'dr' && drillsInDrillAccount(plan) && config.vault) {
    const arn = drillStateMachineArn(config.name, 'dr', config.vault.region, plan.drill.account!);
    throw new UsageError(
      `plan ${plan.name} drills from the vault in the drill account ${plan.drill.account} (drill.account), not with these credentials: ` +
        `start it there with that account's credentials (aws stepfunctions start-execution --region ${config.vault.region} --state-machine-arn ${arn} --input <the plan's schedule input, with "startedBy">)` +
        `${plan.drill.where === 'both' ? ', or choose --where primary' : ''}`,
    );
  }
  if (!drillsIn(plan, w)) {
    const now = plan.drill.enabled ? `drill.where is ${plan.drill.where}` : 'drill.enabled is false';
    throw new UsageError(
      `plan ${plan.name} has no ${w} drill (${now}): enable it in the config and deploy (npx cdk deploy --all), or choose --where ${w === 'dr' ? 'primary' : 'dr'}`,
    );
  }
  return { where: w, region: w === 'primary' ? config.primary.region : config.dr.region };
}

/** An execution name: `cli-<plan>-<yyyymmddThhmmssZ>` (at most 80 characters of `[A-Za-z0-9_-]`). */
export function executionName(plan: string, at: Date): string {
  const stamp = at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `cli-${plan.replace(/[^A-Za-z0-9_-]/g, '-')}-${stamp}`.slice(0, 80);
}

/** Starts the drill and, with `wait`, follows it to the end. */
export async function runDrill(config: RedisDrConfig, aws: OperatorClients, o: DrillRunOptions): Promise<DrillRunResult> {
  const plan = o.plan;
  const { where, region } = drillRegion(config, plan, o.where);
  const account = await aws.account();
  const stateMachineArn = drillStateMachineArn(config.name, where, region, account, aws.partition(region));
  // A plan with drill.fromVault seeds its DR drill from the vault, as its schedule does.
  // A manual drill says who started it (the caller's IAM ARN): the report tells it apart from the scheduled ones.
  const startedBy = (await aws.callerArn().catch(() => undefined)) ?? 'unknown caller (STS GetCallerIdentity did not answer)';
  const input: DrillInput = {
    ...drillRunInput(
      config.name,
      plan,
      where,
      where === 'dr' ? recoveryBucketName(config.name, account, region) : undefined,
      config.vault,
      vaultDrillPrefix(config, account),
    ),
    startedBy,
  };
  const sfn = aws.sfn(region);
  const notDeployed = (err: unknown) =>
    errorName(err) === 'StateMachineDoesNotExist'
      ? new Error(`no drill state machine ${stateMachineArn}: deploy the stacks with this plan's drill enabled (npx cdk deploy --all)`, { cause: err })
      : err;
  // Two drills of a plan at once could pick the same target and cluster id (minute precision): one at a time.
  const running = await listDrillExecutions(sfn, stateMachineArn, { limit: RUNNING_LOOKED_AT, concurrency: 4, status: 'RUNNING' }).catch((err: unknown) => {
    throw notDeployed(err);
  });
  const busy = running.find((e) => drillPlanOf(e) === plan.name);
  if (busy) {
    throw new Error(
      `a ${where} drill of plan ${plan.name} is running already (${busy.executionArn}, since ${busy.startDate?.toISOString() ?? '?'}): ` +
        'wait for it (redis-dr status) or stop it in the Step Functions console; two at once could share a drill cluster',
    );
  }
  let executionArn: string;
  try {
    const out = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, name: executionName(plan.name, new Date(aws.clock.now())), input: JSON.stringify(input) }),
    );
    executionArn = out.executionArn!;
  } catch (err) {
    throw notDeployed(err);
  }
  // Said at once, so a wait that fails or is stopped still leaves the execution with the operator.
  o.onStarted?.(executionArn);
  const base = { stateMachineArn, executionArn, region, input };
  if (!o.wait) return { ...base, status: 'RUNNING', report: null, error: null, cause: null };
  const ended = await follow(sfn, executionArn, aws, o);
  const { report } = await drillReportOf(sfn, { executionArn, status: ended.status, output: ended.output });
  return { ...base, status: ended.status ?? 'UNKNOWN', report: report ?? null, error: ended.error ?? null, cause: ended.cause ?? null };
}

async function follow(sfn: SFNClient, executionArn: string, aws: OperatorClients, o: DrillRunOptions) {
  for (;;) {
    const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (d.status !== 'RUNNING' && d.status !== 'PENDING_REDRIVE') return d;
    const step = await currentState(sfn, executionArn).catch(() => undefined);
    if (step) o.onStep?.(step);
    await aws.clock.sleep((o.pollSeconds ?? 15) * 1000);
  }
}
