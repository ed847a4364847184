import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
  devDependencies: Record<string, string>;
};

/**
 * The scripts that run a bare `tsc`: two packages install a `tsc` command
 * (`typescript`, 5.9, for its compiler API, and `typescript-native`, 7), and which one
 * node_modules/.bin/tsc is depends on the order npm linked them in (an
 * `npm install` of one moved it), so every script names the package's file.
 */
function bareTscScripts(scripts: Record<string, string>): string[] {
  return Object.entries(scripts)
    .filter(([, command]) => /(^|[\s;&|"'(])(npx\s+)?tsc(\s|$|")/.test(command))
    .map(([name]) => name);
}

describe('TypeScript: 7 checks and builds, 5.9 serves its compiler API', () => {
  it('no script runs a bare tsc', () => {
    expect(bareTscScripts(pkg.scripts)).toEqual([]);
  });

  it('the check finds a bare tsc wherever it stands in a script', () => {
    expect(
      bareTscScripts({
        a: 'tsc -p tsconfig.cli.json',
        b: 'node -e "x" || tsc -p .',
        c: 'concurrently "tsc --noEmit -p ." "biome check"',
        d: 'npx tsc',
        ok: 'node node_modules/typescript/bin/tsc -p .',
      }),
    ).toEqual(['a', 'b', 'c', 'd']);
  });

  it('the type check and the builds run TypeScript 7; 5.9 is installed for its compiler API', () => {
    expect(pkg.devDependencies['typescript-native']).toMatch(/^npm:typescript@7\./);
    expect(pkg.devDependencies.typescript).toMatch(/^5\./);
    expect(pkg.scripts.test).toContain('node node_modules/typescript-native/bin/tsc --noEmit -p .');
    // Incremental: a run keeps what it checked under node_modules/.cache (npm ci starts without it), and the next checks
    // again only what changed and what depends on it (the whole repository warm: about 5 CPU-s against 19). On one
    // thread: it runs beside the tests, whose CPU it shares (a clean check 19.6 -> 11.3 CPU-s, in the same wall time).
    const check =
      'node node_modules/typescript-native/bin/tsc --noEmit -p . --incremental --tsBuildInfoFile node_modules/.cache/redis-dr/typecheck.tsbuildinfo --singleThreaded';
    expect(pkg.scripts.typecheck).toBe(check);
    expect(pkg.scripts.test).toContain(check);
    for (const name of ['build', 'prepare', 'build:lib']) expect(pkg.scripts[name], name).toContain('node node_modules/typescript-native/bin/tsc -p ');
    expect(readFileSync(join(ROOT, 'scripts', 'build-dist.ts'), 'utf8')).toContain("join(ROOT, 'node_modules', 'typescript-native', 'bin', 'tsc')");
    const installed = (dir: string) => (JSON.parse(readFileSync(join(ROOT, 'node_modules', dir, 'package.json'), 'utf8')) as { version: string }).version;
    expect(installed('typescript')).toMatch(/^5\.9\./);
    expect(installed('typescript-native')).toMatch(/^7\./);
  });
});
