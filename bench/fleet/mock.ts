/**
 * The AWS API boundary of the fleet benchmark: aws-sdk-client-mock stubs on
 * ElastiCacheClient and ResourceGroupsTaggingAPIClient whose every call waits
 * the simulated latency (a real timer) and then either throttles (seeded
 * PRNG) or answers from the {@link FleetModel}. Every call is counted.
 * (An optional `sdk` transport puts the same fake behind the SDK's middleware
 * stack instead, so the clients' own retries are measured too.)
 */
import {
  CreateSnapshotCommand,
  DeleteSnapshotCommand,
  DescribeReplicationGroupsCommand,
  DescribeSnapshotsCommand,
  ElastiCacheClient,
  ElastiCacheServiceException,
} from '@aws-sdk/client-elasticache';
import { GetResourcesCommand, ResourceGroupsTaggingAPIClient, ResourceGroupsTaggingAPIServiceException } from '@aws-sdk/client-resource-groups-tagging-api';
import { mockClient } from 'aws-sdk-client-mock';
import { TAGS } from '../../lambdas/domain/plans/types.js';
import { mulberry32 } from '../../test/support/prng.js';
import type { FleetModel } from './model.js';

export type Operation = 'DescribeReplicationGroups' | 'DescribeSnapshots' | 'CreateSnapshot' | 'DeleteSnapshot' | 'GetResources';
export const OPERATIONS: readonly Operation[] = ['GetResources', 'DescribeReplicationGroups', 'DescribeSnapshots', 'CreateSnapshot', 'DeleteSnapshot'];

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

/**
 * Where the fake sits. `client-mock` (default): aws-sdk-client-mock stubs
 * `Client#send`, so the SDK's own retry middleware never runs and every
 * throttle reaches the handlers. `sdk`: a middleware at the end of the
 * client's finalizeRequest step (after retry and signing, before
 * serialization would hit the wire) answers instead, so the clients'
 * configured retry strategy (production: 5 attempts, adaptive) runs too.
 */
export type Transport = 'client-mock' | 'sdk';

/** Options for {@link installFakeAws}. */
export interface FakeAwsOptions {
  readonly latencyMs: number;
  readonly throttleRate: number;
  readonly seed: number;
  readonly transport: Transport;
}

/** The installed fake: swap `stats` per run; `abort()` makes every later call fail fast. */
export interface FakeAws {
  stats: CallStats;
  /** Connects a client created for a run (needed by the `sdk` transport; no-op for `client-mock`). */
  attach<C extends ElastiCacheClient | ResourceGroupsTaggingAPIClient>(client: C): C;
  abort(): void;
  resume(): void;
  /** Forget aws-sdk-client-mock's recorded calls (memory). */
  resetHistory(): void;
  restore(): void;
  /** Calls refused after abort (to know when a run's sleeping retries have all woken). */
  abortedCalls: number;
}

/** The one middleware-stack shape the `sdk` transport needs (both clients' stacks have it). */
interface FinalizeStep {
  readonly middlewareStack: {
    add(
      middleware: (next: unknown, context: { commandName?: string }) => (args: { input: unknown }) => Promise<{ output: unknown; response: unknown }>,
      options: { step: 'finalizeRequest'; priority: 'low'; name: string },
    ): void;
  };
}

/** Thrown by every call after {@link FakeAws.abort}: not retryable, so handlers stop quickly. */
export class BenchAbortedError extends Error {
  override readonly name = 'BenchAbortedError';
}

/** Static credentials for the `sdk` transport: requests are signed (locally) but never sent. */
export const FAKE_CREDENTIALS = { accessKeyId: 'AKIAFLEETBENCH000000', secretAccessKey: 'fleet-bench-not-a-secret' };

/**
 * Installs the fake API for both client classes. Every call: wait the latency
 * (real timer), then throttle with probability `throttleRate` or answer from
 * the model; counted in `stats`.
 */
export function installFakeAws(model: FleetModel, options: FakeAwsOptions): FakeAws {
  const random = mulberry32(options.seed);
  let aborted = false;
  const fake: FakeAws = {
    stats: new CallStats(),
    attach: (client) => client,
    abort: () => void (aborted = true),
    resume: () => void (aborted = false),
    resetHistory: () => {},
    restore: () => {},
    abortedCalls: 0,
  };

  const call =
    <I extends object, O>(op: Operation, purposeOf: (input: I) => Purpose, answer: (input: I) => O) =>
    async (input: I): Promise<O> => {
      if (aborted) {
        fake.abortedCalls++;
        throw new BenchAbortedError('benchmark run aborted (over its wall-clock limit)');
      }
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

  const handlers = {
    DescribeReplicationGroupsCommand: call('DescribeReplicationGroups', () => 'DescribeReplicationGroups', model.describeReplicationGroups.bind(model)),
    DescribeSnapshotsCommand: call('DescribeSnapshots', () => 'DescribeSnapshots', model.describeSnapshots.bind(model)),
    CreateSnapshotCommand: call('CreateSnapshot', () => 'CreateSnapshot', model.createSnapshot.bind(model)),
    DeleteSnapshotCommand: call('DeleteSnapshot', () => 'DeleteSnapshot', model.deleteSnapshot.bind(model)),
    GetResourcesCommand: call(
      'GetResources',
      (i: { TagFilters?: { Key?: string }[] }): Purpose =>
        i.TagFilters?.some((f) => f.Key === TAGS.source) ? 'GetResources:snapshot-tags' : 'GetResources:targets',
      model.getResources.bind(model),
    ),
  } as const;

  if (options.transport === 'sdk') {
    fake.attach = (client) => {
      (client as unknown as FinalizeStep).middlewareStack.add(
        (_next, context) => async (args) => {
          const handler = (handlers as Record<string, (input: object) => Promise<unknown>>)[context.commandName ?? ''];
          if (!handler) throw new Error(`fleet bench: ${context.commandName} not modelled`);
          return { output: await handler(args.input as object), response: {} };
        },
        { step: 'finalizeRequest', priority: 'low', name: 'fleetBenchFakeAws' },
      );
      return client;
    };
    return fake;
  }

  const ec = mockClient(ElastiCacheClient);
  const tagging = mockClient(ResourceGroupsTaggingAPIClient);
  fake.resetHistory = () => {
    ec.resetHistory();
    tagging.resetHistory();
  };
  fake.restore = () => {
    ec.restore();
    tagging.restore();
  };
  ec.onAnyCommand().rejects(new Error('fleet bench: ElastiCache command not modelled'));
  tagging.onAnyCommand().rejects(new Error('fleet bench: Tagging API command not modelled'));
  ec.on(DescribeReplicationGroupsCommand).callsFake(handlers.DescribeReplicationGroupsCommand);
  ec.on(DescribeSnapshotsCommand).callsFake(handlers.DescribeSnapshotsCommand);
  ec.on(CreateSnapshotCommand).callsFake(handlers.CreateSnapshotCommand);
  ec.on(DeleteSnapshotCommand).callsFake(handlers.DeleteSnapshotCommand);
  tagging.on(GetResourcesCommand).callsFake(handlers.GetResourcesCommand);
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
