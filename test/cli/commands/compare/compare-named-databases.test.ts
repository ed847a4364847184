/**
 * compare with URLs naming two different databases (`--a …/0 --b …/1`): what
 * it leaves out is each side's databases holding keys that it does not read
 * on that side. It summed the two sides' key counts by database number, so
 * B's database 1 — the one it compared — was named left out (exit 1 for
 * equal data), and B's keys in database 0 (never read) went unnamed: A empty
 * against B holding keys in database 0 only said EQUAL, exit 0.
 */
import type Redis from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCompare } from '../../../../lambdas/jobs/keys/compare.js';
import { formatCompareRuns } from '../../../../cli/compare-report.js';
import { startRedisServer, type RedisServer } from '../../../support/redis-server.js';

describe('compare --a …/<x> --b …/<y>, x ≠ y', () => {
  let a: RedisServer;
  let b: RedisServer;
  let ca: Redis;
  let cb: Redis;
  beforeAll(async () => {
    [a, b] = await Promise.all([startRedisServer(), startRedisServer()]);
    ca = a.client();
    cb = b.client();
  });
  afterAll(async () => Promise.all([a?.stop(), b?.stop()]));
  beforeEach(async () => {
    await Promise.all([ca.flushall(), cb.flushall()]);
  });

  it('A database 0 against B database 1, the same keys and nothing else: EQUAL, nothing left out', async () => {
    await ca.set('k', 'v');
    await cb.select(1);
    await cb.set('k', 'v');
    await cb.select(0);
    const r = await runCompare({ a: `${a.url}/0`, b: `${b.url}/1` });
    expect(r.leftOut).toEqual([]);
    expect(r.equal).toBe(true);
  });

  it("B's keys in the database A's URL names, never read on B, are left out: not EQUAL", async () => {
    await cb.set('only-in-b-db0', 'v');
    const named = await runCompare({ a: `${a.url}/0`, b: `${b.url}/1` });
    expect(named.leftOut).toEqual([{ db: 0, keys: 1, bySide: { B: 1 } }]);
    expect(named.equal).toBe(false);
    // B's URL alone naming database 1: A's database 0 against it, B's database 0 not read.
    const bOnly = await runCompare({ a: a.url, b: `${b.url}/1` });
    expect(bOnly.leftOut).toEqual([{ db: 0, keys: 1, bySide: { B: 1 } }]);
    expect(bOnly.equal).toBe(false);
  });

  it('each side left out where it is not read, each named with its side (the line says which: review 46)', async () => {
    await ca.select(1);
    await ca.set('a1', 'v');
    await ca.select(0);
    await ca.set('k', 'v');
    await cb.set('b0', 'v');
    await cb.select(1);
    await cb.set('k', 'v');
    await cb.select(0);
    const r = await runCompare({ a: `${a.url}/0`, b: `${b.url}/1` });
    expect(r.leftOut).toEqual([
      { db: 0, keys: 1, bySide: { B: 1 } },
      { db: 1, keys: 1, bySide: { A: 1 } },
    ]);
    // The words: which side's database, and a fix that runs (leaving /<db> out of --a alone is refused, exit 2).
    const line = formatCompareRuns(r)
      .split('\n')
      .find((l) => l.startsWith('NOT COMPARED'));
    expect(line).toBe(
      'NOT COMPARED: database 0 (1 key on B), database 1 (1 key on A): not proven equal. ' +
        'Leave the /<db> out of both URLs to compare every database holding keys, each with the database of its number',
    );
    expect(r.equal).toBe(false);
    // The same database on both sides: as before (both sides' other databases).
    const same = await runCompare({ a: `${a.url}/0`, b: `${b.url}/0` });
    expect(same.leftOut).toEqual([{ db: 1, keys: 2, bySide: { A: 1, B: 1 } }]);
  });
});
