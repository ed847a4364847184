import { Option, type Command } from 'commander';
import { duration, formatDuration } from '../../options.js';
import type { ShipAofCliOptions } from './action.js';

/** A duration option: one parser for all of them, its default shown with its unit. */
function durationOption(flags: string, help: string, minMs: number, defaultMs: number): Option {
  const name = flags.split(' ')[0]!;
  return new Option(flags, `${help}; with its unit (ms, s, m, h), at least ${formatDuration(minMs)}`)
    .argParser(duration(name, minMs))
    .default(defaultMs, formatDuration(defaultMs));
}

/** Defines `redis-dr ship-aof` (options and help); its action module loads only when it runs. */
export function shipAofCommand(program: Command): void {
  program
    .command('ship-aof')
    .description(
      'self-managed Redis 7+/Valkey: ship the multi-part AOF continuously (new whole commands only, rewrites followed) for point-in-time restore; runs until SIGTERM',
    )
    .requiredOption('--dir <appendonlydir>', "the server's AOF directory (its dir + appenddirname, e.g. /var/lib/redis/appendonlydir)")
    .requiredOption(
      '--to <dest>',
      'where the history goes: file:///dir (an existing folder, or add --create) or s3://bucket/prefix (one directory per destination)',
    )
    .option('--create', 'make the --to folder when it does not exist (without it a missing folder is refused: a typo must not start a new history)')
    .addOption(durationOption('--interval <duration>', 'how often new bytes are shipped, e.g. 5s (also at once when the manifest changes)', 100, 5000))
    .addOption(durationOption('--rpo <duration>', 'the lag allowed, e.g. 60s: the heartbeat is pinged only while the lag is within it', 1000, 60_000))
    .option('--heartbeat-url <url>', 'pinged while the lag is within --rpo (healthchecks.io style; also REDIS_DR_HEARTBEAT_URL)')
    .addOption(durationOption('--heartbeat-every <duration>', 'at most one ping per this much time, e.g. 60s', 1000, 60_000))
    .option(
      '--redis <url>',
      'the server, to read INFO persistence (aof_enabled) and CONFIG GET aof-timestamp-enabled where allowed: redis://[user@]host[:port] (password percent-encoded in the URL or REDIS_DR_PASSWORD); without it, missing #TS annotations are judged from the files',
    )
    .option('--metrics-file <path>', 'write Prometheus textfile-collector metrics here after every cycle (atomically)')
    .option('--s3-endpoint <url>', 'an S3-compatible endpoint (MinIO, …) for s3:// destinations; path-style addressing')
    .addHelpText(
      'after',
      '\nDurations take a unit: --interval 5s, --rpo 60s (a bare number is refused). Every part is read back (length and SHA-256) before it counts as shipped; the heartbeat is pinged only after a cycle that shipped everything, restorably, within --rpo, and never while the server writes no #TS annotations or AOF is off (a WARNING line and the redis_dr_aof_timestamps_missing / redis_dr_aof_enabled metrics say so).\nLogs to stderr. SIGTERM or Ctrl-C ships what is complete, then stops.\nSee docs/self-managed.md for the systemd unit.',
    )
    .action(async (o: ShipAofCliOptions) => (await import('./action.js')).shipAofAction(o));
}
