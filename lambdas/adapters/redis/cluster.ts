/**
 * Redis Cluster topology for `migrate` and `compare` (ElastiCache cluster
 * mode enabled, self-managed clusters): which primary serves which hash
 * slot, read from `CLUSTER SLOTS` (allowed on ElastiCache; Redis 3+ and
 * Valkey), the slot of a key, and the `MOVED` / `ASK` redirections a node
 * answers while slots move.
 * @see https://redis.io/docs/latest/operate/oss_and_stack/reference/cluster-spec/
 */
import type { Reply } from './resp-pipe.js';

import { keySlot, SLOT_COUNT } from '../../domain/keys/hash-slot.js';

export { keySlot, SLOT_COUNT };

/** One node, as the cluster names it. */
export interface NodeAddress {
  readonly host: string;
  readonly port: number;
}

/** `host:port` (IPv6 in brackets). */
export function addressLabel(a: NodeAddress): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/** A primary, its replicas and the slot ranges it serves. */
export interface ClusterShard {
  readonly primary: NodeAddress;
  readonly replicas: readonly NodeAddress[];
  /** Inclusive ranges. */
  readonly slots: readonly (readonly [number, number])[];
}

/** The cluster cannot be used as it stands (slots without a primary). */
export class ClusterTopologyError extends Error {
  override readonly name = 'ClusterTopologyError';
}

function text(r: Reply | undefined): string {
  return Buffer.isBuffer(r) ? r.toString() : String(r ?? '');
}

/**
 * `CLUSTER SLOTS` → shards, one per primary. A node the cluster reports
 * without an address (`""` or `"?"`: the node answering does not know its
 * own announced IP) is the node asked, `askedHost`.
 */
export function parseClusterSlots(reply: Reply, askedHost: string): ClusterShard[] {
  if (!Array.isArray(reply)) throw new ClusterTopologyError(`CLUSTER SLOTS answered ${text(reply as Reply)}`);
  const byPrimary = new Map<string, { primary: NodeAddress; replicas: Map<string, NodeAddress>; slots: [number, number][] }>();
  const node = (r: Reply): NodeAddress => {
    const [host, port] = r as Reply[];
    const h = text(host);
    return { host: h === '' || h === '?' ? askedHost : h, port: Number(port) };
  };
  for (const range of reply) {
    const [start, end, primary, ...replicas] = range as Reply[];
    const p = node(primary!);
    const label = addressLabel(p);
    let shard = byPrimary.get(label);
    if (!shard) byPrimary.set(label, (shard = { primary: p, replicas: new Map(), slots: [] }));
    shard.slots.push([Number(start), Number(end)]);
    for (const r of replicas) {
      const a = node(r);
      shard.replicas.set(addressLabel(a), a);
    }
  }
  return [...byPrimary.values()]
    .map((s) => ({ primary: s.primary, replicas: [...s.replicas.values()], slots: s.slots.sort((x, y) => x[0] - y[0]) }))
    .sort((x, y) => (x.slots[0]?.[0] ?? 0) - (y.slots[0]?.[0] ?? 0));
}

/** `0-5460,5462` */
export function formatSlotRanges(ranges: readonly (readonly [number, number])[]): string {
  return ranges.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(',');
}

/**
 * Slot → index of the shard serving it. Refuses a cluster with slots no
 * primary serves (`cluster_state:fail`): its keyspace cannot be read or
 * written whole, and a partial copy must never look complete.
 */
export function slotOwners(shards: readonly ClusterShard[], where: string): Int16Array {
  const owner = new Int16Array(SLOT_COUNT).fill(-1);
  shards.forEach((s, i) => {
    for (const [a, b] of s.slots) owner.fill(i, a, b + 1);
  });
  const gaps: [number, number][] = [];
  for (let slot = 0; slot < SLOT_COUNT; slot++) {
    if (owner[slot] !== -1) continue;
    const last = gaps[gaps.length - 1];
    if (last && last[1] === slot - 1) last[1] = slot;
    else gaps.push([slot, slot]);
  }
  if (gaps.length > 0) {
    throw new ClusterTopologyError(
      `the Redis Cluster at ${where} has hash slots no primary serves (${formatSlotRanges(gaps)}): ` +
        'its keyspace cannot be read or written whole; repair the cluster (CLUSTER INFO shows cluster_state) and rerun',
    );
  }
  return owner;
}

/** A `MOVED` or `ASK` error reply. */
export interface Redirect {
  readonly kind: 'MOVED' | 'ASK';
  readonly slot: number;
  readonly to: NodeAddress;
}

/** `MOVED 3999 127.0.0.1:6381` / `ASK 3999 [::1]:6381` → where to go; anything else → undefined. */
export function parseRedirect(reply: Reply): Redirect | undefined {
  if (!(reply instanceof Error)) return undefined;
  const m = /^(MOVED|ASK) (\d+) (.*):(\d+)$/.exec(reply.message);
  if (!m) return undefined;
  return { kind: m[1] as 'MOVED' | 'ASK', slot: Number(m[2]), to: { host: m[3]!.replace(/^\[|\]$/g, ''), port: Number(m[4]) } };
}
