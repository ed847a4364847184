/**
 * Restore preflight, pure: whether a recovery point can be restored into the
 * shape a restore or a drill is about to create, checked before anything is
 * created. ElastiCache only says so at the end, after 15–20 minutes, as a
 * `create-failed` / `restore-failed` group; these are the refusals known in
 * advance. Each rule checks only what the recovery point records (an
 * unknown fact passes: the preflight never refuses on a guess). Used by
 * `redis-dr restore` (cli/commands/restore/action.ts, lambdas/jobs/drills/restore-serverless.ts) and the
 * drill select step (jobs/drills/drill-select.ts).
 */
import type { RecoveryPointChoice } from './drill.js';
import { engineRdbSupport, rdbRefusal } from '../rdb/format/dump-payload.js';

/** The rules, by name (each refusal names its rule). */
export type PreflightRule = 'cluster-mode-databases' | 'engine-reads-rdb' | 'node-memory' | 'data-tiering' | 'drill-state-size';

/** What the recovery point records beyond the choice, when known. */
export interface PreflightEvidence {
  /** RDB version of the file(s) (the verifier's summary tag), the highest over the shards. */
  readonly rdbVersion?: number;
  /** Databases holding keys, over every shard (the verifier's summary tag). */
  readonly databases?: readonly number[];
  /** Bytes of each shard's file or snapshot (S3 object sizes; a snapshot's cache size). */
  readonly shardBytes?: readonly number[];
  /** Node type the recovery point was taken on (a snapshot records it; DR copies do not). */
  readonly sourceNodeType?: string;
}

/** One refusal: the rule, why, and what to do instead. */
export interface PreflightRefusal {
  readonly rule: PreflightRule;
  readonly reason: string;
  readonly fix: string;
}

/** Where the restore runs: the drill's create step cannot set `DataTieringEnabled` (the CLI sets it for r6gd). */
export type PreflightCaller = 'restore' | 'drill';

const GIB = 1024 ** 3;

/**
 * Memory of ElastiCache node types in GiB (the "Supported node types" table,
 * https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/CacheNodes.SupportedTypes.html).
 * r6gd: memory only (the SSD tier is not counted). A type not listed is not checked.
 */
export const NODE_MEMORY_GIB: Readonly<Record<string, number>> = {
  'cache.t2.micro': 0.555,
  'cache.t2.small': 1.55,
  'cache.t2.medium': 3.22,
  'cache.t3.micro': 0.5,
  'cache.t3.small': 1.37,
  'cache.t3.medium': 3.09,
  'cache.t4g.micro': 0.5,
  'cache.t4g.small': 1.37,
  'cache.t4g.medium': 3.09,
  'cache.m5.large': 6.38,
  'cache.m5.xlarge': 12.93,
  'cache.m5.2xlarge': 26.04,
  'cache.m5.4xlarge': 52.26,
  'cache.m5.12xlarge': 157.12,
  'cache.m5.24xlarge': 314.32,
  'cache.m6g.large': 6.38,
  'cache.m6g.xlarge': 12.93,
  'cache.m6g.2xlarge': 26.04,
  'cache.m6g.4xlarge': 52.26,
  'cache.m6g.8xlarge': 103.68,
  'cache.m6g.12xlarge': 157.12,
  'cache.m6g.16xlarge': 209.55,
  'cache.m7g.large': 6.38,
  'cache.m7g.xlarge': 12.93,
  'cache.m7g.2xlarge': 26.04,
  'cache.m7g.4xlarge': 52.26,
  'cache.m7g.8xlarge': 103.68,
  'cache.m7g.12xlarge': 157.12,
  'cache.m7g.16xlarge': 209.55,
  'cache.r5.large': 13.07,
  'cache.r5.xlarge': 26.32,
  'cache.r5.2xlarge': 52.82,
  'cache.r5.4xlarge': 105.81,
  'cache.r5.12xlarge': 317.77,
  'cache.r5.24xlarge': 635.61,
  'cache.r6g.large': 13.07,
  'cache.r6g.xlarge': 26.32,
  'cache.r6g.2xlarge': 52.82,
  'cache.r6g.4xlarge': 105.81,
  'cache.r6g.8xlarge': 209.55,
  'cache.r6g.12xlarge': 317.77,
  'cache.r6g.16xlarge': 419.09,
  'cache.r7g.large': 13.07,
  'cache.r7g.xlarge': 26.32,
  'cache.r7g.2xlarge': 52.82,
  'cache.r7g.4xlarge': 105.81,
  'cache.r7g.8xlarge': 209.55,
  'cache.r7g.12xlarge': 317.77,
  'cache.r7g.16xlarge': 419.09,
  'cache.r6gd.xlarge': 26.32,
  'cache.r6gd.2xlarge': 52.82,
  'cache.r6gd.4xlarge': 105.81,
  'cache.r6gd.8xlarge': 209.55,
  'cache.r6gd.12xlarge': 317.77,
  'cache.r6gd.16xlarge': 419.09,
};

/** ElastiCache's default `reserved-memory-percent`: the share of a node's memory the data may not use. */
export const RESERVED_MEMORY_PERCENT = 25;

/** Whether a node type tiers data to SSD (the r6gd family: data tiering). */
export function isDataTieringNodeType(nodeType: string | undefined): boolean {
  return /^cache\.r6gd\./.test(nodeType ?? '');
}

/** Engine versions data tiering needs: Redis OSS 6.2 or later, Valkey 7.2 or later. */
function supportsDataTiering(engine: string, version: string): boolean {
  const m = /^(\d+)(?:\.(\d+))?/.exec(version);
  if (!m) return true; // unknown: not refused on a guess
  const [major, minor] = [Number(m[1]), Number(m[2] ?? 99)];
  const [wantMajor, wantMinor] = engine.toLowerCase() === 'valkey' ? [7, 2] : [6, 2];
  return major > wantMajor || (major === wantMajor && minor >= wantMinor);
}

function gib(bytes: number): string {
  return `${(bytes / GIB).toFixed(2)} GiB`;
}

/**
 * Every rule `choice` breaks, given what the recovery point records; empty
 * when it can be restored as far as is known before creating anything.
 *
 * - `cluster-mode-databases`: a cluster-mode target (cluster mode enabled, or
 *   serverless) and a file with keys outside db 0: ElastiCache refuses it.
 * - `engine-reads-rdb`: the engine version reads RDB files older than the file's.
 * - `node-memory`: a shard's file is larger than the node's memory less the
 *   reserved 25% (in memory the data only grows).
 * - `data-tiering`: a snapshot taken on r6gd restores only onto r6gd; r6gd
 *   needs Redis OSS 6.2+ / Valkey 7.2+; a drill's create step cannot turn data
 *   tiering on (`DataTieringEnabled`), so a drill refuses r6gd.
 */
export function restorePreflight(choice: RecoveryPointChoice, evidence: PreflightEvidence, caller: PreflightCaller): PreflightRefusal[] {
  const refusals: PreflightRefusal[] = [];
  const serverless = choice.kind === 'serverless-cache';
  const point = `${choice.recoveryPoint}`;

  const otherDbs = (evidence.databases ?? []).filter((d) => d !== 0);
  if ((choice.clusterMode === 'enabled' || serverless) && otherDbs.length > 0) {
    refusals.push({
      rule: 'cluster-mode-databases',
      reason: `${point} holds keys in database(s) ${[...new Set(evidence.databases)].join(', ')}, and a ${serverless ? 'serverless cache' : 'cluster-mode-enabled group'} has only database 0: ElastiCache refuses to restore it`,
      fix: serverless
        ? 'restore it as a replication group with cluster mode disabled, or load one database at a time into the cache with `redis-dr migrate --from-rdb … --db <n>:0`'
        : 'restore into one shard with cluster mode disabled, or load one database at a time into db 0 with `redis-dr migrate --from-rdb … --db <n>:0`',
    });
  }

  if (evidence.rdbVersion !== undefined) {
    const support = (() => {
      try {
        return engineRdbSupport(choice.engine, choice.engineVersion);
      } catch {
        return undefined;
      }
    })();
    const why = support && rdbRefusal({ version: evidence.rdbVersion, valkey: evidence.rdbVersion >= 80 }, support);
    if (why) {
      refusals.push({
        rule: 'engine-reads-rdb',
        reason: `${choice.engine} ${choice.engineVersion} cannot load ${point}: ${why.split(':')[0]}`,
        fix: `restore with an engine version that reads RDB version ${evidence.rdbVersion} (the one the copy's ${choice.engine} tag names, or newer)`,
      });
    }
  }

  const memory = serverless ? undefined : NODE_MEMORY_GIB[choice.nodeType];
  const largest = Math.max(0, ...(evidence.shardBytes ?? []));
  if (memory !== undefined && !isDataTieringNodeType(choice.nodeType) && largest > 0) {
    const usable = memory * GIB * (1 - RESERVED_MEMORY_PERCENT / 100);
    if (largest > usable) {
      const bigger = Object.entries(NODE_MEMORY_GIB)
        .filter(([type, gb]) => !isDataTieringNodeType(type) && gb * GIB * (1 - RESERVED_MEMORY_PERCENT / 100) >= largest * 1.5)
        .sort(([, a], [, b]) => a - b)[0]?.[0];
      refusals.push({
        rule: 'node-memory',
        reason: `the largest shard of ${point} is ${gib(largest)} on file, more than ${choice.nodeType} holds (${memory} GiB less ${RESERVED_MEMORY_PERCENT}% reserved = ${gib(usable)}); in memory the data only grows`,
        fix: `choose a larger node type${bigger ? ` (e.g. ${bigger})` : ''}: ${caller === 'drill' ? 'set drill.nodeType in the plan' : 'pass --node-type'}`,
      });
    }
  }

  if (!serverless) {
    const target = isDataTieringNodeType(choice.nodeType);
    if (isDataTieringNodeType(evidence.sourceNodeType) && !target) {
      refusals.push({
        rule: 'data-tiering',
        reason: `${point} was taken on ${evidence.sourceNodeType} (data tiering), and ElastiCache restores such a snapshot only onto r6gd nodes, not ${choice.nodeType}`,
        fix: `restore onto an r6gd node type (e.g. ${evidence.sourceNodeType}): ${caller === 'drill' ? 'set drill.nodeType in the plan' : 'pass --node-type'}`,
      });
    }
    if (target && !supportsDataTiering(choice.engine, choice.engineVersion)) {
      refusals.push({
        rule: 'data-tiering',
        reason: `${choice.nodeType} tiers data to SSD, which needs Redis OSS 6.2 or later or Valkey 7.2 or later, not ${choice.engine} ${choice.engineVersion}`,
        fix: 'choose a node type without data tiering (e.g. the r6g of the same size)',
      });
    } else if (target && caller === 'drill') {
      refusals.push({
        rule: 'data-tiering',
        reason: `${choice.nodeType} tiers data to SSD, which must be turned on when the group is created (DataTieringEnabled), and the drill's create step does not`,
        fix: 'set drill.nodeType to a node type without data tiering (e.g. the r6g of the same size), or restore onto r6gd with `redis-dr restore`',
      });
    }
  }
  return refusals;
}

/** Thrown when the preflight refuses: nothing was created. Its name is what the drill's report shows as the error. */
export class RestorePreflightError extends Error {
  override readonly name = 'RestorePreflightError';
  constructor(
    readonly recoveryPoint: string,
    readonly refusals: readonly PreflightRefusal[],
  ) {
    super(formatRefusals(recoveryPoint, refusals));
  }
}

/** One line per refusal: `restore preflight refused <point>: [rule] reason; fix: …`. */
export function formatRefusals(recoveryPoint: string, refusals: readonly PreflightRefusal[]): string {
  return `restore preflight refused ${recoveryPoint} (nothing was created): ${refusals.map((r) => `[${r.rule}] ${r.reason}; fix: ${r.fix}`).join(' | ')}`;
}

/** Throws {@link RestorePreflightError} when {@link restorePreflight} refuses. */
export function assertRestorable(choice: RecoveryPointChoice, evidence: PreflightEvidence, caller: PreflightCaller): void {
  const refusals = restorePreflight(choice, evidence, caller);
  if (refusals.length > 0) throw new RestorePreflightError(choice.recoveryPoint, refusals);
}

/** The evidence an export's verifier summaries and object sizes give (shard order). */
export function exportEvidence(
  summaries: readonly ({ readonly version: number; readonly databases?: readonly number[] } | undefined)[],
  shardBytes: readonly (number | undefined)[],
): PreflightEvidence {
  const known = summaries.filter((s): s is NonNullable<typeof s> => s !== undefined);
  const databases = known.some((s) => s.databases) ? [...new Set(known.flatMap((s) => s.databases ?? [0]))].sort((a, b) => a - b) : undefined;
  const bytes = shardBytes.filter((b): b is number => b !== undefined);
  return {
    ...(known.length > 0 ? { rdbVersion: Math.max(...known.map((s) => s.version)) } : {}),
    ...(databases ? { databases } : {}),
    ...(bytes.length > 0 ? { shardBytes: bytes } : {}),
  };
}

/** A snapshot's `CacheSize` (`6 MB`, `1.5 GB`, `512 KB`, `0 B`) in bytes; `undefined` when it is not one. */
export function parseCacheSize(text: string | undefined): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB)\s*$/i.exec(text ?? '');
  if (!m) return undefined;
  const power = ['B', 'KB', 'MB', 'GB', 'TB'].indexOf(m[2]!.toUpperCase());
  return Math.round(Number(m[1]) * 1024 ** power);
}

/** The evidence a snapshot gives: the node type it was taken on and its node snapshots' sizes. */
export function snapshotEvidence(snapshot: { readonly nodeType?: string; readonly cacheSizes?: readonly string[] }): PreflightEvidence {
  const bytes = (snapshot.cacheSizes ?? []).map(parseCacheSize).filter((b): b is number => b !== undefined);
  return { ...(snapshot.nodeType ? { sourceNodeType: snapshot.nodeType } : {}), ...(bytes.length > 0 ? { shardBytes: bytes } : {}) };
}
