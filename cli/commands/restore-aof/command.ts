import type { Command } from 'commander';
import type { RestoreAofCliOptions } from './action.js';

/** Defines `redis-dr restore-aof` (options and help); its action module loads only when it runs. */
export function restoreAofCommand(program: Command): void {
  program
    .command('restore-aof')
    .description(
      'rebuild a loadable AOF directory (manifest + files) from what ship-aof shipped, to the newest point or --until a time; then load it in a throwaway server and report its keys',
    )
    .requiredOption('--from <dest>', 'where ship-aof shipped to: file:///dir or s3://bucket/prefix')
    .requiredOption('--to <dir>', 'the AOF directory to write (new, or empty)')
    .option(
      '--until <time>',
      'the data as of this moment: unix seconds (`date -u +%s`, a #TS:<seconds> line), an ISO time with its zone (2026-11-23T14:05:00Z), or what `date -u -d @<seconds>` prints (needs aof-timestamp-enabled yes; the AOF records whole seconds: commands of the second it falls in are left out)',
    )
    .option('--no-load', 'do not load the result in a throwaway server')
    .option(
      '--through-flush',
      'the history restored replays a FLUSHALL or FLUSHDB and that is meant: exit 0 (without it such a restore is written and named, with the --until that restores to before it, and exits 1)',
    )
    .option(
      '--or-shipped-end',
      "with --until past what the shipped history is known to hold (ship-aof's shipped-through record, or a later #TS shipped): restore everything shipped instead of refusing; it is kept in --to, said, and exits 1",
    )
    .option(
      '--server-bin <path>',
      'the server binary for the load (default: redis-server, else valkey-server, on PATH); checked (its --version) before anything is written',
    )
    .option('--s3-endpoint <url>', 'an S3-compatible endpoint (MinIO, …) for s3:// destinations; path-style addressing')
    .option('--json', 'print the report as JSON')
    .action(async (o: RestoreAofCliOptions) => (await import('./action.js')).restoreAofAction(o));
}
