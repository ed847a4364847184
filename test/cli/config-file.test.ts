import { describe, expect, it } from 'vitest';
import { loadCliConfig } from '../../cli/config-file.js';
import { UsageError } from '../../lambdas/jobs/kernel/usage-error.js';
// The program in the worker (test/cli/support/in-process.ts): its exit code and message, as the binary gives them.
import { inWorkerWithEnv as cliWithEnv } from './support/in-process.js';

describe('the deployment config of the AWS commands: -c or REDIS_DR_CONFIG, never config/example.json by default', () => {
  it('with neither, a usage error naming both fixes', () => {
    let err: unknown;
    try {
      loadCliConfig(undefined, {});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe(
      'no deployment config: give -c config/<env>.json, or set REDIS_DR_CONFIG=config/<env>.json (there is no fallback to config/example.json)',
    );
  });

  it('REDIS_DR_CONFIG names it when -c does not; -c wins', () => {
    expect(loadCliConfig(undefined, { REDIS_DR_CONFIG: 'config/example.json' }).name).toBeTruthy();
    expect(() => loadCliConfig('config/none.json', { REDIS_DR_CONFIG: 'config/example.json' })).toThrow(/config\/none\.json/);
  });

  it.each([['status'], ['doctor'], ['prune', '--plan', 'sessions', '--dry-run']])(
    '`redis-dr %s` without either: exit 2 before any AWS call',
    async (...args) => {
      const r = await cliWithEnv({ REDIS_DR_CONFIG: '' }, ...args);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain('no deployment config: give -c config/<env>.json, or set REDIS_DR_CONFIG');
    },
  );
});
