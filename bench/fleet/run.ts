/**
 * Fleet benchmark (not a test; not part of `npm test`):
 *
 *   npx tsx bench/fleet/run.ts [--targets 1000] [--snapshots 200] [--latency-ms 50]
 *       [--throttle-rate 0.1] [--seed 42] [--concurrency 16] [--max-seconds 60]
 *       [--abort-after-s 150] [--runs snapshot,prune,first-prune] [--out bench/fleet/results.json]
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
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { MetricsSink, MetricUnitName } from '../../lambdas/adapters/metrics.js';
import { systemClock } from '../../lambdas/adapters/retry.js';
import type { LogSink, ScheduledDeps } from '../../lambdas/adapters/runtime.js';
import { pruneRunInputSchema, snapshotRunInputSchema, type PruneRunInput } from '../../lambdas/domain/plan-input.js';
import { PruneRunFailedError, runPrunePlan, type PruneRunReport } from '../../lambdas/handlers/prune.js';
import { runSnapshotPlan, SnapshotRunFailedError, type SnapshotRunReport } from '../../lambdas/handlers/snapshot.js';
import { CallStats, installFakeAws, OPERATIONS, type FakeAws, type Operation } from './mock.js';
import { FleetModel, type FleetCounts } from './model.js';

// ---- options ----------------------------------------------------------------

const { values: flags } = parseArgs({
  options: {
    targets: { type: 'string', default: '1000' },
    snapshots: { type: 'string', default: '200' },
    'latency-ms': { type: 'string', default: '50' },
    'throttle-rate': { type: 'string', default: '0.1' },
    seed: { type: 'string', default: '42' },
    concurrency: { type: 'string', default: '16' },
    'max-seconds': { type: 'string', default: '60' },
    'abort-after-s': { type: 'string', default: '150' },
    runs: { type: 'string', default: 'snapshot,prune,first-prune' },
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
const RUNS = ['snapshot', 'prune', 'first-prune'] as const;
type RunName = (typeof RUNS)[number];
const selectedRuns = (flags.runs as string).split(',').map((s) => s.trim()) as RunName[];
for (const r of selectedRuns) if (!RUNS.includes(r)) throw new Error(`--runs: unknown run ${JSON.stringify(r)} (known: ${RUNS.join(', ')})`);

// ---- scenario -----------------------------------------------------------------

const HOUR = 3_600_000;
const PLAN = 'fleet';
const TIME_ZONE = 'UTC';
/** Newest existing snapshot of every target; the snapshot run is the next hourly tick. */
const NEWEST = new Date('2026-11-21T09:00:00Z');
const TICK = new Date(NEWEST.getTime() + HOUR);
const SELECT_BY_TAGS = { 'redis-dr:backup': PLAN };
const targets = { replicationGroupIds: [], serverlessCacheNames: [], selectByTags: SELECT_BY_TAGS };

const snapshotInput = snapshotRunInputSchema.parse({
  plan: PLAN,
  targets,
  timeZone: TIME_ZONE,
  budgetSeconds: 600, // config default snapshotBudgetSeconds
  scheduledTime: TICK.toISOString(),
});

const pruneBase = {
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
 * `monthly`-tagged point is kept by the monthly rule) leaves exactly 2 expired
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
  metrics: { points: number };
  logs: { info: number; warn: number; error: number };
  peakRssMiB: number;
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
  const deps: ScheduledDeps = {
    // Production client settings; aws-sdk-client-mock replaces `send`, so the SDK's retries never run here.
    elasticache: new ElastiCacheClient({ region: 'eu-west-1', maxAttempts: 5, retryMode: 'adaptive' }),
    tagging: new ResourceGroupsTaggingAPIClient({ region: 'eu-west-1', maxAttempts: 5, retryMode: 'adaptive' }),
    metrics,
    log,
    clock: systemClock,
    concurrency: options.concurrency,
    throttleDelayMs: 250,
    busyDelayMs: 5_000,
  };
  fake.resetHistory();
  fake.resume();
  global.gc?.();
  const stats = new CallStats(Date.now());
  fake.stats = stats;
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
  let aborted = false;
  const watchdog = setTimeout(() => {
    aborted = true;
    fake.abort();
    process.stderr.write(`  ${name}: over ${options.abortAfterSeconds} s, aborting (every further call fails fast)\n`);
  }, options.abortAfterSeconds * 1000);
  const progress = setInterval(() => {
    const total = OPERATIONS.reduce((a, op) => a + stats.calls[op], 0);
    process.stderr.write(`  ${name}: ${((Date.now() - stats.startedAt) / 1000).toFixed(0)} s, ${total} calls\n`);
  }, 10_000);

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
  clearTimeout(watchdog);
  clearInterval(progress);
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  if (aborted) await drain(stats);

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
  if (report && 'created' in report) {
    outcomes = { targets: report.targets, created: report.created, exists: report.existing, failed: report.failed };
    handlerAttempts = report.results.reduce((a, r) => a + r.attempts, 0);
  } else if (report) {
    outcomes = {
      targets: report.targets,
      deleted: report.deleted,
      deferred: report.deferred,
      held: report.held,
      failed: report.failed,
      kept: report.results.reduce((a, r) => a + r.kept, 0),
    };
  }
  const ok = error === undefined && !aborted;
  return {
    name,
    handler: name === 'snapshot' ? 'snapshot' : 'prune',
    input,
    wallSeconds: round(wallSeconds, 2),
    metTarget: ok && wallSeconds <= options.maxSeconds,
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
    ...(handlerAttempts !== undefined ? { handlerAttempts } : {}),
    metrics: { points: metrics.points },
    logs: { ...log.counts },
    peakRssMiB: round(peakRss / 2 ** 20, 1),
    fleetAfter: model.counts(),
  };
}

/** After an abort, wait until the handler's sleeping retries have woken and failed (max backoff 20–60 s). */
async function drain(stats: CallStats): Promise<void> {
  const start = Date.now();
  while (stats.inFlight > 0 && Date.now() - start < 65_000) await new Promise((r) => setTimeout(r, 500));
  await new Promise((r) => setTimeout(r, 21_000));
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

// ---- output -------------------------------------------------------------------------

function print(r: RunResult): void {
  const line = (k: string, v: string) => console.log(`  ${k.padEnd(28)} ${v}`);
  console.log(`\n== ${r.name} (${r.handler} handler) ==`);
  line('wall time', `${r.wallSeconds.toFixed(2)} s  (target <= ${options.maxSeconds} s: ${r.metTarget ? 'met' : 'NOT met'})`);
  if (r.error) line('error', r.error.slice(0, 300));
  line('outcomes', Object.entries(r.outcomes).map(([k, v]) => `${k} ${v}`).join(', '));
  if (r.handlerAttempts !== undefined) line('handler attempts', `${r.handlerAttempts} (${r.handlerAttempts - r.outcomes.targets!} restarted target attempts)`);
  line('API calls', `${r.apiCalls.total} total, ${r.apiCallsPerTarget.total} per target`);
  line('throttled responses', `${r.throttled.total} (${pct(r.throttled.total, r.apiCalls.total)})`);
  line('retries (calls - unique)', `${r.retries} (unique requests ${r.uniqueRequests})`);
  line('redundant successes', `${r.redundantSuccesses.total} (identical request answered again after a restart)`);
  line('peak calls in flight', String(r.peakCallsInFlight));
  line('peak RSS', `${r.peakRssMiB} MiB`);
  line('metrics points / log lines', `${r.metrics.points} / info ${r.logs.info}, warn ${r.logs.warn}, error ${r.logs.error}`);
  line('fleet after', `${r.fleetAfter.snapshots} snapshots ${JSON.stringify(r.fleetAfter.byStatus)}`);
  console.log(`  ${'operation'.padEnd(26)} ${'calls'.padStart(8)} ${'per target'.padStart(11)} ${'throttled'.padStart(10)} ${'faults'.padStart(7)} ${'redundant'.padStart(10)}`);
  for (const op of OPERATIONS) {
    if (r.apiCalls.byOperation[op] === 0) continue;
    console.log(
      `  ${op.padEnd(26)} ${String(r.apiCalls.byOperation[op]).padStart(8)} ${r.apiCallsPerTarget.byOperation[op].toFixed(2).padStart(11)} ${String(r.throttled.byOperation[op]).padStart(10)} ${String(r.faults.byOperation[op]).padStart(7)} ${String(r.redundantSuccesses.byOperation[op]).padStart(10)}`,
    );
  }
  console.log(`  ${'phase (calls by purpose)'.padEnd(26)} ${'calls'.padStart(8)} ${'first start'.padStart(12)} ${'last end'.padStart(9)}`);
  for (const [p, w] of Object.entries(r.phases)) {
    console.log(`  ${p.padEnd(26)} ${String(w.calls).padStart(8)} ${(w.firstStartS.toFixed(2) + ' s').padStart(12)} ${(w.lastEndS.toFixed(2) + ' s').padStart(9)}`);
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
    plan: PLAN,
    groupTags: SELECT_BY_TAGS,
    timeZone: TIME_ZONE,
  });
  const fake = installFakeAws(model, { latencyMs: options.latencyMs, throttleRate: options.throttleRate, seed: options.seed });
  const machine = {
    nproc: os.availableParallelism(),
    cpu: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: round(os.totalmem() / 2 ** 30, 1),
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
  };
  console.log(`fleet bench ${new Date().toISOString()}`);
  console.log(`  machine: ${machine.nproc} cpu (${machine.cpu}), ${machine.memoryGiB} GiB, node ${machine.node}, ${machine.platform}`);
  console.log(`  options: ${JSON.stringify(options)}`);
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
    options,
    scenario: {
      newestExistingSnapshot: NEWEST.toISOString(),
      snapshotTick: TICK.toISOString(),
      selectByTags: SELECT_BY_TAGS,
      throttledError: "ThrottlingException ($metadata.httpStatusCode 400) after the latency, decided by mulberry32(seed)",
      sdkRetries: 'bypassed (aws-sdk-client-mock stubs Client#send); every throttle reaches the handlers',
    },
    runs: results,
    ok: results.every((r) => r.metTarget),
  };
  writeFileSync(flags.out as string, `${JSON.stringify(out, null, 2)}\n`);
  console.log(`\nresults written to ${path.relative(process.cwd(), flags.out as string)}`);
  const failed = results.filter((r) => !r.metTarget);
  if (failed.length > 0) {
    console.log(`FAILED target: ${failed.map((r) => `${r.name} (${r.ok ? `${r.wallSeconds} s` : (r.error ?? 'aborted')})`).join('; ')}`);
    process.exitCode = 1;
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
