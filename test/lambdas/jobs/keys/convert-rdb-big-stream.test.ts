/**
 * A stream of 1 MiB or more that spans the reader's chunks (1 MiB reads), written in an older layout from the parts
 * the reader kept (convert-input.ts streamInParts: StreamLayout.readParts, its runs handed to the writer as views):
 * judged, refused, written and read back as a small one is. The input: a 3 MB stream a real redis-server 7.0 wrote (a
 * deletion, a group read part-way). A type 21 in parts: stream-layout-parts.test.ts (test/support/rdb-newer.ts's
 * framing spreads a value's bytes as call arguments, too many for a 3 MB one).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RdbKeyReader } from '../../../../lambdas/domain/rdb/keys.js';
import { convertRdb, convertTarget, parseLossy } from '../../../../lambdas/jobs/keys/convert-rdb.js';
import { keysOf } from '../../../support/rdb-newer.js';
import { bgsave, startRedisServer, type RedisServer } from '../../../support/redis-server.js';
import { streamIds } from '../../../support/stream-ids.js';

describe("convertRdb: a big stream in an older layout, from the reader's parts", () => {
  const servers: RedisServer[] = [];
  let dir: string;
  let input19: string;
  let entries: unknown;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'redis-dr-big-stream-'));
    const source = await startRedisServer();
    servers.push(source);
    const c = source.client();
    const p = c.pipeline();
    for (let i = 1; i <= 3000; i++) p.xadd('big', `${i}-1`, 'f', randomBytes(1000));
    await p.exec();
    await c.xdel('big', '1500-1');
    await c.xgroup('CREATE', 'big', 'g', '0');
    await c.xreadgroup('GROUP', 'g', 'alice', 'COUNT', '3', 'STREAMS', 'big', '>');
    await c.set('small', 'v');
    entries = await c.callBuffer('XRANGE', 'big', '-', '+');
    input19 = join(dir, 'in-19.rdb');
    writeFileSync(input19, readFileSync(await bgsave(source, c)));
    const { keys } = keysOf(readFileSync(input19));
    expect(keys.find((k) => k.name === 'big')!.object.length).toBeGreaterThan(2 << 20);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const typeOf = (path: string) => new RdbKeyReader().push(readFileSync(path)).find((k) => k.name.toString() === 'big')?.type;
  const load = async (path: string) => {
    const s = await startRedisServer({ loadRdb: path });
    servers.push(s);
    return s;
  };

  it('for redis-6.2: refused naming the ids a type 15 loses, nothing written; with --lossy stream-ids written as type 15, every entry loaded', async () => {
    const output = join(dir, 'out-62.rdb');
    const refused = await convertRdb({ input: input19, output, ...convertTarget({ for: 'redis-6.2' }) });
    expect(refused.ok).toBe(false);
    expect(refused.error).toMatch(
      /^1 key of the input cannot be expressed for redis-6\.2: big: a stream whose entries-added 3000 \(would be 2999\), max-deleted-entry-id 1500-1/,
    );
    expect(existsSync(output)).toBe(false);
    const r = await convertRdb({ input: input19, output, ...convertTarget({ for: 'redis-6.2' }), lossy: parseLossy('stream-ids') });
    expect(r.error).toBeUndefined();
    expect(r).toMatchObject({ ok: true, reencoded: 1, asIs: 1 });
    expect(typeOf(output)).toBe(15);
    const loaded = await load(output);
    expect(await loaded.client().callBuffer('XRANGE', 'big', '-', '+')).toEqual(entries);
    const ids = await streamIds(loaded, 'big');
    expect(ids).toMatchObject({ length: 2999, groups: [{ name: 'g', 'last-delivered-id': '3-1', pending: 3 }] });
  }, 60_000);
});
