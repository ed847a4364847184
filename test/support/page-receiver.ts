/**
 * A local HTTP receiver standing in for an on-call tool's API (PagerDuty,
 * Opsgenie): a real server on a free loopback port that records each request
 * (path, Authorization, JSON body) and answers 202, or 503 for the paths it
 * is told to fail, as a tool that is down does.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the receiver got. */
export interface Received {
  readonly path: string;
  readonly authorization?: string;
  readonly body: Record<string, any>;
}

/** A running receiver. */
export interface PageReceiver {
  /** `http://127.0.0.1:<port>` */
  readonly base: string;
  readonly received: Received[];
  /** Path prefixes answered with 503. */
  readonly failing: Set<string>;
  /** Forgets what was received and what fails. */
  reset(): void;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Starts a receiver on port 0 of 127.0.0.1. */
export async function startPageReceiver(): Promise<PageReceiver> {
  const received: Received[] = [];
  const failing = new Set<string>();
  const server: Server = createServer((req, res) => {
    void readBody(req).then((text) => {
      const path = req.url ?? '';
      received.push({ path, authorization: req.headers.authorization, body: JSON.parse(text) });
      if ([...failing].some((p) => path.startsWith(p))) {
        res.writeHead(503, { 'content-type': 'application/json' }).end('{"message":"service unavailable"}');
      } else res.writeHead(202, { 'content-type': 'application/json' }).end('{"status":"success"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    failing,
    reset: () => {
      received.length = 0;
      failing.clear();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
