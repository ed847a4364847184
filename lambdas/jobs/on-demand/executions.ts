/**
 * Following an execution the operator started to its end (a drill, a DR
 * copy's verification), saying the step it is in while it runs.
 */
import type { SFNClient } from '@aws-sdk/client-sfn';
import { currentState } from '../../adapters/aws/drill-history.js';
import { describeExecution, type ExecutionDescription } from '../../adapters/aws/executions.js';
import type { RetryClock } from '../../adapters/aws/retry.js';
import { pollUntil, type WaitOptions } from '../kernel/operator.js';

/** An execution name: `<prefix>-<yyyymmddThhmmssZ>` (at most 80 characters of `[A-Za-z0-9_-]`). */
export function executionName(prefix: string, at: Date): string {
  const stamp = at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${prefix.replace(/[^A-Za-z0-9_-]/g, '-')}-${stamp}`.slice(0, 80);
}

/** Waits until the execution ends (any status but RUNNING and PENDING_REDRIVE); says its current state while it runs. */
export function followExecution(sfn: SFNClient, executionArn: string, clock: RetryClock, wait: WaitOptions, what: string): Promise<ExecutionDescription> {
  return pollUntil<ExecutionDescription>(clock, what, wait, async () => {
    const d = await describeExecution(sfn, executionArn);
    if (d.status !== 'RUNNING' && d.status !== 'PENDING_REDRIVE') return { done: d };
    const step = await currentState(sfn, executionArn).catch(() => undefined);
    return { status: step ? `in ${step}` : 'running' };
  });
}
