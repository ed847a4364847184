/**
 * A recovery into a server that can evict (`maxmemory` with a policy other
 * than `noeviction`, the usual cache setting; ElastiCache nodes always have a
 * limit and default to `volatile-lru`) may push out the very keys it
 * restores, and the live keys written since the incident that
 * `--on-conflict skip` promises to keep. This module is the rule, pure:
 * what `INFO memory` / `INFO stats` say, whether a restore of a given size
 * fits each target node, and the lines people read. The reading is in
 * adapters/redis/memory.ts; both key copies (`migrate`, `migrate --from-rdb`)
 * call the one guard there.
 */

/**
 * Room kept free under `maxmemory`: a restore whose estimate plus what the
 * node holds passes `maxmemory` less this share is refused. Why 10 %: the
 * estimate is of the data only, while the node's `used_memory` also grows
 * with allocator fragmentation, the hash tables doubling as they fill,
 * client and replication buffers; and an estimate from the file's sizes
 * reads compressed strings and compact encodings smaller than they live.
 */
export const EVICTION_MARGIN_PCT = 10;

/**
 * Bytes a key costs in memory beyond its name and value as the RDB file
 * stores them (the keyspace dict entry, the object header, the expires
 * entry, allocator rounding): added per key to the file's sizes.
 */
export const RDB_KEY_OVERHEAD_BYTES = 64;

/** Slots of a Redis Cluster (the estimate of a cluster target is split per node by slot). */
export const CLUSTER_SLOTS = 16384;

/** What pass 1 over the file(s) counted, for {@link fileRestoreEstimate}. */
export interface FileSizes {
  /** Keys selected (the database, `--match`). */
  readonly selectedKeys: number;
  /** Their bytes in the file (type, name, value). */
  readonly selectedBytes: number;
  /** The bytes of every key of the file(s), selected or not. */
  readonly allBytes: number;
  /** The `used-mem` the source server recorded when it wrote the file(s) (summed over shard files); undefined when a file lacks it. */
  readonly usedMem?: number;
}

/**
 * The memory a restore from RDB file(s) will take: the larger of the keys'
 * sizes in the file (plus {@link RDB_KEY_OVERHEAD_BYTES} each) and the
 * source's own `used-mem` at the save scaled to the share of the file
 * selected. Why both: a file stores strings LZF-compressed and collections
 * compactly, so its sizes alone can be a fraction of the memory (values of
 * repeated text: a twentieth); `used-mem` is what the data took live, but
 * also holds the source's fixed overhead (about 1 MiB) and is missing from
 * files of some writers. `scale` turns the file's sizes into the estimate
 * (per-slot figures are multiplied by it).
 */
export function fileRestoreEstimate(f: FileSizes): { bytes: number; scale: number; basis: string } {
  const fromFile = f.selectedBytes + f.selectedKeys * RDB_KEY_OVERHEAD_BYTES;
  const share = f.allBytes > 0 ? f.selectedBytes / f.allBytes : 0;
  const fromSource = f.usedMem === undefined ? 0 : Math.round(f.usedMem * share);
  const keys = `the ${f.selectedKeys} key${f.selectedKeys === 1 ? '' : 's'} selected`;
  const fileText = `${formatBytes(fromFile)} for ${keys} as the file stores them, plus ${RDB_KEY_OVERHEAD_BYTES} bytes per key`;
  if (fromSource > fromFile) {
    const pct = Math.round(share * 1000) / 10;
    return {
      bytes: fromSource,
      scale: fromFile > 0 ? fromSource / fromFile : 1,
      basis:
        `the memory the source used when it wrote the file (used-mem ${formatBytes(f.usedMem!)}) times the share of the file selected (${pct} %), ${formatBytes(fromSource)}: ` +
        `more than the file's own sizes (${fileText}), which hold values compressed or compact`,
    };
  }
  return { bytes: fromFile, scale: 1, basis: `${fileText}${f.usedMem === undefined ? ' (the file records no used-mem of its source to compare)' : ''}` };
}

/** What one target node says of its memory (`INFO memory`; `CONFIG` is blocked on ElastiCache). */
export interface NodeMemory {
  /** `host:port` */
  readonly node: string;
  /** `maxmemory`: 0 means no limit. */
  readonly maxmemory: number;
  /** `maxmemory_policy`, e.g. `allkeys-lru`, `volatile-lru`, `noeviction`. */
  readonly policy: string;
  readonly usedMemory: number;
  /**
   * Why the node's limit or policy is not known (INFO memory without them:
   * a serverless cache or a proxy may leave them out): such a node is taken
   * as one the restore may overfill.
   */
  readonly unknown?: string;
}

/** The fields of an `INFO` reply (`name:value` lines; section headers and blank lines skipped). */
export function parseInfo(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const at = line.indexOf(':');
    if (at > 0 && !line.startsWith('#')) fields.set(line.slice(0, at), line.slice(at + 1).trim());
  }
  return fields;
}

/** A whole number field of INFO, or an error naming the field and the node (a server too old or too locked-down to say). */
function count(fields: Map<string, string>, name: string, node: string, section: string): number {
  const value = fields.get(name);
  const n = Number(value);
  if (value === undefined || value === '' || !Number.isFinite(n) || n < 0) {
    throw new Error(
      `${node}: INFO ${section} has no usable ${name} (got ${value === undefined ? 'nothing' : JSON.stringify(value)}): the eviction check cannot run; is this a Redis/Valkey server?`,
    );
  }
  return n;
}

/** {@link NodeMemory} from the text of `INFO memory`. */
export function memoryOf(node: string, infoMemory: string): NodeMemory {
  const f = parseInfo(infoMemory);
  const missing = ['maxmemory', 'maxmemory_policy', 'used_memory'].filter((name) => !f.has(name));
  if (missing.length > 0) {
    const used = Number(f.get('used_memory'));
    return {
      node,
      maxmemory: 0,
      policy: f.get('maxmemory_policy') ?? 'unknown',
      usedMemory: Number.isFinite(used) ? used : 0,
      unknown: `INFO memory reports no ${missing.join(', ')}, so whether this node can evict, and when, cannot be told (a serverless cache or a proxy?)`,
    };
  }
  return { node, maxmemory: count(f, 'maxmemory', node, 'memory'), policy: f.get('maxmemory_policy')!, usedMemory: count(f, 'used_memory', node, 'memory') };
}

/** The memory a source's data takes, from its `INFO memory`: `used_memory_dataset` (Redis 4+), else `used_memory`. */
export function datasetBytesOf(node: string, infoMemory: string): number {
  const f = parseInfo(infoMemory);
  return f.has('used_memory_dataset') ? count(f, 'used_memory_dataset', node, 'memory') : count(f, 'used_memory', node, 'memory');
}

/** `evicted_keys` from the text of `INFO stats`: keys the node evicted since it started (or since CONFIG RESETSTAT). */
export function evictedKeysOf(node: string, infoStats: string): number {
  return count(parseInfo(infoStats), 'evicted_keys', node, 'stats');
}

/**
 * Can a server with this policy evict keys? Every policy but `noeviction`
 * can (with a limit): `volatile-*` evict only keys with a TTL, but restored
 * keys and live keys with a TTL are exactly what is at risk. A policy this
 * code does not know counts as one that can.
 */
export function policyCanEvict(policy: string): boolean {
  return policy !== 'noeviction';
}

/** How much a restore will add, and to which node (cluster targets: split per node by slot). */
export interface RestoreEstimate {
  /** Bytes of the whole restore. */
  readonly bytes: number;
  /** Bytes per target node, when split (a cluster); absent: all of {@link bytes} on the one node. */
  readonly byNode?: ReadonlyMap<string, number>;
  /** Where the estimate comes from, for people: `the file's key sizes (3 keys selected, …)`. */
  readonly basis: string;
}

/** A node the restore would overfill. */
export interface EvictionRisk extends NodeMemory {
  /** Bytes this node would receive. */
  readonly estimate: number;
  /** `maxmemory` less the margin: what used memory plus the estimate may reach. */
  readonly allowed: number;
}

/**
 * The nodes that can evict and would pass their limit less the margin
 * ({@link EVICTION_MARGIN_PCT}) with the restore: empty when it fits (or
 * nothing can evict: no limit, or `noeviction`, where a write that does not
 * fit is refused with OOM and counted as failed).
 */
export function evictionRisks(nodes: readonly NodeMemory[], estimate: RestoreEstimate, marginPct: number = EVICTION_MARGIN_PCT): EvictionRisk[] {
  const risks: EvictionRisk[] = [];
  for (const n of nodes) {
    const adds = estimate.byNode ? (estimate.byNode.get(n.node) ?? 0) : estimate.bytes;
    if (n.unknown !== undefined) {
      risks.push({ ...n, estimate: adds, allowed: 0 }); // nothing proves it fits
      continue;
    }
    if (n.maxmemory <= 0 || !policyCanEvict(n.policy)) continue;
    const allowed = Math.floor((n.maxmemory * (100 - marginPct)) / 100);
    if (n.usedMemory + adds > allowed) risks.push({ ...n, estimate: adds, allowed });
  }
  return risks;
}

/** `12.3 MiB (12897484 bytes)`: readable, and exact for a check by hand. */
export function formatBytes(bytes: number): string {
  const mib = bytes / 2 ** 20;
  return `${mib >= 10 ? mib.toFixed(0) : mib.toFixed(1)} MiB (${Math.round(bytes)} bytes)`;
}

/**
 * The one message of a refused recovery: every node at risk with its
 * policy, limit, used memory and estimate, where the estimate comes from,
 * and the fixes.
 */
export function evictionRefusal(risks: readonly EvictionRisk[], estimate: RestoreEstimate, marginPct: number = EVICTION_MARGIN_PCT): string {
  const nodes = risks.map((r) =>
    r.unknown !== undefined
      ? `${r.node} (${r.unknown}; estimated restore ${formatBytes(r.estimate)})`
      : `${r.node} (maxmemory-policy ${r.policy}, maxmemory ${formatBytes(r.maxmemory)}, used_memory ${formatBytes(r.usedMemory)}, ` +
        `estimated restore ${formatBytes(r.estimate)}: together past ${formatBytes(r.allowed)}, the limit less a ${marginPct} % margin)`,
  );
  const known = risks.every((r) => r.unknown === undefined);
  return (
    (known
      ? 'refused, nothing was written: the target can evict keys and this recovery would not fit, so restored keys and keys written since the incident could be evicted: '
      : 'refused, nothing was written: the target may evict keys and nothing shows this recovery fits, so restored keys and keys written since the incident could be evicted: ') +
    `${nodes.join('; ')}. The estimate is ${estimate.basis}. ` +
    'Fix: a bigger node (a larger maxmemory), maxmemory-policy noeviction for the duration of the recovery (on ElastiCache: in the parameter group; writes that do not fit then fail and are counted, nothing is evicted), ' +
    'or --match to restore less; or, knowing the risk, --allow-eviction (any eviction still ends the run with exit 1)'
  );
}

/** The line of a run during which the target evicted keys (its `evicted_keys` rose by `n`). */
export function evictedMessage(n: number, stopped: boolean): string {
  return (
    `${n} key${n === 1 ? '' : 's'} evicted by the target during the recovery — restored or live keys may be gone ` +
    '(evicted_keys counts every eviction on the target, so writes of other clients may have caused some; which keys went cannot be told)' +
    (stopped
      ? '. The run stopped at the first eviction it saw: make room (a bigger node, or maxmemory-policy noeviction for the recovery) and rerun (keys already restored are skipped)'
      : '')
  );
}

/** What the eviction guard found in one run (both key copies report it). */
export interface EvictionReport {
  /** The refusal before anything was written (exit 2), or undefined. */
  readonly refused?: string;
  /** `--allow-eviction` was given. */
  readonly allowed: boolean;
  /** Every target node as it was at the start, with the bytes it would receive. */
  readonly nodes: readonly (NodeMemory & { readonly estimate: number })[];
  /** Where the estimate comes from. */
  readonly basis: string;
  /** Keys the target evicted while the run wrote (every node, from `evicted_keys`). */
  readonly evictedKeys: number;
  /** The run stopped early because the target evicted (without `--allow-eviction`). */
  readonly stopped: boolean;
  /** `evicted_keys` could not be read at the end: evictions are not known (the run is not a success). */
  readonly unknown?: string;
}

/** Is this run's eviction record a failure (exit 1)? Refusals are exit 2, see {@link EvictionReport.refused}. */
export function evictionFailed(r: EvictionReport | undefined): boolean {
  return r !== undefined && (r.evictedKeys > 0 || r.unknown !== undefined);
}

/**
 * The estimate split over a cluster's primaries by slot: exact per slot when
 * the caller counted bytes per slot (a file), else in proportion to the
 * slots each node serves (keys hash evenly over slots; hash tags can skew
 * it, which `basis` says).
 */
export function splitBySlot(
  bytes: number,
  slotRanges: ReadonlyMap<string, readonly (readonly [number, number])[]>,
  perSlot?: ArrayLike<number>,
): Map<string, number> {
  const out = new Map<string, number>();
  for (const [node, ranges] of slotRanges) {
    let sum = 0;
    for (const [a, b] of ranges) {
      if (perSlot) for (let s = a; s <= b; s++) sum += perSlot[s] ?? 0;
      else sum += (bytes * (b - a + 1)) / CLUSTER_SLOTS;
    }
    out.set(node, Math.round(sum));
  }
  return out;
}

/** The slot ranges per primary from a keyspace's slot map text (`host:port=0-5460,… host:port=…`). */
export function parseSlotMap(text: string): Map<string, [number, number][]> {
  const out = new Map<string, [number, number][]>();
  for (const part of text.split(' ').filter(Boolean)) {
    const at = part.lastIndexOf('=');
    const ranges = part
      .slice(at + 1)
      .split(',')
      .filter(Boolean)
      .map((r) => r.split('-').map(Number) as [number, number]);
    out.set(part.slice(0, at), ranges);
  }
  return out;
}
