import { describe, expect, it, vi } from 'vitest';
import { mulberry32 } from '../../../../lambdas/domain/keys/prng.js';
import {
  encodeReply,
  encodeReplyInPieces,
  ProtocolError,
  type Protocol,
  R,
  type Reply,
  RequestParser,
  splitArgs,
} from '../../../../lambdas/domain/serve/resp.js';

const text = (reply: Reply, proto: Protocol): string => {
  const out: (Buffer | string)[] = [];
  encodeReply(reply, proto, out);
  return Buffer.concat(out.map((p) => (typeof p === 'string' ? Buffer.from(p) : p))).toString('latin1');
};
const args = (cmds: Buffer[][]): string[][] => cmds.map((c) => c.map((a) => a.toString('latin1')));

describe('RequestParser', () => {
  it('parses pipelined multibulk requests, binary-safe', () => {
    const p = new RequestParser();
    expect(args(p.push(Buffer.from('*2\r\n$3\r\nGET\r\n$4\r\na\r\nb\r\n*1\r\n$4\r\nPING\r\n')))).toEqual([['GET', 'a\r\nb'], ['PING']]);
  });

  it('waits for a request split across chunks at every byte', () => {
    const whole = Buffer.from('*3\r\n$4\r\nHGET\r\n$1\r\nh\r\n$2\r\nf1\r\n');
    for (let cut = 1; cut < whole.length; cut++) {
      const p = new RequestParser();
      const first = p.push(whole.subarray(0, cut));
      const second = p.push(whole.subarray(cut));
      expect(args([...first, ...second])).toEqual([['HGET', 'h', 'f1']]);
    }
  });

  it('reads inline commands with quotes and escapes, as redis-cli and telnet send them', () => {
    const p = new RequestParser();
    expect(args(p.push(Buffer.from('GET "a b"\r\nset k \'it\\\'s\'\nECHO "\\x41\\n"\r\n\r\n')))).toEqual([
      ['GET', 'a b'],
      ['set', 'k', "it's"],
      ['ECHO', 'A\n'],
    ]);
  });

  it.each([
    ['*x\r\n', 'Protocol error: invalid multibulk length'],
    ['*1\r\n$-5\r\n', 'Protocol error: invalid bulk length'],
    ['*1\r\nfoo\r\n', "Protocol error: expected '$', got 'f'"],
    ['GET "abc\r\n', 'Protocol error: unbalanced quotes in request'],
    // 7.0 takes up to INT_MAX arguments (`*2000000` too: request-limits.test.ts).
    ['*2147483648\r\n', 'Protocol error: invalid multibulk length'],
    // Lengths as 7.0's string2ll reads them: no leading zero, no -0 (redis-server 7.0 answered each so, aud35).
    ['*01\r\n$4\r\nPING\r\n', 'Protocol error: invalid multibulk length'],
    ['*00\r\n', 'Protocol error: invalid multibulk length'],
    ['*-0\r\n', 'Protocol error: invalid multibulk length'],
    ['*-01\r\n', 'Protocol error: invalid multibulk length'],
    ['*1\r\n$04\r\nPING\r\n', 'Protocol error: invalid bulk length'],
    ['*1\r\n$-0\r\n', 'Protocol error: invalid bulk length'],
  ])('refuses %j with a protocol error', (input, message) => {
    expect(() => new RequestParser().push(Buffer.from(input))).toThrow(new ProtocolError(message));
  });

  it('refuses an inline request that never ends before 64 KiB (negative: a shorter one waits)', () => {
    expect(new RequestParser().push(Buffer.alloc(1000, 0x61))).toEqual([]);
    expect(() => new RequestParser().push(Buffer.alloc(70 * 1024, 0x61))).toThrow(/too big inline request/);
  });

  it('skips *0 and *-1', () => {
    expect(args(new RequestParser().push(Buffer.from('*0\r\n*-1\r\n*1\r\n$4\r\nPING\r\n')))).toEqual([['PING']]);
    // A zero length and ten-digit ones are read (no leading zero): an empty name, and a bulk length held for its bytes.
    expect(args(new RequestParser().push(Buffer.from('*1\r\n$0\r\n\r\n*10\r\n')))).toEqual([['']]);
  });
});

describe("RequestParser before AUTH (unauthenticated): 7.0's limits, one request at a time (issue 56)", () => {
  const limited = (): RequestParser => Object.assign(new RequestParser(), { unauthenticated: true });

  it.each([
    ['*11\r\n', 'Protocol error: unauthenticated multibulk length'],
    ['*1\r\n$16385\r\n', 'Protocol error: unauthenticated bulk length'],
    ['*1\r\n$x\r\n', 'Protocol error: invalid bulk length'],
  ])('refuses %j', (input, message) => {
    expect(() => limited().push(Buffer.from(input))).toThrow(new ProtocolError(message));
  });

  it('takes 10 arguments and 16,384 bytes, and stops after each request until resume(), with the limits then set', () => {
    const p = limited();
    const eleven = `*11\r\n${'$1\r\na\r\n'.repeat(11)}`;
    expect(args(p.push(Buffer.from(`*10\r\n${'$1\r\na\r\n'.repeat(10)}*1\r\n$16384\r\n${'x'.repeat(16_384)}\r\n${eleven}`)))).toEqual([Array(10).fill('a')]);
    expect(p.holding).toBe(true);
    // Bytes pushed while held are kept, not read.
    expect(p.push(Buffer.from('PING\r\n'))).toEqual([]);
    expect(p.resume().map((r) => r[0]!.length)).toEqual([16_384]);
    p.unauthenticated = false;
    // No longer limited: the rest at once.
    expect(args(p.resume())).toEqual([Array(11).fill('a'), ['PING']]);
    expect(p.holding).toBe(false);
  });

  it('stops after a request holdAfter names, though not limited (negative: no stop after others)', () => {
    const p = new RequestParser((a) => a[0]!.toString() === 'RESET');
    expect(args(p.push(Buffer.from('PING\r\nRESET\r\nPING\r\n')))).toEqual([['PING'], ['RESET']]);
    expect(args(p.resume())).toEqual([['PING']]);
  });
});

describe('RequestParser: work linear in the bytes sent, however they are cut (rev37)', () => {
  /** The requests `chunks` parse to, and the bytes Buffer.concat made while they were pushed. */
  const pushed = (chunks: readonly Buffer[]): { cmds: Buffer[][]; copied: number } => {
    const concat = vi.spyOn(Buffer, 'concat');
    try {
      const p = new RequestParser();
      const cmds = chunks.flatMap((c) => p.push(c));
      return { cmds, copied: concat.mock.results.reduce((n, r) => n + (r.value as Buffer).length, 0) };
    } finally {
      concat.mockRestore();
    }
  };
  const cut = (whole: Buffer, size: number): Buffer[] =>
    Array.from({ length: Math.ceil(whole.length / size) }, (_, i) => whole.subarray(i * size, (i + 1) * size));
  const multibulk = (...parts: (string | Buffer)[]): Buffer =>
    Buffer.concat([
      Buffer.from(`*${parts.length}\r\n`),
      ...parts.flatMap((a) => [Buffer.from(`$${Buffer.byteLength(a)}\r\n`), Buffer.from(a), Buffer.from('\r\n')]),
    ]);

  it('an 8 MiB argument sent in 64 KiB chunks is copied about once (was: all that had come, at each chunk: 528 MiB)', () => {
    const big = Buffer.alloc(8 << 20, 0x61);
    big[0] = 0x62;
    big[big.length - 1] = 0x63;
    const { cmds, copied } = pushed(cut(Buffer.concat([multibulk('STRLEN', big), multibulk('PING')]), 64 * 1024));
    expect(cmds.map((c) => c.map((a) => a.length))).toEqual([[6, 8 << 20], [4]]);
    expect(cmds[0]![1]!.equals(big)).toBe(true);
    expect(copied).toBeLessThan(2 * big.length);
  });

  it('an MGET of 20,000 keys sent in 4 KiB chunks is read once (was: from its start at each chunk, 35 times its size copied)', () => {
    const keys = Array.from({ length: 20_000 }, (_, i) => `key:${i}`);
    const whole = multibulk('MGET', ...keys);
    const { cmds, copied } = pushed(cut(whole, 4096));
    expect(args(cmds)).toEqual([['MGET', ...keys]]);
    expect(copied).toBeLessThan(whole.length);
  });

  it('pipelined requests with big arguments (first, last, between), inline ones and *0, cut anywhere, read as one push reads them', () => {
    const rand = mulberry32(37);
    const big = (n: number, b: number) => Buffer.alloc(n, b);
    const whole = Buffer.concat([
      multibulk('GET', big(40_000, 0x61)),
      Buffer.from('PING\r\n*0\r\n'),
      multibulk(big(32 * 1024, 0x62), 'x', big(100_000, 0x63), big(32 * 1024 - 1, 0x64)),
      multibulk('MGET', 'a', big(70_000, 0x65)),
      Buffer.from('ECHO "a b"\n'),
      multibulk('DBSIZE'),
    ]);
    const expected = new RequestParser().push(whole);
    expect(expected.map((c) => c.length)).toEqual([2, 1, 4, 3, 2, 1]);
    for (let trial = 0; trial < 200; trial++) {
      const chunks: Buffer[] = [];
      for (let at = 0; at < whole.length; ) {
        const n = 1 + Math.floor(rand() * (trial % 2 ? 200 : 70_000));
        chunks.push(whole.subarray(at, at + n));
        at += n;
      }
      expect(args(pushed(chunks).cmds)).toEqual(args(expected));
    }
  });

  it('before AUTH, 64 KiB of pipelined PINGs read one at a time (resume) are not copied again at each (was: 358 MB copied)', () => {
    const concat = vi.spyOn(Buffer, 'concat');
    try {
      const p = Object.assign(new RequestParser(), { unauthenticated: true });
      const n = (64 * 1024) / 6;
      let got = p.push(Buffer.from('PING\r\n'.repeat(Math.floor(n)))).length;
      while (p.holding) got += p.resume().length;
      expect(got).toBe(Math.floor(n));
      expect(concat.mock.results.reduce((sum, r) => sum + (r.value as Buffer).length, 0)).toBe(0);
    } finally {
      concat.mockRestore();
    }
  });

  it('a protocol error after a big argument is still met (negative: the gathering does not swallow what follows)', () => {
    const p = new RequestParser();
    const head = Buffer.from(`*3\r\n$3\r\nGET\r\n$${64 * 1024}\r\n`);
    expect(p.push(Buffer.concat([head, Buffer.alloc(1000)]))).toEqual([]);
    expect(() => p.push(Buffer.concat([Buffer.alloc(64 * 1024 - 1000), Buffer.from('\r\nfoo\r\n')]))).toThrow(
      new ProtocolError("Protocol error: expected '$', got 'f'"),
    );
  });
});

describe('splitArgs', () => {
  it('refuses a closing quote followed by a letter, as sdssplitargs does', () => {
    expect(splitArgs('"a"b')).toBeUndefined();
    expect(splitArgs('a  b')).toEqual(['a', 'b']);
  });

  it("parts words at isspace()'s bytes only (space, \\t \\n \\v \\f \\r), as redis-server 7.0 (rev37: the byte 0xa0 parted them too)", () => {
    // Checked by hand against redis-server 7.0.15: inline EXISTS a<0xa0>b counts one key, "x"<0xa0> is unbalanced quotes.
    expect(splitArgs('EXISTS a\xa0b')).toEqual(['EXISTS', 'a\xa0b']);
    expect(splitArgs('"x"\xa0')).toBeUndefined();
    expect(splitArgs('\xa0GET')).toEqual(['\xa0GET']);
    expect(splitArgs('a\tb\vc\fd\re e')).toEqual(['a', 'b', 'c', 'd', 'e', 'e']);
    expect(splitArgs('a\x85b\x1cc')).toEqual(['a\x85b\x1cc']);
  });
});

describe('encodeReply', () => {
  it.each<[Reply, string, string]>([
    [R.null, '$-1\r\n', '_\r\n'],
    [R.nullArray, '*-1\r\n', '_\r\n'],
    [R.map([[R.bulk('f'), R.bulk('v')]]), '*2\r\n$1\r\nf\r\n$1\r\nv\r\n', '%1\r\n$1\r\nf\r\n$1\r\nv\r\n'],
    [R.set([R.bulk('m')]), '*1\r\n$1\r\nm\r\n', '~1\r\n$1\r\nm\r\n'],
    [R.double('1.5'), '$3\r\n1.5\r\n', ',1.5\r\n'],
    [R.verbatim('# Keyspace\r\n'), '$12\r\n# Keyspace\r\n\r\n', '=16\r\ntxt:# Keyspace\r\n\r\n'],
    [R.int(-2), ':-2\r\n', ':-2\r\n'],
    [R.error('ERR x'), '-ERR x\r\n', '-ERR x\r\n'],
  ])('encodes %j for RESP2 and RESP3', (reply, two, three) => {
    expect(text(reply, 2)).toBe(two);
    expect(text(reply, 3)).toBe(three);
  });
});

describe('encodeReplyInPieces: a big reply encoded in pieces, the same bytes (review 22)', () => {
  const names = (n: number, prefix = 'key:'): Reply[] => Array.from({ length: n }, (_, i) => R.bulk(Buffer.from(`${prefix}${i}`)));
  /** Every piece's parts, joined, and the pauses between them. */
  const inPieces = (reply: Reply, proto: Protocol, every?: number): { text: string; pauses: number } => {
    const out: (Buffer | string)[] = [];
    const chunks: Buffer[] = [];
    let pauses = 0;
    for (const _ of encodeReplyInPieces(reply, proto, out, every)) {
      pauses++;
      chunks.push(Buffer.concat(out.map((p) => (typeof p === 'string' ? Buffer.from(p) : p))));
      out.length = 0;
    }
    chunks.push(Buffer.concat(out.map((p) => (typeof p === 'string' ? Buffer.from(p) : p))));
    return { text: Buffer.concat(chunks).toString('latin1'), pauses };
  };

  it.each([2, 3] as const)('RESP%i: KEYS, SCAN, EXEC of a KEYS, a map, a set: the whole encoding, paused every 256 items at any depth', (proto) => {
    const replies: [string, Reply, number][] = [
      ['KEYS of 1,000 names', R.array(names(1000)), 3],
      ['SCAN: a cursor and 600 names', R.array([R.bulk('0'), R.array(names(600))]), 2],
      ['EXEC of OK, a KEYS of 300 names, an int', R.array([R.ok, R.array(names(300)), R.int(7)]), 1],
      ['a map of 200 pairs (400 items)', R.map(names(200).map((k, i) => [k, R.int(i)] as const)), 1],
      ['a set of 257 members', R.set(names(257)), 1],
      ['an array of 100 arrays of 3 (small ones count as one item)', R.array(Array.from({ length: 100 }, () => R.array(names(3)))), 0],
    ];
    for (const [what, reply, pauses] of replies) {
      const got = inPieces(reply, proto);
      expect(got.text, what).toBe(text(reply, proto));
      expect(got.pauses, what).toBe(pauses);
    }
  });

  it('cut into single items, still the same bytes; negative: a reply that is no array, set or map has no pause', () => {
    const reply = R.array([R.bulk('1'), R.array(names(5)), R.map([[R.bulk('a'), R.array(names(3))]]), R.nullArray]);
    for (const proto of [2, 3] as const) {
      expect(inPieces(reply, proto, 1).text).toBe(text(reply, proto));
      expect(inPieces(reply, proto, 1).pauses).toBeGreaterThan(4);
    }
    for (const one of [R.bulk('x'.repeat(100_000)), R.int(3), R.error('ERR x'), R.null, R.verbatim('a')]) {
      expect(inPieces(one, 2, 1)).toEqual({ text: text(one, 2), pauses: 0 });
    }
  });
});
