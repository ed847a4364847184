import { GetObjectCommand, ListObjectsV2Command, PutBucketVersioningCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountRegionPrefix } from '../../../../lambdas/domain/points/account-prefix.js';
import type { StackDrift } from '../../../../lambdas/domain/org/stack-drift.js';
import { SELFTEST_PREFIX, selftestRecordSchema } from '../../../../lambdas/domain/selftest/steps.js';
import { SelftestRunner } from '../../../../lambdas/jobs/selftest/runner.js';
import { recordStep } from '../../../../lambdas/jobs/selftest/shared-steps.js';
import { loadConfig } from '../../../../lib/config/index.js';
import { selftestInput } from '../../../../lib/deployment.js';
import { type MotoS3, startMotoS3 } from '../../../support/moto.js';

/**
 * The selftest's record in an organization (issue 52): written (and read
 * back) under `selftest/` as always and, with `vault.organizationId`, under
 * `<account>/<region>/selftest/` too, the prefix the DR bucket replicates
 * into the organization's vault. Against moto's S3.
 */
const BUCKET = 'redis-dr-vaulted-111111111111-eu-central-1';
const STARTED = new Date('2026-11-23T06:00:00Z');
let moto: MotoS3;

beforeAll(async () => {
  moto = await startMotoS3();
  await moto.bucket(BUCKET);
  await moto.client.send(new PutBucketVersioningCommand({ Bucket: BUCKET, VersioningConfiguration: { Status: 'Enabled' } }));
}, 120_000);
afterAll(async () => {
  await moto?.stop();
});

async function record(orgRoot: string | undefined, startedAt: Date, stacks?: readonly StackDrift[]) {
  const runner = new SelftestRunner({ now: () => startedAt.getTime() + 1000 });
  const key = await recordStep(runner, {
    s3: moto.client,
    bucket: BUCKET,
    region: 'eu-central-1',
    deployment: 'vaulted',
    regions: 'both',
    startedAt,
    now: () => new Date(startedAt.getTime() + 1000),
    who: 'operator',
    ...(orgRoot ? { orgRoot } : {}),
    ...(stacks ? { stacks } : {}),
  });
  return { key: key!, row: runner.steps.at(-1)! };
}

const keys = async (prefix: string) =>
  ((await moto.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }))).Contents ?? []).map((o) => o.Key!);
const body = async (key: string) => (await moto.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToString('utf8');

describe("the selftest record under the account's prefix (moto)", { timeout: 120_000 }, () => {
  it('is in the selftest input only with vault.organizationId', () => {
    const config = loadConfig('test/fixtures/config/vault.json');
    expect(selftestInput(config, '111111111111', 'both').orgEvidence).toBeUndefined();
    const org = selftestInput({ ...config, vault: { ...config.vault!, organizationId: 'o-abcdefghij' } }, '111111111111', 'both');
    expect(org.orgEvidence).toEqual({ account: '111111111111' });
  });

  it('without an organization, writes selftest/ only', async () => {
    const { key } = await record(undefined, new Date('2026-11-22T06:00:00Z'));
    expect(key.startsWith(SELFTEST_PREFIX)).toBe(true);
    expect(await keys('111111111111/')).toEqual([]);
  });

  it('with one, writes the same bytes under <account>/<region>/selftest/ too, and says where', async () => {
    const root = accountRegionPrefix('111111111111', 'eu-central-1');
    const { key, row } = await record(root, STARTED);
    expect(await keys(root)).toEqual([`${root}${key}`]);
    expect(await body(`${root}${key}`)).toBe(await body(key));
    expect(JSON.parse(await body(`${root}${key}`))).toMatchObject({ kind: 'redis-dr-selftest', deployment: 'vaulted' });
    expect(row.detail).toContain(`s3://${BUCKET}/${root}${key} (for the organization's vault)`);
  });

  it("keeps each stack's CloudFormation drift status the preflight read (what the org roll-up judges), and the record still parses", async () => {
    const root = accountRegionPrefix('111111111111', 'eu-central-1');
    const stacks: StackDrift[] = [
      { stack: 'RedisDr-vaulted-Primary', region: 'eu-west-1', drift: 'IN_SYNC', checkedAt: '2026-11-23T03:00:00.000Z' },
      { stack: 'RedisDr-vaulted-Dr', region: 'eu-central-1', drift: 'DRIFTED', checkedAt: '2026-11-23T03:00:00.000Z' },
    ];
    const { key } = await record(root, new Date('2026-11-24T06:00:00Z'), stacks);
    const written = selftestRecordSchema.parse(JSON.parse(await body(`${root}${key}`)));
    expect(written.stacks).toEqual(stacks);
    expect(selftestRecordSchema.safeParse({ ...written, stacks: [{ ...stacks[0], drift: 'SIDEWAYS' }] }).success).toBe(false);
  });
});
