/**
 * examples/embedded — a team's own CDK app with `redis-dr/cdk` inside it —
 * synthesizes the same RedisDr stacks as this repository's app does from a
 * JSON config, under the example's own (cdk init) feature flags, with
 * cdk-nag clean and the team's stack left to them. `redis-dr/cdk` resolves to
 * lib/index.ts here (vitest.config.mts, tsconfig.json paths).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, REDIS_DR_PROPS } from '../../examples/embedded/lib/app.js';
import { loadConfig } from '../../lib/config/index.js';
import { synthesize, type Synthesized } from '../support/synth.js';

const EXAMPLE = join(__dirname, '..', '..', 'examples', 'embedded');

/** A template as JSON with every asset hash (64 hex digits, in S3 keys and asset metadata) replaced. */
function masked(template: unknown): unknown {
  return JSON.parse(JSON.stringify(template).replace(/[0-9a-f]{64}/g, '<asset-hash>'));
}

describe('examples/embedded', () => {
  const dirs: string[] = [];
  let fromRepository: Synthesized;
  let embedded: Map<string, Record<string, any>>;

  beforeAll(() => {
    // What bin/app.ts builds from a JSON file of the same config.
    const dir = mkdtempSync(join(tmpdir(), 'redis-dr-embedded-'));
    dirs.push(dir);
    const file = join(dir, 'shop.json');
    writeFileSync(file, JSON.stringify(REDIS_DR_PROPS));
    fromRepository = synthesize(loadConfig(file));

    // The example's app, with the example's cdk.json context as the CDK CLI would pass it.
    const cdkJson = JSON.parse(readFileSync(join(EXAMPLE, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
    const outdir = join(dir, 'cdk.out');
    const app = new App({ outdir, context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false });
    buildApp(app);
    // cdk-nag runs as a validation plugin: an unacknowledged finding makes synth() throw.
    const assembly = app.synth();
    embedded = new Map(assembly.stacks.map((s) => [s.stackName, s.template as Record<string, any>]));
  });
  afterAll(() => {
    fromRepository?.cleanup();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("synthesizes the team's stack and RedisDr's two, named as the CLI and doctor expect", () => {
    expect([...embedded.keys()].sort()).toEqual(['RedisDr-shop-Dr', 'RedisDr-shop-Primary', 'Shop']);
    expect(Object.values(embedded.get('Shop')!.Resources).map((r: any) => r.Type)).toEqual(['AWS::SQS::Queue']);
  });

  it.each([
    ['RedisDr-shop-Primary', 'primary'],
    ['RedisDr-shop-Dr', 'dr'],
  ] as const)('%s is the template the repository app builds from the same JSON config (asset hashes masked)', (name, which) => {
    const ours = masked(embedded.get(name)) as Record<string, any>;
    const repo = masked(fromRepository[which].toJSON()) as Record<string, any>;
    // Resources first, for a readable failure: same logical IDs, types, then properties.
    const types = (t: Record<string, any>) => Object.fromEntries(Object.entries(t.Resources).map(([id, r]: [string, any]) => [id, r.Type]));
    expect(types(ours)).toEqual(types(repo));
    expect(Object.keys(ours.Resources).length).toBeGreaterThan(50);
    expect(ours).toEqual(repo);
  });
});
