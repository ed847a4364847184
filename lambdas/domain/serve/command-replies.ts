/**
 * `COMMAND INFO`, `COMMAND DOCS` and the containers' `HELP` as redis-server
 * 7.0 answers them, from `redis-7.0-commands.json` (command-table.ts says
 * how it is written and kept; the JSON is read once, each reply built when
 * asked for).
 */
import { type Encoded, toReply } from './command-table.js';
import table from './redis-7.0-commands.json';
import { ERR } from './reply-text.js';
import { R, type Reply } from './resp.js';

/**
 * The subcommands of 7.0's CLIENT that serve answers (commands-server.ts): the others (KILL, LIST, PAUSE, TRACKING …)
 * are answered as by a server that does not know them, so COMMAND's INFO, DOCS and LIST and CLIENT HELP leave them out.
 */
export const CLIENT_SUBCOMMANDS: ReadonlySet<string> = new Set(['getname', 'help', 'id', 'setname']);

/** Whether `full` (`container|sub`) is answered: every served container's subcommands but CLIENT's beyond {@link CLIENT_SUBCOMMANDS}. */
const servedSub = (full: string): boolean => !full.startsWith('client|') || CLIENT_SUBCOMMANDS.has(full.slice('client|'.length));

/** The items of a set or array. */
const itemsOf = (e: Encoded | undefined): Encoded[] => (Array.isArray(e) ? e : e && typeof e === 'object' && '~' in e ? e['~'] : []);

/** A set or array of `container|sub` entries (an INFO entry's, or its name first) keeping the served ones, its shape kept. */
function servedItems(e: Encoded): Encoded {
  const keep = (s: Encoded): boolean => !Array.isArray(s) || servedSub(String(s[0]).slice(1));
  if (Array.isArray(e)) return e.filter(keep);
  return e && typeof e === 'object' && '~' in e ? { '~': e['~'].filter(keep) } : e;
}

const INFO: Record<string, Encoded[]> = { ...(table.info as Record<string, Encoded[]>) };
INFO.client = INFO.client!.map((v, i) => (i === 9 ? servedItems(v) : v));
const DOCS: Record<string, { '%': Encoded[] }> = { ...(table.docs as Record<string, { '%': Encoded[] }>) };
DOCS.client = {
  '%': DOCS.client!['%'].map((v, i, kv) => {
    if (kv[i - 1] !== '$subcommands' || typeof v !== 'object' || v === null || !('%' in v)) return v;
    const pairs = v['%'];
    return { '%': pairs.flatMap((x, j) => (j % 2 === 0 && servedSub(String(x).slice(1)) ? [x, pairs[j + 1]!] : [])) };
  }),
};
const HELP: Record<string, Encoded> = { ...(table.help as Record<string, Encoded>) };
// 7.0's CLIENT HELP: a subcommand's line unindented, its text indented below it; the first line says what the command is.
let kept = true;
HELP.client = (HELP.client as string[]).filter((line, i) => {
  if (i > 0 && !line.startsWith('+ ')) kept = servedSub(`client|${line.slice(1).split(' ', 1)[0]!.toLowerCase()}`);
  return i === 0 || kept;
});

/** The arity of each write serve refuses and of its subcommands (`container|sub`), as 7.0's COMMAND INFO gives it. */
const WRITES: Readonly<Record<string, number>> = table.writes;
/** The writes with subcommands (XGROUP, FUNCTION, SCRIPT). */
const WRITE_CONTAINERS: ReadonlySet<string> = new Set(Object.keys(WRITES).flatMap((n) => (n.includes('|') ? [n.split('|', 1)[0]!] : [])));

/**
 * Whether `args` ask a write container's HELP (XGROUP, FUNCTION, SCRIPT): 7.0 flags those subcommands loading and
 * stale, not write, so a read-only replica answers their text ({@link helpReply}), not READONLY.
 */
export function isWriteHelp(args: readonly Buffer[]): boolean {
  if (args.length < 2 || args[1]!.toString('latin1').toLowerCase() !== 'help') return false;
  const name = args[0]!.toString('latin1').toLowerCase();
  return WRITE_CONTAINERS.has(name) && HELP[name] !== undefined;
}

/** The release of the redis-server 7.0 the table was taken from (`npm run serve:commands`), e.g. `7.0.15`. */
export const TABLE_RELEASE: string = table.source.replace(/^redis-server /, '');

/**
 * What 7.0's processCommand answers a write before its READONLY (a read-only replica's): an unknown subcommand of a
 * container, or a wrong number of arguments (the subcommand's own arity, named `container|sub`); undefined when
 * neither, or for a write 7.0 does not know.
 */
export function writeRefusal(args: readonly Buffer[]): string | undefined {
  const name = args[0]!.toString('latin1').toLowerCase();
  let full = name;
  if (WRITE_CONTAINERS.has(name) && args.length > 1) {
    full = `${name}|${args[1]!.toString('latin1').toLowerCase()}`;
    if (WRITES[full] === undefined) return ERR.unknownSub(args[1]!, name);
  }
  const arity = WRITES[full];
  if (arity === undefined) return undefined;
  return (arity > 0 && args.length !== arity) || (arity < 0 && args.length < -arity) ? ERR.arity(full) : undefined;
}

/** A map's value at bulk key `key`. */
function mapValue(m: { '%': Encoded[] }, key: string): Encoded | undefined {
  const kv = m['%'];
  for (let i = 0; i < kv.length; i += 2) if (kv[i] === `$${key}`) return kv[i + 1];
  return undefined;
}

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

/** The arity of `container|sub` in 7.0's COMMAND INFO (the container's words counted); undefined when 7.0 has no such subcommand. */
export function subcommandArity(full: string): number | undefined {
  const n = full.toLowerCase();
  const found = itemsOf(INFO[n.split('|', 1)[0]!]?.[9]).find((s): s is Encoded[] => Array.isArray(s) && s[0] === `$${n}`);
  return found === undefined ? undefined : Number(found[1]);
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

/** A map's fields (a RESP3 map as the table holds it) by name. */
function fields(m: Encoded | undefined): Map<string, Encoded> {
  const kv = m && typeof m === 'object' && !Array.isArray(m) && '%' in m ? m['%'] : [];
  const out = new Map<string, Encoded>();
  for (let i = 0; i + 1 < kv.length; i += 2) out.set(String(kv[i]).slice(1), kv[i + 1]!);
  return out;
}

/** A command's (or subcommand's) INFO entry, as 7.0's lookupCommand finds it from a request's words (a container's subcommand from its second). */
function entryFor(words: readonly Buffer[], served: (name: string) => boolean): Encoded[] | undefined {
  const name = words[0]!.toString('latin1').toLowerCase();
  const entry = served(name) ? INFO[name] : undefined;
  if (!entry) return undefined;
  const subs = itemsOf(entry[9]);
  if (words.length === 1 || subs.length === 0) return entry;
  const full = `$${name}|${words[1]!.toString('latin1').toLowerCase()}`;
  return subs.find((s): s is Encoded[] => Array.isArray(s) && s[0] === full);
}

/**
 * `COMMAND GETKEYS <command> <arg> …` (and GETKEYSANDFLAGS: `withFlags`) as redis-server 7.0 answers it
 * (server.c getKeysSubcommandImpl, db.c getKeysUsingKeySpecs): the command
 * as its lookup finds it (a command `served` does not answer is one it does
 * not know), its arity checked, its keys found by its key specs (every
 * served command's begin at an index and run to a position or by a key
 * count). `words` are the request's words after `COMMAND GETKEYS`.
 */
export function commandGetKeys(words: readonly Buffer[], served: (name: string) => boolean, withFlags = false): Reply {
  const entry = entryFor(words, served);
  if (!entry) return R.error('ERR Invalid command specified');
  const specs = itemsOf(entry[8]).map(fields);
  if (!specs.some((s) => !itemsOf(s.get('flags')).includes('+NOT_KEY'))) return R.error('ERR The command has no key arguments');
  const arity = Number(entry[1]);
  const argc = words.length;
  if ((arity > 0 && arity !== argc) || argc < -arity) return R.error('ERR Invalid number of arguments specified for command');
  const keys: Buffer[] = [];
  // GETKEYSANDFLAGS: each key with its key spec's flags, as COMMAND INFO gives them (addReplyFlagsForKeyArgs).
  const flags: Reply[] = [];
  for (const spec of specs) {
    const search = fields(spec.get('begin_search'));
    const begin = fields(search.get('spec'));
    const find = fields(spec.get('find_keys'));
    const how = fields(find.get('spec'));
    let first = Number(begin.get('index'));
    if (String(search.get('type')) === '$keyword') {
      // The keys start after a keyword (XREAD's STREAMS), searched from `startfrom` (from the end when negative); none found: no keys of this spec.
      first = keywordAfter(words, String(begin.get('keyword')).slice(1), Number(begin.get('startfrom')));
      if (first === 0) continue;
    }
    let last: number;
    let step: number;
    if (String(find.get('type')) === '$keynum') {
      const at = first + Number(how.get('keynumidx'));
      const n = at < argc ? words[at]!.toString('latin1') : '';
      // string2ll: an optional minus, digits, no leading zero (but "0"), no sign on zero.
      if (!/^(0|-?[1-9][0-9]{0,18})$/.test(n) || Number(n) < 0) return R.error('ERR Invalid arguments specified for command');
      step = Number(how.get('keystep'));
      first += Number(how.get('firstkey'));
      last = first + (Number(n) - 1) * step;
      // A key count past the words given (or none) finds no keys (db.c genericGetKeys, SINTERCARD's): refused as 7.0 does.
      if (Number(n) < 1 || last >= argc) return R.error('ERR Invalid arguments specified for command');
    } else {
      const lastKey = Number(how.get('lastkey'));
      const limit = Number(how.get('limit') ?? 0);
      step = Number(how.get('keystep'));
      // A limit: the keys are the first 1/limit of what follows (XREAD's keys, then as many ids).
      last = lastKey >= 0 ? first + lastKey : limit > 0 ? first + Math.floor((argc - first) / limit) + lastKey : argc + lastKey;
      if (limit > 0 && last < first) return R.error('ERR Invalid arguments specified for command');
    }
    // Past the words given: no key there (a command of negative arity reports that itself when it runs).
    for (let i = first; i <= last; i += step)
      if (i < argc) {
        keys.push(words[i]!);
        if (withFlags) flags.push(toReply(spec.get('flags') ?? []));
      }
  }
  if (keys.length === 0) return R.error('ERR Invalid arguments specified for command');
  return withFlags ? R.array(keys.map((k, i) => R.array([R.bulk(k), flags[i]!]))) : R.bulks(keys);
}

/** The word after `keyword` (any case) in `words`, searched from `startfrom` (from the end when negative), as 7.0's key specs do; 0: none. */
function keywordAfter(words: readonly Buffer[], keyword: string, startfrom: number): number {
  const argc = words.length;
  const from = startfrom > 0 ? startfrom : argc + startfrom;
  const to = startfrom > 0 ? argc - 1 : 0;
  for (let i = from; i !== to; i = from <= to ? i + 1 : i - 1) {
    if (i >= argc || i < 1) break;
    if (words[i]!.toString('latin1').toLowerCase() === keyword.toLowerCase()) return i + 1;
  }
  return 0;
}

/** A command's name and its subcommands' (`container|sub`), as 7.0's COMMAND LIST walks them. */
export function commandNames(name: string): string[] {
  const entry = INFO[name];
  if (!entry) return [name];
  return [name, ...itemsOf(entry[9]).flatMap((s) => (Array.isArray(s) ? [String(s[0]).slice(1)] : []))];
}

/** Whether `name` (a command or `container|sub`) is in ACL category `category` (`read`, `@read`: as 7.0's FILTERBY ACLCAT takes it, without the @). */
export function inAclCategory(name: string, category: string): boolean {
  const [parent, sub] = name.split('|', 2);
  const entry = INFO[parent!];
  const e = sub === undefined ? entry : itemsOf(entry?.[9]).find((s): s is Encoded[] => Array.isArray(s) && s[0] === `$${name}`);
  return itemsOf(e?.[6]).some((c) => String(c).toLowerCase() === `+@${category.toLowerCase()}`);
}
