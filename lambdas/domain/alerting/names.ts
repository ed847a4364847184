/**
 * Alarm names: `redis-dr-<deployment>-<kind>[-<suffix>]`, built by
 * {@link alarmName} for every alarm and read back by {@link parseAlarmName}
 * only where an alarm arrives as an event (the formatter). Pure.
 */
import { ALARM_KIND_NAMES, type AlarmKindName } from './catalog.js';

/** The prefix every alarm of a deployment carries (alarm permissions match on it). */
export function alarmNamePrefix(deployment: string): string {
  return `redis-dr-${deployment}-`;
}

/** The name of an alarm of `kind`; `suffix` names the plan, or the function for resource kinds. */
export function alarmName(deployment: string, kind: AlarmKindName, suffix?: string): string {
  return `${alarmNamePrefix(deployment)}${kind}${suffix ? `-${suffix}` : ''}`;
}

/** What an alarm name says, given the deployment. */
export interface AlarmNameParts {
  readonly kind: AlarmKindName;
  /** What follows the kind: `<plan>[-<target>]`, or the resource. */
  readonly rest?: string;
}

/** Longest first, so a kind that is a prefix of a longer one is not read instead of it. */
const KINDS_LONGEST_FIRST = [...ALARM_KIND_NAMES].sort((a, b) => b.length - a.length);

/** Parses `redis-dr-<deployment>-<kind>[-<rest>]`; `undefined` for other names. */
export function parseAlarmName(name: string, deployment: string): AlarmNameParts | undefined {
  const prefix = alarmNamePrefix(deployment);
  if (!name.startsWith(prefix)) return undefined;
  const tail = name.slice(prefix.length);
  for (const kind of KINDS_LONGEST_FIRST) {
    if (tail === kind) return { kind };
    if (tail.startsWith(`${kind}-`) && tail.length > kind.length + 1) return { kind, rest: tail.slice(kind.length + 1) };
  }
  return undefined;
}
