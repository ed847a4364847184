/** The point a drill restores: newest as listed; random, one drawn among the older points, reproducibly by seed. */
import { describe, expect, it } from 'vitest';
import { drawIndex, selectionOrder } from '../../../../lambdas/domain/drills/point-selection.js';

const POINTS = ['p6', 'p5', 'p4', 'p3', 'p2', 'p1'];

describe('selectionOrder', () => {
  it('newest: the candidates as they are, nothing drawn', () => {
    expect(selectionOrder(POINTS, 'newest', 'seed')).toEqual({ order: POINTS });
  });

  it('random: a point older than the newest first, then the rest newest first; the same seed, the same draw', () => {
    const { order, drawnFrom } = selectionOrder(POINTS, 'random', '2026-11-21T10:00:00.000Z/prod/sessions/rg-a');
    expect(drawnFrom).toBe(5);
    expect(order[0]).not.toBe('p6');
    expect(order.slice(1)).toEqual(POINTS.filter((p) => p !== order[0]));
    expect(selectionOrder(POINTS, 'random', '2026-11-21T10:00:00.000Z/prod/sessions/rg-a').order).toEqual(order);
  });

  it('random: over many seeds every older point is drawn, each about as often, the newest never first', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 5000; i++) {
      const first = selectionOrder(POINTS, 'random', `run-${i}`).order[0]!;
      counts.set(first, (counts.get(first) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual(['p1', 'p2', 'p3', 'p4', 'p5']);
    for (const n of counts.values()) expect(Math.abs(n - 1000)).toBeLessThan(150);
  });

  it('random with one point or none: that point, or nothing', () => {
    expect(selectionOrder(['only'], 'random', 's')).toEqual({ order: ['only'], drawnFrom: 0 });
    expect(selectionOrder([], 'random', 's')).toEqual({ order: [], drawnFrom: 0 });
  });
});

describe('drawIndex', () => {
  it('refuses a count that is not a positive integer', () => {
    expect(() => drawIndex('s', 0)).toThrow('count must be a positive integer, got 0');
    expect(() => drawIndex('s', 1.5)).toThrow(RangeError);
  });
});
