/**
 * Decisions of the freshness monitor, pure: which recovery point, exported
 * copy or drill counts as the newest of a plan's target, and what a drill
 * execution says about itself. The handler gathers snapshots, tags, objects
 * and executions and passes them in with the time of the run.
 *
 * The DR side reuses the drill's selection (`drExportsByTarget`,
 * `assessDrExport` in drill-select.ts): a copy is fresh exactly when a DR
 * drill could restore it.
 */
import { ageSeconds, newestAvailable } from './choice.js';
import { TAGS, type RecoveryPoint } from '../plans/types.js';

/** Target dimension value of the plan-wide drill age (any target of the plan). */
export const ALL_TARGETS = 'all';

/**
 * Successful drill executions looked at per run, newest first: with daily
 * drills that is weeks of history, and each costs a DescribeExecution.
 */
export const MAX_DRILL_EXECUTIONS = 50;

/**
 * The newest available managed snapshot that the export Lambda marked
 * `redis-dr:exported` (its objects are complete and tagged, and replication
 * takes them from there); `undefined` when none.
 */
export function newestExported(points: readonly RecoveryPoint[], tagsByName: ReadonlyMap<string, Readonly<Record<string, string>>>): RecoveryPoint | undefined {
  return newestAvailable(points.filter((p) => (tagsByName.get(p.name)?.[TAGS.exported] ?? '') !== ''));
}

/** A drill execution as DescribeExecution shows it (input and output are JSON text). */
export interface DrillExecution {
  readonly executionArn: string;
  /** Absent while it runs. */
  readonly stopDate?: Date;
  readonly startDate?: Date;
  /** RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, … */
  readonly status?: string;
  readonly input?: string;
  readonly output?: string;
  /** The error and cause a failed execution ended with. */
  readonly error?: string;
  readonly cause?: string;
}

/** What a drill execution says about itself. */
export interface DrillRun {
  readonly deployment?: string;
  readonly plan: string;
  /** The target the drill restored (`$.drill.choice.target` of the output), when known. */
  readonly target?: string;
  readonly stoppedAt: Date;
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The string at `path` inside a parsed JSON document, else `undefined`. */
function stringAt(doc: unknown, path: readonly string[]): string | undefined {
  let node = doc;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return typeof node === 'string' && node !== '' ? node : undefined;
}

/**
 * The plan, deployment and target of a drill execution: the execution input
 * is the `DrillInput` (`plan`, `deployment`); the output is the drill's
 * document, whose `drill.choice.target` names the restored target (its
 * `input.plan` serves when the input is unreadable). `undefined` when
 * nothing names a plan.
 */
export function drillRunOf(execution: DrillExecution): DrillRun | undefined {
  if (!execution.stopDate) return undefined;
  const input = parseJson(execution.input);
  const output = parseJson(execution.output);
  const plan = drillPlanOf(execution);
  if (!plan) return undefined;
  const deployment = stringAt(input, ['deployment']) ?? stringAt(output, ['input', 'deployment']);
  const target = stringAt(output, ['drill', 'choice', 'target']);
  return { plan, stoppedAt: execution.stopDate, ...(deployment ? { deployment } : {}), ...(target ? { target } : {}) };
}

/**
 * How a drill execution was started: `manual` when its input names who
 * started it (`startedBy`, set by `redis-dr drill run`) or its name is one the
 * CLI gives (`cli-…`, the selftest's `selftest-…`); else `scheduled` (the
 * plan's schedule starts it with the schedule's input, which names nobody).
 */
export function drillTriggerOf(execution: Pick<DrillExecution, 'executionArn' | 'input' | 'output'>): {
  readonly trigger: 'scheduled' | 'manual';
  readonly startedBy?: string;
} {
  const startedBy = stringAt(parseJson(execution.input), ['startedBy']) ?? stringAt(parseJson(execution.output), ['input', 'startedBy']);
  if (startedBy) return { trigger: 'manual', startedBy };
  // arn:…:execution:<state machine>:<name>
  const name = execution.executionArn.split(':').pop() ?? '';
  return { trigger: /^(cli|selftest)-/.test(name) ? 'manual' : 'scheduled' };
}

/** The plan a drill execution names: its input's `plan`, else its output's `input.plan`. */
export function drillPlanOf(execution: Pick<DrillExecution, 'input' | 'output'>): string | undefined {
  return stringAt(parseJson(execution.input), ['plan']) ?? stringAt(parseJson(execution.output), ['input', 'plan']);
}

/**
 * When the newest successful drill of a plan ended: over all its targets
 * (`ALL_TARGETS`) and per target the runs name. Runs of other plans, or of
 * another deployment, are left out; an empty map when the plan has none.
 */
export function newestDrills(runs: readonly DrillRun[], owner: { readonly deployment: string; readonly plan: string }): Map<string, Date> {
  const newest = new Map<string, Date>();
  const keep = (key: string, at: Date) => {
    const seen = newest.get(key);
    if (!seen || at.getTime() > seen.getTime()) newest.set(key, at);
  };
  for (const run of runs) {
    if (run.plan !== owner.plan || (run.deployment !== undefined && run.deployment !== owner.deployment)) continue;
    keep(ALL_TARGETS, run.stoppedAt);
    if (run.target) keep(run.target, run.stoppedAt);
  }
  return newest;
}

/** S3 prefixes that hold the exports of `targetIds` (all `rdr-` keys when `undefined`: tag-selected plans). */
export function exportPrefixes(targetIds: readonly string[] | undefined): string[] {
  return targetIds === undefined ? ['rdr-'] : [...new Set(targetIds.map((id) => `rdr-${id.toLowerCase()}-`))].sort();
}

/**
 * The age the freshness monitor reports for one metric of a target: the
 * newest point's, `basis: 'point'`. A target with no point yet is measured
 * from when its protection started (`protectedSince`: the creation of the
 * state machine that makes or verifies the points), `basis:
 * 'protection-start'`: as if protection had begun with a point, so the age
 * crosses the alarm's limit exactly when the first point is overdue (the
 * limit is the longest wait for a point: the drill interval plus the drill
 * time, the RPO plus the copy allowance). Until then the alarm is OK; from
 * then on it pages, as it does when points stop. `undefined` when there is
 * neither: no data point, and the alarm's missing data pages.
 *
 * A real point always wins, however old, so grace never hides a stale point.
 */
export function reportedAge(
  newest: Date | undefined,
  protectedSince: Date | undefined,
  now: Date,
): { readonly seconds: number; readonly basis: 'point' | 'protection-start' } | undefined {
  if (newest) return { seconds: ageSeconds(newest, now), basis: 'point' };
  if (protectedSince) return { seconds: ageSeconds(protectedSince, now), basis: 'protection-start' };
  return undefined;
}
