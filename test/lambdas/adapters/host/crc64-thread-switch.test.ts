import { describe, expect, it } from 'vitest';
import { TWO_THREADS_MIN_BYTES, twoThreadsHelp } from '../../../../lambdas/adapters/host/crc64-thread.js';

describe('twoThreadsHelp: a second thread only for a large file and a free core', () => {
  it('a large file on an idle 2-core machine: two threads', () => {
    expect(twoThreadsHelp(TWO_THREADS_MIN_BYTES, 2, 0)).toBe(true);
  });

  it('a file below the size: one thread (starting the worker costs more)', () => {
    expect(twoThreadsHelp(TWO_THREADS_MIN_BYTES - 1, 2, 0)).toBe(false);
  });

  it('every core busy (load above the cores less one), or one core: one thread', () => {
    expect(twoThreadsHelp(1 << 30, 2, 1.5)).toBe(false);
    expect(twoThreadsHelp(1 << 30, 2, 1)).toBe(true);
    expect(twoThreadsHelp(1 << 30, 8, 6.9)).toBe(true);
    expect(twoThreadsHelp(1 << 30, 1, 0)).toBe(false);
  });
});
