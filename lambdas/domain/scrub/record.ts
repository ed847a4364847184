/**
 * The record a scrub run leaves beside the backups it re-read
 * (`redis-dr-scrub-<time>.json`, one per run, never replaced): which copies
 * were re-read, what each was found to hold, and what did not match. The
 * runs' records are the ledger: when each copy was last re-read and found
 * good is read back from them (a copy never re-read counts from its own
 * read-back on arrival). Pure.
 */
import { z } from 'zod';

/** Names of scrub records start so (then the time); never an `.rdb` name, so never listed as a backup. */
export const SCRUB_RECORD_PREFIX = 'redis-dr-scrub-';

/** What one copy was found to hold when it was re-read. */
export const scrubResultSchema = z.object({
  file: z.string().min(1),
  ok: z.boolean(),
  /** What did not match, one line each (empty when `ok`). */
  problems: z.array(z.string()),
  bytes: z.number().int().nonnegative().optional(),
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
  keys: z.number().int().nonnegative().optional(),
});
export type ScrubResult = z.infer<typeof scrubResultSchema>;

/** One scrub run's record. */
export const scrubRecordSchema = z.object({
  kind: z.literal('redis-dr-scrub'),
  destination: z.string(),
  startedAt: z.iso.datetime(),
  finishedAt: z.iso.datetime(),
  /** Every retained copy is to be re-read within this many days. */
  days: z.number().int().positive(),
  /** Copies the destination held when the run chose its sample. */
  copies: z.number().int().nonnegative(),
  results: z.array(scrubResultSchema),
  /**
   * A run that stopped before its sample was read (the scheduled scrub at its Lambda's time budget): why, and the
   * copies of the sample it did not judge. Such a run is PARTIAL, never a pass: the ledger counts only what was read.
   */
  partial: z.object({ reason: z.string().min(1), notReRead: z.array(z.string()) }).optional(),
});
export type ScrubRecord = z.infer<typeof scrubRecordSchema>;

/** `redis-dr-scrub-20261125T031500123Z.json` (to the millisecond: two runs in a second get two names). */
export function scrubRecordName(startedAt: Date): string {
  return `${SCRUB_RECORD_PREFIX}${startedAt.toISOString().replace(/[-:.]/g, '')}.json`;
}

/**
 * The time in a record's name (its run's start), or undefined when `name` is not one {@link scrubRecordName} writes
 * (a foreign file, or a time that does not exist: it must read back as written).
 */
export function scrubRecordTime(name: string): Date | undefined {
  const m = /^redis-dr-scrub-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z\.json$/.exec(name);
  if (!m) return undefined;
  const at = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${m[7]}Z`);
  return Number.isNaN(at.getTime()) || scrubRecordName(at) !== name ? undefined : at;
}

/**
 * The newest record among `names` (keys under the records' prefix) by the time in its name, never a tag nor a body:
 * what the scrub's dead man's switch measures. A name dated after `ceiling` (domain/points/clock-skew.ts) is from the
 * future: as the newest it would read fresh for ever, so it is not taken (named in `future`) and the newest before it
 * counts. Names that are no record's (`scrubRecordTime`) are left out.
 */
export function newestScrubRecord(names: readonly string[], ceiling: Date): { newest?: { name: string; at: Date }; future: string[] } {
  let newest: { name: string; at: Date } | undefined;
  const future: string[] = [];
  for (const name of names) {
    const at = scrubRecordTime(name);
    if (!at) continue;
    if (at > ceiling) future.push(name);
    else if (!newest || at > newest.at) newest = { name, at };
  }
  return { ...(newest ? { newest } : {}), future };
}

/** The record in `text`, or undefined when it is not one (a foreign or damaged file: left out, never guessed). */
export function parseScrubRecord(text: string): ScrubRecord | undefined {
  try {
    const parsed = scrubRecordSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** What the ledger says of one copy: when it was last re-read and found good, and the newest re-read's verdict. */
export interface ScrubHistory {
  readonly lastGoodAt?: Date;
  /** The newest re-read of it, good or not. */
  readonly lastAt: Date;
  readonly lastOk: boolean;
  readonly lastProblems: readonly string[];
}

/** Per copy, what the runs' records say (records in any order). */
export function scrubHistory(records: readonly ScrubRecord[]): Map<string, ScrubHistory> {
  const out = new Map<string, ScrubHistory>();
  const ordered = [...records].sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt));
  for (const r of ordered) {
    const at = new Date(r.startedAt);
    for (const res of r.results) {
      const before = out.get(res.file);
      out.set(res.file, {
        ...(res.ok ? { lastGoodAt: at } : before?.lastGoodAt ? { lastGoodAt: before.lastGoodAt } : {}),
        lastAt: at,
        lastOk: res.ok,
        lastProblems: res.problems,
      });
    }
  }
  return out;
}
