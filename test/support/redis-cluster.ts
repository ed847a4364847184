import { Cluster, type ChainableCommander, type Redis } from 'ioredis';
import { startRedisServer, type RedisServer } from './redis-server.js';

/**
 * Real Redis Clusters for tests: several redis-server processes on loopback
 * ports with `cluster-enabled yes`, joined with CLUSTER MEET, the 16384
 * slots split evenly with CLUSTER ADDSLOTSRANGE (Redis 7.0+), optional
 * replicas with CLUSTER REPLICATE. Ready when every node reports
 * `cluster_state:ok` and agrees on the slot map.
 */
export interface RedisCluster {
  /** Primaries, in slot order (the first serves slot 0). */
  readonly primaries: RedisServer[];
  /** Replicas (`replicas[i]` replicates `primaries[i]`), when asked for. */
  readonly replicas: RedisServer[];
  /** `redis://127.0.0.1:<port of the first primary>`: one node, which means the whole cluster. */
  readonly url: string;
  /** A cluster-aware ioredis client (closed by `stop()`). */
  client(): Cluster;
  /** The node ids by port. */
  nodeId(server: RedisServer): Promise<string>;
  /** Kills a primary at once (a crash); its folder stays for {@link restart}. */
  kill(index: number): Promise<void>;
  /** Starts a killed primary again (same port and folder: it rejoins from nodes.conf, empty) and waits for `cluster_state:ok`. */
  restart(index: number): Promise<void>;
  /** Waits until every live node reports `cluster_state:ok` and the same slot map. */
  waitReady(): Promise<void>;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  /** @default 3 */
  readonly primaries?: number;
  /** Replicas per primary. @default 0 */
  readonly replicas?: 0 | 1;
}

const CLUSTER_ARGS = [
  '--cluster-enabled',
  'yes',
  '--cluster-config-file',
  'nodes.conf',
  '--cluster-node-timeout',
  '1000',
  '--cluster-require-full-coverage',
  'yes',
  // A replica's first sync at once: by default a primary waits 5 s for more replicas before it starts a diskless one,
  // and waitReady waited that out for every cluster with replicas (test/cli/commands/migrate/migrate-cluster.test.ts,
  // on one CPU: 13.3 -> 8.9-9.1 s).
  '--repl-diskless-sync-delay',
  '0',
];

async function until(what: string, check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis cluster: ${what} within ${ms} ms`);
}

export async function startRedisCluster(options: ClusterOptions = {}): Promise<RedisCluster> {
  const n = options.primaries ?? 3;
  const primaries = await Promise.all(Array.from({ length: n }, () => startRedisServer({ args: CLUSTER_ARGS })));
  const replicas = options.replicas ? await Promise.all(primaries.map(() => startRedisServer({ args: CLUSTER_ARGS }))) : [];
  const all = [...primaries, ...replicas];
  const admin = new Map<RedisServer, Redis>();
  const adminOf = (s: RedisServer): Redis => {
    let c = admin.get(s);
    if (!c) admin.set(s, (c = s.client()));
    return c;
  };
  const clients: Cluster[] = [];
  const nodeId = async (s: RedisServer) => String(await adminOf(s).call('CLUSTER', 'MYID'));
  const per = Math.floor(16384 / n);
  await Promise.all(primaries.map((s, i) => adminOf(s).call('CLUSTER', 'ADDSLOTSRANGE', String(i * per), String(i === n - 1 ? 16383 : (i + 1) * per - 1))));
  for (const s of all.slice(1)) await adminOf(all[0]!).call('CLUSTER', 'MEET', '127.0.0.1', String(s.port));
  await until('every node knows every other', async () => {
    for (const s of all) {
      const nodes = String(await adminOf(s).call('CLUSTER', 'NODES'))
        .trim()
        .split('\n');
      if (nodes.length !== all.length || nodes.some((l) => /handshake|noaddr/.test(l))) return false;
    }
    return true;
  });
  for (const [i, r] of replicas.entries()) await adminOf(r).call('CLUSTER', 'REPLICATE', await nodeId(primaries[i]!));

  const live = new Set(all);
  const waitReady = () =>
    until('cluster_state:ok on every node with one slot map', async () => {
      let map: string | undefined;
      for (const s of live) {
        const c = adminOf(s);
        if (!/cluster_state:ok/.test(String(await c.call('CLUSTER', 'INFO')))) return false;
        const slots = JSON.stringify(((await c.call('CLUSTER', 'SLOTS')) as unknown[][]).map((r) => [r[0], r[1], (r[2] as unknown[])[1], r.length]).sort());
        if (map !== undefined && map !== slots) return false;
        map = slots;
      }
      if (replicas.length > 0) {
        for (const r of replicas) if (!/master_link_status:up/.test(await adminOf(r).info('replication'))) return false;
      }
      return true;
    });
  await waitReady();

  return {
    primaries,
    replicas,
    url: `redis://127.0.0.1:${primaries[0]!.port}`,
    client() {
      const c = new Cluster([{ host: '127.0.0.1', port: primaries[0]!.port }], { redisOptions: { protocol: 2 } });
      clients.push(c);
      return c;
    },
    nodeId,
    async kill(index) {
      const s = primaries[index]!;
      live.delete(s);
      admin.get(s)?.disconnect();
      admin.delete(s);
      await s.kill();
    },
    async restart(index) {
      const old = primaries[index]!;
      admin.get(old)?.disconnect();
      admin.delete(old);
      live.delete(old);
      const again = await startRedisServer({ args: CLUSTER_ARGS, dir: old.dir, port: old.port });
      primaries[index] = again;
      live.add(again);
      await waitReady();
    },
    waitReady,
    async stop() {
      clients.forEach((c) => {
        c.disconnect();
      });
      admin.forEach((c) => {
        c.disconnect();
      });
      await Promise.all([...primaries, ...replicas].map((s) => s.stop()));
    },
  };
}

/**
 * A pipeline on a server; on a cluster (whose ioredis pipelines take one slot
 * only) the same calls sent at once, each to its node: per key, in order.
 */
export function pipelineOf(client: Redis | Cluster): ChainableCommander {
  if (!(client instanceof Cluster)) return client.pipeline();
  const calls: Promise<unknown>[] = [];
  const exec = async () => (await Promise.allSettled(calls)).map((r) => (r.status === 'fulfilled' ? [null, r.value] : [r.reason, null]));
  const proxy: ChainableCommander = new Proxy({} as ChainableCommander, {
    get: (_, name: string) =>
      name === 'exec'
        ? exec
        : (...args: unknown[]) => {
            calls.push((client as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[name]!(...args));
            return proxy;
          },
  });
  return proxy;
}
