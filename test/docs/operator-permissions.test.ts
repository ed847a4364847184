import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allCommands, commandPath, createProgram } from '../../cli/program.js';
import { CALLS_DIR, checkedInCalls } from '../support/aws-calls.js';
import { RECORDED_NAMES, requestsOfCall } from '../support/iam.js';
import {
  AUTH_SECRET_KEY_PLACEHOLDER,
  AUTH_SECRET_PLACEHOLDER,
  AUTH_SECRET_REGION_PLACEHOLDER,
  alertTopicArnPatterns,
  alertTopicLogicalId,
  authSecretKeyStatement,
  authSecretResources,
  DEPLOYMENT_PLACEHOLDER,
  orgSelftestRecords,
} from '../../lib/iam-operator-resources.js';

/**
 * docs/deploying.md "What the operator CLI needs" (issue 53 item 3): a row
 * for every command the program has, and in each command's row every IAM
 * action the calls its tests record need (test/fixtures/iam/calls/cli-*.json).
 * The commands are read from the program, so a new command without its row
 * fails here.
 */
const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'deploying.md'), 'utf8');
const start = doc.indexOf('\n## What the operator CLI needs\n');
const section = doc.slice(start, doc.indexOf('\n## ', start + 1));

/** The rows of the section's table: the commands its first cell names, and the row's text. */
const rows = [...section.matchAll(/^\| (`[^|]+) \|(.*)$/gm)].map((m) => ({
  commands: [...m[1]!.matchAll(/`([a-z][a-z -]*?)(?: [-<s].*?)?`/g)].map((c) => c[1]!.trim()),
  text: m[0],
}));
const rowOf = (command: string) => rows.find((r) => r.commands.includes(command));

const program = createProgram();
const COMMANDS = allCommands(program)
  .filter((c) => c.commands.length === 0 && c !== program)
  .map((c) => commandPath(c))
  .filter((c) => c !== 'completion');

/** The command a recording of the CLI's tests belongs to (cli-status-vault.json: status); the credentials' tests span commands. */
function commandOfRecording(file: string): string | undefined {
  const name = file.replace(/^cli-/, '').replace(/\.json$/, '');
  if (name === 'credentials') return undefined;
  if (name === 'drill') return 'drill run';
  if (name === 'retention-release') return 'retention release';
  return COMMANDS.find((c) => name === c || name.startsWith(`${c}-`));
}

describe('docs/deploying.md: what the operator CLI needs', () => {
  it('has a row for every command of the program', () => {
    expect(COMMANDS.length).toBeGreaterThan(15);
    expect(COMMANDS.filter((c) => !rowOf(c))).toEqual([]);
  });

  it("names, in each command's row, every IAM action its tests' recorded calls need", async () => {
    const missing: string[] = [];
    const files = readdirSync(CALLS_DIR).filter((f) => f.startsWith('cli-'));
    let judged = 0;
    for (const file of files) {
      const command = commandOfRecording(file);
      if (!command) continue;
      const row = rowOf(command);
      if (!row) continue; // the first test names it
      for (const call of checkedInCalls(join(CALLS_DIR, file)).filter((c) => c.principal === 'operator')) {
        for (const { action } of await requestsOfCall(call, RECORDED_NAMES, () => ({}))) {
          judged++;
          const [service, name] = action.split(':');
          if (!row.text.includes(`\`${action}\``) && !row.text.includes(`\`${name}\``))
            missing.push(`${command}: ${action} (${file}, ${service} ${call.operation})`);
        }
      }
    }
    expect(judged).toBeGreaterThan(100);
    expect([...new Set(missing)]).toEqual([]);
  });

  it("names the deployment's alert topics and the configured AUTH secrets by placeholder, from the stacks' names, and says how to fill them in (issue 53 item 3)", () => {
    const policy = JSON.parse(readFileSync(join(__dirname, '..', '..', 'docs', 'iam', 'operator-policy.json'), 'utf8')) as {
      Statement: { Sid?: string; Action: string[]; Resource: string | string[] }[];
    };
    const resourcesOf = (action: string) => policy.Statement.filter((s) => s.Action.includes(action)).map((s) => s.Resource);
    // The topics as CloudFormation names them in the synthesized stacks (both hold the topic at one construct path).
    const ids = ['primary', 'dr'].map((w) =>
      alertTopicLogicalId(JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'templates', `selftest.${w}.json`), 'utf8'))),
    );
    expect(new Set(ids).size).toBe(1);
    const topics = alertTopicArnPatterns(DEPLOYMENT_PLACEHOLDER, ids[0]!);
    expect(topics).toEqual([
      `arn:aws:sns:*:*:RedisDr-${DEPLOYMENT_PLACEHOLDER}-Primary-${ids[0]}-*`,
      `arn:aws:sns:*:*:RedisDr-${DEPLOYMENT_PLACEHOLDER}-Dr-${ids[0]}-*`,
    ]);
    expect(resourcesOf('sns:Publish')).toEqual([topics]);
    expect(resourcesOf('secretsmanager:GetSecretValue')).toEqual([authSecretResources()]);
    expect(policy.Statement.find((s) => s.Sid === 'OrganizationSelftestRecords')?.Resource).toBe(orgSelftestRecords());
    // No statement names every topic or every secret.
    expect(JSON.stringify(policy)).not.toMatch(/arn:aws:sns:\*:\*:\*"|secret:\*"/);
    // The secrets' customer managed keys (issue 53 item 1): the one statement that names them, by placeholder.
    expect(policy.Statement.filter((s) => s.Action.includes('kms:Decrypt') && JSON.stringify(s).includes(AUTH_SECRET_KEY_PLACEHOLDER))).toEqual([
      authSecretKeyStatement(),
    ]);
    for (const placeholder of [DEPLOYMENT_PLACEHOLDER, AUTH_SECRET_PLACEHOLDER, AUTH_SECRET_KEY_PLACEHOLDER]) expect(section).toContain(`\`${placeholder}\``);
    expect(section).toContain(`secretsmanager.${AUTH_SECRET_REGION_PLACEHOLDER}.amazonaws.com`);
  });

  it('finds a command without a row and an action a row leaves out (planted)', () => {
    const planted = '| `status` | `tag:GetResources` | read only |';
    const parsed = [...planted.matchAll(/^\| (`[^|]+) \|(.*)$/gm)].map((m) =>
      [...m[1]!.matchAll(/`([a-z][a-z -]*?)(?: [-<s].*?)?`/g)].map((c) => c[1]!.trim()),
    );
    expect(parsed).toEqual([['status']]);
    expect(planted.includes('`DescribeSnapshots`')).toBe(false);
    expect(rowOf('no-such-command')).toBeUndefined();
  });
});
