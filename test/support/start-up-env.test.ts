import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { START_UP_ONLY_VARIABLES, withoutStartUpOnlyVariables } from './start-up-env.js';

describe('variables that only slow a process start', () => {
  it('are removed from a copy of the environment and named, the rest kept, the original untouched', () => {
    const env = { NODE_EXTRA_CA_CERTS: '/etc/ssl/certs/ca-certificates.crt', PATH: '/usr/bin', HOME: '/root' };
    const { env: out, removed } = withoutStartUpOnlyVariables(env);
    expect(out).toEqual({ PATH: '/usr/bin', HOME: '/root' });
    expect(removed).toEqual(['NODE_EXTRA_CA_CERTS']);
    expect(env.NODE_EXTRA_CA_CERTS).toBe('/etc/ssl/certs/ca-certificates.crt');
    expect(withoutStartUpOnlyVariables({ PATH: '/usr/bin' }).removed).toEqual([]);
  });

  it('are not set in this worker nor in the processes a test starts (vitest.config.mts removes them)', () => {
    for (const name of START_UP_ONLY_VARIABLES) {
      expect(process.env[name]).toBeUndefined();
      const seen = execFileSync(process.execPath, ['-p', `String(process.env[${JSON.stringify(name)}])`], { encoding: 'utf8' }).trim();
      expect(seen).toBe('undefined');
    }
  });
});
