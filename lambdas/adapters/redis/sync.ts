import net from 'node:net';
import tls from 'node:tls';
import { VALKEY_WRITERS } from '../../domain/rdb/format/opcodes.js';

/**
 * Pulls an RDB from a running Redis (or Valkey) server over the replication
 * protocol, as `redis-cli --rdb` does: the client announces itself as a
 * replica that wants the RDB and nothing after it (`REPLCONF capa eof`,
 * `REPLCONF rdb-only 1`, and its release: {@link ANNOUNCED_VERSION}), sends `SYNC`, and the primary streams a point-in-time
 * snapshot made by its own fork. Nothing is read from the server's disk and no
 * `CONFIG` or file access is needed; the bytes are handed to the caller as they
 * arrive, with backpressure and no temporary file.
 *
 * Hand-written on `node:net`/`node:tls` because no maintained npm library
 * speaks the replica side of `SYNC` for a client: ioredis and node-redis do not
 * (the reply is not RESP: newlines, then a bulk header, then raw bytes that may
 * end with a mark rather than a length), and the registry's "redis dump"
 * packages read keys with commands instead.
 *
 * What the primary sends after `SYNC` (redis `src/replication.c`):
 * - `\n` once a second while it prepares the snapshot (a fork and BGSAVE to
 *   disk, or the `repl-diskless-sync-delay` wait): keep-alives, skipped here,
 *   each one resets the idle timer;
 * - then either `$<length>\r\n` and exactly that many bytes (a disk-based
 *   sync: the RDB file it just wrote), or, for a replica that announced
 *   `capa eof` to a primary with `repl-diskless-sync yes` (the default since
 *   7.0), `$EOF:<40 random characters>\r\n`, the RDB written by the fork
 *   straight to the socket, and the same 40 characters once more at the very
 *   end. The mark is recognised where the received bytes end, as redis-cli
 *   does: with `rdb-only` the primary sends nothing after it (it closes the
 *   connection), and a server too old for `rdb-only` waits for a
 *   `REPLCONF ACK` that never comes before sending anything else.
 * Errors come as `-ERR …` lines instead of the header (a renamed or forbidden
 * `SYNC`, an ACL without `+sync`, a replica whose primary is down, a server
 * still loading).
 *
 * Memory: the socket's own flow control is the only buffer. The body is read
 * through the socket's async iterator, which stops reading from the kernel
 * once `highWaterMark` bytes wait unread; the kernel's window then stops the
 * primary. At most `highWaterMark` plus one read are held here, plus one
 * chunk in the EOF form (held back until the next one shows it is not the
 * end). Chunks are passed on as received: the hot path does no per-byte work
 * and no copy, only a 40-byte comparison per chunk in the EOF form.
 */

/**
 * The release this replica says it is (`REPLCONF version`): the newest Valkey whose RDB the verifier reads (format/
 * opcodes.ts VALKEY_WRITERS). A Valkey primary (8.0 on) writes a diskless replica's RDB in the newest version that
 * replica's release reads, and one that names none it takes for a 7.2 (RDB 11: replicaRdbVersion, src/replication.c of
 * 9.1.2 7f1dffed): a Valkey 9 holding a key of a type RDB 11 lacks (a hash with field TTLs) then fails the SYNC ("Can't
 * store key … in RDB version 11", seen on a real 9.1.2: `backup --remote` got no backup at all). Redis answers the
 * option with an error ("Unrecognized REPLCONF option"), which the handshake passes over as it does `rdb-only`'s.
 */
const ANNOUNCED_VERSION = `${VALKEY_WRITERS.at(-1)}.0`;

/** Where to pull from. */
export interface SyncSource {
  readonly host: string;
  readonly port: number;
  /** In-transit encryption: `true` for the system CAs and server name = host, or TLS options (a CA bundle, `servername`). */
  readonly tls?: boolean | tls.ConnectionOptions;
  /** ACL user (Redis 6+); the default user when absent. */
  readonly username?: string;
  readonly password?: string;
  /**
   * Time to connect (TCP and TLS) and have AUTH and REPLCONF answered.
   * @default 10000
   */
  readonly connectTimeoutMs?: number;
  /**
   * Longest silence while waiting for the payload and while it streams: the
   * primary may take long to fork and BGSAVE, but sends a newline every second
   * meanwhile, and each one resets it (so keep it above 2 s). Time the
   * consumer spends between reads (backpressure) does not count.
   * @default 60000 (the primary's own `repl-timeout` default)
   */
  readonly idleTimeoutMs?: number;
}

/** An RDB being pulled: read `body` to the end, or `close()` it. */
export interface RdbPull {
  /** The RDB bytes only (no `$` header, no EOF mark), with backpressure (reading pauses the socket). Iterable once. */
  readonly body: AsyncIterable<Uint8Array>;
  /** 'length' ($<len>) or 'eof' (diskless $EOF:<mark>). */
  readonly form: 'length' | 'eof';
  /** Announced size for the length form. */
  readonly size?: number;
  /** Closes the connection early (a consumer that stops reading, e.g. a verification failure). */
  close(): void;
}

/**
 * Any failure of {@link pullRdb}; `endpoint` is `host:port`, `cause` the
 * socket's error, `reply` the server's error line. Neither the message nor
 * `reply` ever holds the password.
 */
export class SyncError extends Error {
  override readonly name: string = 'SyncError';
  readonly reply?: string;
  constructor(
    readonly endpoint: string,
    message: string,
    options?: { cause?: unknown; reply?: string },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    if (options?.reply !== undefined) this.reply = options.reply;
  }
}

/** Unreachable, timed out, or closed the connection before the payload started. */
export class SyncConnectionError extends SyncError {
  override readonly name: string = 'SyncConnectionError';
}

/** AUTH refused (wrong password or user), or the server needs AUTH and none was given. */
export class SyncAuthError extends SyncError {
  override readonly name: string = 'SyncAuthError';
}

/** The server does not serve `SYNC` to this client: renamed or disabled, forbidden by the ACL, or a managed service. */
export class SyncRefusedError extends SyncError {
  override readonly name: string = 'SyncRefusedError';
}

/** The server cannot serve a sync right now: loading its dataset, a replica without its primary, a failed BGSAVE. */
export class SyncUnavailableError extends SyncError {
  override readonly name: string = 'SyncUnavailableError';
}

/** The payload ended early: the connection closed or stalled before the announced length or the EOF mark. */
export class SyncTruncatedError extends SyncError {
  override readonly name: string = 'SyncTruncatedError';
}

/** The body was read after (or while) {@link RdbPull.close} closed the connection. */
export class SyncClosedError extends SyncError {
  override readonly name: string = 'SyncClosedError';
}

/** The server answered something that is not the replication protocol (not a Redis server?). */
export class SyncProtocolError extends SyncError {
  override readonly name: string = 'SyncProtocolError';
}

const EOF_MARK_SIZE = 40;
/** Longest reply line accepted before the payload (redis-cli reads at most 4 KB). */
const MAX_LINE = 4096;
/** Bytes the socket reads ahead of the consumer before it stops reading (backpressure). */
const READ_AHEAD = 1024 * 1024;

const REFUSED_HINT =
  'ElastiCache (and other managed services) forbid SYNC/PSYNC: back those up with snapshots ' +
  '(`redis-dr status`, the snapshot schedule). For a self-managed server, check that `SYNC` is not ' +
  "renamed or disabled (`rename-command SYNC`) and that the user's ACL allows `+sync` and `+replconf`.";

/** Raised by the idle/connect timer through `socket.destroy()`; mapped to the right class by the phase. */
class Stalled extends Error {}

/**
 * Connects, authenticates, asks for the RDB, and resolves once the payload
 * header is read (after the primary has prepared the snapshot). The body
 * streams from there; its iterator throws {@link SyncTruncatedError} when the
 * connection ends before the whole RDB, never a short stream.
 */
export async function pullRdb(source: SyncSource): Promise<RdbPull> {
  const endpoint = `${source.host}:${source.port}`;
  if (source.username !== undefined && source.password === undefined) {
    throw new SyncAuthError(endpoint, `${endpoint}: a username (${source.username}) needs a password`);
  }
  const connectTimeoutMs = source.connectTimeoutMs ?? 10_000;
  const idleTimeoutMs = source.idleTimeoutMs ?? 60_000;
  const redact = (text: string): string => (source.password ? text.split(source.password).join('***') : text);

  const link = await connect(source, endpoint, connectTimeoutMs);
  try {
    // Phase 1: AUTH and REPLCONF, pipelined (their replies come in order).
    // SYNC must wait for their replies: the server refuses SYNC while earlier
    // replies are still in its output buffer.
    link.arm(connectTimeoutMs);
    const commands: string[][] = [];
    if (source.password !== undefined) {
      commands.push(source.username !== undefined ? ['AUTH', source.username, source.password] : ['AUTH', source.password]);
    }
    commands.push(['REPLCONF', 'capa', 'eof'], ['REPLCONF', 'rdb-only', '1'], ['REPLCONF', 'version', ANNOUNCED_VERSION]);
    link.socket.write(Buffer.concat(commands.map(encodeCommand)));
    const replconfErrors: string[] = [];
    for (const command of commands) {
      const reply = redact(await link.line('handshake'));
      if (!reply.startsWith('-') && !reply.startsWith('+')) {
        throw new SyncProtocolError(
          endpoint,
          `${endpoint} answered ${command[0]} with ${JSON.stringify(reply.slice(0, 80))}: is it a Redis server (and TLS set as the server expects)?`,
        );
      }
      if (!reply.startsWith('-')) continue;
      if (command[0] === 'AUTH') {
        // A password for a server that has none: the connection is the default user anyway (as ioredis does).
        if (/called without any password configured/i.test(reply)) continue;
        throw new SyncAuthError(endpoint, `${endpoint} refused AUTH${source.username !== undefined ? ` as ${source.username}` : ''}: ${reply.slice(1)}`, {
          reply,
        });
      }
      const failure = classifyError(endpoint, reply, 'REPLCONF');
      if (failure instanceof SyncAuthError || failure instanceof SyncUnavailableError) throw failure;
      // Older servers do not know `rdb-only` (nor a missing +replconf makes SYNC
      // fail by itself): not fatal, as in redis-cli. Named if SYNC fails too.
      replconfErrors.push(`REPLCONF ${command[1]}: ${reply.slice(1)}`);
    }

    // Phase 2: SYNC, newlines while the primary prepares, then the header.
    link.arm(idleTimeoutMs);
    link.socket.write('SYNC\r\n');
    let header = redact(await link.line('header'));
    if (header.startsWith('+FULLRESYNC')) header = redact(await link.line('header')); // PSYNC's preamble; not sent for SYNC
    if (header.startsWith('-')) {
      const failure = classifyError(endpoint, header, 'SYNC');
      if (replconfErrors.length > 0) failure.message += ` (earlier: ${replconfErrors.join('; ')})`;
      throw failure;
    }
    if (header.startsWith('$EOF:') && header.length >= 5 + EOF_MARK_SIZE) {
      const mark = Buffer.from(header.slice(5, 5 + EOF_MARK_SIZE), 'latin1');
      return link.pull('eof', undefined, () => untilEofMark(() => link.chunk((n) => `after ${n} bytes, before the EOF mark`), mark));
    }
    if (/^\$\d{1,18}$/.test(header)) {
      const size = Number(header.slice(1));
      return link.pull('length', size, () => lengthBody(link, size));
    }
    throw new SyncProtocolError(
      endpoint,
      `${endpoint} answered SYNC with ${JSON.stringify(header.slice(0, 80))}, not an RDB payload header: is it a Redis server?`,
    );
  } catch (err) {
    link.destroy();
    throw err;
  }
}

/** RESP array of bulk strings (binary-safe for passwords). */
function encodeCommand(args: readonly string[]): Buffer {
  const parts = [`*${args.length}\r\n`];
  for (const arg of args) parts.push(`$${Buffer.byteLength(arg)}\r\n${arg}\r\n`);
  return Buffer.from(parts.join(''));
}

/** Maps an error reply (`-CODE message`) to the error class a caller can act on. */
function classifyError(endpoint: string, reply: string, command: 'SYNC' | 'REPLCONF'): SyncError {
  const text = reply.slice(1);
  const code = /^[A-Z]+/.exec(text)?.[0] ?? '';
  if (code === 'NOAUTH' || code === 'WRONGPASS') {
    return new SyncAuthError(endpoint, `${endpoint} needs authentication for ${command}: ${text} (give the password, and the username for an ACL user)`, {
      reply,
    });
  }
  if (code === 'LOADING' || code === 'NOMASTERLINK' || code === 'MASTERDOWN' || code === 'BUSY' || code === 'TRYAGAIN' || /BGSAVE failed/i.test(text)) {
    return new SyncUnavailableError(
      endpoint,
      `${endpoint} cannot serve ${command} now: ${text}. A server still loading its dataset, or a replica whose link to its primary is down ` +
        '(`replica-serve-stale-data no`, a failover), cannot hand out a consistent RDB: retry later or pull from the primary.',
      { reply },
    );
  }
  return new SyncRefusedError(endpoint, `${endpoint} refused ${command}: ${text}. ${REFUSED_HINT}`, { reply });
}

async function* lengthBody(link: Link, size: number): AsyncGenerator<Uint8Array> {
  let remaining = size;
  while (remaining > 0) {
    const chunk = await link.chunk((n) => `after ${n} of the ${size} bytes announced`);
    if (chunk.length >= remaining) {
      yield chunk.length === remaining ? chunk : chunk.subarray(0, remaining);
      return;
    }
    remaining -= chunk.length;
    yield chunk;
  }
}

/**
 * The payload of a `$EOF:<mark>` transfer: the chunks `next` returns (it
 * throws when the connection ends), passed on until the received bytes end
 * with `mark`, without the mark. Exported for tests (chunk boundaries are the
 * kernel's, so the tests cut the bytes themselves).
 */
export async function* untilEofMark(next: () => Promise<Buffer>, mark: Buffer): AsyncGenerator<Uint8Array> {
  // Received chunks not yet passed on: always at least the last 40 bytes,
  // which may be the mark. Usually one chunk (they come 64 KB at a time).
  const held: Buffer[] = [];
  let heldBytes = 0;
  for (;;) {
    const chunk = await next();
    held.push(chunk);
    heldBytes += chunk.length;
    if (heldBytes >= mark.length && endsWith(held, mark)) {
      let body = heldBytes - mark.length;
      for (const part of held) {
        if (body <= 0) break;
        yield part.length <= body ? part : part.subarray(0, body);
        body -= part.length;
      }
      return;
    }
    while (held.length > 1 && heldBytes - held[0]!.length >= mark.length) {
      const part = held.shift()!;
      heldBytes -= part.length;
      yield part;
    }
  }
}

/** True when the bytes in `chunks` (at least `mark.length` of them) end with `mark`. */
function endsWith(chunks: readonly Buffer[], mark: Buffer): boolean {
  const last = chunks[chunks.length - 1]!;
  if (last.length >= mark.length) return last.subarray(last.length - mark.length).equals(mark);
  // Small trailing chunks: gather the last 40 bytes (rare, and 40 bytes at most).
  const tail: Buffer[] = [];
  let bytes = 0;
  for (let i = chunks.length - 1; i >= 0 && bytes < mark.length; i--) {
    tail.unshift(chunks[i]!);
    bytes += chunks[i]!.length;
  }
  const joined = Buffer.concat(tail);
  return joined.subarray(joined.length - mark.length).equals(mark);
}

/**
 * One connection: reads lines before the payload and chunks after, through
 * the socket's async iterator (its flow control is the backpressure), under
 * one timer that only runs while a read is waiting.
 */
class Link {
  private readonly reader: AsyncIterator<Buffer>;
  /** Bytes read past the last line. */
  private rest: Buffer | undefined;
  private waiting = false;
  private timeoutMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private closedByCaller = false;
  private iterated = false;
  /** Payload bytes read so far (for messages). */
  private received = 0;

  constructor(
    readonly socket: net.Socket,
    readonly endpoint: string,
  ) {
    this.reader = socket[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  /** Timeout for each read from now on. */
  arm(ms: number): void {
    clearTimeout(this.timer);
    this.timeoutMs = ms;
    // One timer, restarted by `refresh()` for each read; it only acts while a read waits.
    this.timer = setTimeout(() => {
      if (this.waiting) this.socket.destroy(new Stalled());
    }, ms).unref(); // the socket keeps the process alive while it is open
  }

  destroy(): void {
    clearTimeout(this.timer);
    this.socket.destroy();
  }

  /** Next raw chunk, or undefined when the connection ended cleanly; errors are the socket's. */
  private async read(): Promise<Buffer | undefined> {
    if (this.rest) {
      const rest = this.rest;
      this.rest = undefined;
      return rest;
    }
    this.waiting = true;
    this.timer?.refresh();
    try {
      const next = await this.reader.next();
      return next.done ? undefined : next.value;
    } finally {
      this.waiting = false;
    }
  }

  /**
   * The next reply line before the payload, without `\r\n`. Before the
   * header, lone newlines are the primary's keep-alives: skipped.
   */
  async line(phase: 'handshake' | 'header'): Promise<string> {
    let buffered: Buffer = Buffer.alloc(0);
    for (;;) {
      let chunk: Buffer | undefined;
      try {
        chunk = await this.read();
      } catch (err) {
        throw this.beforePayload(phase, err);
      }
      if (!chunk) throw this.beforePayload(phase, undefined);
      let data = buffered.length > 0 ? Buffer.concat([buffered, chunk]) : chunk;
      if (phase === 'header' && buffered.length === 0) {
        let start = 0;
        while (start < data.length && data[start] === 0x0a) start++;
        data = data.subarray(start);
      }
      const nl = data.indexOf(0x0a);
      if (nl >= 0) {
        if (nl + 1 < data.length) this.rest = data.subarray(nl + 1);
        const end = nl > 0 && data[nl - 1] === 0x0d ? nl - 1 : nl;
        return data.subarray(0, end).toString('latin1');
      }
      if (data.length > MAX_LINE) {
        throw new SyncProtocolError(
          this.endpoint,
          `${this.endpoint} sent ${data.length} bytes without a line end before the RDB payload: is it a Redis server?`,
        );
      }
      buffered = data;
    }
  }

  private beforePayload(phase: 'handshake' | 'header', err: unknown): SyncError {
    const what = phase === 'handshake' ? 'while authenticating (AUTH, REPLCONF)' : 'while waiting for the RDB (SYNC)';
    if (err instanceof Stalled) {
      const hint = phase === 'header' ? ' (the primary sends a newline every second while it prepares the RDB: none came)' : '';
      return new SyncConnectionError(this.endpoint, `${this.endpoint}: no answer for ${this.timeoutMs} ms ${what}${hint}`);
    }
    if (err) return new SyncConnectionError(this.endpoint, `${this.endpoint}: connection failed ${what}: ${describe(err)}`, { cause: err });
    return new SyncConnectionError(
      this.endpoint,
      `${this.endpoint} closed the connection ${what}` +
        (phase === 'header' ? ' (a failed BGSAVE or a replica output buffer limit on the server? see its log)' : ''),
    );
  }

  /** A body chunk; throws when the connection ends before the payload does. */
  async chunk(where: (received: number) => string): Promise<Buffer> {
    let chunk: Buffer | undefined;
    let failure: unknown;
    try {
      chunk = await this.read();
    } catch (err) {
      failure = err;
    }
    if (chunk) {
      this.received += chunk.length;
      return chunk;
    }
    if (this.closedByCaller) throw new SyncClosedError(this.endpoint, `${this.endpoint}: the RDB transfer was closed by the caller ${where(this.received)}`);
    if (failure instanceof Stalled) {
      throw new SyncTruncatedError(this.endpoint, `${this.endpoint}: no data for ${this.timeoutMs} ms ${where(this.received)}: the RDB is incomplete`);
    }
    throw new SyncTruncatedError(
      this.endpoint,
      `${this.endpoint}: the connection ${failure ? `failed (${describe(failure)})` : 'closed'} ${where(this.received)}: the RDB is incomplete`,
      { cause: failure },
    );
  }

  /** The caller's handle on the payload. */
  pull(form: 'length' | 'eof', size: number | undefined, body: () => AsyncGenerator<Uint8Array>): RdbPull {
    const close = (): void => {
      if (!this.socket.destroyed) this.closedByCaller = true;
      this.destroy();
    };
    const iterable: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]: () => {
        if (this.iterated) throw new Error(`${this.endpoint}: the RDB body can be read only once`);
        this.iterated = true;
        return finishing(body(), () => this.destroy());
      },
    };
    return { body: iterable, form, ...(size !== undefined ? { size } : {}), close };
  }
}

/** Runs `done` when the generator ends, throws, or is returned from early (a `break`). */
async function* finishing(source: AsyncGenerator<Uint8Array>, done: () => void): AsyncGenerator<Uint8Array> {
  try {
    yield* source;
  } finally {
    done();
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) return 'code' in err && typeof err.code === 'string' ? `${err.code}: ${err.message}` : err.message;
  return String(err);
}

/** Opens the TCP (or TLS) connection within the timeout. */
async function connect(source: SyncSource, endpoint: string, timeoutMs: number): Promise<Link> {
  const common = { host: source.host, port: source.port, highWaterMark: READ_AHEAD };
  const socket: net.Socket = source.tls
    ? tls.connect({
        ...(net.isIP(source.host) === 0 ? { servername: source.host } : {}),
        ...(typeof source.tls === 'object' ? source.tls : {}),
        ...common,
      })
    : net.connect(common);
  const ready = source.tls ? 'secureConnect' : 'connect';
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Stalled()), timeoutMs);
      socket.once(ready, () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  } catch (err) {
    socket.destroy();
    if (err instanceof Stalled)
      throw new SyncConnectionError(
        endpoint,
        `${endpoint}: no connection within ${timeoutMs} ms (unreachable? wrong host, port, security group or TLS setting?)`,
      );
    const tlsFailure = source.tls && /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|HOSTNAME|ALTNAME/i.test(String((err as { code?: unknown }).code));
    throw new SyncConnectionError(
      endpoint,
      tlsFailure
        ? `${endpoint}: the TLS handshake failed: ${describe(err)} (the server's CA in the tls options? the right host name?)`
        : `${endpoint} is unreachable: ${describe(err)}`,
      { cause: err },
    );
  }
  socket.setNoDelay(true);
  // Errors reach the reader through the async iterator; this only keeps one
  // arriving while nobody reads from becoming an uncaught exception.
  socket.on('error', () => undefined);
  return new Link(socket, endpoint);
}
