/**
 * The report's charts as inline SVG: an RPO timeline per cache, RTO per
 * drill with the target line, copies verified per week. Each chart has a
 * title and a description for screen readers, and never speaks by colour
 * alone (failed bars are hatched and labelled, breaches are marked with a
 * pattern and listed in the table beside the chart). Pure; every text
 * escaped.
 */

import { esc, readableDay, readableSeconds, readableTime, timeTicks } from './readable.js';

/** Every chart's width (its viewBox; the page scales it). */
export const W = 720;
/** The charts' text attributes. */
export const FONT = 'font-family="system-ui, sans-serif" font-size="11"';
/** Hatching for what failed or was missed: visible without colour too. */
const DEFS = `<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#f4c7c3"/><line x1="0" y1="0" x2="0" y2="6" stroke="#b3261e" stroke-width="2"/></pattern></defs>`;

/** An SVG chart's frame: its size, title and description (for screen readers) and the hatching. */
export function frame(id: string, title: string, desc: string, height: number, body: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" aria-labelledby="${id}-t ${id}-d">` +
    `<title id="${id}-t">${esc(title)}</title><desc id="${id}-d">${esc(desc)}</desc>${DEFS}${body}</svg>`
  );
}

/** Recovery points as ticks on the period's line; the time over the RPO hatched. */
export function rpoTimeline(
  id: string,
  cache: string,
  since: Date,
  until: Date,
  points: readonly Date[],
  breaches: readonly { readonly from: Date; readonly to: Date }[],
  timeZone = 'UTC',
): string {
  const left = 10;
  const right = W - 10;
  const span = Math.max(1, until.getTime() - since.getTime());
  const x = (t: number) => left + ((t - since.getTime()) / span) * (right - left);
  const parts: string[] = [`<rect class="c-track" x="${left}" y="20" width="${right - left}" height="24" fill="#e8f0e8" stroke="#5f6b5f"/>`];
  for (const b of breaches) {
    const x0 = x(b.from.getTime());
    parts.push(`<rect x="${x0.toFixed(1)}" y="20" width="${Math.max(1, x(b.to.getTime()) - x0).toFixed(1)}" height="24" fill="url(#hatch)"/>`);
  }
  for (const p of points)
    parts.push(`<line class="c-point" x1="${x(p.getTime()).toFixed(1)}" y1="16" x2="${x(p.getTime()).toFixed(1)}" y2="48" stroke="#1b5e20" stroke-width="1"/>`);
  // Ticks on round local times, each label distinct (a day, or a clock time within a short period).
  const ticks = timeTicks(since, until, timeZone);
  ticks.forEach((t, i) => {
    const at = x(t.at.getTime());
    const anchor = at - left < 30 ? 'start' : right - at < 30 ? 'end' : 'middle';
    parts.push(
      `<line class="c-axis" x1="${at.toFixed(1)}" y1="44" x2="${at.toFixed(1)}" y2="50" stroke="#444"/>`,
      `<text x="${at.toFixed(1)}" y="62" text-anchor="${i === 0 && anchor === 'middle' ? 'middle' : anchor}" ${FONT}>${esc(t.label)}</text>`,
    );
  });
  parts.push(`<text x="${left}" y="11" ${FONT}>${esc(`${points.length} recovery point(s); hatched: over the RPO (${breaches.length})`)}</text>`);
  return frame(
    id,
    `RPO timeline of ${cache}`,
    `${points.length} recovery points between ${readableTime(since, timeZone)} and ${readableTime(until, timeZone)}; ${breaches.length} period(s) over the RPO, listed in the table below.`,
    70,
    parts.join(''),
  );
}

/** One bar per drill (RTO, seconds); failed drills hatched and labelled; the target as a dashed line. */
export function rtoBars(
  id: string,
  cache: string,
  drills: readonly { readonly at: Date; readonly rtoSeconds?: number; readonly passed: boolean }[],
  targetSeconds: number | undefined,
  timeZone = 'UTC',
): string {
  const height = 170;
  const top = 18;
  const bottom = 140;
  const max = Math.max(1, targetSeconds ?? 0, ...drills.map((d) => d.rtoSeconds ?? 0)) * 1.1;
  const y = (s: number) => bottom - (s / max) * (bottom - top);
  const slot = (W - 60) / Math.max(1, drills.length);
  const parts: string[] = [
    `<line class="c-axis" x1="50" y1="${bottom}" x2="${W - 10}" y2="${bottom}" stroke="#444"/>`,
    `<text x="46" y="${top + 4}" text-anchor="end" ${FONT}>${esc(readableSeconds(max))}</text>`,
    `<text x="46" y="${bottom}" text-anchor="end" ${FONT}>0</text>`,
  ];
  // Bars at most 60 px wide, so one drill is a bar, not a slab across the chart.
  const w = Math.min(60, Math.max(2, slot * 0.7));
  drills.forEach((d, i) => {
    const x0 = 50 + i * slot + (slot - w) / 2;
    const s = d.rtoSeconds ?? 0;
    // Seconds against a target of minutes would be no bar at all: at least 3 px, labelled with the real figure.
    const top0 = Math.min(y(s), bottom - 3);
    parts.push(
      `<rect class="${d.passed ? 'c-ok' : 'c-fail'}" x="${x0.toFixed(1)}" y="${top0.toFixed(1)}" width="${w.toFixed(1)}" height="${(bottom - top0).toFixed(1)}" fill="${d.passed ? '#2e7d32' : 'url(#hatch)'}" stroke="#222"/>`,
      `<text x="${(x0 + w / 2).toFixed(1)}" y="${bottom + 14}" text-anchor="middle" ${FONT}>${esc(readableDay(d.at, timeZone))}</text>`,
      `<text x="${(x0 + w / 2).toFixed(1)}" y="${(top0 - 3).toFixed(1)}" text-anchor="middle" ${FONT}>${d.passed ? esc(readableSeconds(s)) : 'FAILED'}</text>`,
    );
  });
  if (targetSeconds !== undefined) {
    parts.push(
      `<line class="c-target" x1="50" y1="${y(targetSeconds).toFixed(1)}" x2="${W - 10}" y2="${y(targetSeconds).toFixed(1)}" stroke="#b3261e" stroke-dasharray="6 4"/>`,
      `<text x="${W - 12}" y="${(y(targetSeconds) - 4).toFixed(1)}" text-anchor="end" ${FONT}>target ${esc(readableSeconds(targetSeconds))}</text>`,
    );
  }
  return frame(
    id,
    `RTO per drill of ${cache}`,
    `${drills.length} drill(s); ${drills.filter((d) => !d.passed).length} failed${targetSeconds !== undefined ? `; target ${targetSeconds} s` : ''}. Values in the table below.`,
    height,
    parts.join(''),
  );
}

/** Copies verified (solid) and failed (hatched) per ISO week. */
export function copiesPerWeek(
  id: string,
  cache: string,
  where: string,
  weeks: readonly { readonly week: string; readonly verified: number; readonly failed: number }[],
): string {
  const height = 160;
  const top = 18;
  const bottom = 130;
  const max = Math.max(1, ...weeks.map((w) => w.verified + w.failed)) * 1.1;
  const h = (n: number) => (n / max) * (bottom - top);
  const slot = (W - 60) / Math.max(1, weeks.length);
  const parts: string[] = [
    `<line class="c-axis" x1="50" y1="${bottom}" x2="${W - 10}" y2="${bottom}" stroke="#444"/>`,
    `<text x="46" y="${top + 4}" text-anchor="end" ${FONT}>${Math.round(max)}</text>`,
  ];
  const bw = Math.min(60, Math.max(2, slot * 0.6));
  weeks.forEach((w, i) => {
    const x0 = 50 + i * slot + (slot - bw) / 2;
    const hv = h(w.verified);
    const hf = h(w.failed);
    parts.push(
      `<rect class="c-copy" x="${x0.toFixed(1)}" y="${(bottom - hv).toFixed(1)}" width="${bw.toFixed(1)}" height="${hv.toFixed(1)}" fill="#1565c0"/>`,
      `<rect x="${x0.toFixed(1)}" y="${(bottom - hv - hf).toFixed(1)}" width="${bw.toFixed(1)}" height="${hf.toFixed(1)}" fill="url(#hatch)"/>`,
      `<text x="${(x0 + bw / 2).toFixed(1)}" y="${bottom + 14}" text-anchor="middle" ${FONT}>${esc(w.week.slice(5))}</text>`,
      `<text x="${(x0 + bw / 2).toFixed(1)}" y="${(bottom - hv - hf - 3).toFixed(1)}" text-anchor="middle" ${FONT}>${w.verified}${w.failed ? ` +${w.failed} failed` : ''}</text>`,
    );
  });
  return frame(
    id,
    `${where} copies verified per week of ${cache}`,
    `${weeks.reduce((n, w) => n + w.verified, 0)} verified, ${weeks.reduce((n, w) => n + w.failed, 0)} failed over ${weeks.length} week(s). Values in the table below.`,
    height,
    parts.join(''),
  );
}
