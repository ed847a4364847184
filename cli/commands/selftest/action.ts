/**
 * `redis-dr selftest -c <config> [--region primary|dr|both]`: the selftest
 * job (lambdas/jobs/selftest/selftest.ts) with what lib/deployment.ts derives
 * from the config, and its table. Exit 0 when every step passed (or only
 * warned), 1 when one failed, 2 usage, credentials or an AWS endpoint not
 * reached (one line, nothing done).
 */
import { selftestCanary, selftestInput } from '../../../lib/deployment.js';
import { DEFAULT_DRILL_NODE_TYPE } from '../../../lambdas/domain/drills/select.js';
import type { SelftestRegions } from '../../../lambdas/domain/selftest/input.js';
import { type SelftestStep, selftestTable } from '../../../lambdas/domain/selftest/steps.js';
import { doctorInput } from '../../../lambdas/jobs/doctor/expectations.js';
import { CanaryLeftError } from '../../../lambdas/jobs/selftest/canary.js';
import { runSelftest, type SelftestReport } from '../../../lambdas/jobs/selftest/selftest.js';
import { CliAws, type CliEnv, loadCliConfig, runAwsCommand } from '../../aws.js';
import { connectionProblem } from '../../failure.js';
import { withStatus } from '../../progress.js';
import { UsageError } from '../../../lambdas/jobs/kernel/usage-error.js';
import { type Style, terminalStyle } from '../../table.js';

/** The options of `redis-dr selftest` (cli/commands/selftest/command.ts). */
export interface SelftestCliOptions {
  readonly region: SelftestRegions;
  readonly pollSeconds: number;
  readonly timeoutMinutes: number;
  readonly config?: string;
  readonly json?: boolean;
  /** Snapshot a throwaway cache instead of each plan's target (docs/deploying.md, "Day 1"). */
  readonly canary?: boolean;
  /** With --canary: keep the canary's recovery point. */
  readonly keep?: boolean;
}

const VERDICT_STYLE: Record<SelftestStep['verdict'], Parameters<Style>[0]> = { passed: 'green', warned: 'yellow', failed: 'red', skipped: 'gray' };

/** The report as people read it: the table (lambdas/domain/selftest/steps.ts), each failure's cause and fix, the verdict. */
export function formatSelftest(r: SelftestReport, style: Style): string {
  const lines = [
    `redis-dr selftest of ${r.deployment} (${r.regions}), started ${r.startedAt}`,
    '',
    ...selftestTable(r.steps, (v, cell) => style(VERDICT_STYLE[v], cell)),
  ];
  lines.push(
    '',
    r.verdict === 'passed'
      ? `Selftest PASSED${r.record ? ` (record ${r.record})` : ''}.`
      : 'Selftest FAILED: the causes above say what to fix; run it again after.',
  );
  return `${lines.join('\n')}\n`;
}

/** The `selftest` command's action (loaded only when the command runs). */
export async function selftestAction(o: SelftestCliOptions, env: CliEnv = {}): Promise<void> {
  if (o.keep && !o.canary)
    throw new UsageError(
      "--keep keeps the canary's recovery point: use it with --canary (without --canary nothing is cleaned up but what the drills delete themselves)",
    );
  const config = loadCliConfig(o.config);
  const aws = new CliAws(config, env);
  const canary = o.canary ? selftestCanary(config, new Date(aws.clock.now()), o.keep === true, DEFAULT_DRILL_NODE_TYPE) : undefined;
  if (typeof canary === 'string') throw new UsageError(`--canary ${canary}`);
  await runAwsCommand('selftest', aws, async (did) => {
    const account = await aws.account();
    const input = { ...selftestInput(config, account, o.region, aws.partition(config.primary.region), o.config), ...(canary ? { canary } : {}) };
    const preflight = doctorInput(config, account, (r) => aws.partition(r), input.deploy, new Date(aws.clock.now()));
    const r = await withStatus('selftest', true, (status) => {
      let current = '';
      return runSelftest(input, aws, {
        pollSeconds: o.pollSeconds,
        timeoutMinutes: o.timeoutMinutes,
        preflight,
        changed: did,
        onStart: (step) => {
          current = step;
          status(step);
        },
        onStatus: (s) => status(`${current}: ${s}`),
        // AWS not reached at all, or no credentials: nothing was done, one line and exit 2 (cli/failure.ts).
        fatal: (err) => connectionProblem(err) !== undefined,
      }).catch((err: unknown) => {
        // The run ended with the canary left behind: that line first, then the error that ended it (its own exit code).
        if (!(err instanceof CanaryLeftError)) throw err;
        process.stderr.write(`redis-dr selftest: ${err.message}\n`);
        throw err.ended;
      });
    });
    process.stdout.write(o.json ? `${JSON.stringify(r, null, 2)}\n` : formatSelftest(r, terminalStyle()));
    return r.verdict === 'passed' ? 0 : 1;
  });
}
