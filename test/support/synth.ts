import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { addRedisDrStacks, type RedisDrStacks } from '../../lib/app.js';
import { loadConfig, type RedisDrConfig } from '../../lib/config/index.js';
import { localApp } from '../../lib/local-app.js';

/** A synthesized deployment: stacks, their templates and where they were written. */
export interface Synthesized {
  readonly app: App;
  readonly stacks: RedisDrStacks;
  readonly outdir: string;
  readonly primary: Template;
  readonly dr: Template;
  /** The vault account's template; only with config `vault`. */
  readonly vault?: Template;
  /** Absolute paths of the template files. */
  readonly templateFiles: readonly string[];
  /** Removes the output folder. */
  cleanup(): void;
}

/** The shipped example config, validated (the whole pipeline: exports, drills in both regions, the probe). */
export function exampleConfig(): RedisDrConfig {
  return loadConfig(join(__dirname, '..', '..', 'config', 'example.json'));
}

/** Snapshots, retention and exports only (no drills, probe or network): test/fixtures/config/basic.json. */
export function basicConfig(): RedisDrConfig {
  return loadConfig(join(__dirname, '..', 'fixtures', 'config', 'basic.json'));
}

/**
 * Synthesizes a deployment into a temporary folder, skipping Lambda bundling
 * (the templates are the same but for asset hashes). cdk-nag runs as a
 * validation plugin, so findings make `synth()` throw.
 */
export function synthesize(config: RedisDrConfig = exampleConfig(), options: { cloudFormationValidation?: boolean } = {}): Synthesized {
  const outdir = mkdtempSync(join(tmpdir(), 'redis-dr-synth-'));
  // The same feature flags as `npx cdk synth` (cdk.json), minus bundling. The CDK's built-in template
  // validation loads a WebAssembly rule engine (about 4 s per test process on 2 cores): test/lib/app.test.ts
  // runs it on the whole example app (and test/bin/app.test.ts through the real app); other synths skip it.
  const app = localApp(outdir, { cloudFormationValidation: options.cloudFormationValidation ?? false });
  const stacks = addRedisDrStacks(app, config);
  const assembly = app.synth();
  const built = stacks.vault ? [stacks.primary, stacks.dr, stacks.vault] : [stacks.primary, stacks.dr];
  const templateFiles = built.map((s) => join(outdir, assembly.getStackByName(s.stackName).templateFile));
  const [primary, dr, vault] = templateFiles.map((f) => Template.fromJSON(JSON.parse(readFileSync(f, 'utf8'))));
  return {
    app,
    stacks,
    outdir,
    primary: primary!,
    dr: dr!,
    vault,
    templateFiles,
    cleanup: () => rmSync(outdir, { recursive: true, force: true }),
  };
}
