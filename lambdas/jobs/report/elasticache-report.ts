/**
 * The DR report of an ElastiCache deployment (`redis-dr report -c` and the
 * scheduled report function): reads the facts of the period from AWS with
 * the readers the freshness monitor, `status` and `doctor` use, builds the
 * report (domain/report) and renders it.
 *
 * - coverage: every cache of both regions against the plans (`listCaches`,
 *   `coverageOf`: the freshness monitor's inventory);
 * - recovery points: each plan's targets (`resolveTargets`), their
 *   `available` snapshots this deployment and plan own, with their tags
 *   (`planSnapshotTags`, `toRecoveryPoints`) and the probe's key count;
 * - holds: snapshots marked as a keyspace collapse, with the points whose
 *   `redis-dr:hold` names them;
 * - DR copies: the exports of the period in the DR bucket, judged by the
 *   drill's own `assessDrExport` on their tags (verified, corrupt, pending);
 * - vault replicas: the same in the vault bucket, the verdict from the vault
 *   verifier's verdict object (`vaultReplicaTags`), never a replicated tag,
 *   and each shard's Object Lock retain-until;
 * - drills: the drill state machines' executions started in the period, each
 *   with the report its Report step returned (`drillReportOf`);
 * - alarms: the deployment's alarm state changes of the period
 *   (DescribeAlarmHistory), plus alarms in ALARM all along (DescribeAlarms).
 *
 * A fact that cannot be read (access denied, a bucket missing) is named in
 * the report's `problems`: the report is partial and says so, never a pass by
 * omission (the CLI exits 1, the function throws after writing it).
 */
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { listCaches } from '../../adapters/aws/caches.js';
import { alarmHistory, alarmsWithPrefix, cloudWatchClient } from '../../adapters/aws/cloudwatch.js';
import { drillReportOf, listDrillExecutions } from '../../adapters/aws/drill-history.js';
import { listTargetSnapshots } from '../../adapters/aws/elasticache.js';
import { describeError } from '../../adapters/aws/errors.js';
import { planSnapshotTags, toRecoveryPoints } from '../../adapters/aws/plan-snapshots.js';
import { mapConcurrent, type RetryClock, throttleRetry, type ThrottleRetry } from '../../adapters/aws/retry.js';
import { getObjectRetention, listObjects } from '../../adapters/aws/s3/objects.js';
import { resolveTargets } from '../../adapters/aws/targets.js';
import { trustedCopyTags } from '../../adapters/records/verdict-objects.js';
import { UNPROVEN_VERDICT } from '../../domain/points/verdict-objects.js';
import type { DrillWhere } from '../../domain/drills/drill.js';
import { assessDrExport } from '../../domain/drills/select.js';
import { type DrExport, drExportsUnder } from '../../domain/points/choice.js';
import { parseCollapseHold } from '../../domain/plans/collapse.js';
import { parseHold } from '../../domain/plans/holds.js';
import { collapseMarkState, probeKeyspace } from '../../domain/points/collapse-points.js';
import { coverageOf } from '../../domain/plans/coverage.js';
import { drillPlanOf, drillTriggerOf, exportPrefixes } from '../../domain/points/freshness.js';
import { TAGS, type TargetRef } from '../../domain/plans/types.js';
import { alarmEpisodes } from '../../domain/report/alarms.js';
import { buildReport } from '../../domain/report/build.js';
import { orgReplicaRoot, orgReportRoot, REPORTS_PREFIX, type ReportInput, type ReportPlan, reportKeyPrefix } from '../../domain/report/input.js';
import type { AlarmEpisode, CacheFacts, CopyFact, DrillFact, DrReport, HoldFact, PointFact, ReportFacts, RetainedCopy } from '../../domain/report/model.js';
import { reportCsv, reportHtml, reportJson } from '../../domain/report/render.js';
import { drillFactOfRecord, parseDrillRecord } from '../../domain/report/drill-records.js';
import { drillChainPrefix } from '../../domain/drills/evidence-record.js';
import { S3ObjectStore } from '../../adapters/storage/object-store-s3.js';
import type { ScheduledDeps } from '../kernel/deps.js';
import { scheduledReportVaultCopy } from './vault-copy.js';
import { type RenderedReport, writeLocalReport } from './write.js';
import type { ReportOutputs } from '../../adapters/host/report-files.js';

/** The AWS access the report reads with (the CLI's `CliAws` and the function's clients both give it). */
export interface ReportAws {
  readonly clock: RetryClock;
  /** ElastiCache, Tagging and S3 of `region`, with the tuning of the scheduled jobs. */
  deps(region: string): ScheduledDeps;
  sfn(region: string): SFNClient;
  /** CloudWatch of `region`. @default a client with the default credentials */
  cloudwatch?(region: string): CloudWatchClient;
  /** S3 with credentials that may read the vault bucket (the vault account's, for an operator). */
  vaultS3(region: string): S3Client;
  /** Throws the connection error when AWS answered no call (OperatorClients): then nothing is written. */
  assertReached?(): void;
}

/** The period and the moment of writing. */
export interface ReportWindow {
  readonly since: Date;
  readonly until: Date;
  readonly generatedAt: Date;
  /** The policy document the report links to (`report --policy`). */
  readonly policyDocument?: string;
}

/** Drill executions looked at per state machine, newest first (the period's usually fit many times over). */
export const REPORT_DRILL_EXECUTIONS = 200;

/** Exports of the period read per target and bucket, newest first (one GetObjectTagging per shard each). */
export const REPORT_EXPORTS_PER_TARGET = 800;

/** Why the vault's controls are not judged by a reader without the vault account's credentials. */
export const VAULT_NOT_READ = "the vault is read with the vault account's credentials only: `redis-dr report -c <config> --vault-profile <profile>` judges it";

/** Reads the facts of the period. Never throws for a fact it cannot read: it names it in `problems`. */
export async function collectReportFacts(input: ReportInput, aws: ReportAws, window: ReportWindow): Promise<ReportFacts> {
  const { since, until } = window;
  const problems: string[] = [];
  const primary = aws.deps(input.primaryRegion);
  const retry = throttleRetry(aws.clock, aws.clock.now() + 600_000, primary.throttleDelayMs);
  const attempt = async <T>(what: string, read: () => Promise<T>, fallback: T): Promise<T> => {
    try {
      return await read();
    } catch (err) {
      problems.push(`${what}: ${describeError(err)}`);
      return fallback;
    }
  };

  // Coverage: both regions (plans name primary-region caches; in the DR region none protects a cache).
  const unprotected: string[] = [];
  const unprotectable: { cache: string; why: string }[] = [];
  const coveragePlans = input.plans.map((p) => ({ name: p.plan, exports: p.exports, targets: p.targets }));
  for (const [where, region] of [
    ['primary', input.primaryRegion],
    ['dr', input.drRegion],
  ] as const) {
    const deps = aws.deps(region);
    const caches = await attempt(`caches of ${where} region ${region} not listed`, () => listCaches(deps.elasticache, deps.tagging, retry), []);
    for (const c of coverageOf(caches, where === 'primary' ? coveragePlans : [])) {
      const name = `${region}/${c.id}`;
      if (c.state === 'unprotected') unprotected.push(name);
      else if (c.state === 'unprotectable') unprotectable.push({ cache: name, why: c.why ?? 'unprotectable' });
    }
  }

  const caches: CacheFacts[] = [];
  const holds: HoldFact[] = [];
  // Every copy of a plan with a maximum retention, wherever it is kept (report/max-retention.ts judges them).
  const retained: RetainedCopy[] = [];
  for (const plan of input.plans) {
    const { targets, selectionError } = await attempt(`targets of plan ${plan.plan}`, () => resolveTargets(primary, plan.targets, retry), {
      targets: [] as TargetRef[],
    });
    if (selectionError) problems.push(`targets of plan ${plan.plan} selected at run time: ${selectionError}`);
    const owner = { deployment: input.deployment, plan: plan.plan };
    const tags = await attempt(
      `snapshot tags of plan ${plan.plan}`,
      () =>
        planSnapshotTags(
          primary.tagging,
          owner,
          targets.map((t) => t.id),
          { concurrency: primary.concurrency, retry },
        ),
      new Map<string, Record<string, string>>(),
    );
    const keep = plan.maxRetentionDays !== undefined ? retained : undefined;
    const drCopies = plan.exports ? await copiesOf(input, aws, plan, 'dr', targets, window, retry, problems, keep) : undefined;
    const vaultCopies =
      plan.exports && input.vault && input.vault.read !== false ? await copiesOf(input, aws, plan, 'vault', targets, window, retry, problems, keep) : undefined;
    for (const target of targets) {
      const snapshots = await attempt(`snapshots of ${target.id} (plan ${plan.plan})`, () => listTargetSnapshots(primary.elasticache, target, retry), []);
      const ours = toRecoveryPoints(snapshots, target.id, tags, owner).filter((p) => p.managed);
      const points: PointFact[] = ours
        .filter((p) => p.status === 'available')
        .map((p) => {
          const keys = probeKeyspace(tags.get(p.name));
          return { name: p.name, at: p.createdAt, ...(keys !== undefined ? { keys } : {}), ...(p.tier ? { tier: p.tier } : {}) };
        });
      holds.push(...holdsOf(target.id, ours, tags));
      if (keep) keep.push(...retainedSnapshots(target.id, ours, tags, plan.maxRetentionDays!));
      caches.push({
        cache: target.id,
        plan: plan.plan,
        rpoMinutes: plan.rpoMinutes,
        timeZone: plan.timeZone,
        retentionDays: plan.retentionDays,
        points,
        ...(drCopies ? { drCopies: drCopies.get(target.id) ?? [], drCopyLimitMinutes: plan.drCopyLimitMinutes } : {}),
        ...(vaultCopies ? { vaultCopies: vaultCopies.get(target.id) ?? [] } : {}),
        ...(plan.rtoTargetSeconds !== undefined ? { rtoTargetSeconds: plan.rtoTargetSeconds } : {}),
        ...(input.vault?.read === false ? { notApplicable: { 'cross-account-copy': VAULT_NOT_READ, 'vault-lock': VAULT_NOT_READ } } : {}),
      });
    }
  }

  const drills: DrillFact[] = [];
  const alarms: AlarmEpisode[] = [];
  // A region whose alarm history was not read: the section says "not collected", never an empty table that reads as no alarm.
  const alarmsNotRead: string[] = [];
  for (const [where, region] of [
    ['primary', input.primaryRegion],
    ['dr', input.drRegion],
  ] as const) {
    const arn = input.drillStateMachineArns[where];
    if (arn) drills.push(...(await attempt(`drills in ${region} (${arn})`, () => drillsOf(aws.sfn(region), arn, where, region, since, until, retry), [])));
    const cw = aws.cloudwatch?.(region) ?? cloudWatchClient(region);
    const read = problems.length;
    const episodes = await attempt(`alarm history of ${region} (${input.alarmPrefix}*)`, async () => {
      const [history, now] = await Promise.all([alarmHistory(cw, input.alarmPrefix, since, until, retry), alarmsWithPrefix(cw, input.alarmPrefix, retry)]);
      return alarmEpisodes(
        history,
        since,
        now.filter((a) => a.state === 'ALARM').map((a) => a.name),
      );
    }, []);
    if (problems.length > read) alarmsNotRead.push(`alarm history of ${region} not read (see the problems)`);
    alarms.push(...episodes.map((e) => ({ ...e, alarm: `${region}/${e.alarm}` })));
  }
  // The separate drill account's drills: their signed records in its bucket (the workload account may read them, nothing else).
  const separate = input.drillAccount;
  if (separate) {
    const s3 = aws.deps(separate.region).s3;
    for (const plan of separate.plans)
      drills.push(
        ...(await attempt(
          `drills of plan ${plan} in the drill account ${separate.account} (s3://${separate.bucket}/${drillChainPrefix(separate.region, plan)})`,
          () => drillAccountDrills(s3, input.deployment, separate, plan, window, problems),
          [],
        )),
      );
  }

  return {
    deployment: input.deployment,
    generatedAt: window.generatedAt,
    since,
    until,
    caches,
    unprotected,
    unprotectable,
    drills: drills.sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime()),
    alarms,
    holds,
    minRetentionDays: input.minRetentionDays,
    problems,
    ...maxRetentionOf(input.plans, retained),
    ...(alarmsNotRead.length > 0 ? { notCollected: { alarms: alarmsNotRead.join('; ') } } : {}),
  };
}

/** The report's maximum retention: the smallest of the plans' (each copy carries its own plan's). */
function maxRetentionOf(plans: readonly ReportPlan[], copies: readonly RetainedCopy[]): Pick<ReportFacts, 'maxRetention'> {
  const days = plans.map((p) => p.maxRetentionDays).filter((d): d is number => d !== undefined);
  return days.length === 0 ? {} : { maxRetention: { days: Math.min(...days), copies } };
}

/**
 * A target's primary snapshots as copies kept, each with its hold: a
 * keyspace-collapse hold (`redis-dr:hold`) has a reason and no expiry (it
 * lasts until released), so past the maximum it is a FAIL line to act on.
 */
function retainedSnapshots(
  target: string,
  points: readonly { name: string; createdAt: Date; status: string }[],
  tags: ReadonlyMap<string, Record<string, string>>,
  maxDays: number,
): RetainedCopy[] {
  return points
    .filter((p) => p.status === 'available')
    .map((p) => {
      const hold = tags.get(p.name)?.[TAGS.hold];
      return {
        cache: target,
        point: p.name,
        where: 'primary',
        at: p.createdAt,
        maxDays,
        ...(hold !== undefined ? { hold: parseHold(hold) } : {}),
      };
    });
}

/** Collapsed points of a target and the points their hold keeps. */
function holdsOf(target: string, points: readonly { name: string; createdAt: Date }[], tags: ReadonlyMap<string, Record<string, string>>): HoldFact[] {
  const out: HoldFact[] = [];
  for (const p of points) {
    const state = collapseMarkState(tags.get(p.name)?.[TAGS.collapsed]);
    if (state !== 'active' && state !== 'released' && state !== 'accepted') continue;
    const held = points.filter((h) => {
      const hold = tags.get(h.name)?.[TAGS.hold];
      return hold !== undefined && parseCollapseHold(hold) === p.name;
    });
    out.push({
      cache: target,
      point: p.name,
      since: p.createdAt,
      reason: `keyspace collapse (${state}); holds ${held.length} earlier point(s)${held.length ? `: ${held.map((h) => h.name).join(', ')}` : ''}`,
    });
  }
  return out;
}

/**
 * The copies of the period of a plan's targets in the DR bucket or the vault,
 * by target: each export judged by the drill's `assessDrExport` (the vault's
 * verdicts from its verifier's verdict objects), the vault's with their
 * COMPLIANCE retain-until (the earliest of the shards').
 */
async function copiesOf(
  input: ReportInput,
  aws: ReportAws,
  plan: ReportPlan,
  where: 'dr' | 'vault',
  targets: readonly TargetRef[],
  window: ReportWindow,
  retry: ThrottleRetry,
  problems: string[],
  /** With a maximum retention: every export of the listing (not only the period's) is pushed here as a copy kept. */
  retained?: RetainedCopy[],
): Promise<Map<string, CopyFact[]>> {
  const vault = where === 'vault' ? input.vault! : undefined;
  const bucket = vault ? vault.bucket : input.drBucket;
  const s3 = vault ? aws.vaultS3(vault.region) : aws.deps(input.drRegion).s3;
  const owner = vault?.account;
  // An organization's vault keeps this account's replicas under `<account>/<primary region>/`: another account's are never judged.
  const under = vault ? orgReplicaRoot(input) : '';
  const ids = new Set(targets.map((t) => t.id.toLowerCase()));
  const out = new Map<string, CopyFact[]>();
  try {
    const keys = (
      await mapConcurrent(exportPrefixes([...ids]), 4, async (prefix) => (await listObjects(s3, bucket, `${under}${prefix}`, retry, owner)).map((o) => o.key))
    ).flat();
    const byTarget = drExportsUnder(keys, under, (t) => ids.has(t));
    for (const [target, exports] of byTarget) {
      // Copies kept past the maximum are old by definition: all of them, not the period's; no hold exists on a copy.
      for (const e of exports) retained?.push({ cache: target, point: e.exportName, where, at: e.createdAt, maxDays: plan.maxRetentionDays! });
      // Exports are named by the snapshot's time: those of the period, newest first.
      const inPeriod = exports.filter((e) => e.createdAt >= window.since && e.createdAt <= window.until);
      const ofPeriod = inPeriod.slice(0, REPORT_EXPORTS_PER_TARGET);
      if (inPeriod.length > ofPeriod.length)
        problems.push(
          `${where === 'vault' ? 'vault' : 'DR'} copies of ${target}: only the newest ${ofPeriod.length} of ${inPeriod.length} exports of the period were judged (shorten --since)`,
        );
      const copies = await mapConcurrent(ofPeriod, 8, (exp) => judgeCopy(s3, bucket, exp, plan.plan, retry, owner, vault !== undefined));
      out.set(
        target,
        copies.filter((c): c is CopyFact => c !== undefined),
      );
    }
  } catch (err) {
    problems.push(`${where === 'vault' ? 'vault' : 'DR'} copies of plan ${plan.plan} in s3://${bucket}: ${describeError(err)}`);
  }
  return out;
}

async function judgeCopy(
  s3: S3Client,
  bucket: string,
  exp: DrExport,
  plan: string,
  retry: ThrottleRetry,
  owner: string | undefined,
  vault: boolean,
): Promise<CopyFact | undefined> {
  const tags = new Map(
    await Promise.all(
      exp.objects.map(async (o) => [o.key, await trustedCopyTags(s3, bucket, o.key, vault ? 'vault' : 'dr', { wrap: retry, expectedOwner: owner })] as const),
    ),
  );
  const verdict = assessDrExport(exp, tags, { plan });
  if (!verdict.usable && verdict.problem === 'other-plan') return undefined;
  const created = Date.parse(tags.get(exp.objects[0]!.key)?.[TAGS.created] ?? '');
  const at = Number.isNaN(created) ? exp.createdAt : new Date(created);
  let retainUntil: Date | undefined;
  if (vault) {
    const retentions = await Promise.all(exp.objects.map((o) => getObjectRetention(s3, bucket, o.key, { wrap: retry, expectedOwner: owner })));
    // Locked only when every shard is under COMPLIANCE; the earliest end is the copy's.
    if (retentions.every((r) => r?.mode === 'COMPLIANCE' && r.retainUntil))
      retainUntil = new Date(Math.min(...retentions.map((r) => r!.retainUntil!.getTime())));
  }
  // A verdict tag without the verifier's verdict object is not a pending verification: it is named (never ok).
  const unproven = [...tags.values()].some((t) => t[TAGS.verified] === UNPROVEN_VERDICT);
  const state = verdict.usable ? 'ok' : verdict.problem === 'corrupt' ? 'corrupt' : unproven ? 'unproven' : 'pending';
  return { key: exp.exportName, at, verdict: state, ...(retainUntil ? { retainUntil } : {}) };
}

/** The drills a state machine started in the period, each with its report's verdict, RTO and phases. */
async function drillsOf(sfn: SFNClient, arn: string, where: DrillWhere, region: string, since: Date, until: Date, retry: ThrottleRetry): Promise<DrillFact[]> {
  // Only the executions started in the period are described (paging stops at the first older one).
  const executions = await listDrillExecutions(sfn, arn, { limit: REPORT_DRILL_EXECUTIONS, concurrency: 4, wrap: retry, startedIn: { since, until } });
  const inPeriod = executions.filter((e) => e.status !== 'RUNNING' && e.startDate && e.startDate >= since && e.startDate <= until);
  return mapConcurrent(inPeriod, 4, async (e): Promise<DrillFact> => {
    const { report, choice } = await drillReportOf(sfn, e, retry);
    const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
    const rto = num(report?.rtoSeconds);
    const restore = num(report?.restoreSeconds);
    const verify = num(report?.verifySeconds);
    const passed = e.status === 'SUCCEEDED' && report?.ok === true;
    const reason = passed
      ? undefined
      : typeof report?.subject === 'string'
        ? report.subject
        : `${e.status ?? 'UNKNOWN'}${e.error ? `: ${e.error}${e.cause ? ` ${e.cause}` : ''}` : ''}`;
    const { trigger, startedBy } = drillTriggerOf(e);
    const point = typeof choice?.recoveryPoint === 'string' ? choice.recoveryPoint : undefined;
    const random = (choice?.selection as { mode?: unknown } | undefined)?.mode === 'random';
    return {
      cache: typeof choice?.target === 'string' ? choice.target : 'none',
      plan: drillPlanOf(e) ?? '?',
      trigger,
      ...(startedBy ? { startedBy } : {}),
      ...(point ? { point } : {}),
      ...(random ? { pointSelection: 'random' as const } : {}),
      region: `${region} (${where})`,
      startedAt: e.startDate!,
      passed,
      ...(rto !== undefined ? { rtoSeconds: rto } : {}),
      ...(restore !== undefined || verify !== undefined
        ? { phases: { ...(restore !== undefined ? { restore } : {}), ...(verify !== undefined ? { verify } : {}) } }
        : {}),
      ...(reason ? { reason } : {}),
    };
  });
}

/**
 * The drills of one plan in the drill account, from their signed records
 * (newest first: the chain's order is the order they were written in), down
 * to the first that finished before the period; at most
 * {@link REPORT_DRILL_EXECUTIONS}. A record that is not a signed drill record
 * of this deployment is named in `problems`, never counted. The bucket must
 * be the drill account's (ExpectedBucketOwner).
 */
export async function drillAccountDrills(
  s3: S3Client,
  deployment: string,
  separate: NonNullable<ReportInput['drillAccount']>,
  plan: string,
  window: ReportWindow,
  problems: string[],
): Promise<DrillFact[]> {
  const store = new S3ObjectStore(s3, separate.bucket, drillChainPrefix(separate.region, plan), undefined, separate.account);
  const names = (await store.list())
    .map((o) => o.key)
    .filter((k) => /^redis-dr-drill-\d+\.json$/.test(k))
    .sort()
    .reverse();
  const facts: DrillFact[] = [];
  for (const name of names.slice(0, REPORT_DRILL_EXECUTIONS)) {
    const record = parseDrillRecord((await store.get(name)).toString('utf8'), `${store.url}${name}`, deployment);
    if (typeof record === 'string') {
      problems.push(record);
      continue;
    }
    if (Date.parse(record.finishedAt) < window.since.getTime()) break;
    const startedAt = Date.parse(record.startedAt);
    if (startedAt >= window.since.getTime() && startedAt <= window.until.getTime()) facts.push(drillFactOfRecord(record, separate.account));
  }
  return facts;
}

/** Reads the facts and builds and renders the report; `moreProblems`, read elsewhere (the previous report's vault copy), make it partial too. */
export async function elastiCacheReport(
  input: ReportInput,
  aws: ReportAws,
  window: ReportWindow,
  moreProblems: readonly string[] = [],
): Promise<RenderedReport> {
  const collected = await collectReportFacts(input, aws, window);
  const facts = window.policyDocument !== undefined ? { ...collected, policyDocument: window.policyDocument } : collected;
  const report = buildReport(moreProblems.length > 0 ? { ...facts, problems: [...(facts.problems ?? []), ...moreProblems] } : facts);
  return { report, html: reportHtml(report), json: reportJson(report), csv: reportCsv(report) };
}

/**
 * `redis-dr report -c`: the report of the period, written to the files
 * `outputs` asks for (each read back). The report, the paths written and,
 * with a vault, a line per scheduled period on the vault copy of its newest
 * scheduled report: judged as the scheduled run judges the previous one
 * (./vault-copy.ts), so a FAILED replication makes this report partial too.
 * @param scheduled the periods the deployment writes scheduled reports of (config `report.periods`)
 */
export async function reportOfDeployment(
  input: ReportInput,
  aws: ReportAws,
  window: ReportWindow,
  outputs: ReportOutputs,
  scheduled: readonly ('weekly' | 'monthly')[] = [],
): Promise<{ report: DrReport; written: string[]; vaultCopies: string[] }> {
  const vaultCopies: string[] = [];
  const problems: string[] = [];
  if (input.vault) {
    const s3 = aws.deps(input.drRegion).s3;
    // In an organization's vault the copy under <account>/<region>/ is the one that replicates.
    const root = orgReportRoot(input);
    for (const period of scheduled) {
      // The newest one written up to now (this minute's included).
      const before = `${root}${reportKeyPrefix(period, new Date(window.generatedAt.getTime() + 60_000))}`;
      const copy = await scheduledReportVaultCopy(s3, input.drBucket, period, before, root);
      if (copy) problems.push(...copy.problems);
      vaultCopies.push(
        copy?.line ?? `no scheduled ${period} report in s3://${input.drBucket}/${root}${REPORTS_PREFIX}${period}/ yet: no vault copy of one to check`,
      );
    }
  }
  const rendered = await elastiCacheReport(input, aws, window, problems);
  aws.assertReached?.();
  return { report: rendered.report, written: await writeLocalReport(outputs, rendered), vaultCopies };
}
