import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../../../..');
const MODULE = resolve(ROOT, 'lambdas/adapters/host/one-cpu-compiler.ts');

/**
 * What TurboFan inlines in a child (`--trace-turbo-inlining`) told it has
 * `cores` CPUs: a hot function `before` compiled while the flag is in force,
 * then one `after` compiled once it is put back; each calls a small `add`.
 */
function inlinedInto(cores: number): { before: boolean; after: boolean } {
  const script = `
    const { inlineLessOnOneCpu } = require(${JSON.stringify(MODULE)});
    const add = (a, b) => a + b;
    // Two functions of the same code, each with its own feedback and compilation.
    const loop = (name) => new Function('add', 'return function ' + name + '() { let s = 0; for (let i = 0; i < 10000; i++) s = add(s, i) | 0; return s; }')(add);
    const before = loop('before');
    const after = loop('after');
    const restore = inlineLessOnOneCpu(${cores});
    let t = 0;
    for (let k = 0; k < 3000; k++) t += before();
    restore();
    for (let k = 0; k < 3000; k++) t += after();
    console.log('sum', t);`;
  const trace = execFileSync(process.execPath, ['--trace-turbo-inlining', '--no-concurrent-recompilation', '--import', 'tsx', '-e', script], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  expect(trace).toMatch(/^sum \d+$/m);
  // "Inlining 0x… {… <SharedFunctionInfo add>} into 0x… {… <SharedFunctionInfo before>}"
  const into = (name: string) => new RegExp(`^Inlining .*<SharedFunctionInfo add>.* into .*<SharedFunctionInfo ${name}>`, 'm').test(trace);
  return { before: into('before'), after: into('after') };
}

/** convert-rdb on one CPU (issue 55's speed target): TurboFan's inlining off while it runs, put back after. */
describe('inlineLessOnOneCpu', () => {
  it('on one CPU, code compiled while it is in force inlines nothing, and code compiled after it is put back inlines again', () => {
    expect(inlinedInto(1)).toEqual({ before: false, after: true });
  });

  it('with two CPUs it changes nothing (negative: the same code inlines its small callee)', () => {
    expect(inlinedInto(2)).toEqual({ before: true, after: true });
  });
});
