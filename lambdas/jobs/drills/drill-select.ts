import { z } from 'zod';
import { RUN_TIME_SELECTION, selectsAtRunTime } from '../../domain/plans/plan-input.js';
import { describeRestorableSnapshot, describeServerlessSnapshot } from '../../adapters/aws/drill-clusters.js';
import { listTargetSnapshots } from '../../adapters/aws/elasticache.js';
import { planSnapshotTags, toRecoveryPoints, type PlanOwner } from '../../adapters/aws/plan-snapshots.js';
import { mapConcurrent, throttleRetry, type ThrottleRetry } from '../../adapters/aws/retry.js';
import type { ScheduledDeps } from '../kernel/deps.js';
import { getObjectRetention, listObjects } from '../../adapters/aws/s3/objects.js';
import { resolveTargets } from '../../adapters/aws/targets.js';
import { currentVaultVerdict, trustedCopyTags } from '../../adapters/records/verdict-objects.js';
import { readCollapseMark } from '../../adapters/records/collapse-records.js';
import {
  COLLAPSE_MARK_PREFIX,
  COLLAPSE_RELEASE_PREFIX,
  collapseMarkKey,
  markedExportsOfKeys,
  markedUnreleased,
  releasesOfKeys,
} from '../../domain/points/collapse-records.js';
import { drillInputSchema, type DrillInput, type RecoveryPointChoice, type VaultSeed } from '../../domain/drills/drill.js';
import { isoInstantSchema } from '../../domain/drills/report.js';
import { RUNBOOKS } from '../../domain/alerting/catalog.js';
import {
  assessDrExport,
  drChoice,
  NoRecoveryPointError,
  partitionOf,
  pickTarget,
  primaryChoice,
  serverlessChoice,
  type UsableDrExport,
} from '../../domain/drills/select.js';
import { availableNewestFirst, drExportsUnder, MAX_EXPORTS_PER_TARGET, type DrExport } from '../../domain/points/choice.js';
import { selectionOrder } from '../../domain/drills/point-selection.js';
import { fitChoice } from '../../domain/drills/state-size.js';
import { assertRestorable, exportEvidence, snapshotEvidence } from '../../domain/drills/restore-preflight.js';
import { TAGS, type RecoveryPoint, type TargetRef } from '../../domain/plans/types.js';

/**
 * Drill select (first task of the restore drill state machine, both
 * regions): picks the target this drill restores and its newest usable
 * recovery point, and returns a {@link RecoveryPointChoice} the create step
 * maps onto CreateReplicationGroup.
 *
 * Event: `{ input: DrillInput, startedAt: <ISO instant> }`, where `startedAt`
 * is the execution's start (`$$.Execution.StartTime`): it names the drill
 * cluster, measures the recovery point's age and drives the target rotation
 * (see `rotationIndex`: whole UTC days modulo the number of targets with a
 * usable recovery point, sorted by id).
 *
 * - primary: the newest `available` snapshot this deployment and plan own,
 *   per target: a replication group's (restored with CreateReplicationGroup)
 *   or a serverless cache's (restored with CreateServerlessCache). A snapshot
 *   marked a keyspace collapse (active `redis-dr:collapsed`) is passed over
 *   (the choice's `collapsedPassedOver` says so): a recovery reaches for the
 *   newest point before it, which the drill then proves; a target whose
 *   every snapshot is marked has no usable point.
 * - dr: the newest export in `input.bucket` whose shard set is complete and
 *   whose objects are all `redis-dr:verified=ok`, of tier `minTier` or higher.
 *   The caches live in the primary region, so the DR side does not ask the
 *   Tagging API: an export is the plan's when its objects carry the plan's
 *   `redis-dr:plan` tag and, when the plan lists explicit ids only, its
 *   target is one of `replicationGroupIds` or `serverlessCacheNames`. A
 *   target listed in `serverlessCacheNames` restores as a serverless cache;
 *   any other (tag-selected ones too: the copies do not say) as a
 *   replication group. An export the DR verifier marked a keyspace collapse
 *   (its mark object, domain/points/collapse-records.ts) is passed over as a
 *   marked snapshot is, unless an operator released or accepted its point
 *   (`retention release`, a release record in the same bucket): the choice's
 *   `collapsedPassedOver` says so, and a target whose every export is marked
 *   has no usable point.
 * - dr with `input.vault` (plan `drill.fromVault`): the same choice among the
 *   replicas in the vault bucket (`input.bucket`; an organization's vault:
 *   under `input.vault.prefix`, `<account>/<primary region>/`, only), each judged by the vault
 *   verifier's verdict object (`redis-dr-vault-verdicts/<key>.json`) when it
 *   names the replica's current version; verdict tags on replicas are
 *   ignored (replication copies them from the workload account), so the
 *   expected key counts come from the verdict object too; every call expects the vault account
 *   as the bucket's owner (a bucket of that name in any other account is
 *   refused), and the choice records the objects' Object Lock retention
 *   (GetObjectRetention) for the report.
 *
 * No usable recovery point anywhere → {@link NoRecoveryPointError} (the state
 * machine reports it as a failed drill: that is the drill's finding). A
 * chosen point the drill cluster's shape cannot take (domain/drills/restore-preflight.ts:
 * a multi-database file into cluster mode, an engine older than the file, a
 * node type too small, data tiering) → `RestorePreflightError`, reported the
 * same way, before anything is created. Other
 * errors (listing, throttling beyond the budget) propagate for the state
 * machine's retry.
 */

/** The select task's input, as the state machine builds it. */
export const drillSelectEventSchema = z.strictObject({
  input: drillInputSchema,
  /** The execution's start time. */
  startedAt: isoInstantSchema,
});
export type DrillSelectEvent = z.infer<typeof drillSelectEventSchema>;

/** Time the select step may spend retrying throttled calls (the Lambda's timeout is longer). */
export const SELECT_BUDGET_MS = 60_000;

/** Everything the select step needs from the outside world. */
export type DrillSelectDeps = ScheduledDeps;

interface Step {
  readonly input: DrillInput;
  readonly startedAt: Date;
  readonly deps: DrillSelectDeps;
  readonly retry: ThrottleRetry;
  /** Targets without a usable recovery point, and why. */
  readonly reasons: { target: string; why: string }[];
}

/** Chooses this drill's target and recovery point. */
export async function selectRecoveryPoint(event: DrillSelectEvent, deps: DrillSelectDeps): Promise<RecoveryPointChoice> {
  const { input } = event;
  const startedAt = new Date(event.startedAt);
  const retry = throttleRetry(deps.clock, deps.clock.now() + SELECT_BUDGET_MS, deps.throttleDelayMs);
  const step: Step = { input, startedAt, deps, retry, reasons: [] };
  // Within what Step Functions carries (domain/drills/state-size.ts): else the drill would stop without report or cleanup.
  // The region named in a refusal's restore command: a DR copy restores in the region this step runs in.
  const { choice, droppedExpiries, maxBytes } = fitChoice(
    input.where === 'dr' ? await selectDr(step) : await selectPrimary(step),
    input,
    // Only words of a refusal: a client without a region (never in Lambda) leaves them a placeholder, not a failed select.
    await deps.s3.config.region().catch(() => undefined),
  );
  if (droppedExpiries)
    deps.log.warn("drill choice carried without its shards' expiry histograms: over the state budget with them", {
      plan: input.plan,
      recoveryPoint: choice.recoveryPoint,
      shards: choice.shards,
      maxBytes,
    });
  deps.log.info('drill recovery point chosen', { plan: input.plan, where: input.where, ...choice, skipped: step.reasons });
  return choice;
}

async function selectPrimary(step: Step): Promise<RecoveryPointChoice> {
  const { input, deps, retry, reasons } = step;
  const owner: PlanOwner = { deployment: input.deployment, plan: input.plan };
  const { targets, selectionError } = await resolveTargets(deps, input.targets, retry);
  if (selectionError) reasons.push({ target: RUN_TIME_SELECTION, why: selectionError });

  const tags = await planSnapshotTags(
    deps.tagging,
    owner,
    targets.map((t) => t.id),
    { concurrency: deps.concurrency, retry },
  );
  const chosen = await mapConcurrent(targets, deps.concurrency, async (target) => {
    const summaries = await listTargetSnapshots(deps.elasticache, target, retry);
    const available = availableNewestFirst(toRecoveryPoints(summaries, target.id, tags, owner));
    // A point marked a keyspace collapse is not what a recovery reaches for: the drill restores the newest before it.
    const passedOver = collapsedPassedOver(available, tags);
    // drill.pointSelection: the newest, or one drawn among the older retained points (seeded by this execution).
    const drawn = selectionOrder(
      available.filter((p) => !p.collapsed),
      selectionOf(input),
      seedOf(step, target.id),
    );
    return { target, point: drawn.order[0], drawnFrom: drawn.drawnFrom, passedOver };
  });
  const candidates: { target: string; ref: TargetRef; point: RecoveryPoint; drawnFrom: number | undefined; passedOver?: CollapsedPassedOver }[] = [];
  for (const n of chosen) {
    if (n.point) candidates.push({ target: n.target.id, ref: n.target, point: n.point, drawnFrom: n.drawnFrom, passedOver: n.passedOver });
    else if (n.passedOver)
      reasons.push({
        target: n.target.id,
        why:
          `every available snapshot of plan ${input.plan} (${n.passedOver.count}) is marked a keyspace collapse (newest ${n.passedOver.newest}: ${n.passedOver.mark}); ` +
          `if the drop was intended, accept it with \`redis-dr retention release -c config/<env>.json --target ${n.target.id} --point ${n.passedOver.newest} --accept\` (${RUNBOOKS.keyspaceCollapse})`,
      });
    else reasons.push({ target: n.target.id, why: `no available snapshot of plan ${input.plan}` });
  }
  const picked = pickTarget(candidates, step.startedAt);
  if (!picked) throw new NoRecoveryPointError(input.plan, 'primary', reasons);
  const selection = { ...selectionRecord(picked.drawnFrom), ...(picked.passedOver ? { collapsedPassedOver: picked.passedOver } : {}) };
  const snapshotTags = tags.get(picked.point.name) ?? {};
  if (picked.ref.kind === 'serverless-cache') {
    const snapshot = await describeServerlessSnapshot(deps.elasticache, picked.point.name, retry);
    if (snapshot?.status !== 'available') {
      throw new Error(`serverless snapshot ${picked.point.name} is ${snapshot?.status ?? 'gone'} since it was listed as available; select again`);
    }
    if (!snapshot.arn || !snapshot.engine || !snapshot.majorEngineVersion) {
      throw new Error(`serverless snapshot ${snapshot.name} has no ARN, engine or major version in DescribeServerlessCacheSnapshots, so it cannot be restored`);
    }
    const serverless = serverlessChoice(
      {
        name: snapshot.name,
        arn: snapshot.arn,
        target: picked.target,
        createdAt: picked.point.createdAt,
        engine: snapshot.engine,
        engineVersion: snapshot.majorEngineVersion,
        tags: snapshotTags,
      },
      step.startedAt,
    );
    return { ...serverless, ...selection };
  }

  const snapshot = await describeRestorableSnapshot(deps.elasticache, picked.point.name, retry);
  // Deleted or changed between the listing and now: the state machine's retry selects again.
  if (snapshot?.status !== 'available') {
    throw new Error(`snapshot ${picked.point.name} is ${snapshot?.status ?? 'gone'} since it was listed as available; select again`);
  }
  if (!snapshot.engine || !snapshot.engineVersion) {
    throw new Error(`snapshot ${snapshot.name} has no engine or engine version in DescribeSnapshots, so it cannot be restored`);
  }
  const choice = primaryChoice(
    {
      name: snapshot.name,
      target: picked.target,
      createdAt: picked.point.createdAt,
      engine: snapshot.engine,
      engineVersion: snapshot.engineVersion,
      nodeType: snapshot.nodeType,
      shards: snapshot.shards,
      parameterGroup: snapshot.parameterGroup,
      tags: snapshotTags,
    },
    input,
    step.startedAt,
  );
  // Before anything is created: a restore ElastiCache would refuse after 20 minutes fails the drill now, with the reason.
  assertRestorable(choice, snapshotEvidence(snapshot), 'drill');
  return { ...choice, ...selection };
}

type CollapsedPassedOver = NonNullable<RecoveryPointChoice['collapsedPassedOver']>;

/** The available points (newest first) marked an active keyspace collapse: how many, the newest and its mark; nothing when none is. */
function collapsedPassedOver(available: readonly RecoveryPoint[], tags: ReadonlyMap<string, Record<string, string>>): CollapsedPassedOver | undefined {
  const collapsed = available.filter((p) => p.collapsed);
  const newest = collapsed[0];
  if (!newest) return undefined;
  return { count: collapsed.length, newest: newest.name, mark: tags.get(newest.name)?.[TAGS.collapsed] ?? '' };
}

/** The plan's `drill.pointSelection` (absent: newest). */
function selectionOf(input: DrillInput) {
  return input.pointSelection ?? 'newest';
}

/** The draw's seed: this execution (its start) and the target, so a retried select draws the same point. */
function seedOf(step: Step, target: string): string {
  return `${step.startedAt.toISOString()}/${step.input.deployment}/${step.input.plan}/${target}`;
}

/** What the choice records of a random draw (nothing for newest). */
function selectionRecord(drawnFrom: number | undefined): Pick<RecoveryPointChoice, 'selection'> {
  return drawnFrom === undefined ? {} : { selection: { mode: 'random', drawnFrom } };
}

async function selectDr(step: Step): Promise<RecoveryPointChoice> {
  const { input, deps, retry, reasons } = step;
  const bucket = input.bucket;
  if (!bucket) {
    throw new Error(`plan ${input.plan}: input.bucket is required when where is "dr" (the DR bucket holding the .rdb copies), got none`);
  }
  const owner = input.vault?.account;
  const lower = (ids: readonly string[]) => new Set(ids.map((id) => id.toLowerCase()));
  const explicit = lower(input.targets.replicationGroupIds);
  const serverless = lower(input.targets.serverlessCacheNames);
  const explicitOnly = !selectsAtRunTime(input.targets);
  const listedIds = new Set([...explicit, ...serverless]);

  // An organization's vault keeps this account's replicas under `<account>/<primary region>/` (input.vault.prefix):
  // the drill lists there only (another account's replicas are never candidates), parses the names after it, and
  // reads every object (tags, verdicts, retention, the seed copy) by its full key.
  const under = input.vault?.prefix ?? '';
  // Explicit targets: list their prefixes only (another target's names may share one: parsing sorts them out).
  const prefixes = (explicitOnly ? [...listedIds].map((id) => `rdr-${id}-`) : ['rdr-']).map((p) => `${under}${p}`);
  const listed = await mapConcurrent(prefixes, deps.concurrency, (prefix) => listObjects(deps.s3, bucket, prefix, retry, owner));
  const sizes = new Map(listed.flat().map((o) => [o.key, o.size] as const));
  const byTarget = drExportsUnder(
    listed.flat().map((o) => o.key),
    under,
    (target) => !explicitOnly || listedIds.has(target),
  );
  for (const id of listedIds) if (!byTarget.has(id)) reasons.push({ target: id, why: `no exports in s3://${bucket}${under ? `/${under}` : ''}` });
  // The DR verifier's collapse marks and the operator's releases, one listing of each per prefix. The vault keeps none:
  // its marks could never be released (the workload's operator writes no release record in the vault account's bucket).
  const records = input.vault ? undefined : await collapseRecords(step, bucket, prefixes);

  const usable = await mapConcurrent([...byTarget.entries()], deps.concurrency, async ([target, listedExports]) => {
    // A marked export is not what a recovery reaches for: the drill restores the newest before it (as on the primary).
    const marked = records ? markedUnreleased(listedExports, records.marked, records.releases) : [];
    const exports = listedExports.filter((e) => !marked.includes(e));
    const newestMarked = marked[0];
    const passedOver = newestMarked
      ? {
          count: marked.length,
          newest: newestMarked.exportName,
          mark: (await readCollapseMark(deps.s3, bucket, collapseMarkKey('', newestMarked.exportName), retry))?.detail ?? '',
        }
      : undefined;
    if (exports.length === 0 && passedOver && newestMarked) {
      reasons.push({
        target,
        why:
          `every export of ${target} in s3://${bucket} (${passedOver.count}) is marked a keyspace collapse by the DR verifier (newest ${passedOver.newest}: ${passedOver.mark}); ` +
          `if the drop was intended, accept it with \`redis-dr retention release -c config/<env>.json --target ${target} --point ${newestMarked.snapshot} --accept\` (${RUNBOOKS.keyspaceCollapse})`,
      });
      return undefined;
    }
    // drill.pointSelection: the drawn export is tried first, then the others newest first. `random` draws among every
    // retained export (a monthly copy kept a year, not only the newest 48); the tries stop at MAX_EXPORTS_PER_TARGET.
    const drawn = selectionOrder(
      selectionOf(input) === 'random' ? exports : exports.slice(0, MAX_EXPORTS_PER_TARGET),
      selectionOf(input),
      seedOf(step, target),
    );
    const found = await newestUsableExport(step, bucket, target, drawn.order.slice(0, MAX_EXPORTS_PER_TARGET));
    return found ? { usable: found, drawnFrom: drawn.drawnFrom, passedOver } : undefined;
  });
  const candidates = usable.filter((u): u is NonNullable<typeof u> => u !== undefined).map((u) => ({ target: u.usable.export.target, ...u }));
  const picked = pickTarget(candidates, step.startedAt);
  if (!picked) throw new NoRecoveryPointError(input.plan, 'dr', reasons);
  const partition = partitionOf(await deps.s3.config.region());
  const kind = serverless.has(picked.target) ? 'serverless-cache' : 'replication-group';
  const drawn = drChoice(picked.usable, input, { bucket, partition }, step.startedAt, kind);
  const choice = input.vault ? { ...drawn, vault: await vaultSeed(step, bucket, input.vault.account, picked.usable.export.objects) } : drawn;
  // Before anything is created: a restore ElastiCache would refuse after 20 minutes fails the drill now, with the reason.
  assertRestorable(
    choice,
    exportEvidence(
      picked.usable.summaries,
      picked.usable.export.objects.map((o) => sizes.get(o.key)),
    ),
    'drill',
  );
  return { ...choice, ...selectionRecord(picked.drawnFrom), ...(picked.passedOver ? { collapsedPassedOver: picked.passedOver } : {}) };
}

/** The DR bucket's collapse marks (by export) and releases (by snapshot) under the listed prefixes of copies. */
async function collapseRecords(step: Step, bucket: string, prefixes: readonly string[]) {
  const { deps, retry } = step;
  const list = (root: string) =>
    mapConcurrent(prefixes, deps.concurrency, async (p) => (await listObjects(deps.s3, bucket, `${root}${p}`, retry)).map((o) => o.key));
  const [marks, releases] = await Promise.all([list(COLLAPSE_MARK_PREFIX), list(COLLAPSE_RELEASE_PREFIX)]);
  return { marked: markedExportsOfKeys('', marks.flat()), releases: releasesOfKeys('', releases.flat()) };
}

/**
 * Where a vault drill reads its copy: the objects, the version of each its
 * verdict object names (the drill copies that version, nothing newer), and
 * the earliest Object Lock retain-until among them (the report says how long
 * the vault still keeps it).
 */
async function vaultSeed(step: Step, bucket: string, account: string, objects: readonly { key: string }[]): Promise<VaultSeed> {
  const { deps, retry } = step;
  const options = { wrap: retry, expectedOwner: account };
  const replicas = await mapConcurrent(objects, deps.concurrency, async (o) => {
    const stored = await currentVaultVerdict(deps.s3, bucket, o.key, options);
    // Judged usable a moment ago: a verdict gone or not ok now means the replica changed; the state machine's retry selects again.
    if (stored.verdict?.verdict !== 'ok') throw new Error(`s3://${bucket}/${o.key} is no longer verified ok since it was chosen; select again`);
    const r = stored.verdict.replica;
    return { key: o.key, versionId: r.versionId, etag: r.etag, size: r.size };
  });
  const retention = await mapConcurrent(objects, deps.concurrency, (o) => getObjectRetention(deps.s3, bucket, o.key, options));
  const until = retention.map((r) => r?.retainUntil).filter((d): d is Date => d !== undefined);
  const earliest = until.length === objects.length ? new Date(Math.min(...until.map((d) => d.getTime()))) : undefined;
  const mode = retention.find((r) => r?.mode)?.mode;
  if (!earliest) deps.log.warn('a vault copy without Object Lock retention', { bucket, keys: objects.map((o) => o.key) });
  return {
    account,
    bucket,
    keys: objects.map((o) => o.key),
    ...(earliest ? { retainUntil: earliest.toISOString() } : {}),
    ...(mode ? { mode } : {}),
    replicas,
  };
}

/** The first export of a target, in the order given (newest first, or the drawn one first), that can seed a drill. */
async function newestUsableExport(step: Step, bucket: string, target: string, exports: readonly DrExport[]): Promise<UsableDrExport | undefined> {
  const { input, deps, retry } = step;
  const problems: string[] = [];
  for (const exp of exports) {
    const vault = input.vault?.account;
    // The vault: a verdict is the vault verifier's object naming the replica's current version, never a tag (replication
    // copies the workload account's tags); the key counts the drill checks come from that object too.
    const tags = await mapConcurrent(
      exp.objects,
      deps.concurrency,
      async (o) =>
        [o.key, await trustedCopyTags(deps.s3, bucket, o.key, vault ? 'vault' : 'dr', { wrap: retry, ...(vault ? { expectedOwner: vault } : {}) })] as const,
    );
    const verdict = assessDrExport(exp, new Map(tags), { plan: input.plan, minTier: input.minTier });
    if (verdict.usable) return verdict.choice;
    // Another plan's exports are not this plan's problem.
    if (verdict.problem !== 'other-plan') problems.push(`${verdict.problem}: ${verdict.detail}`);
  }
  const why = problems.length > 0 ? `none of ${exports.length} export(s) usable; newest: ${problems[0]}` : `no exports of plan ${input.plan}`;
  deps.log.warn('no usable DR copy for target', { target, exports: exports.length, problems });
  step.reasons.push({ target, why });
  return undefined;
}
