import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertRdb, convertTarget } from '../../../../lambdas/jobs/keys/convert-rdb.js';
import { migrateFromRdb } from '../../../../lambdas/jobs/keys/migrate-rdb.js';
import { type InfoProxy, startValkeyFronts, type ValkeyFronts } from '../../../support/info-proxy.js';
import { file, str } from '../../../support/rdb-bytes.js';
import type { RedisServer } from '../../../support/redis-server.js';

/**
 * Valkey from 9.1 validates every value on load (domain/rdb/engines.ts validatesEveryValue): what Redis and older
 * Valkey load and only deep sanitization refuses (the verifier's `sanitize-only` warnings) it refuses, and the whole
 * file with it. Seen on a real Valkey 9.1.2 (the interop tier): convert-rdb --for valkey-9.1 of a mutated file holding
 * an intset out of order wrote an output it refused, "Intset integrity check failed". Here the same value in a file
 * the local Redis 7.0 loads; a Valkey 9.1 and 8.1 target are the 7.0 behind a proxy adding their INFO line.
 */
describe('a value only deep sanitization refuses, for a Valkey that validates every value on load (9.1 on)', () => {
  let dir: string;
  let input: string;
  let fronts: ValkeyFronts;
  let target: RedisServer;
  let valkey91: InfoProxy;
  let valkey81: InfoProxy;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'redis-dr-validates-'));
    const intset = [2, 0, 0, 0, 2, 0, 0, 0, 7, 0, 3, 0]; // 16-bit members 7, 3: out of order
    input = join(dir, 'intset-unordered.rdb');
    writeFileSync(input, file('REDIS0009', [0xfe, 0x00, 0x0b, ...str('s'), intset.length, ...intset, 0x00, ...str('k'), ...str('v')]));
    fronts = await startValkeyFronts();
    ({ target, valkey91, valkey81 } = fronts);
  });
  afterAll(async () => {
    await fronts?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('convert-rdb --for valkey-9.1 (and its ElastiCache version) refuses it, naming the value, nothing written; --for valkey-9.0 writes it', async () => {
    for (const release of ['valkey-9.1', 'elasticache-valkey-9.1']) {
      const output = join(dir, `${release}.rdb`);
      const r = await convertRdb({ input, output, ...convertTarget({ for: release }) });
      expect(r.ok).toBe(false);
      expect(r.error).toMatch(
        new RegExp(
          `1 value ${release} refuses on load, as it validates every value \\(key 1 value \\(set, RDB type 11\\): intset members are not strictly ascending`,
        ),
      );
      expect(existsSync(output)).toBe(false);
    }
    const older = await convertRdb({ input, output: join(dir, 'valkey-9.0.rdb'), ...convertTarget({ for: 'valkey-9.0' }) });
    expect(older.error).toBeUndefined();
    expect(older.ok).toBe(true);
  });

  it('migrate --from-rdb into a Valkey 9.1 refuses it before any write; into a Valkey 8.1 restores it', async () => {
    const c = target.client();
    await c.flushall();
    const refused = await migrateFromRdb({ fromRdb: [input], to: { url: valkey91.url } });
    expect(refused.result.error).toMatch(/is refused, nothing was written: it holds 1 value the target \(Valkey 9\.1\.2\) refuses on load/);
    expect(await c.dbsize()).toBe(0);
    const restored = await migrateFromRdb({ fromRdb: [input], to: { url: valkey81.url } });
    expect(restored.result.error).toBeUndefined();
    expect(await c.dbsize()).toBe(2);
  });
});
