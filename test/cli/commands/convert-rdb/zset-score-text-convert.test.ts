/**
 * Issue 55: zset scores stored as text that is not a plain number (`1.5x`,
 * `abc`), read as Redis 7.0 reads them when it loads the file (RDB type 3 by
 * sscanf, listpack entries by strtod: test/lambdas/domain/rdb/format/
 * zset-score-text.test.ts holds the verifier and the digest against the real
 * server). Here the commands an operator runs on such a file: `serve` replies
 * as the server that loaded it, `convert-rdb --for redis-6.2` writes a file
 * the server loads with the same scores (and --for redis-7.0), and `migrate --from-rdb --verify`
 * into an empty server is EQUAL. Files built byte by byte (no server writes
 * such a score); ziplists (type 12) as Redis < 7 wrote small sorted sets.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startServing } from '../../../../lambdas/jobs/serve/serve.js';
import { file, str } from '../../../support/rdb-bytes.js';
import { listpack } from '../../../support/rdb-newer.js';
import { startRedisServer } from '../../../support/redis-server.js';
import { RawClient } from '../../../support/resp-raw.js';
import { ziplist } from '../../../support/ziplist-bytes.js';
import { inWorker } from '../../support/in-process.js';

const dir = mkdtempSync(join(tmpdir(), 'zset-score-text-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const text = (s: string): number[] => [s.length, ...Buffer.from(s, 'latin1')];
/** A type-3 zset `z` of members a (score text `score`) and b (score 7), beside a string. */
const type3 = (score: string): Uint8Array =>
  file('REDIS0009', [0xfe, 0, 3, ...str('z'), 2, ...str('a'), ...text(score), ...str('b'), ...text('7'), 0, ...str('s'), ...str('v')]);
/** A listpack zset (type 17) `z`: member a with score entry `score`, member b with score 7, beside a string. */
const type17 = (score: string): Uint8Array => {
  const lp = listpack(['a', score, 'b', 7]);
  return file('REDIS0010', [0xfe, 0, 17, ...str('z'), lp.length, ...lp, 0, ...str('s'), ...str('v')]);
};

/**
 * A ziplist zset (type 12) `z`: member a with score entry `score` (a bigint: an integer entry), member b with score
 * entry `inf`, beside a string. 7.0 holds a ziplist's pairs in their stored order, so b's score is one no case's exceeds.
 */
const type12 = (score: string | bigint): Uint8Array => {
  const zl = ziplist(['a', score, 'b', 'inf']);
  return file('REDIS0009', [0xfe, 0, 12, ...str('z'), zl.length, ...zl, 0, ...str('s'), ...str('v')]);
};

/** The raw replies a server (or serve) gives for the zset. */
async function zsetReplies(port: number): Promise<string[]> {
  const raw = await RawClient.open(port);
  try {
    return [
      await raw.call('ZRANGE', 'z', '0', '-1', 'WITHSCORES'),
      await raw.call('ZSCORE', 'z', 'a'),
      await raw.call('ZRANGEBYSCORE', 'z', '-inf', '+inf', 'WITHSCORES'),
    ];
  } finally {
    raw.close();
  }
}

/** The replies of a real 7.0 that loaded `path`. */
async function loadedReplies(path: string): Promise<string[]> {
  const server = await startRedisServer({ loadRdb: path });
  try {
    return await zsetReplies(server.port);
  } finally {
    await server.stop();
  }
}

describe('zset score texts through serve, convert-rdb and migrate --from-rdb (issue 55)', () => {
  const CASES: [string, () => Uint8Array, string][] = [
    ['RDB type 3, score text "1.5x"', () => type3('1.5x'), '1.5'],
    ['listpack, score entry "abc"', () => type17('abc'), '0'],
    ['listpack, score entry "1.5x"', () => type17('1.5x'), '1.5'],
    ['ziplist, score entry "abc"', () => type12('abc'), '0'],
    ['ziplist, score entry "1.5x"', () => type12('1.5x'), '1.5'],
    ['ziplist, score entry ""', () => type12(''), '0'],
    ['ziplist, score entry " 2"', () => type12(' 2'), '2'],
    ['ziplist, score entry "0x1p3"', () => type12('0x1p3'), '8'],
    ['ziplist, score entry "inf"', () => type12('inf'), 'inf'],
    ['ziplist, integer score entry 5', () => type12(5n), '5'],
  ];
  for (const [name, bytes, held] of CASES) {
    it(`${name}: 7.0 holds ${held}; serve replies as it, convert-rdb --for redis-6.2 and redis-7.0 load with it, migrate --from-rdb --verify EQUAL`, async () => {
      const input = join(dir, `${name.replace(/\W+/g, '-')}.rdb`);
      writeFileSync(input, bytes());
      const expected = await loadedReplies(input);
      expect(expected[1]).toBe(`$${held.length}\r\n${held}\r\n`);

      const serving = await startServing({ location: input, port: 0 });
      try {
        expect(await zsetReplies(serving.port)).toEqual(expected);
      } finally {
        await serving.close();
      }

      for (const target of ['redis-6.2', 'redis-7.0']) {
        const out = join(dir, `${name.replace(/\W+/g, '-')}-${target}.rdb`);
        const converted = await inWorker('convert-rdb', input, '--for', target, '-o', out);
        expect({ target, status: converted.status, stderr: converted.stderr }).toEqual({ target, status: 0, stderr: '' });
        expect(await loadedReplies(out)).toEqual(expected);
      }

      const target = await startRedisServer();
      try {
        const migrated = await inWorker('migrate', '--from-rdb', input, '--to', target.url, '--verify');
        expect(migrated.status).toBe(0);
        expect(migrated.stdout).toMatch(/verify: EQUAL: the target holds all 2 keys/);
        expect(await zsetReplies(target.port)).toEqual(expected);
      } finally {
        await target.stop();
      }
    }, 60_000);
  }

  it('listpack, score entry "nan" (7.0 loads a small set unchecked, aborts when it converts it): serve, convert-rdb and migrate --from-rdb refuse the file, naming why, nothing written', async () => {
    const input = join(dir, 'nan.rdb');
    writeFileSync(input, type17('nan'));
    const why = /sorted set score "nan" reads as NaN: Redis loads it unchecked into a small set, and aborts/;
    await expect(startServing({ location: input, port: 0 })).rejects.toThrow(why);
    const out = join(dir, 'nan-62.rdb');
    const converted = await inWorker('convert-rdb', input, '--for', 'redis-6.2', '-o', out);
    expect(converted.status).toBe(1);
    expect(converted.stderr).toMatch(why);
    expect(existsSync(out)).toBe(false);
    const target = await startRedisServer();
    try {
      const migrated = await inWorker('migrate', '--from-rdb', input, '--to', target.url);
      expect(migrated.status).toBe(1);
      expect(migrated.stdout).toMatch(/error: the file is refused, nothing was written: .*reads as NaN/);
      expect(await target.client().dbsize()).toBe(0);
    } finally {
      await target.stop();
    }
  }, 60_000);

  // The conversion's WebAssembly walk reads every score of a listpack it re-encodes, and the parser then looks for no
  // NaN score of its own (parse-zsets.ts listpackZset): a score that reads as NaN must still refuse the file there.
  it.each(['NaN', ' -nan', 'nan(1)', '+NAN'])(
    'a walked listpack (20 members) with score entry %j: convert-rdb refuses the file, naming it, nothing written',
    async (nan) => {
      const items = Array.from({ length: 20 }, (_, i) => [`m${i}`, i === 13 ? nan : `${i}.25`]).flat();
      const lp = listpack(items);
      expect(lp.length).toBeLessThan(16384);
      const input = join(dir, `nan-walked-${items.indexOf(nan)}-${nan.length}.rdb`);
      writeFileSync(input, file('REDIS0010', [0xfe, 0, 17, ...str('z'), 0x40 | (lp.length >> 8), lp.length & 0xff, ...lp]));
      const out = `${input}.62`;
      const converted = await inWorker('convert-rdb', input, '--for', 'redis-6.2', '-o', out);
      expect({ status: converted.status, stderr: converted.stderr }).toEqual({
        status: 1,
        stderr: expect.stringContaining(`sorted set score ${JSON.stringify(nan)} reads as NaN`),
      });
      expect(existsSync(out)).toBe(false);
    },
    60_000,
  );
});
