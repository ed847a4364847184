/**
 * The Redis protocol (RESP2 and RESP3) as data: the replies a command gives,
 * encoded for the protocol a connection speaks, and the requests a client
 * sends, parsed incrementally (multibulk and inline). Pure: the socket is
 * lambdas/adapters/redis/serve-server.ts.
 *
 * @see https://redis.io/docs/latest/develop/reference/protocol-spec/
 */

/** One reply. A RESP3 type falls back to its RESP2 shape (`map` a flat array, `double` a bulk string, `set` an array). */
export type Reply =
  | { readonly t: 'simple'; readonly s: string }
  /**
   * The whole error line, its code first (`ERR …`, `WRONGTYPE …`, `READONLY …`); `bytes`: a char a byte (latin1), as
   * where the line echoes a client's bytes (an unknown command's name), else UTF-8.
   */
  | { readonly t: 'error'; readonly s: string; readonly bytes?: true }
  /** A bigint where the integer may exceed 2^53 (PFCOUNT's 64-bit counts): its exact digits. */
  | { readonly t: 'int'; readonly n: number | bigint }
  | { readonly t: 'bulk'; readonly b: Buffer | string }
  /** A missing value: `$-1` in RESP2, `_` in RESP3. */
  | { readonly t: 'null' }
  /** A missing array: `*-1` in RESP2, `_` in RESP3. */
  | { readonly t: 'nullArray' }
  | { readonly t: 'array'; readonly items: readonly Reply[] }
  | { readonly t: 'map'; readonly entries: readonly (readonly [Reply, Reply])[] }
  | { readonly t: 'set'; readonly items: readonly Reply[] }
  /** A double as the server formats it (`%.17g`, `inf`). */
  | { readonly t: 'double'; readonly s: string }
  /** Text (INFO): a bulk string in RESP2, a verbatim `txt` string in RESP3. */
  | { readonly t: 'verbatim'; readonly s: string };

/** The protocol a connection speaks (`HELLO 3` switches to 3). */
export type Protocol = 2 | 3;

/** Reply builders, so command code reads as what it answers. */
export const R = {
  ok: { t: 'simple', s: 'OK' } as Reply,
  simple: (s: string): Reply => ({ t: 'simple', s }),
  error: (s: string): Reply => ({ t: 'error', s }),
  /** An error line echoing a client's bytes (each char of `s` one byte, {@link printed}). */
  errorBytes: (s: string): Reply => ({ t: 'error', s, bytes: true }),
  int: (n: number | bigint): Reply => ({ t: 'int', n }),
  bulk: (b: Buffer | string): Reply => ({ t: 'bulk', b }),
  null: { t: 'null' } as Reply,
  nullArray: { t: 'nullArray' } as Reply,
  array: (items: readonly Reply[]): Reply => ({ t: 'array', items }),
  bulks: (items: readonly (Buffer | string)[]): Reply => ({ t: 'array', items: items.map((b) => ({ t: 'bulk', b })) }),
  map: (entries: readonly (readonly [Reply, Reply])[]): Reply => ({ t: 'map', entries }),
  set: (items: readonly Reply[]): Reply => ({ t: 'set', items }),
  double: (s: string): Reply => ({ t: 'double', s }),
  verbatim: (s: string): Reply => ({ t: 'verbatim', s }),
};

const CRLF = '\r\n';

/** Appends `reply`'s encoding for `proto` to `out` (parts: strings are latin1-safe headers, Buffers are data). */
export function encodeReply(reply: Reply, proto: Protocol, out: (Buffer | string)[]): void {
  switch (reply.t) {
    case 'simple':
      out.push(`+${reply.s}${CRLF}`);
      return;
    case 'error':
      // A CR or LF (a client's command name echoed in `unknown command`) would end the line early and desync the
      // connection: the server maps each to a space (addReplyErrorFormat's sdsmapchars), and so does this.
      // A client's bytes echoed go out as they came (a byte over 0x7f is not UTF-8-encoded).
      if (reply.bytes) out.push(Buffer.from(`-${reply.s.replace(/[\r\n]/g, ' ')}${CRLF}`, 'latin1'));
      else out.push(`-${reply.s.replace(/[\r\n]/g, ' ')}${CRLF}`);
      return;
    case 'int':
      out.push(`:${reply.n}${CRLF}`);
      return;
    case 'bulk': {
      const b = typeof reply.b === 'string' ? Buffer.from(reply.b) : reply.b;
      out.push(`$${b.length}${CRLF}`, b, CRLF);
      return;
    }
    case 'null':
      out.push(proto === 3 ? `_${CRLF}` : `$-1${CRLF}`);
      return;
    case 'nullArray':
      out.push(proto === 3 ? `_${CRLF}` : `*-1${CRLF}`);
      return;
    case 'array':
    case 'set':
      out.push(headerOf(reply, proto));
      for (const item of reply.items) encodeReply(item, proto, out);
      return;
    case 'map':
      out.push(headerOf(reply, proto));
      for (const [k, v] of reply.entries) {
        encodeReply(k, proto, out);
        encodeReply(v, proto, out);
      }
      return;
    case 'double':
      if (proto === 3) out.push(`,${reply.s}${CRLF}`);
      else out.push(`$${Buffer.byteLength(reply.s)}${CRLF}${reply.s}${CRLF}`);
      return;
    case 'verbatim': {
      const n = Buffer.byteLength(reply.s);
      out.push(proto === 3 ? `=${n + 4}${CRLF}txt:${reply.s}${CRLF}` : `$${n}${CRLF}${reply.s}${CRLF}`);
      return;
    }
  }
}

/** An array's, a set's or a map's first line: its count of items (a map's RESP2 shape counts keys and values). */
function headerOf(reply: Extract<Reply, { t: 'array' | 'set' | 'map' }>, proto: Protocol): string {
  if (reply.t === 'map') return proto === 3 ? `%${reply.entries.length}${CRLF}` : `*${reply.entries.length * 2}${CRLF}`;
  return `${reply.t === 'set' && proto === 3 ? '~' : '*'}${reply.items.length}${CRLF}`;
}

/** Items of a reply {@link encodeReplyInPieces} encodes between two pauses. */
export const PIECE_ITEMS = 256;

/**
 * {@link encodeReply} for a reply that may be big (`KEYS *` over millions of keys: seconds of encoding), in
 * pieces: it pauses (yields) after every `every` items of an array, set or map, at any depth, with `out` holding
 * the parts so far. The caller may write those and empty `out`, and let other clients be served, before it goes
 * on; the parts of all the pieces, in order, are encodeReply's parts. A reply that is no array, set or map is
 * encoded at once (no pause).
 */
export function* encodeReplyInPieces(reply: Reply, proto: Protocol, out: (Buffer | string)[], every = PIECE_ITEMS): Generator<void, void, undefined> {
  const count = { left: every };
  yield* pieces(reply, proto, out, count, every);
}

/** How many items an array, set or map holds (a map: its pairs); 0 for any other reply. */
function itemsIn(reply: Reply): number {
  return reply.t === 'array' || reply.t === 'set' ? reply.items.length : reply.t === 'map' ? reply.entries.length : 0;
}

function* pieces(reply: Reply, proto: Protocol, out: (Buffer | string)[], count: { left: number }, every: number): Generator<void, void, undefined> {
  if (reply.t !== 'array' && reply.t !== 'set' && reply.t !== 'map') {
    encodeReply(reply, proto, out);
    return;
  }
  out.push(headerOf(reply, proto));
  const map = reply.t === 'map' ? reply.entries : undefined;
  const items = reply.t === 'map' ? undefined : reply.items;
  const n = map ? map.length * 2 : items!.length;
  for (let i = 0; i < n; i++) {
    const item = map ? map[i >> 1]![i & 1]! : items![i]!;
    // A nested one of more than `every` items (SCAN's names, EXEC's KEYS) is itself cut; a smaller one counts as one item.
    if (itemsIn(item) > every) yield* pieces(item, proto, out, count, every);
    else encodeReply(item, proto, out);
    if (--count.left <= 0) {
      count.left = every;
      yield;
    }
  }
}

/**
 * Largest request a client may send, as redis-server 7.0 (processMultibulkBuffer): INT_MAX arguments (6.x's 1M no
 * longer: `*2000000` is taken), 512 MiB per argument (proto-max-bulk-len's default), 64 KiB of a count line or of an
 * inline request. The arguments are kept as they come: what a big count costs is the bytes actually sent, as in 7.0
 * (its argv grows from 1,024 as they arrive).
 */
const MAX_ARGS = 2 ** 31 - 1;
const MAX_BULK = 512 * 1024 * 1024;
const MAX_INLINE = 64 * 1024;
/**
 * Largest request a client that must AUTH and has not may send (7.0's processMultibulkBuffer, where authRequired): 10
 * arguments, 16 KiB each; more is refused before its bytes are kept (CVE-2021-32675).
 */
const UNAUTH_ARGS = 10;
const UNAUTH_BULK = 16 * 1024;

/**
 * A request the protocol refuses: the connection answers the requests before it, then `-ERR Protocol error: …`, and
 * closes, as Redis does.
 */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  /** The whole requests that came before the refused bytes in the same push, to be answered first (set by RequestParser.push). */
  before: Buffer[][] = [];
}

/**
 * An argument at least this long whose bytes have not all come is gathered as its chunks arrive and joined once (Redis's
 * PROTO_MBULK_BIG_ARG, 32 KiB): joined to what came before at each chunk, a 128 MiB argument sent in 64 KiB chunks cost
 * 136 s of copying, the event loop held up to 9 s at a time (redis-server 7.0: 0.23 s).
 */
const BIG_ARG = 32 * 1024;

/**
 * Parses requests from the bytes of one connection as they arrive: `push`
 * takes the next chunk and returns the complete commands (each its
 * arguments); a partial command waits for the next chunk. A multibulk
 * request's arguments are taken as they arrive and kept, not read again
 * from its start at each chunk (an MGET of 400,000 keys took 29 s so, 0.23 s
 * on redis-server 7.0), and a big argument is gathered apart ({@link BIG_ARG}):
 * the work is linear in the bytes sent, however they are cut.
 * @throws ProtocolError on bytes that are no request, holding the whole requests before them (the caller answers
 *   those, then the error, and closes the connection)
 */
export class RequestParser {
  /**
   * The client must AUTH and has not: Redis's limits before AUTH apply ({@link UNAUTH_ARGS}, {@link UNAUTH_BULK}), and
   * parsing stops after each request ({@link held}), for the next one must be read with the limits its running leaves
   * (an AUTH lifts them): as 7.0, which runs each request before it reads the next. Set by the caller before each push.
   */
  unauthenticated = false;
  /**
   * @param holdAfter a request after which parsing stops though no limits apply, for its running may set them (RESET,
   *   where a password is asked)
   */
  constructor(private readonly holdAfter?: (args: Buffer[]) => boolean) {}
  /** Parsing stopped after a request (see {@link unauthenticated}): the bytes after it are kept, unread, until {@link resume}. */
  private held = false;
  private buf: Buffer = Buffer.alloc(0);
  /** A multibulk request begun: its arguments so far and how many are still to come. */
  private request: { readonly args: Buffer[]; left: number } | undefined;
  /** A big argument of {@link request} being gathered: its length and its bytes so far (and maybe what follows). */
  private big: { readonly len: number; readonly parts: Buffer[]; have: number } | undefined;

  push(chunk: Buffer): Buffer[][] {
    if (this.held) {
      // No request is begun while held (it stopped after a whole one): the bytes wait for resume().
      this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
      return [];
    }
    let next = chunk;
    if (this.big) {
      const big = this.big;
      big.parts.push(chunk);
      big.have += chunk.length;
      if (big.have < big.len + 2) return [];
      this.big = undefined;
      const all = Buffer.concat(big.parts, big.have);
      this.request!.args.push(all.subarray(0, big.len));
      this.request!.left--;
      next = all.subarray(big.len + 2);
    }
    // resume() pushes no bytes: the kept ones are read where they are, not copied (copied once a request, a read of
    // 64 KiB of PINGs before AUTH copied 360 MB).
    if (next.length > 0) this.buf = this.buf.length === 0 ? next : Buffer.concat([this.buf, next]);
    const out: Buffer[][] = [];
    let at = 0;
    try {
      while (this.request || at < this.buf.length) {
        const parsed = this.request || this.buf[at] === 0x2a ? this.multibulk(at) : this.inline(at);
        if (!parsed) break;
        at = parsed.next;
        if (!parsed.args) break;
        if (parsed.args.length > 0) {
          out.push(parsed.args);
          if (this.unauthenticated || this.holdAfter?.(parsed.args)) {
            this.held = true;
            break;
          }
        }
      }
    } catch (err) {
      // Redis runs each request as it is read: those before the bad bytes in this chunk are answered, not dropped.
      if (err instanceof ProtocolError) err.before = out;
      throw err;
    }
    this.buf = at >= this.buf.length ? Buffer.alloc(0) : this.buf.subarray(at);
    return out;
  }

  /** Parsing stopped after a request, bytes kept after it: once that request has run, {@link resume} reads on. */
  get holding(): boolean {
    return this.held;
  }

  /** Reads on after a request parsing stopped at ({@link holding}), as {@link push} of no bytes. */
  resume(): Buffer[][] {
    this.held = false;
    return this.push(Buffer.alloc(0));
  }

  /**
   * `*<n>\r\n` then n × `$<len>\r\n<bytes>\r\n`, from where {@link request} left off: its arguments when all have come,
   * else (no `args`) where the bytes not yet taken begin.
   */
  private multibulk(start: number): { args?: Buffer[]; next: number } {
    const b = this.buf;
    let at = start;
    if (!this.request) {
      const line = b.indexOf(CRLF, at);
      if (line < 0) {
        if (b.length - at > MAX_INLINE) throw new ProtocolError('Protocol error: too big mbulk count string');
        return { next: at };
      }
      const count = decimal(b.toString('latin1', at + 1, line));
      if (count === undefined || count > MAX_ARGS) throw new ProtocolError('Protocol error: invalid multibulk length');
      if (count > UNAUTH_ARGS && this.unauthenticated) throw new ProtocolError('Protocol error: unauthenticated multibulk length');
      // `*0` and `*-1` are no command (Redis skips them).
      if (count <= 0) return { args: [], next: line + 2 };
      this.request = { args: [], left: count };
      at = line + 2;
    }
    const request = this.request;
    while (request.left > 0) {
      if (at >= b.length) return { next: at };
      if (b[at] !== 0x24) throw new ProtocolError(`Protocol error: expected '$', got '${String.fromCharCode(b[at]!)}'`);
      const end = b.indexOf(CRLF, at);
      if (end < 0) {
        if (b.length - at > MAX_INLINE) throw new ProtocolError('Protocol error: too big bulk count string');
        return { next: at };
      }
      const len = decimal(b.toString('latin1', at + 1, end));
      if (len === undefined || len < 0 || len > MAX_BULK) throw new ProtocolError('Protocol error: invalid bulk length');
      if (len > UNAUTH_BULK && this.unauthenticated) throw new ProtocolError('Protocol error: unauthenticated bulk length');
      const body = end + 2;
      if (body + len + 2 > b.length) {
        if (len < BIG_ARG) return { next: at };
        this.big = { len, parts: [b.subarray(body)], have: b.length - body };
        return { next: b.length };
      }
      request.args.push(Buffer.from(b.subarray(body, body + len)));
      request.left--;
      at = body + len + 2;
    }
    this.request = undefined;
    return { args: request.args, next: at };
  }

  /** A line of words (what telnet or `nc` send), split as Redis's sdssplitargs does. */
  private inline(start: number): { args: Buffer[]; next: number } | undefined {
    const b = this.buf;
    const nl = b.indexOf(0x0a, start);
    if (nl < 0) {
      if (b.length - start > MAX_INLINE) throw new ProtocolError('Protocol error: too big inline request');
      return undefined;
    }
    const end = nl > start && b[nl - 1] === 0x0d ? nl - 1 : nl;
    const args = splitArgs(b.toString('latin1', start, end));
    if (!args) throw new ProtocolError('Protocol error: unbalanced quotes in request');
    return { args: args.map((a) => Buffer.from(a, 'latin1')), next: nl + 1 };
  }
}

/** A decimal integer without spaces or `+`, or undefined. */
function decimal(text: string): number | undefined {
  // As 7.0's string2ll reads a length: 0, or digits without a leading zero, after an optional minus ("01", "-0" refused).
  return /^(?:0|-?[1-9]\d{0,11})$/.test(text) ? Number(text) : undefined;
}

const HEX = /^[0-9a-fA-F]{2}$/;
/**
 * A space as sdssplitargs' isspace() takes one (the C locale): not JavaScript's \s, which also takes the byte 0xa0 (a
 * latin1 no-break space), so `EXISTS a<0xa0>b` was read as two keys (redis-server 7.0: one).
 */
const isSpace = (c: string): boolean => c === ' ' || (c >= '\t' && c <= '\r');
const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', a: '\x07' };

/** Redis's sdssplitargs: words, "double quoted" with \xHH and \n escapes, 'single quoted'; undefined on unbalanced quotes. */
export function splitArgs(line: string): string[] | undefined {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    while (i < line.length && isSpace(line[i]!)) i++;
    if (i >= line.length) return out;
    let word = '';
    const quote = line[i] === '"' || line[i] === "'" ? line[i++] : undefined;
    for (;;) {
      if (i >= line.length) {
        if (quote) return undefined;
        break;
      }
      const c = line[i]!;
      if (!quote && isSpace(c)) break;
      if (quote === '"' && c === '\\' && i + 1 < line.length) {
        const next = line[i + 1]!;
        if (next === 'x' && HEX.test(line.slice(i + 2, i + 4))) {
          word += String.fromCharCode(Number.parseInt(line.slice(i + 2, i + 4), 16));
          i += 4;
        } else {
          word += ESCAPES[next] ?? next;
          i += 2;
        }
        continue;
      }
      if (quote === "'" && c === '\\' && line[i + 1] === "'") {
        word += "'";
        i += 2;
        continue;
      }
      if (c === quote) {
        i++;
        // A closing quote must be followed by a space or the end (sdssplitargs).
        if (i < line.length && !isSpace(line[i]!)) return undefined;
        break;
      }
      word += c;
      i++;
    }
    out.push(word);
  }
}
