/**
 * `npx cdk synth -c config=<org config> -c stacks=org`: the organization's
 * StackSets (lib/org-app.ts) from an org config, validated first (every
 * problem written, exit 1 before anything is synthesized), then a summary:
 * the groups of accounts, the stacks, and the one step the CDK CLI does not
 * do, publishing the member stacks' Lambda code to the org asset buckets.
 */
import { join } from 'node:path';
import type { App } from 'aws-cdk-lib';
import { ConfigError } from './config/load.js';
import { loadOrgConfig, type OrgConfig } from './config/org.js';
import { CACHE_TIER_TAG, carriedDrillRegions, drillNetworksOf, drillSchedule, notCarried } from '../lambdas/domain/org/effective.js';
import { type StackSetGroup, stackSetGroups } from './constructs/org/stack-set-groups.js';
import { addOrgStacks, orgAssetBucketPrefix } from './org-app.js';
import { addOrgPipeline } from './org-pipeline.js';
import { orgVaultLines } from './org-vault.js';
import { drillParameterNames } from '../lambdas/domain/org/format-plan.js';

/** A group in the synth summary: its tiers, the tier its caches without a `redis-dr:tier` tag fall under, its accounts. */
export function groupLine(g: Pick<StackSetGroup, 'name' | 'plans' | 'accounts'>): string {
  const untagged = g.plans.defaultTier ? `tier ${g.plans.defaultTier.value} (defaultTier)` : 'not protected (no defaultTier)';
  return `  ${g.name}: tiers ${g.plans.tiers.map((t) => t.name).join(', ')}; caches without a ${CACHE_TIER_TAG} tag: ${untagged}; accounts listed today ${g.accounts.join(', ')}`;
}

/** A line per group whose tiers ask for what the member stacks do not carry yet; none when no tier does. */
function notCarriedLines(org: OrgConfig): string[] {
  const lines = stackSetGroups(org).flatMap((g) => {
    const missing = notCarried(g.plans, drillNetworksOf(org));
    return missing.length > 0 ? [`  NOT CARRIED YET, group ${g.name} (accounts ${g.accounts.join(', ') || 'none listed'}): ${missing.join(', ')}`] : [];
  });
  if (lines.length === 0) return [];
  return [
    'the member stacks do not carry these settings (docs/org.md, "What the StackSets carry, and what not yet"): these accounts do not get them from redis-dr, whatever their tiers say',
    ...lines,
  ];
}

/**
 * What the member stacks drill: a line per group with drilling tiers (each tier's schedule for its everyDays and the
 * regions it drills in), and per region drilled the SSM parameters every member account must hold there, which no
 * synth can see (`drill.network`: primary, `drill.drNetwork`: DR).
 */
function drillLines(org: OrgConfig): string[] {
  const networks = drillNetworksOf(org);
  const regionName = { primary: `${org.regions.primary} (primary)`, dr: `${org.regions.dr} (DR)` };
  const used = new Set<'primary' | 'dr'>();
  const lines = stackSetGroups(org).flatMap((g) => {
    const each = g.plans.tiers.flatMap((t) => {
      const regions = carriedDrillRegions(t, networks);
      if (regions.length === 0) return [];
      for (const r of regions) used.add(r);
      const every = t.settings['drill.everyDays'].value;
      return [`${t.name} ${drillSchedule(Number(every)).says} (drill.everyDays ${every}) in ${regions.map((r) => regionName[r]).join(' and ')}`];
    });
    return each.length > 0 ? [`  drills, group ${g.name}: ${each.join(', ')}`] : [];
  });
  if (lines.length === 0) return [];
  const parameters = (['primary', 'dr'] as const)
    .filter((r) => used.has(r))
    .map((r) => {
      const [field, n] = r === 'primary' ? ['drill.network', org.drill!.network!.fromSsm] : ['drill.drNetwork', org.drill!.drNetwork!.fromSsm];
      const what = r === 'primary' ? 'primary' : 'DR, restoring the DR copies';
      return `restore drills in ${r === 'primary' ? org.regions.primary : org.regions.dr} (${what}), their network read by CloudFormation in each member account from SSM parameters ${drillParameterNames(r, n).join(', ')} (${field}): an account without them fails its stack instance`;
    });
  return [...parameters, ...lines];
}

/** Runs the org synth on `app`; the process's exit code. */
export function runOrgEntry(app: App, configFile: string, stderr: { write(text: string): unknown }): number {
  let org: OrgConfig;
  let built: ReturnType<typeof addOrgStacks>;
  try {
    org = loadOrgConfig(configFile);
    // Beside the cloud assembly's own artifacts, never among them: the CDK CLI must not deploy a member stack here.
    built = addOrgStacks(app, org, join(app.outdir, 'org-members'));
  } catch (err) {
    if (err instanceof ConfigError) {
      stderr.write(`${new ConfigError(err.problems, err.file ?? configFile).message}\n`);
      return 1;
    }
    throw err;
  }
  app.synth();
  const prefix = orgAssetBucketPrefix(org);
  const lines = [
    `redis-dr org ${org.name}${org.example ? ' (an example config: placeholder ids, not deployable)' : ''}: ${built.groups.length} group(s) of accounts by effective plans, each a pair of StackSets (DR region first, then primary), service-managed, deployed automatically to the OUs`,
    ...built.groups.map(groupLine),
    `stacks (deploy with the StackSets administrator's credentials, the management account or a delegated administrator): ${[...built.assets, built.stackSets].map((s) => s.stackName).join(', ')}`,
    `then publish the member stacks' Lambda code to ${prefix}-<region> (the CDK CLI publishes only the assets of stacks it deploys): for each folder under ${join(app.outdir, 'org-members')}, npx cdk-assets --path <folder>/<stack>.assets.json publish`,
    ...drillLines(org),
    ...orgVaultLines(org, configFile),
    ...notCarriedLines(org),
  ];
  stderr.write(`${lines.join('\n')}\n`);
  return 0;
}

/**
 * `npx cdk synth -c config=<org config> -c stacks=org-pipeline`: the CDK
 * Pipelines path (lib/org-pipeline.ts) instead of the StackSets, from the
 * same org config (it must have `pipeline`); every problem written, exit 1,
 * before anything is synthesized; then what was built and what to run.
 */
export function runOrgPipelineEntry(app: App, configFile: string, stderr: { write(text: string): unknown }): number {
  let org: OrgConfig;
  let built: ReturnType<typeof addOrgPipeline>;
  try {
    org = loadOrgConfig(configFile);
    built = addOrgPipeline(app, org, configFile);
  } catch (err) {
    if (err instanceof ConfigError) {
      stderr.write(`${new ConfigError(err.problems, err.file ?? configFile).message}\n`);
      return 1;
    }
    throw err;
  }
  app.synth();
  const p = org.pipeline!;
  const lines = [
    `redis-dr org ${org.name}${org.example ? ' (an example config: placeholder ids, not deployable)' : ''}: the CDK Pipelines path, ${built.waves.length} wave(s), a stage per listed account`,
    ...built.waves.map((w) => `  wave ${w.name}: ${w.accounts.join(', ') || '(no account listed: no stage)'}`),
    `stack ${built.stack.stackName} in ${p.account} (${org.regions.primary}); cdk-nag: clean`,
    `deploy it once with the pipeline account's credentials (npx cdk deploy ${built.stack.stackName} -c config=${configFile} -c stacks=org-pipeline); it then deploys itself from ${p.repository}@${p.branch}. First bootstrap every target account trusting it: npx cdk bootstrap aws://<account>/<region> --trust ${p.account} --cloudformation-execution-policies <policy ARN>`,
    ...drillLines(org),
    ...orgVaultLines(org, configFile),
    ...notCarriedLines(org),
  ];
  stderr.write(`${lines.join('\n')}\n`);
  return 0;
}
