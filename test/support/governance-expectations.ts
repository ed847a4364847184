/**
 * What the governed-account tests expect (test/lib/governed-accounts.test.ts)
 * and docs/deploying.md lists (test/docs/deploying.test.ts): plain data, so the
 * docs test loads no CDK.
 */

/** A Control Tower finding the governed fixture keeps on purpose, with why no setting removes it. */
export interface ControlTowerException {
  readonly control: string;
  /** Logical ids (by prefix) of the resources it covers. */
  readonly resources: RegExp;
  readonly reason: string;
}

/**
 * What still fails in a governed account with every setting on
 * (test/fixtures/config/governed.json), each with its reason; docs/deploying.md
 * ("Governed accounts") gives the same reasons. Control Tower's proactive
 * controls have no per-resource suppression: a governed account that enables
 * one of these controls cannot deploy the bucket it names.
 */
export const CONTROL_TOWER_EXCEPTIONS: readonly ControlTowerException[] = [
  {
    control: 'CT.S3.PR.10',
    resources: /^(DrExportExportsBucket|CopiesBucket)/,
    reason: 'ElastiCache exports cannot be written with a customer-managed KMS key, and seeding a cluster needs SSE-S3 objects',
  },
  {
    control: 'CT.S3.PR.10',
    resources: /^VaultBucket/,
    reason:
      'the vault holds replicas of the export bucket: S3 replication keeps their SSE-S3, and a drill from the vault reads them without a key grant across accounts',
  },
  {
    control: 'CT.S3.PR.10',
    resources: /AccessLogsBucket/,
    reason: 'S3 server access logging delivers only to buckets encrypted with SSE-S3',
  },
  {
    control: 'CT.S3.PR.2',
    resources: /AccessLogsBucket/,
    reason: 'the access-log bucket itself: logging it into itself loops, and into another bucket only moves the finding there',
  },
  {
    control: 'CT.S3.PR.4',
    resources: /AccessLogsBucket/,
    reason: 'the access-log bucket: an event per log delivery, read by nothing',
  },
  {
    control: 'CT.S3.PR.9',
    resources: /AccessLogsBucket/,
    reason: 'S3 buckets with Object Lock cannot be destinations of server access logs',
  },
  {
    control: 'CT.S3.PR.9',
    resources: /^DrExportExportsBucket/,
    reason:
      'the export bucket is pruned by lifecycle as the plans keep copies; the locked copies are the DR bucket (dr.objectLock) and the vault (vault), and no AWS document says ElastiCache exports into an Object Lock bucket',
  },
];

/**
 * The controls the example config (every capability, no governed-account
 * setting) fails, and what settles each: docs/deploying.md lists exactly these.
 */
export const DEFAULT_FAILING_CONTROLS = [
  'CT.CLOUDWATCH.PR.2',
  'CT.CLOUDWATCH.PR.3',
  'CT.LAMBDA.PR.2',
  'CT.LAMBDA.PR.3',
  'CT.S3.PR.10',
  'CT.S3.PR.2',
  'CT.S3.PR.4',
  'CT.S3.PR.9',
] as const;

/** The NIST 800-53 rev 5 rules the example config fails (after the acknowledgements), each settled by a setting. */
export const DEFAULT_FAILING_NIST_RULES = ['NIST.800.53.R5-CloudWatchLogGroupEncrypted', 'NIST.800.53.R5-LambdaInsideVPC'] as const;
