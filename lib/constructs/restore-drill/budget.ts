import { Duration } from 'aws-cdk-lib';
import { type AslBudget, type BudgetDefinition, aslBudget } from '../../asl-budget.js';

/**
 * Timing of the drill's steps: the one source both the state machine and
 * its time budget ({@link drillBudget}, docs/drills.md "Time budget") read.
 */
export const DRILL_TIMING = {
  /** Seconds between two describes while the drill cluster is created. */
  pollIntervalSeconds: 30,
  /** An ElastiCache or Secrets Manager call answers in about a second; one this slow fails as States.Timeout. */
  sdkTimeoutSeconds: 10,
  /** A Lambda task may take its function's timeout plus this (the invoke itself). */
  lambdaSlackSeconds: 30,
  /** Fewest poll rounds a drill may have: a `drill.maxHours` too short for them is refused at synth. */
  minPollRounds: 10,
  /** Step Functions' own time per state entered (tens of milliseconds in practice), counted generously. */
  stateSeconds: 1,
} as const;

/** Seconds between two DescribeReplicationGroups polls while the drill cluster is created. */
export const POLL_INTERVAL_SECONDS = DRILL_TIMING.pollIntervalSeconds;

/** Function timeouts of the drill's Lambda steps (their tasks' timeouts follow). */
export const FUNCTION_TIMEOUTS = {
  select: Duration.minutes(2),
  verify: Duration.minutes(15),
  report: Duration.minutes(1),
  /** Server-side copies of the vault replicas (part by part for large ones), or their deletion. */
  seedCopy: Duration.minutes(10),
} as const;

/** Where the drill's phases start, for its time budget. */
export const DRILL_PHASES = {
  /** The main work (select, create, wait, verify) ends at one of these; cleanup begins. */
  cleanupStarts: ['Which cache to clean up?', 'Check owner', 'Nothing created', 'Seeded from the vault?'],
  report: 'Report',
  stateSeconds: DRILL_TIMING.stateSeconds,
} as const;

/**
 * The drill's time budget: `drill.maxHours` is the main work's (select,
 * create, poll, verify); the poll loop gets the rounds that fit in it at
 * their worst case; the state machine's timeout adds the worst-case
 * cleanup and report on top, so both always run. All from the
 * definition's own retriers, timeouts and loop (lib/asl-budget.ts).
 * @throws Error when `maxHours` leaves fewer than `minPollRounds` rounds.
 */
export function drillBudget(probe: BudgetDefinition, maxHours: number): { pollRounds: number; timeoutSeconds: number; budget: AslBudget } {
  const budget = aslBudget(probe, DRILL_PHASES);
  const loop = budget.loops.find((l) => l.head === 'Wait for cluster');
  if (!loop) throw new Error('drill budget: the definition has no poll loop at "Wait for cluster"');
  const workSeconds = maxHours * 3600;
  // The probe has 0 rounds: its work is everything but the full rounds.
  const pollRounds = Math.floor((workSeconds - budget.work - loop.bound * loop.round) / loop.round);
  if (pollRounds < DRILL_TIMING.minPollRounds) {
    throw new Error(
      `drill.maxHours ${maxHours} leaves the restore ${Math.max(pollRounds, 0)} poll rounds once select, create and verify have their worst-case time (${Math.ceil(budget.work / 60)} min); ` +
        `at least ${DRILL_TIMING.minPollRounds} are needed: raise drill.maxHours`,
    );
  }
  const timeoutSeconds = Math.ceil((workSeconds + budget.cleanup + budget.report) / 60) * 60;
  return { pollRounds, timeoutSeconds, budget };
}
