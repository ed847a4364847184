/**
 * examples/embedded from the packed tarball, as a team gets it: a staging copy
 * of the repository runs the library half of the release build (prepack's
 * `build:lib` and `bundle:handlers`: the construct library with its type
 * declarations, the prebuilt Lambda bundles), `npm pack` packs it, and the example app — its own folder, its own
 * tsconfig without the repository's `redis-dr/cdk` path — imports
 * `redis-dr/cdk` from the unpacked tarball (its dependencies resolved from the
 * repository's node_modules, which stand in for the team's install). Its
 * RedisDr stacks must be the repository app's for the same config, asset
 * hashes masked, and cdk-nag clean (the synth fails otherwise).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIS_DR_PROPS } from '../../examples/embedded/lib/app.js';
import { loadConfig } from '../../lib/config/index.js';
import { HANDLERS } from '../../lib/constructs/job-function.js';
import { npmEnv } from '../support/package.js';
import { synthesize, type Synthesized } from '../support/synth.js';

const ROOT = join(__dirname, '..', '..');
const EXAMPLE = join(ROOT, 'examples', 'embedded');
/** What the release build reads: sources, build configs, and the files the package ships. */
const STAGED = [
  'bin',
  'cli',
  'lib',
  'lambdas',
  'scripts',
  'docs',
  'config',
  'deploy',
  'package.json',
  'package-lock.json',
  'README.md',
  'tsconfig.json',
  'tsconfig.cli.json',
  'tsconfig.lib.json',
];

/** Resources with asset hashes masked and the asset metadata left out (a prebuilt bundle is not "bundled" at synth). */
function resources(template: Record<string, any>): Record<string, unknown> {
  const masked = JSON.parse(JSON.stringify(template.Resources).replace(/[0-9a-f]{64}/g, '<asset-hash>')) as Record<string, Record<string, unknown>>;
  return Object.fromEntries(Object.entries(masked).map(([id, { Metadata: _metadata, ...rest }]) => [id, rest]));
}

describe('examples/embedded from the packed tarball', () => {
  let dir: string;
  let files: string[];
  let embedded: Map<string, Record<string, any>>;
  let fromRepository: Synthesized;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'redis-dr-tarball-'));
    const stage = join(dir, 'stage');
    for (const entry of STAGED) cpSync(join(ROOT, entry), join(stage, entry), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(stage, 'node_modules'), 'dir');
    const npm = (args: string[], cwd: string) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: npmEnv() });
    // The release build's library half (prepack's build:lib and bundle:handlers; the CLI half, prepack's
    // `build`, is the pretest's, whose dist/ the install test packs), then the pack without scripts.
    npm(['run', 'build:lib', '--silent'], stage);
    npm(['run', 'bundle:handlers', '--silent'], stage);
    const [report] = JSON.parse(npm(['pack', '--ignore-scripts', '--json', '--pack-destination', dir], stage)) as {
      filename: string;
      files: { path: string }[];
    }[];
    files = report!.files.map((f) => f.path);

    // The team's app: the example's own files, the tarball unpacked as node_modules/redis-dr; aws-cdk-lib,
    // constructs, cdk-nag and the package's dependencies from the repository's install, one folder up.
    const app = join(dir, 'app');
    for (const entry of ['bin', 'lib', 'cdk.json', 'tsconfig.json', 'package.json']) cpSync(join(EXAMPLE, entry), join(app, entry), { recursive: true });
    const installed = join(app, 'node_modules', 'redis-dr');
    mkdirSync(installed, { recursive: true });
    execFileSync('tar', ['-xzf', join(dir, report!.filename), '-C', installed, '--strip-components=1']);
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    const context = (JSON.parse(readFileSync(join(EXAMPLE, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context;
    const outdir = join(dir, 'cdk.out');
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'bin/app.ts'], {
      cwd: app,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH, HOME: process.env.HOME, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify(context) },
    });
    embedded = new Map(
      readdirSync(outdir)
        .filter((f) => f.endsWith('.template.json'))
        .map((f) => [f.replace(/\.template\.json$/, ''), JSON.parse(readFileSync(join(outdir, f), 'utf8')) as Record<string, any>]),
    );

    const file = join(dir, 'shop.json');
    writeFileSync(file, JSON.stringify(REDIS_DR_PROPS));
    fromRepository = synthesize(loadConfig(file));
  }, 300_000);
  afterAll(() => {
    fromRepository?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the tarball holds the construct library with its types and a prebuilt bundle per handler, no TypeScript sources', () => {
    expect(files).toEqual(expect.arrayContaining(['dist/lib/index.js', 'dist/lib/index.d.ts', 'dist/lib/redis-dr.d.ts']));
    const bundles = files.filter((f) => /^dist\/lambda-bundles\/[^/]+\/index\.js$/.test(f));
    expect(bundles.map((b) => b.split('/')[2]).sort()).toEqual([...HANDLERS].sort());
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
  });

  it("synthesizes the team's stack and RedisDr's two from the installed package", () => {
    expect([...embedded.keys()].sort()).toEqual(['RedisDr-shop-Dr', 'RedisDr-shop-Primary', 'Shop']);
    // The team's stack is theirs: redis-dr adds nothing to it.
    expect(Object.values(embedded.get('Shop')!.Resources).map((r: any) => r.Type)).toEqual(['AWS::SQS::Queue']);
    expect(existsSync(join(dir, 'app', 'node_modules', 'redis-dr', 'lib'))).toBe(false);
  });

  it.each([
    ['RedisDr-shop-Primary', 'primary'],
    ['RedisDr-shop-Dr', 'dr'],
  ] as const)('%s from the tarball is the repository app’s template for the same config (asset hashes masked)', (name, which) => {
    const ours = resources(embedded.get(name)!);
    const repo = resources(fromRepository[which].toJSON() as Record<string, any>);
    expect(Object.keys(ours).sort()).toEqual(Object.keys(repo).sort());
    expect(ours).toEqual(repo);
  });
});
