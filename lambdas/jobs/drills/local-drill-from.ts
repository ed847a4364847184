/**
 * `drill local --from <destination>`: which backup of a destination to
 * drill (the newest one proven stored, or `--point`), and the record the
 * drill leaves beside the backups (domain/self-managed/drill-record.ts), so
 * the destination's report can judge its restore-time control.
 */
import type { BackupStore } from '../../adapters/storage/backup-store.js';
import type { CheckResult } from '../../domain/drills/drill.js';
import { BACKUP_EXTENSION, parseBackupFileName } from '../../domain/self-managed/backup.js';
import { drillRecordName, type LocalDrillRecord } from '../../domain/self-managed/drill-record.js';
import type { Signer } from '../../domain/attest/chain.js';
import { signForDestination } from '../attest/sign.js';
import { openBackupStore } from '../self-managed/clients.js';
import { UsageError } from '../kernel/usage-error.js';
import type { DrillFile, LocalDrillResult } from './local-drill.js';

/** The destination's store, the backup chosen and the file to drill. */
export interface DrillPoint {
  readonly store: BackupStore;
  readonly target: string;
  readonly point: string;
  readonly input: DrillFile;
}

/**
 * The backup to drill: `point` (a file name of `target`), else the newest
 * backup proven stored (read back) of `target` — or of the one target the
 * destination holds. A usage error naming the option and what is there otherwise.
 */
export async function drillPointOf(o: {
  readonly from: string;
  readonly target?: string;
  readonly point?: string;
  readonly s3Endpoint?: string;
}): Promise<DrillPoint> {
  const store = await openBackupStore(o.from, o.s3Endpoint, '--from', false);
  const files = await store.list();
  const targets = [
    ...new Set(
      files
        .filter((f) => f.proven)
        .map((f) => parseBackupFileName(f.file)?.target)
        .filter((t): t is string => t !== undefined),
    ),
  ].sort();
  const target = o.target?.toLowerCase() ?? (targets.length === 1 ? targets[0] : undefined);
  if (target === undefined) {
    throw new UsageError(
      targets.length === 0
        ? `--from ${o.from} holds no backup proven stored: nothing to drill (run redis-dr backup first)`
        : `--from ${o.from} holds backups of ${targets.join(', ')}: name one with --target`,
    );
  }
  const ours = files
    .map((f) => ({ f, at: parseBackupFileName(f.file) }))
    .filter(({ at }) => at?.target === target)
    .sort((a, b) => b.at!.at.getTime() - a.at!.at.getTime());
  let chosen;
  if (o.point !== undefined) {
    const name = o.point.endsWith(BACKUP_EXTENSION) ? o.point : `${o.point}${BACKUP_EXTENSION}`;
    chosen = ours.find(({ f }) => f.file === name)?.f;
    if (!chosen) throw new UsageError(`--point ${o.point}: no backup of ${target} of that name in ${o.from} (the newest is ${ours[0]?.f.file ?? 'none'})`);
  } else {
    chosen = ours.find(({ f }) => f.proven)?.f;
    if (!chosen) throw new UsageError(`--from ${o.from} holds no backup of ${target} proven stored: nothing to drill`);
  }
  const location = store.location(chosen.file);
  const input: DrillFile = location.startsWith('s3://') ? { kind: 's3', url: location } : { kind: 'file', path: location, bytes: chosen.size };
  return { store, target, point: chosen.file, input };
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
    ...(result.ok && load !== undefined ? { rtoSeconds: load + (result.verifySeconds ?? 0) } : {}),
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
