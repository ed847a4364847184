/**
 * `redis-dr doctor -c <config> [--json]`: a read-only first-contact check
 * of a deployed config, both regions. The collection is the doctor job's
 * (lambdas/jobs/doctor/collect.ts); this maps its outcome to the exit code
 * and prints.
 *
 * With a vault (config `vault`), its copies as `status` reads them
 * (`--vault-profile`: the vault account's credentials), in section `vault`.
 *
 * Exit 0 when every check passes or only warns, 1 when any fails (a check
 * that could not look fails), 2 for usage, a bad config, or missing or
 * another account's credentials (one line, from runAwsCommand).
 */
import { collectDoctor, type DoctorCollection, doctorOutcome } from '../../../lambdas/jobs/doctor/collect.js';
import { CliAws, type CliEnv, loadCliConfig, runAwsCommand } from '../../aws.js';
import { configPath } from '../../config-file.js';
import { exitCodeOf } from '../../exit-codes.js';
import { plain, type Style, terminalStyle } from '../../table.js';
import { vaultAccess } from '../../vault-copies.js';

/** What doctor prints with --json: the collection and its exit code. */
export interface DoctorReport extends DoctorCollection {
  readonly exitCode: 0 | 1;
}

/** The report people read: one line per check, by section, then the counts. */
export function formatDoctor(r: DoctorReport, style: Style = plain): string {
  const mark = { pass: style('green', 'pass'), warn: style('yellow', 'WARN'), fail: style(['red', 'bold'], 'FAIL') };
  const lines = [`redis-dr doctor ${r.deployment}: primary ${r.primaryRegion}, DR ${r.drRegion}, account ${r.account}, at ${r.at}`];
  let section = '';
  for (const c of r.checks) {
    if (c.section !== section) {
      section = c.section;
      lines.push('', section);
    }
    lines.push(`  ${mark[c.state]}  ${c.region ? `${c.region}  ` : ''}${c.subject}: ${c.detail}${c.fix ? ` -> ${c.fix}` : ''}`);
  }
  const { pass, warn, fail } = r.counts;
  lines.push('', `${pass} passed, ${warn} warning(s), ${fail} failed.`);
  lines.push(
    fail > 0 ? style(['red', 'bold'], 'Not ready: fix the FAIL lines (each names its fix), then run doctor again.') : style('green', 'Ready: nothing failed.'),
  );
  return `${lines.join('\n')}\n`;
}

/** The `doctor` command's action (loaded only when the command runs; options: ./command.ts). */
export async function doctorAction(o: { config: string; json?: boolean; vaultProfile?: string }, env: CliEnv = {}): Promise<void> {
  const config = loadCliConfig(o.config);
  const aws = new CliAws(config, env, vaultAccess(config, o.vaultProfile));
  await runAwsCommand('doctor', aws, async () => {
    const collected = await collectDoctor(config, aws, `npx cdk deploy --all -c config=${configPath(o.config)}`);
    // No region answered: one line naming the endpoint (exit 2), not checks that presume AWS answered.
    aws.assertReached();
    const report: DoctorReport = { ...collected, exitCode: exitCodeOf(doctorOutcome(collected.checks)) as 0 | 1 };
    process.stdout.write(o.json ? `${JSON.stringify(report, null, 2)}\n` : formatDoctor(report, terminalStyle()));
    return report.exitCode;
  });
}
