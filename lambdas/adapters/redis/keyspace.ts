/**
 * A whole keyspace behind one URL, for `migrate` and `compare`: a single
 * server (one database), or every shard of a Redis Cluster (ElastiCache
 * cluster mode enabled, serverless, self-managed clusters). It tells what to
 * SCAN to see every key (one lane per shard) and sends per-key commands to
 * the node that serves each key, following `MOVED` (topology refresh) and
 * `ASK` (a slot migrating: `ASKING` + the command on the importing node).
 *
 * The bulk traffic goes through the lean RESP2 pipes of resp-pipe.ts (one per
 * node); ioredis clients only for the per-type canonical reads of compare.
 */
import net from 'node:net';
import type { Redis } from 'ioredis';
import { addressLabel, keySlot, parseClusterSlots, parseRedirect, slotOwners, ClusterTopologyError, type ClusterShard, type NodeAddress } from './cluster.js';
import { createRedisConnection, RedisConnectionError, RedisUrlError } from './connection.js';
import { RedisBatchBrokenError } from './resp-pipe.js';
import { encodeCommandParts, endpointOf, type Arg, RespPipe, openPipe, type PipeEndpoint, type Reply } from './resp-pipe.js';

/** One command: name and arguments. */
export type Command = readonly Arg[];

/** Sends per-key commands to the node serving each key. */
export interface KeyRouter {
  /**
   * `perKey` commands per key from `build` (given the key's index), pipelined per node, nodes in
   * parallel; the replies flat, in key order (key i's at `i * perKey …`).
   * A key whose node could not be reached gets the connection error
   * ({@link RedisConnectionError}) as each of its replies: the other keys'
   * answers still count.
   */
  route(keys: readonly Buffer[], perKey: number, build: (i: number, out: Command[]) => void): Promise<Reply[]>;
}

/** One node to SCAN: together, the lanes of a keyspace hold every key once. */
export interface KeyspaceLane {
  /** `host:port` */
  readonly label: string;
  /** A new pipe to the node (in the keyspace's database; READONLY on a replica). */
  open(): Promise<RespPipe>;
}

/** A whole keyspace (see the module comment). */
export interface Keyspace extends KeyRouter {
  /** What the URL turned out to be, for people: `redis 10.0.0.1:6379 db 0`, `Redis Cluster of 3 primaries via …`. */
  readonly label: string;
  readonly cluster: boolean;
  /** Shards (1 for a single server). */
  readonly shards: number;
  readonly lanes: readonly KeyspaceLane[];
  /** Keys in the keyspace (DBSIZE of every lane). */
  dbsize(): Promise<number>;
  /** An ioredis client to the node serving `key` (canonical reads), and a retry after a topology refresh when asked. */
  clientFor(key: Buffer): Promise<Redis>;
  /** Re-reads the topology (after MOVED seen outside {@link route}). */
  refresh(): Promise<void>;
  /**
   * The slot map as it is now (cluster: primaries and their slot ranges;
   * a single server: ''): a copy or compare whose source map changed while
   * it ran may have missed keys that moved past the shards it read.
   */
  slotMap(): Promise<string>;
  /** Closes every connection this keyspace opened. */
  close(): void;
}

/** The whole reply set of a group whose connection broke: its error for every reply. */
function fill(replies: Reply[], at: number, count: number, err: unknown): void {
  const e = err instanceof RedisConnectionError ? err : new RedisConnectionError(err instanceof Error ? err.message : String(err), { cause: err });
  for (let j = 0; j < count; j++) replies[at + j] = e;
}

/** The replies that arrived before a group's connection broke (none when it broke before sending). */
function received(err: unknown): readonly Reply[] {
  return err instanceof RedisBatchBrokenError ? err.received : [];
}

/**
 * A router over one pipe (a single server). The commands are built and
 * encoded at once and nothing here keeps them once the pipe has them: no
 * redirect to send them again, so a big RESTORE's payload is let go when
 * the socket has written it, not when the server answers.
 */
export function pipeRouter(pipe: RespPipe | (() => Promise<RespPipe>)): KeyRouter {
  return {
    route(keys, perKey, build) {
      const commands: Command[] = [];
      for (let i = 0; i < keys.length; i++) build(i, commands);
      const count = commands.length;
      const replies = keys.length * perKey;
      // Chained, not awaited: a suspended async frame would hold the encoded commands until the replies came.
      return sendOn(pipe, encodeCommandParts(commands), count).catch((err: unknown) => {
        // Answers that came before the break are kept: only the unanswered commands carry the error.
        const out = new Array<Reply>(replies);
        fill(out, 0, out.length, err);
        received(err).forEach((r, j) => {
          out[j] = r;
        });
        return out;
      });
    },
  };
}

/** `payload` (holding `count` commands) on the pipe, opened first when it is a function. */
function sendOn(pipe: RespPipe | (() => Promise<RespPipe>), payload: Buffer | Buffer[], count: number): Promise<Reply[]> {
  if (typeof pipe !== 'function') return pipe.exec(payload, count);
  return pipe().then((p) => p.exec(payload, count));
}

/** Options of {@link keyspaceOf} and {@link openKeyspace}. */
export interface KeyspaceOptions {
  /** Cluster: SCAN a replica of each shard (READONLY) instead of its primary. @default false */
  readonly readReplicas?: boolean;
}

/** A single server's keyspace over an ioredis client (its database); `owned`: close() disconnects the client too. */
export function singleKeyspace(client: Redis, owned = false): Keyspace {
  const ep = endpointOf(client);
  const db = client.options.db ?? 0;
  let pipe: Promise<RespPipe> | undefined;
  const opened: Promise<RespPipe>[] = [];
  const open = (): Promise<RespPipe> => {
    const p = openPipe(client);
    opened.push(p);
    p.catch(() => undefined);
    return p;
  };
  const router = pipeRouter(() => (pipe ??= open()));
  // One promise for every key: callers group keys by it (readCanonicalKeyspace), so all of a batch goes in one pipeline.
  const self = Promise.resolve(client);
  return {
    label: `redis ${addressLabel(ep)} db ${db}`,
    cluster: false,
    shards: 1,
    lanes: [{ label: addressLabel(ep), open }],
    route: router.route,
    dbsize: () => client.dbsize(),
    clientFor: () => self,
    refresh: async () => undefined,
    slotMap: async () => '',
    close() {
      for (const p of opened)
        p.then(
          (x) => x.close(),
          () => undefined,
        );
      if (owned) client.disconnect();
    },
  };
}

/** A keyspace as given: a Keyspace, or a single server's ioredis client (not closed by close()). */
export function keyspaceOf(x: Redis | Keyspace): Keyspace {
  return 'route' in x ? x : singleKeyspace(x);
}

/**
 * Runs `fn` on the keyspaces of `x` and `y` ({@link keyspaceOf}); closes the
 * wrappers it made for plain clients, never what the caller passed in.
 */
export async function withKeyspacesOf<T>(x: Redis | Keyspace, y: Redis | Keyspace, fn: (a: Keyspace, b: Keyspace) => Promise<T>): Promise<T> {
  const a = keyspaceOf(x);
  const b = keyspaceOf(y);
  try {
    return await fn(a, b);
  } finally {
    if (a !== x) a.close();
    if (b !== y) b.close();
  }
}

/** Is the server behind this client a Redis Cluster node (`cluster_enabled:1`)? */
export async function isClusterNode(client: Redis): Promise<boolean> {
  const info = await client.info('cluster').catch(() => '');
  return /cluster_enabled:1/.test(info);
}

/**
 * The keyspace behind a connected client: when its server is a cluster
 * node, the whole cluster (every shard); a database other than 0 with a
 * cluster is refused (a cluster has only database 0). The keyspace owns the
 * client: close() disconnects it.
 */
export async function openKeyspace(client: Redis, options: KeyspaceOptions = {}): Promise<Keyspace> {
  if (!(await isClusterNode(client))) {
    if (options.readReplicas) {
      client.disconnect();
      throw new RedisUrlError(
        `${addressLabel(endpointOf(client))} is a single server, not a Redis Cluster: reading replicas applies to clusters; give a replica's own URL instead`,
      );
    }
    return singleKeyspace(client, true);
  }
  // connectUrl refuses a database other than 0 with a cluster; a client selected one anyway is refused here.
  const ep = endpointOf(client);
  if ((client.options.db ?? 0) !== 0) {
    client.disconnect();
    throw new RedisUrlError(`${addressLabel(ep)} is a Redis Cluster node: a cluster has only database 0`);
  }
  const ks = new ClusterKeyspace(client, ep, options);
  try {
    await ks.refresh();
  } catch (err) {
    ks.close();
    throw err;
  }
  return ks;
}

/** Rounds of redirections one route() follows before it gives up on a key. */
const MAX_REDIRECTS = 5;

class ClusterKeyspace implements Keyspace {
  readonly cluster = true;
  private topology: { shards: ClusterShard[]; owner: Int16Array; primaries: NodeAddress[] } = { shards: [], owner: new Int16Array(0), primaries: [] };
  private readonly pipes = new Map<string, Promise<RespPipe>>();
  private readonly clients = new Map<string, Promise<Redis>>();
  private readonly extra: Promise<RespPipe>[] = [];
  private refreshing?: Promise<void>;
  private seedLabel: string;

  constructor(
    private readonly seed: Redis,
    private readonly base: PipeEndpoint,
    private readonly options: KeyspaceOptions,
  ) {
    this.seedLabel = addressLabel(base);
  }

  get shards(): number {
    return this.topology.shards.length;
  }

  get label(): string {
    const n = this.topology.shards.length;
    return `Redis Cluster of ${n} primar${n === 1 ? 'y' : 'ies'} (found through ${this.seedLabel}; every shard${this.options.readReplicas ? ', read from replicas' : ''})`;
  }

  get lanes(): KeyspaceLane[] {
    return this.topology.shards.map((s) => {
      const node = this.options.readReplicas ? s.replicas[0] : s.primary;
      if (!node)
        throw new ClusterTopologyError(`the shard of ${addressLabel(s.primary)} has no replica to read from: drop the replica option or add a replica`);
      return {
        label: addressLabel(node),
        open: async () => {
          const p = RespPipe.open(this.endpoint(node), 0);
          this.extra.push(p);
          const pipe = await p;
          if (this.options.readReplicas) await pipe.call(['READONLY']);
          return pipe;
        },
      };
    });
  }

  /** TLS: a node reported by IP keeps the server name of the URL's host, so the certificate (e.g. ElastiCache's wildcard) still matches. */
  private endpoint(a: NodeAddress): PipeEndpoint {
    const tls = this.base.tls ? { ...this.base.tls, servername: net.isIP(a.host) ? this.base.tls.servername : a.host } : undefined;
    return { ...this.base, host: a.host, port: a.port, tls };
  }

  private pipe(a: NodeAddress): Promise<RespPipe> {
    const key = addressLabel(a);
    let p = this.pipes.get(key);
    if (!p) {
      p = RespPipe.open(this.endpoint(a), 0);
      p.catch(() => this.pipes.delete(key));
      this.pipes.set(key, p);
    }
    return p;
  }

  refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      try {
        const shards = await this.readShards();
        const owner = slotOwners(shards, this.seedLabel);
        this.topology = { shards, owner, primaries: shards.map((s) => s.primary) };
      } catch (err) {
        if (err instanceof ClusterTopologyError) throw err;
        throw new RedisConnectionError(`CLUSTER SLOTS failed at ${this.seedLabel}: ${(err as Error).message}`, { cause: err });
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }

  /** CLUSTER SLOTS through the seed node, as shards. */
  private async readShards(): Promise<ClusterShard[]> {
    return parseClusterSlots((await this.seed.callBuffer('CLUSTER', 'SLOTS')) as Reply, this.base.host);
  }

  async slotMap(): Promise<string> {
    const shards = await this.readShards();
    return shards.map((s) => `${addressLabel(s.primary)}=${s.slots.map(([a, b]) => `${a}-${b}`).join(',')}`).join(' ');
  }

  private ownerOf(key: Buffer): NodeAddress {
    return this.topology.primaries[this.topology.owner[keySlot(key)]!]!;
  }

  async dbsize(): Promise<number> {
    const sizes = await Promise.all(
      this.lanes.map(async (lane) => {
        const pipe = await lane.open();
        try {
          return Number(await pipe.call(['DBSIZE']));
        } finally {
          pipe.close();
        }
      }),
    );
    return sizes.reduce((a, b) => a + b, 0);
  }

  /**
   * Each key's commands to the primary serving its slot, following MOVED and
   * ASK. Unlike {@link pipeRouter}, `build` (and so a RESTORE's payload) is
   * kept until every command is answered: a redirected one is built again.
   */
  async route(keys: readonly Buffer[], perKey: number, build: (i: number, out: Command[]) => void): Promise<Reply[]> {
    const replies = new Array<Reply>(keys.length * perKey);
    let pending: number[] = keys.map((_, i) => i);
    const ask = new Map<number, NodeAddress>();
    const movedTo = new Map<number, NodeAddress>(); // slot → node, from MOVED, until the refresh agrees
    for (let round = 0; pending.length > 0; round++) {
      if (round > MAX_REDIRECTS) {
        for (const i of pending)
          fill(
            replies,
            i * perKey,
            perKey,
            new RedisConnectionError(`key slot ${keySlot(keys[i]!)} still redirected after ${MAX_REDIRECTS} tries (a slot moving?): rerun`),
          );
        break;
      }
      let groups: { node: NodeAddress; asking: boolean; idx: number[] }[];
      if (ask.size === 0 && movedTo.size === 0) {
        // The common case: every key to the primary the slot map names (no strings, no maps per key).
        const { owner, primaries } = this.topology;
        const byOwner: number[][] = primaries.map(() => []);
        for (const i of pending) byOwner[owner[keySlot(keys[i]!)]!]!.push(i);
        groups = [];
        byOwner.forEach((idx, n) => {
          idx.length > 0 && groups.push({ node: primaries[n]!, asking: false, idx });
        });
      } else {
        const byNode = new Map<string, { node: NodeAddress; asking: boolean; idx: number[] }>();
        for (const i of pending) {
          const key = keys[i]!;
          const asked = ask.get(i);
          const node = asked ?? movedTo.get(keySlot(key)) ?? this.ownerOf(key);
          const g = `${addressLabel(node)}${asked ? ' ask' : ''}`;
          let group = byNode.get(g);
          if (!group) byNode.set(g, (group = { node, asking: asked !== undefined, idx: [] }));
          group.idx.push(i);
        }
        groups = [...byNode.values()];
      }
      ask.clear();
      await Promise.all(
        groups.map(async (g) => {
          const commands: Command[] = [];
          const one: Command[] = [];
          for (const i of g.idx) {
            if (!g.asking) {
              build(i, commands);
              continue;
            }
            one.length = 0;
            build(i, one);
            for (const c of one) commands.push(['ASKING'], c); // ASKING holds for the next command only
          }
          try {
            const r = await (await this.pipe(g.node)).exec(encodeCommandParts(commands), commands.length);
            const step = g.asking ? 2 : 1;
            let at = g.asking ? 1 : 0;
            for (const i of g.idx) for (let j = 0; j < perKey; j++, at += step) replies[i * perKey + j] = r[at]!;
          } catch (err) {
            for (const i of g.idx) fill(replies, i * perKey, perKey, err);
            // Answers that came before the break are kept (ASKING's own replies skipped): only unanswered commands carry the error.
            const r = received(err);
            const step = g.asking ? 2 : 1;
            let at = g.asking ? 1 : 0;
            for (const i of g.idx) for (let j = 0; j < perKey && at < r.length; j++, at += step) replies[i * perKey + j] = r[at]!;
          }
        }),
      );
      const next: number[] = [];
      let moved = false;
      for (const i of pending) {
        for (let j = 0; j < perKey; j++) {
          const red = parseRedirect(replies[i * perKey + j]!);
          if (!red) continue;
          const to = red.to.host === '' || red.to.host === '?' ? this.base : red.to;
          if (red.kind === 'ASK') ask.set(i, { host: to.host, port: to.port });
          else {
            movedTo.set(red.slot, { host: to.host, port: to.port });
            moved = true;
          }
          next.push(i);
          break;
        }
      }
      if (moved) await this.refresh();
      pending = next;
    }
    return replies;
  }

  clientFor(key: Buffer): Promise<Redis> {
    const node = this.ownerOf(key);
    const label = addressLabel(node);
    let c = this.clients.get(label);
    if (!c) {
      const e = this.endpoint(node);
      c = createRedisConnection({
        host: e.host,
        port: e.port,
        tls: e.tls !== undefined,
        tlsOptions: e.tls,
        username: e.username,
        password: e.password,
        clusterMode: 'disabled',
        connectTimeoutMs: e.connectTimeoutMs,
        commandTimeoutMs: e.commandTimeoutMs,
      }) as Promise<Redis>;
      c.catch(() => this.clients.delete(label));
      this.clients.set(label, c);
    }
    return c;
  }

  close(): void {
    for (const p of [...this.pipes.values(), ...this.extra])
      p.then(
        (x) => x.close(),
        () => undefined,
      );
    for (const c of this.clients.values())
      c.then(
        (x) => x.disconnect(),
        () => undefined,
      );
    this.seed.disconnect();
  }
}
