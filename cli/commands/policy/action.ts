import { policyMarkdown } from '../../../lambdas/domain/policy/document.js';
import { policyInput, writePolicy } from '../../../lambdas/jobs/policy/document.js';
import { loadCliConfig } from '../../aws.js';

/** `redis-dr policy`'s options (cli/commands/policy/command.ts). */
export interface PolicyOptions {
  readonly config: string;
  readonly markdown?: string;
  readonly html?: string;
}

/** Writes the policy document (or prints its Markdown) from the validated config. */
export async function policyAction(o: PolicyOptions): Promise<void> {
  const input = policyInput(loadCliConfig(o.config), o.config, new Date());
  if (!o.markdown && !o.html) {
    process.stdout.write(policyMarkdown(input));
    return;
  }
  for (const path of await writePolicy(input, { ...(o.markdown ? { markdown: o.markdown } : {}), ...(o.html ? { html: o.html } : {}) }))
    process.stdout.write(`wrote ${path}\n`);
}
