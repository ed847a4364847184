/**
 * `COMMAND INFO`, `COMMAND DOCS` and the containers' `HELP` as redis-server
 * 7.0 answers them, from `redis-7.0-commands.json` (command-table.ts says
 * how it is written and kept; the JSON is read once, each reply built when
 * asked for).
 */
import { type Encoded, toReply } from './command-table.js';
import table from './redis-7.0-commands.json';
import { R, type Reply } from './resp.js';

const INFO = table.info as Record<string, Encoded[]>;
const DOCS = table.docs as Record<string, { '%': Encoded[] }>;
const HELP = table.help as Record<string, Encoded>;

/** A map's value at bulk key `key`. */
function mapValue(m: { '%': Encoded[] }, key: string): Encoded | undefined {
  const kv = m['%'];
  for (let i = 0; i < kv.length; i += 2) if (kv[i] === `$${key}`) return kv[i + 1];
  return undefined;
}

/** The items of a set or array. */
const itemsOf = (e: Encoded | undefined): Encoded[] => (Array.isArray(e) ? e : e && typeof e === 'object' && '~' in e ? e['~'] : []);

/** `COMMAND INFO`'s entry of `name` (a command, or `container|sub`), as 7.0 answers; undefined when 7.0 (or serve) has none. */
export function commandInfo(name: string): Reply | undefined {
  const n = name.toLowerCase();
  const [parent, sub] = n.split('|', 2);
  const entry = INFO[parent!];
  if (!entry) return undefined;
  if (sub === undefined) return toReply(entry);
  const found = itemsOf(entry[9]).find((s) => Array.isArray(s) && s[0] === `$${n}`);
  return found === undefined ? undefined : toReply(found);
}

/** `COMMAND DOCS`'s name and docs of `name` (a command, or `container|sub`), as 7.0 answers; undefined when it has none. */
export function commandDocs(name: string): [string, Reply] | undefined {
  const n = name.toLowerCase();
  const [parent, sub] = n.split('|', 2);
  const docs = DOCS[parent!];
  if (!docs) return undefined;
  if (sub === undefined) return [n, toReply(docs)];
  const subs = mapValue(docs, 'subcommands');
  const found = subs && typeof subs === 'object' && '%' in subs ? mapValue(subs, n) : undefined;
  return found === undefined ? undefined : [n, toReply(found)];
}

/** `<container> HELP` as 7.0 answers it, `argc` the request's arguments (the name counted): more than 2, its arity error. */
export function helpReply(container: string, argc: number): Reply {
  if (argc > 2) return R.error(`ERR wrong number of arguments for '${container}|help' command`);
  return toReply(HELP[container]!);
}
