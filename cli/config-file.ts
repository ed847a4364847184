/** The deployment config as CLI commands read it (no AWS SDK here: `retention plan -c` stays offline and fast). */
import { ConfigError, loadConfig, type PlanConfig, type RedisDrConfig } from '../lib/config/index.js';
import { CONFIG_ENV } from './options.js';
import { UsageError } from '../lambdas/jobs/kernel/usage-error.js';

/**
 * Reads and validates the config: `-c <file>`, else $REDIS_DR_CONFIG, else a
 * usage error (an AWS command run against config/example.json by accident
 * would report on, or act in, the wrong account). Every problem is a usage
 * error (exit 2), all reported at once.
 */
export function loadCliConfig(given: string | undefined, env: NodeJS.ProcessEnv = process.env): RedisDrConfig {
  const file = configPath(given, env);
  if (file === undefined)
    throw new UsageError(
      `no deployment config: give -c config/<env>.json, or set ${CONFIG_ENV}=config/<env>.json (there is no fallback to config/example.json)`,
    );
  try {
    return loadConfig(file);
  } catch (err) {
    // The CDK app takes `-c config=<file>`; the CLI `-c <file>`.
    if (err instanceof ConfigError) throw new UsageError(err.message.replaceAll('-c config=<file>', '-c <file>'));
    throw err;
  }
}

/** The config file a command reads: `-c <file>`, else $REDIS_DR_CONFIG (undefined: neither; loadCliConfig refuses that). */
export function configPath(given: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return given ?? (env[CONFIG_ENV] || undefined);
}

/** The plan named `name`, or a usage error listing the plans there are. */
export function findPlan(config: RedisDrConfig, name: string): PlanConfig {
  const plan = config.plans.find((p) => p.name === name);
  if (!plan) throw new UsageError(`--plan ${name}: no such plan in this config; plans: ${config.plans.map((p) => p.name).join(', ')}`);
  return plan;
}
