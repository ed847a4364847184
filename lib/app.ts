import { Aspects, CfnOutput, CfnParameter, CfnRule, Fn, type Stack, type Stage, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { RedisDrConfig } from './config/index.js';
import { GovernedAccount } from './constructs/governed-account.js';
import { CONFIG_HASH_OUTPUT, configHash, drillAccountStackName, stackNames, vaultStackName } from './deployment.js';
import { acknowledgeNistDesignChoices } from './nag/design-acknowledgements.js';
import { RecoveryStorageChecks } from './nag/recovery-storage-checks.js';
import { ScopedNagPack } from './nag/scoped-pack.js';
import { stackNetwork } from './constructs/network-parameters.js';
import { DrillAccountStack } from './stacks/drill-account-stack.js';
import { DrStack } from './stacks/dr-stack.js';
import { PrimaryStack } from './stacks/primary-stack.js';
import { type OrgVaultAccount, VaultStack } from './stacks/vault-stack.js';
import { TAGS } from '../lambdas/domain/plans/types.js';

/** The workload stacks of one deployment (the vault's is synthesized apart: {@link addVaultStack}). */
export interface RedisDrStacks {
  readonly primary: PrimaryStack;
  readonly dr: DrStack;
}

/**
 * Which stacks one synth holds: `workload` (Primary and DR, the default of
 * `cdk synth/deploy --all -c config=<file>`) or `vault` (the vault account's
 * stack alone, `-c stacks=vault`). Never both: each is deployed with its own
 * account's credentials, and the vault account never trusts the workload one.
 */
export type StackSelection = 'workload' | 'vault' | 'drill';

export { stackNames };

/**
 * Adds one deployment's stacks to `scope` (an App or a Stage) from a
 * validated config: region-bound (the config names both regions),
 * account-agnostic unless the config gives an account, every resource tagged
 * `redis-dr:managed=true`, and cdk-nag's AwsSolutions and RedisDr packs run on
 * these stacks as validation plugins (synth fails on unacknowledged
 * findings). The `RedisDr` construct (lib/redis-dr.ts) validates and calls this.
 */
export function addRedisDrStacks(scope: Stage, config: RedisDrConfig): RedisDrStacks {
  const names = stackNames(config);
  // Named explicitly: inside a Stage the CDK would prefix the stage's name, and the CLI and doctor find stacks by these names.
  const primary = new PrimaryStack(scope, names.primary, {
    stackName: names.primary,
    config,
    env: { region: config.primary.region, account: config.primary.account },
    description: `redis-dr ${config.name}: scheduled ElastiCache snapshots and retention (primary region)`,
    crossRegionReferences: true,
  });
  const dr = new DrStack(scope, names.dr, {
    stackName: names.dr,
    config,
    env: { region: config.dr.region, account: config.dr.account ?? config.primary.account },
    description: `redis-dr ${config.name}: disaster-recovery region`,
    crossRegionReferences: true,
  });
  // The export bucket replicates into the DR bucket, which must exist first.
  primary.addStackDependency(dr, 'the export bucket replicates into the DR bucket');
  // Opt-in settings for governed accounts (docs/deploying.md#governed-accounts); the vault's in addVaultStack.
  const { inVpc, logKmsKeyArns } = config.lambda;
  // Functions take subnets and groups only: the VPC id's parameter is the stacks' to make (stackNetwork).
  const placement = { vpcId: false };
  Aspects.of(primary).add(
    new GovernedAccount({ network: inVpc ? stackNetwork(primary, config.network, placement) : undefined, logKmsKeyArn: logKmsKeyArns?.primary }),
  );
  Aspects.of(dr).add(new GovernedAccount({ network: inVpc ? stackNetwork(dr, config.dr.network, placement) : undefined, logKmsKeyArn: logKmsKeyArns?.dr }));
  // The vault is never here: another account's credentials deploy it, from a synth of its own (addVaultStack).
  finishStacks(scope, config, [primary, dr]);
  return { primary, dr };
}

/**
 * Adds the vault account's stack (config `vault`) to `scope`, alone: what
 * `cdk synth/deploy --all -c config=<file> -c stacks=vault` builds, deployed
 * first with the vault account's own credentials. Tagged, fingerprinted and
 * checked by cdk-nag as the workload stacks are.
 * @throws Error when the config has no `vault`
 */
export function addVaultStack(
  scope: Stage,
  config: RedisDrConfig,
  options: { readonly memberDrills?: boolean; readonly accounts?: readonly OrgVaultAccount[] } = {},
): VaultStack {
  if (!config.vault) throw new Error(`redis-dr ${config.name} has no vault: the vault stack needs config "vault"`);
  const vault = new VaultStack(scope, vaultStackName(config), {
    stackName: vaultStackName(config),
    config,
    vault: config.vault,
    ...(options.memberDrills ? { memberDrills: true } : {}),
    ...(options.accounts ? { accounts: options.accounts } : {}),
    env: { region: config.vault.region, account: config.vault.account },
    description: `redis-dr ${config.name}: vault account (Object Lock COMPLIANCE copies the workload account cannot delete)`,
  });
  // A governed vault account holds its functions and log groups to the same controls as the workload's.
  const { inVpc, logKmsKeyArns } = config.lambda;
  Aspects.of(vault).add(new GovernedAccount({ network: inVpc ? config.vault.network : undefined, logKmsKeyArn: logKmsKeyArns?.vault }));
  finishStacks(scope, config, [vault]);
  return vault;
}

/**
 * Adds the drill account's stack (config `drillAccount`) to `scope`, alone:
 * what `cdk synth/deploy --all -c config=<file> -c stacks=drill` builds,
 * deployed with the drill account's own credentials after the vault's (whose
 * policy names its drill roles). Tagged, fingerprinted and checked by cdk-nag
 * as every other stack.
 * @throws Error when the config has no `drillAccount`, no `vault` or no `primary.account`
 */
export function addDrillAccountStack(scope: Stage, config: RedisDrConfig): DrillAccountStack {
  const { drillAccount, vault } = config;
  if (!drillAccount || !vault || !config.primary.account)
    throw new Error(`redis-dr ${config.name}: the drill account's stack needs config "drillAccount", "vault" and "primary.account"`);
  const stack = new DrillAccountStack(scope, drillAccountStackName(config), {
    stackName: drillAccountStackName(config),
    config,
    drillAccount,
    vault,
    workloadAccount: config.primary.account,
    env: { region: vault.region, account: drillAccount.account },
    description: `redis-dr ${config.name}: drill account (restore drills from the vault, segregated from the workload account)`,
  });
  const { inVpc, logKmsKeyArns } = config.lambda;
  Aspects.of(stack).add(new GovernedAccount({ network: inVpc ? stackNetwork(stack, drillAccount.network) : undefined, logKmsKeyArn: logKmsKeyArns?.drill }));
  finishStacks(scope, config, [stack]);
  return stack;
}

/** What every redis-dr stack gets: tags, the config fingerprint, the example guard and cdk-nag. */
function finishStacks(scope: Stage, config: RedisDrConfig, stacks: readonly Stack[]): void {
  for (const stack of stacks) {
    acknowledgeNistDesignChoices(stack);
    // Dashboards: cfn-lint's resource schema has no Tags for them (the CDK's spec does); leave them untagged.
    const options = { excludeResourceTypes: ['AWS::CloudWatch::Dashboard'] };
    Tags.of(stack).add(TAGS.managed, 'true', options);
    Tags.of(stack).add('redis-dr:deployment', config.name, options);
    // What `redis-dr doctor` compares with the local config (a change not yet deployed).
    new CfnOutput(stack, CONFIG_HASH_OUTPUT, { description: 'Fingerprint of the redis-dr config this stack was deployed from', value: configHash(config) });
    if (config.example) {
      // CloudFormation evaluates rules before it creates or updates anything: an example's
      // placeholders (a VPC of zeros, replace-me ARNs) fail here, not half-way through a deploy.
      // Through a parameter that allows one value only: a constant assertion is what cfn-lint
      // flags (W8003), and no --parameters override can make the assertion true.
      const example = new CfnParameter(stack, 'ExampleConfig', {
        type: 'String',
        default: 'not-deployable',
        allowedValues: ['not-deployable'],
        description: 'This stack was synthesized from an example config: it cannot be deployed.',
      });
      new CfnRule(stack, 'ExampleConfigIsNotDeployable', {
        assertions: [
          {
            assert: Fn.conditionEquals(example.valueAsString, 'deployable'),
            assertDescription: `redis-dr ${config.name} was synthesized from an example config ("example": true, placeholder values): copy it to config/<env>.json, replace the placeholders, remove "example" and deploy that`,
          },
        ],
      });
    }
  }
  Validations.of(scope).addPlugins(new ScopedNagPack(new AwsSolutionsChecks(), stacks), new ScopedNagPack(new RecoveryStorageChecks(), stacks));
}
