import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRdbVerifier } from '../../../../lambdas/domain/rdb/verifier.js';
import { startRedisServer } from '../../../support/redis-server.js';

/** test/fixtures/rdb-loader: files where redis-server and redis-check-rdb disagree (sources and licence in its README). */
const DIR = join(__dirname, '..', '..', '..', 'fixtures', 'rdb-loader');

function verify(file: string) {
  const v = createRdbVerifier();
  v.push(readFileSync(join(DIR, file)));
  return v.end();
}

/** What a real redis-server does with the file: the keys it holds once loaded, or the reason it refused to start. */
async function load(file: string): Promise<{ dbsize: number } | { refused: string }> {
  let server;
  try {
    server = await startRedisServer({ loadRdb: join(DIR, file) });
  } catch (err) {
    return { refused: String(err) };
  }
  try {
    return { dbsize: await server.client().dbsize() };
  } finally {
    await server.stop();
  }
}

describe('the verifier agrees with the loader (redis-server), not with redis-check-rdb', () => {
  it('corrupt_empty_keys.rdb: nine empty collections load as nothing; the verifier says ok, 0 keys, 9 empty keys', async () => {
    expect(await load('corrupt_empty_keys.rdb')).toEqual({ dbsize: 0 });
    expect(verify('corrupt_empty_keys.rdb')).toMatchObject({ ok: true, version: 10, checksum: 'ok', keys: 0, emptyKeys: 9, byType: {} });
  });

  it('corrupt_ziplist.rdb: redis-server refuses it; so does the verifier, with the offset', async () => {
    const loaded = await load('corrupt_ziplist.rdb');
    expect(loaded).toMatchObject({ refused: expect.stringMatching(/integrity check failed|exited/) });
    expect(verify('corrupt_ziplist.rdb')).toMatchObject({ ok: false, error: { offset: 494, message: expect.stringMatching(/ziplist of 5 bytes is shorter than its 11-byte minimum/) } });
  });
});
