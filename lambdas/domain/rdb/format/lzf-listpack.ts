/**
 * A big LZF-compressed listpack (a hash's, sorted set's or set's, kept as one
 * listpack under raised limits and compressed by `rdbcompression yes`)
 * expanded as its compressed bytes stream by (codecs/lzf-stream.ts) and
 * validated as the expansion streams by (listpack-stream.ts), instead of its
 * compressed body gathered and then expanded whole: the parser holds neither
 * (issue 55: memory bounded by the largest value). Its header is read from the
 * first piece of the expansion (one that counts 65535, no count, streams too:
 * its member table grows as the members come, parse-listpacks.ts).
 */
import { RdbFormatError } from '../errors.js';
import { LzfExpander } from '../codecs/lzf-stream.js';
import type { ListpackStream } from './listpack-stream.js';

/** The listpack's stream begun from its header `head[at, at + 6)` (its member check sized or grown: parse-listpacks.ts). */
export type ListpackBegin = (head: Uint8Array, at: number) => void;

export class LzfListpackStream {
  private readonly lzf = new LzfExpander();
  private plain = 0;
  private begun = false;
  private head: ListpackBegin = () => {};
  /**
   * The listpack's first problem, said once the body has ended: an LZF problem comes first, as when the expansion is
   * made whole and then walked (a body whose expansion goes wrong may show a listpack problem before its LZF one).
   */
  private problem: RdbFormatError | undefined;

  constructor(private readonly lp: ListpackStream) {}

  /** A body of `compressed` bytes expanding to `plain` begins; `head` begins the listpack's stream once its first bytes are out. */
  start(compressed: number, plain: number, head: ListpackBegin): void {
    this.plain = plain;
    this.begun = false;
    this.head = head;
    this.problem = undefined;
    this.lzf.expandInto(compressed, plain, this.piece);
  }

  /** The body's next compressed bytes. @throws RdbFormatError at the listpack's first problem in what they expand to */
  update(b: Uint8Array, from: number, to: number): void {
    this.lzf.update(b, from, to);
  }

  /**
   * The body ended: the listpack's element count (validated as it streamed by: the members' verdict and a NaN score
   * as {@link ListpackStream.finish} leaves them), the parser's `streamed`.
   * @throws RdbFormatError at an LZF problem (before any the listpack's bytes would show)
   */
  finish(): number {
    const problem = this.lzf.finish();
    if (problem !== null) throw new RdbFormatError(problem);
    if (this.problem !== undefined) throw this.problem;
    return this.lp.finish();
  }

  private readonly piece = (b: Uint8Array, from: number, to: number): void => {
    if (this.problem !== undefined) return;
    try {
      if (!this.begun) {
        // The first piece holds the whole header: pieces are 1 MiB but for the last, and a listpack expands to more than
        // its compressed body (1 MiB or more here) but for a few bytes.
        if (to - from < 6) throw new RdbFormatError(`listpack of ${this.plain} bytes without its header`);
        this.begun = true;
        this.head(b, from);
      }
      this.lp.update(b, from, to);
    } catch (err) {
      if (!(err instanceof RdbFormatError)) throw err;
      this.problem = err;
    }
  };
}
