/**
 * A stream's metadata and groups read where its object bytes lie, without
 * decoding its entries (format/value.ts decodes them whole): what a server
 * holding it has, stored or derived on load (issue 55, convert-rdb into RDB 9).
 */
import { RdbFormatError } from '../errors.js';
import { parseStreamId, type StreamId } from './stream-ids.js';
import { type StreamInfo, streamNodeEntries, streamTail } from './value.js';
import { Cursor } from './value-cursor.js';

/**
 * A stream's metadata and groups where its object bytes `b[at, end)` lie
 * (RDB types 15, 19 and 21; its nodes skipped once the first live entry's
 * id is read), as a server holding it has them: stored (19, 21), or — for
 * type 15, and for any with `asType15` — what Redis 7.0's rdbLoadObject
 * derives loading a type-15 stream (src/rdb.c: entries added = length,
 * largest deleted id 0-0, first id the first live entry's, each group's
 * entries read by streamEstimateDistanceFromFirstEverEntry).
 *
 * A type 19 or 21 stores its first live entry's id (Redis keeps `first_id`
 * on that entry through XDEL and XTRIM), so its nodes are skipped, not
 * decoded (decoding each first node cost a conversion about a tenth of its
 * CPU); a conversion judges a newer stream it writes for RDB 9 by that
 * stored id (write/source-forms.ts StreamLayout). Should a file's stored
 * first id not be its first live entry's, a conversion's read-back, which
 * derives the output's from its entries here, differs from the input's and
 * fails: never a stream said exact that is not.
 * @throws RdbFormatError when the value is malformed
 */
export function streamInfoAt(type: number, b: Uint8Array, at: number, end: number, asType15 = false): StreamInfo {
  const c = new Cursor(b, at, end);
  try {
    let firstLive: StreamId | undefined;
    const stored = type >= 19;
    for (let nodes = c.length(); nodes > 0; nodes--) {
      if (stored || firstLive !== undefined) {
        c.skipString();
        c.skipString();
        continue;
      }
      const entries: [string, Buffer[]][] = [];
      streamNodeEntries(c.string(), c.string(), entries);
      if (entries.length > 0) firstLive = parseStreamId(entries[0]![0]);
    }
    return streamTail(c, type, undefined, firstLive, asType15, stored);
  } catch (err) {
    throw new RdbFormatError(`malformed stream (RDB type ${type}, near byte ${c.at}): ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** A stream's ids and its groups' read counters: what XINFO STREAM and XINFO GROUPS report of them (write/source-forms.ts StreamLayout holds them so). */
export interface StreamIds {
  readonly length: number;
  readonly firstId: StreamId;
  readonly maxDeletedId: StreamId;
  readonly entriesAdded: bigint;
  readonly groups: readonly { readonly name: Buffer; readonly entriesRead: bigint | null }[];
}
