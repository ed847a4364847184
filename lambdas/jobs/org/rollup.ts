/**
 * `redis-dr report --org --from <url>`: the organization's roll-up from an
 * evidence tree (file:///dir or s3://bucket[/prefix]) where each account's
 * scheduled reports lie under `<account>/<region>/reports/`, its selftest
 * records under `<account>/<region>/selftest/`, its DR scrub's records
 * under `<account>/<region>/scrub/` and its drills' signed records under
 * `<account>/<region>/drills/<drill region>/<plan>/` (lambdas/domain/org/rollup.ts).
 * One listing of the tree, then per account and region its newest report,
 * the reports of the 90 days before it (for their drills), its newest
 * selftest record, its newest scrub record and the newest record of each drill chain: the requests grow with
 * accounts × regions (and the reports of 90 days, at most 13 weekly and 3 monthly; and plans × regions drilled),
 * never with caches.
 */
import { mapConcurrent } from '../../adapters/aws/retry.js';
import { reportFiles, writeReportFiles } from '../../adapters/host/report-files.js';
import { storageS3Client } from '../../adapters/aws/s3/client.js';
import { FileBackupStore, parseDestination } from '../../adapters/storage/backup-store.js';
import { FileObjectStore } from '../../adapters/storage/object-store-file.js';
import { S3ObjectStore } from '../../adapters/storage/object-store-s3.js';
import type { ObjectStore } from '../../adapters/storage/object-store.js';
import { type MalformedRecord, type OrgRollup, rollUp } from '../../domain/org/figures.js';
import { orgCsv, orgHtml } from '../../domain/org/page.js';
import {
  type AccountRollup,
  accountLine,
  type DrillChainSeen,
  drillChainSeen,
  drillRecordSeenSchema,
  futureReports,
  futureReportWhy,
  mergeDrills,
  missingLine,
  NotJson,
  notRecordWhy,
  type PassedDrill,
  passedDrills,
  reportsPerAccount,
  type ScrubSeen,
  type SelftestSeen,
  scrubSeen,
} from '../../domain/org/rollup.js';
import { splitAccountKey } from '../../domain/points/account-prefix.js';
import { clockCeiling } from '../../domain/points/clock-skew.js';
import { parseDrillRecordKey } from '../../domain/drills/evidence-record.js';
import { SCRUB_RECORDS_PREFIX } from '../../domain/scrub/input.js';
import { SCRUB_RECORD_PREFIX, scrubRecordName, scrubRecordSchema } from '../../domain/scrub/record.js';
import { SELFTEST_PREFIX, selftestRecordKey, selftestRecordSchema } from '../../domain/selftest/steps.js';
import { UsageError } from '../kernel/usage-error.js';
import { readOrgConfig } from './plan.js';
import type { z } from 'zod';

/**
 * Account-regions read at once (each reads its reports one after another). From a local tree 4: the reads are
 * fast and the peak RSS grows with the bodies in flight (bench:org, 300 accounts × 2 regions × 13 weeks, idle
 * machine: 16 at once 310 MiB, 8 288 MiB, 4 276 MiB, 19.7 s); from S3 16: there each read waits on a request.
 */
const READS_AT_ONCE = { file: 4, s3: 16 } as const;

/** The store of `--from`; a URL that is neither file:// nor s3:// is a usage error naming it. */
export function evidenceStore(url: string, s3Endpoint?: string): ObjectStore {
  const where = parseDestination(url);
  if (!where) throw new UsageError(`--from must be file:///dir or s3://bucket[/prefix] (the organization's evidence tree), got ${JSON.stringify(url)}`);
  if (where.kind === 'file') return new FileObjectStore(where.dir);
  return new S3ObjectStore(storageS3Client(s3Endpoint ? { endpoint: s3Endpoint } : {}), where.bucket, where.prefix);
}

/** Parsed JSON of an object, or what stands for JSON that does not parse (judged malformed). */
async function readJson(store: ObjectStore, key: string): Promise<unknown> {
  try {
    return JSON.parse((await store.get(key)).toString('utf8'));
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
    return new NotJson(err.message);
  }
}

/**
 * The newest record per `<account>/<region>` directly under `<account>/<region>/<prefix>` whose name starts with
 * `name` (the names sort by time): the selftest's `selftest/<time>.json`, the scrub's `scrub/redis-dr-scrub-<time>.json`.
 * A name after `ceiling` (the name of a record written at the clock's ceiling, domain/points/clock-skew.ts) is from the
 * future: as the newest it would hide every later run, so it is named in `future` and not judged.
 */
function newestRecords(keys: readonly string[], prefix: string, ceiling: string, future: MalformedRecord[], name = ''): Map<string, string> {
  const newest = new Map<string, string>();
  for (const key of keys) {
    // A record of the tree: `<account>/<region>/<prefix><name>…json` (the layout of domain/points/account-prefix.ts).
    const at = splitAccountKey(key);
    const file = at?.rest.startsWith(prefix) ? at.rest.slice(prefix.length) : undefined;
    const record = file?.startsWith(name) && !file.includes('/') && file.endsWith('.json');
    if (!at || !record) continue;
    if (`${prefix}${file}` > ceiling) {
      future.push({
        key,
        why: `its name sorts after that of a record written now (${ceiling}): from the future, or not named by its time; the newest record before it is judged`,
      });
      continue;
    }
    const where = `${at.account}/${at.region}`;
    if ((newest.get(where) ?? '') < key) newest.set(where, key);
  }
  return newest;
}

/** One drill chain of an account and region in the tree: the places its records hold and its newest record's key and place. */
interface DrillChainKeys {
  /** Places, not keys: a record copied under a second name of its place (`redis-dr-drill-3.json`) fills no gap. */
  places: Set<number>;
  newest: string;
  newestSeq: number;
}

/** The drill chains per `<account>/<region>`: `<account>/<region>/drills/<drill region>/<plan>/redis-dr-drill-<seq>.json`. */
function drillChains(keys: readonly string[]): Map<string, Map<string, DrillChainKeys>> {
  const out = new Map<string, Map<string, DrillChainKeys>>();
  for (const key of keys) {
    const at = splitAccountKey(key);
    const record = at ? parseDrillRecordKey(at.rest) : undefined;
    // Places start at 1 (domain/attest/chain.ts): a key of place 0 is no record of the chain, and would stand for a missing one.
    if (!at || !record || record.seq < 1) continue;
    const where = `${at.account}/${at.region}`;
    const chains = out.get(where) ?? new Map<string, DrillChainKeys>();
    out.set(where, chains);
    const chain = `${record.region}/${record.plan}`;
    const seen = chains.get(chain);
    if (!seen) chains.set(chain, { places: new Set([record.seq]), newest: key, newestSeq: record.seq });
    else {
      seen.places.add(record.seq);
      if (record.seq > seen.newestSeq) Object.assign(seen, { newest: key, newestSeq: record.seq });
    }
  }
  return out;
}

/** The newest record of each of an account-region's drill chains, read and judged; a record that is not one is named malformed. */
async function readDrillChains(store: ObjectStore, chains: Map<string, DrillChainKeys> | undefined, malformed: MalformedRecord[]): Promise<DrillChainSeen[]> {
  const seen: DrillChainSeen[] = [];
  for (const chain of [...(chains?.values() ?? [])].sort((a, b) => a.newest.localeCompare(b.newest))) {
    const r = await readRecord(store, chain.newest, drillRecordSeenSchema, 'drill', malformed);
    if (r && r.attestation.seq !== chain.newestSeq)
      malformed.push({ key: chain.newest, why: `not a drill record: its attestation is of record ${r.attestation.seq}, its name of ${chain.newestSeq}` });
    else if (r) seen.push(drillChainSeen(chain.newest, r, chain.places.size));
  }
  return seen;
}

/** The record at `key` parsed by `schema`, or null with the record named malformed (`what` it should have been). */
async function readRecord<T>(store: ObjectStore, key: string, schema: z.ZodType<T>, what: string, malformed: MalformedRecord[]): Promise<T | null> {
  const body = await readJson(store, key);
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  malformed.push({ key, why: notRecordWhy(`a ${what} record`, body, parsed.error) });
  return null;
}

/** The selftest record at `key`, or the record named malformed. */
async function readSelftest(store: ObjectStore, key: string, malformed: MalformedRecord[]): Promise<SelftestSeen | null> {
  const r = await readRecord(store, key, selftestRecordSchema, 'selftest', malformed);
  if (!r) return null;
  return {
    verdict: r.verdict,
    at: r.finishedAt,
    failed: r.steps.filter((s) => s.verdict === 'failed').map((s) => `${s.step}: ${s.cause ?? s.detail}`),
    ...(r.stacks ? { stacks: r.stacks } : {}),
  };
}

/** The scrub record at `key`, or the record named malformed. */
async function readScrub(store: ObjectStore, key: string, malformed: MalformedRecord[]): Promise<ScrubSeen | null> {
  const r = await readRecord(store, key, scrubRecordSchema, 'scrub', malformed);
  return r ? scrubSeen(r) : null;
}

/** Who should report: the org config's accounts, each expected in `region` (the DR region, where the scheduled report runs). */
export interface ExpectedAccounts {
  readonly accounts: readonly string[];
  readonly region: string;
}

/** The accounts of the org config at `file` (every OU's), expected in its DR region. @throws UsageError on a bad config */
export function expectedAccounts(file: string): ExpectedAccounts {
  const config = readOrgConfig(file);
  return { accounts: [...new Set(config.organizationalUnits.flatMap((ou) => ou.accounts))].sort(), region: config.regions.dr };
}

/** Reads the tree and rolls it up; a report that is not JSON is a malformed line, like one that is not a report. */
export async function orgRollup(store: ObjectStore, now: Date, expected?: ExpectedAccounts): Promise<OrgRollup> {
  const keys = (await store.list()).map((o) => o.key);
  const groups = reportsPerAccount(keys, now);
  const malformed: MalformedRecord[] = futureReports(keys, now).map((k) => ({ key: k.key, why: futureReportWhy(k, now) }));
  const ceiling = clockCeiling(now);
  const selftests = newestRecords(keys, SELFTEST_PREFIX, selftestRecordKey(ceiling), malformed);
  const scrubs = newestRecords(keys, SCRUB_RECORDS_PREFIX, `${SCRUB_RECORDS_PREFIX}${scrubRecordName(ceiling)}`, malformed, SCRUB_RECORD_PREFIX);
  const drills = drillChains(keys);
  const atOnce = store instanceof FileObjectStore ? READS_AT_ONCE.file : READS_AT_ONCE.s3;
  const lines = await mapConcurrent(groups, atOnce, async ({ newest, older }): Promise<AccountRollup> => {
    const earlier: Record<string, PassedDrill[]> = {};
    // Older reports count for their drills only; each body is dropped once read (memory stays per account).
    for (const k of older) mergeDrills(earlier, passedDrills(await readJson(store, k.key)));
    const where = `${newest.account}/${newest.region}`;
    const selftestKey = selftests.get(where);
    const selftest = selftestKey ? await readSelftest(store, selftestKey, malformed) : null;
    const scrubKey = scrubs.get(where);
    const scrub = scrubKey ? await readScrub(store, scrubKey, malformed) : null;
    const chains = await readDrillChains(store, drills.get(where), malformed);
    return accountLine(newest, await readJson(store, newest.key), now, earlier, selftest, scrub, chains);
  });
  const reporting = new Set(lines.map((l) => l.account));
  const missing = (expected?.accounts ?? []).filter((a) => !reporting.has(a)).map((a) => missingLine(a, expected!.region));
  const all = [...lines, ...missing].sort((a, b) => a.account.localeCompare(b.account) || a.region.localeCompare(b.region));
  return rollUp(all, now, malformed);
}

/** Where `report --org` writes: the page, the roll-up as JSON, the accounts as one CSV file, and `accounts.csv` and `caches.csv` in a folder. */
export interface OrgReportOutputs {
  readonly html?: string;
  readonly json?: string;
  readonly csv?: string;
  readonly csvDir?: string;
}

/** The roll-up of the tree at `url`, written where asked; the files written. */
export async function orgReport(
  url: string,
  outputs: OrgReportOutputs,
  now: Date,
  s3Endpoint?: string,
  expected?: ExpectedAccounts,
): Promise<{ rollup: OrgRollup; written: string[] }> {
  const where = parseDestination(url);
  // A folder that is not there is a typo, not an organization with no evidence (exit 2, as report --destination refuses it).
  if (where?.kind === 'file' && !(await new FileBackupStore(where.dir, { create: false }).folderExists()))
    throw new UsageError(`--from ${url}: no such folder (a typo?): nothing was read`);
  const rollup = await orgRollup(evidenceStore(url, s3Endpoint), now, expected);
  const csv = orgCsv(rollup);
  const written = await writeReportFiles([
    ...reportFiles(
      {
        ...(outputs.html ? { html: outputs.html } : {}),
        ...(outputs.json ? { json: outputs.json } : {}),
        ...(outputs.csvDir ? { csvDir: outputs.csvDir } : {}),
      },
      outputs.html ? orgHtml(rollup) : '',
      `${JSON.stringify(rollup, null, 2)}\n`,
      csv,
    ),
    ...(outputs.csv ? [{ path: outputs.csv, text: csv['accounts.csv']! }] : []),
  ]);
  return { rollup, written };
}
