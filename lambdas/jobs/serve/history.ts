/**
 * `redis-dr history`: one key (or the keys a pattern matches) through every
 * backup a destination retains, oldest first. Each backup is opened as
 * `serve` opens one (verified and indexed in one pass, values read at their
 * offsets), so a corrupt backup is named as such in the history, never
 * read as if the key were not there.
 */
import { createHash } from 'node:crypto';
import type { ObjectChangedError } from '../../adapters/aws/s3/ranges.js';
import { describeError, errorName, isNetworkFailure } from '../../adapters/aws/errors.js';
import { SERVE_MAX_VALUE_BYTES, ValueTooBig } from '../../domain/serve/value-limit.js';
import { parseBackupFileName } from '../../domain/self-managed/backup.js';
import type { KeyValue } from '../../domain/rdb/fingerprint.js';
import { liveValueAt, valueDigest } from '../../domain/rdb/fingerprint.js';
import { keyExpired } from '../../domain/keys/expiry.js';
import { compileGlob } from '../../domain/keys/glob.js';
import { changedKeys, type HistoryRow, type KeyAtPoint, keyHistory, type KeyChangeRow, type OverLimit, type PointDigests } from '../../domain/serve/history.js';
import { INDEX_SUFFIX } from '../../domain/serve/index-file.js';
import { IndexDamaged, settle } from '../../domain/serve/paged-index.js';
import type { PlanConfig, RedisDrConfig } from '../../../lib/config/index.js';
import type { OperatorClients } from '../kernel/clients.js';
import { openBackupStore } from '../self-managed/clients.js';
import { configPoints, planTarget, shardLocations } from './config-points.js';
import { FoundProblem } from '../kernel/found-problem.js';
import { UsageError } from '../kernel/usage-error.js';
import { type OpenedPoint, openPoint } from './open-point.js';
import { type IndexedKey, typeNameOf } from '../../domain/serve/key-index.js';

/** A deployment's plan whose recovery points to walk (their `.rdb` copies in the export and DR buckets). */
export interface HistoryPlan {
  readonly config: RedisDrConfig;
  readonly aws: OperatorClients;
  readonly plan: PlanConfig;
}

/** What to follow, where. */
export interface HistoryOptions {
  /** The destination: file://dir, a path, or s3://bucket/prefix (or `plan`). */
  readonly from?: string;
  /** Instead of `from`: a plan's recovery points. */
  readonly plan?: HistoryPlan;
  /** One key (exactly one of key and match). */
  readonly key?: Buffer;
  /** A SCAN pattern: every key it matches that appeared, changed or vanished. */
  readonly match?: string;
  /** @default 0 */
  readonly db?: number;
  /** The target whose backups to read (needed when the destination holds several). */
  readonly target?: string;
  /** Only points from this time on (and the one before, as the baseline). */
  readonly since?: Date;
  /** Keep each point's value (`--show`). */
  readonly show?: boolean;
  readonly s3Endpoint?: string;
  /** The largest value read at a point (serve's limit, 512 MiB, by default): a larger one is followed by its stored bytes (OverLimit). */
  readonly maxValueBytes?: number;
}

/** One key's row with, under `show`, its value. */
export type ShownRow = HistoryRow & { readonly value?: KeyValue };

/** What the history found. */
export interface HistoryResult {
  readonly target: string;
  /** Points read, oldest first. */
  readonly points: readonly string[];
  /** Points that could not be read (corrupt, gone): the history has a hole there. */
  readonly unreadable: readonly { readonly point: string; readonly why: string }[];
  /**
   * Points read that were never proven stored (a destination's backup without its read-back record: a run killed
   * before it, an older redis-dr, a file copied in by hand): read all the same, each verified as it was opened, and
   * named, as `serve --from` and `drill local --from` take only proven backups as the newest.
   */
  readonly unproven?: readonly string[];
  /**
   * Points read whose file (or a shard of it) has no `ctime` AUX field (when its server saved it): their keys' expiries
   * were judged at the time the point's name says, not at the save.
   */
  readonly untimed?: readonly string[];
  /** Points read whole because the key index beside them did not check out (or was another copy's): why, per point. */
  readonly indexUnused?: readonly { readonly point: string; readonly why: string }[];
  /** One key: a row per readable point. */
  readonly rows?: readonly ShownRow[];
  /** A pattern: the changes between consecutive readable points. */
  readonly changes?: readonly KeyChangeRow[];
  /**
   * A pattern: the other databases holding keys at a point read, ascending. `--match` follows one database (`--db`,
   * 0 by default), and a FLUSHALL empties every one: their changes are not in `changes`, and the operator is told.
   */
  readonly otherDatabases?: readonly number[];
}

interface Point {
  readonly file: string;
  readonly at: Date;
  /** The files to open (a backup; every shard of a copy); absent with `problem`. */
  readonly locations?: () => Promise<string[]>;
  /** Why the point cannot be read (no usable copy): a hole in the history. */
  readonly problem?: string;
  /** A destination's backup without its read-back record. */
  readonly unproven?: boolean;
  /** The SHA-256 its read-back record says it had when it was stored. */
  readonly sha256?: string;
}

/** The points to read, and the ones before them (kept, and read only when the point before `since` cannot be). */
interface PointsOf {
  readonly target: string;
  readonly points: Point[];
  /** The points before the baseline of `since`, oldest first: the next baseline when one cannot be read. */
  readonly earlier: Point[];
}

/** From the last point before `since` on (all of them without it), and the points before that one. */
function fromSince(points: Point[], since: Date | undefined): Pick<PointsOf, 'points' | 'earlier'> {
  if (!since) return { points, earlier: [] };
  const first = points.findIndex((p) => p.at.getTime() >= since.getTime());
  const from = first < 0 ? Math.max(0, points.length - 1) : Math.max(0, first - 1);
  return { points: points.slice(from), earlier: points.slice(0, from) };
}

/** The recovery points of the plan's target (`o.target`, else its one named target), oldest first. */
async function planPointsOf(o: HistoryOptions, h: HistoryPlan): Promise<PointsOf> {
  const target = planTarget(h.plan, o.target);
  const found = await configPoints(h.config, h.aws, target);
  if (found.length === 0)
    throw new UsageError(
      `plan ${h.plan.name}: no .rdb copy of ${target} in the export or DR bucket (copies appear after the plan's first export), so there is nothing to follow`,
    );
  const points: Point[] = found.map((p) => ({
    file: p.point,
    at: p.at,
    ...(p.location ? { locations: () => shardLocations(p.location!) } : { problem: p.problem ?? 'no usable copy' }),
  }));
  return { target, ...fromSince(points, o.since) };
}

/** The backups of the one target (or `target`) at `from`, oldest first, from the last one before `since` on. */
async function pointsOf(o: HistoryOptions): Promise<PointsOf> {
  if (o.plan) return planPointsOf(o, o.plan);
  if (o.from === undefined) throw new UsageError('history needs --from <destination>, or -c <config> --plan <name>');
  const store = await openBackupStore(o.from, o.s3Endpoint, '--from', 'source');
  const named = (await store.list()).map((f) => ({ f, p: parseBackupFileName(f.file) })).filter((x) => x.p !== undefined);
  const targets = [...new Set(named.map((x) => x.p!.target))].sort();
  const target = o.target?.toLowerCase() ?? (targets.length === 1 ? targets[0] : undefined);
  if (target === undefined)
    throw new UsageError(
      targets.length === 0
        ? `--from ${o.from} holds no backup: nothing to follow (redis-dr backup writes them)`
        : `--from ${o.from} holds backups of ${targets.join(', ')}: name one with --target`,
    );
  const points: Point[] = named
    .filter((x) => x.p!.target === target)
    .map((x) => ({
      file: x.f.file,
      at: x.p!.at,
      locations: async () => [store.location(x.f.file)],
      ...(x.f.proven ? {} : { unproven: true }),
      ...(x.f.sha256 !== undefined ? { sha256: x.f.sha256 } : {}),
    }))
    .sort((a, b) => a.at.getTime() - b.at.getTime());
  if (points.length === 0) throw new UsageError(`--target ${o.target}: ${o.from} holds no backup of it (it holds ${targets.join(', ') || 'none'})`);
  return { target, ...fromSince(points, o.since) };
}

/**
 * When each key of a point is judged: the save time (`ctime`) of the file holding it, else (a file without one) the
 * time the point's name says, and `untimed` then set. A key whose expiry had passed when its server saved the file is
 * gone there (a server loading the file drops it) whatever time the file was named at, and a TTL is what was left then.
 */
interface Judge {
  /** The `ctime` (Unix ms) of the file holding `key`, or undefined (none: judged at {@link named}). */
  savedAt(key: IndexedKey): number | undefined;
  /** The time the point's name says (Unix ms). */
  readonly named: number;
  /** A shard of the point has no `ctime`: its keys were judged at the name's time. */
  readonly untimed: boolean;
  /** The earliest `ctime` of the point's files (one file: its own), or undefined when one has none. */
  readonly earliest: number | undefined;
}

async function judgeOf(opened: OpenedPoint, named: Date): Promise<Judge> {
  const saved = await opened.savedAt();
  const untimed = saved.some((t) => t === undefined);
  return {
    savedAt: (key) => saved[opened.shardOf(key)],
    named: named.getTime(),
    untimed,
    earliest: untimed ? undefined : Math.min(...(saved as number[])),
  };
}

/** What {@link keyAt} found: the value (decoded), or, over the read limit, its stored bytes' digest. */
type Found = ({ value: KeyValue; overLimit?: undefined } | { value?: undefined; overLimit: OverLimit }) & {
  expireAtMs: number | null;
  savedAtMs?: number;
};

/** The most a range read of a value over the limit takes at once (and never more than the limit itself). */
const OVER_LIMIT_RANGE = 8 * 1024 * 1024;

/**
 * A value over the read limit followed by its stored bytes ({@link OverLimit}), hashed a range at a time so no more
 * than one range is held: its type from the index, no field expiry judged (the value is not decoded).
 */
async function overLimitOf(opened: OpenedPoint, entry: IndexedKey, limit: number): Promise<OverLimit> {
  const h = createHash('sha256');
  const storedBytes = entry.valueEnd - entry.valueAt;
  const step = Math.max(1, Math.min(OVER_LIMIT_RANGE, limit));
  for (let from = 0; from < storedBytes; from += step) h.update(await opened.stored(entry, from, Math.min(storedBytes, from + step)));
  return { type: typeNameOf(entry.type), storedBytes, digest: `stored:${h.digest('hex')}` };
}

/**
 * A key at a point, or undefined when the point lacks it or it had expired when its file was saved ({@link Judge}); a
 * hash's fields whose TTL had passed by then left out, and such a hash with none left absent (as a server loading the
 * file holds it). A value over `limit` (the read limit) is followed by its stored bytes instead ({@link OverLimit}):
 * the point is read all the same. `savedAtMs`: its file's `ctime`, the time it was judged at (absent: the name's).
 */
async function keyAt(opened: OpenedPoint, db: number, key: Buffer, judge: Judge, limit: number): Promise<Found | undefined> {
  // An index on S3 reads its blocks as promises: settle waits for them (domain/serve/paged-index.ts).
  const pos = await settle(() => opened.index.find(db, key));
  if (pos < 0) return undefined;
  const entry = await settle(() => opened.index.entry(db, pos));
  const saved = judge.savedAt(entry);
  const at = saved ?? judge.named;
  if (keyExpired(entry.expireAtMs, at)) return undefined;
  const when = { expireAtMs: entry.expireAtMs, ...(saved !== undefined ? { savedAtMs: saved } : {}) };
  let payload: Buffer;
  try {
    payload = await opened.payload(entry);
  } catch (err) {
    if (!(err instanceof ValueTooBig)) throw err;
    return { overLimit: await overLimitOf(opened, entry, limit), ...when };
  }
  const value = liveValueAt(opened.decode(entry, payload), at);
  return value && { value, ...when };
}

/** The digest and expiry of each key of `db` whose name `match` takes (every key without one), as {@link keyAt} judges them. */
async function matchingKeys(opened: OpenedPoint, db: number, match: ((name: Buffer) => boolean) | undefined, judge: Judge, limit: number) {
  const keys = new Map<string, { digest: string; expireAtMs: number | null }>();
  for (let pos = 0; pos < opened.index.size(db); pos++) {
    const name = await settle(() => opened.index.nameAt(db, pos));
    if (match && !match(name)) continue;
    const found = await keyAt(opened, db, Buffer.from(name), judge, limit);
    if (found) keys.set(name.toString('latin1'), { digest: found.value ? valueDigest(found.value) : found.overLimit.digest, expireAtMs: found.expireAtMs });
  }
  return keys;
}

/**
 * An S3 point replaced since it was opened (its reads are pinned to the ETag it had then, and S3 refused one): what it
 * held is unknown from there on, a hole as a copy that will not open, never rows from another object's bytes. Told by
 * its name: the S3 reader (and the SDK with it) is loaded only when an s3:// point is opened (adapters/storage/rdb-at.ts).
 */
function objectChanged(err: unknown): err is ObjectChangedError {
  return err instanceof Error && err.name === 'ObjectChangedError';
}

/**
 * Why one point could not be read, when it is a fault of that point and not of the run: S3 failed for good on one of
 * its reads (an answer's error, `$metadata`, or none at all, a network failure, after the SDK's retries), or its object
 * was replaced since it was opened. Undefined for anything else (the run stops on it). A value over the limit a value
 * is read to is no fault: {@link keyAt} follows it by its stored bytes.
 */
function pointFault(err: unknown): string | undefined {
  if (objectChanged(err)) return err.message;
  // The ranged reader wraps the SDK's last error (adapters/aws/s3/ranges.ts: which bytes, how many attempts) as its cause.
  let answered = false;
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 5 && !answered; e = (e as { cause?: unknown }).cause, depth++)
    answered = '$metadata' in e;
  if (!answered && !isNetworkFailure(err)) return undefined;
  return `S3 failed for good: ${errorName(err) === 'Error' ? (err as Error).message : describeError(err)}`;
}

/** What the points read so far gave, filled by {@link readPoint}. */
interface Gathered {
  readonly unreadable: { point: string; why: string }[];
  readonly read: string[];
  readonly atPoints: KeyAtPoint[];
  readonly digests: PointDigests[];
  readonly indexUnused: { point: string; why: string }[];
  /** Points read whose file (a shard of it) has no `ctime`: judged at the name's time. */
  readonly untimed: string[];
  /** A pattern: the databases other than the one followed that hold keys at a point read. */
  readonly otherDbs: Set<number>;
}

/** Reads one point into `g` (its key, or the keys `match` takes): true when read, false when it is a hole (named in `g.unreadable`). */
async function readPoint(o: HistoryOptions, p: Point, match: ((name: Buffer) => boolean) | undefined, g: Gathered): Promise<boolean> {
  const db = o.db ?? 0;
  const limit = o.maxValueBytes ?? SERVE_MAX_VALUE_BYTES;
  if (!p.locations) {
    g.unreadable.push({ point: p.file, why: p.problem! });
    return false;
  }
  // A copy listed complete may have lost a shard by the read (shardLocations refuses it): a hole, as a copy that will not open.
  let locations: string[];
  try {
    locations = await p.locations();
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    g.unreadable.push({ point: p.file, why: err.message });
    return false;
  }
  // A block of an S3 copy's index that does not check out is met only as it is fetched: the point is then opened
  // again with no index tried (read whole and verified, as a local file with a damaged index is at open), not left a hole.
  let indexesUnused: string | undefined;
  for (;;) {
    let opened: OpenedPoint;
    try {
      opened = await openPoint(locations, o.s3Endpoint, o.maxValueBytes, indexesUnused, p.sha256);
    } catch (err) {
      const why = err instanceof UsageError || err instanceof FoundProblem ? err.message : pointFault(err);
      if (why === undefined) throw err;
      g.unreadable.push({ point: p.file, why });
      return false;
    }
    try {
      const judge = await judgeOf(opened, p.at);
      if (o.key !== undefined) {
        const found = await keyAt(opened, db, o.key, judge, limit);
        // A key absent: the point's earliest save (one file: its save), the time it is absent at.
        const saved = found ? found.savedAtMs : judge.earliest;
        g.atPoints.push({
          point: p.file,
          at: p.at,
          ...(found ? { ...(found.value ? { value: found.value } : { overLimit: found.overLimit }), expireAtMs: found.expireAtMs } : {}),
          ...(saved !== undefined ? { savedAt: new Date(saved) } : {}),
        });
      } else {
        g.digests.push({
          point: p.file,
          at: p.at,
          ...(judge.earliest !== undefined ? { savedAt: new Date(judge.earliest) } : {}),
          keys: await matchingKeys(opened, db, match, judge, limit),
        });
        for (const other of opened.index.databases()) if (other !== db && opened.index.size(other) > 0) g.otherDbs.add(other);
      }
      if (judge.untimed) g.untimed.push(p.file);
      for (const why of opened.indexUnused) g.indexUnused.push({ point: p.file, why });
      g.read.push(p.file);
      return true;
    } catch (err) {
      // One point's fault is a hole in the history, as a copy that will not open: the other points are still read.
      const why = pointFault(err);
      if (why !== undefined) {
        g.unreadable.push({ point: p.file, why });
        return false;
      }
      if (!(err instanceof IndexDamaged) || indexesUnused !== undefined) throw err;
      indexesUnused = `its key index (${INDEX_SUFFIX}) does not check out: ${err.problem}`;
    } finally {
      opened.close();
    }
  }
}

/** Follows `o.key` (or `o.match`) through the destination's backups. */
export async function keyHistoryOf(o: HistoryOptions): Promise<HistoryResult> {
  if ((o.key === undefined) === (o.match === undefined)) throw new UsageError('history needs a <key> or --match <pattern> (one of them)');
  const { target, points, earlier } = await pointsOf(o);
  const g: Gathered = { unreadable: [], read: [], atPoints: [], digests: [], indexUnused: [], untimed: [], otherDbs: new Set() };
  const match = o.match === undefined || o.match === '*' ? undefined : compileGlob(o.match);
  for (const p of points) await readPoint(o, p, match, g);
  // --since's baseline (the point before it) a hole: the point before that is the baseline, and so on back, so the
  // first point from --since on is measured against one read (each tried and not read is named), never taken as the first.
  const since = o.since;
  if (since && points[0] && points[0].at.getTime() < since.getTime() && !g.read.includes(points[0].file))
    for (const p of [...earlier].reverse()) if (await readPoint(o, p, match, g)) break;
  const time = new Map([...earlier, ...points].map((p) => [p.file, p.at.getTime()]));
  const byTime = (a: string, b: string) => time.get(a)! - time.get(b)!;
  const read = [...g.read].sort(byTime);
  const unreadable = [...g.unreadable].sort((a, b) => byTime(a.point, b.point));
  const readSet = new Set(read);
  const unproven = [...earlier, ...points].filter((p) => p.unproven && readSet.has(p.file)).map((p) => p.file);
  const named = {
    ...(unproven.length > 0 ? { unproven: unproven.sort(byTime) } : {}),
    ...(g.indexUnused.length > 0 ? { indexUnused: g.indexUnused } : {}),
    ...(g.untimed.length > 0 ? { untimed: [...g.untimed].sort(byTime) } : {}),
  };
  if (o.key !== undefined) {
    const byPoint = new Map(g.atPoints.map((p) => [p.point, p.value]));
    const rows = keyHistory(g.atPoints).map((r) => (o.show && byPoint.get(r.point) ? { ...r, value: byPoint.get(r.point)! } : r));
    return { target, points: read, unreadable, rows, ...named };
  }
  const changes = changedKeys(g.digests).filter((c) => !since || c.at.getTime() >= since.getTime());
  const otherDatabases = [...g.otherDbs].sort((a, b) => a - b);
  return { target, points: read, unreadable, changes, ...named, ...(otherDatabases.length > 0 ? { otherDatabases } : {}) };
}
