/**
 * Which retained recovery point a drill restores (`drill.pointSelection`):
 * `newest` (the default: what a real recovery would use first) or `random`,
 * a random older retained point, so that over time the drills sample the
 * whole retention and not only the newest copy (NIST 800-53 CP-9(2), DORA
 * article 12: restores from sampled older points). The draw is seeded by the
 * execution (its start time and the target): a retried select step picks
 * the same point, and anyone can recompute the draw from the record. Pure.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';

/** The selections, default first. */
export const POINT_SELECTIONS = ['newest', 'random'] as const;
/** One selection. */
export type PointSelection = (typeof POINT_SELECTIONS)[number];

/** `drill.pointSelection` in the config and the drill input. */
export const pointSelectionSchema = z.enum(POINT_SELECTIONS, {
  error: (iss) =>
    `must be "newest" or "random", got ${JSON.stringify(iss.input)}: "random" restores a random older retained point (an auditor's sample), "newest" the newest`,
});

/** A number in [0, count) from `seed` (SHA-256, its first 48 bits): the same seed, the same draw. */
export function drawIndex(seed: string, count: number): number {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`count must be a positive integer, got ${count}`);
  return Number.parseInt(createHash('sha256').update(seed).digest('hex').slice(0, 12), 16) % count;
}

/** What a selection made of the candidates: the order to try them in, and how many it drew from. */
export interface SelectionOrder<T> {
  /** Tried in this order: the first usable is restored. */
  readonly order: readonly T[];
  /** `random`: the number of older points the draw was among (0 when the newest is the only one). */
  readonly drawnFrom?: number;
}

/**
 * The candidates (newest first) in the order a drill tries them: as they
 * are for `newest`; for `random`, one drawn among the points older than the
 * newest first, then the rest newest first (so an unusable draw still leaves
 * a drill). With a single point, `random` can only restore it.
 */
export function selectionOrder<T>(newestFirst: readonly T[], selection: PointSelection, seed: string): SelectionOrder<T> {
  if (selection === 'newest') return { order: [...newestFirst] };
  const older = newestFirst.slice(1);
  if (older.length === 0) return { order: [...newestFirst], drawnFrom: 0 };
  const drawn = older[drawIndex(seed, older.length)]!;
  return { order: [drawn, ...newestFirst.filter((p) => p !== drawn)], drawnFrom: older.length };
}
