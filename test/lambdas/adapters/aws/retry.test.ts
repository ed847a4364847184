import { describe, expect, it } from 'vitest';
import { mapConcurrent, RetriesExhaustedError, retryWithBackoff } from '../../../../lambdas/adapters/aws/retry.js';
import { FakeClock } from '../../../support/fakes.js';

describe('retryWithBackoff', () => {
  const opts = (clock: FakeClock, deadlineMs: number) => ({
    retryable: (e: unknown) => (e as Error).message === 'again',
    deadline: clock.now() + deadlineMs,
    baseDelayMs: 100,
    maxDelayMs: 1_000,
    clock,
  });

  it('retries retryable errors with growing, capped waits and reports the attempts', async () => {
    const clock = new FakeClock(0);
    let calls = 0;
    const result = await retryWithBackoff(
      async () => {
        if (++calls < 6) throw new Error('again');
        return 'done';
      },
      opts(clock, 60_000),
    );
    expect(result).toEqual({ value: 'done', attempts: 6 });
    // equal jitter with random()=0.5: 75% of the ceiling 100, 200, 400, 800, 1000 (cap)
    expect(clock.sleeps).toEqual([75, 150, 300, 600, 750]);
  });

  it('rethrows a non-retryable error at once', async () => {
    const clock = new FakeClock(0);
    await expect(retryWithBackoff(async () => Promise.reject(new Error('fatal')), opts(clock, 60_000))).rejects.toThrow('fatal');
    expect(clock.sleeps).toEqual([]);
  });

  it('stops before a wait would cross the deadline, keeping the last error as cause', async () => {
    const clock = new FakeClock(0);
    const err = await retryWithBackoff(async () => Promise.reject(new Error('again')), opts(clock, 1_000)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetriesExhaustedError);
    expect((err as RetriesExhaustedError).cause).toEqual(new Error('again'));
    expect(clock.now()).toBeLessThanOrEqual(1_000);
  });

  it('gives up after maxAttempts even when the deadline is far away', async () => {
    const clock = new FakeClock(0);
    let calls = 0;
    const err = await retryWithBackoff(
      async () => {
        calls++;
        throw new Error('again');
      },
      { ...opts(clock, 10 ** 12), maxAttempts: 4 },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetriesExhaustedError);
    expect(calls).toBe(4);
    expect((err as Error).message).toContain('Error: again');
  });

  it('chooses the base delay per error when given a function', async () => {
    const clock = new FakeClock(0);
    let calls = 0;
    await retryWithBackoff(
      async () => {
        calls++;
        if (calls === 1) throw new Error('again');
        if (calls === 2) throw Object.assign(new Error('again'), { slow: true });
        return 1;
      },
      { ...opts(clock, 60_000), baseDelayMs: (e) => ((e as { slow?: boolean }).slow ? 1_000 : 10), maxDelayMs: 10_000 },
    );
    expect(clock.sleeps).toEqual([8, 1_500]);
  });
});

describe('mapConcurrent', () => {
  it('keeps order and never runs more than the limit at once', async () => {
    let running = 0;
    let peak = 0;
    const out = await mapConcurrent([5, 1, 4, 2, 3, 0], 2, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, n));
      running--;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30, 0]);
    expect(peak).toBe(2);
  });

  it('starts no new call after one fails, and throws that failure', async () => {
    const started: number[] = [];
    const err = await mapConcurrent([1, 2, 3, 4, 5, 6], 2, async (n) => {
      started.push(n);
      await new Promise((r) => setTimeout(r, n === 1 ? 1 : 5));
      if (n === 1) throw new Error('boom');
      return n;
    }).catch((e: unknown) => e);
    expect(err).toEqual(new Error('boom'));
    expect(started).toEqual([1, 2]);
  });

  it('handles an empty list', async () => {
    expect(await mapConcurrent([], 4, async () => 1)).toEqual([]);
  });
});
