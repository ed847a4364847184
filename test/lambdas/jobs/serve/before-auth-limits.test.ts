/**
 * `serve --requirepass-env` and a client that has not authenticated: the limits redis-server 7.0 puts on what it reads
 * before AUTH (networking.c processMultibulkBuffer, where authRequired: at most 10 arguments of 16 KiB each; more gets
 * `-ERR Protocol error: unauthenticated …` and the connection closes) hold for serve too, byte for byte, with a real
 * 7.0 started with requirepass beside it (issue 56: serve buffered whatever such a client sent, up to 512 MiB an argument).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServing, type Serving } from '../../../../lambdas/jobs/serve/serve.js';
import { type RedisServer, startRedisServer } from '../../../support/redis-server.js';
import { halfClosed, RawClient } from '../../../support/resp-raw.js';

/** The request bytes of `args`, RESP2 multibulk. */
function request(...args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

const AUTH = request('AUTH', 's3cret');

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

  it('once authenticated, 11 arguments and a 20,000-byte one are read (negative of the limits)', async () => {
    const c = await RawClient.open(serving.port);
    expect(await c.send(AUTH)).toBe('+OK\r\n');
    expect(await c.call('EXISTS', 'k', ...'abcdefghij')).toBe(':1\r\n');
    expect(await c.call('GET', 'x'.repeat(20_000))).toBe('$-1\r\n');
    c.close();
  });
});
