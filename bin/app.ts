#!/usr/bin/env node
/**
 * CDK app entry: `npx cdk synth -c config=config/prod.json` (the workload
 * stacks, Primary and DR), or with `-c stacks=vault` the vault account's
 * stack alone (config `vault`; deployed with that account's credentials).
 * One user of the `RedisDr` construct (lib/redis-dr.ts): reads the JSON
 * config and passes it, and the construct validates it once; on any problem
 * prints every one of them and exits 1 before anything is synthesized. After a synth, prints
 * what was built per stack and cdk-nag's verdict.
 *
 * There is no default config: a deploy must never fall back to another file.
 * The CDK CLI drops a bare `-c config/prod.json` (not `key=value`) with a
 * warning only, so without this the example would be synthesized instead.
 */
import { App } from 'aws-cdk-lib';
import { ConfigError, readConfigFile } from '../lib/config/index.js';
import { RedisDr, RedisDrVault, type RedisDrProps } from '../lib/redis-dr.js';
import { configContextProblem, stackSelectionOf } from '../lib/config/context.js';
import { costLine, summarizeAssembly, synthSummary } from '../lib/synth-summary.js';

const app = new App();
const context = app.node.getAllContext();
const selection = stackSelectionOf(context);
const problem = configContextProblem(context) ?? (typeof selection === 'object' ? selection.problem : undefined);
if (problem !== undefined || typeof selection === 'object') {
  process.stderr.write(`${problem}\n`);
  process.exit(1);
}
const configFile = String(app.node.tryGetContext('config'));

let built: RedisDr | RedisDrVault;
try {
  // Parsed JSON, not yet checked: the construct validates it (and types nothing it has not checked).
  // The workload stacks by default; the vault account's stack only with -c stacks=vault, alone (another account deploys it).
  const props = readConfigFile(configFile) as RedisDrProps;
  built = selection === 'vault' ? new RedisDrVault(app, 'RedisDrVault', props) : new RedisDr(app, 'RedisDr', props);
} catch (err) {
  if (err instanceof ConfigError) {
    // The construct's problems name the field; the file goes first, as for a file that cannot be read.
    process.stderr.write(`${new ConfigError(err.problems, err.file ?? configFile).message}\n`);
    process.exit(1);
  }
  throw err;
}
const { stacks, nagFindings, resources } = summarizeAssembly(app.synth());
// stderr: `cdk synth <stack>` prints the template on stdout.
process.stderr.write(synthSummary(built.config, stacks, nagFindings, { stacks: selection, configFile }));
// The workload stacks' monthly estimate (the vault account's stack is priced apart).
if (selection === 'workload') process.stderr.write(costLine(built.config, resources, configFile));
