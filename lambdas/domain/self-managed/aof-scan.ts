/**
 * Where the whole commands of an append-only file end. An AOF increment is
 * a sequence of commands in the Redis protocol (`*<argc>\r\n` then argc
 * bulk strings `$<len>\r\n<bytes>\r\n`) and annotation lines (`#…\r\n`; with
 * `aof-timestamp-enabled yes` the server writes `#TS:<unix seconds>\r\n`
 * before the first command of every new second). The server appends while
 * a reader reads, so the last bytes may be a command cut in the middle; and
 * `MULTI … EXEC` must be replayed whole (the server's loader reverts a
 * transaction without its EXEC).
 *
 * {@link AofScanner} is fed the bytes in chunks of any size and keeps, in
 * bounded memory, the offset after the last complete unit (a command or an
 * annotation) that is not inside an open transaction: only bytes up to there
 * are ever shipped or restored. It can also stop at the first annotation of
 * a given second or later (the cut of a point-in-time restore).
 *
 * The format rules follow the server's loader (`loadSingleAppendOnlyFile`
 * in redis/src/aof.c, read for this): annotations only at a unit boundary,
 * at most 1024 bytes; a command has at least one argument. This scanner is
 * stricter in one place: the two bytes after a bulk string must be CRLF
 * (the server skips them unread; it always writes CRLF).
 *
 * Pure: bytes in, offsets out.
 */

/** Longest annotation or header line the server reads (AOF_ANNOTATION_LINE_MAX_LEN). */
export const AOF_MAX_LINE = 1024;

/** Options of {@link AofScanner}. */
export interface AofScanOptions {
  /** Offset in the file of the first byte pushed; must be a unit boundary. @default 0 */
  readonly start?: number;
  /**
   * Stop at the first `#TS` annotation whose second is at or after this
   * (unix seconds): the scan ends there (before an open MULTI when the
   * annotation is inside one), later bytes are ignored.
   */
  readonly cutAtSecond?: number;
}

/** What a scan found so far. */
export interface AofScanResult {
  /** Offset after the last complete unit outside a transaction: everything before it is whole. */
  readonly safeEnd: number;
  /** Offset after the last byte pushed (or where the scan stopped). */
  readonly scanned: number;
  /** Complete commands before `safeEnd` (MULTI and EXEC count as commands). */
  readonly commands: number;
  /** `#TS` annotations before `safeEnd`. */
  readonly annotations: number;
  /** Second of the first `#TS` annotation before `safeEnd`. */
  readonly firstSecond?: number;
  /** Second of the last `#TS` annotation before `safeEnd`: commands after it up to `safeEnd` ran in that second. */
  readonly lastSecond?: number;
  /** Set when the scan stopped at `cutAtSecond`: the offset it stopped at (equal to `safeEnd`). */
  readonly cutAt?: number;
  /** The annotation second that made the cut. */
  readonly cutSecond?: number;
  /** The first format problem: the scan stopped there (`safeEnd` is the last good boundary before it). */
  readonly error?: { readonly offset: number; readonly message: string };
  /**
   * FLUSHALL and FLUSHDB commands before `safeEnd` (the first {@link MAX_FLUSHES_KEPT}), each with its offset, the
   * second it ran in (the last `#TS` before it) and, for FLUSHDB, the database (the last SELECT before it). Absent when none.
   */
  readonly flushes?: readonly AofFlush[];
}

/** A FLUSHALL or FLUSHDB found in an AOF. */
export interface AofFlush {
  readonly command: 'FLUSHALL' | 'FLUSHDB';
  /** Offset of the command in the file. */
  readonly offset: number;
  /** The second it ran in (the `#TS` annotation before it), when the file has them. */
  readonly second?: number;
  /** FLUSHDB's database (the AOF's last SELECT before it; 0 before any). */
  readonly db?: number;
}

/** Flushes a scan keeps (it counts them all). */
export const MAX_FLUSHES_KEPT = 20;

type Mode = 'unit' | 'bulk-header' | 'bulk-data' | 'done';

const CR = 0x0d;
const LF = 0x0a;

/** A streaming scanner (see the module comment). */
export class AofScanner {
  private mode: Mode = 'unit';
  private offset: number;
  /** Pieces of a line that spans chunks. */
  private carry: Uint8Array[] = [];
  private carryBytes = 0;
  private lineStart: number;
  private unitStart: number;
  private argc = 0;
  private argIndex = 0;
  /** Bytes of the current bulk string still to come, its CRLF included. */
  private remaining = 0;
  private bulkLength = 0;
  private firstArg: number[] | undefined;
  private commandName = '';
  /** SELECT's argument while it is read, the database selected, and the flushes of units not yet whole. */
  private selectArg: number[] | undefined;
  private db = 0;
  private pendingFlushes: AofFlush[] = [];
  private inMulti = false;
  private multiStart = 0;
  private currentSecond: number | undefined;
  private pendingAnnotations = 0;
  private pendingCommands = 0;
  private pendingFirst: number | undefined;
  private result: {
    safeEnd: number;
    commands: number;
    annotations: number;
    firstSecond?: number;
    lastSecond?: number;
    cutAt?: number;
    cutSecond?: number;
    error?: { offset: number; message: string };
    flushes?: AofFlush[];
  };

  constructor(private readonly options: AofScanOptions = {}) {
    this.offset = options.start ?? 0;
    this.lineStart = this.offset;
    this.unitStart = this.offset;
    this.result = { safeEnd: this.offset, commands: 0, annotations: 0 };
  }

  /** True once the scan stopped (a cut or a format problem): later bytes are ignored. */
  get stopped(): boolean {
    return this.mode === 'done';
  }

  /** What was found so far. */
  get found(): AofScanResult {
    return { ...this.result, ...(this.result.flushes ? { flushes: [...this.result.flushes] } : {}), scanned: this.offset };
  }

  /** Feeds the next bytes. */
  push(chunk: Uint8Array): void {
    let i = 0;
    while (i < chunk.length && this.mode !== 'done') {
      if (this.mode === 'bulk-data') {
        const take = Math.min(this.remaining, chunk.length - i);
        const dataLeft = this.remaining - 2; // bytes of the string itself still to come (may be negative: inside the CRLF)
        if (this.firstArg && dataLeft > 0) {
          for (let k = 0; k < Math.min(take, dataLeft); k++) this.firstArg.push(chunk[i + k]!);
        }
        if (this.selectArg && dataLeft > 0) {
          for (let k = 0; k < Math.min(take, dataLeft); k++) this.selectArg.push(chunk[i + k]!);
        }
        // The CRLF after the string: check the bytes of it in this chunk.
        for (let k = Math.max(0, dataLeft); k < take; k++) {
          const expected = this.remaining - k === 2 ? CR : LF;
          if (chunk[i + k] !== expected) {
            this.fail(this.offset + k, `bulk string of ${this.bulkLength} bytes not followed by CRLF`);
            return;
          }
        }
        this.remaining -= take;
        this.offset += take;
        i += take;
        if (this.remaining === 0) this.endOfArgument();
        continue;
      }
      // A line: header of a unit or of a bulk string (parsed in place when the chunk holds it whole).
      const nl = chunk.indexOf(LF, i);
      const piece = (nl === -1 ? chunk.length : nl + 1) - i;
      if (this.carryBytes + piece > AOF_MAX_LINE) {
        this.fail(
          this.lineStart,
          `a line longer than ${AOF_MAX_LINE} bytes where a ${this.mode === 'unit' ? 'command or annotation' : 'bulk string header'} was expected`,
        );
        return;
      }
      this.offset += piece;
      if (nl === -1) {
        this.carry.push(chunk.slice(i));
        this.carryBytes += piece;
        i = chunk.length;
        continue;
      }
      if (this.carryBytes === 0) this.endOfLine(chunk, i, nl);
      else {
        const line = Buffer.concat([...this.carry, chunk.subarray(i, nl)]);
        this.carry = [];
        this.carryBytes = 0;
        this.endOfLine(line, 0, line.length);
      }
      i = nl + 1;
    }
  }

  /** A line ended: bytes [from, to) of `buf` (its LF excluded). */
  private endOfLine(buf: Uint8Array, from: number, to: number): void {
    const start = this.lineStart;
    this.lineStart = this.offset;
    const end = to > from && buf[to - 1] === CR ? to - 1 : to;
    const text = () => Buffer.from(buf.subarray(from, end)).toString('latin1');
    const first = buf[from];
    if (this.mode === 'unit') {
      this.unitStart = start;
      if (first === 0x23) {
        // #TS:<seconds>
        if (end - from > 4 && buf[from + 1] === 0x54 && buf[from + 2] === 0x53 && buf[from + 3] === 0x3a) {
          const second = digits(buf, from + 4, end, 15);
          if (second >= 0) {
            if (this.options.cutAtSecond !== undefined && second >= this.options.cutAtSecond) {
              this.cut(this.inMulti ? this.multiStart : start, second);
              return;
            }
            this.currentSecond = second;
            this.pendingAnnotations++;
            this.pendingFirst ??= second;
          }
        }
        this.endOfUnit();
        return;
      }
      if (first !== 0x2a) {
        this.fail(start, `expected a command (*) or an annotation (#), got ${JSON.stringify(text().slice(0, 20))}`);
        return;
      }
      const argc = digits(buf, from + 1, end, 9);
      if (argc < 1) {
        this.fail(start, `bad command header ${JSON.stringify(text().slice(0, 20))}`);
        return;
      }
      this.argc = argc;
      this.argIndex = 0;
      this.mode = 'bulk-header';
      return;
    }
    // bulk-header
    const len = first === 0x24 ? digits(buf, from + 1, end, 12) : -1;
    if (len < 0) {
      this.fail(start, `bad bulk string header ${JSON.stringify(text().slice(0, 20))} (argument ${this.argIndex + 1} of ${this.argc})`);
      return;
    }
    this.bulkLength = len;
    this.remaining = len + 2;
    // Only MULTI, EXEC, SELECT, FLUSHDB and FLUSHALL matter: keep the first argument when it has their length, and
    // SELECT's database.
    this.firstArg = this.argIndex === 0 && len >= 4 && len <= 8 ? [] : undefined;
    this.selectArg = this.argIndex === 1 && this.commandName === 'select' && len <= 10 ? [] : undefined;
    this.mode = 'bulk-data';
  }

  private endOfArgument(): void {
    this.lineStart = this.offset;
    if (this.argIndex === 0) {
      this.commandName = this.firstArg ? Buffer.from(this.firstArg).toString('latin1').toLowerCase() : '';
      this.firstArg = undefined;
    }
    this.argIndex++;
    if (this.argIndex < this.argc) {
      this.mode = 'bulk-header';
      return;
    }
    this.mode = 'unit';
    this.pendingCommands++;
    if (this.commandName === 'select' && this.selectArg) {
      const db = Number(Buffer.from(this.selectArg).toString('latin1'));
      if (Number.isInteger(db) && db >= 0) this.db = db;
      this.selectArg = undefined;
    } else if (this.commandName === 'flushall' || this.commandName === 'flushdb') {
      this.pendingFlushes.push({
        command: this.commandName === 'flushall' ? 'FLUSHALL' : 'FLUSHDB',
        offset: this.unitStart,
        ...(this.currentSecond !== undefined ? { second: this.currentSecond } : {}),
        ...(this.commandName === 'flushdb' ? { db: this.db } : {}),
      });
    }
    if (this.commandName === 'multi' && !this.inMulti) {
      this.inMulti = true;
      this.multiStart = this.unitStart;
    } else if (this.commandName === 'exec') this.inMulti = false;
    this.endOfUnit();
  }

  /** A unit ended at `offset`: outside a transaction, everything up to here is whole. */
  private endOfUnit(): void {
    if (this.inMulti) return;
    const r = this.result;
    r.safeEnd = this.offset;
    r.commands += this.pendingCommands;
    r.annotations += this.pendingAnnotations;
    if (this.pendingFirst !== undefined) r.firstSecond ??= this.pendingFirst;
    if (this.currentSecond !== undefined && this.pendingAnnotations > 0) r.lastSecond = this.currentSecond;
    if (this.pendingFlushes.length > 0) {
      r.flushes ??= [];
      r.flushes.push(...this.pendingFlushes.slice(0, Math.max(0, MAX_FLUSHES_KEPT - r.flushes.length)));
      this.pendingFlushes = [];
    }
    this.pendingCommands = 0;
    this.pendingAnnotations = 0;
    this.pendingFirst = undefined;
  }

  private cut(at: number, second: number): void {
    this.result.safeEnd = at;
    this.result.cutAt = at;
    this.result.cutSecond = second;
    this.offset = at;
    this.mode = 'done';
  }

  private fail(offset: number, message: string): void {
    this.result.error = { offset, message };
    this.offset = offset;
    this.mode = 'done';
  }
}

/** The decimal number in bytes [from, to), 1 to `max` digits; -1 when it is not one. */
function digits(buf: Uint8Array, from: number, to: number, max: number): number {
  if (to <= from || to - from > max) return -1;
  let n = 0;
  for (let k = from; k < to; k++) {
    const d = buf[k]! - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** Scans a whole buffer (see {@link AofScanner}). */
export function scanAof(bytes: Uint8Array, options: AofScanOptions = {}): AofScanResult {
  const s = new AofScanner(options);
  s.push(bytes);
  return s.found;
}
