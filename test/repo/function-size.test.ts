/**
 * No function under lambdas/, lib/ or cli/ reaches 150 lines (issue 59), as
 * no file reaches 700 (file-size.test.ts): a long orchestrator reads as a
 * list of named steps, each a function one can read alone (read, judge,
 * record). Generated tables are the exception: a list of WebAssembly
 * opcodes is one value, not a body to read.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as TS from 'typescript';
import { describe, expect, it } from 'vitest';
import { ts } from '../support/typescript.js';
import { repositoryFiles } from '../../scripts/architecture-map.js';
import { keptByContent } from '../support/kept-by-content.js';

const ROOT = join(__dirname, '..', '..');
const LIMIT = 150;

/** Functions that are generated tables (`file:name`): the WebAssembly modules' opcode lists. */
const GENERATED = new Set(['lambdas/domain/rdb/codecs/lzf-wasm.ts:code']);

/** A function's name as a reader finds it: its own, the variable or property it is assigned to, `constructor`, else `(anonymous)`. */
function nameOf(node: TS.Node, file: TS.SourceFile): string {
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  const own = (node as { name?: TS.Node }).name;
  if (own !== undefined) return own.getText(file);
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) return parent.name.getText(file);
  return '(anonymous)';
}

/** Every function of a source text at or over {@link LIMIT} lines (first to last line of its declaration), as `path:name: N lines`. */
function longFunctions(path: string, text: string): string[] {
  const file = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
  const out: string[] = [];
  const visit = (node: TS.Node): void => {
    if (ts.isFunctionLike(node) && (node as { body?: TS.Node }).body !== undefined) {
      const first = file.getLineAndCharacterOfPosition(node.getStart(file)).line;
      const last = file.getLineAndCharacterOfPosition(node.getEnd()).line;
      const lines = last - first + 1;
      if (lines >= LIMIT) out.push(`${path}:${nameOf(node, file)}: ${lines} lines`);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return out;
}

function sources(): string[] {
  return repositoryFiles(ROOT).filter((f) => /^(lambdas|lib|cli)\//.test(f) && /\.(ts|mts|cts)$/.test(f) && !f.endsWith('.d.ts'));
}

describe('function size', () => {
  it(`keeps every function under lambdas/, lib/ and cli/ under ${LIMIT} lines (generated tables aside)`, () => {
    // Kept between runs by each file's path and bytes (test/support/kept-by-content.ts): an unchanged file is not parsed again.
    const kept = keptByContent('function-size', [ts.version, LIMIT, longFunctions, nameOf].join('\n'), longFunctions);
    const found = sources().flatMap((f) => kept.of(f, readFileSync(join(ROOT, f), 'utf8')));
    kept.save();
    const id = (entry: string): string => entry.slice(0, entry.lastIndexOf(':'));
    expect(
      found.filter((entry) => !GENERATED.has(id(entry))),
      `functions of ${LIMIT} lines or more: make them a list of named steps`,
    ).toEqual([]);
    expect(
      [...GENERATED].filter((fn) => !found.some((entry) => id(entry) === fn)),
      'generated tables under the limit now (or gone): remove them',
    ).toEqual([]);
  });

  it('counts a function of exactly 150 lines as too long and one of 149 as fine; names methods, arrows and constructors (negative cases)', () => {
    const body = (n: number): string => '  x();\n'.repeat(n - 2);
    const text = [
      `export function at() {\n${body(150)}}`,
      `export function under() {\n${body(149)}}`,
      `const arrow = () => {\n${body(151)}};`,
      `class C {\n  constructor() {\n${body(150)}  }\n  method() {\n${body(160)}  }\n}`,
    ].join('\n');
    expect(longFunctions('lib/x.ts', text)).toEqual([
      'lib/x.ts:at: 150 lines',
      'lib/x.ts:arrow: 151 lines',
      'lib/x.ts:constructor: 150 lines',
      'lib/x.ts:method: 160 lines',
    ]);
  });
});
