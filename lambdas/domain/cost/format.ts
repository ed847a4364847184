/**
 * The cost estimate as people read it: a table of items with quantities and
 * monthly USD, the fixed floor and variable totals, then every assumption.
 * Shared by `redis-dr cost` and the synth summary. Pure.
 */
import type { CostEstimate, EstimatePrices } from './estimate.js';

/** `eu-west-1 and eu-central-1 prices as of 2026-11` (one region once; a stand-in marked). */
export function pricesLabel(p: EstimatePrices): string {
  const names = [...new Set(p.regions.map((r) => (r.standIn ? `${r.region} (us-east-1's as a stand-in)` : r.region)))];
  return `${names.join(' and ')} prices as of ${p.asOf}`;
}

const usd = (n: number): string => `$${n.toFixed(2)}`;
const qty = (n: number): string => (Number.isInteger(n) ? n.toLocaleString('en-US') : n.toLocaleString('en-US', { maximumFractionDigits: 2 }));

/** The whole estimate: one line per item, the totals, the assumptions. */
export function formatCostEstimate(e: CostEstimate): string[] {
  const rows = e.lines.map((l) => [l.part, l.item, `${qty(l.quantity)} ${l.unit}`, usd(l.usd)] as const);
  const width = (i: number) => Math.max(...rows.map((r) => r[i]!.length), ['part', 'item', 'quantity', 'USD/month'][i]!.length);
  const w = [0, 1, 2, 3].map(width);
  const row = (r: readonly string[]) => `  ${r[0]!.padEnd(w[0]!)}  ${r[1]!.padEnd(w[1]!)}  ${r[2]!.padStart(w[2]!)}  ${r[3]!.padStart(w[3]!)}`;
  return [
    `Monthly cost estimate (${e.prices.currency}, ${pricesLabel(e.prices)}): ${usd(e.totalUsd)} = fixed floor ${usd(e.fixedUsd)} + variable ${usd(e.variableUsd)}`,
    row(['part', 'item', 'quantity', 'USD/month']),
    ...rows.map(row),
    'Assumptions:',
    ...e.assumptions.map((a) => `  - ${a}`),
  ];
}

/** One line for the synth summary. */
export function costSummaryLine(e: CostEstimate, command: string): string {
  return `  monthly cost estimate: about ${usd(e.totalUsd)} (fixed floor ${usd(e.fixedUsd)}, variable ${usd(e.variableUsd)} at ${e.assumptions.length > 1 ? 'the default assumptions' : 'its assumptions'}; ${pricesLabel(e.prices)}): ${command} for the items and assumptions`;
}
