/**
 * The price tables the cost estimate uses: AWS on-demand list prices in USD,
 * one table per region, with the month they were entered. A deployment's
 * items are priced in the region they run in (the primary stack's at the
 * primary region's prices, the DR stack's at the DR region's); a region
 * missing from {@link PRICE_TABLES} is priced at us-east-1's as a stand-in,
 * and the estimate says so. Free tiers are left out on purpose (they are per
 * account, shared with everything else there). Pure data.
 *
 * The figures were entered by hand, from AWS's public price lists as the
 * project knew them when the table was written; no price API or pricing page
 * is reachable from where this project is built, so none was checked against
 * AWS from here (the regions other than us-east-1 least of all): check large
 * figures with the AWS Pricing Calculator.
 *
 * @see https://aws.amazon.com/pricing/ (and each service's pricing page)
 */
export interface PriceTable {
  /** When these prices were entered (YYYY-MM). */
  readonly asOf: string;
  readonly region: string;
  readonly currency: 'USD';
  /** A CloudWatch standard-resolution alarm, per month (one metric). */
  readonly alarmMonth: number;
  /** A CloudWatch dashboard, per month. */
  readonly dashboardMonth: number;
  /** A KMS customer managed key, per month. */
  readonly kmsKeyMonth: number;
  /** EventBridge Scheduler, per invocation. */
  readonly schedulerInvocation: number;
  /** Lambda on arm64, per GB-second, and per request. */
  readonly lambdaArmGbSecond: number;
  readonly lambdaRequest: number;
  /** Step Functions standard workflows, per state transition. */
  readonly stateTransition: number;
  /** S3 Standard and Glacier Instant Retrieval storage, per GB-month. */
  readonly s3StandardGbMonth: number;
  readonly s3GlacierIrGbMonth: number;
  /** Data transfer out of this region to another region (S3 replication), per GB; Replication Time Control, per GB replicated. */
  readonly interRegionGb: number;
  readonly replicationTimeControlGb: number;
  /** ElastiCache manual snapshot storage, per GB-month. */
  readonly elastiCacheBackupGbMonth: number;
  /** ElastiCache node-hours by node type, Redis OSS engine (a partial hour is billed as a full one). */
  readonly nodeHour: Readonly<Record<string, number>>;
  /** Valkey's node-hours cost this fraction of Redis OSS's. */
  readonly valkeyNodeFactor: number;
  /** ElastiCache Serverless (Redis OSS): data stored per GB-hour (metered at 1 GB at least). */
  readonly serverlessGbHour: number;
}

/** The node types every table prices, in the order each table lists them. */
const NODE_TYPES = [
  'cache.t4g.micro',
  'cache.t4g.small',
  'cache.t4g.medium',
  'cache.m6g.large',
  'cache.m7g.large',
  'cache.r6g.large',
  'cache.r7g.large',
  'cache.r7g.xlarge',
  'cache.r7g.2xlarge',
] as const;

/** The services whose prices do not vary across the regions listed here. */
const FLAT = {
  asOf: '2026-11',
  currency: 'USD',
  dashboardMonth: 3,
  kmsKeyMonth: 1,
  schedulerInvocation: 1 / 1_000_000,
  lambdaArmGbSecond: 0.0000133334,
  lambdaRequest: 0.2 / 1_000_000,
  replicationTimeControlGb: 0.015,
  valkeyNodeFactor: 0.8,
} as const;

/** One region's table: the regional figures, node-hours in {@link NODE_TYPES} order. */
function table(
  region: string,
  p: {
    readonly alarmMonth: number;
    readonly stateTransition: number;
    readonly s3StandardGbMonth: number;
    readonly s3GlacierIrGbMonth: number;
    readonly interRegionGb: number;
    readonly elastiCacheBackupGbMonth: number;
    readonly serverlessGbHour: number;
    readonly nodeHours: readonly number[];
  },
): PriceTable {
  const { nodeHours, ...rest } = p;
  return { ...FLAT, region, ...rest, nodeHour: Object.fromEntries(NODE_TYPES.map((type, i) => [type, nodeHours[i]!])) };
}

/** US regions with us-east-1's prices (ElastiCache, S3, Lambda, Step Functions and CloudWatch price them alike). */
const US = {
  alarmMonth: 0.1,
  stateTransition: 0.025 / 1000,
  s3StandardGbMonth: 0.023,
  s3GlacierIrGbMonth: 0.004,
  interRegionGb: 0.02,
  elastiCacheBackupGbMonth: 0.085,
  serverlessGbHour: 0.125,
  nodeHours: [0.016, 0.032, 0.065, 0.149, 0.158, 0.206, 0.219, 0.437, 0.873],
} as const;

/** us-east-1 list prices. */
export const US_EAST_1: PriceTable = table('us-east-1', US);

/** Every region the estimate has prices for, by region name. */
export const PRICE_TABLES: Readonly<Record<string, PriceTable>> = Object.fromEntries(
  [
    US_EAST_1,
    table('us-east-2', US),
    table('us-west-2', US),
    table('ca-central-1', {
      ...US,
      s3StandardGbMonth: 0.025,
      s3GlacierIrGbMonth: 0.0045,
      elastiCacheBackupGbMonth: 0.093,
      serverlessGbHour: 0.138,
      nodeHours: [0.018, 0.035, 0.071, 0.164, 0.174, 0.227, 0.241, 0.482, 0.963],
    }),
    table('eu-west-1', {
      ...US,
      elastiCacheBackupGbMonth: 0.094,
      serverlessGbHour: 0.138,
      nodeHours: [0.0176, 0.035, 0.071, 0.166, 0.176, 0.229, 0.243, 0.486, 0.972],
    }),
    table('eu-west-2', {
      ...US,
      s3StandardGbMonth: 0.024,
      s3GlacierIrGbMonth: 0.005,
      elastiCacheBackupGbMonth: 0.098,
      serverlessGbHour: 0.146,
      nodeHours: [0.018, 0.036, 0.073, 0.172, 0.182, 0.241, 0.256, 0.512, 1.023],
    }),
    table('eu-central-1', {
      ...US,
      s3StandardGbMonth: 0.0245,
      s3GlacierIrGbMonth: 0.005,
      elastiCacheBackupGbMonth: 0.1,
      serverlessGbHour: 0.15,
      nodeHours: [0.018, 0.036, 0.073, 0.176, 0.186, 0.247, 0.262, 0.524, 1.048],
    }),
    table('eu-north-1', {
      ...US,
      elastiCacheBackupGbMonth: 0.09,
      serverlessGbHour: 0.131,
      nodeHours: [0.017, 0.034, 0.068, 0.157, 0.166, 0.217, 0.23, 0.46, 0.92],
    }),
    table('ap-northeast-1', {
      ...US,
      s3StandardGbMonth: 0.025,
      s3GlacierIrGbMonth: 0.005,
      interRegionGb: 0.09,
      elastiCacheBackupGbMonth: 0.105,
      serverlessGbHour: 0.159,
      nodeHours: [0.021, 0.041, 0.083, 0.19, 0.201, 0.262, 0.278, 0.556, 1.113],
    }),
    table('ap-southeast-1', {
      ...US,
      s3StandardGbMonth: 0.025,
      s3GlacierIrGbMonth: 0.005,
      interRegionGb: 0.09,
      elastiCacheBackupGbMonth: 0.105,
      serverlessGbHour: 0.158,
      nodeHours: [0.02, 0.04, 0.08, 0.185, 0.196, 0.261, 0.277, 0.554, 1.108],
    }),
    table('ap-southeast-2', {
      ...US,
      s3StandardGbMonth: 0.025,
      s3GlacierIrGbMonth: 0.005,
      interRegionGb: 0.098,
      elastiCacheBackupGbMonth: 0.105,
      serverlessGbHour: 0.158,
      nodeHours: [0.02, 0.04, 0.08, 0.185, 0.196, 0.261, 0.277, 0.554, 1.108],
    }),
  ].map((t) => [t.region, t]),
);

/** The table for `region`: its own, or us-east-1's as a stand-in (`standIn` true) when the region has none here. */
export function priceTableFor(region: string, tables: Readonly<Record<string, PriceTable>> = PRICE_TABLES): { table: PriceTable; standIn: boolean } {
  const own = tables[region];
  return own ? { table: own, standIn: false } : { table: tables['us-east-1'] ?? US_EAST_1, standIn: true };
}
