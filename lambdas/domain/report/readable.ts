/**
 * How the report writes times, durations and the few inline marks of its
 * texts for people: to the minute, in the deployment's time zone, with the
 * zone named ("25 Nov 2026, 03:10 CET"); durations in the largest units that
 * say them ("2 h 05 min", "30 days"); `code` in a reason as code, never as
 * literal backticks; axis ticks that are distinct and fall on round times.
 * The JSON and CSV twins keep ISO times (machines read those). Pure.
 */
/** Text for HTML and SVG content and attributes. */
export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/**
 * One `Intl.DateTimeFormat` per locale, options and zone, made once and kept. Each one holds ICU's own memory
 * (about 10 KB outside V8's heap, which the garbage collector neither sees nor hurries to free): one made per
 * call put 20,000 of them, about 200 MiB, behind the organization page's times (bench:org, bench/README.md).
 */
const formats = new Map<string, Intl.DateTimeFormat>();

/** The kept formatter for `locale` and `options` (the zone among them). */
export function dateFormat(locale: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale} ${JSON.stringify(options)}`;
  let format = formats.get(key);
  if (!format) formats.set(key, (format = new Intl.DateTimeFormat(locale, options)));
  return format;
}

/** `25 Nov 2026, 03:10 CET` in `timeZone` (minutes, no seconds, the zone's short name). */
export function readableTime(at: Date | undefined, timeZone: string): string {
  if (at === undefined) return '';
  const parts = dateFormat('en-GB', {
    timeZone,
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'short',
  }).formatToParts(at);
  const get = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('day')} ${get('month')} ${get('year')}, ${get('hour')}:${get('minute')} ${get('timeZoneName')}`;
}

/** `25 Nov` in `timeZone`. */
export function readableDay(at: Date, timeZone: string): string {
  return dateFormat('en-GB', { timeZone, day: 'numeric', month: 'short' }).format(at);
}

/** `03:10` in `timeZone`. */
export function readableClock(at: Date, timeZone: string): string {
  return dateFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(at);
}

/**
 * A duration in the largest units that say it, rounded to the minute: `45 s`
 * under a minute, `12 min`, `2 h 05 min`, `3 days 4 h`, `30 days` (never
 * `719 h 60 min`: the minutes are rounded before the hours are taken).
 */
export function readableDuration(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  const minutes = Math.round(ms / 60_000);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (hours < 48) return rest === 0 ? `${hours} h` : `${hours} h ${String(rest).padStart(2, '0')} min`;
  const days = Math.floor(hours / 24);
  const h = hours % 24;
  return h === 0 ? `${days} days` : `${days} days ${h} h`;
}

/** Seconds as people say them: `<1 s`, `42 s`, `3 min 20 s`, `1 h 02 min`. */
export function readableSeconds(seconds: number): string {
  if (seconds < 1) return '<1 s';
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) {
    const m = Math.floor(seconds / 60);
    const s = Math.round(seconds % 60);
    return s === 0 ? `${m} min` : `${m} min ${s} s`;
  }
  return readableDuration(seconds * 1000);
}

/**
 * Text for HTML: escaped first (nothing of the text becomes markup), its
 * `inline code` marked as code, and with `timeZone` its ISO times
 * (`2026-10-14T06:00:00Z`, as reasons carry them) written as people read them.
 */
export function withCode(text: string, timeZone?: string): string {
  const html = esc(text).replace(/`([^`]+)`/g, '<code>$1</code>');
  if (timeZone === undefined) return html;
  return html.replace(/\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?Z\b/g, (t) => {
    const at = new Date(t);
    return Number.isNaN(at.getTime()) ? t : readableTime(at, timeZone);
  });
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Tick steps, smallest first: the first that gives at most `max` ticks is used. */
const STEPS = [HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY, 14 * DAY, 28 * DAY];

/** The UTC offset of `timeZone` at `at`, ms (so ticks fall on round local times). */
function offsetMs(at: Date, timeZone: string): number {
  const local = new Date(at.toLocaleString('en-US', { timeZone }));
  const utc = new Date(at.toLocaleString('en-US', { timeZone: 'UTC' }));
  return local.getTime() - utc.getTime();
}

/**
 * Axis ticks over `[since, until]`: round local times (whole hours, midnights),
 * at most `max`, each label distinct: the day where a tick is a midnight or
 * the step is a day or more, else the clock (with the day on the first tick).
 */
export function timeTicks(since: Date, until: Date, timeZone: string, max = 7): { at: Date; label: string }[] {
  const span = Math.max(1, until.getTime() - since.getTime());
  const step = STEPS.find((s) => span / s <= max) ?? Math.ceil(span / max / DAY) * DAY;
  // Round local times (a local midnight is a midnight across a change of summer time too): step in local time, then
  // turn each back into an instant with the zone's offset there.
  const toUtc = (local: number) => {
    const guess = local - offsetMs(new Date(local), timeZone);
    return local - offsetMs(new Date(guess), timeZone);
  };
  const ticks: { at: Date; label: string }[] = [];
  const seen = new Set<string>();
  for (let local = Math.ceil((since.getTime() + offsetMs(since, timeZone)) / step) * step; ; local += step) {
    const t = toUtc(local);
    if (t > until.getTime()) break;
    if (t < since.getTime()) continue;
    const at = new Date(t);
    const midnight = readableClock(at, timeZone) === '00:00';
    const label =
      step >= DAY || midnight
        ? readableDay(at, timeZone)
        : ticks.length === 0
          ? `${readableDay(at, timeZone)} ${readableClock(at, timeZone)}`
          : readableClock(at, timeZone);
    if (seen.has(label)) continue;
    seen.add(label);
    ticks.push({ at, label });
  }
  return ticks;
}
