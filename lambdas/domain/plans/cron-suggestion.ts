/**
 * The EventBridge Scheduler form of a schedule someone wrote another way: a
 * Unix cron (`0 *\/2 * * *`, five fields, no wrapper), five fields inside
 * `cron(...)`, or a `rate(...)` that a cron can say. The config checks print
 * it as their "did you mean", so what they suggest is the same schedule the
 * person meant, in the form the checks accept (a test feeds every suggestion
 * back). PURE.
 */
import { parseAwsCron } from './schedule.js';

/** Unix day-of-week (0-7, 0 and 7 = Sunday) to AWS (1-7, 1 = Sunday), names kept. */
function awsDayOfWeek(field: string): string | undefined {
  const day = (token: string): string | undefined => {
    if (/^[A-Za-z]{3}$/.test(token)) return token.toUpperCase();
    if (!/^\d$/.test(token)) return undefined;
    const n = Number(token);
    return n > 7 ? undefined : String((n % 7) + 1);
  };
  const items = field.split(',').map((item) => {
    const [range, step] = item.split('/');
    if (range === undefined || (step !== undefined && !/^\d+$/.test(step))) return undefined;
    const ends = range === '*' ? ['1', '7'] : range.split('-').map(day);
    if (ends.some((e) => e === undefined) || ends.length > 2) return undefined;
    // A Unix range ending on 7 (Sunday) or wrapping past Saturday has no single AWS range: leave it to the person.
    if (ends.length === 2 && /^\d$/.test(ends[0]!) && /^\d$/.test(ends[1]!) && Number(ends[0]) > Number(ends[1])) return undefined;
    const text = range === '*' ? '*' : ends.join('-');
    return step === undefined ? text : `${text === '*' ? '1' : text}/${step}`;
  });
  return items.every((i) => i !== undefined) ? items.join(',') : undefined;
}

/** `*\/n` means from the field's first value: AWS writes it `first/n`. */
const stepFrom = (field: string, first: number): string => field.replace(/^\*\/(\d+)$/, `${first}/$1`);

/**
 * The AWS cron for `expression` when it is a Unix cron, a five-field `cron(...)`
 * or a `rate(...)` a cron can say exactly; undefined when there is no faithful
 * one (a Unix cron naming both days of the month and of the week runs on
 * either, which AWS cannot say) or it is already an AWS cron.
 */
export function awsCronFor(expression: string): string | undefined {
  const text = expression.trim();
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(text);
  if (rate) {
    const n = Number(rate[1]);
    const unit = rate[2]!.replace(/s$/, '');
    const candidate =
      unit === 'minute' && n > 0 && 60 % n === 0
        ? `cron(${n === 1 ? '*' : `0/${n}`} * * * ? *)`
        : unit === 'hour' && n > 0 && 24 % n === 0
          ? `cron(0 ${n === 1 ? '*' : `0/${n}`} * * ? *)`
          : unit === 'day' && n === 1
            ? 'cron(0 0 * * ? *)'
            : undefined;
    return candidate && parseAwsCron(candidate).ok ? candidate : undefined;
  }
  const inner = /^cron\((.*)\)$/.exec(text)?.[1] ?? text;
  const fields = inner.trim().split(/\s+/);
  if (fields.length !== 5) return undefined;
  const [minutes, hours, dom, month, dow] = fields as [string, string, string, string, string];
  let awsDom: string;
  let awsDow: string | undefined;
  if (dow === '*' || dow === '?') {
    awsDom = dom === '?' ? '*' : stepFrom(dom, 1);
    awsDow = '?';
  } else if (dom === '*' || dom === '?') {
    awsDom = '?';
    awsDow = awsDayOfWeek(dow);
  } else return undefined;
  if (awsDow === undefined) return undefined;
  const candidate = `cron(${stepFrom(minutes, 0)} ${stepFrom(hours, 0)} ${awsDom} ${stepFrom(month, 1)} ${awsDow} *)`;
  return parseAwsCron(candidate).ok ? candidate : undefined;
}
