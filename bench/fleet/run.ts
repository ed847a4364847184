/**
 * Fleet benchmark (not a test; not part of `npm test`):
 *
 *   npx tsx bench/fleet/run.ts [--targets 1000] [--snapshots 200] [--latency-ms 50]
 *       [--throttle-rate 0.1] [--seed 42] [--concurrency 16] [--max-seconds 60]
 *       [--abort-after-s 150] [--runs snapshot,prune,first-prune] [--out bench/fleet/results.json]
 *       [--transport client-mock|sdk] [--retry-mode production|adaptive|standard]
 *
 * Drives the real snapshot and prune handlers (`runSnapshotPlan`,
 * `runPrunePlan`) with the real clock against an in-memory fleet behind
 * aws-sdk-client-mock (see model.ts, mock.ts), and reports wall time, API
 * calls per target, throttling and retries, outcomes and peak RSS. Writes
 * the same figures to bench/fleet/results.json. Exits 1 when a run fails,
 * is aborted or takes longer than --max-seconds.
 */
import { ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { S3Client } from '@aws-sdk/client-s3';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { MetricsSink, MetricUnitName } from '../../lambdas/adapters/aws/metrics.js';
import { systemClock, type RetryClock } from '../../lambdas/adapters/aws/retry.js';
import { sdkClientConfig, TUNING } from '../../lambdas/adapters/aws/client-config.js';
import type { LogSink, ScheduledDeps } from '../../lambdas/jobs/kernel/deps.js';
import { pruneRunInputSchema, snapshotRunInputSchema, type PruneRunInput } from '../../lambdas/domain/plans/plan-input.js';
import { PruneRunFailedError, runPrunePlan, type PruneRunReport } from '../../lambdas/jobs/scheduled/prune.js';
import { runSnapshotPlan, SnapshotRunFailedError, type SnapshotRunReport } from '../../lambdas/jobs/scheduled/snapshot.js';
import { CallStats, FAKE_CREDENTIALS, installFakeAws, OPERATIONS, type FakeAws, type Operation, type Transport } from './mock.js';
import { FleetModel, type FleetCounts } from './model.js';

// ---- options ----------------------------------------------------------------

const { values: flags } = parseArgs({
  options: {
    targets: { type: 'string', default: '1000' },
    snapshots: { type: 'string', default: '200' },
    'latency-ms': { type: 'string', default: '50' },
    'throttle-rate': { type: 'string', default: '0.1' },
    seed: { type: 'string', default: '42' },
    concurrency: { type: 'string', default: String(TUNING.concurrency) },
    'max-seconds': { type: 'string', default: '60' },
    'abort-after-s': { type: 'string', default: '150' },
    runs: { type: 'string', default: 'snapshot,prune,first-prune' },
    transport: { type: 'string', default: 'client-mock' },
    'retry-mode': { type: 'string', default: 'production' },
    out: { type: 'string', default: path.join(__dirname, 'results.json') },
  },
  strict: true,
});

function num(name: keyof typeof flags, min: number, max: number, integer = true): number {
  const raw = flags[name] as string;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    throw new Error(`--${name} must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], got ${JSON.stringify(raw)}`);
  }
  return v;
}

const options = {
  targets: num('targets', 1, 100_000),
  snapshots: num('snapshots', 1, 10_000),
  latencyMs: num('latency-ms', 0, 10_000),
  throttleRate: num('throttle-rate', 0, 0.99, false),
  seed: num('seed', 0, 2 ** 32 - 1),
  concurrency: num('concurrency', 1, 1_000),
  maxSeconds: num('max-seconds', 1, 3_600, false),
  abortAfterSeconds: num('abort-after-s', 1, 3_600, false),
};
if (flags.transport !== 'client-mock' && flags.transport !== 'sdk') {
  throw new Error(`--transport must be client-mock or sdk, got ${JSON.stringify(flags.transport)}`);
}
const transport: Transport = flags.transport;
if (!['production', 'adaptive', 'standard'].includes(flags['retry-mode'])) {
  throw new Error(`--retry-mode must be production, adaptive or standard, got ${JSON.stringify(flags['retry-mode'])}`);
}
/**
 * SDK retry of the clients; only matters with `--transport sdk`. `production`
 * is the clients' configuration in lambdas/adapters/aws/client-config.ts.
 */
const retryMode = flags['retry-mode'] as 'production' | 'adaptive' | 'standard';
const RUNS = ['snapshot', 'prune', 'first-prune'] as const;
type RunName = (typeof RUNS)[number];
const selectedRuns = (flags.runs as string).split(',').map((s) => s.trim()) as RunName[];
for (const r of selectedRuns) if (!RUNS.includes(r)) throw new Error(`--runs: unknown run ${JSON.stringify(r)} (known: ${RUNS.join(', ')})`);

// ---- scenario -----------------------------------------------------------------

const HOUR = 3_600_000;
const DEPLOYMENT = 'bench';
const PLAN = 'fleet';
const TIME_ZONE = 'UTC';
/**
 * Newest existing snapshot of every target; the snapshot run is the next
 * hourly tick. Fixed and in the future: the prune rails judge staleness by
 * max(clock, scheduled time), so a fixed future timeline gives every run the
 * same fleet, the same tiers and the same expiry set (until 2030).
 */
const NEWEST = new Date('2030-11-23T09:00:00Z');
const TICK = new Date(NEWEST.getTime() + HOUR);
const SELECT_BY_TAGS = { 'redis-dr:backup': PLAN };
const targets = { replicationGroupIds: [], serverlessCacheNames: [], selectByTags: SELECT_BY_TAGS };

const snapshotInput = snapshotRunInputSchema.parse({
  deployment: DEPLOYMENT,
  plan: PLAN,
  targets,
  timeZone: TIME_ZONE,
  budgetSeconds: 600, // config default snapshotBudgetSeconds
  scheduledTime: TICK.toISOString(),
});

const pruneBase = {
  deployment: DEPLOYMENT,
  plan: PLAN,
  targets,
  timeZone: TIME_ZONE,
  rpoMinutes: 180,
  dryRun: false,
  maxDeletesPerTarget: 10,
  budgetSeconds: 600, // PRUNE_BUDGET_SECONDS in lib/constructs/snapshot-pruning.ts
};
/**
 * Steady state for 200 hourly points: after the snapshot run a target has
 * `snapshots + 1` points; keeping the newest `snapshots - 2` hourly (the first,
 * `monthly`-tagged point is kept by the monthly rule) leaves 2 expired on this timeline
 * per target, what an hourly plan prunes every hour once it has converged.
 */
const steadyInput: PruneRunInput = pruneRunInputSchema.parse({
  ...pruneBase,
  retention: { hourly: Math.max(0, options.snapshots - 2), daily: 14, weekly: 8, monthly: 12, minKeep: 3 },
  scheduledTime: new Date(TICK.getTime() + 30 * 60_000).toISOString(),
});
/** A tighter policy applied to the same (never pruned that hard) history: many expired, capped at 10. */
const firstInput: PruneRunInput = pruneRunInputSchema.parse({
  ...pruneBase,
  retention: { hourly: 24, daily: 7, weekly: 8, monthly: 12, minKeep: 3 },
  scheduledTime: new Date(TICK.getTime() + 40 * 60_000).toISOString(),
});

const CLIENT_CONFIG = {
  region: 'eu-west-1',
  credentials: FAKE_CREDENTIALS,
  ...(retryMode === 'production' ? sdkClientConfig() : { maxAttempts: 5, retryMode }),
};

// A full GC before each run, so one run's garbage is not charged to the next one's RSS.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

// ---- sinks --------------------------------------------------------------------

class MemoryMetrics implements MetricsSink {
  points = 0;
  readonly byName = new Map<string, number>();
  put(name: string, value: number, _unit: MetricUnitName, _dimensions: Readonly<Record<string, string>>): void {
    this.points++;
    this.byName.set(name, (this.byName.get(name) ?? 0) + value);
  }
}

class CountingLog implements LogSink {
  readonly counts = { info: 0, warn: 0, error: 0 };
  info(): void {
    this.counts.info++;
  }
  warn(): void {
    this.counts.warn++;
  }
  error(): void {
    this.counts.error++;
  }
}

// ---- one run ----------------------------------------------------------------------

interface RunResult {
  name: RunName;
  handler: 'snapshot' | 'prune';
  input: unknown;
  wallSeconds: number;
  metTarget: boolean;
  ok: boolean;
  aborted: boolean;
  error?: string;
  targets: number;
  apiCalls: { total: number; byOperation: Record<Operation, number> };
  apiCallsPerTarget: { total: number; byOperation: Record<Operation, number> };
  throttled: { total: number; byOperation: Record<Operation, number> };
  faults: { total: number; byOperation: Record<Operation, number> };
  uniqueRequests: number;
  /** Calls repeating an identical earlier request of this run (= total − unique). */
  retries: number;
  /** Successful calls whose identical request had already succeeded: work redone because a retry restarted a chain. */
  redundantSuccesses: { total: number; byOperation: Record<Operation, number> };
  peakCallsInFlight: number;
  phases: Record<string, { calls: number; firstStartS: number; lastEndS: number }>;
  outcomes: Record<string, number>;
  /** Snapshot run: per-target attempts summed over targets (1 each without retries). */
  handlerAttempts?: number;
  /** Snapshot run: how many targets needed 1, 2, … attempts. */
  attemptsHistogram?: Record<string, number>;
  /** Backoff sleeps the handler asked the (real) clock for. */
  backoff: { sleeps: number; totalSeconds: number; maxSeconds: number; workerShareOfWall: number };
  metrics: { points: number };
  logs: { info: number; warn: number; error: number };
  peakRssMiB: number;
  /** RSS when the run started (model of the fleet already built). */
  rssBeforeRunMiB: number;
  /** Harness health: how late timers fired (10 ms resolution). */
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  fleetAfter: FleetCounts;
}

async function runOne(
  name: RunName,
  fake: FakeAws,
  model: FleetModel,
  run: (deps: ScheduledDeps) => Promise<SnapshotRunReport | PruneRunReport>,
  input: unknown,
): Promise<RunResult> {
  const metrics = new MemoryMetrics();
  const log = new CountingLog();
  // The real clock, with its sleeps counted (they are the handlers' retry backoffs).
  const sleeps = { count: 0, totalMs: 0, maxMs: 0 };
  const clock: RetryClock = {
    now: () => systemClock.now(),
    random: () => systemClock.random(),
    sleep: (ms) => {
      sleeps.count++;
      sleeps.totalMs += ms;
      sleeps.maxMs = Math.max(sleeps.maxMs, ms);
      return systemClock.sleep(ms);
    },
  };
  const deps: ScheduledDeps = {
    // Production client settings (lambdas/adapters/aws/client-config.ts). With the default transport
    // aws-sdk-client-mock replaces `send`, so the SDK's retries never run.
    elasticache: fake.attach(new ElastiCacheClient(CLIENT_CONFIG)),
    tagging: fake.attach(new ResourceGroupsTaggingAPIClient(CLIENT_CONFIG)),
    // Snapshot and prune never call S3.
    s3: new S3Client(CLIENT_CONFIG),
    metrics,
    log,
    clock,
    concurrency: options.concurrency,
    // The production backoff settings, not bench-specific ones.
    throttleDelayMs: TUNING.throttleDelayMs,
    busyDelayMs: TUNING.busyDelayMs,
  };
  fake.resetHistory();
  fake.resume();
  collectGarbage();
  const stats = new CallStats(Date.now());
  fake.stats = stats;
  const baselineRss = process.memoryUsage().rss;
  let peakRss = baselineRss;
  let samples = 0;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    // aws-sdk-client-mock (sinon) keeps every call with its answer; drop them so RSS is the handler's and the model's.
    if (++samples % 10 === 0) fake.resetHistory();
  }, 100);
  let aborted = false;
  const watchdog = setTimeout(() => {
    aborted = true;
    fake.abort();
    process.stderr.write(`  ${name}: over ${options.abortAfterSeconds} s, aborting (every further call fails fast)\n`);
  }, options.abortAfterSeconds * 1000);
  const progress = setInterval(() => {
    const total = OPERATIONS.reduce((a, op) => a + stats.calls[op], 0);
    process.stderr.write(`  ${name}: ${((Date.now() - stats.startedAt) / 1000).toFixed(0)} s, ${total} calls\n`);
  }, 15_000);

  // Event-loop delay: if the harness itself were CPU-bound, timers (the simulated latency) would run late.
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const t0 = performance.now();
  let report: SnapshotRunReport | PruneRunReport | undefined;
  let error: string | undefined;
  try {
    report = await run(deps);
  } catch (err) {
    if (err instanceof SnapshotRunFailedError || err instanceof PruneRunFailedError) report = err.report;
    error = err instanceof Error ? `${err.name}: ${err.message.slice(0, 500)}` : String(err);
  }
  const wallSeconds = (performance.now() - t0) / 1000;
  loopDelay.disable();
  clearTimeout(watchdog);
  clearInterval(progress);
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  if (aborted) await drain(stats, fake);

  const sum = (r: Record<Operation, number>) => OPERATIONS.reduce((a, op) => a + r[op], 0);
  const perTarget = (r: Record<Operation, number>) =>
    Object.fromEntries(OPERATIONS.map((op) => [op, round(r[op] / options.targets, 2)])) as Record<Operation, number>;
  const total = sum(stats.calls);
  const phases: RunResult['phases'] = {};
  for (const [purpose, w] of stats.phases) {
    phases[purpose] = { calls: w.calls, firstStartS: round(w.firstStartMs / 1000, 2), lastEndS: round(w.lastEndMs / 1000, 2) };
  }
  let outcomes: Record<string, number> = {};
  let handlerAttempts: number | undefined;
  let attemptsHistogram: Record<string, number> | undefined;
  if (report && 'created' in report) {
    outcomes = {
      targets: report.targets,
      created: report.created,
      exists: report.existing,
      failed: report.failed,
      problems: report.problems.length,
    };
    handlerAttempts = report.results.reduce((a, r) => a + r.attempts, 0);
    attemptsHistogram = {};
    for (const r of report.results) attemptsHistogram[r.attempts] = (attemptsHistogram[r.attempts] ?? 0) + 1;
  } else if (report) {
    outcomes = {
      targets: report.targets,
      deleted: report.deleted,
      deferred: report.deferred,
      held: report.held,
      failed: report.failed,
      problems: report.problems.length,
      kept: report.results.reduce((a, r) => a + r.kept, 0),
      untagged: report.results.reduce((a, r) => a + r.untagged, 0),
    };
  }
  const ok = error === undefined && !aborted;
  return {
    name,
    handler: name === 'snapshot' ? 'snapshot' : 'prune',
    input,
    wallSeconds: round(wallSeconds, 2),
    // first-prune is the catch-up after enabling retention on an old fleet
    // (10,000 deletions): reported, but the 60 s target is for steady state.
    metTarget: ok && (!timed(name) || wallSeconds <= options.maxSeconds),
    ok,
    aborted,
    ...(error ? { error } : {}),
    targets: options.targets,
    apiCalls: { total, byOperation: { ...stats.calls } },
    apiCallsPerTarget: { total: round(total / options.targets, 2), byOperation: perTarget(stats.calls) },
    throttled: { total: sum(stats.throttled), byOperation: { ...stats.throttled } },
    faults: { total: sum(stats.faults), byOperation: { ...stats.faults } },
    uniqueRequests: stats.uniqueRequests,
    retries: total - stats.uniqueRequests,
    redundantSuccesses: { total: sum(stats.redundantOk), byOperation: { ...stats.redundantOk } },
    peakCallsInFlight: stats.peakInFlight,
    phases,
    outcomes,
    ...(handlerAttempts !== undefined ? { handlerAttempts, attemptsHistogram } : {}),
    backoff: {
      sleeps: sleeps.count,
      totalSeconds: round(sleeps.totalMs / 1000, 1),
      maxSeconds: round(sleeps.maxMs / 1000, 2),
      // Sleeping workers hold a concurrency slot: share of (concurrency x wall) spent asleep.
      workerShareOfWall: round(sleeps.totalMs / 1000 / (options.concurrency * wallSeconds), 2),
    },
    metrics: { points: metrics.points },
    logs: { ...log.counts },
    peakRssMiB: round(peakRss / 2 ** 20, 1),
    rssBeforeRunMiB: round(baselineRss / 2 ** 20, 1),
    eventLoopDelayMs: {
      p50: round(loopDelay.percentile(50) / 1e6, 1),
      p99: round(loopDelay.percentile(99) / 1e6, 1),
      max: round(loopDelay.max / 1e6, 1),
    },
    fleetAfter: model.counts(),
  };
}

/**
 * After an abort, wait until the handler's sleeping retries have woken and
 * failed: no refused call for 21 s (the prune backoff cap is 20 s), at most 65 s
 * (the snapshot backoff cap is 60 s).
 */
async function drain(stats: CallStats, fake: FakeAws): Promise<void> {
  const start = Date.now();
  let seen = fake.abortedCalls;
  let quietSince = Date.now();
  while (Date.now() - start < 65_000 && (stats.inFlight > 0 || Date.now() - quietSince < 21_000)) {
    await new Promise((r) => setTimeout(r, 500));
    if (fake.abortedCalls !== seen) {
      seen = fake.abortedCalls;
      quietSince = Date.now();
    }
  }
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

// ---- output -------------------------------------------------------------------------

function print(r: RunResult): void {
  const line = (k: string, v: string) => console.log(`  ${k.padEnd(28)} ${v}`);
  console.log(`\n== ${r.name} (${r.handler} handler) ==`);
  line(
    'wall time',
    `${r.wallSeconds.toFixed(2)} s  (${timed(r.name) ? `target <= ${options.maxSeconds} s: ${r.metTarget ? 'met' : 'NOT met'}` : 'catch-up run: no time target'})`,
  );
  if (r.error) line('error', r.error.slice(0, 300));
  line(
    'outcomes',
    Object.entries(r.outcomes)
      .map(([k, v]) => `${k} ${v}`)
      .join(', '),
  );
  if (r.handlerAttempts !== undefined) {
    line('handler attempts', `${r.handlerAttempts} (${r.handlerAttempts - r.outcomes.targets!} restarted target attempts)`);
    line('targets by attempts', JSON.stringify(r.attemptsHistogram));
  }
  line(
    'backoff sleeps',
    `${r.backoff.sleeps}, ${r.backoff.totalSeconds} s in total, longest ${r.backoff.maxSeconds} s (${Math.round(100 * r.backoff.workerShareOfWall)}% of concurrency x wall)`,
  );
  line('API calls', `${r.apiCalls.total} total, ${r.apiCallsPerTarget.total} per target`);
  line('throttled responses', `${r.throttled.total} (${pct(r.throttled.total, r.apiCalls.total)})`);
  line('retries (calls - unique)', `${r.retries} (unique requests ${r.uniqueRequests})`);
  line('redundant successes', `${r.redundantSuccesses.total} (identical request answered again after a restart)`);
  line('peak calls in flight', String(r.peakCallsInFlight));
  line('peak RSS', `${r.peakRssMiB} MiB (${r.rssBeforeRunMiB} MiB at start, fleet model built)`);
  line('event-loop delay', `p50 ${r.eventLoopDelayMs.p50} ms, p99 ${r.eventLoopDelayMs.p99} ms, max ${r.eventLoopDelayMs.max} ms`);
  line('metrics points / log lines', `${r.metrics.points} / info ${r.logs.info}, warn ${r.logs.warn}, error ${r.logs.error}`);
  line('fleet after', `${r.fleetAfter.snapshots} snapshots ${JSON.stringify(r.fleetAfter.byStatus)}`);
  console.log(
    `  ${'operation'.padEnd(26)} ${'calls'.padStart(8)} ${'per target'.padStart(11)} ${'throttled'.padStart(10)} ${'faults'.padStart(7)} ${'redundant'.padStart(10)}`,
  );
  for (const op of OPERATIONS) {
    if (r.apiCalls.byOperation[op] === 0) continue;
    console.log(
      `  ${op.padEnd(26)} ${String(r.apiCalls.byOperation[op]).padStart(8)} ${r.apiCallsPerTarget.byOperation[op].toFixed(2).padStart(11)} ${String(r.throttled.byOperation[op]).padStart(10)} ${String(r.faults.byOperation[op]).padStart(7)} ${String(r.redundantSuccesses.byOperation[op]).padStart(10)}`,
    );
  }
  console.log(`  ${'phase (calls by purpose)'.padEnd(26)} ${'calls'.padStart(8)} ${'first start'.padStart(12)} ${'last end'.padStart(9)}`);
  for (const [p, w] of Object.entries(r.phases)) {
    console.log(
      `  ${p.padEnd(26)} ${String(w.calls).padStart(8)} ${(`${w.firstStartS.toFixed(2)} s`).padStart(12)} ${(`${w.lastEndS.toFixed(2)} s`).padStart(9)}`,
    );
  }
}

function pct(a: number, b: number): string {
  return b === 0 ? '0%' : `${((100 * a) / b).toFixed(1)}%`;
}

// ---- main ---------------------------------------------------------------------------

async function main(): Promise<void> {
  const buildStart = performance.now();
  const model = FleetModel.build({
    targets: options.targets,
    snapshotsPerTarget: options.snapshots,
    newest: NEWEST,
    deployment: DEPLOYMENT,
    plan: PLAN,
    groupTags: SELECT_BY_TAGS,
    timeZone: TIME_ZONE,
  });
  const fake = installFakeAws(model, {
    latencyMs: options.latencyMs,
    throttleRate: options.throttleRate,
    seed: options.seed,
    transport,
  });
  const machine = {
    nproc: os.availableParallelism(),
    cpu: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: round(os.totalmem() / 2 ** 30, 1),
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
  };
  console.log(`fleet bench ${new Date().toISOString()}`);
  console.log(`  machine: ${machine.nproc} cpu (${machine.cpu}), ${machine.memoryGiB} GiB, node ${machine.node}, ${machine.platform}`);
  console.log(`  options: ${JSON.stringify({ ...options, transport, ...(transport === 'sdk' ? { retryMode } : {}) })}`);
  console.log(
    `  fleet: ${options.targets} replication groups x ${options.snapshots} hourly snapshots, newest ${NEWEST.toISOString()} (built in ${((performance.now() - buildStart) / 1000).toFixed(1)} s)`,
  );

  const results: RunResult[] = [];
  for (const name of selectedRuns) {
    let r: RunResult;
    if (name === 'snapshot') {
      r = await runOne(name, fake, model, (deps) => runSnapshotPlan(snapshotInput, deps), snapshotInput);
      // Between scheduled runs ElastiCache finishes the snapshots just started.
      model.completeCreating();
    } else {
      const input = name === 'prune' ? steadyInput : firstInput;
      r = await runOne(name, fake, model, (deps) => runPrunePlan(input, deps), input);
    }
    print(r);
    results.push(r);
  }
  fake.restore();

  const out = {
    bench: 'fleet',
    date: new Date().toISOString(),
    command: `npx tsx bench/fleet/run.ts ${process.argv.slice(2).join(' ')}`.trim(),
    machine,
    options: { ...options, transport, ...(transport === 'sdk' ? { retryMode } : {}) },
    scenario: {
      newestExistingSnapshot: NEWEST.toISOString(),
      snapshotTick: TICK.toISOString(),
      selectByTags: SELECT_BY_TAGS,
      throttledError: 'ThrottlingException ($metadata.httpStatusCode 400) after the latency, decided by mulberry32(seed)',
      sdkRetries:
        transport === 'client-mock'
          ? 'bypassed (aws-sdk-client-mock stubs Client#send); every throttle reaches the handlers'
          : `active (fake behind the SDK middleware stack; client retry: ${retryMode})`,
    },
    runs: results,
    ok: results.every((r) => r.metTarget),
  };
  writeFileSync(flags.out as string, `${JSON.stringify(out, null, 2)}\n`);
  console.log(`\nresults written to ${path.relative(process.cwd(), flags.out as string)}`);
  const failed = results.filter((r) => !r.metTarget);
  if (failed.length > 0) {
    const why = (r: RunResult) => (r.ok ? `${r.wallSeconds} s` : (r.error ?? 'aborted').split('\n')[0]!.slice(0, 160));
    console.log(`FAILED target: ${failed.map((r) => `${r.name} (${why(r)})`).join('; ')}`);
    process.exitCode = 1;
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});

/** Runs the 60 s target applies to: the steady-state snapshot and prune runs. */
function timed(name: string): boolean {
  return name !== 'first-prune';
}
