import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';

/**
 * The repository as a user gets it: `npm pack` of the working tree, installed
 * from the tarball into an empty project with runtime dependencies only and
 * no network (`npm ci --offline --omit=dev`), so the installed `redis-dr`
 * runs without tsx, TypeScript or the dev tree. Packed once and installed
 * once per test process; other tests (examples/embedded) reuse both.
 *
 * Why a lock file: `npm install <tarball>` without one resolves every
 * dependency range from the registry's package documents, which `npm ci`
 * never fetches (it installs from package-lock.json), so `--offline` fails
 * with ENOTCACHED (so does `npm install -g --offline <tarball>`: a global
 * install reads no lock). The install project gets the runtime part of the
 * repository's own lock instead: the same versions the tests ran with, every
 * tarball already in the npm cache that `npm ci` filled.
 */

const ROOT = join(__dirname, '..', '..');

/** What `npm pack` made. */
export interface PackedPackage {
  /** Absolute path of the `.tgz`. */
  readonly tarball: string;
  /** Compressed bytes. */
  readonly size: number;
  readonly unpackedSize: number;
  /** Paths inside the package (`package/` stripped). */
  readonly files: readonly string[];
}

/** An install of the tarball into a fresh project. */
export interface InstalledPackage {
  /** The project folder (its package.json depends on the tarball). */
  readonly project: string;
  /** `<project>/node_modules/redis-dr`. */
  readonly packageDir: string;
  /** `<project>/node_modules/.bin/redis-dr`, the link npm made from `bin`. */
  readonly bin: string;
  /** Wall-clock seconds `npm ci` took. */
  readonly installSeconds: number;
}

interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  dev?: boolean;
  devOptional?: boolean;
  peer?: boolean;
  optional?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [key: string]: unknown;
}

let scratch: string | undefined;
let packed: PackedPackage | undefined;
const installs = new Map<string, InstalledPackage>();

function scratchDir(): string {
  if (!scratch) {
    const dir = mkdtempSync(join(tmpdir(), 'redis-dr-package-'));
    scratch = dir;
    // For scripts (bench/cli-start); a test worker is ended without 'exit': tests call removePackages() in afterAll.
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return scratch;
}

/** Removes the tarball and every install (about 70 MB each); the next call packs and installs anew. */
export function removePackages(): void {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  scratch = undefined;
  packed = undefined;
  installs.clear();
}

/**
 * Fails unless dist/ was built from the current sources: the tarball is packed
 * with `--ignore-scripts` (a second tsc run would cost a minute of the suite),
 * and `npm test`'s pretest has just built it.
 */
export function assertDistFresh(root = ROOT): void {
  const dist = join(root, 'dist');
  const fix = 'run `npm run build` (npm test runs it first, as pretest)';
  if (!existsSync(join(dist, 'bin', 'redis-dr.js'))) throw new Error(`dist/ is missing: ${fix}`);
  const stale: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) {
        const built = join(dist, relative(root, path)).replace(/\.ts$/, '.js');
        // Sources tsc does not reach from the CLI (the CDK stacks, Lambda handlers) have no output.
        if (existsSync(built) && statSync(built).mtimeMs < statSync(path).mtimeMs) stale.push(relative(root, path));
      }
    }
  };
  for (const dir of ['bin', 'cli', 'lib', 'lambdas']) walk(join(root, dir));
  const missing = readdirSync(join(root, 'cli', 'commands')).filter((c) => !existsSync(join(dist, 'cli', 'commands', c)));
  if (stale.length > 0 || missing.length > 0) {
    throw new Error(`dist/ is older than the sources (${[...stale, ...missing.map((c) => `cli/commands/${c}/`)].slice(0, 5).join(', ')}): ${fix}`);
  }
  // tsc never deletes: output of a source removed since would be packed too.
  const orphans = readdirSync(dist, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.js'))
    .map((e) => relative(dist, join(e.parentPath, e.name)))
    .filter((js) => !existsSync(join(root, js.replace(/\.js$/, '.ts'))));
  if (orphans.length > 0) throw new Error(`dist/ holds output of sources that no longer exist (${orphans.slice(0, 5).join(', ')}): delete dist/ and ${fix}`);
}

/** `npm pack` of the repository (once per process), after checking dist/ is fresh. */
export function packRepository(): PackedPackage {
  if (packed) return packed;
  assertDistFresh();
  const dest = join(scratchDir(), 'pack');
  mkdirSync(dest);
  const out = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dest], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: npmEnv(),
  });
  const [report] = JSON.parse(out) as { filename: string; size: number; unpackedSize: number; files: { path: string }[] }[];
  if (!report) throw new Error(`npm pack printed no report: ${out}`);
  packed = {
    tarball: join(dest, basename(report.filename)),
    size: report.size,
    unpackedSize: report.unpackedSize,
    files: report.files.map((f) => f.path),
  };
  return packed;
}

/**
 * Installs the packed tarball into a new empty project with `npm ci --offline
 * --omit=dev` (once per process for each set of extra dependencies).
 * `extraDependencies` names packages of the repository's lock the project
 * itself also depends on, at the locked version (e.g. aws-cdk-lib and
 * constructs for a CDK app that uses the construct library).
 */
export function installPackage(extraDependencies: readonly string[] = []): InstalledPackage {
  const key = [...extraDependencies].sort().join(',');
  const cached = installs.get(key);
  if (cached) return cached;
  const { tarball } = packRepository();
  const project = mkdtempSync(join(scratchDir(), 'project-'));
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string; bin: Record<string, string> } & Record<
    string,
    unknown
  >;
  const repoLock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const tarballSpec = `file:${relative(project, tarball)}`;
  const extras = Object.fromEntries(
    extraDependencies.map((name) => {
      const version = repoLock.packages[`node_modules/${name}`]?.version;
      if (!version) throw new Error(`extraDependencies: ${name} is not in package-lock.json at the top level; name a package the repository locks`);
      return [name, version];
    }),
  );
  const dependencies = { [manifest.name]: tarballSpec, ...extras };
  writeFileSync(join(project, 'package.json'), `${JSON.stringify({ name: 'redis-dr-install-check', private: true, dependencies }, null, 2)}\n`);
  writeFileSync(join(project, 'package-lock.json'), `${JSON.stringify(installLock(manifest, tarballSpec, tarball, extras, repoLock.packages), null, 2)}\n`);

  const started = process.hrtime.bigint();
  try {
    execFileSync('npm', ['ci', '--offline', '--omit=dev', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: project,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: npmEnv(),
    });
  } catch (err) {
    const stderr = String((err as { stderr?: unknown }).stderr ?? '');
    if (/ENOTCACHED/.test(stderr)) {
      throw new Error(
        `npm ci --offline of the packed tarball found a locked package missing from the npm cache: run \`npm ci\` in the repository (it fills the cache) and try again\n${stderr}`,
      );
    }
    throw err;
  }
  const installSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const installed = {
    project,
    packageDir: join(project, 'node_modules', manifest.name),
    bin: join(project, 'node_modules', '.bin', Object.keys(manifest.bin)[0]!),
    installSeconds,
  };
  installs.set(key, installed);
  return installed;
}

/** The `npm_config_*` variables of an enclosing `npm test` a child npm keeps: where the cache and the config files are. */
const KEPT_NPM_CONFIG = new Set(['npm_config_cache', 'npm_config_userconfig', 'npm_config_globalconfig', 'npm_config_cafile', 'npm_config_registry']);

/**
 * The environment for a child npm: without the other `npm_*` variables of an
 * enclosing `npm test` (its `npm_config_local_prefix` would make the child
 * work on the repository instead of its own folder).
 */
export function npmEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) || KEPT_NPM_CONFIG.has(k.toLowerCase())));
  return { ...env, ...extra };
}

/** The lock of the install project: the package from its tarball, and its runtime tree exactly as the repository locks it. */
function installLock(
  manifest: { name: string; version: string } & Record<string, unknown>,
  tarballSpec: string,
  tarball: string,
  extras: Record<string, string>,
  repo: Record<string, LockEntry>,
): object {
  const pkgPath = `node_modules/${manifest.name}`;
  const self: LockEntry = {
    version: manifest.version,
    resolved: tarballSpec,
    integrity: `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`,
  };
  for (const field of ['license', 'dependencies', 'optionalDependencies', 'peerDependencies', 'peerDependenciesMeta', 'bin', 'engines'] as const) {
    if (manifest[field] !== undefined) (self as Record<string, unknown>)[field] = manifest[field];
  }
  const packages: Record<string, LockEntry> = {
    '': { name: 'redis-dr-install-check', dependencies: { [manifest.name]: tarballSpec, ...extras } },
    [pkgPath]: self,
  };
  // Walk what each package requires, resolving names the way Node does (nearest node_modules upwards).
  const queue: [from: string, entry: LockEntry][] = [
    [pkgPath, self],
    ['', { dependencies: extras }],
  ];
  while (queue.length > 0) {
    const [from, entry] = queue.shift()!;
    const wanted: [string, boolean][] = [
      ...Object.keys(entry.dependencies ?? {}).map((n): [string, boolean] => [n, false]),
      ...Object.keys(entry.optionalDependencies ?? {}).map((n): [string, boolean] => [n, true]),
      ...Object.keys(entry.peerDependencies ?? {}).map((n): [string, boolean] => [n, entry.peerDependenciesMeta?.[n]?.optional === true]),
    ];
    for (const [name, optional] of wanted) {
      const at = resolveIn(repo, from, name);
      if (!at) {
        if (optional) continue;
        throw new Error(`${from || 'the install project'} requires ${name}, which package-lock.json does not hold: run \`npm install\` to update the lock`);
      }
      if (packages[at]) continue;
      const { dev, devOptional, peer, ...copy } = repo[at]!;
      packages[at] = copy;
      queue.push([at, copy]);
    }
  }
  return { name: 'redis-dr-install-check', lockfileVersion: 3, requires: true, packages };
}

/** Where `name` required from the package at `from` resolves in a lock's `packages`. */
function resolveIn(packages: Record<string, LockEntry>, from: string, name: string): string | undefined {
  let dir = from;
  for (;;) {
    const candidate = dir ? `${dir}/node_modules/${name}` : `node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (!dir) return undefined;
    const cut = dir.lastIndexOf('/node_modules/');
    dir = cut < 0 ? '' : dir.slice(0, cut);
  }
}
