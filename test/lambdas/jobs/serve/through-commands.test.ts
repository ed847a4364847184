/**
 * A served point through redis-dr's own commands: `migrate` takes every key
 * from it (TYPE, PTTL, DUMP, as from any server) into an empty server, and
 * `compare` proves the copy and a redis-server loaded from the same file
 * equal to the point.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCompare } from '../../../../lambdas/jobs/keys/compare.js';
import { runMigrate } from '../../../../lambdas/jobs/keys/migrate.js';
import { startServing, type Serving } from '../../../../lambdas/jobs/serve/serve.js';
import { type RedisServer, startRedisServer } from '../../../support/redis-server.js';
import { writeServeDataset } from '../../../support/serve-dataset.js';

let dir: string;
let reference: RedisServer;
let target: RedisServer;
let serving: Serving;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'redis-dr-serve-through-'));
  const writer = await startRedisServer();
  await writeServeDataset(writer.client());
  await writer.client().save();
  const file = join(dir, 'point.rdb');
  copyFileSync(writer.rdbPath, file);
  await writer.stop();
  reference = await startRedisServer({ loadRdb: file });
  target = await startRedisServer();
  serving = await startServing({ location: file, port: 0 });
}, 60_000);

afterAll(async () => {
  await serving?.close();
  await reference?.stop();
  await target?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const served = () => `redis://127.0.0.1:${serving.port}`;

describe('a served point through migrate and compare', () => {
  it('compare finds the point equal to a server loaded from the same file, database by database', async () => {
    const r = await runCompare({ a: served(), b: reference.url });
    expect(r.databases.map((d) => d.from)).toEqual([0, 1, 5]);
    expect(r.equal).toBe(true);
    expect(r.differences).toBe(0);
  });

  it('migrate copies every key of every database out of it, verified', async () => {
    const r = await runMigrate({ from: { url: served() }, to: { url: target.url }, verify: true });
    expect(r.result.error).toBeUndefined();
    expect(r.result.failed).toBe(0);
    expect(r.result.copied).toBeGreaterThan(70);
    expect(r.verify?.equal).toBe(true);
    const again = await runCompare({ a: target.url, b: reference.url });
    expect(again.equal).toBe(true);
  });

  it('compare sees a difference when the other side changed (negative)', async () => {
    await target.client().set('str', 'changed');
    const r = await runCompare({ a: served(), b: target.url });
    expect(r.equal).toBe(false);
    expect(r.differences).toBe(1);
  });
});
