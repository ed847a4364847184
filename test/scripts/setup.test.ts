import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..', '..');
const SETUP = join(ROOT, 'scripts', 'setup.sh');

/** What the script itself runs, found on this machine: a PATH of these alone is a machine without the tools. */
const BASICS = ['node', 'bash', 'dirname', 'awk', 'id', 'sed', 'cat', 'env'];

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A bin folder holding only the basics, plus `extra` scripts (name → body). */
function machine(extra: Record<string, string> = {}): string {
  const bin = mkdtempSync(join(tmpdir(), 'redis-dr-setup-'));
  dirs.push(bin);
  for (const name of BASICS) {
    const found = spawnSync('bash', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
    if (!found) throw new Error(`${name} is not on this machine's PATH`);
    symlinkSync(found, join(bin, name));
  }
  for (const [name, body] of Object.entries(extra)) {
    writeFileSync(join(bin, name), `#!${join(bin, 'bash')}\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  }
  return bin;
}

function setup(bin: string, ...args: string[]) {
  return spawnSync(join(bin, 'bash'), [SETUP, ...args], { encoding: 'utf8', env: { PATH: bin, HOME: bin }, timeout: 30_000 });
}

describe('scripts/setup.sh (npm run setup: the README first line and .ci/run)', () => {
  it('on a machine without redis-server and no package manager, names what is missing and the command to run, in one line, exit 1', () => {
    const r = setup(machine(), '--no-npm');
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^setup: missing: redis-server \(the demo and the tests start throwaway servers\)$/m);
    const last = r.stdout.trim().split('\n').at(-1);
    expect(last).toBe(
      'setup: no apt-get or Homebrew here: install redis-server redis-tools lz4 systemd zsh fish chromium e2fsprogs (Debian package names) with your package manager, then run npm run setup again',
    );
  });

  it('says what it will install, then installs it with apt-get (as root here)', () => {
    const bin = machine({
      'apt-get': 'echo "$*" >> "$HOME/apt-get.calls"',
      // cfn-lint and moto present: only the Debian packages are asked for.
      'cfn-lint': 'exit 0',
      python3: 'exit 0',
    });
    const r = setup(bin, '--no-npm');
    const calls = readFileSync(join(bin, 'apt-get.calls'), 'utf8').trim().split('\n');
    expect(r.stdout).toMatch(/^setup: installing with apt-get: redis-server redis-tools lz4 systemd zsh fish chromium e2fsprogs$/m);
    expect(calls).toEqual(['update -qq', 'install -y -qq redis-server redis-tools lz4 systemd zsh fish chromium e2fsprogs']);
    // The announcement comes before the install.
    expect(r.stdout.indexOf('missing: redis-server')).toBeLessThan(r.stdout.indexOf('installing with apt-get'));
    expect(r.status).toBe(0);
  });

  it('installs moto with pip when python3 cannot import it, saying so first', () => {
    const tools = ['redis-server', 'redis-check-rdb', 'lz4', 'systemd-analyze', 'zsh', 'fish', 'chromium', 'chattr', 'cfn-lint'];
    const bin = machine({
      ...Object.fromEntries(tools.map((t) => [t, 'exit 0'])),
      // No moto until pip installed it.
      python3: '[ "$1" = -m ] && { echo "$*" >> "$HOME/pip.calls"; : > "$HOME/moto"; exit 0; }; [ -e "$HOME/moto" ]',
    });
    const r = setup(bin, '--no-npm');
    expect(r.stdout).toMatch(/^setup: missing: moto \(the tests run the S3 store against a real S3 API, moto's server; from pip\)$/m);
    expect(r.stdout).toMatch(/^setup: installing moto with pip/m);
    expect(readFileSync(join(bin, 'pip.calls'), 'utf8').trim().split('\n')).toEqual(['-m pip install --quiet moto[server]']);
    expect(r.status).toBe(0);
    // Then nothing is missing.
    expect(setup(bin, '--check').stdout).toMatch(/^setup: system tools present: .*, moto$/m);
  });

  it('takes valkey-server in place of redis-server', () => {
    const r = setup(machine({ 'valkey-server': 'exit 0' }), '--check');
    expect(r.status).toBe(1);
    expect(r.stdout).not.toMatch(/missing: redis-server/);
    expect(r.stdout).toMatch(/missing: redis-tools/);
  });

  it('--check on this machine (set up by .ci/run): nothing missing, exit 0', () => {
    const r = spawnSync('bash', [SETUP, '--check'], { encoding: 'utf8' });
    expect(r.stdout).toMatch(/^setup: system tools present: /m);
    expect(r.status).toBe(0);
  });

  it('refuses an unknown option with exit 2', () => {
    const r = spawnSync('bash', [SETUP, '--yes'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown option --yes/);
  });
});
