import { describe, expect, it } from 'vitest';
import { TWO_THREADS_MIN_BYTES, twoThreadsHelp, twoThreadsMinBytes } from '../../../../lambdas/adapters/host/crc64-thread.js';

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

  it('REDIS_DR_VERIFY_THREADS=1 or 2 decides whatever the load (a process pinned to its own cores), still not below the size', () => {
    expect(twoThreadsHelp(1 << 30, 2, 7, '2')).toBe(true);
    expect(twoThreadsHelp(1 << 30, 2, 0, '1')).toBe(false);
    expect(twoThreadsHelp(TWO_THREADS_MIN_BYTES - 1, 2, 0, '2')).toBe(false);
    expect(twoThreadsHelp(1 << 30, 2, 0, 'auto')).toBe(true);
    expect(twoThreadsHelp(1 << 30, 2, 0, '')).toBe(true);
  });

  it('REDIS_DR_VERIFY_THREADS of another value: an error naming the variable, the value and the fix', () => {
    expect(() => twoThreadsHelp(1 << 30, 2, 0, 'two')).toThrow(
      'REDIS_DR_VERIFY_THREADS must be 1, 2 or auto, got "two": unset it to let the load average decide',
    );
  });

  it('REDIS_DR_TWO_THREADS_MIN_BYTES (internal: the installed CLI test splits a small file) lowers the size; another value is refused by name', () => {
    expect(twoThreadsMinBytes(undefined)).toBe(32 << 20);
    expect(twoThreadsMinBytes('')).toBe(32 << 20);
    expect(twoThreadsMinBytes('1048576')).toBe(1 << 20);
    for (const bad of ['0', '-1', '1.5', '1e6', 'lots']) {
      expect(() => twoThreadsMinBytes(bad)).toThrow(`REDIS_DR_TWO_THREADS_MIN_BYTES must be a whole number of bytes, got "${bad}": unset it for 32 MiB`);
    }
  });
});
