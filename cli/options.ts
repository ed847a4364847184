/**
 * What command definitions need to parse options, without loading anything
 * heavy: option parsers and defaults (cli/commands/* import only this,
 * commander and types, so `--help` and `--version` load no AWS SDK or Redis client).
 */
import { InvalidArgumentError } from 'commander';

/** The config file the CLI reads unless `-c` names another (the CDK app's default too). */
export const DEFAULT_CONFIG_FILE = 'config/example.json';

/** Parses a whole-number option, or throws a usage error naming it. */
export function positiveInt(name: string, min = 0): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be a whole number >= ${min}, got ${value}`);
    return n;
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
