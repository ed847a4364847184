import { DescribeExecutionCommand, ListExecutionsCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { DrillExecution } from '../domain/freshness.js';
import type { CallWrapper } from './elasticache.js';
import { mapConcurrent } from './retry.js';

/**
 * The restore drill's history from Step Functions: its newest succeeded
 * executions with their input and output, for the freshness monitor.
 */

const direct: CallWrapper = (call) => call();

/** Options of {@link listSucceededDrills}. */
export interface DrillHistoryOptions {
  /** Executions looked at, newest first. */
  readonly limit: number;
  /** DescribeExecution calls in flight. */
  readonly concurrency: number;
  /** Wraps each call (the run's throttling retry), so a throttled page is retried alone. */
  readonly wrap?: CallWrapper;
}

/**
 * The newest `limit` SUCCEEDED executions of `stateMachineArn` (ListExecutions
 * answers newest first; pages followed by hand, each through `wrap`), each
 * described for its input and output. An execution gone between the two calls
 * (history expired) is left out.
 * @see https://docs.aws.amazon.com/step-functions/latest/apireference/API_ListExecutions.html
 */
export async function listSucceededDrills(
  client: SFNClient,
  stateMachineArn: string,
  options: DrillHistoryOptions,
): Promise<DrillExecution[]> {
  const wrap = options.wrap ?? direct;
  const listed: { executionArn: string; stopDate: Date }[] = [];
  let nextToken: string | undefined;
  do {
    const page = await wrap(() =>
      client.send(
        new ListExecutionsCommand({ stateMachineArn, statusFilter: 'SUCCEEDED', maxResults: options.limit - listed.length, nextToken }),
      ),
    );
    for (const e of page.executions ?? []) {
      if (!e.executionArn || !e.stopDate || listed.length >= options.limit) continue;
      listed.push({ executionArn: e.executionArn, stopDate: e.stopDate });
    }
    nextToken = page.nextToken || undefined;
  } while (nextToken && listed.length < options.limit);

  const described = await mapConcurrent(listed, options.concurrency, async (e): Promise<DrillExecution | undefined> => {
    try {
      const out = await wrap(() => client.send(new DescribeExecutionCommand({ executionArn: e.executionArn })));
      return {
        ...e,
        stopDate: out.stopDate ?? e.stopDate,
        ...(out.input !== undefined ? { input: out.input } : {}),
        ...(out.output !== undefined ? { output: out.output } : {}),
      };
    } catch (err) {
      if ((err as Error).name === 'ExecutionDoesNotExist') return undefined;
      throw err;
    }
  });
  return described.filter((d): d is DrillExecution => d !== undefined);
}
