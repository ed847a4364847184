import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';

/**
 * The repository as a user gets it: `npm pack` of the working tree, installed
 * from the tarball into an empty project with runtime dependencies only and
 * no network (`npm ci --offline --omit=dev`), so the installed `redis-dr`
 * runs without tsx, TypeScript or the dev tree. Packed and installed once
 * per content of the sources (cached in the temp folder); the package test,
 * examples/embedded and bench/cli-start share both.
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
  /** Wall-clock seconds `npm pack` took, prepack included (of the run that packed it; the cache keeps it). */
  readonly packSeconds: number;
  /** Whether the release build wrote anything to dist/, the clone's own build (it must not). */
  readonly wroteDist: boolean;
}

/** An install of the tarball into a fresh project. */
export interface InstalledPackage {
  /** The project folder (its package.json depends on the tarball). */
  readonly project: string;
  /** `<project>/node_modules/redis-dr`. */
  readonly packageDir: string;
  /** `<project>/node_modules/.bin/redis-dr`, the link npm made from `bin`. */
  readonly bin: string;
  /** Wall-clock seconds `npm ci` took (in the run that installed it; the cache keeps it). */
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
] as const;

/** Where packed tarballs are kept between runs, one folder per content hash of {@link STAGED}. */
const CACHE = join(tmpdir(), 'redis-dr-pack-cache');
/** A release of the cache unused this long is removed when another is packed (a test run takes minutes). */
const STALE_CACHE_MS = 3_600_000;

let packed: PackedPackage | undefined;
const installs = new Map<string, InstalledPackage>();

/** Forgets this process's pack and installs (the cache on disk stays): the next call looks them up anew. */
export function removePackages(): void {
  packed = undefined;
  installs.clear();
}

/** A hash of every file the release build reads: the same hash, the same tarball. */
function stagedHash(root: string): string {
  const hash = createHash('sha256');
  const add = (path: string): void => {
    if (statSync(path).isDirectory()) {
      for (const entry of readdirSync(path).sort()) add(join(path, entry));
    } else {
      hash.update(relative(root, path)).update('\0').update(readFileSync(path)).update('\0');
    }
  };
  for (const entry of STAGED) add(join(root, entry));
  return hash.digest('hex').slice(0, 16);
}

/** Waits while another process holds `lock` (a folder), then takes it; a lock older than `staleMs` is taken over. */
function withLock<T>(lock: string, staleMs: number, body: () => T): T {
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() - statSync(lock, { throwIfNoEntry: false })!.mtimeMs > staleMs) rmSync(lock, { recursive: true, force: true });
      else execFileSync('sleep', ['1']);
    }
  }
  try {
    return body();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * The release as `npm pack` makes it (prepack: the construct library and the
 * Lambda handlers compiled to release/, the CLI bundled), run in a staging
 * copy of the repository so the working tree is untouched, and kept in a
 * cache by the content hash of what it reads: the test files that need it
 * (the package test, examples/embedded, bench/cli-start) share one pack, and
 * a run with unchanged sources packs nothing.
 */
export function packRepository(root = ROOT): PackedPackage {
  if (packed) return packed;
  mkdirSync(CACHE, { recursive: true });
  const key = stagedHash(root);
  const entry = join(CACHE, key);
  const reportFile = join(entry, 'report.json');
  packed = withLock(`${entry}.lock`, 600_000, () => {
    if (!existsSync(reportFile)) {
      // Older releases of the cache go: one tarball is about 1.5 MB, but a day of edits makes many. Only those unused
      // for an hour and not being written: the cache is the machine's, so another clone's run may be using its own
      // release right now (removing it failed that run's package tests).
      for (const old of readdirSync(CACHE)) {
        const path = join(CACHE, old);
        const idle = Date.now() - (statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? 0) > STALE_CACHE_MS;
        if (old !== key && !old.endsWith('.lock') && idle && !existsSync(`${path}.lock`)) rmSync(path, { recursive: true, force: true });
      }
      const stage = mkdtempSync(join(tmpdir(), 'redis-dr-stage-'));
      try {
        for (const item of STAGED) cpSync(join(root, item), join(stage, item), { recursive: true });
        symlinkSync(join(root, 'node_modules'), join(stage, 'node_modules'), 'dir');
        mkdirSync(entry, { recursive: true });
        const started = process.hrtime.bigint();
        const out = execFileSync('npm', ['pack', '--json', '--pack-destination', entry], {
          cwd: stage,
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe'],
          env: npmEnv(),
        });
        const packSeconds = Number(process.hrtime.bigint() - started) / 1e9;
        // prepack's and prepare's own output come first on stdout; the JSON report is last.
        const [report] = JSON.parse(out.slice(out.indexOf('\n[') + 1)) as { filename: string; size: number; unpackedSize: number; files: { path: string }[] }[];
        if (!report) throw new Error(`npm pack printed no report: ${out}`);
        const result: PackedPackage = {
          tarball: join(entry, basename(report.filename)),
          size: report.size,
          unpackedSize: report.unpackedSize,
          files: report.files.map((f) => f.path),
          packSeconds,
          wroteDist: existsSync(join(stage, 'dist')),
        };
        writeFileSync(reportFile, JSON.stringify(result));
      } catch (err) {
        rmSync(entry, { recursive: true, force: true });
        throw err;
      } finally {
        rmSync(stage, { recursive: true, force: true });
      }
    }
    // Used now: another clone's clean-up keeps it for the next hour.
    utimesSync(entry, new Date(), new Date());
    return JSON.parse(readFileSync(reportFile, 'utf8')) as PackedPackage;
  });
  return packed;
}

/**
 * Installs the packed tarball into a new empty project with `npm ci --offline
 * --omit=dev` (once per tarball for each set of extra dependencies).
 * `extraDependencies` names packages of the repository's lock the project
 * itself also depends on, at the locked version (e.g. aws-cdk-lib and
 * constructs for a CDK app that uses the construct library).
 */
export function installPackage(extraDependencies: readonly string[] = []): InstalledPackage {
  const key = [...extraDependencies].sort().join(',');
  const cached = installs.get(key);
  if (cached) return cached;
  const { tarball } = packRepository();
  // Kept beside the cached tarball: the same tarball, the same install.
  const project = join(dirname(tarball), `install-${key.replaceAll('/', '+').replaceAll(',', '_') || 'runtime'}`);
  const done = join(project, '.installed.json');
  const installed = withLock(`${project}.lock`, 600_000, () => {
    if (!existsSync(done)) {
      rmSync(project, { recursive: true, force: true });
      mkdirSync(project);
      installInto(project, tarball, extraDependencies);
    }
    return JSON.parse(readFileSync(done, 'utf8')) as InstalledPackage;
  });
  installs.set(key, installed);
  return installed;
}

/** `npm ci --offline --omit=dev` of the tarball (and `extraDependencies`) into the empty folder `project`; writes `.installed.json` last. */
function installInto(project: string, tarball: string, extraDependencies: readonly string[]): void {
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
  const installed: InstalledPackage = {
    project,
    packageDir: join(project, 'node_modules', manifest.name),
    bin: join(project, 'node_modules', '.bin', Object.keys(manifest.bin)[0]!),
    installSeconds,
  };
  writeFileSync(join(project, '.installed.json'), JSON.stringify(installed));
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
