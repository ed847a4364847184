/** Text output of the CLI's reports: aligned columns, and colours only on a terminal. */
import { styleText } from 'node:util';

/** Colours `text` (or leaves it as it is). */
export type Style = (format: Parameters<typeof styleText>[0], text: string) => string;

/** Colours only on a terminal, and never with NO_COLOR set. */
export function terminalStyle(stream: NodeJS.WriteStream = process.stdout): Style {
  return stream.isTTY && !process.env.NO_COLOR ? (f, t) => styleText(f, t) : (_f, t) => t;
}

/** No colours. */
export const plain: Style = (_f, t) => t;

/**
 * Rows as aligned columns; `paint(column, cell)` may colour a cell after it
 * was padded (escape codes would upset the widths otherwise).
 */
export function table(rows: readonly string[][], paint: (column: number, cell: string) => string = (_c, cell) => cell): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r, row) =>
    r
      .map((c, i) => {
        const padded = i === r.length - 1 ? c : c.padEnd(widths[i]!);
        return row === 0 ? padded : paint(i, padded);
      })
      .join('  ')
      .trimEnd(),
  );
}

// Ages read the same in a job's words (doctor's checks) and in a table: one formatter, in the domain.
export { age } from '../lambdas/domain/plans/age.js';
