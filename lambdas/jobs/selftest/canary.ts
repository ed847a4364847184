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
import { deleteSnapshot } from '../../adapters/aws/elasticache.js';
import { describeError } from '../../adapters/aws/errors.js';
import { TAGS } from '../../domain/plans/types.js';
import type { SelftestCanary } from '../../domain/selftest/input.js';
import { type OperatorAws, pollUntil, type WaitOptions } from '../on-demand/operator.js';
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

/** The cleanup step: the cache (always), its point (unless keep). Returns what was left behind, in words, or undefined. */
async function deleteCanary(run: CanaryRun, point: string | undefined): Promise<string | undefined> {
  const { canary, region, aws, runner, who } = run;
  const ec = aws.elasticache(region);
  let left: string | undefined;
  await runner.step(`cleanup canary ${canary.id}`, region, { who, fix: `delete it by hand: ${canaryDeleteCommand(canary.id, region)}` }, async () => {
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
      left = `the canary cache ${canary.id} was NOT deleted (${describeError(err)}): delete it: ${canaryDeleteCommand(canary.id, region)}`;
      throw err;
    }
    const kept = point && canary.keep ? `; its recovery point ${point} kept (--keep)` : '';
    if (point && !canary.keep) {
      try {
        await deleteSnapshot(ec, 'replication-group', point);
      } catch (err) {
        left = `the canary's recovery point ${point} was NOT deleted (${describeError(err)}): delete it: aws elasticache delete-snapshot --region ${region} --snapshot-name ${point}`;
        throw new StepFailedError(
          `the canary cache is being deleted, but ${left}`,
          'grant the operator elasticache:DeleteSnapshot (docs/iam/operator-policy.json)',
        );
      }
    }
    return { value: true, detail: `cache ${canary.id} deleting${point && !canary.keep ? `, recovery point ${point} deleted` : ''}${kept}` };
  });
  return left;
}
