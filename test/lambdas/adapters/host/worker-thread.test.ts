import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WORKER_TEARDOWN_FIXED_MAJOR, workersCompileOnTheirOwnThread } from '../../../../lambdas/adapters/host/worker-thread.js';
import { builtModule } from '../../../support/built-module.js';

/** The module as dist/ compiled it (test/support/built-module.ts): the child runs without tsx's loader, about 0.25 CPU-s a run less. */
const MODULE = builtModule(resolve(__dirname, '../../../../lambdas/adapters/host/worker-thread.ts'));
const dir = mkdtempSync(join(tmpdir(), 'redis-dr-worker-thread-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A hot function's source, named `name`: TurboFan optimizes it after a few thousand calls. */
const hot = (name: string): string =>
  `function ${name}(a) { let s = 0; for (let i = 0; i < a.length; i++) s = (s * 31 + a[i]) | 0; return s; }
   { const a = new Uint8Array(1000); let r = 0; for (let k = 0; k < 20000; k++) r ^= ${name}(a); globalThis.sink = r; }`;

/**
 * How V8 compiled `hotInWorker` (in a worker started by `start`: `startWorker` or `new Worker`) and then `hotInMain`
 * (on the first thread), from `--trace-opt`: the modes of their optimizing compiles.
 */
function compileModes(start: 'startWorker' | 'new Worker'): { worker: string[]; main: string[] } {
  // V8 prints a trace line in several writes, and the two threads' lines can cut each other (one run in a full test run
  // at load 4 found no line for the worker's function): the process is run again, three times at most, until both are seen.
  let modes = compileModesOnce(start);
  for (let tries = 1; tries < 3 && (modes.worker.length === 0 || modes.main.length === 0); tries++) modes = compileModesOnce(start);
  return modes;
}

function compileModesOnce(start: 'startWorker' | 'new Worker'): { worker: string[]; main: string[] } {
  const ours = start === 'startWorker';
  const script = join(dir, ours ? 'ours.mjs' : 'plain.mjs');
  const body = JSON.stringify(`${hot('hotInWorker')}; require('node:worker_threads').parentPort.postMessage(1);`);
  writeFileSync(
    script,
    `import { Worker } from 'node:worker_threads';
     ${ours ? `import { startWorker } from ${JSON.stringify(MODULE)};` : ''}
     const w = ${ours ? `startWorker(${body}, {})` : `new Worker(${body}, { eval: true })`};
     await new Promise((r) => w.once('message', r));
     await w.terminate();
     ${hot('hotInMain')}`,
  );
  const run = spawnSync(process.execPath, ['--trace-opt', script], { encoding: 'utf8' });
  expect(run.status, run.stderr).toBe(0);
  const modes = (name: string): string[] =>
    [...run.stdout.matchAll(new RegExp(`compiling method [^\\n]*<JSFunction ${name} [^\\n]*mode: ConcurrencyMode::(\\w+)`, 'g'))].map((m) => m[1]!);
  return { worker: modes('hotInWorker'), main: modes('hotInMain') };
}

describe('worker threads: started so that Node 20 cannot abort the process as one ends', () => {
  it('applies the workaround on the Node majors before the fixed one only', () => {
    expect(workersCompileOnTheirOwnThread('20.20.2')).toBe(true);
    expect(workersCompileOnTheirOwnThread('22.12.0')).toBe(true);
    expect(workersCompileOnTheirOwnThread(`${WORKER_TEARDOWN_FIXED_MAJOR}.0.0`)).toBe(false);
    expect(workersCompileOnTheirOwnThread('26.1.0')).toBe(false);
  });

  it("a worker's hot code is compiled on its own thread (none left compiling in the background as it ends); this thread keeps its background compiler", () => {
    const ours = compileModes('startWorker');
    expect(ours.worker.length).toBeGreaterThan(0);
    expect(ours.main.length).toBeGreaterThan(0);
    expect(ours.main.every((m) => m === 'kConcurrent')).toBe(true);
    if (workersCompileOnTheirOwnThread()) expect(ours.worker.every((m) => m === 'kSynchronous')).toBe(true);
    else expect(ours.worker.every((m) => m === 'kConcurrent')).toBe(true);
    // The check can fail: a worker started the plain way, in a process where the flag was never set, compiles in the background.
    const plain = compileModes('new Worker');
    expect(plain.worker.length).toBeGreaterThan(0);
    expect(plain.worker.every((m) => m === 'kConcurrent')).toBe(true);
  });
});
