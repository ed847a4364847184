/**
 * An LZF string expanded as its compressed bytes stream by, handed on in
 * pieces, holding only LZF's back-reference window (8 KiB) besides the piece
 * being filled: a big LZF-compressed listpack (a hash, sorted set or set kept
 * as one listpack under raised limits, compressed by `rdbcompression yes`) is
 * validated and re-encoded without its whole expansion, or its whole
 * compressed body, held at once (issue 55: memory bounded by the largest
 * value). The checks and their words are {@link LzfChecker}'s (lzf.ts), which
 * scans without expanding: a literal run or a back reference past the
 * compressed body, output past the declared length, a back reference before
 * the output's start, a body that ends inside a back reference or short of
 * the declared length.
 *
 * Hand-written: no library expands LZF across pieces (lzf.ts's decoders
 * take the whole body), and this is the format's two instructions over a
 * window (liblzf's lzf_d.c).
 */
import { LzfBody, LZF_PROBLEMS } from './lzf.js';

/** The farthest back a back reference reaches: a 13-bit distance, plus one. */
export const LZF_WINDOW = 8192;
/** The longest run one instruction writes: a back reference of length 7 + 255 + 2. */
const LONGEST_RUN = 264;

/** Where expanded bytes go: `b[from, to)`, valid only during the call (the window is reused). */
export type LzfPiece = (b: Uint8Array, from: number, to: number) => void;

export class LzfExpander extends LzfBody {
  /**
   * The window (its last {@link LZF_WINDOW} bytes kept after each piece handed on) and the piece being filled: made at
   * the first body, not with the expander (every RDB parser holds one, and most never meet an LZF listpack: the split
   * verification's trial parsers and its tests make thousands, each a megabyte to zero-fill and collect).
   */
  private buf = new Uint8Array(0);
  private readonly bufBytes: number;
  private fill = 0;
  /** Where the bytes not yet handed on start in {@link buf}. */
  private handed = 0;
  private piece: LzfPiece = () => {};

  /** @param pieceBytes expanded bytes handed on at a time (the last piece may be shorter) */
  constructor(pieceBytes = 1 << 20) {
    super();
    this.bufBytes = LZF_WINDOW + Math.max(pieceBytes, LONGEST_RUN);
  }

  /** Begins a body of `compressedLength` bytes that should expand to `expectedLength`, handed on to `piece`; then {@link update} with each piece of it, in order, then {@link finish}. */
  expandInto(compressedLength: number, expectedLength: number, piece: LzfPiece): void {
    this.start(compressedLength, expectedLength);
    if (this.buf.length === 0) this.buf = new Uint8Array(this.bufBytes);
    this.fill = this.handed = 0;
    this.piece = piece;
  }

  /** Expands `data[from, to)`, the next bytes of the body; after a problem, only counts them. */
  update(data: Uint8Array, from: number, to: number): void {
    const left = this.left;
    this.left = left - (to - from);
    if (this.problem !== null) return;
    const buf = this.buf;
    let i = from;
    while (i < to) {
      if (this.fill + LONGEST_RUN > buf.length) this.handOn();
      if (this.literal > 0) {
        const take = Math.min(this.literal, to - i);
        let f = this.fill;
        for (const end = i + take; i < end; ) buf[f++] = data[i++]!;
        this.fill = f;
        this.literal -= take;
        continue;
      }
      const byte = data[i++]!;
      if (this.stage === 0) {
        if (byte < 32) {
          const run = byte + 1;
          if (run > left - (i - from)) {
            this.problem = LZF_PROBLEMS.literalPastInput(run);
            return;
          }
          if (this.op + run > this.expected) {
            this.problem = LZF_PROBLEMS.pastDeclared(this.expected);
            return;
          }
          this.op += run;
          this.literal = run;
        } else {
          this.refLength = byte >>> 5;
          this.refDistance = ((byte & 0x1f) << 8) + 1;
          this.stage = this.refLength === 7 ? 1 : 2;
        }
      } else if (this.stage === 1) {
        this.refLength += byte;
        this.stage = 2;
      } else {
        const len = this.refLength + 2;
        const distance = this.refDistance + byte;
        if (this.op + len > this.expected) {
          this.problem = LZF_PROBLEMS.pastDeclared(this.expected);
          return;
        }
        if (this.op - distance < 0) {
          this.problem = LZF_PROBLEMS.beforeStart;
          return;
        }
        // Byte by byte: a reference may overlap what it writes (a distance shorter than its length repeats).
        let f = this.fill;
        for (let s = f - distance, end = f + len; f < end; ) buf[f++] = buf[s++]!;
        this.fill = f;
        this.op += len;
        this.stage = 0;
      }
    }
  }

  /** After the whole body: the rest handed on; the first problem, or null when it expanded to exactly the declared length. */
  finish(): string | null {
    const problem = this.verdict();
    if (problem === null && this.fill > this.handed) this.piece(this.buf, this.handed, this.fill);
    this.piece = () => {};
    return problem;
  }

  /** The piece filled handed on, and the window's last bytes moved to its start. */
  private handOn(): void {
    const buf = this.buf;
    if (this.fill > this.handed) this.piece(buf, this.handed, this.fill);
    const keep = Math.min(LZF_WINDOW, this.fill);
    buf.copyWithin(0, this.fill - keep, this.fill);
    this.fill = this.handed = keep;
  }
}
