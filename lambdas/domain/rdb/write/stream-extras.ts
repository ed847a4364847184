/**
 * Redis 8.6 and 8.8 streams (RDB types 26 and 27) as the type 21 an older
 * stream layout starts from (source-forms.ts StreamLayout), with what only
 * those types hold taken out and counted, for convert-rdb and migrate
 * --from-rdb (issue 55).
 *
 * What the extra data is, by the layouts the reader checks
 * (format/parse-streams.ts, from Redis's rdbLoadObject for
 * RDB_TYPE_STREAM_LISTPACKS_4/_5 and librdb's stream_v13_idmp and
 * stream_v14_xnack cases; Redis 8.6/8.8 source was not at hand in session
 * 36, so this follows the reader's reading of it):
 * - Type 27 (Redis 8.8, XNACK): after each group's consumers, its NACKed
 *   entries: their ids only. A NACKed entry stays in the group's PEL, with
 *   the delivery time and count the PEL stores for it, and no consumer owns
 *   it (the loader refuses one a consumer owns or that is not in the PEL).
 *   A Redis 7.0 holds no such entry: its rdbLoadObject refuses a PEL entry
 *   without a consumer under sanitize-dump-payload ("Stream CG PEL entry
 *   without consumer") and otherwise keeps it with a NULL owner, which
 *   XPENDING's extended form and XCLAIM dereference. So it cannot be written
 *   exactly: with `--lossy stream-nacks` it is left out of its group's PEL
 *   (the older server treats it as acknowledged: never redelivered, no longer
 *   pending); its entry stays in the stream. Nothing else of a NACK is stored,
 *   so there is no delivery count to keep apart from the PEL's, which stays.
 * - Types 26 and 27 (Redis 8.6, idempotent producers, IDMP): after the
 *   groups, the stream's IDMP duration (s) and max entries (its per-stream
 *   settings), each producer id with its idempotent ids and the stream id
 *   each was added as, and the totals of ids added and duplicates found.
 *   An older server has no XADD IDMP: loaded there, a producer's retry of an
 *   id it already sent adds the entry again, and the settings and totals are
 *   gone. Written without it only with `--lossy stream-idmp`.
 */
import { RdbFormatError } from '../errors.js';
import { RdbOut } from './rdb-out.js';
import { isNewerStream, type NewerStreamExtras, STREAM_3, STREAM_4, STREAM_5, StreamLayout } from './source-forms.js';

export { STREAM_4, STREAM_5 };

/** What of a type 26 or 27 only `--lossy` lets go. */
type ExtraLoss = 'stream-nacks' | 'stream-idmp';

/** A type 26 or 27 stream as a type 21: its object bytes, and what was taken out. */
export interface StrippedStream extends NewerStreamExtras {
  /** 26 or 27. */
  readonly type: number;
  /** The stream's object bytes as a type 21 (no NACK zone, no NACKed entry in a PEL, no IDMP data). */
  readonly bytes: Uint8Array;
}

/**
 * The stream of RDB type 26 or 27 at `b[at, end)` as a type 21 (see the
 * file's comment for what is taken out): source-forms.ts StreamLayout's walk,
 * its runs written as a type 21.
 * @throws RdbFormatError for another type or a malformed value
 */
export function stripNewerStream(type: number, b: Uint8Array, at: number, end: number): StrippedStream {
  if (!isNewerStream(type)) throw new RdbFormatError(`RDB type ${type} is not a stream of listpacks 4 or 5`);
  const layout = new StreamLayout().read(type, b, at, end);
  const out = new RdbOut(end - at + 16);
  layout.writeAs(STREAM_3, out);
  return { type, bytes: out.take(), ...layout.extras };
}

/**
 * What of a stripped stream a target cannot hold and `lossy` does not
 * accept, named (empty: it may be written): its NACKed entries without
 * `--lossy stream-nacks`, its IDMP data without `--lossy stream-idmp`.
 * Every type 26 or 27 carries IDMP settings (duration, max entries), which
 * no older server keeps: a Redis 8.6 or 8.8 stream needs `stream-idmp` to
 * go to an older engine even without producers.
 */
export function strippedLosses(s: NewerStreamExtras, lossy: ReadonlySet<string>): { lost: ExtraLoss[]; refuse: string[]; refuseKinds: ExtraLoss[] } {
  const lost: ExtraLoss[] = [];
  const refuse: string[] = [];
  const refuseKinds: ExtraLoss[] = [];
  if (s.nacked.length > 0 && lossy.has('stream-nacks')) lost.push('stream-nacks');
  else if (s.nacked.length > 0) {
    refuseKinds.push('stream-nacks');
    const groups = s.nacked.map((g) => `group ${g.group}: ${g.entries}`).join(', ');
    refuse.push(
      `NACKed entries (${groups}), pending entries no consumer owns, which an older server cannot hold (--lossy stream-nacks leaves them out of the PEL)`,
    );
  }
  if (lossy.has('stream-idmp')) lost.push('stream-idmp');
  else {
    refuseKinds.push('stream-idmp');
    const { duration, maxEntries, producers, ids } = s.idmp;
    refuse.push(
      `idempotent-producer data (IDMP duration ${duration} s, max entries ${maxEntries}, ${producers} producer${producers === 1 ? '' : 's'} with ${ids} id${ids === 1 ? '' : 's'}), which an older server has no place for (--lossy stream-idmp writes the stream without it)`,
    );
  }
  return { lost, refuse, refuseKinds };
}
