/**
 * The `.rdb` copies of recovery points as text, for `status` and `restore`
 * (finding them is lambdas/jobs/dr-copies/copy-listing.ts).
 */
import { NO_RDB_COPY, type CopyWhere, type RdbCopy } from '../lambdas/domain/dr-copies/rdb-copies.js';
import { whereText, type TargetCopies } from '../lambdas/jobs/dr-copies/copy-listing.js';
import { table, type Style } from './table.js';

// The listing as `status` calls it today; a command that moved its use case to a job imports the job.

/** `primary s3://…/rdr-… (3/3 shards, verified ok)`, with what keeps it from the fast path when the shards do not say it already. */
export function copyText(c: RdbCopy): string {
  const problem = c.problem && c.missingShards.length === 0 ? `: ${c.problem}` : '';
  return `${whereText(c.where)} ${c.location} (${shardsText(c)}, ${verificationText(c)}${problem})`;
}

/** `3/3 shards`, `2/3 shards (0002 missing)`, `1/? shards`. */
export function shardsText(c: RdbCopy): string {
  const missing = c.missingShards.length > 0 ? ` (${c.missingShards.map((n) => String(n).padStart(4, '0')).join(', ')} missing)` : '';
  return `${c.shardsFound}/${c.shards ?? '?'} shards${missing}`;
}

/** `verified ok`, `VERIFIED CORRUPT`, `not verified`. */
export function verificationText(c: RdbCopy): string {
  if (c.verification === 'not-verified' && c.unproven) return 'NOT VERIFIED: verdict tag without verdict object';
  return c.verification === 'ok' ? 'verified ok' : c.verification === 'corrupt' ? 'VERIFIED CORRUPT' : 'not verified';
}

/** Copies as a table: a target, its points and their copies, and what could not be read. */
export interface CopiesRows extends TargetCopies {
  readonly target: string;
  /** False when the target's plan does not export (nothing was looked for). */
  readonly exports?: boolean;
}

/**
 * The `.rdb` copies of targets as text: one row per recovery point and
 * bucket searched (`wheres`), a point without any copy in one row, then each
 * target's unread buckets and its fast path.
 */
export function formatCopies(entries: readonly CopiesRows[], style: Style, wheres: readonly CopyWhere[] = ['primary', 'dr']): string[] {
  if (entries.length === 0) return [];
  if (entries.every((c) => c.exports === false)) return ['', `.rdb copies: none, the plan does not export: ${NO_RDB_COPY}`];
  const cells: string[][] = [];
  const after: string[] = [];
  for (const c of entries) {
    if (c.exports === false) continue;
    for (const p of c.points) {
      const point = p.newest ? `${p.recoveryPoint} (newest)` : p.recoveryPoint;
      if (p.copies.length === 0 && c.problems.length === 0) {
        cells.push([c.target, point, '-', '-', '-', NO_RDB_COPY]);
        continue;
      }
      for (const where of wheres) {
        const copy = p.copies.find((x) => x.where === where);
        const unread = c.problems.some((x) => x.startsWith(`${whereText(where)} bucket`));
        if (copy) cells.push([c.target, point, whereText(where), shardsText(copy), verificationText(copy), copy.location]);
        else cells.push([c.target, point, whereText(where), '-', '-', unread ? 'not read (see below)' : 'none in this bucket']);
      }
    }
    if (c.points.length === 0 && c.problems.length === 0) cells.push([c.target, '-', '-', '-', '-', NO_RDB_COPY]);
    for (const p of c.problems) after.push(style('yellow', `${c.target}: copies not read: ${p}`));
    if (c.fastPath) {
      after.push(
        `${c.target} fast path (keys from ${c.fastPath.recoveryPoint}, the newest usable copy: check it was taken before the incident, else take an older one from restore --list; no new cluster): ${c.fastPath.command}`,
      );
    }
  }
  const VERIFIED = 4;
  const paint = (column: number, cell: string) =>
    column !== VERIFIED ? cell : cell.includes('CORRUPT') ? style(['red', 'bold'], cell) : cell.startsWith('verified ok') ? style('green', cell) : cell;
  const head = ['.RDB COPY OF', 'RECOVERY POINT', 'BUCKET', 'SHARDS', 'VERIFIED', 'LOCATION'];
  return ['', ...(cells.length > 0 ? table([head, ...cells], paint) : []), ...after];
}
