/**
 * The organization page's charts as inline SVG (the report's frame and
 * hatching, lambdas/domain/report/svg.ts): horizontal bars, each a row of
 * segments (a share, accounts per state, caches per account), and the RTO
 * distribution per tier (range, p50–p90 box, target). Never by colour
 * alone: every segment is labelled with its figure, what failed is hatched,
 * and the page puts a table of the same figures beside each chart. Pure.
 */
import { esc, readableSeconds } from '../report/readable.js';
import { FONT, frame, W } from '../report/svg.js';
import type { TierRto } from './figures.js';

/** One segment of a bar: its value, its class (`ok` solid, `bad` hatched, `warn`, `none` muted) and what it counts. */
export interface Segment {
  readonly value: number;
  readonly kind: 'ok' | 'bad' | 'warn' | 'none';
  readonly label: string;
}

/** One bar: its label and its segments, left to right. */
export interface Bar {
  readonly label: string;
  readonly segments: readonly Segment[];
}

const FILL = { ok: '#2e7d32', bad: 'url(#hatch)', warn: '#f6c177', none: '#c9c9d1' } as const;
const LABEL_W = 190;
const ROW = 26;

/** The width in px of `value` on a bar of `max` (the chart's width less the labels). */
export function barWidth(value: number, max: number): number {
  return max <= 0 ? 0 : (value / max) * (W - LABEL_W - 20);
}

/**
 * Horizontal bars, each of stacked segments, scaled to `max` (default: the
 * longest bar). A segment wide enough carries its label; every segment's
 * figure is in the row's right-hand text and the table beside the chart.
 */
export function hbars(id: string, title: string, bars: readonly Bar[], max?: number): string {
  const scale = max ?? Math.max(1, ...bars.map((b) => b.segments.reduce((n, s) => n + s.value, 0)));
  const parts: string[] = [];
  bars.forEach((b, i) => {
    const y = 8 + i * ROW;
    parts.push(`<text x="${LABEL_W - 6}" y="${y + 14}" text-anchor="end" ${FONT}>${esc(b.label)}</text>`);
    let x = LABEL_W;
    for (const s of b.segments) {
      const w = barWidth(s.value, scale);
      if (w <= 0) continue;
      parts.push(
        `<rect class="seg-${s.kind}" x="${x.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${ROW - 8}" fill="${FILL[s.kind]}" stroke="#222" stroke-width="0.5"><title>${esc(`${s.label}: ${s.value}`)}</title></rect>`,
      );
      // A label only where it fits; the row's total text and the table say every figure.
      if (w > 7 * (String(s.value).length + 1)) parts.push(`<text x="${(x + 4).toFixed(1)}" y="${y + 13}" ${FONT}>${s.value}</text>`);
      x += w;
    }
  });
  const desc = bars.map((b) => `${b.label}: ${b.segments.map((s) => `${s.value} ${s.label}`).join(', ')}`).join('; ');
  return frame(id, title, desc, 16 + bars.length * ROW, parts.join(''));
}

/**
 * The RTO distribution per tier: a line from the fastest drill to the
 * slowest, a box from p50 to p90, the target as a dashed tick; a tier with
 * drills over its target says so in words beside it.
 */
export function rtoTiers(id: string, tiers: readonly TierRto[]): string {
  const max = Math.max(1, ...tiers.flatMap((t) => [t.maxSeconds, t.targetSeconds ?? 0])) * 1.1;
  const x = (s: number) => LABEL_W + barWidth(s, max);
  const parts: string[] = [
    `<text x="${LABEL_W}" y="12" ${FONT}>0</text>`,
    `<text x="${W - 20}" y="12" text-anchor="end" ${FONT}>${esc(readableSeconds(max))}</text>`,
  ];
  tiers.forEach((t, i) => {
    const y = 22 + i * 34;
    const mid = y + 12;
    parts.push(`<text x="${LABEL_W - 6}" y="${mid + 4}" text-anchor="end" ${FONT}>${esc(`${t.tier} (${t.drills})`)}</text>`);
    if (t.drills > 0)
      parts.push(
        `<line class="rto-range" x1="${x(t.minSeconds).toFixed(1)}" y1="${mid}" x2="${x(t.maxSeconds).toFixed(1)}" y2="${mid}" stroke="#5b5b66" stroke-width="2"/>`,
        `<rect class="rto-box" x="${x(t.p50Seconds).toFixed(1)}" y="${y + 4}" width="${Math.max(2, x(t.p90Seconds) - x(t.p50Seconds)).toFixed(1)}" height="16" fill="${t.overTarget > 0 ? 'url(#hatch)' : '#2e7d32'}" stroke="#222"/>`,
        `<text x="${(x(t.maxSeconds) + 4).toFixed(1)}" y="${mid + 4}" ${FONT}>${esc(`p50 ${readableSeconds(t.p50Seconds)}, p90 ${readableSeconds(t.p90Seconds)}${t.overTarget > 0 ? `, ${t.overTarget} over target` : ''}`)}</text>`,
      );
    else parts.push(`<text x="${LABEL_W}" y="${mid + 4}" ${FONT}>no drill passed</text>`);
    if (t.targetSeconds !== null)
      parts.push(
        `<line class="rto-target" x1="${x(t.targetSeconds).toFixed(1)}" y1="${y}" x2="${x(t.targetSeconds).toFixed(1)}" y2="${y + 24}" stroke="#b3261e" stroke-dasharray="4 3" stroke-width="2"/>`,
      );
  });
  const desc = tiers
    .map((t) => `${t.tier}: ${t.drills} drill(s), p50 ${t.p50Seconds} s, p90 ${t.p90Seconds} s, max ${t.maxSeconds} s, target ${t.targetSeconds ?? 'none'}`)
    .join('; ');
  return frame(id, 'RTO distribution per tier', desc || 'no tier drills', 30 + Math.max(1, tiers.length) * 34, parts.join(''));
}
