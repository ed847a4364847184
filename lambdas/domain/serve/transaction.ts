/**
 * MULTI, EXEC, DISCARD, WATCH and UNWATCH as a read-only replica of Redis
 * 7.0 answers them (src/multi.c, processCommand of src/server.c): commands
 * after MULTI are checked as they come (unknown, arity, NOAUTH, a write's
 * READONLY) and queued (`+QUEUED`); one refused marks the transaction, and
 * EXEC then discards it (`EXECABORT`); else EXEC runs the queue in order
 * and answers their replies as one array. Nothing can change the point, so
 * a WATCHed key is touched only by its expiry passing between WATCH and
 * EXEC, which aborts EXEC (a null array) as Redis 7.0's isWatchedKeyExpired
 * does.
 */
import type { CommandSpec, ServeContext, Session } from './context.js';
import { R, type Reply } from './resp.js';

/** The commands MULTI does not queue: they act on the transaction itself (QUIT closes the connection). */
export const NOT_QUEUED: ReadonlySet<string> = new Set(['multi', 'exec', 'discard', 'watch', 'quit', 'reset']);

/** Whether the key `name` of `db` is in the file with an expiry passed by now (gone for a server that loaded it now). */
function expiredNow(ctx: ServeContext, db: number, name: Buffer): boolean {
  const pos = ctx.index.find(db, name);
  if (pos < 0) return false;
  const at = ctx.index.expireAtMs(db, pos);
  return at !== null && at <= ctx.now();
}

/** Ends the session's transaction and forgets its watched keys (DISCARD, EXEC, and an EXEC refused: commands.ts). */
export function endTransaction(s: Session): void {
  s.multi = undefined;
  s.watched = undefined;
}

/** The transaction commands; `run` answers one queued command (the endpoint's dispatch). */
export function transactionCommands(run: (ctx: ServeContext, s: Session, args: Buffer[]) => Reply | Promise<Reply>): Record<string, CommandSpec> {
  return {
    multi: {
      arity: 1,
      run(_ctx, s) {
        if (s.multi) return R.error('ERR MULTI calls can not be nested');
        s.multi = { queued: [], dirty: false };
        return R.ok;
      },
    },
    discard: {
      arity: 1,
      run(_ctx, s) {
        if (!s.multi) return R.error('ERR DISCARD without MULTI');
        endTransaction(s);
        return R.ok;
      },
    },
    watch: {
      arity: -2,
      run(ctx, s, [, ...names]) {
        if (s.multi) return R.error('ERR WATCH inside MULTI is not allowed');
        const added = names.map((name) => ({ db: s.db, name: Buffer.from(name), expired: expiredNow(ctx, s.db, name) }));
        s.watched = [...(s.watched ?? []), ...added];
        return R.ok;
      },
    },
    unwatch: {
      arity: 1,
      run(_ctx, s) {
        s.watched = undefined;
        return R.ok;
      },
    },
    exec: {
      arity: 1,
      async run(ctx, s) {
        const tx = s.multi;
        if (!tx) return R.error('ERR EXEC without MULTI');
        // Checked before the transaction is closed: a lookup that waits for an index block runs EXEC again.
        const touched = (s.watched ?? []).some((w) => !w.expired && expiredNow(ctx, w.db, w.name));
        endTransaction(s);
        if (tx.dirty) return R.error('EXECABORT Transaction discarded because of previous errors.');
        if (touched) return R.nullArray;
        const replies: Reply[] = [];
        s.inExec = true;
        try {
          for (const args of tx.queued) replies.push(await run(ctx, s, args));
        } finally {
          s.inExec = false;
        }
        return R.array(replies);
      },
    },
  };
}
