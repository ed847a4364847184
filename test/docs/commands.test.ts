import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { createProgram } from '../../cli/program.js';
import { MAX_REDIS_VERSION, VALKEY_VERSIONS } from '../../lambdas/domain/rdb/format/opcodes.js';

/**
 * Every `redis-dr …` command written in README.md and docs/ (code blocks and
 * inline code) must be one the CLI has, with options it defines and the
 * required ones given, a config named wherever the command reads one, and
 * named placeholders (`<plan>`) instead of `…`. Checked against the
 * program's own definitions, so docs and CLI cannot drift apart.
 */

const ROOT = join(__dirname, '..', '..');

function markdownFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? markdownFiles(path) : name.endsWith('.md') ? [path] : [];
  });
}

/** A command as written: where, and its words after `redis-dr`. */
interface Written {
  readonly where: string;
  readonly words: string[];
}

/** Shell words of a command line, up to the first operator or comment (quotes kept simple). */
function words(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/"[^"]*"|'[^']*'|\S+/g)) {
    const w = m[0];
    if (['|', '||', '&&', ';', '>', '2>', '>>', '#'].includes(w) || w.startsWith('#')) break;
    // Usage syntax: `[--json]`, `(--policy <file> | -c <config>)`, `--a|--b`.
    for (const alt of w.replace(/^["'[(]+|["'\])]+$/g, '').split('|')) if (alt !== '') out.push(alt);
  }
  return out;
}

function writtenCommands(file: string, text: string): Written[] {
  const found: Written[] = [];
  let inBlock = false;
  text.split('\n').forEach((line, i) => {
    const where = `${relative(ROOT, file)}:${i + 1}`;
    if (/^\s*```/.test(line)) {
      inBlock = !inBlock;
      return;
    }
    const pieces = inBlock ? [line] : [...line.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
    for (const piece of pieces) {
      for (const m of piece.matchAll(/(?:^|\s|\()(?:npx\s+)?redis-dr\s+([^`]*)/g)) {
        const w = words(m[1]!);
        if (w.length > 0 && /^[a-z-]+$/.test(w[0]!)) found.push({ where, words: w });
      }
    }
  });
  return found;
}

/**
 * Options a command requires unless another is given: commander cannot say
 * so, the command's action checks it (restore: --new-id, except --list), and
 * this check must too, or a runbook could give a restore that only fails.
 */
const REQUIRED_UNLESS: Readonly<Record<string, readonly (readonly [option: string, unless: string])[]>> = {
  'redis-dr restore': [['--new-id', '--list']],
};

/** Problems of one written command against the program. */
function problemsOf(program: Command, written: Written): string[] {
  const problems: string[] = [];
  const [name, ...rest] = written.words;
  let command = program.commands.find((c) => c.name() === name);
  if (!command) return [`${written.where}: unknown command "redis-dr ${name}"`];
  let args = rest;
  if (command.commands.length > 0) {
    const sub = command.commands.find((c) => c.name() === args[0]);
    if (!sub)
      return [`${written.where}: "redis-dr ${name}" needs one of ${command.commands.map((c) => c.name()).join(', ')}, got ${JSON.stringify(args[0] ?? '')}`];
    command = sub;
    args = args.slice(1);
  }
  const label = `redis-dr ${written.words.slice(0, command.parent === program ? 1 : 2).join(' ')}`;
  // A bare name in prose (`redis-dr status`) names the command; only commands written with arguments are checked further.
  const bare = args.length === 0;
  const given = new Set<string>();
  for (const word of args) {
    if (word === '…' || word === '...') problems.push(`${written.where}: "${label}" has a "…" placeholder: write a named one like <plan>`);
    if (!word.startsWith('-')) continue;
    const flag = word.split('=')[0]!;
    const option = command.options.find((o) => o.long === flag || o.short === flag);
    if (!option && !['--help', '-h'].includes(flag)) problems.push(`${written.where}: "${label}" has no option ${flag}`);
    if (option) given.add(option.long ?? flag);
  }
  if (!given.has('--help') && !bare) {
    for (const o of command.options) {
      if (o.required && o.mandatory && !given.has(o.long!)) problems.push(`${written.where}: "${label}" is missing its required option ${o.long}`);
    }
    for (const [option, unless] of REQUIRED_UNLESS[label] ?? []) {
      if (!given.has(option) && !given.has(unless)) problems.push(`${written.where}: "${label}" is missing ${option} (required unless ${unless})`);
    }
    const config = command.options.find((o) => o.long === '--config');
    // retention plan reads a config only with --plan; retention release, report and policy not with --destination (self-managed backups);
    // serve only with --point and no --from (a deployment's recovery point), history only with --plan; report and status not with --org.
    const readsConfig =
      config &&
      (label !== 'redis-dr retention plan' || given.has('--plan')) &&
      (label !== 'redis-dr serve' || (given.has('--point') && !given.has('--from'))) &&
      (label !== 'redis-dr history' || given.has('--plan')) &&
      (!['redis-dr retention release', 'redis-dr report', 'redis-dr policy'].includes(label) || !given.has('--destination')) &&
      (!['redis-dr report', 'redis-dr status'].includes(label) || !given.has('--org'));
    if (readsConfig && !given.has('--config')) problems.push(`${written.where}: "${label}" reads a config: name it with -c config/<env>.json`);
  }
  return problems;
}

describe('redis-dr commands in README.md and docs/', () => {
  const files = [join(ROOT, 'README.md'), ...markdownFiles(join(ROOT, 'docs'))];
  const all = files.flatMap((f) => writtenCommands(f, readFileSync(f, 'utf8')));

  it('finds the commands the runbooks give (so the check below checks something)', () => {
    expect(all.length).toBeGreaterThan(20);
    const names = new Set(all.map((w) => w.words[0]));
    for (const name of ['status', 'restore', 'migrate', 'compare', 'drill', 'prune', 'verify-rdb', 'retention']) expect(names).toContain(name);
  });

  it('every one is a command the CLI has, with options it defines, required ones given and the config named', () => {
    const program = createProgram();
    expect(all.flatMap((w) => problemsOf(program, w))).toEqual([]);
  });

  it.each([
    ['an option the CLI does not have', 'npx redis-dr status -c config/prod.json --verbose', /has no option --verbose/],
    ['a command the CLI does not have', 'npx redis-dr backupz', /unknown command "redis-dr backupz"/],
    ['a missing required option', 'npx redis-dr drill run -c config/prod.json', /missing its required option --plan/],
    ['a config left to the default', 'npx redis-dr status --json', /reads a config: name it with -c/],
    ['an option of the usage syntax the CLI does not have', '`npx redis-dr prune -c <config> --plan <name> --dry-run [--verbose]`', /has no option --verbose/],
    ['an ellipsis placeholder', 'npx redis-dr prune -c config/prod.json --plan … --dry-run', /"…" placeholder/],
    [
      'a restore without --new-id (required unless --list)',
      'npx redis-dr restore -c config/prod.json --target cache-1 --dry-run',
      /"redis-dr restore" is missing --new-id \(required unless --list\)/,
    ],
  ])('reports %s', (_what, line, problem) => {
    const [written] = writtenCommands(join(ROOT, 'x.md'), ['```sh', line, '```'].join('\n'));
    expect(problemsOf(createProgram(), written!).join('\n')).toMatch(problem);
  });
});

describe('what docs/cli.md says the verifier reads', () => {
  it('is the range it reads: RDB 1 to MAX_REDIS_VERSION and the Valkey versions (the page said 3–13 while it read 1–15)', () => {
    const cli = readFileSync(join(__dirname, '..', '..', 'docs', 'cli.md'), 'utf8');
    const said = /header and version \(RDB (\d+)–(\d+), Valkey's (\d+) and (\d+)\)/.exec(cli);
    expect(said, 'the verify-rdb row names the versions it reads').not.toBeNull();
    expect(said!.slice(1).map(Number)).toEqual([1, MAX_REDIS_VERSION, ...VALKEY_VERSIONS]);
  });
});
