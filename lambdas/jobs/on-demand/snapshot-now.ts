/**
 * `redis-dr snapshot`: a recovery point now, through the scheduled snapshot
 * job itself (lambdas/jobs/scheduled/snapshot.ts) with the input its schedule
 * sends (lib/deployment.ts `snapshotRunInput`), so names, tags, tier and the
 * keyspace-collapse tripwire are a scheduled run's; then, with `wait`, until
 * the snapshot is available, with the key count its tags hold.
 */
import { describeSnapshotDetail } from '../../adapters/aws/elasticache.js';
import { planSnapshotTags } from '../../adapters/aws/plan-snapshots.js';
import { throttleRetry } from '../../adapters/aws/retry.js';
import type { ProbeInvoker } from '../../adapters/aws/probe-invoke.js';
import type { SnapshotRunInput } from '../../domain/plans/plan-input.js';
import { TAGS, type Tier } from '../../domain/plans/types.js';
import { runSnapshotPlan, SnapshotRunFailedError, type SnapshotRunReport } from '../scheduled/snapshot.js';
import { type OperatorAws, pollUntil, type WaitOptions } from '../kernel/operator.js';

/** What to take. */
export interface SnapshotNowInput {
  /** The schedule's input (targets narrowed to `--target` by the caller when given). */
  readonly run: Omit<SnapshotRunInput, 'scheduledTime'>;
  /** The primary region. */
  readonly region: string;
  /** Wait until each new snapshot is available (or failed). */
  readonly wait: boolean;
  /** The probe (canary + key count), when the plan probes and it can be reached. */
  readonly probe?: ProbeInvoker;
  /**
   * The moment the run stands for (its snapshots are named by its minute:
   * `rdr-<target>-<yyyymmdd>-<hhmm>`), so a caller that must clean up knows
   * the names before the call. @default now
   */
  readonly at?: Date;
}

/** One recovery point taken. */
export interface RecoveryPointTaken {
  readonly target: string;
  readonly kind: 'replication-group' | 'serverless-cache';
  readonly snapshot: string;
  readonly tier?: Tier;
  /** `created` now, `exists` (this minute's, taken before), or `failed`. */
  readonly outcome: 'created' | 'exists' | 'failed';
  /** ElastiCache's status when last looked at (`available`, `creating`, `failed`), or the failure. */
  readonly status: string;
  /** Keys the probe counted (tag `redis-dr:keys`), when it ran. */
  readonly keys?: number;
  readonly error?: string;
}

/** What `redis-dr snapshot` did. */
export interface SnapshotNowResult {
  readonly plan: string;
  readonly points: readonly RecoveryPointTaken[];
  /** Every point taken and (with wait) available. */
  readonly ok: boolean;
  /** Plan-level problems of the run (tag selection). */
  readonly problems: readonly string[];
}

/** Takes the plan's recovery points now and, with `wait`, waits for them. */
export async function takeRecoveryPoints(input: SnapshotNowInput, aws: OperatorAws, wait: WaitOptions): Promise<SnapshotNowResult> {
  const deps = aws.deps(input.region);
  let report: SnapshotRunReport;
  // No probe here (it runs in the caches' VPC, not reached from the operator's machine): the point is taken
  // uncounted on purpose, not as a failed probe (which fails a scheduled run).
  const { probe: planProbes, ...run } = input.run;
  if (planProbes && !input.probe) deps.log.warn('the plan probes, but the probe is not reached from here: the point is taken without canary and key count', {});
  try {
    report = await runSnapshotPlan(
      { ...(input.probe ? input.run : run), scheduledTime: (input.at ?? new Date(aws.clock.now())).toISOString() },
      { ...deps, ...(input.probe ? { probe: input.probe } : {}) },
    );
  } catch (err) {
    if (!(err instanceof SnapshotRunFailedError)) throw err;
    report = err.report;
  }
  const points: RecoveryPointTaken[] = [];
  for (const r of report.results) {
    const base = { target: r.target, kind: r.kind, snapshot: r.snapshot, outcome: r.outcome, ...(r.tier ? { tier: r.tier } : {}) };
    if (r.outcome === 'failed') {
      points.push({ ...base, status: 'failed', error: `${r.reason}: ${r.error}` });
      continue;
    }
    const status = input.wait
      ? await pollUntil<string>(aws.clock, `snapshot ${r.snapshot}`, wait, async () => {
          const d = await describeSnapshotDetail(aws.elasticache(input.region), r.kind, r.snapshot);
          if (!d) return { status: 'not listed yet' };
          return d.status === 'available' || d.status === 'failed' ? { done: d.status } : { status: d.status };
        })
      : 'creating';
    points.push({ ...base, status, ...(status === 'failed' ? { error: 'ElastiCache reports the snapshot failed' } : {}) });
  }
  // The probe's key count, from the snapshots' tags (one Tagging API query for the plan).
  const tags = await planSnapshotTags(
    deps.tagging,
    { deployment: input.run.deployment, plan: input.run.plan },
    points.map((p) => p.target),
    { concurrency: deps.concurrency, retry: throttleRetry(aws.clock, aws.clock.now() + 60_000, deps.throttleDelayMs) },
  ).catch(() => new Map<string, Record<string, string>>());
  const counted = points.map((p) => {
    const keys = Number(tags.get(p.snapshot)?.[TAGS.keys]);
    return Number.isFinite(keys) && tags.get(p.snapshot)?.[TAGS.keys] !== undefined ? { ...p, keys } : p;
  });
  const ok = report.problems.length === 0 && counted.length > 0 && counted.every((p) => p.outcome !== 'failed' && (!input.wait || p.status === 'available'));
  return { plan: report.plan, points: counted, ok, problems: report.problems };
}
