/**
 * How the split verification's worker thread starts (its code is
 * adapters/host/rdb-split-worker.ts), apart from that code so that starting it
 * loads nothing else on this thread: the CLI starts it as its first step when
 * the command is `verify-rdb` (bin/redis-dr.ts), in standby, so that the
 * thread and its modules load (60–150 ms, timed on the CLI's two threads)
 * while this thread loads the CLI, instead of after. The verification takes
 * the standby worker when it splits a file (crc64-thread.ts) and posts it its
 * data; a verification that does not split dismisses it, and an unused one
 * never keeps the process alive.
 */
import { availableParallelism, loadavg } from 'node:os';
import { extname, join } from 'node:path';
import { SPLIT_WORKER_GLOBAL } from '../../domain/rdb/split-worker-global.js';
import { startWorker, type Worker } from './worker-thread.js';

/** The mark of the split worker's data (the worker module starts its work only when it finds it). */
export const SPLIT_WORKER_KIND = 'redis-dr-rdb-split';

/**
 * The worker's file, for the worker to load: where a bundle says it put it
 * ({@link SPLIT_WORKER_GLOBAL}, set in its banner), else the module beside
 * this one (dist/ and tsx, where each module is a file of its own).
 */
export const SPLIT_WORKER_FILE: string =
  ((globalThis as Record<string, unknown>)[SPLIT_WORKER_GLOBAL] as string | undefined) ?? join(__dirname, `rdb-split-worker${extname(__filename)}`);

/**
 * The worker's bootstrap (an `eval` worker's source): loads the worker
 * module, through tsx when it is TypeScript (the tests; tsx is a dev tool,
 * named by a variable: the package's compiled modules require no dev tool),
 * as an ES module from the CLI's bundle, required from dist/ and the
 * Lambda's bundle; the module starts the work on load.
 */
export const SPLIT_WORKER_BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
const file = workerData.file;
const tsx = 'tsx/cjs/api';
if (file.endsWith('.ts')) { require(tsx).register(); require(file); }
else if (file.endsWith('.mjs')) import(require('node:url').pathToFileURL(file).href);
else require(file);
`;

/** The environment variable that overrides {@link secondCoreFree}'s judgement: `1`, `2` or `auto` (the default). */
export const VERIFY_THREADS_ENV = 'REDIS_DR_VERIFY_THREADS';

/**
 * Whether a second thread would run on a core of its own here: on a machine
 * whose cores are all busy (1-minute load average above the cores less one),
 * the worker only adds its own CPU (about a tenth more in all,
 * bench/verify-rdb: 0.86x of one thread at load 7 on 2 cores). `cores` and
 * `load` default to this machine's.
 *
 * `REDIS_DR_VERIFY_THREADS=1` or `2` decides instead: the load average counts
 * every core of the machine, so it misleads a process pinned to cores of its
 * own (`taskset`, a container's cpuset), and bench/verify-rdb/cpus.ts
 * measures one and two CPUs whatever else runs.
 */
export function secondCoreFree(cores = availableParallelism(), load = loadavg()[0]!, threads = process.env[VERIFY_THREADS_ENV]): boolean {
  if (threads === '1' || threads === '2') return threads === '2';
  if (threads !== undefined && threads !== '' && threads !== 'auto') {
    throw new Error(`${VERIFY_THREADS_ENV} must be 1, 2 or auto, got ${JSON.stringify(threads)}: unset it to let the load average decide`);
  }
  return cores >= 2 && load <= cores - 1;
}

/** The worker in standby, once started and until taken or dismissed; undefined once it stopped. */
let standby: Worker | undefined;

/**
 * Starts the split worker in standby (its module loaded, waiting for its
 * data) where a second thread would help ({@link secondCoreFree}); nothing
 * otherwise, or when one is waiting already. It does not keep the process
 * alive. Never throws: without it, the verification starts its worker itself.
 */
export function startSplitWorkerStandby(): void {
  if (standby !== undefined) return;
  try {
    if (!secondCoreFree()) return;
    const worker = startWorker(SPLIT_WORKER_BOOTSTRAP, { workerData: { kind: SPLIT_WORKER_KIND, standby: true, file: SPLIT_WORKER_FILE } });
    worker.unref();
    const gone = (): void => {
      if (standby === worker) standby = undefined;
    };
    worker.on('error', gone);
    worker.on('exit', gone);
    standby = worker;
  } catch {
    standby = undefined;
  }
}

/**
 * The worker in standby, for a verification that splits a file: it is then
 * the caller's (it keeps the process alive again; post it its data as
 * `{ data }`). Undefined where none was started or it stopped.
 */
export function takeSplitWorkerStandby(): Worker | undefined {
  const worker = standby;
  standby = undefined;
  if (worker === undefined) return undefined;
  worker.removeAllListeners('error');
  worker.removeAllListeners('exit');
  worker.ref();
  return worker;
}

/** Whether a worker waits in standby (the tests). */
export function splitWorkerStandbyWaiting(): boolean {
  return standby !== undefined;
}

/**
 * Stops the worker in standby, if any (a verification that does not split the
 * file): at once it is no longer waiting; the promise settles when its thread
 * has stopped (never rejects: a caller need not wait for it).
 */
export async function dismissSplitWorkerStandby(): Promise<void> {
  const worker = standby;
  standby = undefined;
  await worker?.terminate().catch(() => undefined);
}
