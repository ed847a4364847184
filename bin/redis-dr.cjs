#!/usr/bin/env node
// `npx redis-dr …`: runs the TypeScript CLI through tsx (a dependency of the repo).
// The AWS SDK's notice that its 2027 releases need Node 22 is for whoever
// maintains package.json `engines` (tracked there), not for on-call at 3 a.m.:
// the SDK's own switch keeps it off the CLI's stderr unless set otherwise.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
require('tsx/cjs/api').register();
require('./redis-dr.ts');
