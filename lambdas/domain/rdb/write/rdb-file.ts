/**
 * Writes an RDB file as it goes: the header (magic, version, AUX fields),
 * function libraries, keys (database selection, expiry, type, name, object
 * bytes) and the trailer (EOF opcode, CRC-64 of every byte before it),
 * handed out in chunks of about {@link FLUSH_BYTES} so a file of any size
 * takes one chunk and the key in hand. The reader of the same layout is
 * format/parser.ts; what a key's object bytes are is write/express.ts's.
 *
 * Also DUMP payloads for a target version (what `RESTORE` takes): the same
 * object bytes with the target's version and a CRC-64 (format/dump-payload.ts).
 */
import { Crc64, Crc64WithArea } from '../codecs/crc64.js';
import { type SharedArea, sharedArea } from '../codecs/shared-area.js';
import { dumpPayload } from '../format/dump-payload.js';
import { OP_AUX, OP_EOF, OP_EXPIRETIME_MS, OP_FUNCTION2, OP_SELECTDB } from '../format/opcodes.js';
import type { RdbFormat } from '../engines.js';
import type { KeyHead } from './key-list.js';
import { RdbOut } from './rdb-out.js';

/** Bytes gathered before a chunk is handed out. */
export const FLUSH_BYTES = 1 << 20;
/** A chunk buffer's size: a chunk and the key that crossed {@link FLUSH_BYTES} (a bigger key grows its buffer). */
const CHUNK_ROOM = FLUSH_BYTES + 4096;
/**
 * The largest chunk the writer moves its two buffers to a bigger area for
 * ({@link RdbFileWriter.chunk}); a bigger one (one big key) grows a buffer of
 * its own as before: the area stays as long as the writer, and a key of a
 * gigabyte must not leave two of them behind.
 */
const AREA_CHUNK_MAX = 8 << 20;

/** The 9-byte header of a format: `REDIS0011`, `VALKEY080`. */
export function rdbMagic(f: RdbFormat): Buffer {
  const digits = f.magic === 'VALKEY' ? 3 : 4;
  const v = String(f.version).padStart(digits, '0');
  if (v.length !== digits) throw new RangeError(`RDB version ${f.version} does not fit the ${f.magic} header`);
  return Buffer.from(`${f.magic}${v}`, 'latin1');
}

/** The DUMP payload (for `RESTORE`) of a value's type and object bytes, for a target reading `f`. */
export function dumpPayloadFor(type: number, object: Uint8Array, f: RdbFormat): Buffer {
  return dumpPayload(type, object, f.version) as Buffer;
}

/** Streams one RDB file out: call in file order, take {@link chunk}s as they fill, {@link end} last. */
export class RdbFileWriter {
  /**
   * The output's CRC-64, and the two chunk buffers in its loop's own memory
   * where WebAssembly runs: each chunk is checksummed where it was written,
   * not copied into the loop's memory first (codecs/crc64.ts Crc64WithArea).
   * None when the caller checksums the bytes it reads back ({@link RdbFileWriterOptions.trailerByCaller}).
   */
  private crc: Crc64 | Crc64WithArea | undefined;
  /** Each chunk buffer's room in the area (where WebAssembly runs). */
  private room = CHUNK_ROOM;
  private out: RdbOut;
  /** The shared area's slot the two buffers are in (given back at {@link end}), if they are. */
  private shared: { area: SharedArea; slot: number } | undefined;
  /** The buffer the last chunk handed out is a view of: written into again only after the next chunk. */
  private spare: RdbOut;
  private db = -1;
  /** Where the type byte of the key {@link keyOpened} opened goes (-1: none is open). */
  private typeAt = -1;
  private ended = false;
  /**
   * Chunks to hand out before the buffer's bytes: a big value's parts as the reader kept them ({@link keyParts}),
   * after a copy of the bytes before them.
   */
  private queued: Uint8Array[] = [];
  /** The key {@link keyInPieces} opened: its queued chunk holding its type byte, and where that byte is in it (-1: none open). */
  private piecesAt = -1;
  private piecesTypeAt = -1;
  /** Keys written. */
  keys = 0;
  /** Bytes handed out so far. */
  bytes = 0;

  /** Starts the file: its header and AUX fields (`redis-ver`, `ctime`, …, in the given order). */
  constructor(
    readonly format: RdbFormat,
    aux: readonly (readonly [string, string])[],
    options: RdbFileWriterOptions = {},
  ) {
    const own = options.trailerByCaller ? undefined : Crc64WithArea.make(2 * CHUNK_ROOM);
    this.crc = options.trailerByCaller ? undefined : (own ?? new Crc64());
    // No CRC-64 of its own: the two buffers in the shared area (codecs/shared-area.ts), where the re-encoding walk's
    // output is copied from by memory.copy; room for a chunk of AREA_CHUNK_MAX (a caller may take chunks seldom). Given
    // back at end(); a writer let go before it (a run that failed) keeps its slot, and the writers after it work in memory
    // of their own once the area has no room (the same bytes: test/lambdas/domain/rdb/codecs/shared-area.test.ts). No
    // finalizer gives it back: a chunk handed out may still be in a write when the writer is let go.
    const area = options.trailerByCaller ? sharedArea() : undefined;
    const slot = area?.take(2 * AREA_CHUNK_MAX);
    if (area !== undefined && slot !== undefined) {
      this.shared = { area, slot };
      this.out = new RdbOut(area.bytes.subarray(slot, slot + AREA_CHUNK_MAX), area);
      this.spare = new RdbOut(area.bytes.subarray(slot + AREA_CHUNK_MAX, slot + 2 * AREA_CHUNK_MAX), area);
    } else {
      this.out = new RdbOut(own ? own.area.subarray(0, CHUNK_ROOM) : CHUNK_ROOM);
      this.spare = new RdbOut(own ? own.area.subarray(CHUNK_ROOM) : CHUNK_ROOM);
    }
    this.out.bytes(rdbMagic(format));
    for (const [k, v] of aux) this.out.byte(OP_AUX).string(Buffer.from(k, 'utf8')).string(Buffer.from(v, 'utf8'));
  }

  /** A function library, as a FUNCTION DUMP-style payload of one (opcode 245, its code, a footer): written without its footer. */
  functionLibrary(payload: Uint8Array, footerBytes: number): void {
    if (payload[0] !== OP_FUNCTION2) throw new RangeError(`a function library starts with opcode ${OP_FUNCTION2}, got ${payload[0]}`);
    if (this.format.magic === 'REDIS' && this.format.version < 10)
      throw new RangeError(`RDB ${this.format.version} holds no functions (Redis 7.0's RDB 10 is the first)`);
    this.out.bytes(payload, 0, payload.length - footerBytes);
  }

  /** One key: `object` is its value's bytes after the type byte. */
  key(db: number, name: Uint8Array, type: number, object: Uint8Array, expireAtMs: number | null): void {
    this.write(db, name, 0, name.length, type, object, 0, object.length, expireAtMs);
  }

  /** {@link key} of the key `k` (its name where it lies) and the object bytes `b[from, to)`: no view made. */
  keyAt(k: KeyHead, type: number, b: Uint8Array, from: number, to: number): void {
    this.head(k.db, k.expireAtMs, k.expireAtExact);
    this.name(this.out.byte(type), k).bytes(b, from, to);
    this.keys++;
  }

  /**
   * {@link keyAt} of a big value held in `parts` (KeyInPlace.parts): the bytes before it, copied, and its parts are
   * queued as chunks of their own (a caller takes {@link chunk} while {@link full}), not copied into the buffer: a
   * big value copied as it is is not held a second time by the writer. The parts must stay unchanged until taken.
   */
  keyParts(k: KeyHead, type: number, parts: readonly Uint8Array[]): void {
    this.head(k.db, k.expireAtMs, k.expireAtExact);
    this.name(this.out.byte(type), k);
    this.queued.push(this.out.take(), ...parts);
    this.out.clear();
    this.keys++;
  }

  /**
   * Opens a key whose value is made in pieces as it is re-encoded (a big value the reader kept in parts:
   * write/transcode.ts transcodeParts), not in the buffer: the bytes before it are queued as a chunk, each {@link piece}
   * as one of its own, and {@link piecesWritten} sets its type byte and puts the value's head (a plain list's count,
   * known only after its last entry) before the first piece. No chunk is handed out while it is open (a caller takes
   * them between keys: {@link full} is false), so the head goes in place; the value is not copied into the buffer.
   */
  keyInPieces(k: KeyHead): void {
    if (this.typeAt >= 0 || this.piecesAt >= 0) throw new Error('a key is open already: its value was not written');
    this.piecesTypeAt = this.head(k.db, k.expireAtMs, k.expireAtExact);
    this.name(this.out.byte(0), k);
    this.piecesAt = this.queued.length;
    this.queued.push(this.out.take());
    this.out.clear();
  }

  /** The next piece of the value {@link keyInPieces} opened: `bytes` must stay unchanged until taken. */
  piece(bytes: Uint8Array): void {
    if (this.piecesAt < 0) throw new Error('no key is open in pieces');
    this.queued.push(bytes);
  }

  /** Closes the key {@link keyInPieces} opened: its value, `head` then its pieces, is of RDB type `type`. */
  piecesWritten(type: number, head: Uint8Array): void {
    if (this.piecesAt < 0) throw new Error('no key is open in pieces');
    const first = this.queued[this.piecesAt]!;
    first[this.piecesTypeAt] = type;
    this.queued[this.piecesAt] = Buffer.concat([first, head]);
    this.piecesAt = -1;
    this.keys++;
  }

  /** `k`'s name: as stored when it is LZF-compressed or an integer (every RDB version reads those), else its length and bytes. */
  private name(out: RdbOut, k: KeyHead): RdbOut {
    const stored = k.storedName;
    return stored !== undefined ? out.bytes(stored, 0, stored.length) : out.len(k.nameTo - k.nameFrom).bytes(k.nameBytes, k.nameFrom, k.nameTo);
  }

  /**
   * Opens a key whose value the caller writes straight into the file's
   * buffer (no copy of it made first): its database selection, expiry and
   * name are written here, the value goes into the buffer returned, then
   * {@link valueWritten} sets its type byte. No callback per key (a closure
   * made for each re-encoded key was garbage and a call site of several
   * targets).
   */
  keyOpened(k: KeyHead): RdbOut {
    if (this.typeAt >= 0 || this.piecesAt >= 0) throw new Error('a key is open already: its value was not written');
    this.typeAt = this.head(k.db, k.expireAtMs, k.expireAtExact);
    return this.name(this.out.byte(0), k);
  }

  /** Closes the key {@link keyOpened} opened: its value, written into the buffer it returned, is of RDB type `type`. */
  valueWritten(type: number): void {
    if (this.typeAt < 0) throw new Error('no key is open');
    this.out.setByte(this.typeAt, type);
    this.typeAt = -1;
    this.keys++;
  }

  /** A key's database selection (when it changes) and expiry; returns where its type byte goes. */
  private head(db: number, expireAtMs: number | null, exact?: bigint): number {
    if (db !== this.db) {
      this.out.byte(OP_SELECTDB).len(db);
      this.db = db;
    }
    // The exact expiry where the double rounds it (past ±2^53 ms): written as read, not rounded.
    if (expireAtMs !== null) this.out.byte(OP_EXPIRETIME_MS).int64(exact ?? expireAtMs);
    return this.out.length;
  }

  private write(
    db: number,
    name: Uint8Array,
    nameFrom: number,
    nameTo: number,
    type: number,
    b: Uint8Array,
    from: number,
    to: number,
    expireAtMs: number | null,
  ): void {
    this.head(db, expireAtMs);
    this.out
      .byte(type)
      .len(nameTo - nameFrom)
      .bytes(name, nameFrom, nameTo)
      .bytes(b, from, to);
    this.keys++;
  }

  /** Whether a chunk is ready to be taken. */
  get full(): boolean {
    return this.piecesAt < 0 && (this.queued.length > 0 || this.out.length >= FLUSH_BYTES);
  }

  /**
   * The bytes gathered so far, checksummed; empty when none. A view, not a
   * copy (a copy of every chunk was a tenth of convert-rdb's time): valid
   * until the chunk after next, as two buffers take turns.
   */
  chunk(): Buffer {
    if (this.piecesAt >= 0) throw new Error('a key open in pieces was not written: its head is not in place');
    const first = this.queued.shift();
    if (first !== undefined) {
      this.crc?.update(first);
      this.bytes += first.length;
      return Buffer.from(first.buffer, first.byteOffset, first.length);
    }
    const b = this.out.view();
    [this.out, this.spare] = [this.spare, this.out];
    this.out.clear();
    this.crc?.update(b);
    this.bytes += b.length;
    if (b.length > this.room && b.length <= AREA_CHUNK_MAX && this.typeAt < 0 && this.crc instanceof Crc64WithArea) this.rehome(this.crc, b.length);
    return b;
  }

  /**
   * A chunk of `n` bytes outgrew its buffer in the area: its caller takes
   * chunks less often than every {@link FLUSH_BYTES} (a conversion takes
   * one after each chunk of its input, 2 MiB read at a time), so the buffer
   * had grown into memory of its own and every later chunk was copied into
   * the loop's memory to be checksummed. Both buffers move to an area with
   * room for half as much again (the checksum goes on from where it is),
   * and chunks are checksummed in place again. The chunk just handed out
   * stays a view of the buffer it was written in, never written again.
   */
  private rehome(crc: Crc64WithArea, n: number): void {
    const room = n + (n >> 1);
    const next = crc.withArea(2 * room);
    if (next === undefined) return;
    this.crc = next;
    this.room = room;
    this.out = new RdbOut(next.area.subarray(0, room));
    this.spare = new RdbOut(next.area.subarray(room));
  }

  /**
   * The last chunk: what is left, the EOF opcode and the CRC-64 of the whole
   * file; with {@link RdbFileWriterOptions.trailerByCaller}, without the
   * CRC-64 (the caller appends {@link trailer} of the bytes it read back).
   */
  end(): Buffer {
    if (this.ended) throw new Error('the file was ended already');
    if (this.queued.length > 0 || this.piecesAt >= 0) throw new Error('chunks queued were not taken before the end');
    this.ended = true;
    this.out.byte(OP_EOF);
    const body = this.out.take();
    this.out.clear();
    // The chunks handed out before were written already (a caller takes each before the next): the slot is free again.
    if (this.shared !== undefined) this.shared.area.give(this.shared.slot, 2 * AREA_CHUNK_MAX);
    this.shared = undefined;
    this.bytes += body.length;
    if (this.crc === undefined) return body;
    this.crc.update(body);
    const trailer = Buffer.alloc(8);
    this.crc.writeLittleEndian(trailer, 0);
    this.bytes += 8;
    return Buffer.concat([body, trailer]);
  }

  /** The file's last 8 bytes: `crc`, the CRC-64 of every byte before them, little-endian (as Redis writes it). */
  trailer(crc: bigint): Buffer {
    const trailer = Buffer.alloc(8);
    trailer.writeBigUInt64LE(crc);
    this.bytes += 8;
    return trailer;
  }
}

/** How an {@link RdbFileWriter} ends its file. */
export interface RdbFileWriterOptions {
  /**
   * The writer computes no CRC-64: {@link RdbFileWriter.end} hands out the
   * file without its trailer, and the caller appends
   * {@link RdbFileWriter.trailer} of the CRC-64 it computes of the bytes
   * before it (convert-rdb: of the file as read back from the disk, which it
   * checksums anyway; one pass over the output, not two). @default false
   */
  readonly trailerByCaller?: boolean;
}
