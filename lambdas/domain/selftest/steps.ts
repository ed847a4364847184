/**
 * The selftest's steps and verdicts, pure: what one step came to, how a
 * failure is explained (the denied action and the role that lacks it), the
 * whole run's verdict, and the summary record written to the DR bucket
 * (`selftest/<time>.json`) that `status` and `doctor` read back.
 */
import { z } from 'zod';
import { stackDriftSchema } from '../org/stack-drift.js';
import { clockCeiling } from '../points/clock-skew.js';

/** How one step ended: `warned` passes (the run still passes) but says what to look at. */
export const STEP_VERDICTS = ['passed', 'warned', 'failed', 'skipped'] as const;
/** A step's verdict. */
export type StepVerdict = (typeof STEP_VERDICTS)[number];

/** One row of the selftest's table. */
export const selftestStepSchema = z.strictObject({
  /** `preflight`, `snapshot app/app-cache`, `drill dr`, … */
  step: z.string().min(1),
  /** The region it ran in. */
  region: z.string().min(1),
  verdict: z.enum(STEP_VERDICTS),
  seconds: z.number().min(0),
  /** What it did or found. */
  detail: z.string(),
  /** A failure's (or warning's) exact cause: the denied action and the role, the missing route, the pending subscription. */
  cause: z.string().optional(),
  /** What to do about it. */
  fix: z.string().optional(),
});
/** One row of the selftest's table. */
export type SelftestStep = z.infer<typeof selftestStepSchema>;

/** The summary record of one selftest run (`selftest/<time>.json` in the DR bucket). */
export const selftestRecordSchema = z.strictObject({
  kind: z.literal('redis-dr-selftest'),
  version: z.literal(1),
  deployment: z.string().min(1),
  /** When the run started (ISO-8601). */
  startedAt: z.string(),
  /** When the record was written (ISO-8601). */
  finishedAt: z.string(),
  /** Which regions' paths it ran: primary, dr or both. */
  regions: z.enum(['primary', 'dr', 'both']),
  verdict: z.enum(['passed', 'failed']),
  steps: z.array(selftestStepSchema),
  /** The stacks the preflight read, with their drift status (absent in records written before it was kept). */
  stacks: z.array(stackDriftSchema).optional(),
});
/** The summary record of one selftest run. */
export type SelftestRecord = z.infer<typeof selftestRecordSchema>;

/** Prefix of the summary records in the DR bucket. */
export const SELFTEST_PREFIX = 'selftest/';

/** The record's key: `selftest/<yyyy-mm-ddThh-mm-ssZ>.json` (sorts by time; no `:` to escape). */
export function selftestRecordKey(at: Date): string {
  return `${SELFTEST_PREFIX}${at
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/:/g, '-')}.json`;
}

/** The run's verdict: passed when no step failed (warned steps pass; a skipped step never ran, so it cannot pass). */
export function selftestVerdict(steps: readonly Pick<SelftestStep, 'verdict'>[]): 'passed' | 'failed' {
  return steps.length > 0 && steps.every((s) => s.verdict === 'passed' || s.verdict === 'warned') ? 'passed' : 'failed';
}

/** An AWS failure as the selftest explains it. */
export interface StepFailure {
  readonly cause: string;
  readonly fix: string;
}

/** AWS says who was denied what: `User: arn:… is not authorized to perform: s3:GetObject on resource: …`. */
const NOT_AUTHORIZED = /(arn:[\w-]+:(?:iam|sts)::\d*:[^\s]+) is not authorized to perform: ([\w-]+:[\w*]+)(?: on resource: ?([^\s]+))?/;
const DENIED_NAME = /AccessDenied|UnauthorizedOperation|NotAuthorized|AuthorizationError|^Forbidden$/;

/** The role name of an STS assumed-role or IAM role ARN (`…:assumed-role/<role>/<session>`). */
export function principalName(arn: string): string {
  const assumed = /:assumed-role\/([^/]+)\//.exec(arn);
  if (assumed) return assumed[1]!;
  const named = /:(?:role|user)\/(?:[^/]+\/)*([^/]+)$/.exec(arn);
  return named?.[1] ?? arn;
}

/**
 * A failure's cause and fix. An access denial names the denied action and
 * the role that lacks it (from the message AWS gives); `who` says whose role
 * it is when the message does not (`the operator's credentials`, `the DR
 * verifier function`), and `fixOther` is the fix for any other failure.
 */
export function explainFailure(error: { readonly name: string; readonly message: string }, who: string, fixOther: string): StepFailure {
  const m = NOT_AUTHORIZED.exec(error.message);
  if (m) {
    const role = principalName(m[1]!);
    const action = m[2]!;
    return {
      cause: `access denied: ${role} (${who}) lacks ${action}${m[3] ? ` on ${m[3]}` : ''}`,
      fix: `grant ${action} to ${role}: for the operator, docs/iam/operator-policy.json; for a function of the stacks, deploy them again (npx cdk deploy --all)`,
    };
  }
  if (DENIED_NAME.test(error.name))
    return {
      cause: `access denied (${error.name}) for ${who}: ${error.message}`,
      fix: `grant ${who} the call named above: for the operator, docs/iam/operator-policy.json; for a function of the stacks, deploy them again (npx cdk deploy --all)`,
    };
  return { cause: error.message || error.name, fix: fixOther };
}

/** What `status` and `doctor` say about the newest selftest record. */
export interface SelftestSummary {
  readonly verdict: 'passed' | 'failed' | 'none';
  readonly line: string;
}

/** The newest record in one line (`none` when no selftest ran yet). */
export function summarizeSelftest(record: SelftestRecord | undefined, key: string | undefined): SelftestSummary {
  if (!record) return { verdict: 'none', line: 'no selftest has run: run `redis-dr selftest` once after a deploy (docs/deploying.md)' };
  const failed = record.steps.filter((s) => s.verdict === 'failed');
  const warned = record.steps.filter((s) => s.verdict === 'warned');
  const where = key ? ` (${key})` : '';
  if (record.verdict === 'passed')
    return {
      verdict: 'passed',
      line: `selftest passed at ${record.finishedAt}: ${record.steps.length} steps${warned.length > 0 ? `, ${warned.length} warned (${warned.map((s) => s.step).join(', ')})` : ''}${where}`,
    };
  return {
    verdict: 'failed',
    line: `selftest FAILED at ${record.finishedAt}: ${failed.map((s) => `${s.step}: ${s.cause ?? s.detail}`).join('; ') || 'steps were skipped'}${where}`,
  };
}

/** Days a passed selftest stays current for `doctor`: older, it warns (the account may have changed since it proved the pipeline). */
export const SELFTEST_MAX_AGE_DAYS = 30;

/** Doctor's line about the newest selftest record, pure: its age, verdict and the failing step. */
export interface SelftestJudgement {
  readonly state: 'pass' | 'warn' | 'fail';
  readonly detail: string;
  readonly fix: string | null;
}

/**
 * The newest selftest record as doctor judges it: none yet warns (run it
 * once after a deploy); a failed one fails, naming its first failing step
 * and cause; a passed one older than `maxAgeDays` warns; else it passes.
 */
export function judgeSelftest(
  found: { readonly key: string; readonly record: SelftestRecord } | undefined,
  now: Date,
  maxAgeDays: number = SELFTEST_MAX_AGE_DAYS,
): SelftestJudgement {
  const run = 'redis-dr selftest -c <config> (docs/deploying.md, "Day 1")';
  if (!found) return { state: 'warn', detail: 'no selftest has run', fix: `run ${run}` };
  const { key, record } = found;
  const finished = Date.parse(record.finishedAt);
  // A time that is none, or one from the future, would read as fresh for ever (NaN and negative ages pass every
  // bound) while the newest record by key hides the later runs: it proves nothing (domain/points/clock-skew.ts).
  if (!Number.isFinite(finished) || finished > clockCeiling(now).getTime())
    return {
      state: 'fail',
      detail: `${key} says it finished at ${JSON.stringify(record.finishedAt)}, ${Number.isFinite(finished) ? `after now (${now.toISOString()})` : 'which is not a time'}: it proves nothing, and as the newest record it hides the later runs`,
      fix: `move ${key} out of ${SELFTEST_PREFIX} (a clock set wrong, or a record selftest did not write), then run ${run} again`,
    };
  const ageDays = (now.getTime() - finished) / 86_400_000;
  const age = `${ageDays < 1 ? `${Math.max(0, Math.round(ageDays * 24))} h` : `${Math.floor(ageDays)} d`} old`;
  if (record.verdict === 'failed') {
    const failed = record.steps.find((s) => s.verdict === 'failed') ?? record.steps.find((s) => s.verdict === 'skipped');
    return {
      state: 'fail',
      detail: `FAILED at ${record.finishedAt} (${age}, ${key}): ${failed ? `${failed.step} (${failed.region}): ${failed.cause ?? failed.detail}` : 'no step passed'}`,
      fix: `${failed?.fix ? `${failed.fix}; then ` : ''}run ${run} again`,
    };
  }
  if (ageDays > maxAgeDays)
    return {
      state: 'warn',
      detail: `passed at ${record.finishedAt}, ${age}: older than ${maxAgeDays} days (${key})`,
      fix: `run ${run} again: the account may have changed since`,
    };
  return { state: 'pass', detail: `passed at ${record.finishedAt} (${age}, ${record.steps.length} steps, ${key})`, fix: null };
}

/**
 * The selftest's table as lines: step, region, verdict, time and detail in
 * aligned columns, then each failure's (and warning's) cause and fix. The
 * CLI and the demo print the same; `paint` may colour the verdict column.
 */
export function selftestTable(steps: readonly SelftestStep[], paint: (verdict: StepVerdict, cell: string) => string = (_v, c) => c): string[] {
  const rows = [
    ['STEP', 'REGION', 'VERDICT', 'TIME', 'DETAIL'],
    ...steps.map((s) => [s.step, s.region, s.verdict.toUpperCase(), `${s.seconds.toFixed(1)} s`, s.detail.split('\n')[0]!]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = rows.map((r, row) =>
    r
      .map((cell, i) => {
        const padded = i === r.length - 1 ? cell : cell.padEnd(widths[i]!);
        return row > 0 && i === 2 ? paint(steps[row - 1]!.verdict, padded) : padded;
      })
      .join('  ')
      .trimEnd(),
  );
  const explained = steps.filter((s) => s.cause);
  if (explained.length > 0) lines.push('');
  for (const s of explained) lines.push(`${s.step} (${s.region}) ${s.verdict}:`, `  cause: ${s.cause}`, `  fix:   ${s.fix ?? 'see the runbook of the step'}`);
  return lines;
}
