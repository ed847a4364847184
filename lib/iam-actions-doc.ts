/** docs/iam/api-actions.md, written from the one table of lib/iam-actions.ts (`npm run docs:iam`; test/lib/iam-actions.test.ts holds it equal). */
import { API_ACTIONS, PLATFORM_ACTIONS } from './iam-actions.js';

const code = (xs: readonly string[]) => (xs.length === 0 ? 'none' : xs.map((x) => `\`${x}\``).join(', '));

/** The page, in the table's order (sorted by call). */
export function apiActionsDoc(): string {
  const rows = Object.entries(API_ACTIONS)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([call, row]) => {
      const dependent = Object.entries(row.dependent ?? {})
        .map(([scope, actions]) => `${scope}: ${code(actions ?? [])}`)
        .join('; ');
      return `| \`${call}\` | ${code(row.actions)} | ${dependent || ''} | ${row.why ?? ''} |`;
    });
  const platform = Object.entries(PLATFORM_ACTIONS)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([action, why]) => `| \`${action}\` | ${why} |`);
  return [
    '# The AWS calls redis-dr makes, and the IAM actions each needs',
    '',
    '<!-- Written by `npm run docs:iam` from lib/iam-actions.ts: edit the table there, not this page. -->',
    '',
    'One table, one source of truth (`lib/iam-actions.ts`): every AWS API call of the',
    'Lambda code, the CLI, the state machines (`aws-sdk` tasks) and the stacks’ custom',
    'resources, with the IAM action(s) checked for the call and the **dependent actions**',
    'the service checks on the caller besides. The export function’s role takes the',
    'export’s S3 actions from it, and the operator policy (`docs/iam/operator-policy.json`)',
    'adds every recorded call’s dependent actions from it. `test/lib/iam-actions.test.ts`',
    'fails when a call in the sources has no row, a row names no call, or a role of the',
    'synthesized stacks or the operator policy grants an action that neither a row nor the',
    'platform list below accounts for.',
    '',
    '| call | IAM action(s) | dependent actions | why |',
    '|---|---|---|---|',
    ...rows,
    '',
    '## What the platform needs',
    '',
    'Actions roles hold that no call of redis-dr’s makes: the platform does them for the',
    'function or state machine.',
    '',
    '| action | why |',
    '|---|---|',
    ...platform,
    '',
  ].join('\n');
}
