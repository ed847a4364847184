/**
 * The verifiers' verdicts as objects: one source for where they live and
 * what they hold, in the DR bucket and in the vault. A verdict tag on a copy
 * (`redis-dr:verified`, `redis-dr:rdb`) can be written by whoever may tag
 * the object: the vault's replicas carry the workload account's tags (S3
 * replication copies them), and in the DR bucket the operator's
 * `retention release` re-puts a copy's whole tag set, which IAM cannot tell
 * from a changed `redis-dr:rdb` summary (issue 53 item 3). So the verdict
 * that counts is an object under a prefix that only the verifier's role may
 * write (each bucket's policy; the operator policy denies it too), and it
 * counts only when it names the copy's current version (id and ETag). The
 * tags are still written, for people and for the S3 console. Pure.
 */
import { z } from 'zod';
import { TAGS } from '../plans/types.js';
import { rdbVerdict, type RdbReport } from '../rdb/report.js';
import { formatRdbSummary, parseRdbSummary } from './rdb-summary.js';

/** Which verifier's verdicts: the DR region's (the DR bucket) or the vault's (the vault bucket). */
export type VerdictPlace = 'dr' | 'vault';

/**
 * The reserved prefix of verdict objects in each bucket. Copies are
 * `rdr-…` (or `<account>/<region>/rdr-…`): never in one.
 */
export const VERDICT_PREFIX: Readonly<Record<VerdictPlace, string>> = {
  dr: 'redis-dr-verdicts/',
  vault: 'redis-dr-vault-verdicts/',
};

/**
 * Each bucket's chain of signed verdicts (docs/attest.md): each verdict its
 * verifier gives, signed with the evidence key of its place (the DR stack's,
 * the vault's), as record `<seq>.json` of one linear chain (12 digits, so
 * keys list in chain order).
 */
export const VERDICT_CHAIN_PREFIX: Readonly<Record<VerdictPlace, string>> = {
  dr: 'redis-dr-verdict-chain/',
  vault: 'redis-dr-vault-verdict-chain/',
};
/** Where a chain's writers leave the newest `seq` they saw: a hint for the next listing, never evidence (no `.json`: not a record). */
export function verdictChainHeadKey(place: VerdictPlace): string {
  return `${VERDICT_CHAIN_PREFIX[place]}head`;
}

/** Every prefix only a verifier writes (the buckets' policies and the operator policy deny writes under each to all others). */
export const VERDICT_PREFIXES: readonly string[] = [...Object.values(VERDICT_PREFIX), ...Object.values(VERDICT_CHAIN_PREFIX)];

/** The key of the verdict object of the copy `copyKey`: `<prefix><copy key>.json`. */
export function verdictObjectKey(place: VerdictPlace, copyKey: string): string {
  return `${VERDICT_PREFIX[place]}${copyKey}.json`;
}

/** Whether `key` is under a verdict prefix (a verdict or a chain record, never a copy: listings of copies leave them out). */
export function isVerdictObjectKey(key: string): boolean {
  return VERDICT_PREFIXES.some((p) => key.startsWith(p));
}

/** The key of record `seq` (from 1) of `place`'s verdict chain. */
export function chainRecordKey(place: VerdictPlace, seq: number): string {
  return `${VERDICT_CHAIN_PREFIX[place]}${String(seq).padStart(12, '0')}.json`;
}

/** The `seq` a record's key of `place`'s chain names; undefined for any other key (the hint, a stray object). */
export function chainSeqOfKey(place: VerdictPlace, key: string): number | undefined {
  const prefix = VERDICT_CHAIN_PREFIX[place];
  if (!key.startsWith(prefix)) return undefined;
  const m = /^(\d{12})\.json$/.exec(key.slice(prefix.length));
  return m ? Number(m[1]) : undefined;
}

/**
 * The verifier's counts of an intact copy: what the `redis-dr:rdb` tag
 * carries (domain/points/rdb-summary.ts), field for field.
 */
export const verdictKeysSchema = z.object({
  /** RDB format version. */
  version: z.number().int().nonnegative(),
  /** Keys in the file (the drill's restored key count is checked against the sum over the shards). */
  keys: z.number().int().nonnegative(),
  /** Keys with an expiry. */
  expires: z.number().int().nonnegative(),
  /** Keys per type (`string`, `hash`, …). */
  byType: z.record(z.string(), z.number().int().nonnegative()),
  /** When the expiring keys expire (an expiry histogram's text form, domain/rdb/expiry-histogram.ts). */
  expiryHistogram: z.string().min(1).optional(),
  /** The databases holding keys, when not db 0 alone. */
  databases: z.array(z.number().int().nonnegative()).optional(),
  /** Function libraries in the file, when any (the summary's `fn=N`). */
  functionLibraries: z.number().int().positive().optional(),
});
export type VerdictKeys = z.infer<typeof verdictKeysSchema>;

/**
 * The body of a verdict object (JSON). `replica` names the exact version of
 * the copy judged (a DR copy is a replica too: S3 replication wrote it): a
 * verdict counts only for that version id and ETag ({@link verdictNamesReplica}).
 * `passthrough`: a signed verdict also carries its `attestation`
 * (domain/attest/chain.ts), which this schema does not judge.
 */
export const verdictObjectSchema = z
  .object({
    verdict: z.enum(['ok', 'corrupt', 'unsupported']),
    replica: z.object({
      key: z.string().min(1),
      versionId: z.string().min(1),
      etag: z.string().min(1),
      size: z.number().int().nonnegative(),
    }),
    keys: verdictKeysSchema,
    /** When the verification finished (ISO instant). */
    checkedAt: z.string().refine((s) => !Number.isNaN(Date.parse(s)), { message: 'must be an ISO-8601 instant' }),
    /** Corrupt or unsupported: where and why (`at byte N: …`). */
    reason: z.string().optional(),
    /**
     * An `ok` whose check for a key stored twice was partial (the report's duplicateKeyCheck): the keys before
     * `fromOffset` were not held against each other (a verification resumed from a checkpoint: none carries the keys'
     * digests) and no key index could complete it (jobs/dr-copies/copy-key-index.ts duplicatesOverAll: a resumed
     * verification's index, made from every invocation's keys, is checked before the verdict), or they were checked on
     * a sample (`detectionProbability` below 1). Said in the verdict itself, not only in the log (review 46). Absent
     * when the check covered every key exactly.
     */
    duplicateKeyCheck: z.object({ fromOffset: z.number().int().nonnegative(), detectionProbability: z.number().min(0).max(1) }).optional(),
  })
  .passthrough();
export type VerdictObject = z.infer<typeof verdictObjectSchema>;

/** The version of a copy a verdict is about (HeadObject's answer). */
export interface ReplicaVersion {
  readonly key: string;
  readonly versionId?: string;
  readonly etag?: string;
  readonly size: number;
}

/**
 * The verdict object for `report` on `replica`. Throws when the copy has no
 * version id or ETag (both buckets are versioned: a copy without one is not
 * what S3 replication writes).
 */
export function verdictObjectOf(report: RdbReport, replica: ReplicaVersion, checkedAt: Date): VerdictObject {
  if (!replica.versionId || !replica.etag) {
    throw new Error(
      `copy ${replica.key} has versionId ${JSON.stringify(replica.versionId)} and ETag ${JSON.stringify(replica.etag)}: ` +
        'a verdict must name both (is versioning on for the bucket?)',
    );
  }
  const summary = parseRdbSummary(formatRdbSummary(report));
  const keys: VerdictKeys = {
    version: report.version,
    keys: report.keys,
    expires: report.expires,
    byType: report.ok ? { ...(summary?.byType ?? {}) } : {},
    ...(report.ok && summary?.expiryHistogram ? { expiryHistogram: summary.expiryHistogram } : {}),
    ...(report.ok && summary?.databases ? { databases: [...summary.databases] } : {}),
    ...(report.ok && report.functionLibraries > 0 ? { functionLibraries: report.functionLibraries } : {}),
  };
  const reason = report.ok ? undefined : report.error ? `at byte ${report.error.offset}: ${report.error.message}` : 'checksum mismatch';
  return verdictObjectSchema.parse({
    verdict: rdbVerdict(report),
    replica: { key: replica.key, versionId: replica.versionId, etag: replica.etag, size: replica.size },
    keys,
    checkedAt: checkedAt.toISOString(),
    ...(reason ? { reason } : {}),
    ...(report.ok && report.duplicateKeyCheck ? { duplicateKeyCheck: { ...report.duplicateKeyCheck } } : {}),
  });
}

/** The JSON a verdict object holds (its fields in the schema's order, so two equal verdicts are equal text). */
export function verdictObjectBody(verdict: VerdictObject): string {
  return `${JSON.stringify(verdictObjectSchema.parse(verdict), null, 2)}\n`;
}

/**
 * Parses a verdict object's body; `{ problem }` naming what is wrong for
 * anything that is not one (never a verdict).
 */
export function parseVerdictObject(body: string): { verdict: VerdictObject } | { problem: string } {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (err) {
    return { problem: `not JSON (${(err as Error).message})` };
  }
  const parsed = verdictObjectSchema.safeParse(json);
  if (!parsed.success) return { problem: parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ') };
  return { verdict: parsed.data };
}

/**
 * Whether `verdict` is about `current`, the copy's current version: the
 * same key, version id and ETag (both present). A verdict about an older
 * version, or another key, is no verdict.
 */
export function verdictNamesReplica(verdict: VerdictObject, current: ReplicaVersion): boolean {
  return (
    verdict.replica.key === current.key &&
    current.versionId !== undefined &&
    current.etag !== undefined &&
    verdict.replica.versionId === current.versionId &&
    verdict.replica.etag === current.etag
  );
}

/**
 * A copy's tags as readers may use them: every verdict tag
 * (`redis-dr:verified`, `redis-dr:rdb`) dropped, whoever wrote it, and the
 * verdict object's put in their place when `verdict` is given (the caller
 * passes only one that {@link verdictNamesReplica}). The other tags (plan,
 * tier, shard, engine, created) are the export's, as written.
 */
export function trustedVerdictTags(tags: Readonly<Record<string, string>>, verdict: VerdictObject | undefined): Record<string, string> {
  const { [TAGS.verified]: _verified, [TAGS.rdb]: _rdb, ...rest } = tags;
  if (!verdict) return rest;
  return { ...rest, [TAGS.verified]: verdict.verdict, ...(verdict.verdict === 'ok' ? { [TAGS.rdb]: summaryText(verdict.keys) } : {}) };
}

/** A verdict's counts in the `redis-dr:rdb` summary's text (parseRdbSummary reads it back; not cut to a tag's length). */
function summaryText(k: VerdictKeys): string {
  return [
    `v=${k.version} keys=${k.keys} expires=${k.expires}`,
    ...(k.databases ? [`dbs=${k.databases.join('+')}`] : []),
    ...(k.functionLibraries ? [`fn=${k.functionLibraries}`] : []),
    ...Object.entries(k.byType).map(([type, n]) => `${type}=${n}`),
    ...(k.expiryHistogram ? [`ttl=${k.expiryHistogram}`] : []),
  ].join(' ');
}

/**
 * The value readers see in `redis-dr:verified` for a DR copy whose verdict
 * tag has no verdict object naming its current version: not `ok`, not
 * `corrupt`, not pending either (a verdict was claimed, by whoever could tag
 * the copy). Re-verifying the copy (`redis-dr verify-copy`) writes the object.
 */
export const UNPROVEN_VERDICT = 'unproven';

/** How a reader names a verdict tag it did not take for want of a verdict object naming the copy's current version. */
export const NO_VERDICT_OBJECT = 'without a verdict object';

/** A DR copy as readers may use it: its trusted tags, and why a verdict tag on it was not taken. */
export interface CopyReading {
  readonly tags: Record<string, string>;
  /**
   * A verdict tag the reader did not take, and why: no verdict object names
   * the copy's current version (`tags` then say {@link UNPROVEN_VERDICT}),
   * or the tag differs from the object (whose verdict `tags` carry).
   */
  readonly untrusted?: string;
}

/**
 * A DR copy's tags judged against its verdict object. `verdict`: the object
 * when it names the copy's current version (else undefined, and `absent`
 * says why). Trusted: the object's verdict; a verdict tag without such an
 * object is {@link UNPROVEN_VERDICT}; a tag that says otherwise than the
 * object is named. No verdict tag and no object: not verified yet.
 */
export function judgeCopyVerdict(tags: Readonly<Record<string, string>>, verdict: VerdictObject | undefined, absent: string | undefined): CopyReading {
  const claimed = tags[TAGS.verified];
  if (verdict) {
    const differs = claimed !== undefined && !tagAgrees(claimed, tags[TAGS.rdb], verdict);
    return {
      tags: trustedVerdictTags(tags, verdict),
      ...(differs
        ? {
            untrusted:
              `verdict tag ${TAGS.verified}=${claimed}${tags[TAGS.rdb] ? ` ${TAGS.rdb}="${tags[TAGS.rdb]}"` : ''} differs from the verdict object ` +
              `(${verdict.verdict}, ${verdict.keys.keys} keys): the object's verdict holds`,
          }
        : {}),
    };
  }
  if (claimed === undefined) return { tags: trustedVerdictTags(tags, undefined) };
  return {
    tags: { ...trustedVerdictTags(tags, undefined), [TAGS.verified]: UNPROVEN_VERDICT },
    untrusted: `verdict tag ${TAGS.verified}=${claimed} ${NO_VERDICT_OBJECT} (${absent ?? 'none'}): not trusted`,
  };
}

/** Whether a verdict tag (and its summary) says what the object says: the verdict, and for `ok` the counts. */
function tagAgrees(claimed: string, summary: string | undefined, verdict: VerdictObject): boolean {
  if (claimed !== verdict.verdict) return false;
  if (verdict.verdict !== 'ok') return true;
  const s = parseRdbSummary(summary);
  const k = verdict.keys;
  return (
    s !== undefined &&
    s.version === k.version &&
    s.keys === k.keys &&
    s.expires === k.expires &&
    JSON.stringify(Object.entries(s.byType).sort()) === JSON.stringify(Object.entries(k.byType).sort())
  );
}
