#!/usr/bin/env node
/**
 * CDK app entry: `npx cdk synth -c config=config/prod.json`.
 * Loads and validates the config once; on any problem prints every one of
 * them and exits 1 before anything is synthesized. After a synth, prints
 * what was built per stack and cdk-nag's verdict.
 *
 * There is no default config: a deploy must never fall back to another file.
 * The CDK CLI drops a bare `-c config/prod.json` (not `key=value`) with a
 * warning only, so without this the example would be synthesized instead.
 */
import { App } from 'aws-cdk-lib';
import { ConfigError, loadConfig } from '../lib/config/index.js';
import { addRedisDrStacks } from '../lib/app.js';
import { configContextProblem } from '../lib/config/context.js';
import { summarizeAssembly, synthSummary } from '../lib/synth-summary.js';

const app = new App();
const problem = configContextProblem(app.node.getAllContext());
if (problem !== undefined) {
  process.stderr.write(`${problem}\n`);
  process.exit(1);
}
const configFile = String(app.node.tryGetContext('config'));

let config;
try {
  config = loadConfig(configFile);
  addRedisDrStacks(app, config);
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
  throw err;
}
const { stacks, nagFindings } = summarizeAssembly(app.synth());
// stderr: `cdk synth <stack>` prints the template on stdout.
process.stderr.write(synthSummary(config, stacks, nagFindings));
