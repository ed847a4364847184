import { createHash, randomUUID } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import type { LeaseHolder, PidScope } from '../../domain/self-managed/lease.js';

/** Whether a process with this pid exists on this host (signal 0 only asks; EPERM: it exists, owned by another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The text of a /proc file, or undefined where there is none (not Linux, a sandbox). */
function procText(read: () => string): string | undefined {
  try {
    const text = read().trim();
    return text === '' ? undefined : text;
  } catch {
    return undefined;
  }
}

let scope: PidScope | undefined;

/**
 * Where this process's pid means something: the host's name, its boot
 * (Linux `/proc/sys/kernel/random/boot_id`: a pid of the run before a
 * reboot names another process now) and its pid namespace (`/proc/self/ns/pid`:
 * two containers on one kernel share the boot id and count pids apart), each
 * when readable. A pid is judged alive or dead only within the same scope
 * (domain/self-managed/lease.ts samePidScope); a writer on an NFS client or in
 * another container is judged by age.
 */
export function thisPidScope(): PidScope {
  scope ??= {
    host: hostname(),
    ...optional(
      'boot',
      procText(() => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8')),
    ),
    ...optional(
      'pidNamespace',
      procText(() => readlinkSync('/proc/self/ns/pid')),
    ),
  };
  return scope;
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}

/**
 * {@link thisPidScope} as a short tag for file names (`h` and 12 hex digits
 * of its SHA-256): a temporary file's name carries it beside the writer's
 * pid, so a sweep judges the pid only when the tag is its own.
 */
export function pidScopeTag(s: PidScope = thisPidScope()): string {
  return `h${createHash('sha256')
    .update(`${s.host}\0${s.boot ?? ''}\0${s.pidNamespace ?? ''}`)
    .digest('hex')
    .slice(0, 12)}`;
}

/**
 * The holder of a destination lease taken by this process: `owner`, this
 * host's name with its boot and pid namespace (when readable), this pid,
 * now, and a random token (a run releases only the lease that carries its
 * token).
 */
export function thisLeaseHolder(owner: string, now: Date = new Date()): LeaseHolder {
  return { owner, ...thisPidScope(), pid: process.pid, start: now.toISOString(), token: randomUUID() };
}
