import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedLoopbackPort } from '../support/closed-port.js';
import { runInProcess } from './support/in-process.js';

/**
 * Credentials but no route to AWS (issue 53 item 10): the AWS endpoint
 * refuses the connection, or its name does not resolve. With the account in
 * the config, no STS call comes first to fail on: each command reaches its
 * own calls, and each must still end in one line naming the endpoint and the
 * fix, exit 2, nothing on stdout, no file written, and no advice that
 * presumes AWS answered (deploy first, grant a permission, a runbook).
 */
const dir = mkdtempSync(join(tmpdir(), 'redis-dr-unreachable-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const config = join(dir, 'config.json');
const example = JSON.parse(readFileSync('config/example.json', 'utf8')) as Record<string, Record<string, unknown>>;
writeFileSync(
  config,
  JSON.stringify({ ...example, $schema: undefined, primary: { ...example.primary, account: '111122223333' }, dr: { ...example.dr, account: '111122223333' } }),
);

const ENV = (endpoint: string) => ({
  AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'secret',
  AWS_SESSION_TOKEN: '',
  AWS_REGION: 'us-east-1',
  AWS_ENDPOINT_URL: endpoint,
  AWS_ENDPOINT_URL_S3: endpoint,
  AWS_EC2_METADATA_DISABLED: 'true',
  REDIS_DR_CONFIG: config,
});

const COMMANDS: [string, string[]][] = [
  ['doctor', ['doctor']],
  ['status', ['status']],
  ['status --coverage', ['status', '--coverage']],
  ['snapshot', ['snapshot', '--plan', 'sessions']],
  ['export', ['export', '--plan', 'sessions']],
  ['verify-copy --newest', ['verify-copy', '--newest', '--target', 'sessions-prod']],
  ['report', ['report', '--since', '7d', '--html', join(dir, 'report.html')]],
];

// The words of advice that presume AWS answered.
const PRESUMING = /deploy first|grant the permissions|docs\/runbooks|access denied|not deployed|FAILED/;

/** The program in this process (no mock here: the SDK's real requests, to nowhere) with the environment of `endpoint`. */
async function runAt(endpoint: string, args: readonly string[]) {
  const saved = { ...process.env };
  Object.assign(process.env, ENV(endpoint));
  try {
    return await runInProcess(args);
  } finally {
    for (const k of Object.keys(ENV(endpoint))) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  }
}

let port: number;
beforeAll(async () => {
  port = await closedLoopbackPort();
});

// One after the other: runInProcess captures this process's stdout and stderr.
describe('AWS unreachable: one line naming the endpoint and the fix, exit 2', { timeout: 120_000 }, () => {
  it.each(COMMANDS)('%s: a closed loopback port (ECONNREFUSED)', async (_name, args) => {
    const r = await runAt(`http://127.0.0.1:${port}`, args);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`127.0.0.1:${port} refused the connection (ECONNREFUSED)`);
    expect(r.stderr).toContain('AWS_ENDPOINT_URL');
    expect(r.stderr).not.toMatch(PRESUMING);
    expect(existsSync(join(dir, 'report.html'))).toBe(false);
  });

  it.each(COMMANDS)('%s: an endpoint whose name does not resolve (ENOTFOUND)', async (_name, args) => {
    const r = await runAt('http://aws.redis-dr.invalid', args);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('cannot resolve aws.redis-dr.invalid');
    expect(r.stderr).toContain('getent hosts aws.redis-dr.invalid');
    expect(r.stderr).not.toContain('getaddrinfo');
    expect(r.stderr).not.toMatch(PRESUMING);
    expect(existsSync(join(dir, 'report.html'))).toBe(false);
  });
});
