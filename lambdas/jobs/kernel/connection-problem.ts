/**
 * The connection (or AWS credentials) problem behind an error: a connection
 * that could not be made (DNS, refused, no answer, TLS, Redis or AWS
 * credentials) named with its host or endpoint and the usual fix. The jobs
 * that read for the operator (vault listings, restore, drill local) tell such
 * a failure from the job's own; the CLI maps it to exit 2 (cli/failure.ts).
 * Pure and light: the CLI loads it at start.
 */

/** A connection that could not be made, in words, with the fix. */
export interface ConnectionProblem {
  /** Stable, for scripts: auth, dns, connection-refused, timeout, unreachable, tls, aws-credentials. */
  readonly code: string;
  readonly message: string;
  readonly fix: string;
  /** The message already says the fix. */
  readonly fixInMessage?: boolean;
}

/** Errors and their causes (`cause`, an AggregateError's `errors`), outermost first. */
function chain(err: unknown): unknown[] {
  const seen: unknown[] = [];
  const visit = (e: unknown) => {
    if (e === undefined || e === null || seen.includes(e) || seen.length > 20) return;
    seen.push(e);
    if (typeof e === 'object') {
      visit((e as { cause?: unknown }).cause);
      const errors = (e as { errors?: unknown }).errors;
      if (Array.isArray(errors)) for (const x of errors) visit(x);
    }
  };
  visit(err);
  return seen;
}

const text = (e: unknown): string => (e instanceof Error ? e.message : typeof e === 'string' ? e : '');
const field = (e: unknown, name: string): string | undefined => {
  const v = e && typeof e === 'object' ? (e as Record<string, unknown>)[name] : undefined;
  return typeof v === 'string' || typeof v === 'number' ? String(v) : undefined;
};

const TLS =
  /ERR_TLS_|ERR_SSL_|EPROTO|CERT_|SELF_SIGNED|UNABLE_TO_VERIFY|self[- ]signed certificate|unable to verify the first certificate|certificate has expired|wrong version number|does not match certificate|altnames/i;
const NO_CREDENTIALS = /CredentialsProviderError|Could not load credentials|Unable to locate credentials/i;
const EXPIRED = /^(ExpiredToken|ExpiredTokenException|RequestExpired)$/;
const BAD_KEYS = /^(InvalidClientTokenId|UnrecognizedClientException|InvalidAccessKeyId|SignatureDoesNotMatch)$/;
/** Redis refusing (or asking for) credentials: WRONGPASS (Redis 6+), NOAUTH, Redis 5's `invalid password`, a password sent to a server without one. */
const REDIS_AUTH = /\b(WRONGPASS|NOAUTH)\b|ERR invalid password|AUTH <password> called without any password configured/;

/**
 * Where each command takes a Redis password from (its --help says the same):
 * the fix of a refused or missing one names them.
 */
const PASSWORD_SOURCES: Readonly<Record<string, string>> = {
  backup: 'REDIS_DR_PASSWORD [and REDIS_DR_USERNAME], --secret <arn> (Secrets Manager)',
  'ship-aof': 'REDIS_DR_PASSWORD [and REDIS_DR_USERNAME], --secret <arn> (Secrets Manager)',
  migrate: 'REDIS_DR_FROM_PASSWORD / REDIS_DR_TO_PASSWORD [and _USERNAME], --from-secret / --to-secret <arn> (Secrets Manager)',
  compare: 'REDIS_DR_A_PASSWORD / REDIS_DR_B_PASSWORD [and _USERNAME], --a-secret / --b-secret <arn> (Secrets Manager)',
};

/**
 * The connection (or AWS credentials) problem behind `err`, or undefined:
 * the Node error codes in the error, its causes or the messages that wrap
 * them (`getaddrinfo ENOTFOUND x`, `connect ECONNREFUSED 127.0.0.1:1`, a
 * report's error text), with the host or endpoint and the usual fix. Only a
 * connection that could not be made counts: one lost in the middle of a job
 * (ECONNRESET, EPIPE, `Connection is closed`) is the job failing.
 */
export function connectionProblem(err: unknown, command = ''): ConnectionProblem | undefined {
  const all = chain(err);
  const words = all.map(text).join(' | ');
  const names = all.map((e) => field(e, 'name') ?? '');
  const codes = all.map((e) => field(e, 'code') ?? '');
  // The endpoint as the outermost message names it (`could not connect to redis at h:p`), else as the error does.
  const redisAt = /could not connect to redis at (\S+?)(?: \(|:? |$)/.exec(words)?.[1];
  const has = (code: string) => codes.includes(code) || new RegExp(`\\b${code}\\b`).test(words);
  const addressOf = (code: string): string | undefined => {
    for (const e of all) {
      if (field(e, 'code') !== code) continue;
      const host = field(e, 'hostname') ?? field(e, 'address') ?? field(e, 'host');
      const port = field(e, 'port');
      if (host) return port ? `${host}:${port}` : host;
    }
    return new RegExp(`${code} (\\S+)`).exec(words)?.[1];
  };

  const auth = REDIS_AUTH.exec(words);
  if (auth) {
    const at = redisAt ?? 'the server';
    // The server's words up to the end of its sentence: one line, never a password (servers do not echo it).
    const said = all.map(text).find((m) => REDIS_AUTH.test(m)) ?? words;
    const reply = said.slice(said.search(REDIS_AUTH)).split(/\r?\n/)[0]!.replace(/\.$/, '');
    const missing = auth[1] === 'NOAUTH';
    const user = /could not connect to redis at \S+(?: \([^)]*\))? as (\S+?):/.exec(words)?.[1];
    return {
      code: 'auth',
      message: `redis at ${at} ${missing ? 'needs a password' : `refused the credentials${user ? ` of user ${user}` : ''}`} (${reply})`,
      fix: `give ${missing ? 'its' : 'the right'} password (and user, for an ACL user) with ${PASSWORD_SOURCES[command] ?? "the command's --secret option or REDIS_DR_PASSWORD (see --help)"}, or percent-encoded in the URL`,
    };
  }
  if (names.some((n) => NO_CREDENTIALS.test(n)) || NO_CREDENTIALS.test(words))
    return {
      code: 'aws-credentials',
      message: 'no AWS credentials found',
      fix: 'set AWS_PROFILE, or run `aws sso login`, or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (`aws sts get-caller-identity` shows what is in use)',
    };
  if (names.some((n) => EXPIRED.test(n)))
    return { code: 'aws-credentials', message: 'the AWS session expired', fix: 'log in again (e.g. `aws sso login`), then run the command again' };
  if (names.some((n) => BAD_KEYS.test(n)))
    return {
      code: 'aws-credentials',
      message: `the AWS credentials in use were refused (${names.find((n) => BAD_KEYS.test(n))})`,
      fix: 'check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or the profile (`aws sts get-caller-identity`)',
    };
  for (const code of ['ENOTFOUND', 'EAI_AGAIN']) {
    if (!has(code)) continue;
    const host = addressOf(code) ?? redisAt ?? 'the host';
    const bare = host.replace(/:\d+$/, '');
    return {
      code: 'dns',
      message: `cannot resolve ${host}${redisAt && redisAt !== host ? ` (redis at ${redisAt})` : ''}: ${code === 'ENOTFOUND' ? 'no such host' : 'the DNS lookup failed for now'} (${code})`,
      fix: `check the host name for a typo and this machine's DNS (\`getent hosts ${bare}\`); for an AWS endpoint, the region (AWS_REGION, the config's regions) and AWS_ENDPOINT_URL*`,
    };
  }
  if (has('ECONNREFUSED')) {
    const at = redisAt ?? addressOf('ECONNREFUSED') ?? 'the server';
    const hp = /^\[?([^\]]+?)\]?:(\d+)$/.exec(at);
    return {
      code: 'connection-refused',
      message: `${at} refused the connection (ECONNREFUSED): nothing listens there`,
      fix: redisAt
        ? `check the port and that the server runs (\`redis-cli -h ${hp?.[1] ?? '<host>'} -p ${hp?.[2] ?? '<port>'} ping\`)`
        : 'check the endpoint URL (--s3-endpoint, AWS_ENDPOINT_URL*, a proxy) and that the service runs there',
    };
  }
  // The AWS SDK's socket bounds (adapters/aws/client-config.ts SOCKET_BOUNDS), whose errors name no host.
  const sdkIdle = /the request socket timed out after (\d+) ms of inactivity/.exec(words);
  if (sdkIdle)
    return {
      code: 'timeout',
      message: `no answer from ${redisAt ?? 'the endpoint'} within ${Number(sdkIdle[1]) / 1000} s: the connection opened and nothing came back`,
      fix: 'check for a proxy or firewall that accepts connections and drops them, and AWS_ENDPOINT_URL* or --s3-endpoint (something that is not the service)',
    };
  const timedOut =
    has('ETIMEDOUT') ||
    /no connection within \d+ ?ms|not ready within \d+ ?ms|connect ETIMEDOUT|Connection timeout|did not establish a connection with the server within/i.test(
      words,
    );
  if (timedOut) {
    const at = redisAt ?? addressOf('ETIMEDOUT') ?? 'the server';
    return {
      code: 'timeout',
      message: `no answer from ${at} (connect timed out)`,
      fix: 'check security groups, firewalls, VPN or proxy between this machine and it (an ElastiCache endpoint answers only inside its VPC)',
    };
  }
  for (const code of ['EHOSTUNREACH', 'ENETUNREACH']) {
    if (!has(code)) continue;
    const at = redisAt ?? addressOf(code) ?? 'the server';
    return {
      code: 'unreachable',
      message: `${at} is unreachable from this machine (${code})`,
      fix: 'check the address, the routes and the VPN or proxy in use',
    };
  }
  if (codes.some((c) => TLS.test(c)) || TLS.test(words)) {
    const at = redisAt ?? 'the server';
    const detail = all.map(text).find((m) => TLS.test(m)) ?? words;
    return {
      code: 'tls',
      message: `TLS with ${at} failed: ${detail.replace(/^could not connect to redis at \S+ ?(\([^)]*\))?:? ?/, '')}`,
      fix: 'use rediss:// only for a TLS server (redis:// for plain TCP); for a private CA set NODE_EXTRA_CA_CERTS=<ca.pem>; the host name must match the certificate',
    };
  }
  return undefined;
}
