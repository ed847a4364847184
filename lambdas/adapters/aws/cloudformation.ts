/**
 * CloudFormation, read only: a deployed stack's status, outputs and drift
 * status as last detected (`redis-dr doctor`, the selftest's preflight);
 * a StackSet's stack instances (`redis-dr org doctor`).
 */
import { type CloudFormationClient, DescribeStacksCommand, ListStackInstancesCommand } from '@aws-sdk/client-cloudformation';
import type { InstanceSummary } from '../../domain/org/doctor.js';
import type { StackFacts } from '../../domain/doctor/judge.js';
import type { CallWrapper } from './elasticache.js';
import { errorName } from './errors.js';

const direct: CallWrapper = (call) => call();

/**
 * The stack named `name`; `undefined` when it does not exist (CloudFormation
 * answers a `ValidationError` "Stack with id … does not exist").
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStacks.html
 */
export async function describeStack(client: CloudFormationClient, name: string, wrap: CallWrapper = direct): Promise<StackFacts | undefined> {
  try {
    const out = await wrap(() => client.send(new DescribeStacksCommand({ StackName: name })));
    const stack = out.Stacks?.[0];
    if (!stack) return undefined;
    const outputs = Object.fromEntries((stack.Outputs ?? []).filter((o) => o.OutputKey).map((o) => [o.OutputKey!, o.OutputValue ?? '']));
    const drift = stack.DriftInformation?.StackDriftStatus;
    const checkedAt = stack.DriftInformation?.LastCheckTimestamp?.toISOString();
    return {
      name: stack.StackName ?? name,
      status: stack.StackStatus ?? 'UNKNOWN',
      statusReason: stack.StackStatusReason || undefined,
      outputs,
      // The status of CloudFormation's last drift detection; this read starts none (DetectStackDrift reads every resource).
      ...(drift ? { drift: { status: drift, ...(checkedAt ? { checkedAt } : {}) } } : {}),
    };
  } catch (err) {
    if ((err as Error).name === 'ValidationError' && /does not exist/.test((err as Error).message)) return undefined;
    throw err;
  }
}

/**
 * Every stack instance of the StackSet `name`, page after page
 * (`ListStackInstances`, `cloudformation:ListStackInstances`); `undefined`
 * when there is no such StackSet. `callAs` is DELEGATED_ADMIN when the
 * caller is a delegated administrator of StackSets (as the org app's
 * StackSets are created).
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_ListStackInstances.html
 */
export async function listStackInstances(
  client: CloudFormationClient,
  name: string,
  callAs: 'SELF' | 'DELEGATED_ADMIN',
): Promise<InstanceSummary[] | undefined> {
  const out: InstanceSummary[] = [];
  let NextToken: string | undefined;
  try {
    do {
      const page = await client.send(new ListStackInstancesCommand({ StackSetName: name, CallAs: callAs, NextToken }));
      for (const s of page.Summaries ?? []) {
        out.push({
          account: s.Account ?? '',
          region: s.Region ?? '',
          status: s.Status ?? 'UNKNOWN',
          ...(s.StatusReason ? { statusReason: s.StatusReason } : {}),
          ...(s.StackInstanceStatus?.DetailedStatus ? { detailedStatus: s.StackInstanceStatus.DetailedStatus } : {}),
        });
      }
      NextToken = page.NextToken || undefined;
    } while (NextToken);
  } catch (err) {
    if (errorName(err) === 'StackSetNotFoundException') return undefined;
    throw err;
  }
  return out;
}
