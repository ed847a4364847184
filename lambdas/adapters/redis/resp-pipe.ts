import net from 'node:net';
import tls from 'node:tls';
import type { Redis } from 'ioredis';
import { DEFAULT_COMMAND_TIMEOUT_MS, DEFAULT_CONNECT_TIMEOUT_MS, RedisConnectionError } from './connection.js';

// ---------------------------------------------------------------------------
// The lean RESP2 pipe.

/**
 * The connection broke while a pipelined batch was in flight: `received`
 * are the replies that arrived before it did (the first commands of the
 * batch, in order). The commands after them were sent but not answered:
 * the server may or may not have run them.
 */
export class RedisBatchBrokenError extends RedisConnectionError {
  constructor(
    cause: RedisConnectionError,
    readonly received: readonly Reply[],
  ) {
    super(cause.message, { cause });
  }
}

/** A RESP2 reply; error replies arrive as `Error`. */
export type Reply = string | number | Buffer | null | Error | Reply[];
export type ReplyHandler = (reply: Reply) => void;

export const CRLF = Buffer.from('\r\n');

/** One argument of a command: a string, bytes, or bytes in parts (a big RESTORE payload, written part by part, never joined). */
export type Arg = string | Buffer | readonly Buffer[];

/** One command in RESP2 (an array of bulk strings). */
export function encode(args: readonly (string | Buffer)[]): Buffer {
  return encodeCommands([args]);
}

/**
 * Many commands in RESP2 as one buffer, for one socket write: the size is
 * summed first, then every argument is copied once. Headers, short ASCII
 * strings and short keys are written byte by byte: Buffer.write/copy cost
 * more per call than the few bytes they move, and migrate writes about ten
 * such pieces per key (a third of its client CPU went there; bench/README.md).
 */
export function encodeCommands(input: readonly (readonly Arg[])[]): Buffer {
  let commands = input as readonly (readonly (string | Buffer)[])[];
  parts: for (const args of input)
    for (const a of args)
      if (Array.isArray(a)) {
        // Arguments in parts (only encodeCommandParts keeps them apart) joined first.
        commands = input.map((c) => c.map((x) => (Array.isArray(x) ? Buffer.concat(x) : x))) as (string | Buffer)[][];
        break parts;
      }
  return encodeFlat(commands);
}

/** {@link encodeCommands} of arguments none of which is in parts. */
function encodeFlat(commands: readonly (readonly (string | Buffer)[])[]): Buffer {
  let size = 0;
  for (const args of commands) {
    size += digits(args.length) + 3;
    for (const a of args) {
      const n = typeof a === 'string' ? stringBytes(a) : a.length;
      size += digits(n) + n + 5;
    }
  }
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const args of commands) {
    out[at++] = 0x2a; // *
    at = writeInteger(out, at, args.length);
    for (const a of args) {
      out[at++] = 0x24; // $
      if (typeof a === 'string') {
        at = writeInteger(out, at, stringBytes(a));
        if (a.length <= SHORT && isAscii(a)) {
          for (let i = 0; i < a.length; i++) out[at++] = a.charCodeAt(i);
        } else {
          at += out.write(a, at);
        }
      } else {
        at = writeInteger(out, at, a.length);
        if (a.length <= SHORT) {
          for (let i = 0; i < a.length; i++) out[at++] = a[i]!;
        } else {
          at += a.copy(out, at);
        }
      }
      out[at++] = 13;
      out[at++] = 10;
    }
  }
  return out;
}

/** A Buffer argument of this many bytes or more is written as it is, not copied (see {@link encodeCommandParts}). */
export const BIG_ARG_BYTES = 1024 * 1024;

const argBytes = (a: Buffer | readonly Buffer[]): number => (Buffer.isBuffer(a) ? a.length : a.reduce((n, p) => n + p.length, 0));
const isBig = (a: Arg): boolean => typeof a !== 'string' && (Array.isArray(a) || argBytes(a as Buffer) >= BIG_ARG_BYTES);

/**
 * As {@link encodeCommands}, but a big Buffer argument (a RESTORE payload of
 * a big key) is not copied: the commands come as parts, the big arguments
 * among them as they are, for one corked socket write. So a key of N bytes
 * costs N once, not twice. Without big arguments: the one buffer.
 */
export function encodeCommandParts(commands: readonly (readonly Arg[])[]): Buffer | Buffer[] {
  // One look at each argument (a RESTORE batch has thousands): no big one, no parts, then one buffer.
  let big = false;
  search: for (const args of commands)
    for (const a of args)
      if (typeof a !== 'string' && (!Buffer.isBuffer(a) || a.length >= BIG_ARG_BYTES)) {
        big = true;
        break search;
      }
  if (!big) return encodeFlat(commands as readonly (readonly (string | Buffer)[])[]);
  const parts: Buffer[] = [];
  let small: (readonly Arg[])[] = [];
  for (const args of commands) {
    if (!args.some(isBig)) {
      small.push(args);
      continue;
    }
    if (small.length > 0) parts.push(encodeCommands(small));
    small = [];
    let pending: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
    for (const a of args) {
      if (isBig(a)) {
        const big = a as Buffer | readonly Buffer[];
        pending.push(Buffer.from(`$${argBytes(big)}\r\n`));
        parts.push(Buffer.concat(pending), ...(Buffer.isBuffer(big) ? [big] : big));
        pending = [CRLF];
      } else {
        const b = typeof a === 'string' ? Buffer.from(a) : (a as Buffer);
        pending.push(Buffer.from(`$${b.length}\r\n`), b, CRLF);
      }
    }
    parts.push(Buffer.concat(pending));
  }
  if (small.length > 0) parts.push(encodeCommands(small));
  return parts;
}

/** Up to this many bytes, a loop beats a Buffer.write/copy call. */
const SHORT = 64;

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

function stringBytes(s: string): number {
  return s.length <= SHORT && isAscii(s) ? s.length : Buffer.byteLength(s);
}

function digits(n: number): number {
  let d = 1;
  for (let v = n; v >= 10; v = Math.floor(v / 10)) d++;
  return d;
}

/** Writes a non-negative integer and CRLF at `at`; returns the position after them. */
function writeInteger(out: Buffer, at: number, n: number): number {
  const end = at + digits(n);
  let v = n;
  for (let i = end - 1; i >= at; i--) {
    out[i] = 0x30 + (v % 10);
    v = Math.floor(v / 10);
  }
  out[end] = 13;
  out[end + 1] = 10;
  return end + 2;
}

/**
 * Incremental RESP2 parser: feed chunks, get whole replies in order. An
 * incomplete bulk string is not parsed again until enough bytes have
 * arrived for it, and its chunks are joined once: a large DUMP payload
 * arriving in many chunks costs one copy, not one per chunk. A top-level
 * array (LRANGE, HMGET, XRANGE: a big value read a chunk at a time) keeps
 * the elements it has and resumes at the first incomplete one: its bytes
 * are joined again only from there, not from the array's start on every
 * chunk (a 1 MiB reply in 64 KiB socket reads was about 8 MiB of copies).
 */
class RespParser {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  /** Chunks not parsed yet (the first one starts with an incomplete reply). */
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Bytes the incomplete reply needs at least, from its start. */
  private need = 0;
  /** Set by parse(): where the incomplete bulk string would end (absolute in `buf`). */
  private wantedEnd = 0;
  /** A top-level array in progress: its elements so far and how many are still to come. */
  private array: { readonly items: Reply[]; left: number } | undefined;
  constructor(private readonly onReply: ReplyHandler) {}

  feed(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (this.buffered < this.need) return;
    this.buf = this.chunks.length === 1 ? chunk : Buffer.concat(this.chunks, this.buffered);
    this.pos = 0;
    for (;;) {
      const start = this.pos;
      this.wantedEnd = 0;
      const reply = this.array ? this.arrayItems() : this.top();
      if (reply === undefined) {
        // Incomplete: kept, and parsed again from its start (or its array's next element) once `need` bytes are there.
        const rest = this.buf.subarray(this.array ? this.pos : start);
        this.chunks = rest.length > 0 ? [rest] : [];
        this.buffered = rest.length;
        this.need = Math.max(this.wantedEnd - (this.buf.length - rest.length), rest.length + 1);
        return;
      }
      this.onReply(reply);
    }
  }

  /** The next reply; a top-level array's header opens {@link array} and its elements are read by {@link arrayItems}. */
  private top(): Reply | undefined {
    const b = this.buf;
    const start = this.pos;
    if (b[start] !== 0x2a) return this.parse();
    const eol = b.indexOf(13, start);
    if (eol < 0 || eol + 1 >= b.length) return undefined;
    const n = integerAt(b, start + 1, eol);
    this.pos = eol + 2;
    if (n < 0) return null;
    this.array = { items: [], left: n };
    return this.arrayItems();
  }

  /** The open array's elements, each parsed once; the array when its last one is in, else undefined (`pos` at the first missing one). */
  private arrayItems(): Reply | undefined {
    const a = this.array!;
    while (a.left > 0) {
      const at = this.pos;
      const item = this.parse();
      if (item === undefined) {
        this.pos = at;
        return undefined;
      }
      a.items.push(item);
      a.left--;
    }
    this.array = undefined;
    return a.items;
  }

  private parse(): Reply | undefined {
    const b = this.buf;
    const start = this.pos;
    const eol = b.indexOf(13, start);
    if (eol < 0 || eol + 1 >= b.length) return undefined;
    const type = b[start];
    this.pos = eol + 2;
    switch (type) {
      case 0x2b: // +
        // RESTORE answers +OK a million times: no string decoding for it.
        return eol === start + 3 && b[start + 1] === 0x4f && b[start + 2] === 0x4b ? 'OK' : b.toString('latin1', start + 1, eol);
      case 0x2d: // -
        return new Error(b.toString('latin1', start + 1, eol));
      case 0x3a: // :
        return integerAt(b, start + 1, eol);
      case 0x24: {
        // $
        const n = integerAt(b, start + 1, eol);
        if (n < 0) return null;
        if (this.pos + n + 2 > b.length) {
          this.wantedEnd = this.pos + n + 2;
          return undefined;
        }
        const value = b.subarray(this.pos, this.pos + n); // a view: keys live only until their batch is written
        this.pos += n + 2;
        return value;
      }
      case 0x2a: {
        // *
        const n = integerAt(b, start + 1, eol);
        if (n < 0) return null;
        const items: Reply[] = [];
        for (let i = 0; i < n; i++) {
          const item = this.parse();
          if (item === undefined) return undefined;
          items.push(item);
        }
        return items;
      }
      default:
        throw new Error(`unexpected RESP type byte ${type}`);
    }
  }
}

/** The decimal integer in `b[from, to)`, read without making a string (NaN when it is not one). */
function integerAt(b: Buffer, from: number, to: number): number {
  const negative = b[from] === 0x2d;
  let i = negative ? from + 1 : from;
  if (i >= to) return Number.NaN;
  let n = 0;
  for (; i < to; i++) {
    const d = b[i]! - 0x30;
    if (d < 0 || d > 9) return Number.NaN;
    n = n * 10 + d;
  }
  // Past 15 digits the sum above rounds at each step: the text's own nearest double instead, as a file's expiry past 2^53
  // is read (a PEXPIRETIME of 9223372036854775000 was read 2048 off it, a false DIFFERENT: review 45).
  if (to - from > 15) return Number(b.toString('latin1', from, to));
  return negative ? -n : n;
}

/** Endpoint and credentials of one node, as its ioredis client was configured. */
export interface PipeEndpoint {
  readonly host: string;
  readonly port: number;
  readonly tls?: tls.ConnectionOptions;
  readonly username?: string;
  readonly password?: string;
  readonly connectTimeoutMs: number;
  readonly commandTimeoutMs: number;
  /** CLIENT SETNAME, so the connection is recognisable in CLIENT LIST. */
  readonly name?: string;
}

/** The endpoint, TLS settings and credentials an ioredis client was configured with. */
export function endpointOf(node: Redis): PipeEndpoint {
  const o = node.options;
  return {
    host: o.host ?? '127.0.0.1',
    port: o.port ?? 6379,
    tls: o.tls ?? undefined,
    // ioredis keeps unset credentials as null
    username: o.username ?? undefined,
    password: o.password ?? undefined,
    connectTimeoutMs: o.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT_MS,
    commandTimeoutMs: o.commandTimeout ?? DEFAULT_COMMAND_TIMEOUT_MS,
    name: o.connectionName || undefined,
  };
}

/**
 * The handler of `count` replies and the promise of them. Made apart from
 * the payload: a handler waits in the queue until its reply comes, and one
 * made beside the payload would keep it (a big key's RESTORE, 60 MiB) alive
 * until the server answered, long after the socket wrote it.
 */
function collectReplies(count: number): { replies: Promise<Reply[]>; handler: ReplyHandler } {
  let handler!: ReplyHandler;
  const replies = new Promise<Reply[]>((resolve, reject) => {
    const got: Reply[] = [];
    let failed = false;
    handler = (reply) => {
      if (failed) return;
      if (reply instanceof RedisConnectionError) {
        failed = true;
        return reject(new RedisBatchBrokenError(reply, got));
      }
      got.push(reply);
      if (got.length === count) resolve(got);
    };
  });
  return { replies, handler };
}

/**
 * A socket that sends pipelined commands and hands each reply to the handler
 * queued with it. A broken connection hands every waiting handler the error
 * (a {@link RedisConnectionError}; error replies are plain `Error`s).
 */
export class RespPipe {
  /** Handlers in order; an answered one is cleared at once (its closure holds its batch's replies; made apart from the commands: collectReplies). */
  private readonly handlers: (ReplyHandler | undefined)[] = [];
  private head = 0;
  private broken?: Error;

  private constructor(
    private readonly socket: net.Socket,
    private readonly label: string,
    commandTimeoutMs: number,
  ) {
    const parser = new RespParser((reply) => {
      const handler = this.handlers[this.head];
      this.handlers[this.head++] = undefined;
      if (this.head > 4096 && this.head * 2 > this.handlers.length) {
        this.handlers.splice(0, this.head);
        this.head = 0;
      }
      handler?.(reply);
    });
    socket.on('data', (chunk: Buffer) => {
      try {
        parser.feed(chunk);
      } catch (err) {
        this.fail(err instanceof Error ? err : new Error(String(err)));
      }
    });
    socket.setTimeout(commandTimeoutMs, () => {
      if (this.head < this.handlers.length) this.fail(new Error(`no reply within ${commandTimeoutMs} ms`));
    });
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new Error('connection closed')));
  }

  /** Connects, authenticates and selects `db`. */
  static async open(e: PipeEndpoint, db: number): Promise<RespPipe> {
    const label = `${e.host}:${e.port}`;
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = e.tls ? tls.connect({ host: e.host, port: e.port, ...e.tls }) : net.connect({ host: e.host, port: e.port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new RedisConnectionError(`could not connect to redis at ${label}: no connection within ${e.connectTimeoutMs} ms`));
      }, e.connectTimeoutMs);
      s.once(e.tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        s.setNoDelay(true);
        resolve(s);
      });
      s.once('error', (err) => {
        clearTimeout(timer);
        reject(new RedisConnectionError(`could not connect to redis at ${label}: ${err.message}`, { cause: err }));
      });
    });
    const pipe = new RespPipe(socket, label, e.commandTimeoutMs);
    try {
      if (e.password) await pipe.call(e.username ? ['AUTH', e.username, e.password] : ['AUTH', e.password]);
      if (db !== 0) await pipe.call(['SELECT', String(db)]);
      // Naming is a courtesy: a server that refuses CLIENT SETNAME still gets the work.
      if (e.name) await pipe.call(['CLIENT', 'SETNAME', e.name]).catch(() => undefined);
      return pipe;
    } catch (err) {
      pipe.close();
      throw new RedisConnectionError(`could not connect to redis at ${label}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Writes `payload` (one or more commands) and queues one handler per command. */
  send(payload: Buffer | readonly Buffer[], handlers: readonly ReplyHandler[]): void {
    if (this.broken) {
      for (const h of handlers) h(this.broken);
      return;
    }
    for (const h of handlers) this.handlers.push(h); // no spread: a batch may hold more handlers than a call takes arguments
    if (Buffer.isBuffer(payload)) this.socket.write(payload);
    else {
      // Parts (encodeCommandParts): one writev, no copy of the big ones.
      this.socket.cork();
      for (const part of payload) this.socket.write(part);
      this.socket.uncork();
    }
  }

  /**
   * Writes `payload` holding `count` commands; resolves with their replies in
   * order (error replies as `Error` values). A broken connection rejects
   * with a {@link RedisBatchBrokenError} holding the replies that came first.
   */
  exec(payload: Buffer | readonly Buffer[], count: number): Promise<Reply[]> {
    if (count === 0) return Promise.resolve([]);
    const { replies, handler } = collectReplies(count);
    this.send(payload, new Array<ReplyHandler>(count).fill(handler));
    return replies;
  }

  /** One command; an error reply rejects. */
  call(args: readonly (string | Buffer)[]): Promise<Reply> {
    return new Promise((resolve, reject) => this.send(encode(args), [(r) => (r instanceof Error ? reject(r) : resolve(r))]));
  }

  close(): void {
    this.broken ??= new Error('connection closed');
    this.socket.destroy();
  }

  private fail(err: Error): void {
    if (this.broken) return;
    this.broken = new RedisConnectionError(`redis at ${this.label}: ${err.message}`, { cause: err });
    this.socket.destroy();
    const waiting = this.handlers.splice(this.head);
    this.handlers.length = 0;
    this.head = 0;
    for (const h of waiting) h?.(this.broken);
  }
}

/**
 * A lean RESP2 pipe to the node behind an ioredis client: same endpoint, TLS
 * settings and credentials, in database `db` (what the client selected).
 */
export function openPipe(node: Redis, db: number = node.options.db ?? 0): Promise<RespPipe> {
  return RespPipe.open(endpointOf(node), db);
}
