/**
 * `serve` and a client that half-closes after its requests (`nc -N`, a script's shutdown(SHUT_WR)): every request sent
 * before the FIN is answered in full, then the connection ends (review 23: a reply produced after an event-loop turn,
 * a KEYS/SCAN walk of more than one slice or a big reply written in pieces, was lost or cut at a random length).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServing, type Serving } from '../../../../lambdas/jobs/serve/serve.js';
import { halfClosed, RawClient, replyLength } from '../../../support/resp-raw.js';
import { type RedisServer, startRedisServer } from '../../../support/redis-server.js';

const KEYS = 100_000;

/** The request bytes of `args`, RESP2 multibulk. */
function request(...args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

/** The replies in `b`, split. */
function replies(b: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < b.length; ) {
    const n = replyLength(b, at);
    if (n < 0) throw new Error(`an incomplete reply at byte ${at} of ${b.length}`);
    out.push(b.subarray(at, at + n));
    at += n;
  }
  return out;
}

describe('serve: a half-closed client gets every reply to what it sent (review 23)', () => {
  let source: RedisServer;
  let serving: Serving;
  beforeAll(async () => {
    source = await startRedisServer({ args: ['--enable-debug-command', 'local'] });
    const c = source.client();
    await c.call('DEBUG', 'POPULATE', String(KEYS), 'key', '4');
    await c.save();
    serving = await startServing({ location: source.rdbPath, port: 0 });
  }, 60_000);
  afterAll(async () => {
    await serving?.close();
    await source?.stop();
  });

  it('SCAN 0 COUNT 20000 and KEYS * over 100,000 keys, then PING: the same bytes as on an open connection, then the connection ends', async () => {
    const asked = [request('SCAN', '0', 'COUNT', '20000'), request('KEYS', '*'), request('KEYS', '*9999*'), request('PING')];
    const open = await RawClient.open(serving.port);
    const expected: Buffer[] = [];
    for (const r of asked) expected.push(Buffer.from(await open.send(r), 'latin1'));
    open.close();
    // The whole KEYS * (every name) and a SCAN page of about 20,000 names: replies that take several slices to walk and write.
    expect(expected[1]!.toString('latin1').startsWith(`*${KEYS}\r\n`)).toBe(true);
    expect(expected[0]!.length).toBeGreaterThan(200_000);

    const got = await halfClosed(serving.port, asked.join(''));
    const split = replies(got);
    expect(split.map((b) => b.length)).toEqual(expected.map((b) => b.length));
    expect(Buffer.concat(split).equals(Buffer.concat(expected))).toBe(true);
    expect(split[3]!.toString()).toBe('+PONG\r\n');
  }, 60_000);

  it('requests sent in one write before bytes that are no request are answered, then the protocol error, as redis-server 7.0 (rev37: they were dropped)', async () => {
    // One write, so one chunk: the requests before the bad bytes were parsed in the push that threw, and lost with it.
    for (const bad of ['GET "x\r\n', '*1\r\nfoo\r\n', '*2\r\n$3\r\nGET\r\n$-5\r\n']) {
      const sent = `${request('DBSIZE')}PING\r\n${request('EXISTS', 'key:1', 'key:2', 'nope')}${bad}${request('PING')}`;
      const [ref, served] = [await halfClosed(source.port, sent), await halfClosed(serving.port, sent)];
      expect(ref.toString()).toMatch(/^:100000\r\n\+PONG\r\n:2\r\n-ERR Protocol error: [^\r]*\r\n$/);
      expect([bad, served.toString()]).toEqual([bad, ref.toString()]);
    }
  });
});
