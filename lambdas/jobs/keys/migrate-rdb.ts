/**
 * `migrate --from-rdb` as a use case: the keys of one recovery point's
 * files (sources.ts) restored into a server or cluster through the verified
 * two-pass reader (read-rdb.ts) and the key writer, then with --verify the
 * target checked against the files (verify.ts).
 */
import { connectKeyspace, type KeyspaceSpec } from '../../adapters/redis/dump-restore.js';
import type { ShardSet } from '../../domain/keys/shard-set.js';
import type { MigrateOptions } from './migrate.js';
import { restoreRdbKeys, type RestoreRdbResult } from './read-rdb.js';
import { resolveRdbSources, type RdbSourceSpec } from './sources.js';
import { verifyRdbKeys, type VerifyRdbKeysResult } from './verify.js';
import { parseLossy } from './lossy.js';

/** What {@link migrateFromRdb} restores, where, and how. */
export interface MigrateRdbSpec extends MigrateOptions, RdbSourceSpec {
  readonly to: KeyspaceSpec;
  readonly db?: number;
  /** Also restore the file's function libraries. */
  readonly functions?: boolean;
  /** @internal Bytes per block of the second read's check (tests make blocks small). @default 1 MiB */
  readonly checkBlockBytes?: number;
  /** Check the target against the files afterwards. */
  readonly verify?: boolean;
  readonly onVerifyStart?: (total: number | undefined) => void;
  readonly onVerifyProgress?: (keysSeen: number) => void;
  /** `--lossy`: the losses accepted when keys are re-encoded for a target that cannot read the file (`field-ttl`). */
  readonly lossy?: string;
}

/** A run: the restore, and with --verify (after a complete restore) the check against the files. */
export interface MigrateRdbRun {
  readonly result: RestoreRdbResult;
  readonly source: string;
  readonly target: string;
  readonly set: ShardSet;
  readonly verify?: VerifyRdbKeysResult;
}

/** Restores the `--from-rdb` file(s) into the target, and with `verify` (after a complete restore) checks the target against the files. */
export async function migrateFromRdb(o: MigrateRdbSpec): Promise<MigrateRdbRun> {
  const lossy = parseLossy(o.lossy);
  const { set, files } = await resolveRdbSources(o);
  const target = await connectKeyspace(o.to, 'redis-dr-migrate');
  try {
    const result = await restoreRdbKeys({ files, set }, target, { ...o, lossy, rememberSkipped: Boolean(o.verify) });
    const what = files.length === 1 ? `file ${files[0]!.location}` : `${files.length} shard files of ${set.exportName ?? 'one recovery point'}`;
    const source = result.file ? `${what} (${fileFacts(result, o.db ?? 0)})` : what;
    const complete = !result.error && !result.interrupted && !o.dryRun;
    let verify: VerifyRdbKeysResult | undefined;
    if (o.verify && complete) {
      o.onVerifyStart?.(result.scanned);
      verify = await verifyRdbKeys(files, target, {
        db: o.db,
        match: o.match,
        batchSize: o.batchSize,
        onConflict: o.onConflict,
        skippedKeys: result.skippedKeys,
        digests: result.digests,
        emptyKeys: result.emptyKeys,
        skippedOverflow: result.skipped > result.skippedKeys.size,
        onProgress: o.onVerifyProgress,
        shouldStop: o.shouldStop,
      });
    }
    return { result, source, target: target.label, set, ...(verify ? { verify } : {}) };
  } finally {
    target.close();
  }
}

/**
 * What the file says of itself, so on-call can see it is the recovery point
 * they meant (one taken before the incident): `RDB 10, written
 * 2026-11-21T06:00:30Z by redis 7.0.15, 4501 keys in db 0`.
 */
function fileFacts(r: RestoreRdbResult, db: number): string {
  const f = r.file!;
  const ctime = Number(f.auxFields.ctime);
  const written = Number.isFinite(ctime) && ctime > 0 ? `, written ${new Date(ctime * 1000).toISOString().replace('.000Z', 'Z')}` : '';
  const by = f.auxFields['redis-ver'] ? ` by ${f.magic === 'VALKEY' ? 'valkey' : 'redis'} ${f.auxFields['redis-ver']}` : '';
  const keys = r.keysByDb[db] ?? 0;
  return `RDB ${f.version}${written}${by}, ${keys} key${keys === 1 ? '' : 's'} in db ${db}`;
}
