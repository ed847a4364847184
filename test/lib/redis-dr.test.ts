import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, FeatureFlags, Stack, Stage } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../lib/config/index.js';
import { REDIS_DR_FEATURE_FLAGS } from '../../lib/feature-flags.js';
import { RedisDr, RedisDrVault, type RedisDrProps } from '../../lib/redis-dr.js';

const FIXTURES = join(__dirname, '..', 'fixtures', 'config');
const ROOT = join(__dirname, '..', '..');
const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as RedisDrProps;
/** An app that does not bundle the Lambda code (the templates are the same but for asset hashes). */
const quietApp = (context: Record<string, unknown> = {}) =>
  new App({ context: { ...context, 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false });

describe('RedisDr construct', () => {
  it('refuses invalid props with exactly the problems the JSON config gets, before adding any stack', () => {
    const file = join(FIXTURES, 'several-problems.json');
    let fromFile: ConfigError | undefined;
    try {
      loadConfig(file);
    } catch (err) {
      fromFile = err as ConfigError;
    }
    const app = quietApp();
    let fromProps: unknown;
    try {
      new RedisDr(app, 'RedisDr', readJson(file));
    } catch (err) {
      fromProps = err;
    }
    expect(fromProps).toBeInstanceOf(ConfigError);
    const error = fromProps as ConfigError;
    expect(error.problems.length).toBeGreaterThanOrEqual(8);
    expect(error.problems).toEqual(fromFile!.problems);
    // The message names field, value and fix, one problem a line (no file: the props are code).
    expect(error.message.split('\n')).toEqual(error.problems);
    expect(error.message).toContain('plans[0].retention.daily must be >= 1, got 0');
    expect(app.node.findAll().filter((c) => Stack.isStack(c))).toEqual([]);
  });

  it('needs an App or a Stage as its scope, and names the stacks the same inside a Stage', () => {
    const app = quietApp();
    const props = readJson(join(FIXTURES, 'basic.json'));
    const stack = new Stack(app, 'Mine');
    expect(() => new RedisDr(stack as unknown as Stage, 'RedisDr', props)).toThrow(
      `RedisDr "RedisDr" was given the stack "Mine" as its scope: it adds stacks of its own, so its scope must be your App or a Stage (new RedisDr(app, 'RedisDr', …))`,
    );
    const redisDr = new RedisDr(new Stage(app, 'Prod'), 'RedisDr', props);
    // Without explicit names the CDK would call them Prod-RedisDr-example-Primary; the CLI and doctor look for these.
    expect([redisDr.primary.stackName, redisDr.dr.stackName]).toEqual(['RedisDr-example-Primary', 'RedisDr-example-Dr']);
    expect(redisDr.primary.node.path).toBe('Prod/RedisDr-example-Primary');
    expect(redisDr.config.lambda.memorySizeMb).toBe(512);
  });

  it("keeps redis-dr's feature flags on its stacks whatever the app sets, and the app's elsewhere", () => {
    const flipped = Object.fromEntries(Object.entries(REDIS_DR_FEATURE_FLAGS).map(([flag, on]) => [flag, !on]));
    const app = quietApp({ ...flipped, '@aws-cdk/aws-lambda:useCdkManagedLogGroup': true });
    const theirs = new Stack(app, 'Theirs');
    const redisDr = new RedisDr(app, 'RedisDr', readJson(join(FIXTURES, 'basic.json')));
    for (const [flag, on] of Object.entries(REDIS_DR_FEATURE_FLAGS)) {
      expect(FeatureFlags.of(redisDr.primary).isEnabled(flag), flag).toBe(on);
      expect(FeatureFlags.of(redisDr.dr).isEnabled(flag), flag).toBe(on);
      expect(FeatureFlags.of(theirs).isEnabled(flag), flag).toBe(!on);
    }
    // A flag redis-dr does not set behaves as in an app that sets nothing.
    expect(FeatureFlags.of(redisDr.primary).isEnabled('@aws-cdk/aws-lambda:useCdkManagedLogGroup')).toBe(false);
    expect(FeatureFlags.of(theirs).isEnabled('@aws-cdk/aws-lambda:useCdkManagedLogGroup')).toBe(true);
  });

  it('cdk.json gives the CDK CLI the same flags (one list, held here)', () => {
    const context = (JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context;
    expect(Object.fromEntries(Object.entries(context).filter(([k]) => k.startsWith('@aws-cdk/')))).toEqual(REDIS_DR_FEATURE_FLAGS);
  });

  it("runs cdk-nag on its own stacks only: a finding in the team's stack does not fail their synth, one in RedisDr's does", () => {
    const props = readJson(join(FIXTURES, 'basic.json'));
    const theirs = quietApp();
    // An unencrypted, unlogged, unversioned bucket: several AwsSolutions findings, and the team's business.
    new s3.Bucket(new Stack(theirs, 'Theirs', { env: { region: 'eu-west-1' } }), 'Plain');
    new RedisDr(theirs, 'RedisDr', props);
    expect(() => theirs.synth()).not.toThrow();

    const ours = quietApp();
    const redisDr = new RedisDr(ours, 'RedisDr', props);
    new s3.Bucket(redisDr.primary, 'Plain');
    expect(() => ours.synth()).toThrow(/AwsSolutions-S1/);
  });
});

describe('RedisDrVault construct', () => {
  const stackNamesOf = (app: App) => app.node.children.filter((c): c is Stack => Stack.isStack(c)).map((s) => s.stackName);

  it("adds the vault account's stack alone, bound to the vault account; RedisDr with the same props adds no vault stack", () => {
    const props = readJson(join(FIXTURES, 'vault.json'));
    const vaultApp = quietApp();
    const vault = new RedisDrVault(vaultApp, 'RedisDrVault', props);
    expect(stackNamesOf(vaultApp)).toEqual(['RedisDr-vaulted-Vault']);
    expect(vault.vault.account).toBe('222222222222');
    const workloadApp = quietApp();
    new RedisDr(workloadApp, 'RedisDr', props);
    expect(stackNamesOf(workloadApp).sort()).toEqual(['RedisDr-vaulted-Dr', 'RedisDr-vaulted-Primary']);
  });

  it('refuses props without a vault, naming the field and the other synth', () => {
    const app = quietApp();
    expect(() => new RedisDrVault(app, 'RedisDrVault', readJson(join(FIXTURES, 'basic.json')))).toThrow(
      'vault is required for the vault stack, got none: add a vault section, or synthesize the workload stacks (without -c stacks=vault)',
    );
    expect(stackNamesOf(app)).toEqual([]);
  });
});
