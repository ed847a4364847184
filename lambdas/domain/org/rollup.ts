/**
 * The organization's roll-up (issue 52 item 4): every account's newest
 * scheduled report in each region it reports from, read from an evidence
 * tree where each account writes under its own prefix,
 * `<account>/<region>/reports/<period>/<yyyy-mm-ddThhmmZ>/report.json` (the
 * layout lambdas/domain/report/input.ts gives a bucket, under the account and
 * the region: the org vault's policy holds each account to `<account>/`).
 * Pure: the job lists and reads, this judges.
 *
 * An account whose newest report is older than its period (plus a day's
 * grace) is a FAIL line, never skipped; a record that is not a report is
 * named, and the rest is still rolled up.
 */
import { z } from 'zod';
import { splitAccountKey } from '../points/account-prefix.js';
import { clockCeiling } from '../points/clock-skew.js';
import { REPORTS_PREFIX } from '../report/input.js';
import { driftedStacks, type StackDrift } from './stack-drift.js';
import type { ScrubRecord } from '../scrub/record.js';

/** The rest of a report key of the tree after `<account>/<region>/` (domain/points/account-prefix.ts): `reports/<period>/<stamp>Z/report.json`. */
const REST = new RegExp(`^${REPORTS_PREFIX}(weekly|monthly)/(\\d{4}-\\d{2}-\\d{2}T\\d{4})Z/report\\.json$`);

/** A copy of a cache as the report lists it (DR region or vault). */
const copySchema = z.object({ key: z.string(), at: z.iso.datetime(), verdict: z.string() });
/** A drill of a cache as the report lists it. */
const drillSchema = z.object({ startedAt: z.iso.datetime(), passed: z.boolean(), rtoSeconds: z.number().optional() });

/** The report fields the roll-up reads (the rest of the report is the account's own business). */
export const reportRecordSchema = z.object({
  deployment: z.string().min(1),
  until: z.iso.datetime(),
  caches: z.array(
    z.object({
      facts: z.object({
        cache: z.string().min(1),
        plan: z.string().optional(),
        rtoTargetSeconds: z.number().optional(),
        drCopies: z.array(copySchema).optional(),
        vaultCopies: z.array(copySchema).optional(),
      }),
      drills: z.array(drillSchema).optional(),
      controls: z.array(z.object({ control: z.string(), verdict: z.enum(['pass', 'fail', 'n/a']), why: z.string() })),
    }),
  ),
  unprotected: z.array(z.string()).optional(),
  unprotectable: z.array(z.object({ cache: z.string(), why: z.string() })).optional(),
  /** Facts the report could not read (PARTIAL: the account's own report exits 1 with them). */
  problems: z.array(z.string()).optional(),
});
type ReportRecord = z.infer<typeof reportRecordSchema>;

/** A report object of the tree, by its key. */
export interface ReportKey {
  readonly account: string;
  readonly region: string;
  readonly period: 'weekly' | 'monthly';
  readonly until: Date;
  readonly key: string;
}

/** The key's account, period and end; undefined for any other object of the tree. */
export function parseReportKey(key: string): ReportKey | undefined {
  const at = splitAccountKey(key);
  const m = at && REST.exec(at.rest);
  if (!at || !m) return undefined;
  const until = new Date(`${m[2]!.slice(0, 13)}:${m[2]!.slice(13)}:00Z`);
  return Number.isNaN(until.getTime()) ? undefined : { account: at.account, region: at.region, period: m[1] as 'weekly' | 'monthly', until, key };
}

const DAY = 86_400_000;
/** How far back drills count for the "drilled in the last 90 days" share; older reports are not read. */
export const DRILL_HISTORY_DAYS = 90;

/** Per account and region: its newest report (the one judged) and the older ones ending within {@link DRILL_HISTORY_DAYS} (read for their drills only). */
export interface AccountReports {
  readonly newest: ReportKey;
  readonly older: readonly ReportKey[];
}

/**
 * The report keys whose end is after `now` (past the clock skew AWS accepts): no schedule wrote them, and as
 * the newest they would hide every real report and never grow stale, so they are named and never judged.
 */
export function futureReports(keys: readonly string[], now: Date): ReportKey[] {
  return keys.flatMap((key) => {
    const k = parseReportKey(key);
    return k && k.until > clockCeiling(now) ? [k] : [];
  });
}

/** Why a report key from the future is not judged (a MALFORMED record). */
export function futureReportWhy(k: ReportKey, now: Date): string {
  return `its end ${k.until.toISOString()} is after now (${now.toISOString()}): no schedule wrote it; the newest report before it is judged`;
}

/**
 * The tree's report keys grouped per account and region, newest first; any other object of the tree is left out,
 * and so is a report from the future ({@link futureReports}).
 */
export function reportsPerAccount(keys: readonly string[], now: Date): AccountReports[] {
  const groups = new Map<string, ReportKey[]>();
  for (const key of keys) {
    const k = parseReportKey(key);
    if (!k || k.until > clockCeiling(now)) continue;
    const at = `${k.account}/${k.region}`;
    groups.set(at, [...(groups.get(at) ?? []), k]);
  }
  const from = now.getTime() - DRILL_HISTORY_DAYS * DAY;
  return [...groups.values()]
    .map((ks) => {
      const [newest, ...rest] = ks.sort((a, b) => b.until.getTime() - a.until.getTime());
      return { newest: newest!, older: rest.filter((k) => k.until.getTime() > from) };
    })
    .sort((a, b) => a.newest.account.localeCompare(b.newest.account) || a.newest.region.localeCompare(b.newest.region));
}

/** Per account and region, its newest report key of any period not from the future (the one the roll-up judges). */
export function newestPerAccount(keys: readonly string[], now: Date): ReportKey[] {
  return reportsPerAccount(keys, now).map((g) => g.newest);
}

/** A drill that passed: when it started, and its RTO when the report has one. */
export interface PassedDrill {
  readonly at: string;
  readonly rtoSeconds?: number;
}

/** Per cache, the drills that passed in a report body; a body that is no report gives none (its newest report says so). */
export function passedDrills(body: unknown): Record<string, PassedDrill[]> {
  const parsed = reportRecordSchema.safeParse(body);
  const out: Record<string, PassedDrill[]> = {};
  if (!parsed.success) return out;
  for (const c of parsed.data.caches)
    out[c.facts.cache] = (c.drills ?? [])
      .filter((d) => d.passed)
      .map((d) => ({ at: d.startedAt, ...(d.rtoSeconds !== undefined ? { rtoSeconds: d.rtoSeconds } : {}) }));
  return out;
}

/** `more` added to `into`, per cache, each drill once (a weekly and a monthly report list the same drill). */
export function mergeDrills(into: Record<string, PassedDrill[]>, more: Readonly<Record<string, readonly PassedDrill[]>>): Record<string, PassedDrill[]> {
  for (const [cache, drills] of Object.entries(more)) {
    const seen = new Set((into[cache] ?? []).map((d) => d.at));
    into[cache] = [...(into[cache] ?? []), ...drills.filter((d) => !seen.has(d.at))];
  }
  return into;
}

/** A copy of a cache not verified (pending, corrupt, in a format not verified). */
export interface UnverifiedCopy {
  readonly key: string;
  readonly at: string;
  readonly verdict: string;
}

/** One cache in an account's drill-down. */
export interface CacheLine {
  readonly cache: string;
  /** Its plan: in an organization, the tier (one plan per tier, lib/constructs/org/member-config.ts). */
  readonly tier: string;
  /** The report's cross-region copy control passed: a verified copy within the RPO. */
  readonly verified: boolean;
  /** The restore-time control passed: drilled in the period, within the RTO. */
  readonly drilled: boolean;
  /** Its newest drill that passed, in the reports of the last 90 days; null: none. */
  readonly lastDrillAt: string | null;
  /** RTO of each drill that passed in the reports of the last 90 days, seconds. */
  readonly rtoSeconds: readonly number[];
  readonly rtoTargetSeconds: number | null;
  /** Its oldest copy (DR or vault) of the newest report not verified; null: none. */
  readonly oldestUnverified: UnverifiedCopy | null;
}

/** What the newest selftest record of an account and region says (lambdas/domain/selftest/steps.ts), as the job read it. */
export interface SelftestSeen {
  readonly verdict: 'passed' | 'failed';
  readonly at: string;
  /** The failed steps, `<step>: <cause>`. */
  readonly failed: readonly string[];
  /** Each stack's CloudFormation drift status as the run's preflight read it (absent: a record from before it was kept). */
  readonly stacks?: readonly StackDrift[];
}

/**
 * What the newest scrub record of an account and region says (`<account>/<region>/scrub/`, lambdas/domain/scrub/record.ts):
 * when it ran, the copies it found bad (`<file>: <first problem>`) and, for a run that stopped, why (PARTIAL: never a pass).
 */
export interface ScrubSeen {
  readonly at: string;
  readonly bad: readonly string[];
  readonly partial: string | null;
}

/** The roll-up's view of a scrub record. */
export function scrubSeen(record: ScrubRecord): ScrubSeen {
  return {
    at: record.finishedAt,
    bad: record.results.filter((r) => !r.ok).map((r) => `${r.file}: ${r.problems[0] ?? 'bad'}`),
    partial: record.partial ? record.partial.reason : null,
  };
}

/**
 * One chain of signed drill records of an account and region, as the tree
 * holds it (`<account>/<region>/drills/<drill region>/<plan>/`, docs/org.md):
 * how many records are there against the newest's place (fewer: records are
 * missing from the chain), and what the newest says.
 */
export interface DrillChainSeen {
  readonly plan: string;
  /** The region the drills ran in. */
  readonly region: string;
  /** Records of the chain in the tree. */
  readonly records: number;
  /** The newest record's place in the chain (its `seq`). */
  readonly newestSeq: number;
  readonly newest: {
    readonly key: string;
    readonly finishedAt: string;
    readonly passed: boolean;
    readonly trigger: string;
    readonly target?: string;
    readonly failedStep?: string;
    readonly rtoSeconds?: number;
  };
}

/** A drill record as the roll-up reads it (lambdas/domain/drills/evidence-record.ts): the fields it shows, and its attestation's place. */
export const drillRecordSeenSchema = z.object({
  kind: z.literal('redis-dr-drill'),
  plan: z.string(),
  region: z.string(),
  trigger: z.string(),
  finishedAt: z.iso.datetime(),
  passed: z.boolean(),
  target: z.string().optional(),
  failedStep: z.string().optional(),
  rtoSeconds: z.number().optional(),
  attestation: z.object({ seq: z.number().int().min(1) }),
});

/** The roll-up's view of a chain: its newest record (parsed by {@link drillRecordSeenSchema}) and how many records the tree holds. */
export function drillChainSeen(key: string, newest: z.infer<typeof drillRecordSeenSchema>, records: number): DrillChainSeen {
  return {
    plan: newest.plan,
    region: newest.region,
    records,
    newestSeq: newest.attestation.seq,
    newest: {
      key,
      finishedAt: newest.finishedAt,
      passed: newest.passed,
      trigger: newest.trigger,
      ...(newest.target !== undefined ? { target: newest.target } : {}),
      ...(newest.failedStep !== undefined ? { failedStep: newest.failedStep } : {}),
      ...(newest.rtoSeconds !== undefined ? { rtoSeconds: newest.rtoSeconds } : {}),
    },
  };
}

/** Why drill chains make their account's line FAIL: records missing from a chain (fewer than its newest's place), or a newest drill that failed. */
function drillWhys(chains: readonly DrillChainSeen[]): string[] {
  return chains.flatMap((c) => [
    ...(c.records < c.newestSeq
      ? [
          `drill records of ${c.plan} in ${c.region}: ${c.records} of ${c.newestSeq} in the tree (${c.newestSeq - c.records} missing from the chain: check it with redis-dr attest)`,
        ]
      : []),
    ...(c.newest.passed
      ? []
      : [`signed drill record of ${c.plan} in ${c.region} of ${c.newest.finishedAt} failed${c.newest.failedStep ? ` (${c.newest.failedStep})` : ''}`]),
  ]);
}

/**
 * How old the newest scrub record may be: the DR scrub runs daily (lib/deployment.ts SCRUB_SCHEDULE) and writes a
 * record at every run, PARTIAL ones too (a run that throws before it pages lambda-errors), so a newest record over
 * two days old means scheduled runs that never ran: the schedule disabled or deleted, which nothing else pages.
 */
export const SCRUB_STALE_MS = 2 * DAY;

/** Why a scrub makes its account's line FAIL: a bad copy re-read, a run that stopped PARTIAL, runs that stopped; none when it passed. */
function scrubWhys(scrub: ScrubSeen | null, now: Date): string[] {
  if (!scrub) return [];
  const age = now.getTime() - Date.parse(scrub.at);
  return [
    ...(scrub.bad.length > 0 ? [`scrub of ${scrub.at} found ${scrub.bad.length} bad copy(ies): ${scrub.bad.slice(0, 2).join('; ')}`] : []),
    ...(scrub.partial !== null ? [`scrub of ${scrub.at} stopped PARTIAL: ${scrub.partial}`] : []),
    ...(age > SCRUB_STALE_MS
      ? [
          `newest scrub record (${scrub.at}) is ${Math.floor(age / DAY)} days old: the daily scrub stopped (its schedule disabled or deleted? redis-dr doctor names it)`,
        ]
      : []),
  ];
}

/**
 * The stack of an account and region, from its evidence: `missing` (the org
 * config lists the account, the tree has nothing of it), `stopped` (its
 * newest report is older than its period), `selftest-failed` (its newest
 * selftest failed: the stack no longer does what it was deployed to do,
 * broken), `drifted` (a stack CloudFormation's last drift detection found
 * DRIFTED, as the newest selftest read it), `no-selftest`, `ok`.
 */
export type StackState = 'ok' | 'no-selftest' | 'selftest-failed' | 'drifted' | 'stopped' | 'missing';

/** An account's line, per region it reports from. */
export interface AccountRollup {
  readonly account: string;
  readonly region: string;
  /** ok: a fresh report whose controls pass; fail: a control or the selftest failed; stale: the newest report is older than its period; missing: the org config lists the account and the tree has no report of it; malformed: not a report. */
  readonly state: 'ok' | 'fail' | 'stale' | 'missing' | 'malformed';
  readonly stack: StackState;
  readonly key: string;
  readonly until: string;
  readonly deployment: string | null;
  readonly caches: number;
  /** Caches whose cross-region copy control passed (a verified copy within the RPO). */
  readonly verified: number;
  /** Caches whose restore-time control passed (drilled within the period, within the RTO). */
  readonly drilled: number;
  readonly unprotected: number;
  readonly unprotectable: number;
  /** Why the line is not ok. */
  readonly why: string | null;
  /** The chains of signed drill records under the account and region (docs/org.md): count and newest of each. */
  readonly drillChains: readonly DrillChainSeen[];
  /** The drill-down: each cache, the unprotected and unprotectable ones, the newest selftest. */
  readonly cacheLines: readonly CacheLine[];
  readonly unprotectedCaches: readonly string[];
  readonly unprotectableCaches: readonly { readonly cache: string; readonly why: string }[];
  readonly selftest: SelftestSeen | null;
}

/** How old a report of a period may be before the account is stale: its period and a day (the schedule runs at the period's end). */
const FRESH_MS = { weekly: 8 * DAY, monthly: 32 * DAY } as const;

const EMPTY = {
  deployment: null,
  drillChains: [],
  caches: 0,
  verified: 0,
  drilled: 0,
  unprotected: 0,
  unprotectable: 0,
  cacheLines: [],
  unprotectedCaches: [],
  unprotectableCaches: [],
};

/** The line of an account the org config lists with no report in the tree: its stack is missing (or its evidence does not reach the tree). */
export function missingLine(account: string, region: string): AccountRollup {
  return {
    ...EMPTY,
    account,
    region,
    key: '',
    until: '',
    state: 'missing',
    stack: 'missing',
    selftest: null,
    why: `no report under ${account}/${region}/reports/: the stack is missing (never deployed, deleted, or its evidence does not replicate here)`,
  };
}

/** Each cache of a report, for the drill-down. */
function cacheLines(r: ReportRecord, earlierDrills: Readonly<Record<string, readonly PassedDrill[]>>): CacheLine[] {
  const passed = (controls: ReportRecord['caches'][number]['controls'], control: string) => controls.some((x) => x.control === control && x.verdict === 'pass');
  return r.caches.map((c) => {
    const drills = mergeDrills(passedDrills({ ...r, caches: [c] }), { [c.facts.cache]: earlierDrills[c.facts.cache] ?? [] })[c.facts.cache]!;
    const unverified = [...(c.facts.drCopies ?? []), ...(c.facts.vaultCopies ?? [])]
      .filter((k) => k.verdict !== 'ok')
      .sort((a, b) => a.at.localeCompare(b.at))[0];
    return {
      cache: c.facts.cache,
      tier: c.facts.plan ?? '(none)',
      verified: passed(c.controls, 'cross-region-copy'),
      drilled: passed(c.controls, 'restore-time'),
      lastDrillAt:
        drills
          .map((d) => d.at)
          .sort()
          .at(-1) ?? null,
      rtoSeconds: drills.flatMap((d) => (d.rtoSeconds !== undefined ? [d.rtoSeconds] : [])),
      rtoTargetSeconds: c.facts.rtoTargetSeconds ?? null,
      oldestUnverified: unverified ? { key: unverified.key, at: unverified.at, verdict: unverified.verdict } : null,
    };
  });
}

/** The stack's state from the report's freshness and the newest selftest. */
function stackOf(stale: boolean, selftest: SelftestSeen | null): StackState {
  if (stale) return 'stopped';
  if (!selftest) return 'no-selftest';
  if (selftest.verdict === 'failed') return 'selftest-failed';
  return driftedStacks(selftest?.stacks).length > 0 ? 'drifted' : 'ok';
}

/**
 * A signed report's attestation names its DR bucket, `s3://redis-dr-<name>-<account>-<region>/` (lib/deployment.ts
 * recoveryBucketName): whose report it is. The roll-up holds no public key, so this is what it can tell of another
 * account's report under an account's prefix; an unsigned report says nothing.
 */
const SIGNED_BY = /^s3:\/\/redis-dr-.+-(\d{12})-([a-z]{2}(?:-[a-z]+)+-\d)\/$/;

/** Why a signed report is not the report of the account and region its key names; undefined when it is, or is unsigned. */
function otherAccountWhy(body: unknown, k: ReportKey): string | undefined {
  const deployment = (body as { attestation?: { deployment?: unknown } } | null)?.attestation?.deployment;
  const m = typeof deployment === 'string' ? SIGNED_BY.exec(deployment) : null;
  if (!m || (m[1] === k.account && m[2] === k.region)) return undefined;
  return `signed as the report of ${m[1]}/${m[2]} (its attestation's deployment ${deployment}), not of ${k.account}/${k.region}: another account's report under this one's prefix`;
}

/** What an object of the tree holds when its bytes are not JSON: the parser's words, for the MALFORMED line. */
export class NotJson {
  constructor(readonly message: string) {}
}

/** Why `body` is not `what` (`a report`, `a selftest record`): not JSON, with the parser's words, else the first field at fault. */
export function notRecordWhy(what: string, body: unknown, error: z.ZodError): string {
  if (body instanceof NotJson) return `not JSON: ${body.message}`;
  const issue = error.issues[0]!;
  return `not ${what}: ${issue.path.join('.') || '(the object)'}: ${issue.message}`;
}

/**
 * One account's line from its newest report's key and body (parsed JSON, or
 * what failed to parse), the drills that passed per cache in its older
 * reports, its newest selftest record and its newest scrub record (null: none), and its chains of signed drill records.
 */
export function accountLine(
  k: ReportKey,
  body: unknown,
  now: Date,
  earlierDrills: Readonly<Record<string, readonly PassedDrill[]>> = {},
  selftest: SelftestSeen | null = null,
  scrub: ScrubSeen | null = null,
  drillChains: readonly DrillChainSeen[] = [],
): AccountRollup {
  const base = { account: k.account, region: k.region, key: k.key, until: k.until.toISOString(), selftest };
  const parsed = reportRecordSchema.safeParse(body);
  if (!parsed.success)
    return { ...base, ...EMPTY, drillChains, state: 'malformed', stack: stackOf(false, selftest), why: notRecordWhy('a report', body, parsed.error) };
  const r = parsed.data;
  // The key's end is what the age is judged by: a body of another end (an old report copied to a new name) is not the report its key names.
  const notThis =
    Math.floor(Date.parse(r.until) / 60_000) !== k.until.getTime() / 60_000
      ? `not the report its key names: its until is ${r.until}, its key's end ${k.until.toISOString()} (a report copied under another name?)`
      : otherAccountWhy(body, k);
  if (notThis) return { ...base, ...EMPTY, drillChains, state: 'malformed', stack: stackOf(false, selftest), why: notThis };
  const lines = cacheLines(r, earlierDrills);
  const failed = r.caches.flatMap((c) => c.controls.filter((x) => x.verdict === 'fail').map((x) => `${c.facts.cache} ${x.control}`));
  const age = now.getTime() - k.until.getTime();
  const stale = age > FRESH_MS[k.period];
  const line = {
    ...base,
    deployment: r.deployment,
    caches: r.caches.length,
    verified: lines.filter((c) => c.verified).length,
    drilled: lines.filter((c) => c.drilled).length,
    unprotected: r.unprotected?.length ?? 0,
    unprotectable: r.unprotectable?.length ?? 0,
    cacheLines: lines,
    unprotectedCaches: r.unprotected ?? [],
    unprotectableCaches: r.unprotectable ?? [],
    stack: stackOf(stale, selftest),
    drillChains,
  };
  if (stale)
    return {
      ...line,
      state: 'stale',
      why: `newest report (${k.period}) is ${Math.floor(age / DAY)} days old, over its period: the account's scheduled report stopped`,
    };
  const partial = r.problems ?? [];
  const whys = [
    ...(partial.length > 0 ? [`PARTIAL report: ${partial.length} fact(s) not read: ${partial[0]}${partial.length > 1 ? '; …' : ''}`] : []),
    ...(failed.length > 0 ? [`${failed.length} control(s) failed: ${failed.slice(0, 3).join(', ')}${failed.length > 3 ? ', …' : ''}`] : []),
    ...(selftest?.verdict === 'failed' ? [`selftest of ${selftest.at} failed: ${selftest.failed.slice(0, 2).join('; ') || 'no step passed'}`] : []),
    ...driftedStacks(selftest?.stacks).map(
      (d) =>
        `stack ${d.stack} (${d.region}) DRIFTED: CloudFormation's drift detection${d.checkedAt ? ` of ${d.checkedAt}` : ''} found resources changed outside the stack (selftest of ${selftest!.at})`,
    ),
    ...scrubWhys(scrub, now),
    ...drillWhys(drillChains),
  ];
  if (whys.length > 0) return { ...line, state: 'fail', why: whys.join('; ') };
  return { ...line, state: 'ok', why: null };
}
