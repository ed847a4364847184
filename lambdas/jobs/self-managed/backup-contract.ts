/**
 * What `redis-dr backup` is asked and what it reports (its steps, request, dependencies and report): the
 * contract between the job (backup.ts), the CLI and the tests. Split from backup.ts by what it does.
 */
import type Redis from 'ioredis';
import type { BackupStore } from '../../adapters/storage/backup-store.js';
import type { SaveTiming } from '../../adapters/redis/save.js';
import type { RdbPull, SyncSource } from '../../adapters/redis/sync.js';
import type { BackupRetention } from '../../domain/self-managed/backup.js';
import type { LeaseHolder } from '../../domain/self-managed/lease.js';
import type { RdbReport } from '../../domain/rdb/verifier.js';
import type { Tier } from '../../domain/plans/types.js';

/** The steps of a run, in order. */
export const BACKUP_STEPS = [
  'lease',
  'heartbeat-start',
  'connect',
  'destination',
  'save',
  'sync',
  'write',
  'read-back',
  'index',
  'keyspace',
  'retention',
  'metrics',
  'heartbeat',
] as const;
export type BackupStep = (typeof BACKUP_STEPS)[number];

/** What a run is asked to do. */
export interface BackupRequest {
  /** The server, for messages (password redacted). */
  readonly server: string;
  /** Where to connect (the sync source for remote mode: same host, port, TLS and credentials). */
  readonly source: SyncSource;
  readonly target: string;
  readonly mode: 'local' | 'remote';
  readonly store: BackupStore;
  readonly retention: BackupRetention;
  readonly heartbeat?: { readonly url: string; readonly start: boolean; readonly fail: boolean };
  readonly metricsFile?: string;
  /**
   * A drop of keys (or bytes) by more than this percent against the newest
   * earlier read-back backup of the target is a keyspace collapse (0 keys
   * after a non-empty backup always is).
   * @default 50 (DEFAULT_COLLAPSE_THRESHOLD_PCT)
   */
  readonly collapseThresholdPct?: number;
  /**
   * Days a collapse's hold on the earlier backups lasts from the collapsed
   * backup before the report asks for a decision (the hold stays until
   * released: nothing is deleted then).
   * @default 30 (DEFAULT_COLLAPSE_HOLD_DAYS, domain/plans/holds.ts)
   */
  readonly collapseHoldDays?: number;
  /**
   * The destination lease: how long to wait for a run holding it, and the
   * age after which a lease whose holder cannot be checked (another host)
   * is stale. Absent: no lease (tests of one run; the CLI always takes it).
   */
  readonly lease?: {
    readonly waitSeconds: number;
    readonly staleAfterSeconds: number;
    /** @default this process (`redis-dr backup`, this host, this pid, now, a random token) */
    readonly holder?: LeaseHolder;
  };
}

/** The outside world of a run. */
export interface BackupDeps {
  /** An AUTHed client of the server. */
  readonly connect: () => Promise<Redis>;
  readonly pull: (source: SyncSource) => Promise<RdbPull>;
  /** Opens the file a local save wrote (rejects when it cannot be opened). */
  readonly openFile: (path: string) => Promise<AsyncIterable<Uint8Array>>;
  readonly now: () => number;
  readonly timing: SaveTiming;
  /** Progress lines (stderr in the CLI). */
  readonly say?: (line: string) => void;
}

/** One step's outcome. */
export interface StepResult {
  readonly step: BackupStep;
  readonly ok: boolean;
  readonly detail: string;
  readonly seconds: number;
}

/** What a run did. */
export interface BackupReport {
  readonly ok: boolean;
  readonly target: string;
  readonly mode: 'local' | 'remote';
  readonly server: string;
  readonly destination: string;
  readonly steps: readonly StepResult[];
  readonly failedStep?: BackupStep;
  readonly error?: string;
  /** The backup committed by this run (absent when none was). */
  readonly backup?: {
    readonly file: string;
    readonly location: string;
    readonly tier: Tier;
    readonly bytes: number;
    readonly sha256: string;
    readonly keys: number;
    readonly rdbVersion: number;
    readonly checksum: RdbReport['checksum'];
    /** How the stored bytes were read back and matched (absent when they did not match: then no backup is reported). */
    readonly readBack: { readonly how: string; readonly at: string };
  };
  /** The new backup is a keyspace collapse: the earlier backups it holds. */
  readonly collapse?: {
    readonly detail: string;
    readonly previous: string;
    readonly measure: 'keys' | 'bytes';
    readonly hold: string;
    readonly held: readonly string[];
  };
  readonly retention?: { readonly kept: readonly string[]; readonly deleted: readonly string[]; readonly hold?: string };
  /** Another run holds the destination's lease (who, since when): this run did nothing, and nothing is wrong. */
  readonly busy?: { readonly holder: string; readonly waitedSeconds: number };
  readonly seconds: number;
}
