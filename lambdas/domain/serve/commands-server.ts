/**
 * Connection and server commands: PING, ECHO, SELECT, AUTH, HELLO, CLIENT,
 * INFO, COMMAND, TIME, QUIT; what redis-cli, ioredis and redis-dr's own
 * readers send on connecting.
 */
import { compileGlob } from '../keys/glob.js';
import { type CommandSpec, nameOf, type ServeContext, type Session } from './context.js';
import { CLIENT_SUBCOMMANDS, commandDocs, commandGetKeys, commandInfo, commandNames, helpReply, inAclCategory, subcommandArity } from './command-replies.js';
import { knownTo, writerAtLeast } from './command-table.js';
import { type LiveKeys, liveKeys } from './commands-keyspace.js';
import { longIn } from './commands-values.js';
import { ValuePending } from './paged-index.js';
import { endTransaction } from './transaction.js';
import { R, type Reply } from './resp.js';
import { ERR, parseInteger, printed } from './reply-text.js';
import { SERVE_MAX_VALUE_BYTES } from './value-limit.js';

/**
 * AUTH's check: only the default user, with the configured password. With
 * none configured the default user takes any password (Redis's `nopass`),
 * and `AUTH <password>` alone is refused in the server's words.
 */
function authenticate(ctx: ServeContext, s: Session, user: string | undefined, password: Buffer): Reply {
  if (ctx.password === undefined && user === undefined)
    return R.error('ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?');
  if ((user ?? 'default') !== 'default' || (ctx.password !== undefined && password.toString() !== ctx.password)) return R.error(ERR.wrongPass);
  s.authenticated = true;
  return R.ok;
}

/** CLIENT SETNAME's rule: no spaces, newlines or other special characters. */
function setName(s: Session, name: Buffer): Reply {
  if (name.some((c) => c < 0x21 || c > 0x7e)) return R.error('ERR Client names cannot contain spaces, newlines or special characters.');
  s.name = name.length === 0 ? null : Buffer.from(name);
  return R.ok;
}

/** What a server holding the point would take, roughly (`migrate` sizes its target with it; it stops on any eviction anyway). */
function memoryEstimate(ctx: ServeContext): number {
  return 2 * ctx.index.storedBytes + 64 * ctx.index.keys;
}

/** INFO keyspace's lines; an S3 copy's hashes with field TTLs read first at the first call ({@link ValuePending}: run again once read). */
function keyspaceLines(ctx: ServeContext): string[] {
  const lives = ctx.index.databases().map((db) => [db, liveKeys(ctx, db)] as const);
  const reading = lives.flatMap(([, l]) => (l instanceof Promise ? [l] : []));
  if (reading.length > 0) throw new ValuePending(Promise.all(reading));
  return lives.flatMap(([db, l]) => {
    const live = l as LiveKeys;
    return live.keys === 0 ? [] : [`db${db}:keys=${live.keys},expires=${live.expires},avg_ttl=${live.avgTtlMs}`];
  });
}

/** INFO's text for `sections` (none: the default ones). */
export function infoText(ctx: ServeContext, s: Session, sections: readonly string[]): string {
  const wanted = sections.length === 0 || sections.some((x) => ['all', 'default', 'everything'].includes(x)) ? undefined : new Set(sections);
  const parts: [string, string[]][] = [
    [
      'Server',
      [
        `redis_version:${ctx.about.redisVersion}`,
        'redis_mode:standalone',
        `tcp_port:${ctx.port}`,
        `uptime_in_seconds:${Math.floor((ctx.now() - ctx.about.startedAtMs) / 1000)}`,
        'redis_dr_serve:read-only',
        `redis_dr_point:${ctx.about.location}`,
        `rdb_version:${ctx.index.rdbVersion}`,
      ],
    ],
    ['Clients', [`client_id:${s.id}`]],
    // An estimate for migrate's eviction check: the file's compact encodings at twice their size plus a dict entry a key.
    ['Memory', [`used_memory:${memoryEstimate(ctx)}`, `used_memory_dataset:${memoryEstimate(ctx)}`]],
    ['Persistence', ['loading:0', 'async_loading:0', 'rdb_changes_since_last_save:0']],
    ['Replication', ['role:master', 'connected_slaves:0']],
    ['Keyspace', !wanted || wanted.has('keyspace') ? keyspaceLines(ctx) : []],
  ];
  return parts
    .filter(([name]) => !wanted || wanted.has(name.toLowerCase()))
    .map(([name, lines]) => `# ${name}\r\n${lines.map((l) => `${l}\r\n`).join('')}`)
    .join('\r\n');
}

export const SERVER_COMMANDS: Readonly<Record<string, CommandSpec>> = {
  ping: {
    arity: -1,
    run(_ctx, _s, args) {
      if (args.length > 2) return R.error(ERR.arity('ping'));
      return args[1] ? R.bulk(args[1]) : R.simple('PONG');
    },
  },
  echo: { arity: 2, run: (_ctx, _s, [, msg]) => R.bulk(msg!) },
  select: {
    arity: 2,
    run(ctx, s, [, index]) {
      // An int first, as 7.0's getIntFromObjectOrReply (its own words past one), then a database.
      const db = longIn(index!, -(2 ** 31), 2 ** 31 - 1);
      if (typeof db !== 'number') return db;
      if (db < 0 || db >= ctx.databases) return R.error(ERR.dbRange);
      s.db = db;
      return R.ok;
    },
  },
  auth: {
    arity: -2,
    run(ctx, s, args) {
      if (args.length > 3) return R.error(ERR.syntax);
      return args.length === 3 ? authenticate(ctx, s, args[1]!.toString(), args[2]!) : authenticate(ctx, s, undefined, args[1]!);
    },
  },
  hello: {
    arity: -1,
    run(ctx, s, args) {
      let proto = s.proto;
      if (args[1]) {
        const v = parseInteger(args[1]);
        if (v === undefined) return R.error('ERR Protocol version is not an integer or out of range');
        if (v !== 2 && v !== 3) return R.error('NOPROTO unsupported protocol version');
        proto = v;
      }
      let name: Buffer | undefined;
      for (let i = 2; i < args.length; i++) {
        const opt = args[i]!.toString('latin1').toLowerCase();
        if (opt === 'auth' && i + 2 < args.length) {
          const auth = authenticate(ctx, s, args[i + 1]!.toString(), args[i + 2]!);
          if (auth.t === 'error') return auth;
          i += 2;
        } else if (opt === 'setname' && i + 1 < args.length) name = args[++i];
        else return R.errorBytes(`ERR Syntax error in HELLO option '${printed(args[i]!)}'`);
      }
      // Redis 7.2 added `<proto>` to the usage it suggests (redis/redis#11809); 7.0.15 and earlier print it without.
      if (ctx.password !== undefined && !s.authenticated)
        return R.error(
          `NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO${writerAtLeast(ctx.about, 7, 2) ? ' <proto>' : ''} AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time`,
        );
      if (name) {
        const named = setName(s, name);
        if (named.t === 'error') return named;
      }
      s.proto = proto;
      const str = (k: string, v: string): [Reply, Reply] => [R.bulk(k), R.bulk(v)];
      return R.map([
        str('server', 'redis'),
        str('version', ctx.about.redisVersion),
        [R.bulk('proto'), R.int(proto)],
        [R.bulk('id'), R.int(s.id)],
        str('mode', 'standalone'),
        str('role', 'master'),
        [R.bulk('modules'), R.array([])],
      ]);
    },
  },
  client: {
    arity: -2,
    run(ctx, s, [, sub, ...rest]) {
      const name = sub!.toString('latin1').toLowerCase();
      // Client libraries announce themselves (ioredis, redis-py): SETINFO, from Redis 7.2 (arity 4 there), as its servers know it.
      const setinfo = name === 'setinfo' && writerAtLeast(ctx.about, 7, 2);
      if (!setinfo && !CLIENT_SUBCOMMANDS.has(name)) return R.errorBytes(ERR.unknownSub(sub!, 'client'));
      // A listed subcommand with the wrong number of words: 7.0's arity check of `client|<sub>`, before it runs.
      const arity = setinfo ? 4 : subcommandArity(`client|${name}`)!;
      if ((arity > 0 && 2 + rest.length !== arity) || 2 + rest.length < -arity) return R.error(ERR.arity(`client|${name}`));
      if (name === 'help') return helpReply('client', 2 + rest.length);
      if (name === 'setname') return setName(s, rest[0]!);
      if (name === 'getname') return s.name ? R.bulk(s.name) : R.null;
      if (name === 'id') return R.int(s.id);
      return R.ok;
    },
  },
  info: {
    arity: -1,
    run: (ctx, s, args) =>
      R.verbatim(
        infoText(
          ctx,
          s,
          args.slice(1).map((a) => a.toString('latin1').toLowerCase()),
        ),
      ),
  },
  time: {
    arity: 1,
    run(ctx) {
      const now = ctx.now();
      return R.bulks([String(Math.floor(now / 1000)), String((now % 1000) * 1000)]);
    },
  },
  config: {
    arity: -2,
    run(ctx, _s, [, sub, ...rest]) {
      // CONFIG GET only (redis-benchmark and clients ask for a few settings); SET, REWRITE and RESETSTAT would change the server.
      const name = sub!.toString('latin1').toLowerCase();
      if (name === 'help') return helpReply('config', 2 + rest.length);
      if (name !== 'get') return ['set', 'rewrite', 'resetstat'].includes(name) ? R.error(ERR.readOnly) : R.errorBytes(ERR.unknownSub(sub!, 'config'));
      if (rest.length === 0) return R.error(ERR.arity('config|get'));
      const settings: Record<string, string> = {
        databases: String(ctx.databases),
        save: '',
        appendonly: 'no',
        port: String(ctx.port),
        'proto-max-bulk-len': String(ctx.maxValueBytes ?? SERVE_MAX_VALUE_BYTES),
      };
      // As 7.0's configGetCommand: a name without `[*?` is looked up (case-insensitive) and answered as asked (`SAVE`);
      // a pattern matches every name with stringmatch's nocase. One entry a setting (its dict of matches ignores case).
      const found = new Map<string, string>();
      for (const asked of rest) {
        const text = asked.toString('latin1');
        if (!/[[*?]/.test(text)) {
          const key = text.toLowerCase();
          if (Object.hasOwn(settings, key) && !found.has(key)) found.set(key, text);
          continue;
        }
        const match = compileGlob(asked, { nocase: true });
        for (const key of Object.keys(settings)) if (!found.has(key) && match(Buffer.from(key))) found.set(key, key);
      }
      return R.map([...found].map(([key, name]) => [R.bulk(name), R.bulk(settings[key]!)] as const));
    },
  },
  quit: {
    arity: -1,
    run(_ctx, s) {
      s.closing = true;
      return R.ok;
    },
  },
  reset: {
    arity: 1,
    // As Redis 7.0's resetCommand: the transaction and watches gone, database 0, RESP2, no name, and authenticated again only where no password is set.
    run(ctx, s) {
      endTransaction(s);
      s.db = 0;
      s.proto = 2;
      s.name = null;
      s.authenticated = ctx.password === undefined;
      return R.simple('RESET');
    },
  },
};

/**
 * COMMAND and its subcommands, over the whole table (`table` includes this command): each command's INFO and DOCS as
 * redis-server 7.0 answers them (command-replies.ts), for the commands served; COUNT and LIST count those.
 */
export function commandCommand(table: () => Readonly<Record<string, CommandSpec>>): CommandSpec {
  const info = (name: string): Reply => commandInfo(name) ?? R.null;
  return {
    arity: -1,
    run(ctx, _s, args) {
      const t = table();
      const sub = args[1]?.toString('latin1').toLowerCase();
      // A command newer than the point's writer is not one it serves (command-table.ts knownTo).
      const served = Object.keys(t).filter((n) => knownTo(ctx.about, n));
      if (sub === undefined) return R.array(served.map(info));
      if (sub === 'count') return args.length === 2 ? R.int(served.length) : R.error(ERR.arity('command|count'));
      if (sub === 'list') return commandList(served, args);
      if (sub === 'getkeys' || sub === 'getkeysandflags')
        return args.length < 4 ? R.error(ERR.arity(`command|${sub}`)) : commandGetKeys(args.slice(2), (n) => served.includes(n), sub === 'getkeysandflags');
      if (sub === 'help') return helpReply('command', args.length);
      // A name not served is answered as 7.0 answers one it does not know (null; DOCS leaves it out), even where 7.0 knows it.
      const isServed = (n: string): boolean => served.includes(n.toLowerCase().split('|', 1)[0]!);
      const asked = args.slice(2).map((a) => a.toString('latin1'));
      if (sub === 'info') return R.array((asked.length === 0 ? served : asked).map((n) => (isServed(n) ? info(n) : R.null)));
      if (sub === 'docs') {
        const found = (asked.length === 0 ? served : asked).flatMap((n) => {
          const d = isServed(n) ? commandDocs(n) : undefined;
          return d ? [[R.bulk(d[0]), d[1]] as const] : [];
        });
        return R.map(found);
      }
      return R.errorBytes(ERR.unknownSub(args[1]!, nameOf(args)));
    },
  };
}

/**
 * `COMMAND LIST [FILTERBY MODULE <name> | ACLCAT <category> | PATTERN <glob>]` as redis-server 7.0 answers it
 * (server.c commandListCommand): the served commands with their subcommands (`container|sub`); no module is loaded.
 */
function commandList(served: readonly string[], args: readonly Buffer[]): Reply {
  const all = served.flatMap(commandNames);
  if (args.length === 2) return R.bulks(all);
  const word = (i: number): string => args[i]!.toString('latin1');
  if (args.length !== 5 || word(2).toLowerCase() !== 'filterby') return R.error(ERR.syntax);
  const type = word(3).toLowerCase();
  if (type === 'module') return R.bulks([]);
  if (type === 'aclcat') return R.bulks(all.filter((n) => inAclCategory(n, word(4))));
  // stringmatchlen with nocase, as Redis 7.0 matches the command names.
  if (type === 'pattern') {
    const match = compileGlob(args[4]!, { nocase: true });
    return R.bulks(all.filter((n) => match(Buffer.from(n))));
  }
  return R.error(ERR.syntax);
}
