/** What `redis-dr ship-aof` is asked to do, what it reports, and the shipper's shared bookkeeping types. */
import { createHash } from 'node:crypto';
import type { AofDirectory, AofFileHandle, ServerAofState } from '../../adapters/storage/aof-dir.js';
import type { AofStore } from '../../adapters/storage/aof-store.js';

/** What the shipper is asked to do. */
export interface ShipAofRequest {
  readonly dir: AofDirectory;
  readonly store: AofStore;
  readonly intervalMs: number;
  readonly rpoMs: number;
  /** Pinged (success) at most every `everyMs` while the lag is within `rpoMs`. */
  readonly heartbeat?: { readonly url: string; readonly everyMs: number };
  readonly metricsFile?: string;
  /** Largest part (a command larger than this makes one part of its own). @default 64 MiB */
  readonly maxPartBytes?: number;
  /** Written into the destination's marker (which host ships). */
  readonly host?: string;
}

/** The outside world of the shipper. */
export interface ShipAofDeps {
  readonly now: () => number;
  /** Log lines (stderr in the CLI). */
  readonly say: (line: string) => void;
  /** After every cycle (tests, the bench). */
  readonly onCycle?: (cycle: CycleReport) => void;
  /** After every part stored: its file, its end offset, when. */
  readonly onPart?: (file: string, end: number, atMs: number) => void;
  readonly ping?: (url: string) => Promise<string | undefined>;
  /** Asks the server about its AOF every cycle (`--redis`); a failure is said and changes nothing. */
  readonly serverState?: () => Promise<ServerAofState>;
}

/** What one cycle did. */
export interface CycleReport {
  readonly observedAtMs: number;
  readonly endedAtMs: number;
  /** Everything whole the directory held at `observedAtMs` is at the destination, and restorable from it. */
  readonly ok: boolean;
  /** Why a restore to the end would not reach the newest command (no base stored whole, a gap), when it would not. */
  readonly notRestorable?: string;
  /** The base a restore to the end would start from, when there is one. */
  readonly restoreBase?: string;
  readonly lagMs: number;
  readonly parts: number;
  readonly bytes: number;
  readonly heldBackBytes: number;
  readonly errors: readonly string[];
  /** Why the history shipped cannot serve a point-in-time restore (no #TS annotations, AOF off): the heartbeat is withheld. */
  readonly warnings: readonly string[];
  /** Bytes held at the destination per file tracked. */
  readonly files: Readonly<Record<string, number>>;
}

/** The directory or its manifest cannot be shipped (exit 2: the input is wrong). */
export class ShipInputError extends Error {
  override readonly name = 'ShipInputError';
}

/** The destination holds another directory's history (exit 1). */
export class LineageError extends Error {
  override readonly name = 'LineageError';
}

/** A file of the directory as the shipper follows it. */
export interface Tracked {
  readonly name: string;
  readonly kind: 'base' | 'incr';
  readonly seq: number;
  handle?: AofFileHandle;
  /** Bytes held at the destination from 0. */
  covered: number;
  /** Size when last looked at (for the appended-bytes count). */
  lastSize: number;
  /** Its end is recorded at the destination. */
  ended: boolean;
  /** The server no longer writes it. */
  finished: boolean;
  /** A manifest naming it is stored (its bytes may be shipped). */
  announced: boolean;
  heldBack: number;
  /** A problem that stops shipping it (reported every cycle). */
  problem?: string;
  /** Base: stored whole with its record. */
  baseDone?: boolean;
  /** Base: refused by the verifier (never uploaded). */
  baseRejected?: string;
}

export const MIB = 1024 * 1024;
export const MAX_COMMAND_PART = 1024 * MIB;
export const QUIET_LOG_MS = 60_000;

export const sha256hex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Formats bytes for a log line. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < MIB) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / MIB).toFixed(1)} MiB`;
}

/** An error's message for a log line. */
export function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
