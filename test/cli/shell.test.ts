import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { COMMANDS_WITH_SPECIFIC_EXIT_CODES } from '../../cli/exit-codes.js';
import { allCommands, commandPath, createProgram } from '../../cli/program.js';
import { runInProcess, withEnv } from './support/in-process.js';
import { cliWithEnv } from './support/run-cli.js';
import { closedLoopbackPort } from '../support/closed-port.js';

/**
 * The contract every command keeps with the shell (issue 27, "a CLI that
 * fits the shell"): a usage error is the error and one line pointing at
 * --help; required options are marked; every help ends with the exit codes;
 * --json failures are `{ ok: false, error }` on stdout; a connection that
 * could not be made exits 2 naming the host (cli/failure.ts); completion
 * scripts load. The commands are read from the program itself, so a new
 * command is checked without being listed here.
 */

const program = createProgram();
/** Commands that run (no subcommands), as the words after redis-dr. */
const LEAVES = allCommands(program)
  .filter((c) => c.commands.length === 0 && c !== program)
  .map((c) => commandPath(c).split(' '));
const byPath = (path: string[]): Command => allCommands(program).find((c) => commandPath(c) === path.join(' '))!;
// `--json` as a flag (machine output); `report --json <file>` names a file to write instead.
const JSON_COMMANDS = LEAVES.filter((p) => byPath(p).options.some((o) => o.long === '--json' && !o.required && !o.optional));

/** The command's required options with a value each, so that parsing goes past them to the problem under test. */
const required = (path: string[]): string[] =>
  byPath(path)
    .options.filter((o) => o.mandatory)
    .flatMap((o) => [o.long!, 'x']);

const lines = (text: string) => text.split('\n').filter((l) => l.trim() !== '');

/** A loopback port nothing listens on (bound, read, closed). */
const closedPort = closedLoopbackPort;

describe('usage errors', () => {
  it('the program has the twelve commands and completion (the lists below are not empty)', () => {
    expect(LEAVES.length).toBeGreaterThanOrEqual(15);
    expect(JSON_COMMANDS.length).toBeGreaterThanOrEqual(12);
  });

  it.each(LEAVES)('%s: an unknown option is exit 2, the error and one line pointing at its --help (<= 3 lines, no help text)', async (...path) => {
    const r = await runInProcess([...path, ...required(path), '--no-such-option']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const out = lines(r.stderr);
    expect(out.length).toBeLessThanOrEqual(3);
    expect(out[0]).toContain("unknown option '--no-such-option'");
    expect(r.stderr).toContain(`redis-dr ${path.join(' ')} --help`);
    expect(r.stderr).not.toContain('Options:');
  });

  it.each(LEAVES.filter((p) => byPath(p).options.some((o) => o.mandatory)))(
    '%s: a missing required option is exit 2 in <= 3 lines naming it',
    async (...path) => {
      const r = await runInProcess(path);
      expect(r.code).toBe(2);
      expect(lines(r.stderr).length).toBeLessThanOrEqual(3);
      expect(r.stderr).toMatch(/required option '(-[a-z], )?--[a-z-]+ <[^>]+>' not specified/);
      expect(r.stderr).toContain(`redis-dr ${path.join(' ')} --help`);
    },
  );

  it('an unknown command: the error and a pointer at redis-dr --help', async () => {
    const r = await runInProcess(['no-such-command']);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual(["error: unknown command 'no-such-command'", '(see `redis-dr --help`)']);
  });
});

describe('help', () => {
  it.each(allCommands(program).map((c) => commandPath(c).split(' ').filter(Boolean)))('[%s] help ends with the shared exit codes', async (...path) => {
    const r = await runInProcess([...path, '--help']);
    expect(r.code).toBe(0);
    const tail = r.stdout.slice(r.stdout.lastIndexOf('\nExit codes:\n'));
    expect(tail).toMatch(/^\nExit codes:\n {2}0 {2}ok\n {2}1 {2}the job failed or found a problem.*\n {2}2 {2}usage, configuration, credentials or connection/);
    // Nothing but exit codes after the heading: it ends the help.
    for (const line of lines(tail).slice(1)) expect(line).toMatch(/^ {2}(\d+ {2}|for [a-z -]+:$| {2}\d+ +)/);
  });

  it('every command with specific exit codes is a real command (one source, no stale entries)', () => {
    const paths = new Set(allCommands(program).map(commandPath));
    for (const p of COMMANDS_WITH_SPECIFIC_EXIT_CODES) expect(paths).toContain(p);
  });

  it.each(LEAVES.filter((p) => byPath(p).options.some((o) => o.mandatory)))(
    '%s: required options are in the usage line and marked (required)',
    async (...path) => {
      const r = await runInProcess([...path, '--help']);
      const usage = r.stdout.split('\n')[0]!;
      for (const o of byPath(path).options.filter((x) => x.mandatory)) {
        expect(usage).toContain(o.long);
        // The option's entry (possibly wrapped) ends its description with (required) before the next option.
        const entry = r.stdout.slice(r.stdout.indexOf(`  ${o.flags}`)).split(/\n {2}-/)[0]!;
        expect(entry.replace(/\s+/g, ' ')).toContain('(required)');
      }
    },
  );

  it('options required only without another say so (restore --new-id unless --list; migrate one source)', async () => {
    const restore = await runInProcess(['restore', '--help']);
    expect(restore.stdout.split('\n')[0]).toBe('Usage: redis-dr restore --target <id> (--new-id <id> | --list) [options]');
    const migrate = await runInProcess(['migrate', '--help']);
    expect(migrate.stdout.split('\n')[0]).toContain('(--from <url> | --from-rdb <file>...) --to <url>');
    expect(migrate.stdout.replace(/\s+/g, ' ')).toContain('(this or --from-rdb is required)');
  });
});

describe('--json failures print { ok: false, error } on stdout', () => {
  it.each(JSON_COMMANDS)('%s: a usage error under --json', async (...path) => {
    const r = await runInProcess([...path, ...required(path), '--json', '--no-such-option']);
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.stdout) as { ok: boolean; error: { code: string; message: string; fix: string } };
    expect(doc).toEqual({
      ok: false,
      error: { code: 'usage', message: "unknown option '--no-such-option'", fix: `see \`redis-dr ${path.join(' ')} --help\`` },
    });
  });

  it('a usage error an action raises (a bad URL) under --json', async () => {
    const r = await runInProcess(['compare', '--a', 'http://x', '--b', 'redis://127.0.0.1:1', '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { code: 'usage', message: expect.stringContaining('http://x') } });
  });
});

// A closed loopback port for every case and the environment each runs with: fake credentials and an endpoint nothing
// answers on, so no call leaves this machine.
const dir = mkdtempSync(join(tmpdir(), 'redis-dr-shell-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const awsAt = (port: number) => ({
  AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'secret',
  AWS_SESSION_TOKEN: '',
  AWS_REGION: 'us-east-1',
  AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`,
  AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${port}`,
  AWS_MAX_ATTEMPTS: '1',
  AWS_EC2_METADATA_DISABLED: 'true',
  // The AWS commands need a config: -c or this (no fallback to the example).
  REDIS_DR_CONFIG: 'config/example.json',
});

type Case = [string, (port: number) => string[]];
const REDIS: Case[] = [
  ['compare', (p) => ['compare', '--a', `redis://127.0.0.1:${p}`, '--b', `redis://127.0.0.1:${p}`]],
  ['migrate', (p) => ['migrate', '--from', `redis://127.0.0.1:${p}`, '--to', `redis://127.0.0.1:${p}`]],
  ['migrate --from-rdb', (p) => ['migrate', '--from-rdb', 'test/fixtures/rdb/encodings.rdb', '--to', `redis://127.0.0.1:${p}`]],
  ['backup', (p) => ['backup', '--redis', `redis://127.0.0.1:${p}`, '--to', `file://${dir}/backups`, '--create']],
];
const AWS: Case[] = [
  ['status', () => ['status']],
  ['doctor', () => ['doctor']],
  ['prune', () => ['prune', '--plan', 'sessions', '--dry-run']],
  ['restore --list', () => ['restore', '--target', 'sessions-prod', '--list']],
  ['drill run', () => ['drill', 'run', '--plan', 'sessions']],
  ['retention release', () => ['retention', 'release', '--target', 'sessions-prod', '--point', 'x', '--dry-run']],
  ['verify-rdb s3://', () => ['verify-rdb', 's3://redis-dr-test-bucket/dump.rdb']],
  ['drill local s3://', () => ['drill', 'local', '--rdb', 's3://redis-dr-test-bucket/dump.rdb']],
  [
    'restore-aof s3://',
    (p) => ['restore-aof', '--from', 's3://redis-dr-test-bucket/aof', '--s3-endpoint', `http://127.0.0.1:${p}`, '--to', `${dir}/aof`, '--no-load'],
  ],
];

// Concurrent: each case mostly waits (a connect retry, the SDK's one attempt), not computes. The binary in a child: its
// exit code and its stderr, what a shell sees.
describe.concurrent('a connection that cannot be made: exit 2, naming the host and a fix (one rule for every command)', () => {
  it.each([...REDIS, ...AWS])('%s: closed loopback port: exit 2, "refused", the endpoint, no stack', async (_name, args) => {
    const port = await closedPort();
    const plain = await cliWithEnv(awsAt(port), ...args(port));
    expect(plain.status, plain.stderr).toBe(2);
    expect(plain.stderr).toContain(`127.0.0.1:${port} refused the connection (ECONNREFUSED)`);
    expect(plain.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(plain.stdout).toBe('');
  });

  it.each([
    ['compare', ['compare', '--a', 'redis://nonexistent.invalid:6379', '--b', 'redis://nonexistent.invalid:6379']],
    ['backup --remote', ['backup', '--remote', '--redis', 'redis://nonexistent.invalid:6379', '--to', `file://${dir}/backups`, '--create']],
    ['migrate', ['migrate', '--from', 'redis://nonexistent.invalid:6379', '--to', 'redis://nonexistent.invalid:6380']],
  ])('%s: a host that does not resolve: exit 2, "cannot resolve <host>" and a fix, not the raw resolver line', async (_name, args) => {
    const r = await cliWithEnv({}, ...args);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain('cannot resolve nonexistent.invalid');
    expect(r.stderr).toContain('getent hosts nonexistent.invalid');
    expect(r.stderr).not.toContain('getaddrinfo');
  });
});

/**
 * The same commands under --json, run by the program in this process (test/cli/support/in-process.ts): the document
 * on stdout is the program's, and a child per case cost about 0.4 CPU-s (node and the command's modules loaded again);
 * the binary's own exit code and stderr are the children's above. One case at a time, never concurrent: the AWS SDK
 * and the CLI read their settings from process.env, which each case sets for its run only and puts back after.
 */
describe('a connection that cannot be made, under --json: { ok: false, error } on stdout, exit 2', () => {
  it.each([...REDIS, ...AWS])('%s --json: closed loopback port', async (_name, args) => {
    const port = await closedPort();
    const json = await withEnv(awsAt(port), () => runInProcess([...args(port), '--json']));
    expect(json.code, json.stderr).toBe(2);
    const doc = JSON.parse(json.stdout) as { ok: boolean; error: { code: string; message: string; fix: string } };
    expect(doc.ok).toBe(false);
    expect(doc.error).toMatchObject({ code: 'connection-refused', message: expect.stringContaining(`127.0.0.1:${port}`), fix: expect.any(String) });
  });
});

describe('completion', () => {
  const scripts = Object.fromEntries(
    (['bash', 'zsh', 'fish'] as const).map((shell) => {
      const r = spawnSync(process.execPath, [join(__dirname, '..', '..', 'bin', 'redis-dr.cjs'), 'completion', shell], { encoding: 'utf8' });
      return [shell, r.stdout];
    }),
  ) as Record<'bash' | 'zsh' | 'fish', string>;
  const has = (shell: string) => spawnSync('sh', ['-c', `command -v ${shell}`]).status === 0;
  const dir = mkdtempSync(join(tmpdir(), 'redis-dr-completion-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('bash: parses (bash -n), registers redis-dr (complete -p) and completes commands, subcommands, options and choices', () => {
    const path = file('redis-dr.bash', scripts.bash);
    expect(spawnSync('bash', ['-n', path], { encoding: 'utf8' }).status).toBe(0);
    const complete = (words: string[]) =>
      `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _redis_dr_complete; echo "\${COMPREPLY[*]}"`;
    const script = [
      `source ${path}`,
      'complete -p redis-dr',
      complete(['redis-dr', 'verify']),
      complete(['redis-dr', 'drill', '']),
      complete(['redis-dr', 'migrate', '--on-conflict', '']),
      complete(['redis-dr', 'backup', '--heartbeat-']),
    ].join('\n');
    const r = spawnSync('bash', ['-c', script], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n')).toEqual([
      'complete -o default -F _redis_dr_complete redis-dr',
      'verify-copy verify-rdb',
      'run local --help -h',
      'skip replace fail',
      '--heartbeat-url --heartbeat-start --heartbeat-fail',
      '',
    ]);
  });

  it('bash: every command and every option of the program is in the script (generated, not listed by hand)', () => {
    for (const c of allCommands(program)) {
      if (c !== program) expect(scripts.bash).toContain(`"${commandPath(c)}")`);
      for (const o of c.options.filter((x) => !x.hidden)) expect(scripts.bash).toContain(o.long);
    }
  });

  for (const shell of ['zsh', 'fish'] as const) {
    const present = has(shell);
    // Not silent: the skip names the missing shell in the test's title.
    it.skipIf(!present)(`${shell}: the script parses (${shell} -n)${present ? '' : ` [SKIPPED: ${shell} is not installed on this machine]`}`, () => {
      const path = file(`redis-dr.${shell}`, scripts[shell]);
      const r = spawnSync(shell, ['-n', path], { encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    });
  }

  it.skipIf(!has('fish'))(`fish: completes subcommands and choices${has('fish') ? '' : ' [SKIPPED: fish is not installed on this machine]'}`, () => {
    const path = file('redis-dr-run.fish', scripts.fish);
    const r = spawnSync('fish', ['-c', `source ${path}; complete -C'redis-dr drill '; complete -C'redis-dr migrate --on-conflict '`], { encoding: 'utf8' });
    const words = r.stdout.split('\n').map((l) => l.split('\t')[0]);
    expect(words).toEqual(expect.arrayContaining(['run', 'local', 'skip', 'replace', 'fail']));
  });

  it.skipIf(!has('zsh'))(`zsh: loading it registers redis-dr${has('zsh') ? '' : ' [SKIPPED: zsh is not installed on this machine]'}`, () => {
    const path = file('redis-dr-run.zsh', scripts.zsh);
    const r = spawnSync('zsh', ['-f', '-c', `source ${path}; print -r -- \${_comps[redis-dr]}`], { encoding: 'utf8', env: { ...process.env, HOME: dir } });
    expect(r.stdout).toContain('_redis_dr_complete');
  });

  it('an unknown shell is a usage error naming the choices', async () => {
    const r = await runInProcess(['completion', 'tcsh']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Allowed choices are bash, zsh, fish');
  });
});
