#!/usr/bin/env node
/**
 * CDK app entry: `npx cdk synth -c config=config/prod.json`.
 * Loads and validates the config once; on any problem prints every one of
 * them and exits 1 before anything is synthesized. After a synth, prints
 * what was built per stack and cdk-nag's verdict.
 */
import { App } from 'aws-cdk-lib';
import { ConfigError, loadConfig } from '../lib/config';
import { addRedisDrStacks } from '../lib/app';
import { summarizeAssembly, synthSummary } from '../lib/synth-summary';

const app = new App();
const configFile = String(app.node.tryGetContext('config') ?? 'config/example.json');

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
