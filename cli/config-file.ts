/** The deployment config as CLI commands read it (no AWS SDK here: `retention plan -c` stays offline and fast). */
import { ConfigError, loadConfig, type PlanConfig, type RedisDrConfig } from '../lib/config/index.js';
import { UsageError } from './usage.js';

/** Reads and validates the config; every problem is a usage error (exit 2), all reported at once. */
export function loadCliConfig(file: string): RedisDrConfig {
  try {
    return loadConfig(file);
  } catch (err) {
    // The CDK app takes `-c config=<file>`; the CLI `-c <file>`.
    if (err instanceof ConfigError) throw new UsageError(err.message.replaceAll('-c config=<file>', '-c <file>'));
    throw err;
  }
}

/** The plan named `name`, or a usage error listing the plans there are. */
export function findPlan(config: RedisDrConfig, name: string): PlanConfig {
  const plan = config.plans.find((p) => p.name === name);
  if (!plan) throw new UsageError(`--plan ${name}: no such plan in this config; plans: ${config.plans.map((p) => p.name).join(', ')}`);
  return plan;
}
