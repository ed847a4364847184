#!/usr/bin/env node
// `npx redis-dr …`: runs the compiled CLI (in a clone, dist/, built by `npm ci`
// through the `prepare` script, or `npm run build`; installed, the bundle in
// release/cli/): no TypeScript is transpiled at start,
// and each command loads only what it uses (bench/cli-start measures it).
// The AWS SDK's notice that its 2027 releases need Node 22 is for whoever
// maintains package.json `engines`, not for on-call at 3 a.m.: the SDK's own
// switch keeps it off the CLI's stderr unless set otherwise.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { existsSync, readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const compiled = join(root, 'dist', 'bin', 'redis-dr.js');
// The installed package's CLI: one bundle (scripts/bundle-cli.ts, at npm pack), ES modules loaded per command.
const bundled = join(root, 'release', 'cli', 'redis-dr.mjs');
if (existsSync(compiled)) {
  warnIfStale(statSync(compiled).mtimeMs);
  require(compiled);
} else if (existsSync(bundled)) {
  import(require('node:url').pathToFileURL(bundled).href);
} else {
  // A clone not built yet: run from source through tsx, slower to start, in a child with tsx's hooks for both module
  // systems (`node --import tsx`, tsx resolved from here, not from the working folder): bin/redis-dr.ts imports the
  // program with import(), which tsx's CommonJS hook alone does not serve, and its ESM hook registers only at a start.
  process.stderr.write('redis-dr: dist/ is missing (run `npm run build` for a fast start); running from TypeScript sources\n');
  const child = require('node:child_process').spawnSync(
    process.execPath,
    ['--import', require('node:url').pathToFileURL(require.resolve('tsx')).href, join(__dirname, 'redis-dr.ts'), ...process.argv.slice(2)],
    { stdio: 'inherit' },
  );
  process.exitCode = child.status ?? (child.signal ? 128 + (require('node:os').constants.signals[child.signal] ?? 0) : 1);
}

/**
 * After a `git pull` without `npm ci` or `npm run build`, dist/ runs yesterday's
 * code: say so (one line; a few hundred stats, about 2 ms).
 */
function warnIfStale(builtAt) {
  const newer = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory() ? newer(path) : entry.name.endsWith('.ts') && statSync(path).mtimeMs > builtAt) return true;
    }
    return false;
  };
  // Only in a clone (tsconfig.cli.json is not in the package): an installed package's dist/ came with it.
  if (!existsSync(join(root, 'tsconfig.cli.json'))) return;
  try {
    if (['cli', 'lambdas', join('lib', 'config')].some((d) => existsSync(join(root, d)) && newer(join(root, d)))) {
      process.stderr.write('redis-dr: dist/ is older than the TypeScript sources: run `npm run build` (npm ci does it)\n');
    }
  } catch {
    // A check of convenience: never in the way of the command itself.
  }
}
