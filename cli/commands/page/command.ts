import { Option, type Command } from 'commander';
import { PAGE_FORMATS } from '../../../lambdas/domain/alerting/page-formats.js';
import type { PageOptions } from './action.js';

/** Defines `redis-dr page` (options and help); its action module loads only when it runs. */
export function pageCommand(program: Command): void {
  program
    .command('page')
    .usage('--sample <kind> --format <format> [--state alarm|ok] [-c <config>]')
    .description(
      'print exactly what an on-call integration receives for a catalog kind (the body on stdout, where it goes on stderr): text (email), chatbot (Amazon Q Developer custom notification), pagerduty (Events API v2), opsgenie (Alert API); for docs and for testing a routing rule',
    )
    .option('--sample <kind>', 'the catalog kind, e.g. recovery-point-age (docs/alerts.md lists them)')
    .addOption(new Option('--format <format>', 'the integration whose format to print').choices([...PAGE_FORMATS]))
    .addOption(new Option('--state <state>', 'the alarm firing, or back to OK (resolve, close)').choices(['alarm', 'ok']).default('alarm'))
    .option('-c, --config <file>', 'take the deployment name and primary region from this config')
    .option('--region <region>', 'the region the page comes from (default: the config primary region, else eu-west-1)')
    .option('--runbook-base-url <url>', 'render runbooks as links under this URL, e.g. https://github.com/acme/redis-dr/blob/main')
    .action(async (options: PageOptions) => (await import('./action.js')).pageAction(options));
}
