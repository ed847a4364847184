import type { Command } from 'commander';
import type { CliEnv } from '../../aws.js';
import { CONFIG_HELP, positiveInt } from '../../options.js';
import type { VerifyCopyCliOptions } from './action.js';
import { UNPROVEN_CONCURRENCY } from '../../../lambdas/jobs/on-demand/verify-unproven-defaults.js';

/** Defines `redis-dr verify-copy` (options and help); its action module loads only when it runs. */
export function verifyCopyCommand(program: Command, env: CliEnv = {}): void {
  program
    .command('verify-copy')
    .description("run the DR region's verify state machine on one copy now (structure, CRC64, key count) and wait for its verdict")
    .argument('[s3-url]', 's3://<DR bucket>/<key> of the copy (or --newest --target <id>, or --unproven)')
    .option('--newest', 'the newest copy of --target in the DR bucket')
    .option('--target <id>', 'the cache whose newest copy to verify (with --newest)')
    .option('--unproven', 'every copy that reads unproven (a verdict tag without a verdict object: verified before verdicts were objects): verify each')
    .option('--dry-run', 'with --unproven: list those copies, start nothing')
    .option('--concurrency <n>', 'with --unproven: verifications at once', positiveInt('--concurrency', 1), UNPROVEN_CONCURRENCY)
    .option('--poll-seconds <n>', 'seconds between checks while waiting', positiveInt('--poll-seconds', 1), 10)
    .option('--timeout-minutes <n>', 'give up waiting after this many minutes', positiveInt('--timeout-minutes', 1), 60)
    .option('-c, --config <file>', CONFIG_HELP)
    .option('--json', 'print the result as JSON')
    .action(async (url: string | undefined, o: VerifyCopyCliOptions) => (await import('./action.js')).verifyCopyAction(url, o, env));
}
