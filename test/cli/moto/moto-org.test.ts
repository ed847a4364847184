import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountId, writeTree } from '../../../bench/org/tree.js';
import { FakeClock } from '../../support/fakes.js';
import { type MotoS3, startMotoS3 } from '../../support/moto.js';
import { runInProcess } from '../support/in-process.js';

/**
 * `report --org --from s3://…` against moto's S3: the organization's
 * evidence bucket, each account under its own `<account>/` prefix (issue 52
 * item 4, "where moto implements the APIs").
 */
const NOW = new Date('2026-11-23T06:00:00Z');
const BUCKET = 'org-evidence';
let moto: MotoS3;
const dir = mkdtempSync(join(tmpdir(), 'redis-dr-moto-org-'));
const ENV = (endpoint: string) => ({
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  AWS_REGION: 'us-east-1',
  AWS_ENDPOINT_URL_S3: endpoint,
  AWS_EC2_METADATA_DISABLED: 'true',
});

beforeAll(async () => {
  moto = await startMotoS3();
  await moto.bucket(BUCKET);
  writeTree(dir, { accounts: 3, regions: 1, caches: 2, now: NOW, kindOf: (i) => (i === 1 ? 'failing-drill' : 'ok') });
  const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
  for (const f of files) {
    const path = join(f.parentPath, f.name);
    await moto.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: relative(dir, path), Body: readFileSync(path) }));
  }
}, 180_000);
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await moto?.stop();
});

describe('report --org from an S3 evidence bucket (moto)', { timeout: 180_000 }, () => {
  it('lists the bucket once, reads each account’s newest report, and names the failing account', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, ENV(moto.endpoint));
    try {
      const r = await runInProcess(['report', '--org', '--from', `s3://${BUCKET}`], { clock: new FakeClock(NOW.getTime() + 60_000) });
      expect(r.stdout.split('\n')[0]).toBe(
        'org: 3 account(s), 3 account-region report(s), 2 ok, 1 not; 6 cache(s): 100% with a verified copy within the RPO, 66.7% drilled within the RTO',
      );
      expect(r.stdout).toMatch(new RegExp(`FAIL ${accountId(1)} eu-central-1 fail: 2 control\\(s\\) failed`));
      expect(r.code).toBe(1);
    } finally {
      for (const k of Object.keys(ENV(''))) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
    }
  });
});
