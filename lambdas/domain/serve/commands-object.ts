/**
 * OBJECT as a Redis 7.0 server answers it right after loading the point
 * (src/object.c objectCommand, rdb.c rdbLoadObject): ENCODING is the
 * encoding that server gives the value when it loads it (its default
 * thresholds, whatever encoding the file stored: a listpack written under
 * larger ones loads as a hash table), REFCOUNT its shared integers'.
 * IDLETIME is refused in words: a file written under an LRU policy stores
 * each key's idle time (opcode 0xF8), which this index does not keep, so a
 * figure here could be wrong. FREQ answers as 7.0 under its default policy
 * (noeviction): not tracked.
 */
import { helpReply, subcommandArity } from './command-replies.js';
import { type CommandSpec, lookup, type ServeContext, valueAt } from './context.js';
import { stringHeaderAt } from './commands-values.js';
import { typeNameOf } from './key-index.js';
import { EMBSTR_BYTES, loadedEncoding } from './loaded-encoding.js';
import { R, type Reply } from './resp.js';
import { ERR, parseInteger } from './reply-text.js';

/** 7.0's OBJ_SHARED_INTEGERS: 0 to this−1 are one shared object each (refcount INT_MAX) when maxmemory is 0. */
const SHARED_INTEGERS = 10_000;
const SHARED_REFCOUNT = 2_147_483_647;

/** OBJECT ENCODING of the key at `pos`: a string's from its header when it is long (one over proto-max-bulk-len is `raw` too). */
async function encodingAt(ctx: ServeContext, db: number, pos: number): Promise<Reply> {
  const type = ctx.index.typeAt(db, pos);
  if (typeNameOf(type) === 'list') return R.bulk('quicklist');
  if (typeNameOf(type) === 'stream') return R.bulk('stream');
  if (typeNameOf(type) === 'string') {
    const head = await stringHeaderAt(ctx, db, pos);
    if (head && head.length > EMBSTR_BYTES) return R.bulk('raw');
  }
  return R.bulk(loadedEncoding(type, await valueAt(ctx, db, pos)));
}

/** OBJECT REFCOUNT: 7.0's shared integers (0–9999, held as one object) answer INT_MAX, every other value 1. */
async function refcountAt(ctx: ServeContext, db: number, pos: number): Promise<Reply> {
  if (typeNameOf(ctx.index.typeAt(db, pos)) !== 'string') return R.int(1);
  const head = await stringHeaderAt(ctx, db, pos);
  if (head && head.length > 4) return R.int(1);
  const v = await valueAt(ctx, db, pos);
  const n = v.type === 'string' && v.value.length <= 20 ? parseInteger(v.value) : undefined;
  return R.int(n !== undefined && n >= 0 && n < SHARED_INTEGERS ? SHARED_REFCOUNT : 1);
}

export const OBJECT_COMMANDS: Readonly<Record<string, CommandSpec>> = {
  object: {
    arity: -2,
    run(ctx, s, args) {
      const sub = args[1]!.toString('latin1');
      const name = sub.toLowerCase();
      const arity = subcommandArity(`object|${name}`);
      if (arity === undefined) return R.errorBytes(ERR.unknownSub(args[1]!, 'object'));
      if ((arity > 0 && args.length !== arity) || args.length < -arity) return R.error(ERR.arity(`object|${name}`));
      if (name === 'help') return helpReply('object', args.length);
      // A missing key first: null, whatever the subcommand (object.c objectCommand's lookupKeyReadWithFlags).
      const pos = lookup(ctx, s.db, args[2]!);
      if (pos < 0) return R.null;
      if (name === 'encoding') return encodingAt(ctx, s.db, pos);
      if (name === 'refcount') return refcountAt(ctx, s.db, pos);
      if (name === 'freq')
        return R.error(
          'ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.',
        );
      return R.error(
        "ERR OBJECT IDLETIME is not served from a recovery point: a file written under an LRU policy stores each key's idle time, which redis-dr serve does not read, and no read here touches a key",
      );
    },
  },
};
