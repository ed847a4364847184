/**
 * `redis-dr scrub --destination`: stored backups re-read on a schedule, as
 * NIST 800-53 CP-9(1) and SOC 2 A1.3 ask. A run lists the copies redis-dr
 * wrote there, reads the ledger (the earlier runs' records beside the
 * backups), takes a sample such that every copy is re-read within `days`
 * (domain/scrub/sample.ts), re-reads each through the store — the verifier on
 * its structure and CRC-64, its length and SHA-256 hashed on the way — and
 * judges it against what was recorded when it was written
 * (domain/scrub/judge.ts); then leaves its own record, read back like every
 * put, so the next run and the report know what was re-read and when.
 */
import type { BackupStore } from '../../adapters/storage/backup-store.js';
import type { ScrubCoverage } from '../../domain/report/model.js';
import { scrubCandidates, scrubCoverage } from '../../domain/scrub/coverage.js';
import { type ScrubRecord, type ScrubResult, scrubHistory, scrubRecordName } from '../../domain/scrub/record.js';
import { selectScrubSample } from '../../domain/scrub/sample.js';
import { loadSigner, signForDestination } from '../attest/sign.js';
import { openBackupStore } from '../self-managed/clients.js';
import { reReadOne } from './re-read.js';
import { scrubVaultBucket } from './vault-cli.js';
import { UsageError } from '../kernel/usage-error.js';
import { nativeLz4Blocks } from '../../adapters/storage/lz4-native.js';
import { scrubbableCopies, scrubRecords } from '../self-managed/scrub-ledger.js';

/** What to scrub and how much. */
export interface ScrubRequest {
  /** `file:///dir` or `s3://bucket/prefix` (the `backup --to`). */
  readonly destination: string;
  readonly s3Endpoint?: string;
  /** Every copy re-read within this many days (the scrub runs daily). @default 30 */
  readonly days?: number;
  /** Re-read every copy. */
  readonly all?: boolean;
  /** Copies to re-read this run (the due ones always are). @default a `days`-th of them */
  readonly sample?: number;
  /** An Ed25519 private key file (PEM): the run's record is signed into the destination's chain (domain/attest/chain.ts). */
  readonly signingKey?: string;
  /** The destination is a vault bucket (`s3://<vault bucket>/`): its replicas judged against their verdicts, no record written (vault-cli.ts). */
  readonly vault?: boolean;
}

/** What a scrub is given: the clock, the random source, and (for tests) the store. */
export interface ScrubDeps {
  readonly now?: () => Date;
  readonly random?: () => number;
  readonly store?: BackupStore;
  /** Each copy as it is judged (progress). */
  readonly onResult?: (result: ScrubResult) => void;
}

/** A scrub run's outcome. */
export interface ScrubRun {
  readonly destination: string;
  /** The run's record, as written beside the backups. */
  readonly record: ScrubRecord;
  /** The record's name beside the backups; none for a vault (its records' prefix is the scheduled scrub's). */
  readonly recordName?: string;
  /** The copies taken because they were due (not random picks). */
  readonly due: readonly string[];
  /** The coverage after this run. */
  readonly coverage: ScrubCoverage;
}

/**
 * One scrub run. Resolves with its record (written beside the backups) and the
 * coverage after it; a bad copy is a result with `ok: false`, not a throw.
 * @throws UsageError for a destination that is none (exit 2); a store fault writing the record
 */
export async function runScrub(req: ScrubRequest, deps: ScrubDeps = {}): Promise<ScrubRun> {
  const days = req.days ?? 30;
  if (req.vault) {
    if (req.signingKey !== undefined)
      throw new UsageError(
        `--signing-key with --vault: a vault run writes no record to sign (the scheduled vault scrub signs with the vault's KMS key); drop --signing-key`,
      );
    const { signingKey: _k, vault: _v, ...rest } = req;
    return scrubVaultBucket({ ...rest, days }, deps);
  }
  const now = deps.now ?? (() => new Date());
  // A key that cannot sign is refused before anything is read (exit 2), not after the re-reads.
  const signer = req.signingKey === undefined ? undefined : await loadSigner('--signing-key', req.signingKey);
  const store = deps.store ?? (await openBackupStore(req.destination, req.s3Endpoint, '--destination', 'source'));
  const startedAt = now();
  const copies = await scrubbableCopies(store);
  const earlier = await scrubRecords(store);
  const history = scrubHistory(earlier);
  const { files, due } = selectScrubSample(scrubCandidates(copies, history), {
    days,
    ...(req.all ? { all: true } : {}),
    ...(req.sample !== undefined ? { sample: req.sample } : {}),
    now: startedAt,
    random: deps.random ?? Math.random,
  });
  const sizes = new Map(copies.map((c) => [c.file, c.size]));
  const results: ScrubResult[] = [];
  for (const file of files) {
    const result = await reReadOne(store, file, sizes.get(file)!, nativeLz4Blocks);
    deps.onResult?.(result);
    results.push(result);
  }
  const record: ScrubRecord = {
    kind: 'redis-dr-scrub',
    destination: store.url,
    startedAt: startedAt.toISOString(),
    finishedAt: now().toISOString(),
    days,
    copies: copies.length,
    results,
  };
  const recordName = scrubRecordName(startedAt);
  const stored = signer ? await signForDestination(store, record, signer, now()) : record;
  await store.putRecord(recordName, Buffer.from(`${JSON.stringify(stored, null, 2)}\n`, 'utf8'));
  const all = [...earlier, record];
  const coverage = scrubCoverage(copies, scrubHistory(all), { days, now: now(), lastRunAt: startedAt });
  return { destination: store.url, record, recordName, due, coverage };
}
