/**
 * The operator CLI's commands, in one program: `bin/redis-dr.ts` runs it and
 * tests drive it in-process (AWS clients mocked at the SDK boundary).
 * Definitions (cli/commands/*) are light; each command's module, and the
 * clients it uses, load only when that command runs.
 *
 * What every command shares is set here, once: a usage error is the error
 * and one line pointing at the command's --help (exit 2); required options
 * are marked in the usage line and the option list; every help ends with the
 * exit codes (cli/exit-codes.ts); a failure follows one rule (cli/failure.ts),
 * with `{ ok: false, error }` on stdout under --json.
 */
import { Command, CommanderError, Help, type Option } from 'commander';
import type { CliEnv } from './aws.js';
// biome-ignore lint/correctness/useImportExtensions: the JSON module is named with its own extension
import { version } from '../package.json';
import { backupCommand } from './commands/backup/command.js';
import { compareCommand } from './commands/compare/command.js';
import { completionCommand } from './commands/completion/command.js';
import { costCommand } from './commands/cost/command.js';
import { pageCommand } from './commands/page/command.js';
import { doctorCommand } from './commands/doctor/command.js';
import { exportCommand } from './commands/export/command.js';
import { drillCommand } from './commands/drill/command.js';
import { migrateCommand } from './commands/migrate/command.js';
import { orgCommand } from './commands/org/command.js';
import { convertRdbCommand } from './commands/convert-rdb/command.js';
import { pruneCommand } from './commands/prune/command.js';
import { attestCommand } from './commands/attest/command.js';
import { policyCommand } from './commands/policy/command.js';
import { reportCommand } from './commands/report/command.js';
import { scrubCommand } from './commands/scrub/command.js';
import { restoreCommand } from './commands/restore/command.js';
import { restoreAofCommand } from './commands/restore-aof/command.js';
import { retentionCommand } from './commands/retention/command.js';
import { selftestCommand } from './commands/selftest/command.js';
import { snapshotCommand } from './commands/snapshot/command.js';
import { shipAofCommand } from './commands/ship-aof/command.js';
import { statusCommand } from './commands/status/command.js';
import { verifyCopyCommand } from './commands/verify-copy/command.js';
import { verifyRdbCommand } from './commands/verify-rdb/command.js';
import { serveCommand } from './commands/serve/command.js';
import { historyCommand } from './commands/history/command.js';
import { exitCodesHelp } from './exit-codes.js';
import { FoundProblem } from '../lambdas/jobs/kernel/found-problem.js';
import { describeFailure, EXIT, reportFailure, setJsonFailures } from './failure.js';

/** The command's words after `redis-dr` (`drill local`; '' for the program itself). */
export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** Every command of the program, depth first (the program itself first). */
export function allCommands(program: Command): Command[] {
  return [program, ...program.commands.flatMap((c) => allCommands(c))];
}

/** A parse problem commander reported, with the command it was in (for the --help pointer and --json). */
export class ParseError extends Error {
  constructor(
    readonly commander: CommanderError,
    readonly path: string,
  ) {
    super(commander.message);
  }
}

/** `(required)` after a mandatory option's description: commander's help does not mark them. */
const help = {
  optionDescription(this: Help, option: Option): string {
    const text = Help.prototype.optionDescription.call(this, option);
    return option.mandatory ? `${text} (required)` : text;
  },
};

/** One command's shared behaviour: the --help pointer after a usage error, the usage line, the exit codes. */
function fitTheShell(cmd: Command): void {
  const path = commandPath(cmd);
  const self = path ? `redis-dr ${path}` : 'redis-dr';
  cmd.showHelpAfterError(`(see \`${self} --help\`)`);
  cmd.exitOverride((err) => {
    throw new ParseError(err, path);
  });
  // A command whose required options depend on each other (restore: --new-id unless --list) sets its own usage line.
  const ownUsage = (cmd as unknown as { _usage?: string })._usage !== undefined;
  if (cmd.commands.length === 0 && path !== '' && !ownUsage) {
    // Required options in the usage line: `--to <url> [options]`, not `[options]` alone.
    const required = cmd.options.filter((o) => o.mandatory).map((o) => `${o.long} ${o.flags.replace(/^.*?(<[^>]+>)?$/, '$1')}`.trim());
    const args = cmd.registeredArguments.map((a) => {
      const name = `${a.name()}${a.variadic ? '...' : ''}`;
      return a.required ? `<${name}>` : `[${name}]`;
    });
    cmd.usage([...required, '[options]', ...args].join(' '));
  }
  cmd.addHelpText('after', exitCodesHelp(path));
}

/** A fresh program (commander keeps parse state, so one per run). */
export function createProgram(env: CliEnv = {}): Command {
  const program = new Command()
    .name('redis-dr')
    .description('Backup, DR and restore drills for ElastiCache (Valkey, Redis OSS): operator commands')
    .version(version, '-V, --version', 'print the redis-dr version')
    .configureHelp(help);
  statusCommand(program, env);
  doctorCommand(program, env);
  restoreCommand(program, env);
  drillCommand(program, env);
  snapshotCommand(program, env);
  exportCommand(program, env);
  verifyCopyCommand(program, env);
  selftestCommand(program, env);
  migrateCommand(program);
  compareCommand(program);
  retentionCommand(program, env);
  costCommand(program);
  pageCommand(program);
  orgCommand(program);
  pruneCommand(program, env);
  verifyRdbCommand(program);
  serveCommand(program, env);
  historyCommand(program, env);
  convertRdbCommand(program);
  reportCommand(program, env);
  backupCommand(program);
  scrubCommand(program);
  attestCommand(program);
  policyCommand(program);
  shipAofCommand(program);
  restoreAofCommand(program);
  completionCommand(program);
  for (const cmd of allCommands(program)) fitTheShell(cmd);
  return program;
}

/** Whether `--json` is among the arguments (before a `--`): a failure then prints `{ ok: false, error }` on stdout too. */
function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
}

/**
 * Runs the program on `argv` (`process.argv` form) and returns the exit code:
 * the command's (0 ok, 1 failed), 0 for --help, 2 for a usage error, and for
 * an error a command throws, the rule of cli/failure.ts (a connection that
 * could not be made, a usage problem or any other error raised before the
 * job ran: 2, printed as `redis-dr <command>: <message>` and a fix).
 */
export async function runProgram(argv: readonly string[], env: CliEnv = {}): Promise<number> {
  const program = createProgram(env);
  let running = '';
  program.hook('preAction', (_program, action) => {
    running = commandPath(action);
  });
  const json = wantsJson(argv);
  setJsonFailures(json);
  try {
    await program.parseAsync([...argv]);
    return Number(process.exitCode ?? 0);
  } catch (err) {
    if (err instanceof ParseError) {
      if (err.commander.exitCode === 0) return 0;
      // commander printed the error and the --help pointer already.
      if (json)
        reportJsonOnly({
          code: 'usage',
          message: err.commander.message.replace(/^error: /, ''),
          fix: `see \`redis-dr${err.path ? ` ${err.path}` : ''} --help\``,
        });
      return EXIT.usage;
    }
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : EXIT.usage;
    // Escaped from an action: before the job ran (a bad input, a connection not made), so 2 unless it is said otherwise:
    // a problem the job found in the data it was given (a corrupt file to serve) is 1, as every corrupt RDB is.
    const problem = describeFailure(err, running);
    return reportFailure(
      running,
      problem.code === 'failed' && !(err instanceof FoundProblem)
        ? { code: 'usage', message: problem.message, fix: `see \`redis-dr${running ? ` ${running}` : ''} --help\``, exitCode: EXIT.usage, fixInMessage: true }
        : problem,
    );
  } finally {
    setJsonFailures(false);
  }
}

function reportJsonOnly(error: { code: string; message: string; fix: string }): void {
  process.stdout.write(`${JSON.stringify({ ok: false, error }, null, 2)}\n`);
}
