import { request } from 'node:http';
import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where test/support/cfn-lint-server.py answers (started by test/support/cfn-lint-server.ts). */
    cfnLintUrl: string;
  }
}

/** What the `cfn-lint` command would have exited with and printed (stdout and stderr). */
export interface CfnLintResult {
  readonly status: number;
  readonly output: string;
}

/**
 * `cfn-lint --ignore-checks W3005 -- <templates>` (W3005: the CDK's explicit DependsOn, noise), run by the run's one
 * cfn-lint process (test/support/cfn-lint-server.ts): the same rules, the same output, without a start-up per call.
 * A gate asserts `{ status: 0, output: '' }`, so a finding fails with cfn-lint's own lines. The server lints one
 * request at a time, so a call may wait for another file's: give the test a timeout of minutes. (node:http, not
 * fetch: fetch gives up on a server that has not answered in 300 s.)
 */
export async function cfnLint(templateFiles: readonly string[]): Promise<CfnLintResult> {
  const { status, output } = await cfnLintKept(templateFiles);
  return { status, output };
}

/**
 * {@link cfnLint}, with how many of the templates were not linted, their clean verdict kept (by content but for the
 * asset hashes, test/support/cfn-lint-server.py): what the server's own test reads.
 */
export function cfnLintKept(templateFiles: readonly string[]): Promise<CfnLintResult & { readonly kept: number }> {
  const body = JSON.stringify({ args: ['--ignore-checks', 'W3005'], files: templateFiles });
  return new Promise((resolve, reject) => {
    const req = request(
      inject('cfnLintUrl'),
      { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve(JSON.parse(text) as CfnLintResult & { kept: number }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
