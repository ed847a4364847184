import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { JobFunction } from '../../job-function.js';
import type { RestoreDrillProps } from '../props.js';

/** The drill's Lambda steps, its region and the poll rounds its time budget allows. */
export interface DrillSteps {
  readonly select: JobFunction;
  readonly verify: JobFunction;
  readonly report: JobFunction;
  /** Drills from the vault: copies the chosen replicas into the DR bucket and deletes them after. */
  readonly seedCopy?: JobFunction;
  readonly region: string;
  readonly pollRounds: number;
}

/** What every step builder gets. */
export interface DrillContext extends DrillSteps {
  /** The scope the states live in: their ids are the state names the console shows. */
  readonly scope: Construct;
  readonly props: RestoreDrillProps;
  /** Drills in this region may meet serverless caches: the serverless branches exist. */
  readonly serverless: boolean;
}

/** The drill's recovery point is a serverless cache (the select step says so). */
export function isServerless(): sfn.Condition {
  return sfn.Condition.stringEquals('$.drill.choice.kind', 'serverless-cache');
}

/**
 * Serverless regions: the same step for a serverless cache first, then the
 * replication group's; elsewhere the group's alone (the serverless states
 * are not even made).
 */
export function byKind(ctx: DrillContext, name: string, forServerless: () => sfn.IChainable, forGroup: sfn.IChainable): sfn.IChainable {
  return ctx.serverless ? new sfn.Choice(ctx.scope, name).when(isServerless(), forServerless()).otherwise(forGroup) : forGroup;
}

/** Stamps when the drill reached `name` (`$.drill.timings.<name>.at`): the report's timings. */
export function timeStamp(ctx: DrillContext, name: string): sfn.Pass {
  return new sfn.Pass(ctx.scope, `Time ${name}`, {
    parameters: { 'at.$': '$$.State.EnteredTime' },
    resultPath: `$.drill.timings.${name}`,
  });
}
