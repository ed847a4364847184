import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '..', '..');
/** The folders dist/ is compiled from that a child's module can import (tsconfig.cli.json: bin/redis-dr.ts and what it imports). */
const SOURCES = ['cli', 'lambdas', join('lib', 'config')];

let checked = false;

/** Whether a TypeScript file under `dir` is newer than `builtAt` (bin/redis-dr.cjs asks the same before it runs dist/). */
function newer(dir: string, builtAt: number): boolean {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() ? newer(path, builtAt) : entry.name.endsWith('.ts') && statSync(path).mtimeMs > builtAt) return true;
  }
  return false;
}

/**
 * The compiled form (dist/, `npm run build`; `npm test` builds it first, scripts/build-dist.ts) of the module at `source`
 * (a .ts path), for a child process to require: what the CLI's children run (bin/redis-dr.cjs), without tsx's loader,
 * which cost each child about 0.25 CPU-s more to start (a small module) and 0.5 with a conversion's modules
 * (`node --import tsx -e 'require(…)'` against `node -e 'require(dist/…)'`, pinned to one CPU). Throws when dist/ is
 * missing or older than a source, so a child never runs yesterday's code.
 */
export function builtModule(source: string): string {
  const built = join(ROOT, 'dist', relative(ROOT, source).replace(/\.ts$/, '.js'));
  if (!checked) {
    const bin = join(ROOT, 'dist', 'bin', 'redis-dr.js');
    if (!existsSync(bin)) throw new Error('dist/ is missing: run `npm run build` (npm test does it first)');
    const builtAt = statSync(bin).mtimeMs;
    if (SOURCES.some((d) => newer(join(ROOT, d), builtAt)))
      throw new Error('dist/ is older than the TypeScript sources: run `npm run build` (npm test does it first)');
    checked = true;
  }
  if (!existsSync(built))
    throw new Error(`${relative(ROOT, built)} is not built: the CLI build (tsconfig.cli.json) does not compile ${relative(ROOT, source)}`);
  return built;
}
