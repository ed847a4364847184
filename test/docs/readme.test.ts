import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..', '..');

describe('README', () => {
  it('starts with the two commands: npm run setup && npm run demo, then npm test — and the scripts exist, .ci/run using the same setup', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const block = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    const commands = block
      .split('\n')
      .map((line) => line.replace(/#.*$/, '').trim())
      .filter((line) => line !== '');
    expect(commands).toEqual(['npm run setup && npm run demo', 'npm test']);
    const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.demo).toBe('tsx demo/main.ts');
    expect(scripts.test).toBeDefined();
    expect(scripts.setup).toBe('bash scripts/setup.sh');
    // CI proves the newcomer's path: the same setup script, then the README's test command.
    const ci = readFileSync(join(ROOT, '.ci', 'run'), 'utf8');
    expect(ci).toMatch(/^bash scripts\/setup\.sh --no-npm$/m);
    expect(ci).toMatch(/^npm test\b/m);
  });

  it('says where redis-dr fits: Global Datastore, RedisShake and the automatic backups, with when to use which in docs/choosing.md', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const choosing = readFileSync(join(ROOT, 'docs', 'choosing.md'), 'utf8');
    for (const text of [readme, choosing]) {
      for (const name of ['Global Datastore', 'RedisShake', 'automatic backups', 'AWS Backup']) expect(text).toContain(name);
    }
    expect(readme).toContain('[docs/choosing.md](docs/choosing.md)');
    // The RPO floor per shape, as the config check enforces it.
    expect(choosing).toMatch(/\| node-based, cluster mode enabled \| 20 per node per rolling 24 h/);
    expect(choosing).toMatch(/## When redis-dr is the wrong tool/);
  });
});
