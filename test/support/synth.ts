import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { inject } from 'vitest';
import { addRedisDrStacks, addVaultStack, type RedisDrStacks } from '../../lib/app.js';
import type { VaultStack } from '../../lib/stacks/vault-stack.js';
import { loadConfig, type RedisDrConfig } from '../../lib/config/index.js';
import { localApp } from '../../lib/local-app.js';
import { keepTemplates, keepValidationReport, keptTemplates, keptValidationReport } from './synth-kept.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The folder every synth of this run writes under (test/support/synth-root.ts removes it after the run). */
    synthRoot: string;
    /** The test file runs in a worker shared with other files (projects `shared` and `cdk`, vitest.config.mts). */
    sharedWorker: boolean;
  }
}

/** The stacks of a test synth: the workload's, and with config `vault` the vault's (built by its own call, as `-c stacks=vault` does). */
export interface SynthesizedStacks extends RedisDrStacks {
  readonly vault?: VaultStack;
}

/** A synthesized deployment: stacks, their templates and where they were written. */
export interface Synthesized {
  readonly app: App;
  readonly stacks: SynthesizedStacks;
  readonly outdir: string;
  readonly primary: Template;
  readonly dr: Template;
  /** The vault account's template; only with config `vault`. */
  readonly vault?: Template;
  /** Absolute paths of the template files. */
  readonly templateFiles: readonly string[];
  /** Made with the CDK's built-in template validation (read its findings with {@link validationFindings}). */
  readonly validated: boolean;
  /** A validated synth's validation-report.json: its own, or the one an earlier run kept for the same inputs (test/support/synth-kept.ts). */
  readonly validationReport?: string;
  /**
   * Done with it. The synth is shared (see {@link synthesize}), so its folder
   * stays until the test run ends; kept so callers need not know.
   */
  cleanup(): void;
}

/** The shipped example config, validated (the whole pipeline: exports, drills in both regions, the probe). */
export function exampleConfig(): RedisDrConfig {
  return loadConfig(join(__dirname, '..', '..', 'config', 'example.json'));
}

/**
 * An App for a test that builds its own stacks and reads their templates: no Lambda bundling (esbuild at synth) and
 * none of the CDK's built-in template validation, whose WebAssembly rule engine costs about 5 CPU-s the first time a
 * worker loads it (measured: test/lib/constructs/monitoring.test.ts 12.5 -> 4 CPU-s). The gate that validates
 * templates synthesizes whole apps with it on (the example's and config vault's): test/lib/app.test.ts.
 */
export function quietApp(): App {
  return new App({ context: { 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false });
}

/** Snapshots, retention and exports only (no drills, probe or network): test/fixtures/config/basic.json. */
export function basicConfig(): RedisDrConfig {
  return loadConfig(join(__dirname, '..', 'fixtures', 'config', 'basic.json'));
}

/** One synth: what every caller with the same config shares (templates as JSON text, so each caller parses its own). */
interface Built {
  readonly app: App;
  readonly stacks: SynthesizedStacks;
  readonly outdir: string;
  readonly templateFiles: readonly string[];
  readonly templates: readonly string[];
  readonly validated: boolean;
  /** validation-report.json's text, of a synth made with the validation. */
  readonly report?: string;
}

/** Synths of this process by config (and validation): the CDK tests share a worker (vitest.config.mts, project `cdk`). */
const synths = new Map<string, Built>();

/** The key of a synth in this process (and, without validation, of its templates kept between runs: test/support/synth-kept.ts). */
export function synthKey(config: RedisDrConfig, cloudFormationValidation: boolean): string {
  return JSON.stringify([config, cloudFormationValidation]);
}

/** The run's folder for synths (test/support/synth-root.ts); none outside a vitest worker. */
function runRoot(): string | undefined {
  try {
    return inject('synthRoot');
  } catch {
    // Outside a vitest worker inject() throws.
    return undefined;
  }
}

/** Where a synth writes: under the run's folder in vitest (removed after the run), else a folder of its own. */
function newOutdir(): string {
  return mkdtempSync(join(runRoot() ?? tmpdir(), 'redis-dr-synth-'));
}

/**
 * A synth of another worker of this run, as it wrote it: its template files (which stay until the run ends). Each of
 * the project's workers made its own synth of every config its files asked for: the example's 7 times over the 5
 * workers (twice where a file's vi.resetModules() had emptied its worker's cache), config vaulted's 4 times; 13 of
 * the 46 CPU-s the cdk project's 76 synths took were repeats (2026-11-27, load 8-12). The templates are the same (the
 * same config, no bundling), so a worker reads them: 56 synths, 36.5 CPU-s; test/lib (project cdk, 72 files) same-run
 * A/B, alternately, load 11-14: 119.9, 115.2 -> 113.0, 110.9 CPU-s of the vitest tree.
 */
interface Written {
  readonly outdir: string;
  readonly templateFiles: readonly string[];
}

/** Where the run's synth of `config` is announced (its key without validation: a validated synth's templates are the same). */
function writtenPath(root: string, config: RedisDrConfig): string {
  return join(root, `written-${createHash('sha256').update(synthKey(config, false)).digest('hex')}.json`);
}

function readWritten(config: RedisDrConfig): Written | undefined {
  const root = runRoot();
  if (!root) return undefined;
  try {
    return JSON.parse(readFileSync(writtenPath(root, config), 'utf8')) as Written;
  } catch {
    return undefined;
  }
}

/** Announces a synth that succeeded (a synth that threw, on a cdk-nag finding say, is never announced: each caller throws it). */
function announce(config: RedisDrConfig, written: Written): void {
  const root = runRoot();
  if (!root) return;
  const path = writtenPath(root, config);
  // Whole or not at all: written aside, then renamed (two workers announcing the same config write the same thing).
  writeFileSync(`${path}.${process.pid}`, JSON.stringify({ outdir: written.outdir, templateFiles: written.templateFiles } satisfies Written));
  renameSync(`${path}.${process.pid}`, path);
}

/**
 * The templates an earlier run kept for `config` (test/support/synth-kept.ts), written into a folder of this run's and
 * announced as a synth of this run; undefined when none is kept.
 */
function fromKept(config: RedisDrConfig): Written | undefined {
  const kept = keptTemplates(synthKey(config, false));
  if (!kept) return undefined;
  const outdir = newOutdir();
  const templateFiles = kept.names.map((name, i) => {
    const file = join(outdir, name);
    writeFileSync(file, kept.texts[i]!);
    return file;
  });
  const written = { outdir, templateFiles };
  announce(config, written);
  return written;
}

/**
 * Synthesizes a deployment into a temporary folder, skipping Lambda bundling
 * (the templates are the same but for asset hashes). cdk-nag runs as a
 * validation plugin, so findings make `synth()` throw.
 *
 * Once per config and process: a second call with an equal config (compared
 * as JSON) returns the first synth's app, stacks and files, with Templates of
 * its own (parsed anew from the written JSON, so a caller that changes one
 * changes nobody else's). Callers only read the app and the stacks. A synth
 * with the CDK's template validation also serves callers that ask for none
 * (the same templates; validation only adds a check).
 *
 * The templates once per config and run: a worker that has not synthesized
 * the config itself reads the files another worker's synth wrote
 * ({@link Written}, `templateFiles` and `outdir` are that synth's); the app
 * and stacks are built here only when a caller reads them. A synth with
 * validation is always made here (its caller reads its report). Across runs: a
 * worker that finds neither reads the templates an earlier run kept for the
 * config and the same sources (test/support/synth-kept.ts).
 */
export function synthesize(config: RedisDrConfig = exampleConfig(), options: { cloudFormationValidation?: boolean } = {}): Synthesized {
  // A validated synth whose report an earlier run kept for the same inputs: its findings are those, its templates any synth's.
  const keptReport =
    (options.cloudFormationValidation ?? false) && !synths.has(synthKey(config, true)) ? keptValidationReport(synthKey(config, false)) : undefined;
  const validation = (options.cloudFormationValidation ?? false) && keptReport === undefined;
  const key = synthKey(config, validation);
  const own = (): Built => {
    let built = synths.get(key) ?? (validation ? undefined : synths.get(synthKey(config, true)));
    if (!built) {
      built = build(config, validation);
      synths.set(key, built);
      announce(config, built);
      keepTemplates(synthKey(config, false), { names: built.templateFiles.map((f) => basename(f)), texts: built.templates });
      if (built.report !== undefined) keepValidationReport(synthKey(config, false), built.report);
    }
    return built;
  };
  const written = validation || synths.has(key) || synths.has(synthKey(config, true)) ? undefined : (readWritten(config) ?? fromKept(config));
  const built = written ? undefined : own();
  const files = written ?? built!;
  const [primary, dr, vault] = (built?.templates ?? files.templateFiles.map((f) => readFileSync(f, 'utf8'))).map((t) => Template.fromJSON(JSON.parse(t)));
  return {
    // Built here at the first read when the templates are another worker's.
    get app() {
      return (built ?? own()).app;
    },
    get stacks() {
      return (built ?? own()).stacks;
    },
    outdir: files.outdir,
    primary: primary!,
    dr: dr!,
    vault,
    templateFiles: files.templateFiles,
    validated: keptReport !== undefined || (built?.validated ?? false),
    validationReport: keptReport ?? built?.report,
    cleanup: () => {},
  };
}

function build(config: RedisDrConfig, cloudFormationValidation: boolean): Built {
  const outdir = newOutdir();
  try {
    // The same feature flags as `npx cdk synth` (cdk.json), minus bundling. The CDK's built-in template
    // validation loads a WebAssembly rule engine (about 4 s per test process on 2 cores): test/lib/app.test.ts
    // runs it on the whole example app, config vault's and examples/embedded's, the suite's only validated synths.
    const app = localApp(outdir, { cloudFormationValidation });
    // One app for both (templates are per stack, alike either way); bin/app.ts never builds them together.
    const stacks: SynthesizedStacks = { ...addRedisDrStacks(app, config), ...(config.vault ? { vault: addVaultStack(app, config) } : {}) };
    const assembly = withValidation(cloudFormationValidation, () => app.synth());
    const built = stacks.vault ? [stacks.primary, stacks.dr, stacks.vault] : [stacks.primary, stacks.dr];
    const templateFiles = built.map((s) => join(outdir, assembly.getStackByName(s.stackName).templateFile));
    const templates = templateFiles.map((f) => readFileSync(f, 'utf8'));
    const report = cloudFormationValidation ? readFileSync(join(outdir, 'validation-report.json'), 'utf8') : undefined;
    return { app, stacks, outdir, templateFiles, templates, validated: cloudFormationValidation, ...(report === undefined ? {} : { report }) };
  } catch (err) {
    rmSync(outdir, { recursive: true, force: true });
    throw err;
  }
}

/**
 * Runs `synth` with the CDK's template validation as asked. The test run turns it off for every App (CDK_VALIDATION=false,
 * vitest.config.mts), which the CDK reads at synth even for an App made with it on: a validated synth lifts that for its
 * own call and puts it back (synchronous, so no other test's synth runs meanwhile).
 */
function withValidation<T>(validation: boolean, synth: () => T): T {
  const before = process.env.CDK_VALIDATION;
  if (validation) delete process.env.CDK_VALIDATION;
  try {
    return synth();
  } finally {
    if (before !== undefined) process.env.CDK_VALIDATION = before;
  }
}

/** validation-report.json of a cloud assembly: what each validation plugin found. */
interface ValidationReport {
  readonly pluginReports: readonly {
    readonly pluginName: string;
    readonly violations: readonly {
      readonly ruleName: string;
      readonly severity?: string;
      readonly description: string;
      readonly violatingConstructs: readonly { readonly constructPath: string }[];
    }[];
  }[];
}

/**
 * What the CDK's built-in template validation found in a synth made with it, one line per finding (rule, severity,
 * what, where). The CDK reports its findings as warnings, so `synth()` does not throw on one (not even on a required
 * property missing: checked with aws-cdk-lib 2.276); a gate must read the report the synth wrote. (The report is written
 * without the validation too, with no findings: only a synth made with it may be read here.)
 */
export function validationFindings(synth: Synthesized): string[] {
  if (!synth.validated || synth.validationReport === undefined) throw new Error('validationFindings: synthesize with { cloudFormationValidation: true }');
  return reportFindings(synth.validationReport);
}

/** Synthesizes `app` with the CDK's template validation (lifted from the run's CDK_VALIDATION=false) and returns its findings as {@link validationFindings} does. */
export function synthValidated(app: App): string[] {
  return reportFindings(readFileSync(join(withValidation(true, () => app.synth()).directory, 'validation-report.json'), 'utf8'));
}

function reportFindings(text: string): string[] {
  const report = JSON.parse(text) as ValidationReport;
  return report.pluginReports.flatMap((p) =>
    p.violations.map(
      (v) => `${p.pluginName} ${v.ruleName} (${v.severity ?? '?'}): ${v.description} at ${v.violatingConstructs.map((c) => c.constructPath).join(', ')}`,
    ),
  );
}
