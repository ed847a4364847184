import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { LeaseHolder } from '../../domain/self-managed/lease.js';
/** Whether a process with this pid exists on this host (signal 0 only asks; EPERM: it exists, owned by another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The holder of a destination lease taken by this process: `owner`, this
 * host's name, this pid, now, and a random token (a run releases only the
 * lease that carries its token).
 */
export function thisLeaseHolder(owner: string, now: Date = new Date()): LeaseHolder {
  return { owner, host: hostname(), pid: process.pid, start: now.toISOString(), token: randomUUID() };
}
