/**
 * The selftest's `--canary`: a small throwaway cache created for the run
 * and ALWAYS deleted, whatever happens between (a failed step, or an error
 * that ends the run, such as AWS no longer reachable). Its recovery point is
 * deleted with it unless `--keep`. It carries the drills' tags (the drills'
 * prefix, `redis-dr:drill`, managed, deployment), so the drill reaper also
 * removes one a killed process left behind.
 */
import { randomBytes } from 'node:crypto';
import { createThrowawayGroup, deleteDrillResource, describeDrillGroup, isDrillResourceGone } from '../../adapters/aws/drill-clusters.js';
import { deleteSnapshot, describeSnapshotDetail, isSnapshotNotFound } from '../../adapters/aws/elasticache.js';
import { describeError, errorName, isBusy } from '../../adapters/aws/errors.js';
import { TAGS } from '../../domain/plans/types.js';
import type { SelftestCanary } from '../../domain/selftest/input.js';
import { type OperatorAws, pollUntil, type WaitOptions, WaitTimedOutError } from '../kernel/operator.js';
import { type SelftestRunner, StepFailedError } from './runner.js';

/** The run ended with an error, and the canary (or its point) was left behind: what is left and how to delete it, and that error. */
export class CanaryLeftError extends Error {
  override readonly name = 'CanaryLeftError';
  constructor(
    message: string,
    /** The error that ended the run (not `cause`: this error, not that one, says what the operator must do). */
    readonly ended: unknown,
  ) {
    super(message);
  }
}

/** What {@link withCanary} needs. */
export interface CanaryRun {
  readonly canary: SelftestCanary;
  readonly region: string;
  readonly deployment: string;
  readonly aws: OperatorAws;
  readonly runner: SelftestRunner;
  readonly wait: WaitOptions;
  readonly who: string;
  /** Errors that end the run (rethrown after the cleanup). */
  readonly fatal?: (err: unknown) => boolean;
  /** Said once the cache may exist (the caller's run has then changed something). */
  readonly created?: (what: string) => void;
}

const BUSY = /creating|modifying|snapshotting/;

/** The command that deletes the canary by hand. */
export function canaryDeleteCommand(id: string, region: string): string {
  return `aws elasticache delete-replication-group --region ${region} --replication-group-id ${id} --no-retain-primary-cluster`;
}

/**
 * Creates the canary (a step), runs `body` with it, then deletes it (a
 * step) and, unless `keep`, the recovery point `body` says it took. The delete
 * is attempted whenever the create was sent, also when `body` throws; a
 * failed delete is a failed step naming the command to delete it by hand,
 * and when `body` threw, the error rethrown says so too.
 */
export async function withCanary(run: CanaryRun, body: (took: (point: string) => void) => Promise<void>): Promise<void> {
  const { canary, region, aws, runner, who } = run;
  const ec = aws.elasticache(region);
  let sent = false;
  let point: string | undefined;
  let ended: unknown;
  try {
    const ready = await runner.step(
      `canary ${canary.id}`,
      region,
      {
        who,
        fix: 'see docs/deploying.md ("Day 1", --canary): the subnet group and security groups of config network',
        ...(run.fatal ? { rethrow: run.fatal } : {}),
      },
      async () => {
        sent = true;
        run.created?.(`created the canary cache ${canary.id} in ${region}`);
        await createThrowawayGroup(ec, {
          id: canary.id,
          description: 'redis-dr selftest canary (deleted when the selftest ends)',
          engine: canary.engine,
          nodeType: canary.nodeType,
          cacheSubnetGroupName: canary.cacheSubnetGroupName,
          securityGroupIds: canary.securityGroupIds,
          // Nobody connects to it: the token only locks it, and is never stored.
          authToken: randomBytes(24).toString('hex'),
          tags: { [TAGS.managed]: 'true', [TAGS.deployment]: run.deployment, [TAGS.drill]: canary.id, [TAGS.source]: canary.id },
        });
        await pollUntil(aws.clock, `canary ${canary.id}`, run.wait, async () => {
          const g = await describeDrillGroup(ec, canary.id);
          if (g?.status === 'available') return { done: g };
          if (g && /fail/.test(g.status))
            throw new StepFailedError(`the canary cache ${canary.id} is ${g.status}`, 'see the cache in the console (its events say why)');
          return { status: g?.status ?? 'not listed yet' };
        });
        return {
          value: true,
          detail: `created: 1 node ${canary.nodeType} ${canary.engine}, AUTH + in-transit + at-rest encryption, tagged ${TAGS.drill}=${canary.id}; ${canary.knownKeys} keys (new and empty)`,
        };
      },
    );
    if (ready)
      await body((p) => {
        point = p;
      });
    else runner.skip(`snapshot ${canary.plan}/${canary.id}`, region, 'the canary was not created');
  } catch (err) {
    ended = err;
  }
  const left = sent ? await deleteCanary(run, point) : undefined;
  if (ended === undefined) return;
  if (left) throw new CanaryLeftError(left, ended);
  throw ended;
}

/** The command that deletes the canary's recovery point by hand. */
export function canaryPointDeleteCommand(point: string, region: string): string {
  return `aws elasticache delete-snapshot --region ${region} --snapshot-name ${point}`;
}

/**
 * The cleanup step: the cache (always), its point (unless keep). The point's
 * name is known before its snapshot was asked for (selftest.ts), so a point
 * whose wait gave up while ElastiCache still created it is deleted too, once
 * it is no longer `creating`, within the run's wait. Only the canary's own
 * point is named: `rdr-<canary id>-…`, the id this run made up for a cache it
 * created (the operator policy allows the delete only on snapshots tagged
 * managed with a `rdr-drill-` source). Returns what was left behind, in
 * words (each with the command that deletes it), or undefined.
 */
async function deleteCanary(run: CanaryRun, point: string | undefined): Promise<string | undefined> {
  const { canary, region, aws, runner, who } = run;
  const ec = aws.elasticache(region);
  const left: string[] = [];
  await runner.step(`cleanup canary ${canary.id}`, region, { who, fix: `delete it by hand: ${canaryDeleteCommand(canary.id, region)}` }, async () => {
    let cacheFailed: unknown;
    try {
      // A cache still being created or snapshotted cannot be deleted yet.
      const state = await pollUntil(aws.clock, `canary ${canary.id} deletable`, run.wait, async () => {
        const g = await describeDrillGroup(ec, canary.id);
        return g && BUSY.test(g.status) ? { status: g.status } : { done: g };
      });
      if (state && state.status !== 'deleting') {
        try {
          await deleteDrillResource(ec, 'replication-group', canary.id);
        } catch (err) {
          if (!isDrillResourceGone(err)) throw err;
        }
      }
    } catch (err) {
      cacheFailed = err;
      left.push(`the canary cache ${canary.id} was NOT deleted (${describeError(err)}): delete it: ${canaryDeleteCommand(canary.id, region)}`);
    }
    const kept = point && canary.keep ? `; its recovery point ${point} kept (--keep)` : '';
    let pointGone: 'deleted' | 'absent' | undefined;
    if (point && !canary.keep) {
      try {
        // With the cache left behind, one look only: what is left is named now, not after a second full wait.
        pointGone = await deleteCanaryPoint(run, point, cacheFailed === undefined ? run.wait : { ...run.wait, timeoutMinutes: 0 });
      } catch (err) {
        const still = err instanceof WaitTimedOutError;
        left.push(
          `the canary's recovery point ${point} was NOT deleted (${describeError(err)}): ` +
            `${still ? 'once it is no longer creating, ' : ''}delete it: ${canaryPointDeleteCommand(point, region)}`,
        );
        throw new StepFailedError(
          cacheFailed === undefined ? `the canary cache is being deleted, but ${left.at(-1)}` : left.join('; '),
          still
            ? `ElastiCache was still creating it when the wait ended: delete it by hand once it is available (${canaryPointDeleteCommand(point, region)})`
            : 'grant the operator elasticache:DeleteSnapshot (docs/iam/operator-policy.json)',
        );
      }
    }
    if (cacheFailed !== undefined) throw cacheFailed;
    const gone = pointGone === 'deleted' ? `, recovery point ${point} deleted` : pointGone === 'absent' ? `; no recovery point ${point} was made` : '';
    return { value: true, detail: `cache ${canary.id} deleting${gone}${kept}` };
  });
  return left.length > 0 ? left.join('; ') : undefined;
}

/**
 * Deletes the canary's recovery point: `absent` when none was made (its
 * snapshot was refused or never asked for). ElastiCache refuses to delete a
 * snapshot it is still creating (InvalidSnapshotState), so while it is
 * `creating`, or the delete is refused as busy, it is looked at again after
 * `pollSeconds`, up to `timeoutMinutes`.
 * @throws WaitTimedOutError when it was still not deletable then; the delete's error otherwise
 * @see https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_DeleteSnapshot.html
 */
async function deleteCanaryPoint(run: CanaryRun, point: string, wait: WaitOptions): Promise<'deleted' | 'absent'> {
  const ec = run.aws.elasticache(run.region);
  return pollUntil<'deleted' | 'absent'>(run.aws.clock, `the canary's recovery point ${point}`, wait, async () => {
    const d = await describeSnapshotDetail(ec, 'replication-group', point);
    if (!d) return { done: 'absent' };
    if (d.status === 'deleting') return { done: 'deleted' };
    if (d.status === 'creating') return { status: 'creating' };
    try {
      await deleteSnapshot(ec, 'replication-group', point);
      return { done: 'deleted' };
    } catch (err) {
      if (isSnapshotNotFound(err)) return { done: 'absent' };
      if (isBusy(err)) return { status: `${d.status}, ${errorName(err)}` };
      throw err;
    }
  });
}
