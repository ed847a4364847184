/**
 * What command definitions need to parse options, without loading anything
 * heavy: option parsers and defaults (cli/commands/* import only this,
 * commander and types, so `--help` and `--version` load no AWS SDK or Redis client).
 */
import { type Command, InvalidArgumentError } from 'commander';
import { VAULT_PROFILE_ENV } from '../lambdas/jobs/kernel/operator.js';

/** The environment variable naming the vault account's AWS profile when `--vault-profile` is not given. */
export { VAULT_PROFILE_ENV };

/** The environment variable naming the deployment config when `-c` is not given. */
export const CONFIG_ENV = 'REDIS_DR_CONFIG';

/** The help of `-c, --config` on every command that reads the deployment config: no quiet fallback to an example. */
export const CONFIG_HELP = `the deployment config (default: $${CONFIG_ENV}; one of the two is required)`;

/** Parses a whole-number option, or throws a usage error naming it, the value and (when given) the fix. */
export function positiveInt(name: string, min = 0, fix?: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isInteger(n) || n < min)
      throw new InvalidArgumentError(`${name} must be a whole number >= ${min}, got ${value}${fix ? `: ${fix}` : ''}`);
    return n;
  };
}

/** Parses a percentage from 0 to 100 (decimals allowed), or throws a usage error naming the option, the value and the fix. */
export function percent(name: string, fix: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\s*\d+(\.\d+)?\s*$/.test(value) || n > 100) throw new InvalidArgumentError(`${name} must be a percentage from 0 to 100, got ${value}: ${fix}`);
    return n;
  };
}

/**
 * Parses a comma-separated list (entries trimmed), added to the values of
 * earlier uses of the option; an empty entry is a usage error naming the
 * option and the value.
 */
export function commaList(name: string): (value: string, previous: string[] | undefined) => string[] {
  return (value, previous) => {
    const items = value.split(',').map((k) => k.trim());
    if (items.some((k) => k === '')) {
      throw new InvalidArgumentError(
        `${name} takes names separated by commas, got ${JSON.stringify(value)}: leave out the empty entry (e.g. ${name} user:1,config:flags)`,
      );
    }
    return [...(previous ?? []), ...items];
  };
}

/**
 * Parses a whole-number option that must lie in [min, max], or throws a usage
 * error naming the option, the value given and what to give instead (`fix`).
 */
export function intInRange(name: string, min: number, max: number, fix: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\s*\d+\s*$/.test(value) || !Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}, got ${value}: ${fix}`);
    }
    return n;
  };
}

/** Milliseconds as a duration with its unit, in seconds when whole (`500ms`, `5s`, `60s`), for help texts and messages. */
export function formatDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/**
 * Parses a duration: a number with its unit, `ms`, `s`, `m` or `h` (`500ms`,
 * `5s`, `1m`); at least `minMs`. Returns milliseconds, or throws a usage
 * error naming the option, the value and the fix. A bare number is refused:
 * seconds or milliseconds would be a guess (`--interval 5` was read as 5 s
 * by one version and would be 5 ms by habit elsewhere).
 */
export function duration(name: string, minMs: number): (value: string) => number {
  const least = formatDuration(minMs);
  return (value) => {
    const bare = /^\s*(\d+(?:\.\d+)?)\s*$/.exec(value);
    if (bare) throw new InvalidArgumentError(`${name} ${value} has no unit: write ${bare[1]}s for seconds (or ${bare[1]}ms, ${bare[1]}m, ${bare[1]}h)`);
    const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$/.exec(value);
    const ms = m ? Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'] : NaN;
    if (!Number.isFinite(ms) || ms < minMs) {
      throw new InvalidArgumentError(`${name} must be a duration of at least ${least} like 500ms, 5s, 1m or 2h, got ${value}`);
    }
    return Math.round(ms);
  };
}

/** The help of `--vault-profile` (status, restore, doctor): the vault bucket is readable only with the vault account's credentials. */
export const VAULT_PROFILE_HELP = `AWS profile of the vault account (config vault.account) to read the vault bucket with (default: $${VAULT_PROFILE_ENV}, else the credentials in use, which the vault refuses unless they are the vault account's)`;

/** The retention counts of a self-managed backup run: flag, help, least value, default (backup's and policy --destination's). */
const KEEP_OPTIONS: readonly [flag: string, help: string, min: number, fallback: number][] = [
  ['--keep-hourly', 'keep the newest N backups of tier hourly or higher', 0, 24],
  ['--keep-daily', 'keep the newest N of tier daily or higher', 0, 7],
  ['--keep-weekly', 'keep the newest N of tier weekly or higher', 0, 4],
  ['--keep-monthly', 'keep the newest N monthly backups', 0, 12],
  ['--min-keep', 'never delete the newest N backups that were read back', 1, 3],
];

/** Adds `--keep-hourly` … `--min-keep` to `command`, each help prefixed by `prefix` (one set of defaults for every command stating them). */
export function keepOptions(command: Command, prefix = ''): Command {
  for (const [flag, help, min, fallback] of KEEP_OPTIONS) command.option(`${flag} <n>`, `${prefix}${help}`, positiveInt(flag, min), fallback);
  return command;
}

/** `--org-config` of `report --org` and `status --org`. */
export const ORG_CONFIG_HELP =
  'with --org: the org config (docs/org.md); each account of its OUs must report, one with no report in the tree is a MISSING line (its stack is missing)';
