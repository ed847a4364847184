/**
 * A point in time as an operator writes it on the command line (`restore-aof
 * --until`, `history --since`), in the forms the runbook's own commands print,
 * and never in the zone of the machine the CLI runs on: a time without its
 * zone (`2026-11-23T14:05`, which Date.parse reads as local time) is refused,
 * as an operator's laptop in another zone would move it by hours.
 */

import { UsageError } from '../lambdas/jobs/kernel/usage-error.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAYS = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';

/** The forms {@link parseInstant} reads, for a refusal and a help. */
export const INSTANT_FORMATS =
  'unix seconds (1795442700: what `date -u +%s` gives; @1795442700 and an AOF line #TS:1795442700 too), ' +
  'an ISO time with its zone (2026-11-23T14:05:00Z, 2026-11-23T15:05:00+01:00: `date -u -Iseconds`), ' +
  'or what `date -u` and `date -u -d @<seconds>` print (Mon Nov 23 14:05:00 UTC 2026)';

/**
 * `text` as ms since the epoch: unix seconds (also `@…` and the AOF's own
 * `#TS:…` line), an ISO time with its zone (`T` or a space), the default
 * output of `date -u` (UTC or GMT only: other zone abbreviations are
 * ambiguous), RFC 2822 (`date -R`). Anything else: `refuse(why)` is thrown
 * (`why` empty, or ` (…)` saying what was wrong).
 */
export function parseInstant(text: string, refuse: (why: string) => Error): number {
  const t = text.trim();
  const seconds = /^(?:@|#TS:)?(\d+)$/.exec(t);
  if (seconds) {
    if (seconds[1]!.length > 11) throw refuse(` (${seconds[1]!.length} digits: milliseconds? give seconds, ${seconds[1]!.slice(0, -3)})`);
    return Number(seconds[1]) * 1000;
  }
  const iso = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:?\d{2})$/.exec(t);
  if (iso) {
    const zone = iso[3]!.length === 5 ? `${iso[3]!.slice(0, 3)}:${iso[3]!.slice(3)}` : iso[3]!;
    const ms = Date.parse(`${iso[1]}T${iso[2]}${zone}`);
    if (!Number.isNaN(ms)) return ms;
    throw refuse(' (no such date or time)');
  }
  // date(1) in the C locale: `Mon Nov 23 14:05:00 UTC 2026`.
  const date = new RegExp(`^(?:${DAYS} )?(${MONTHS.join('|')}) +(\\d{1,2}) (\\d{2}):(\\d{2}):(\\d{2}) (UTC|GMT|[A-Z]{2,5}) (\\d{4})$`).exec(t);
  if (date) {
    if (date[6] !== 'UTC' && date[6] !== 'GMT') throw refuse(` (the zone ${date[6]} is ambiguous: run date with -u, or give an ISO time with its offset)`);
    const ms = Date.UTC(Number(date[7]), MONTHS.indexOf(date[1]!), Number(date[2]), Number(date[3]), Number(date[4]), Number(date[5]));
    if (new Date(ms).getUTCDate() === Number(date[2])) return ms;
    throw refuse(' (no such date)');
  }
  // RFC 2822 (`date -R`): `Mon, 23 Nov 2026 14:05:00 +0000`.
  if (new RegExp(`^(?:${DAYS}, )?\\d{1,2} (?:${MONTHS.join('|')}) \\d{4} \\d{2}:\\d{2}:\\d{2} [+-]\\d{4}$`).test(t)) {
    const ms = Date.parse(t);
    if (!Number.isNaN(ms)) return ms;
  }
  throw refuse('');
}

/** A date alone, as {@link parseTime} reads it, for a refusal and a help. */
export const DATE_FORMAT = 'a date (2026-11-20: midnight UTC)';

/**
 * {@link parseInstant}'s forms, or a date alone (`2026-11-20`) as midnight UTC, as `retention hold --until` reads one
 * and ECMAScript reads a date-only form: no zone to guess. A date is one only when it reads back as written (V8 rolls
 * 2026-02-30 over to March 2). One reader for `report --since/--until` and every `--now`.
 */
export function parseTime(text: string, refuse: (why: string) => Error): number {
  const t = text.trim();
  const date = /^\d{4}-\d{2}-\d{2}$/.test(t) ? new Date(`${t}T00:00:00Z`) : undefined;
  if (date && !Number.isNaN(date.getTime()) && date.toISOString().startsWith(t)) return date.getTime();
  return parseInstant(t, refuse);
}

/**
 * A `--now <iso>` option (the time a dry run or an estimate is made at), or the current time when absent: read as
 * {@link parseTime} reads, never in the zone of the machine the CLI runs on.
 * @throws UsageError naming the option and the value
 */
export function nowOption(text: string | undefined): Date {
  if (text === undefined) return new Date();
  return new Date(
    parseTime(
      text,
      (why) =>
        new UsageError(`--now must be an ISO time like 2026-11-01T00:00:00Z, got ${JSON.stringify(text)}${why}: write ${INSTANT_FORMATS}; or ${DATE_FORMAT}`),
    ),
  );
}
