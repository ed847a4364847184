/**
 * A stream rewritten for an older layout that still stores its ids (type 21
 * → 19, `--for redis-7.0`): the first id, max deleted id, entries added and
 * each group's entries read are copied, and the check must hold them as it
 * holds the rest. A writer that writes any of them wrong (after the digest
 * had the right ones: the file still passes the verifier, and a 7.0 loads
 * it) is refused and leaves no output, with or without `--lossy stream-ids`
 * (which names what a type 15 loses: a type 19 loses none of these). A
 * stream copied as it is (19 → 19, 21 → 21) is held by its bytes.
 * `migrate --from-rdb` RESTOREs the same rewrite into a real 7.0: its
 * `--verify` names the stream for each of those ids written wrong (the
 * first id too, which compare's fingerprint leaves out), and holds a
 * correct one EQUAL with `--lossy stream-ids` as without. And for RDB 9, a
 * stored first id that is not the first entry's (a crafted file) is not
 * written as exact: the type 15's read-back derives the real one.
 *
 * The input: a stream a real redis-server 7.0 wrote (a deletion, its first
 * entry deleted, a group read part-way with a pending entry), framed again
 * as type 21 (test/support/rdb-newer.ts: each consumer's active time added).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RdbKeyReader } from '../../../../lambdas/domain/rdb/keys.js';
import { convertRdb, convertTarget, parseLossy } from '../../../../lambdas/jobs/keys/convert-rdb.js';
import { migrateFromRdb } from '../../../../lambdas/jobs/keys/migrate-rdb.js';
import { RdbOut } from '../../../../lambdas/domain/rdb/write/rdb-out.js';
import { frameFile, keysOf, streamWithActiveTime } from '../../../support/rdb-newer.js';
import { bgsave, startRedisServer, type RedisServer } from '../../../support/redis-server.js';
import { streamIds } from '../../../support/stream-ids.js';
import { idFields, STORED_ID_FIELDS, type StoredIdField, withIdOneMore } from '../../../support/stream-layout-bug.js';

const FIELDS = STORED_ID_FIELDS;
const bug = vi.hoisted(() => ({ field: undefined as StoredIdField | undefined, fired: 0 }));
vi.mock('../../../../lambdas/domain/rdb/write/source-forms.js', async (original) =>
  (await import('../../../support/stream-layout-bug.js')).withStreamLayoutBug(await original(), bug),
);

const copyBug = vi.hoisted(() => ({ on: false }));
vi.mock('../../../../lambdas/domain/rdb/write/rdb-file.js', async (original) => {
  const real = await original<typeof import('../../../../lambdas/domain/rdb/write/rdb-file.js')>();
  class BuggyWriter extends real.RdbFileWriter {
    override keyAt(...args: Parameters<InstanceType<typeof real.RdbFileWriter>['keyAt']>): void {
      const [k, type, b, from, to] = args;
      // A stream copied as it is: its entries added written one more (its bytes are read back by their bounds alone).
      if (copyBug.on && (type === 19 || type === 21)) {
        const changed = withIdOneMore(b.subarray(from, to), 'entries added');
        super.keyAt(k, type, changed, 0, changed.length);
        return;
      }
      super.keyAt(...args);
    }
  }
  return { ...real, RdbFileWriter: BuggyWriter };
});

describe('convertRdb: a stream written as type 19 from a type 21 holds its ids, or the run is refused', () => {
  const servers: RedisServer[] = [];
  let dir: string;
  let input19: string;
  let input21: string;
  let held: Record<string, unknown>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'redis-dr-stream-layout-bug-'));
    const source = await startRedisServer();
    servers.push(source);
    const c = source.client();
    await c.set('plain', 'v');
    for (let i = 1; i <= 5; i++) await c.xadd('s', `${i}-1`, 'f', String(i));
    // Its first entry deleted (the stored first id 2-1) and one in the middle (max deleted 3-1, entries added 5 > length 3).
    await c.xdel('s', '1-1', '3-1');
    // Group a (first in the file: groups are saved in name order) with its entries read known; g read part-way, an entry pending (its entries read unknown: nil).
    await c.xgroup('CREATE', 's', 'a', '$', 'ENTRIESREAD', '5');
    await c.xgroup('CREATE', 's', 'g', '0');
    await c.xreadgroup('GROUP', 'g', 'c', 'COUNT', '1', 'STREAMS', 's', '>');
    held = await streamIds(source, 's');
    input19 = join(dir, 'in-19.rdb');
    writeFileSync(input19, readFileSync(await bgsave(source, c)));
    const { keys } = keysOf(readFileSync(input19));
    input21 = join(dir, 'in-21.rdb');
    writeFileSync(
      input21,
      frameFile(
        'REDIS0011',
        keys.map((k) => (k.type === 19 ? { ...k, type: 21, object: streamWithActiveTime(k.object, BigInt(Date.now())) } : k)),
      ),
    );
  }, 60_000);

  afterAll(async () => {
    bug.field = undefined;
    copyBug.on = false;
    await Promise.all(servers.map((s) => s.stop()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const typeOf = (path: string, name: string) => new RdbKeyReader().push(readFileSync(path)).find((k) => k.name.toString() === name)?.type;

  it('the source stream holds ids a type 15 would not (what the bugs below change is what 7.0 reports)', () => {
    expect(held).toMatchObject({
      length: 3,
      'recorded-first-entry-id': '2-1',
      'max-deleted-entry-id': '3-1',
      'entries-added': 5,
      groups: [
        { name: 'a', 'entries-read': 5 },
        { name: 'g', 'entries-read': null, pending: 1 },
      ],
    });
    expect(typeOf(input21, 's')).toBe(21);
  });

  it('without a bug: written as type 19, verified, and a real 7.0 loading it reports the ids the source server held', async () => {
    const output = join(dir, 'good.rdb');
    const r = await convertRdb({ input: input21, output, ...convertTarget({ for: 'redis-7.0' }) });
    expect(r.error).toBeUndefined();
    expect(r).toMatchObject({ ok: true, reencoded: 1, asIs: 1 });
    expect(typeOf(output, 's')).toBe(19);
    const loaded = await startRedisServer({ loadRdb: output });
    servers.push(loaded);
    expect(await streamIds(loaded, 's')).toEqual(held);
  }, 30_000);

  for (const lossy of [undefined, 'stream-ids'])
    for (const field of FIELDS)
      it(`a writer that writes the ${field} wrong${lossy ? ` (--lossy ${lossy})` : ''}: refused, nothing left`, async () => {
        const output = join(dir, `bad-${field.replace(/\W+/g, '-')}-${lossy ?? 'exact'}.rdb`);
        bug.field = field;
        const fired = bug.fired;
        try {
          const r = await convertRdb({ input: input21, output, ...convertTarget({ for: 'redis-7.0' }), ...(lossy ? { lossy: parseLossy(lossy) } : {}) });
          expect(bug.fired).toBeGreaterThan(fired);
          expect(r.ok).toBe(false);
          expect(r.error).toMatch(/^the written file does not hold what the input holds \(.*\): a bug in the writer; nothing was written to /);
          expect(existsSync(output)).toBe(false);
        } finally {
          bug.field = undefined;
        }
      }, 30_000);

  // migrate --from-rdb writes the same rewrite (express.ts) into a real 7.0 by RESTORE; its --verify holds the target against the file.
  const migrate = async (lossy?: string) => {
    const target = await startRedisServer();
    servers.push(target);
    const run = await migrateFromRdb({ fromRdb: [input21], to: { url: target.url }, verify: true, ...(lossy ? { lossy } : {}) });
    return { run, target };
  };

  for (const lossy of [undefined, 'stream-ids'])
    it(`migrate --from-rdb${lossy ? ` --lossy ${lossy}` : ''} --verify into a real 7.0: the stream RESTOREd as type 19, its ids the source's, EQUAL`, async () => {
      const { run, target } = await migrate(lossy);
      expect(run.result.error).toBeUndefined();
      expect(run.result).toMatchObject({ copied: 2, failed: 0, reencoded: 1 });
      expect(run.result.lost).toEqual({});
      expect(await streamIds(target, 's')).toEqual(held);
      // Into a 7.0 the stream keeps its stored ids (--lossy stream-ids names what a type 15 loses): held as the file has them.
      expect(run.verify).toMatchObject({ equal: true, differences: 0 });
    }, 30_000);

  for (const lossy of [undefined, 'stream-ids'])
    for (const field of FIELDS)
      it(`migrate --from-rdb${lossy ? ` --lossy ${lossy}` : ''} with a writer that writes the ${field} wrong: --verify names the stream`, async () => {
        bug.field = field;
        const fired = bug.fired;
        try {
          const { run } = await migrate(lossy);
          expect(bug.fired).toBeGreaterThan(fired);
          expect(run.result.error).toBeUndefined();
          expect(run.verify).toMatchObject({ equal: false, differences: 1 });
          expect(run.verify!.diffs.map((d) => `${d.key} ${d.reason}`)).toEqual(['s value']);
        } finally {
          bug.field = undefined;
        }
      }, 30_000);

  it('19 → 19 and 21 → 21 copy the stream as it is; one of its ids changed in the copy: refused, nothing left', async () => {
    for (const [input, engine] of [
      [input19, 'redis-7.0'],
      [input21, 'redis-7.2'],
    ] as const) {
      const output = join(dir, `copy-${engine}.rdb`);
      const good = await convertRdb({ input, output, ...convertTarget({ for: engine }) });
      expect(good.error, engine).toBeUndefined();
      expect(good).toMatchObject({ reencoded: 0, asIs: 2 });
      expect(readFileSync(output).includes(Buffer.from('s'))).toBe(true);
      rmSync(output);
      copyBug.on = true;
      try {
        const r = await convertRdb({ input, output, ...convertTarget({ for: engine }) });
        expect(r.ok, engine).toBe(false);
        expect(r.error).toMatch(/^the written file does not hold what the input holds \(.*\): a bug in the writer; nothing was written to /);
        expect(existsSync(output)).toBe(false);
      } finally {
        copyBug.on = false;
      }
    }
  }, 30_000);
});

describe("convertRdb for RDB 9: a stored first id that is not the first entry's is not taken for exact", () => {
  const servers: RedisServer[] = [];
  let dir: string;
  let input: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'redis-dr-stream-first-id-'));
    const source = await startRedisServer();
    servers.push(source);
    const c = source.client();
    // A stream RDB 9 expresses exactly (nothing deleted, its group read to the end)…
    for (let i = 1; i <= 5; i++) await c.xadd('t', `${i}-0`, 'f', String(i));
    await c.xgroup('CREATE', 't', 'all', '0');
    await c.xreadgroup('GROUP', 'all', 'c', 'STREAMS', 't', '>');
    const { keys } = keysOf(readFileSync(await bgsave(source, c)));
    // …but its stored first id says 2-0 where its first entry is 1-0 (a crafted file, its CRC-64 right; a Redis before 7.2 writes such a
    // pair only with a largest deleted id, which RDB 9 refuses earlier).
    const crafted = keys.map((k) => {
      const f = idFields(k.object).get('first id (ms)')!;
      expect(f.value).toBe(1n);
      return { ...k, object: new RdbOut().bytes(k.object, 0, f.from).len(2n).bytes(k.object, f.to).take() };
    });
    input = join(dir, 'crafted.rdb');
    writeFileSync(input, frameFile('REDIS0010', crafted));
  }, 60_000);

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a 7.0 loading it reports that first id; written for redis-6.2 a 7.0 would derive 1-0: refused, nothing left (with --lossy stream-ids written)', async () => {
    const loaded = await startRedisServer({ loadRdb: input });
    servers.push(loaded);
    const info = (await loaded.client().call('XINFO', 'STREAM', 't')) as unknown[];
    expect(info[info.indexOf('recorded-first-entry-id') + 1]).toBe('2-0');
    const output = join(dir, 'out-62.rdb');
    const r = await convertRdb({ input, output, ...convertTarget({ for: 'redis-6.2' }) });
    expect(r.ok).toBe(false);
    // Named as the input's fault, not the writer's.
    expect(r.error).toMatch(
      /^key 1, t: its stored first id 2-0 is not its first entry's 1-0, which an RDB 9 server derives loading it \(the input is inconsistent: written by a Redis before 7\.2 after an XSETID below deleted entries, or crafted\); --lossy stream-ids writes it with 1-0; /,
    );
    expect(existsSync(output)).toBe(false);
    expect((await convertRdb({ input, output, ...convertTarget({ for: 'redis-6.2' }), lossy: parseLossy('stream-ids') })).ok).toBe(true);
    const derived = await startRedisServer({ loadRdb: output });
    servers.push(derived);
    const after = (await derived.client().call('XINFO', 'STREAM', 't')) as unknown[];
    expect(after[after.indexOf('recorded-first-entry-id') + 1]).toBe('1-0');
  }, 30_000);
});
