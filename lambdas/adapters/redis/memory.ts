/**
 * The eviction guard of every key copy (`migrate` and `migrate --from-rdb`
 * call this one piece): before the first write it reads `INFO memory` on
 * every target node (each primary of a cluster) and refuses a restore that
 * would not fit a node that can evict (domain/keys/eviction.ts has the rule);
 * while the copy writes it samples `evicted_keys` (`INFO stats`) on every
 * node, and at the end it reports how many keys the target evicted. Only
 * INFO: CONFIG is blocked on ElastiCache.
 */
import {
  evictedMessage,
  evictionRefusal,
  evictionRisks,
  evictedKeysOf,
  memoryOf,
  datasetBytesOf,
  parseInfo,
  parseSlotMap,
  splitBySlot,
  type EvictionReport,
  type NodeMemory,
  type RestoreEstimate,
} from '../../domain/keys/eviction.js';
import type { Keyspace } from './keyspace.js';
import type { Reply, RespPipe } from './resp-pipe.js';

export { evictedMessage };

/** An INFO reply as text. */
function infoText(reply: Reply | undefined, node: string, section: string): string {
  if (Buffer.isBuffer(reply)) return reply.toString('latin1');
  if (typeof reply === 'string') return reply;
  throw new Error(`${node}: INFO ${section} gave no text`);
}

/** `INFO <section>` for each of `sections` on one pipe, in one round trip. */
async function info(pipe: RespPipe, node: string, sections: readonly string[]): Promise<string[]> {
  const replies = await Promise.all(
    sections.map((s) =>
      pipe.call(['INFO', s]).catch((err: unknown) => {
        throw new Error(`${node}: INFO ${s} failed (the eviction check needs it): ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }),
    ),
  );
  return replies.map((r, i) => infoText(r, node, sections[i]!));
}

/**
 * The memory the data of a source keyspace takes: `used_memory_dataset`
 * (else `used_memory`) summed over the nodes it is read from.
 */
export async function sourceDatasetBytes(source: Keyspace): Promise<number> {
  const sizes = await Promise.all(
    source.lanes.map(async (lane) => {
      const pipe = await lane.open();
      try {
        return datasetBytesOf(lane.label, (await info(pipe, lane.label, ['memory']))[0]!);
      } finally {
        pipe.close();
      }
    }),
  );
  return sizes.reduce((a, b) => a + b, 0);
}

/** What to restore, for the estimate: its bytes, and with a cluster target, optionally per hash slot. */
export interface RestoreSize {
  readonly bytes: number;
  /** Bytes per hash slot (a file's keys): a cluster target's nodes get exactly theirs; else split by the slots each serves. */
  readonly perSlot?: ArrayLike<number>;
  /** Where the figure comes from, for people. */
  readonly basis: string;
}

/** Options of {@link EvictionGuard.start}. */
export interface EvictionGuardOptions {
  /** `--allow-eviction`: run even when the restore would not fit (evictions still end it non-zero). @default false */
  readonly allowEviction?: boolean;
  /** Milliseconds between samples of `evicted_keys` while the copy writes (the last one follows the last write). @default 1000 */
  readonly sampleEveryMs?: number;
}

/** One node watched: the pipe kept open for sampling, and its counter at the start. */
interface Watched {
  readonly memory: NodeMemory;
  readonly pipe: RespPipe;
  /** undefined: the node reports no `evicted_keys`. */
  readonly evictedAtStart: number | undefined;
  readonly estimate: number;
}

/** See the module comment. */
export class EvictionGuard {
  private evicted = 0;
  private stopped = false;
  private lastSample = Date.now();
  private sampling?: Promise<void>;

  private constructor(
    private readonly watched: readonly Watched[],
    private readonly basis: string,
    private readonly allowed: boolean,
    private readonly sampleEveryMs: number,
    /** Why the run is refused (nothing may be written), or undefined. */
    readonly refused: string | undefined,
  ) {}

  /**
   * Reads every target node (`INFO memory`, `INFO stats`) before anything is
   * written and judges the restore's size against each; a refused guard has
   * {@link refused} set and holds no connection.
   */
  static async start(target: Keyspace, size: RestoreSize, options: EvictionGuardOptions = {}): Promise<EvictionGuard> {
    const opened: RespPipe[] = [];
    try {
      const lanes = target.lanes;
      const read = await Promise.all(
        lanes.map(async (lane) => {
          const pipe = await lane.open();
          opened.push(pipe);
          const [memory, stats] = await info(pipe, lane.label, ['memory', 'stats']);
          // A node that reports no evicted_keys cannot be watched: said at the end (the run is then no success).
          const evictedAtStart = parseInfo(stats!).has('evicted_keys') ? evictedKeysOf(lane.label, stats!) : undefined;
          return { memory: memoryOf(lane.label, memory!), pipe, evictedAtStart };
        }),
      );
      let byNode: Map<string, number> | undefined;
      let basis = size.basis;
      if (target.cluster) {
        byNode = splitBySlot(size.bytes, parseSlotMap(await target.slotMap()), size.perSlot);
        if (!size.perSlot) basis += ', split over the primaries by the slots each serves (keys hash evenly over slots; hash tags can put more on one node)';
      }
      const estimate: RestoreEstimate = { bytes: size.bytes, basis, ...(byNode ? { byNode } : {}) };
      const watched = read.map((r) => ({ ...r, estimate: byNode ? (byNode.get(r.memory.node) ?? 0) : size.bytes }));
      const risks = evictionRisks(
        read.map((r) => r.memory),
        estimate,
      );
      const refused = risks.length > 0 && !options.allowEviction ? evictionRefusal(risks, estimate) : undefined;
      const guard = new EvictionGuard(watched, basis, Boolean(options.allowEviction), options.sampleEveryMs ?? 1000, refused);
      if (refused) guard.close();
      return guard;
    } catch (err) {
      for (const p of opened) p.close();
      throw err;
    }
  }

  /** Evictions since the start, over every node (a counter that went back, a reset or restart, counts from zero). */
  private async sample(): Promise<void> {
    const counts = await Promise.all(
      this.watched.map(async (w) => {
        if (w.evictedAtStart === undefined) return 0;
        const n = evictedKeysOf(w.memory.node, (await info(w.pipe, w.memory.node, ['stats']))[0]!);
        return n >= w.evictedAtStart ? n - w.evictedAtStart : n;
      }),
    );
    this.evicted = counts.reduce((a, b) => a + b, 0);
    this.lastSample = Date.now();
  }

  /**
   * Between batches: samples `evicted_keys` when one is due; true when the
   * copy must stop (the target evicted and eviction was not allowed: each
   * further write may push out another live key). A failed sample is left to
   * {@link finish}.
   */
  async check(): Promise<boolean> {
    if (this.refused || this.stopped) return this.stopped;
    if (Date.now() - this.lastSample >= this.sampleEveryMs) {
      this.sampling ??= this.sample()
        .catch(() => undefined)
        .finally(() => (this.sampling = undefined));
      await this.sampling;
    }
    if (this.evicted > 0 && !this.allowed) this.stopped = true;
    return this.stopped;
  }

  /** After the last write was answered: the last sample, the report, and the connections closed. */
  async finish(): Promise<EvictionReport> {
    let unknown: string | undefined;
    const blind = this.watched.filter((w) => w.evictedAtStart === undefined).map((w) => w.memory.node);
    if (blind.length > 0)
      unknown = `${blind.join(', ')} report${blind.length === 1 ? 's' : ''} no evicted_keys in INFO stats, so evictions during the recovery cannot be seen there`;
    if (!this.refused) {
      await this.sampling;
      try {
        await this.sample();
      } catch (err) {
        unknown ??= `could not read evicted_keys from the target at the end, so evictions during the recovery are not known: ${err instanceof Error ? err.message : String(err)}`;
      }
    }
    this.close();
    return this.report(unknown);
  }

  /** The report as it stands (a refused guard's, or one for a run that ended before {@link finish}). */
  report(unknown?: string): EvictionReport {
    return {
      ...(this.refused ? { refused: this.refused } : {}),
      allowed: this.allowed,
      nodes: this.watched.map((w) => ({ ...w.memory, estimate: w.estimate })),
      basis: this.basis,
      evictedKeys: this.evicted,
      stopped: this.stopped,
      ...(unknown ? { unknown } : {}),
    };
  }

  /** Closes the sampling connections. */
  close(): void {
    for (const w of this.watched) w.pipe.close();
  }
}
