/**
 * Redis credentials for `migrate` and `compare` given outside the URL, so an
 * AUTH token never has to sit in shell history or `ps`: a Secrets Manager
 * secret (`--from-secret <arn>`, the same forms `restore` reads), or the
 * environment (`REDIS_DR_FROM_PASSWORD`, optionally `REDIS_DR_FROM_USERNAME`).
 * A password in the URL still works when percent-encoded.
 */
import type { UrlCredentials } from '../lambdas/jobs/keys/clients.js';
import { UsageError } from '../lambdas/jobs/kernel/usage-error.js';

/** One side of the command: its secret option and the environment variables it reads. */
export interface CredentialSide {
  /** e.g. `--from-secret` */
  readonly option: string;
  readonly secretArn?: string;
  /** e.g. `REDIS_DR_FROM` → `REDIS_DR_FROM_PASSWORD`, `REDIS_DR_FROM_USERNAME` */
  readonly envPrefix: string;
}

/** The region of a Secrets Manager ARN, or a usage error naming the option. */
export function secretRegion(option: string, arn: string): string {
  const m = /^arn:aws[\w-]*:secretsmanager:([a-z0-9-]+):\d{12}:secret:.+$/.exec(arn);
  if (!m) throw new UsageError(`${option} ${arn} is not a Secrets Manager secret ARN: write arn:aws:secretsmanager:<region>:<account>:secret:<name>`);
  return m[1]!;
}

/**
 * The credentials of one side, or undefined (the URL's own, if any). A
 * secret and the environment both set is a usage error: one source of truth.
 */
export async function sideCredentials(side: CredentialSide, env: NodeJS.ProcessEnv = process.env): Promise<UrlCredentials | undefined> {
  const passwordVar = `${side.envPrefix}_PASSWORD`;
  const usernameVar = `${side.envPrefix}_USERNAME`;
  const fromEnv = env[passwordVar];
  if (side.secretArn !== undefined) {
    if (fromEnv) throw new UsageError(`${side.option} and ${passwordVar} both give a password: use one (unset ${passwordVar})`);
    const region = secretRegion(side.option, side.secretArn);
    // The AWS SDK loads only when a secret is named: a run without one stays light (bench/README.md, backup).
    const [{ secretCredentials }, { awsProblem }] = await Promise.all([import('../lambdas/jobs/keys/clients.js'), import('./aws.js')]);
    let c;
    try {
      c = await secretCredentials(region, side.secretArn);
    } catch (err) {
      // getRedisCredentials names the secret and the AWS error; a missing login is said in words.
      const cause = err instanceof Error && err.cause !== undefined ? err.cause : err;
      throw new Error(`${side.option}: ${/credential/i.test(String(cause)) ? awsProblem(cause) : (err as Error).message}`, { cause: err });
    }
    return { username: c.username, password: c.password, source: `${side.option} ${side.secretArn}` };
  }
  if (fromEnv) return { username: env[usernameVar] || undefined, password: fromEnv, source: `$${passwordVar}` };
  if (env[usernameVar]) throw new UsageError(`${usernameVar} is set without ${passwordVar}: set both, or neither`);
  return undefined;
}
