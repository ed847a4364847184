/**
 * A TCP proxy on loopback that caps the download rate of **each connection**
 * (bytes from the server to the client), as S3 caps one GET stream: one
 * connection is bandwidth-bound, several connections add up. Requests (client
 * to server) pass uncapped. Benchmarks only; not used by the product or tests.
 *
 * Each connection has a token bucket of `burstBytes` refilled at
 * `bytesPerSecond`: a chunk from the server is forwarded at once and paid
 * for, and when the bucket is in debt the server side is paused until the
 * debt is repaid (TCP backpressure then slows the server itself). The
 * client's own backpressure (a full socket) pauses the server side too.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface ThrottleProxyOptions {
  /** Where connections go (an S3-compatible endpoint on loopback). */
  readonly targetPort: number;
  readonly targetHost?: string;
  /** Download cap per connection. */
  readonly bytesPerSecond: number;
  /** Bytes a connection may send ahead of the rate after a pause. @default 64 KiB */
  readonly burstBytes?: number;
}

/** A running proxy. */
export interface ThrottleProxy {
  /** Port on 127.0.0.1. */
  readonly port: number;
  /** Connections accepted and bytes sent to clients since start or the last {@link ThrottleProxy.resetCounters}. */
  counters(): { connections: number; bytesDown: number; maxOpen: number };
  resetCounters(): void;
  close(): Promise<void>;
}

export async function startThrottleProxy(options: ThrottleProxyOptions): Promise<ThrottleProxy> {
  const rate = options.bytesPerSecond;
  const burst = options.burstBytes ?? 64 * 1024;
  const host = options.targetHost ?? '127.0.0.1';
  const sockets = new Set<Socket>();
  let connections = 0;
  let bytesDown = 0;
  let open = 0;
  let maxOpen = 0;

  const server: Server = createServer((client) => {
    connections++;
    open++;
    maxOpen = Math.max(maxOpen, open);
    const upstream = connect(options.targetPort, host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.setNoDelay(true);
      s.once('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.once('close', () => {
      open--;
      upstream.destroy();
    });
    upstream.once('close', () => client.destroy());

    // Requests: uncapped.
    client.pipe(upstream);

    // Responses: at most `rate` bytes per second on this connection.
    let tokens = burst;
    let refilledAt = performance.now();
    let holds = 0;
    const hold = (): void => {
      if (holds++ === 0) upstream.pause();
    };
    const release = (): void => {
      if (--holds === 0 && !upstream.destroyed) upstream.resume();
    };
    upstream.on('data', (chunk: Buffer) => {
      const now = performance.now();
      tokens = Math.min(burst, tokens + ((now - refilledAt) / 1000) * rate);
      refilledAt = now;
      tokens -= chunk.length;
      bytesDown += chunk.length;
      if (!client.write(chunk)) {
        hold();
        client.once('drain', release);
      }
      if (tokens < 0) {
        hold();
        setTimeout(release, (-tokens / rate) * 1000);
      }
    });
    upstream.once('end', () => client.end());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    counters: () => ({ connections, bytesDown, maxOpen }),
    resetCounters: () => {
      connections = 0;
      bytesDown = 0;
      maxOpen = open;
    },
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
