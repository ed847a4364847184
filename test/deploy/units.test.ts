import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { type Command, CommanderError } from 'commander';
import { CronExpressionParser } from 'cron-parser';
import { describe, expect, it } from 'vitest';
import { createProgram, ParseError } from '../../cli/program.js';

/**
 * deploy/systemd/* and deploy/cron/redis-dr: what operators copy onto a host.
 * Checked twice: by systemd itself (`systemd-analyze verify` on a throwaway
 * root), and by a parser that holds them to this project's rules — every
 * directive one systemd knows, absolute paths, the hardening present, no
 * MemoryDenyWriteExecute= (Node's JIT), and each redis-dr command line run
 * through the real CLI's option parser, so a renamed option fails here.
 */

const ROOT = join(__dirname, '..', '..');
const SYSTEMD_DIR = join(ROOT, 'deploy', 'systemd');
const CRON_FILE = join(ROOT, 'deploy', 'cron', 'redis-dr');
/** Where `npm install -g` puts the bin with Debian's nodejs: the path the units' comments explain. */
const INSTALLED_BIN = '/usr/local/bin/redis-dr';
/** The command each unit runs (swapping them is a problem too). */
const UNIT_COMMANDS: Readonly<Record<string, string>> = {
  'redis-dr-backup.service': 'backup',
  'redis-dr-ship-aof.service': 'ship-aof',
};

const units = readdirSync(SYSTEMD_DIR)
  .filter((f) => /\.(service|timer)$/.test(f))
  .sort();
const unitText = (name: string) => readFileSync(join(SYSTEMD_DIR, name), 'utf8');

interface Directive {
  readonly section: string;
  readonly key: string;
  readonly value: string;
  readonly line: number;
}

/** systemd's unit syntax: `[Section]`, `Key=value`, `#`/`;` comments, a trailing backslash continues a line. */
function parseUnit(text: string): { directives: Directive[]; problems: string[] } {
  const directives: Directive[] = [];
  const problems: string[] = [];
  let section = '';
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const at = i + 1;
    let line = lines[i]!.trim();
    while (line.endsWith('\\') && i + 1 < lines.length) line = `${line.slice(0, -1)} ${lines[++i]!.trim()}`;
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[([A-Za-z]+)\]$/.exec(line);
    if (header) section = header[1]!;
    else {
      const kv = /^([A-Za-z][A-Za-z0-9]*)=(.*)$/.exec(line);
      if (!kv || section === '') problems.push(`line ${at}: not a [Section] or Key=value inside one: ${line}`);
      else directives.push({ section, key: kv[1]!, value: kv[2]!.trim(), line: at });
    }
  }
  return { directives, problems };
}

/**
 * Directives systemd 252 (Debian 12) knows, by section: the ones these units
 * may use. A directive outside it is reported (add it here only if systemd
 * has it: the test below checks this list against `systemd --dump-configuration-items`).
 */
const KNOWN: Readonly<Record<string, readonly string[]>> = {
  Unit: ['Description', 'Documentation', 'After', 'Before', 'Wants', 'Requires', 'BindsTo', 'PartOf', 'Conflicts', 'OnFailure', 'OnSuccess'],
  Service: [
    'Type',
    'User',
    'Group',
    'SupplementaryGroups',
    'EnvironmentFile',
    'Environment',
    'ExecStart',
    'ExecStartPre',
    'ExecStopPost',
    'WorkingDirectory',
    'TimeoutStartSec',
    'TimeoutStopSec',
    'KillSignal',
    'KillMode',
    'Restart',
    'RestartSec',
    'RestartPreventExitStatus',
    'SuccessExitStatus',
    'Nice',
    'IOSchedulingClass',
    'IOSchedulingPriority',
    'CPUSchedulingPolicy',
    'LimitNOFILE',
    'LimitFSIZE',
    'ProtectSystem',
    'ProtectHome',
    'ReadWritePaths',
    'ReadOnlyPaths',
    'InaccessiblePaths',
    'StateDirectory',
    'LogsDirectory',
    'PrivateTmp',
    'PrivateDevices',
    'NoNewPrivileges',
    'CapabilityBoundingSet',
    'AmbientCapabilities',
    'ProtectKernelTunables',
    'ProtectKernelModules',
    'ProtectKernelLogs',
    'ProtectControlGroups',
    'ProtectClock',
    'ProtectHostname',
    'ProtectProc',
    'ProcSubset',
    'RestrictAddressFamilies',
    'RestrictNamespaces',
    'RestrictRealtime',
    'RestrictSUIDSGID',
    'LockPersonality',
    'SystemCallArchitectures',
    'SystemCallFilter',
    'SystemCallErrorNumber',
    'UMask',
  ],
  Timer: ['OnCalendar', 'OnBootSec', 'OnUnitActiveSec', 'RandomizedDelaySec', 'AccuracySec', 'Persistent', 'Unit'],
  Install: ['WantedBy', 'RequiredBy', 'Alias', 'Also'],
};
/** Unit-section directives whose systemd name differs from their place in `--dump-configuration-items`. */
const UNIT_LEVEL_LIMITS = ['StartLimitIntervalSec', 'StartLimitBurst'];

/** What every service here must set: the hardening the docs promise. */
const REQUIRED_IN_SERVICE: readonly (readonly [key: string, value: RegExp])[] = [
  ['User', /^redis$/],
  ['EnvironmentFile', /^\/etc\/redis-dr\/[a-z-]+\.env$/],
  ['ProtectSystem', /^strict$/],
  ['ReadWritePaths', /^\S/],
  ['NoNewPrivileges', /^yes$/],
  ['PrivateTmp', /^yes$/],
  ['ProtectHome', /^yes$/],
  ['ProtectKernelTunables', /^yes$/],
  ['ProtectKernelModules', /^yes$/],
  ['CapabilityBoundingSet', /^$/],
  ['RestrictAddressFamilies', /^AF_UNIX AF_INET AF_INET6( AF_NETLINK)?$/],
];

/** Shell-like words (systemd's ExecStart and sh both split on blanks; quotes kept simple). */
function shellWords(text: string): string[] {
  return [...text.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
}

/**
 * Problems of `redis-dr <args>` by the CLI's own parser: commander's checks
 * (unknown options, required ones, each option's value parser) on the real
 * program, its actions replaced so nothing runs. `expected` is the command
 * the caller means.
 */
async function cliProblems(args: readonly string[], expected: string): Promise<string[]> {
  const program = createProgram();
  const errors: string[] = [];
  let ran: string | undefined;
  const quiet = (c: Command): void => {
    c.configureOutput({ writeOut: () => {}, writeErr: () => {}, outputError: (s) => errors.push(s.trim()) });
    c.action((...a: unknown[]) => {
      ran = (a[a.length - 1] as Command).name();
    });
    for (const sub of c.commands) quiet(sub);
  };
  for (const c of program.commands) quiet(c);
  program.configureOutput({ writeOut: () => {}, writeErr: () => {}, outputError: (s) => errors.push(s.trim()) });
  try {
    await program.parseAsync([...args], { from: 'user' });
  } catch (err) {
    // The program wraps commander's error with the command it came from.
    const commander = err instanceof ParseError ? err.commander : err;
    if (!(commander instanceof CommanderError)) throw err;
    if (errors.length === 0) errors.push(commander.message);
  }
  if (errors.length === 0 && ran !== expected) errors.push(`runs "redis-dr ${ran ?? args[0]}", expected "redis-dr ${expected}"`);
  return errors.map((e) => `redis-dr ${args.join(' ')}: ${e}`);
}

/** The redis-dr words of an ExecStart value, or a problem when it does not run the installed bin. */
function execStartArgs(value: string): { args?: string[]; problem?: string } {
  const [bin, ...args] = shellWords(value.replace(/^[-@:+!]+/, ''));
  if (bin !== INSTALLED_BIN) return { problem: `ExecStart runs ${bin}, not the installed ${INSTALLED_BIN}` };
  return { args };
}

/** Every problem of one unit file against this project's rules (the CLI check included). */
async function unitProblems(name: string, text: string): Promise<string[]> {
  const { directives, problems } = parseUnit(text);
  const out = problems.map((p) => `${name}: ${p}`);
  const say = (d: Directive, what: string) => out.push(`${name}:${d.line}: ${d.key}=${d.value}: ${what}`);
  const kind = name.endsWith('.timer') ? 'Timer' : 'Service';
  for (const d of directives) {
    const allowed =
      d.section === 'Unit' ? [...KNOWN.Unit!, ...UNIT_LEVEL_LIMITS] : d.section === kind || d.section === 'Install' ? KNOWN[d.section] : undefined;
    if (!allowed) say(d, `section [${d.section}] does not belong in a .${kind.toLowerCase()} file`);
    else if (!allowed.includes(d.key)) say(d, `not a directive known in [${d.section}] (a typo? see systemd.directives(7))`);
    if (d.key === 'MemoryDenyWriteExecute') say(d, "must not be set: Node's JIT writes code, then executes it (Node aborts under it)");
    if (['EnvironmentFile', 'WorkingDirectory'].includes(d.key) && !isAbsolute(d.value.replace(/^-/, ''))) say(d, 'must be an absolute path');
    if (['ReadWritePaths', 'ReadOnlyPaths', 'InaccessiblePaths'].includes(d.key)) {
      for (const p of d.value.split(/\s+/).filter(Boolean)) if (!isAbsolute(p.replace(/^[-+]+/, ''))) say(d, `${p} must be an absolute path`);
    }
  }
  if (kind === 'Service') {
    const get = (key: string) => directives.filter((d) => d.section === 'Service' && d.key === key);
    for (const [key, value] of REQUIRED_IN_SERVICE) {
      if (!get(key).some((d) => value.test(d.value))) out.push(`${name}: [Service] needs ${key}= matching ${value}`);
    }
    // Local mode checks that --redis names this host with os.networkInterfaces(), a netlink socket: without it the backup exits 2.
    if (UNIT_COMMANDS[name] === 'backup' && !get('RestrictAddressFamilies').some((d) => d.value.split(/\s+/).includes('AF_NETLINK')))
      out.push(`${name}: RestrictAddressFamilies= needs AF_NETLINK (the backup lists this host's addresses through a netlink socket)`);
    const starts = get('ExecStart');
    if (starts.length !== 1) out.push(`${name}: [Service] needs exactly one ExecStart=, found ${starts.length}`);
    for (const d of starts) {
      const { args, problem } = execStartArgs(d.value);
      if (problem) say(d, problem);
      else out.push(...(await cliProblems(args!, UNIT_COMMANDS[name] ?? '?')).map((p) => `${name}:${d.line}: ${p}`));
    }
  }
  return out;
}

/** A cron.d entry: the schedule, the user, the command; commented entries (`#* * * * * …`) too. */
interface CronEntry {
  readonly line: number;
  readonly schedule: string;
  readonly user: string;
  readonly command: string;
}

function cronEntries(text: string): { entries: CronEntry[]; env: Record<string, string>; problems: string[] } {
  const entries: CronEntry[] = [];
  const env: Record<string, string> = {};
  const problems: string[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    const entry = /^#?((?:\S+\s+){4}\S+)\s+(\S+)\s+(.+)$/.exec(line);
    const isEntry = entry && /^[\d*]/.test(entry[1]!);
    if (line.startsWith('#') && !isEntry) return;
    const assignment = /^([A-Z_]+)=(.*)$/.exec(line);
    if (assignment) env[assignment[1]!] = assignment[2]!;
    else if (isEntry) entries.push({ line: i + 1, schedule: entry[1]!, user: entry[2]!, command: entry[3]! });
    else problems.push(`line ${i + 1}: neither NAME=value nor a cron.d entry: ${line}`);
  });
  return { entries, env, problems };
}

/** Every problem of the cron file: schedule, user, shell syntax, lock, env file, and the redis-dr command through the CLI. */
async function cronProblems(text: string): Promise<string[]> {
  const { entries, env, problems } = cronEntries(text);
  const out = [...problems];
  if (!(env.PATH ?? '').split(':').includes('/usr/local/bin')) out.push('PATH must include /usr/local/bin (where npm install -g puts redis-dr)');
  if (entries.length === 0) out.push('no cron entries');
  for (const e of entries) {
    const at = `line ${e.line}`;
    try {
      CronExpressionParser.parse(e.schedule);
    } catch (err) {
      out.push(`${at}: schedule ${e.schedule}: ${(err as Error).message}`);
    }
    if (e.user !== 'redis') out.push(`${at}: runs as ${e.user}, not redis`);
    // cron turns an unescaped % into a newline: a command with one is not the one written.
    if (e.command.includes('%')) out.push(`${at}: has a %, which cron turns into a newline`);
    const syntax = spawnSync('sh', ['-n', '-c', e.command], { encoding: 'utf8' });
    if (syntax.status !== 0) out.push(`${at}: sh -n: ${syntax.stderr.trim()}`);
    const shape = /^flock -n (\/\S+\.lock) sh -c '([^']*)' >> (\/\S+) 2>&1$/.exec(e.command);
    if (!shape) {
      out.push(`${at}: not "flock -n <lock> sh -c '<script>' >> <log> 2>&1"`);
      continue;
    }
    const script = /^set -a; \. (\/etc\/redis-dr\/[a-z-]+\.env); exec redis-dr (.+)$/.exec(shape[2]!);
    if (!script) {
      out.push(`${at}: the script is not "set -a; . /etc/redis-dr/<job>.env; exec redis-dr <command> …"`);
      continue;
    }
    const args = shellWords(script[2]!);
    out.push(...(await cliProblems(args, args[0]!)).map((p) => `${at}: ${p}`));
  }
  return out;
}

describe('deploy/systemd units, by the project rules and the CLI parser', () => {
  it('ships the backup service, its timer and the ship-aof service', () => {
    expect(units).toEqual(['redis-dr-backup.service', 'redis-dr-backup.timer', 'redis-dr-ship-aof.service']);
  });

  it.each(units)('%s: directives known, paths absolute, hardening present, ExecStart a real command', async (name) => {
    expect(await unitProblems(name, unitText(name))).toEqual([]);
  });

  it('the timer starts the backup service, hourly', () => {
    const { directives } = parseUnit(unitText('redis-dr-backup.timer'));
    const calendar = directives.find((d) => d.key === 'OnCalendar')!.value;
    expect(calendar).toBe('*-*-* *:07:00');
    // A timer starts the service of its own name: no Unit= needed, and none pointing elsewhere.
    expect(directives.find((d) => d.key === 'Unit')).toBeUndefined();
    expect(directives.find((d) => d.key === 'WantedBy')?.value).toBe('timers.target');
  });

  it('each unit runs the command docs/self-managed.md shows', () => {
    const docs = readFileSync(join(ROOT, 'docs', 'self-managed.md'), 'utf8');
    for (const name of Object.keys(UNIT_COMMANDS)) {
      const start = parseUnit(unitText(name)).directives.find((d) => d.key === 'ExecStart')!;
      expect(docs, name).toContain(`redis-dr ${execStartArgs(start.value).args!.join(' ')}`);
    }
    for (const file of [...units.map((u) => `deploy/systemd/${u}`), 'deploy/cron/redis-dr']) expect(docs).toContain(file);
    expect(docs).toContain('npm install -g ./redis-dr-');
    expect(docs).not.toContain('/opt/redis-dr');
  });

  it.each([
    ['a misspelt directive', '\nProtectSystem=strict', '\nProtectSystm=strict', /ProtectSystm=strict: not a directive known in \[Service\]/],
    ['MemoryDenyWriteExecute=', 'NoNewPrivileges=yes', 'NoNewPrivileges=yes\nMemoryDenyWriteExecute=yes', /MemoryDenyWriteExecute=yes: must not be set/],
    ['a relative path', 'ReadWritePaths=/var/backups/redis', 'ReadWritePaths=var/backups/redis', /var\/backups\/redis must be an absolute path/],
    ['hardening left out', 'NoNewPrivileges=yes\n', '', /needs NoNewPrivileges= matching/],
    ['AF_NETLINK left out', 'AF_INET6 AF_NETLINK', 'AF_INET6', /RestrictAddressFamilies= needs AF_NETLINK/],
    ['an option the CLI does not have', '--metrics-file', '--metric-file', /unknown option '--metric-file'/],
    ['a required option left out', ' --to file:///var/backups/redis', '', /required option '--to <dest>' not specified/],
    [
      'another bin than the installed one',
      'ExecStart=/usr/local/bin/redis-dr',
      'ExecStart=/usr/bin/node /opt/redis-dr/bin/redis-dr.cjs',
      /runs \/usr\/bin\/node, not the installed/,
    ],
  ])('reports %s in redis-dr-backup.service', async (_what, from, to, problem) => {
    const text = unitText('redis-dr-backup.service');
    expect(text).toContain(from);
    expect((await unitProblems('redis-dr-backup.service', text.replace(from, to))).join('\n')).toMatch(problem);
  });

  it('reports a unit that runs another command than its own', async () => {
    const problems = await unitProblems('redis-dr-ship-aof.service', unitText('redis-dr-backup.service'));
    expect(problems.join('\n')).toMatch(/runs "redis-dr backup", expected "redis-dr ship-aof"/);
  });

  it('reports a duration the CLI refuses in redis-dr-ship-aof.service', async () => {
    const text = unitText('redis-dr-ship-aof.service').replace('--interval 5s', '--interval 5');
    expect((await unitProblems('redis-dr-ship-aof.service', text)).join('\n')).toMatch(/--interval/);
  });
});

describe('deploy/cron/redis-dr, by the CLI parser and sh', () => {
  const text = readFileSync(CRON_FILE, 'utf8');

  it('every entry: a valid schedule, as redis, sh syntax, flock, the env file, a real redis-dr command', async () => {
    expect(cronEntries(text).entries.map((e) => /exec redis-dr (\S+)/.exec(e.command)?.[1])).toEqual(['backup', 'ship-aof']);
    expect(await cronProblems(text)).toEqual([]);
  });

  it('runs the same commands as the systemd units', () => {
    for (const name of Object.keys(UNIT_COMMANDS)) {
      const start = parseUnit(unitText(name)).directives.find((d) => d.key === 'ExecStart')!;
      expect(text, name).toContain(`exec redis-dr ${execStartArgs(start.value).args!.join(' ')}'`);
    }
  });

  it.each([
    ['an option the CLI does not have', '--heartbeat-fail', '--heartbeat-fails', /unknown option '--heartbeat-fails'/],
    ['a bad schedule', '7 * * * * redis', '7 * * 13 * redis', /schedule 7 \* \* 13 \*/],
    ['a % (a newline to cron)', '2>&1\n\n#', '2>&1 # 50%\n\n#', /has a %/],
    ['an unclosed quote', ".prom' >> /var/log/redis-dr/backup.log", '.prom >> /var/log/redis-dr/backup.log', /sh -n|not "flock -n/],
    ['no lock', 'redis flock -n /run/lock/redis-dr-backup.lock sh', 'redis sh', /not "flock -n/],
    ['root instead of redis', '7 * * * * redis', '7 * * * * root', /runs as root, not redis/],
  ])('reports %s', async (_what, from, to, problem) => {
    expect(text).toContain(from);
    expect((await cronProblems(text.replace(from, to))).join('\n')).toMatch(problem);
  });
});

/** The directory of the host's own units (the targets the units depend on), if systemd is installed. */
const hostUnitDir = ['/usr/lib/systemd/system', '/lib/systemd/system'].find((d) => existsSync(join(d, 'sysinit.target')));
const analyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
const analyzeMissing =
  analyze.status !== 0 || hostUnitDir === undefined
    ? `systemd-analyze${analyze.status !== 0 ? ' is not installed' : ' found no host units (sysinit.target)'}: the units were checked by the parser tests only (Debian's systemd package; .ci/run installs it)`
    : undefined;
if (analyzeMissing) console.warn(`SKIPPED systemd-analyze verify: ${analyzeMissing}`);

/** Targets the units reach through their dependencies (default ones included). */
const TARGETS = [
  'sysinit.target',
  'basic.target',
  'shutdown.target',
  'timers.target',
  'multi-user.target',
  'network-online.target',
  'time-set.target',
  'time-sync.target',
];

/**
 * `systemd-analyze verify` of `files` in a throwaway root: the units in its
 * /etc/systemd/system, the host's targets beside them, and an executable stub
 * at each ExecStart path (verify requires the binary; the test must not
 * install one on the host) unless `stubs` is false. Its output is the
 * problems: verify warns about an unknown key or a bad value but exits 0.
 */
function verify(files: Readonly<Record<string, string>>, stubs = true): { status: number | null; output: string } {
  const root = mkdtempSync(join(tmpdir(), 'redis-dr-units-'));
  try {
    const etc = join(root, 'etc', 'systemd', 'system');
    const lib = join(root, 'usr', 'lib', 'systemd', 'system');
    mkdirSync(etc, { recursive: true });
    mkdirSync(lib, { recursive: true });
    for (const t of TARGETS) if (existsSync(join(hostUnitDir!, t))) copyFileSync(join(hostUnitDir!, t), join(lib, t));
    for (const [name, text] of Object.entries(files)) {
      writeFileSync(join(etc, name), text);
      for (const d of parseUnit(text).directives.filter((x) => x.key.startsWith('Exec') && stubs)) {
        const bin = join(root, shellWords(d.value.replace(/^[-@:+!]+/, ''))[0]!);
        mkdirSync(dirname(bin), { recursive: true });
        writeFileSync(bin, '#!/bin/sh\nexit 0\n');
        chmodSync(bin, 0o755);
      }
    }
    const r = spawnSync('systemd-analyze', ['verify', `--root=${root}`, '--man=no', '--generators=no', ...Object.keys(files)], {
      encoding: 'utf8',
      env: { ...process.env, SYSTEMD_COLORS: '0', SYSTEMD_LOG_LEVEL: 'notice' },
    });
    return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

describe.skipIf(analyzeMissing !== undefined)('deploy/systemd units, by systemd-analyze verify', () => {
  const all = Object.fromEntries(units.map((u) => [u, unitText(u)]));

  it('verify passes every unit with nothing to say', () => {
    expect(verify(all)).toEqual({ status: 0, output: '' });
  });

  it.each([
    ['a misspelt directive', '\nProtectSystem=strict', '\nProtectSystm=strict', /Unknown key 'ProtectSystm'|Unknown key name 'ProtectSystm'/],
    ['a value systemd cannot parse', 'Type=oneshot', 'Type=oneshoot', /oneshoot/],
    ['a time span systemd cannot parse', 'TimeoutStartSec=4h', 'TimeoutStartSec=4 fortnights', /TimeoutStartSec|fortnights/],
  ])('verify reports %s', (_what, from, to, problem) => {
    expect(all['redis-dr-backup.service']).toContain(from);
    const r = verify({ ...all, 'redis-dr-backup.service': all['redis-dr-backup.service']!.replace(from, to) });
    expect(r.output).toMatch(problem);
  });

  it('verify fails when the ExecStart binary is not there', () => {
    const r = verify({ 'redis-dr-ship-aof.service': all['redis-dr-ship-aof.service']! }, false);
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/\/usr\/local\/bin\/redis-dr is not executable/);
  });

  it('the directives the parser accepts are ones this systemd knows', () => {
    const manager = ['/usr/lib/systemd/systemd', '/lib/systemd/systemd'].find((p) => existsSync(p));
    expect(manager, 'the systemd binary beside systemd-analyze').toBeDefined();
    const dump = spawnSync(manager!, ['--dump-configuration-items'], { encoding: 'utf8' }).stdout;
    const known = new Map<string, Set<string>>();
    let section = '';
    for (const line of dump.split('\n')) {
      const header = /^\[(\w+)\]$/.exec(line);
      if (header) section = header[1]!;
      else if (/^\w+=/.test(line)) known.set(section, (known.get(section) ?? new Set()).add(line.split('=')[0]!));
    }
    const unknown = Object.entries({ ...KNOWN, Unit: [...KNOWN.Unit!, ...UNIT_LEVEL_LIMITS] }).flatMap(([s, keys]) =>
      keys.filter((k) => !known.get(s)?.has(k)).map((k) => `[${s}] ${k}`),
    );
    expect(unknown).toEqual([]);
  });
});
