/**
 * What a key reader (keys.ts) hands on: a key ready for `RESTORE` ({@link RdbKey}; a big one in parts,
 * {@link KeyInParts}, whose bytes {@link releasePayload} lets go), where a key's value lies
 * ({@link KeyPlacement}, {@link KeyPlaces}), and one key where it lies in the chunk ({@link KeyInPlace}).
 * Split from keys.ts by what it does.
 */
import { sealDumpPayload, DUMP_FOOTER_BYTES } from './format/dump-payload.js';
import type { RdbParser } from './format/parser.js';

const EMPTY = new Uint8Array(0);

/** Where a key's value lies in the file (the DUMP payload's object bytes are `[valueAt, valueEnd)`). */
export interface KeyPlacement {
  /** RDB value type. */
  readonly type: number;
  readonly valueAt: number;
  readonly valueEnd: number;
  /** Absolute expiry in ms since the epoch; null without one. */
  readonly expireAtMs: number | null;
  /** A set's (20), zset's (17) or hash's (16) listpack holds a member (field) twice ({@link KeyInPlace.listpackMemberTwice}). */
  readonly memberTwice?: boolean;
}

/** One key of the file, ready for `RESTORE`. */
export interface RdbKey {
  /** Database it is stored in. */
  readonly db: number;
  readonly name: Buffer;
  /** RDB value type (0 string, … see rdb.h). */
  readonly type: number;
  /** Absolute expiry in ms since the epoch; null without one. */
  readonly expireAtMs: number | null;
  /** The expiry exactly, where {@link expireAtMs} is past ±2^53 and rounded (format/parse-state.ts pendingExpireExact); else undefined. */
  readonly expireAtExact?: bigint | undefined;
  /**
   * The DUMP payload (type byte, object bytes, RDB version, CRC-64). For a
   * key in {@link payloadParts}, joined when first read (a copy: writers use
   * the parts).
   */
  readonly payload: Buffer;
  /** Its length in bytes (without joining parts). */
  readonly payloadBytes: number;
  /**
   * A big key's payload as parts, the file's chunks themselves (with
   * `keepChunks`, from `partsFromBytes` on): written part by part, it is
   * never held twice.
   */
  readonly payloadParts?: readonly Buffer[];
  /** Module type name of a module value (RDB types 6 and 7, e.g. `ReJSON-RL`): the target needs that module. */
  readonly module?: string;
  /** File offsets of the key's first byte (its type) and of the byte after its value. */
  readonly offset: number;
  readonly end: number;
}

/** Where a reader hands each key (its `place` option): name `name[nameFrom, nameTo)` (a view for the call only), value bytes, expiry (ms; NaN: none). */
export interface KeyPlaces {
  place(db: number, type: number, name: Uint8Array, nameFrom: number, nameTo: number, valueAt: number, valueEnd: number, expireAt: number): void;
}

/**
 * One key where it lies ({@link RdbKeyReaderOptions.visit}): its name and
 * value as ranges of buffers, each a view of the chunk pushed (or, for a key
 * that spans chunks, of a copy gathered for it), valid only during the
 * call. One object, reused for every key: nothing is built per key.
 */
export class KeyInPlace {
  db = 0;
  /** RDB value type. */
  type = 0;
  /** Absolute expiry in ms since the epoch; null without one. */
  expireAtMs: number | null = null;
  /** {@link RdbKey.expireAtExact}. */
  expireAtExact: bigint | undefined = undefined;
  /** The name's bytes (as Redis compares them: an integer or LZF name decoded) are `nameBytes[nameFrom, nameTo)`. */
  nameBytes: Uint8Array = EMPTY;
  nameFrom = 0;
  nameTo = 0;
  /**
   * The name as the file stores it, length prefix included, when it is stored LZF-compressed or as an integer (the
   * encodings of a first byte 0b11……); undefined for a plain name. A writer copies it as it lies: every RDB version
   * and fork reads those encodings for a name (rdbGenericLoadStringObject), so a compressed name stays compressed.
   */
  storedName: Uint8Array | undefined = undefined;
  /** The value's bytes as stored (a DUMP payload's object bytes) are `bytes[from, to)`; empty when {@link parts} holds them. */
  bytes: Uint8Array = EMPTY;
  /**
   * A big value that spans chunks, for a caller that asked for it in parts (RdbKeyReaderOptions.valueParts): its bytes
   * are these parts' in order (valid after the call too), not gathered into one copy; `bytes` is empty. The reader
   * holds them no longer when it hands them on (the key ends in the chunk pushed: none is read again), so a caller
   * done with a part may let it go from this array (write/transcode.ts transcodeParts). Undefined for every other key.
   */
  parts: Uint8Array[] | undefined = undefined;
  from = 0;
  to = 0;
  /** The file offset of `bytes[0]`. */
  bytesAt = 0;
  /** @internal The reader's parser (for {@link expanded}). */
  parser: RdbParser | undefined;
  /** File offsets of the key's first byte (its type) and of the byte after its value. */
  offset = 0;
  end = 0;
  /** RDB version of {@link payload}'s footer. */
  version = 0;
  seal = true;

  /**
   * The expansion of the LZF string whose compressed bytes are
   * `bytes[from, to)`, when the parser expanded it last while checking this
   * value and the expansion is intact (valid during the visit only); else
   * undefined (expand it). One expansion per string for a caller that
   * re-encodes the value (write/transcode.ts).
   */
  expanded(from: number, to: number): Uint8Array | undefined {
    return this.parser?.lzfExpansionOf(this.bytesAt + from, this.bytesAt + to);
  }

  /**
   * Whether the parser found a member twice in this value's listpack: a set's (20), hash's field (16) or zset's (17),
   * in a listpack small enough that Redis loads it as it is (the verifier warns). A plain set or zset with a
   * member twice Redis refuses on load ("Duplicate set members detected"), so a writer cannot re-encode it as one.
   */
  listpackMemberTwice(): boolean {
    return (this.type === 16 || this.type === 17 || this.type === 20) && this.parser?.lpMembers.duplicate === true;
  }

  /** The name, copied. */
  name(): Buffer {
    return Buffer.from(this.nameBytes.subarray(this.nameFrom, this.nameTo));
  }

  /** The key's DUMP payload (type byte, object bytes, footer as the reader's `sealPayloads` says): a copy, for the few keys that need one. */
  payload(): Buffer {
    // A value in parts gathered (a big hash with a field twice, refused by convert-rdb with its reason: a rare key).
    const parts = this.parts ?? [this.bytes.subarray(this.from, this.to)];
    let size = 0;
    for (const p of parts) size += p.length;
    const payload = Buffer.allocUnsafe(1 + size + DUMP_FOOTER_BYTES);
    payload[0] = this.type;
    let at = 1;
    for (const p of parts) {
      payload.set(p, at);
      at += p.length;
    }
    return footer(payload, this.version, this.seal);
  }
}

/** Writes a payload's footer: sealed (RDB version, CRC-64), or the version and a zero CRC-64 for a payload no server reads. */
export function footer(payload: Buffer, version: number, seal: boolean): Buffer {
  if (seal) return sealDumpPayload(payload, version) as Buffer;
  // The version stays: the decoder reads a type's meaning by it (Valkey's 22 is not Redis's).
  const body = payload.length - DUMP_FOOTER_BYTES;
  payload[body] = version & 0xff;
  payload[body + 1] = (version >> 8) & 0xff;
  // Eight bytes in a loop: Buffer's fill with an offset validates its arguments at a cost of about a microsecond a call.
  for (let i = body + 2; i < payload.length; i++) payload[i] = 0;
  return payload;
}

/**
 * A big key read with `keepChunks`: its payload in parts, views of the
 * file's chunks, until its reader's caller lets them go
 * ({@link releasePayload}).
 */
export class KeyInParts implements RdbKey {
  module?: string;
  private joined: Buffer | undefined;
  private released = false;

  constructor(
    readonly db: number,
    readonly name: Buffer,
    readonly type: number,
    readonly expireAtMs: number | null,
    readonly payloadBytes: number,
    readonly offset: number,
    readonly end: number,
    private readonly parts: Buffer[],
    readonly expireAtExact: bigint | undefined = undefined,
  ) {}

  get payloadParts(): readonly Buffer[] {
    if (this.released) throw new Error(`the payload of key ${this.name.toString('latin1')} at byte ${this.offset} was let go (releasePayload)`);
    return this.parts;
  }

  get payload(): Buffer {
    this.joined ??= Buffer.concat(this.payloadParts, this.payloadBytes);
    return this.joined;
  }

  release(): void {
    this.released = true;
    this.parts.length = 0;
    this.joined = undefined;
  }
}

/**
 * Lets a big key's bytes go (its parts, the file's chunks, and a payload
 * joined from them) for a caller done with the key while the key object
 * may still be reachable a while (a loop's variable in a suspended
 * generator, or on the stack), so that a collection made then frees the
 * 60 MiB a big key can be (bench/README.md, big-types: the collection after
 * a big key found it still held, and two big keys were alive until V8's
 * own next one). Its payload is not read after this (it throws). A key not
 * in parts is left as it is: its payload is one buffer, smaller than
 * `partsFromBytes`.
 */
export function releasePayload(key: RdbKey): void {
  if (key instanceof KeyInParts) key.release();
}
