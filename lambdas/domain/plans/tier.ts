/**
 * Retention tier of a recovery point, decided when it is created: the first
 * successful one in a new calendar month is `monthly`, else in a new ISO week
 * `weekly`, else in a new day `daily`, else `hourly`. Calendars are read in
 * the plan's IANA time zone. Pure: time and zone are always passed in.
 */
import type { Tier } from './types.js';

const MS_PER_DAY = 86_400_000;

// Intl.DateTimeFormat construction is costly; one per zone is plenty.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    try {
      formatter = new Intl.DateTimeFormat('en-US-u-ca-gregory-nu-latn', {
        timeZone,
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
      });
    } catch (cause) {
      throw new Error(`timeZone must be an IANA time zone name such as "Europe/Berlin", got ${JSON.stringify(timeZone)}`, {
        cause,
      });
    }
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/**
 * Calendar date and ISO week of `at` as a wall clock in `timeZone` shows it:
 * Gregorian `year`, `month` 1–12 and `day` 1–31, plus the ISO 8601
 * week-numbering `isoYear` and `isoWeek` 1–53 (weeks start on Monday; week 1
 * holds the year's first Thursday, so `isoYear` differs from `year` around
 * 1 January).
 *
 * @param at instant to read
 * @param timeZone IANA time zone name, e.g. `Europe/Berlin` or `UTC`
 * @throws Error when `timeZone` is not a known IANA zone or `at` is an invalid Date
 * @see https://developer.mozilla.org/en-US/docs/Web/JavaScript/Reference/Global_Objects/Intl/DateTimeFormat/DateTimeFormat#timezone
 */
export function calendarParts(at: Date, timeZone: string): { year: number; month: number; day: number; isoYear: number; isoWeek: number } {
  const formatter = formatterFor(timeZone);
  if (Number.isNaN(at.getTime())) {
    throw new Error(`at must be a valid Date, got an invalid Date (time zone ${timeZone})`);
  }
  let year = NaN;
  let month = NaN;
  let day = NaN;
  for (const part of formatter.formatToParts(at)) {
    if (part.type === 'year') year = Number(part.value);
    else if (part.type === 'month') month = Number(part.value);
    else if (part.type === 'day') day = Number(part.value);
  }
  return { year, month, day, ...isoWeekOf(year, month, day) };
}

/**
 * Tier of the recovery point created at `current`, given the creation time of
 * the previous successful recovery point of the same target (`undefined` when
 * there is none). Month beats week: a new month inside the same ISO week is
 * `monthly`. Only calendar fields in `timeZone` are compared, so DST shifts
 * never create or hide a boundary.
 *
 * @param previous creation time of the previous successful point, if any
 * @param current creation time of the point being classified
 * @param timeZone IANA time zone of the plan
 * @throws Error when `timeZone` is unknown or a date is invalid
 */
export function classifyTier(previous: Date | undefined, current: Date, timeZone: string): Tier {
  const now = calendarParts(current, timeZone);
  if (previous === undefined) return 'monthly';
  const before = calendarParts(previous, timeZone);
  if (before.year !== now.year || before.month !== now.month) return 'monthly';
  if (before.isoYear !== now.isoYear || before.isoWeek !== now.isoWeek) return 'weekly';
  if (before.day !== now.day) return 'daily';
  return 'hourly';
}

/** ISO 8601 week of a civil date, computed on a UTC day count (no DST involved). */
function isoWeekOf(year: number, month: number, day: number): { isoYear: number; isoWeek: number } {
  const date = civilDate(year, month, day);
  const mondayBased = (date.getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
  // The Thursday of the same ISO week decides the ISO year.
  const thursday = new Date(date.getTime() + (3 - mondayBased) * MS_PER_DAY);
  const isoYear = thursday.getUTCFullYear();
  const dayOfYear = Math.round((thursday.getTime() - civilDate(isoYear, 1, 1).getTime()) / MS_PER_DAY);
  return { isoYear, isoWeek: Math.floor(dayOfYear / 7) + 1 };
}

function civilDate(year: number, month: number, day: number): Date {
  const date = new Date(0);
  // setUTCFullYear, unlike Date.UTC, does not map years 0–99 to 1900–1999.
  date.setUTCFullYear(year, month - 1, day);
  return date;
}
