/**
 * Issue 55: the RESTORE payloads `migrate --from-rdb` sends for sorted sets
 * whose scores are stored as text (test/support/zset-score-texts.ts), made as
 * its second read makes them (read-rdb.ts writeFile: the reader's payload
 * version and sealing from the file's FileReencoding, then its payload()),
 * restored into a real redis-server 7.0: it holds what it holds when it loads
 * the file. Into a 7.0 target (it reads RDB 9 and 10) a payload is the key's
 * stored bytes, the text untouched, and RESTORE reads it as the load does
 * (rdbLoadObject: sscanf for type 3, strtod for ziplist and listpack
 * entries). Into a 6.2 target a listpack (RDB 10) is re-encoded with binary
 * scores (the doubles strtod reads: write/score-text.ts), restored here into
 * 7.0, which reads that RDB 9 payload too: the same members and scores (a
 * plain set is sorted on load, so one the file stores out of score order is
 * replied in score order there).
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dumpPayload, targetRdbSupport } from '../../../../lambdas/domain/rdb/format/dump-payload.js';
import { RdbKeyReader } from '../../../../lambdas/domain/rdb/keys.js';
import { FileReencoding } from '../../../../lambdas/jobs/keys/reencode.js';
import { type RedisServer, startRedisServer } from '../../../support/redis-server.js';
import { LISTPACK_CASES, loadedZset, TYPE3_CASES, type12, type17, type3, ZIPLIST_CASES } from '../../../support/zset-score-texts.js';

/** The payload migrate --from-rdb sends for the file's key into a target whose INFO names `redis_version`, and whether it goes as stored. */
function sentPayload(bytes: Uint8Array, redisVersion: string): { payload: Buffer; asIs: boolean } {
  const first = new RdbKeyReader();
  first.push(bytes);
  expect(first.end().ok).toBe(true);
  const re = FileReencoding.of(first.fileVersion, targetRdbSupport(`# Server\r\nredis_version:${redisVersion}\r\n`), new Set())!;
  const reader = new RdbKeyReader({ keepChunks: true, reread: true, payloadVersion: re.payloadVersion, sealPayloads: (type) => re.passesAsIs(type) });
  const [k] = reader.push(bytes);
  reader.end();
  return { payload: re.payload(k!) as Buffer, asIs: re.passesAsIs(k!.type) };
}

let server: RedisServer;
let client: Redis;
beforeAll(async () => {
  server = await startRedisServer();
  client = server.client();
});
afterAll(() => server.stop());

/** RESTOREs `payload` as `z` into the running 7.0 and returns its ZRANGE WITHSCORES. */
async function restored(payload: Uint8Array): Promise<string[]> {
  await client.call('RESTORE', 'z', '0', Buffer.from(payload), 'REPLACE');
  return (await client.call('ZRANGE', 'z', '0', '-1', 'WITHSCORES')) as string[];
}

const name = (score: string | number | bigint): string => (typeof score === 'bigint' ? `integer ${score}` : JSON.stringify(score));
const CASES: [string, string | number | bigint, Uint8Array][] = [
  ...TYPE3_CASES.filter(([, held]) => held !== null).map(([s]): [string, string, Uint8Array] => ['RDB type 3', s, type3(s)]),
  ...LISTPACK_CASES.map(([s]): [string, string | number, Uint8Array] => ['listpack (type 17)', s, type17(s)]),
  ...ZIPLIST_CASES.map(([s]): [string, string | bigint, Uint8Array] => ['ziplist (type 12)', s, type12(s)]),
];

describe('migrate --from-rdb RESTORE payloads of zset score texts, restored into a real 7.0 (issue 55)', () => {
  for (const [kind, score, bytes] of CASES) {
    it(`${kind}, score ${name(score)}, target 7.0: the stored text sent untouched; RESTORE holds what loading the file holds`, async () => {
      const { payload, asIs } = sentPayload(bytes, '7.0.15');
      expect(asIs).toBe(true);
      if (typeof score === 'string') expect(payload.includes(Buffer.from(score, 'latin1'))).toBe(true);
      expect(await restored(payload)).toEqual((await loadedZset(bytes))!.range);
    });
  }

  for (const [score] of LISTPACK_CASES) {
    it(`listpack (type 17), score ${name(score)}, target 6.2: re-encoded with binary scores; RESTORE holds the scores loading the file holds`, async () => {
      const { payload, asIs } = sentPayload(type17(score), '6.2.14');
      expect({ asIs, type: payload[0] }).toEqual({ asIs: false, type: 5 });
      // Member -> score: a set re-encoded plain is sorted by score on load, where 7.0 holds a listpack in its stored order
      // (a 16 before b 7 for "0x10", as no server writes one): the same set, replied in another order.
      const scores = (range: string[]) => Object.fromEntries(range.flatMap((x, i) => (i % 2 === 0 ? [[x, range[i + 1]]] : [])));
      expect(scores(await restored(payload))).toEqual(scores((await loadedZset(type17(score)))!.range));
    });
  }

  it('RDB type 3 "abc", "" and "nan": the file is refused in the first read (nothing sent); RESTORE of the stored bytes is refused by 7.0 too', async () => {
    for (const [score, held] of TYPE3_CASES.filter(([, h]) => h === null)) {
      const bytes = type3(score);
      const first = new RdbKeyReader();
      first.push(bytes);
      expect(first.end().ok, score).toBe(false);
      // The value's bytes follow magic (9), SELECTDB 0 and the type (3) and the name `z` (2); EOF and CRC (9) end the file.
      const payload = dumpPayload(3, bytes, 9, 14, bytes.length - 9);
      await expect(restored(payload), `${score} ${held}`).rejects.toThrow(/Bad data format/);
    }
  });
});
