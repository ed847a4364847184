import { describe, expect, it } from 'vitest';
import { type CostPlan, DEFAULT_COST_ASSUMPTIONS, estimateMonthlyCost, runsPerMonth, type StackResources } from '../../../../lambdas/domain/cost/estimate.js';
import { formatCostEstimate } from '../../../../lambdas/domain/cost/format.js';
import { PRICE_TABLES, US_EAST_1 } from '../../../../lambdas/domain/cost/prices.js';

// A Sunday, midnight UTC: the next 30 days hold 5 Sundays.
const NOW = new Date('2026-11-01T00:00:00Z');

const stack: StackResources = {
  stack: 'RedisDr-t-Primary',
  region: 'us-east-1',
  resources: {
    A1: { Type: 'AWS::CloudWatch::Alarm' },
    A2: { Type: 'AWS::CloudWatch::Alarm' },
    A3: { Type: 'AWS::CloudWatch::Alarm' },
    D: { Type: 'AWS::CloudWatch::Dashboard' },
    K: { Type: 'AWS::KMS::Key' },
    F: { Type: 'AWS::Lambda::Function', Properties: { MemorySize: 512 } },
    M: { Type: 'AWS::StepFunctions::StateMachine' },
    S: { Type: 'AWS::Scheduler::Schedule', Properties: { ScheduleExpression: 'rate(5 minutes)', Target: { Arn: { 'Fn::GetAtt': ['F', 'Arn'] } } } },
    S2: {
      Type: 'AWS::Scheduler::Schedule',
      Properties: { ScheduleExpression: 'cron(0 4 ? * SUN *)', ScheduleExpressionTimezone: 'UTC', Target: { Arn: { Ref: 'M' } } },
    },
  },
};

const plan: CostPlan = {
  name: 'sessions',
  schedule: { cron: 'cron(0 0/2 * * ? *)', timeZone: 'UTC' },
  targets: 2,
  selectsByTags: false,
  retention: { hourly: 12, daily: 7, weekly: 4, monthly: 12 },
  export: { minTier: 'daily', expireDays: { hourly: 1, daily: 8, weekly: 29, monthly: 373 }, archiveMonthlyAfterDays: 90 },
  drill: { schedule: { cron: 'cron(0 4 ? * SUN *)', timeZone: 'UTC' }, sides: ['primary', 'dr'], nodeType: 'cache.r7g.large' },
};

const estimate = (plans: CostPlan[], over: Partial<typeof DEFAULT_COST_ASSUMPTIONS> = {}, replicationTimeControl = true) =>
  estimateMonthlyCost({
    stacks: [stack],
    plans,
    replicationTimeControl,
    assumptions: { ...DEFAULT_COST_ASSUMPTIONS, sizeGb: 2, transitionsPerExecution: 100, ...over },
    regions: { primary: 'us-east-1', dr: 'us-east-1' },
    now: NOW,
  });

describe('estimateMonthlyCost', () => {
  it('prices the fixed floor from the templates and the variable parts from the plan (figures worked by hand)', () => {
    const e = estimate([plan]);
    expect(e.lines.map((l) => [l.part, l.item, l.quantity, l.usd])).toEqual([
      ['fixed', 'CloudWatch alarms', 3, 0.3],
      ['fixed', 'CloudWatch dashboards', 1, 3],
      ['fixed', 'KMS keys', 1, 1],
      // 8,640 runs of rate(5 minutes) + 5 Sundays.
      ['fixed', 'EventBridge Scheduler (2 schedules)', 8645, 0.01],
      // 8,640 runs x 0.5 GB x 2 s.
      ['variable', 'Lambda, scheduled runs', 8640, 0.12],
      ['variable', 'Step Functions, scheduled executions', 500, 0.01],
      // 35 kept x 2 caches x 2 GB x $0.085.
      ['variable', 'sessions: snapshot storage (35 kept per cache)', 140, 11.9],
      // Daily, weekly and monthly copies, both buckets; monthly copies after 90 of their 373 days in Glacier IR.
      ['variable', 'sessions: S3 Standard, export and DR buckets', 104.27, 2.4],
      ['variable', 'sessions: S3 Glacier Instant Retrieval (monthly copies)', 75.47, 0.3],
      // 5 Sundays x 2 regions x 1 node-hour x $0.219 x 0.8 (Valkey).
      ['variable', 'sessions: drill clusters (10 drills, cache.r7g.large)', 10, 1.75],
      // One export per cache a day (daily tier and up), 2 GB each, with Replication Time Control.
      ['variable', 'S3 replication to the DR region', 120, 4.2],
    ]);
    expect(e).toMatchObject({ fixedUsd: 4.31, variableUsd: 20.68, totalUsd: 24.99 });
  });

  it('prices the DR scrub: every DR copy re-read once per scrub.days at the assumed speed, and says so', () => {
    const e = estimateMonthlyCost({
      stacks: [stack],
      plans: [plan],
      replicationTimeControl: true,
      assumptions: { ...DEFAULT_COST_ASSUMPTIONS, sizeGb: 2 },
      regions: { primary: 'us-east-1', dr: 'us-east-1' },
      now: NOW,
      scrub: { days: 30, memoryMb: 3008 },
    });
    // The DR bucket's half of the two buckets' 104.27 + 75.47 GB, read once a month: 89.87 GB / 100 MB/s x 2.9375 GB.
    const line = e.lines.find((l) => l.item.startsWith('DR scrub'));
    expect(line).toMatchObject({ part: 'variable', item: 'DR scrub: every copy re-read within 30 days (89.87 GB a month)', unit: 'GB-seconds' });
    expect(line!.quantity).toBeCloseTo((89.87 * 1024 * 3008) / 1024 / 100, -1);
    expect(line!.usd).toBeCloseTo(line!.quantity * US_EAST_1.lambdaArmGbSecond, 2);
    expect(e.assumptions.join('\n')).toContain('the DR scrub re-reads at 100 MB/s');
    // Without a scrub (no DR bucket) there is no line; twice the days, half the reads.
    expect(estimate([plan]).lines.some((l) => l.item.startsWith('DR scrub'))).toBe(false);
    const slower = estimateMonthlyCost({
      ...{ stacks: [stack], plans: [plan], replicationTimeControl: true, regions: { primary: 'us-east-1', dr: 'us-east-1' }, now: NOW },
      assumptions: { ...DEFAULT_COST_ASSUMPTIONS, sizeGb: 2 },
      scrub: { days: 60, memoryMb: 3008 },
    });
    expect(slower.lines.find((l) => l.item.startsWith('DR scrub'))!.quantity).toBeCloseTo(line!.quantity / 2, 0);
  });

  it("prices the vault: one replica of every export stored replicaDays, replicated from the DR region, re-read once per scrub.days at the vault region's price", () => {
    const base = { stacks: [stack], plans: [plan], replicationTimeControl: true, now: NOW, assumptions: { ...DEFAULT_COST_ASSUMPTIONS, sizeGb: 2 } };
    const e = estimateMonthlyCost({
      ...base,
      regions: { primary: 'us-east-1', dr: 'us-east-1' },
      vaultScrub: { days: 30, memoryMb: 3008, region: 'eu-west-1', replicaDays: 61, replicationTimeControl: false },
    });
    // 120 GB replicated a month (4 GB a day) kept 61 days: 244 GB in the vault, read once a month at 100 MB/s by 2.9375 GB.
    const line = e.lines.find((l) => l.item.startsWith('vault scrub'));
    expect(line).toMatchObject({ part: 'variable', item: 'vault scrub: every replica re-read within 30 days (244 GB a month)', unit: 'GB-seconds' });
    expect(line!.quantity).toBeCloseTo((244 * 1024 * 3008) / 1024 / 100, 0);
    expect(line!.usd).toBeCloseTo(line!.quantity * PRICE_TABLES['eu-west-1']!.lambdaArmGbSecond, 2);
    expect(e.assumptions.join('\n')).toContain('the vault (eu-west-1) stores and its scrub re-reads at 100 MB/s one replica of every export kept 61 days');
    // The same 244 GB stored a month in S3 Standard at the vault region's price; replicated from the export bucket
    // (us-east-1) into another region, so the primary region's transfer-out is paid on the 120 GB.
    const eu = PRICE_TABLES['eu-west-1']!;
    expect(e.lines.find((l) => l.item.startsWith('vault storage'))).toMatchObject({
      item: 'vault storage: one replica of every export kept 61 days',
      quantity: 244,
      unit: 'GB-months',
      usd: Math.round(244 * eu.s3StandardGbMonth * 100) / 100,
    });
    expect(e.lines.find((l) => l.item === 'S3 replication to the vault (eu-west-1)')).toMatchObject({
      quantity: 120,
      usd: Math.round(120 * PRICE_TABLES['us-east-1']!.interRegionGb * 100) / 100,
    });
    // A vault in the primary region: storage yes, no transfer between regions, unless RTC is on (paid per GB).
    const vaultIn = (region: string, replicationTimeControl: boolean) => ({ days: 30, memoryMb: 3008, region, replicaDays: 61, replicationTimeControl });
    const same = estimateMonthlyCost({ ...base, regions: { primary: 'eu-west-1', dr: 'us-east-1' }, vaultScrub: vaultIn('eu-west-1', false) });
    expect(same.lines.some((l) => l.item.startsWith('vault storage'))).toBe(true);
    expect(same.lines.some((l) => l.item.startsWith('S3 replication to the vault'))).toBe(false);
    const rtc = estimateMonthlyCost({ ...base, regions: { primary: 'eu-west-1', dr: 'us-east-1' }, vaultScrub: vaultIn('eu-west-1', true) });
    expect(rtc.lines.find((l) => l.item.startsWith('S3 replication to the vault'))!.usd).toBeCloseTo(120 * eu.replicationTimeControlGb, 2);
    // A vault region without a price table is priced at us-east-1's, and the assumption says so.
    const far = estimateMonthlyCost({ ...base, regions: { primary: 'us-east-1', dr: 'us-east-1' }, vaultScrub: vaultIn('me-south-1', false) });
    expect(far.assumptions.join('\n')).toContain("the vault (me-south-1, priced at us-east-1's as a stand-in)");
    // No vault, no line and no assumption; no export, nothing replicated, nothing to re-read.
    const none = estimateMonthlyCost({ ...base, regions: { primary: 'us-east-1', dr: 'us-east-1' } });
    expect(none.lines.some((l) => l.item.startsWith('vault scrub'))).toBe(false);
    expect(none.assumptions.join('\n')).not.toContain('vault');
    expect(none.lines.some((l) => l.item.includes('vault'))).toBe(false);
    const { export: _e, ...noExport } = plan;
    const empty = estimateMonthlyCost({
      ...base,
      plans: [noExport],
      regions: { primary: 'us-east-1', dr: 'us-east-1' },
      vaultScrub: { days: 30, memoryMb: 3008, region: 'eu-west-1', replicaDays: 61, replicationTimeControl: false },
    });
    expect(empty.lines.some((l) => l.item.includes('vault'))).toBe(false);
  });

  it("counts an organization vault's second copy in the export bucket: each export kept again under the account's prefix, archived alike", () => {
    const base = { stacks: [stack], plans: [plan], replicationTimeControl: true, now: NOW, assumptions: { ...DEFAULT_COST_ASSUMPTIONS, sizeGb: 2 } };
    const vault = { days: 30, memoryMb: 3008, region: 'eu-west-1', replicaDays: 61, replicationTimeControl: false };
    const own = estimateMonthlyCost({ ...base, regions: { primary: 'us-east-1', dr: 'us-east-1' }, vaultScrub: vault });
    const org = estimateMonthlyCost({ ...base, regions: { primary: 'us-east-1', dr: 'us-east-1' }, vaultScrub: { ...vault, organizationCopies: true } });
    // The export bucket's half of the two buckets' 104.27 GB in Standard and 75.47 GB in Glacier IR, once more at the primary's prices.
    const line = org.lines.find((l) => l.item === 'sessions: organization vault copies in the export bucket');
    expect(line).toMatchObject({ part: 'variable', unit: 'GB-months' });
    expect(line!.quantity).toBeCloseTo(104.27 / 2 + 75.47 / 2, 1);
    expect(line!.usd).toBeCloseTo((104.27 / 2) * US_EAST_1.s3StandardGbMonth + (75.47 / 2) * US_EAST_1.s3GlacierIrGbMonth, 1);
    expect(org.variableUsd).toBeCloseTo(own.variableUsd + line!.usd, 2);
    expect(org.assumptions.join('\n')).toContain("the export bucket keeps a second copy of every export under the account's prefix");
    // A vault of its own accounts (no organization): no copy, no line, no sentence.
    expect(own.lines.some((l) => l.item.includes('organization vault copies'))).toBe(false);
    expect(own.assumptions.join('\n')).not.toContain('second copy');
  });

  it('leaves out what a plan does not do, and RTC when it is off', () => {
    const { export: _e, drill: _d, ...snapshotsOnly } = plan;
    const e = estimate([snapshotsOnly], {}, false);
    expect(e.lines.map((l) => l.item)).not.toContain('S3 replication to the DR region');
    expect(e.lines.some((l) => /drill|S3 Standard/.test(l.item))).toBe(false);
    expect(estimate([plan], {}, false).lines.find((l) => l.item === 'S3 replication to the DR region')?.usd).toBe(2.4);
  });

  it('adds the assumed caches of a tag-selected plan, and says so', () => {
    const e = estimate([{ ...plan, targets: 0, selectsByTags: true, export: undefined, drill: undefined }], { targetsPerTagPlan: 3 });
    expect(e.lines.find((l) => l.item.startsWith('sessions: snapshot storage'))?.quantity).toBe(35 * 3 * 2);
    expect(e.assumptions).toContain('a tag-selected plan finds 3 cache(s)');
  });

  it('refuses a node type the price table does not know, naming the ones it does', () => {
    expect(() => estimate([{ ...plan, drill: { ...plan.drill!, nodeType: 'cache.x99.huge' } }])).toThrow(
      /no price for node type cache\.x99\.huge in the us-east-1 table \(cache\.t4g\.micro, /,
    );
  });

  it('prints a table with the totals and every assumption', () => {
    const text = formatCostEstimate(estimate([plan])).join('\n');
    expect(text).toMatch(/^Monthly cost estimate \(USD, us-east-1 prices as of 2026-11\): \$24\.99 = fixed floor \$4\.31 \+ variable \$20\.68$/m);
    expect(text).toMatch(/ {2}variable {2}sessions: drill clusters \(10 drills, cache\.r7g\.large\) +10 node-hours +\$1\.75$/m);
    expect(text).toMatch(/^ {2}- each recovery point \(snapshot or \.rdb export\) is 2 GB$/m);
  });
});

describe('estimateMonthlyCost in the regions of the config', () => {
  const inRegions = (primary: string, dr: string, plans: CostPlan[] = [plan]) =>
    estimateMonthlyCost({
      stacks: [
        { ...stack, region: primary },
        { stack: 'RedisDr-t-Dr', region: dr, resources: { A: { Type: 'AWS::CloudWatch::Alarm' } } },
      ],
      plans,
      replicationTimeControl: true,
      assumptions: { ...DEFAULT_COST_ASSUMPTIONS, sizeGb: 2, transitionsPerExecution: 100 },
      regions: { primary, dr },
      now: NOW,
    });

  it('prices eu-west-1 and eu-central-1 each at its own table (figures worked by hand from the two tables)', () => {
    const e = inRegions('eu-west-1', 'eu-central-1');
    const usd = (item: string) => e.lines.find((l) => l.item.startsWith(item))?.usd;
    // 35 kept x 2 caches x 2 GB at eu-west-1's $0.094 (us-east-1: $0.085 -> 11.90).
    expect(usd('sessions: snapshot storage')).toBe(13.16);
    // 5 Sundays x 1 node-hour x 0.8 (Valkey), once at eu-west-1's $0.243 and once at eu-central-1's $0.262.
    expect(usd('sessions: drill clusters')).toBe(Math.round(5 * 0.8 * (0.243 + 0.262) * 100) / 100);
    // 52.135 GB-months in each bucket: eu-west-1 $0.023 + eu-central-1 $0.0245.
    expect(usd('sessions: S3 Standard')).toBe(Math.round(52.135 * (0.023 + 0.0245) * 100) / 100);
    expect(e.prices.regions).toEqual([
      { side: 'primary', region: 'eu-west-1', standIn: false },
      { side: 'dr', region: 'eu-central-1', standIn: false },
    ]);
    const text = formatCostEstimate(e).join('\n');
    expect(text).toMatch(/^Monthly cost estimate \(USD, eu-west-1 and eu-central-1 prices as of 2026-11\)/m);
    expect(text).not.toMatch(/us-east-1/);
    // The same deployment in us-east-1 costs less: the regional tables are used, not us-east-1's.
    expect(e.totalUsd).toBeGreaterThan(inRegions('us-east-1', 'us-east-2').totalUsd);
  });

  it('prices a drill where it runs: a DR-only drill at the DR region', () => {
    const drOnly = inRegions('us-east-1', 'ap-northeast-1', [{ ...plan, drill: { ...plan.drill!, sides: ['dr'] } }]);
    expect(drOnly.lines.find((l) => l.item.startsWith('sessions: drill clusters'))).toMatchObject({
      quantity: 5,
      usd: Math.round(5 * 0.8 * 0.278 * 100) / 100,
    });
  });

  it('bills replication at the primary region, where the bytes leave (ap-southeast-1: $0.09 a GB)', () => {
    const e = inRegions('ap-southeast-1', 'ap-southeast-2');
    expect(e.lines.find((l) => l.item === 'S3 replication to the DR region')).toMatchObject({
      quantity: 120,
      usd: Math.round(120 * (0.09 + 0.015) * 100) / 100,
    });
  });

  it('says so when a region has no table, pricing it at us-east-1 as a stand-in', () => {
    const e = inRegions('eu-west-1', 'me-south-1');
    expect(e.prices.regions[1]).toEqual({ side: 'dr', region: 'me-south-1', standIn: true });
    expect(e.assumptions.join('\n')).toMatch(/dr me-south-1 has no price table here: priced at us-east-1's as a stand-in/);
    expect(formatCostEstimate(e)[0]).toMatch(/eu-west-1 and me-south-1 \(us-east-1's as a stand-in\) prices as of 2026-11/);
  });

  it('has a table for every region it lists, each pricing every node type of us-east-1', () => {
    for (const [region, table] of Object.entries(PRICE_TABLES)) {
      expect(table.region).toBe(region);
      expect(Object.keys(table.nodeHour)).toEqual(Object.keys(US_EAST_1.nodeHour));
      for (const v of [...Object.values(table.nodeHour), table.s3StandardGbMonth, table.interRegionGb, table.elastiCacheBackupGbMonth])
        expect(v).toBeGreaterThan(0);
    }
    expect(Object.keys(PRICE_TABLES).length).toBeGreaterThanOrEqual(10);
  });
});

describe('runsPerMonth', () => {
  it.each<[string, string, number]>([
    ['rate(5 minutes)', 'UTC', 8640],
    ['rate(1 hour)', 'UTC', 720],
    ['rate(1 day)', 'UTC', 30],
    ['cron(0 4 ? * SUN *)', 'UTC', 5],
    ['cron(0 0/2 * * ? *)', 'Europe/Berlin', 360],
    ['at(2026-11-05T00:00:00)', 'UTC', 0],
  ])('%s in %s: %i runs in 30 days', (expression, tz, runs) => {
    expect(runsPerMonth(expression, tz, NOW)).toBe(runs);
  });
});
