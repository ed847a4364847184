/**
 * A stream's ids and its groups' read counters as Redis 7.0 keeps, derives
 * and estimates them (src/t_stream.c, src/rdb.c): the one place of those
 * rules, for a file's streams (value.ts), a conversion's judgement of a
 * stream written for RDB 9 (stream-info.ts) and a server read live.
 */
/** A stream id as its two 64-bit parts. */
export type StreamId = readonly [ms: bigint, seq: bigint];

/** What Redis 7.0 keeps of a stream beside its entries and groups (t_stream.c's stream struct). */
export interface StreamMetaIds {
  readonly length: number;
  readonly lastId: StreamId;
  readonly firstId: StreamId;
  readonly maxDeletedId: StreamId;
  readonly entriesAdded: bigint;
}

const U64_MAX = (1n << 64n) - 1n;

/** Compares stream ids as streamCompareID does. */
function compareStreamId(a: StreamId, b: StreamId): number {
  return a[0] !== b[0] ? (a[0] < b[0] ? -1 : 1) : a[1] !== b[1] ? (a[1] < b[1] ? -1 : 1) : 0;
}

/** No deleted entry, or the newest deleted before the first entry (Redis 7.0's test in both streamRangeHasTombstones and the estimate). */
const noTombstones = (s: StreamMetaIds): boolean => (s.maxDeletedId[0] === 0n && s.maxDeletedId[1] === 0n) || compareStreamId(s.maxDeletedId, s.firstId) < 0;

/**
 * A group's logical read counter from its last id, where the stream allows
 * an estimate; null where it does not (Redis 7.0's
 * streamEstimateDistanceFromFirstEverEntry, src/t_stream.c).
 */
export function estimateEntriesRead(s: StreamMetaIds, id: StreamId): bigint | null {
  if (s.entriesAdded === 0n) return 0n;
  if (s.length === 0 && compareStreamId(id, s.lastId) < 1) return s.entriesAdded;
  const last = compareStreamId(id, s.lastId);
  if (last === 0) return s.entriesAdded;
  if (last > 0) return null;
  const first = compareStreamId(id, s.firstId);
  const clear = noTombstones(s);
  if (clear && first < 0) return s.entriesAdded - BigInt(s.length);
  if (clear && first === 0) return s.entriesAdded - BigInt(s.length) + 1n;
  return null;
}

/**
 * A group's lag (entries not yet delivered to it), or null where the stream
 * cannot tell (Redis 7.0's streamReplyWithCGLag with streamRangeHasTombstones,
 * src/t_stream.c): exact from its read counter when no deleted entry lies
 * after its last id, else from the estimate.
 */
export function groupLag(s: StreamMetaIds, g: { readonly lastId: StreamId; readonly entriesRead: bigint | null }): bigint | null {
  if (s.entriesAdded === 0n) return 0n;
  const tombstoneAhead = s.length > 0 && !noTombstones(s) && compareStreamId(g.lastId, s.maxDeletedId) <= 0;
  if (g.entriesRead !== null && !tombstoneAhead) return s.entriesAdded - g.entriesRead;
  const read = estimateEntriesRead(s, g.lastId);
  return read === null ? null : s.entriesAdded - read;
}

/** An entry id's text (`ms-seq`) as numbers. */
export function parseStreamId(id: string): StreamId {
  const [ms, seq] = id.split('-');
  return [BigInt(ms!), BigInt(seq!)];
}

/**
 * A stream's ids as Redis 7.0's rdbLoadObject derives them loading a type 15
 * (src/rdb.c): entries added = its length, no deleted id (0-0), its first id
 * the first live entry's (`firstLive`; none: 2^64-1-2^64-1). The one place of
 * that rule: a file's type 15, a conversion's judgement of a newer stream
 * written as one (stream-info.ts), a server before 7.0 read live
 * (adapters/redis/canonical-read.ts).
 */
export function loadedAsType15(length: number, lastId: StreamId, firstLive: StreamId | undefined): StreamMetaIds {
  return { length, lastId, firstId: firstLive ?? [U64_MAX, U64_MAX], maxDeletedId: [0n, 0n], entriesAdded: BigInt(length) };
}

/** A group's stored read counter (RDB 10 and on; 2^64-1: unknown, what SCG_INVALID_ENTRIES_READ is saved as) as a count or null. */
export const storedEntriesRead = (n: bigint): bigint | null => (n === U64_MAX ? null : n);

/** A group's entries-read as XINFO GROUPS shows it (`nil`: unknown). */
export const entriesReadText = (n: bigint | null): string => (n === null ? 'nil' : String(n));

/**
 * Whether Redis's reads by ID list a stream's live entries in the file's
 * order, so that XRANGE … COUNT from the ID after the last one read walks
 * them all, once each: every live entry above the one before it and not
 * below its node's ID (value.ts streamedDigest asks). A Redis before 7.2
 * writes a stream that breaks this after an XSETID below deleted entries
 * (verify-rdb warns of it; docs/dr-copies.md): in the repeat state XRANGE - +
 * lists 1-6 1-5 1-6, and XRANGE from 1-7, the ID after the first, misses the
 * other two.
 */
export class ReadOrder {
  inOrder = true;
  private ms = -1n;
  private seq = 0n;

  /** A live entry `ms-seq` of the node `masterMs-masterSeq`, in file order. */
  live(masterMs: bigint, masterSeq: bigint, ms: bigint, seq: bigint): void {
    if (ms < masterMs || (ms === masterMs && seq < masterSeq) || ms < this.ms || (ms === this.ms && seq <= this.seq)) this.inOrder = false;
    this.ms = ms;
    this.seq = seq;
  }
}
