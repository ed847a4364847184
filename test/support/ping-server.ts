import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A heartbeat endpoint on a free loopback port that records every ping (method, path, body). */
export interface PingServer {
  readonly url: string;
  readonly pings: { method: string; path: string; body: string }[];
  /** HTTP status to answer with (default 200); `'hang'` never answers. */
  status: number | 'hang';
  close(): Promise<void>;
}

export async function startPingServer(): Promise<PingServer> {
  const state: PingServer = {
    url: '',
    pings: [],
    status: 200,
    close: async () => undefined,
  };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString('utf8')));
    req.on('end', () => {
      state.pings.push({ method: req.method ?? '', path: req.url ?? '', body });
      if (state.status === 'hang') return;
      res.writeHead(state.status);
      res.end('OK');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}/ping/0a1b2c3d-1111-2222-3333-444455556666`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
