/**
 * The RDB parser's listpack values of members (a hash's 16, a sorted set's 17, a set's 20): a small one checked where
 * it lies (or gathered across chunks), a big one that continues past its chunk validated as it streams by
 * (format/listpack-stream.ts), so that the parser does not hold a second copy of a value its reader may keep (issue 55).
 */
import type { ListpackTtls } from './blob-members.js';
import { u16le } from './bytes.js';
import { B_LISTPACK, B_LZF_LISTPACK } from './parse-constants.js';
import type { RdbParserState } from './parse-state.js';

/** A listpack of at least this many bytes that continues past its chunk streams (a smaller one is gathered: it costs little). */
export const STREAMED_LISTPACK_BYTES = 1 << 20;
/** {@link keptListpack}'s stride for a listpack of values, not members (a template hash's): none is checked against the others. */
export const VALUES_ONLY = 0;

/**
 * The listpack string of a set, sorted set or hash at the parser's position (its members every `stride` elements,
 * with `scores` a sorted set's): its bytes ({@link RdbParserState.keptString}), or for a big plain one that continues
 * past the chunk, its element count once its stream is done, validated as {@link RdbParserState.listpackWithMembers}
 * validates (a member twice in `lpMembers.duplicate`, a NaN score in `lpStream.nan`). Null while its bytes continue.
 * One whose header counts 65535 (no count: as many or more elements) streams too, its member table growing as it goes.
 * A big LZF-compressed one streams too, expanded as it streams by ({@link lzfListpack}). With `ttls` (a hash with field
 * TTLs, types 23 and 25: stride 3), a streamed one's TTLs are checked into it as they go by.
 */
export function keptListpack(p: RdbParserState, stride: number, scores: boolean, ttls?: ListpackTtls): Uint8Array | number | null {
  if (p.streamed >= 0) {
    const n = p.streamed;
    p.streamed = -1;
    return n;
  }
  if (p.collected !== null) return p.keptString();
  const start = p.pos;
  const n = p.lengthOrEncoding(false);
  if (n === LZF_ENCODED) return lzfListpack(p, start, stride, scores, ttls);
  const at = p.pos;
  if (n >= STREAMED_LISTPACK_BYTES && at + n > p.limit && at + 6 <= p.limit) {
    p.checkLimit(n);
    beginStream(p, p.buf, at, n, stride, scores, ttls);
    p.startBody(B_LISTPACK, n);
    return null;
  }
  p.pos = start;
  return p.keptString();
}

/** {@link RdbParserState.lengthOrEncoding}'s answer for an LZF-compressed string (encoding 3). */
const LZF_ENCODED = -4;

/** The member check and the stream of a listpack of `len` bytes whose header is `head[at, at + 6)`. */
function beginStream(p: RdbParserState, head: Uint8Array, at: number, len: number, stride: number, scores: boolean, ttls?: ListpackTtls): void {
  const m = p.lpMembers;
  const declared = u16le(head, at + 4);
  // 65535: no count (as many or more elements): the member table grows as the members come (DuplicateCheck.beginGrowing).
  const members = stride === VALUES_ONLY ? 0 : declared === 0xffff ? 2 : Math.floor(declared / stride);
  m.duplicate = false;
  if (members >= 2) {
    if (declared === 0xffff) p.dups.beginGrowing();
    else p.dupBegin(members);
    m.stride = stride;
  }
  p.lpStream.begin(head, at, len, members >= 2 ? m : undefined, stride, scores, ttls);
}

/**
 * {@link keptListpack} of an LZF-compressed listpack (its length's encoding read, from `start`): a big one that
 * continues past the chunk expanded and validated as it streams by (lzf-listpack.ts), neither its compressed body nor
 * its expansion gathered; else gathered and expanded whole.
 */
function lzfListpack(p: RdbParserState, start: number, stride: number, scores: boolean, ttls?: ListpackTtls): Uint8Array | null {
  const compressed = p.lzfHeader();
  // (One declared empty is gathered: it expands to no bytes, which the listpack check refuses, as Redis does.)
  if (compressed >= STREAMED_LISTPACK_BYTES && p.pos + compressed > p.limit && p.lzfPlain !== 0) {
    const plain = p.lzfPlain;
    p.lzfListpack.start(compressed, plain, (head, at) => beginStream(p, head, at, plain, stride, scores, ttls));
    p.startBody(B_LZF_LISTPACK, compressed);
    return null;
  }
  p.pos = start;
  return p.keptString();
}

/** A listpack of members (`blob`, or a streamed one's element count): its element count; a member twice as {@link RdbParserState.listpackDuplicates} says. */
export function listpackMembers(p: RdbParserState, blob: Uint8Array | number, stride: number, what: string): number {
  const n = typeof blob === 'number' ? blob : p.listpackWithMembers(blob, stride);
  p.listpackDuplicates(n, stride, what);
  return n;
}

/**
 * A listpack of pairs (hash 16, zset 17): see {@link RdbParserState.sanitizeOnly}. Its element count is returned; the
 * value is empty when it holds no whole pair (fewer than 2 elements), as Redis judges it: a load counts a hash's or a
 * sorted set's length as its elements / 2 and skips one of length 0 (a lone element too: Redis 7.0 without sanitization
 * loads the file without that key).
 */
export function listpackPairs(p: RdbParserState, blob: Uint8Array | number, what: string): number {
  const n = typeof blob === 'number' ? blob : p.listpackWithMembers(blob, 2);
  // A read of it can abort the server: HGETALL of such a hash does on Redis 7.0 (t_hash.c assertion; review 45).
  // Its length is the whole pairs, as Redis counts it (elements / 2, rounded down): 128 pairs and a lone element are 128,
  // which a load does not convert (it converts past 128), so that loads (review 49: it was judged 128.5, so refused).
  if (n % 2 !== 0)
    p.sanitizeOnly(
      Math.floor(n / 2),
      'listpack of pairs has an odd element count',
      ' (and a read of it can abort the server: HGETALL of such a hash does on Redis 7.0)',
    );
  p.listpackDuplicates(n, 2, what);
  return n;
}
