/**
 * The operator CLI's commands, in one program: `bin/redis-dr.ts` runs it and
 * tests drive it in-process (AWS clients mocked at the SDK boundary).
 * Definitions (cli/commands/*) are light; each command's module, and the
 * clients it uses, load only when that command runs.
 */
import { Command, CommanderError } from 'commander';
import type { CliEnv } from './aws.js';
// biome-ignore lint/correctness/useImportExtensions: the JSON module is named with its own extension
import { version } from '../package.json';
import { backupCommand } from './commands/backup/command.js';
import { compareCommand } from './commands/compare/command.js';
import { doctorCommand } from './commands/doctor/command.js';
import { drillCommand } from './commands/drill/command.js';
import { migrateCommand } from './commands/migrate/command.js';
import { pruneCommand } from './commands/prune/command.js';
import { restoreCommand } from './commands/restore/command.js';
import { restoreAofCommand } from './commands/restore-aof/command.js';
import { retentionCommand } from './commands/retention/command.js';
import { shipAofCommand } from './commands/ship-aof/command.js';
import { statusCommand } from './commands/status/command.js';
import { verifyRdbCommand } from './commands/verify-rdb/command.js';

/** A fresh program (commander keeps parse state, so one per run). */
export function createProgram(env: CliEnv = {}): Command {
  const program = new Command()
    .name('redis-dr')
    .description('Backup, DR and restore drills for ElastiCache (Valkey, Redis OSS): operator commands')
    .version(version, '-V, --version', 'print the redis-dr version')
    .showHelpAfterError()
    .exitOverride();
  statusCommand(program, env);
  doctorCommand(program, env);
  restoreCommand(program, env);
  drillCommand(program, env);
  migrateCommand(program);
  compareCommand(program);
  retentionCommand(program, env);
  pruneCommand(program, env);
  verifyRdbCommand(program);
  backupCommand(program);
  shipAofCommand(program);
  restoreAofCommand(program);
  return program;
}

/**
 * Runs the program on `argv` (`process.argv` form) and returns the exit code:
 * the command's (0 ok, 1 failed), 0 for --help, 2 for a usage error (a parse
 * problem or any error a command throws, printed as `redis-dr: <message>`).
 */
export async function runProgram(argv: readonly string[], env: CliEnv = {}): Promise<number> {
  try {
    await createProgram(env).parseAsync([...argv]);
    return Number(process.exitCode ?? 0);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    process.stderr.write(`redis-dr: ${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
}
