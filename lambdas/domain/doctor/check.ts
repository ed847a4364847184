/**
 * `redis-dr doctor`'s verdicts, pure: one check is one line (pass, warn or
 * fail, what was found, and the fix). A check that could not look (a denied
 * or throttled call) is a failure, never a pass: doctor says what it knows.
 */

/** pass: as it should be; warn: works, but look at it; fail: something will not work (or could not be checked). */
export type CheckState = 'pass' | 'warn' | 'fail';

/** The sections of the report, in the order they print. */
export const DOCTOR_SECTIONS = [
  'credentials',
  'network',
  'stacks',
  'schedules',
  'alerts',
  'buckets',
  'targets',
  'recovery points',
  'vault',
  'drills',
  'selftest',
  'alarms',
  'coverage',
] as const;
export type DoctorSection = (typeof DOCTOR_SECTIONS)[number];

/** One check: one line of the report. */
export interface DoctorCheck {
  readonly section: DoctorSection;
  /** The region looked at; null for checks of the whole deployment. */
  readonly region: string | null;
  /** What was checked: a stack, a schedule, a topic, a bucket, a target… */
  readonly subject: string;
  readonly state: CheckState;
  /** What was found. */
  readonly detail: string;
  /** What to do; null when nothing is to be done. */
  readonly fix: string | null;
}

/** How many checks ended in each state. */
export interface CheckCounts {
  readonly pass: number;
  readonly warn: number;
  readonly fail: number;
}

/** Counts of `checks` per state. */
export function countChecks(checks: readonly DoctorCheck[]): CheckCounts {
  return {
    pass: checks.filter((c) => c.state === 'pass').length,
    warn: checks.filter((c) => c.state === 'warn').length,
    fail: checks.filter((c) => c.state === 'fail').length,
  };
}

/** 0 when every check passed or only warned, 1 when any failed. */
export function doctorExitCode(checks: readonly DoctorCheck[]): 0 | 1 {
  return checks.some((c) => c.state === 'fail') ? 1 : 0;
}

/** Checks in report order: by section, keeping each section's own order. */
export function sortChecks(checks: readonly DoctorCheck[]): DoctorCheck[] {
  return checks
    .map((c, i) => [c, i] as const)
    .sort(([a, i], [b, j]) => DOCTOR_SECTIONS.indexOf(a.section) - DOCTOR_SECTIONS.indexOf(b.section) || i - j)
    .map(([c]) => c);
}

/** What kind of failure kept a check from looking. */
export type LookFailure = 'denied' | 'throttled' | 'other';

/**
 * The failed check of a call that did not answer: the permission it needs
 * when it was denied, a rerun when it was throttled past the retries.
 */
export function couldNotCheck(
  base: Pick<DoctorCheck, 'section' | 'region' | 'subject'>,
  failure: LookFailure,
  permission: string,
  problem: string,
): DoctorCheck {
  const fix =
    failure === 'denied'
      ? `grant ${permission} to the role in use (docs/iam/operator-policy.json lists what doctor reads)`
      : failure === 'throttled'
        ? 'AWS throttled the call past its retries: run doctor again in a minute'
        : `see the error; doctor needs ${permission} here`;
  const what = failure === 'denied' ? `not checked: access denied, needs ${permission}` : failure === 'throttled' ? 'not checked: throttled' : 'not checked';
  return { ...base, state: 'fail', detail: `${what} (${problem})`, fix };
}
