import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMotoS3, type MotoS3, useMotoCredentials } from '../../../support/moto.js';
import { runInProcess } from '../../support/in-process.js';

/**
 * A destination bucket that is not there is a typo, as a missing folder is:
 * exit 2 naming it, nothing done (it was a failed run, exit 1), for every
 * command that opens a destination. Against moto's real S3 API.
 */
describe('an s3:// destination whose bucket does not exist', () => {
  let moto: MotoS3;
  const dir = mkdtempSync(join(tmpdir(), 'missing-bucket-'));
  let restoreCredentials = (): void => undefined;
  beforeAll(async () => {
    moto = await startMotoS3();
    await moto.bucket('there');
    restoreCredentials = useMotoCredentials();
  });
  afterAll(async () => {
    restoreCredentials();
    await moto?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    ['ship-aof', (to: string, e: string) => ['ship-aof', '--dir', dir, '--to', to, '--s3-endpoint', e], '--to'],
    ['restore-aof', (to: string, e: string) => ['restore-aof', '--from', to, '--to', join(dir, 'out'), '--s3-endpoint', e], '--from'],
    ['report --destination', (to: string, e: string) => ['report', '--destination', to, '--s3-endpoint', e, '--json', join(dir, 'r.json')], '--destination'],
  ])('%s: exit 2 naming the bucket; a bucket that is there goes on', async (_what, args, option) => {
    const r = await runInProcess(args('s3://tpyo-bucket/redis', moto.endpoint));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `${option} s3://tpyo-bucket/redis: no such bucket tpyo-bucket (NoSuchBucket). Check the name (a typo?), or create the bucket first`,
    );
    expect((await runInProcess(args('s3://there/redis', moto.endpoint))).stderr).not.toMatch(/no such bucket/);
  });
});
