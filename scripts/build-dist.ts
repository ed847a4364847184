/**
 * `npm test`'s pretest: builds dist/, the CLI the tests run, with
 * `tsc -p tsconfig.cli.json` (as `npm run build` and `npm ci` do) unless
 * dist/ is already newer than every TypeScript source it is built from. On a
 * clean clone `npm ci` has just built it (the `prepare` script), so the tests
 * start without building it a second time; after an edit or a `git pull`, it
 * is rebuilt (TypeScript 7: about 6 CPU seconds, 22 with 5.9).
 *
 * Why tsc and not a faster per-file transpiler: esbuild compiled each file in
 * 2–4 CPU seconds, but its CommonJS output exports through getters, and
 * calls across modules through them cost the verifier dearly: `verify-rdb`
 * on the 1,000,000-key everyday file took 2.19 s instead of 1.61 s on one CPU
 * (bench/verify-rdb). dist/ is also what a clone's `npx redis-dr` runs, so it
 * must be the code users get.
 *
 * Usage: tsx scripts/build-dist.ts [--force]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');
/** The folders and files tsconfig.cli.json compiles from (and what changes its output). */
const SOURCES = ['bin', 'cli', 'lambdas', 'lib', 'tsconfig.cli.json', 'tsconfig.json', 'package.json'];

/** The newest modification time among the sources (TypeScript and JSON files, and the tsconfigs). */
function newestSource(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return /\.(ts|json|cjs)$/.test(path) ? stat.mtimeMs : 0;
  let newest = 0;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestSource(join(path, entry)));
  return newest;
}

function main(): void {
  const built = join(ROOT, 'dist', 'bin', 'redis-dr.js');
  const force = process.argv.includes('--force');
  if (!force && existsSync(built)) {
    const sources = Math.max(
      ...SOURCES.map((s) => join(ROOT, s))
        .filter(existsSync)
        .map(newestSource),
    );
    if (statSync(built).mtimeMs >= sources) {
      process.stdout.write('dist/ is newer than its sources: not rebuilt\n');
      return;
    }
  }
  const started = Date.now();
  // TypeScript 7's compiler (package typescript-native; its exports name no bin/ file, so by path): the same
  // JavaScript as 5.9 wrote, byte for byte, in 6 CPU-s instead of 22 (docs/developing.md).
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript-native', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.cli.json')], {
    stdio: 'inherit',
    cwd: ROOT,
  });
  process.stdout.write(`built dist/ with tsc in ${Date.now() - started} ms\n`);
}

main();
