/**
 * examples/embedded from the packed tarball, as a team gets it: the release
 * `npm pack` makes (test/support/package.ts: prepack run in a staging copy,
 * cached by the sources' hash, shared with the package test), installed
 * offline with `npm ci --omit=dev` beside the peers a CDK app installs
 * (aws-cdk-lib, constructs, cdk-nag, esbuild); the example app — its own
 * files, its own tsconfig without the repository's `redis-dr/cdk` path — in a
 * folder of that project, importing `redis-dr/cdk` from node_modules. The
 * construct bundles the Lambda handlers at synth from the package's compiled
 * JavaScript with the app's esbuild. Its RedisDr stacks must be the
 * repository app's for the same config, asset hashes masked, and cdk-nag
 * clean (the synth fails otherwise). What the CLI printed and wrote is kept
 * between runs by everything it reads (the install, the example, the command):
 * a run with none of them changed reads it, not run again.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIS_DR_PROPS } from '../../examples/embedded/lib/app.js';
import { loadConfig } from '../../lib/config/index.js';
import { HANDLERS } from '../../lib/constructs/job-function.js';
import { hashFiles, KEPT_FOLDER, keptResult } from '../support/kept-by-content.js';
import { installPackage, packRepository, removePackages } from '../support/package.js';
import { synthesize, type Synthesized } from '../support/synth.js';

const ROOT = join(__dirname, '..', '..');
const EXAMPLE = join(ROOT, 'examples', 'embedded');
/** What a CDK app installs beside redis-dr: its optional peers. */
const PEERS = ['aws-cdk-lib', 'cdk-nag', 'constructs', 'esbuild'];
/** The example's own devDependencies that run it: the CDK CLI it pins (tsx comes from the repository). */
const TOOLS = ['aws-cdk'];
const TSX = join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const TSX_VERSION = (JSON.parse(readFileSync(join(ROOT, 'node_modules', 'tsx', 'package.json'), 'utf8')) as { version: string }).version;

/** Resources with asset hashes masked and the asset metadata left out (a prebuilt bundle is not "bundled" at synth). */
function resources(template: Record<string, any>): Record<string, unknown> {
  const masked = JSON.parse(JSON.stringify(template.Resources).replace(/[0-9a-f]{64}/g, '<asset-hash>')) as Record<string, Record<string, unknown>>;
  return Object.fromEntries(Object.entries(masked).map(([id, { Metadata: _metadata, ...rest }]) => [id, rest]));
}

describe('examples/embedded from the packed tarball', () => {
  let app: string;
  let files: readonly string[];
  let embedded: Map<string, Record<string, any>>;
  let fromRepository: Synthesized;
  let packageDir: string;
  let printed: string;

  beforeAll(() => {
    files = packRepository().files;
    const installed = installPackage([...PEERS, ...TOOLS]);
    packageDir = installed.packageDir;
    // The team's app: the example's own files in a folder of the project that installed the tarball and the peers.
    app = mkdtempSync(join(installed.project, 'app-'));
    for (const entry of ['bin', 'lib', 'cdk.json', 'tsconfig.json', 'package.json']) cpSync(join(EXAMPLE, entry), join(app, entry), { recursive: true });
    const outdir = join(app, 'cdk.out');
    // Without the CDK's template validation (`--no-validation`, the CLI's switch of it): its rule engine cost this child
    // about 5 CPU-s to load. test/lib/app.test.ts validates this config's templates in the worker that loads the engine
    // for the suite's other validated synths, and the last tests here hold these templates equal to those.
    // The CDK CLI the example pins (examples/embedded/package.json), as `npx cdk synth --strict` runs it there:
    // it reads the app's cdk.json, prints every annotation, and fails on a warning.
    const args = [
      'synth',
      '--strict',
      '--no-validation',
      '--no-notices',
      '--no-version-reporting',
      '--output',
      outdir,
      '--app',
      `"${process.execPath}" "${TSX}" bin/app.ts`,
    ];
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, CDK_DISABLE_CLI_TELEMETRY: 'true' };
    // What it printed and wrote, kept between runs by everything the synth reads: the install (its lock holds the
    // tarball's integrity and every package's version), the example's files, the command and its environment, tsx and
    // Node, the UTC day (the alarms' limits analyse crons from the synth's date). The CLI, the app and the bundling of
    // every handler cost this file about 9 CPU-s; a run with the same inputs prints and writes the same (asset hashes
    // aside, which the comparison below masks: the app's folder is new each run).
    const key = hashFiles(createHash('sha256'), [
      join(installed.project, 'package-lock.json'),
      ...['bin', 'lib', 'cdk.json', 'tsconfig.json', 'package.json'].map((e) => join(EXAMPLE, e)),
    ])
      .update(JSON.stringify([args.map((a) => (a === outdir ? '<outdir>' : a)), env, process.version, TSX_VERSION, new Date().toISOString().slice(0, 10)]))
      .digest('hex');
    const synthesized = keptResult(join(KEPT_FOLDER, 'embedded-synth'), key, () => {
      const synth = spawnSync(join(installed.project, 'node_modules', '.bin', 'cdk'), args, { cwd: app, encoding: 'utf8', env });
      if (synth.status !== 0) throw new Error(`cdk synth --strict of examples/embedded exited ${synth.status}:\n${synth.stderr}`);
      const templates = readdirSync(outdir).filter((f) => f.endsWith('.template.json'));
      return { printed: synth.stderr, templates: Object.fromEntries(templates.map((f) => [f, readFileSync(join(outdir, f), 'utf8')])) };
    });
    printed = synthesized.printed;
    embedded = new Map(Object.entries(synthesized.templates).map(([f, text]) => [f.replace(/\.template\.json$/, ''), JSON.parse(text) as Record<string, any>]));

    const file = join(app, 'shop.json');
    writeFileSync(file, JSON.stringify(REDIS_DR_PROPS));
    fromRepository = synthesize(loadConfig(file));
  }, 600_000);
  afterAll(() => {
    fromRepository?.cleanup();
    if (app) rmSync(app, { recursive: true, force: true });
    removePackages();
  });

  it('the tarball holds the construct library with its types and a compiled handler per Lambda, no TypeScript sources and no prebuilt bundles', () => {
    expect(files).toEqual(expect.arrayContaining(['release/lib/index.js', 'release/lib/index.d.ts', 'release/lib/redis-dr.d.ts']));
    expect(files).toEqual(expect.arrayContaining(HANDLERS.map((h) => `release/lambdas/handlers/${h}.js`)));
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    expect(files.filter((f) => f.includes('lambda-bundles') || f.endsWith('.map'))).toEqual([]);
  });

  it("synthesizes the team's stack and RedisDr's two from the installed package", () => {
    expect([...embedded.keys()].sort()).toEqual(['RedisDr-shop-Dr', 'RedisDr-shop-Primary', 'Shop']);
    // The team's stack is theirs: redis-dr adds nothing to it.
    expect(Object.values(embedded.get('Shop')!.Resources).map((r: any) => r.Type)).toEqual(['AWS::SQS::Queue']);
    expect(existsSync(join(packageDir, 'lib'))).toBe(false);
  });

  it('cdk synth --strict with the pinned CDK CLI prints redis-dr’s annotations: the subscriptions to confirm per alert topic, no warning', () => {
    // The CLI prints each as `INFO <message>`, then the construct's path on the next line.
    const lines = printed.split('\n');
    const annotations = lines.flatMap((line, i) => {
      const m = /^(INFO|WARNING|WARN|ERROR) (.*)$/.exec(line);
      return m ? [`${m[1]} ${lines[i + 1]?.trim()}: ${m[2]}`] : [];
    });
    console.info(`examples/embedded, cdk synth --strict:\n${annotations.join('\n')}`);
    expect(annotations.sort()).toEqual([
      expect.stringMatching(
        /^INFO RedisDr-shop-Dr\/Alerts: after deploying, confirm the 1 email subscription\(s\) of the DR alert topic \(eu-central-1\): .*aws sns list-subscriptions-by-topic --region eu-central-1 /,
      ),
      expect.stringMatching(
        /^INFO RedisDr-shop-Primary\/Alerts: after deploying, confirm the 1 email subscription\(s\) of the primary alert topic \(eu-west-1\): .*aws sns list-subscriptions-by-topic --region eu-west-1 /,
      ),
    ]);
  });

  it('the example pins the CDK CLI of the repository (a newer major cannot read the cloud assembly aws-cdk-lib writes)', () => {
    const example = JSON.parse(readFileSync(join(EXAMPLE, 'package.json'), 'utf8'));
    const repository = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    for (const name of ['aws-cdk', 'esbuild']) expect(example.devDependencies[name], name).toBe(repository.devDependencies[name]);
    for (const name of ['aws-cdk-lib', 'constructs', 'cdk-nag']) expect(example.dependencies[name], name).toBe(repository.devDependencies[name]);
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
