import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { comparePoints } from '../../../../lambdas/jobs/serve/compare-points.js';
import { startServing, type Serving } from '../../../../lambdas/jobs/serve/serve.js';
import { frameFile } from '../../../support/rdb-newer.js';
import { type RedisServer, startRedisServer } from '../../../support/redis-server.js';
import { groupedStream21, IDMP_TAIL, newerStreamObject } from '../../../support/stream-newer.js';

/**
 * A recovery point of Redis 8.6 or 8.8 holding streams (RDB types 26, 27: Redis 8.6 writes every stream as a 26),
 * served and compared against a real 7.0 holding the same streams. Before format/stream-newer-tail.ts, serve answered
 * XLEN and XINFO GROUPS of such a stream with "malformed DUMP payload (RDB type 26 …)" and "Cannot read properties of
 * undefined", and compare of it (or of a real Redis 8.6 server, whose DUMP of any stream is a 26) stopped on the same.
 */
describe('serve and compare of a Redis 8.6/8.8 file holding streams (RDB types 26, 27)', () => {
  let dir: string;
  let source: RedisServer;
  /** RDB 13: `s` a type 26 (a real 7.0's stream with groups, and an IDMP tail), `plain` a string. */
  let file26: string;
  /** RDB 14: the same with `s` a type 27 whose group g has 2-0 NACKed. */
  let file27: string;
  const servings: Serving[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'redis-dr-newer-streams-serve-'));
    source = await startRedisServer();
    const c = source.client();
    await c.set('plain', 'v');
    const { keys, s21 } = await groupedStream21(source, c);
    const framed = (type: 26 | 27, nacked?: Set<string>) =>
      keys.map((k) => (k.name === 's' ? { ...k, type, object: newerStreamObject(s21, type, IDMP_TAIL, nacked) } : k));
    file26 = join(dir, 'redis-86.rdb');
    writeFileSync(file26, frameFile('REDIS0013', framed(26), [], { 'redis-ver': '8.6.3' }));
    file27 = join(dir, 'redis-88.rdb');
    writeFileSync(file27, frameFile('REDIS0014', framed(27, new Set(['2-0'])), [], { 'redis-ver': '8.8.0' }));
  }, 60_000);

  afterAll(async () => {
    await Promise.all(servings.map((s) => s.close()));
    await source?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const serve = async (location: string) => {
    const s = await startServing({ location, port: 0 });
    servings.push(s);
    const c = new Redis({ port: s.port, lazyConnect: true });
    await c.connect();
    return c;
  };

  it('serve answers XLEN, XRANGE, XINFO GROUPS and XINFO CONSUMERS of a type 26 as the 7.0 holding it does', async () => {
    const c = await serve(file26);
    const o = source.client();
    try {
      expect(await c.xlen('s')).toBe(5);
      expect(await c.xrange('s', '-', '+')).toEqual(await o.xrange('s', '-', '+'));
      expect(await c.call('XINFO', 'GROUPS', 's')).toEqual(await o.call('XINFO', 'GROUPS', 's'));
      const names = (r: unknown) => (r as unknown[][]).map((x) => [x[1], x[3]]); // name, pending
      expect(names(await c.call('XINFO', 'CONSUMERS', 's', 'g'))).toEqual(names(await o.call('XINFO', 'CONSUMERS', 's', 'g')));
    } finally {
      c.disconnect();
    }
  });

  it('compare finds the type 26 equal to the 7.0 holding the stream (its IDMP data left out), the type 27 not (a NACKed entry)', async () => {
    const r = await comparePoints({ a: file26, b: source.url });
    expect(r.differences).toBe(0);
    expect(r.equal).toBe(true);
    const nacked = await comparePoints({ a: file27, b: source.url });
    expect(nacked.equal).toBe(false);
    expect(nacked.diffs.map((d) => String(d.key))).toEqual(['s']);
  });
});
