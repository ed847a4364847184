#!/usr/bin/env node
// `npx redis-dr …`: runs the TypeScript CLI through tsx (a dependency of the repo).
require('tsx/cjs/api').register();
require('./redis-dr.ts');
