import { describe, expect, it } from 'vitest';
import { barWidth, hbars, rtoTiers } from '../../../../lambdas/domain/org/charts.js';
import type { TierRto } from '../../../../lambdas/domain/org/figures.js';

/** The org page's charts, tested on the values they draw (the marks' sizes and places), not on their look. */
const rects = (svg: string) =>
  [...svg.matchAll(/<rect class="([^"]+)" x="([\d.]+)" y="[\d.]+" width="([\d.]+)"/g)].map((m) => ({ cls: m[1], x: Number(m[2]), w: Number(m[3]) }));
const attr = (svg: string, cls: string, name: string) => Number(new RegExp(`class="${cls}"[^>]*? ${name}="([\\d.]+)"`).exec(svg)?.[1]);

describe('the org charts', () => {
  it('a bar of segments: each segment as wide as its value on the scale, left to right, none for a zero; every figure in the description', () => {
    const svg = hbars('t', 'Title <x>', [
      {
        label: 'a',
        segments: [
          { value: 3, kind: 'ok', label: 'ok' },
          { value: 0, kind: 'warn', label: 'none' },
          { value: 1, kind: 'bad', label: 'failed' },
        ],
      },
    ]);
    const r = rects(svg);
    expect(r.map((x) => x.cls)).toEqual(['seg-ok', 'seg-bad']);
    expect(r[0]!.w).toBeCloseTo(barWidth(3, 4), 1);
    expect(r[1]!.w).toBeCloseTo(barWidth(1, 4), 1);
    expect(r[1]!.x).toBeCloseTo(r[0]!.x + r[0]!.w, 1);
    expect(r[0]!.w / r[1]!.w).toBeCloseTo(3, 1);
    expect(svg).toContain('<title id="t-t">Title &lt;x&gt;</title>');
    expect(svg).toContain('a: 3 ok, 0 none, 1 failed');
    expect(svg).not.toContain('<x>');
  });

  it('bars share a scale given: a share of 1 of 4 is a quarter of the full width', () => {
    const svg = hbars('t', 'T', [{ label: 'x', segments: [{ value: 1, kind: 'ok', label: 'yes' }] }], 4);
    expect(rects(svg)[0]!.w).toBeCloseTo(barWidth(4, 4) / 4, 1);
    expect(barWidth(5, 0)).toBe(0);
  });

  it('the RTO per tier: the box from p50 to p90, the range from min to max, the target where its seconds fall; hatched when a drill is over it', () => {
    const gold: TierRto = { tier: 'gold', drills: 4, targetSeconds: 1000, minSeconds: 100, p50Seconds: 400, p90Seconds: 1200, maxSeconds: 1500, overTarget: 1 };
    const silver: TierRto = { tier: 'silver', drills: 0, targetSeconds: 3000, minSeconds: 0, p50Seconds: 0, p90Seconds: 0, maxSeconds: 0, overTarget: 0 };
    const svg = rtoTiers('r', [gold, silver]);
    const max = 3000 * 1.1;
    const x0 = attr(svg, 'rto-range', 'x1');
    const px = (s: number) => x0 - barWidth(100, max) + barWidth(s, max);
    expect(attr(svg, 'rto-range', 'x2')).toBeCloseTo(px(1500), 0);
    expect(attr(svg, 'rto-box', 'x')).toBeCloseTo(px(400), 0);
    expect(attr(svg, 'rto-box', 'width')).toBeCloseTo(px(1200) - px(400), 0);
    expect(attr(svg, 'rto-target', 'x1')).toBeCloseTo(px(1000), 0);
    expect(svg).toMatch(/class="rto-box"[^>]*fill="url\(#hatch\)"/);
    expect(svg).toContain('1 over target');
    expect(svg).toContain('no drill passed');
    expect(svg.match(/class="rto-target"/g)).toHaveLength(2);
  });
});
