import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { joinParts, listenResp, type RespEndpoint } from '../../../../lambdas/adapters/redis/serve-server.js';
import { encodeReply, R, type Reply } from '../../../../lambdas/domain/serve/resp.js';
import { RawClient } from '../../../support/resp-raw.js';

describe('listenResp: a big reply is written in pieces, other clients answered between them (review 22)', () => {
  let endpoint: RespEndpoint | undefined;
  afterEach(async () => {
    await endpoint?.close();
    endpoint = undefined;
  });

  it("answers another connection's PING while a 200,000-name reply is being encoded; the reply's bytes are encodeReply's, in order", async () => {
    const N = 200_000;
    const names = Array.from({ length: N }, (_, i) => Buffer.from(`key:${i}`));
    /** Items encoded so far (each item's bytes read through a getter). */
    let read = 0;
    const counted: Reply[] = names.map((b) => ({
      t: 'bulk',
      get b() {
        read++;
        return b;
      },
    }));
    let readAtPing = -1;
    endpoint = await listenResp('127.0.0.1', 0, (_session, [cmd]) => {
      if (cmd!.toString() === 'BIG') return R.array(counted);
      // The other connection's request: how far the big reply's encoding had got.
      if (cmd!.toString() === 'TICK') readAtPing = read;
      return R.simple('PONG');
    });
    const out: (Buffer | string)[] = [];
    // A pipelined batch: a reply before the big one and one after it, written in order around its pieces.
    encodeReply(R.simple('PONG'), 2, out);
    encodeReply(R.array(names.map((b) => R.bulk(b))), 2, out);
    encodeReply(R.simple('PONG'), 2, out);
    const expected = joinParts(out);

    const big = connect(endpoint.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let got = 0;
    const firstChunk = new Promise<void>((resolve) => big.once('data', () => resolve()));
    const whole = new Promise<void>((resolve) =>
      big.on('data', (d: Buffer) => {
        chunks.push(d);
        got += d.length;
        if (got >= expected.length) resolve();
      }),
    );
    big.write('*1\r\n$4\r\nPING\r\n*1\r\n$3\r\nBIG\r\n*1\r\n$4\r\nPING\r\n');
    await firstChunk;
    const other = await RawClient.open(endpoint.port);
    expect(await other.call('TICK')).toBe('+PONG\r\n');
    await whole;
    // Answered in the middle of the big reply: some of its items encoded, not all (before: all, it was one synchronous piece).
    expect(readAtPing).toBeGreaterThan(0);
    expect(readAtPing).toBeLessThan(read);
    expect(Buffer.concat(chunks).equals(expected)).toBe(true);
    other.close();
    big.destroy();
  }, 30_000);
});
