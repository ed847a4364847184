/**
 * Which stored copies a scrub run re-reads. Auditors' controls (NIST 800-53
 * CP-9(1), SOC 2 A1.3) ask that stored copies be tested again on a schedule;
 * the promise kept here is that every retained copy is re-read within
 * `days` when the scrub runs daily: each run takes every copy that would
 * otherwise pass that bound before the next run, then a random sample of the
 * others (by default a `days`-th of them, so the load is spread evenly).
 * Pure: the clock and the random source come in.
 */

const DAY = 86_400_000;

/** A copy the scrub may re-read: its name and when it was last read and found good (its arrival's read-back, else). */
export interface ScrubCandidate {
  readonly file: string;
  readonly lastReadAt: Date;
}

/** How many to re-read: every one, a fixed sample, or (default) a `days`-th of them. */
export interface ScrubSampling {
  readonly days: number;
  readonly all?: boolean;
  /** Random picks beyond the copies that are due (at least this many in all, when there are). */
  readonly sample?: number;
  readonly now: Date;
  /** A number in [0, 1), as Math.random gives (injected so a test picks the same sample). */
  readonly random: () => number;
}

/** The sample, oldest last read first; `due` are the copies taken because the bound would pass before the next daily run. */
export function selectScrubSample(candidates: readonly ScrubCandidate[], s: ScrubSampling): { files: string[]; due: string[] } {
  const byAge = [...candidates].sort((a, b) => a.lastReadAt.getTime() - b.lastReadAt.getTime() || a.file.localeCompare(b.file));
  if (s.all) return { files: byAge.map((c) => c.file), due: [] };
  // A copy last read more than days - 1 days ago would pass the bound before tomorrow's run: taken now.
  const bound = s.now.getTime() - (s.days - 1) * DAY;
  const due = byAge.filter((c) => c.lastReadAt.getTime() <= bound);
  const rest = byAge.filter((c) => c.lastReadAt.getTime() > bound);
  const wanted = s.sample ?? Math.ceil(candidates.length / s.days);
  const picks: ScrubCandidate[] = [];
  // Fisher–Yates over the rest, as far as the picks go.
  const pool = [...rest];
  for (let i = 0; i < pool.length && due.length + picks.length < wanted; i++) {
    const j = i + Math.floor(s.random() * (pool.length - i));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
    picks.push(pool[i]!);
  }
  const chosen = new Set([...due, ...picks].map((c) => c.file));
  return { files: byAge.filter((c) => chosen.has(c.file)).map((c) => c.file), due: due.map((c) => c.file) };
}
