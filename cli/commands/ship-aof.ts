import type { Command } from 'commander';
import { duration } from '../options';

/** Options of `redis-dr ship-aof`, as commander parses them (durations in ms). */
export interface ShipAofCliOptions {
  dir: string;
  to: string;
  interval: number;
  rpo: number;
  heartbeatUrl?: string;
  heartbeatEvery: number;
  metricsFile?: string;
  s3Endpoint?: string;
}

/** Defines `redis-dr ship-aof` (options and help); its action module loads only when it runs. */
export function shipAofCommand(program: Command): void {
  program
    .command('ship-aof')
    .description('self-managed Redis 7+/Valkey: ship the multi-part AOF continuously (new whole commands only, rewrites followed) for point-in-time restore; runs until SIGTERM')
    .requiredOption('--dir <appendonlydir>', "the server's AOF directory (its dir + appenddirname, e.g. /var/lib/redis/appendonlydir)")
    .requiredOption('--to <dest>', 'where the history goes: file:///dir or s3://bucket/prefix (one directory per destination)')
    .option('--interval <duration>', 'how often new bytes are shipped (also at once when the manifest changes)', duration('--interval', 100), 5000)
    .option('--rpo <duration>', 'the lag allowed: the heartbeat is pinged only while the lag is within it', duration('--rpo', 1000), 60_000)
    .option('--heartbeat-url <url>', 'pinged while the lag is within --rpo (healthchecks.io style; also REDIS_DR_HEARTBEAT_URL)')
    .option('--heartbeat-every <duration>', 'at most one ping per this much time', duration('--heartbeat-every', 1000), 60_000)
    .option('--metrics-file <path>', 'write Prometheus textfile-collector metrics here after every cycle (atomically)')
    .option('--s3-endpoint <url>', 'an S3-compatible endpoint (MinIO, …) for s3:// destinations; path-style addressing')
    .addHelpText(
      'after',
      '\nLogs to stderr. SIGTERM or Ctrl-C ships what is complete and exits 0; exit 1 when the destination holds another directory\'s history; 2 usage (not an AOF directory, a manifest it does not understand).\nSee docs/self-managed.md for the systemd unit.',
    )
    .action(async (o: ShipAofCliOptions) => (await import('../ship-aof.js')).shipAofAction(o));
}
