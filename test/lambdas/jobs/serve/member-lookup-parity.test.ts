/**
 * The reads of one member of a big hash, set or sorted set (member-lookup.ts: their lookup maps and order kept with
 * the value the cache holds) against a redis-server 7.0 loaded from the same file, byte for byte in RESP2 and RESP3:
 * each value here is big enough to be held (its payload over CACHE_MIN_BYTES, its members over MEMO_MIN_MEMBERS), and
 * each command is asked twice, so the second answer comes from the memo. Small values (walked) are asked alike.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { serveBeside, type ServedBeside } from '../../../support/serve-parity.js';

let point: ServedBeside;
const N = 2_000;

beforeAll(async () => {
  point = await serveBeside(async (c) => {
    await c.hset('h', ...Array.from({ length: N }, (_, i) => [`field:${i}`, i % 10 === 0 ? 'v'.repeat(i % 300) : `value-${i}`]).flat());
    await c.hset('h:small', 'a', '1', 'b', '');
    await c.sadd('s', ...Array.from({ length: N }, (_, i) => `member:${i}`));
    await c.sadd('s:int', ...Array.from({ length: N }, (_, i) => String(i * 3 - 1000)));
    await c.sadd('s:small', 'member:1', 'member:7', 'x');
    // Mixed scores: negatives, fractions, -0, ±inf, ties ordered by member bytes.
    const scores = (i: number): string => (i === 0 ? '-inf' : i === 1 ? 'inf' : i === 2 ? '-0' : i % 5 === 0 ? String(i / 8) : String(-i % 97));
    await c.zadd('z', ...Array.from({ length: N }, (_, i) => [scores(i), `m:${i}`]).flat());
    await c.zadd('z:lex', ...Array.from({ length: 300 }, (_, i) => ['0', `w${String(i).padStart(3, '0')}`]).flat());
    await c.zadd('z:small', '1', 'a', '2', 'b', '2', 'c');
    await c.set('str', 'x');
  });
}, 60_000);

afterAll(async () => {
  await point?.close();
});

const some = (prefix: string): string[] => [0, 1, 2, 3, 7, 10, 500, 999, 1000, 1999, 2000, 123456].map((i) => `${prefix}${i}`);

/** Each asked twice: the first makes the memo, the second answers from it. */
const twice = (cmds: string[][]): string[][] => cmds.flatMap((c) => [c, c]);

const HASH: string[][] = twice([
  ...some('field:').map((f) => ['HGET', 'h', f]),
  ['HMGET', 'h', ...some('field:'), 'nope'],
  ...some('field:').map((f) => ['HEXISTS', 'h', f]),
  ...some('field:').map((f) => ['HSTRLEN', 'h', f]),
  ['HGET', 'h:small', 'b'],
  ['HMGET', 'h:small', 'a', 'b', 'c'],
  ['HEXISTS', 'h:small', 'c'],
  ['HSTRLEN', 'h:small', 'a'],
  ['HGET', 'nope', 'a'],
  ['HMGET', 'nope', 'a'],
  ['HGET', 's', 'a'],
  ['HSTRLEN', 'str', 'a'],
  ['HLEN', 'h'],
]);

const SET: string[][] = twice([
  ...some('member:').map((m) => ['SISMEMBER', 's', m]),
  ['SMISMEMBER', 's', ...some('member:')],
  ['SMISMEMBER', 's:int', '-1000', '-999', '5', '0', '2', '4997', '5000', '+5', '005'],
  ['SISMEMBER', 's:int', '-997'],
  ['SISMEMBER', 's:small', 'x'],
  ['SINTERCARD', '2', 's', 's:small'],
  ['SINTERCARD', '2', 's:small', 's', 'LIMIT', '1'],
  ['SMISMEMBER', 'nope', 'a'],
  ['SISMEMBER', 'h', 'a'],
  ['SCARD', 's'],
]);

const ZSET: string[][] = twice([
  ...some('m:').flatMap((m) => [
    ['ZSCORE', 'z', m],
    ['ZRANK', 'z', m],
    ['ZREVRANK', 'z', m],
  ]),
  ['ZMSCORE', 'z', ...some('m:')],
  ['ZCOUNT', 'z', '-inf', '+inf'],
  ['ZCOUNT', 'z', '-0', '0'],
  ['ZCOUNT', 'z', '(0', '(10'],
  ['ZCOUNT', 'z', '10', '5'],
  ['ZCOUNT', 'z', '-96', '-90'],
  ['ZRANGEBYSCORE', 'z', '(-96', '-90', 'WITHSCORES'],
  ['ZRANGEBYSCORE', 'z', '-inf', '-96', 'LIMIT', '3', '4'],
  ['ZRANGEBYSCORE', 'z', '-inf', '+inf', 'LIMIT', '1990', '20'],
  ['ZRANGEBYSCORE', 'z', '-inf', '+inf', 'LIMIT', '5', '0'],
  ['ZRANGEBYSCORE', 'z', '-inf', '+inf', 'LIMIT', '-1', '3'],
  ['ZRANGEBYSCORE', 'z', '200', '+inf', 'WITHSCORES'],
  ['ZREVRANGEBYSCORE', 'z', '+inf', '200', 'WITHSCORES'],
  ['ZREVRANGEBYSCORE', 'z', '(-90', '-inf', 'LIMIT', '2', '5'],
  ['ZREVRANGEBYSCORE', 'z', '0', '0'],
  ['ZRANGE', 'z', '(1', '3', 'BYSCORE', 'LIMIT', '1', '3'],
  ['ZRANGE', 'z', '3', '(1', 'BYSCORE', 'REV', 'LIMIT', '1', '3', 'WITHSCORES'],
  ['ZRANGEBYLEX', 'z:lex', '[w100', '(w110'],
  ['ZREVRANGEBYLEX', 'z:lex', '[w110', '(w100', 'LIMIT', '1', '3'],
  ['ZLEXCOUNT', 'z:lex', '[w100', '+'],
  ['ZSCORE', 'z:small', 'c'],
  ['ZRANK', 'z:small', 'c'],
  ['ZCOUNT', 'z:small', '2', '2'],
  ['ZMSCORE', 'nope', 'a'],
  ['ZSCORE', 'h', 'a'],
  ['ZRANK', 'nope', 'a'],
  ['ZCARD', 'z'],
]);

/** The sorted-set algebra over big values (their memos: commands-zset-ops.ts reads each input's members through them). */
const ALGEBRA: string[][] = twice([
  ['ZINTERCARD', '2', 'z', 'z:small', 'LIMIT', '1'],
  ['ZINTERCARD', '2', 'z', 's'],
  ['ZINTERCARD', '3', 'z', 'z:lex', 's', 'LIMIT', '5'],
  ['ZINTER', '2', 'z', 'z:small', 'WITHSCORES'],
  ['ZINTER', '2', 's', 's:int', 'WITHSCORES'],
  ['ZINTER', '2', 'z', 'z', 'WEIGHTS', '2', '-1', 'AGGREGATE', 'MAX', 'WITHSCORES'],
  ['ZUNION', '3', 'z:small', 's:small', 'z', 'AGGREGATE', 'MIN', 'WITHSCORES'],
  ['ZUNION', '2', 's', 's:int', 'WEIGHTS', '0.5', 'inf'],
  ['ZDIFF', '2', 'z', 'z:small', 'WITHSCORES'],
  ['ZDIFF', '3', 's', 's:small', 'nope'],
  ['ZDIFF', '2', 'z:lex', 'z'],
]);

describe('one member of a big value, as 7.0 answers it', () => {
  it('sorted-set algebra: ZINTERCARD, ZINTER, ZUNION, ZDIFF of big sorted sets and sets (RESP2 and RESP3)', async () => {
    await point.compare(ALGEBRA);
    await point.compare(ALGEBRA, 3);
  });

  it('hashes: HGET, HMGET, HEXISTS, HSTRLEN (RESP2 and RESP3)', async () => {
    await point.compare(HASH);
    await point.compare(HASH, 3);
  });

  it('sets: SISMEMBER, SMISMEMBER, SINTERCARD (RESP2 and RESP3)', async () => {
    await point.compare(SET);
    await point.compare(SET, 3);
  });

  it('sorted sets: ZSCORE, ZMSCORE, ZRANK, ZREVRANK, ZCOUNT and the score ranges (RESP2 and RESP3)', async () => {
    await point.compare(ZSET);
    await point.compare(ZSET, 3);
  });
});
