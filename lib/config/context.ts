/**
 * The CDK context that names the deployment config: `-c config=<path>`, and
 * which stacks to build: `-c stacks=vault` for the vault account's stack alone
 * (default: the workload stacks, or an org config's StackSets), `-c stacks=org` for an organization's StackSets from an
 * org config. The CDK CLI drops a bare `-c config/prod.json` (it is not
 * `key=value`) with only a warning, and `-c conf=…` or `-c config/prod.json=x`
 * would be read by nobody: each must stop the synth with the exact command.
 */

/** The command to type, for messages. */
export const CONFIG_CONTEXT_USAGE = 'npx cdk synth -c config=config/<env>.json (deploy: npx cdk deploy --all -c config=config/<env>.json)';

/**
 * Why the context cannot select a config, or `undefined` when `config` names
 * a `.json` path and no other key looks like a config path.
 * @param context every context value the app sees (cdk.json, ~/.cdk.json, -c)
 */
export function configContextProblem(context: Readonly<Record<string, unknown>>): string | undefined {
  const looksLikeConfig = (text: string) => /\.json$/i.test(text) || /(^|\/)config\//.test(text);
  for (const [key, value] of Object.entries(context)) {
    if (key === 'config' || key === 'stacks' || key.startsWith('aws:') || key.startsWith('@aws-cdk/') || key.startsWith('cdk-') || key === 'cli-telemetry')
      continue;
    if (looksLikeConfig(key) || (typeof value === 'string' && /\.json$/i.test(value) && /conf/i.test(key))) {
      const path = looksLikeConfig(key) ? key.replace(/=.*$/, '') : String(value);
      return `context ${JSON.stringify(key)} is not read: the config is given as -c config=<path>. Type: npx cdk synth -c config=${path}`;
    }
  }
  const config = context.config;
  if (config === undefined || config === '') {
    return (
      'no deployment config given (context "config" is not set). Type: ' +
      `${CONFIG_CONTEXT_USAGE}; to learn with the example: npx cdk synth -c config=config/example.json. ` +
      'A bare -c config/prod.json is not a context assignment: the CDK CLI drops it with a warning'
    );
  }
  if (typeof config !== 'string' || !/\.json$/i.test(config)) {
    return `context config must be the path of a .json config file, got ${JSON.stringify(config)}. Type: npx cdk synth -c config=config/${typeof config === 'string' && /^[a-z][a-z0-9-]*$/.test(config) ? config : '<env>'}.json`;
  }
  return undefined;
}

/** The context value that selects the vault account's stack: `-c stacks=vault`. */
export const VAULT_STACKS_CONTEXT = 'vault';

/** The context value that selects the drill account's stack: `-c stacks=drill` (config `drillAccount`). */
export const DRILL_STACKS_CONTEXT = 'drill';

/** The context value that selects the organization's StackSets: `-c stacks=org` with an org config (docs/org.md). */
export const ORG_STACKS_CONTEXT = 'org';

/** The context value that selects the organization's CDK pipeline instead: `-c stacks=org-pipeline` with an org config that has `pipeline`. */
export const ORG_PIPELINE_STACKS_CONTEXT = 'org-pipeline';

/** The context value that selects the organization's vault stack: `-c stacks=org-vault` with an org config (lib/org-vault.ts). */
export const ORG_VAULT_STACKS_CONTEXT = 'org-vault';

/** What `-c stacks` selects. */
export type StackSelection = 'workload' | 'vault' | 'drill' | 'org' | 'org-pipeline' | 'org-vault';

/**
 * Which stacks the context asks for: `workload` without `stacks`, `vault`
 * with `-c stacks=vault`, `org` with `-c stacks=org`, `org-pipeline` with
 * `-c stacks=org-pipeline`; any other value is a problem (one line) naming
 * the value, the choices and their commands.
 */
export function stackSelectionOf(context: Readonly<Record<string, unknown>>): StackSelection | { problem: string } {
  const stacks = context.stacks;
  if (stacks === undefined) return 'workload';
  if (stacks === VAULT_STACKS_CONTEXT) return 'vault';
  if (stacks === DRILL_STACKS_CONTEXT) return 'drill';
  if (stacks === ORG_STACKS_CONTEXT) return 'org';
  if (stacks === ORG_PIPELINE_STACKS_CONTEXT) return 'org-pipeline';
  if (stacks === ORG_VAULT_STACKS_CONTEXT) return 'org-vault';
  return {
    problem:
      `context stacks must be "${VAULT_STACKS_CONTEXT}", "${DRILL_STACKS_CONTEXT}", "${ORG_STACKS_CONTEXT}", "${ORG_PIPELINE_STACKS_CONTEXT}", "${ORG_VAULT_STACKS_CONTEXT}" or unset, got ${JSON.stringify(stacks)}. ` +
      "Workload stacks (Primary, DR): npx cdk deploy --all -c config=<file>; the vault account's stack: npx cdk deploy --all -c config=<file> -c stacks=vault; " +
      `the drill account's stack: npx cdk deploy --all -c config=<file> -c stacks=${DRILL_STACKS_CONTEXT}; ` +
      "an organization's StackSets: npx cdk deploy --all -c config=<org config> -c stacks=org; " +
      `its CDK pipeline instead: npx cdk deploy --all -c config=<org config> -c stacks=${ORG_PIPELINE_STACKS_CONTEXT}; ` +
      `the organization's vault (with the vault account's credentials): npx cdk deploy --all -c config=<org config> -c stacks=${ORG_VAULT_STACKS_CONTEXT}`,
  };
}
