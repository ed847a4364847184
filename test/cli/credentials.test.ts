import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ACCOUNT, fakeAws } from './support/fake-aws.js';
import { runInProcess } from './support/in-process.js';

/**
 * Every AWS command checks the credentials first: none, or another account's
 * than the config names, is one clear line and exit 2 — whatever the config
 * contains — with nothing else asked of AWS.
 */

// As bin/redis-dr.cjs does: the SDK's Node-version notice is not for on-call (restored after: the worker runs other files).
const NOTICE = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';
const noticeBefore = process.env[NOTICE];
beforeAll(() => {
  process.env[NOTICE] = 'true';
});
afterAll(() => {
  if (noticeBefore === undefined) delete process.env[NOTICE];
  else process.env[NOTICE] = noticeBefore;
});
const aws = fakeAws();
const scratch = mkdtempSync(join(tmpdir(), 'redis-dr-credentials-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The drills fixture with `primary.account` set (the case that used to print a table of credential errors). */
function configWithAccount(account: string): string {
  const config = JSON.parse(readFileSync('test/fixtures/config/drills.json', 'utf8')) as { primary: Record<string, unknown>; $schema?: string };
  config.primary.account = account;
  delete config.$schema;
  const file = join(scratch, `with-account-${account}.json`);
  writeFileSync(file, JSON.stringify(config));
  return file;
}

const COMMANDS: [string, (config: string) => string[]][] = [
  ['status', (c) => ['status', '-c', c]],
  ['restore', (c) => ['restore', '-c', c, '--target', 'sessions-prod', '--new-id', 'sessions-restored', '--dry-run']],
  ['drill run', (c) => ['drill', 'run', '-c', c, '--plan', 'sessions']],
  ['prune', (c) => ['prune', '-c', c, '--plan', 'sessions', '--dry-run']],
];

describe('AWS commands without usable credentials', () => {
  beforeEach(() => {
    aws.install();
    aws.state.credentials = true;
  });

  it.each(COMMANDS)('%s: no credentials is exit 2 with one line, even when the config names primary.account', async (_name, args) => {
    aws.state.credentials = false;
    const r = await runInProcess(args(configWithAccount(ACCOUNT)));
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^redis-dr: no AWS credentials found: set AWS_PROFILE/);
    // Nothing but the identity check reached AWS.
    expect(aws.ec.calls()).toHaveLength(0);
    expect(aws.sfn.calls()).toHaveLength(0);
    expect(aws.tagging.calls()).toHaveLength(0);
  });

  it.each(COMMANDS)('%s: credentials of another account than the config names are exit 2, naming both', async (_name, args) => {
    const r = await runInProcess(args(configWithAccount('999988887777')));
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      `redis-dr: the AWS credentials in use are for account ${ACCOUNT}, but the config names primary.account 999988887777: use a profile of account 999988887777 (aws sts get-caller-identity shows the one in use)`,
    ]);
    expect(aws.ec.calls()).toHaveLength(0);
    expect(aws.sfn.calls()).toHaveLength(0);
  });
});
