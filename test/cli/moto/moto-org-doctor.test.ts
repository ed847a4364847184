import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CloudFormationClient,
  CreateStackInstancesCommand,
  CreateStackSetCommand,
  DeleteStackInstancesCommand,
  ListStackInstancesCommand,
} from '@aws-sdk/client-cloudformation';
import {
  CreateAccountCommand,
  CreateOrganizationalUnitCommand,
  CreateOrganizationCommand,
  ListRootsCommand,
  MoveAccountCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stackSetGroups, stackSetName } from '../../../lib/constructs/org/stack-set-groups.js';
import { loadOrgConfig } from '../../../lib/config/org.js';
import { orgDoctor } from '../../../lambdas/jobs/org/doctor.js';
import { type MotoS3, startMotoS3 } from '../../support/moto.js';
import { runInProcess } from '../support/in-process.js';

/**
 * `org doctor` against moto's Organizations and CloudFormation StackSets
 * (issue 52: "where moto implements the APIs"): an organization with two
 * OUs, 21 accounts in one (ListAccountsForParent answers 20 a page), the
 * org app's StackSets (named by stackSetName, as the synth names them)
 * deployed to the OUs. moto 5.2.1 lists every instance CURRENT: OUTDATED /
 * INOPERABLE is given at the SDK boundary (aws-sdk-client-mock, that one
 * call only) in the last test.
 */
let moto: MotoS3;
const dir = mkdtempSync(join(tmpdir(), 'redis-dr-moto-org-doctor-'));
const CRED = { credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
const ENV = (endpoint: string) => ({
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  AWS_REGION: 'eu-west-1',
  AWS_ENDPOINT_URL: endpoint,
  AWS_EC2_METADATA_DISABLED: 'true',
});
const base = JSON.parse(readFileSync('config/org-example.json', 'utf8')) as Record<string, unknown>;
let orgId: string;
let prod: { id: string; accounts: string[] };
let sand: { id: string; accounts: string[] };
/** An account of the organization directly under its root (in no OU). */
let rootAccount: string;

/** An org config of the moto organization: the example's tiers, its two OUs and their accounts. */
function config(name: string, edit: (c: { vault: Record<string, unknown>; organizationalUnits: Record<string, unknown>[] }) => void = () => {}): string {
  const c = {
    ...structuredClone(base),
    vault: { ...(base.vault as object), organizationId: orgId },
    organizationalUnits: [
      // No default tier of its own: with the root's (bronze) both OUs share the example's tiers, so one group (a
      // differing default tier would be a second group, test/lib/org/org-members.test.ts).
      { id: prod.id, name: 'prod', accounts: [...prod.accounts] },
      { id: sand.id, name: 'sandbox', accounts: [...sand.accounts] },
    ] as Record<string, unknown>[],
  } as Record<string, unknown>;
  delete c.pipeline;
  delete c.accounts;
  edit(c as never);
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(c));
  return file;
}

async function run(args: string[]) {
  const saved = { ...process.env };
  Object.assign(process.env, ENV(moto.endpoint));
  try {
    return await runInProcess(args);
  } finally {
    for (const k of Object.keys(ENV(''))) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  }
}

beforeAll(async () => {
  moto = await startMotoS3();
  const orgs = new OrganizationsClient({ endpoint: moto.endpoint, region: 'us-east-1', ...CRED });
  orgId = (await orgs.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }))).Organization!.Id!;
  const root = (await orgs.send(new ListRootsCommand({}))).Roots![0]!.Id!;
  const ou = async (name: string) => (await orgs.send(new CreateOrganizationalUnitCommand({ ParentId: root, Name: name }))).OrganizationalUnit!.Id!;
  const account = async (name: string, to?: string) => {
    const id = (await orgs.send(new CreateAccountCommand({ AccountName: name, Email: `${name}@example.com` }))).CreateAccountStatus!.AccountId!;
    if (to) await orgs.send(new MoveAccountCommand({ AccountId: id, SourceParentId: root, DestinationParentId: to }));
    return id;
  };
  prod = { id: await ou('prod'), accounts: [] };
  sand = { id: await ou('sandbox'), accounts: [] };
  for (let i = 0; i < 21; i++) prod.accounts.push(await account(`prod-${i}`, prod.id));
  sand.accounts.push(await account('sandbox-0', sand.id));
  rootAccount = await account('unplaced');
  orgs.destroy();
  // The org app's StackSets, deployed to the OUs as the synthesized ones are (service-managed, OU targets).
  const org = loadOrgConfig(config('agrees'));
  const cfn = new CloudFormationClient({ endpoint: moto.endpoint, region: org.regions.primary, ...CRED });
  for (const g of stackSetGroups(org)) {
    for (const where of ['dr', 'primary'] as const) {
      const StackSetName = stackSetName(org.name, g.name, where);
      await cfn.send(
        new CreateStackSetCommand({
          StackSetName,
          PermissionModel: 'SERVICE_MANAGED',
          AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: false },
          TemplateBody: JSON.stringify({ Resources: { Handle: { Type: 'AWS::CloudFormation::WaitConditionHandle' } } }),
        }),
      );
      await cfn.send(
        new CreateStackInstancesCommand({
          StackSetName,
          DeploymentTargets: { OrganizationalUnitIds: g.targets.flatMap((t) => t.organizationalUnitIds) },
          Regions: [where === 'dr' ? org.regions.dr : org.regions.primary],
        }),
      );
    }
  }
  cfn.destroy();
}, 180_000);
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await moto?.stop();
});

describe('org doctor against moto (Organizations, CloudFormation StackSets)', { timeout: 180_000 }, () => {
  it('exits 0 when the config and the organization agree (22 accounts over pages of 20, one group and its 2 StackSets)', async () => {
    const r = await run(['org', 'doctor', '-c', config('agrees')]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(
      `org doctor acme (organization ${orgId}; StackSets in eu-west-1 as SELF): 2 OU(s), 22 account(s), 2 StackSet(s), 44 stack instance(s): the config and the organization agree\n`,
    );
    expect(r.code).toBe(0);
    const json = await run(['org', 'doctor', '-c', config('agrees'), '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ organizationId: orgId, findings: [], checked: { ous: 2, accounts: 22, stackSets: 2, instances: 44 } });
  });

  it('names an account in an OU the config does not list (not protected), and nothing else', async () => {
    const dropped = prod.accounts[20]!;
    const r = await run(['org', 'doctor', '-c', config('extra', (c) => (c.organizationalUnits[0]!.accounts = prod.accounts.slice(0, 20)))]);
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n').slice(1, -1)).toEqual([
      `  ACCOUNT-NOT-IN-CONFIG account ${dropped} (prod-20) is in OU ${prod.id} (prod) but not listed there in the config: its caches get the OU's StackSets but no plan the config shows; add it to the OU's accounts`,
    ]);
  });

  it('names an account the config lists under an OU it is not in, and its missing stack instances', async () => {
    const r = await run(['org', 'doctor', '-c', config('missing', (c) => (c.organizationalUnits[1]!.accounts as string[]).push(rootAccount))]);
    expect(r.code).toBe(1);
    const lines = r.stdout.split('\n').slice(1, -1);
    expect(lines[0]).toBe(
      `  ACCOUNT-NOT-IN-OU account ${rootAccount} is listed under OU ${sand.id} (sandbox) in the config but is not in that OU: the StackSets that target the OU do not reach it (not protected); move the account into the OU, or list it where it is`,
    );
    expect(lines.slice(1)).toHaveLength(2);
    for (const l of lines.slice(1))
      expect(l).toMatch(
        new RegExp(`^  INSTANCE-MISSING StackSet redis-dr-acme-g[0-9a-f]{6}-(dr|primary) has no stack instance in account ${rootAccount} eu-(west|central)-1:`),
      );
  });

  it('names a StackSet that does not exist, an organization id that differs and an OU the organization lacks', async () => {
    const r = await run([
      'org',
      'doctor',
      '-c',
      config('apart', (c) => {
        c.vault.organizationId = 'o-aaaaaaaaaa';
        // Another gold RPO in sandbox: its accounts' plans differ, so their group (and its StackSets) is a new one, not deployed.
        c.organizationalUnits[1]!.tiers = { gold: { rpoMinutes: 60 } };
        c.organizationalUnits.push({ id: 'ou-zzzz-zzzzzzzz', name: 'gone', accounts: [] });
      }),
    ]);
    expect(r.code).toBe(1);
    const kinds = r.stdout
      .split('\n')
      .slice(1, -1)
      .map((l) => l.trim().split(' ')[0]);
    expect(kinds).toEqual(['ORGANIZATION-ID', 'OU-NOT-FOUND', 'STACKSET-MISSING', 'STACKSET-MISSING']);
    expect(r.stdout).toContain(`vault.organizationId is o-aaaaaaaaaa, the organization of these credentials is ${orgId}`);
  });

  it('names a deleted stack instance', async () => {
    const org = loadOrgConfig(config('agrees'));
    const g = stackSetGroups(org).find((x) => x.accounts.includes(sand.accounts[0]!))!;
    const cfn = new CloudFormationClient({ endpoint: moto.endpoint, region: 'eu-west-1', ...CRED });
    const name = stackSetName(org.name, g.name, 'dr');
    await cfn.send(new DeleteStackInstancesCommand({ StackSetName: name, Accounts: [sand.accounts[0]!], Regions: [org.regions.dr], RetainStacks: false }));
    cfn.destroy();
    const r = await run(['org', 'doctor', '-c', config('agrees')]);
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n').slice(1, -1)).toEqual([
      `  INSTANCE-MISSING StackSet ${name} has no stack instance in account ${sand.accounts[0]} ${org.regions.dr}: the account is not protected there; check that it is in a targeted OU and the StackSet's operations (aws cloudformation list-stack-set-operations --stack-set-name ${name})`,
    ]);
  });

  it('names a stack instance OUTDATED with its reason, called as DELEGATED_ADMIN (ListStackInstances mocked: moto lists every instance CURRENT)', async () => {
    const file = config('delegated', (c) => Object.assign(c, { stackSets: { ...(base.stackSets as object), delegatedAdmin: true } }));
    const org = loadOrgConfig(file);
    const cfn = new CloudFormationClient({ region: 'eu-west-1', ...CRED });
    const mock = mockClient(cfn);
    const failing = prod.accounts[3]!;
    mock.on(ListStackInstancesCommand).callsFake((input: { StackSetName: string }) => {
      const where = input.StackSetName.endsWith('-dr') ? org.regions.dr : org.regions.primary;
      const g = stackSetGroups(org).find((x) => input.StackSetName === stackSetName(org.name, x.name, input.StackSetName.endsWith('-dr') ? 'dr' : 'primary'))!;
      return {
        Summaries: g.accounts.map((a) =>
          a === failing && where === org.regions.primary
            ? {
                Account: a,
                Region: where,
                Status: 'OUTDATED',
                StatusReason: 'ResourceLogicalId:Bucket, ResourceStatusReason:Access Denied.',
                StackInstanceStatus: { DetailedStatus: 'FAILED' },
              }
            : { Account: a, Region: where, Status: 'CURRENT', StackInstanceStatus: { DetailedStatus: 'SUCCEEDED' } },
        ),
      };
    });
    const orgs = new OrganizationsClient({ endpoint: moto.endpoint, region: 'us-east-1', ...CRED });
    try {
      const d = await orgDoctor({ file }, { organizations: () => orgs, cloudformation: () => cfn });
      expect(d.callAs).toBe('DELEGATED_ADMIN');
      expect(mock.commandCalls(ListStackInstancesCommand).map((c) => c.args[0].input.CallAs)).toEqual(['DELEGATED_ADMIN', 'DELEGATED_ADMIN']);
      expect(d.findings.map((f) => f.message)).toEqual([
        `StackSet ${stackSetName(org.name, stackSetGroups(org).find((x) => x.accounts.includes(failing))!.name, 'primary')} instance in account ${failing} eu-west-1 is OUTDATED (FAILED): ResourceLogicalId:Bucket, ResourceStatusReason:Access Denied.`,
      ]);
    } finally {
      mock.restore();
      orgs.destroy();
    }
  });

  it('refuses a bad org config in one line naming the field (exit 2)', async () => {
    const r = await run(['org', 'doctor', '-c', config('bad', (c) => (c.vault.organizationId = 'org-1'))]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('organizationId');
  });
});
