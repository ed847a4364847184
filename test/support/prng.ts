/** The seeded PRNG of the project (also used by the demo's dataset): one definition, in the domain. */
export { mulberry32 } from '../../lambdas/domain/keys/prng.js';

/**
 * `n` characters, each `String.fromCharCode(first + Math.floor(random() * span))` in turn: the string
 * `Array.from({ length: n }, () => …).join('')` makes, written into one buffer instead of n one-character strings
 * (a 9 MB dataset: 0.89 -> 0.18 CPU-s). `first + span` must stay within Latin-1 (256).
 */
export function randomText(random: () => number, n: number, first: number, span: number): string {
  if (first < 0 || first + span > 256) throw new Error(`randomText: characters ${first}..${first + span - 1} are not all Latin-1`);
  const bytes = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) bytes[i] = first + Math.floor(random() * span);
  return bytes.toString('latin1');
}
