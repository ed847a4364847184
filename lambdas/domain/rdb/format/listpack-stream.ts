/**
 * A big listpack (a hash's, sorted set's or set's: RDB types 16, 17, 20) validated as its bytes stream by, in the
 * parser's chunks, instead of gathered into one copy first (issue 55: a value of one big listpack, kept so only with
 * raised `*-max-listpack-*` limits, was held twice, the reader's parts and the parser's gathered copy). It checks what
 * {@link walkListpack} checks, with the same per-entry code (blobs.ts): the header's byte count and element count,
 * every entry's encoding, bounds and back length, the end marker, a member (every `stride`-th element) twice, and for
 * a sorted set the first score that reads as NaN (blob-members.ts nanScoreText). An entry wholly in the chunk is read
 * where it lies; one cut by a chunk's end is gathered apart (at most {@link WHOLE_MAX} bytes), or, longer (a string
 * element), fingerprinted as it streams by. Hand-written: no library validates a listpack, and this is walkListpack's
 * walk over pieces.
 */
import { RdbFormatError } from '../errors.js';
import { type ListpackTtls, nanScoreText } from './blob-members.js';
import { backlenSize, checkBacklen, type ListpackMembers, listpackEntrySize, listpackHeaderBytes, seenEntry } from './blobs.js';
import { u16le, u32le } from './bytes.js';
import { fingerprintStart, fingerprintUpdate } from './duplicates.js';
import { copiedEntryElement, type Element } from './listpack.js';

/** An entry cut by a chunk's end of at most this many bytes (with its back length) is gathered and read whole; a longer one streams. */
const WHOLE_MAX = 1 << 16;
/** Most bytes of a first entry {@link ListpackStream.first} keeps: a 64-bit integer's 9, a 16-digit string's 17. */
const FIRST_MAX = 24;
/** The bytes of a long score entry kept to read it as a number: strtod reads 127 (blob-members.ts nanScoreText). */
const SCORE_PREFIX = 127;

const S_HEAD = 0;
const S_WHOLE = 1;
const S_CONTENT = 2;
const S_BACKLEN = 3;

function fail(message: string): never {
  throw new RdbFormatError(message);
}

export class ListpackStream {
  /** The listpack's bytes, and the offset of its end marker (`len` − 1). */
  private len = 0;
  private end = 0;
  /** The listpack's bytes taken so far (its 6-byte header is checked at {@link begin}). */
  private taken = 0;
  /** The current entry's offset in the listpack. */
  private p = 6;
  private count = 0;
  private declared = 0;
  private members: ListpackMembers | undefined;
  private stride = 1;
  private skip = 0;
  private duplicate = false;
  private scores = false;
  /** The first score (a sorted set's) that reads as NaN, once {@link finish} returned. */
  nan: string | undefined;
  /**
   * The listpack's first element, once its entry was read, when its entry takes at most {@link FIRST_MAX} bytes (a
   * template hash's id: format/parse-hash-templates.ts; an integer, or a string of at most 16 digits); undefined when
   * it has none or it is longer (no template id either: nothing longer is copied for it).
   */
  first: Element | undefined;
  /** A hash with field TTLs' (types 23, 25): every third element's TTL checked (its first problem there). */
  private ttls: ListpackTtls | undefined;

  /** The first problem of the field TTLs checked ({@link begin}'s `ttls`), once {@link finish} returned; else null. */
  get ttlProblem(): string | null {
    return this.ttls?.problem ?? null;
  }

  // An entry cut by a chunk's end.
  private state = S_HEAD;
  // Made at the first listpack, not with the stream: every RDB parser holds one, and most never stream a listpack.
  private scratch = new Uint8Array(0);
  private fill = 0;
  private want = 0;
  private size = 0;
  private bl = 0;
  private contentLeft = 0;
  /** A long entry's last content bytes so far (at most 4, as many as a back length read by Redis goes on into: blobs.ts checkBacklen). */
  private readonly tail = new Uint8Array(4);
  private tailFill = 0;
  private member = false;
  private score = false;
  private readonly fp = new Int32Array(2);

  /**
   * A listpack of `len` bytes begins; its first 6 bytes (its header) are `head[at, at + 6)`. With `members`, every
   * `stride`-th element from the first is checked for one twice (its table begun by the caller); with `scores`, every
   * second one (a sorted set's scores) for NaN.
   * @throws RdbFormatError when the header's byte count is not `len`
   */
  begin(head: Uint8Array, at: number, len: number, members: ListpackMembers | undefined, stride: number, scores: boolean, ttls?: ListpackTtls): void {
    const total = u32le(head, at);
    if (total !== len) fail(`listpack header says ${total} bytes, blob has ${len}`);
    this.len = len;
    this.end = len - 1;
    this.taken = 0;
    this.p = 6;
    this.count = 0;
    this.declared = u16le(head, at + 4);
    this.members = members;
    this.stride = members === undefined ? 1 : stride;
    this.skip = 0;
    this.duplicate = false;
    this.scores = scores;
    this.ttls = ttls;
    this.nan = undefined;
    this.first = undefined;
    this.state = S_HEAD;
    this.fill = 0;
    if (this.scratch.length === 0) this.scratch = new Uint8Array(WHOLE_MAX);
  }

  /** The listpack's next bytes, `b[from, to)`. @throws RdbFormatError at the first problem in them */
  update(b: Uint8Array, from: number, to: number): void {
    let i = from;
    if (this.taken < 6) i += Math.min(6 - this.taken, to - i);
    while (i < to) {
      if (this.state === S_HEAD && this.fill === 0) {
        const p = this.p;
        if (p === this.end) {
          if (b[i] !== 0xff) fail('listpack does not end with 0xFF');
          this.p = this.len;
          i++;
          continue;
        }
        if (i + listpackHeaderBytes(b[i]!) <= to) {
          const size = listpackEntrySize(b, i, this.end - p, this.count, p);
          const bl = backlenSize(size);
          if (p + size + bl > this.end) fail(`listpack entry ${this.count} runs past the end`);
          if (i + size + bl <= to) {
            this.entry(b, i, size, bl);
            i += size + bl;
            continue;
          }
        }
      }
      i = this.cut(b, i, to);
    }
    this.taken += to - from;
  }

  /** The listpack ended (all its bytes taken): its element count; the members' verdict in `members.duplicate`, a NaN score in {@link nan}. */
  finish(): number {
    if (this.p !== this.len || this.taken !== this.len) fail(`listpack of ${this.len} bytes ended at ${this.p}`);
    if (this.members !== undefined) this.members.duplicate = this.duplicate;
    if (this.declared !== 0xffff && this.declared !== this.count) fail(`listpack header counts ${this.declared} elements, found ${this.count}`);
    return this.count;
  }

  /** Whether the next entry is a member (every `stride`-th from the first): walkListpack's countdown. */
  private memberTurn(): boolean {
    if (this.skip > 0) {
      this.skip--;
      return false;
    }
    this.skip = this.stride - 1;
    return true;
  }

  /** The entry of `size` bytes and a back length of `bl` at `b[q]`, all in hand, checked as walkListpack checks it. */
  private entry(b: Uint8Array, q: number, size: number, bl: number): void {
    if (bl !== 1 || b[q + size] !== size) checkBacklen(b, q + size, bl, size, this.count, q);
    const enc = b[q]!;
    if (this.memberTurn() && this.members !== undefined && !this.duplicate && seenEntry(b, q, enc, size, this.members.seen)) this.duplicate = true;
    if (this.scores && this.count % 2 === 1 && this.nan === undefined && enc >= 0x80 && ((enc & 0xc0) === 0x80 || (enc & 0xf0) === 0xe0 || enc === 0xf0)) {
      this.nan = nanScoreText(b, q + listpackHeaderBytes(enc), q + size);
    }
    if (this.ttls !== undefined && this.count % 3 === 2) this.ttls.entry(b, q);
    if (this.count === 0 && size <= FIRST_MAX) this.first = copiedEntryElement(b, q);
    this.p += size + bl;
    this.count++;
  }

  /** Takes bytes of an entry cut by the chunk's end from `b[i, to)`: where they end. */
  private cut(b: Uint8Array, i: number, to: number): number {
    const s = this.scratch;
    if (this.state === S_HEAD) {
      if (this.fill === 0) this.want = listpackHeaderBytes(b[i]!);
      const take = Math.min(this.want - this.fill, to - i);
      s.set(b.subarray(i, i + take), this.fill);
      this.fill += take;
      if (this.fill < this.want) return i + take;
      const size = listpackEntrySize(s, 0, this.end - this.p, this.count, this.p);
      const bl = backlenSize(size);
      if (this.p + size + bl > this.end) fail(`listpack entry ${this.count} runs past the end`);
      this.size = size;
      this.bl = bl;
      if (size + bl <= WHOLE_MAX) {
        this.state = S_WHOLE;
        this.want = size + bl;
      } else {
        // A long string: fingerprinted as it streams, its first bytes kept where it is a score.
        this.state = S_CONTENT;
        this.contentLeft = size - this.fill;
        this.tailFill = 0;
        this.member = this.memberTurn() && this.members !== undefined && !this.duplicate;
        if (this.member) fingerprintStart(this.fp);
        this.score = this.scores && this.count % 2 === 1 && this.nan === undefined;
        if (this.ttls !== undefined && this.count % 3 === 2) this.ttls.long();
      }
      return i + take;
    }
    if (this.state === S_WHOLE) {
      const take = Math.min(this.want - this.fill, to - i);
      s.set(b.subarray(i, i + take), this.fill);
      this.fill += take;
      if (this.fill === this.want) {
        this.entry(s, 0, this.size, this.bl);
        this.state = S_HEAD;
        this.fill = 0;
      }
      return i + take;
    }
    if (this.state === S_CONTENT) {
      const take = Math.min(this.contentLeft, to - i);
      if (this.member) fingerprintUpdate(this.fp, b, i, i + take);
      this.keepTail(b, i + take - Math.min(take, 4), i + take);
      const head = listpackHeaderBytes(s[0]!);
      if (this.score && this.fill < head + SCORE_PREFIX) {
        const keep = Math.min(take, head + SCORE_PREFIX - this.fill);
        s.set(b.subarray(i, i + keep), this.fill);
        this.fill += keep;
      }
      this.contentLeft -= take;
      if (this.contentLeft === 0) {
        this.state = S_BACKLEN;
        this.want = this.fill + this.bl;
      }
      return i + take;
    }
    return this.backlen(b, i, to);
  }

  /** Keeps `b[from, to)` (at most 4 bytes), a long entry's latest content bytes, as the last of {@link tail}. */
  private keepTail(b: Uint8Array, from: number, to: number): void {
    const t = this.tail;
    const n = to - from;
    const keep = Math.min(this.tailFill, 4 - n);
    t.copyWithin(0, this.tailFill - keep, this.tailFill);
    t.set(b.subarray(from, to), keep);
    this.tailFill = keep + n;
  }

  /** The back length of a long entry (after its content, in {@link scratch} from `want` − `bl`): the entry ends there. */
  private backlen(b: Uint8Array, i: number, to: number): number {
    const s = this.scratch;
    const take = Math.min(this.want - this.fill, to - i);
    s.set(b.subarray(i, i + take), this.fill);
    this.fill += take;
    if (this.fill < this.want) return i + take;
    // The back length after the content's last bytes, as checkBacklen reads it (a copy: one per entry of over 64 KiB).
    const ended = new Uint8Array(this.tailFill + this.bl);
    ended.set(this.tail.subarray(0, this.tailFill));
    ended.set(s.subarray(this.want - this.bl, this.want), this.tailFill);
    checkBacklen(ended, this.tailFill, this.bl, this.size, this.count, 0);
    if (this.member && this.members!.seen(this.fp[0]!, this.fp[1]!)) this.duplicate = true;
    // Its first bytes only: strtod reads no further, so the verdict is the whole text's (the message quotes these).
    if (this.score) this.nan = nanScoreText(s, listpackHeaderBytes(s[0]!), this.want - this.bl);
    this.p += this.size + this.bl;
    this.count++;
    this.state = S_HEAD;
    this.fill = 0;
    return i + take;
  }
}
