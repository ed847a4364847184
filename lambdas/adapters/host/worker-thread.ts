/**
 * How every worker thread of this project starts (the CRC-64 threads and the
 * split verifier's: crc64-thread.ts, rdb-split-stream.ts,
 * split-worker-start.ts): an `eval` worker, with one workaround for a race
 * in Node's own teardown of a worker thread.
 *
 * The race. Node 20 unregisters a worker's isolate from its platform before
 * it disposes of it (src/node_worker.cc, `~WorkerThreadData`; later Node
 * disposes first, `NodePlatform::DisposeIsolate`). While the isolate is
 * disposed, V8 waits for the TurboFan jobs still compiling that worker's
 * functions on a background thread; a job whose allocation reaches the old
 * generation's limit then schedules incremental marking, asks the platform
 * for the isolate's task runner, and the whole process aborts:
 * `Assertion failed: (data.first) != nullptr` in `NodePlatform::ForIsolate`,
 * from `IncrementalMarkingJob::ScheduleTask` under
 * `OptimizingCompileDispatcher::CompileTask`. Seen in this project's test
 * runs on Node 20.20.2 (docs/developing.md), rarely: a worker ended while it
 * still ran hot code (a split verification that no longer needs its part, a
 * crash test), or soon after.
 *
 * The workaround. `--no-concurrent-recompilation`, set before the first
 * worker starts: V8 reads the flag when it creates an isolate, so the
 * workers' isolates (created after) compile their optimized code on their
 * own thread and no background job is left compiling for them when they end;
 * this thread's isolate, created before, keeps its background compiler (both
 * seen with `--trace-opt`: "mode: ConcurrencyMode::kSynchronous" in the
 * worker, "kConcurrent" here, test/lambdas/adapters/host/worker-thread.test.ts).
 * The flag changes where code is compiled, never what it computes. Its cost,
 * measured on Node 20.20.2 (2026-11-29, 15 starts of a worker each way,
 * alternately): about 7 ms and 7 CPU-ms more per worker start, and a worker's
 * hot functions compiled on its own thread (it pauses a few milliseconds
 * where another thread would have compiled them). Node documents flags set at
 * run time as unsupported in general ("changing settings after the VM has
 * started may result in unpredictable behavior"); this one governs only the
 * isolates created after it, as shown by that test. Applied on the Node
 * majors before {@link WORKER_TEARDOWN_FIXED_MAJOR} only; the fix in later
 * Node is read from its source, not run here (this machine has Node 20).
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

export type { Worker };

/** The first Node major whose worker teardown disposes of an isolate before unregistering it (see the module comment). */
export const WORKER_TEARDOWN_FIXED_MAJOR = 24;

/** Whether this process's workers need the workaround (its Node major). */
export function workersCompileOnTheirOwnThread(nodeVersion = process.versions.node): boolean {
  return Number(nodeVersion.split('.')[0]) < WORKER_TEARDOWN_FIXED_MAJOR;
}

let flagSet = false;

/** Starts an `eval` worker running `source` (the workaround applied first where this Node needs it). */
export function startWorker(source: string, options: Omit<WorkerOptions, 'eval'>): Worker {
  if (!flagSet && workersCompileOnTheirOwnThread()) {
    // node:v8 only where it is needed: loading it costs a CLI command's start about 1 ms.
    (process.getBuiltinModule?.('node:v8') as typeof import('node:v8') | undefined)?.setFlagsFromString('--no-concurrent-recompilation');
  }
  flagSet = true;
  return new Worker(source, { ...options, eval: true });
}
