/**
 * The one engine of the scheduled scrubs of a bucket, the DR bucket's
 * (dr-bucket.ts) and the vault's (vault-bucket.ts): list the copies, read
 * the ledger (the earlier runs' records under the place's prefix), take the
 * sample (domain/scrub/sample.ts), re-read each copy through re-read.ts
 * (ranged GETs with If-Match on its ETag) judged against what the place
 * recorded of it on arrival, page `rdb-corrupt` for each bad copy, write the
 * run's record (never over another, read back), and fail the run when a copy
 * was bad or the run stopped at its time budget (PARTIAL: never an OK).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { listObjects } from '../../adapters/aws/s3/objects.js';
import { headObject, type ObjectIdentity, readRanges } from '../../adapters/aws/s3/ranges.js';
import { readScrubLedger, writeScrubRecord } from '../../adapters/records/scrub-records.js';
import type { Page } from '../../domain/alerting/page.js';
import { type AsyncSigner, type Attestation, attestAsync } from '../../domain/attest/chain.js';
import type { ScrubCoverage } from '../../domain/report/model.js';
import { scrubCandidates, scrubCoverage } from '../../domain/scrub/coverage.js';
import type { RecordedCopy } from '../../domain/scrub/judge.js';
import { type ScrubRecord, type ScrubResult, scrubHistory, scrubRecordName } from '../../domain/scrub/record.js';
import { selectScrubSample } from '../../domain/scrub/sample.js';
import type { PageOrigin } from '../dr-copies/verify-rdb-pages.js';
import type { LogSink } from '../kernel/deps.js';
import { ScrubBudget } from './deadline.js';
import { type ScrubbedPlace, scrubCorruptAlert } from './dr-pages.js';
import { reReadOne } from './re-read.js';

const DAY = 86_400_000;

/** What was recorded of a copy on arrival, and what is wrong with that record itself (no verdict, a bad one). */
export interface ArrivalRecord {
  readonly recorded?: RecordedCopy;
  readonly problems: readonly string[];
}

/** Where a scheduled scrub runs: the bucket, which of its objects are copies, and what each is judged against. */
export interface ScrubPlace {
  readonly bucket: string;
  readonly what: ScrubbedPlace;
  /** The prefix of the run's records (the ledger) in the bucket. */
  readonly recordsPrefix: string;
  /** Where each run's record is written a second time (the organization's copy, `<account>/<region>/scrub/`); none without one. */
  readonly orgRecordsPrefix?: string;
  /** Whether a listed key is a copy to re-read. */
  isCopy(key: string): boolean;
  /** What was recorded of the copy on arrival, about the version `current` (HeadObject's answer). */
  arrival(key: string, current: ObjectIdentity): Promise<ArrivalRecord>;
  /** Further problems once read (the DR copy's primary-region twin); a fault here is a problem of the copy. */
  compare?(key: string, found: { readonly bytes?: number; readonly etag?: string }): Promise<string[]>;
}

/** What a scheduled scrub needs from the outside world. */
export interface BucketScrubDeps {
  readonly s3: S3Client;
  readonly alert: (page: Page) => Promise<void>;
  readonly where: PageOrigin;
  readonly log: LogSink;
  readonly now?: () => Date;
  readonly random?: () => number;
  readonly reads?: { readonly partBytes?: number; readonly concurrency?: number };
  /** The Lambda's remaining time (context.getRemainingTimeInMillis): the run stops in time to write a PARTIAL record. */
  readonly remainingMs?: () => number;
  /** Time kept back from `remainingMs` for the pages and the record. @default SCRUB_RESERVE_MS */
  readonly reserveMs?: number;
  /**
   * The deployment's evidence key (KMS, lambdas/adapters/aws/kms-signer.ts): each run's record is signed as the next of
   * the chain of the place's records (docs/attest.md), its deployment the bucket's URL. Unsigned without one.
   */
  readonly signer?: AsyncSigner;
  /** Re-read every copy, or this many (the due ones always), instead of a `days`-th (`redis-dr scrub --vault`). */
  readonly selection?: { readonly all?: boolean; readonly sample?: number };
  /**
   * Write no record (`redis-dr scrub --vault`: the vault reserves its records' prefix for the scheduled scrub's role,
   * so an operator's run re-reads and reports only, and the ledger is the scheduled runs').
   */
  readonly noRecord?: boolean;
}

/** One run's outcome. */
export interface BucketScrubRun {
  readonly record: ScrubRecord;
  /** The record's attestation, when the run signed it. */
  readonly attestation?: Attestation;
  /** Where the record is in the bucket (none when the run writes none: {@link BucketScrubDeps.noRecord}). */
  readonly recordKey?: string;
  readonly due: readonly string[];
  readonly coverage: ScrubCoverage;
  readonly bad: readonly ScrubResult[];
}

/** A run that found a bad copy or stopped PARTIAL: thrown after its pages and its record, so the Lambda fails. */
export class ScrubFailed extends Error {
  override readonly name = 'ScrubFailed';
  constructor(readonly run: BucketScrubRun) {
    const { bad, record } = run;
    const parts = [
      ...(bad.length > 0 ? [`found ${bad.length} bad ${bad.length === 1 ? 'copy' : 'copies'}: ${bad.map((b) => b.file).join(', ')}`] : []),
      ...(record.partial ? [`PARTIAL: ${record.partial.reason}; not re-read: ${record.partial.notReRead.join(', ')}`] : []),
    ];
    super(`scrub of ${record.destination} ${parts.join('; ')} (${run.recordKey ? `record ${run.recordKey}` : 'no record written'})`);
  }
}

/** Re-reads one copy (never skipped: a copy that cannot be read is a bad copy); undefined when cut at the time budget. */
async function scrubOne(place: ScrubPlace, key: string, size: number, deps: BucketScrubDeps, budget: ScrubBudget): Promise<ScrubResult | undefined> {
  let etag: string | undefined;
  let end = size;
  let arrival: ArrivalRecord = { problems: [] };
  const started = Date.now();
  const source = {
    recordedCopy: async (file: string) => {
      const current = await headObject(deps.s3, place.bucket, file);
      etag = current.etag;
      end = current.size;
      arrival = await place.arrival(file, current);
      return arrival.recorded;
    },
    // If-Match on every part: a copy replaced under the read is a failed read, never two versions' bytes mixed.
    read: async (file: string) => budget.bounded(readRanges(deps.s3, { bucket: place.bucket, key: file, ...(etag ? { etag } : {}), end, ...deps.reads })),
  };
  const result = await reReadOne(source, key, size);
  if (budget.expired) return undefined;
  budget.measured(result.bytes ?? 0, Date.now() - started);
  const extra = [...arrival.problems];
  try {
    if (place.compare) extra.push(...(await place.compare(key, { ...(result.bytes !== undefined ? { bytes: result.bytes } : {}), ...(etag ? { etag } : {}) })));
  } catch (err) {
    extra.push(`could not be compared: ${err instanceof Error ? err.message : String(err)}`);
  }
  const problems = [...result.problems, ...extra];
  return { ...result, ok: problems.length === 0, problems };
}

/** The copies of the sample re-read in turn, until one does not fit the time left (then the rest are named, not judged). */
async function reReadSample(
  place: ScrubPlace,
  files: readonly string[],
  sizes: ReadonlyMap<string, number>,
  deps: BucketScrubDeps,
): Promise<{ results: ScrubResult[]; partial?: ScrubRecord['partial'] }> {
  const budget = new ScrubBudget(deps.remainingMs, deps.reserveMs);
  const results: ScrubResult[] = [];
  for (const [i, file] of files.entries()) {
    const size = sizes.get(file)!;
    const result = budget.fits(size) ? await scrubOne(place, file, size, deps, budget) : undefined;
    if (!result) {
      const notReRead = files.slice(i);
      deps.log.error('scrub stopped at its time budget', { notReRead });
      const reason = `stopped before the Lambda's timeout with ${notReRead.length} of the ${files.length} copies of its sample not re-read (${file}, ${size} bytes, did not fit the time left)`;
      return { results, partial: { reason, notReRead } };
    }
    deps.log[result.ok ? 'info' : 'error']('scrubbed', { file, ok: result.ok, problems: result.problems });
    if (!result.ok) await deps.alert(scrubCorruptAlert(place.bucket, result, deps.where, place.what));
    results.push(result);
  }
  return { results };
}

/**
 * One scheduled run over `place`: every copy re-read within `days`.
 * @throws ScrubFailed when a copy was bad or the run stopped PARTIAL (after the pages and the run's record); a fault listing or writing the record
 */
export async function runBucketScrub(place: ScrubPlace, days: number, deps: BucketScrubDeps): Promise<BucketScrubRun> {
  const now = deps.now ?? (() => new Date());
  const startedAt = now();
  const listed = (await listObjects(deps.s3, place.bucket, '')).filter((o) => place.isCopy(o.key));
  // A copy younger than a day is still covered by its verification on arrival (which pages if it fails); `all` takes it too.
  const copies = listed
    .map((o) => ({ file: o.key, size: o.size, arrivedAt: o.lastModified ?? startedAt }))
    .filter((c) => deps.selection?.all || startedAt.getTime() - c.arrivedAt.getTime() >= DAY);
  const { records: earlier, head } = await readScrubLedger(deps.s3, place.bucket, place.recordsPrefix);
  const { files, due } = selectScrubSample(scrubCandidates(copies, scrubHistory(earlier)), {
    days,
    now: startedAt,
    random: deps.random ?? Math.random,
    ...(deps.selection?.all ? { all: true } : {}),
    ...(deps.selection?.sample !== undefined ? { sample: deps.selection.sample } : {}),
  });
  const { results, partial } = await reReadSample(place, files, new Map(copies.map((c) => [c.file, c.size])), deps);
  const record: ScrubRecord = {
    kind: 'redis-dr-scrub',
    destination: `s3://${place.bucket}/`,
    startedAt: startedAt.toISOString(),
    finishedAt: now().toISOString(),
    days,
    copies: copies.length,
    results,
    ...(partial ? { partial } : {}),
  };
  // Signed before it is written: a record KMS did not sign is not written unsigned (the run fails, its alarm pages).
  const attestation = deps.signer
    ? (await attestAsync(record, { deployment: record.destination, ...(head ? { head } : {}), at: now(), signer: deps.signer })).attestation
    : undefined;
  const stored = { ...record, ...(attestation ? { attestation } : {}) };
  const recordKey = deps.noRecord ? undefined : await writeScrubRecord(deps.s3, place.bucket, scrubRecordName(startedAt), stored, place.recordsPrefix);
  // The same record under the account's prefix, also through the verified put: the copy S3 replication takes to the org vault.
  if (place.orgRecordsPrefix && !deps.noRecord) await writeScrubRecord(deps.s3, place.bucket, scrubRecordName(startedAt), stored, place.orgRecordsPrefix);
  const coverage = scrubCoverage(copies, scrubHistory([...earlier, record]), { days, now: now(), lastRunAt: startedAt });
  const run: BucketScrubRun = {
    record,
    ...(attestation ? { attestation } : {}),
    ...(recordKey ? { recordKey } : {}),
    due,
    coverage,
    bad: results.filter((r) => !r.ok),
  };
  if (run.bad.length > 0 || partial) throw new ScrubFailed(run);
  return run;
}
