/**
 * The drill report, pure: from what the drill state machine gathered (input,
 * choice, verify report, error, timings, cleanup) to the message on-call
 * reads, the attributes subscriptions filter on, and the metric data points.
 * Times arrive as ISO strings from the state machine; nothing reads a clock.
 */
import { z } from 'zod';
import { ALARM_KINDS, RUNBOOKS } from '../alerting/catalog.js';
import { DIMENSION, METRIC } from '../alerting/metrics.js';
import { ascii, pageAttributes, type AlertAttributes } from '../alerting/page.js';
import type { CheckResult, DrillInput, DrillVerifyReport, RecoveryPointChoice } from './drill.js';
import { runTimeSelectionWords } from '../plans/plan-input.js';

/** An ISO-8601 instant as the state machine passes times (`$$.Execution.StartTime`, `$$.State.EnteredTime`). */
export const isoInstantSchema = z.string().refine((s) => !Number.isNaN(Date.parse(s)), { message: 'must be an ISO-8601 instant' });

/** The `Target` dimension value of a drill that chose no target. */
export const NO_TARGET = 'none';

/** What on-call follows when a drill fails. */
export const RESTORE_DRILL_RUNBOOK = RUNBOOKS.restoreDrill;

/** How much of an error's cause the message quotes. */
const MAX_CAUSE = 600;

/** When each step of the drill ended (ISO instants); absent for steps not reached. */
export interface DrillTimings {
  /** Execution start. */
  readonly startedAt: string;
  /** CreateReplicationGroup (or CreateServerlessCache) accepted. */
  readonly createdAt?: string;
  /** The drill cluster became available. */
  readonly availableAt?: string;
  /** The verify step returned. */
  readonly verifiedAt?: string;
  /** DeleteReplicationGroup accepted. */
  readonly deletedAt?: string;
}

/** Whether the drill cluster was deleted. */
export interface DrillCleanup {
  readonly deleted: boolean;
  /** The drill cluster, when one was (or may have been) created. */
  readonly clusterId?: string;
  /** Why deleting failed. */
  readonly error?: string;
  /** Why nothing was deleted on purpose (the create failed, or the group is not this drill's): never a cluster left behind by us. */
  readonly skipped?: string;
}

/**
 * A serverless drill's own user or user group (made for the execution, since
 * a serverless cache takes no AUTH token) and whether it was deleted.
 */
export interface AccessCleanup {
  readonly id: string;
  readonly deleted: boolean;
  readonly error?: string;
}

/** A Step Functions error as a Catch passes it on. */
export interface StatesError {
  readonly Error: string;
  readonly Cause?: string;
}

/** Everything the report step receives. */
export interface DrillOutcome {
  readonly input: DrillInput;
  readonly choice?: RecoveryPointChoice;
  readonly verify?: DrillVerifyReport;
  readonly error?: StatesError;
  readonly timings: DrillTimings;
  readonly cleanup: DrillCleanup;
  /** Serverless drills with the execution's token: the drill's user group and user, when they were made. */
  readonly access?: { readonly userGroup?: AccessCleanup; readonly user?: AccessCleanup };
  /** The region the drill ran in. */
  readonly region: string;
  /** Drills from the vault: the deletion of the seed copies in the DR bucket (absent when no copy was attempted). */
  readonly seedCleanup?: SeedCleanup;
  /** The deletion of the execution's AUTH token secret (absent when none was stored: RBAC, or the store failed). */
  readonly secretCleanup?: SecretCleanup;
}

/** What the AUTH token secret's delete reported (lib/constructs/restore-drill/steps/cleanup.ts). */
export interface SecretCleanup {
  readonly deleted: boolean;
  /** The secret, when it was not deleted. */
  readonly arn?: string;
  readonly error?: string;
}

/** What the seed copies' delete reported (lib/constructs/restore-drill/steps/seed-copy.ts). */
export interface SeedCleanup {
  readonly deleted: boolean;
  readonly bucket?: string;
  readonly keys?: readonly string[];
  readonly versions?: number;
  readonly error?: string;
}

/** The step a failed drill failed in. */
export type DrillStep = 'select' | 'restore' | 'verify' | 'cleanup';

/** One metric data point (units as the metrics sink names them). */
export interface DrillMetricPoint {
  readonly name: string;
  readonly value: number;
  readonly unit: 'Count' | 'Seconds';
  readonly dimensions: Readonly<Record<string, string>>;
}

/** The drill's verdict, message and metrics. */
export interface DrillReport {
  /** Restored, verified, and the cluster deleted. */
  readonly ok: boolean;
  /** The step that failed first, when the drill failed. */
  readonly failedStep?: DrillStep;
  /** Measured RTO, when the data was verified. */
  readonly rtoSeconds?: number;
  /** Whether the measured RTO met the plan's objective; undefined when nothing was verified. */
  readonly rtoMet?: boolean;
  readonly restoreSeconds?: number;
  readonly verifySeconds?: number;
  /** The drill cluster when it was not deleted. */
  readonly leftBehind?: string;
  /** At most 100 ASCII characters. */
  readonly subject: string;
  readonly body: string;
  /** For SNS subscription filter policies: kind, catalog severity, deployment, region, plan, target, outcome. */
  readonly attributes: AlertAttributes;
  readonly metrics: readonly DrillMetricPoint[];
}

/**
 * Builds the report. The drill passed when no step failed, every check
 * passed and the cluster was deleted; an RTO over the objective does not fail
 * it (the data came back) but raises the severity to `warning` and says so
 * in the subject. A drill cluster not deleted is named ("cluster left
 * behind: <id>"); the reaper deletes it later if nobody does.
 */
export function buildDrillReport(o: DrillOutcome): DrillReport {
  const { input, choice, verify, cleanup } = o;
  const at = (iso?: string) => (iso === undefined || Number.isNaN(Date.parse(iso)) ? undefined : Date.parse(iso));
  const t = o.timings;
  const span = (from?: string, to?: string) => {
    const a = at(from);
    const b = at(to);
    return a === undefined || b === undefined ? undefined : Math.max(0, Math.round((b - a) / 1000));
  };
  const verified = verify?.ok === true;
  const rtoSeconds = verified ? span(t.startedAt, t.verifiedAt) : undefined;
  const rtoMet = rtoSeconds === undefined ? undefined : rtoSeconds <= input.rtoMinutes * 60;
  const restoreSeconds = span(t.createdAt ?? t.startedAt, t.availableAt);
  const verifySeconds = verify ? verify.seconds : span(t.availableAt, t.verifiedAt);
  const leftBehind = !cleanup.deleted && !cleanup.skipped && cleanup.clusterId ? cleanup.clusterId : undefined;

  const failures = whatFailed(o, leftBehind);
  const ok = failures.length === 0;
  const failedStep = failures[0]?.step;
  const target = choice?.target ?? NO_TARGET;
  // A drill that chose no target (select found no usable recovery point) names what it looked among, not "none".
  const looked = [...input.targets.replicationGroupIds, ...input.targets.serverlessCacheNames, ...runTimeSelectionWords(input.targets)];
  const targetText = choice ? choice.target : `none chosen (among ${looked.join(', ') || "the plan's caches"})`;
  const where = choice ? `${input.plan}/${target} ${o.region}` : `${input.plan} ${o.region}, no target chosen`;
  const verdict = ok ? (rtoMet === false ? 'PASSED, RTO MISSED' : 'PASSED') : `FAILED (${failedStep})`;
  const rtoNote = ok && rtoSeconds !== undefined ? ` RTO ${duration(rtoSeconds, true)}` : '';
  const subject = ascii(`redis-dr drill ${verdict}: ${where}${rtoNote}${leftBehind ? ' - cluster left behind' : ''}`);

  const source = input.where === 'primary' ? 'primary snapshot' : input.vault ? `vault copy, account ${input.vault.account}` : 'DR copy';
  const took = (seconds: number | undefined) => (seconds === undefined ? 'not reached' : duration(seconds));
  const objective = `objective ${input.rtoMinutes}m${rtoMet === undefined ? '' : rtoMet ? ': met' : ': MISSED'}`;
  const body = [
    `Restore drill ${verdict.toLowerCase()}: plan ${input.plan}, target ${targetText}, region ${o.region} (${source}).`,
    '',
    ...recoveryPointLines(choice, o.seedCleanup),
    ...checkLines(verify, choice),
    '',
    'Timing:',
    `  RTO (start -> verified): ${took(rtoSeconds)}, ${objective}`,
    `  Restore (create -> available): ${took(restoreSeconds)}`,
    `  Verify: ${took(verifySeconds)}`,
    '',
    cleanupLine(cleanup, leftBehind),
    ...accessLines(o.access),
    ...(o.secretCleanup && !o.secretCleanup.deleted ? [`Cleanup: FAILED, ${secretLeftText(o.secretCleanup)}.`] : []),
    ...(ok ? [] : ['', 'What failed:', ...failures.map((f) => `  - ${f.step}: ${f.what}`), '', `Runbook: ${RESTORE_DRILL_RUNBOOK}`]),
  ].join('\n');

  const dimensions = { [DIMENSION.plan]: input.plan, [DIMENSION.target]: target, [DIMENSION.region]: o.region };
  const metrics: DrillMetricPoint[] = [{ name: METRIC.drillSucceeded, value: ok ? 1 : 0, unit: 'Count', dimensions }];
  const seconds = (name: string, value: number | undefined) => {
    if (value !== undefined) metrics.push({ name, value, unit: 'Seconds', dimensions });
  };
  seconds(METRIC.drillRtoSeconds, rtoSeconds);
  seconds(METRIC.restoreSeconds, restoreSeconds);
  seconds(METRIC.verifySeconds, verifySeconds);
  // Per plan and region too (drills rotate through targets): what the RTO alarm and the dashboard watch.
  const planDimensions = { [DIMENSION.plan]: input.plan, [DIMENSION.region]: o.region };
  metrics.push({ name: METRIC.drillSucceeded, value: ok ? 1 : 0, unit: 'Count', dimensions: planDimensions });
  if (rtoSeconds !== undefined) metrics.push({ name: METRIC.drillRtoSeconds, value: rtoSeconds, unit: 'Seconds', dimensions: planDimensions });

  return {
    ok,
    failedStep,
    rtoSeconds,
    rtoMet,
    restoreSeconds,
    verifySeconds,
    leftBehind,
    subject,
    body,
    attributes: pageAttributes({
      kind: 'restore-drill',
      outcome: ok ? (rtoMet === false ? 'passed-over-rto' : 'passed') : 'failed',
      // A failed drill pages like the drill-failed alarm; a passed one needs no action.
      severity: !ok ? ALARM_KINDS['drill-failed'].severity : rtoMet === false ? ALARM_KINDS['drill-rto'].severity : 'info',
      deployment: input.deployment,
      plan: input.plan,
      target,
      region: o.region,
      where: input.where,
      cleanup: leftBehind ? 'left-behind' : cleanup.deleted ? 'deleted' : 'none',
    }),
    metrics,
  };
}

/** What failed, in step order. */
function whatFailed(o: DrillOutcome, leftBehind: string | undefined): { step: DrillStep; what: string }[] {
  const { choice, verify, error, cleanup } = o;
  const failures: { step: DrillStep; what: string }[] = [];
  if (error) {
    // Where the error happened follows from how far the drill got.
    const step: DrillStep = !choice ? 'select' : !o.timings.availableAt ? 'restore' : !verify ? 'verify' : 'cleanup';
    failures.push({ step, what: `${error.Error}: ${causeText(error.Cause)}` });
  }
  if (verify && !verify.ok) {
    const failed = verify.checks.filter((c) => !c.ok && !c.skipped).map((c) => c.name);
    failures.push({ step: 'verify', what: `check(s) failed: ${failed.length > 0 ? failed.join(', ') : 'see the checks above'}` });
  } else if (!verify && !error) {
    failures.push({ step: choice ? 'verify' : 'select', what: 'the drill ended without a verify report' });
  }
  if (leftBehind) {
    failures.push({ step: 'cleanup', what: `${cleanup.error ?? 'the cluster was not deleted'}; cluster left behind: ${leftBehind}` });
  }
  for (const [what, a] of accessEntries(o.access)) {
    if (!a.deleted) failures.push({ step: 'cleanup', what: `${a.error ?? `the ${what} was not deleted`}; drill ${what} left behind: ${a.id}` });
  }
  if (o.secretCleanup && !o.secretCleanup.deleted) failures.push({ step: 'cleanup', what: secretLeftText(o.secretCleanup) });
  if (o.seedCleanup && !o.seedCleanup.deleted) {
    failures.push({
      step: 'cleanup',
      what: `${o.seedCleanup.error ?? 'the seed copy was not deleted'}; the vault replica's copy in the DR bucket was left behind`,
    });
  }
  // Nothing deleted on purpose after an otherwise clean run: the drill did not clean up its own cluster, so it did not pass.
  if (cleanup.skipped && failures.length === 0)
    failures.push({ step: 'cleanup', what: `${cleanup.clusterId ?? 'the drill cluster'} was not deleted: ${cleanup.skipped}` });
  return failures.sort((a, b) => STEP_ORDER.indexOf(a.step) - STEP_ORDER.indexOf(b.step));
}

const STEP_ORDER: readonly DrillStep[] = ['select', 'restore', 'verify', 'cleanup'];

function recoveryPointLines(choice: RecoveryPointChoice | undefined, seedCleanup: SeedCleanup | undefined): string[] {
  if (!choice) return ['Recovery point: none chosen.'];
  const copies = `${choice.snapshotArns?.length ?? 0} object(s)`;
  const source = choice.snapshotName ? 'snapshot' : choice.vault ? `vault copy, ${copies}` : `DR copy, ${copies}`;
  const shards = `${choice.shards} shard${choice.shards === 1 ? '' : 's'}, cluster mode ${choice.clusterMode}`;
  return [
    `Recovery point: ${choice.recoveryPoint} (${source}), taken ${choice.createdAt}, ${duration(choice.ageSeconds)} old at the start.`,
    ...collapsedLines(choice.collapsedPassedOver, choice.snapshotName ? 'snapshot(s)' : 'DR export(s)'),
    ...vaultLines(choice.vault, seedCleanup),
    choice.kind === 'serverless-cache'
      ? `Drill cache: ${choice.clusterId}, serverless ${choice.engine} ${choice.engineVersion}, from ${choice.snapshotArns?.length ?? 0} object(s).`
      : `Drill cluster: ${choice.clusterId}, ${choice.engine} ${choice.engineVersion} on ${choice.nodeType}, ${shards}.`,
  ];
}

/** The snapshots (or DR exports) the drill passed over because each is marked a keyspace collapse (drill-select.ts). */
function collapsedLines(passed: RecoveryPointChoice['collapsedPassedOver'], what: string): string[] {
  if (!passed) return [];
  return [
    `Not drilled: ${passed.count} ${what} of the target marked a keyspace collapse, the newest ${passed.newest} (${passed.mark || 'no mark text'}); ` +
      `a recovery reaches for a point before the collapse, as this drill did. Runbook: ${RUNBOOKS.keyspaceCollapse}`,
  ];
}

/**
 * A drill seeded from the vault: whose bucket, which objects (and versions),
 * how long Object Lock still keeps them, and what became of the copy the
 * cluster was seeded from.
 */
function vaultLines(vault: RecoveryPointChoice['vault'], seedCleanup: SeedCleanup | undefined): string[] {
  if (!vault) return [];
  const lock = vault.retainUntil
    ? `Object Lock ${vault.mode ?? '(mode unknown)'} until ${vault.retainUntil}`
    : 'Object Lock retention unknown (S3 reported none)';
  const version = (key: string) => {
    const v = vault.replicas?.find((r) => r.key === key)?.versionId;
    return v ? ` (version ${v})` : '';
  };
  const copy = !seedCleanup
    ? []
    : seedCleanup.deleted
      ? [
          `Seeded from a copy in this account's DR bucket${seedCleanup.bucket ? ` ${seedCleanup.bucket}` : ''}; the copy was deleted (${seedCleanup.versions ?? 0} version(s)).`,
        ]
      : [`Seed copy in the DR bucket: FAILED to delete, left behind${seedCleanup.error ? ` (${seedCleanup.error})` : ''}.`];
  return [
    `Seeded from the vault: account ${vault.account}, bucket ${vault.bucket}, ${lock}.`,
    ...vault.keys.map((key) => `  s3://${vault.bucket}/${key}${version(key)}`),
    ...copy,
  ];
}

/** A token secret not deleted: which, why, and who deletes it (the reaper, after drill.maxHours). */
function secretLeftText(s: SecretCleanup): string {
  return `${s.error ?? 'the AUTH token secret was not deleted'}; AUTH token secret left behind: ${s.arn ?? '(unknown ARN)'} (the drill reaper deletes it after drill.maxHours)`;
}

function accessEntries(access: DrillOutcome['access']): [string, AccessCleanup][] {
  return [
    ['user group', access?.userGroup],
    ['user', access?.user],
  ].filter((e): e is [string, AccessCleanup] => e[1] !== undefined);
}

function accessLines(access: DrillOutcome['access']): string[] {
  return accessEntries(access).map(([what, a]) =>
    a.deleted ? `Cleanup: drill ${what} ${a.id} deleted.` : `Cleanup: FAILED, drill ${what} left behind: ${a.id}${a.error ? ` (${a.error})` : ''}.`,
  );
}

function checkLines(verify: DrillVerifyReport | undefined, choice: RecoveryPointChoice | undefined): string[] {
  if (!verify) return [];
  const mark = (c: CheckResult) => (c.skipped ? '[skip]' : c.ok ? '[ok]  ' : '[FAIL]');
  const recorded = choice?.expected.keys;
  return [
    `Keys restored: ${verify.keys}${recorded === undefined ? '' : ` (recorded: ${recorded})`}.`,
    '',
    'Checks (expected vs found):',
    ...verify.checks.map((c) => `  ${mark(c)} ${c.name}: expected ${c.expected}, found ${c.found}`),
  ];
}

function cleanupLine(cleanup: DrillCleanup, leftBehind: string | undefined): string {
  if (leftBehind) return `Cleanup: FAILED, cluster left behind: ${leftBehind}${cleanup.error ? ` (${cleanup.error})` : ''}.`;
  if (cleanup.deleted) return `Cleanup: ${cleanup.clusterId ? `cluster ${cleanup.clusterId}` : 'drill cluster'} deleted.`;
  if (cleanup.skipped) return `Cleanup: nothing deleted: ${cleanup.skipped}.`;
  return 'Cleanup: no cluster to delete.';
}

/**
 * A States error's cause in words: Lambda task errors carry a JSON object
 * with `errorMessage`; service integration errors carry text.
 */
function causeText(cause: string | undefined): string {
  if (!cause) return '(no cause given)';
  let text = cause;
  try {
    const parsed: unknown = JSON.parse(cause);
    if (parsed && typeof parsed === 'object' && 'errorMessage' in parsed && typeof parsed.errorMessage === 'string') {
      text = parsed.errorMessage;
    }
  } catch {
    // Not JSON: the cause is text already.
  }
  return text.length > MAX_CAUSE ? `${text.slice(0, MAX_CAUSE - 3)}...` : text;
}

/** `1h 02m 05s`, `14m 12s`, `31s`; `compact` drops the spaces (subjects). */
export function duration(seconds: number, compact = false): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  const parts = h > 0 ? [`${h}h`, `${pad(m)}m`, `${pad(rest)}s`] : m > 0 ? [`${m}m`, `${pad(rest)}s`] : [`${rest}s`];
  return parts.join(compact ? '' : ' ');
}
