/**
 * convert-rdb keeps a key name as the file stores it: a real redis-server
 * (`rdbcompression yes`, its default) writes long compressible names
 * LZF-compressed and small integer names as integers; every RDB version
 * reads those encodings, so the output keeps them (a review found a copy
 * as it is growing 62,896 -> 72,849 bytes with its names written plain).
 * Both a key copied as it is and one re-encoded (a listpack hash for
 * Redis 6.2) keep their name's encoding; the output loads in a real server
 * and holds every key of the input.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCanonicalBatch } from '../../../../lambdas/adapters/redis/canonical-read.js';
import { keyDigest } from '../../../../lambdas/domain/rdb/fingerprint.js';
import { decodeDumpPayload } from '../../../../lambdas/domain/rdb/format/value.js';
import { RdbKeyReader } from '../../../../lambdas/domain/rdb/keys.js';
import { convertRdb, convertTarget } from '../../../../lambdas/jobs/keys/convert-rdb.js';
import { bgsave, type RedisServer, startRedisServer } from '../../../support/redis-server.js';

const KEYS = 300;
const longName = (i: number) => `tenant:acme:user:session:${'abcdefgh'.repeat(8)}:${i}`;
let dir: string;
let input: Buffer;
let inputPath: string;
const servers: RedisServer[] = [];

beforeAll(async () => {
  const source = await startRedisServer();
  servers.push(source);
  const c = source.client();
  const p = c.pipeline();
  for (let i = 0; i < KEYS; i++) {
    if (i % 3 === 0) p.hset(longName(i), 'f', 'v', 'g', String(i));
    else p.set(longName(i), `v${i}`);
  }
  // Names a server stores as integers (rdbTryIntegerEncoding), one of each width.
  p.set('7', 'a').set('1000', 'b').set('100000', 'c');
  await p.exec();
  inputPath = await bgsave(source, c);
  input = readFileSync(inputPath);
  c.disconnect();
  dir = mkdtempSync(join(tmpdir(), 'redis-dr-convert-names-'));
}, 60_000);

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.each([
  ['redis-7.0', 'copied as they are'],
  ['redis-6.2', 'the hashes re-encoded'],
])('convert-rdb --for %s (%s)', (target) => {
  it('keeps LZF and integer names as stored: no name written plain, the output no larger than it needs, equal in a real server', async () => {
    const output = join(dir, `${target}.rdb`);
    const r = await convertRdb({ input: inputPath, output, ...convertTarget({ for: target }) });
    expect(r.error).toBeUndefined();
    expect(r.ok).toBe(true);
    if (target === 'redis-6.2') expect(r.reencoded).toBe(KEYS / 3);
    else expect(r.reencoded).toBe(0);
    const out = readFileSync(output);
    // The server stored every long name compressed (none plain in its file); the output keeps them so.
    for (let i = 0; i < KEYS; i++) expect(input.includes(longName(i))).toBe(false);
    const plain = Array.from({ length: KEYS }, (_, i) => longName(i)).filter((n) => out.includes(n));
    expect(plain).toEqual([]);
    // Copied as it is the output is the input's size but for its AUX fields; written plain the names took 60-odd bytes more each.
    if (target === 'redis-7.0') expect(Math.abs(out.length - input.length)).toBeLessThan(64);

    const loaded = await startRedisServer({ loadRdb: output });
    servers.push(loaded);
    const c = loaded.client();
    const reader = new RdbKeyReader();
    const keys = reader.push(input);
    expect(reader.end().ok).toBe(true);
    expect(await c.dbsize()).toBe(keys.length);
    const reads = await readCanonicalBatch(
      c,
      keys.map((k) => k.name),
    );
    const got = Object.fromEntries(keys.map((k, i) => [k.name.toString('latin1'), reads[i] && keyDigest(reads[i].value, reads[i].expireAtMs)]));
    expect(got).toEqual(Object.fromEntries(keys.map((k) => [k.name.toString('latin1'), keyDigest(decodeDumpPayload(k.payload), k.expireAtMs)])));
    expect(got['1000']).toBeDefined();
    c.disconnect();
  });
});
