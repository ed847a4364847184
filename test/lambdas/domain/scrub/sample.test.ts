import { describe, expect, it } from 'vitest';
import { selectScrubSample } from '../../../../lambdas/domain/scrub/sample.js';

const DAY = 86_400_000;
const now = new Date('2026-11-25T03:00:00Z');
const ago = (days: number) => new Date(now.getTime() - days * DAY);
const copies = (ages: number[]) => ages.map((a, i) => ({ file: `c${i}.rdb`, lastReadAt: ago(a) }));
/** A fixed "random" source: always the first of what is left. */
const first = () => 0;

describe('selectScrubSample', () => {
  it('takes every copy whose last read would pass the bound before the next daily run, whatever the sample size', () => {
    const s = selectScrubSample(copies([1, 29, 35, 2, 29.5]), { days: 30, sample: 1, now, random: first });
    expect(s.due).toEqual(['c2.rdb', 'c4.rdb', 'c1.rdb']);
    expect(s.files).toEqual(['c2.rdb', 'c4.rdb', 'c1.rdb']);
  });

  it('fills up to a days-th of the copies with random picks of the rest by default', () => {
    const sixty = copies(Array.from({ length: 60 }, (_, i) => i % 20));
    const s = selectScrubSample(sixty, { days: 30, now, random: first });
    expect(s.due).toEqual([]);
    expect(s.files).toHaveLength(2);
    // Another random source, another sample of the same size.
    const other = selectScrubSample(sixty, { days: 30, now, random: () => 0.99 });
    expect(other.files).toHaveLength(2);
    expect(other.files).not.toEqual(s.files);
  });

  it('reaches every copy within the bound when run daily: 30 copies read today are all re-read within 30 runs', () => {
    let state = copies(Array.from({ length: 30 }, () => 0));
    const reRead = new Set<string>();
    let seed = 7;
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    for (let day = 1; day <= 30; day++) {
      const at = new Date(now.getTime() + day * DAY);
      const { files } = selectScrubSample(state, { days: 30, now: at, random });
      for (const f of files) reRead.add(f);
      state = state.map((c) => (files.includes(c.file) ? { ...c, lastReadAt: at } : c));
      // No copy is ever left unread for more than 30 days.
      expect(state.every((c) => at.getTime() - c.lastReadAt.getTime() <= 30 * DAY)).toBe(true);
    }
    expect(reRead.size).toBe(30);
  });

  it('--all takes every copy, oldest read first', () => {
    expect(selectScrubSample(copies([3, 9, 1]), { days: 30, all: true, now, random: first }).files).toEqual(['c1.rdb', 'c0.rdb', 'c2.rdb']);
  });

  it('an empty destination is an empty sample', () => {
    expect(selectScrubSample([], { days: 30, now, random: first })).toEqual({ files: [], due: [] });
  });
});
