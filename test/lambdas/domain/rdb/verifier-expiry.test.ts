import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExactExpiries, formatExpiryHistogram, histogramCounts, histogramOf } from '../../../../lambdas/domain/rdb/expiry-histogram.js';
import { createRdbVerifier, type RdbCheckpoint } from '../../../../lambdas/domain/rdb/verifier.js';
import { bgsave, startRedisServer, type RedisServer } from '../../../support/redis-server.js';

/**
 * The verifier records when the keys with an expiry expire (an expiry
 * histogram based at the file's `ctime`, and on request every time exactly):
 * what a drill needs to subtract exactly the keys expired by its check.
 */
describe('expiry times of a file written by a real redis-server', () => {
  let server: RedisServer;
  let saved: Buffer;
  let times: number[];

  beforeAll(async () => {
    server = await startRedisServer({ args: ['--enable-debug-command', 'local'] });
    const c = server.client();
    await c.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0'); // the expired key stays in memory, so in the file
    const [s] = await c.time();
    const now = Number(s) * 1000;
    times = [now + 50, ...Array<number>(10).fill(now + 3_600_000), ...Array<number>(20).fill(now + 86_400_000)];
    const p = c.pipeline();
    for (let i = 0; i < 100; i++) p.set(`p:${i}`, 'v');
    times.forEach((t, i) => {
      p.set(`e:${i}`, 'v', 'PXAT', t);
    });
    await p.exec();
    await new Promise((r) => setTimeout(r, 1_100)); // the file's ctime (seconds) is past the first key's expiry
    saved = readFileSync(await bgsave(server, c));
  });
  afterAll(async () => server?.stop());

  it("counts every key with an expiry in the bucket of its time after the file's ctime, and every time exactly on request", () => {
    const exact = new ExactExpiries();
    const v = createRdbVerifier({ expiryTimes: exact });
    v.push(saved);
    const report = v.end();
    expect(report).toMatchObject({ ok: true, keys: 131, expires: 31, expiredKeys: 1 });
    const ctimeMs = Number(report.auxFields.ctime) * 1000;
    expect(report.expiryHistogram).toBe(formatExpiryHistogram(histogramOf(ctimeMs, times)));
    expect(exact.size).toBe(31);
    for (const at of [ctimeMs, times[1]!, times[1]! + 1, times[11]! + 1]) {
      const truth = times.filter((t) => t < at).length;
      expect(exact.expiredBy(at)).toEqual({ sure: truth, maybe: truth });
      const { sure, maybe } = histogramCounts([report.expiryHistogram!])!.expiredBy(at);
      expect(sure).toBeLessThanOrEqual(truth);
      expect(maybe).toBeGreaterThanOrEqual(truth);
    }
  });

  it('keeps the histogram across a pause and resume; a checkpoint from before histograms yields none', () => {
    // Paused where some keys with an expiry were read and some not (the key order varies from server to server).
    let cp: RdbCheckpoint | undefined;
    for (let cut = 64; cut < saved.length && !(cp && cp.expires > 0 && cp.expires < 31); cut += 64) {
      const first = createRdbVerifier();
      first.push(saved.subarray(0, cut));
      first.pause();
      first.push(saved.subarray(cut));
      cp = JSON.parse(JSON.stringify(first.checkpoint() ?? null)) as RdbCheckpoint | undefined;
    }
    expect(cp!.expires).toBeGreaterThan(0);
    expect(cp!.expires).toBeLessThan(31);
    const whole = createRdbVerifier();
    whole.push(saved);
    const expected = whole.end();

    const resumed = createRdbVerifier({ resumeFrom: cp });
    resumed.push(saved.subarray(cp!.offset));
    // The same report, but for the duplicate-key check that covered the keys from the checkpoint on only.
    expect(resumed.end()).toEqual({ ...expected, duplicateKeyCheck: { fromOffset: cp!.offset, detectionProbability: 1 } });

    const { expiryCounts: _, expiryUnbased: __, ...older } = cp!;
    const fromOlder = createRdbVerifier({ resumeFrom: older });
    fromOlder.push(saved.subarray(cp!.offset));
    const report = fromOlder.end();
    expect(report).toMatchObject({ ok: true, expires: 31 });
    expect(report.expiryHistogram).toBeUndefined();
  });
});
