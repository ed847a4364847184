/**
 * A big hash with field TTLs stored field by field (RDB type 22 or 24, see
 * source-forms.ts ttlHashFields) written as a plain hash (type 4) from the
 * parts a reader kept (KeyInPlace.parts), for a target without field TTLs
 * (`--lossy field-ttl`, or no live field has one): its fields read one by
 * one across the parts, the output made in pieces handed to the writer, so
 * the value is held once as the input's parts and once as the output's
 * pieces (issue 55: memory bounded by the largest value), never decoded into
 * one array of fields nor gathered into one copy.
 *
 * What a server loading the input would hold is written, as
 * express.ts expressValue writes a small one: a field whose TTL passed
 * before the run's time `now` is left out, as rdb.c leaves it out on load.
 */
import { PartsCursor } from '../format/value-cursor.js';
import { RdbOut } from './rdb-out.js';
import { ttlHashFields } from './source-forms.js';
import type { ElementSink } from './transcode.js';

/** A plain hash's RDB type. */
const PLAIN_HASH = 4;
/** Bytes of a piece handed to the writer (the last one shorter). */
const PIECE_BYTES = 1 << 20;

/** What {@link scanTtlHash} finds: fields live at the run's time, those of them with a TTL, fields whose TTL passed. */
export interface TtlHashScan {
  readonly live: number;
  readonly withTtl: number;
  readonly expired: number;
}

const cursorOver = (parts: readonly Uint8Array[]): PartsCursor => {
  let end = 0;
  for (const p of parts) end += p.length;
  return new PartsCursor(parts, 0, end);
};

/** Counts the fields of the hash of RDB `type` held in `parts` (names and values skipped, not decoded) at time `now` (ms). */
export function scanTtlHash(type: number, valkey: boolean, parts: readonly Uint8Array[], now: number): TtlHashScan {
  let live = 0;
  let withTtl = 0;
  let expired = 0;
  const c = cursorOver(parts);
  ttlHashFields(type, valkey, c, false, (t) => {
    if (t !== 0 && t < now) expired++;
    else {
      live++;
      if (t !== 0) withTtl++;
    }
  });
  if (c.at !== c.end) throw new RangeError(`${c.end - c.at} bytes after the value`);
  return { live, withTtl, expired };
}

/**
 * Writes the fields of the hash of RDB `type` held in `parts` live at `now` as a plain hash: each piece of its elements
 * to `to.piece`, then the key closed with its count as the head (`to.piecesWritten`); each field and value into `sink`
 * (the digest: kind, elements, count, as a plain hash read back frames them). Returns the fields written.
 */
export function writeTtlHashPlain(
  type: number,
  valkey: boolean,
  parts: readonly Uint8Array[],
  now: number,
  to: { piece(bytes: Uint8Array): void; piecesWritten(type: number, head: Uint8Array): void },
  sink: Pick<ElementSink, 'kind' | 'element' | 'end'>,
): number {
  let out = new RdbOut(PIECE_BYTES + 64);
  let count = 0;
  sink.kind('hash');
  ttlHashFields(type, valkey, cursorOver(parts), true, (t, f, v) => {
    if (t !== 0 && t < now) return;
    out.string(f!).string(v!);
    sink.element(f!, 0, f!.length);
    sink.element(v!, 0, v!.length);
    count++;
    if (out.length >= PIECE_BYTES) {
      to.piece(out.view()); // this buffer is the piece's: a new one follows
      out = new RdbOut(PIECE_BYTES + 64);
    }
  });
  if (out.length > 0) to.piece(out.view());
  sink.end(count);
  to.piecesWritten(PLAIN_HASH, new RdbOut(9).len(count).take());
  return count;
}
