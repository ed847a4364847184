/**
 * Bundles the operator CLI for the package (`npm run bundle:cli`, part of
 * prepack): `release/cli/redis-dr.mjs` (what bin/redis-dr.cjs runs when
 * installed), `release/cli/program.mjs` (the `redis-dr/cli` export) and the
 * chunks they share, one per command's action and what only it uses, and
 * `release/cli/rdb-split-worker.mjs` (the thread that verifies a file's second
 * part: loaded by file, so an entry of its own, named to the code by the banner).
 *
 * Why a bundle: installed from npm with its dependencies, the CLI weighed
 * about 70 MB, 42 MB of it the AWS SDK's clients (each ships CommonJS, ES
 * modules and type declarations); bundled and tree-shaken, the code the CLI
 * runs is about 3 MB. ES modules with splitting keep the lazy load per
 * command (`await import('./action.js')`): `--help` parses no AWS client.
 * lz4-napi stays a dependency (a native binary, loaded from node_modules).
 *
 * Usage: tsx scripts/bundle-cli.ts [outdir]   (default release/cli)
 */
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { SPLIT_WORKER_GLOBAL } from '../lambdas/domain/rdb/split-worker-global.js';

/** Packages the bundle leaves to node_modules: each must be a runtime dependency of the package (test/package/install.test.ts). */
export const CLI_EXTERNALS = ['lz4-napi'] as const;

/** The split verification worker's entry, beside redis-dr.mjs (`rdb-split-worker.mjs`). */
const SPLIT_WORKER_ENTRY = 'rdb-split-worker';

const ROOT = join(__dirname, '..');

async function main(): Promise<void> {
  const outdir = resolve(process.argv[2] ?? join(ROOT, 'release', 'cli'));
  rmSync(outdir, { recursive: true, force: true });
  const started = Date.now();
  const result = await build({
    // The split verification's worker is an entry of its own: a thread loads it by file (rdb-split-worker.ts).
    entryPoints: {
      'redis-dr': join(ROOT, 'bin', 'redis-dr.ts'),
      program: join(ROOT, 'cli', 'program.ts'),
      [SPLIT_WORKER_ENTRY]: join(ROOT, 'lambdas', 'adapters', 'host', 'rdb-split-worker.ts'),
    },
    absWorkingDir: ROOT,
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    platform: 'node',
    target: 'node20',
    minify: true,
    legalComments: 'linked',
    external: [...CLI_EXTERNALS],
    // The CommonJS packages inside (commander, ioredis, the SDK's) call require() and read __dirname. Every file (a
    // chunk in chunks/ too) tells where the split worker's entry is, before any of its modules runs.
    banner: {
      js:
        "import{createRequire as __rdrRequire}from'node:module';import{fileURLToPath as __rdrPath}from'node:url';import{dirname as __rdrDir,join as __rdrJoin}from'node:path';const require=__rdrRequire(import.meta.url);const __filename=__rdrPath(import.meta.url);const __dirname=__rdrDir(__filename);" +
        `globalThis.${SPLIT_WORKER_GLOBAL}??=__rdrJoin(__dirname,__dirname.endsWith('chunks')?'..':'.','${SPLIT_WORKER_ENTRY}.mjs');`,
    },
    metafile: true,
    logLevel: 'warning',
  });
  const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
  process.stdout.write(`bundled the CLI into ${outdir}: ${(bytes / 1e6).toFixed(1)} MB in ${Date.now() - started} ms\n`);
}

// Run as a script (prepack); imported (the package test reads CLI_EXTERNALS), nothing is built.
if (require.main === module) {
  void main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  });
}
