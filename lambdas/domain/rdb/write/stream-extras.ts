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
 *   gone. Written without it only with `--lossy stream-idmp`, unless it is
 *   empty ({@link idmpIsEmpty}): Redis 8.6 writes every stream as type 26,
 *   IDMP in use or not, and one never given a producer holds only the
 *   settings every stream takes from the server's config at its creation
 *   (stream-idmp-duration, stream-idmp-maxsize: 100 and 100 by default) and
 *   totals of 0. Such a stream loses nothing as a type 21: a default-configured
 *   Redis 8.6 loading that type 21 gives it those same settings (read from
 *   Redis 8.6.3's source, session 52). It is written without `--lossy`,
 *   counted apart from the losses (`emptyIdmp`), and said to have lost nothing.
 */
import { RdbFormatError } from '../errors.js';
import { DUMP_FOOTER_BYTES } from '../format/dump-payload.js';
import { dumpPayloadFor } from './rdb-file.js';
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

/** The first format holding type 21 (Redis 7.2, RDB 11): the footer of a stripped stream's payload. */
const STREAM_3_FORMAT = { magic: 'REDIS', version: 11 } as const;

/**
 * The DUMP payload (type byte, object, footer) of a type 26 or 27 stream as
 * the type 21 {@link stripNewerStream} makes of it, sealed with RDB 11's
 * footer: what a target holds once the stream was written for it so.
 */
export function strippedPayload(type: number, payload: Uint8Array): Buffer {
  return dumpPayloadFor(STREAM_3, stripNewerStream(type, payload, 1, payload.length - DUMP_FOOTER_BYTES).bytes, STREAM_3_FORMAT);
}

/**
 * Redis 8.6's default IDMP duration (s), its config `stream-idmp-duration`:
 * src/config.c static_configs (createLongLongConfig("stream-idmp-duration",
 * …, server.stream_idmp_duration, 100, …)) in Redis 8.6.3; a stream takes it
 * when it is made (src/t_stream.c streamNew: `s->idmp_duration =
 * server.stream_idmp_duration`), a type 21 loaded too (src/rdb.c
 * rdbLoadObject reads IDMP settings only for RDB_TYPE_STREAM_LISTPACKS_4 and up).
 */
export const REDIS_86_IDMP_DURATION = 100;

/**
 * Redis 8.6's default IDMP max entries, its config `stream-idmp-maxsize`:
 * src/config.c static_configs (createLongLongConfig("stream-idmp-maxsize",
 * …, server.stream_idmp_maxsize, 100, …)) in Redis 8.6.3, taken by a stream
 * when it is made (src/t_stream.c streamNew: `s->idmp_max_entries =
 * server.stream_idmp_maxsize`).
 */
export const REDIS_86_IDMP_MAXSIZE = 100;

/**
 * Whether a type 26's or 27's IDMP data holds nothing a Redis 8.6 would not
 * give the same stream loaded as a type 21: Redis 8.6's default settings
 * ({@link REDIS_86_IDMP_DURATION}, {@link REDIS_86_IDMP_MAXSIZE}), no
 * producer, and no id ever added nor found a duplicate. Such data is left
 * out without `--lossy stream-idmp` (nothing is lost); any other needs it.
 */
export function idmpIsEmpty(idmp: NewerStreamExtras['idmp']): boolean {
  return (
    idmp.duration === REDIS_86_IDMP_DURATION && idmp.maxEntries === REDIS_86_IDMP_MAXSIZE && idmp.producers === 0 && idmp.added === 0n && idmp.duplicates === 0n
  );
}

/**
 * What a summary says of the Redis 8.6/8.8 streams written as older streams
 * without their IDMP data because it was empty ({@link idmpIsEmpty}); undefined
 * for none. `verb`: `written`, or a dry run's `would be written`.
 */
export function emptyIdmpText(streams: number | undefined, verb = 'written'): string | undefined {
  if (!streams) return undefined;
  return `empty IDMP data: ${streams} Redis 8.6/8.8 stream${streams === 1 ? '' : 's'} ${verb} without it, nothing lost (no producer, no id ever added, Redis 8.6's default settings: duration ${REDIS_86_IDMP_DURATION} s, max entries ${REDIS_86_IDMP_MAXSIZE}, which a Redis 8.6 with the default config gives such a stream again on loading it; no --lossy needed)`;
}

/**
 * What of a stripped stream a target cannot hold and `lossy` does not
 * accept, named (empty: it may be written): its NACKed entries without
 * `--lossy stream-nacks`, its IDMP data without `--lossy stream-idmp`.
 * Every type 26 or 27 carries IDMP settings (duration, max entries), which
 * no older server keeps; empty IDMP data ({@link idmpIsEmpty}) loses nothing
 * and needs no `--lossy` (`emptyIdmp`, not a loss), any other needs
 * `stream-idmp` (counted lost where it is accepted).
 */
export function strippedLosses(
  s: NewerStreamExtras,
  lossy: ReadonlySet<string>,
): { lost: ExtraLoss[]; refuse: string[]; refuseKinds: ExtraLoss[]; emptyIdmp: boolean } {
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
  const emptyIdmp = idmpIsEmpty(s.idmp);
  if (emptyIdmp) return { lost, refuse, refuseKinds, emptyIdmp };
  if (lossy.has('stream-idmp')) lost.push('stream-idmp');
  else {
    refuseKinds.push('stream-idmp');
    const { duration, maxEntries, producers, ids, added, duplicates } = s.idmp;
    refuse.push(
      `idempotent-producer data (IDMP duration ${duration} s, max entries ${maxEntries}, ${producers} producer${producers === 1 ? '' : 's'} with ${ids} id${ids === 1 ? '' : 's'}) and totals (${added} id${added === 1n ? '' : 's'} added, ${duplicates} duplicate${duplicates === 1n ? '' : 's'}), which an older server has no place for (--lossy stream-idmp writes the stream without it)`,
    );
  }
  return { lost, refuse, refuseKinds, emptyIdmp };
}
