/**
 * The price table the cost estimate uses: AWS on-demand list prices in USD
 * for one region, with the date they were read. Other regions differ (often
 * by 10–30 %); the estimate says which table it used. Free tiers are left
 * out on purpose (they are per account, shared with everything else there).
 * Pure data.
 *
 * @see https://aws.amazon.com/pricing/ (and each service's pricing page)
 */
export interface PriceTable {
  /** When these prices were read (YYYY-MM). */
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
  /** Data transfer out to another region (S3 replication), per GB; Replication Time Control, per GB replicated. */
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

/** us-east-1 list prices, as read in November 2026. */
export const US_EAST_1: PriceTable = {
  asOf: '2026-11',
  region: 'us-east-1',
  currency: 'USD',
  alarmMonth: 0.1,
  dashboardMonth: 3,
  kmsKeyMonth: 1,
  schedulerInvocation: 1 / 1_000_000,
  lambdaArmGbSecond: 0.0000133334,
  lambdaRequest: 0.2 / 1_000_000,
  stateTransition: 0.025 / 1000,
  s3StandardGbMonth: 0.023,
  s3GlacierIrGbMonth: 0.004,
  interRegionGb: 0.02,
  replicationTimeControlGb: 0.015,
  elastiCacheBackupGbMonth: 0.085,
  nodeHour: {
    'cache.t4g.micro': 0.016,
    'cache.t4g.small': 0.032,
    'cache.t4g.medium': 0.065,
    'cache.m6g.large': 0.149,
    'cache.m7g.large': 0.158,
    'cache.r6g.large': 0.206,
    'cache.r7g.large': 0.219,
    'cache.r7g.xlarge': 0.437,
    'cache.r7g.2xlarge': 0.873,
  },
  valkeyNodeFactor: 0.8,
  serverlessGbHour: 0.125,
};
