/**
 * COMMAND INFO, COMMAND DOCS and the containers' HELP answered as a live
 * redis-server 7.0 answers them, byte for byte, in RESP2 and RESP3, for
 * every command serve answers (from redis-7.0-commands.json, which
 * scripts/write-serve-commands.ts writes from such a server: this test
 * fails while that file is stale, a served command added without running
 * `npm run serve:commands` among them).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_SUBCOMMANDS } from '../../../../lambdas/domain/serve/command-replies.js';
import { type Encoded, NEWER_COMMANDS, parseResp3, sortSubcommands } from '../../../../lambdas/domain/serve/command-table.js';
import { COMMANDS, WRITE_COMMANDS } from '../../../../lambdas/domain/serve/commands.js';
import table from '../../../../lambdas/domain/serve/redis-7.0-commands.json';
import { type Serving, startServing } from '../../../../lambdas/jobs/serve/serve.js';
import { frameFile } from '../../../support/rdb-newer.js';
import { type RedisServer, startRedisServer } from '../../../support/redis-server.js';
import { RawClient } from '../../../support/resp-raw.js';

let reference: RedisServer;
let serving: Serving;
let dir: string;
const served = Object.keys(COMMANDS).filter((n) => !(n in NEWER_COMMANDS));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'redis-dr-serve-command-'));
  const path = join(dir, 'one.rdb');
  writeFileSync(path, frameFile('REDIS0010', [{ db: 0, name: 'k', type: 0, object: Uint8Array.from([1, 0x76]), expireAtMs: null }]));
  reference = await startRedisServer();
  serving = await startServing({ location: path, port: 0 });
}, 60_000);

afterAll(async () => {
  await serving?.close();
  await reference?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * A reply's bytes with the subcommands of each COMMAND INFO or DOCS entry in name order: a server lists them in its
 * dict's order, which its random hash seed makes differ between processes (two 7.0 servers differ there too). Every
 * other byte is compared as it came.
 */
function ordered(raw: string): string {
  const b = Buffer.from(raw, 'latin1');
  const top = parseResp3(b, 0)!.value;
  const entries = Array.isArray(top)
    ? top.map(sortSubcommands)
    : top !== null && typeof top === 'object' && '%' in top
      ? { '%': top['%'].map(sortSubcommands) }
      : top;
  return raw.startsWith('-') || raw.startsWith('+') ? raw : JSON.stringify(entries);
}

/** CLIENT's subcommands serve does not answer (KILL, LIST, …), by 7.0's full names. */
const unservedClient = (name: string): boolean => name.startsWith('client|') && !CLIENT_SUBCOMMANDS.has(name.slice(7));

/**
 * A reference reply of COMMAND INFO or DOCS (as {@link ordered} gives it) without CLIENT's subcommands serve does not
 * answer: serve leaves them out, as a server leaves out what it does not know (review 20).
 */
function withoutUnservedClient(orderedRef: string): string {
  const strip = (e: Encoded): Encoded => {
    if (Array.isArray(e)) {
      if (e[0] === '$client' && e.length >= 10) return e.map((v, i) => (i === 9 ? strip(v) : v));
      // An INFO entry's subcommands ([name, …] each); in RESP2 a DOCS map is a flat array (name, docs, name, docs …).
      const out: Encoded[] = [];
      for (let i = 0; i < e.length; i++) {
        const x = e[i]!;
        // An INFO entry: its name, then its arity.
        if (Array.isArray(x) && typeof x[0] === 'string' && typeof x[1] === 'number' && unservedClient(x[0].slice(1))) continue;
        if (typeof x === 'string' && unservedClient(x.slice(1))) {
          i++;
          continue;
        }
        out.push(strip(x));
      }
      return out;
    }
    if (e !== null && typeof e === 'object' && '~' in e)
      return { '~': e['~'].filter((x) => !(Array.isArray(x) && typeof x[0] === 'string' && unservedClient(x[0].slice(1)))).map(strip) };
    if (e !== null && typeof e === 'object' && '%' in e) {
      const kv = e['%'];
      return { '%': kv.flatMap((k, i) => (i % 2 === 1 || (typeof k === 'string' && unservedClient(k.slice(1))) ? [] : [k, strip(kv[i + 1]!)])) };
    }
    return e;
  };
  return orderedRef.startsWith('-') || orderedRef.startsWith('+') ? orderedRef : JSON.stringify(strip(JSON.parse(orderedRef)));
}

/** The raw replies of the server at `port` to `requests` in `proto`. */
async function replies(port: number, proto: 2 | 3, requests: readonly string[][]): Promise<string[]> {
  const raw = await RawClient.open(port);
  if (proto === 3) await raw.call('HELLO', '3');
  const out: string[] = [];
  for (const r of requests) out.push(await raw.call(...r));
  raw.close();
  return out;
}

describe.each([2, 3] as const)('COMMAND as redis-server 7.0 answers it (RESP%d)', (proto) => {
  it('COMMAND INFO and COMMAND DOCS of every served command: the same bytes', async () => {
    const requests = served.flatMap((n) => [
      ['COMMAND', 'INFO', n],
      ['COMMAND', 'DOCS', n],
    ]);
    const [ref, got] = [await replies(reference.port, proto, requests), await replies(serving.port, proto, requests)];
    expect(served.length).toBeGreaterThan(70);
    // ACL categories and key specs are in it (before: empty sets), and DOCS is not empty.
    expect(ref[requests.findIndex((r) => r[2] === 'get')]).toContain('@string');
    for (let i = 0; i < requests.length; i++) {
      // Byte for byte, but where the server's dict order of subcommands differs (CLIENT's, CONFIG's …): then in name order.
      const same = got[i] === ref[i] || ordered(got[i]!) === withoutUnservedClient(ordered(ref[i]!));
      expect([requests[i]!.join(' '), same ? 'same' : got[i]]).toEqual([requests[i]!.join(' '), same ? 'same' : ref[i]]);
    }
    // The bytes themselves where there are no subcommands.
    expect(got[requests.findIndex((r) => r[1] === 'DOCS' && r[2] === 'zrange')]).toBe(ref[requests.findIndex((r) => r[1] === 'DOCS' && r[2] === 'zrange')]);
  });

  it('subcommands, several names, mixed case, unknown ones, and the containers’ HELP: the same bytes', async () => {
    const requests = [
      ['COMMAND', 'INFO', 'client|setname'],
      ['COMMAND', 'INFO', 'Get', 'nosuch', 'xinfo|groups', 'hgetall'],
      ['COMMAND', 'DOCS', 'xinfo|consumers', 'nosuch', 'ZRANGE'],
      ['COMMAND', 'DOCS', 'nosuch'],
      ['COMMAND', 'HELP'],
      ['COMMAND', 'HELP', 'x'],
      ['XINFO', 'HELP'],
      ['XINFO', 'HELP', 'x'],
      ['CLIENT', 'HELP', 'x'],
      ['CONFIG', 'HELP'],
    ];
    const [ref, got] = [await replies(reference.port, proto, requests), await replies(serving.port, proto, requests)];
    for (let i = 0; i < requests.length; i++) expect([requests[i]!.join(' '), got[i]]).toEqual([requests[i]!.join(' '), ref[i]]);
  });

  it("CLIENT HELP: 7.0's lines of the subcommands serve answers, in 7.0's order (review 20: it listed KILL, LIST, PAUSE …)", async () => {
    const lines = (raw: string): string[] => (parseResp3(Buffer.from(raw, 'latin1'), 0)!.value as string[]).map((l) => String(l).slice(1));
    const [ref, got] = (await Promise.all([replies(reference.port, proto, [['CLIENT', 'HELP']]), replies(serving.port, proto, [['CLIENT', 'HELP']])])).map(
      (r) => lines(r[0]!),
    );
    const expected = [
      'CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
      'GETNAME',
      '    Return the name of the current connection.',
      'ID',
      '    Return the ID of the current connection.',
      'SETNAME <name>',
      '    Assign the name <name> to the current connection.',
      'HELP',
      '    Prints this help.',
    ];
    expect(got).toEqual(expected);
    // Each of them 7.0's own, in its order.
    expect(ref.filter((l) => expected.includes(l))).toEqual(expected);
    expect(ref.length).toBeGreaterThan(expected.length);
  });

  it("CLIENT's subcommands: those COMMAND lists are answered, 7.0's others answered as unknown (as COMMAND leaves them out)", async () => {
    const [info] = await replies(reference.port, 2, [['COMMAND', 'INFO', 'client']]);
    const all = ((parseResp3(Buffer.from(info!, 'latin1'), 0)!.value as Encoded[][])[0]![9] as Encoded[][]).map((e) => String(e[0]).slice(1).split('|')[1]!);
    expect(all.length).toBe(16);
    for (const sub of all) {
      const [reply] = await replies(serving.port, proto, [['CLIENT', sub, ...(sub === 'setname' ? ['n'] : [])]]);
      const unknown = reply!.startsWith(`-ERR unknown subcommand '${sub}'`);
      expect([sub, unknown]).toEqual([sub, !CLIENT_SUBCOMMANDS.has(sub)]);
    }
  });

  it('COMMAND INFO without a name answers every served command, each as the server does', async () => {
    const [all] = await replies(serving.port, proto, [['COMMAND', 'INFO']]);
    const each = await replies(
      reference.port,
      proto,
      [...served, ...Object.keys(NEWER_COMMANDS)].map((n) => ['COMMAND', 'INFO', n]),
    );
    // Each `*1\r\n<entry>` of the reference; 7.0 has none for HTTL and kin (null), nor does serve of a file 7.0 wrote.
    const entries = each.map((r) => r.slice(r.indexOf('\r\n') + 2));
    expect(all!.startsWith(`*${served.length}\r\n`)).toBe(true);
    const mine = ordered(all!);
    for (const e of entries.slice(0, served.length))
      expect(mine).toContain(withoutUnservedClient(JSON.stringify(sortSubcommands(parseResp3(Buffer.from(e, 'latin1'), 0)!.value))));
  });
});

it('COMMAND GETKEYS and COMMAND LIST [FILTERBY …] as redis-server 7.0 answers them, over the commands served (review 19)', async () => {
  const getkeys = [
    ['get', 'a'],
    ['mget', 'a', 'b', 'c'],
    ['get'],
    ['get', 'a', 'b'],
    ['nosuch', 'a'],
    ['select', '1'],
    ['xinfo', 'stream', 's'],
    ['xinfo', 'nosuch', 's'],
    ['xinfo', 'help'],
    ['sintercard', '2', 'a', 'b'],
    ['sintercard', '2', 'a', 'b', 'LIMIT', '3'],
    ['sintercard', '3', 'a', 'b'],
    ['sintercard', 'x', 'a'],
    ['sintercard', '0', 'a'],
    ['sintercard', '-1', 'a'],
    ['zrange', 'z', '0', '1', 'REV'],
    ['hmget', 'h', 'f1', 'f2'],
    ['exists', 'a', 'b'],
    ['xrange', 's', '-', '+'],
    ['sunion', 'a', 'b', 'c'],
    ['client', 'setname', 'x'],
    ['command', 'count'],
  ].flatMap((w) => [
    ['COMMAND', 'GETKEYS', ...w],
    ['COMMAND', 'GETKEYSANDFLAGS', ...w],
  ]);
  const errors = [
    ['COMMAND', 'GETKEYS'],
    ['COMMAND', 'GETKEYS', 'get'],
    ['COMMAND', 'GETKEYSANDFLAGS'],
    ['COMMAND', 'GETKEYSANDFLAGS', 'get'],
    ['COMMAND', 'LIST', 'x'],
    ['COMMAND', 'LIST', 'FILTERBY'],
    ['COMMAND', 'LIST', 'FILTERBY', 'ACLCAT', 'read', 'x'],
    ['COMMAND', 'LIST', 'FILTERBY', 'FOO', 'x'],
    ['COMMAND', 'LIST', 'FILTERBY', 'MODULE', 'foo'],
  ];
  for (const proto of [2, 3] as const) {
    const requests = [...getkeys, ...errors];
    const [ref, got] = [await replies(reference.port, proto, requests), await replies(serving.port, proto, requests)];
    for (let i = 0; i < requests.length; i++) expect([requests[i]!.join(' '), got[i]]).toEqual([requests[i]!.join(' '), ref[i]]);
  }
  // A command not served is one serve does not know (as COMMAND INFO answers it), where 7.0 gives its keys.
  expect(await replies(serving.port, 2, [['COMMAND', 'GETKEYS', 'set', 'a', 'b']])).toEqual(['-ERR Invalid command specified\r\n']);
  // The lists: 7.0's (its commands with their subcommands, in its dict's order), kept to the commands served.
  const names = (raw: string): string[] => (parseResp3(Buffer.from(raw, 'latin1'), 0)!.value as string[]).map((n) => String(n).replace(/^\$/, '')).sort();
  const ours = names((await replies(serving.port, 2, [['COMMAND', 'LIST']]))[0]!);
  const tops = new Set(served);
  for (const filter of [
    [],
    ['FILTERBY', 'ACLCAT', 'read'],
    ['FILTERBY', 'ACLCAT', 'stream'],
    ['FILTERBY', 'ACLCAT', 'nosuch'],
    ['FILTERBY', 'PATTERN', 'x*'],
    ['FILTERBY', 'pattern', 'CLIENT|*'],
  ]) {
    const [ref, got] = [await replies(reference.port, 2, [['COMMAND', 'LIST', ...filter]]), await replies(serving.port, 2, [['COMMAND', 'LIST', ...filter]])];
    const expected = names(ref[0]!).filter((n) => tops.has(n.split('|', 1)[0]!) && !unservedClient(n));
    expect([filter.join(' '), names(got[0]!)]).toEqual([filter.join(' '), expected]);
    if (filter.length === 0) expect(ours).toEqual(expected);
  }
});

it('HTTL and its kin, of a file Redis 7.0 wrote: unknown, as to 7.0 (the command, COMMAND INFO, COMMAND COUNT) (review 19)', async () => {
  const requests = [
    ['HTTL', 'k', 'FIELDS', '1', 'f'],
    ['HPEXPIRETIME', 'k', 'FIELDS', '1', 'f'],
    ['COMMAND', 'INFO', 'httl'],
    // Newer writes (7.4's, 8.0's) and 7.2's CLIENT SETINFO: unknown to 7.0, not READONLY or OK (review 20).
    ['HEXPIRE', 'k', '10', 'FIELDS', '1', 'f'],
    ['HPERSIST', 'k', 'FIELDS', '1', 'f'],
    ['HGETDEL', 'k', 'FIELDS', '1', 'f'],
    ['HSETEX', 'k', 'FIELDS', '1', 'f', 'v'],
    ['CLIENT', 'SETINFO', 'lib-name', 'x'],
    ['COMMAND', 'COUNT'],
  ];
  const [ref, got] = [await replies(reference.port, 2, requests), await replies(serving.port, 2, requests)];
  expect(got.slice(0, -1)).toEqual(ref.slice(0, -1));
  expect(got[3]).toMatch(/^-ERR unknown command/);
  expect(got.at(-1)).toBe(`:${served.length}\r\n`);
});

it("HTTL and its kin (Redis 7.4, unknown to 7.0), of a file Redis 7.4 wrote: HSTRLEN's entry with their own name and arity, and their 7.4 docs", async () => {
  const path = join(dir, 'v12.rdb');
  writeFileSync(path, frameFile('REDIS0012', [{ db: 0, name: 'k', type: 0, object: Uint8Array.from([1, 0x76]), expireAtMs: null }]));
  const v12 = await startServing({ location: path, port: 0 });
  const [hstrlen] = await replies(reference.port, 3, [['COMMAND', 'INFO', 'hstrlen']]);
  const got = await replies(v12.port, 3, [
    ['COMMAND', 'INFO', 'httl'],
    ['COMMAND', 'DOCS', 'hpexpiretime'],
  ]);
  expect(got[0]).toBe(hstrlen!.replace('$7\r\nhstrlen\r\n:3\r\n', '$4\r\nhttl\r\n:-5\r\n'));
  expect(got[1]).toContain('$7\r\nsummary\r\n$73\r\nReturns the expiration time of a hash field as a Unix timestamp, in msec.\r\n');
  expect(got[1]).toContain('$5\r\nsince\r\n$5\r\n7.4.0\r\n');
  expect(await replies(v12.port, 2, [['COMMAND', 'COUNT']])).toEqual([`:${served.length + Object.keys(NEWER_COMMANDS).length}\r\n`]);
  // 7.4's and 8.0's writes are refused as writes (RDB 12 files are 7.4's to 8.4's), SETINFO (7.2) answered.
  const writes = await replies(v12.port, 2, [
    ['HEXPIRE', 'k', '10', 'FIELDS', '1', 'f'],
    ['HGETDEL', 'k', 'FIELDS', '1', 'f'],
    ['CLIENT', 'SETINFO', 'lib-name', 'x'],
  ]);
  expect(writes[0]).toMatch(/^-READONLY /);
  expect(writes[1]).toMatch(/^-READONLY /);
  expect(writes[2]).toBe('+OK\r\n');
  await v12.close();
});

it("the arities of the writes serve refuses (and of their subcommands) are a live 7.0's: every write 7.0 knows is listed", async () => {
  const raw = await RawClient.open(reference.port);
  await raw.call('HELLO', '3');
  const live: Record<string, number> = {};
  for (const n of WRITE_COMMANDS) {
    const [entry] = parseResp3(Buffer.from(await raw.call('COMMAND', 'INFO', n), 'latin1'), 0)!.value as (Encoded[] | null)[];
    if (!entry) continue;
    live[n] = entry[1] as number;
    const subs = entry[9] as Encoded[][] | { '~': Encoded[][] };
    for (const sub of Array.isArray(subs) ? subs : subs['~']) live[String(sub[0]).slice(1)] = sub[1] as number;
  }
  raw.close();
  expect(table.writes).toEqual(live);
  // Negative: the containers' subcommands are in it, with their own arities.
  expect([live['xgroup|create'], live.set, Object.keys(live).length]).toEqual([-5, -3, expect.any(Number)]);
  expect(Object.keys(live).length).toBeGreaterThan(120);
});
