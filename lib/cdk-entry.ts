/**
 * What `bin/app.ts` (the CDK app of `npx cdk synth/deploy -c config=<file>`)
 * does with its App: checks the context, reads the JSON config and passes it
 * to the `RedisDr` construct (lib/redis-dr.ts), which validates it once; on
 * any problem writes every one of them and returns 1 before anything is
 * synthesized. After a synth, writes what was built per stack and cdk-nag's
 * verdict, and returns 0. A function of its own so that the entry stays a
 * line and the tests judge the refusals in-process (test/bin/app.test.ts).
 *
 * There is no default config: a deploy must never fall back to another file.
 * The CDK CLI drops a bare `-c config/prod.json` (not `key=value`) with a
 * warning only, so without this the example would be synthesized instead.
 */
import type { App } from 'aws-cdk-lib';
import { ConfigError, readConfigFile } from './config/index.js';
import { configContextProblem, stackSelectionOf } from './config/context.js';
import { RedisDr, RedisDrDrillAccount, RedisDrVault, type RedisDrProps } from './redis-dr.js';
import { runOrgEntry, runOrgPipelineEntry } from './org-entry.js';
import { runOrgVaultEntry } from './org-vault.js';
import { costLine, summarizeAssembly, synthSummary } from './synth-summary.js';

/** Where the app writes its lines (stderr: `cdk synth <stack>` prints the template on stdout). */
export interface EntryOutput {
  write(text: string): unknown;
}

/** Whether `file` is an org config (it has `organizationalUnits`); a file that cannot be read is not (the workload path names why). */
function isOrgConfigFile(file: string): boolean {
  try {
    const parsed = readConfigFile(file);
    return typeof parsed === 'object' && parsed !== null && 'organizationalUnits' in parsed;
  } catch (err) {
    if (err instanceof ConfigError) return false;
    throw err;
  }
}

/** Runs the CDK app's entry on `app` (see the module comment); the process's exit code. */
export function runCdkEntry(app: App, stderr: EntryOutput): number {
  const context = app.node.getAllContext();
  const selection = stackSelectionOf(context);
  const problem = configContextProblem(context) ?? (typeof selection === 'object' ? selection.problem : undefined);
  if (problem !== undefined || typeof selection === 'object') {
    stderr.write(`${problem}\n`);
    return 1;
  }
  const configFile = String(app.node.tryGetContext('config'));
  // An organization's StackSets come from an org config, of its own schema (docs/org.md): with -c stacks=org, or
  // without -c stacks when the file is an org config (its `organizationalUnits`), never read as a deployment config.
  if (selection === 'org' || (selection === 'workload' && isOrgConfigFile(configFile))) return runOrgEntry(app, configFile, stderr);
  // Or its CDK pipeline, a wave of stages per group of OUs (lib/org-pipeline.ts).
  if (selection === 'org-pipeline') return runOrgPipelineEntry(app, configFile, stderr);
  // Or the organization's one vault, which every member account replicates into (lib/org-vault.ts).
  if (selection === 'org-vault') return runOrgVaultEntry(app, configFile, stderr);

  let built: RedisDr | RedisDrVault | RedisDrDrillAccount;
  try {
    // Parsed JSON, not yet checked: the construct validates it (and types nothing it has not checked).
    // The workload stacks by default; the vault account's stack only with -c stacks=vault, alone (another account deploys it).
    const props = readConfigFile(configFile) as RedisDrProps;
    built =
      selection === 'vault'
        ? new RedisDrVault(app, 'RedisDrVault', props)
        : selection === 'drill'
          ? new RedisDrDrillAccount(app, 'RedisDrDrillAccount', props)
          : new RedisDr(app, 'RedisDr', props);
  } catch (err) {
    if (err instanceof ConfigError) {
      // The construct's problems name the field; the file goes first, as for a file that cannot be read.
      stderr.write(`${new ConfigError(err.problems, err.file ?? configFile).message}\n`);
      return 1;
    }
    throw err;
  }
  const { stacks, nagFindings, resources, warnings } = summarizeAssembly(app.synth());
  stderr.write(synthSummary(built.config, stacks, nagFindings, { stacks: selection, configFile, warnings }));
  // The workload stacks' monthly estimate (the vault account's stack is priced apart).
  if (selection === 'workload') stderr.write(costLine(built.config, resources, configFile));
  return 0;
}
