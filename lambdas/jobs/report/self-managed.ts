/**
 * The DR report of self-managed backups (`redis-dr report --destination`):
 * the backups a destination holds, per target, as the report's facts. Only
 * backups that were read back after they were written count as recovery
 * points (stored = read back); retention is what the destination holds
 * (the oldest proven backup's age), as a backup run's retention lives on its
 * command line. Restore drills are the records `drill local --from
 * <destination>` leaves beside the backups (domain/self-managed/drill-record.ts):
 * the restore-time control is judged on them against `rtoMinutes`; with none
 * in the period it fails, saying to run one.
 */
import { parseHold } from '../../domain/plans/holds.js';
import type { Signer } from '../../domain/attest/chain.js';
import { signForDestination } from '../attest/sign.js';
import type { ReportOutputs } from '../../adapters/host/report-files.js';
import { FileBackupStore, parseDestination } from '../../adapters/storage/backup-store.js';
import { buildReport } from '../../domain/report/build.js';
import type { CacheFacts, DrillFact, DrReport, HoldFact, ReportFacts, RetainedCopy, ScrubCoverage } from '../../domain/report/model.js';
import { scrubCoverage } from '../../domain/scrub/coverage.js';
import { parseScrubRecord, SCRUB_RECORD_PREFIX, type ScrubRecord, scrubHistory } from '../../domain/scrub/record.js';
import { scrubbableCopies } from '../self-managed/scrub-ledger.js';
import { DRILL_RECORD_PREFIX, drillFactOf, parseDrillRecord } from '../../domain/self-managed/drill-record.js';
import type { BackupStore } from '../../adapters/storage/backup-store.js';
import { reportCsv, reportHtml, reportJson } from '../../domain/report/render.js';
import { basename, dirname, relative, sep } from 'node:path';
import { type CompanionPaths, companionFiles, type RenderedReport, withFileDigests, writeLocalReport } from './write.js';
import { parseBackupFileName, type StoredBackup } from '../../domain/self-managed/backup.js';

export interface SelfManagedReportOptions {
  readonly since: Date;
  readonly until: Date;
  readonly generatedAt: Date;
  /** The destination's URL: the report's name for the deployment. */
  readonly destination: string;
  readonly rpoMinutes: number;
  /** The restore time the drills are held to, minutes. */
  readonly rtoMinutes: number;
  readonly timeZone: string;
  readonly minRetentionDays: number;
  /** No backup is to be kept longer than this, days, unless a hold keeps it (report/max-retention.ts). */
  readonly maxRetentionDays?: number;
  /** The policy document the report links to (`report --policy`). */
  readonly policyDocument?: string;
}

const DAY = 86_400_000;

/** The holds a destination's backups carry (a keyspace collapse's), as the report's facts. */
export function backupHolds(files: readonly StoredBackup[]): HoldFact[] {
  const holds: HoldFact[] = [];
  for (const file of files) {
    const parsed = parseBackupFileName(file.file);
    if (parsed && file.hold !== undefined) holds.push({ cache: parsed.target, point: file.file, since: parsed.at, reason: file.hold });
  }
  return holds;
}

/**
 * The backups redis-dr wrote at a destination as copies kept, each with its
 * hold (a collapse hold has a reason and no expiry: it lasts until released).
 */
export function retainedCopies(files: readonly StoredBackup[], destination: string): RetainedCopy[] {
  return files.flatMap((f) => {
    const parsed = parseBackupFileName(f.file);
    if (!parsed || f.tier === undefined) return [];
    return [{ cache: parsed.target, point: f.file, where: destination, at: parsed.at, ...(f.hold !== undefined ? { hold: parseHold(f.hold) } : {}) }];
  });
}

/** The report's facts from the files of one destination (its `list()`). */
export function selfManagedReportFacts(files: readonly StoredBackup[], o: SelfManagedReportOptions, drills: readonly DrillFact[] = []): ReportFacts {
  const byTarget = new Map<string, { file: StoredBackup; at: Date }[]>();
  for (const file of files) {
    const parsed = parseBackupFileName(file.file);
    if (!parsed) continue;
    const list = byTarget.get(parsed.target) ?? [];
    list.push({ file, at: parsed.at });
    byTarget.set(parsed.target, list);
  }
  const caches: CacheFacts[] = [];
  for (const [target, list] of [...byTarget].sort(([a], [b]) => a.localeCompare(b))) {
    const proven = list.filter((b) => b.file.proven === true && b.at <= o.until).sort((a, b) => a.at.getTime() - b.at.getTime());
    const oldest = proven[0];
    caches.push({
      cache: target,
      plan: 'self-managed',
      rpoMinutes: o.rpoMinutes,
      timeZone: o.timeZone,
      retentionDays: oldest ? Math.floor((o.until.getTime() - oldest.at.getTime()) / DAY) : 0,
      retentionObserved: true,
      rtoTargetSeconds: o.rtoMinutes * 60,
      points: proven.map((b) => ({
        name: b.file.file,
        at: b.at,
        ...(b.file.keys !== undefined ? { keys: b.file.keys } : {}),
        ...(b.file.tier ? { tier: b.file.tier } : {}),
      })),
      notApplicable: {
        'cross-region-copy': `self-managed: the copies are the destination's (${o.destination}); where it replicates is the store's setting`,
        'cross-account-copy': 'self-managed: no vault account',
        'vault-lock': 'self-managed: no vault account',
      },
    });
  }
  return {
    deployment: o.destination,
    generatedAt: o.generatedAt,
    since: o.since,
    until: o.until,
    caches,
    unprotected: [],
    unprotectable: [],
    drills: drills.filter((d) => d.startedAt >= o.since && d.startedAt <= o.until),
    alarms: [],
    holds: backupHolds(files),
    minRetentionDays: o.minRetentionDays,
    ...(o.policyDocument !== undefined ? { policyDocument: o.policyDocument } : {}),
    ...(o.maxRetentionDays !== undefined ? { maxRetention: { days: o.maxRetentionDays, copies: retainedCopies(files, o.destination) } } : {}),
    // A destination knows the servers that back up into it, not the ones that do not, and pages through the
    // heartbeat's monitor rather than alarms: "not collected", never an empty "none" that reads as a pass.
    notCollected: {
      coverage: 'self-managed: the destination knows the servers that back up into it, not the others (no inventory to compare with)',
      alarms: "self-managed: alerting is the heartbeat's monitor (its /fail pings and missed runs), not CloudWatch alarms",
    },
  };
}

/** A destination whose report to write: its URL (file:///dir or s3://bucket/prefix) and, for an S3-compatible store, its endpoint. */
export interface ReportDestination {
  readonly url: string;
  readonly s3Endpoint?: string;
}

/**
 * `redis-dr report --destination`: lists the destination, builds the report,
 * writes the files asked for (each read back). The report and the paths written.
 * @throws DestinationError for a URL that names no destination
 */
export async function reportOfDestination(
  destination: ReportDestination,
  options: Omit<SelfManagedReportOptions, 'destination'>,
  outputs: ReportOutputs,
  /**
   * `--signing-key`: the report's JSON is signed as the next of the destination's chain (jobs/attest/sign.ts) and
   * kept beside the backups too (`redis-dr-report-<time>.json`, read back), so the chain has no hole where it is.
   */
  signer?: Signer,
): Promise<{ report: DrReport; written: string[] }> {
  const dest = parseDestination(destination.url);
  if (!dest) throw new DestinationError(`--destination ${destination.url} is not a destination: write file:///absolute/dir or s3://bucket/prefix`);
  const paths = signer ? signedCompanionPaths(outputs) : {};
  let store: BackupStore;
  if (dest.kind === 'file') {
    const folder = new FileBackupStore(dest.dir, { create: false });
    // A folder that is not there is a typo, not a destination with nothing in it (exit 2, as backup refuses it).
    if (!(await folder.folderExists())) throw new DestinationError(`--destination ${destination.url}: no such folder (a typo?): nothing was read or written`);
    store = folder;
  } else {
    const [{ bucketExists, storageS3Client }, { S3BackupStore }] = await Promise.all([
      import('../../adapters/aws/s3/client.js'),
      import('../../adapters/storage/backup-store-s3.js'),
    ]);
    const client = storageS3Client(destination.s3Endpoint ? { endpoint: destination.s3Endpoint } : {});
    // A bucket that is not there is a typo, as a missing folder is: exit 2, never a report of nothing.
    if (!(await bucketExists(client, dest.bucket)))
      throw new DestinationError(
        `--destination ${destination.url}: no such bucket ${dest.bucket} (NoSuchBucket). Check the name (a typo?), or create the bucket first`,
      );
    store = new S3BackupStore(client, dest.bucket, dest.prefix);
  }
  const files: StoredBackup[] = await store.list();
  // The drills `drill local --from` recorded there and the scrub's records; one that does not parse is not guessed at,
  // and not left out in silence: named, it makes the report partial (a damaged newest drill that failed, or scrub that
  // found a bad copy, must not leave an older one to judge).
  const drills = await recordsAt(store, DRILL_RECORD_PREFIX, parseDrillRecord, 'drill record', 'drill local');
  const scrubs = await recordsAt(store, SCRUB_RECORD_PREFIX, parseScrubRecord, 'scrub record', 'scrub');
  const unread = [...drills.unread, ...scrubs.unread];
  const scrub = await scrubCoverageAt(store, scrubs.records, options.until);
  const facts = selfManagedReportFacts(files, { ...options, destination: destination.url }, drills.records.map(drillFactOf));
  const report = buildReport({ ...facts, scrub, ...(unread.length > 0 ? { problems: [...(facts.problems ?? []), ...unread] } : {}) });
  let rendered: RenderedReport = { report, html: reportHtml(report), json: reportJson(report), csv: reportCsv(report) };
  const written: string[] = [];
  if (signer) {
    // The HTML and CSV's digests go into the JSON before it is signed (domain/attest/companions.ts, as the scheduled report's).
    const companions = companionFiles(rendered, paths);
    if (companions.length > 0) rendered = withFileDigests(rendered, paths);
    const json = `${JSON.stringify(await signForDestination(store, JSON.parse(rendered.json) as object, signer, options.generatedAt), null, 2)}\n`;
    rendered = { ...rendered, json };
    const name = reportRecordName(options.generatedAt);
    // With companions the record is kept in a folder of its own with them (the JSON last), so `attest` on the
    // destination finds each beside it, and a later report's files never replace an earlier one's.
    const folder = companions.length > 0 ? name.replace(/\.json$/, '') : undefined;
    for (const f of folder ? companions : []) await store.putRecord(`${folder}/${f.path}`, Buffer.from(f.text, 'utf8'));
    const kept = folder ? `${folder}/${basename(outputs.json!)}` : name;
    await store.putRecord(kept, Buffer.from(json, 'utf8'));
    written.push(`${store.url}${store.url.endsWith('/') ? '' : '/'}${kept}`);
  }
  written.unshift(...(await writeLocalReport(outputs, rendered)));
  return { report, written };
}

/**
 * The scrub's coverage of a destination at `until`, from the runs' records
 * beside the backups (`redis-dr scrub`), against the bound the newest run
 * was given (30 days when none ran).
 */
async function scrubCoverageAt(store: BackupStore, records: readonly ScrubRecord[], until: Date): Promise<ScrubCoverage> {
  const copies = await scrubbableCopies(store);
  const upTo = records.filter((r) => Date.parse(r.startedAt) <= until.getTime()).sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt));
  const newest = upTo.at(-1);
  return scrubCoverage(
    copies.filter((c) => c.arrivedAt <= until),
    scrubHistory(upTo),
    { days: newest?.days ?? 30, now: until, ...(newest ? { lastRunAt: new Date(newest.startedAt) } : {}) },
  );
}

/** The records under `prefix` that `parse` reads, and a problem line naming each that is not one `writer` wrote. */
async function recordsAt<T>(
  store: BackupStore,
  prefix: string,
  parse: (text: string) => T | undefined,
  what: string,
  writer: string,
): Promise<{ records: T[]; unread: string[] }> {
  const records: T[] = [];
  const unread: string[] = [];
  for (const r of await store.records(prefix)) {
    const parsed = parse(r.body.toString('utf8'));
    if (parsed !== undefined) records.push(parsed);
    else
      unread.push(`${what} ${store.url}${store.url.endsWith('/') ? '' : '/'}${r.name} is not one ${writer} wrote (damaged, cut short or changed): not counted`);
  }
  return { records, unread };
}

/**
 * Where a signed report's HTML and CSV lie relative to its JSON's folder, the paths its `companions` name.
 * @throws DestinationError when they are written with no JSON, or outside its folder (the signed JSON could not vouch for them)
 */
export function signedCompanionPaths(outputs: ReportOutputs): CompanionPaths {
  if (outputs.html === undefined && outputs.csvDir === undefined) return {};
  if (outputs.json === undefined)
    throw new DestinationError(
      '--signing-key with --html or --csv: give --json <file> too, so the signed JSON carries their SHA-256 (redis-dr attest checks them)',
    );
  const inside = (option: string, path: string) => {
    const rel = relative(dirname(outputs.json!), path);
    if (rel.startsWith('..') || rel.startsWith(sep) || /^[A-Za-z]:/.test(rel))
      throw new DestinationError(
        `--signing-key: ${option} ${path} is outside the folder of --json ${outputs.json}; write it inside that folder (e.g. ${dirname(outputs.json!)}${sep}report.html), so the signed JSON vouches for it`,
      );
    return rel === '' ? '.' : rel.split(sep).join('/');
  };
  return {
    ...(outputs.html !== undefined ? { html: inside('--html', outputs.html) } : {}),
    ...(outputs.csvDir !== undefined ? { csvDir: inside('--csv', outputs.csvDir) } : {}),
  };
}

/**
 * `redis-dr-report-20261125T031500123Z.json`: a signed report kept beside the backups, named by when it was made
 * (a report of the same period made again is another record of the chain, never one written over).
 */
export function reportRecordName(generatedAt: Date): string {
  return `redis-dr-report-${generatedAt.toISOString().replace(/[-:.]/g, '')}.json`;
}

/** The destination named is none (a usage error for the CLI). */
export class DestinationError extends Error {
  override readonly name = 'DestinationError';
}
