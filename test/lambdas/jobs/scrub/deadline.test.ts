/** The scheduled scrub's time budget (lambdas/jobs/scrub/deadline.ts): which copies fit the time left, and a read cut at the deadline. */
import { describe, expect, it } from 'vitest';
import { ScrubBudget } from '../../../../lambdas/jobs/scrub/deadline.js';

describe('ScrubBudget', () => {
  it('fits a copy readable in the time left at the assumed rate (100 MB/s), not a bigger one; then at the measured rate', () => {
    const budget = new ScrubBudget(() => 61_000, 60_000);
    expect(budget.fits(50e6)).toBe(true); // 500 ms of the 1 s left
    expect(budget.fits(200e6)).toBe(false); // 2 s
    budget.measured(1e6, 100); // 10 MB/s measured
    expect(budget.fits(50e6)).toBe(false); // 5 s at the measured rate
    expect(budget.fits(5e6)).toBe(true);
  });

  it('has no limit without a remaining time (the CLI)', () => {
    expect(new ScrubBudget().fits(1e15)).toBe(true);
  });

  it('cuts a read whose next chunk does not come before the deadline, and marks the budget expired', async () => {
    const budget = new ScrubBudget(() => 60_050, 60_000);
    let closed = false;
    const stalled: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]: () => ({
        next: () => new Promise<IteratorResult<Uint8Array>>(() => {}),
        return: async () => {
          closed = true;
          return { done: true, value: undefined };
        },
      }),
    };
    await expect(budget.bounded(stalled)[Symbol.asyncIterator]().next()).rejects.toThrow(/time budget/);
    expect(budget.expired).toBe(true);
    expect(closed).toBe(true);
    expect(budget.fits(1)).toBe(false);
  });
});
