/** The Lambda entry points' environment variables, read once and failing fast with the variable's name. */
/** A required environment variable (`what` says what it is for); fails fast naming it. */
export function requiredEnv(name: string, what: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} (${what}) is required, got ${JSON.stringify(value ?? null)}`);
  return value;
}

/**
 * Reads an environment variable once; fails fast naming the variable when it
 * is required and missing, or when it is not a positive integer where one is expected.
 */
export function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error(`environment variable ${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  }
  return value;
}
