import type Redis from 'ioredis';
import type { AofStore, StoredObject } from '../../lambdas/adapters/storage/aof-store.js';
import { startRedisServer, type RedisServer, type StartOptions } from './redis-server.js';

/**
 * What the AOF tests share: a real redis-server writing a multi-part AOF
 * with timestamp annotations, a forced rewrite, a writer that keeps writing,
 * and a destination that can be made to fail.
 */

/** The arguments of a server that writes its AOF with `#TS` annotations (every acknowledged write is in the file). */
export const AOF_ARGS = ['--appendonly', 'yes', '--aof-timestamp-enabled', 'yes', '--appendfsync', 'always', '--auto-aof-rewrite-percentage', '0'];

export function startAofServer(options: StartOptions = {}): Promise<RedisServer> {
  return startRedisServer({ ...options, args: [...AOF_ARGS, ...(options.args ?? [])] });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** BGREWRITEAOF, then waits until it finished (and fails the test when it failed). */
export async function rewriteAof(c: Redis): Promise<void> {
  await c.bgrewriteaof();
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const info = await c.info('persistence');
    if (/aof_rewrite_in_progress:0/.test(info) && /aof_rewrite_scheduled:0/.test(info)) {
      if (!/aof_last_bgrewrite_status:ok/.test(info)) throw new Error('BGREWRITEAOF failed');
      return;
    }
    await sleep(10);
  }
  throw new Error('BGREWRITEAOF did not finish within 20 s');
}

/** Sleeps until `marginMs` after the next whole second. */
export async function nextSecond(marginMs = 50): Promise<void> {
  await sleep(1000 - (Date.now() % 1000) + marginMs);
}

/** A writer that keeps writing (strings, hashes, lists, counters, transactions) until stopped; writes that fail (a restart) are retried. */
export function startWriter(c: Redis, prefix: string): { stop(): Promise<number>; readonly acked: number } {
  let running = true;
  let acked = 0;
  const done = (async () => {
    for (let i = 0; running; i++) {
      try {
        if (i % 7 === 0) await c.multi().set(`${prefix}:tx:${i}`, `t${i}`).incr(`${prefix}:counter`).exec();
        else if (i % 5 === 0) await c.hset(`${prefix}:h:${i % 50}`, `f${i}`, `v${i}`);
        else if (i % 3 === 0) await c.rpush(`${prefix}:list`, `e${i}`);
        else await c.set(`${prefix}:s:${i}`, `value-${i}-${'x'.repeat(i % 40)}`);
        acked++;
      } catch {
        await sleep(20); // the server is restarting
      }
      if (i % 20 === 0) await sleep(2);
    }
  })();
  return {
    get acked() {
      return acked;
    },
    async stop() {
      running = false;
      await done;
      return acked;
    },
  };
}

/** A destination that fails every write and listing while `failing` is set. */
export class FlakyAofStore implements AofStore {
  failing = false;
  failures = 0;
  constructor(private readonly inner: AofStore) {}
  get url(): string {
    return this.inner.url;
  }
  private check(what: string): void {
    if (this.failing) {
      this.failures++;
      throw new Error(`${this.inner.url}: ${what} failed: injected outage`);
    }
  }
  async list(): Promise<string[]> {
    this.check('list');
    return this.inner.list();
  }
  async objects(): Promise<StoredObject[]> {
    this.check('list');
    return this.inner.objects();
  }
  async remove(key: string): Promise<void> {
    this.check(`remove ${key}`);
    return this.inner.remove(key);
  }
  async sweep(): Promise<string[]> {
    this.check('sweep');
    return this.inner.sweep();
  }
  async put(key: string, body: Uint8Array): Promise<number> {
    this.check(`write ${key}`);
    return this.inner.put(key, body);
  }
  async replace(key: string, body: Uint8Array): Promise<number> {
    this.check(`write ${key}`);
    return this.inner.replace(key, body);
  }
  async putStream(key: string, body: AsyncIterable<Uint8Array>, commit: () => void, signal?: AbortSignal): Promise<number> {
    this.check(`upload ${key}`);
    return this.inner.putStream(key, body, commit, signal);
  }
  get(key: string): Promise<Buffer> {
    return this.inner.get(key);
  }
  getStream(key: string): Promise<AsyncIterable<Uint8Array>> {
    return this.inner.getStream(key);
  }
}
