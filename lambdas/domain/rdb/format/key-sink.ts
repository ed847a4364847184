/**
 * What the RDB parser (format/parser.ts) and a key reader (rdb/keys.ts)
 * exchange: where each key lies, and what a read may take as checked
 * already (bytes proven the same as verified ones, or the keys of a written
 * file whose values are proven copies of verified ones).
 */

/**
 * Receives each key's place in the file, for callers that need its bytes (key
 * recovery straight from a file: `rdb/keys.ts`). Called once per key the
 * parser accepted, in file order, as soon as its value is complete; empty
 * keys (which Redis skips on load) are not reported.
 */
/**
 * The `expireAtMs` {@link RdbKeySink.key} is given for a key without an expiry. Redis reads an expiry of exactly -1 ms in
 * a file as none (its own "no expiry"), so the parser gives that one as none too; any other expiry before the epoch is an
 * expiry in the past (Redis drops such a key on load): a reader must not take every negative for none.
 */
export const NO_EXPIRY = -1;

export interface RdbKeySink {
  /**
   * `[start, nameEnd)`: the RDB type byte and the key's name as stored;
   * `[nameEnd, end)`: the value's bytes exactly as stored (a DUMP payload's
   * object bytes). Offsets are into the file. `expireAtMs` is {@link NO_EXPIRY}
   * without an expiry, else the file's expiry (negative ones too: in the past).
   */
  key(db: number, type: number, start: number, nameEnd: number, end: number, expireAtMs: number): void;
  /** A function library: `[start, end)` is its FUNCTION2 opcode and the library's code string as stored. */
  functionLibrary(start: number, end: number): void;
  /** A key whose value holds no element (skipped on load, never passed to {@link key}): `start` is its type byte's offset. */
  emptyKey?(start: number): void;
  /**
   * A listpack of the value being read (RDB `type`; its key's type byte at `keyStart`) that the sink re-encodes
   * (convert-rdb: write/transcode.ts `WalkedListpacks`), walked by the sink in place of the parser's validation walk: the
   * element count `validateListpack` (blobs.ts) would return, its members every `stride` entries (`members` of them; 0:
   * none checked) none twice, when the sink's walk checked all that walk checks and vouches for it; else negative, and
   * the parser validates it as ever (every verdict and message its own). A sorted set's listpack vouched for has every
   * score read as a number as the server's strtod reads it, none NaN (the parser looks for no NaN score in it then:
   * parse-zsets.ts listpackZset). Read once, when the parser is built.
   */
  readonly listpack?: (keyStart: number, type: number, blob: Uint8Array, stride: number, members: number) => number;
}

/**
 * A read that takes part of the file's checks as done (RdbParser's constructor):
 * - `emptyKeys`: the bytes are ones this parser judged valid before, proven
 *   the same by block CRCs (rdb/block-digests.ts): only the keys' bounds are
 *   read; no CRC-64, blob, LZF or duplicate check; the keys that read found
 *   empty are given by their type byte's offset.
 * - `valueCheckedBefore`: a file the caller wrote and reads back (convert-rdb's
 *   output): the key of each `ordinal` (0 for the first key in the file, in
 *   file order) and value `type` for which it answers true is read by its
 *   bounds: the caller proves that value, by a digest of the read-back, to
 *   be one a full verification passed (bytes copied as they were, the
 *   same elements in order in a plain form the caller walks in full, or a
 *   stream's bytes, the fields an older layout lacks left out); every
 *   other key's value gets every check. The framing and the CRC-64 are
 *   checked as in a full read; the duplicate-key check is not run (the
 *   caller proves every name equal, in order, to a checked file's). A
 *   number instead of true is the value's byte length as the caller wrote
 *   it: a value that lies whole in the chunk is passed over by it, not
 *   walked (parse-values.ts passedOver).
 */
export type TrustedRead = { readonly emptyKeys: ReadonlySet<number> } | { readonly valueCheckedBefore: (ordinal: number, type: number) => boolean | number };
