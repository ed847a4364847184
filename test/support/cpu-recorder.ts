import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import { afterAll, expect } from 'vitest';

/** Clock ticks a second of /proc/<pid>/stat's times (USER_HZ: 100 on every Linux this runs on). */
const TICKS = 100;

/**
 * The fields of /proc/<pid>/stat after the command name (which may hold spaces): the parent's pid is the 2nd of those,
 * utime and stime the 12th and 13th, cutime and cstime the 14th and 15th. Throws where there is no such file (not Linux).
 */
function statFields(pid: string): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** CPU-s of this process (user + system) and of its children it has waited for (cutime + cstime). */
function cpuSeconds(): { self: number; children: number; live: Map<number, number> } {
  const own = process.cpuUsage();
  let children = 0;
  try {
    const fields = statFields('self');
    children = (Number(fields[13]) + Number(fields[14])) / TICKS;
  } catch {
    // Not Linux: only this process's own time.
  }
  return { self: (own.user + own.system) / 1e6, children, live: liveChildren() };
}

/**
 * CPU-s of each child of this process still running, by pid: a server a worker keeps between files (moto, test/support/moto.ts)
 * is waited for only when the worker ends, so cutime never holds what the files before cost it.
 */
function liveChildren(): Map<number, number> {
  const out = new Map<number, number>();
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return out; // Not Linux.
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const fields = statFields(name);
      if (Number(fields[1]) === process.pid) out.set(Number(name), (Number(fields[11]) + Number(fields[12])) / TICKS);
    } catch {
      // Gone meanwhile, or not a process.
    }
  }
  return out;
}

/**
 * With REDIS_DR_TEST_CPU=<file>, appends one JSON line per test file to it: the CPU-s the file cost (this worker's,
 * that of the processes it started and waited for: servers, CLIs, synths in children, and what its children still running
 * spent meanwhile, `live`: a moto server kept between files), and its wall seconds.
 * The suite's time is CPU-bound on a shared machine, where wall times say more about the neighbours than the file:
 * `REDIS_DR_TEST_CPU=/tmp/cpu.jsonl npx vitest run test/x` then sort the lines by `cpu`.
 */
export function recordCpuPerFile(out: string): void {
  // From the setup file's run, before the test file is imported: its imports are part of its cost.
  const start = cpuSeconds();
  const started = performance.now();
  const startedAt = Date.now();
  afterAll(() => {
    const end = cpuSeconds();
    const self = end.self - start.self;
    // A child still running at the end: what it spent during the file (all of it when the file started it).
    let live = 0;
    for (const [pid, cpu] of end.live) live += cpu - (start.live.get(pid) ?? 0);
    const children = end.children - start.children + live;
    const line = {
      file: expect.getState().testPath,
      cpu: Number((self + children).toFixed(2)),
      self: Number(self.toFixed(2)),
      children: Number(children.toFixed(2)),
      live: Number(live.toFixed(2)),
      wall: Number(((performance.now() - started) / 1000).toFixed(2)),
      pid: process.pid,
      // When the file started (ms since the epoch): with `wall`, the run's timeline (how many files ran at once, and when).
      start: startedAt,
    };
    appendFileSync(out, `${JSON.stringify(line)}\n`);
  });
}
