import type { CostAssumptions } from '../../../lambdas/domain/cost/estimate.js';
import { formatCostEstimate } from '../../../lambdas/domain/cost/format.js';
import { AssemblyMissingError, assemblyStacks } from '../../../lambdas/jobs/cost/estimate.js';
import { deploymentCost } from '../../../lib/cost.js';
import { stackNames } from '../../../lib/deployment.js';
import { loadCliConfig } from '../../config-file.js';
import { UsageError } from '../../../lambdas/jobs/kernel/usage-error.js';
import { nowOption } from '../../instant.js';

/** `redis-dr cost`'s options (cli/commands/cost/command.ts). */
export interface CostOptions {
  readonly config?: string;
  readonly assembly: string;
  readonly sizeGb?: string;
  readonly targetsPerTagPlan?: string;
  readonly drillNodeType?: string;
  readonly drillNodes?: string;
  readonly drillHours?: string;
  readonly engine?: string;
  readonly now?: string;
  readonly json?: boolean;
}

/** A positive number option, or a usage error naming the option, the value and the fix. */
function positive(option: string, value: string | undefined, integer = false): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new UsageError(`${option} must be a positive ${integer ? 'whole ' : ''}number, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** `redis-dr cost -c <config>`: reads the synthesized templates, prints the estimate (exit 2 when they are missing). */
export async function costAction(options: CostOptions): Promise<void> {
  if (options.config === undefined)
    throw new UsageError('-c <config> is required: redis-dr cost -c config/prod.json (the config whose synthesized templates to estimate)');
  const file = options.config;
  const config = loadCliConfig(file);
  if (options.engine !== undefined && options.engine !== 'valkey' && options.engine !== 'redis') {
    throw new UsageError(`--engine must be valkey or redis, got ${JSON.stringify(options.engine)}`);
  }
  const assumptions: Partial<CostAssumptions> = Object.fromEntries(
    Object.entries({
      sizeGb: positive('--size-gb', options.sizeGb),
      targetsPerTagPlan: positive('--targets-per-tag-plan', options.targetsPerTagPlan, true),
      drillNodeType: options.drillNodeType,
      drillNodes: positive('--drill-nodes', options.drillNodes, true),
      drillHours: positive('--drill-hours', options.drillHours),
      engine: options.engine,
    }).filter(([, v]) => v !== undefined),
  );
  // Never read in the zone of the machine the CLI runs on (cli/instant.ts): the schedules counted would move by hours.
  const now = nowOption(options.now);
  const names = stackNames(config);
  let stacks: Awaited<ReturnType<typeof assemblyStacks>>;
  try {
    stacks = await assemblyStacks(options.assembly, [names.primary, names.dr], `npx cdk synth -c config=${file}`);
  } catch (err) {
    if (err instanceof AssemblyMissingError) throw new UsageError(err.message);
    throw err;
  }
  let estimate: ReturnType<typeof deploymentCost>;
  try {
    estimate = deploymentCost(config, stacks, { assumptions, now });
  } catch (err) {
    // An unknown node type: the table's node types are named in the message.
    if (err instanceof RangeError) throw new UsageError(`--drill-node-type or a plan's drill.nodeType: ${err.message}`);
    throw err;
  }
  process.stdout.write(options.json ? `${JSON.stringify(estimate, null, 2)}\n` : `${formatCostEstimate(estimate).join('\n')}\n`);
}
