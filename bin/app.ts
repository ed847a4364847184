#!/usr/bin/env node
/**
 * CDK app entry: `npx cdk synth -c config=config/prod.json` (the workload
 * stacks, Primary and DR), or with `-c stacks=vault` the vault account's
 * stack alone (config `vault`; deployed with that account's credentials).
 * Everything it does is lib/cdk-entry.ts's: the config read and handed to
 * the `RedisDr` construct, every problem listed before anything is
 * synthesized (exit 1), and after a synth what was built and cdk-nag's verdict.
 */
import { App } from 'aws-cdk-lib';
import { runCdkEntry } from '../lib/cdk-entry.js';

const code = runCdkEntry(new App(), process.stderr);
if (code !== 0) process.exit(code);
