/**
 * The grammar of every problem a reader is shown about a setting or an
 * input: `<path> <what is wrong>, got <value>[: <fix>]`, e.g.
 * `plans[0].retention.daily must be >= 1, got 0: …`. The config
 * (lib/config/messages.ts) and the Lambdas' inputs (handlers/entry.ts) use
 * the same words, so a setting reads the same wherever it is checked. Pure.
 */
import type { z } from 'zod';

/** Short, quoted rendering of a received value for messages. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 80 ? `${json.slice(0, 77)}...` : json;
}

/** `plans[0].retention.daily` from `['plans', 0, 'retention', 'daily']`; `root` for the empty path. */
export function formatPath(path: readonly PropertyKey[], root = 'config'): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? root : out;
}

/** A schema-level error: `<what>, got <value>[: <fix>]`. */
export function says(what: string, fix?: string | ((input: unknown) => string | undefined)) {
  return (iss: { input?: unknown }): string => {
    if (iss.input === undefined) return 'is required';
    const f = typeof fix === 'function' ? fix(iss.input) : fix;
    return `${what}, got ${show(iss.input)}${f ? `: ${f}` : ''}`;
  };
}

/** Message for issues the schema does not phrase itself. */
export function defaultMessage(iss: z.core.$ZodRawIssue): string | undefined {
  const input = iss.input;
  switch (iss.code) {
    case 'invalid_type': {
      if (input === undefined) return 'is required';
      const expected =
        iss.expected === 'int' ? 'a whole number' : iss.expected === 'array' ? 'a list' : `${/^[aeiou]/.test(iss.expected) ? 'an' : 'a'} ${iss.expected}`;
      return `must be ${expected}, got ${show(input)}`;
    }
    case 'too_small':
    case 'too_big': {
      const small = iss.code === 'too_small';
      const bound = Number(small ? iss.minimum : iss.maximum);
      if (iss.origin === 'array' || iss.origin === 'set') {
        return `must have ${small ? 'at least' : 'at most'} ${bound} item${bound === 1 ? '' : 's'}, got ${Array.isArray(input) ? input.length : show(input)}`;
      }
      if (iss.origin === 'string') return `must be ${small ? 'at least' : 'at most'} ${bound} characters long, got ${show(input)}`;
      const op = small ? (iss.inclusive === false ? '>' : '>=') : iss.inclusive === false ? '<' : '<=';
      return `must be ${op} ${bound}, got ${show(input)}`;
    }
    case 'invalid_value':
      return `must be one of ${iss.values.map((v) => show(v)).join(', ')}, got ${show(input)}`;
    case 'invalid_format':
      return `must be a valid ${iss.format}${iss.pattern ? ` (${iss.pattern})` : ''}, got ${show(input)}`;
    case 'unrecognized_keys': {
      // Turned into one problem per key by formatIssue; carry the known keys.
      const shape = (iss.inst as { _zod?: { def?: { shape?: Record<string, unknown> } } } | undefined)?._zod?.def?.shape;
      return JSON.stringify(Object.keys(shape ?? {}));
    }
    default:
      return undefined;
  }
}

/**
 * Each issue of a failed parse as one line `<path> <message>` (an unknown
 * field names the fields that are known there). Parse with
 * `{ error: defaultMessage }` so that every message carries the value received.
 */
export function inputProblems(error: z.ZodError): string[] {
  return error.issues.flatMap((issue) => {
    if (issue.code !== 'unrecognized_keys') return [`${formatPath(issue.path, 'input')} ${issue.message}`];
    let known: string[] = [];
    try {
      known = JSON.parse(issue.message) as string[];
    } catch {
      // keep the list empty
    }
    return issue.keys.map(
      (key) => `${formatPath([...issue.path, key], 'input')} is not a known field${known.length > 0 ? `: known fields here are ${known.join(', ')}` : ''}`,
    );
  });
}

/**
 * An input a Lambda (or a job) was sent that its schema refuses: one line per
 * problem, `<path> <what is wrong>, got <value>[: <fix>]`. Nothing was done.
 */
export class InvalidInput extends Error {
  override readonly name = 'InvalidInput';

  constructor(
    /** Every problem, as {@link inputProblems} words it. */
    readonly problems: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(`invalid input: ${problems.join('; ')}`, options);
  }
}
