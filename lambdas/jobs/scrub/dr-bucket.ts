/**
 * The scheduled scrub of the DR bucket (NIST 800-53 CP-9(1), SOC 2 A1.3):
 * each daily run lists the `.rdb` copies, reads the ledger (the earlier
 * runs' records under `scrub/`), takes a sample such that every copy is
 * re-read within `days` (domain/scrub/sample.ts), and re-reads each through
 * the one re-read of every scrub (re-read.ts's reReadOne: the verifier
 * on structure and CRC-64, length and SHA-256 hashed on the way, judged by
 * domain/scrub/judge.ts against the key counts verify-rdb tagged on
 * arrival). Where the copy's twin is still in the primary region's export
 * bucket, its length and ETag must be the copy's (S3 replication keeps the
 * ETag, so equal ETags and lengths are the same bytes as exported). Each bad
 * copy pages `rdb-corrupt` naming it; the run's record is written and read
 * back; then a run with a bad copy fails (DrScrubFailed).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { errorName } from '../../adapters/aws/errors.js';
import { getObjectTags, listObjects } from '../../adapters/aws/s3/objects.js';
import { headObject, readRanges } from '../../adapters/aws/s3/ranges.js';
import { readScrubRecords, writeScrubRecord } from '../../adapters/records/scrub-records.js';
import type { Page } from '../../domain/alerting/page.js';
import { TAGS } from '../../domain/plans/types.js';
import { parseRdbSummary } from '../../domain/points/rdb-summary.js';
import type { ScrubCoverage } from '../../domain/report/model.js';
import { scrubCandidates, scrubCoverage } from '../../domain/scrub/coverage.js';
import type { RecordedCopy } from '../../domain/scrub/judge.js';
import { type ScrubRecord, type ScrubResult, scrubHistory, scrubRecordName } from '../../domain/scrub/record.js';
import { selectScrubSample } from '../../domain/scrub/sample.js';
import { SEED_COPY_PREFIX } from '../../domain/vault/vault-seed.js';
import type { PageOrigin } from '../dr-copies/verify-rdb-pages.js';
import type { LogSink } from '../kernel/deps.js';
import { scrubCorruptAlert } from './dr-pages.js';
import { reReadOne } from './re-read.js';

const DAY = 86_400_000;

/** The twin of a DR copy in the primary region's export bucket, as HeadObject answers. */
export interface DrTwin {
  readonly bytes: number;
  readonly etag?: string;
}

const NO_TWIN = new Set(['NotFound', 'NoSuchKey']);

/** The twin lookup in the primary region's export bucket: HeadObject of the same key; none when it is gone there. */
export function twinIn(s3: S3Client, bucket: string): (key: string) => Promise<DrTwin | undefined> {
  return async (key) => {
    try {
      const h = await headObject(s3, bucket, key);
      return { bytes: h.size, ...(h.etag ? { etag: h.etag } : {}) };
    } catch (err) {
      if (NO_TWIN.has(errorName(err))) return undefined;
      throw err;
    }
  };
}

/** What a scheduled scrub of the DR bucket needs from the outside world. */
export interface DrScrubDeps {
  readonly s3: S3Client;
  /** The copy's twin in the primary region (same key), or undefined where there is none (expired there). */
  readonly twin?: (key: string) => Promise<DrTwin | undefined>;
  readonly alert: (page: Page) => Promise<void>;
  readonly where: PageOrigin;
  readonly log: LogSink;
  readonly now?: () => Date;
  readonly random?: () => number;
  readonly reads?: { readonly partBytes?: number; readonly concurrency?: number };
}

/** One run's outcome. */
export interface DrScrubRun {
  readonly record: ScrubRecord;
  /** Where the record is in the DR bucket (`scrub/…`). */
  readonly recordKey: string;
  readonly due: readonly string[];
  readonly coverage: ScrubCoverage;
  readonly bad: readonly ScrubResult[];
}

/** A run that found a bad copy: thrown after its record is written and every bad copy paged, so the Lambda fails. */
export class DrScrubFailed extends Error {
  override readonly name = 'DrScrubFailed';
  constructor(readonly run: DrScrubRun) {
    super(
      `scrub found ${run.bad.length} bad DR ${run.bad.length === 1 ? 'copy' : 'copies'}: ${run.bad.map((b) => b.file).join(', ')} (record ${run.recordKey})`,
    );
  }
}

/** What verify-rdb recorded of a copy on arrival (its tags); no SHA-256 is ever kept for a DR copy. */
async function recordedOfTags(s3: S3Client, bucket: string, key: string): Promise<{ recorded?: RecordedCopy; verdict?: string }> {
  const tags = await getObjectTags(s3, bucket, key);
  const verdict = tags[TAGS.verified];
  if (verdict === undefined) return {};
  const summary = verdict === 'ok' ? parseRdbSummary(tags[TAGS.rdb]) : undefined;
  return {
    verdict,
    recorded: { noDigestKept: "a DR copy is ElastiCache's export; verify-rdb tags its verdict and key counts", ...(summary ? { keys: summary.keys } : {}) },
  };
}

/** The twin's problems: its length and ETag must be the copy's. */
function twinProblems(found: { bytes?: number; etag?: string }, twin: DrTwin | undefined): string[] {
  if (!twin) return [];
  const out: string[] = [];
  if (found.bytes !== undefined && found.bytes !== twin.bytes) out.push(`length ${found.bytes} bytes is not the primary-region twin's ${twin.bytes}`);
  if (found.etag && twin.etag && found.etag !== twin.etag) out.push(`ETag ${found.etag} is not the primary-region twin's ${twin.etag}`);
  return out;
}

/** Re-reads one copy (never skipped: a copy that cannot be read is a bad copy) and compares it with its twin. */
async function scrubOne(bucket: string, key: string, size: number, deps: DrScrubDeps): Promise<ScrubResult> {
  let etag: string | undefined;
  let verdictBefore: string | undefined;
  const source = {
    recordedCopy: async (file: string) => {
      const { recorded, verdict } = await recordedOfTags(deps.s3, bucket, file);
      verdictBefore = verdict;
      return recorded;
    },
    read: async (file: string) => {
      const identity = await headObject(deps.s3, bucket, file);
      etag = identity.etag;
      // If-Match on every part: a copy replaced under the read is a failed read, never two versions' bytes mixed.
      return readRanges(deps.s3, { bucket, key: file, ...(identity.etag ? { etag: identity.etag } : {}), end: identity.size, ...deps.reads });
    },
  };
  const result = await reReadOne(source, key, size);
  const extra: string[] = [];
  if (verdictBefore !== undefined && verdictBefore !== 'ok') extra.push(`verify-rdb found it ${verdictBefore} on arrival`);
  try {
    extra.push(...twinProblems({ ...(result.bytes !== undefined ? { bytes: result.bytes } : {}), ...(etag ? { etag } : {}) }, await deps.twin?.(key)));
  } catch (err) {
    extra.push(`its primary-region twin could not be read: ${err instanceof Error ? err.message : String(err)}`);
  }
  const problems = [...result.problems, ...extra];
  return { ...result, ok: problems.length === 0, problems };
}

/**
 * One scheduled run over the DR bucket `bucket`: every copy re-read within `days`.
 * @throws DrScrubFailed when a copy was bad (after its page and the run's record); a fault listing or writing the record
 */
export async function runDrScrub(req: { readonly bucket: string; readonly days: number }, deps: DrScrubDeps): Promise<DrScrubRun> {
  const now = deps.now ?? (() => new Date());
  const startedAt = now();
  const listed = (await listObjects(deps.s3, req.bucket, '')).filter((o) => o.key.endsWith('.rdb') && !o.key.startsWith(SEED_COPY_PREFIX));
  // A copy younger than a day is still covered by its verification on arrival (verify-rdb pages if that fails).
  const copies = listed
    .map((o) => ({ file: o.key, size: o.size, arrivedAt: o.lastModified ?? startedAt }))
    .filter((c) => startedAt.getTime() - c.arrivedAt.getTime() >= DAY);
  const earlier = await readScrubRecords(deps.s3, req.bucket);
  const { files, due } = selectScrubSample(scrubCandidates(copies, scrubHistory(earlier)), {
    days: req.days,
    now: startedAt,
    random: deps.random ?? Math.random,
  });
  const sizes = new Map(copies.map((c) => [c.file, c.size]));
  const results: ScrubResult[] = [];
  for (const file of files) {
    const result = await scrubOne(req.bucket, file, sizes.get(file)!, deps);
    deps.log[result.ok ? 'info' : 'error']('scrubbed', { file, ok: result.ok, problems: result.problems });
    if (!result.ok) await deps.alert(scrubCorruptAlert(req.bucket, result, deps.where));
    results.push(result);
  }
  const record: ScrubRecord = {
    kind: 'redis-dr-scrub',
    destination: `s3://${req.bucket}/`,
    startedAt: startedAt.toISOString(),
    finishedAt: now().toISOString(),
    days: req.days,
    copies: copies.length,
    results,
  };
  const recordKey = await writeScrubRecord(deps.s3, req.bucket, scrubRecordName(startedAt), record);
  const coverage = scrubCoverage(copies, scrubHistory([...earlier, record]), { days: req.days, now: now(), lastRunAt: startedAt });
  const run: DrScrubRun = { record, recordKey, due, coverage, bad: results.filter((r) => !r.ok) };
  if (run.bad.length > 0) throw new DrScrubFailed(run);
  return run;
}
