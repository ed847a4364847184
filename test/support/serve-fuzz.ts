/**
 * Generated commands for serve's differential test (issue 56): a seeded
 * generator of read commands over every command serve answers (valid
 * arguments and the edges: negative and out-of-range indexes, LIMIT, REV,
 * BYLEX bounds, COUNT 0, wrong types, missing keys, wrong arity, unknown
 * subcommands, huge numbers, non-numbers) and of write commands, and the
 * comparison of two raw replies: byte for byte, unordered ones as sets,
 * random ones by their invariants. The data it names is {@link writeFuzzDataset}'s.
 */
import type Redis from 'ioredis';
import { mulberry32 } from '../../lambdas/domain/keys/prng.js';
import { closedLoopbackPort } from './closed-port.js';
import { serveBeside, type ServedBeside } from './serve-parity.js';

const BIN = '\x00\xff\r\nb';

/** The keys of database 0 by type (names latin1: one char a byte). */
export const FUZZ_KEYS = {
  string: ['s:embstr', 's:int', 's:neg', 's:raw', 's:empty', 's:bin', 's:max', 's:float', 's:bits', 's:lcs1', 's:lcs2', 's:44', 's:45', BIN, 'ttl:s'],
  list: ['l:small', 'l:big', 'l:num', 'l:bin', 'l:long'],
  hash: ['h:small', 'h:big', 'h:long', 'h:bin', 'ttl:h', 'h:ints'],
  set: ['set:int', 'set:small', 'set:big', 'set:other', 'set:bin', 'set:ints'],
  zset: ['z:small', 'z:big', 'z:lex', 'z:inf', 'geo'],
  stream: ['x:s', 'x:g', 'x:empty'],
  hll: ['hll'],
} as const;

/** Members (fields, elements) worth naming: present in some value, and absent ones. */
const MEMBERS = [
  'a',
  'b',
  'c',
  'x',
  'y',
  'z',
  '',
  '1',
  '2',
  '3',
  '-5',
  'f1',
  'f7',
  'f599',
  'm0',
  'm7',
  'm199',
  'e',
  'Palermo',
  'Catania',
  BIN,
  'nope',
  '-100',
  '-93',
  '0',
  '61000000007',
  '-9150000000427',
  '01',
  '1.0',
];
const INDEXES = [
  '0',
  '1',
  '-1',
  '2',
  '-2',
  '3',
  '5',
  '-5',
  '100',
  '-100',
  '299',
  '300',
  '-300',
  '-301',
  '1999',
  '2000',
  '-2000',
  '1000',
  '9223372036854775807',
  '-9223372036854775808',
];
const BAD_NUMBERS = ['x', '1.5', '', '99999999999999999999', '0x10', ' 1', '+1', '1e3', '-0'];
const COUNTS = ['0', '1', '2', '3', '10', '1000', '-1', '-3', '9223372036854775807', '-9223372036854775808'];
const SCORES = ['0', '1', '2', '1.5', '-1', '-3', '50', 'inf', '-inf', '+inf', '(1', '(2', '(inf', '(-inf', '(', 'x', '', 'nan', '1e2', '-0'];
const LEX = ['-', '+', '[a', '(a', '[c', '(e', '[m1', '(m5', '[', '(', 'a', '', '[\xff', '(\x00'];

/** One generated command, its database at the time it is sent, and how its replies are compared. */
export interface Generated {
  readonly args: string[];
  /** `exact` bytes; `set` (an unordered reply; `scan` a cursor and an unordered page); `random` by invariants; `ttl`, `idle` as the time moves. */
  readonly kind: 'exact' | 'set' | 'scan' | 'random' | 'ttl' | 'idle' | 'dump';
}

type Gen = () => string[];

/**
 * Served commands not generated: INFO and TIME (the server's own state, the clock), QUIT and RESET (they end or reset
 * the connection), the transactions (transactions.test.ts, against a replica).
 */
export const NOT_GENERATED = ['info', 'time', 'quit', 'reset', 'multi', 'exec', 'discard', 'watch', 'unwatch'];

/** The generator of read commands of seed `seed`. */
export function readGenerator(seed: number): { next(): Generated; rnd: () => number } {
  const rnd = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const chance = (p: number): boolean => rnd() < p;
  const allKeys = Object.values(FUZZ_KEYS).flat();
  /** A key of `type` mostly; else any key, a missing one, or one of database 1. */
  const key = (type?: keyof typeof FUZZ_KEYS): string =>
    type && chance(0.75) ? pick(FUZZ_KEYS[type]) : chance(0.7) ? pick(allKeys) : pick(['nokey', 'db1:key', 'gone', '']);
  const num = (good: readonly string[]): string => (chance(0.9) ? pick(good) : pick(BAD_NUMBERS));
  const member = (): string => pick(MEMBERS);
  const some = (g: () => string, max = 4): string[] => Array.from({ length: 1 + Math.floor(rnd() * max) }, g);
  const opt = (p: number, ...words: string[]): string[] => (chance(p) ? words : []);
  const keys = (type: keyof typeof FUZZ_KEYS, max = 3): string[] => some(() => key(type), max);
  const numkeys = (type: keyof typeof FUZZ_KEYS): string[] => {
    const ks = keys(type);
    return [chance(0.9) ? String(ks.length) : pick(['0', '-1', '9', 'x']), ...ks];
  };
  /** A sorted set for a lex range: not z:big, whose mixed scores make a skiplist's lex walk depend on its random levels. */
  const lexKey = (): string => (chance(0.75) ? pick(['z:small', 'z:lex', 'z:inf', 'geo']) : key().replace(/^z:big$/, 'z:lex'));
  const limit = (): string[] => opt(0.3, 'LIMIT', num(['0', '1', '2', '-1', '5']), num(['0', '1', '3', '-1', '-5', '100']));
  const zrangeFlags = (): string[] => {
    const by = pick(['', '', 'BYSCORE', 'BYLEX']);
    const bounds = by === 'BYSCORE' ? [num(SCORES), num(SCORES)] : by === 'BYLEX' ? [pick(LEX), pick(LEX)] : [num(INDEXES), num(INDEXES)];
    return [...bounds, ...(by ? [by] : []), ...opt(0.3, 'REV'), ...(by || chance(0.2) ? limit() : []), ...opt(0.3, 'WITHSCORES')];
  };
  const scanOpts = (withType: boolean): string[] => [
    ...opt(0.3, 'MATCH', pick(['*', 'f1*', 's:*', '*a*', '[ab]*', 'm?', 'nomatch', '\\*'])),
    ...opt(0.3, 'COUNT', num(['1', '10', '1000', '0', '-1'])),
    ...(withType ? opt(0.2, 'TYPE', pick(['string', 'hash', 'list', 'zset', 'set', 'stream', 'nosuch'])) : []),
    ...opt(0.05, pick(['NOVALUES', 'BOGUS'])),
  ];
  const geoUnit = (): string => pick(['m', 'km', 'mi', 'ft', 'M', 'yd']);
  /**
   * A key for GEO: the places (no two at one distance from a centre), or a key of no sorted set. Not the other sorted
   * sets, whose members share places: with COUNT 7.0 sorts by distance with its partial quicksort (pqsort.c), which does
   * not keep the order of ties (serve's sort does).
   */
  const geoKey = (): string => (chance(0.8) ? 'geo' : pick(['nokey', 's:int', 'set:small']));
  const geoMember = (): string => pick(['Palermo', 'Catania', 'edge', 'nope']);
  const lonlat = (): string[] => [num(['15', '13.361389', '-180', '180', '181', '0']), num(['37', '38.115556', '85.05112878', '86', '-85'])];
  const geoSort = (): string[] => [...opt(0.4, pick(['ASC', 'DESC'])), ...opt(0.3, 'COUNT', num(['1', '2', '0', '-1']), ...opt(0.3, 'ANY'))];
  const geoWith = (): string[] => [...opt(0.3, 'WITHCOORD'), ...opt(0.3, 'WITHDIST'), ...opt(0.3, 'WITHHASH')];
  const xid = (): string =>
    pick(['-', '+', '0', '0-0', '1', '1-1', '2-1', '3', '5-7', '(1-1', '(5-7', '18446744073709551615-18446744073709551615', 'x', '1-x', '$']);

  const R: Record<string, Gen> = {
    ping: () => opt(0.5, pick(['hello', ''])),
    echo: () => [pick(['hi', '', BIN])],
    exists: () => keys('string', 4),
    touch: () => keys('hash', 4),
    type: () => [key()],
    dump: () => [key()],
    dbsize: () => [],
    keys: () => [pick(['*', 's:*', 'h:*', '*:*', 'z?small', '[sh]:*', 'nomatch', '*\\*', ''])],
    get: () => [key('string')],
    mget: () => keys('string', 5),
    strlen: () => [key('string')],
    getrange: () => [key('string'), num(INDEXES), num(INDEXES)],
    substr: () => [key('string'), num(INDEXES), num(INDEXES)],
    // One key counted alone is hll:counted: 7.0's PFCOUNT of one key rewrites its cached count (and makes the string raw),
    // a read that changes the value, which no other command here reads. Several are merged, none changed.
    pfcount: () => (chance(0.5) ? [pick(['hll:counted', 'nokey', 's:int', 's:raw', 'l:small'])] : [...keys('hll', 2), key()]),
    getbit: () => [key('string'), num(['0', '1', '7', '8', '39', '40', '100', '-1', '4294967295', '4294967296'])],
    bitcount: () => [key('string'), ...(chance(0.6) ? [num(INDEXES), num(INDEXES), ...opt(0.4, pick(['BYTE', 'BIT', 'bit', 'WORD']))] : [])],
    bitpos: () => [
      key('string'),
      num(['0', '1', '2']),
      ...(chance(0.6) ? [num(INDEXES), ...opt(0.6, num(INDEXES), ...opt(0.4, pick(['BYTE', 'BIT', 'X'])))] : []),
    ],
    lcs: () => [
      key('string'),
      key('string'),
      ...opt(0.3, 'LEN'),
      ...opt(0.3, 'IDX'),
      ...opt(0.2, 'MINMATCHLEN', num(['0', '2', '4', '-1'])),
      ...opt(0.2, 'WITHMATCHLEN'),
    ],
    hget: () => [key('hash'), member()],
    hmget: () => [key('hash'), ...some(member)],
    hgetall: () => [key('hash')],
    hkeys: () => [key('hash')],
    hvals: () => [key('hash')],
    hlen: () => [key('hash')],
    hexists: () => [key('hash'), member()],
    hstrlen: () => [key('hash'), member()],
    // 7.4's: unknown to the 7.0 that wrote the point.
    httl: () => [key('hash'), 'FIELDS', '1', member()],
    hpttl: () => [key('hash'), 'FIELDS', num(['1', '2', '0']), member()],
    hexpiretime: () => [key('hash'), 'FIELDS', '1', member()],
    hpexpiretime: () => [key('hash'), 'FIELDS', '1', member()],
    // Not CLIENT ID nor a valid HELLO (the connection's id), nor CONFIG SET (it would change the reference).
    // (Not CLIENT HELP: serve lists the subcommands it answers.) CONFIG GET of the settings serve answers.
    client: () => pick([['SETNAME', pick(['n', 'a b', ''])], ['GETNAME'], ['NOSUCH'], ['setname']]),
    config: () => pick([['GET', pick(['databases', 'save', 'appendonly', 'DATABASES', 'data*', 'nosuch*'])], ['HELP'], ['NOSUCH'], ['GET']]),
    hello: () => [pick(['x', '4', '1', '-1', '99999999999999999999'])],
    llen: () => [key('list')],
    lrange: () => [key('list'), num(INDEXES), num(INDEXES)],
    lindex: () => [key('list'), num(INDEXES)],
    lpos: () => [
      key('list'),
      pick(['a', 'b', '1', '', 'item-7-zzzzzzz', 'nope']),
      ...opt(0.4, 'RANK', num(['1', '-1', '2', '-2', '0', '-9223372036854775808'])),
      ...opt(0.4, 'COUNT', num(['0', '1', '2', '-1'])),
      ...opt(0.3, 'MAXLEN', num(['0', '1', '3', '-1'])),
    ],
    smembers: () => [key('set')],
    sismember: () => [key('set'), member()],
    smismember: () => [key('set'), ...some(member)],
    scard: () => [key('set')],
    sinter: () => keys('set'),
    sunion: () => keys('set'),
    sdiff: () => keys('set'),
    sintercard: () => [...numkeys('set'), ...opt(0.4, 'LIMIT', num(['0', '1', '2', '-1']))],
    zrange: () => {
      const flags = zrangeFlags();
      return [flags.includes('BYLEX') ? lexKey() : key('zset'), ...flags];
    },
    zrevrange: () => [key('zset'), num(INDEXES), num(INDEXES), ...opt(0.4, 'WITHSCORES')],
    zrangebyscore: () => [key('zset'), num(SCORES), num(SCORES), ...opt(0.4, 'WITHSCORES'), ...limit()],
    zrevrangebyscore: () => [key('zset'), num(SCORES), num(SCORES), ...opt(0.4, 'WITHSCORES'), ...limit()],
    zrangebylex: () => [lexKey(), pick(LEX), pick(LEX), ...limit()],
    zrevrangebylex: () => [lexKey(), pick(LEX), pick(LEX), ...limit()],
    zlexcount: () => [lexKey(), pick(LEX), pick(LEX)],
    zrank: () => [key('zset'), member()],
    zrevrank: () => [key('zset'), member()],
    zscore: () => [key('zset'), member()],
    zmscore: () => [key('zset'), ...some(member)],
    zcard: () => [key('zset')],
    zcount: () => [key('zset'), num(SCORES), num(SCORES)],
    zunion: () => zsetOps(algebraKeys()),
    zinter: () => zsetOps(algebraKeys()),
    zdiff: () => [...numkeys('zset'), ...opt(0.4, 'WITHSCORES')],
    zintercard: () => [...numkeys('zset'), ...opt(0.4, 'LIMIT', num(['0', '1', '2', '-1']))],
    xlen: () => [key('stream')],
    xrange: () => [key('stream'), xid(), xid(), ...opt(0.4, 'COUNT', num(['0', '1', '2', '-1']))],
    xrevrange: () => [key('stream'), xid(), xid(), ...opt(0.4, 'COUNT', num(['0', '1', '2', '-1']))],
    xread: () => {
      const ks = keys('stream', 2);
      return [...opt(0.4, 'COUNT', num(['0', '1', '2', '-1'])), 'STREAMS', ...ks, ...ks.map(() => pick(['0', '0-0', '1-1', '2', '$', '+', 'x']))];
    },
    // Not XINFO STREAM: serve refuses it in words (its radix-tree sizes are in no file).
    xinfo: () => [pick(['GROUPS', 'CONSUMERS', 'groups', 'NOSUCH', 'HELP']), key('stream'), ...opt(0.3, pick(['g', 'readers', 'nogroup']))],
    object: () => [pick(['ENCODING', 'REFCOUNT', 'FREQ', 'encoding', 'NOSUCH']), key()],
    geopos: () => [geoKey(), ...some(geoMember)],
    geohash: () => [geoKey(), ...some(geoMember)],
    geodist: () => [geoKey(), geoMember(), geoMember(), ...opt(0.5, geoUnit())],
    geosearch: () => [
      geoKey(),
      ...(chance(0.5) ? ['FROMMEMBER', geoMember()] : ['FROMLONLAT', ...lonlat()]),
      ...(chance(0.5)
        ? ['BYRADIUS', num(['100', '200', '0', '-1', '1000']), geoUnit()]
        : ['BYBOX', num(['400', '100', '0']), num(['400', '50', '-1']), geoUnit()]),
      ...geoSort(),
      ...geoWith(),
    ],
    georadius_ro: () => [geoKey(), ...lonlat(), num(['100', '200', '0', '-1']), geoUnit(), ...geoWith(), ...geoSort()],
    georadiusbymember_ro: () => [geoKey(), geoMember(), num(['100', '200', '0', '-1']), geoUnit(), ...geoWith(), ...geoSort()],
    // Not of a sorted set: 7.0's SORT and SORT_RO turn a listpack one into a skiplist for good (sort.c's zsetConvert).
    sort_ro: () => [
      chance(0.85) ? pick([...FUZZ_KEYS.list, ...FUZZ_KEYS.set]) : pick(['nokey', 's:int', 'h:small']),
      // BY nosort answers a set in its table's order: as a set, so never cut by LIMIT.
      ...(chance(0.15)
        ? ['BY', 'nosort']
        : [...opt(0.3, 'LIMIT', num(['0', '1', '-1']), num(['2', '5', '-1'])), ...opt(0.1, 'BY', pick(['w_*', 'h:small->*']))]),
      // (Not ALPHA BY a pattern for a set: below.)
      ...opt(0.3, 'ALPHA'),
      ...opt(0.3, pick(['ASC', 'DESC'])),
      ...opt(0.1, 'GET', pick(['#', 's:*', 'h:small->f1'])),
    ],
    ttl: () => [key()],
    pttl: () => [key()],
    expiretime: () => [key()],
    pexpiretime: () => [key()],
    // Not a cursor past 2^64: 7.0's strtoul leaves errno at ERANGE, and its next SORT_RO of strings (sort.c reads errno
    // after strtod without clearing it) then fails with "One or more scores can't be converted": a 7.0 bug, not served.
    scan: () => [pick(['0', '0', '0', 'x', '-1', '18446744073709551615', ' 1']), ...scanOpts(true)],
    hscan: () => [key('hash'), pick(['0', '0', 'x']), ...scanOpts(false)],
    sscan: () => [key('set'), pick(['0', '0', 'x']), ...scanOpts(false)],
    zscan: () => [key('zset'), pick(['0', '0', 'x']), ...scanOpts(false)],
    randomkey: () => [],
    srandmember: () => [key('set'), ...opt(0.7, num(COUNTS))],
    hrandfield: () => [key('hash'), ...(chance(0.7) ? [num(COUNTS), ...opt(0.5, 'WITHVALUES')] : [])],
    zrandmember: () => [key('zset'), ...(chance(0.7) ? [num(COUNTS), ...opt(0.5, 'WITHSCORES')] : [])],
    xpending: () => [
      key('stream'),
      pick(['g', 'readers', 'nogroup']),
      ...(chance(0.5) ? [...opt(0.3, 'IDLE', num(['0', '10'])), xid(), xid(), num(['1', '10', '0', '-1']), ...opt(0.4, pick(['alice', 'bob', 'none']))] : []),
    ],
    select: () => [pick(['0', '0', '0', '1', '5', '16', '-1', 'x'])],
    auth: () => [pick(['x', 'default'])],
    command: () =>
      chance(0.5)
        ? ['INFO', ...some(() => pick(['get', 'zrange', 'nosuch', 'GEOSEARCH', 'sort_ro']), 2)]
        : ['GETKEYS', ...pick([['GET', 'a'], ['MGET', 'a', 'b'], ['ZUNION', '2', 'a', 'b'], ['SORT_RO', 'a'], ['NOSUCH'], ['GET']])],
  };
  /** ZUNION's and ZINTER's numkeys and keys: sorted sets that share members (some scored 0) and sets, mostly. */
  function algebraKeys(): string[] {
    const ks = some(() => (chance(0.9) ? pick(['z:small', 'z:lex', 'z:inf', 'z:big', 'set:int', 'set:small']) : key()), 3);
    return [chance(0.9) ? String(ks.length) : pick(['0', '-1', '9', 'x']), ...ks];
  }
  /** ZUNION's and ZINTER's keys, then WEIGHTS (one a key, mostly: -1 and 0 make -0 and ties), AGGREGATE, WITHSCORES. */
  function zsetOps(keys: string[]): string[] {
    const n = Number(keys[0]);
    const weights = Array.from({ length: Number.isInteger(n) && n > 0 && chance(0.9) ? n : 1 }, () => num(['1', '2', '-1', '0', '0.5', 'inf', '-inf']));
    return [...keys, ...opt(0.4, 'WEIGHTS', ...weights), ...opt(0.5, 'AGGREGATE', pick(['SUM', 'MIN', 'MAX', 'AVG'])), ...opt(0.6, 'WITHSCORES')];
  }
  const UNORDERED = new Set(['smembers', 'sinter', 'sunion', 'sdiff', 'hgetall', 'hkeys', 'hvals', 'keys']);
  const RANDOM = new Set(['randomkey', 'srandmember', 'hrandfield', 'zrandmember']);
  const names = Object.keys(R);
  return {
    rnd,
    next(): Generated {
      const name = pick(names);
      let args = R[name]!();
      // Wrong arity and stray words: the last argument dropped, or one more.
      // (Not COMMAND: COMMAND INFO alone lists every command, and serve answers fewer than the server; not HELLO: alone it
      // names the connection's id; not PFCOUNT: of one key it rewrites that key's cached count on 7.0.)
      if (!['command', 'hello', 'pfcount'].includes(name) && chance(0.06)) args = args.slice(0, -1);
      else if (chance(0.04)) args = [...args, pick(['x', '1', 'WITHSCORES', ''])];
      const upper = chance(0.8) ? name.toUpperCase() : name;
      // No ALPHA BY a pattern of a set, nor with LIMIT: values that tie (missing ones) keep the order of a set's table,
      // which a server's seed sets, and under LIMIT 7.0 sorts with its partial quicksort (pqsort.c), which does not keep
      // the order of ties (serve's sort does): equal values' order is left out of the comparison.
      if (name === 'sort_ro' && args.includes('BY') && !args.includes('nosort') && (FUZZ_KEYS.set.includes(args[0] as never) || args.includes('LIMIT')))
        args = args.filter((a) => a !== 'ALPHA');
      const kind: Generated['kind'] = UNORDERED.has(name)
        ? 'set'
        : RANDOM.has(name)
          ? 'random'
          : name.endsWith('scan')
            ? 'scan'
            : name === 'dump'
              ? 'dump'
              : name === 'ttl' || name === 'pttl'
                ? 'ttl'
                : name === 'xpending' || name === 'xinfo'
                  ? 'idle'
                  : name === 'sort_ro' && args.includes('nosort') && !args.includes('LIMIT')
                    ? 'set'
                    : 'exact';
      return { args: [upper, ...args], kind };
    },
  };
}

/** Writes the differential test's data: every type and encoding a redis-server 7.0 writes, TTLs, three databases. */
export async function writeFuzzDataset(c: Redis): Promise<void> {
  const b = (s: string): Buffer => Buffer.from(s, 'latin1');
  const p = c.pipeline();
  for (const [k, v] of Object.entries({
    's:embstr': 'hello',
    's:int': '12345',
    's:neg': '-7',
    's:raw': 'r'.repeat(100),
    's:empty': '',
    's:max': '9223372036854775807',
    's:float': '3.14',
    's:lcs1': 'ohmytext',
    's:lcs2': 'mynewtext',
    's:44': 'y'.repeat(44),
    's:45': 'y'.repeat(45),
  }))
    p.set(k, v);
  p.set('s:bits', b('\xff\x0f\xa5\x00\x81'));
  p.set(b(BIN), b(BIN));
  p.set('s:bin', b('\x00a\xffb'));
  p.pfadd('hll', 'a', 'b', 'c', 'd');
  p.pfadd('hll:counted', 'a', 'b', 'c', 'd', 'e');
  p.rpush('l:small', 'a', 'b', 'c', '1', '2', 'a', '', 'c');
  p.rpush('l:big', ...Array.from({ length: 300 }, (_, i) => `item-${i}-${'z'.repeat(i % 50)}`));
  p.rpush('l:num', '3', '1', '2', '10', '-5', '2');
  p.rpush('l:bin', b(BIN), '', b('\xff'));
  // Many quicklist nodes, integers among the elements (a listpack stores them as integers).
  p.rpush('l:long', ...Array.from({ length: 2000 }, (_, i) => (i % 3 === 0 ? String(i - 1000) : `e${i}`)));
  p.hset('h:ints', ...Array.from({ length: 40 }, (_, i) => [String(i * 7 - 100), String(2 ** (i + 20))]).flat());
  // An intset of 64-bit members.
  p.sadd('set:ints', ...Array.from({ length: 300 }, (_, i) => String((i - 150) * 61_000_000_007)));
  p.hset('h:small', 'f1', 'v1', 'a', '1', '', 'empty-field', 'e', '');
  p.hset('h:big', ...Array.from({ length: 600 }, (_, i) => [`f${i}`, `v${i}`]).flat());
  p.hset('h:long', 'a', 'v'.repeat(100), 'b', '2');
  p.hset('h:bin', b(BIN), b(BIN), 'x', b('\x00'));
  p.sadd('set:int', '3', '1', '2', '-5');
  p.sadd('set:small', 'x', 'y', 'z', '', 'a');
  p.sadd('set:big', ...Array.from({ length: 600 }, (_, i) => `m${i}`));
  p.sadd('set:other', 'y', 'z', 'w', '1', 'm7');
  p.sadd('set:bin', b(BIN), 'a', b('\xff'));
  // `d` and `z` score 0 here as in z:lex and z:inf: weights of both signs make 0 and -0 meet in ZUNION and ZINTER.
  p.zadd('z:small', '1', 'a', '2', 'b', '2', 'c', 'inf', 'x', '-inf', 'y', '-3', '', '1.5', 'e', '0', 'd', '-0', 'z');
  p.zadd('z:big', ...Array.from({ length: 200 }, (_, i) => [i % 11 === 0 ? 'inf' : i % 13 === 0 ? '-inf' : String(Math.floor(i / 3)), `m${i}`]).flat());
  p.zadd('z:lex', '0', 'e', '0', 'a', '0', 'c', '0', 'b', '0', 'd', '0', '', '0', b('\xff'));
  p.zadd('z:inf', 'inf', 'a', 'inf', 'b', '-inf', 'c', '0', 'z');
  p.geoadd('geo', '13.361389', '38.115556', 'Palermo', '15.087269', '37.502669', 'Catania', '-179.9', '85', 'edge');
  p.xadd('x:s', '1-1', 'f', 'v');
  p.xadd('x:s', '2-1', 'g', 'w', 'h', 'x');
  p.xadd('x:s', '3-0', 'f', 'u');
  p.xadd('x:s', '5-7', 'f', 'last');
  p.xdel('x:s', '3-0');
  p.xgroup('CREATE', 'x:s', 'readers', '1-1');
  p.xgroup('CREATE', 'x:empty', 'g', '$', 'MKSTREAM');
  for (let i = 1; i <= 4; i++) p.xadd('x:g', `${i}-0`, 'f', String(i));
  p.xgroup('CREATE', 'x:g', 'g', '0');
  p.xreadgroup('GROUP', 'g', 'alice', 'COUNT', '2', 'STREAMS', 'x:g', '>');
  p.xreadgroup('GROUP', 'g', 'bob', 'COUNT', '1', 'STREAMS', 'x:g', '>');
  p.set('ttl:s', 'v', 'EX', 100000);
  p.hset('ttl:h', 'a', '1');
  p.pexpireat('ttl:h', 4_102_444_800_700);
  p.set('gone', 'soon', 'PX', 1);
  for (let i = 0; i < 20; i++) p.set(`w_${i}`, String(20 - i));
  p.select(1);
  p.set('db1:key', 'one');
  p.sadd('db1:set', 'a', 'b');
  p.zadd('z:small', '5', 'only');
  p.select(5);
  p.hset('db5:h', 'a', 'b');
  p.set('s:embstr', 'in db5');
  p.select(0);
  await p.exec();
  await new Promise((r) => setTimeout(r, 20));
}

/**
 * {@link writeFuzzDataset}'s point served beside a redis-server loaded from it (`reference`), its writer made a
 * read-only replica of a closed port (`writer`: it keeps its data and refuses writes as a 7.0 replica does).
 */
export async function fuzzPoint(): Promise<ServedBeside> {
  const point = await serveBeside(writeFuzzDataset);
  const c = point.writer.client();
  await c.config('SET', 'replica-read-only', 'yes');
  await c.call('REPLICAOF', '127.0.0.1', String(await closedLoopbackPort()));
  return point;
}
