/**
 * The command table of the read-only endpoint (`redis-dr serve`) and its
 * dispatch, in the order a Redis server checks a command: known, arity,
 * authenticated; a write is refused with READONLY and changes nothing
 * (nothing here can change the point: there is no write path at all).
 */
import { type CommandSpec, nameOf, type ServeContext, type Session } from './context.js';
import { KEYSPACE_COMMANDS } from './commands-keyspace.js';
import { OBJECT_COMMANDS } from './commands-object.js';
import { RANDOM_COMMANDS } from './commands-random.js';
import { STRING_READ_COMMANDS } from './commands-string-reads.js';
import { GEO_COMMANDS } from './commands-geo.js';
import { SORT_COMMANDS } from './commands-sort.js';
import { ZSET_OP_COMMANDS } from './commands-zset-ops.js';
import { XREAD_COMMANDS } from './commands-xread.js';
import { SORTED_COMMANDS } from './commands-sorted.js';
import { commandCommand, SERVER_COMMANDS } from './commands-server.js';
import { VALUE_COMMANDS } from './commands-values.js';
import { isPending, settle } from './paged-index.js';
import { R, type Reply } from './resp.js';
import { knownTo, wrongNewerWriteArity } from './command-table.js';
import { helpReply, isWriteHelp, writeRefusal } from './command-replies.js';
import { ERR } from './reply-text.js';
import { endTransaction, NOT_QUEUED, transactionCommands } from './transaction.js';

/** Every command served, by lower-case name. */
export const COMMANDS: Readonly<Record<string, CommandSpec>> = {
  ...SERVER_COMMANDS,
  ...KEYSPACE_COMMANDS,
  ...VALUE_COMMANDS,
  ...SORTED_COMMANDS,
  ...OBJECT_COMMANDS,
  ...RANDOM_COMMANDS,
  ...XREAD_COMMANDS,
  ...STRING_READ_COMMANDS,
  ...GEO_COMMANDS,
  ...SORT_COMMANDS,
  ...ZSET_OP_COMMANDS,
  ...transactionCommands((ctx, s, args) => execute(ctx, s, args)),
  command: commandCommand(() => COMMANDS),
};

/** Redis's commands that change data or the server (the `write` flag and the admin ones): each answered READONLY. */
export const WRITE_COMMANDS: ReadonlySet<string> = new Set(
  (
    'set setnx setex psetex append incr decr incrby decrby incrbyfloat getset getdel getex mset msetnx setrange setbit bitfield bitop ' +
    'del unlink expire pexpire expireat pexpireat persist rename renamenx move copy restore restore-asking migrate swapdb flushdb flushall ' +
    'hset hsetnx hmset hdel hincrby hincrbyfloat lpush rpush lpushx rpushx lpop rpop rpoplpush lmove blpop brpop brpoplpush blmove lmpop blmpop ' +
    'linsert lset lrem ltrim sadd srem spop smove sinterstore sunionstore sdiffstore zadd zincrby zrem zremrangebyrank zremrangebyscore ' +
    'zremrangebylex zpopmin zpopmax bzpopmin bzpopmax zmpop bzmpop zunionstore zinterstore zdiffstore zrangestore georadius georadiusbymember ' +
    'geoadd geosearchstore pfadd pfmerge pfdebug xadd xdel xtrim xgroup xack xclaim xautoclaim xsetid xreadgroup sort eval evalsha eval_ro evalsha_ro fcall ' +
    'fcall_ro function script save bgsave bgrewriteaof shutdown debug slaveof replicaof failover publish spublish ' +
    // Redis 7.4's and 8's, Valkey 9's hash field TTL writes (and 7.4's release candidates' HGETF/HSETF).
    'hpersist hexpire hpexpire hexpireat hpexpireat hgetdel hgetex hsetex hgetf hsetf'
  ).split(' '),
);

/** Commands a client may send before AUTH: those 7.0 flags no_auth (RESET too: the connection reset, still not authenticated). */
const NO_AUTH = new Set(['auth', 'hello', 'quit', 'reset']);

/** Why `args` is not run, in the order a Redis server checks: unknown, arity (a write's then READONLY), authenticated. */
function refusal(ctx: ServeContext, s: Session, name: string, spec: CommandSpec | undefined, args: Buffer[]): Extract<Reply, { t: 'error' }> | undefined {
  const authed = s.authenticated || ctx.password === undefined;
  if (!spec) {
    // A write newer than the point's writer is one it does not know (command-table.ts knownTo).
    if (!WRITE_COMMANDS.has(name) || !knownTo(ctx.about, name)) return { t: 'error', s: ERR.unknown(args[0]!, args.slice(1)), bytes: true };
    // 7.0 checks a write's arity (and a container's subcommand) before it would refuse it as a read-only replica.
    const early = writeRefusal(args);
    if (early) return { t: 'error', s: early, bytes: true };
    if (wrongNewerWriteArity(name, args.length)) return { t: 'error', s: ERR.arity(name) };
    if (!authed) return { t: 'error', s: ERR.noAuth };
    // A write container's HELP is no write (7.0's flags): answered by execute, as a read-only replica does.
    return isWriteHelp(args) ? undefined : { t: 'error', s: ERR.readOnly };
  }
  if ((spec.arity > 0 && args.length !== spec.arity) || (spec.arity < 0 && args.length < -spec.arity)) return { t: 'error', s: ERR.arity(name) };
  if (!authed && !NO_AUTH.has(name)) return { t: 'error', s: ERR.noAuth };
  return undefined;
}

/**
 * Answers one request (`args[0]` is the command name); never throws nor
 * rejects: a failure is an error reply. At once (no promise) when the
 * command could answer at once.
 */
export function execute(ctx: ServeContext, s: Session, args: Buffer[]): Reply | Promise<Reply> {
  const name = nameOf(args);
  const spec = knownTo(ctx.about, name) ? COMMANDS[name] : undefined;
  const refused = refusal(ctx, s, name, spec, args);
  // After MULTI a command is checked and queued; one refused marks the transaction, which EXEC then discards (transaction.ts).
  if (s.multi && !NOT_QUEUED.has(name)) {
    if (refused) s.multi.dirty = true;
    else s.multi.queued.push(args);
    return refused ?? R.simple('QUEUED');
  }
  if (refused && name === 'exec') {
    // Redis's rejectCommand: a refused EXEC discards the transaction and says why (its ERR dropped), open or not.
    endTransaction(s);
    return { t: 'error', s: `EXECABORT Transaction discarded because of: ${refused.s.replace(/^ERR /, '')}`, ...(refused.bytes ? { bytes: true } : {}) };
  }
  if (refused) return refused;
  if (!spec) return helpReply(name, args.length); // a write container's HELP, the one write refusal lets through
  // A value that could not be read (the file gone, S3 unreachable): this command fails, the endpoint stays up.
  const failed = (err: unknown): Reply =>
    R.error(`ERR redis-dr serve could not answer ${name.toUpperCase()}: ${err instanceof Error ? err.message : String(err)}`);
  // A block of an index on S3 not at hand yet: the command runs again once it has come (paged-index.ts's settle).
  const again = (err: unknown): Promise<Reply> => (isPending(err) ? settle(() => spec.run(ctx, s, args)).catch(failed) : Promise.resolve(failed(err)));
  try {
    const reply = spec.run(ctx, s, args);
    return reply instanceof Promise ? reply.catch(again) : reply;
  } catch (err) {
    return isPending(err) ? again(err) : failed(err);
  }
}
