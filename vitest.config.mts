import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
// biome-ignore lint/correctness/useImportExtensions: the JSON module is named with its own extension
import START_UP_ONLY_VARIABLES from './test/support/start-up-variables.json' with { type: 'json' };

// The workers, and every process a test starts, start without the variables that only slow a Node process's start
// (test/support/start-up-env.ts: NODE_EXTRA_CA_CERTS costs each of the suite's hundreds of processes about 0.05 s).
for (const name of START_UP_ONLY_VARIABLES) delete process.env[name];
// The CDK's built-in template validation off for every App the tests make (the workers and every child inherit it): an
// App made with `new App()` validates by default, and its WebAssembly rule engine cost each worker about 5 CPU-s to
// load and each synth about 1 more, for findings nobody read (the CDK prints them as warnings; synth does not throw).
// Measured on test/lib/org and its verified-copy rule in one worker: 32.9 -> 12.4 CPU-s. The validation gate is
// test/lib/app.test.ts's, whose synths turn it back on (`synthesize(config, { cloudFormationValidation: true })`,
// test/support/synth.ts) and read the report.
process.env.CDK_VALIDATION = 'false';
// No stack traces in the construct metadata of the Apps the tests make (the workers and every child inherit it; the CDK
// reads context from CDK_CONTEXT_JSON, as the CDK CLI hands it to an app): every CfnResource and Stack recorded the
// stack of its creation (`aws:cdk:creationStack`) and every annotation its own, each an Error stack that vitest's
// source-map support maps frame by frame. Nothing reads them (they are in the cloud assembly's manifest, not in a
// template), and the CDK names the creation traces a cost to turn off "for performance reasons". test/bin/app.test.ts's
// child (bin/app.ts as the CDK CLI runs it) gets a context of its own, without these.
process.env.CDK_CONTEXT_JSON = JSON.stringify({
  ...(process.env.CDK_CONTEXT_JSON ? (JSON.parse(process.env.CDK_CONTEXT_JSON) as Record<string, unknown>) : {}),
  'aws:cdk:disable-creation-stack-traces': true,
  'aws:cdk:disable-stack-trace': true,
});
// The X-Ray SDK without its automatic context (the workers and every child inherit it): loaded with the Powertools
// Tracer (lambdas/handlers/entry.ts), it enables an async hook for the process's life (cls-hooked) that tracks the
// destruction of every promise, and a shared worker kept it for every file after the first that imported a handler
// (3 of the 5 workers of `shared` from their 8th-14th file, in a profiled run). 2,000,000 awaits: 0.11 CPU-s without
// the SDK, 1.25-1.32 with it, 0.11 with it in manual mode. Outside Lambda (no AWS_EXECUTION_ENV) the Tracer traces
// nothing either way (entry.ts), so no test sees the context; in Lambda the SDK keeps its automatic mode.
process.env.AWS_XRAY_MANUAL_MODE = 'true';

/**
 * Test files that run without isolation (project `shared`): a worker runs many of them in one process, so each
 * file's imports (the AWS SDK, ioredis, aws-cdk-lib) load once per worker, not once per file.
 * - test/lib: the infrastructure tests load aws-cdk-lib (seconds of CPU per process) and synthesize apps; a worker
 *   loads the CDK once for all the files it runs and shares each synth among them (test/support/synth.ts).
 * - test/lambdas, test/cli, test/docs, test/repo: the code under test imports the same modules file after file;
 *   a process per file was mostly start-up (measured, CPU-s user+sys: test/lambdas/adapters/aws 11.7 -> 6.3).
 * None of these files may leave the environment, the working folder, process listeners or timers changed:
 * test/support/setup.ts restores every mocked AWS client after each file and fails a file of this project
 * that leaves an environment variable or the working folder changed: restore them in afterAll/afterEach. Measured earlier (CPU-s, user+sys, on a loaded machine):
 * the 23 files test/lib/*.test.ts + test/lib/constructs/*.test.ts 175.8 -> 92.5; 46 domain files 40.5 -> 23.6.
 * - every other folder too (test/bin, test/demo, test/examples, test/package, test/scripts, test/deploy, test/support):
 *   their children do the work, and a process per file was start-up again (7 of them: 10.4 -> 8.9 CPU-s), and
 *   test/examples' in-process synth loaded aws-cdk-lib in a process of its own.
 */
const SHARED = ['test/**/*.test.ts'];
/**
 * Test files that need a process of their own (project `default`, isolated). A file that changes
 * process-wide state it cannot restore (a module mock, a global listener) goes here.
 */
const ISOLATED: string[] = [
  // Mocks the writer's own transcode.ts with a bug: in a shared worker another file may have loaded the real one first.
  'test/lambdas/jobs/keys/convert-rdb-writer-bug.test.ts',
  // Mocks the S3 output adapter (an object replaced between upload and read-back): the same reason.
  'test/lambdas/jobs/keys/convert-rdb-s3-readback.test.ts',
  // Mocks source-forms.ts's stream layout with a writer bug (a stored id written wrong): the same reason.
  'test/lambdas/jobs/keys/convert-rdb-stream-layout-bug.test.ts',
  // The same mock, under migrate --verify's two paths (a small stream DUMPed, a big one read in chunks).
  'test/lambdas/jobs/keys/verify-big-stream-first-id.test.ts',
  // Takes 4 MiB slots of the process's one shared WebAssembly area: in a shared worker, the conversions other files ran
  // and let fail keep their writers' slots (rdb-file.ts: by design, no finalizer), and how many depends on which files
  // the worker ran first (seen once: "no slot of 4194304 bytes left"). A process of its own finds the area as a run does.
  'test/lambdas/domain/rdb/codecs/shared-area.test.ts',
  // Mocks adapters/host/collect-garbage.ts to count the collections a conversion asks for: the same reason as the mocks above.
  'test/lambdas/jobs/keys/convert-rdb-collect.test.ts',
];
/**
 * The files that load aws-cdk-lib into their worker (project `cdk`, shared like `shared`, but never in a worker of
 * `shared`): what they load and the synths test/support/synth.ts keeps (per config, for the worker's life) made every
 * heap they shared about four times larger, and every full collection there that much dearer: the product's own
 * (collectGarbage after a big key, verify and migrate's passes) took 87 ms at a 167 MB heap against 10-15 ms at 25 MB
 * (--trace-gc, verify-streamed.test after test/lib/constructs in one worker), and the suite's workers spent about
 * 15 % of their busy time collecting. A file missing here still runs (in `shared`, with the CDK in its heap);
 * the list is the test files whose imports reach aws-cdk-lib, constructs or cdk-nag (esbuild's metafile of every test file).
 * Measured with four lighter test files beside it (about 6 CPU-s of it, same-run A/B), whole `npm test` against main's at
 * similar load (2026-11-27 00:26 and 00:32 UTC, load 1.3-8): 274 s -> 243 s, 501.6 -> 440.0 CPU-s (tsc and biome included).
 */
const CDK = [
  'test/lib/**/*.test.ts',
  'test/bin/**/*.test.ts',
  'test/examples/**/*.test.ts',
  'test/cli/commands/doctor/doctor.test.ts',
  'test/demo/demo.test.ts',
  'test/demo/report.test.ts',
  'test/docs/operator-permissions.test.ts',
  'test/docs/stale-names.test.ts',
  'test/lambdas/adapters/aws/s3/endpoint.test.ts',
  'test/lambdas/domain/doctor/object-checks.test.ts',
  'test/lambdas/handlers/export.test.ts',
  'test/lambdas/handlers/prune.test.ts',
  'test/lambdas/handlers/snapshot.test.ts',
  'test/lambdas/jobs/serve/config-points.test.ts',
  'test/package/install.test.ts',
  'test/support/governance.test.ts',
  'test/support/synth-kept.test.ts',
];
/**
 * The files that run longest (each minutes of children: CDK synths, the demo's pipeline, npm pack and installs),
 * in the order they start. Vitest starts the largest files first when it has no durations of an earlier run (a clean
 * clone, CI), and these are small: started last, one of them alone would be the run's last minute.
 */
const LONGEST_FIRST = [
  'test/bin/app.test.ts',
  'test/demo/demo.test.ts',
  'test/package/install.test.ts',
  'test/examples/embedded.test.ts',
  // Small files that mostly wait (the SDK's and the jobs' retries against an endpoint that refuses or does not
  // resolve, or a bucket that is not there): about 1 CPU-s each over 28 and 14 s. Sorted by size they started last,
  // and at 08dd133's clean clone aws-unreachable ran alone for the run's last 8 s.
  'test/cli/aws-unreachable.test.ts',
  'test/cli/commands/backup/missing-bucket.test.ts',
];

/**
 * Vitest's order (failed, then longest, else largest first), with {@link LONGEST_FIRST} ahead of every other file, then
 * the files of project `cdk` ahead of the others: a worker is kept for the next file only when that file is of its project
 * (vitest's pool stops it otherwise), so the projects run one after the other, not interleaved.
 */
class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (f: TestSpecification) => {
      const at = LONGEST_FIRST.indexOf(relative(f.project.config.root, f.moduleId).replaceAll('\\', '/'));
      return at < 0 ? LONGEST_FIRST.length + (f.project.name === 'cdk' ? 0 : 1) : at;
    };
    // Array.prototype.sort is stable: the other files keep vitest's order.
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}

export default defineConfig({
  // examples/embedded imports the construct as a team would (`redis-dr/cdk`); here that is the repository's source.
  resolve: { alias: { 'redis-dr/cdk': fileURLToPath(new URL('./lib/index.ts', import.meta.url)) } },
  test: {
    // Transformed modules kept on disk between runs (node_modules/.experimental-vitest-cache, keyed by each file's content;
    // a clean clone starts without it). Measured on test/lambdas/domain (3,062 tests), warm against none, same hour: 82.4 and
    // 83.9 -> 78.1 and 80.0 CPU-s, transform 19.8-21.7 -> 3.7-4.9 s; the whole npm test's wall is within this VM's spread
    // (cold 374.6 s, warm 344.0 s, none 341.5 s an hour before: bench/README.md has no row, this is no speed target).
    experimental: { fsModuleCache: true },
    setupFiles: ['test/support/setup.ts'],
    // One folder for every synth of the run, removed at its end (synths are shared, so no test removes one); one
    // cfn-lint process for every template the run lints, with the verdicts of unchanged templates kept between runs.
    // The split worker bundled once from the sources, for every worker thread the run starts (test/support/split-worker-bundle.ts).
    globalSetup: ['test/support/synth-root.ts', 'test/support/cfn-lint-server.ts', 'test/support/split-worker-bundle.ts'],
    // Infrastructure tests synthesize whole apps; real-Redis tests start servers.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    sequence: { sequencer: LongestFirst },
    // Five on this 2-core machine: the real-server, child-process, moto and CLI tests wait on I/O and timers for
    // much of their time, so more workers than cores keep both busy (measured at 518f5cc, 400 files, load < 3:
    // vitest 340 s with 3 workers at 1.32 cores busy, 242 s with 4; at f5bdb73, 423 files, a clean clone's .ci/run:
    // 298 s with 4; earlier, at 4,166 tests: 267 s with 2, 228 s with 3).
    maxWorkers: 5,
    // The workers' young generation up to 64 MB a semi-space (Node 20's default on 64-bit: 16): the tests allocate fast
    // (synths, RDB buffers, parsers), and each scavenge copied what was still alive, so fewer of them cost less CPU. Same-run
    // A/B, alternately, load 6-17 (2026-11-27 07:35-08:05 UTC), CPU-s of the vitest process tree: test/lambdas/jobs/keys +
    // test/lambdas/domain/rdb 78.5 -> 75.7; five CDK-heavy test/lib groups 75.5 -> 72.5; those with test/lambdas/jobs/serve
    // and test/lambdas/domain/serve 116.8 -> 109.8 (every pair lower with it). The rss bound of sync.test's backpressure
    // case is unaffected (its growth 9-10 MB either way: the space grows only as objects survive).
    execArgv: ['--max-semi-space-size=64'],
    projects: [
      { extends: true, test: { name: 'cdk', include: CDK, exclude: ISOLATED, isolate: false, provide: { sharedWorker: true } } },
      { extends: true, test: { name: 'shared', include: SHARED, exclude: [...ISOLATED, ...CDK], isolate: false, provide: { sharedWorker: true } } },
      // Only when it has files: a project whose include is empty would match vitest's default pattern instead.
      ...(ISOLATED.length > 0 ? [{ extends: true as const, test: { name: 'default', include: ISOLATED, provide: { sharedWorker: false } } }] : []),
    ],
  },
});
