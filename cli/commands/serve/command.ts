import type { Command } from 'commander';
import { intInRange } from '../../options.js';

/** Defines `redis-dr serve` (options and help); its action module loads only when it runs. */
export function serveCommand(program: Command): void {
  program
    .command('serve')
    .description(
      'serve a recovery point read-only over the Redis protocol (redis-cli, ioredis, migrate, compare): verified and indexed first, values read at their offsets; writes are refused with READONLY',
    )
    .argument('<file>', 'the .rdb file: a path, or s3://<bucket>/<key> (default AWS credential chain; values read with ranged GETs)')
    .option('--bind <address>', 'address to listen on (loopback unless you mean to share the point)', '127.0.0.1')
    .option(
      '--port <n>',
      'port to listen on; 0 picks a free one (the first line printed says which)',
      intInRange('--port', 0, 65535, 'use a port from 0 (a free one) to 65535'),
      6379,
    )
    .option('--requirepass-env <var>', 'clients must AUTH with the password in this environment variable (never on the command line)')
    .action(async (file: string, options: { bind: string; port: number; requirepassEnv?: string }) => (await import('./action.js')).serveAction(file, options));
}
