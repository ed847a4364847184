import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  type ExecutionListItem,
  type ExecutionStatus,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import type { DrillExecution } from '../../domain/points/freshness.js';
import type { CallWrapper } from './elasticache.js';
import { mapConcurrent } from './retry.js';

/**
 * The restore drill's history from Step Functions: its newest executions
 * with their input and output, for the freshness monitor and the CLI.
 */

const direct: CallWrapper = (call) => call();

/** ListExecutions' and GetExecutionHistory's page-size maximum. */
const MAX_PAGE = 1000;

/** Options of {@link listDrillExecutions}. */
export interface DrillHistoryOptions {
  /** Executions looked at, newest first. */
  readonly limit: number;
  /** DescribeExecution calls in flight. */
  readonly concurrency: number;
  /** Wraps each call (the run's throttling retry), so a throttled page is retried alone. */
  readonly wrap?: CallWrapper;
}

/**
 * The newest `limit` SUCCEEDED executions of `stateMachineArn`, each described
 * for its input and output (see {@link listDrillExecutions}).
 */
export async function listSucceededDrills(client: SFNClient, stateMachineArn: string, options: DrillHistoryOptions): Promise<DrillExecution[]> {
  const executions = await listDrillExecutions(client, stateMachineArn, { ...options, status: 'SUCCEEDED' });
  return executions.filter((e): e is DrillExecution & { stopDate: Date } => e.stopDate !== undefined);
}

/**
 * The newest `limit` executions of `stateMachineArn` (of one `status` when
 * given; pages followed by hand, each through `wrap`), each described for
 * its input and output. With `startedIn`, only those started in the period
 * are described: ListExecutions answers newest first (by start time), so
 * paging stops at the first execution started before `startedIn.since`. An
 * execution gone between the two calls (history expired) is left out.
 * @see https://docs.aws.amazon.com/step-functions/latest/apireference/API_ListExecutions.html
 */
export async function listDrillExecutions(
  client: SFNClient,
  stateMachineArn: string,
  options: DrillHistoryOptions & {
    readonly status?: ExecutionStatus;
    /** Only executions started in [since, until]. @default every execution */
    readonly startedIn?: { readonly since: Date; readonly until: Date };
  },
): Promise<DrillExecution[]> {
  const wrap = options.wrap ?? direct;
  const listed: ExecutionListItem[] = [];
  const period = options.startedIn;
  let nextToken: string | undefined;
  let older = false;
  do {
    const page = await wrap(() =>
      client.send(
        // The same arguments on every page (the API asks for that with nextToken); extra items are dropped.
        new ListExecutionsCommand({ stateMachineArn, statusFilter: options.status, maxResults: Math.min(options.limit, MAX_PAGE), nextToken }),
      ),
    );
    for (const e of page.executions ?? []) {
      if (!e.executionArn || listed.length >= options.limit) continue;
      if (options.status === 'SUCCEEDED' && !e.stopDate) continue;
      if (period && e.startDate) {
        // Newest first: every execution after this one started earlier still.
        if (e.startDate < period.since) {
          older = true;
          break;
        }
        if (e.startDate > period.until) continue;
      }
      listed.push(e);
    }
    nextToken = page.nextToken || undefined;
  } while (nextToken && !older && listed.length < options.limit);

  const described = await mapConcurrent(listed, options.concurrency, async (e): Promise<DrillExecution | undefined> => {
    try {
      const out = await wrap(() => client.send(new DescribeExecutionCommand({ executionArn: e.executionArn })));
      const stopDate = out.stopDate ?? e.stopDate;
      const startDate = out.startDate ?? e.startDate;
      const status = out.status ?? e.status;
      return {
        executionArn: e.executionArn!,
        ...(stopDate ? { stopDate } : {}),
        ...(startDate ? { startDate } : {}),
        ...(status ? { status } : {}),
        ...(out.input !== undefined ? { input: out.input } : {}),
        ...(out.output !== undefined ? { output: out.output } : {}),
        ...(out.error !== undefined ? { error: out.error } : {}),
        ...(out.cause !== undefined ? { cause: out.cause } : {}),
      };
    } catch (err) {
      if ((err as Error).name === 'ExecutionDoesNotExist') return undefined;
      throw err;
    }
  });
  return described.filter((d): d is DrillExecution => d !== undefined);
}

/** What the drill's Report step left in an execution's history. */
export interface DrillHistoryReport {
  /** `$.drill.report` as the Report step returned it (`ok`, `subject`, `body`, `rtoSeconds`, …). */
  readonly report?: Record<string, unknown>;
  /** `$.drill.choice`: the target and recovery point, when select chose one. */
  readonly choice?: Record<string, unknown>;
}

/**
 * The drill report of an execution, from the output of its `Report` state in
 * the execution history (newest events first, pages followed through `wrap`).
 * A failed drill ends in a Fail state with no execution output, so the
 * history is the only place its report is kept. `{}` when the execution has
 * not reached the report (still running, or the report step itself failed).
 * @see https://docs.aws.amazon.com/step-functions/latest/apireference/API_GetExecutionHistory.html
 */
export async function drillReportFromHistory(client: SFNClient, executionArn: string, wrap: CallWrapper = direct): Promise<DrillHistoryReport> {
  let nextToken: string | undefined;
  do {
    const page = await wrap(() => client.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: MAX_PAGE, nextToken })));
    for (const e of page.events ?? []) {
      const exited = e.stateExitedEventDetails;
      if (e.type !== 'TaskStateExited' || exited?.name !== 'Report' || exited.output === undefined) continue;
      try {
        const doc = JSON.parse(exited.output) as { drill?: { report?: Record<string, unknown>; choice?: Record<string, unknown> } };
        return { ...(doc.drill?.report ? { report: doc.drill.report } : {}), ...(doc.drill?.choice ? { choice: doc.drill.choice } : {}) };
      } catch {
        return {};
      }
    }
    nextToken = page.nextToken || undefined;
  } while (nextToken);
  return {};
}

/**
 * The drill report of an execution: from its output when it succeeded (the
 * output is the drill document), else from its history (a failed drill ends
 * in a Fail state without output). `{}` while it runs or when it never
 * reached the report.
 */
export async function drillReportOf(
  client: SFNClient,
  execution: Pick<DrillExecution, 'executionArn' | 'status' | 'output'>,
  wrap: CallWrapper = direct,
): Promise<DrillHistoryReport> {
  if (execution.status === 'RUNNING') return {};
  let drill: DrillHistoryReport | undefined;
  try {
    drill = execution.output === undefined ? undefined : (JSON.parse(execution.output) as { drill?: DrillHistoryReport }).drill;
  } catch {
    drill = undefined;
  }
  if (drill?.report) return { report: drill.report, ...(drill.choice ? { choice: drill.choice } : {}) };
  return drillReportFromHistory(client, execution.executionArn, wrap);
}

/** The state an execution is in now: the newest `…StateEntered` event's name. */
export async function currentState(client: SFNClient, executionArn: string, wrap: CallWrapper = direct): Promise<string | undefined> {
  const page = await wrap(() => client.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 20 })));
  return page.events?.find((e) => e.stateEnteredEventDetails?.name)?.stateEnteredEventDetails?.name;
}

/**
 * When `stateMachineArn` was created (DescribeStateMachine's `creationDate`):
 * for the freshness monitor, when the protection it drives began.
 * `undefined` when the state machine does not exist.
 * @see https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeStateMachine.html
 */
export async function stateMachineCreatedAt(client: SFNClient, stateMachineArn: string, wrap: CallWrapper = direct): Promise<Date | undefined> {
  try {
    const out = await wrap(() => client.send(new DescribeStateMachineCommand({ stateMachineArn })));
    if (!out.creationDate) throw new Error(`DescribeStateMachine of ${stateMachineArn} returned no creationDate`);
    return out.creationDate;
  } catch (err) {
    if ((err as Error).name === 'StateMachineDoesNotExist') return undefined;
    throw err;
  }
}
