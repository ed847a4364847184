/**
 * What serve's differential test (differential.test.ts: generated commands
 * against redis-server 7.0) found, one case list per fix, each against the
 * same file's redis-server byte for byte in RESP2 and RESP3: the reads
 * against a server loaded from it, the writes against a read-only replica
 * (the writer made a replica of a closed port; it keeps its data), the
 * READONLY line compared by its code (a replica names itself, serve the
 * recovery point).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertRdb, convertTarget } from '../../../../lambdas/jobs/keys/convert-rdb.js';
import { startServing } from '../../../../lambdas/jobs/serve/serve.js';
import { startRedisServer } from '../../../support/redis-server.js';
import { fuzzPoint } from '../../../support/serve-fuzz.js';
import { parseReply, rawReplies, readonlyCode, type ServedBeside } from '../../../support/serve-parity.js';

let point: ServedBeside;

beforeAll(async () => {
  point = await fuzzPoint();
}, 60_000);

afterAll(async () => {
  await point?.close();
});

/** The raw replies of `port` to `cmds` (latin1 arguments) on one connection speaking `proto`, a READONLY line cut to its code. */
const replies = async (port: number, cmds: readonly (readonly string[])[], proto: 2 | 3): Promise<string[]> =>
  (
    await rawReplies(
      port,
      cmds.map((c) => c.map((a) => Buffer.from(a, 'latin1'))),
      proto,
    )
  ).map(readonlyCode);

/** `cmds` answered by serve as by the server at `port`, in RESP2 and RESP3. */
async function sameAs(port: number, cmds: readonly (readonly string[])[]): Promise<void> {
  for (const proto of [2, 3] as const) {
    const [ref, served] = [await replies(port, cmds, proto), await replies(point.serving.port, cmds, proto)];
    expect(cmds.map((c, i) => [proto, JSON.stringify(c), served[i]])).toEqual(cmds.map((c, i) => [proto, JSON.stringify(c), ref[i]]));
  }
}

describe('writes, as a read-only redis-server 7.0 replica answers them', () => {
  it("a wrong number of arguments before READONLY (was READONLY); a container's unknown subcommand and its subcommand's own arity", async () => {
    const cmds = [
      ['SET'],
      ['set', 'k'],
      ['SET', 'k', 'v'],
      ['HSET', 'h:small', 'f'],
      ['HSET', 'h:small', 'f', 'v'],
      ['lpop'],
      ['ZPOPMIN'],
      ['LSET', 'l:small', '0'],
      ['RESTORE', 'k', '0'],
      ['FLUSHALL', 'x', 'y'],
      ['SWAPDB', '0'],
      ['GETDEL', 'a', 'b'],
      ['XGROUP'],
      ['XGROUP', 'CREATE', 'x:g'],
      ['xgroup', 'create', 'x:g', 'g2', '$'],
      ['XGROUP', 'NOSUCH', 'x:g'],
      ['XGROUP', 'DESTROY', 'x:g'],
      ['XGROUP', 'SETID', 'x:g', 'g', '0', 'ENTRIESREAD'],
      ['XADD', 'x:g', '*'],
      ['GEORADIUS', 'geo', '15', '37'],
      ['SORT'],
      ['PFMERGE'],
    ];
    await sameAs(point.writer.port, cmds);
    // Negative: the writes with enough arguments are refused as READONLY on both (never run).
    const [ok] = await replies(point.serving.port, [['SET', 'k', 'v']], 2);
    expect(ok).toBe('-READONLY\r\n');
    expect(
      await replies(
        point.serving.port,
        [
          ['GET', 'k'],
          ['XINFO', 'GROUPS', 'x:g'],
        ],
        2,
      ),
    ).toEqual(
      await replies(
        point.reference.port,
        [
          ['GET', 'k'],
          ['XINFO', 'GROUPS', 'x:g'],
        ],
        2,
      ),
    );
  });
});

describe('what a read-only redis-server 7.0 replica answers that is no write', () => {
  it("XGROUP, FUNCTION and SCRIPT HELP: the help text (was READONLY), also queued in MULTI; with more arguments the subcommand's arity error", async () => {
    await sameAs(point.writer.port, [
      ['XGROUP', 'HELP'],
      ['function', 'help'],
      ['SCRIPT', 'Help'],
      ['XGROUP', 'HELP', 'x'],
      ['FUNCTION', 'HELP', 'x', 'y'],
      ['MULTI'],
      ['XGROUP', 'HELP'],
      ['SCRIPT', 'HELP'],
      ['EXEC'],
    ]);
    // Negative: the containers' writes are still READONLY on both.
    const cmds = [
      ['XGROUP', 'DESTROY', 'x:g', 'g'],
      ['FUNCTION', 'DELETE', 'lib'],
      ['SCRIPT', 'LOAD', 'return 1'],
    ];
    expect(await replies(point.serving.port, cmds, 2)).toEqual(['-READONLY\r\n', '-READONLY\r\n', '-READONLY\r\n']);
    const ref = await replies(point.writer.port, cmds.slice(0, 2), 2);
    expect(ref).toEqual(['-READONLY\r\n', '-READONLY\r\n']);
  });

  it('HELLO and INFO name the release the point is answered as: the redis-server 7.0 its replies are compared with (was 7.0.0)', async () => {
    const fieldsOf = (reply: string): Map<unknown, unknown> => {
      const kv = parseReply(reply) as unknown[];
      return new Map(Array.from({ length: kv.length / 2 }, (_, i) => [kv[2 * i], kv[2 * i + 1]]));
    };
    const [served, ref] = [
      await rawReplies(point.serving.port, [['HELLO'], ['INFO', 'server']]),
      await rawReplies(point.reference.port, [['HELLO'], ['INFO', 'server']]),
    ];
    expect(fieldsOf(ref[0]!).get('version')).toMatch(/^7\.0\.\d+$/);
    expect(fieldsOf(served[0]!).get('version')).toBe(fieldsOf(ref[0]!).get('version'));
    const version = (info: string) => /redis_version:(\S+)/.exec(info)?.[1];
    expect(version(served[1]!)).toBe(version(ref[1]!));
  });
});

describe('LPOS RANK at the edge of 64 bits, as 7.0 reads it (rev37)', () => {
  it('-LONG_MAX and its neighbours are ranks never reached (nil, []) where LONG_MIN overflows to the first match from the tail (was: all read as LONG_MIN, a double)', async () => {
    const ranks = ['-9223372036854775808', '-9223372036854775807', '-9223372036854775806', '-9223372036854775000', '9223372036854775807'];
    const cmds = ranks.flatMap((r) => [
      ['LPOS', 'l:small', 'a', 'RANK', r],
      ['LPOS', 'l:small', 'a', 'RANK', r, 'COUNT', '0'],
      ['LPOS', 'l:small', 'a', 'RANK', r, 'COUNT', '2', 'MAXLEN', '3'],
    ]);
    await sameAs(point.reference.port, cmds);
  });
});

describe('before AUTH, as redis-server 7.0 with requirepass answers (rev37)', () => {
  // HELLO that would succeed is left out: its map names the connection's id, which differs.
  const cmds = [
    ['HELLO'],
    ['HELLO', '3'],
    ['HELLO', '2', 'SETNAME', 'x'],
    ['GET', 's:int'],
    ['RESET'],
    ['PING'],
    ['AUTH', 'wrong'],
    ['AUTH', 'default', 'wrong'],
    ['AUTH', 'a', 'b', 'c'],
    ['HELLO', '3', 'AUTH', 'default', 'wrong'],
    ['AUTH', 's3cret'],
    ['GET', 's:int'],
    ['RESET'],
    ['GET', 's:int'],
    ['QUIT'],
  ];

  it("HELLO's NOAUTH line suggests 7.0's usage, HELLO AUTH <user> <pass> (was 7.2's, HELLO <proto> AUTH …); RESET is answered (was NOAUTH) and leaves the client to AUTH again", async () => {
    const reference = await startRedisServer({ loadRdb: point.file, password: 's3cret' });
    const guarded = await startServing({ location: point.file, port: 0, password: 's3cret' });
    try {
      const ref = await rawReplies(reference.port, cmds);
      expect(ref[0]).toMatch(/otherwise the HELLO AUTH <user> <pass> option/);
      expect(ref[4]).toBe('+RESET\r\n');
      expect((await rawReplies(guarded.port, cmds)).map((r, i) => [cmds[i]!.join(' '), r])).toEqual(ref.map((r, i) => [cmds[i]!.join(' '), r]));
    } finally {
      await guarded.close();
      await reference.stop();
    }
  });

  it("a point of Redis 7.2 (RDB 11) suggests 7.2's usage, HELLO <proto> AUTH <user> <pass> (redis/redis#11809)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'redis-dr-hello-72-'));
    const v11 = join(dir, 'v11.rdb');
    await convertRdb({ input: point.file, output: v11, ...convertTarget({ for: 'redis-7.2' }) });
    const guarded = await startServing({ location: v11, port: 0, password: 's3cret' });
    try {
      expect(await rawReplies(guarded.port, [['HELLO']])).toEqual([
        '-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time\r\n',
      ]);
    } finally {
      await guarded.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("error lines that echo a client's bytes, as 7.0 prints them (%s: cut at a NUL; the bytes as they came)", () => {
  const BIN = '\x00\xff\r\nb';
  it('unknown commands and subcommands, HELLO options and NOGROUP errors (were: past a NUL, a byte over 0x7f UTF-8-encoded, 16 arguments of 128 bytes each)', async () => {
    await sameAs(point.reference.port, [
      ['HTTL', 'h:small', 'FIELDS', '1', BIN],
      ['NOSUCH', `a\xffb`, `c\x00d`, '\xe9'],
      [`NO\x00SUCH`, 'x'],
      ['\xff'.repeat(200)],
      ['NOSUCH', 'a'.repeat(100), 'b'.repeat(50), 'c'],
      ['NOSUCH', ...'abcdefghijklmnopqrstuvwxyz'],
      ['NOSUCH', 'x'.repeat(127), 'y', 'z'],
      ['XINFO', `NO\xffSUCH\x00x`, 'x:g'],
      ['OBJECT', `\xe9t\x00e`, 'x'],
      ['CLIENT', '\xff\x00'],
      ['COMMAND', '\xffx'],
      ['CONFIG', '\xe9'],
      ['HELLO', '3', 'FOO'],
      ['HELLO', '2', `\xe9\x00x`],
      ['XPENDING', `no\xff\x00key`, `g\xe9`],
      ['XPENDING', 'x:g', `no\xffgroup\x00x`],
      ['XINFO', 'CONSUMERS', 'x:g', `\xffgroup`],
      ['MULTI'],
      ['NOSUCH', '\xff'],
      ['EXEC'],
    ]);
    await sameAs(point.writer.port, [['XGROUP', `\xe9\x00x`, 'x:g']]);
  });
});

describe('the order 7.0 checks a read in: the key before its arguments', () => {
  it('HSCAN, SSCAN, ZSCAN: the cursor, the key (missing: an empty scan; WRONGTYPE), then MATCH and COUNT (were: a syntax error first)', async () => {
    const cmds = ['HSCAN', 'SSCAN', 'ZSCAN'].flatMap((c) => [
      [c, 'nokey', '0', 'COUNT', '0'],
      [c, 'nokey', '0', 'COUNT', '-1'],
      [c, 'nokey', '0', 'COUNT', 'x'],
      [c, 'nokey', '0', 'BOGUS'],
      [c, 'nokey', '0', 'MATCH'],
      [c, 'nokey', 'x', 'COUNT', '0'],
      [c, 'l:small', '0', 'COUNT', '0'],
      [c, 's:int', '0', 'NOVALUES'],
      [c, 's:int', 'x'],
      [c, c === 'HSCAN' ? 'h:small' : c === 'SSCAN' ? 'set:int' : 'z:small', '0', 'COUNT', '0'],
    ]);
    await sameAs(point.reference.port, cmds);
  });

  it('LINDEX: the key (missing: null; WRONGTYPE), then the index (was: a bad index an error before the key)', async () => {
    await sameAs(
      point.reference.port,
      ['x', '1.5', '', ' 1', '0x10', '99999999999999999999', '1'].flatMap((i) => [
        ['LINDEX', 'nokey', i],
        ['LINDEX', 's:int', i],
        ['LINDEX', 'l:small', i],
      ]),
    );
  });

  it('BITCOUNT: a negative range that is empty is 0 before the unit is read, as 7.0.15 answers (was: a wrong unit a syntax error)', async () => {
    await sameAs(point.reference.port, [
      ['BITCOUNT', 's:44', '-1', '-2', 'x'],
      ['BITCOUNT', 's:44', '-301', '-9223372036854775808', '1'],
      ['BITCOUNT', 's:44', '-2', '-1', 'x'],
      ['BITCOUNT', 's:44', '1', '2', 'x'],
      ['BITCOUNT', 's:44', '-1', '-2', 'BIT'],
      ['BITCOUNT', 's:44', '-1', '-2', '3', '4'],
      ['BITCOUNT', 's:44', 'x', '-2', 'y'],
      ['BITCOUNT', 'nokey', 'x', '2', 'y'],
      ['BITCOUNT', 'l:small', '-1', '-2', 'x'],
    ]);
  });
});

describe('SORT_RO ALPHA compares C strings, as 7.0 (strcoll)', () => {
  it('an element or BY value up to its first NUL: one that starts with a NUL ties with the empty one and keeps its place (was: after it)', async () => {
    await sameAs(point.reference.port, [
      ['SORT_RO', 'l:bin', 'ALPHA'],
      ['SORT_RO', 'l:bin', 'ALPHA', 'DESC'],
      ['SORT_RO', 'l:bin', 'BY', 'nosuch_*', 'ALPHA'],
      ['SORT_RO', 'l:bin', 'BY', '*', 'ALPHA'],
      ['SORT_RO', 'l:bin'],
    ]);
  });
});

describe('ZUNION and ZINTER AGGREGATE MIN and MAX, as 7.0 aggregates', () => {
  it("keep the score so far when the next equals it: of 0 and -0 the first input's (was: the last's)", async () => {
    const cmds = ['ZINTER', 'ZUNION'].flatMap((op) => [
      [op, '2', 'z:lex', 'z:lex', 'WEIGHTS', '2', '-1', 'AGGREGATE', 'MAX', 'WITHSCORES'],
      [op, '2', 'z:lex', 'z:lex', 'WEIGHTS', '-1', '2', 'AGGREGATE', 'MAX', 'WITHSCORES'],
      [op, '2', 'z:lex', 'z:lex', 'WEIGHTS', '-1', '2', 'AGGREGATE', 'MIN', 'WITHSCORES'],
      [op, '2', 'z:lex', 'z:lex', 'WEIGHTS', '2', '-1', 'AGGREGATE', 'MIN', 'WITHSCORES'],
      [op, '2', 'z:lex', 'z:lex', 'WEIGHTS', '-1', '-1', 'WITHSCORES'],
      [op, '2', 'z:small', 'z:inf', 'AGGREGATE', 'MAX', 'WITHSCORES'],
    ]);
    await sameAs(point.reference.port, cmds);
  });
});

describe('ZINTER weights whose product is NaN (0 × inf), as 7.0 aggregates them', () => {
  it("only the first input's weighted score a NaN taken as 0; the others aggregated as they are (was: each taken as 0)", async () => {
    const cmds = ['SUM', 'MIN', 'MAX'].flatMap((how) => [
      ['ZINTER', '2', 'z:inf', 'z:lex', 'WEIGHTS', 'inf', '-inf', 'AGGREGATE', how, 'WITHSCORES'],
      ['ZINTER', '2', 'z:lex', 'z:inf', 'WEIGHTS', '-inf', 'inf', 'AGGREGATE', how, 'WITHSCORES'],
      ['ZINTER', '2', 'z:inf', 'z:lex', 'WEIGHTS', '0', 'inf', 'AGGREGATE', how, 'WITHSCORES'],
      ['ZINTER', '3', 'z:inf', 'z:inf', 'z:lex', 'WEIGHTS', '-inf', '0', 'inf', 'AGGREGATE', how, 'WITHSCORES'],
      ['ZUNION', '2', 'z:inf', 'z:lex', 'WEIGHTS', 'inf', '-inf', 'AGGREGATE', how, 'WITHSCORES'],
    ]);
    await sameAs(point.reference.port, cmds);
  });
});
