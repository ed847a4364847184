/**
 * `migrate --from-rdb --verify` holds a type 19/21 stream's stored first id
 * (XINFO STREAM's recorded-first-entry-id, which the fingerprint leaves out)
 * on both of its paths: a stream under BIG_KEY_BYTES is DUMPed
 * (firstIdDiffers), one of 1 MiB or more is read in chunks (bigKeyDiff, its
 * digest streamed from the payload's parts). Review 22 found the chunked
 * path left it out: a writer that wrote a big stream's first id wrong gave
 * EQUAL.
 *
 * The input: a stream a real redis-server 7.0 wrote (five entries of 10 or
 * of 400,000 bytes, the first and third deleted: stored first id 2-1, a
 * group without consumers), framed again as type 21 (no consumers: the same
 * bytes), migrated into a real 7.0, whose RESTORE keeps the stored first id.
 * A target before 7.0 reports none and keeps none: no such server runs here.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RdbKeyReader } from '../../../../lambdas/domain/rdb/keys.js';
import { migrateFromRdb } from '../../../../lambdas/jobs/keys/migrate-rdb.js';
import { BIG_KEY_BYTES } from '../../../../lambdas/jobs/keys/verify.js';
import { frameFile, keysOf } from '../../../support/rdb-newer.js';
import { bgsave, startRedisServer, type RedisServer } from '../../../support/redis-server.js';
import type { StoredIdField } from '../../../support/stream-layout-bug.js';

const bug = vi.hoisted(() => ({ field: undefined as StoredIdField | undefined, fired: 0 }));
vi.mock('../../../../lambdas/domain/rdb/write/source-forms.js', async (original) =>
  (await import('../../../support/stream-layout-bug.js')).withStreamLayoutBug(await original(), bug),
);

describe('migrate --from-rdb --verify: a stream whose stored first id the target holds otherwise is named, small or big', () => {
  const servers: RedisServer[] = [];
  let dir: string;
  /** The type 21 input by value size: 10 bytes (a payload of about 150 bytes) and 400,000 (about 1.2 MB). */
  const inputs = new Map<number, string>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'redis-dr-big-stream-first-id-'));
    // Uncompressed: 400,000 bytes of one digit would compress to a payload far below BIG_KEY_BYTES.
    const source = await startRedisServer({ args: ['--rdbcompression', 'no'] });
    servers.push(source);
    const c = source.client();
    for (const size of [10, 400_000]) {
      await c.flushall();
      await c.set('plain', 'v');
      for (let i = 1; i <= 5; i++) await c.xadd('s', `${i}-1`, 'f', String(i).repeat(size));
      await c.xdel('s', '1-1', '3-1');
      // A group without consumers: a type 21 then holds the same bytes as the type 19 (active times are per consumer).
      await c.xgroup('CREATE', 's', 'a', '$', 'ENTRIESREAD', '5');
      const { keys } = keysOf(readFileSync(await bgsave(source, c)));
      const input = join(dir, `in-21-${size}.rdb`);
      writeFileSync(
        input,
        frameFile(
          'REDIS0011',
          keys.map((k) => (k.type === 19 ? { ...k, type: 21 } : k)),
        ),
      );
      inputs.set(size, input);
    }
  }, 60_000);

  afterAll(async () => {
    bug.field = undefined;
    await Promise.all(servers.map((s) => s.stop()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Migrates the input of `size`-byte values into a fresh 7.0 with --verify; the target's recorded-first-entry-id beside the run. */
  const migrate = async (size: number) => {
    const target = await startRedisServer();
    servers.push(target);
    const run = await migrateFromRdb({ fromRdb: [inputs.get(size)!], to: { url: target.url }, verify: true });
    const info = (await target.client().call('XINFO', 'STREAM', 's')) as unknown[];
    return { run, recorded: info[info.indexOf('recorded-first-entry-id') + 1] };
  };

  it('the inputs: a type 21 stream below and one above BIG_KEY_BYTES (the DUMP path and the chunked path)', () => {
    const payload = (size: number) => new RdbKeyReader().push(readFileSync(inputs.get(size)!)).find((k) => k.name.toString() === 's')!;
    expect(payload(10)).toMatchObject({ type: 21 });
    expect(payload(10).payloadBytes).toBeLessThan(BIG_KEY_BYTES);
    expect(payload(400_000)).toMatchObject({ type: 21 });
    expect(payload(400_000).payloadBytes).toBeGreaterThan(BIG_KEY_BYTES);
  });

  for (const size of [10, 400_000])
    it(`without a bug (${size}-byte values): the target holds first id 2-1, EQUAL`, async () => {
      const { run, recorded } = await migrate(size);
      expect(run.result.error).toBeUndefined();
      expect(recorded).toBe('2-1');
      expect(run.verify).toMatchObject({ equal: true, differences: 0 });
    }, 30_000);

  for (const field of ['first id (ms)', 'first id (seq)'] as const)
    for (const size of [10, 400_000])
      it(`a writer that writes the ${field} one more (${size}-byte values): --verify names the stream`, async () => {
        bug.field = field;
        const fired = bug.fired;
        try {
          const { run, recorded } = await migrate(size);
          expect(bug.fired).toBeGreaterThan(fired);
          expect(run.result.error).toBeUndefined();
          expect(recorded).toBe(field === 'first id (ms)' ? '3-1' : '2-2');
          expect(run.verify).toMatchObject({ equal: false, differences: 1 });
          expect(run.verify!.diffs.map((d) => `${d.key} ${d.reason}`)).toEqual(['s value']);
        } finally {
          bug.field = undefined;
        }
      }, 30_000);
});
