/**
 * The operator CLI: `npx redis-dr <command>`. Exit codes: 0 ok, 1 the check
 * failed (e.g. a corrupt RDB), 2 usage error (bad arguments, unreadable input).
 */
import { Command, CommanderError } from 'commander';
import { compareCommand } from '../cli/compare';
import { migrateCommand } from '../cli/migrate';
import { retentionCommand } from '../cli/retention';
import { verifyRdbCommand } from '../cli/verify-rdb';

const program = new Command()
  .name('redis-dr')
  .description('Backup, DR and restore drills for ElastiCache (Valkey, Redis OSS): operator commands')
  .showHelpAfterError()
  .exitOverride();

verifyRdbCommand(program);
retentionCommand(program);
migrateCommand(program);
compareCommand(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof CommanderError) {
    // --help and --version exit 0; every other parse problem is a usage error.
    process.exit(err.exitCode === 0 ? 0 : 2);
  }
  process.stderr.write(`redis-dr: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
});
