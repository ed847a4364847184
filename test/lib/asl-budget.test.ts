import { describe, expect, it } from 'vitest';
import { type BudgetDefinition, aslBudget, budgetProblems, taskWorstCase } from '../../lib/asl-budget.js';

const phases = { cleanupStarts: ['Cleanup'], report: 'Report' };

/** work (task 10 s, no retry) → Cleanup (task 20 s) → Report (task 5 s) → end. */
function linear(over: Partial<BudgetDefinition> = {}): BudgetDefinition {
  return {
    StartAt: 'Work',
    TimeoutSeconds: 35,
    States: {
      Work: { Type: 'Task', TimeoutSeconds: 10, Retry: [], Next: 'Cleanup' },
      Cleanup: { Type: 'Task', TimeoutSeconds: 20, Next: 'Report' },
      Report: { Type: 'Task', TimeoutSeconds: 5, End: true },
    },
    ...over,
  };
}

describe('taskWorstCase', () => {
  it.each([
    ['no retrier: one attempt', [], 10],
    ['the spec defaults (1 s, x2, 3 attempts): 4 attempts and 1 + 2 + 4 s', [{ ErrorEquals: ['X'] }], 4 * 10 + 7],
    [
      'backoff capped by MaxDelaySeconds',
      [{ ErrorEquals: ['X'], IntervalSeconds: 30, BackoffRate: 2, MaxAttempts: 4, MaxDelaySeconds: 60 }],
      5 * 10 + 30 + 60 + 60 + 60,
    ],
    [
      'two retriers: each exhausted (alternating errors)',
      [
        { ErrorEquals: ['A'], IntervalSeconds: 3, BackoffRate: 2, MaxAttempts: 3 },
        { ErrorEquals: ['B'], IntervalSeconds: 10, BackoffRate: 1, MaxAttempts: 2 },
      ],
      6 * 10 + (3 + 6 + 12) + (10 + 10),
    ],
  ] as const)('%s', (_what, retry, seconds) => {
    expect(taskWorstCase('T', { Type: 'Task', TimeoutSeconds: 10, Retry: retry as never })).toBe(seconds);
  });

  it('a task without a timeout has no worst case, and says so', () => {
    expect(() => taskWorstCase('Create cluster', { Type: 'Task' })).toThrow(/Create cluster: a Task without TimeoutSeconds has no worst case/);
  });
});

describe('aslBudget', () => {
  it('splits the slowest path into work, cleanup and report', () => {
    expect(aslBudget(linear(), phases)).toEqual({ work: 10, cleanup: 20, report: 5, total: 35, loops: [] });
  });

  it('takes the slowest branch of a choice and a catch', () => {
    const def = linear({
      States: {
        Work: { Type: 'Task', TimeoutSeconds: 10, Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Slow' }], Next: 'Which?' },
        'Which?': { Type: 'Choice', Choices: [{ Variable: '$.x', BooleanEquals: true, Next: 'Cleanup' }], Default: 'Pause' },
        Pause: { Type: 'Wait', Seconds: 100, Next: 'Cleanup' },
        Slow: { Type: 'Wait', Seconds: 300, Next: 'Cleanup' },
        Cleanup: { Type: 'Task', TimeoutSeconds: 20, Next: 'Report' },
        Report: { Type: 'Task', TimeoutSeconds: 5, Next: 'Done' },
        Done: { Type: 'Succeed' },
      },
    });
    expect(aslBudget(def, phases)).toMatchObject({ work: 310, cleanup: 20, report: 5, total: 335 });
  });

  it('counts a bounded poll loop at its bound: full rounds, then the round that leaves', () => {
    const def: BudgetDefinition = {
      StartAt: 'Init',
      States: {
        Init: { Type: 'Pass', Result: { rounds: 0 }, ResultPath: '$.poll', Next: 'Wait' },
        Wait: { Type: 'Wait', Seconds: 30, Next: 'Describe' },
        Describe: { Type: 'Task', TimeoutSeconds: 10, Next: 'Done?' },
        'Done?': {
          Type: 'Choice',
          Choices: [
            { Variable: '$.status', StringEquals: 'available', Next: 'Cleanup' },
            { Variable: '$.poll.rounds', NumericGreaterThanEquals: 7, Next: 'Cleanup' },
          ],
          Default: 'Count',
        },
        Count: { Type: 'Pass', Parameters: { 'rounds.$': 'States.MathAdd($.poll.rounds, 1)' }, ResultPath: '$.poll', Next: 'Wait' },
        Cleanup: { Type: 'Task', TimeoutSeconds: 20, Next: 'Report' },
        Report: { Type: 'Task', TimeoutSeconds: 5, End: true },
      },
    };
    const b = aslBudget(def, phases);
    expect(b.loops).toEqual([{ head: 'Wait', bound: 7, round: 40 }]);
    expect(b.work).toBe(7 * 40 + 40);
    expect(b.total).toBe(7 * 40 + 40 + 20 + 5);
  });

  it('refuses a loop whose bound it cannot read', () => {
    const def: BudgetDefinition = {
      StartAt: 'Wait',
      States: {
        Wait: { Type: 'Wait', Seconds: 30, Next: 'Again?' },
        'Again?': { Type: 'Choice', Choices: [{ Variable: '$.done', BooleanEquals: true, Next: 'Report' }], Default: 'Wait' },
        Report: { Type: 'Task', TimeoutSeconds: 5, End: true },
      },
    };
    expect(() => aslBudget(def, phases)).toThrow(/the loop back to "Wait" has no bound the budget can read/);
  });

  it('refuses a Wait without fixed seconds', () => {
    const def = linear({ States: { ...linear().States, Work: { Type: 'Wait', SecondsPath: '$.s', Next: 'Cleanup' } } });
    expect(() => aslBudget(def, phases)).toThrow(/Work: only a Wait with fixed Seconds has a worst case/);
  });
});

describe('budgetProblems', () => {
  it('is empty when everything fits', () => {
    expect(budgetProblems(linear(), phases, 10)).toEqual([]);
  });

  it('names work that outlasts its share, and a timeout the phases outlast', () => {
    expect(budgetProblems(linear({ TimeoutSeconds: 30 }), phases, 5)).toEqual([
      'the work may take 10 s, more than its 5 s',
      'work 10 s + cleanup 20 s + report 5 s = 35 s, more than the timeout of 30 s',
      'the slowest path takes 35 s, more than the timeout of 30 s',
    ]);
  });
});

describe('aslBudget with a transition allowance', () => {
  it('adds stateSeconds for every state entered, loop rounds included', () => {
    expect(aslBudget(linear(), { ...phases, stateSeconds: 1 })).toMatchObject({ work: 11, cleanup: 21, report: 6, total: 38 });
  });
});
