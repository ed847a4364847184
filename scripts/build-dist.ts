/**
 * Builds dist/, the CLI the tests run (`npm test`'s pretest), as
 * `tsc -p tsconfig.cli.json` does (`npm run build`): each TypeScript file the
 * CLI's entry points reach compiled to its own CommonJS file under dist/ at
 * its path, and the JSON files they import copied beside them.
 *
 * Why not tsc: it type-checks the whole program to emit it (about 20 CPU
 * seconds), and `npm test` type-checks the repository anyway (`tsc --noEmit`,
 * in parallel with the tests). The sources are written for `isolatedModules`,
 * so compiling each file alone gives the same code; esbuild does it in a few
 * CPU seconds (measured: 2-4 against tsc's 22). Which files: the ones
 * esbuild's bundler reaches from the entries (the tsconfig's `include`):
 * tsc's, but for modules that only declare types (tsc emits them empty;
 * nothing requires them at run time).
 *
 * Usage: tsx scripts/build-dist.ts [outdir]   (default dist)
 */
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { build } from 'esbuild';

const ROOT = join(__dirname, '..');

/** The entry points of tsconfig.cli.json's `include`. */
function entries(): string[] {
  const cli = readdirSync(join(ROOT, 'cli'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
  return [join(ROOT, 'bin', 'redis-dr.ts'), ...cli.map((f) => join(ROOT, 'cli', f))];
}

/** The repository files the entries reach, relative to the root (what tsc's program emits or copies). */
async function reached(entryPoints: readonly string[]): Promise<string[]> {
  const { metafile } = await build({
    entryPoints: [...entryPoints],
    absWorkingDir: ROOT,
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'cjs',
    packages: 'external',
    outdir: join(ROOT, 'dist'),
    logLevel: 'warning',
  });
  return Object.keys(metafile.inputs).filter((f) => !f.startsWith('node_modules/'));
}

async function main(): Promise<void> {
  const outdir = resolve(process.argv[2] ?? join(ROOT, 'dist'));
  const started = Date.now();
  const files = await reached(entries());
  const sources = files.filter((f) => f.endsWith('.ts'));
  rmSync(outdir, { recursive: true, force: true });
  await build({
    entryPoints: sources.map((f) => join(ROOT, f)),
    absWorkingDir: ROOT,
    outbase: ROOT,
    outdir,
    bundle: false,
    format: 'cjs',
    platform: 'node',
    target: 'es2022',
    tsconfig: join(ROOT, 'tsconfig.cli.json'),
    logLevel: 'warning',
  });
  // JSON the sources import (tsc copies them with `resolveJsonModule`): the compiled require() finds them at the same path.
  for (const json of files.filter((f) => f.endsWith('.json'))) {
    const target = join(outdir, json);
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(join(ROOT, json), target);
  }
  process.stdout.write(`built ${sources.length} files into ${relative(process.cwd(), outdir) || '.'} in ${Date.now() - started} ms\n`);
}

void main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
