/**
 * Each cache of an account judged against the account's newest scheduled
 * report, control by control: what the AWS Config custom rule
 * (`redis-dr-verified-copy`) and the Security Hub findings say. Pure.
 *
 * - a data-tiering, Memcached or t1.micro cache: `not-applicable` (no DR copy
 *   is possible; the coverage rule's reason);
 * - a drill's restore: `not-applicable` (deleted when the drill ends);
 * - no report, a report that is none, or one older than its period: `fail`
 *   (the schedule stopped: nothing vouches for the copies now);
 * - a cache the report judged: that control's verdict and why;
 * - a cache the report does not name: `fail`, not protected by redis-dr.
 */
import { type CacheInfo, exportUnsupported, snapshotUnsupported } from '../plans/coverage.js';
import { TAGS } from '../plans/types.js';
import { accountLine, type ReportKey, reportRecordSchema } from './rollup.js';

/** The report controls judged per cache, and what each says when it passes. */
export const CACHE_CONTROLS = {
  'cross-region-copy': 'a verified copy in the DR region within the RPO',
  'restore-time': 'a restore drilled within the period, within the RTO',
} as const;
/** A control judged per cache. */
export type CacheControl = keyof typeof CACHE_CONTROLS;

/** One cache × control. */
export interface CacheVerdict {
  readonly cache: CacheInfo;
  readonly control: CacheControl;
  readonly verdict: 'pass' | 'fail' | 'not-applicable';
  readonly why: string;
  /** When the evidence was made (the report's end); the evaluation time when there is none, or the report is stale. */
  readonly evidenceAt: Date;
}

/** The account's newest report: its key and its parsed JSON body (or what failed to parse). */
export interface NewestReport {
  readonly key: ReportKey;
  readonly body: unknown;
}

/**
 * Every cache × control of `caches` from the newest report (undefined: none
 * found under `where`).
 */
export function cacheVerdicts(caches: readonly CacheInfo[], newest: NewestReport | undefined, where: string, now: Date): CacheVerdict[] {
  const controls = Object.keys(CACHE_CONTROLS) as CacheControl[];
  const line = newest && accountLine(newest.key, newest.body, now);
  const parsed = newest && line?.state !== 'malformed' ? reportRecordSchema.parse(newest.body) : undefined;
  // A stale report's verdicts are judged now, not at its end: Security Hub ignores an update whose UpdatedAt matches or
  // precedes the finding's (finding-update-batchimportfindings), so the FAILED must be dated after the PASSED it replaces.
  const evidenceAt = newest && parsed && line?.state !== 'stale' ? newest.key.until : now;
  const out: CacheVerdict[] = [];
  for (const cache of caches) {
    const all = (verdict: CacheVerdict['verdict'], why: string) => {
      for (const control of controls) out.push({ cache, control, verdict, why, evidenceAt });
    };
    const cannot = snapshotUnsupported(cache) ?? exportUnsupported(cache);
    if (cache.tags[TAGS.drill] !== undefined) all('not-applicable', `a drill's restore (${TAGS.drill}), deleted when the drill ends`);
    else if (cannot) all('not-applicable', cannot);
    else if (!newest) all('fail', `no redis-dr report under ${where}: redis-dr does not protect this account, or its scheduled report never ran`);
    else if (!parsed || line?.state === 'stale') all('fail', `${newest.key.key}: ${line?.why}`);
    else {
      const judged = parsed.caches.find((c) => c.facts.cache === cache.id);
      for (const control of controls) {
        const c = judged?.controls.find((x) => x.control === control);
        if (!judged)
          out.push({
            cache,
            control,
            verdict: 'fail',
            why: `not protected by redis-dr: no plan of ${parsed.deployment} selects it (${newest.key.key})`,
            evidenceAt,
          });
        else if (!c) out.push({ cache, control, verdict: 'fail', why: `report ${newest.key.key} does not judge ${control} for it`, evidenceAt });
        else out.push({ cache, control, verdict: c.verdict === 'n/a' ? 'not-applicable' : c.verdict, why: c.why, evidenceAt });
      }
    }
  }
  return out;
}

/** An AWS Config evaluation of one cache, or of the account for its serverless caches (PutEvaluations' fields). */
export interface RuleEvaluation {
  readonly resourceType: 'AWS::ElastiCache::ReplicationGroup' | typeof ACCOUNT_RESOURCE_TYPE;
  readonly resourceId: string;
  readonly compliance: 'COMPLIANT' | 'NON_COMPLIANT' | 'NOT_APPLICABLE';
  /** At most 256 characters (the API's bound). */
  readonly annotation: string;
}

/** The Config API's bound on an annotation. */
export const ANNOTATION_MAX = 256;

/**
 * The resource type a custom rule evaluates what AWS Config does not record
 * under (AWS's answer for unsupported types): the account itself.
 */
export const ACCOUNT_RESOURCE_TYPE = 'AWS::::Account';

const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);
const COMPLIANCE = { pass: 'COMPLIANT', fail: 'NON_COMPLIANT', 'not-applicable': 'NOT_APPLICABLE' } as const;

/** What the account's evaluation says of its serverless caches: its annotation, written here and read back by `org inventory`. */
export interface ServerlessSummary {
  /** The region's serverless caches. */
  readonly caches: number;
  /** Of them, those without a verified copy within the RPO (those that cannot have one not counted). */
  readonly without: number;
  /** Which the annotation names: those without a verified copy when there are any, else those with one, else those that cannot have one. */
  readonly named: 'without' | 'verified' | 'cannot-copy';
  /** As many names as the annotation's 256 characters hold. */
  readonly names: readonly string[];
  /** True when the annotation was clipped (names left out). */
  readonly clipped: boolean;
}

const WITHOUT = 'without a verified copy within the RPO';
const WITH = 'with a verified copy within the RPO';
const CANNOT = 'none can have a DR copy';
const ZERO = '0 serverless cache(s) in this region';
const NAMED = new RegExp(`^(\\d+) of (\\d+) serverless cache\\(s\\) (${WITHOUT}|${WITH}): (.*)$`, 's');
const NONE_CAN = new RegExp(`^(\\d+) serverless cache\\(s\\), ${CANNOT}: (.*)$`, 's');

/** The annotation that says `s` (clipped to the API's 256 characters). */
export function serverlessAnnotation(s: Omit<ServerlessSummary, 'clipped'>): string {
  const names = s.names.join(', ');
  if (s.caches === 0) return ZERO;
  if (s.named === 'without') return clip(`${s.without} of ${s.caches} serverless cache(s) ${WITHOUT}: ${names}`, ANNOTATION_MAX);
  if (s.named === 'verified') return clip(`${s.names.length} of ${s.caches} serverless cache(s) ${WITH}: ${names}`, ANNOTATION_MAX);
  return clip(`${s.caches} serverless cache(s), ${CANNOT}: ${names}`, ANNOTATION_MAX);
}

/** The summary an annotation of {@link serverlessAnnotation} says; undefined for any other text (another version's, another rule's). */
export function readServerlessAnnotation(text: string): ServerlessSummary | undefined {
  const clipped = text.endsWith('…');
  // A clipped annotation's last name is cut: left out rather than shown wrong.
  const namesOf = (list: string) => {
    const names = list.split(', ').filter((n) => n !== '');
    return clipped ? names.slice(0, -1) : names;
  };
  if (text === ZERO) return { caches: 0, without: 0, named: 'verified', names: [], clipped: false };
  const m = NAMED.exec(text);
  if (m) {
    const named = m[3] === WITHOUT ? 'without' : 'verified';
    return { caches: Number(m[2]), without: named === 'without' ? Number(m[1]) : 0, named, names: namesOf(m[4]!), clipped };
  }
  const none = NONE_CAN.exec(text);
  if (none) return { caches: Number(none[1]), without: 0, named: 'cannot-copy', names: namesOf(none[2]!), clipped };
  return undefined;
}

/**
 * The account's one evaluation for its serverless caches (AWS Config records
 * no `AWS::ElastiCache::ServerlessCache`, so they cannot be evaluated one by
 * one): NON_COMPLIANT naming those without a verified copy within the RPO,
 * else COMPLIANT naming them, else NOT_APPLICABLE when none can have a DR
 * copy. With no serverless cache in the region it is COMPLIANT saying so:
 * every run puts one, so an account evaluation that stopped changing is a
 * rule that stopped running, an account's NON_COMPLIANT does not outlive
 * its last serverless cache, and `org inventory` tells "none" from "not
 * evaluated" (the aggregator's evaluation results carry COMPLIANT and
 * NON_COMPLIANT only, never NOT_APPLICABLE).
 */
function serverlessEvaluation(verdicts: readonly CacheVerdict[], account: string): RuleEvaluation {
  const serverless = verdicts.filter((v) => v.control === 'cross-region-copy' && v.cache.kind === 'serverless-cache');
  const failing = serverless.filter((v) => v.verdict === 'fail');
  const applicable = serverless.filter((v) => v.verdict !== 'not-applicable');
  const [named, listed] =
    failing.length > 0 ? (['without', failing] as const) : applicable.length > 0 ? (['verified', applicable] as const) : (['cannot-copy', serverless] as const);
  const annotation = serverlessAnnotation({ caches: serverless.length, without: failing.length, named, names: listed.map((v) => v.cache.id) });
  const compliance = named === 'without' ? 'NON_COMPLIANT' : named === 'cannot-copy' && serverless.length > 0 ? 'NOT_APPLICABLE' : 'COMPLIANT';
  return { resourceType: ACCOUNT_RESOURCE_TYPE, resourceId: account, compliance, annotation };
}

/**
 * The Config rule's evaluations: the `cross-region-copy` control of each
 * replication group, and (given the account) one evaluation of the account
 * for its serverless caches, which are no resource type Config records
 * (docs/org.md).
 */
export function ruleEvaluations(verdicts: readonly CacheVerdict[], account?: string): RuleEvaluation[] {
  const groups: RuleEvaluation[] = verdicts
    .filter((v) => v.control === 'cross-region-copy' && v.cache.kind === 'replication-group')
    .map((v) => ({
      resourceType: 'AWS::ElastiCache::ReplicationGroup',
      resourceId: v.cache.id,
      compliance: COMPLIANCE[v.verdict],
      annotation: clip(v.why, ANNOTATION_MAX),
    }));
  return account === undefined ? groups : [...groups, serverlessEvaluation(verdicts, account)];
}
