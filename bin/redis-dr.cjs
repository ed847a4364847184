#!/usr/bin/env node
// `npx redis-dr …`: runs the compiled CLI (dist/, built by `npm ci` through the
// `prepare` script, or `npm run build`): no TypeScript is transpiled at start,
// and each command loads only what it uses (bench/cli-start measures it).
// The AWS SDK's notice that its 2027 releases need Node 22 is for whoever
// maintains package.json `engines`, not for on-call at 3 a.m.: the SDK's own
// switch keeps it off the CLI's stderr unless set otherwise.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const compiled = join(__dirname, '..', 'dist', 'bin', 'redis-dr.js');
if (existsSync(compiled)) {
  require(compiled);
} else {
  // Installed with --ignore-scripts (no build): run from source through tsx, slower to start.
  process.stderr.write('redis-dr: dist/ is missing (run `npm run build` for a fast start); running from TypeScript sources\n');
  require('tsx/cjs/api').register();
  require('./redis-dr.ts');
}
