/**
 * Step Functions executions the operator starts (a drill, a DR copy's
 * verification): start one, and read how it is doing.
 */
import { DescribeExecutionCommand, type DescribeExecutionCommandOutput, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';

/** Starts an execution; returns its ARN. */
export async function startExecution(client: SFNClient, stateMachineArn: string, name: string, input: unknown): Promise<string> {
  const out = await client.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
  if (!out.executionArn) throw new Error(`StartExecution of ${stateMachineArn} returned no execution ARN`);
  return out.executionArn;
}

/** An execution as DescribeExecution gives it. */
export type ExecutionDescription = Pick<DescribeExecutionCommandOutput, 'status' | 'output' | 'error' | 'cause' | 'startDate' | 'stopDate'>;

/** The execution's status, output and failure. */
export async function describeExecution(client: SFNClient, executionArn: string): Promise<ExecutionDescription> {
  return client.send(new DescribeExecutionCommand({ executionArn }));
}
