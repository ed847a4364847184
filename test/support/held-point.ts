import type { KeyValue } from '../../lambdas/domain/rdb/fingerprint.js';
import { execute } from '../../lambdas/domain/serve/commands.js';
import { type ServeContext, type Session, ValueCache } from '../../lambdas/domain/serve/context.js';
import { type IndexedKey, KeyIndexBuilder } from '../../lambdas/domain/serve/key-index.js';
import type { Reply } from '../../lambdas/domain/serve/resp.js';

/** A key of a {@link heldPoint}: its name, RDB type and decoded value. */
export interface HeldKey {
  readonly name: string;
  readonly type: number;
  readonly value: KeyValue;
}

/**
 * A served point in memory whose keys' decoded values are held as given, the same objects at each read (as the
 * ValueCache holds a big value), never read from a file: for tests that count what a command reads of a value or
 * look at the reply it builds. Returns a call of one command in database 0 over RESP `proto`.
 */
export function heldPoint(keys: readonly HeldKey[], cacheBytes?: number): (proto: 2 | 3, ...args: string[]) => Promise<Reply> {
  const builder = new KeyIndexBuilder();
  const byAt = new Map<number, KeyValue>();
  keys.forEach(({ name, type, value }, i) => {
    const at = 100 * (i + 1);
    builder.add({ db: 0, name: Buffer.from(name), type, valueAt: at, valueEnd: at + 50, expireAtMs: null });
    byAt.set(at, value);
  });
  class Held extends ValueCache {
    private readonly kept = new Set<number>();
    override get(key: IndexedKey): KeyValue {
      const value = byAt.get(key.valueAt)!;
      // Held as the cache holds a value it keeps: its memos (member-lookup.ts) are made and kept with it.
      if (!this.kept.has(key.valueAt)) {
        this.kept.add(key.valueAt);
        this.hold(key.valueAt, value, key.valueEnd - key.valueAt);
      }
      return value;
    }
  }
  const ctx: ServeContext = {
    index: builder.finish(10),
    payload: () => {
      throw new Error('held: never read');
    },
    now: () => 0,
    port: 0,
    databases: 16,
    cache: new Held(cacheBytes),
    about: { location: 'test', redisVersion: '7.0.0', startedAtMs: 0 },
  };
  return async (proto, ...args) => {
    const session: Session = { id: 1, db: 0, proto, name: null, authenticated: true, closing: false };
    return execute(
      ctx,
      session,
      args.map((a) => Buffer.from(a)),
    );
  };
}

/** `items` behind a proxy that counts the items read (`reads()`: those since the last call), for a {@link heldPoint}'s value. */
export function countedReads<T>(items: T[]): { readonly items: T[]; reads(): number } {
  let reads = 0;
  const proxied = new Proxy(items, {
    get(target, p, receiver) {
      if (typeof p === 'string' && /^\d+$/.test(p)) reads++;
      return Reflect.get(target, p, receiver);
    },
  });
  return {
    items: proxied,
    reads() {
      const n = reads;
      reads = 0;
      return n;
    },
  };
}
