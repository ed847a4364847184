import { PAGE_FORMATS, renderSample } from '../../../lambdas/jobs/alerting/sample-page.js';
import { UsageError } from '../../../lambdas/jobs/kernel/usage-error.js';
import { loadCliConfig } from '../../config-file.js';

/** `redis-dr page`'s options (cli/commands/page/command.ts). */
export interface PageOptions {
  readonly sample?: string;
  readonly format?: string;
  readonly state: string;
  readonly config?: string;
  readonly region?: string;
  readonly runbookBaseUrl?: string;
}

/** Renders the sample: the body on stdout as the integration receives it, its address and headers on stderr. */
export async function pageAction(options: PageOptions): Promise<void> {
  if (options.sample === undefined) throw new UsageError('--sample <kind> is required: redis-dr page --sample recovery-point-age --format pagerduty');
  if (options.format === undefined) throw new UsageError(`--format is required: one of ${PAGE_FORMATS.join(', ')}`);
  const config = options.config === undefined ? undefined : loadCliConfig(options.config);
  const rendered = renderSample({
    kind: options.sample,
    format: options.format,
    state: options.state,
    deployment: config?.name ?? 'example',
    region: options.region ?? config?.primary.region ?? 'eu-west-1',
    runbookBaseUrl: options.runbookBaseUrl,
  });
  for (const line of rendered.envelope) process.stderr.write(`${line}\n`);
  process.stdout.write(`${rendered.body}\n`);
}
