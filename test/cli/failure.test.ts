import { lookup } from 'node:dns/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keysWritten } from '../../cli/commands/migrate/format.js';
import { connectionProblem, describeFailure, reportedFailure } from '../../cli/failure.js';
import { UsageError } from '../../lambdas/jobs/kernel/usage-error.js';
import { closedLoopbackPort, connectionError } from '../support/closed-port.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { inWorker } from './support/in-process.js';
import { cliWithEnv } from './support/run-cli.js';

/** The error Node gives for a connection to a loopback port nothing listens on. */
async function refused(): Promise<Error> {
  return (await connectionError(await closedLoopbackPort()))!;
}

describe('the one mapping of connection problems (cli/failure.ts)', () => {
  it('a real refused connection: code, the endpoint, a fix; exit 2', async () => {
    const err = await refused();
    const p = describeFailure(err, 'compare');
    expect(p).toMatchObject({ code: 'connection-refused', exitCode: 2 });
    expect(p.message).toMatch(/^127\.0\.0\.1:\d+ refused the connection \(ECONNREFUSED\)/);
  });

  it('a real DNS failure: "cannot resolve <host>", not the resolver line', async () => {
    const err = await lookup('nonexistent.invalid').then(
      () => undefined,
      (e: unknown) => e,
    );
    const p = describeFailure(err, 'status');
    expect(p.code).toBe('dns');
    expect(p.message).toContain('cannot resolve nonexistent.invalid');
    expect(p.message).not.toContain('getaddrinfo');
    expect(p.fix).toContain('getent hosts nonexistent.invalid');
  });

  it('a wrapped message (an adapter that kept only the text, a report) and a cause chain are read too', async () => {
    expect(connectionProblem('could not connect to redis at cache.internal:6380 (TLS): getaddrinfo EAI_AGAIN cache.internal')).toMatchObject({
      code: 'dns',
      message: expect.stringContaining('cannot resolve cache.internal'),
    });
    const wrapped = new Error('cannot read s3://b/k.rdb: something', { cause: await refused() });
    expect(connectionProblem(wrapped)?.code).toBe('connection-refused');
    expect(connectionProblem('could not connect to redis at 10.0.0.9:6379 (plain TCP): no connection within 5000 ms')).toMatchObject({
      code: 'timeout',
      message: 'no answer from 10.0.0.9:6379 (connect timed out)',
    });
    expect(connectionProblem('could not connect to redis at h:6379 (TLS): self-signed certificate in certificate chain')?.code).toBe('tls');
    // The AWS SDK's connect bound (SOCKET_BOUNDS.connectMs), whose words name no host.
    expect(
      connectionProblem(
        Object.assign(
          new Error('@smithy/node-http-handler - the request socket did not establish a connection with the server within the configured timeout of 10000 ms.'),
          { name: 'TimeoutError' },
        ),
      ),
    ).toMatchObject({ code: 'timeout', message: 'no answer from the server (connect timed out)' });
  });

  it('AWS credentials: missing, expired, refused', () => {
    const named = (name: string, message = name) => Object.assign(new Error(message), { name });
    expect(describeFailure(named('CredentialsProviderError', 'Could not load credentials from any providers'), 'status')).toMatchObject({
      code: 'aws-credentials',
      exitCode: 2,
      fix: expect.stringContaining('AWS_PROFILE'),
    });
    expect(connectionProblem(named('ExpiredToken'))?.code).toBe('aws-credentials');
    expect(connectionProblem(named('InvalidClientTokenId'))?.code).toBe('aws-credentials');
  });

  it('a connection lost in the middle of a job is the job failing (exit 1), not a connection problem', () => {
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    expect(connectionProblem(reset)).toBeUndefined();
    expect(describeFailure(reset, 'migrate')).toMatchObject({ code: 'failed', exitCode: 1 });
    expect(describeFailure(new Error('Connection is closed.'), 'compare').exitCode).toBe(1);
  });

  it('after part of the job, even a refused connection is exit 1 and says what was done', async () => {
    const p = describeFailure(await refused(), 'migrate', '120 keys written to the target before it');
    expect(p.exitCode).toBe(1);
    expect(p.code).toBe('connection-refused');
    expect(p.message).toMatch(/refused the connection.*; it did part of the job first: 120 keys written to the target before it$/);
  });

  it('usage errors are exit 2 with the --help pointer as their fix unless they name one', () => {
    expect(describeFailure(new UsageError('--to x is not a destination'), 'backup')).toMatchObject({
      code: 'usage',
      exitCode: 2,
      fix: 'see `redis-dr backup --help`',
    });
    expect(describeFailure(new UsageError('bad', 'do this'), 'backup').fix).toBe('do this');
  });

  it("a job's reported failure: the connection rule only while nothing was done", () => {
    const text = 'could not connect to redis at 127.0.0.1:1 (plain TCP): connect ECONNREFUSED 127.0.0.1:1';
    expect(reportedFailure(text, true, 'fix it')).toMatchObject({ exitCode: 2, error: { code: 'connection-refused' } });
    expect(reportedFailure(text, false, 'fix it')).toEqual({ exitCode: 1, error: { code: 'failed', message: text, fix: 'fix it' } });
  });

  it('migrate counts the keys written: a dry run or no key yet is not part of the job', () => {
    const seen: number[] = [];
    const counts = (copied: number) => ({ scanned: copied, copied, skipped: 0, expired: 0, failed: 0, replaced: 0, replaceUnchecked: 0 });
    const w = keysWritten({ onBatch: (c: { copied: number }) => seen.push(c.copied) });
    expect(w.partial()).toBeUndefined();
    w.callbacks.onBatch(counts(3));
    expect(w.partial()).toBe('3 keys written to the target before it');
    expect(seen).toEqual([3]);
    const dry = keysWritten({}, true);
    dry.callbacks.onBatch(counts(3));
    expect(dry.partial()).toBeUndefined();
  });
});

describe('wrong or missing Redis credentials: exit 2, one line naming the host and where the password comes from', () => {
  let server: RedisServer;
  let dir: string;
  beforeAll(async () => {
    server = await startRedisServer({ password: 'right-secret' });
    dir = mkdtempSync(join(tmpdir(), 'rdr-auth-'));
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const url = (password?: string) => `redis://${password === undefined ? '' : `:${password}@`}${server.host}:${server.port}`;

  it.each([
    [
      'migrate, a wrong password',
      () => ['migrate', '--from', url('wrong'), '--to', url('right-secret')],
      /refused the credentials \(WRONGPASS/,
      'REDIS_DR_FROM_PASSWORD',
    ],
    ['migrate, no password', () => ['migrate', '--from', url('right-secret'), '--to', url()], /needs a password \(NOAUTH/, '--to-secret'],
    [
      'compare, a wrong password',
      () => ['compare', '--a', url('wrong'), '--b', url('right-secret')],
      /refused the credentials \(WRONGPASS/,
      'REDIS_DR_A_PASSWORD',
    ],
    [
      'backup, a wrong password',
      () => ['backup', '--redis', url('wrong'), '--to', `file://${dir}`],
      /refused the credentials \(WRONGPASS/,
      'REDIS_DR_PASSWORD',
    ],
  ])('%s', async (_, args, said, fix) => {
    // The program in the worker (test/cli/support/in-process.ts): its line and exit code, as the binary gives them.
    const r = await inWorker(...args());
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^redis-dr: redis at ${server.host}:${server.port} `));
    expect(lines[0]).toMatch(said);
    expect(lines[0]).toContain(fix);
    expect(r.stderr).not.toContain('right-secret');
  });

  it('backup --to s3:// without AWS credentials: exit 2, one line naming AWS_PROFILE (not the raw SDK text)', async () => {
    const noAws = {
      AWS_PROFILE: '',
      AWS_ACCESS_KEY_ID: '',
      AWS_SECRET_ACCESS_KEY: '',
      AWS_SESSION_TOKEN: '',
      AWS_CONFIG_FILE: join(dir, 'none'),
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'none'),
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_REGION: 'us-east-1',
      REDIS_DR_PASSWORD: 'right-secret',
    };
    const r = await cliWithEnv(noAws, 'backup', '--redis', url(), '--to', 's3://redis-dr-no-such-bucket/x');
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    const problems = r.stderr.split('\n').filter((l) => l.startsWith('redis-dr'));
    expect(problems).toEqual([expect.stringMatching(/^redis-dr: no AWS credentials found: set AWS_PROFILE/)]);
    expect(r.stderr).not.toContain('Could not load credentials from any providers');
  });

  it('maps the server words of every auth refusal, never a lost connection', () => {
    const at = 'could not connect to redis at h:6379 (TLS)';
    expect(connectionProblem(`${at}: WRONGPASS invalid username-password pair or user is disabled.`, 'backup')).toMatchObject({
      code: 'auth',
      message: 'redis at h:6379 refused the credentials (WRONGPASS invalid username-password pair or user is disabled)',
    });
    expect(connectionProblem(`${at}: ERR invalid password`)?.code).toBe('auth');
    expect(connectionProblem(`${at}: ERR AUTH <password> called without any password configured for the default user.`)?.code).toBe('auth');
    expect(connectionProblem(`${at}: NOAUTH Authentication required.`, 'compare')?.fix).toContain('--a-secret / --b-secret');
  });
});
