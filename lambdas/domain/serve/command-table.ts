/**
 * What `COMMAND INFO`, `COMMAND DOCS` and the containers' `HELP` answer: a
 * real redis-server 7.0's replies, written once into
 * `redis-7.0-commands.json` by scripts/write-serve-commands.ts (RESP3 kept
 * with its types, so each connection gets them in its own protocol) and held
 * against a live 7.0 by test/lambdas/domain/serve/command-table.test.ts.
 * This module holds that file's encoding and the few entries 7.0 has none
 * of; commands-server.ts answers from the file.
 */
import { R, type Reply } from './resp.js';

/** The file beside this module. */
export const FILE_NAME = 'redis-7.0-commands.json';

/** The served commands with subcommands whose `HELP` is 7.0's. */
export const CONTAINERS = ['client', 'config', 'xinfo', 'command', 'object'] as const;

/**
 * A reply as the file keeps it: an integer, `$text` (bulk), `+text` (simple),
 * null, an array, `{"~": […]}` (a set) or `{"%": [k, v, k, v …]}` (a map).
 */
export type Encoded = number | string | null | Encoded[] | { readonly '~': Encoded[] } | { readonly '%': Encoded[] };

/** A reply from its encoding. */
export function toReply(e: Encoded): Reply {
  if (e === null) return R.null;
  if (typeof e === 'number') return R.int(e);
  if (typeof e === 'string') return e[0] === '+' ? R.simple(e.slice(1)) : R.bulk(e.slice(1));
  if (Array.isArray(e)) return R.array(e.map(toReply));
  if ('~' in e) return R.set(e['~'].map(toReply));
  const kv = e['%'];
  const entries: [Reply, Reply][] = [];
  for (let i = 0; i < kv.length; i += 2) entries.push([toReply(kv[i]!), toReply(kv[i + 1]!)]);
  return R.map(entries);
}

/** A docs tree written by hand (plain objects as maps of bulk keys, strings bulk, `{ set: [...] }` a set of bulks) as the file keeps it. */
export type DocsTree = string | number | readonly DocsTree[] | { readonly set: readonly string[] } | { readonly [k: string]: DocsTree };

export function encodeTree(t: DocsTree): Encoded {
  if (typeof t === 'number') return t;
  if (typeof t === 'string') return `$${t}`;
  if (Array.isArray(t)) return t.map(encodeTree);
  const o = t as Record<string, DocsTree>;
  if ('set' in o && Array.isArray(o.set)) return { '~': (o.set as string[]).map((s) => `+${s}`) };
  return { '%': Object.entries(o).flatMap(([k, v]) => [`$${k}`, encodeTree(v)]) };
}

/** A field TTL read's arguments (redis/redis src/commands/httl.json, 7.4.0). */
const FIELDS_ARGS: DocsTree = [
  { name: 'key', type: 'key', key_spec_index: 0 },
  {
    name: 'fields',
    type: 'block',
    token: 'FIELDS',
    arguments: [
      { name: 'numfields', type: 'integer' },
      { name: 'field', type: 'string', flags: { set: ['multiple'] } },
    ],
  },
];

const fieldTtlDocs = (summary: string): DocsTree => ({
  summary,
  since: '7.4.0',
  group: 'hash',
  complexity: 'O(N) where N is the number of specified fields',
  arguments: FIELDS_ARGS,
});

/** Served commands redis-server 7.0 does not know: their arity and docs (redis/redis src/commands/*.json, 7.4.0). */
export const NEWER_COMMANDS: Readonly<Record<string, { readonly arity: number; readonly docs: DocsTree }>> = {
  httl: { arity: -5, docs: fieldTtlDocs('Returns the TTL in seconds of a hash field.') },
  hpttl: { arity: -5, docs: fieldTtlDocs('Returns the TTL in milliseconds of a hash field.') },
  hexpiretime: { arity: -5, docs: fieldTtlDocs('Returns the expiration time of a hash field as a Unix timestamp, in seconds.') },
  hpexpiretime: { arity: -5, docs: fieldTtlDocs('Returns the expiration time of a hash field as a Unix timestamp, in msec.') },
};

/**
 * Whether the server that wrote the point knows command `name` (a served
 * command newer than Redis 7.0, {@link NEWER_COMMANDS}, is known from Redis
 * 7.4 and Valkey 9, the writers of field TTLs): an older writer's point
 * answers it as that server does, an unknown command, and COMMAND leaves it out.
 */
export function knownTo(about: { readonly redisVersion: string; readonly valkey?: boolean }, name: string): boolean {
  const write = NEWER_WRITES[name];
  // Valkey 9 (the writer of VALKEY080 files) has the hash field TTL commands, not 7.4's candidates' HGETF/HSETF.
  if (about.valkey === true) return write?.valkey !== false;
  const since = NEWER_COMMANDS[name] !== undefined ? ([7, 4] as const) : write?.since;
  return since === undefined || writerAtLeast(about, since[0], since[1]);
}

/**
 * Write commands newer than Redis 7.0 (answered READONLY where the point's writer knows them, else as unknown): the
 * hash field TTL writes of Redis 7.4 (and its release candidates' HGETF/HSETF) and Redis 8.0's. An RDB 12 file is
 * written by 7.4 to 8.4 alike: 8.0's are taken as known from RDB 12 (READONLY, not an unknown command). `valkey: false`:
 * Valkey 9 has no such command (an unknown command on a VALKEY080 point).
 */
const NEWER_WRITES: Readonly<Record<string, { readonly since: readonly [number, number]; readonly arity: number; readonly valkey?: false }>> = {
  // Their arity as Redis declares it (checked before READONLY, as 7.0's writes are: command-replies.ts writeRefusal):
  // 7.4's from 7.4.0's src/commands.def; HGETF/HSETF from their src/commands/*.json before 7.4.0 removed them; 8.0's
  // HGETEX, HSETEX and HGETDEL from src/commands/hgetex.json, hsetex.json and hgetdel.json (HGETDEL: since 8.0.0, arity
  // -5, redis/redis at cf8a2976). Valkey declares the same arities (valkey-io/valkey src/commands/*.json: HSETEX -6 at
  // d4f57f62, HEXPIRE -6 at 85db2824, HPEXPIREAT -6 at 739358fa, HGETEX -5 at d10d30d5, HPERSIST -5 at 8f4bb42e, all
  // since 9.0.0; HGETDEL -5 since 9.1.0 at 8a777ed9, taken as known: 9.0 and 9.1 both write VALKEY080) and checks them
  // before READONLY as Redis does (processCommand).
  hpersist: { since: [7, 4], arity: -5 },
  hexpire: { since: [7, 4], arity: -6 },
  hpexpire: { since: [7, 4], arity: -6 },
  hexpireat: { since: [7, 4], arity: -6 },
  hpexpireat: { since: [7, 4], arity: -6 },
  hgetf: { since: [7, 4], arity: -5, valkey: false },
  hsetf: { since: [7, 4], arity: -6, valkey: false },
  hgetdel: { since: [7, 4], arity: -5 },
  hgetex: { since: [7, 4], arity: -5 },
  hsetex: { since: [7, 4], arity: -6 },
};

/**
 * Whether a newer write has the wrong number of arguments (`argc`, the name counted), as the point's writer (Redis or
 * Valkey: the same arities) answers before READONLY; false for a command that is not a newer write.
 */
export function wrongNewerWriteArity(name: string, argc: number): boolean {
  const arity = NEWER_WRITES[name]?.arity;
  return arity !== undefined && ((arity > 0 && argc !== arity) || (arity < 0 && argc < -arity));
}

/** Whether the Redis release the point's writer is taken for (`about.redisVersion`) is `major.minor` or later. */
export function writerAtLeast(about: { readonly redisVersion: string }, major: number, minor: number): boolean {
  const [ma = 0, mi = 0] = about.redisVersion.split('.').map(Number);
  return ma > major || (ma === major && mi >= minor);
}

const pairs = (kv: readonly Encoded[]): [Encoded, Encoded][] => Array.from({ length: kv.length / 2 }, (_, i) => [kv[2 * i]!, kv[2 * i + 1]!]);
const byText = (a: Encoded, b: Encoded): number => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1);

/**
 * `e` (a COMMAND INFO entry, or DOCS of one, RESP3 or RESP2) with its subcommands sorted by name: a server lists them
 * in its dict's order, which its random hash seed makes differ between processes (so only that order may differ).
 */
export function sortSubcommands(e: Encoded): Encoded {
  if (Array.isArray(e)) {
    // An INFO entry: [name, arity, flags, first, last, step, categories, tips, key specs, subcommands].
    if (e.length === 10 && typeof e[0] === 'string' && typeof e[1] === 'number') {
      const subs = e[9]!;
      const items = Array.isArray(subs) ? subs : subs !== null && typeof subs === 'object' && '~' in subs ? subs['~'] : [];
      const sorted = items.map(sortSubcommands).sort(byText);
      return [...e.slice(0, 9), Array.isArray(subs) ? sorted : { '~': sorted }];
    }
    // DOCS in RESP2: a flat array of keys and values.
    const at = e.indexOf('$subcommands');
    if (at >= 0 && at % 2 === 0 && Array.isArray(e[at + 1])) {
      const sorted = pairs(e[at + 1] as Encoded[])
        .map(([k, v]) => [k, sortSubcommands(v)] as [Encoded, Encoded])
        .sort((a, b) => byText(a[0], b[0]));
      return [...e.slice(0, at + 1), sorted.flat(), ...e.slice(at + 2)];
    }
    return e;
  }
  if (e !== null && typeof e === 'object' && '%' in e) {
    const kv = e['%'];
    const at = kv.indexOf('$subcommands');
    const subs = at >= 0 ? kv[at + 1] : undefined;
    if (at >= 0 && at % 2 === 0 && subs !== null && typeof subs === 'object' && !Array.isArray(subs) && '%' in subs) {
      const sorted = pairs(subs['%'])
        .map(([k, v]) => [k, sortSubcommands(v)] as [Encoded, Encoded])
        .sort((a, b) => byText(a[0], b[0]));
      return { '%': [...kv.slice(0, at + 1), { '%': sorted.flat() }, ...kv.slice(at + 2)] };
    }
  }
  return e;
}

/** The first whole RESP3 reply in `b` from `at` and where it ends; undefined while incomplete (the generator's and the test's reading of a live server). */
export function parseResp3(b: Buffer, at: number): { value: Encoded; end: number } | undefined {
  const line = b.indexOf('\r\n', at);
  if (line < 0) return undefined;
  const head = String.fromCharCode(b[at]!);
  const text = b.toString('latin1', at + 1, line);
  const after = line + 2;
  if (head === '+') return { value: `+${text}`, end: after };
  if (head === ':') return { value: Number(text), end: after };
  if (head === '_') return { value: null, end: after };
  if (head === '$' || head === '=') {
    const n = Number(text);
    if (after + n + 2 > b.length) return undefined;
    return { value: `$${b.toString('utf8', after, after + n)}`, end: after + n + 2 };
  }
  if (head === '*' || head === '~' || head === '%') {
    const n = Number(text) * (head === '%' ? 2 : 1);
    const items: Encoded[] = [];
    let pos = after;
    for (let i = 0; i < n; i++) {
      const one = parseResp3(b, pos);
      if (!one) return undefined;
      items.push(one.value);
      pos = one.end;
    }
    return { value: head === '*' ? items : head === '~' ? { '~': items } : { '%': items }, end: pos };
  }
  throw new Error(`a RESP3 reply the command table does not keep: ${JSON.stringify(b.toString('latin1', at, at + 20))}`);
}
