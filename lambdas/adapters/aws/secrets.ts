import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { describeError } from './errors.js';

/**
 * Redis credentials from Secrets Manager: an AUTH token, or an RBAC user.
 * The secret value never leaves this module in an error message or a log line.
 */

/** What AUTH needs. */
export interface RedisCredentials {
  /** RBAC user name; AUTH with the token alone when absent. */
  readonly username?: string;
  readonly password: string;
}

/** The secret is readable but does not hold credentials in a form we accept. */
export class SecretFormatError extends Error {
  override readonly name = 'SecretFormatError';
}

/** The secret could not be read (missing, access denied, KMS, throttled…). */
export class SecretReadError extends Error {
  override readonly name = 'SecretReadError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

const FORMS = 'expected {"password": "…"}, {"username": "…", "password": "…"} or the token as a plain string';

/**
 * Parses a secret string: a JSON object with `password` (and optionally
 * `username`), or any other text taken whole as the AUTH token. Errors say
 * what was wrong, never the value.
 */
export function parseRedisSecret(arn: string, secret: string): RedisCredentials {
  let parsed: unknown;
  try {
    parsed = JSON.parse(secret);
  } catch {
    parsed = undefined;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    if (secret.length === 0) throw new SecretFormatError(`secret ${arn} is empty; ${FORMS}`);
    return { password: secret };
  }
  const { username, password } = parsed as Record<string, unknown>;
  if (typeof password !== 'string' || password.length === 0) {
    throw new SecretFormatError(`secret ${arn} is a JSON object without a non-empty string "password"; ${FORMS}`);
  }
  if (username !== undefined && (typeof username !== 'string' || username.length === 0)) {
    throw new SecretFormatError(`secret ${arn} has a "username" that is not a non-empty string; ${FORMS}`);
  }
  return username === undefined ? { password } : { username, password };
}

/** Reads and parses the secret (current version). */
export async function getRedisCredentials(client: SecretsManagerClient, arn: string): Promise<RedisCredentials> {
  let secret: string | undefined;
  try {
    const out = await client.send(new GetSecretValueCommand({ SecretId: arn }));
    secret = out.SecretString ?? (out.SecretBinary ? Buffer.from(out.SecretBinary).toString('utf8') : undefined);
  } catch (err) {
    throw new SecretReadError(`could not read secret ${arn}: ${describeError(err)}`, { cause: err });
  }
  if (secret === undefined) throw new SecretFormatError(`secret ${arn} has no value; ${FORMS}`);
  return parseRedisSecret(arn, secret);
}
