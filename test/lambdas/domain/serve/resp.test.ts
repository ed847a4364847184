import { describe, expect, it } from 'vitest';
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
    ['*2000000\r\n', 'Protocol error: invalid multibulk length'],
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

describe('splitArgs', () => {
  it('refuses a closing quote followed by a letter, as sdssplitargs does', () => {
    expect(splitArgs('"a"b')).toBeUndefined();
    expect(splitArgs('a  b')).toEqual(['a', 'b']);
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
