/**
 * convert-rdb on the differential fuzz campaign's files that redis-server 7.0 loads and the verifier called corrupt
 * (review 50; the verdicts: test/lambdas/domain/rdb/verifier-redis-verdicts.test.ts): an LZF string declared empty, plain
 * lengths in the "encoded value" form, listpack back lengths with a stray "more" bit, an expiry right before EOF. Each
 * is converted for Redis 7.0 (RDB 10: copied) and 6.2 (RDB 9: listpacks re-encoded), and the output, started on by a
 * real server, holds what a server started on the input holds: every key, value and expiry, none dropped, none made
 * up. The key twice without ctime (still refused) is refused here too, with nothing written.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCanonicalBatch } from '../../../../lambdas/adapters/redis/canonical-read.js';
import { type KeyDigest, keyDigest } from '../../../../lambdas/domain/rdb/fingerprint.js';
import { decodeDumpPayload } from '../../../../lambdas/domain/rdb/format/value.js';
import { RdbKeyReader } from '../../../../lambdas/domain/rdb/keys.js';
import { convertRdb, convertTarget } from '../../../../lambdas/jobs/keys/convert-rdb.js';
import { file } from '../../../support/rdb-bytes.js';
import { emptyLzfBody, encodedLengthsBody, expiryBeforeEofBody, strayBacklenBody, twiceUntimedBody } from '../../../support/rdb-loaded-oddities.js';
import { startRedisServer } from '../../../support/redis-server.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'redis-dr-convert-verdicts-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every key of the file as compare reads it from the file (the key reader, its values decoded), `db name` → its digest. */
function read(bytes: Uint8Array): Record<string, KeyDigest> {
  const reader = new RdbKeyReader();
  const keys = reader.push(bytes);
  expect(reader.end()).toMatchObject({ ok: true });
  return Object.fromEntries(keys.map((k) => [`${k.db} ${k.name.toString('latin1')}`, keyDigest(decodeDumpPayload(k.payload), k.expireAtMs)]));
}

/** Every key a real server started on `path` holds, `db name` → compare's digest of it (a refusal to start throws). */
async function held(path: string): Promise<Record<string, KeyDigest>> {
  const server = await startRedisServer({ loadRdb: path, readyTimeoutMs: 5000 });
  try {
    const c = server.client();
    const out: Record<string, KeyDigest> = {};
    for (let db = 0; db < 16; db++) {
      await c.select(db);
      const names = await c.keysBuffer('*');
      const reads = await readCanonicalBatch(c, names);
      for (const [i, name] of names.entries()) out[`${db} ${name.toString('latin1')}`] = keyDigest(reads[i]!.value, reads[i]!.expireAtMs);
    }
    return out;
  } finally {
    await server.stop();
  }
}

const CASES: [string, number[], number][] = [
  ['an LZF string declared empty', emptyLzfBody(), 4],
  ['plain lengths in the 0xC0 form', encodedLengthsBody(), 3],
  ['listpack back lengths with a stray "more" bit', strayBacklenBody(), 1],
  ['an expiry right before EOF', expiryBeforeEofBody(), 2],
];

describe('convertRdb on files redis-server 7.0 loads that the verifier called corrupt (review 50)', () => {
  it.each(CASES)(
    '%s: converted for 7.0 and 6.2, the outputs load and hold what the input holds',
    async (name, body, keys) => {
      const input = join(dir, `${name.replace(/\W+/g, '-')}.rdb`);
      const bytes = file('REDIS0010', body);
      writeFileSync(input, bytes);
      const expected = await held(input);
      expect(Object.keys(expected)).toHaveLength(keys);
      // compare's reading of the file agrees with the server's (a plain length in the 0xC0 form decoded as Redis reads it).
      expect(read(bytes)).toEqual(expected);
      for (const engine of ['redis-7.0', 'redis-6.2']) {
        const output = join(dir, `${name.replace(/\W+/g, '-')}-${engine}.rdb`);
        const r = await convertRdb({ input, output, ...convertTarget({ for: engine }) });
        expect(r.error, engine).toBeUndefined();
        expect(r).toMatchObject({ ok: true, keys });
        expect(await held(output), engine).toEqual(expected);
      }
    },
    60_000,
  );

  it('a key twice whose first copy had expired, without ctime: still refused, nothing written', async () => {
    const input = join(dir, 'twice.rdb');
    writeFileSync(input, file('REDIS0010', twiceUntimedBody()));
    const output = join(dir, 'twice-out.rdb');
    const r = await convertRdb({ input, output, ...convertTarget({ for: 'redis-7.0' }) });
    expect(r.error).toMatch(/^the input is refused \(.*a key is stored twice in database 0.*no ctime.*\): nothing was written to /);
    expect(existsSync(output)).toBe(false);
  });
});
