import { policyMarkdown, type PolicyInput } from '../../../lambdas/domain/policy/document.js';
import { policyInput, writePolicy } from '../../../lambdas/jobs/policy/document.js';
import { UsageError } from '../../../lambdas/jobs/kernel/usage-error.js';
import { policyOfDestination } from '../../../lambdas/jobs/self-managed/policy-destination.js';
import { loadCliConfig } from '../../aws.js';
import { CONFIG_ENV } from '../../options.js';

/** `redis-dr policy`'s options (cli/commands/policy/command.ts). */
export interface PolicyOptions {
  readonly config?: string;
  readonly destination?: string;
  readonly keepHourly: number;
  readonly keepDaily: number;
  readonly keepWeekly: number;
  readonly keepMonthly: number;
  readonly minKeep: number;
  readonly rpoMinutes: number;
  readonly rtoMinutes: number;
  readonly maxRetentionDays?: number;
  readonly timeZone: string;
  readonly paged?: string[];
  readonly s3Endpoint?: string;
  readonly markdown?: string;
  readonly html?: string;
}

/** The policy's facts: from the config, or from a self-managed destination and the settings given. */
async function inputOf(o: PolicyOptions): Promise<PolicyInput> {
  if (o.config !== undefined && o.destination !== undefined)
    throw new UsageError('policy takes one of --config <file> (a deployment) or --destination <url> (self-managed backups), not both: drop one');
  // No --destination: the deployment config (-c, else $REDIS_DR_CONFIG; neither is refused by loadCliConfig).
  if (o.destination === undefined) return policyInput(loadCliConfig(o.config), o.config ?? process.env[CONFIG_ENV] ?? '', new Date());
  const settings = {
    retention: { hourly: o.keepHourly, daily: o.keepDaily, weekly: o.keepWeekly, monthly: o.keepMonthly, minKeep: o.minKeep },
    rpoMinutes: o.rpoMinutes,
    rtoMinutes: o.rtoMinutes,
    timeZone: o.timeZone,
    ...(o.maxRetentionDays !== undefined ? { maxRetentionDays: o.maxRetentionDays } : {}),
    paged: o.paged ?? [],
  };
  return policyOfDestination(o.destination, o.s3Endpoint, settings, new Date());
}

/** Writes the policy document (or prints its Markdown). */
export async function policyAction(o: PolicyOptions): Promise<void> {
  const input = await inputOf(o);
  if (!o.markdown && !o.html) {
    process.stdout.write(policyMarkdown(input));
    return;
  }
  for (const path of await writePolicy(input, { ...(o.markdown ? { markdown: o.markdown } : {}), ...(o.html ? { html: o.html } : {}) }))
    process.stdout.write(`wrote ${path}\n`);
}
