/**
 * The `.rdb` copies of recovery points, for the key-level fast path
 * (`migrate --from-rdb`, docs/runbooks/flushall.md), pure: whether an export
 * of a snapshot is in a bucket, whether all its shards are there and what
 * the verifier said, where it is as `s3://<bucket>/<export name>` (the form
 * `restore --from` and `migrate --from-rdb` take for all shards of an
 * export), and which copy the fast path should read. `status` and `restore`
 * list the buckets, read the tags and pass them in.
 */
import { exportShards, exportVerification, type DrExport } from '../points/choice.js';
import { parseSnapshotName } from '../plans/naming.js';
import { RUNBOOKS } from '../alerting/catalog.js';

/** Which bucket a copy is in: the primary region's export bucket, the DR bucket it replicates to, or the vault account's bucket (config `vault`). */
export type CopyWhere = 'primary' | 'dr' | 'vault';

/** `ok`: every shard verified intact; `corrupt`: at least one verified corrupt; `not-verified`: the others. */
export type CopyVerification = 'ok' | 'corrupt' | 'not-verified';

/** One export of a recovery point in one bucket. */
export interface RdbCopy {
  readonly where: CopyWhere;
  readonly region: string;
  readonly bucket: string;
  /** The export's `TargetSnapshotName`: the snapshot's name, or `<snapshot>-r<n>` for a later attempt. */
  readonly exportName: string;
  /** `s3://<bucket>/<export name>`: every shard of the export, ready for `migrate --from-rdb` and `restore --from`. */
  readonly location: string;
  /** Shard objects found. */
  readonly shardsFound: number;
  /** Shards the export has, from its `redis-dr:shard` tags; null when they do not say (not tagged yet). */
  readonly shards: number | null;
  /** Shards of `shards` not found. */
  readonly missingShards: readonly number[];
  /** Every shard is there and their tags agree. */
  readonly complete: boolean;
  readonly verification: CopyVerification;
  /** Shards whose verdict tag has no verdict object (not trusted: `not-verified`); absent when none. */
  readonly unproven?: readonly string[];
  /** What keeps the copy from the fast path (incomplete, corrupt); null when it can seed it. */
  readonly problem: string | null;
}

/** A recovery point (a snapshot) of a target and its copies. */
export interface PointCopies {
  /** The snapshot's name. */
  readonly recoveryPoint: string;
  /** When it was taken, to the minute its name encodes (UTC). */
  readonly takenAt: string | null;
  /** It is the target's newest snapshot. */
  readonly newest: boolean;
  /** Its copies, primary bucket first; a bucket without one is left out. */
  readonly copies: readonly RdbCopy[];
}

/** The copy key-level recovery reads, and the command that does it. */
export interface FastPath {
  readonly recoveryPoint: string;
  readonly where: CopyWhere;
  readonly location: string;
  readonly command: string;
}

/** The way to key-level recovery without an `.rdb` copy: restore a temporary cluster and copy the keys back. */
export const TEMPORARY_CLUSTER_PATH = `use the temporary-cluster path (${RUNBOOKS.flushAll})`;

/** What is said for a recovery point without an `.rdb` copy. */
export const NO_RDB_COPY = `no .rdb copy: ${TEMPORARY_CLUSTER_PATH}`;

/** `s3://<bucket>/<export name>`. */
export function exportLocation(bucket: string, exportName: string): string {
  return `s3://${bucket}/${exportName}`;
}

/** What the export's objects' keys carry before its name (`''` at a bucket's root). */
function keyPrefixOf(exp: DrExport): string {
  const key = exp.objects[0]?.key ?? '';
  const at = key.indexOf(exp.exportName);
  return at > 0 ? key.slice(0, at) : '';
}

/** The key-level fast path for `location`; `to` is the server to restore into (a placeholder when unknown). Never holds a secret. */
export function fastPathCommand(location: string, to = '<url>'): string {
  return `redis-dr migrate --from-rdb ${location} --to ${to}`;
}

/** A copy as its objects and their tags (`tagsByKey`) describe it. */
export function describeCopy(
  exp: DrExport,
  tagsByKey: ReadonlyMap<string, Readonly<Record<string, string>>>,
  at: { readonly where: CopyWhere; readonly region: string; readonly bucket: string },
): RdbCopy {
  const shards = exportShards(exp, tagsByKey);
  const verification = exportVerification(exp, tagsByKey);
  const pad = (n: number) => String(n).padStart(4, '0');
  const problem = !shards.complete
    ? shards.of === undefined
      ? `shard(s) ${shards.found.map(pad).join(', ')} found, no shard count tagged (export not finished?)`
      : shards.missing.length > 0
        ? `incomplete: shard(s) ${shards.missing.map(pad).join(', ')} of ${shards.of} missing`
        : `incomplete: shard tags disagree (${shards.found.map(pad).join(', ')} of ${shards.of})`
    : verification.state === 'corrupt'
      ? `${verification.corrupt.join(', ')} verified corrupt`
      : null;
  return {
    ...at,
    exportName: exp.exportName,
    // Its objects' key prefix too: an organization's vault keeps an account's replicas under `<account>/<primary region>/`.
    location: exportLocation(at.bucket, `${keyPrefixOf(exp)}${exp.exportName}`),
    shardsFound: exp.objects.length,
    shards: shards.of ?? null,
    missingShards: shards.missing,
    complete: shards.complete,
    verification: verification.state,
    ...(verification.unproven.length > 0 ? { unproven: verification.unproven } : {}),
    problem,
  };
}

/** The newest export (latest attempt) of `snapshot` among `exports` (ordered as `drExportsByTarget` orders them). */
export function exportOf(exports: readonly DrExport[], snapshot: string): DrExport | undefined {
  return exports.find((e) => e.snapshot === snapshot);
}

/**
 * The recovery points to show for a target, newest first: its newest
 * snapshot, the newest export in each bucket, and the newest copy a DR
 * restore would take (`usableDr`, an export name). Bounded: at most four,
 * usually two (the newest snapshot, and the newest one exported).
 */
export function pointsToShow(o: {
  readonly newestSnapshot?: string;
  readonly usableDr?: string;
  readonly primary?: readonly DrExport[];
  readonly dr?: readonly DrExport[];
}): string[] {
  const names = [
    o.newestSnapshot,
    o.primary?.[0]?.snapshot,
    o.dr?.[0]?.snapshot,
    o.usableDr === undefined ? undefined : o.dr?.find((e) => e.exportName === o.usableDr)?.snapshot,
  ].filter((n): n is string => n !== undefined);
  return newestFirst(names.map((name) => ({ name })));
}

/**
 * Recovery point names, each once, newest first by `at` (else the minute
 * their name encodes; names that encode none last), at most `limit`.
 */
export function newestFirst(points: readonly { readonly name: string; readonly at?: Date }[], limit = Infinity): string[] {
  const at = new Map<string, number>();
  for (const p of points) at.set(p.name, Math.max(at.get(p.name) ?? -Infinity, p.at?.getTime() ?? parseSnapshotName(p.name)?.at.getTime() ?? 0));
  return [...at.keys()].sort((a, b) => at.get(b)! - at.get(a)! || b.localeCompare(a)).slice(0, limit);
}

/** A recovery point with `copies`. */
export function pointCopies(recoveryPoint: string, copies: readonly RdbCopy[], newest: boolean): PointCopies {
  const order: Record<CopyWhere, number> = { primary: 0, dr: 1, vault: 2 };
  return {
    recoveryPoint,
    takenAt: parseSnapshotName(recoveryPoint)?.at.toISOString() ?? null,
    newest,
    copies: [...copies].sort((a, b) => order[a.where] - order[b.where]),
  };
}

/**
 * The copy key-level recovery reads: of the newest point that has one, a
 * complete copy (`migrate --from-rdb` verifies the whole file before writing
 * anything, so a copy not verified yet serves); one verified intact first,
 * then the primary bucket's (same region as the server). A point with a copy
 * verified corrupt has none: the DR copy is a replica of the same bytes.
 * Null when no point has one.
 */
export function fastPathOf(points: readonly PointCopies[], to?: string): FastPath | null {
  for (const p of points) {
    if (p.copies.some((c) => c.verification === 'corrupt')) continue;
    const usable = p.copies.filter((c) => c.problem === null);
    const best = usable.find((c) => c.verification === 'ok') ?? usable[0];
    if (best) return { recoveryPoint: p.recoveryPoint, where: best.where, location: best.location, command: fastPathCommand(best.location, to) };
  }
  return null;
}
