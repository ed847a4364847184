import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { verifyRdbFileOnTwoThreads } from '../../../../lambdas/adapters/host/crc64-thread.js';
import {
  dismissSplitWorkerStandby,
  secondCoreFree,
  splitWorkerStandbyWaiting,
  startSplitWorkerStandby,
  takeSplitWorkerStandby,
} from '../../../../lambdas/adapters/host/split-worker-start.js';
import { verifyRdbStream } from '../../../../lambdas/domain/rdb/verifier.js';
import { restoreEnvAfterFile } from '../../../support/env.js';
import { stringsRdb } from '../../../support/rdb-strings.js';

const THREADS = 'REDIS_DR_VERIFY_THREADS';

describe('the split worker in standby: started as the CLI begins, taken by the split, dismissed otherwise', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'split-standby-'));
  });
  restoreEnvAfterFile();
  afterEach(() => dismissSplitWorkerStandby());
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('one thread asked for (REDIS_DR_VERIFY_THREADS=1), or no second core: none is started', () => {
    process.env[THREADS] = '1';
    startSplitWorkerStandby();
    expect(splitWorkerStandbyWaiting()).toBe(false);
    expect(secondCoreFree(1, 0, 'auto')).toBe(false);
    expect(secondCoreFree(2, 1.5, 'auto')).toBe(false);
    expect(secondCoreFree(2, 0.5, 'auto')).toBe(true);
  });

  it('two threads asked for: one waits (one at most), and a dismissed one is gone', async () => {
    process.env[THREADS] = '2';
    startSplitWorkerStandby();
    const first = takeSplitWorkerStandby();
    expect(first).toBeDefined();
    startSplitWorkerStandby();
    startSplitWorkerStandby();
    expect(splitWorkerStandbyWaiting()).toBe(true);
    await dismissSplitWorkerStandby();
    expect(splitWorkerStandbyWaiting()).toBe(false);
    expect(takeSplitWorkerStandby()).toBeUndefined();
    await first!.terminate();
  });

  it('a split takes the waiting worker: it parses the second part, the report is the one-thread report, and none waits after', async () => {
    process.env[THREADS] = '2';
    const bytes = new Uint8Array(stringsRdb(11_000, 5));
    const path = join(dir, 'file.rdb');
    writeFileSync(path, bytes);
    startSplitWorkerStandby();
    expect(splitWorkerStandbyWaiting()).toBe(true);
    let seen: { taken: true | string; standby: boolean } | undefined;
    const two = await verifyRdbFileOnTwoThreads(
      path,
      bytes.length,
      {},
      {
        from: Math.floor(bytes.length / 2),
        awaitStart: true,
        observe: (taken, _from, standby) => {
          seen = { taken, standby };
        },
      },
    );
    expect(seen).toEqual({ taken: true, standby: true });
    expect(splitWorkerStandbyWaiting()).toBe(false);
    const one = await verifyRdbStream(
      (async function* () {
        yield bytes;
      })(),
    );
    expect(one).toMatchObject({ ok: true, keys: 11_000 });
    expect(two).toEqual(one);
  });
});
