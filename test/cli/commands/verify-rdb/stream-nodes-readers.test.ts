/**
 * Review 20, finding 1: every reader refuses a stream node whose master entry
 * contradicts its entries, because every reader runs the verifier first.
 * The file is a real redis-server 7.0's, one stream's node changed as the
 * review's f47 was (count and deleted swapped, their sum kept: Redis loads
 * it even with deep validation, but XLEN and XRANGE then disagree and
 * redis-dr's own decoder cannot read it); verify-rdb, convert-rdb,
 * migrate --from-rdb and serve each refuse it, and nothing is written. So
 * are entries out of ID order (review 21).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Crc64 } from '../../../../lambdas/domain/rdb/codecs/crc64.js';
import { streamNodeKeyAt } from '../../../support/rdb-bytes.js';
import { bgsave, startRedisServer, type RedisServer } from '../../../support/redis-server.js';
import { inWorker } from '../../support/in-process.js';
import { cli } from '../../support/run-cli.js';

describe('a stream node contradicting its master entry: every reader refuses it, nothing written', () => {
  let source: RedisServer;
  let target: RedisServer;
  let dir: string;
  let good: string;
  let bad: string;
  let ids: string;
  const idsMessage = /key 1 value \(stream, RDB type 19\): stream node ID 15-0 is not above entry 20-0 of node 10-0 before it/;
  const message = /key \d+ value \(stream, RDB type 19\): stream node 3-1 says 1 entries and 2 deleted, holds 2 and 1/;

  beforeAll(async () => {
    [source, target] = await Promise.all([startRedisServer({ args: ['--rdbcompression', 'no'] }), startRedisServer()]);
    const c = source.client();
    for (let i = 0; i < 26; i++) await c.set(`k:${i}`, `v${i}`);
    for (const [id, v] of [
      ['3-1', 'a'],
      ['3-2', 'b'],
      ['3-3', 'c'],
    ] as const)
      await c.xadd('s', id, 'f', v);
    await c.xdel('s', '3-2');
    const file = Buffer.from(readFileSync(await bgsave(source, c)));
    dir = mkdtempSync(join(tmpdir(), 'redis-dr-stream-nodes-'));
    good = join(dir, 'good.rdb');
    writeFileSync(good, file);
    // The node's listpack: count 2, deleted 1, 1 field, "f", 0, then the entries 3-1, 3-2 (flags 3: deleted), 3-3.
    const node = Buffer.from([2, 1, 1, 1, 1, 1, 0x81, 0x66, 2, 0, 1, 2, 1, 0, 1, 0, 1, 0x81, 0x61, 2, 4, 1, 3, 1]);
    const at = file.indexOf(node);
    expect(at).toBeGreaterThan(0);
    file[at] = 1; // count 2 → 1
    file[at + 2] = 2; // deleted 1 → 2
    new Crc64().update(file, 0, file.length - 8).writeLittleEndian(file, file.length - 8);
    bad = join(dir, 'bad.rdb');
    writeFileSync(bad, file);
    // Review 21: a stream of nodes 10-0 (10-0 20-0) and 30-0 (30-0 40-0), the second node's ID made 15-0: its entries (15-0,
    // 25-0) then lie below the first node's last (Redis loads it, then answers XRANGE 20-0 20-0 with nothing).
    await c.flushall();
    await c.config('SET', 'stream-node-max-entries', '2');
    for (const id of ['10-0', '20-0', '30-0', '40-0']) await c.xadd('o', id, 'f', 'v');
    const two = Buffer.from(readFileSync(await bgsave(source, c)));
    two[streamNodeKeyAt(two, 30, 0) + 7] = 15;
    new Crc64().update(two, 0, two.length - 8).writeLittleEndian(two, two.length - 8);
    ids = join(dir, 'ids.rdb');
    writeFileSync(ids, two);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([source?.stop(), target?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("verify-rdb: OK for the server's file (negative), CORRUPT naming the key, node and byte, exit 1", async () => {
    expect((await cli('verify-rdb', good)).status).toBe(0);
    const r = await inWorker('verify-rdb', bad);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^CORRUPT bad\.rdb: RDB v10, checksum absent at byte \d+: /);
    expect(r.stdout).toMatch(message);
  }, 30_000);

  it('convert-rdb: refused, no output and no temporary file', async () => {
    const out = join(dir, 'out.rdb');
    const r = await inWorker('convert-rdb', bad, '--for', 'redis-7.0', '-o', out);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/nothing was written/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).sort()).toEqual(['bad.rdb', 'good.rdb', 'ids.rdb']);
  }, 30_000);

  it('review 21: entries out of ID order are refused by verify-rdb, convert-rdb (nothing written) and serve', async () => {
    const verified = await inWorker('verify-rdb', ids);
    expect(verified.status).toBe(1);
    expect(verified.stdout).toMatch(idsMessage);
    const out = join(dir, 'ids-out.rdb');
    const converted = await inWorker('convert-rdb', ids, '--for', 'redis-7.0', '-o', out);
    expect(converted.status).not.toBe(0);
    expect(converted.stderr).toMatch(idsMessage);
    expect(existsSync(out)).toBe(false);
    const served = await inWorker('serve', ids, '--port', '0');
    expect(served.status).toBe(1);
    expect(served.stderr).toMatch(idsMessage);
  }, 60_000);

  it('migrate --from-rdb: refused before its first write, the target empty', async () => {
    const r = await inWorker('migrate', '--from-rdb', bad, '--to', target.url, '--verify');
    expect(r.status).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/the file is refused, nothing was written: /);
    expect(r.stdout + r.stderr).toMatch(message);
    expect(await target.client().dbsize()).toBe(0);
  }, 30_000);

  it('serve: refused before listening, exit 1 (a corrupt file: a problem found)', async () => {
    const r = await inWorker('serve', bad, '--port', '0');
    expect(r.status).toBe(1);
    expect(r.stdout).not.toContain('listening');
    expect(r.stderr).toMatch(/bad\.rdb is corrupt \(the verifier's verdict at byte \d+: /);
    expect(r.stderr).toMatch(message);
  }, 30_000);
});
