/**
 * `redis-dr policy -c <config>`: the backup policy document from the
 * validated config (domain/policy/document.ts), written as Markdown and/or
 * HTML, each read back.
 */
import { writeReportFiles } from '../../adapters/host/report-files.js';
import { type PolicyInput, policyHtml, policyMarkdown } from '../../domain/policy/document.js';
import { runTimeSelectionWords } from '../../domain/plans/plan-input.js';
import type { RedisDrConfig } from '../../../lib/config/schema.js';

/** The policy's facts from a validated config. */
export function policyInput(config: RedisDrConfig, source: string, generatedAt: Date): PolicyInput {
  return {
    deployment: config.name,
    primaryRegion: config.primary.region,
    drRegion: config.dr.region,
    ...(config.vault
      ? {
          vault: {
            account: config.vault.account,
            region: config.vault.region,
            ...(config.vault.retentionDays !== undefined ? { retentionDays: config.vault.retentionDays } : {}),
          },
        }
      : {}),
    paged: [
      ...config.alerts.emails,
      ...config.alerts.httpsEndpoints,
      ...Object.entries(config.alerts.existingTopicArns)
        .filter(([, arn]) => arn !== undefined)
        .map(([region, arn]) => `${arn} (${region})`),
    ],
    plans: config.plans.map((plan) => ({
      name: plan.name,
      scope: [...plan.targets.replicationGroupIds, ...plan.targets.serverlessCacheNames, ...runTimeSelectionWords(plan.targets)],
      schedule: { cron: plan.schedule.cron, timeZone: plan.schedule.timeZone },
      rpoMinutes: plan.rpoMinutes,
      retention: plan.retention,
      ...(plan.export.enabled ? { export: { minTier: plan.export.minTier, expireDays: plan.export.expireDays } } : {}),
      vault: config.vault !== undefined,
      ...(plan.maxRetentionDays !== undefined ? { maxRetentionDays: plan.maxRetentionDays } : {}),
      ...(plan.drill.enabled
        ? {
            drill: {
              cron: plan.drill.schedule.cron,
              timeZone: plan.drill.schedule.timeZone,
              where: plan.drill.where,
              rtoMinutes: plan.drill.rtoMinutes,
              fromVault: plan.drill.fromVault,
              pointSelection: plan.drill.pointSelection,
              ...(plan.drill.account !== undefined ? { account: plan.drill.account } : {}),
            },
          }
        : {}),
    })),
    generatedAt,
    source,
  };
}

/** Writes the policy to the files asked for; the paths written. */
export async function writePolicy(input: PolicyInput, out: { readonly markdown?: string; readonly html?: string }): Promise<string[]> {
  return writeReportFiles([
    ...(out.markdown ? [{ path: out.markdown, text: policyMarkdown(input) }] : []),
    ...(out.html ? [{ path: out.html, text: policyHtml(input) }] : []),
  ]);
}
