import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kmsSigner } from '../../../../lambdas/adapters/aws/kms-signer.js';
import { S3ObjectStore } from '../../../../lambdas/adapters/storage/object-store-s3.js';
import type { AsyncSigner } from '../../../../lambdas/domain/attest/chain.js';
import { accountRegionPrefix } from '../../../../lambdas/domain/points/account-prefix.js';
import { orgReportRoot, reportInputSchema, reportKeyPrefix } from '../../../../lambdas/domain/report/input.js';
import { orgRollup } from '../../../../lambdas/jobs/org/rollup.js';
import type { ReportAws } from '../../../../lambdas/jobs/report/elasticache-report.js';
import { PartialReportError, runScheduledReport } from '../../../../lambdas/jobs/report/scheduled-report.js';
import { validateConfig } from '../../../../lib/config/index.js';
import { reportRunInput } from '../../../../lib/deployment.js';
import { DR, MOTO_ACCOUNT, motoClient, RAW_CONFIG, type SeededDeployment, seedDeployment } from '../../../cli/moto/deployment.js';
import { FakeClock } from '../../../support/fakes.js';
import { kmsEvidenceKey } from '../../../support/kms-evidence.js';
import { type MotoAws, startMotoAws } from '../../../support/moto-aws.js';

/**
 * The workload side of the organization's evidence (issue 52), against
 * moto's AWS: with `vault.organizationId` the scheduled report is written
 * (and read back) under `<account>/<region>/reports/<period>/<end>/` in the
 * DR bucket too, the prefix the DR bucket replicates into the organization's
 * vault with its key unchanged; and `report --org`'s roll-up, reading that
 * tree, finds this account's report: the writer and the reader share one
 * layout (domain/points/account-prefix.ts). Without an organization nothing
 * is written under the account prefix.
 */
const ORG = 'o-abcdefghij';
const END = '2026-11-23T06:00:00Z';
let aws: MotoAws;
let d: SeededDeployment;

function motoReportAws(nowMs: number): ReportAws {
  const clock = new FakeClock(nowMs);
  const log = { info: () => undefined, warn: () => undefined, error: () => undefined };
  return {
    clock,
    deps: (region) => ({
      elasticache: motoClient(ElastiCacheClient, aws, region),
      tagging: motoClient(ResourceGroupsTaggingAPIClient, aws, region),
      s3: motoClient(S3Client, aws, region),
      metrics: { put: () => undefined },
      log,
      clock,
      concurrency: 4,
      throttleDelayMs: 1,
      busyDelayMs: 1,
    }),
    sfn: (region) => motoClient(SFNClient, aws, region),
    cloudwatch: (region) => motoClient(CloudWatchClient, aws, region),
    vaultS3: (region) => motoClient(S3Client, aws, region),
  };
}

/**
 * The scheduled report of the week ending `end`, for the config with `vault` (or none), as the DR stack's function
 * runs it (no read of the vault). moto has no DescribeAlarmHistory (MOTO_DEVIATIONS): the report is written, said
 * PARTIAL for that alone, and the run fails; anything else partial fails the test.
 */
async function scheduledReport(vault: Record<string, unknown> | undefined, end = END, signer?: AsyncSigner) {
  const checked = validateConfig({ ...RAW_CONFIG, ...(vault ? { vault } : {}) });
  if (!checked.ok) throw new Error(checked.problems.join('; '));
  const base = reportRunInput(checked.config, MOTO_ACCOUNT);
  const input = reportInputSchema.parse({ ...base, ...(base.vault ? { vault: { ...base.vault, read: false } } : {}), period: 'weekly', scheduledTime: end });
  const published: string[] = [];
  const run = runScheduledReport(input, {
    aws: motoReportAws(Date.parse(end) + 7_000),
    s3: motoClient(S3Client, aws, DR),
    publish: async (alert) => {
      published.push(alert.message);
    },
    log: { info: () => undefined, warn: () => undefined, error: () => undefined },
    ...(signer ? { signer } : {}),
  });
  const error = await run.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(PartialReportError);
  const problems = (error as Error).message.replace(/^.* is partial: /s, '');
  expect(problems.split(/; (?=alarm history)/).every((p) => p.startsWith('alarm history of '))).toBe(true);
  return { input, message: published[0] ?? '' };
}

const keysUnder = async (prefix: string) =>
  ((await motoClient(S3Client, aws, DR).send(new ListObjectsV2Command({ Bucket: d.drBucket, Prefix: prefix }))).Contents ?? []).map((o) => o.Key!).sort();

beforeAll(async () => {
  aws = await startMotoAws();
  d = await seedDeployment(aws);
}, 180_000);
afterAll(async () => {
  d?.remove();
  await aws?.stop();
});

describe("an organization's evidence: the scheduled report under <account>/<region>/ (moto)", { timeout: 180_000 }, () => {
  const vault = { account: '222222222222', region: DR, retentionDays: 35, organizationId: ORG };
  const root = accountRegionPrefix(MOTO_ACCOUNT, DR);

  it('without an organization, writes only under reports/ (nothing under an account prefix)', async () => {
    const { input } = await scheduledReport(undefined, '2026-11-09T06:00:00Z');
    expect(orgReportRoot(input)).toBe('');
    expect(await keysUnder('reports/weekly/2026-11-09T0600Z/')).toContain('reports/weekly/2026-11-09T0600Z/report.json');
    expect(await keysUnder(`${MOTO_ACCOUNT}/`)).toEqual([]);
  });

  it('writes the report under reports/ and under <account>/<region>/reports/ (the same bytes, read back), and says which prefix replicates', async () => {
    const { input, message } = await scheduledReport(vault);
    expect(input.orgEvidence).toEqual({ account: MOTO_ACCOUNT });
    const local = reportKeyPrefix('weekly', new Date(END));
    const files = (await keysUnder(local)).map((k) => k.slice(local.length));
    expect(files).toContain('report.json');
    expect(await keysUnder(root)).toEqual(files.map((f) => `${root}${local}${f}`).sort());
    const s3 = motoClient(S3Client, aws, DR);
    const read = async (key: string) => (await s3.send(new GetObjectCommand({ Bucket: d.drBucket, Key: key }))).Body!.transformToString('utf8');
    for (const f of files) expect(await read(`${root}${local}${f}`), f).toBe(await read(`${local}${f}`));
    expect(message).toContain("to the vault by S3 replication of the account's <account>/<region>/ prefix");
  });

  it("is what report --org reads: the roll-up over the bucket finds this account and region's report, and nothing at the root", async () => {
    const rollup = await orgRollup(new S3ObjectStore(motoClient(S3Client, aws, DR), d.drBucket, ''), new Date(Date.parse(END) + 60_000));
    expect(rollup.accounts.map((a) => [a.account, a.region, a.key, a.deployment])).toEqual([
      [MOTO_ACCOUNT, DR, `${root}${reportKeyPrefix('weekly', new Date(END))}report.json`, 'moto'],
    ]);
  });

  it("the next week's run checks the previous report's vault copy under <account>/<region>/ (no status in moto: said, not a pass)", async () => {
    const { message } = await scheduledReport(vault, '2026-11-30T06:00:00Z');
    const files = (await keysUnder(`${root}reports/weekly/2026-11-23T0600Z/`)).length;
    expect(message).toContain(
      `previous report ${root}reports/weekly/2026-11-23T0600Z/ in the vault: 0 of ${files} file(s) COMPLETED, ${files} with no replication status (written before the rule into the vault)`,
    );
  });

  it('a record under the prefix that is no report is named MALFORMED by the roll-up, the account is not skipped', async () => {
    const key = `${root}reports/weekly/2026-12-07T0600Z/report.json`;
    await motoClient(S3Client, aws, DR).send(new PutObjectCommand({ Bucket: d.drBucket, Key: key, Body: '{"deployment":"moto"}' }));
    const rollup = await orgRollup(new S3ObjectStore(motoClient(S3Client, aws, DR), d.drBucket, ''), new Date('2026-12-07T07:00:00Z'));
    expect(rollup.accounts).toMatchObject([{ account: MOTO_ACCOUNT, region: DR, state: 'malformed', key }]);
  });

  it("signed by the evidence key: the organization's copy is the same signed bytes, and the roll-up reads it as a report", async () => {
    const evidence = kmsEvidenceKey();
    const end = '2026-12-14T06:00:00Z';
    await scheduledReport(vault, end, await kmsSigner(evidence.kms, evidence.keyArn));
    const s3 = motoClient(S3Client, aws, DR);
    const read = async (key: string) => (await s3.send(new GetObjectCommand({ Bucket: d.drBucket, Key: key }))).Body!.transformToString('utf8');
    const local = `${reportKeyPrefix('weekly', new Date(end))}report.json`;
    const signed = await read(local);
    expect(await read(`${root}${local}`)).toBe(signed);
    // The reports of the weeks before were written unsigned: the chain starts at this one.
    expect((JSON.parse(signed) as { attestation?: { seq: number; deployment: string } }).attestation).toMatchObject({
      seq: 1,
      deployment: `s3://${d.drBucket}/`,
    });
    const rollup = await orgRollup(new S3ObjectStore(s3, d.drBucket, ''), new Date(Date.parse(end) + 60_000));
    expect(rollup.accounts).toHaveLength(1);
    expect(rollup.accounts[0]).toMatchObject({ account: MOTO_ACCOUNT, region: DR, key: `${root}${local}`, deployment: 'moto' });
    expect(rollup.accounts[0]!.state).not.toBe('malformed');
  });
});
