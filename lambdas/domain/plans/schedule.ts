/**
 * EventBridge Scheduler cron expressions evaluated in an IANA time zone.
 *
 * PURE: no environment, no clock. Every function that needs "now" takes it.
 *
 * Runs are computed by expanding the fields day by day, not by iterating
 * cron-parser: that is ~100x faster (400 days of an hourly schedule in
 * milliseconds instead of seconds), follows EventBridge's daylight-saving rules, and
 * copes with 30-minute DST zones (Australia/Lord_Howe), where cron-parser
 * 5.10 gives up with "loop limit exceeded". cron-parser still validates every
 * expression ({@link toCronParserExpression}) and is the oracle in the tests.
 *
 * Daylight saving, as EventBridge Scheduler documents it: a local time that
 * does not exist (spring forward) is skipped; a local time that happens twice
 * (fall back) runs once, at its first instant. (cron-parser instead shifts the
 * missing time forward and fires a repeated hour twice.)
 * @see https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html#daylist-savings-time
 */
import { CronExpressionParser } from 'cron-parser';

/** AWS cron field names, in order. */
export const AWS_CRON_FIELDS = ['minutes', 'hours', 'day-of-month', 'month', 'day-of-week', 'year'] as const;

/** Result of {@link parseAwsCron}. */
export type AwsCronParseResult =
  | { readonly ok: true; readonly fields: readonly string[] }
  | {
      readonly ok: false;
      /** Standalone sentence: `cron expression <problem>: <fix>`. */
      readonly error: string;
      /** What is wrong, phrased to follow a field path (`… must have 6 fields, found 5`). */
      readonly problem: string;
      /** How to fix it. */
      readonly fix: string;
    };

/** What {@link analyzeSchedule} found over its horizon. */
export interface ScheduleAnalysis {
  /** Most runs inside any rolling 24 h window. Above the cap means "at least this many". */
  readonly maxPerRolling24h: number;
  /** Longest time between two consecutive runs, in minutes (Infinity with fewer than two runs). */
  readonly maxGapMinutes: number;
  /** Shortest time between two consecutive runs, in minutes (Infinity with fewer than two runs). */
  readonly minGapMinutes: number;
  /** When the longest gap starts (the run before it); null with fewer than two runs. */
  readonly maxGapStartsAt: Date | null;
  /** True when counting stopped early because the cap was exceeded; gaps then cover only what was seen. */
  readonly truncated: boolean;
}

/** Options for {@link analyzeSchedule}. */
export interface AnalyzeOptions {
  /**
   * How far ahead to look. Long enough for monthly patterns and both DST changes.
   * @default 400
   */
  readonly horizonDays?: number;
  /**
   * Stop as soon as some rolling 24 h holds more than this many runs.
   * @default 100
   */
  readonly cap?: number;
}

const DEFAULT_HORIZON_DAYS = 400;
const DEFAULT_CAP = 100;
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
const EXAMPLE = 'cron(0 0/2 * * ? *)';

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface FieldRule {
  readonly name: (typeof AWS_CRON_FIELDS)[number];
  readonly min: number;
  readonly max: number;
  /** Names accepted instead of numbers, mapped to `min + index`. */
  readonly names?: readonly string[];
}

const RULES: readonly FieldRule[] = [
  { name: 'minutes', min: 0, max: 59 },
  { name: 'hours', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTH_NAMES },
  { name: 'day-of-week', min: 1, max: 7, names: DAY_NAMES },
];

/** One item of a comma list, after names were turned into numbers. */
type Item =
  | { readonly kind: 'range'; readonly from: number; readonly to: number; readonly step: number }
  | { readonly kind: 'last' } // `L` in day-of-month
  | { readonly kind: 'lastWeekday'; readonly day: number } // `6L` in day-of-week (AWS numbering)
  | { readonly kind: 'nth'; readonly day: number; readonly nth: number }; // `6#3`

/** Parsed, validated cron: AWS fields plus the items of the first five. */
interface ParsedCron {
  readonly fields: readonly string[];
  /** Items per field; null for `?`. */
  readonly items: readonly (readonly Item[] | null)[];
}

class CronProblem extends Error {
  constructor(
    readonly problem: string,
    readonly fix: string,
  ) {
    super(`${problem}: ${fix}`);
  }
}

/**
 * Parse an EventBridge Scheduler cron expression: `cron(min hour dom month dow year)`.
 *
 * AWS rules enforced: the `cron(...)` wrapper, six fields, exactly one of
 * day-of-month / day-of-week is `?`, day-of-week is 1-7 with 1 = SUN (or SUN-SAT),
 * `L` and `#` where cron-parser supports them. Not supported here: a year other
 * than `*` and the `W` (nearest weekday) wildcard.
 * @see https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html#cron-based
 */
export function parseAwsCron(expr: string): AwsCronParseResult {
  try {
    const parsed = parseStrict(expr);
    return { ok: true, fields: parsed.fields };
  } catch (err) {
    if (err instanceof CronProblem) {
      return { ok: false, problem: err.problem, fix: err.fix, error: `cron expression ${err.message}` };
    }
    throw err;
  }
}

function parseStrict(expr: string): ParsedCron {
  if (typeof expr !== 'string') {
    throw new CronProblem('must be a string', `write it like ${EXAMPLE}`);
  }
  const trimmed = expr.trim();
  if (/^rate\(/i.test(trimmed)) {
    throw new CronProblem('must be a cron(...) expression, rate(...) is not supported', `write it as cron, e.g. ${EXAMPLE} for every 2 hours`);
  }
  const wrapped = /^cron\((.*)\)$/.exec(trimmed);
  if (!wrapped) {
    throw new CronProblem('must be wrapped in cron(...)', `write cron(minutes hours day-of-month month day-of-week year), e.g. ${EXAMPLE}`);
  }
  const fields = wrapped[1]!
    .trim()
    .split(/\s+/)
    .filter((f) => f.length > 0);
  if (fields.length !== 6) {
    const hint =
      fields.length === 5
        ? 'AWS cron has a year field: add " *" at the end, and use "?" in day-of-month or day-of-week'
        : `use six fields: minutes hours day-of-month month day-of-week year, e.g. ${EXAMPLE}`;
    throw new CronProblem(`must have 6 fields (minutes hours day-of-month month day-of-week year), found ${fields.length}`, hint);
  }
  const upper = fields.map((f) => f.toUpperCase());
  const [, , dom, , dow, year] = upper as [string, string, string, string, string, string];
  if (year !== '*') {
    throw new CronProblem(
      `has year "${fields[5]}", but only "*" is supported (schedules limited to particular years are not)`,
      'use "*" as the year and remove or disable the plan when it should stop',
    );
  }
  if (dom === '?' && dow === '?') {
    throw new CronProblem(
      'must not use "?" in both day-of-month and day-of-week',
      'use "?" in exactly one of them, e.g. "*" day-of-month with "?" day-of-week for every day',
    );
  }
  if (dom !== '?' && dow !== '?') {
    throw new CronProblem(
      'must use "?" in day-of-month or day-of-week (AWS does not allow both to be set)',
      `put "?" in the one you do not need: cron(${fields[0]} ${fields[1]} ${fields[2]} ${fields[3]} ? *) or cron(${fields[0]} ${fields[1]} ? ${fields[3]} ${fields[4]} *)`,
    );
  }
  const items = RULES.map((rule, i) => parseField(upper[i]!, rule));
  const parsed: ParsedCron = { fields, items };
  // Whatever our own checks let through, cron-parser must accept as well;
  // it also rejects dates that never happen (e.g. 31 in February only).
  try {
    CronExpressionParser.parse(toCronParserExpression(fields), { tz: 'UTC', currentDate: new Date(0) });
  } catch (err) {
    throw new CronProblem(
      `is not a schedule that can be checked (cron-parser: ${(err as Error).message})`,
      'simplify it (e.g. a single "#" item, no list) and make sure the chosen days exist in the chosen months',
    );
  }
  return parsed;
}

function parseField(raw: string, rule: FieldRule): readonly Item[] | null {
  const where = `${rule.name} "${raw}"`;
  if (raw === '?') {
    if (rule.name === 'day-of-month' || rule.name === 'day-of-week') return null;
    throw new CronProblem(`${rule.name} cannot be "?"`, 'use "?" only in day-of-month or day-of-week');
  }
  if (raw.includes('W')) {
    if (rule.name === 'day-of-month') {
      throw new CronProblem(
        `${where} uses "W" (nearest weekday), which is not supported here`,
        'use a fixed day such as 15, or "?" in day-of-month with a day-of-week list such as MON-FRI',
      );
    }
    if (!rule.names?.some((n) => raw.includes(n))) {
      throw new CronProblem(`${where} contains "W", which is not allowed there`, 'remove it');
    }
  }
  return raw.split(',').map((part) => parseItem(part, rule, where));
}

function parseItem(part: string, rule: FieldRule, where: string): Item {
  const num = (text: string): number => toNumber(text, rule, where);
  if (part === '') throw new CronProblem(`${where} has an empty list item`, 'remove the extra comma');
  if (rule.name === 'day-of-month' && part === 'L') return { kind: 'last' };
  if (rule.name === 'day-of-week') {
    if (part === 'L') {
      throw new CronProblem(
        `${where} uses "L" on its own, which is not supported here`,
        'use 7 (or SAT) for every Saturday, or 6L for the last Friday of the month',
      );
    }
    const last = /^([A-Z0-9]+)L$/.exec(part);
    if (last) return { kind: 'lastWeekday', day: num(last[1]!) };
    const nth = /^([A-Z0-9]+)#(\d+)$/.exec(part);
    if (nth) {
      const n = Number(nth[2]);
      if (n < 1 || n > 5) throw new CronProblem(`${where} asks for occurrence #${n} of a weekday`, 'use #1 to #5');
      return { kind: 'nth', day: num(nth[1]!), nth: n };
    }
  }
  if (part.includes('L') && !rule.names?.some((n) => part.includes(n))) {
    throw new CronProblem(
      `${where} uses "L" in a way that is not supported`,
      rule.name === 'day-of-month' ? 'use "L" alone for the last day of the month' : 'use "L" only in day-of-month or as 6L in day-of-week',
    );
  }
  if (part.includes('#')) {
    throw new CronProblem(`${where} uses "#", which is only allowed in day-of-week`, 'remove it');
  }
  const [base, stepText, extra] = part.split('/');
  if (extra !== undefined) throw new CronProblem(`${where} has more than one "/"`, 'use start/step, e.g. 0/15');
  let step = 1;
  if (stepText !== undefined) {
    if (rule.name === 'day-of-week') {
      throw new CronProblem(`${where} uses "/", which AWS does not allow in day-of-week`, 'list the days instead, e.g. MON,WED,FRI');
    }
    if (!/^\d+$/.test(stepText) || Number(stepText) < 1) {
      throw new CronProblem(`${where} has step "${stepText}"`, 'use a positive whole number after "/", e.g. 0/15');
    }
    step = Number(stepText);
  }
  if (base === '*') return { kind: 'range', from: rule.min, to: rule.max, step };
  const range = /^([A-Z0-9]+)-([A-Z0-9]+)$/.exec(base!);
  if (range) {
    const from = num(range[1]!);
    const to = num(range[2]!);
    if (from > to) {
      throw new CronProblem(
        `${where} has a range that runs backwards (${range[1]}-${range[2]})`,
        `split it, e.g. ${range[1]}-${rule.max},${rule.min}-${range[2]}`,
      );
    }
    return { kind: 'range', from, to, step };
  }
  const single = num(base!);
  // AWS reads `5/15` as "from 5, every 15" up to the field maximum.
  return { kind: 'range', from: single, to: stepText === undefined ? single : rule.max, step };
}

function toNumber(text: string, rule: FieldRule, where: string): number {
  const named = rule.names?.indexOf(text) ?? -1;
  if (named >= 0) return rule.min + named;
  if (!/^\d+$/.test(text)) {
    const allowed = rule.names ? `numbers ${rule.min}-${rule.max} or ${rule.names[0]}-${rule.names[rule.names.length - 1]}` : `numbers ${rule.min}-${rule.max}`;
    throw new CronProblem(`${where} contains "${text}", which is not a valid value`, `use ${allowed} with , - * /${rule.name === 'day-of-week' ? ' L #' : ''}`);
  }
  const n = Number(text);
  if (n < rule.min || n > rule.max) {
    const hint = rule.name === 'day-of-week' ? ' (AWS counts 1 = SUN … 7 = SAT)' : '';
    throw new CronProblem(`${where} has ${n}, outside ${rule.min}-${rule.max}${hint}`, `use values from ${rule.min} to ${rule.max}`);
  }
  return n;
}

/**
 * Convert validated AWS fields (from {@link parseAwsCron}) to cron-parser's
 * five-field form: drop the year, `?` becomes `*`, names become numbers and
 * day-of-week moves from AWS 1-7 (1 = SUN) to 0-6 (0 = SUN).
 */
export function toCronParserExpression(fields: readonly string[]): string {
  const [minutes, hours, dom, month, dow] = fields.map((f) => f.toUpperCase()) as [string, string, string, string, string];
  const monthOut = month.replace(/[A-Z]{3}/g, (name) => String(MONTH_NAMES.indexOf(name) + 1));
  const dowOut = dow === '?' ? '*' : dow.split(',').map(convertDayOfWeekItem).join(',');
  return [minutes, hours, dom === '?' ? '*' : dom, monthOut, dowOut].join(' ');
}

const DAY = '([A-Z]{3}|\\d+)';
const DOW_FORMS: readonly [RegExp, (m: RegExpExecArray) => string][] = [
  [new RegExp(`^${DAY}L$`), (m) => `${awsDayToZeroBased(m[1]!)}L`],
  [new RegExp(`^${DAY}#(\\d+)$`), (m) => `${awsDayToZeroBased(m[1]!)}#${m[2]}`],
  [new RegExp(`^${DAY}-${DAY}$`), (m) => `${awsDayToZeroBased(m[1]!)}-${awsDayToZeroBased(m[2]!)}`],
  [new RegExp(`^${DAY}$`), (m) => String(awsDayToZeroBased(m[1]!))],
];

function convertDayOfWeekItem(part: string): string {
  for (const [re, convert] of DOW_FORMS) {
    const m = re.exec(part);
    if (m) return convert(m);
  }
  return part; // `*`
}

function awsDayToZeroBased(token: string): number {
  const named = DAY_NAMES.indexOf(token);
  return named >= 0 ? named : Number(token) - 1;
}

/** Time zone names this process found valid: a formatter made to find out costs far more than the look-up. */
const knownTimeZones = new Set<string>();

/** True when `tz` is an IANA time zone name this runtime knows (e.g. `Europe/Berlin`, `UTC`). */
export function isValidTimeZone(tz: string): boolean {
  if (typeof tz !== 'string' || tz.trim() === '') return false;
  if (knownTimeZones.has(tz)) return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    knownTimeZones.add(tz);
    return true;
  } catch {
    return false;
  }
}

/**
 * The next `count` runs strictly after `from`, as EventBridge Scheduler would
 * start them (daylight-saving rules in the module comment). Looks up to 8
 * years ahead; fewer runs come back only when the schedule has no more.
 * @throws Error when the expression or the time zone is invalid.
 */
export function nextOccurrences(cron: string, timeZone: string, from: Date, count: number): Date[] {
  if (count <= 0) return [];
  const { runs } = expandRuns(requireValid(cron, timeZone), timeZone, from.getTime(), from.getTime() + 8 * 366 * DAY_MS, {
    oneAfter: false,
    limit: count,
  });
  return runs.map((t) => new Date(t));
}

/**
 * Frequency and gaps of a schedule over `horizonDays` after `from`: the most
 * runs in any rolling 24 h (window `(t - 24h, t]`), and the longest and
 * shortest gap between consecutive runs. The run after the horizon is included
 * so the last gap is a real one. Work is bounded: counting stops once some
 * window holds more than `cap` runs.
 * @throws Error when the expression or the time zone is invalid.
 */
export function analyzeSchedule(cron: string, timeZone: string, from: Date, options: AnalyzeOptions = {}): ScheduleAnalysis {
  const cap = options.cap ?? DEFAULT_CAP;
  const horizonEnd = from.getTime() + (options.horizonDays ?? DEFAULT_HORIZON_DAYS) * DAY_MS;
  const { runs, truncated } = expandRuns(requireValid(cron, timeZone), timeZone, from.getTime(), horizonEnd, {
    cap,
    oneAfter: true,
  });
  let maxGap = Number.POSITIVE_INFINITY;
  let minGap = Number.POSITIVE_INFINITY;
  let maxGapStartsAt: Date | null = null;
  if (runs.length >= 2) {
    maxGap = 0;
    for (let i = 1; i < runs.length; i++) {
      const gap = (runs[i]! - runs[i - 1]!) / MINUTE_MS;
      if (gap > maxGap) {
        maxGap = gap;
        maxGapStartsAt = new Date(runs[i - 1]!);
      }
      minGap = Math.min(minGap, gap);
    }
  }
  return {
    maxPerRolling24h: slidingMax(
      runs.filter((t) => t <= horizonEnd),
      cap,
    ),
    maxGapMinutes: maxGap,
    minGapMinutes: minGap,
    maxGapStartsAt,
    truncated,
  };
}

/**
 * Every run in `(from, to]`, at most `limit` of them.
 * @throws Error when the expression or the time zone is invalid.
 */
export function occurrencesBetween(cron: string, timeZone: string, from: Date, to: Date, limit = 10_000): Date[] {
  const { runs } = expandRuns(requireValid(cron, timeZone), timeZone, from.getTime(), to.getTime(), {
    oneAfter: false,
    limit,
  });
  return runs.map((t) => new Date(t));
}

/** Offset of `timeZone` from UTC at instant `at`, in minutes (Berlin in summer: 120). */
export function utcOffsetMinutes(timeZone: string, at: Date): number {
  return offsetMs(timeZone, at.getTime()) / MINUTE_MS;
}

function requireValid(cron: string, timeZone: string): ParsedCron {
  if (!isValidTimeZone(timeZone)) {
    throw new Error(`time zone "${timeZone}" is not a known IANA time zone: use e.g. "UTC" or "Europe/Berlin"`);
  }
  try {
    return parseStrict(cron);
  } catch (err) {
    if (err instanceof CronProblem) throw new Error(`cron expression ${err.message}`);
    throw err;
  }
}

/** Max count of `runs` (sorted) inside any window (t - 24h, t]; stops above `cap`. */
function slidingMax(runs: readonly number[], cap: number): number {
  let max = 0;
  let start = 0;
  for (let end = 0; end < runs.length; end++) {
    while (runs[end]! - runs[start]! >= DAY_MS) start++;
    max = Math.max(max, end - start + 1);
    if (max > cap) break;
  }
  return max;
}

interface ExpandOptions {
  /** Stop once a rolling 24 h holds more than this many runs. */
  readonly cap?: number;
  /** Stop after this many runs. */
  readonly limit?: number;
  /** Also return the first run after `end` (searching up to 8 years on). */
  readonly oneAfter: boolean;
}

/**
 * Runs in `(start, end]` by walking local calendar days; only days with a run
 * pay for time-zone conversion.
 */
function expandRuns(parsed: ParsedCron, timeZone: string, start: number, end: number, options: ExpandOptions): { runs: number[]; truncated: boolean } {
  const cap = options.cap ?? Number.POSITIVE_INFINITY;
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const [minuteItems, hourItems, domItems, monthItems, dowItems] = parsed.items;
  const minutes = expandValues(minuteItems!, 0, 59);
  const hours = expandValues(hourItems!, 0, 23);
  const months = new Set(expandValues(monthItems!, 1, 12));
  const times = hours.flatMap((h) => minutes.map((m) => h * 60 + m));

  // Local calendar date of `start`, one day earlier to be safe across offsets.
  const wallStart = new Date(start + offsetMs(timeZone, start) - DAY_MS);
  let day = Date.UTC(wallStart.getUTCFullYear(), wallStart.getUTCMonth(), wallStart.getUTCDate());
  // Past `end` we want at most one more run; 8 years covers "29 February".
  const lastDay = options.oneAfter ? end + 8 * 366 * DAY_MS : end + DAY_MS;
  const runs: number[] = [];
  let windowStart = 0;

  for (; day <= lastDay; day += DAY_MS) {
    const d = new Date(day);
    const y = d.getUTCFullYear();
    const mo = d.getUTCMonth() + 1;
    if (!months.has(mo) || !dayMatches(domItems!, dowItems!, y, mo, d.getUTCDate(), d.getUTCDay())) continue;
    // Instants surely inside the previous and the next local day (offsets are within ±14 h).
    const before = offsetMs(timeZone, day - DAY_MS);
    const after = offsetMs(timeZone, day + DAY_MS + 14 * 3_600_000);
    for (const t of times) {
      const wall = day + t * MINUTE_MS;
      const at = before === after ? wall - before : resolveWall(timeZone, wall, before, after);
      if (at === undefined || at <= start) continue; // skipped (spring forward) or not after `start`
      if (at > end) {
        if (options.oneAfter) runs.push(at);
        return { runs, truncated: false };
      }
      runs.push(at);
      while (at - runs[windowStart]! >= DAY_MS) windowStart++;
      if (runs.length - windowStart > cap) return { runs, truncated: true };
      if (runs.length >= limit) return { runs, truncated: false };
    }
  }
  return { runs, truncated: false };
}

/** On a day whose UTC offset changes: the first instant showing `wall`, or undefined if none does. */
function resolveWall(timeZone: string, wall: number, offsetA: number, offsetB: number): number | undefined {
  const candidates = [wall - offsetA, wall - offsetB].filter((t) => t + offsetMs(timeZone, t) === wall);
  return candidates.length === 0 ? undefined : Math.min(...candidates);
}

function expandValues(items: readonly Item[], min: number, max: number): number[] {
  const out = new Set<number>();
  for (const item of items) {
    if (item.kind !== 'range') continue;
    for (let v = item.from; v <= Math.min(item.to, max); v += item.step) if (v >= min) out.add(v);
  }
  return [...out].sort((a, b) => a - b);
}

/** Day matching for AWS cron; exactly one of the two items lists is null (`?`). */
function dayMatches(domItems: readonly Item[] | null, dowItems: readonly Item[] | null, year: number, month: number, dom: number, weekday: number): boolean {
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (domItems) {
    return domItems.some((item) => (item.kind === 'last' ? dom === daysInMonth : item.kind === 'range' && inRange(item, dom)));
  }
  const awsDay = weekday + 1; // AWS: 1 = SUN
  return dowItems!.some((item) => {
    switch (item.kind) {
      case 'range':
        return inRange(item, awsDay);
      case 'lastWeekday':
        return item.day === awsDay && dom + 7 > daysInMonth;
      case 'nth':
        return item.day === awsDay && Math.ceil(dom / 7) === item.nth;
      default:
        return false;
    }
  });
}

function inRange(item: { from: number; to: number; step: number }, v: number): boolean {
  return v >= item.from && v <= item.to && (v - item.from) % item.step === 0;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
/**
 * Offsets found, by time zone and instant: {@link expandRuns} asks at instants a whole number of days apart, the same
 * ones for every schedule analysed from the same day (each plan of each config validated, at every synth), and a
 * formatToParts costs far more than the look-up. Bounded: emptied when it grows past {@link OFFSETS_KEPT}.
 */
const offsets = new Map<string, Map<number, number>>();
const OFFSETS_KEPT = 100_000;
let offsetsHeld = 0;

/** Wall-clock time minus UTC at instant `t`, in ms. */
function offsetMs(timeZone: string, t: number): number {
  let known = offsets.get(timeZone);
  const found = known?.get(t);
  if (found !== undefined) return found;
  if (offsetsHeld >= OFFSETS_KEPT) {
    offsets.clear();
    offsetsHeld = 0;
    known = undefined;
  }
  if (!known) {
    known = new Map();
    offsets.set(timeZone, known);
  }
  const offset = formattedOffsetMs(timeZone, t);
  known.set(t, offset);
  offsetsHeld++;
  return offset;
}

/** {@link offsetMs} as the runtime's time-zone data gives it. */
function formattedOffsetMs(timeZone: string, t: number): number {
  let fmt = formatters.get(timeZone);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, fmt);
  }
  const p: Record<string, number> = {};
  for (const part of fmt.formatToParts(new Date(t))) {
    if (part.type !== 'literal') p[part.type] = Number(part.value);
  }
  const wall = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
  return wall - Math.floor(t / 1000) * 1000;
}
