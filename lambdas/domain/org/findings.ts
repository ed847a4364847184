/**
 * Security Hub findings (ASFF) from the per-cache verdicts
 * (cache-verdicts.ts), pure: one finding per cache × control, its id fixed
 * by account, region, cache and control, so that importing it again updates
 * the same finding. Its `UpdatedAt` is the evidence's time (the report's
 * end): a run over the same report imports the same finding again and
 * changes nothing; a new report updates it. Security Hub ignores an update
 * whose `UpdatedAt` matches or precedes the finding's, so a verdict judged
 * now (no report, none readable, or one gone stale) is dated now.
 *
 * BatchImportFindings takes at most 100 findings a call, 240 KB a finding
 * and 6 MB a call (the Security Hub partner guide's limits): {@link findingBatches}
 * keeps every call within all three.
 */
import { CACHE_CONTROLS, type CacheVerdict } from './cache-verdicts.js';

/** Where the findings are imported: the account and region of the caches (BatchImportFindings is called by that account). */
export interface FindingScope {
  readonly partition: string;
  readonly account: string;
  readonly region: string;
}

/** The fields of an ASFF finding redis-dr sets (the SDK's AwsSecurityFinding accepts it). */
export interface AsffFinding {
  readonly SchemaVersion: '2018-10-08';
  readonly Id: string;
  readonly ProductArn: string;
  readonly GeneratorId: string;
  readonly AwsAccountId: string;
  readonly Region: string;
  readonly Types: readonly string[];
  readonly CreatedAt: string;
  readonly UpdatedAt: string;
  readonly Severity: { readonly Label: 'INFORMATIONAL' | 'MEDIUM' | 'HIGH' };
  readonly Title: string;
  readonly Description: string;
  readonly Resources: readonly { readonly Type: string; readonly Id: string; readonly Partition: string; readonly Region: string }[];
  readonly Compliance: { readonly Status: 'PASSED' | 'FAILED' | 'NOT_AVAILABLE' };
  readonly RecordState: 'ACTIVE';
  readonly ProductFields: Readonly<Record<string, string>>;
}

/** ASFF's bound on a description. */
const DESCRIPTION_MAX = 1024;
/** BatchImportFindings' bounds. */
export const IMPORT_LIMITS = { findings: 100, findingBytes: 240 * 1024, callBytes: 6 * 1024 * 1024 } as const;

const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

/** The findings of `verdicts`, one per cache × control. */
export function asffFindings(verdicts: readonly CacheVerdict[], scope: FindingScope): AsffFinding[] {
  const { partition, account, region } = scope;
  return verdicts.map((v) => {
    const type = v.cache.kind === 'replication-group' ? 'replicationgroup' : 'serverlesscache';
    const arn = `arn:${partition}:elasticache:${region}:${account}:${type}:${v.cache.id}`;
    const status = v.verdict === 'pass' ? 'PASSED' : v.verdict === 'fail' ? 'FAILED' : 'NOT_AVAILABLE';
    // A cache with no verified copy is a recovery gap; an undrilled restore is a weaker, but real, one.
    const failed = v.control === 'cross-region-copy' ? 'HIGH' : 'MEDIUM';
    const at = v.evidenceAt.toISOString();
    return {
      SchemaVersion: '2018-10-08',
      Id: `redis-dr/${account}/${region}/${type}/${v.cache.id}/${v.control}`,
      ProductArn: `arn:${partition}:securityhub:${region}:${account}:product/${account}/default`,
      GeneratorId: `redis-dr/${v.control}`,
      AwsAccountId: account,
      Region: region,
      Types: ['Software and Configuration Checks/Industry and Regulatory Standards'],
      CreatedAt: at,
      UpdatedAt: at,
      Severity: { Label: status === 'FAILED' ? failed : 'INFORMATIONAL' },
      Title: clip(`redis-dr ${v.control}: ${v.cache.id} ${status === 'PASSED' ? 'has' : 'lacks'} ${CACHE_CONTROLS[v.control]}`, 256),
      Description: clip(v.why, DESCRIPTION_MAX),
      Resources: [{ Type: 'Other', Id: arn, Partition: partition, Region: region }],
      Compliance: { Status: status },
      RecordState: 'ACTIVE',
      ProductFields: { 'redis-dr/control': v.control, 'redis-dr/verdict': v.verdict },
    };
  });
}

/**
 * The findings in calls within BatchImportFindings' limits; a finding over
 * 240 KB (none of ours can be: every text is clipped) is named, not sent.
 */
export function findingBatches(findings: readonly AsffFinding[]): { batches: AsffFinding[][]; tooLarge: string[] } {
  const batches: AsffFinding[][] = [];
  const tooLarge: string[] = [];
  let batch: AsffFinding[] = [];
  let bytes = 0;
  for (const f of findings) {
    const size = new TextEncoder().encode(JSON.stringify(f)).length;
    if (size > IMPORT_LIMITS.findingBytes) {
      tooLarge.push(`${f.Id}: ${size} bytes, over ${IMPORT_LIMITS.findingBytes}`);
      continue;
    }
    if (batch.length === IMPORT_LIMITS.findings || bytes + size > IMPORT_LIMITS.callBytes) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(f);
    bytes += size;
  }
  if (batch.length > 0) batches.push(batch);
  return { batches, tooLarge };
}
