/**
 * `drill local --from <destination>`: which backup of a destination to
 * drill (the newest one proven stored, or `--point`), and the record the
 * drill leaves beside the backups (domain/self-managed/drill-record.ts), so
 * the destination's report can judge its restore-time control.
 */
import type { BackupStore } from '../../adapters/storage/backup-store.js';
import type { CheckResult } from '../../domain/drills/drill.js';
import { drillRecordName, type LocalDrillRecord } from '../../domain/self-managed/drill-record.js';
import type { Signer } from '../../domain/attest/chain.js';
import { signForDestination } from '../attest/sign.js';
import { type ChosenBackup, chooseBackupPoint } from '../self-managed/backup-point.js';
import type { DrillFile, LocalDrillResult } from './local-drill.js';

/** The destination's store, the backup chosen and the file to drill. */
export interface DrillPoint {
  readonly store: BackupStore;
  readonly target: string;
  readonly point: string;
  readonly input: DrillFile;
  /** When the backup chosen is marked a keyspace collapse: its mark and the newest good backup before it (jobs/self-managed/backup-point.ts). */
  readonly collapse?: ChosenBackup['collapse'];
  /** The backup was never proven stored (no read-back record beside it): only `--point` names one. */
  readonly unproven?: true;
}

/**
 * The backup to drill: `point` (a file name of `target`), else the newest
 * backup proven stored (read back) of `target` — or of the one target the
 * destination holds (jobs/self-managed/backup-point.ts, as `serve --from`).
 */
export async function drillPointOf(o: {
  readonly from: string;
  readonly target?: string;
  readonly point?: string;
  readonly s3Endpoint?: string;
}): Promise<DrillPoint> {
  const chosen = await chooseBackupPoint({ ...o, what: 'drill' });
  const sha256 = chosen.file.sha256 !== undefined ? { sha256: chosen.file.sha256 } : {};
  const input: DrillFile = chosen.location.startsWith('s3://')
    ? { kind: 's3', url: chosen.location, ...sha256 }
    : { kind: 'file', path: chosen.location, bytes: chosen.file.size, ...sha256 };
  return {
    store: chosen.store,
    target: chosen.target,
    point: chosen.point,
    input,
    ...(chosen.collapse ? { collapse: chosen.collapse } : {}),
    ...(chosen.file.proven ? {} : { unproven: true as const }),
  };
}

/** The drill's record, written beside the backups (read back); its name. */
export async function recordLocalDrill(
  at: DrillPoint,
  result: LocalDrillResult,
  startedAt: Date,
  startedBy: string | undefined,
  /** Signs the record into the destination's chain (`--signing-key`, jobs/attest/sign.ts). */
  signer?: Signer,
): Promise<string> {
  const checks = (result.checks ?? []).filter((c: CheckResult) => !c.skipped).map((c) => ({ name: c.name, ok: c.ok }));
  const load = result.server?.loadSeconds;
  const record: LocalDrillRecord = {
    target: at.target,
    point: at.point,
    startedAt: startedAt.toISOString(),
    passed: result.ok,
    verdict: result.verdict,
    // Start to verified: the file read (downloaded) and verified, loaded, checked; as the ElastiCache drills' RTO runs from start to verified.
    ...(result.ok && load !== undefined ? { rtoSeconds: (result.readSeconds ?? 0) + load + (result.verifySeconds ?? 0) } : {}),
    ...(result.readSeconds !== undefined ? { readSeconds: result.readSeconds } : {}),
    ...(load !== undefined ? { loadSeconds: load } : {}),
    ...(result.verifySeconds !== undefined ? { verifySeconds: result.verifySeconds } : {}),
    checks,
    ...(result.ok
      ? {}
      : {
          reason:
            result.problem ??
            (checks
              .filter((c) => !c.ok)
              .map((c) => c.name)
              .join(', ') ||
              result.verdict),
        }),
    ...(startedBy ? { startedBy } : {}),
  };
  const name = drillRecordName(at.target, startedAt);
  const stored = signer ? await signForDestination(at.store, record, signer, new Date()) : record;
  await at.store.putRecord(name, Buffer.from(`${JSON.stringify(stored, null, 2)}\n`, 'utf8'));
  return name;
}
