import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installPackage, packRepository, removePackages, type InstalledPackage, type PackedPackage } from '../support/package.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';

const ROOT = join(__dirname, '..', '..');
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

/** Bare module names a compiled file requires (tsc turns `import` and `import()` into `require`). */
function requiredPackages(file: string): string[] {
  const names = new Set<string>();
  for (const m of readFileSync(file, 'utf8').matchAll(/\brequire\((['"])([^'"]+)\1\)/g)) {
    const spec = m[2]!;
    if (spec.startsWith('.') || spec.startsWith('node:') || builtinModules.includes(spec)) continue;
    names.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
  }
  return [...names];
}

function jsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.js'))
    .map((e) => join(e.parentPath, e.name));
}

/**
 * A program from the install, in a folder outside the repository, with no
 * NODE_PATH: nothing of the repository's node_modules can be reached.
 */
function run(file: string, args: string[], cwd: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const { NODE_PATH: _, REDIS_DR_PASSWORD: _p, REDIS_DR_USERNAME: _u, REDIS_DR_HEARTBEAT_URL: _h, ...env } = process.env;
  return new Promise((resolve) => {
    const child = execFile(file, args, { cwd, encoding: 'utf8', timeout: 60_000, env }, (_e, stdout, stderr) =>
      resolve({ status: child.exitCode, stdout, stderr }),
    );
  });
}

describe('the package (npm pack, installed offline with runtime dependencies only)', () => {
  let packed: PackedPackage;
  let installed: InstalledPackage;
  let redis: RedisServer | undefined;
  let work: string;

  beforeAll(() => {
    packed = packRepository();
    installed = installPackage();
    work = mkdtempSync(join(tmpdir(), 'redis-dr-installed-'));
  }, 240_000);
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
    expect(manifest.exports['./cli']).toBe('./dist/cli/program.js');
    expect(manifest.files).toContain('dist/');
  });

  it('the tarball holds the compiled CLI and its docs; no sources, tests, benches, fixtures or cdk.out', () => {
    const files = packed.files;
    for (const needed of ['package.json', 'README.md', 'bin/redis-dr.cjs', 'dist/bin/redis-dr.js', 'dist/cli/program.js', 'config/schema.json']) {
      expect(files, needed).toContain(needed);
    }
    const unwanted = files.filter((f) => /^(test|bench|cdk\.out|demo|scripts|node_modules|\.ci)\//.test(f) || /\.ts$|\.tsbuildinfo$|\.rdb$/.test(f));
    expect(unwanted).toEqual([]);
    // Every command's compiled module is there (each loads only when it runs).
    for (const command of readdirSync(join(ROOT, 'cli', 'commands'))) {
      expect(
        files.some((f) => f.startsWith(`dist/cli/commands/${command}/`)),
        command,
      ).toBe(true);
    }
  });

  it('every package the compiled CLI requires is a runtime dependency', () => {
    const dependencies = new Set(Object.keys(manifest.dependencies));
    const missing = jsFiles(join(ROOT, 'dist')).flatMap((file) =>
      requiredPackages(file)
        .filter((name) => !dependencies.has(name))
        .map((name) => `${relative(ROOT, file)} requires ${name}`),
    );
    expect(missing).toEqual([]);
  });

  it('installs no dev tool: no TypeScript, tsx, vitest, biome or aws-cdk-lib', () => {
    const modules = join(installed.project, 'node_modules');
    for (const dev of ['typescript', 'tsx', 'vitest', '@biomejs/biome', 'aws-cdk-lib', 'aws-cdk', 'esbuild']) {
      expect(existsSync(join(modules, dev)), dev).toBe(false);
    }
    expect(existsSync(installed.bin)).toBe(true);
  });

  it('every module of the installed dist/ resolves inside the install', async () => {
    // Resolved from each compiled file, as Node would at run time: every command's code, not only the ones run below.
    const script = `
      const { createRequire } = require('node:module');
      const { readdirSync, readFileSync } = require('node:fs');
      const { join } = require('node:path');
      const failures = [];
      for (const e of readdirSync(process.argv[1], { withFileTypes: true, recursive: true })) {
        if (!e.isFile() || !e.name.endsWith('.js')) continue;
        const file = join(e.parentPath, e.name);
        const req = createRequire(file);
        for (const m of readFileSync(file, 'utf8').matchAll(/\\brequire\\((['"])([^'"]+)\\1\\)/g)) {
          try { req.resolve(m[2]); } catch (err) { failures.push(file + ': ' + m[2]); }
        }
      }
      process.stdout.write(JSON.stringify(failures));`;
    const r = await run(process.execPath, ['-e', script, join(installed.packageDir, 'dist')], work);
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

  it('sources newer than dist/ in an install raise no stale-build warning (npm does not keep file times from the tarball)', async () => {
    // Extraction order sets the times: a shipped .ts (the construct library's) may land after dist/.
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
      ['-e', `const cli = require('redis-dr/cli'); console.log(typeof cli.runProgram, typeof cli.createProgram, require('redis-dr/package.json').version)`],
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
