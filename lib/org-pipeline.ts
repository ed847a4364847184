/**
 * The organization's CDK Pipelines path (`-c stacks=org-pipeline`), beside
 * the StackSets: one pipeline in the config's `pipeline.account`, a wave per
 * group of OUs (`pipeline.waves`, default a wave per OU in the config's
 * order), and in each wave a Stage per account listed in those OUs, holding
 * the `RedisDr` construct's own DR and Primary stacks with the account's
 * effective plans (the same member config as its StackSet group's). Unlike
 * the StackSets, an account joining an OU is deployed only once it is listed
 * here (docs/org.md says when to choose which). Every target account must be
 * bootstrapped trusting the pipeline account (`cdk bootstrap --trust`).
 */
import { Stack, Stage, type StageProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import * as pipelines from 'aws-cdk-lib/pipelines';
import type { Construct } from 'constructs';
import { ConfigError } from './config/load.js';
import type { OrgConfig } from './config/org.js';
import { memberConfig } from './constructs/org/member-config.js';
import { type StackSetGroup, stackSetGroups } from './constructs/org/stack-set-groups.js';
import { acknowledgePipelineFindings } from './nag/pipeline-acknowledgements.js';
import { ScopedNagPack } from './nag/scoped-pack.js';
import { pinFeatureFlags } from './feature-flags.js';
import { RedisDr } from './redis-dr.js';

/** One wave: its name and the accounts it deploys, in order. */
export interface OrgWave {
  readonly name: string;
  readonly accounts: readonly string[];
}

/** The waves of the config, or every problem (an OU no wave names, an id no OU has, an OU in two waves). */
export function orgWaves(org: OrgConfig): { ok: true; waves: OrgWave[] } | { ok: false; problems: string[] } {
  const given = org.pipeline?.waves ?? org.organizationalUnits.map((ou) => ({ name: ou.name.replace(/[^\w-]/g, '-'), organizationalUnits: [ou.id] }));
  const problems: string[] = [];
  const seen = new Map<string, string>();
  for (const [i, w] of given.entries()) {
    for (const id of w.organizationalUnits) {
      if (!org.organizationalUnits.some((ou) => ou.id === id))
        problems.push(`pipeline.waves[${i}].organizationalUnits names no OU of the config, got "${id}": use an id of organizationalUnits[]`);
      else if (seen.has(id)) problems.push(`pipeline.waves[${i}] repeats OU ${id}, already in wave ${seen.get(id)}: list each OU in one wave`);
      else seen.set(id, w.name);
    }
  }
  for (const ou of org.organizationalUnits) {
    if (!seen.has(ou.id) && ou.accounts.length > 0)
      problems.push(`pipeline.waves names no wave for OU ${ou.name} (${ou.id}): add it to a wave, or its accounts are never deployed`);
  }
  if (problems.length > 0) return { ok: false, problems };
  const accountsOf = (ids: readonly string[]) => org.organizationalUnits.filter((ou) => ids.includes(ou.id)).flatMap((ou) => ou.accounts);
  return { ok: true, waves: given.map((w) => ({ name: w.name, accounts: accountsOf(w.organizationalUnits) })) };
}

/** One account's redis-dr: its DR and Primary stacks, with its group's plans. */
export class OrgMemberStage extends Stage {
  public readonly redisDr: RedisDr;

  constructor(scope: Construct, id: string, props: StageProps & { readonly org: OrgConfig; readonly group: StackSetGroup; readonly account: string }) {
    super(scope, id, { ...props, env: { account: props.account, region: props.org.regions.primary } });
    const member = memberConfig(props.org, props.group.name, props.group.plans);
    if (!member.ok) throw new ConfigError(member.problems);
    this.redisDr = new RedisDr(this, 'RedisDr', { ...member.props, primary: { ...member.props.primary, account: props.account } });
  }
}

/** What {@link addOrgPipeline} built. */
export interface OrgPipeline {
  readonly stack: Stack;
  readonly pipeline: pipelines.CodePipeline;
  readonly waves: readonly OrgWave[];
  /** The wildcard findings (AwsSolutions-IAM5) of CDK Pipelines' generated roles, acknowledged with the reason (lib/nag/pipeline-acknowledgements.ts). */
  readonly acknowledged: readonly string[];
}

/**
 * Adds the pipeline stack to `scope`.
 * @throws ConfigError when the config has no `pipeline`, or its waves leave an OU out
 */
export function addOrgPipeline(scope: Construct, org: OrgConfig, configFile: string): OrgPipeline {
  const p = org.pipeline;
  if (!p) throw new ConfigError(['pipeline is required for -c stacks=org-pipeline: add pipeline.account, .connectionArn and .repository (docs/org.md)']);
  const waves = orgWaves(org);
  if (!waves.ok) throw new ConfigError(waves.problems);
  const groups = stackSetGroups(org);
  const stack = new Stack(scope, `RedisDr-${org.name}-Pipeline`, {
    env: { account: p.account, region: org.regions.primary },
    description: `redis-dr ${org.name}: the pipeline that deploys every listed account of the organization, wave by wave`,
  });
  // The flags redis-dr's stacks are tested with (partition literals: no Fn::Join in the deploy actions' role ARNs).
  pinFeatureFlags(stack);
  const pipeline = new pipelines.CodePipeline(stack, 'Pipeline', {
    pipelineName: `redis-dr-${org.name}`,
    // Target accounts other than the pipeline's: its artifact bucket must be readable there (a KMS key, rotated).
    crossAccountKeys: true,
    enableKeyRotation: true,
    synth: new pipelines.ShellStep('Synth', {
      input: pipelines.CodePipelineSource.connection(p.repository, p.branch, { connectionArn: p.connectionArn }),
      commands: ['npm ci', `npx cdk synth -c config=${configFile} -c stacks=org-pipeline`],
    }),
  });
  for (const wave of waves.waves) {
    // A wave of no listed account would be a pipeline stage without an action, which CodePipeline refuses.
    if (wave.accounts.length === 0) continue;
    const w = pipeline.addWave(wave.name);
    for (const account of wave.accounts) {
      const group = groups.find((g) => g.accounts.includes(account));
      if (!group) throw new ConfigError([`account ${account} is in no StackSet group: list it in exactly one OU`]);
      w.addStage(new OrgMemberStage(scope, `${wave.name}-${account}`, { org, group, account }));
    }
  }
  // Built now rather than at synth, so that the nag pack (and its acknowledgements) see the whole pipeline.
  pipeline.buildPipeline();
  const acknowledged = acknowledgePipelineFindings(pipeline);
  Validations.of(scope).addPlugins(new ScopedNagPack(new AwsSolutionsChecks(), [stack]));
  return { stack, pipeline, waves: waves.waves, acknowledged };
}
