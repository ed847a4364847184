/**
 * Validating and loading the deployment config: validated once, by the
 * `RedisDr` construct (lib/redis-dr.ts) that `bin/app.ts` hands the file to,
 * and by CLI commands that read it (loadConfig). Every problem is reported
 * at once, each as `<path> <what is wrong>, got <value>[: <fix>]`, e.g.
 * `plans[0].retention.daily must be >= 1, got 0: …`.
 */
import { readFileSync } from 'node:fs';
import { crossFieldProblems } from './checks.js';
import { placeholderProblems } from './placeholders.js';
import { defaultMessage, formatIssue, formatPath, jsonErrorWithLine } from './messages.js';
import { baseSchema, type RedisDrConfig } from './schema.js';

/** Options for {@link validateConfig}. */
export interface ValidateOptions {
  /**
   * Start of the window schedules are simulated over (400 days).
   * @default new Date()
   */
  readonly now?: Date;
}

/** Result of {@link validateConfig}. */
export type ValidationResult = { ok: true; config: RedisDrConfig } | { ok: false; problems: string[] };

/**
 * Validate a parsed JSON config. Collects every problem at once, schema and
 * cross-field checks together, each as `<path> <what is wrong>, got <value>[: <fix>]`.
 */
export function validateConfig(raw: unknown, options: ValidateOptions = {}): ValidationResult {
  const parsed = baseSchema.safeParse(raw, { error: defaultMessage });
  const problems = parsed.success ? [] : parsed.error.issues.flatMap(formatIssue);
  for (const p of crossFieldProblems(raw, options.now ?? new Date())) problems.push(`${formatPath(p.path)} ${p.message}`);
  // Placeholders only once the rest is valid: a broken config's own problems come first.
  if (parsed.success && problems.length === 0) problems.push(...placeholderProblems(parsed.data));
  if (problems.length > 0 || !parsed.success) return { ok: false, problems: [...new Set(problems)] };
  return { ok: true, config: parsed.data };
}

/** A config that cannot be used. `message` lists every problem, one per line. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  /** Every problem found, `<path> <what is wrong>, got <value>[: <fix>]`. */
  readonly problems: readonly string[];
  /** The config file, when the config came from one. */
  readonly file?: string;

  constructor(problems: readonly string[], file?: string, options?: { cause?: unknown }) {
    super(problems.map((p) => (file ? `${file}: ${p}` : p)).join('\n'), options);
    this.problems = problems;
    this.file = file;
  }
}

/**
 * Read and parse a JSON config file, not yet validated (the `RedisDr`
 * construct or {@link validateConfig} does that).
 * @throws ConfigError naming the file: unreadable or not JSON.
 */
export function readConfigFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const what = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? (err as Error).message})`;
    throw new ConfigError([`${what}: check the path given with -c config=<file>, e.g. config/example.json`], file, { cause: err });
  }
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new ConfigError([`is not valid JSON: ${jsonErrorWithLine((err as Error).message, text)}`], file, { cause: err });
  }
}

/**
 * Read, parse and validate a JSON config file.
 * @throws ConfigError naming the file: unreadable, not JSON, or invalid (every problem).
 */
export function loadConfig(file: string): RedisDrConfig {
  const result = validateConfig(readConfigFile(file));
  if (!result.ok) throw new ConfigError(result.problems, file);
  return result.config;
}
