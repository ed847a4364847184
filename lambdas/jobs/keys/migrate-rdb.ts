/**
 * `migrate --from-rdb` as a use case: the keys of one recovery point's
 * files (sources.ts) restored into a server or cluster through the verified
 * two-pass reader (read-rdb.ts) and the key writer, then with --verify the
 * target checked against the files (verify.ts).
 *
 * Databases: a FLUSHALL empties every database, so by default every
 * database of the file holding keys is restored, each into the target's
 * database of its number, as a server-to-server `migrate` does
 * (domain/keys/databases.ts plans both, from what the verification counted);
 * `--db <src>:<dst>` maps them explicitly, and a --to URL naming a database
 * takes a file holding one. Every target database is opened before a key is
 * written: one the target does not have refuses the run.
 */
import { collectGarbage } from '../../adapters/host/collect-garbage.js';
import { connectKeyspace, namedDatabase, withDatabase, type KeyspaceSpec } from '../../adapters/redis/dump-restore.js';
import type { Keyspace } from '../../adapters/redis/keyspace.js';
import { DatabasePlanError, describeDatabases, planDatabases, type DatabasePair } from '../../domain/keys/databases.js';
import type { ShardSet } from '../../domain/keys/shard-set.js';
import type { MigrateOptions } from './migrate.js';
import { restoreRdbKeys, type RdbDatabasesHeld, type RdbTarget, type RestoreRdbResult } from './read-rdb.js';
import { resolveRdbSources, type RdbSourceSpec } from './sources.js';
import { verifyRdbKeys, type VerifyRdbKeysResult } from './verify.js';
import { parseLossy } from './lossy.js';
import { namedFirst, slotImportRanges } from '../../domain/rdb/report.js';

/** What {@link migrateFromRdb} restores, where, and how. */
export interface MigrateRdbSpec extends MigrateOptions, RdbSourceSpec {
  readonly to: KeyspaceSpec;
  /** `--db <src>:<dst>` mappings. @default every database of the file holding keys, each into its number (or, for a file holding one, into the database the --to URL names) */
  readonly databases?: readonly DatabasePair[];
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

/** How the sides are called in the plan's messages. */
const NAMES = { source: 'the file', target: '--to', option: '--db' };

/**
 * The file databases to restore and where each goes (throws
 * {@link DatabasePlanError}: a usage error, nothing written): the plan of
 * domain/keys/databases.ts, and a cluster target only into its database 0.
 */
export function planRdbDatabases(
  held: RdbDatabasesHeld,
  o: { readonly targetDb?: number; readonly databases?: readonly DatabasePair[]; readonly cluster: boolean },
) {
  const { pairs } = planDatabases({ targetDb: o.targetDb, mappings: o.databases, keysByDb: held.keysByDb, names: NAMES });
  const elsewhere = pairs.filter((p) => p.to !== 0);
  if (o.cluster && elsewhere.length > 0) {
    const holding = elsewhere.map((p) => ({ db: p.from, keys: held.keysByDb[p.from] ?? 0 }));
    throw new DatabasePlanError(
      `a Redis Cluster target has only database 0, and the run would write ${describeDatabases(holding)} of the file into database${elsewhere.length > 1 ? 's' : ''} ${elsewhere.map((p) => p.to).join(', ')}: ` +
        'restore one database of the file per cluster with --db <n>:0',
    );
  }
  return pairs;
}

/** Restores the `--from-rdb` file(s) into the target, and with `verify` (after a complete restore) checks the target against the files. */
export async function migrateFromRdb(o: MigrateRdbSpec): Promise<MigrateRdbRun> {
  const lossy = parseLossy(o.lossy);
  const { set, files } = await resolveRdbSources(o);
  const target = await connectKeyspace(o.to, 'redis-dr-migrate');
  const urlDb = namedDatabase(o.to.url);
  const opened: Keyspace[] = [];
  let targets: ReadonlyMap<number, RdbTarget> = new Map();
  try {
    const result = await restoreRdbKeys({ files, set }, target, {
      ...o,
      lossy,
      rememberSkipped: Boolean(o.verify),
      // Decided once the files are verified; every target database opened before a key is written.
      targets: async (held) => {
        const map = new Map<number, RdbTarget>();
        for (const pair of planRdbDatabases(held, { targetDb: urlDb, databases: o.databases, cluster: target.cluster })) {
          let keyspace = target;
          if (pair.to !== (urlDb ?? 0)) opened.push((keyspace = await connectKeyspace({ ...o.to, url: withDatabase(o.to.url, pair.to) }, 'redis-dr-migrate')));
          map.set(pair.from, { db: pair.to, keyspace });
        }
        targets = map;
        return map;
      },
    });
    const what = files.length === 1 ? `file ${files[0]!.location}` : `${files.length} shard files of ${set.exportName ?? 'one recovery point'}`;
    const source = result.file ? `${what} (${fileFacts(result)})` : what;
    const complete = !result.error && !result.interrupted && !o.dryRun;
    let verify: VerifyRdbKeysResult | undefined;
    if (o.verify && complete) {
      o.onVerifyStart?.(result.scanned);
      // The restore's big payloads go before the third read takes the next ones (bench/README.md, big-types).
      collectGarbage();
      verify = await verifyRdbKeys(files, targets, {
        match: o.match,
        batchSize: o.batchSize,
        onConflict: o.onConflict,
        skippedKeys: result.skippedKeys,
        digests: result.digests,
        emptyKeys: result.emptyKeys,
        skippedOverflow: result.skipped > result.skippedKeys.size,
        // The ids a server derives of a type 15 are what the target holds only where streams went as type 15 with that loss
        // (an RDB 9 target): into a newer one they went as type 19, their stored ids copied, and are held as the file has them.
        // Likewise field TTLs: let go only where hashes went re-encoded (a target without them), all of them then; into one that
        // keeps them nothing was lost, and its hashes are held with their TTLs, cut at the verification's time (as the target cuts them).
        lossy: new Set([...lossy].filter((l) => (l !== 'stream-ids' && l !== 'field-ttl') || (result.lost[l] ?? 0) > 0)),
        moduleValuesLeftOut: (result.lost.module ?? 0) > 0,
        emptyIdmpLeftOut: result.emptyIdmp > 0,
        fieldsCutAtMs: result.fieldsCutAtMs,
        onProgress: o.onVerifyProgress,
        shouldStop: o.shouldStop,
      });
    }
    return { result, source, target: target.label, set, ...(verify ? { verify } : {}) };
  } finally {
    for (const ks of opened) ks.close();
    target.close();
  }
}

/**
 * What the file says of itself, so on-call can see it is the recovery point
 * they meant (one taken before the incident): `RDB 10, written
 * 2026-11-21T06:00:30Z by redis 7.0.15, 4501 keys in db 0` (or
 * `…, 7000 keys in dbs 0 (4501), 3 (2499)`: the databases restored, or all the file holds when the run was refused first).
 */
function fileFacts(r: RestoreRdbResult): string {
  const f = r.file!;
  const ctime = Number(f.auxFields.ctime);
  const written = Number.isFinite(ctime) && ctime > 0 ? `, written ${new Date(ctime * 1000).toISOString().replace('.000Z', 'Z')}` : '';
  const by = f.auxFields['redis-ver'] ? ` by ${f.magic === 'VALKEY' ? 'valkey' : 'redis'} ${f.auxFields['redis-ver']}` : '';
  // Before a plan of databases (a run refused first): every database the file holds keys in, not database 0 alone.
  const held = Object.keys(r.keysByDb)
    .map(Number)
    .sort((a, b) => a - b);
  const dbs = r.databases.length > 0 ? r.databases.map((p) => p.from) : held.length > 0 ? held : [0];
  const keysOf = (d: number) => r.keysByDb[d] ?? 0;
  const keys = dbs.reduce((n, d) => n + keysOf(d), 0);
  // At most 16 named (namedFirst): a file of keys in 130,000 databases made a line of megabytes.
  const where =
    dbs.length === 1
      ? `db ${dbs[0]}`
      : `dbs ${namedFirst(
          dbs.map((d) => `${d} (${keysOf(d)})`),
          ', ',
          'database',
        )}`;
  // Keys of slots a Valkey primary was importing when it saved: restored as keys, though Valkey loading the file drops them.
  const importing = f.slotImportJobs
    ? `; saved while importing slots ${slotImportRanges(f)} (Valkey atomic slot migration): the keys of those slots are restored as the file holds them, yet a Valkey primary loading the file drops them once the unfinished import fails: they may be a partial copy of slots another node owned`
    : '';
  // A file the verifier refused (corrupt, or a format it cannot judge) was not read whole: its count is no count of its keys.
  if (!f.ok) return `RDB ${f.version}${written}${by}, refused: its keys not counted`;
  return `RDB ${f.version}${written}${by}, ${keys} key${keys === 1 ? '' : 's'} in ${where}${importing}`;
}
