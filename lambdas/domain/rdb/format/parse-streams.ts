/**
 * The RDB parser's streams (types 15, 19, 21, 26, 27): listpack nodes, metadata, consumer groups with their PELs and consumers, NACKs, idempotent producers. Each reader takes the parser's state and reads as far as the chunk goes (see format/parser.ts).
 */
import { RdbFormatError } from '../errors.js';
import { idmpSettingsProblem, STREAM_WITH_IDMP } from './key-meta.js';
import { STREAM_WITH_NACKS, typeBeforeItsVersion } from './opcodes.js';
import { fail, type RdbParserState } from './parse-state.js';
import { belowNode, type IdPart, idBelow, keyPart, lastLive, validateStreamNode } from './stream-node.js';

/** Redis 8.6's stream with idempotent-producer data (type 26): no type before RDB 13. */
export function idmpStream(p: RdbParserState, type: number): boolean {
  if (p.version < 13) fail(typeBeforeItsVersion(type, p.version)!);
  return stream(p, type);
}

// Positions inside a stream value (RDB types 15, 19, 21).
export const S_NODES = 0;
export const S_NODE_KEY = 1;
export const S_NODE_LISTPACK = 2;
export const S_META = 3;
export const S_GROUP = 4;
export const S_GROUP_META = 5;
export const S_PEL = 6;
export const S_CONSUMER = 7;
export const S_CONSUMER_META = 8;
export const S_OWNED = 9;
export const S_IDMP = 10;
export const S_IDMP_PRODUCER = 11;
export const S_IDMP_COUNT = 12;
export const S_IDMP_IID = 13;
export const S_IDMP_ID = 14;
export const S_IDMP_TOTALS = 15;
export const S_NACK_COUNT = 16;
export const S_NACK = 17;

// What a section of a stream's reader did: a plain number (no allocation on this path, read per element).
/** The chunk ends inside the value: read on with the next. */
const NEED_MORE = 0;
/** The value is read whole. */
const DONE = 1;
/** A position read: the next one follows. */
const NEXT = 2;

/**
 * A stream: listpack nodes, metadata, consumer groups with their PELs and
 * consumers (and NACKs), idempotent producers. Each position belongs to one
 * section, a function of its own; a section returns after each position, so
 * the mark moves as it did with one switch.
 */
export function stream(p: RdbParserState, type: number): boolean {
  for (;;) {
    const sub = p.sub;
    const step =
      sub <= S_NODE_LISTPACK
        ? streamNodes(p)
        : sub <= S_GROUP_META
          ? streamGroups(p, type)
          : sub >= S_IDMP && sub <= S_IDMP_TOTALS
            ? streamProducers(p)
            : groupEntries(p, type);
    if (step !== NEXT) return step === DONE;
    p.mark = p.pos;
  }
}

/**
 * A stream of RDB type 15, 19 or 21 read by its bounds (a trusted read, see
 * RdbParser's value): its nodes' strings skipped by their lengths, its
 * metadata, groups, pending entries and consumers by theirs; nothing held,
 * nothing checked but the framing. Only for a value the caller proves to be
 * one a full read checked (`valueCheckedBefore`: convert-rdb's read-back of
 * a stream it wrote, its bytes proven by the digest to be the input's, the
 * fields an older layout lacks left out, and every check {@link stream}
 * makes of an older layout it makes of a newer one); a file read as trusted
 * as a whole (`emptyKeys`) reads its streams in full, as before.
 */
export function trustedStream(p: RdbParserState, type: number): boolean {
  if (p.trustedFile) return stream(p, type);
  for (;;) {
    switch (p.sub) {
      case S_NODES:
        p.count = 2 * p.length(); // each node's key and listpack: strings alike
        p.sub = S_NODE_KEY;
        break;
      case S_NODE_KEY: {
        if (p.count === 0) {
          p.sub = S_META;
          break;
        }
        const done = p.skipString();
        p.count--;
        p.mark = p.pos;
        if (!done) return false;
        continue;
      }
      case S_META:
        p.length(); // length
        p.length(true);
        p.length(true); // last id
        if (type >= 19) for (let i = 0; i < 5; i++) p.length(true); // first id, max deleted id, entries added
        p.count = p.length(); // groups
        p.sub = S_GROUP;
        break;
      case S_GROUP: {
        if (p.count === 0) return true;
        const done = p.skipString(); // name
        p.sub = S_GROUP_META;
        p.mark = p.pos;
        if (!done) return false;
        continue;
      }
      case S_GROUP_META:
        p.length(true);
        p.length(true); // last delivered id
        if (type >= 19) p.length(true); // entries read
        p.count2 = p.length(); // PEL size
        p.sub = S_PEL;
        break;
      case S_PEL:
        while (p.count2 > 0) {
          p.skip(16 + 8); // id, delivery time
          p.length(true); // delivery count
          p.count2--;
          p.mark = p.pos;
        }
        p.count2 = p.length(); // consumers
        p.sub = S_CONSUMER;
        break;
      case S_CONSUMER: {
        if (p.count2 === 0) {
          p.count--;
          p.sub = S_GROUP;
          break;
        }
        const done = p.skipString(); // name
        p.sub = S_CONSUMER_META;
        p.mark = p.pos;
        if (!done) return false;
        continue;
      }
      case S_CONSUMER_META:
        p.skip(type >= 21 ? 16 : 8); // seen time (+ active time in v3)
        p.count3 = p.length(); // owned PEL entries
        p.sub = S_OWNED;
        break;
      default:
        // S_OWNED
        while (p.count3 > 0) {
          p.skip(16);
          p.count3--;
          p.mark = p.pos;
        }
        p.count2--;
        p.sub = S_CONSUMER;
        break;
    }
    p.mark = p.pos;
  }
}

/** The stream's listpack nodes: their count, then each node's 16-byte key and its listpack. */
function streamNodes(p: RdbParserState): number {
  switch (p.sub) {
    case S_NODES:
      p.count = p.stream.nodes = p.length();
      p.stream.entries = 0;
      p.stream.live = false;
      p.dupBegin(p.count);
      p.sub = S_NODE_KEY;
      return NEXT;
    case S_NODE_KEY: {
      if (p.count === 0) {
        p.sub = S_META;
        return NEXT;
      }
      const key = p.keptString();
      if (key === null) return NEED_MORE;
      if (key.length !== 16) p.fail(`stream node key is ${key.length} bytes, expected a 16-byte stream ID`);
      p.fpReset();
      p.fpUpdate(key, 0, 16);
      p.dupCheckAs('a stream node under an ID already seen: Redis refuses it ("Listpack re-added with existing key")');
      // Redis keeps nodes in a radix tree and reads them in ID order, whatever the file's order: a writer saves them in that order, so
      // a file whose node IDs do not rise would read differently in Redis than here (and than in the file). Refused as corrupt.
      if (p.count < p.stream.nodes && !idAbove(key, p.stream.nodeKey))
        p.fail(`stream node ID ${idOf(key)} is not above the node before it (${idOf(p.stream.nodeKey)}): node IDs out of order`);
      // Each live entry lies below the next node's ID: Redis seeks an ID's entries from the last node at or below it.
      const st = p.stream;
      if (st.live && !idBelow(st.lastMs, st.lastSeq, keyPart(key, 0), keyPart(key, 8)))
        p.fail(
          `stream node ID ${idOf(key)} is not above entry ${st.lastMs}-${st.lastSeq} of node ${idOf(st.liveNode)} before it: Redis's XRANGE and XREVRANGE of that entry's ID, and XREAD from just below it, then miss that entry`,
        );
      p.stream.nodeKey.set(key.subarray(0, 16));
      p.sub = S_NODE_LISTPACK;
      return NEXT;
    }
    default: {
      // S_NODE_LISTPACK
      const listpack = p.keptString();
      if (listpack === null) return NEED_MORE;
      // As a listpack and as a stream node, in one walk (stream-node.ts): what deep validation checks, and the counts every reader of
      // its entries relies on.
      try {
        p.stream.entries += validateStreamNode(listpack, p.stream.nodeKey, p.count === p.stream.nodes);
      } catch (err) {
        if (!(err instanceof RdbFormatError)) throw err;
        p.fail(err.message);
      }
      const st = p.stream;
      if (belowNode.entry) {
        // Below its node's ID, and (a 7.0 XSETID checks the last live entry in file order, not the highest) maybe not above a live entry
        // before it: Redis's own XRANGE - + then lists that ID twice, or IDs out of order. Still what the server held and loaded.
        const repeats = st.live && !idBelow(st.topMs, st.topSeq, belowNode.ms, belowNode.seq);
        p.warn(
          p.base + p.pos,
          `${p.describe()}: ${belowNode.entry}${repeats ? `; it repeats or precedes live entry ${st.topMs}-${st.topSeq} of node ${idOf(st.topNode)}, so XRANGE - + lists IDs out of order or one twice` : ''}: Redis loads it, with deep sanitization too`,
          'server-held',
        );
      }
      if (lastLive.some) {
        // A node's live entries rise: its last is its highest.
        if (!st.live || idBelow(st.topMs, st.topSeq, lastLive.ms, lastLive.seq)) {
          st.topMs = lastLive.ms;
          st.topSeq = lastLive.seq;
          st.topNode.set(st.nodeKey);
        }
        st.live = true;
        st.lastMs = lastLive.ms;
        st.lastSeq = lastLive.seq;
        st.liveNode.set(st.nodeKey);
      }
      p.count--;
      p.sub = S_NODE_KEY;
      return NEXT;
    }
  }
}

/** Whether the 16-byte big-endian stream ID `a` is above `b`. */
function idAbove(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 16; i++) if (a[i] !== b[i]) return a[i]! > b[i]!;
  return false;
}

const half = (k: Uint8Array, at: number): number => ((k[at]! << 24) | (k[at + 1]! << 16) | (k[at + 2]! << 8) | k[at + 3]!) >>> 0;
const idPart = (k: Uint8Array, at: number): bigint => (BigInt(half(k, at)) << 32n) | BigInt(half(k, at + 4));
const idOf = (k: Uint8Array): string => `${idPart(k, 0)}-${idPart(k, 8)}`;

/** A length read exactly: a number below 2^53, else (a 64-bit length) a bigint. */
function exactLength(p: RdbParserState): IdPart {
  const at = p.pos;
  const n = p.length(true);
  if (n <= Number.MAX_SAFE_INTEGER) return n;
  let v = 0n;
  for (let i = 1; i <= 8; i++) v = (v << 8n) | BigInt(p.buf[at + i]!);
  return v;
}

/** The stream's metadata, then each consumer group's name and metadata (its entries: groupEntries); after the last, the producers or the end. */
function streamGroups(p: RdbParserState, type: number): number {
  switch (p.sub) {
    case S_META: {
      const entries = p.length();
      const lastMs = exactLength(p);
      const lastSeq = exactLength(p);
      // No live entry above the stream's last ID: it is one the stream never generated (Redis's next XADD would land below it).
      // A deleted one may be: a Redis before 7.2 leaves one there (XDEL of the top entry, then XSETID below it), every reader skips it.
      const st = p.stream;
      if (st.live && idBelow(lastMs, lastSeq, st.lastMs, st.lastSeq))
        p.fail(`stream entry ${st.lastMs}-${st.lastSeq} of node ${idOf(st.liveNode)} is above the stream's last ID ${lastMs}-${lastSeq}`);
      if (type >= 19) {
        for (let i = 0; i < 5; i++) p.length(true); // first id, max deleted id, entries added
      }
      if (entries > 0 && p.stream.nodes === 0) p.fail(`stream length ${entries} but no listpacks`);
      // Redis loads a length its nodes do not hold (XLEN then answers it, XRANGE the entries): every reader here refuses it.
      if (entries !== p.stream.entries)
        p.fail(`the stream says it holds ${entries} entries, its nodes hold ${p.stream.entries}: Redis loads it, but XLEN then contradicts XRANGE`);
      p.count = p.length(); // groups
      p.groupNames.clear();
      p.sub = S_GROUP;
      return NEXT;
    }
    case S_GROUP:
      if (p.count === 0) {
        p.groupNames.clear();
        if (type < STREAM_WITH_IDMP) return DONE;
        p.sub = S_IDMP;
        return NEXT;
      }
      if (!p.fingerprintString()) return NEED_MORE; // group name
      if (!addName(p, p.groupNames)) p.fail('a consumer group name twice: Redis refuses it ("Duplicated consumer group name")');
      p.sub = S_GROUP_META;
      return NEXT;
    default:
      // S_GROUP_META
      p.length(true);
      p.length(true); // last delivered id
      if (type >= 19) p.length(true); // entries read
      p.count2 = p.length(); // PEL size
      p.pel.clear();
      p.consumerNames.clear();
      p.sub = S_PEL;
      return NEXT;
  }
}

/** A consumer group's entries: its PEL, its consumers with the entries each owns, and its NACKed entries; then the next group. */
function groupEntries(p: RdbParserState, type: number): number {
  switch (p.sub) {
    case S_PEL: {
      if (p.count2 === 0) {
        p.count2 = p.length(); // consumers
        p.sub = S_CONSUMER;
        return NEXT;
      }
      const id = streamId(p);
      if (p.pel.has(id)) p.fail('duplicate entry in a consumer group PEL');
      p.skip(8); // delivery time
      p.length(true); // delivery count
      p.pel.set(id, false); // only now: a cut inside the entry re-reads it from its start
      p.count2--;
      return NEXT;
    }
    case S_CONSUMER:
      if (p.count2 === 0) {
        if (type >= STREAM_WITH_NACKS) {
          p.sub = S_NACK_COUNT;
          return NEXT;
        }
        endGroup(p);
        return NEXT;
      }
      if (!p.fingerprintString()) return NEED_MORE; // consumer name
      if (!addName(p, p.consumerNames)) p.fail('a consumer twice in a group: Redis refuses it ("Duplicate stream consumer detected")');
      p.sub = S_CONSUMER_META;
      return NEXT;
    case S_CONSUMER_META:
      p.skip(type >= 21 ? 16 : 8); // seen time (+ active time in v3)
      p.count3 = p.length(); // owned PEL entries
      p.owned.clear();
      p.sub = S_OWNED;
      return NEXT;
    case S_NACK_COUNT:
      p.count3 = p.length(); // NACKed entries of the group
      p.owned.clear();
      p.sub = S_NACK;
      return NEXT;
    case S_NACK: {
      if (p.count3 === 0) {
        p.owned.clear();
        endGroup(p);
        return NEXT;
      }
      // A NACKed entry is a pending entry of the group that no consumer holds (XNACK released it).
      const id = streamId(p);
      if (!p.pel.has(id)) p.fail('a NACKed entry not found in the group PEL: Redis refuses it');
      if (p.owned.has(id)) p.fail('a NACKed entry listed twice: Redis refuses it');
      if (p.pel.get(id)) p.fail('a NACKed entry that a consumer owns: Redis refuses it');
      p.owned.add(id);
      p.pel.set(id, true); // accounted for: not an unowned entry
      p.count3--;
      return NEXT;
    }
    default: {
      // S_OWNED
      if (p.count3 === 0) {
        p.owned.clear();
        p.count2--;
        p.sub = S_CONSUMER;
        return NEXT;
      }
      const id = streamId(p);
      if (!p.pel.has(id)) p.fail('consumer PEL entry not found in the group PEL');
      if (p.owned.has(id)) p.fail('a consumer owns the same pending entry twice: Redis refuses it ("Duplicated consumer PEL entry")');
      // Owned by an earlier consumer of the group: Redis 7.0 refuses the file on load, sanitizing or not (review 45's fuzzing).
      if (p.pel.get(id)) p.fail('two consumers own the same pending entry: Redis refuses it ("Stream consumer PEL entry already has a consumer assigned")');
      p.owned.add(id);
      p.pel.set(id, true);
      p.count3--;
      return NEXT;
    }
  }
}

/** A group read whole: its unowned pending entries said, then the next group. */
function endGroup(p: RdbParserState): void {
  unownedPendingEntries(p);
  p.count--;
  p.pel.clear();
  p.consumerNames.clear();
  p.sub = S_GROUP;
}

/** Redis 8.6's idempotent producers: the settings, each producer with its entries, then the totals (the value's end). */
function streamProducers(p: RdbParserState): number {
  switch (p.sub) {
    case S_IDMP: {
      const problem = idmpSettingsProblem(p.length(true), p.length(true));
      if (problem !== null) p.fail(problem);
      p.count = p.length(); // producers
      p.sub = S_IDMP_PRODUCER;
      return NEXT;
    }
    case S_IDMP_PRODUCER:
      if (p.count === 0) {
        p.groupNames.clear();
        p.sub = S_IDMP_TOTALS;
        return NEXT;
      }
      if (!p.fingerprintString()) return NEED_MORE; // producer id
      p.sub = S_IDMP_COUNT;
      return NEXT;
    case S_IDMP_COUNT:
      p.count3 = p.length(); // its entries
      // The loader skips a producer without entries; one with entries twice fails its rax insert, unless every
      // entry of the first had expired by load time (then it was dropped): so a warning, as the outcome depends on when.
      if (p.count3 > 0 && !addName(p, p.groupNames))
        p.warn(
          p.base + p.pos,
          `key ${p.keys + 1}: a stream's idempotent producer appears twice: Redis refuses it ("Stream IDMP entries loading failed") unless the first one's entries have all expired when the file is loaded`,
          'load-time',
        );
      p.count--;
      p.sub = p.count3 > 0 ? S_IDMP_IID : S_IDMP_PRODUCER;
      return NEXT;
    case S_IDMP_IID: {
      const done = p.skipString(); // idempotent id
      p.sub = S_IDMP_ID;
      p.mark = p.pos;
      return done ? NEXT : NEED_MORE;
    }
    case S_IDMP_ID:
      p.length(true);
      p.length(true); // the stream ID it was added as
      p.count3--;
      p.sub = p.count3 > 0 ? S_IDMP_IID : S_IDMP_PRODUCER;
      return NEXT;
    default:
      // S_IDMP_TOTALS
      p.length(true); // IDs added
      p.length(true); // duplicates detected
      p.mark = p.pos;
      return DONE;
  }
}

/**
 * A 16-byte stream ID as a string key (for PEL bookkeeping): its bytes as
 * eight UTF-16 code units, a key and nothing else (never shown). Built in
 * JavaScript: a TextDecoder call per pending entry was a third of a
 * stream's read (bench/README.md, convert-rdb, 2026-11-26 11:40).
 */
export function streamId(p: RdbParserState): string {
  p.need(16);
  const b = p.buf;
  const at = p.pos;
  p.pos = at + 16;
  return String.fromCharCode(
    b[at]! | (b[at + 1]! << 8),
    b[at + 2]! | (b[at + 3]! << 8),
    b[at + 4]! | (b[at + 5]! << 8),
    b[at + 6]! | (b[at + 7]! << 8),
    b[at + 8]! | (b[at + 9]! << 8),
    b[at + 10]! | (b[at + 11]! << 8),
    b[at + 12]! | (b[at + 13]! << 8),
    b[at + 14]! | (b[at + 15]! << 8),
  );
}

/** Pending entries no consumer owns: Redis refuses them only with sanitize-dump-payload yes ("Stream CG PEL entry without consumer"). */
export function unownedPendingEntries(p: RdbParserState): void {
  let unowned = 0;
  for (const owned of p.pel.values()) if (!owned) unowned++;
  if (unowned > 0) {
    p.warn(
      p.base + p.pos,
      `${p.describe()}: ${unowned} pending entr${unowned === 1 ? 'y' : 'ies'} of a consumer group with no consumer: Redis loads it (and XPENDING of the group crashes Redis 7.0: review 45); only sanitize-dump-payload yes refuses it`,
      'sanitize-only',
    );
  }
}

/** The fingerprint just taken (`p.fp`: a group's or consumer's name), as a 53-bit number, added to `names`; false when it was there already. */
function addName(p: RdbParserState, names: Set<number>): boolean {
  const id = (p.fp[0]! >>> 0) * 2097152 + (p.fp[1]! >>> 11);
  if (names.has(id)) return false;
  names.add(id);
  return true;
}
