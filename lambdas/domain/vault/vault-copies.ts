/**
 * The vault's copies (config `vault`), pure: whether a replica is still under
 * Object Lock, whether it counts as a recovery point (complete, verified
 * intact by the vault's own verifier, locked in COMPLIANCE mode) and, per
 * target, the verdict `status` and `doctor` print: the newest such recovery
 * point against the DR-copy age limit. The CLI lists the vault bucket, reads
 * tags, verdict objects (vault-verdict.ts: a verdict tag on a replica is never
 * one) and retention with the vault account's credentials and passes them in.
 */
import type { RdbCopy } from '../dr-copies/rdb-copies.js';
import { TAGS } from '../plans/types.js';
import { clockCeiling } from '../points/clock-skew.js';

/** One object version's Object Lock retention as S3 reports it (GetObjectRetention); `undefined` where the object has none. */
export interface ObjectRetention {
  /** `COMPLIANCE` or `GOVERNANCE`. */
  readonly mode: string | undefined;
  readonly retainUntil: Date | undefined;
}

/**
 * locked: every shard under COMPLIANCE until a time still to come; ended: a
 * shard's retention has passed (the vault account may delete it now, the
 * lifecycle soon will); weak: a shard under GOVERNANCE (bypassable); none: a
 * shard without any retention.
 */
export type VaultRetentionState = 'locked' | 'ended' | 'weak' | 'none';

/** A copy's retention: the weakest of its shards'. */
export interface VaultRetention {
  readonly state: VaultRetentionState;
  /** The earliest retain-until of the shards (ISO), null when a shard has none. */
  readonly retainUntil: string | null;
  /** The shards' modes, once each (`COMPLIANCE`). */
  readonly modes: readonly string[];
}

/** The weakest retention of a copy's shards at `now` (a copy is only as protected as its least protected shard). */
export function vaultRetention(shards: readonly (ObjectRetention | undefined)[], now: Date): VaultRetention {
  const until = shards.map((s) => s?.retainUntil?.getTime());
  const known = until.filter((t): t is number => t !== undefined);
  const earliest = known.length === shards.length && known.length > 0 ? Math.min(...known) : undefined;
  const modes = [...new Set(shards.map((s) => s?.mode).filter((m): m is string => m !== undefined))].sort();
  const state: VaultRetentionState =
    shards.length === 0 || earliest === undefined
      ? 'none'
      : earliest <= now.getTime()
        ? 'ended'
        : shards.some((s) => s?.mode !== 'COMPLIANCE')
          ? 'weak'
          : 'locked';
  return { state, retainUntil: earliest === undefined ? null : new Date(earliest).toISOString(), modes };
}

/** A copy in the vault: what `describeCopy` says of it, its retention and age, and whether it is a recovery point. */
export interface VaultCopy extends RdbCopy {
  /** When its snapshot was taken (the `redis-dr:created` tag, else the minute its name encodes), ISO. */
  readonly takenAt: string;
  readonly ageSeconds: number;
  readonly retention: VaultRetention;
  /** Complete, verified intact by the vault's verifier and locked: a restore may take it. */
  readonly recoveryPoint: boolean;
  /** Why it is not a recovery point; null when it is. */
  readonly why: string | null;
}

/**
 * `copy` as a vault copy: a recovery point only when complete, verified ok
 * (by its verdict object), of a time not after now (its age would stay 0 for
 * ever: the `redis-dr:created` tag replicates from the workload account) and
 * locked in COMPLIANCE mode. `noVerdict`: why a
 * shard has no verdict (`no verdict object …`), said when it is not verified.
 */
export function vaultCopy(copy: RdbCopy, retention: VaultRetention, takenAt: Date, now: Date, noVerdict?: string): VaultCopy {
  const why = !copy.complete
    ? (copy.problem ?? 'incomplete')
    : copy.verification === 'corrupt'
      ? `VERIFIED CORRUPT by the vault's verifier: ${copy.problem ?? 'a shard is corrupt'}`
      : copy.verification === 'not-verified'
        ? `not verified (yet) by the vault's verifier${noVerdict ? `: ${noVerdict}` : ''}`
        : takenAt > clockCeiling(now)
          ? `its time ${takenAt.toISOString()} (the ${TAGS.created} tag, else its name) is after now (${now.toISOString()}): a copy from the future proves no age`
          : retention.state === 'ended'
            ? `Object Lock retention ended ${retention.retainUntil}: deletable, no longer a protected copy`
            : retention.state === 'weak'
              ? `Object Lock mode ${retention.modes.join('/')}, not COMPLIANCE: a privileged principal can lift it`
              : retention.state === 'none'
                ? 'no Object Lock retention on every shard: not protected'
                : null;
  return {
    ...copy,
    takenAt: takenAt.toISOString(),
    ageSeconds: Math.max(0, Math.round((now.getTime() - takenAt.getTime()) / 1000)),
    retention,
    recoveryPoint: why === null,
    why,
  };
}

/** ok: a recovery point within the limit; late: the newest is older; missing: none (detail says what there is); error: not read. */
export type VaultState = 'ok' | 'late' | 'missing' | 'error';

/** A target's copies in the vault and the verdict on them. */
export interface VaultTargetVerdict {
  readonly state: VaultState;
  /** The newest copy that is a recovery point; null when none was found. */
  readonly newestRecoveryPoint: VaultCopy | null;
  /** Copies newer than it that are not recovery points, and why the newest is not; null when there are none. */
  readonly newer: string | null;
  readonly detail: string;
}

/**
 * The verdict on a target's vault copies (`copies` newest first, as read;
 * `more`: older exports exist that were not read): the newest recovery point
 * against `limitSeconds` (the DR-copy limit: replicas land with the DR copies).
 */
export function judgeVaultTarget(copies: readonly VaultCopy[], limitSeconds: number, more = false): VaultTargetVerdict {
  const newest = copies.find((c) => c.recoveryPoint) ?? null;
  const first = copies[0];
  if (!newest) {
    const what =
      first === undefined
        ? 'no copy in the vault'
        : `no recovery point among the ${copies.length} newest cop${copies.length === 1 ? 'y' : 'ies'}${more ? ' read' : ''} (newest ${first.exportName}: ${first.why})`;
    return { state: 'missing', newestRecoveryPoint: null, newer: null, detail: what };
  }
  const skipped = copies.indexOf(newest);
  const newer = skipped > 0 ? `${skipped} newer cop${skipped === 1 ? 'y is' : 'ies are'} not (newest ${first!.exportName}: ${first!.why})` : null;
  const detail = `newest recovery point ${newest.exportName}${newer ? `; ${newer}` : ''}`;
  return { state: newest.ageSeconds > limitSeconds ? 'late' : 'ok', newestRecoveryPoint: newest, newer, detail };
}

/** `2027-12-26 06:00Z (COMPLIANCE)`, `ENDED 2026-01-01 00:00Z`, `none`. */
export function retentionText(c: VaultCopy): string {
  const r = c.retention;
  const until = r.retainUntil ? `${r.retainUntil.slice(0, 16).replace('T', ' ')}Z` : null;
  if (r.state === 'none') return 'NONE';
  if (r.state === 'ended') return `ENDED ${until}`;
  return `${until} (${r.modes.join('/')})`;
}
