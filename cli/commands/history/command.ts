import { type Command, InvalidArgumentError } from 'commander';
import type { CliEnv } from '../../aws.js';
import { INSTANT_FORMATS, parseInstant } from '../../instant.js';
import { CONFIG_HELP, intInRange } from '../../options.js';

/**
 * `--since`: an age back from now (90m, 24h, 7d) or a time with its zone ({@link parseInstant}'s forms). A time
 * without one is refused: read in the zone of the machine the CLI runs on, it would move the baseline by hours.
 */
export function sinceTime(now: () => number = Date.now): (value: string) => Date {
  return (value) => {
    const ago = /^(\d+)(m|h|d)$/.exec(value.trim());
    if (ago) return new Date(now() - Number(ago[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[ago[2] as 'm' | 'h' | 'd']);
    return new Date(
      parseInstant(value, (why) => new InvalidArgumentError(`--since ${value} is no time${why}: write an age such as 90m, 24h or 7d, or ${INSTANT_FORMATS}`)),
    );
  };
}

/** `--key-base64`: a key's bytes in base64 (the canonical form, as `--json` prints `keyBase64`), refused when it is not. */
export function keyBase64(value: string): Buffer {
  const bytes = Buffer.from(value, 'base64');
  if (value.length === 0 || bytes.toString('base64') !== value)
    throw new InvalidArgumentError(`--key-base64 ${value} is not base64: give the key's bytes in base64, as --json prints keyBase64 (user:1 is dXNlcjox)`);
  return bytes;
}

/** Defines `redis-dr history` (options and help); its action module loads only when it runs. */
export function historyCommand(program: Command, env: CliEnv = {}): void {
  program
    .command('history')
    .description(
      'follow a key through every backup a destination retains: whether it existed, its type, size, TTL and value digest at each point, and where it appeared, changed or vanished (or, with --match, which keys changed)',
    )
    .usage('<key> | --key-base64 <bytes> | --match <pattern>  (--from <destination> | -c <config> --plan <name>) [options]')
    .argument('[key]', 'the key to follow (or --match <pattern>)')
    .option('--from <destination>', "the backups' destination: a folder (file:///absolute/dir) or s3://<bucket>/<prefix>")
    .option(
      '--plan <name>',
      "instead of --from: a plan of the deployment (-c); its target's recovery points are read from their .rdb copies (export or DR bucket)",
    )
    .option('-c, --config <file>', `with --plan: ${CONFIG_HELP}`)
    .option('--db <n>', 'the database the key is in', intInRange('--db', 0, 65535, 'use a database number such as 0'), 0)
    .option('--target <name>', 'the target whose backups to read (needed when the destination or the plan holds several)')
    .option('--key-base64 <bytes>', "instead of <key>: the key's bytes in base64, for a name that is not UTF-8 (as --json prints keyBase64)", keyBase64)
    .option('--match <pattern>', 'instead of one key: every key matching this SCAN pattern that appeared, changed or vanished')
    .option(
      '--since <time>',
      'only points from this time on (a time with its zone, 2026-11-25T03:00Z, or an age such as 24h or 7d); the point before it is the baseline',
      sinceTime(),
    )
    .option('--show', 'print the value held at each point')
    .option('--json', 'print the history as JSON')
    .option('--s3-endpoint <url>', 'with an s3:// --from on an S3-compatible store: its endpoint')
    .action(async (key: string | undefined, options: import('./action.js').HistoryCliOptions) =>
      (await import('./action.js')).historyAction(key, options, env),
    );
}
