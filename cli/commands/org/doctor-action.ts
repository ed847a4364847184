import { orgDoctor } from '../../../lambdas/jobs/org/doctor.js';

/** `redis-dr org doctor`'s options (cli/commands/org/command.ts). */
export interface OrgDoctorOptions {
  readonly config: string;
  readonly region?: string;
  readonly json?: boolean;
}

/**
 * `redis-dr org doctor -c <org config>`: where the org config and the real
 * organization disagree, one line a finding. Exit 0 when they agree; 1 with
 * a finding; 2 on a bad org config (one line naming the field).
 */
export async function orgDoctorAction(options: OrgDoctorOptions): Promise<void> {
  const d = await orgDoctor({ file: options.config, region: options.region });
  if (options.json) {
    process.stdout.write(`${JSON.stringify(d, null, 2)}\n`);
  } else {
    const c = d.checked;
    const lines = [
      `org doctor ${d.name} (organization ${d.organizationId}; StackSets in ${d.region} as ${d.callAs}): ${c.ous} OU(s), ${c.accounts} account(s), ${c.stackSets} StackSet(s), ${c.instances} stack instance(s): ${d.findings.length === 0 ? 'the config and the organization agree' : `${d.findings.length} finding(s)`}`,
      ...d.findings.map((f) => `  ${f.kind.toUpperCase()} ${f.message}`),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  if (d.findings.length > 0) process.exitCode = 1;
}
