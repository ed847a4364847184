/**
 * Helpers shared by the benchmarks (not used by the product or the tests).
 */

/** The median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * A reader of integer flags from `util.parseArgs` values that fails naming
 * the flag, the allowed range and the value given.
 */
export function intFlags<K extends string>(flags: Partial<Record<K, unknown>>) {
  return (name: K, min: number, max: number): number => {
    const raw = flags[name];
    const v = Number(raw);
    if (!Number.isInteger(v) || v < min || v > max) throw new Error(`--${name} must be an integer in [${min}, ${max}], got ${JSON.stringify(raw)}`);
    return v;
  };
}
