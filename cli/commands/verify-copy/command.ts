import type { Command } from 'commander';
import type { CliEnv } from '../../aws.js';
import { CONFIG_HELP, positiveInt } from '../../options.js';
import type { VerifyCopyCliOptions } from './action.js';

/** Defines `redis-dr verify-copy` (options and help); its action module loads only when it runs. */
export function verifyCopyCommand(program: Command, env: CliEnv = {}): void {
  program
    .command('verify-copy')
    .description("run the DR region's verify state machine on one copy now (structure, CRC64, key count) and wait for its verdict")
    .argument('[s3-url]', 's3://<DR bucket>/<key> of the copy (or --newest --target <id>)')
    .option('--newest', 'the newest copy of --target in the DR bucket')
    .option('--target <id>', 'the cache whose newest copy to verify (with --newest)')
    .option('--poll-seconds <n>', 'seconds between checks while waiting', positiveInt('--poll-seconds', 1), 10)
    .option('--timeout-minutes <n>', 'give up waiting after this many minutes', positiveInt('--timeout-minutes', 1), 60)
    .option('-c, --config <file>', CONFIG_HELP)
    .option('--json', 'print the result as JSON')
    .action(async (url: string | undefined, o: VerifyCopyCliOptions) => (await import('./action.js')).verifyCopyAction(url, o, env));
}
