/**
 * Builds the DR report from its facts (see model.ts): the arithmetic of RPO
 * attainment, copies, drills and RTO trends, and each control's verdict.
 * Pure.
 */
import type { AlarmEpisode, CacheFacts, CacheReport, ControlResult, CopyFact, CopySummary, DrillFact, DrReport, ReportFacts, RpoAttainment } from './model.js';
import { reportAudits } from './audits.js';
import { dateFormat, readableDuration } from './readable.js';

const MINUTE = 60_000;
const DAY = 86_400_000;
const WEEK = 7 * DAY;

/** The calendar day of `at` in `timeZone`, as YYYY-MM-DD. */
export function dayIn(at: Date, timeZone: string): string {
  // en-CA formats as YYYY-MM-DD.
  return dateFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

/** Every calendar day in `timeZone` that [from, to] touches, in order. */
export function daysBetween(from: Date, to: Date, timeZone: string): string[] {
  const days: string[] = [];
  // Step by 6 hours: no day is skipped whatever the zone's offset changes.
  for (let t = from.getTime(); ; t = Math.min(t + 6 * 3_600_000, to.getTime())) {
    const d = dayIn(new Date(t), timeZone);
    if (days.at(-1) !== d) days.push(d);
    if (t >= to.getTime()) break;
  }
  return days;
}

/** ISO week (YYYY-Www) of `at`, in UTC. */
export function isoWeek(at: Date): string {
  const d = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
  // The week's Thursday decides its year (ISO 8601).
  d.setUTCDate(d.getUTCDate() + 4 - (d.getUTCDay() || 7));
  const yearStart = Date.UTC(d.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((d.getTime() - yearStart) / DAY + 1) / 7);
  return `${d.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

function weeksBetween(from: Date, to: Date): string[] {
  const weeks: string[] = [];
  for (let t = from.getTime(); ; t = Math.min(t + DAY, to.getTime())) {
    const w = isoWeek(new Date(t));
    if (weeks.at(-1) !== w) weeks.push(w);
    if (t >= to.getTime()) break;
  }
  return weeks;
}

/** How well the recovery points of [since, until] met the RPO: gaps measured in real time (a DST change moves no gap). */
export function rpoAttainment(points: readonly { readonly at: Date }[], rpoMinutes: number, timeZone: string, since: Date, until: Date): RpoAttainment {
  const times = points
    .map((p) => p.at.getTime())
    .filter((t) => t >= since.getTime() && t <= until.getTime())
    .sort((a, b) => a - b);
  const edges = [since.getTime(), ...times, until.getTime()];
  const rpo = rpoMinutes * MINUTE;
  let largest = { from: since.getTime(), to: since.getTime() };
  const breaches: { from: Date; to: Date }[] = [];
  for (let i = 1; i < edges.length; i++) {
    const from = edges[i - 1]!;
    const to = edges[i]!;
    if (to - from > largest.to - largest.from) largest = { from, to };
    // The time after `from` + RPO with no newer point is the time the RPO was not met.
    if (to - from > rpo) breaches.push({ from: new Date(from + rpo), to: new Date(to) });
  }
  const missed = new Set<string>();
  for (const b of breaches) for (const d of daysBetween(b.from, b.to, timeZone)) missed.add(d);
  const days = daysBetween(since, until, timeZone);
  const perDay = new Map(days.map((d) => [d, 0]));
  for (const t of times) {
    const d = dayIn(new Date(t), timeZone);
    perDay.set(d, (perDay.get(d) ?? 0) + 1);
  }
  return {
    points: times.length,
    largestGapMs: largest.to - largest.from,
    largestGapFrom: new Date(largest.from),
    largestGapTo: new Date(largest.to),
    breaches,
    daysMissed: days.filter((d) => missed.has(d)),
    days: days.length,
    perDay: days.map((day) => ({ day, points: perDay.get(day) ?? 0 })),
  };
}

/** Counts of copies by verdict in the period, the newest verified one, and verified/failed per ISO week. */
export function copySummary(copies: readonly CopyFact[], since: Date, until: Date): CopySummary {
  const inPeriod = copies.filter((c) => c.at >= since && c.at <= until);
  const weeks = new Map(weeksBetween(since, until).map((w) => [w, { verified: 0, failed: 0 }]));
  for (const c of inPeriod) {
    const w = weeks.get(isoWeek(c.at));
    if (!w) continue;
    if (c.verdict === 'ok') w.verified++;
    else if (c.verdict === 'corrupt' || c.verdict === 'unsupported' || c.verdict === 'unproven') w.failed++;
  }
  const verified = copies.filter((c) => c.verdict === 'ok' && c.at <= until).sort((a, b) => b.at.getTime() - a.at.getTime());
  const count = (v: CopyFact['verdict']) => inPeriod.filter((c) => c.verdict === v).length;
  return {
    copies: inPeriod.length,
    verified: count('ok'),
    corrupt: count('corrupt'),
    unsupported: count('unsupported'),
    unproven: count('unproven'),
    pending: count('pending'),
    ...(verified[0] ? { newestVerifiedAt: verified[0].at } : {}),
    verifiedPerWeek: [...weeks].map(([week, v]) => ({ week, ...v })),
  };
}

/** Least-squares slope of RTO over time, in seconds per week; undefined with fewer than two drills with an RTO at different times. */
export function rtoTrend(drills: readonly DrillFact[]): number | undefined {
  const xs = drills.filter((d) => d.rtoSeconds !== undefined).map((d) => ({ x: d.startedAt.getTime() / WEEK, y: d.rtoSeconds! }));
  if (xs.length < 2) return undefined;
  const mx = xs.reduce((n, p) => n + p.x, 0) / xs.length;
  const my = xs.reduce((n, p) => n + p.y, 0) / xs.length;
  const sxx = xs.reduce((n, p) => n + (p.x - mx) ** 2, 0);
  if (sxx === 0) return undefined;
  return xs.reduce((n, p) => n + (p.x - mx) * (p.y - my), 0) / sxx;
}

const minutes = (ms: number) => Math.round(ms / MINUTE);
// Minutes rounded before hours are taken (never "719 h 60 min"), in the largest units that say it.
const hm = readableDuration;
/** A time in a reason: ISO, to the second (the page shows it in the deployment's zone; the CSV keeps it as it is). */
const isoTime = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Each control of one cache, with the reason for its verdict. */
export function cacheControls(
  facts: CacheFacts,
  rpo: RpoAttainment,
  report: Omit<CacheReport, 'controls' | 'facts' | 'rpo'>,
  all: ReportFacts,
): ControlResult[] {
  const c = facts.cache;
  const out: ControlResult[] = [];
  const push = (control: ControlResult['control'], verdict: ControlResult['verdict'], why: string) => {
    const na = facts.notApplicable?.[control];
    out.push(na !== undefined ? { control, cache: c, verdict: 'n/a', why: na } : { control, cache: c, verdict, why });
  };
  push('resources-protected', 'pass', `in plan ${facts.plan}`);
  push(
    'frequency',
    rpo.breaches.length === 0 ? 'pass' : 'fail',
    rpo.breaches.length === 0
      ? `largest gap ${hm(rpo.largestGapMs)}, within the RPO of ${facts.rpoMinutes} min`
      : `largest gap ${hm(rpo.largestGapMs)} (${isoTime(rpo.largestGapFrom)} to ${isoTime(rpo.largestGapTo)}) over the RPO of ${facts.rpoMinutes} min; ${rpo.daysMissed.length} of ${rpo.days} days missed`,
  );
  const newest = [...facts.points].filter((p) => p.at <= all.until).sort((a, b) => b.at.getTime() - a.at.getTime())[0];
  const age = newest ? all.until.getTime() - newest.at.getTime() : undefined;
  push(
    'last-recovery-point',
    age !== undefined && age <= facts.rpoMinutes * MINUTE ? 'pass' : 'fail',
    newest ? `newest ${newest.name}, ${minutes(age!)} min old at the report's end (RPO ${facts.rpoMinutes} min)` : 'no recovery point at all',
  );
  push(
    'retention',
    facts.retentionDays >= all.minRetentionDays ? 'pass' : 'fail',
    facts.retentionObserved
      ? `the oldest recovery point there is ${facts.retentionDays} days old (required ${all.minRetentionDays})`
      : `the plan keeps recovery points up to ${facts.retentionDays} days (required ${all.minRetentionDays})`,
  );
  if (!report.dr) push('cross-region-copy', 'fail', 'the plan makes no copy in another region');
  else {
    const limit = facts.drCopyLimitMinutes ?? facts.rpoMinutes;
    const ageDr = report.dr.newestVerifiedAt ? all.until.getTime() - report.dr.newestVerifiedAt.getTime() : undefined;
    // Judged on the newest verified copy: a corrupt one in the period was paged, and is counted here for the record.
    const ok = ageDr !== undefined && ageDr <= limit * MINUTE;
    push(
      'cross-region-copy',
      ok ? 'pass' : 'fail',
      ageDr === undefined
        ? 'no verified copy in the DR region'
        : `newest verified copy ${minutes(ageDr)} min old (limit ${limit} min); ${report.dr.verified} verified, ${report.dr.corrupt} corrupt in the period`,
    );
  }
  if (!report.vault) {
    push('cross-account-copy', 'n/a', 'no vault account configured');
    push('vault-lock', 'n/a', 'no vault account configured');
  } else {
    const v = report.vault;
    push('cross-account-copy', v.verified > 0 ? 'pass' : 'fail', `${v.verified} replica(s) verified in the vault in the period`);
    const unlocked = v.copies - v.locked;
    push(
      'vault-lock',
      v.copies > 0 && unlocked === 0 ? 'pass' : 'fail',
      v.copies === 0 ? 'no replica in the vault' : `${v.locked} of ${v.copies} replica(s) under COMPLIANCE retention past the report's end`,
    );
  }
  if (facts.rtoTargetSeconds === undefined) push('restore-time', 'fail', 'the plan runs no restore drill');
  else {
    const last = [...report.drills].sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime())[0];
    const ok = last?.passed === true && last.rtoSeconds !== undefined && last.rtoSeconds <= facts.rtoTargetSeconds;
    push(
      'restore-time',
      ok ? 'pass' : 'fail',
      !last
        ? 'no drill in the period'
        : `last drill ${isoTime(last.startedAt)} ${last.passed ? 'passed' : `failed${last.reason ? `: ${last.reason}` : ''}`}` +
            `${last.rtoSeconds !== undefined ? `, RTO ${Math.round(last.rtoSeconds)} s (target ${facts.rtoTargetSeconds} s)` : ''}`,
    );
  }
  return out;
}

function vaultSummary(copies: readonly CopyFact[], since: Date, until: Date): NonNullable<CacheReport['vault']> {
  const base = copySummary(copies, since, until);
  const inPeriod = copies.filter((c) => c.at >= since && c.at <= until);
  const locked = inPeriod.filter((c) => c.retainUntil !== undefined && c.retainUntil > until);
  const earliest = locked.map((c) => c.retainUntil!).sort((a, b) => a.getTime() - b.getTime())[0];
  return { ...base, locked: locked.length, ...(earliest ? { earliestRetainUntil: earliest } : {}) };
}

/** The whole report. */
export function buildReport(facts: ReportFacts): DrReport {
  const { since, until } = facts;
  const caches: CacheReport[] = facts.caches.map((f) => {
    const rpo = rpoAttainment(f.points, f.rpoMinutes, f.timeZone, since, until);
    const drills = facts.drills
      .filter((d) => d.cache === f.cache && d.startedAt >= since && d.startedAt <= until)
      .sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime());
    const trend = rtoTrend(drills);
    const partial = {
      ...(f.drCopies ? { dr: copySummary(f.drCopies, since, until) } : {}),
      ...(f.vaultCopies ? { vault: vaultSummary(f.vaultCopies, since, until) } : {}),
      drills,
      ...(trend !== undefined ? { rtoTrendSecondsPerWeek: trend } : {}),
    };
    return { facts: f, rpo, ...partial, controls: cacheControls(f, rpo, partial, facts) };
  });
  const unprotectedControls: ControlResult[] = [
    ...facts.unprotected.map((cache) => ({ control: 'resources-protected' as const, cache, verdict: 'fail' as const, why: 'in no backup plan' })),
    ...facts.unprotectable.map(({ cache, why }) => ({
      control: 'resources-protected' as const,
      cache,
      verdict: 'fail' as const,
      why: `cannot be protected: ${why}`,
    })),
  ];
  const controls = [...caches.flatMap((c) => c.controls), ...unprotectedControls];
  const alarms = facts.alarms
    .filter((a) => (a.to ?? until) >= since && a.from <= until)
    .map((a: AlarmEpisode) => {
      const from = Math.max(a.from.getTime(), since.getTime());
      const to = Math.min((a.to ?? until).getTime(), until.getTime());
      return { ...a, minutesInAlarm: Math.round((to - from) / MINUTE) };
    });
  return {
    deployment: facts.deployment,
    generatedAt: facts.generatedAt,
    since,
    until,
    caches,
    unprotected: facts.unprotected,
    unprotectable: facts.unprotectable,
    alarms,
    holds: facts.holds.filter((h) => (h.released ?? until) >= since && h.since <= until),
    controls,
    summary: {
      pass: controls.filter((c) => c.verdict === 'pass').length,
      fail: controls.filter((c) => c.verdict === 'fail').length,
      notApplicable: controls.filter((c) => c.verdict === 'n/a').length,
    },
    // A report that judged nothing is no pass: say so (partial, exit 1), as for a fact not read.
    problems: [...(facts.problems ?? []), ...(facts.caches.length === 0 ? ['no cache or backup target was found to report on: nothing was judged'] : [])],
    notCollected: facts.notCollected ?? {},
    ...(facts.simulated !== undefined ? { simulated: facts.simulated } : {}),
    ...(facts.scrub ? { scrub: facts.scrub } : {}),
    ...(facts.policyDocument !== undefined ? { policyDocument: facts.policyDocument } : {}),
    audits: reportAudits(facts),
  };
}
