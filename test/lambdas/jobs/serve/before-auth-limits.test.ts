/**
 * `serve --requirepass-env` and a client that has not authenticated: the limits redis-server 7.0 puts on what it reads
 * before AUTH (networking.c processMultibulkBuffer, where authRequired: at most 10 arguments of 16 KiB each; more gets
 * `-ERR Protocol error: unauthenticated …` and the connection closes) hold for serve too, byte for byte, with a real
 * 7.0 started with requirepass beside it (issue 56: serve buffered whatever such a client sent, up to 512 MiB an argument).
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServing, type Serving } from '../../../../lambdas/jobs/serve/serve.js';
import { type RedisServer, startRedisServer } from '../../../support/redis-server.js';
import { halfClosed, RawClient } from '../../../support/resp-raw.js';

/** The request bytes of `args`, RESP2 multibulk. */
function request(...args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

const AUTH = request('AUTH', 's3cret');

/**
 * Sends `first`, then 64 KiB writes of pipelined PINGs as fast as the server takes them, never reading a reply, until the
 * server ends the connection or `ms` have passed; `meanwhile` is called every 20 ms. The bytes the kernel took, and
 * whether the server ended it.
 */
function flood(port: number, first: string, ms: number, meanwhile: () => void = () => undefined): Promise<{ sent: number; ended: boolean }> {
  const chunk = Buffer.from('PING\r\n'.repeat(10_922));
  return new Promise((resolve) => {
    let sent = 0;
    let done = false;
    const s = connect(port, '127.0.0.1');
    s.pause();
    const finish = (ended: boolean) => {
      if (done) return;
      done = true;
      clearInterval(tick);
      clearTimeout(stop);
      s.destroy();
      resolve({ sent, ended });
    };
    const pump = () => {
      while (!done && s.write(chunk)) sent += chunk.length;
    };
    const tick = setInterval(meanwhile, 20);
    const stop = setTimeout(() => finish(false), ms);
    s.on('connect', () => {
      s.write(first);
      pump();
    });
    s.on('drain', () => {
      sent += chunk.length;
      pump();
    });
    s.on('error', () => finish(true));
    s.on('close', () => finish(true));
  });
}

describe('serve before AUTH: the limits of redis-server 7.0 with requirepass (issue 56)', () => {
  let reference: RedisServer;
  let serving: Serving;
  beforeAll(async () => {
    reference = await startRedisServer({ password: 's3cret' });
    const c = reference.client();
    await c.set('k', 'v');
    await c.save();
    serving = await startServing({ location: reference.rdbPath, port: 0, password: 's3cret' });
  }, 30_000);
  afterAll(async () => {
    await serving?.close();
    await reference?.stop();
  });

  // Each sent in one write, then the client half-closes: the server's every byte, until it closes.
  const cases: [string, string][] = [
    ['11 arguments', request('GET', ...'abcdefghij')],
    ['10 arguments (the most)', request('GET', ...'abcdefghi')],
    ['a header of 11 and no more', '*11\r\n'],
    ['a header of 2,000 arguments', '*2000\r\n'],
    ['an argument of 16,385 bytes', request('GET', 'x'.repeat(16_385))],
    ['an argument of 16,384 bytes (the most)', request('GET', 'x'.repeat(16_384))],
    ['a bulk length of 100 MB and no bytes', '*2\r\n$3\r\nGET\r\n$100000000\r\n'],
    ['requests before the refused one', `${request('PING')}PING\r\n${request('GET', 'k')}*11\r\n`],
    ['AUTH, then 11 arguments and a big one, in the same write', `${AUTH}${request('EXISTS', ...'abcdefghijk')}${request('EXISTS', 'k'.repeat(20_000))}`],
    ['HELLO 2 AUTH, then 11 arguments', `${request('HELLO', '2', 'AUTH', 'default', 's3cret')}${request('EXISTS', ...'abcdefghijk')}`],
    ['a wrong AUTH, then 11 arguments', `${request('AUTH', 'wrong')}${request('EXISTS', ...'abcdefghijk')}`],
    ['AUTH, RESET, then 11 arguments', `${AUTH}${request('RESET')}${request('EXISTS', ...'abcdefghijk')}`],
    ['AUTH, RESET, then a big argument', `${AUTH}${request('RESET')}${request('GET', 'x'.repeat(16_385))}`],
    ['inline requests are not limited but by 64 KiB', `PING ${'a '.repeat(20)}\r\n`],
    // Debian's 7.0.15 (CVE-2025-21605): at most 16 KiB of replies unsent before AUTH; 481 NOAUTH replies are 16,354 bytes.
    ['481 pipelined PINGs: 481 NOAUTH replies', 'PING\r\n'.repeat(481)],
    ['482 pipelined PINGs: more than 16 KiB of replies, closed with none', 'PING\r\n'.repeat(482)],
    ['AUTH and 1,000 pipelined PINGs: no limit once authenticated', `${AUTH}${'PING\r\n'.repeat(1000)}`],
  ];

  it.each(cases)('%s: the same bytes as redis-server 7.0', async (_what, sent) => {
    const [ref, served] = [await halfClosed(reference.port, sent), await halfClosed(serving.port, sent)];
    // HELLO's map names the connection's id and the server's version: compared from its end on (the rest of the bytes).
    const tail = (b: Buffer) => (sent.includes('HELLO') ? b.toString('latin1').slice(b.toString('latin1').lastIndexOf('\r\n-')) : b.toString('latin1'));
    expect(tail(served)).toBe(tail(ref));
  });

  it('the expected refusals (the reference says them, so the comparison above is of these)', async () => {
    expect((await halfClosed(reference.port, '*11\r\n')).toString()).toBe('-ERR Protocol error: unauthenticated multibulk length\r\n');
    expect((await halfClosed(reference.port, request('GET', 'x'.repeat(16_385)))).toString()).toBe('-ERR Protocol error: unauthenticated bulk length\r\n');
  });

  it('a client still sending (no FIN) is cut off after the error, its bytes not read: as 7.0', async () => {
    for (const port of [reference.port, serving.port]) {
      const c = await RawClient.open(port);
      const reply = await c.send('*2\r\n$3\r\nGET\r\n$100000000\r\nxxxx');
      expect([port, reply]).toEqual([port, '-ERR Protocol error: unauthenticated bulk length\r\n']);
      await c.ended();
      c.close();
    }
  });

  it('a client flooding requests before AUTH, not reading the replies, is cut off as by 7.0, the server answering others meanwhile', async () => {
    const baseline = process.memoryUsage().arrayBuffers;
    let most = 0;
    const other = await RawClient.open(serving.port);
    expect(await other.send(AUTH)).toBe('+OK\r\n');
    for (const port of [reference.port, serving.port]) {
      const { sent, ended } = await flood(port, '', 10_000, () => (most = Math.max(most, process.memoryUsage().arrayBuffers - baseline)));
      expect([port, ended]).toEqual([port, true]);
      expect(sent).toBeLessThan(64 << 20);
    }
    expect(most).toBeLessThan(8 << 20);
    expect(await other.call('GET', 'k')).toBe('$1\r\nv\r\n');
    other.close();
  }, 30_000);

  it('a flood while the parser holds (after RESET, behind a blocked XREAD) is not read until it takes again, then cut off', async () => {
    const baseline = process.memoryUsage().arrayBuffers;
    let most = 0;
    const other = await RawClient.open(serving.port);
    expect(await other.send(AUTH)).toBe('+OK\r\n');
    const started = performance.now();
    let slowest = 0;
    let asking: Promise<void> | undefined;
    // Another client is answered all along: a GET every 20 ms, the slowest answer kept.
    const ask = () => {
      most = Math.max(most, process.memoryUsage().arrayBuffers - baseline);
      if (asking) return;
      const t = performance.now();
      asking = other.call('GET', 'k').then(() => {
        slowest = Math.max(slowest, performance.now() - t);
        asking = undefined;
      });
    };
    const { sent, ended } = await flood(
      serving.port,
      `${AUTH}${request('XREAD', 'BLOCK', '1000', 'STREAMS', 'nostream', '$')}${request('RESET')}`,
      10_000,
      ask,
    );
    expect(ended).toBe(true);
    // The XREAD's second passed first: the flood was held, not read, all along it.
    expect(performance.now() - started).toBeGreaterThan(900);
    expect(sent).toBeLessThan(64 << 20);
    expect(most).toBeLessThan(8 << 20);
    await asking;
    expect(slowest).toBeLessThan(500);
    other.close();
  }, 30_000);

  it('once authenticated, 11 arguments and a 20,000-byte one are read (negative of the limits)', async () => {
    const c = await RawClient.open(serving.port);
    expect(await c.send(AUTH)).toBe('+OK\r\n');
    expect(await c.call('EXISTS', 'k', ...'abcdefghij')).toBe(':1\r\n');
    expect(await c.call('GET', 'x'.repeat(20_000))).toBe('$-1\r\n');
    c.close();
  });
});
