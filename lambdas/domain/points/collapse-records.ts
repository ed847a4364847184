/**
 * The keyspace-collapse records of the DR bucket, the objects a DR drill
 * reads to pass over an export the way a primary drill passes over a
 * snapshot marked `redis-dr:collapsed` (its tag budget is spent: an export's
 * objects carry no mark). Two kinds, one key each per export or point:
 *
 * - a **mark**, `redis-dr-verdicts/collapses/<dir><export name>.json`,
 *   written (and read back) by the DR verifier when it judges the export it
 *   just completed a collapse (jobs/dr-copies/verify-rdb.ts collapseCheck).
 *   Under the verifier's prefix, which only its role writes (the bucket's
 *   policy and the operator policy deny everyone else): a copy's verdict is
 *   `redis-dr-verdicts/<copy key>.json`, and a copy key begins with `rdr-` or
 *   an account id, never `collapses/`, so a mark is never a verdict.
 * - a **release**, `redis-dr-releases/<dir><snapshot>.<released|accepted>.json`, written (and
 *   read back) by the operator's `retention release` (with `--accept` or
 *   without) for the collapsed point: the operator may write that prefix and
 *   no other (the operator policy). Released or accepted, a marked export of
 *   that snapshot (any attempt) is no longer passed over, as the primary's
 *   rewritten mark is not.
 *
 * `<dir>` is the copies' own prefix (empty in the DR bucket). Pure.
 */
import { z } from 'zod';
import { isoInstant } from '../plans/plan-input.js';
import { MAX_TAG_VALUE } from './collapse-points.js';
import { VERDICT_PREFIX } from './verdict-objects.js';

/** Where the DR verifier's collapse marks live (under its verdict prefix). */
export const COLLAPSE_MARK_PREFIX = `${VERDICT_PREFIX.dr}collapses/`;
/** Where the operator's releases of a DR collapse live. */
export const COLLAPSE_RELEASE_PREFIX = 'redis-dr-releases/';

/** The key of the mark of export `exportName` (copies under `dir`). */
export function collapseMarkKey(dir: string, exportName: string): string {
  return `${COLLAPSE_MARK_PREFIX}${dir}${exportName}.json`;
}

/** How an operator ended a DR collapse: its holds released, or the drop accepted as intended (the new baseline). */
export type ReleaseState = 'released' | 'accepted';

/**
 * The key of the release of collapsed point `snapshot` (copies under `dir`):
 * the state is in the key, so readers (the drill's select, the verifier)
 * list the target's releases and read none. An accept after a release adds
 * its own key; `accepted` wins ({@link releasesOfKeys}).
 */
export function collapseReleaseKey(dir: string, snapshot: string, state: ReleaseState): string {
  return `${COLLAPSE_RELEASE_PREFIX}${dir}${snapshot}.${state}.json`;
}

/** The exports a listing of marks under `dir` names (keys of any other shape are left out). */
export function markedExportsOfKeys(dir: string, keys: readonly string[]): Set<string> {
  const out = new Set<string>();
  const start = `${COLLAPSE_MARK_PREFIX}${dir}`;
  for (const key of keys) {
    const m = key.startsWith(start) ? /^(rdr-[^/]+)\.json$/.exec(key.slice(start.length)) : null;
    if (m) out.add(m[1]!);
  }
  return out;
}

/** The released points a listing of releases under `dir` names, each with its state (`accepted` over `released`). */
export function releasesOfKeys(dir: string, keys: readonly string[]): Map<string, ReleaseState> {
  const out = new Map<string, ReleaseState>();
  const start = `${COLLAPSE_RELEASE_PREFIX}${dir}`;
  for (const key of keys) {
    const m = key.startsWith(start) ? /^(rdr-[^/]+)\.(released|accepted)\.json$/.exec(key.slice(start.length)) : null;
    if (m && out.get(m[1]!) !== 'accepted') out.set(m[1]!, m[2] as ReleaseState);
  }
  return out;
}

/** A mark's body: which export collapsed, against which, by how much, and when it was judged. */
export const collapseMarkSchema = z.strictObject({
  kind: z.literal('dr-collapse-mark'),
  /** The collapsed export (its name: the snapshot, or `<snapshot>-r<n>`). */
  export: z.string().min(1),
  /** Its snapshot (the point `retention release --point` names). */
  point: z.string().min(1),
  target: z.string().min(1),
  /** The good export it was judged against. */
  baseline: z.string().min(1),
  measure: z.enum(['keys', 'bytes']),
  dropPct: z.number(),
  /** The verdict in words (as the primary's `redis-dr:collapsed` mark says it, cut as a tag is: a drill's choice carries it). */
  detail: z.string().max(MAX_TAG_VALUE),
  judgedAt: isoInstant,
});
export type CollapseMark = z.infer<typeof collapseMarkSchema>;

/** A release's body: which point, released or accepted, when. */
export const collapseReleaseSchema = z.strictObject({
  kind: z.literal('dr-collapse-release'),
  point: z.string().min(1),
  target: z.string().min(1),
  state: z.enum(['released', 'accepted']),
  at: isoInstant,
});
export type CollapseRelease = z.infer<typeof collapseReleaseSchema>;

/**
 * The exports (in the order given) a DR drill passes over: those with a
 * mark whose snapshot no release names (released or accepted, the collapse
 * is no longer passed over).
 */
export function markedUnreleased<E extends { readonly exportName: string; readonly snapshot: string }>(
  exports: readonly E[],
  marked: ReadonlySet<string>,
  released: ReadonlyMap<string, ReleaseState>,
): E[] {
  return exports.filter((e) => marked.has(e.exportName) && !released.has(e.snapshot));
}
