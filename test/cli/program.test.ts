import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runInProcess } from './support/in-process.js';
import { cli } from './support/run-cli.js';

/**
 * The CLI contract common to every command: --help exits 0 and documents
 * the options, parse problems exit 2 with usage, and the real entry point
 * (bin/redis-dr.cjs) passes the exit codes through.
 */

const COMMANDS: [string[], string[]][] = [
  [['status'], ['--config', '--json']],
  [['restore'], ['--target', '--new-id', '--from', '--region', '--node-type', '--wait', '--dry-run', '--json']],
  [
    ['drill', 'run'],
    ['--plan', '--where', '--wait', '--json'],
  ],
  [['migrate'], ['--from', '--to', '--match', '--on-conflict', '--dry-run', '--verify', '--json']],
  [['compare'], ['--a', '--b', '--match', '--json']],
  [
    ['retention', 'plan'],
    ['--policy', '--config', '--plan', '--snapshots', '--now', '--json'],
  ],
  [['prune'], ['--plan', '--dry-run', '--json']],
  [['verify-rdb'], ['--json']],
  [['ship-aof'], ['--dir', '--to', '--interval', '--rpo', '--heartbeat-url', '--metrics-file']],
  [['restore-aof'], ['--from', '--to', '--until', '--no-load', '--json']],
];

describe('CLI contract', () => {
  it.each(COMMANDS)('%j --help exits 0 and documents its options', async (command, options) => {
    const r = await runInProcess([...command, '--help']);
    expect(r.code).toBe(0);
    for (const o of options) expect(r.stdout).toContain(o);
  });

  it('the top-level help lists every command', async () => {
    const r = await runInProcess(['--help']);
    expect(r.code).toBe(0);
    for (const [command] of COMMANDS) expect(r.stdout).toContain(command[0]);
  });

  it.each([
    [['no-such-command'], "unknown command 'no-such-command'"],
    [['status', '--no-such-flag'], "unknown option '--no-such-flag'"],
    [['restore', '--target', 'x'], "required option '--new-id <id>' not specified"],
    [['migrate', '--from', 'redis://a'], "required option '--to <url>' not specified"],
    [['drill', 'run', '--plan', 'sessions', '--poll-seconds', '0'], '--poll-seconds must be a whole number >= 1, got 0'],
  ])('%j is a usage error: exit 2 with the problem and the usage', async (args, message) => {
    const r = await runInProcess(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });

  it('bin/redis-dr.cjs passes exit codes and messages through (a missing config: exit 2, naming -c)', async () => {
    const r = await cli('status', '-c', 'test/fixtures/config/does-not-exist.json');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('test/fixtures/config/does-not-exist.json: does not exist: check the path given with -c <file>');
    expect(r.stdout).toBe('');
    const help = await cli('drill', 'run', '--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--plan <name>');
  });

  it('--version prints the package version (exit 0)', async () => {
    const { version } = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
    const r = await cli('--version');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(version);
  });
});

describe('CLI start-up (bin/redis-dr.cjs runs the compiled, lazily loaded program)', () => {
  const ROOT = join(__dirname, '..', '..');
  it.each([
    [['--help']],
    [['--version']],
    [['verify-rdb', 'test/fixtures/rdb/encodings.rdb']],
    [['status', '--help']],
    [['drill', 'local', '--help']],
    [['completion', 'bash']],
    [['migrate', '--no-such-option']],
  ])('%j loads no AWS SDK, Redis client, tsx or zod', (args) => {
    const packages = loadedOrExit(args);
    expect(packages.filter((p) => p.startsWith('@aws-sdk/') || p.startsWith('@smithy/') || ['ioredis', 'tsx', 'zod', 'aws-cdk-lib'].includes(p))).toEqual([]);
    expect(packages).toContain('commander');
  });

  it('a command that talks to AWS loads the SDK when it runs (so the check above can fail)', () => {
    const packages = loadedOrExit(['status', '-c', 'test/fixtures/config/broken-json.json']);
    expect(packages.some((p) => p.startsWith('@aws-sdk/'))).toBe(true);
  });

  /** The packages a real CLI run loads (test/support/loaded-modules.cjs reports them on stderr at exit). */
  function loadedOrExit(args: string[]): string[] {
    const out = spawnSync(process.execPath, ['-r', join(ROOT, 'test', 'support', 'loaded-modules.cjs'), join(ROOT, 'bin', 'redis-dr.cjs'), ...args], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    const line = out.stderr.split('\n').find((l) => l.startsWith('LOADED '));
    if (!line) throw new Error(`no module report from the CLI run: ${out.stderr}`);
    return JSON.parse(line.slice('LOADED '.length)) as string[];
  }
});
