/**
 * The TypeScript compiler API for the repository's checks (test/repo), loaded with require: imported as an ES module,
 * typescript.js (about 9 MB of CommonJS) was first read whole by Node's export lexer for its names, and that cost each
 * worker that loads it about 0.4 CPU-s more (plain node: 0.61 CPU-s imported, 0.20 required).
 */
import type * as TypeScript from 'typescript';

export const ts = require('typescript') as typeof TypeScript;
