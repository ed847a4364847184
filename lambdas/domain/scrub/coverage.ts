/**
 * How far the scrub has got: of the copies a destination holds, how many
 * were read and found good within the bound (a re-read, or the read-back on
 * arrival of a copy younger than it), the copy read longest ago, and the
 * copies whose newest re-read found them bad. What the report shows and
 * judges (report/audits.ts). Pure.
 */
import type { ScrubCoverage } from '../report/model.js';
import type { ScrubHistory } from './record.js';
import type { ScrubCandidate } from './sample.js';

const DAY = 86_400_000;

/** Each copy's last good read: its newest good re-read, else its arrival (`arrivedAt`). */
export function scrubCandidates(
  copies: readonly { readonly file: string; readonly arrivedAt: Date }[],
  history: ReadonlyMap<string, ScrubHistory>,
): ScrubCandidate[] {
  return copies.map((c) => {
    const good = history.get(c.file)?.lastGoodAt;
    return { file: c.file, lastReadAt: good && good > c.arrivedAt ? good : c.arrivedAt };
  });
}

/** The coverage of `copies` at `now` against the bound of `days`. */
export function scrubCoverage(
  copies: readonly { readonly file: string; readonly arrivedAt: Date }[],
  history: ReadonlyMap<string, ScrubHistory>,
  o: { readonly days: number; readonly now: Date; readonly lastRunAt?: Date },
): ScrubCoverage {
  const candidates = scrubCandidates(copies, history).sort((a, b) => a.lastReadAt.getTime() - b.lastReadAt.getTime());
  const bound = o.now.getTime() - o.days * DAY;
  const oldest = candidates[0];
  // A copy whose newest re-read found it bad is not good, however recently it once was.
  const bad = new Set(copies.filter((c) => history.get(c.file)?.lastOk === false).map((c) => c.file));
  const failing = copies
    .map((c) => ({ file: c.file, h: history.get(c.file) }))
    .filter(({ h }) => h !== undefined && !h.lastOk)
    .map(({ file, h }) => ({ file, at: h!.lastAt, problems: h!.lastProblems }));
  return {
    days: o.days,
    copies: copies.length,
    readWithinDays: candidates.filter((c) => !bad.has(c.file) && c.lastReadAt.getTime() >= bound).length,
    reRead: copies.filter((c) => !bad.has(c.file) && history.get(c.file)?.lastGoodAt !== undefined).length,
    ...(oldest ? { oldestRead: { file: oldest.file, at: oldest.lastReadAt } } : {}),
    failing,
    ...(o.lastRunAt ? { lastRunAt: o.lastRunAt } : {}),
  };
}
