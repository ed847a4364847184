import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashFiles, KEPT_FOLDER, readKept, writeKept } from './kept-by-content.js';

/**
 * A synth's templates kept between runs (test/support/synth.ts), by everything they are a function of: the config (its
 * JSON), and {@link synthInputs}. A worker that finds them writes them into the run's synth folder and builds no app;
 * a test that reads `app` or `stacks` still builds it. Each run synthesized the same configs from the same sources:
 * 55 synths of test/lib and the other CDK files, about 25 CPU-s besides the validated ones (2026-11-29, load 9-10).
 */
export const SYNTH_KEPT = join(KEPT_FOLDER, 'synth');
/** The validation reports of validated synths, by the same keys ({@link keptValidationReport}). */
const SYNTH_VALIDATION_KEPT = join(KEPT_FOLDER, 'synth-validation');

const ROOT = join(__dirname, '..', '..');
/**
 * Kept synths unread for a day are removed: every change under lib/ or lambdas/ is a new key for every config (about
 * 20 MB of templates a generation), so a day of edits would otherwise keep gigabytes for a month.
 */
export const UNUSED_DAYS = 1;

/** A synth's template files as {@link keptTemplates} hands them back: each file's name and text, in the stacks' order. */
export interface KeptTemplates {
  readonly names: readonly string[];
  readonly texts: readonly string[];
}

let inputs: string | undefined;

/**
 * A digest of what a synth in this process reads besides its config, computed once per process: every file under lib/
 * and lambdas/ (the constructs and the domain code they import; the handlers' sources, whose paths the functions
 * name), cdk.json (the feature flags localApp reads), package-lock.json and the installed versions of aws-cdk-lib,
 * constructs and cdk-nag, this file and synth.ts, Node's version, the checkout's path (a skipped bundle's asset hash
 * holds it), the CDK_ and JSII_ variables (the run's context: CDK_CONTEXT_JSON, CDK_VALIDATION), and the UTC day (the
 * alarms' age limits analyse the drill and scrub crons from the synth's date: lib/deployment.ts freshnessLimits).
 */
export function synthInputs(): string {
  if (inputs) return inputs;
  const hash = hashFiles(createHash('sha256'), [
    ...['lib', 'lambdas', 'cdk.json', 'package-lock.json'].map((p) => join(ROOT, p)),
    join(__dirname, 'synth.ts'),
    join(__dirname, 'synth-kept.ts'),
  ]);
  const versions = ['aws-cdk-lib', 'constructs', 'cdk-nag'].map(
    (name) => (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version,
  );
  const variables = Object.entries(process.env)
    .filter(([name]) => /^(CDK|JSII)_/.test(name))
    .sort(([a], [b]) => (a < b ? -1 : 1));
  hash.update(JSON.stringify([ROOT, process.version, versions, variables, new Date().toISOString().slice(0, 10)]));
  inputs = hash.digest('hex');
  return inputs;
}

const keyOf = (configKey: string): string => createHash('sha256').update(`${synthInputs()}\0${configKey}`).digest('hex');

/** The templates a run kept for the config whose JSON key is `configKey`, or undefined. */
export function keptTemplates(configKey: string): KeptTemplates | undefined {
  return readKept<KeptTemplates>(SYNTH_KEPT, keyOf(configKey), { unusedDays: UNUSED_DAYS });
}

/** Keeps the templates of a synth that succeeded (one that threw, on a cdk-nag finding say, is never kept). */
export function keepTemplates(configKey: string, templates: KeptTemplates): void {
  writeKept(SYNTH_KEPT, keyOf(configKey), templates);
}

/**
 * The validation report (validation-report.json's text) of the CDK's template validation of a synth of the config, kept
 * by the same inputs as its templates: the rule engine is aws-cdk-lib's (its version is in {@link synthInputs}) and
 * judges the templates the synth writes. Its first use in a process cost about 5 CPU-s, each validated synth about 1 more;
 * test/lib/app.test.ts's gate can-fail case validates a template of its own every run.
 */
export function keptValidationReport(configKey: string): string | undefined {
  return readKept<string>(SYNTH_VALIDATION_KEPT, keyOf(configKey), { unusedDays: UNUSED_DAYS });
}

/** Keeps the report of a validated synth that succeeded. */
export function keepValidationReport(configKey: string, report: string): void {
  writeKept(SYNTH_VALIDATION_KEPT, keyOf(configKey), report);
}
