import { Stack, Stage } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { z } from 'zod';
import { annotateDrillAccount, annotateVault, annotateWorkload } from './annotations.js';
import { addDrillAccountStack, addRedisDrStacks, addVaultStack } from './app.js';
import { ConfigError, type RedisDrConfig, validateConfig } from './config/index.js';
import type { baseSchema } from './config/schema.js';
import type { DrillAccountStack } from './stacks/drill-account-stack.js';
import type { DrStack } from './stacks/dr-stack.js';
import type { PrimaryStack } from './stacks/primary-stack.js';
import type { OrgVaultAccount, VaultStack } from './stacks/vault-stack.js';
import { vaultPolicySizeProblem } from './vault-policy-size.js';

/**
 * Props of {@link RedisDr}: the deployment config, exactly as the JSON config
 * file (`config/schema.json`) has it, typed from the same zod schema;
 * fields with defaults are optional. docs/configuration.md describes each field.
 */
export type RedisDrProps = z.input<typeof baseSchema>;

/**
 * One redis-dr deployment in your own CDK app: the primary-region stack
 * (scheduled snapshots, retention, exports, drills, alarms) and the DR-region
 * stack (the verified copies, drills, alarms), the same resources, tags,
 * outputs and cdk-nag acknowledgements as this repository's own app.
 *
 * Scope: an App or a Stage (e.g. a CDK Pipelines stage). The two stacks are
 * added to that scope beside this construct, named `RedisDr-<name>-Primary`
 * and `RedisDr-<name>-Dr` whatever the scope (the CLI and `doctor` find them
 * by these names); this construct's own node holds nothing. The props are
 * validated when constructed: every problem at once, each naming the field,
 * the value and the fix (a {@link ConfigError}), the same messages as
 * `cdk synth -c config=<file>`.
 *
 * cdk-nag (AwsSolutions and redis-dr's own pack) runs on these two stacks
 * only, and the stacks keep redis-dr's CDK feature flags whatever the app's
 * cdk.json sets. What the deployer must know (a plan without the
 * keyspace-collapse tripwire, network prerequisites, subscriptions to
 * confirm, which credentials deploy which stack) comes as CDK annotations
 * on the construct it concerns (lib/annotations.ts): `cdk synth` prints
 * them, and `cdk synth --strict` fails on the warnings until acknowledged.
 *
 * With props `vault`, the vault account's stack is NOT added here: it is
 * deployed first, with the vault account's own credentials, from an app of
 * its own ({@link RedisDrVault}; `-c stacks=vault` in this repository's app).
 * A workload deploy never carries it.
 *
 * @example
 * const app = new App();
 * const redisDr = new RedisDr(app, 'RedisDr', {
 *   name: 'prod',
 *   primary: { region: 'eu-west-1' },
 *   dr: { region: 'eu-central-1' },
 *   alerts: { emails: ['oncall@example.com'] },
 *   plans: [
 *     {
 *       name: 'sessions',
 *       targets: { replicationGroupIds: ['sessions-prod'] },
 *       schedule: { cron: 'cron(0 0/2 * * ? *)' },
 *       rpoMinutes: 210,
 *       retention: { hourly: 12, daily: 7, weekly: 4, monthly: 12 },
 *     },
 *   ],
 * });
 * redisDr.primary.addDependency(myNetworkStack);
 */
export class RedisDr extends Construct {
  /** The validated config, every default filled in. */
  public readonly config: RedisDrConfig;
  /** The primary-region stack (`RedisDr-<name>-Primary`); add to it as to any stack. */
  public readonly primary: PrimaryStack;
  /** The DR-region stack (`RedisDr-<name>-Dr`); deployed before the primary one. */
  public readonly dr: DrStack;

  /**
   * @param scope an App or a Stage (not a Stack: this adds stacks of its own)
   * @throws ConfigError listing every problem of `props`
   */
  constructor(scope: Stage, id: string, props: RedisDrProps) {
    assertStage(scope, 'RedisDr', id);
    super(scope, id);
    this.config = validated(props);
    const { primary, dr } = addRedisDrStacks(scope, this.config);
    this.primary = primary;
    this.dr = dr;
    annotateWorkload(this.config, { primary, dr });
  }
}

/**
 * The vault account's stack (`RedisDr-<name>-Vault`) of a deployment whose
 * props have `vault`, alone in its app or Stage: synthesized and deployed
 * with the vault account's own credentials, before the workload stacks
 * ({@link RedisDr}), from a CDK environment bootstrapped without trusting
 * the workload account. The same props as {@link RedisDr}.
 *
 * @example
 * // bin/vault.ts, deployed with the vault account's credentials:
 * new RedisDrVault(new App(), 'RedisDrVault', REDIS_DR_PROPS);
 */
export class RedisDrVault extends Construct {
  /** The validated config, every default filled in. */
  public readonly config: RedisDrConfig;
  /** The vault account's stack. */
  public readonly vault: VaultStack;

  /**
   * @param scope an App or a Stage holding no workload stack of this deployment
   * @param options `memberDrills`: an organization's vault whose member deployments' DR drills read their own replicas (lib/org-vault.ts)
   * @param options.accounts an organization's vault (`vault.organizationId`): the member accounts that must replicate
   * into it, each measured and alarmed on under its own prefix (lib/constructs/org/member-vault.ts builds them from the org config)
   * @throws ConfigError listing every problem of `props`, or that it has no `vault`
   */
  constructor(
    scope: Stage,
    id: string,
    props: RedisDrProps,
    options: { readonly memberDrills?: boolean; readonly accounts?: readonly OrgVaultAccount[] } = {},
  ) {
    assertStage(scope, 'RedisDrVault', id);
    super(scope, id);
    this.config = validated(props);
    if (!this.config.vault) {
      throw new ConfigError([
        'vault is required for the vault stack, got none: add a vault section, or synthesize the workload stacks (without -c stacks=vault)',
      ]);
    }
    if (this.config.vault.deployment !== undefined && this.config.vault.deployment !== this.config.name) {
      throw new ConfigError([
        `vault.deployment names another deployment's vault, got ${JSON.stringify(this.config.vault.deployment)}: this config replicates into it and has no vault stack of its own; synthesize the vault from its own config (an organization's: -c stacks=org-vault with the org config)`,
      ]);
    }
    this.vault = addVaultStack(scope, this.config, options);
    annotateVault(this.config, this.vault);
  }
}

/**
 * The drill account's stack of a deployment (config `drillAccount`): what
 * `-c stacks=drill` synthesizes, alone, for the drill account's own
 * credentials (restore drills from the vault, segregated from the workload
 * account). Validates the config as {@link RedisDr} does.
 */
export class RedisDrDrillAccount extends Construct {
  /** The validated config, every default filled in. */
  public readonly config: RedisDrConfig;
  /** The drill account's stack. */
  public readonly drill: DrillAccountStack;

  /** @throws ConfigError when the config is invalid or has no drillAccount used by a plan */
  constructor(scope: Stage, id: string, props: RedisDrProps) {
    assertStage(scope, 'RedisDrDrillAccount', id);
    super(scope, id);
    this.config = validated(props);
    if (!this.config.drillAccount) {
      throw new ConfigError([
        'drillAccount is required for the drill account stack, got none: add a drillAccount section (and drill.account on a plan), or synthesize the workload stacks (without -c stacks=drill)',
      ]);
    }
    this.drill = addDrillAccountStack(scope, this.config);
    annotateDrillAccount(this.config, this.drill);
  }
}

/** Checked before anything is added: a type cast or plain JavaScript can pass a Stack. */
function assertStage(scope: Stage, what: string, id: string): void {
  const given: Construct = scope;
  if (!Stage.isStage(given)) {
    const where = Stack.isStack(given) ? `the stack "${given.node.path}"` : `"${given.node.path}"`;
    throw new Error(
      `${what} "${id}" was given ${where} as its scope: it adds stacks of its own, so its scope must be your App or a Stage (new ${what}(app, '${id}', …))`,
    );
  }
}

/** The one validation path: the same function loadConfig runs on a JSON file, the same messages. */
function validated(props: RedisDrProps): RedisDrConfig {
  const result = validateConfig(props);
  if (!result.ok) throw new ConfigError(result.problems);
  // A vault listing more accounts than its bucket policy holds would fail to deploy: refused here, naming organizationId.
  const policy = vaultPolicySizeProblem(result.config);
  if (policy !== undefined) throw new ConfigError([policy]);
  return result.config;
}
