import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { replyLength } from './resp-raw.js';
import { type RedisServer, startRedisServer } from './redis-server.js';

/**
 * A TCP proxy in front of a real server that passes every byte but adds `lines` (`valkey_version:9.1.2`) after the
 * `redis_version:` line of each INFO reply: a target that names itself another release by INFO (the tool judges a
 * target's release from it), everything else the real server's doing. No such release is installed here.
 */
export interface InfoProxy {
  readonly url: string;
  stop(): Promise<void>;
}

/** One reply, an INFO one (a bulk or verbatim string holding `redis_version:`) given `lines` after that line. */
function withLines(reply: Buffer, lines: string): Buffer {
  const head = String.fromCharCode(reply[0]!);
  const eol = reply.indexOf('\r\n');
  if ((head !== '$' && head !== '=') || eol < 0) return reply;
  const body = reply.toString('latin1', eol + 2, reply.length - 2);
  const at = body.search(/(^|\r\n)redis_version:[^\r]*\r\n/);
  if (at < 0) return reply;
  const end = body.indexOf('\r\n', body.indexOf('redis_version:', at)) + 2;
  const changed = `${body.slice(0, end)}${lines.endsWith('\r\n') ? lines : `${lines}\r\n`}${body.slice(end)}`;
  return Buffer.from(`${head}${Buffer.byteLength(changed, 'latin1')}\r\n${changed}\r\n`, 'latin1');
}

/** The proxy in front of the server at `url` (`redis://[:password@]127.0.0.1:<port>`): its URL names the proxy's port. */
export async function startInfoProxy(url: string, lines: string): Promise<InfoProxy> {
  const target = new URL(url);
  const port = Number(target.port);
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    sockets.add(client).add(upstream);
    let pending = Buffer.alloc(0);
    client.on('data', (d: Buffer) => upstream.write(d));
    upstream.on('data', (d: Buffer) => {
      pending = Buffer.concat([pending, d]);
      for (let n = replyLength(pending); n >= 0 && pending.length > 0; n = pending.length > 0 ? replyLength(pending) : -1) {
        client.write(withLines(pending.subarray(0, n), lines));
        pending = pending.subarray(n);
      }
    });
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      a.on('close', () => b.destroy());
      a.on('error', () => b.destroy());
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  target.port = String((server.address() as AddressInfo).port);
  return {
    url: target.toString(),
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A real Redis 7.0 behind two proxies naming it by INFO Valkey 9.1.2 and Valkey 8.1.1: the releases some checks tell apart. */
export interface ValkeyFronts {
  readonly target: RedisServer;
  readonly valkey91: InfoProxy;
  readonly valkey81: InfoProxy;
  stop(): Promise<void>;
}

/** Starts a real server and {@link ValkeyFronts}' two proxies in front of it. */
export async function startValkeyFronts(): Promise<ValkeyFronts> {
  const target = await startRedisServer();
  const valkey91 = await startInfoProxy(target.url, 'valkey_version:9.1.2');
  const valkey81 = await startInfoProxy(target.url, 'valkey_version:8.1.1');
  return {
    target,
    valkey91,
    valkey81,
    stop: async () => {
      await valkey91.stop();
      await valkey81.stop();
      await target.stop();
    },
  };
}
