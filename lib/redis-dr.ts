import { Stack, Stage } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { z } from 'zod';
import { addRedisDrStacks } from './app.js';
import { ConfigError, type RedisDrConfig, validateConfig } from './config/index.js';
import type { baseSchema } from './config/schema.js';
import type { DrStack } from './stacks/dr-stack.js';
import type { PrimaryStack } from './stacks/primary-stack.js';
import type { VaultStack } from './stacks/vault-stack.js';

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
 * cdk.json sets.
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
  /** The vault account's stack (`RedisDr-<name>-Vault`), only with props `vault`; deployed first, with that account's credentials. */
  public readonly vault?: VaultStack;

  /**
   * @param scope an App or a Stage (not a Stack: this adds stacks of its own)
   * @throws ConfigError listing every problem of `props`
   */
  constructor(scope: Stage, id: string, props: RedisDrProps) {
    // Checked before anything is added: a type cast or plain JavaScript can pass a Stack.
    const given: Construct = scope;
    if (!Stage.isStage(given)) {
      const what = Stack.isStack(given) ? `the stack "${given.node.path}"` : `"${given.node.path}"`;
      throw new Error(
        `RedisDr "${id}" was given ${what} as its scope: it adds stacks of its own, so its scope must be your App or a Stage (new RedisDr(app, '${id}', …))`,
      );
    }
    super(scope, id);
    // The one validation path: the same function loadConfig runs on a JSON file, the same messages.
    const result = validateConfig(props);
    if (!result.ok) throw new ConfigError(result.problems);
    this.config = result.config;
    const { primary, dr, vault } = addRedisDrStacks(scope, this.config);
    this.primary = primary;
    this.dr = dr;
    this.vault = vault;
  }
}
