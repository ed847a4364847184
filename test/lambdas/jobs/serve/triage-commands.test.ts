/**
 * What an on-call engineer types at a served point (issue 56): OBJECT,
 * RANDOMKEY and the random members, against a redis-server 7.0 loaded from
 * the same file. The file is written by a server whose compact-encoding
 * thresholds are larger than the defaults (a listpack of 300 fields, an
 * intset of 600 members), so the encoding the loading server gives differs
 * from the one the file stores; the random replies are compared by their
 * shape, count and membership, never their order.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Serving } from '../../../../lambdas/jobs/serve/serve.js';
import { parseReply, rawReplies, serveBeside, type ServedBeside } from '../../../support/serve-parity.js';
import { writeServeDataset, writeStreamGroups } from '../../../support/serve-dataset.js';
import type { RedisServer } from '../../../support/redis-server.js';

/** The writer's thresholds: larger than 7.0's defaults (128 entries, 64 bytes, 512 intset members). */
const WIDE = [
  ...['hash-max-listpack-entries', 'hash-max-listpack-value', 'zset-max-listpack-entries', 'zset-max-listpack-value'].flatMap((k) => [`--${k}`, '1000']),
  ...['--set-max-intset-entries', '2000'],
];

let point: ServedBeside;
let writer: RedisServer;
let reference: RedisServer;
let serving: Serving;

beforeAll(async () => {
  point = await serveBeside(async (c) => {
    await writeServeDataset(c);
    await writeStreamGroups(c);
    const p = c.pipeline();
    // Strings at each edge of 7.0's encodings: int (64-bit, canonical), embstr (44 bytes), raw; shared integers 0–9999.
    for (const [k, v] of Object.entries({
      'e:zero': '0',
      'e:9999': '9999',
      'e:10000': '10000',
      'e:neg': '-1',
      'e:lead0': '007',
      'e:minus0': '-0',
      'e:plus': '+5',
      'e:max': '9223372036854775807',
      'e:over': '9223372036854775808',
      'e:min': '-9223372036854775808',
      'e:44': 'y'.repeat(44),
      'e:45': 'y'.repeat(45),
      'e:lzf30': 'z'.repeat(30),
      'e:lzf100': 'z'.repeat(100),
      'e:empty': '',
    }))
      p.set(k, v);
    // Over 64 KiB, plain (random bytes do not compress): GETRANGE reads only its range from the file.
    p.set('e:plain', randomBytes(100_000));
    p.hset('e:h:long', 'f', 'v'.repeat(100));
    p.zadd('e:z:long', '1', 'm'.repeat(100));
    p.zadd('e:z:128', ...Array.from({ length: 128 }, (_, i) => [String(i), `m${i}`]).flat());
    p.zadd('e:z:129', ...Array.from({ length: 129 }, (_, i) => [String(i), `m${i}`]).flat());
    p.hset('e:h:128', ...Array.from({ length: 128 }, (_, i) => [`f${i}`, 'v']).flat());
    p.hset('e:h:129', ...Array.from({ length: 129 }, (_, i) => [`f${i}`, 'v']).flat());
    p.sadd('e:s:512', ...Array.from({ length: 512 }, (_, i) => String(i)));
    p.sadd('e:s:513', ...Array.from({ length: 513 }, (_, i) => String(i)));
    p.sadd('e:s:big-int', '1', '99999999999999999999');
    await p.exec();
  }, WIDE);
  ({ writer, reference, serving } = point);
}, 60_000);

afterAll(async () => {
  await point?.close();
});

const replies = rawReplies;
const compare = (cmds: readonly string[][], proto: 2 | 3 = 2): Promise<void> => point.compare(cmds, proto);
const parse = parseReply;

describe('OBJECT, as the server that loads the point answers it', () => {
  const keys = async (): Promise<string[]> => {
    const [all] = await replies(reference.port, [['KEYS', '*']]);
    return parse(all!) as string[];
  };

  it.each([2, 3] as const)('ENCODING and REFCOUNT of every key of database 0, and a missing one (RESP%d)', async (proto) => {
    const names = await keys();
    expect(names.length).toBeGreaterThan(80);
    await compare(
      [...names, 'nope'].flatMap((k) => [
        ['OBJECT', 'ENCODING', k],
        ['OBJECT', 'REFCOUNT', k],
      ]),
      proto,
    );
  });

  it('the loaded encoding differs from the stored one where the writer thresholds were larger (negative: not the file encoding)', async () => {
    const asked = [
      ['OBJECT', 'ENCODING', 'e:s:513'],
      ['OBJECT', 'ENCODING', 'e:z:129'],
      ['OBJECT', 'ENCODING', 'hash:big'],
    ];
    const stored = await replies(writer.port, asked);
    expect(stored).toEqual(['$6\r\nintset\r\n', '$8\r\nlistpack\r\n', '$8\r\nlistpack\r\n']);
    // A hash listpack of 300 fields stays one on 7.0.15 (its threshold is 512); a sorted set of 129 and an intset of 513 do not.
    expect(await replies(serving.port, asked)).toEqual(['$9\r\nhashtable\r\n', '$8\r\nskiplist\r\n', '$8\r\nlistpack\r\n']);
    // The scans follow the loaded encoding: the intset of 513 and the sorted set of 129 are paged (a cursor), not answered whole.
    for (const port of [reference.port, serving.port]) {
      const [sscan, zscan, hscan] = (
        await replies(port, [
          ['SSCAN', 'e:s:513', '0'],
          ['ZSCAN', 'e:z:129', '0'],
          ['HSCAN', 'hash:big', '0'],
        ])
      ).map((r) => parse(r) as [string, string[]]);
      expect([sscan![0], zscan![0], hscan![0]].map((c) => c === '0')).toEqual([false, false, true]);
      expect(hscan![1].length).toBe(600);
    }
  });

  it.each([
    ['stored as hash tables', '0'],
    ['stored as listpacks', '2000'],
  ])(
    "hashes of 128 to 600 fields %s (hash-max-listpack-entries %s): 7.0's 512-field threshold on load, HSCAN whole or paged as it is",
    async (_, entries) => {
      // 7.0.15's built-in and redis.conf's hash-max-listpack-entries is 512 (zset-max-listpack-entries 128): a hash of up to 512
      // fields loads as a listpack however the file stored it, one of more as a hash table (serve held hashes to 128 before).
      const sizes = [128, 129, 300, 512, 513, 600];
      const hashes = await serveBeside(
        async (c) => {
          for (const n of sizes) await c.hset(`h${n}`, ...Array.from({ length: n }, (_, i) => [`f${i}`, 'v']).flat());
        },
        ['--hash-max-listpack-entries', entries],
      );
      try {
        await hashes.compare(sizes.map((n) => ['OBJECT', 'ENCODING', `h${n}`]));
        // Answered whole (cursor 0) as a listpack, paged as a hash table; the order of a table's page is not compared.
        const cursors = async (port: number) =>
          (
            await rawReplies(
              port,
              sizes.map((n) => ['HSCAN', `h${n}`, '0']),
            )
          ).map((r) => (parseReply(r) as [string])[0] === '0');
        expect(await cursors(hashes.serving.port)).toEqual(await cursors(hashes.reference.port));
        expect(await cursors(hashes.reference.port)).toEqual([true, true, true, true, false, false]); // negative: both kinds met
      } finally {
        await hashes.close();
      }
    },
    60_000,
  );

  it('FREQ, HELP, the arity and unknown-subcommand errors as 7.0; IDLETIME refused in words', async () => {
    await compare([
      ['OBJECT', 'FREQ', 'str'],
      ['OBJECT', 'FREQ', 'nope'],
      ['OBJECT', 'IDLETIME', 'nope'],
      ['OBJECT', 'HELP'],
      ['OBJECT', 'help', 'x'],
      ['OBJECT', 'ENCODING'],
      ['OBJECT', 'ENCODING', 'str', 'x'],
      ['OBJECT', 'NOSUCH', 'str'],
      ['OBJECT'],
      ['COMMAND', 'INFO', 'randomkey', 'srandmember', 'hrandfield', 'zrandmember'],
      ['COMMAND', 'GETKEYS', 'OBJECT', 'ENCODING', 'str'],
    ]);
    const [idle] = await replies(serving.port, [['OBJECT', 'IDLETIME', 'str']]);
    expect(idle).toMatch(/^-ERR OBJECT IDLETIME is not served from a recovery point: .*LRU policy/);
  });
});

describe('STRLEN and GETRANGE from the string header and a range of its bytes in the file', () => {
  it.each([2, 3] as const)('answer every string of the edges as 7.0 (RESP%d)', async (proto) => {
    const strings = ['e:zero', 'e:9999', 'e:neg', 'e:max', 'e:min', 'e:over', 'e:44', 'e:45', 'e:lzf30', 'e:lzf100', 'e:empty', 'e:plain', 'long'];
    const ranges = [
      ['0', '-1'],
      ['1', '3'],
      ['-3', '-1'],
      ['99990', '100010'],
      ['-100010', '5'],
      ['50000', '40000'],
      ['-1', '-2'],
      ['100000', '100000'],
    ];
    await compare(
      strings.flatMap((k) => [['STRLEN', k], ...ranges.map((r) => ['GETRANGE', k, ...r])]),
      proto,
    );
  });
});

describe('RANDOMKEY and the random members: shape, count and membership as 7.0, never the order', () => {
  it('RANDOMKEY names a live key of the session database; an empty database answers null; arity as 7.0', async () => {
    const live = new Set(parse((await replies(reference.port, [['KEYS', '*']]))[0]!) as string[]);
    const picks = (
      await replies(
        serving.port,
        Array.from({ length: 50 }, () => ['RANDOMKEY']),
      )
    ).map((r) => parse(r) as string);
    for (const k of picks) expect(live.has(k), k).toBe(true);
    expect(new Set(picks).size).toBeGreaterThan(5);
    // The expired key `gone` is in the file: never picked.
    expect(picks).not.toContain('gone');
    await compare([['SELECT', '9'], ['RANDOMKEY'], ['RANDOMKEY', 'x']]);
    await compare([['SELECT', '9'], ['RANDOMKEY']], 3);
  });

  const members = async (cmd: string[]): Promise<string[]> => parse((await replies(reference.port, [cmd]))[0]!) as string[];

  it.each([2, 3] as const)('SRANDMEMBER, HRANDFIELD, ZRANDMEMBER with and without counts, negative ones and the paired forms (RESP%d)', async (proto) => {
    const cases: { cmd: string[]; all: string[]; count: number; unique: boolean; pairs: boolean }[] = [];
    const setAll = await members(['SMEMBERS', 'set:small']);
    const hashAll = await members(['HKEYS', 'hash:big']);
    const hashPairs = await members(['HGETALL', 'hash:big']);
    const zAll = await members(['ZRANGE', 'zset:small', '0', '-1']);
    const zPairs = await members(['ZRANGE', 'zset:small', '0', '-1', 'WITHSCORES']);
    const pairsOf = (flat: string[]): string[] => flat.flatMap((x, i) => (i % 2 === 0 ? [`${x}=${flat[i + 1]}`] : []));
    for (const [key, cmd, all, paired, word] of [
      ['set:small', 'SRANDMEMBER', setAll, undefined, undefined],
      ['hash:big', 'HRANDFIELD', hashAll, pairsOf(hashPairs), 'WITHVALUES'],
      ['zset:small', 'ZRANDMEMBER', zAll, pairsOf(zPairs), 'WITHSCORES'],
    ] as const) {
      for (const n of [1, 2, 3, 1000, -1, -5, -1000]) {
        cases.push({ cmd: [cmd, key, String(n)], all: [...all], count: n > 0 ? Math.min(n, all.length) : -n, unique: n > 0, pairs: false });
        if (word && paired)
          cases.push({ cmd: [cmd, key, String(n), word], all: [...paired], count: n > 0 ? Math.min(n, all.length) : -n, unique: n > 0, pairs: true });
      }
    }
    const ref = await replies(
      reference.port,
      cases.map((c) => c.cmd),
      proto,
    );
    const served = await replies(
      serving.port,
      cases.map((c) => c.cmd),
      proto,
    );
    const items = (r: unknown, pairs: boolean): string[] => {
      const a = r as unknown[];
      if (!pairs) return a as string[];
      // RESP3: each pick a [member, value] pair; RESP2 flat. Scores in RESP3 are doubles, in RESP2 bulks: the text is the same.
      const flat = proto === 3 ? (a as string[][]).flat() : (a as string[]);
      return flat.flatMap((x, i) => (i % 2 === 0 ? [`${x}=${flat[i + 1]}`] : []));
    };
    // Each pick's membership and each reply's distinctness gathered, every one that fails named, and held empty once:
    // an expect() a pick was about 11,000 a protocol (each a search of the whole's up to 1,000 members).
    const failed: string[] = [];
    for (let i = 0; i < cases.length; i++) {
      const c = cases[i]!;
      const label = c.cmd.join(' ');
      const whole = new Set(c.all);
      // The same reply shape: the first bytes of each item's header (`*n`, pairs `*2`, `$`, `,`).
      expect([label, served[i]!.replace(/\r\n[\s\S]*/, '')]).toEqual([label, ref[i]!.replace(/\r\n[\s\S]*/, '')]);
      for (const [who, reply] of [
        ['served', served[i]!],
        ['reference', ref[i]!],
      ] as const) {
        const got = items(parse(reply), c.pairs);
        expect([label, who, got.length]).toEqual([label, who, c.count]);
        for (const x of got) if (!whole.has(x)) failed.push(`${label} ${who}: ${x} is not in the whole`);
        if (c.unique && new Set(got).size !== got.length) failed.push(`${label} ${who}: ${got.length} picks, ${new Set(got).size} distinct`);
      }
      if (c.unique && c.count === c.all.length) expect(new Set(items(parse(served[i]!), c.pairs))).toEqual(whole);
    }
    expect(failed).toEqual([]);
    // One pick without a count: a member of the whole.
    for (const [cmd, key, all] of [
      ['SRANDMEMBER', 'set:small', setAll],
      ['HRANDFIELD', 'hash:big', hashAll],
      ['ZRANDMEMBER', 'zset:small', zAll],
    ] as const)
      expect(all).toContain(parse((await replies(serving.port, [[cmd, key]], proto))[0]!));
  });

  it.each([2, 3] as const)('their errors, missing keys, wrong types and zero counts byte for byte (RESP%d)', async (proto) => {
    const cmds: string[][] = [];
    for (const [cmd, key, word] of [
      ['SRANDMEMBER', 'set:small', 'WITHVALUES'],
      ['HRANDFIELD', 'hash:small', 'WITHVALUES'],
      ['ZRANDMEMBER', 'zset:small', 'WITHSCORES'],
    ] as const)
      cmds.push(
        [cmd],
        [cmd, 'nope'],
        [cmd, 'nope', '3'],
        [cmd, 'nope', '-3'],
        [cmd, 'nope', 'x'],
        [cmd, 'str'],
        [cmd, 'str', '0'],
        [cmd, key, '0'],
        [cmd, key, '0', word],
        [cmd, key, 'x'],
        [cmd, key, 'x', 'foo'],
        [cmd, key, '1', 'foo'],
        [cmd, key, '1', word, 'x'],
        [cmd, key, '-9223372036854775808'],
        [cmd, key, '9223372036854775808'],
        [cmd, key, '-4611686018427387904', word],
        [cmd, key, '4611686018427387904', word],
        [cmd, 'nope', '1', word],
        [cmd, key, '1', word.toLowerCase().slice(0, -1)],
      );
    await compare(cmds, proto);
  });

  it('negative: a count past what a reply holds here is refused in words (7.0 tries to build it and runs out of memory)', async () => {
    const [r] = await replies(serving.port, [['SRANDMEMBER', 'set:small', '-9223372036854775807']]);
    expect(r).toMatch(/^-ERR redis-dr serve answers at most 16777216 random picks/);
    const [over] = await replies(serving.port, [['SRANDMEMBER', 'set:small', '-16777217']]);
    expect(over).toMatch(/^-ERR redis-dr serve answers at most 16777216 random picks/);
    const [ok] = await replies(serving.port, [['SRANDMEMBER', 'set:small', '-100000']]);
    expect(ok.startsWith('*100000\r\n')).toBe(true);
  });
});
