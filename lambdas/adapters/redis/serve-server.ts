/**
 * The socket half of `redis-dr serve`: a TCP server speaking RESP2/RESP3
 * (node:net) that hands each request to the command table
 * (lambdas/domain/serve/commands.ts) and writes the replies in order. A
 * client sending bytes that are no request gets `-ERR Protocol error: …`
 * and is disconnected, as by Redis; nothing a client sends stops the
 * server.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { createSecureContext, createServer as createTlsServer } from 'node:tls';
import { type Session, SLICE_MS } from '../../domain/serve/context.js';
import { encodeReply, encodeReplyInPieces, type Protocol, ProtocolError, type Reply, RequestParser } from '../../domain/serve/resp.js';

/** Answers one request of a session: at once, or a promise. Never throws nor rejects (a failure is an error reply). */
export type RequestHandler = (session: Session, args: Buffer[]) => Reply | Promise<Reply>;

/** A listening endpoint. */
export interface RespEndpoint {
  readonly host: string;
  readonly port: number;
  /** Connections open now. */
  connections(): number;
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

/** Why the endpoint could not listen, as one line (the CLI's exit 2). */
export class ListenError extends Error {
  override readonly name = 'ListenError';
}

/** TLS for the listener: PEM files of its certificate (chain) and private key, as redis-server's `tls-cert-file` and `tls-key-file`. */
export interface ListenTls {
  readonly certFile: string;
  readonly keyFile: string;
}

/** The TLS context of `tls`, or a ListenError naming the option and file that cannot be used (called before a long open, too). */
export function tlsOptions(tls: ListenTls): { cert: Buffer; key: Buffer } {
  const read = (option: string, file: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new ListenError(
        `${option} ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String(err)}: give a PEM file`,
      );
    }
  };
  const opts = { cert: read('--tls-cert-file', tls.certFile), key: read('--tls-key-file', tls.keyFile) };
  try {
    createSecureContext(opts);
  } catch (err) {
    throw new ListenError(
      `--tls-cert-file ${tls.certFile} / --tls-key-file ${tls.keyFile}: not a usable certificate and key (${(err as Error).message}): give the PEM certificate and its private key`,
    );
  }
  return opts;
}

/**
 * Listens on `host:port` (0: a free port) and serves requests with `handle`; with `tls`, only TLS connections. `guarded`:
 * clients must AUTH (a password is set), and until they have, Redis's limits before AUTH apply to what they send.
 */
export async function listenResp(host: string, port: number, handle: RequestHandler, tls?: ListenTls, guarded = false): Promise<RespEndpoint> {
  const sockets = new Map<Socket, Session>();
  let nextId = 1;
  const onConnection = (socket: Socket) => {
    // The client's leaving (its FIN, or the close) ends a blocked read's wait (context.ts Session.left).
    const left = new AbortController();
    const session: Session = { id: nextId++, db: 0, proto: 2, name: null, authenticated: false, closing: false, left: left.signal };
    sockets.set(socket, session);
    socket.setNoDelay(true);
    serveConnection(socket, session, handle, guarded);
    socket.on('end', () => left.abort());
    // A request still running for it (a KEYS walk in slices) stops at its next slice.
    socket.on('close', () => {
      session.gone = true;
      left.abort();
      sockets.delete(socket);
    });
  };
  // A TLS listener serves only after the handshake ('secureConnection'); a client speaking plain RESP to it is dropped by the handshake.
  // allowHalfOpen: a client that sends its requests and then shuts its write side (`nc -N`, a script's shutdown(SHUT_WR)) still
  // gets every reply to them; the connection is ended once they are written (serveConnection), not at the client's FIN (Node's
  // default would end it there, and a reply written after an event-loop turn, a walk in slices or a reply in pieces, would be lost).
  const server: Server = tls ? createTlsServer({ ...tlsOptions(tls), allowHalfOpen: true }, onConnection) : createServer({ allowHalfOpen: true }, onConnection);
  if (tls) server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const why =
        err.code === 'EADDRINUSE'
          ? `--port ${port} is in use on ${host}: choose another port, or --port 0 for a free one`
          : err.code === 'EADDRNOTAVAIL'
            ? `--bind ${host} is no address of this machine: use 127.0.0.1 or one of its interfaces`
            : err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN' || err.code === 'EAI_FAIL'
              ? `--bind ${host} is no name or address of this machine (getaddrinfo ${err.code}): give one of its IP addresses, 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)`
              : err.code === 'EACCES'
                ? `--port ${port} needs privileges on ${host}: use a port from 1024 on`
                : `cannot listen on ${host}:${port}: ${err.message}: check --bind and --port`;
      reject(new ListenError(why));
    });
    server.listen(port, host, () => resolve());
  });
  // Errors after listening (a client's reset) belong to that socket; the server itself keeps going.
  server.on('error', () => undefined);
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  return {
    host,
    port: bound,
    connections: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const [socket, session] of sockets) {
          session.gone = true;
          socket.destroy();
        }
        server.close(() => resolve());
      }),
  };
}

/**
 * The most reply bytes a client that must AUTH and has not may leave unsent (given to the socket, not yet to the kernel):
 * one more and the connection is closed, those replies dropped. As Debian's redis-server 7.0.15 (CVE-2025-21605: an
 * unauthenticated client's replies beyond its 16 KiB reply buffer close it): 481 pipelined PINGs before AUTH are
 * answered (481 × 34 bytes of NOAUTH), 482 close the connection with no reply; a client flooding requests and not
 * reading its replies is cut off.
 */
export const UNAUTH_REPLY_BYTES = 16 * 1024;

/** The bytes of `out`'s parts. */
function bytesOf(out: readonly (Buffer | string)[]): number {
  let bytes = 0;
  for (const p of out) bytes += typeof p === 'string' ? Buffer.byteLength(p) : p.length;
  return bytes;
}

/** The parts of a batch's replies as one buffer, allocated once (headers are strings, data are buffers). */
export function joinParts(out: readonly (Buffer | string)[]): Buffer {
  const all = Buffer.allocUnsafe(bytesOf(out));
  let at = 0;
  for (const p of out) at += typeof p === 'string' ? all.write(p, at) : p.copy(all, at);
  return all;
}

/**
 * Encodes an array, set or map reply into `out`; one that takes more than {@link SLICE_MS} to encode (`KEYS *`
 * over a million keys: about half a second) is written as it goes, in pieces of about that time, the event loop
 * turning between them, so other clients are answered meanwhile (7.0 holds them while it builds such a reply).
 * The bytes written, in order, are the reply's whole encoding; the batch's earlier replies in `out` go first.
 * False when the connection closed meanwhile (the rest is not encoded).
 */
async function writeInPieces(socket: Socket, reply: Reply, proto: Protocol, out: (Buffer | string)[]): Promise<boolean> {
  const pieces = encodeReplyInPieces(reply, proto, out);
  let until = performance.now() + SLICE_MS;
  while (!pieces.next().done) {
    if (performance.now() < until) continue;
    socket.write(joinParts(out));
    out.length = 0;
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (socket.destroyed) return false;
    until = performance.now() + SLICE_MS;
  }
  return true;
}

/** RESET, after which a client must AUTH again where a password is set. */
const isReset = (args: Buffer[]): boolean => args[0]!.length === 5 && args[0]!.toString('latin1').toLowerCase() === 'reset';

/**
 * One connection: requests parsed as bytes arrive, answered one after the other, replies written in order. A client
 * that half-closes (its FIN, the socket's 'end') is answered every request it sent before it, then the connection is
 * ended (an incomplete request at its end is dropped, as Redis drops it). `guarded`: until the client has
 * authenticated, each request is parsed only once the one before it has run, with the limits before AUTH
 * (RequestParser.unauthenticated), as 7.0 reads a request after running the one before; the socket is not read
 * meanwhile (paused while the parser holds), so what such a client sends waits in the kernel, not here; and the
 * replies to what was read go out together once it is parsed, no more than {@link UNAUTH_REPLY_BYTES} of them
 * unsent, or the connection is closed.
 */
function serveConnection(socket: Socket, session: Session, handle: RequestHandler, guarded: boolean): void {
  const parser = new RequestParser(guarded ? isReset : undefined);
  let queue: Buffer[][] = [];
  let running = false;
  let failed: string | undefined;
  /** The client sent its FIN: nothing more will arrive. */
  let ended = false;

  /** Parses `chunk`, or reads on where the parser stopped (no chunk), with the limits the session's state asks for now. */
  const take = (chunk?: Buffer): void => {
    parser.unauthenticated = guarded && !session.authenticated;
    try {
      queue.push(...(chunk ? parser.push(chunk) : parser.resume()));
    } catch (err) {
      // The requests before the bad bytes (in this chunk too) are answered first, then the error, then the connection closes.
      if (err instanceof ProtocolError) queue.push(...err.before);
      failed = err instanceof ProtocolError ? err.message : `Protocol error: ${String(err)}`;
    }
    // Held: no more bytes are read until the parser takes again (else a flood while a request runs was kept, joined at
    // each chunk, without bound).
    if (parser.holding !== socket.isPaused()) {
      if (parser.holding) socket.pause();
      else socket.resume();
    }
  };
  /** Before AUTH (where one is asked): the replies wait to go out together, and too many unsent close the connection. */
  const unauthenticated = (): boolean => guarded && !session.authenticated;

  const drain = async (): Promise<void> => {
    running = true;
    try {
      const out: (Buffer | string)[] = [];
      while (queue.length > 0 && !socket.destroyed) {
        const batch = queue;
        queue = [];
        for (const args of batch) {
          // A reply given at once is encoded at once: a batch answered from a local file runs to its write without a microtask.
          const reply = handle(session, args);
          const answer = reply instanceof Promise ? await reply : reply;
          if (answer.t === 'array' || answer.t === 'set' || answer.t === 'map') {
            if (!(await writeInPieces(socket, answer, session.proto, out))) return;
          } else encodeReply(answer, session.proto, out);
          if (unauthenticated() && socket.writableLength + bytesOf(out) > UNAUTH_REPLY_BYTES) {
            socket.destroy();
            return;
          }
          if (session.closing) break;
        }
        if (session.closing) {
          socket.end(joinParts(out));
          return;
        }
        // Parsing stopped after a request that has now run (and every one before it): read on with the state it left.
        if (queue.length === 0 && parser.holding && failed === undefined) take();
        // One write per batch of pipelined requests; before AUTH, one for all the requests of the bytes read (7.0 writes
        // a client's replies once it has run what it read).
        if (queue.length === 0 || !unauthenticated()) {
          socket.write(joinParts(out));
          out.length = 0;
        }
      }
      if (failed !== undefined && !socket.destroyed) {
        socket.end(`-ERR ${failed}\r\n`);
      } else if (ended && !socket.destroyed) socket.end();
    } finally {
      running = false;
    }
  };

  socket.on('data', (chunk: Buffer) => {
    if (failed !== undefined || session.closing) return;
    take(chunk);
    if (!running) void drain();
  });
  socket.on('end', () => {
    ended = true;
    // Answering: drain ends the socket after the last reply. Idle: nothing is owed, end it now.
    if (!running) socket.end();
  });
  // A client that resets or vanishes ends only its own connection.
  socket.on('error', () => socket.destroy());
}
