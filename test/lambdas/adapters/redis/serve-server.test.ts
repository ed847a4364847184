import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { joinParts, listenResp, type RespEndpoint } from '../../../../lambdas/adapters/redis/serve-server.js';
import { SLICE_MS } from '../../../../lambdas/domain/serve/context.js';
import { encodeReply, R, type Reply } from '../../../../lambdas/domain/serve/resp.js';
import { halfClosed, RawClient } from '../../../support/resp-raw.js';

/** Runs the clock past one slice: the item being encoded ends its piece, so the event loop turns after it. */
function spinPastSlice(): void {
  const until = performance.now() + SLICE_MS + 0.5;
  while (performance.now() < until);
}

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
    let readAtPing = -1;
    // Until the other connection is answered, the first item read in each synchronous run of the encoder takes longer than a
    // slice: every piece ends its slice, so the event loop turns after each, however fast the machine (before review 23 the
    // test relied on 200,000 names taking more slices than another connection's connect and request take turns). A run ends
    // at an await (the writer's turn), where the microtask clears the flag. Once TICK is answered, the rest goes at full speed.
    let spun = false;
    const counted: Reply[] = names.map((b) => ({
      t: 'bulk',
      get b() {
        read++;
        if (readAtPing < 0 && !spun) {
          spun = true;
          spinPastSlice();
          queueMicrotask(() => {
            spun = false;
          });
        }
        return b;
      },
    }));
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
    // Not a matter of speed: items after the first are each a piece until TICK is answered, so only a reply encoded in one
    // piece (or the connection served only after it) reaches TICK with every item read.
    expect(readAtPing).toBeGreaterThan(0);
    expect(readAtPing).toBeLessThan(read);
    // Each item's bytes are read twice (length, then copy).
    expect(read).toBe(2 * N);
    expect(Buffer.concat(chunks).equals(expected)).toBe(true);
    other.close();
    big.destroy();
  }, 30_000);
});

describe('listenResp: a client that half-closes after its requests gets every reply, then the connection ends (review 23)', () => {
  let endpoint: RespEndpoint | undefined;
  afterEach(async () => {
    await endpoint?.close();
    endpoint = undefined;
  });

  it('answers replies given after event-loop turns (a walk in slices) and a reply written in pieces, in order, then closes', async () => {
    const N = 20_000;
    const names = Array.from({ length: N }, (_, i) => Buffer.from(`name:${i}`));
    // Every 1000th item takes more than a slice: the reply is written in many pieces, the event loop turning between them.
    const slow: Reply[] = names.map((b, i) => ({
      t: 'bulk',
      get b() {
        if (i % 1000 === 0) spinPastSlice();
        return b;
      },
    }));
    endpoint = await listenResp('127.0.0.1', 0, (_session, [cmd]) => {
      const name = cmd!.toString();
      // As a KEYS walk in slices: the reply comes after timers (several event-loop turns) have run.
      if (name === 'LATE') return new Promise<Reply>((resolve) => setTimeout(() => resolve(R.simple('LATE')), 30));
      if (name === 'BIG') return R.array(slow);
      return R.simple('PONG');
    });
    const out: (Buffer | string)[] = [];
    encodeReply(R.simple('PONG'), 2, out);
    encodeReply(R.simple('LATE'), 2, out);
    encodeReply(R.array(names.map((b) => R.bulk(b))), 2, out);
    encodeReply(R.simple('PONG'), 2, out);
    const expected = joinParts(out);
    // The last request is incomplete at the FIN: dropped, as Redis drops it (no reply, no error).
    const got = await halfClosed(endpoint.port, '*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nLATE\r\n*1\r\n$3\r\nBIG\r\n*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPI');
    expect(got.length).toBe(expected.length);
    expect(got.equals(expected)).toBe(true);
    // The server ended the connection (the client saw 'close'): nothing is left open.
    await new Promise((r) => setImmediate(r));
    expect(endpoint.connections()).toBe(0);
  }, 30_000);

  it('ends an idle half-closed connection at once, and one whose only request is incomplete', async () => {
    endpoint = await listenResp('127.0.0.1', 0, () => R.simple('PONG'));
    expect((await halfClosed(endpoint.port, '')).length).toBe(0);
    expect((await halfClosed(endpoint.port, '*1\r\n$4\r\nPI')).length).toBe(0);
    expect((await halfClosed(endpoint.port, '*1\r\n$4\r\nPING\r\n')).toString()).toBe('+PONG\r\n');
    // A protocol error is still answered and closes the connection.
    expect((await halfClosed(endpoint.port, '*x\r\n')).toString()).toMatch(/^-ERR Protocol error: /);
  });
});
