/**
 * The organization's headline figures from every account's line
 * (./rollup.ts): the shares of caches with a verified copy within the RPO,
 * drilled within the RTO, drilled in the last 30 and 90 days; the RTO
 * distribution per tier; the oldest copy not verified; unprotected and
 * unprotectable caches; stacks missing, stopped or failing their selftest;
 * and the exit code the roll-up gives. Pure.
 */
import type { AccountRollup, StackState, UnverifiedCopy } from './rollup.js';

/** The RTOs of one tier's drills that passed (in the reports of the last 90 days), seconds. */
export interface TierRto {
  readonly tier: string;
  readonly drills: number;
  /** The tier's RTO target (the smallest its caches state), seconds; null: no cache of it drills. */
  readonly targetSeconds: number | null;
  readonly minSeconds: number;
  readonly p50Seconds: number;
  readonly p90Seconds: number;
  readonly maxSeconds: number;
  /** Drills over the target. */
  readonly overTarget: number;
}

/** The oldest copy not verified, where it is. */
export interface OldestUnverified extends UnverifiedCopy {
  readonly account: string;
  readonly region: string;
  readonly cache: string;
}

/** A record of the tree besides an account's newest report that is not what its key says (an older report, a selftest record). */
export interface MalformedRecord {
  readonly key: string;
  readonly why: string;
}

/** The organization's roll-up. */
export interface OrgRollup {
  readonly generatedAt: string;
  readonly accounts: readonly AccountRollup[];
  readonly caches: number;
  /** Share (0–1) of the caches of readable reports with a verified copy within the RPO (a stale report's count as not); null with no cache. */
  readonly verifiedShare: number | null;
  /** Share whose restore-time control passed (drilled in the report's period, within the RTO). */
  readonly drilledShare: number | null;
  /** Share with a drill that passed in the last 30 days, and 90 (the reports of those days, read for their drills). */
  readonly drilled30Share: number | null;
  readonly drilled90Share: number | null;
  readonly rtoByTier: readonly TierRto[];
  readonly oldestUnverified: OldestUnverified | null;
  readonly unprotected: number;
  readonly unprotectable: number;
  /** Account-region lines per stack state. */
  readonly stacks: Readonly<Record<StackState, number>>;
  /** Lines (account and region) not ok. */
  readonly failing: number;
  /** Records other than the newest reports that are malformed, each named (the newest reports' are malformed lines). */
  readonly malformed: readonly MalformedRecord[];
}

const DAY = 86_400_000;

/** The value at quantile `q` (nearest rank) of sorted `xs`. */
export function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** The RTO distribution per tier, tiers by name. */
export function rtoByTier(lines: readonly AccountRollup[]): TierRto[] {
  const tiers = new Map<string, { rtos: number[]; targets: number[] }>();
  for (const c of lines.flatMap((l) => (l.state === 'stale' ? [] : l.cacheLines))) {
    const t = tiers.get(c.tier) ?? { rtos: [], targets: [] };
    t.rtos.push(...c.rtoSeconds);
    if (c.rtoTargetSeconds !== null) t.targets.push(c.rtoTargetSeconds);
    tiers.set(c.tier, t);
  }
  return [...tiers.entries()]
    .filter(([, t]) => t.rtos.length > 0 || t.targets.length > 0)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([tier, t]) => {
      const sorted = [...t.rtos].sort((a, b) => a - b);
      const target = t.targets.length > 0 ? Math.min(...t.targets) : null;
      const at = (q: number) => (sorted.length > 0 ? quantile(sorted, q) : 0);
      return {
        tier,
        drills: sorted.length,
        targetSeconds: target,
        minSeconds: sorted[0] ?? 0,
        p50Seconds: at(0.5),
        p90Seconds: at(0.9),
        maxSeconds: sorted.at(-1) ?? 0,
        overTarget: target === null ? 0 : sorted.filter((s) => s > target).length,
      };
    });
}

/** The oldest copy not verified among the fresh reports' caches. */
function oldestUnverified(lines: readonly AccountRollup[]): OldestUnverified | null {
  let oldest: OldestUnverified | null = null;
  for (const l of lines) {
    if (l.state === 'stale') continue;
    for (const c of l.cacheLines)
      if (c.oldestUnverified && (!oldest || c.oldestUnverified.at < oldest.at))
        oldest = { account: l.account, region: l.region, cache: c.cache, ...c.oldestUnverified };
  }
  return oldest;
}

/** The roll-up of every account's line. */
export function rollUp(lines: readonly AccountRollup[], now: Date, malformed: readonly MalformedRecord[] = []): OrgRollup {
  const read = lines.filter((l) => l.state !== 'malformed' && l.state !== 'missing');
  const caches = read.reduce((n, l) => n + l.caches, 0);
  // A stale report vouches for nothing now: its caches count, as neither verified nor drilled.
  const fresh = read.filter((l) => l.state !== 'stale');
  const share = (n: number) => (caches === 0 ? null : n / caches);
  const drilledWithin = (days: number) => {
    const from = new Date(now.getTime() - days * DAY).toISOString();
    return fresh.reduce((n, l) => n + l.cacheLines.filter((c) => c.lastDrillAt !== null && c.lastDrillAt >= from).length, 0);
  };
  const stacks: Record<StackState, number> = { ok: 0, 'no-selftest': 0, 'selftest-failed': 0, drifted: 0, stopped: 0, missing: 0 };
  for (const l of lines) stacks[l.stack]++;
  return {
    generatedAt: now.toISOString(),
    accounts: lines,
    caches,
    verifiedShare: share(fresh.reduce((n, l) => n + l.verified, 0)),
    drilledShare: share(fresh.reduce((n, l) => n + l.drilled, 0)),
    drilled30Share: share(drilledWithin(30)),
    drilled90Share: share(drilledWithin(90)),
    rtoByTier: rtoByTier(lines),
    oldestUnverified: oldestUnverified(lines),
    unprotected: lines.reduce((n, l) => n + l.unprotected, 0),
    unprotectable: lines.reduce((n, l) => n + l.unprotectable, 0),
    stacks,
    failing: lines.filter((l) => l.state !== 'ok').length,
    malformed,
  };
}

/** The roll-up's exit code: 2 a record is no report (named); 1 a line is not ok, or there is no line at all; else 0. */
export function rollupExitCode(r: OrgRollup): number {
  if (r.malformed.length > 0 || r.accounts.some((a) => a.state === 'malformed')) return 2;
  return r.failing > 0 || r.accounts.length === 0 ? 1 : 0;
}
