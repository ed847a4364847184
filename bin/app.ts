#!/usr/bin/env node
/**
 * CDK app entry: `npx cdk synth -c config=config/prod.json`.
 * Loads and validates the config once; on any problem prints every one of
 * them and exits 1 before anything is synthesized.
 */
import { App } from 'aws-cdk-lib';
import { ConfigError, loadConfig } from '../lib/config';
import { addRedisDrStacks } from '../lib/app';

const app = new App();
const configFile = String(app.node.tryGetContext('config') ?? 'config/example.json');

try {
  addRedisDrStacks(app, loadConfig(configFile));
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
  throw err;
}
app.synth();
