import { connect, type Socket } from 'node:net';

/** The byte length of the first whole RESP2/RESP3 reply in `b`, or -1 while it is incomplete. */
export function replyLength(b: Buffer, at = 0): number {
  const line = b.indexOf('\r\n', at);
  if (line < 0) return -1;
  const head = String.fromCharCode(b[at]!);
  const n = Number(b.toString('latin1', at + 1, line));
  const after = line + 2;
  if ('+-:_,#('.includes(head)) return after - at;
  if ('$=!'.includes(head)) return n < 0 ? after - at : after + n + 2 <= b.length ? after + n + 2 - at : -1;
  if ('*~>%|'.includes(head)) {
    if (n < 0) return after - at;
    let pos = after;
    for (let i = 0; i < (head === '%' || head === '|' ? 2 * n : n); i++) {
      const len = replyLength(b, pos);
      if (len < 0) return -1;
      pos += len;
    }
    return pos - at;
  }
  throw new Error(`not a RESP reply at byte ${at}: ${JSON.stringify(b.toString('latin1', at, at + 20))}`);
}

/** A raw connection: send a command as a multibulk request (or raw bytes), get the exact bytes of its reply. */
export class RawClient {
  private buf = Buffer.alloc(0);
  private waiting: (() => void) | undefined;
  closed = false;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.waiting?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiting?.();
    });
    socket.on('error', () => undefined);
  }

  static open(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  /** The reply's bytes, latin1. */
  async call(...args: (string | Buffer)[]): Promise<string> {
    const parts = args.map((a) => (typeof a === 'string' ? Buffer.from(a) : a));
    this.socket.write(Buffer.concat([Buffer.from(`*${parts.length}\r\n`), ...parts.flatMap((p) => [Buffer.from(`$${p.length}\r\n`), p, Buffer.from('\r\n')])]));
    return this.next();
  }

  /** Writes raw bytes, then reads one reply. */
  async send(raw: string): Promise<string> {
    this.socket.write(raw);
    return this.next();
  }

  private async next(): Promise<string> {
    for (;;) {
      const n = this.buf.length > 0 ? replyLength(this.buf) : -1;
      if (n >= 0) {
        const out = this.buf.subarray(0, n).toString('latin1');
        this.buf = this.buf.subarray(n);
        return out;
      }
      if (this.closed) throw new Error(`connection closed with ${JSON.stringify(this.buf.toString('latin1'))} unread`);
      await new Promise<void>((r) => (this.waiting = r));
    }
  }

  /** How many whole replies are read before the peer closes the connection (call with no other read waiting). */
  async repliesUntilClosed(): Promise<number> {
    let n = 0;
    for (;;) {
      try {
        await this.next();
        n++;
      } catch {
        return n;
      }
    }
  }

  /** Resolves when the peer has closed the connection. */
  async ended(): Promise<void> {
    while (!this.closed) await new Promise<void>((r) => (this.waiting = r));
  }

  close(): void {
    this.socket.destroy();
  }
}

/**
 * Sends `request` and half-closes (shuts the write side down, as `nc -N` or a script's shutdown(SHUT_WR)), then reads
 * until the server closes: every byte it wrote.
 */
export function halfClosed(port: number, request: string | Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = connect({ port, host: '127.0.0.1', allowHalfOpen: true }, () => s.end(request));
    s.on('data', (d: Buffer) => chunks.push(d));
    // A server that closes with bytes of the request unread makes the kernel send a reset, not a FIN (redis-server 7.0
    // refusing a 16,385-byte argument before AUTH, and serve as it does): the replies before it were read first (a
    // read returns the queued bytes before the error), so that is the end of its bytes too. Seen once in a full run.
    s.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? resolve(Buffer.concat(chunks)) : reject(err)));
    s.on('close', () => resolve(Buffer.concat(chunks)));
  });
}
