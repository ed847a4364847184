/**
 * A monthly cost estimate of a deployment: the fixed floor counted from the
 * synthesized templates (alarms, dashboards, KMS keys, schedules with the
 * runs they start), and the variable parts from the plans and a few stated
 * assumptions (snapshot and export sizes, drill node-hours, S3 storage by
 * tier and retention, replication, Lambda GB-seconds). Every assumption is
 * returned with the figures, so the printout says what it rests on. Pure:
 * the clock, the templates, the plans and the prices come in.
 */
import { occurrencesBetween } from '../plans/schedule.js';
import { TIERS, type Tier } from '../plans/types.js';
import { type PriceTable, priceTableFor } from './prices.js';

/** One synthesized stack's resources (the template's `Resources`). */
export interface StackResources {
  readonly stack: string;
  readonly region: string;
  readonly resources: Readonly<Record<string, { readonly Type: string; readonly Properties?: Readonly<Record<string, unknown>> }>>;
}

/** A plan, as far as its cost goes. */
export interface CostPlan {
  readonly name: string;
  readonly schedule: { readonly cron: string; readonly timeZone: string };
  /** Caches the plan names (node-based and serverless); tag-selected plans use the assumption {@link CostAssumptions.targetsPerTagPlan}. */
  readonly targets: number;
  readonly selectsByTags: boolean;
  readonly retention: Readonly<Record<Tier, number>>;
  readonly export?: { readonly minTier: Tier; readonly expireDays: Readonly<Record<Tier, number>>; readonly archiveMonthlyAfterDays?: number };
  /** Drills and the sides they run in (`primary`, `dr`, or both). */
  readonly drill?: {
    readonly schedule: { readonly cron: string; readonly timeZone: string };
    readonly sides: readonly ('primary' | 'dr')[];
    readonly nodeType?: string;
  };
}

/** What the estimate cannot know from the config: each is printed with the figures. */
export interface CostAssumptions {
  /** Size of one recovery point (snapshot or `.rdb` export) per cache, GB. */
  readonly sizeGb: number;
  /** Caches a tag-selected plan finds. */
  readonly targetsPerTagPlan: number;
  /** Node type of drill clusters whose plan names none. */
  readonly drillNodeType: string;
  /** Shards (nodes) of a drill cluster. */
  readonly drillNodes: number;
  /** Hours a drill cluster exists (billed per started hour). */
  readonly drillHours: number;
  readonly engine: 'valkey' | 'redis';
  /** Seconds a scheduled Lambda run takes. */
  readonly lambdaSeconds: number;
  /** State transitions of one state machine execution. */
  readonly transitionsPerExecution: number;
  /** MB/s the DR and vault scrubs re-read a copy at (ranged GETs through the verifier). */
  readonly scrubMbPerSecond: number;
}

export const DEFAULT_COST_ASSUMPTIONS: CostAssumptions = {
  sizeGb: 1,
  targetsPerTagPlan: 1,
  drillNodeType: 'cache.r7g.large',
  drillNodes: 1,
  drillHours: 1,
  engine: 'valkey',
  lambdaSeconds: 2,
  transitionsPerExecution: 40,
  scrubMbPerSecond: 100,
};

/** The vault as far as it costs: its scrub's bound and function's memory, its region, how long a replica is kept, RTC into it. */
export interface VaultScrubCost {
  readonly days: number;
  readonly memoryMb: number;
  readonly region: string;
  /** Days a replica stays in the vault (the lifecycle's expiry: the longest tier's lock and a day). */
  readonly replicaDays: number;
  /** Replication Time Control on the export bucket's rule into the vault (`vault.replicationTimeControl`). */
  readonly replicationTimeControl: boolean;
  /**
   * An organization's vault (`vault.organizationId`): the export function copies each export under the
   * account's own prefix of the export bucket, tagged as the export (lambdas/jobs/dr-copies/org-export-copy.ts),
   * so the bucket's lifecycle keeps that copy as long: the export bucket holds every export twice.
   */
  readonly organizationCopies?: boolean;
}

export interface CostLine {
  readonly part: 'fixed' | 'variable';
  readonly item: string;
  readonly quantity: number;
  readonly unit: string;
  readonly usd: number;
}

export interface CostEstimate {
  readonly lines: readonly CostLine[];
  readonly fixedUsd: number;
  readonly variableUsd: number;
  readonly totalUsd: number;
  /** Each assumption and fact the figures rest on, as a sentence. */
  readonly assumptions: readonly string[];
  readonly prices: EstimatePrices;
}

/** Which price tables the estimate used: one per region of the deployment, and whether it was a stand-in. */
export interface EstimatePrices {
  readonly asOf: string;
  readonly currency: 'USD';
  /** The deployment's regions, primary first; `standIn` when the region has no table and us-east-1's priced it. */
  readonly regions: readonly { readonly region: string; readonly side: 'primary' | 'dr'; readonly standIn: boolean }[];
}

const DAYS = 30;
const MONTH_MS = DAYS * 86_400_000;

/** Runs a schedule expression starts in the 30 days from `now`: `rate(n unit)`, `cron(...)` (in its time zone) or `at(...)`. */
export function runsPerMonth(expression: string, timeZone: string, now: Date): number {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (rate) {
    const minutes = Number(rate[1]) * (rate[2]!.startsWith('minute') ? 1 : rate[2]!.startsWith('hour') ? 60 : 1440);
    return Math.floor((DAYS * 1440) / minutes);
  }
  if (expression.startsWith('at(')) return 0;
  return occurrencesBetween(expression, timeZone, now, new Date(now.getTime() + MONTH_MS), 100_000).length;
}

/** The logical id an intrinsic like `{ "Fn::GetAtt": [id, "Arn"] }` or `{ "Ref": id }` points at. */
function targetId(arn: unknown): string | undefined {
  if (arn && typeof arn === 'object') {
    const a = arn as Record<string, unknown>;
    if (Array.isArray(a['Fn::GetAtt'])) return String(a['Fn::GetAtt'][0]);
    if (typeof a.Ref === 'string') return a.Ref;
  }
  return undefined;
}

const round2 = (n: number): number => Math.round(n * 100) / 100;

/** The assumption sentence on prices: each side's region, and a stand-in named as one. */
function pricesAssumption(sides: readonly { side: 'primary' | 'dr'; region: string; table: PriceTable; standIn: boolean }[]): string {
  const each = sides.map((s) =>
    s.standIn ? `${s.side} ${s.region} has no price table here: priced at ${s.table.region}'s as a stand-in` : `${s.side} ${s.region}`,
  );
  return `prices: on-demand list prices of each side's region as of ${sides[0]!.table.asOf} (${each.join('; ')}; free tiers not deducted)`;
}

/** The estimate: one line per priced item, the fixed floor and variable totals, and what it assumed. */
export function estimateMonthlyCost(input: {
  readonly stacks: readonly StackResources[];
  readonly plans: readonly CostPlan[];
  readonly replicationTimeControl: boolean;
  readonly assumptions: CostAssumptions;
  /** The deployment's two regions: each side's items are priced at its region's table. */
  readonly regions: { readonly primary: string; readonly dr: string };
  /** Price tables by region (default: the project's, {@link PRICE_TABLES}); a region missing is priced at us-east-1's, said in the result. */
  readonly priceTables?: Readonly<Record<string, PriceTable>>;
  readonly now: Date;
  /** The DR scrub (lib/constructs/dr-scrub.ts): every DR copy re-read within `days`, by a function of `memoryMb`. */
  readonly scrub?: { readonly days: number; readonly memoryMb: number };
  /**
   * The vault's scrub (lib/constructs/vault/vault-scrub.ts): every replica re-read within `days` by a function of
   * `memoryMb` in the vault's `region`; each export is replicated there once and kept `replicaDays` (its lifecycle).
   */
  readonly vaultScrub?: VaultScrubCost;
}): CostEstimate {
  const { stacks, plans, assumptions: a, now } = input;
  const sides = (['primary', 'dr'] as const).map((side) => ({ side, region: input.regions[side], ...priceTableFor(input.regions[side], input.priceTables) }));
  const price = (side: 'primary' | 'dr'): PriceTable => sides.find((s) => s.side === side)!.table;
  const regionPrice = (region: string): PriceTable => priceTableFor(region, input.priceTables).table;
  const lines: CostLine[] = [];
  const add = (part: CostLine['part'], item: string, quantity: number, unit: string, usd: number) => {
    if (quantity > 0) lines.push({ part, item, quantity: round2(quantity), unit, usd: round2(usd) });
  };

  // The fixed floor: what the templates create, whatever the data, each stack at its own region's prices.
  const all = stacks.flatMap((s) => Object.values(s.resources).map((r) => ({ ...r, stack: s, p: regionPrice(s.region) })));
  const floor = (type: string, unitPrice: (p: PriceTable) => number) => {
    const found = all.filter((r) => r.Type === type);
    return { count: found.length, usd: found.reduce((n, r) => n + unitPrice(r.p), 0) };
  };
  const alarms = floor('AWS::CloudWatch::Alarm', (p) => p.alarmMonth);
  add('fixed', 'CloudWatch alarms', alarms.count, 'alarm-months', alarms.usd);
  const dashboards = floor('AWS::CloudWatch::Dashboard', (p) => p.dashboardMonth);
  add('fixed', 'CloudWatch dashboards', dashboards.count, 'dashboard-months', dashboards.usd);
  const keys = floor('AWS::KMS::Key', (p) => p.kmsKeyMonth);
  add('fixed', 'KMS keys', keys.count, 'key-months', keys.usd);

  // Scheduled runs: each schedule's runs, and the Lambda GB-seconds or state machine transitions they start.
  const runs = { invocations: 0, invocationsUsd: 0, gbSeconds: 0, lambdaUsd: 0, transitions: 0, transitionsUsd: 0 };
  const schedules = all.filter((x) => x.Type === 'AWS::Scheduler::Schedule');
  for (const r of schedules) {
    const props = r.Properties ?? {};
    const n = runsPerMonth(String(props.ScheduleExpression ?? ''), String(props.ScheduleExpressionTimezone ?? 'UTC'), now);
    runs.invocations += n;
    runs.invocationsUsd += n * r.p.schedulerInvocation;
    const target = r.stack.resources[targetId((props.Target as { Arn?: unknown } | undefined)?.Arn) ?? ''];
    if (target?.Type === 'AWS::Lambda::Function') {
      const gbSeconds = n * (Number(target.Properties?.MemorySize ?? 128) / 1024) * a.lambdaSeconds;
      runs.gbSeconds += gbSeconds;
      runs.lambdaUsd += gbSeconds * r.p.lambdaArmGbSecond + n * r.p.lambdaRequest;
    } else if (target?.Type === 'AWS::StepFunctions::StateMachine') {
      runs.transitions += n * a.transitionsPerExecution;
      runs.transitionsUsd += n * a.transitionsPerExecution * r.p.stateTransition;
    }
  }
  add('fixed', `EventBridge Scheduler (${schedules.length} schedules)`, runs.invocations, 'invocations', runs.invocationsUsd);
  add('variable', 'Lambda, scheduled runs', runs.gbSeconds, 'GB-seconds', runs.lambdaUsd);
  add('variable', 'Step Functions, scheduled executions', runs.transitions, 'state transitions', runs.transitionsUsd);

  // The variable parts, per plan.
  const nodeHour = (type: string, p: PriceTable): number => {
    const hourly = p.nodeHour[type];
    if (hourly === undefined) throw new RangeError(`no price for node type ${type} in the ${p.region} table (${Object.keys(p.nodeHour).join(', ')})`);
    return hourly * (a.engine === 'valkey' ? p.valkeyNodeFactor : 1);
  };
  const primary = price('primary');
  const dr = price('dr');
  let replicatedGb = 0;
  let drCopiesGb = 0;
  for (const plan of plans) {
    const targets = plan.selectsByTags ? plan.targets + a.targetsPerTagPlan : plan.targets;
    const snapshots = runsPerMonth(plan.schedule.cron, plan.schedule.timeZone, now);
    const perDay = snapshots / DAYS;
    const kept = TIERS.reduce((n, t) => n + plan.retention[t], 0);
    const snapshotGb = kept * targets * a.sizeGb;
    add('variable', `${plan.name}: snapshot storage (${kept} kept per cache)`, snapshotGb, 'GB-months', snapshotGb * primary.elastiCacheBackupGbMonth);
    if (plan.export) {
      const stored = addExportLines(add, plan.name, plan.export, {
        targets,
        perDay,
        sizeGb: a.sizeGb,
        primary,
        dr,
        orgCopies: input.vaultScrub?.organizationCopies === true,
      });
      replicatedGb += stored.replicatedGb;
      drCopiesGb += stored.drCopiesGb;
    }
    if (plan.drill) {
      const perSide = runsPerMonth(plan.drill.schedule.cron, plan.drill.schedule.timeZone, now);
      const type = plan.drill.nodeType ?? a.drillNodeType;
      const hoursPerDrill = a.drillNodes * Math.ceil(a.drillHours);
      const drills = perSide * plan.drill.sides.length;
      const usd = plan.drill.sides.reduce((n, side) => n + perSide * hoursPerDrill * nodeHour(type, price(side)), 0);
      add('variable', `${plan.name}: drill clusters (${drills} drills, ${type})`, drills * hoursPerDrill, 'node-hours', usd);
    }
  }
  // Replication is billed by the source region: the primary's transfer out, plus RTC per GB when on.
  add(
    'variable',
    'S3 replication to the DR region',
    replicatedGb,
    'GB',
    replicatedGb * (primary.interRegionGb + (input.replicationTimeControl ? primary.replicationTimeControlGb : 0)),
  );

  const scrub = scrubReads('DR scrub', 'copy', drCopiesGb, input.scrub, a);
  add('variable', scrub.item, scrub.gbSeconds, 'GB-seconds', scrub.gbSeconds * dr.lambdaArmGbSecond);
  const v = input.vaultScrub;
  if (v) addVault(add, replicatedGb, v, { primary, vault: regionPrice(v.region), primaryRegion: input.regions.primary }, a);

  const sum = (part: CostLine['part']) => round2(lines.filter((l) => l.part === part).reduce((n, l) => n + l.usd, 0));
  const fixedUsd = sum('fixed');
  const variableUsd = sum('variable');
  return {
    lines,
    fixedUsd,
    variableUsd,
    totalUsd: round2(fixedUsd + variableUsd),
    assumptions: assumptionsOf(a, pricesAssumption(sides), input),
    prices: { asOf: primary.asOf, currency: primary.currency, regions: sides.map(({ side, region, standIn }) => ({ side, region, standIn })) },
  };
}

/**
 * A plan's export lines: both buckets' S3 Standard and Glacier IR (the export bucket in the primary region, its
 * replica in the DR region), and with an organization's vault the export bucket's second copy under the account's
 * prefix. Returns the GB replicated a month and the GB the DR bucket holds.
 */
function addExportLines(
  add: (part: CostLine['part'], item: string, quantity: number, unit: string, usd: number) => void,
  name: string,
  exp: NonNullable<CostPlan['export']>,
  o: { targets: number; perDay: number; sizeGb: number; primary: PriceTable; dr: PriceTable; orgCopies: boolean },
): { replicatedGb: number; drCopiesGb: number } {
  const { targets, perDay, primary, dr } = o;
  // Recovery points per day of each tier (the first of a month is monthly, of a week weekly, of a day daily), exported from minTier up.
  const rate: Record<Tier, number> = { monthly: 1 / DAYS, weekly: 1 / 7 - 1 / DAYS, daily: 1 - 1 / 7, hourly: Math.max(0, perDay - 1) };
  const from = TIERS.indexOf(exp.minTier);
  const exported = TIERS.filter((t) => TIERS.indexOf(t) >= from);
  const exportsPerMonth = exported.reduce((n, t) => n + Math.min(rate[t], perDay) * DAYS, 0) * targets;
  let standardGb = 0;
  let archivedGb = 0;
  for (const t of exported) {
    const copies = Math.min(rate[t], perDay) * exp.expireDays[t] * targets;
    const archiveAfter = t === 'monthly' ? exp.archiveMonthlyAfterDays : undefined;
    const standardShare = archiveAfter === undefined ? 1 : Math.min(1, archiveAfter / exp.expireDays[t]);
    standardGb += copies * o.sizeGb * standardShare;
    archivedGb += copies * o.sizeGb * (1 - standardShare);
  }
  // Both buckets hold every copy: the export bucket in the primary region and its replica in the DR region.
  add('variable', `${name}: S3 Standard, export and DR buckets`, 2 * standardGb, 'GB-months', standardGb * (primary.s3StandardGbMonth + dr.s3StandardGbMonth));
  add(
    'variable',
    `${name}: S3 Glacier Instant Retrieval (monthly copies)`,
    2 * archivedGb,
    'GB-months',
    archivedGb * (primary.s3GlacierIrGbMonth + dr.s3GlacierIrGbMonth),
  );
  // An organization's vault: the export bucket holds a second copy of each export under the account's prefix (kept and archived alike).
  if (o.orgCopies) {
    const usd = standardGb * primary.s3StandardGbMonth + archivedGb * primary.s3GlacierIrGbMonth;
    add('variable', `${name}: organization vault copies in the export bucket`, standardGb + archivedGb, 'GB-months', usd);
  }
  return { replicatedGb: exportsPerMonth * o.sizeGb, drCopiesGb: standardGb + archivedGb };
}

/** Each assumption and fact the figures rest on, as a sentence. */
function assumptionsOf(
  a: CostAssumptions,
  prices: string,
  input: { readonly scrub?: unknown; readonly vaultScrub?: VaultScrubCost; readonly priceTables?: Readonly<Record<string, PriceTable>> },
): string[] {
  const vault = input.vaultScrub;
  const vaultStandIn = vault !== undefined && priceTableFor(vault.region, input.priceTables).standIn;
  return [
    prices,
    `each recovery point (snapshot or .rdb export) is ${a.sizeGb} GB`,
    `a tag-selected plan finds ${a.targetsPerTagPlan} cache(s)`,
    `a drill cluster is ${a.drillNodes} node(s) of ${a.drillNodeType} where the plan names no node type, for ${a.drillHours} h (a started hour is billed whole), engine ${a.engine}`,
    `a scheduled Lambda run takes ${a.lambdaSeconds} s; a state machine execution makes ${a.transitionsPerExecution} state transitions`,
    'months of 30 days; schedules counted over the next 30 days from now',
    ...(input.scrub !== undefined
      ? [
          `the DR scrub re-reads at ${a.scrubMbPerSecond} MB/s (its GET requests and the Glacier Instant Retrieval fee of archived monthly copies are not included)`,
        ]
      : []),
    ...(vault
      ? [
          `the vault (${vault.region}${vaultStandIn ? ", priced at us-east-1's as a stand-in" : ''}) stores and its scrub re-reads at ${a.scrubMbPerSecond} MB/s one replica of every export kept ${vault.replicaDays} days (its GET requests, and the vault stack's own alarms and keys, shared by the organization, are not included)`,
          ...(vault.organizationCopies
            ? [
                "an organization's vault: the export bucket keeps a second copy of every export under the account's prefix, for as long as the export (the copy the vault replicates)",
              ]
            : []),
        ]
      : []),
    'not included: CloudWatch Logs ingestion and storage, custom metrics, X-Ray traces, SNS deliveries, KMS and S3 requests (cents at this scale)',
  ];
}

/**
 * The vault's lines: it holds one replica of every export, in S3 Standard (no transition:
 * lib/constructs/vault/vault-bucket.ts), for replicaDays. The export bucket replicates into it
 * (lib/constructs/dr-export.ts replicateToVault): the primary region pays the transfer when the vault lies in
 * another region, and RTC per GB when the vault's rule has it. Its scrub re-reads every replica.
 */
function addVault(
  add: (part: CostLine['part'], item: string, quantity: number, unit: string, usd: number) => void,
  replicatedGb: number,
  v: VaultScrubCost,
  p: { readonly primary: PriceTable; readonly vault: PriceTable; readonly primaryRegion: string },
  a: CostAssumptions,
): void {
  const heldGb = vaultHeldGb(replicatedGb, v);
  add('variable', `vault storage: one replica of every export kept ${v.replicaDays} days`, heldGb, 'GB-months', heldGb * p.vault.s3StandardGbMonth);
  const perGb = (v.region !== p.primaryRegion ? p.primary.interRegionGb : 0) + (v.replicationTimeControl ? p.primary.replicationTimeControlGb : 0);
  add('variable', `S3 replication to the vault (${v.region})`, perGb > 0 ? replicatedGb : 0, 'GB', replicatedGb * perGb);
  const scrub = vaultScrubReads(replicatedGb, v, a);
  add('variable', scrub.item, scrub.gbSeconds, 'GB-seconds', scrub.gbSeconds * p.vault.lambdaArmGbSecond);
}

/** The vault holds one replica of every export (`replicatedGb` a month) for `replicaDays`: the GB it stores. */
function vaultHeldGb(replicatedGb: number, v: VaultScrubCost): number {
  return (replicatedGb / DAYS) * v.replicaDays;
}

/** The GB the vault's scrub re-reads: every replica it holds. */
function vaultScrubReads(replicatedGb: number, v: VaultScrubCost, a: CostAssumptions): { item: string; gbSeconds: number } {
  return scrubReads('vault scrub', 'replica', vaultHeldGb(replicatedGb, v), v, a);
}

/** A scrub re-reads every copy it holds (`storedGb`) once per `days`: the function's GB-seconds at the assumed read speed (none without a scrub). */
function scrubReads(
  name: string,
  copy: string,
  storedGb: number,
  scrub: { readonly days: number; readonly memoryMb: number } | undefined,
  a: CostAssumptions,
): { item: string; gbSeconds: number } {
  if (!scrub) return { item: name, gbSeconds: 0 };
  const gb = (storedGb * DAYS) / scrub.days;
  return {
    item: `${name}: every ${copy} re-read within ${scrub.days} days (${round2(gb)} GB a month)`,
    gbSeconds: ((gb * 1024) / a.scrubMbPerSecond) * (scrub.memoryMb / 1024),
  };
}
