import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ESBUILD_RANGE, HANDLERS } from '../../lib/constructs/job-function.js';
import { CLI_EXTERNALS } from '../../scripts/bundle-cli.js';
import { stringsRdb } from '../support/rdb-strings.js';
import { bundledWorkerPart } from '../support/split-worker.js';
import { installPackage, packRepository, removePackages, type InstalledPackage, type PackedPackage } from '../support/package.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';

const ROOT = join(__dirname, '..', '..');
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

/** The package a module specifier names (`@aws-sdk/client-s3/x` → `@aws-sdk/client-s3`). */
function packageName(spec: string): string {
  return spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
}

/** Bare module names a compiled file requires (tsc turns `import` and `import()` into `require`). */
function requiredPackages(file: string): string[] {
  const names = new Set<string>();
  for (const m of readFileSync(file, 'utf8').matchAll(/\brequire\((['"])([^'"]+)\1\)/g)) {
    const spec = m[2]!;
    if (spec.startsWith('.') || spec.startsWith('node:') || builtinModules.includes(spec)) continue;
    names.add(packageName(spec));
  }
  return [...names];
}

/**
 * The packages the CLI bundle in `dir` imports from node_modules, as esbuild
 * reads its ES modules (static and dynamic imports, chunks followed): a
 * pattern over minified code would also match the SDK's error texts.
 */
async function bundleExternals(dir: string): Promise<string[]> {
  const result = await build({
    entryPoints: [join(dir, 'redis-dr.mjs'), join(dir, 'program.mjs')],
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    packages: 'external',
    write: false,
    outdir: join(dir, 'unused'),
    metafile: true,
    logLevel: 'silent',
  });
  const names = Object.values(result.metafile.inputs).flatMap((input) =>
    input.imports.filter((i) => i.external && !i.path.startsWith('node:') && !builtinModules.includes(i.path)).map((i) => packageName(i.path)),
  );
  return [...new Set(names)].sort();
}

/** Files under `dir` whose names end with `suffix`. */
function files(dir: string, suffix: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(suffix))
    .map((e) => join(e.parentPath, e.name));
}

/**
 * A program from the install, in a folder outside the repository, with no
 * NODE_PATH: nothing of the repository's node_modules can be reached.
 */
function run(file: string, args: string[], cwd: string, more: NodeJS.ProcessEnv = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const { NODE_PATH: _, REDIS_DR_PASSWORD: _p, REDIS_DR_USERNAME: _u, REDIS_DR_HEARTBEAT_URL: _h, ...env } = process.env;
  return new Promise((resolve) => {
    const child = execFile(file, args, { cwd, encoding: 'utf8', timeout: 60_000, env: { ...env, ...more } }, (_e, stdout, stderr) =>
      resolve({ status: child.exitCode, stdout, stderr }),
    );
  });
}

describe('the package (npm pack with its prepack, installed offline with runtime dependencies only)', () => {
  let packed: PackedPackage;
  let installed: InstalledPackage;
  let redis: RedisServer | undefined;
  let work: string;

  beforeAll(() => {
    packed = packRepository();
    installed = installPackage();
    work = mkdtempSync(join(tmpdir(), 'redis-dr-installed-'));
    // A pack (about 36 CPU-seconds: tsc of the construct library, esbuild of the CLI) and an install when the sources
    // changed; a cache hit otherwise. On a loaded machine the pack waits for a core: minutes, not a hang.
  }, 600_000);
  afterAll(async () => {
    await redis?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
    removePackages();
  });

  it('package.json can be published: not private, a bin, a files whitelist, exports, engines', () => {
    expect(manifest.private).toBeUndefined();
    expect(manifest.name).toBe('redis-dr');
    expect(manifest.bin).toEqual({ 'redis-dr': 'bin/redis-dr.cjs' });
    expect(manifest.engines.node).toBe('>=20');
    expect(manifest.exports['./package.json']).toBe('./package.json');
    expect(manifest.exports['./cli']).toBe('./release/cli/program.mjs');
    expect(manifest.files).toContain('release/');
    expect(manifest.files).not.toContain('dist/');
  });

  it('the construct’s packages are optional peers (the CLI needs none of them), in devDependencies for the repository', () => {
    for (const peer of ['aws-cdk-lib', 'constructs', 'cdk-nag', 'esbuild']) {
      expect(manifest.peerDependencies[peer], peer).toBeDefined();
      expect(manifest.peerDependenciesMeta[peer], peer).toEqual({ optional: true });
      expect(manifest.devDependencies[peer], peer).toBeDefined();
      expect(manifest.dependencies[peer], peer).toBeUndefined();
    }
    // The version the construct's error message names.
    expect(manifest.peerDependencies.esbuild).toBe(ESBUILD_RANGE);
  });

  it('the tarball holds the bundled CLI, the construct library with its types, a compiled handler per Lambda and the docs; no sources, dist/, tests or benches', () => {
    const files = packed.files;
    for (const needed of [
      'package.json',
      'README.md',
      'bin/redis-dr.cjs',
      'release/cli/redis-dr.mjs',
      'release/cli/program.mjs',
      'release/lib/index.js',
      'release/lib/index.d.ts',
      'config/schema.json',
      ...HANDLERS.map((h) => `release/lambdas/handlers/${h}.js`),
    ]) {
      expect(files, needed).toContain(needed);
    }
    const unwanted = files.filter(
      (f) =>
        /^(dist|test|bench|cdk\.out|demo|scripts|node_modules|\.ci)\//.test(f) || (/\.ts$/.test(f) && !f.endsWith('.d.ts')) || /\.tsbuildinfo$|\.rdb$/.test(f),
    );
    expect(unwanted).toEqual([]);
  });

  it('npm pack builds into release/ only: a clone’s dist/ (the tests’ CLI build) is never written, so npm test after a pack sees its own build', () => {
    expect(packed.wroteDist).toBe(false);
  });

  it('the bundled CLI leaves to node_modules only lz4-napi (a native binary), a runtime dependency', async () => {
    expect(await bundleExternals(join(installed.packageDir, 'release', 'cli'))).toEqual([...CLI_EXTERNALS]);
    for (const name of CLI_EXTERNALS) expect(manifest.dependencies[name], name).toBeDefined();
  });

  it('every package the construct library and the compiled handlers require is a runtime or peer dependency (the AWS SDK is the Lambda runtime’s)', () => {
    const declared = new Set([...Object.keys(manifest.dependencies), ...Object.keys(manifest.peerDependencies)]);
    const missing = ['lib', 'lambdas'].flatMap((dir) =>
      files(join(installed.packageDir, 'release', dir), '.js').flatMap((file) =>
        requiredPackages(file)
          // HANDLER_BUNDLING leaves @aws-sdk/* to the Lambda runtime.
          .filter((name) => !declared.has(name) && !name.startsWith('@aws-sdk/'))
          .map((name) => `${relative(installed.packageDir, file)} requires ${name}`),
      ),
    );
    expect(missing).toEqual([]);
  });

  it('installs no dev tool and no AWS SDK client: no TypeScript, tsx, vitest, biome, aws-cdk-lib, esbuild or @aws-sdk/client-s3', () => {
    const modules = join(installed.project, 'node_modules');
    for (const dev of ['typescript', 'tsx', 'vitest', '@biomejs/biome', 'aws-cdk-lib', 'aws-cdk', 'esbuild', 'commander', '@aws-sdk/client-s3']) {
      expect(existsSync(join(modules, dev)), dev).toBe(false);
    }
    expect(existsSync(installed.bin)).toBe(true);
  });

  it('the install with runtime dependencies only weighs at most 40 MB', () => {
    const bytes = files(join(installed.project, 'node_modules'), '').reduce((n, f) => n + statSync(f).size, 0);
    console.info(
      `package: npm pack ${packed.packSeconds.toFixed(1)} s, ${packed.size} B packed, ${packed.unpackedSize} B unpacked; installed ${(bytes / 1e6).toFixed(1)} MB`,
    );
    expect(bytes).toBeLessThanOrEqual(40e6);
  });

  it('every package the installed CLI bundle imports resolves inside the install', async () => {
    const cli = join(installed.packageDir, 'release', 'cli');
    const script = `
      const { createRequire } = require('node:module');
      const failures = [];
      for (const name of JSON.parse(process.argv[2])) {
        try { createRequire(process.argv[1]).resolve(name); } catch (err) { failures.push(name + ': ' + err.code); }
      }
      process.stdout.write(JSON.stringify(failures));`;
    const r = await run(process.execPath, ['-e', script, join(cli, 'redis-dr.mjs'), JSON.stringify(await bundleExternals(cli))], work);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual([]);
  });

  it('redis-dr --version and --help run from the installed bin', async () => {
    const version = await run(installed.bin, ['--version'], work);
    expect(version.stdout.trim()).toBe(manifest.version);
    expect(version.status).toBe(0);
    const help = await run(installed.bin, ['--help'], work);
    expect(help.status).toBe(0);
    for (const command of ['backup', 'verify-rdb', 'restore', 'drill', 'migrate', 'ship-aof']) expect(help.stdout).toContain(command);
    // A clone's stale-build warning and the tsx fallback are never seen in an install.
    expect(help.stderr).toBe('');
  });

  it('sources newer than the build in an install raise no stale-build warning (npm does not keep file times from the tarball)', async () => {
    // Extraction order sets the times: a shipped .d.ts (the construct library's) may land after the bundle.
    const source = join(installed.packageDir, 'lib', 'config', 'extracted-later.ts');
    mkdirSync(dirname(source), { recursive: true });
    writeFileSync(source, 'export {};\n');
    try {
      const help = await run(installed.bin, ['--help'], work);
      expect(help.status).toBe(0);
      expect(help.stderr).toBe('');
    } finally {
      rmSync(source);
    }
  });

  it('the programmatic entry and package.json are exported', async () => {
    const r = await run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { createRequire } from 'node:module'; const cli = await import('redis-dr/cli'); console.log(typeof cli.runProgram, typeof cli.createProgram, createRequire(process.cwd() + '/')('redis-dr/package.json').version)`,
      ],
      installed.project,
    );
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe(`function function ${manifest.version}`);
  });

  it('redis-dr verify-rdb checks a fixture RDB', async () => {
    const r = await run(installed.bin, ['verify-rdb', join(ROOT, 'test', 'fixtures', 'rdb', 'encodings.rdb'), '--json'], work);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true });
  });

  it('redis-dr verify-rdb on two threads: the banner names the worker bundled beside the CLI, it starts and verifies a part, and the report is the one-thread report', async () => {
    const cli = join(installed.packageDir, 'release', 'cli');
    const worker = join(cli, 'rdb-split-worker.mjs');
    // Every chunk's banner points at the worker's entry, whichever folder the chunk is in.
    const named = await run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `await import(${JSON.stringify(pathToFileURL(join(cli, 'program.mjs')).href)}); process.stdout.write(globalThis.__redisDrSplitWorker)`,
      ],
      work,
    );
    expect(named.stdout).toBe(worker);
    // The bundled worker (an ES module the bootstrap imports), fed a file's second half, hands its part back.
    const bytes = new Uint8Array(stringsRdb(20_000, 9));
    expect(await bundledWorkerPart(worker, bytes, { requireChecksum: false, pieceBytes: 1 << 20 })).toMatchObject({
      type: 'done',
      segment: { total: bytes.length },
    });
    // The installed CLI on two threads (threshold lowered to 1 MiB for this 11 MB file) and on one: the same report.
    const file = join(work, 'strings.rdb');
    writeFileSync(file, bytes);
    const two = await run(installed.bin, ['verify-rdb', file, '--json'], work, {
      REDIS_DR_VERIFY_THREADS: '2',
      REDIS_DR_TWO_THREADS_MIN_BYTES: String(1 << 20),
    });
    const one = await run(installed.bin, ['verify-rdb', file, '--json'], work, { REDIS_DR_VERIFY_THREADS: '1' });
    expect(two.stderr).toBe('');
    expect(two.status).toBe(0);
    expect(JSON.parse(two.stdout)).toMatchObject({ ok: true, keys: 20_000, checksum: 'ok' });
    expect(JSON.parse(two.stdout)).toEqual(JSON.parse(one.stdout));
  });

  it('redis-dr backup stores a verified backup of a real redis-server', async () => {
    redis = await startRedisServer();
    const client = redis.client();
    await client.mset('a', '1', 'b', '2', 'c', '3');
    const dest = join(work, 'backups');
    const r = await run(
      installed.bin,
      ['backup', '--redis', `redis://127.0.0.1:${redis.port}`, '--to', `file://${dest}`, '--create', '--name', 'installed'],
      work,
    );
    expect(r.stdout).toMatch(/^OK rdr-installed-\d{8}-\d{4}\.rdb \(tier monthly\): \d+ bytes, 3 keys, RDB v\d+, checksum ok/);
    expect(r.status).toBe(0);
    const stored = readdirSync(dest).filter((f) => f.endsWith('.rdb'));
    expect(stored).toHaveLength(1);
    const check = await run(installed.bin, ['verify-rdb', join(dest, stored[0]!), '--json'], work);
    expect(JSON.parse(check.stdout)).toMatchObject({ ok: true, keys: 3 });
  });
});
