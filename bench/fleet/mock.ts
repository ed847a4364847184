/**
 * The AWS API boundary of the fleet benchmark: aws-sdk-client-mock stubs on
 * ElastiCacheClient and ResourceGroupsTaggingAPIClient whose every call waits
 * the simulated latency (a real timer) and then either throttles (seeded
 * PRNG) or answers from the {@link FleetModel}. Every call is counted.
 */
import {
  CreateSnapshotCommand,
  DeleteSnapshotCommand,
  DescribeReplicationGroupsCommand,
  DescribeSnapshotsCommand,
  ElastiCacheClient,
  ElastiCacheServiceException,
} from '@aws-sdk/client-elasticache';
import {
  GetResourcesCommand,
  ResourceGroupsTaggingAPIClient,
  ResourceGroupsTaggingAPIServiceException,
} from '@aws-sdk/client-resource-groups-tagging-api';
import { mockClient } from 'aws-sdk-client-mock';
import { TAGS } from '../../lambdas/domain/types.js';
import type { FleetModel } from './model.js';

/** Seeded PRNG (mulberry32): same seed, same sequence of throttle decisions. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Operation = 'DescribeReplicationGroups' | 'DescribeSnapshots' | 'CreateSnapshot' | 'DeleteSnapshot' | 'GetResources';
export const OPERATIONS: readonly Operation[] = [
  'GetResources',
  'DescribeReplicationGroups',
  'DescribeSnapshots',
  'CreateSnapshot',
  'DeleteSnapshot',
];

/**
 * What a call was for, finer than the operation: GetResources is used both to
 * discover targets and to fetch snapshot tags (filter on `redis-dr:source`).
 */
export type Purpose = Exclude<Operation, 'GetResources'> | 'GetResources:targets' | 'GetResources:snapshot-tags';

/** Per-purpose timing of one run: when the first call started and the last one ended. */
export interface PhaseWindow {
  calls: number;
  firstStartMs: number;
  lastEndMs: number;
}

/** Counters for one run; reset between runs. */
export class CallStats {
  readonly calls = zero();
  readonly throttled = zero();
  /** Successful answers. */
  readonly ok = zero();
  /** Modelled service faults (already exists, not found, invalid state). */
  readonly faults = zero();
  /** Successful answers to a request (operation + exact input) already answered successfully in this run. */
  readonly redundantOk = zero();
  readonly phases = new Map<Purpose, PhaseWindow>();
  private readonly seen = new Set<string>();
  private readonly answered = new Set<string>();
  inFlight = 0;
  peakInFlight = 0;
  lastCallEndAt = 0;
  constructor(readonly startedAt = Date.now()) {}

  /** Distinct requests (operation + exact input) sent in this run. */
  get uniqueRequests(): number {
    return this.seen.size;
  }

  begin(op: Operation, purpose: Purpose, key: string): void {
    this.calls[op]++;
    this.seen.add(key);
    this.inFlight++;
    this.peakInFlight = Math.max(this.peakInFlight, this.inFlight);
    const t = Date.now() - this.startedAt;
    const w = this.phases.get(purpose);
    if (w) w.calls++;
    else this.phases.set(purpose, { calls: 1, firstStartMs: t, lastEndMs: t });
  }

  end(op: Operation, purpose: Purpose, key: string, outcome: 'ok' | 'throttled' | 'fault'): void {
    this.inFlight--;
    this.lastCallEndAt = Date.now();
    const w = this.phases.get(purpose)!;
    w.lastEndMs = Math.max(w.lastEndMs, this.lastCallEndAt - this.startedAt);
    if (outcome === 'throttled') this.throttled[op]++;
    else if (outcome === 'fault') this.faults[op]++;
    else {
      this.ok[op]++;
      if (this.answered.has(key)) this.redundantOk[op]++;
      else this.answered.add(key);
    }
  }
}

function zero(): Record<Operation, number> {
  return { GetResources: 0, DescribeReplicationGroups: 0, DescribeSnapshots: 0, CreateSnapshot: 0, DeleteSnapshot: 0 };
}

/** Options for {@link installFakeAws}. */
export interface FakeAwsOptions {
  readonly latencyMs: number;
  readonly throttleRate: number;
  readonly seed: number;
}

/** The installed fake: swap `stats` per run; `abort()` makes every later call fail fast. */
export interface FakeAws {
  stats: CallStats;
  abort(): void;
  resume(): void;
  /** Forget aws-sdk-client-mock's recorded calls (memory). */
  resetHistory(): void;
  restore(): void;
}

/** Thrown by every call after {@link FakeAws.abort}: not retryable, so handlers stop quickly. */
export class BenchAbortedError extends Error {
  override readonly name = 'BenchAbortedError';
}

/**
 * Stubs `send` of both client classes (every instance). The SDK's own retry
 * middleware is part of what `send` would run, so it is bypassed: every
 * throttle reaches the handler's retry loop.
 */
export function installFakeAws(model: FleetModel, options: FakeAwsOptions): FakeAws {
  const random = mulberry32(options.seed);
  const ec = mockClient(ElastiCacheClient);
  const tagging = mockClient(ResourceGroupsTaggingAPIClient);
  let aborted = false;
  const fake: FakeAws = {
    stats: new CallStats(),
    abort: () => void (aborted = true),
    resume: () => void (aborted = false),
    resetHistory: () => {
      ec.resetHistory();
      tagging.resetHistory();
    },
    restore: () => {
      ec.restore();
      tagging.restore();
    },
  };

  const call = <I extends object, O>(op: Operation, purposeOf: (input: I) => Purpose, answer: (input: I) => O) =>
    async (input: I): Promise<O> => {
      if (aborted) throw new BenchAbortedError('benchmark run aborted (over its wall-clock limit)');
      const stats = fake.stats;
      const purpose = purposeOf(input);
      const key = `${op} ${JSON.stringify(input)}`;
      // Decide at arrival, so the decision sequence follows the call sequence.
      const throttle = random() < options.throttleRate;
      stats.begin(op, purpose, key);
      await new Promise((resolve) => setTimeout(resolve, options.latencyMs));
      if (throttle) {
        stats.end(op, purpose, key, 'throttled');
        throw throttlingError(op);
      }
      try {
        const out = answer(input);
        stats.end(op, purpose, key, 'ok');
        return { ...out, $metadata: { httpStatusCode: 200, attempts: 1, totalRetryDelay: 0 } };
      } catch (err) {
        stats.end(op, purpose, key, 'fault');
        throw err;
      }
    };

  ec.onAnyCommand().rejects(new Error('fleet bench: ElastiCache command not modelled'));
  tagging.onAnyCommand().rejects(new Error('fleet bench: Tagging API command not modelled'));
  ec.on(DescribeReplicationGroupsCommand).callsFake(
    call('DescribeReplicationGroups', () => 'DescribeReplicationGroups', (i) => model.describeReplicationGroups(i)),
  );
  ec.on(DescribeSnapshotsCommand).callsFake(call('DescribeSnapshots', () => 'DescribeSnapshots', (i) => model.describeSnapshots(i)));
  ec.on(CreateSnapshotCommand).callsFake(call('CreateSnapshot', () => 'CreateSnapshot', (i) => model.createSnapshot(i)));
  ec.on(DeleteSnapshotCommand).callsFake(call('DeleteSnapshot', () => 'DeleteSnapshot', (i) => model.deleteSnapshot(i)));
  tagging.on(GetResourcesCommand).callsFake(
    call(
      'GetResources',
      (i: { TagFilters?: { Key?: string }[] }) =>
        i.TagFilters?.some((f) => f.Key === TAGS.source) ? 'GetResources:snapshot-tags' : 'GetResources:targets',
      (i) => model.getResources(i),
    ),
  );
  return fake;
}

/** What the SDK throws for a throttled call: name, fault and HTTP status as on the wire. */
function throttlingError(op: Operation): Error {
  const init = {
    name: 'ThrottlingException',
    $fault: 'client' as const,
    $metadata: { httpStatusCode: 400, attempts: 1, totalRetryDelay: 0 },
    message: 'Rate exceeded',
  };
  return op === 'GetResources' ? new ResourceGroupsTaggingAPIServiceException(init) : new ElastiCacheServiceException(init);
}
