/**
 * XREAD, BITPOS, LCS, SORT_RO and the sorted-set algebra (ZUNION, ZINTER,
 * ZDIFF, ZINTERCARD) at a served point (issue 56), against a
 * redis-server 7.0 loaded from the same file: byte for byte, RESP2 and
 * RESP3; XREAD's BLOCK answered as that server answers with no writer.
 */
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { halfClosed, RawClient } from '../../../support/resp-raw.js';
import { parseReply, rawReplies, serveBeside, type ServedBeside } from '../../../support/serve-parity.js';
import { writeServeDataset, writeStreamGroups } from '../../../support/serve-dataset.js';

let point: ServedBeside;

beforeAll(async () => {
  point = await serveBeside(async (c) => {
    await writeServeDataset(c);
    await writeStreamGroups(c);
    const p = c.pipeline();
    p.set('lcs:a', 'ohmytext');
    p.set('lcs:b', 'mynewtext');
    p.set('lcs:c', 'ABCBDAB-BDCABA-xyz');
    p.set('lcs:d', 'BDCABA-ABCBDAB-zyx');
    p.set('lcs:int', '12345');
    p.set('lcs:empty', '');
    for (let i = 1; i <= 30; i++) p.xadd('xs', `${i}-${i % 3}`, 'n', String(i), 'sq', String(i * i));
    p.set('zeros', Buffer.alloc(40));
    p.set('ones', Buffer.alloc(40, 0xff));
    p.set('mixed', Buffer.from([0x00, 0x00, 0x01, 0xff, 0xfe, 0x00, 0x80, 0x7f]));
    // SORT_RO: elements, weights in string keys and hash fields (some missing, one not a number), a hash table set, an intset.
    p.rpush('sl', '3', '1', '2', '10', '-4', '2.5', '1e2', ' 7', '0x10', '');
    p.rpush('users', 'ann', 'bob', 'cid', 'dee', 'eve');
    for (const [u, w, age] of [
      ['ann', '30', '41'],
      ['bob', '10', '25'],
      ['cid', '20', '33'],
      ['dee', '5', ''],
    ] as const) {
      p.set(`w_${u}`, w);
      p.hset(`u:${u}`, 'age', age, 'name', u.toUpperCase());
    }
    p.set('w_eve', 'heavy');
    p.hset('u:eve', 'name', 'EVE');
    p.sadd('names', 'kiwi', 'apple', 'fig', 'banana', 'cherry');
    p.sadd('nums', '5', '-2', '30', '7');
    p.zadd('zs', '3', 'c', '1', 'a', '2', 'b', '2', 'bb');
    // ZUNION, ZINTER, ZDIFF, ZINTERCARD: sorted sets (one with infinities), a set, fractions whose sum depends on the order.
    p.zadd('za', '1', 'a', '2', 'b', '3', 'c', '0.1', 'f');
    p.zadd('zb', '10', 'b', 'inf', 'c', '5', 'd', '0.2', 'f', '-inf', 'm');
    p.zadd('zc', '0.3', 'f', '7', 'b', '1e308', 'c');
    p.sadd('sa', 'a', 'x', 'f');
    await p.exec();
  });
}, 60_000);

afterAll(async () => {
  await point?.close();
});

const XREAD: string[][] = [
  ['XREAD', 'STREAMS', 'stream', '0'],
  ['XREAD', 'STREAMS', 'stream', '1-1'],
  ['XREAD', 'STREAMS', 'stream', '2'],
  ['XREAD', 'STREAMS', 'stream', '5-7'],
  ['XREAD', 'STREAMS', 'stream', '$'],
  ['XREAD', 'COUNT', '2', 'STREAMS', 'xs', 'stream', '5', '0'],
  ['XREAD', 'COUNT', '0', 'STREAMS', 'xs', '28'],
  ['XREAD', 'COUNT', '-3', 'STREAMS', 'xs', '28'],
  ['XREAD', 'count', '1', 'count', '3', 'streams', 'xs', '3-0'],
  ['XREAD', 'STREAMS', 'nope', 'xs', '0', '29-2'],
  ['XREAD', 'STREAMS', 'nope', '0'],
  ['XREAD', 'STREAMS', 'sg:emptied', '0'],
  ['XREAD', 'STREAMS', 'sg:fresh', '$'],
  ['XREAD', 'STREAMS', 'sg:read', '$', 'xs', '$'],
  ['XREAD', 'BLOCK', '10', 'STREAMS', 'xs', '0'],
  ['XREAD', 'STREAMS', 'xs', 'stream', '0'],
  ['XREAD', 'STREAMS', 'xs'],
  ['XREAD', 'STREAMS'],
  ['XREAD', 'COUNT', 'x', 'STREAMS', 'xs', '0'],
  ['XREAD', 'BLOCK', 'x', 'STREAMS', 'xs', '0'],
  ['XREAD', 'BLOCK', '-1', 'STREAMS', 'xs', '0'],
  ['XREAD', 'GROUP', 'g', 'c', 'STREAMS', 'xs', '0'],
  ['XREAD', 'NOACK', 'STREAMS', 'xs', '0'],
  ['XREAD', 'FOO', 'STREAMS', 'xs', '0'],
  ['XREAD', 'COUNT', '1', 'xs', '0'],
  ['XREAD', 'STREAMS', 'xs', '>'],
  ['XREAD', 'STREAMS', 'str', '0'],
  ['XREAD', 'STREAMS', 'xs', 'str', 'bad', '0'],
  ['XREAD', 'STREAMS', 'xs', 'str', '0', 'bad'],
  // Ids as 7.0's string2ull reads each part (split at the first `-`).
  ...[
    ...['+', '-', ' 1', '+1', '-0', '1-', '01', '1 ', '-1', '1-+1', '1- 1', '\t1', '18446744073709551615', '18446744073709551616'],
    ...['0-18446744073709551615', '0-18446744073709551616', '0x1', '1e3', '+0', ' +1', '- 1', '1--1', '1--01', '00-01', '1-0-0', ''],
  ].map((id) => ['XREAD', 'COUNT', '1', 'STREAMS', 'xs', id]),
];

const BITPOS: string[][] = [];
for (const key of ['bits', 'zeros', 'ones', 'mixed', 'str', 'nope', 'int'])
  for (const bit of ['0', '1'])
    for (const range of [[], ['0'], ['2'], ['-2'], ['1', '3'], ['3', '1'], ['-3', '-1'], ['0', '-1'], ['7', '7'], ['100', '200']])
      for (const unit of range.length === 2 ? [[], ['BYTE'], ['BIT'], ['bit']] : [[]]) BITPOS.push(['BITPOS', key, bit, ...range, ...unit]);
BITPOS.push(
  ['BITPOS', 'mixed', '0', '3', '21', 'BIT'],
  ['BITPOS', 'mixed', '1', '17', '23', 'BIT'],
  ['BITPOS', 'mixed', '0', '24', '31', 'BIT'],
  ['BITPOS', 'mixed', '0', '9', '9', 'BIT'],
  ['BITPOS', 'ones', '0', '5', '300', 'BIT'],
  ['BITPOS', 'ones', '0', '5', '319', 'BIT'],
  ['BITPOS', 'bits', '2'],
  ['BITPOS', 'nope', '2'],
  ['BITPOS', 'nope', 'x'],
  ['BITPOS', 'nope', '0', 'x'],
  ['BITPOS', 'bits', '1', 'x'],
  ['BITPOS', 'bits', '1', '0', 'x'],
  ['BITPOS', 'bits', '1', '0', '1', 'foo'],
  ['BITPOS', 'bits', '1', '0', '1', 'bit', 'x'],
  ['BITPOS', 'list:small', '1'],
  ['BITPOS', 'bits'],
);

const SORT: string[][] = [
  ['SORT_RO', 'sl'],
  ['SORT_RO', 'sl', 'DESC'],
  ['SORT_RO', 'sl', 'LIMIT', '2', '3'],
  ['SORT_RO', 'sl', 'LIMIT', '-5', '2'],
  ['SORT_RO', 'sl', 'LIMIT', '8', '100'],
  ['SORT_RO', 'sl', 'LIMIT', '20', '1'],
  ['SORT_RO', 'sl', 'LIMIT', '0', '0'],
  ['SORT_RO', 'sl', 'LIMIT', '0', '-3'],
  ['SORT_RO', 'sl', 'ALPHA'],
  ['SORT_RO', 'sl', 'ALPHA', 'DESC', 'LIMIT', '1', '4'],
  ['SORT_RO', 'sl', 'BY', 'nosort'],
  ['SORT_RO', 'sl', 'BY', 'nosort', 'DESC', 'LIMIT', '1', '3'],
  ['SORT_RO', 'users', 'BY', 'w_*'],
  ['SORT_RO', 'users', 'BY', 'w_*', 'ALPHA'],
  ['SORT_RO', 'users', 'BY', 'u:*->age', 'GET', '#', 'GET', 'u:*->name', 'GET', 'w_*', 'GET', 'nostar'],
  ['SORT_RO', 'users', 'BY', 'u:*->age', 'DESC', 'LIMIT', '1', '2', 'GET', 'u:*->nofield', 'GET', 'u:*->'],
  ['SORT_RO', 'users', 'BY', 'u:*->name', 'ALPHA', 'DESC', 'GET', 'u:*->name'],
  ['SORT_RO', 'users', 'BY', 'missing_*', 'GET', '#'],
  ['SORT_RO', 'users', 'ALPHA', 'GET', 'w_*', 'GET', 'u:*'],
  ['SORT_RO', 'users', 'BY', 'nosort', 'GET', 'w_*'],
  ['SORT_RO', 'users'],
  ['SORT_RO', 'names', 'ALPHA'],
  ['SORT_RO', 'names', 'ALPHA', 'DESC', 'LIMIT', '1', '2'],
  ['SORT_RO', 'names'],
  ['SORT_RO', 'nums'],
  ['SORT_RO', 'nums', 'BY', 'nosort'],
  ['SORT_RO', 'nums', 'BY', 'nosort', 'DESC', 'LIMIT', '1', '2'],
  ['SORT_RO', 'zs'],
  ['SORT_RO', 'zs', 'ALPHA', 'DESC'],
  ['SORT_RO', 'zs', 'BY', 'nosort'],
  ['SORT_RO', 'zs', 'BY', 'nosort', 'DESC', 'LIMIT', '1', '2'],
  ['SORT_RO', 'set:int'],
  ['SORT_RO', 'nope'],
  ['SORT_RO', 'nope', 'FOO'],
  ['SORT_RO', 'str'],
  ['SORT_RO', 'str', 'FOO'],
  ['SORT_RO', 'hash:small'],
  ['SORT_RO', 'sl', 'STORE', 'x'],
  ['SORT_RO', 'sl', 'LIMIT', 'x', '1'],
  ['SORT_RO', 'sl', 'LIMIT', '1'],
  ['SORT_RO', 'sl', 'BY'],
  ['SORT_RO', 'sl', 'GET'],
  ['SORT_RO'],
  ['COMMAND', 'INFO', 'sort_ro'],
  ['COMMAND', 'GETKEYS', 'SORT_RO', 'sl', 'BY', 'w_*'],
];

const ZSET_OPS: string[][] = [];
for (const cmd of ['ZUNION', 'ZINTER', 'ZDIFF'])
  for (const keys of [
    ['1', 'za'],
    ['2', 'za', 'zb'],
    ['3', 'zc', 'za', 'zb'],
    ['2', 'za', 'sa'],
    ['2', 'za', 'nope'],
    ['1', 'nope'],
    ['3', 'sa', 'zb', 'zc'],
  ])
    for (const opts of [
      [],
      ['WITHSCORES'],
      ['WEIGHTS', ...keys.slice(1).map((_, i) => String(i + 0.5)), 'WITHSCORES'],
      ['AGGREGATE', 'MIN', 'WITHSCORES'],
      ['aggregate', 'max', 'withscores', 'WITHSCORES'],
      ['WEIGHTS', ...keys.slice(1).map(() => '-1'), 'AGGREGATE', 'SUM', 'WITHSCORES'],
      ['WEIGHTS', ...keys.slice(1).map(() => '0'), 'WITHSCORES'],
    ])
      ZSET_OPS.push([cmd, ...keys, ...opts]);
ZSET_OPS.push(
  ['ZINTERCARD', '2', 'za', 'zb'],
  ['ZINTERCARD', '3', 'za', 'zb', 'zc', 'LIMIT', '1'],
  ['ZINTERCARD', '2', 'za', 'sa', 'LIMIT', '0'],
  ['ZINTERCARD', '2', 'za', 'nope'],
  ['ZINTERCARD', '2', 'za', 'zb', 'LIMIT', '-1'],
  ['ZINTERCARD', '2', 'za', 'zb', 'LIMIT', 'x'],
  ['ZINTERCARD', '2', 'za', 'zb', 'WITHSCORES'],
  ['ZINTERCARD', '0', 'za'],
  ['ZUNION', '0', 'za'],
  ['ZUNION', 'x', 'za'],
  ['ZUNION', '-1', 'za'],
  ['ZUNION', '3', 'za', 'zb'],
  ['ZUNION', '2', 'za', 'zb', 'WEIGHTS', '1'],
  ['ZUNION', '2', 'za', 'zb', 'WEIGHTS', '1', 'x'],
  ['ZUNION', '2', 'za', 'zb', 'WEIGHTS', '1', ' 1'],
  ['ZUNION', '2', 'za', 'zb', 'AGGREGATE', 'foo'],
  ['ZUNION', '2', 'za', 'zb', 'AGGREGATE'],
  ['ZUNION', '2', 'za', 'zb', 'FOO'],
  ['ZUNION', '2', 'za', 'str'],
  ['ZUNION', '2', 'str', 'za', 'FOO'],
  ['ZINTER', '2', 'za', 'list:small'],
  ['ZDIFF', '2', 'za', 'zb', 'WEIGHTS', '1', '1'],
  ['ZDIFF', '2', 'za', 'zb', 'AGGREGATE', 'MAX'],
  ['ZUNION', '2', 'za', 'zb', 'STORE'],
  ['COMMAND', 'INFO', 'zunion', 'zinter', 'zdiff', 'zintercard'],
  ['COMMAND', 'GETKEYS', 'ZUNION', '2', 'za', 'zb', 'WITHSCORES'],
);

const LCS: string[][] = [];
for (const [a, b] of [
  ['lcs:a', 'lcs:b'],
  ['lcs:c', 'lcs:d'],
  ['lcs:d', 'lcs:c'],
  ['lcs:a', 'nope'],
  ['nope', 'nope'],
  ['lcs:int', 'int'],
  ['lcs:empty', 'lcs:a'],
  ['long', 'str'],
])
  for (const opts of [
    [],
    ['LEN'],
    ['IDX'],
    ['IDX', 'WITHMATCHLEN'],
    ['IDX', 'MINMATCHLEN', '2'],
    ['idx', 'minmatchlen', '-4', 'withmatchlen'],
    ['MINMATCHLEN', '3'],
  ])
    LCS.push(['LCS', a, b, ...opts]);
LCS.push(
  ['LCS', 'lcs:a', 'list:small'],
  ['LCS', 'hash:small', 'nope', 'LEN', 'IDX'],
  ['LCS', 'lcs:a', 'lcs:b', 'LEN', 'IDX'],
  ['LCS', 'lcs:a', 'lcs:b', 'FOO'],
  ['LCS', 'lcs:a', 'lcs:b', 'MINMATCHLEN'],
  ['LCS', 'lcs:a', 'lcs:b', 'MINMATCHLEN', 'x'],
  ['LCS', 'lcs:a'],
  ['COMMAND', 'INFO', 'xread', 'bitpos', 'lcs'],
  // XREAD's keys follow its STREAMS keyword (a key spec 7.0 searches for), half of what follows.
  ['COMMAND', 'GETKEYS', 'XREAD', 'COUNT', '2', 'STREAMS', 'a', 'b', '0', '0'],
  ['COMMAND', 'GETKEYS', 'XREAD', 'STREAMS', 'a', 'b', 'c'],
  ['COMMAND', 'GETKEYS', 'XREAD', 'STREAMS', 'streams', 'streams', '0', '0'],
  ['COMMAND', 'GETKEYSANDFLAGS', 'XREAD', 'BLOCK', '1', 'STREAMS', 'a', '0'],
  ['COMMAND', 'GETKEYS', 'XREAD', 'COUNT', '1', 'STREAMS'],
  ['COMMAND', 'GETKEYS', 'XREAD', 'STREAMS', 'a'],
  ['COMMAND', 'GETKEYS', 'XREAD', 'COUNT', '1', 'a', '0'],
  ['COMMAND', 'GETKEYS', 'LCS', 'a', 'b', 'LEN'],
  ['COMMAND', 'GETKEYS', 'BITPOS', 'a', '1', '0'],
);

describe('XREAD, BITPOS and LCS, against a redis-server loaded from the same file', () => {
  it.each([2, 3] as const)('XREAD: entries after each id, COUNT, $, missing and empty streams, every error (RESP%d)', async (proto) => {
    await point.compare(XREAD, proto);
  });

  it.each([2, 3] as const)('BITPOS over bytes and bits, open and closed ranges, every error (RESP%d)', async (proto) => {
    expect(BITPOS.length).toBeGreaterThan(300);
    await point.compare(BITPOS, proto);
  });

  it.each([2, 3] as const)('LCS: the string, LEN, IDX with MINMATCHLEN and WITHMATCHLEN, every error (RESP%d)', async (proto) => {
    await point.compare(LCS, proto);
  });

  it.each([2, 3] as const)('SORT_RO: numeric and ALPHA, BY and GET patterns over other keys and hash fields, LIMIT, every error (RESP%d)', async (proto) => {
    await point.compare(SORT, proto);
  });

  it.each([2, 3] as const)('ZUNION, ZINTER, ZDIFF, ZINTERCARD: weights, AGGREGATE, sets among the inputs, every error (RESP%d)', async (proto) => {
    expect(ZSET_OPS.length).toBeGreaterThan(150);
    await point.compare(ZSET_OPS, proto);
  });

  it('SORT_RO of a hash-table set by nothing (BY a pattern with no *): its members, in an order no client relies on', async () => {
    const cmd = ['SORT_RO', 'names', 'BY', 'nosort'];
    const [ref, served] = [(await rawReplies(point.reference.port, [cmd]))[0]!, (await rawReplies(point.serving.port, [cmd]))[0]!];
    const members = (r: string): string[] => (parseReply(r) as string[]).sort();
    expect(members(served)).toEqual(members(ref));
    expect(members(ref)).toEqual(['apple', 'banana', 'cherry', 'fig', 'kiwi']);
  });

  it('XREAD BLOCK with nothing to answer: the null after the timeout as 7.0; inside EXEC at once', async () => {
    await point.compare([
      ['XREAD', 'BLOCK', '50', 'STREAMS', 'xs', '$'],
      ['XREAD', 'BLOCK', '20', 'STREAMS', 'nope', 'sg:fresh', '0', '0'],
      ['MULTI'],
      ['XREAD', 'BLOCK', '0', 'STREAMS', 'xs', '$'],
      ['EXEC'],
    ]);
    await point.compare([['XREAD', 'BLOCK', '30', 'STREAMS', 'xs', '$']], 3);
  });

  it('negative: XREAD BLOCK 0 with nothing to answer waits (as 7.0 with no writer) and other clients are answered meanwhile', async () => {
    const blocked = await RawClient.open(point.serving.port);
    try {
      let answered = false;
      void blocked.call('XREAD', 'BLOCK', '0', 'STREAMS', 'xs', '$').then(
        () => (answered = true),
        () => undefined,
      );
      // Another client's requests (each a turn of the event loop) are answered while it waits.
      for (let i = 0; i < 20; i++) expect(await rawReplies(point.serving.port, [['PING']])).toEqual(['+PONG\r\n']);
      await new Promise((r) => setTimeout(r, 100));
      expect(answered).toBe(false);
    } finally {
      blocked.close();
    }
  });

  /** XREAD BLOCK 0 on a stream nothing will write to: a request that waits as long as its client stays. */
  const BLOCKED = '*6\r\n$5\r\nXREAD\r\n$5\r\nBLOCK\r\n$1\r\n0\r\n$7\r\nSTREAMS\r\n$2\r\nxs\r\n$1\r\n$\r\n';

  it('XREAD BLOCK 0 whose client half-closes: answered the null nothing will change, then the connection ends (it stayed open: fd held)', async () => {
    // A client that sends its request and shuts its write side (nc -N) is answered every request and the connection ended;
    // before, a blocked XREAD kept it open for good (the server's socket in CLOSE_WAIT, its descriptor never freed).
    expect((await halfClosed(point.serving.port, BLOCKED)).toString('latin1')).toBe('*-1\r\n');
    // Negative: with a timeout and the client staying, the same null only once the timeout has passed (as 7.0).
    await point.compare([['XREAD', 'BLOCK', '20', 'STREAMS', 'xs', '$']]);
  });

  it('XREAD BLOCK 0 whose client goes away: its connection is freed, as 7.0 frees a blocked client (was: every such client held a descriptor for good)', async () => {
    const fds = () => readdirSync('/proc/self/fd').length;
    const before = fds();
    const clients = await Promise.all(Array.from({ length: 20 }, () => RawClient.open(point.serving.port)));
    // Each blocked (the request read: the PING on another connection after it is answered first), then gone.
    for (const c of clients) void c.call('XREAD', 'BLOCK', '0', 'STREAMS', 'xs', '$').catch(() => undefined);
    expect(await rawReplies(point.serving.port, [['PING']])).toEqual(['+PONG\r\n']);
    expect(fds()).toBeGreaterThanOrEqual(before + 40); // negative: each client's socket and the server's are open
    for (const c of clients) c.close();
    // Freed: the server's sockets closed too (before, 20 stayed open until the process ended; this waited past the test's timeout).
    while (fds() > before) await new Promise((r) => setTimeout(r, 10));
  });
});
