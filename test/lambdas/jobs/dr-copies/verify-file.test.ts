import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dismissSplitWorkerStandby, splitWorkerStandbyWaiting, startSplitWorkerStandby } from '../../../../lambdas/adapters/host/split-worker-start.js';
import { verifyRdbFile } from '../../../../lambdas/jobs/dr-copies/verify-file.js';
import { restoreEnvAfterFile } from '../../../support/env.js';
import { stringsRdb } from '../../../support/rdb-strings.js';

const THREADS = 'REDIS_DR_VERIFY_THREADS';

describe('verifyRdbFile and the split worker the CLI starts in standby', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'verify-file-'));
  });
  restoreEnvAfterFile();
  afterEach(() => dismissSplitWorkerStandby());
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a file too small to split: verified on this thread, and the waiting worker stopped (its CPU is not spent for nothing)', async () => {
    process.env[THREADS] = '2';
    const path = join(dir, 'small.rdb');
    writeFileSync(path, stringsRdb(100, 5));
    startSplitWorkerStandby();
    expect(splitWorkerStandbyWaiting()).toBe(true);
    const { report } = await verifyRdbFile(path);
    expect(report).toMatchObject({ ok: true, keys: 100 });
    expect(splitWorkerStandbyWaiting()).toBe(false);
  });

  it('a file that cannot be read: the usage error, and the waiting worker stopped all the same', async () => {
    process.env[THREADS] = '2';
    startSplitWorkerStandby();
    await expect(verifyRdbFile(join(dir, 'missing.rdb'))).rejects.toThrow('no such file');
    expect(splitWorkerStandbyWaiting()).toBe(false);
  });
});
