/**
 * `history` over a destination of real backups: a redis-server changes its
 * keys between saves, each save is a backup of the destination, and the
 * history must find every change, vanishing and reappearance.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupFileName } from '../../../../lambdas/domain/self-managed/backup.js';
import { keyHistoryOf } from '../../../../lambdas/jobs/serve/history.js';
import { UsageError } from '../../../../lambdas/jobs/kernel/usage-error.js';
import { type RedisServer, startRedisServer } from '../../../support/redis-server.js';
import { expiredFieldKeys, frameFile } from '../../../support/rdb-newer.js';
import { savedAt, verify } from '../../../support/rdb-bytes.js';

let server: RedisServer;
let root: string;
let dest: string;
// Points in the future: an expiry set relative to them is one Redis keeps (a past one deletes the key at once).
const T = [Date.UTC(2030, 10, 24, 3, 0), Date.UTC(2030, 10, 24, 4, 0), Date.UTC(2030, 10, 24, 5, 0), Date.UTC(2030, 10, 24, 6, 0)];
const name = (i: number): string => backupFileName('cache', new Date(T[i]!));

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'redis-dr-history-'));
  dest = `file://${join(root, 'dest')}`;
  mkdirSync(join(root, 'dest'));
  server = await startRedisServer();
  const c = server.client();
  const steps: (() => Promise<unknown>)[] = [
    () => c.pipeline().set('user:1', 'alice').hset('cart:1', 'apple', '1').set('temp', 'x').set('user:2', 'bob').exec(),
    () => c.pipeline().hset('cart:1', 'pear', '2').del('temp').set('fresh', 'new').exec(),
    () =>
      c
        .pipeline()
        .set('user:1', 'alicia')
        // A millisecond before the last point (T[3]): passed there (a key at its very millisecond is still held).
        .pexpireat('user:2', T[3]! - 1)
        .exec(),
    () => c.pipeline().del('user:1').set('temp', 'back').exec(),
  ];
  for (const [i, step] of steps.entries()) {
    await step();
    await c.save();
    // Saved, as far as the file says (its ctime), at the time its name says: expiries are judged at the save.
    writeFileSync(join(root, 'dest', name(i)), savedAt(readFileSync(server.rdbPath), T[i]!));
  }
}, 60_000);

afterAll(async () => {
  await server?.stop();
  rmSync(root, { recursive: true, force: true });
});

describe('history of one key', () => {
  it('marks where the key changed and vanished', async () => {
    const r = await keyHistoryOf({ from: dest, key: Buffer.from('user:1') });
    expect(r.target).toBe('cache');
    expect(r.rows!.map((x) => [x.point, x.exists, x.type, x.size, x.change])).toEqual([
      [name(0), true, 'string', 5, 'first'],
      [name(1), true, 'string', 5, 'same'],
      [name(2), true, 'string', 6, 'changed'],
      [name(3), false, undefined, undefined, 'vanished'],
    ]);
    expect(r.rows![0]!.digest).toBe(r.rows![1]!.digest);
    expect(r.rows![2]!.digest).not.toBe(r.rows![1]!.digest);
    expect(r.unreadable).toEqual([]);
  });

  it('sees a key vanish and come back, a TTL set, and shows the values', async () => {
    const temp = await keyHistoryOf({ from: dest, key: Buffer.from('temp'), show: true });
    expect(temp.rows!.map((x) => x.change)).toEqual(['first', 'vanished', 'absent', 'appeared']);
    expect(temp.rows![3]!.value).toEqual({ type: 'string', value: Buffer.from('back') });
    const user2 = await keyHistoryOf({ from: dest, key: Buffer.from('user:2') });
    expect(user2.rows!.map((x) => [x.change, x.ttlMs])).toEqual([
      ['first', null],
      ['same', null],
      ['ttl', 3_599_999],
      ['vanished', undefined],
    ]);
    const cart = await keyHistoryOf({ from: dest, key: Buffer.from('cart:1') });
    expect(cart.rows!.map((x) => [x.type, x.size, x.change])).toEqual([
      ['hash', 1, 'first'],
      ['hash', 2, 'changed'],
      ['hash', 2, 'same'],
      ['hash', 2, 'same'],
    ]);
  });

  it('counts a key as gone at a point its expiry had passed', async () => {
    // user:2 expires a millisecond before the last point.
    const r = await keyHistoryOf({ from: dest, key: Buffer.from('user:2'), since: new Date(T[3]!) });
    expect(r.rows!.map((x) => x.exists)).toEqual([true, false]);
  });
});

describe('history --match --since', () => {
  it('lists the keys that changed after the time', async () => {
    const r = await keyHistoryOf({ from: dest, match: '*', since: new Date(T[2]!) });
    expect(r.points).toEqual([name(1), name(2), name(3)]);
    expect(r.changes!.map((c) => [c.point, c.change, c.key.toString()])).toEqual([
      [name(2), 'changed', 'user:1'],
      [name(2), 'ttl', 'user:2'],
      [name(3), 'appeared', 'temp'],
      [name(3), 'vanished', 'user:1'],
      [name(3), 'vanished', 'user:2'],
    ]);
  });

  it('keeps to the pattern', async () => {
    const r = await keyHistoryOf({ from: dest, match: 'cart:*' });
    expect(r.changes!.map((c) => [c.point, c.change, c.key.toString()])).toEqual([[name(1), 'changed', 'cart:1']]);
  });
});

describe('history of hashes with field TTLs (RDB 12), judged when each file was saved', () => {
  // The same keys saved at two times: two hours before now every field is live; now, the fields that expired an hour ago are gone.
  const NOW = Date.now();
  const at = [new Date(NOW - 7_200_000), new Date(NOW)];
  let fttl: string;
  const point = (i: number): string => backupFileName('fttl', at[i]!);

  beforeAll(() => {
    fttl = join(root, 'field-ttls');
    mkdirSync(fttl);
    const keys = expiredFieldKeys('redis', NOW);
    for (let i = 0; i < 2; i++) writeFileSync(join(fttl, point(i)), frameFile('REDIS0012', keys, [], { ctime: String(Math.floor(at[i]!.getTime() / 1000)) }));
  });

  it('counts a hash whose fields had all expired as vanished, and leaves expired fields out of a value', async () => {
    const gone = await keyHistoryOf({ from: `file://${fttl}`, key: Buffer.from('v12:allgone'), show: true });
    expect(gone.rows!.map((x) => [x.exists, x.size, x.change])).toEqual([
      [true, 2, 'first'],
      [false, undefined, 'vanished'],
    ]);
    const mixed = await keyHistoryOf({ from: `file://${fttl}`, key: Buffer.from('v12:mixed'), show: true });
    expect(mixed.rows!.map((x) => [x.exists, x.size, x.change])).toEqual([
      [true, 3, 'first'],
      [true, 2, 'changed'],
    ]);
    const last = mixed.rows![1]!.value;
    expect(last?.type === 'hash' && last.fields.map(([f]) => f.toString()).sort()).toEqual(['live', 'perm']);
  });

  it('lists those keys with --match', async () => {
    const r = await keyHistoryOf({ from: `file://${fttl}`, match: 'v12:*' });
    expect(r.changes!.map((c) => [c.point, c.change, c.key.toString()])).toEqual([
      [point(1), 'vanished', 'v12:allgone'],
      [point(1), 'changed', 'v12:lp-mixed'],
      [point(1), 'changed', 'v12:mixed'],
      [point(1), 'changed', 'v12:onlyold'],
    ]);
  });
});

describe('history refuses or reports what it cannot read', () => {
  it('names a corrupt backup as a hole in the history instead of reading it as an absent key', async () => {
    const dest2 = join(root, 'with-corrupt');
    mkdirSync(dest2);
    for (let i = 0; i < 2; i++) copyFileSync(join(root, 'dest', name(i)), join(dest2, name(i)));
    const bytes = readFileSync(join(root, 'dest', name(2)));
    bytes[bytes.length - 20]! ^= 0xff;
    writeFileSync(join(dest2, name(2)), bytes);
    const r = await keyHistoryOf({ from: `file://${dest2}`, key: Buffer.from('user:1') });
    expect(r.points).toEqual([name(0), name(1)]);
    expect(r.unreadable).toEqual([{ point: name(2), why: expect.stringMatching(/is corrupt \(the verifier's verdict/) }]);
  });

  it('a value over the limit a value is read to is followed by its stored bytes, the point read all the same (session 36; was UNREADABLE, aud35)', async () => {
    // 5 bytes: "alice" is within, "alicia" (point 2) is not; 512 MiB in use.
    const one = await keyHistoryOf({ from: dest, key: Buffer.from('user:1'), maxValueBytes: 5 });
    expect(one.unreadable).toEqual([]);
    expect(one.rows!.map((x) => [x.point, x.exists, x.type, x.size, x.storedBytes, x.change])).toEqual([
      [name(0), true, 'string', 5, undefined, 'first'],
      [name(1), true, 'string', 5, undefined, 'same'],
      [name(2), true, 'string', undefined, 7, 'changed'],
      [name(3), false, undefined, undefined, undefined, 'vanished'],
    ]);
    // The stored bytes' digest: a length byte and "alicia".
    expect(one.rows![2]!.digest).toBe(`stored:${createHash('sha256').update('\x06alicia').digest('hex')}`);
    // 4 bytes: every value over it; one unchanged between two points is the same (its stored bytes are), one changed is changed.
    const over = await keyHistoryOf({ from: dest, key: Buffer.from('user:1'), maxValueBytes: 4 });
    expect(over.rows!.map((x) => [x.storedBytes, x.change])).toEqual([
      [6, 'first'],
      [6, 'same'],
      [7, 'changed'],
      [undefined, 'vanished'],
    ]);
    const pattern = await keyHistoryOf({ from: dest, match: 'user:1', maxValueBytes: 4 });
    expect(pattern.unreadable).toEqual([]);
    expect(pattern.points).toEqual([name(0), name(1), name(2), name(3)]);
    expect(pattern.changes!.map((c) => [c.point, c.change])).toEqual([
      [name(2), 'changed'],
      [name(3), 'vanished'],
    ]);
  });

  it('names the points read that were never proven stored (no read-back record), and only those (review 18)', async () => {
    const dest3 = join(root, 'proven');
    mkdirSync(dest3);
    for (let i = 0; i < 2; i++) copyFileSync(join(root, 'dest', name(i)), join(dest3, name(i)));
    // The first with the record a backup run writes once it read the file back.
    const bytes = readFileSync(join(dest3, name(0)));
    const readBack = { bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
    writeFileSync(join(dest3, `${name(0)}.json`), JSON.stringify({ tier: 'daily', target: 'cache', keys: 4, readBack }));
    const r = await keyHistoryOf({ from: `file://${dest3}`, key: Buffer.from('user:1') });
    expect(r.points).toEqual([name(0), name(1)]);
    expect(r.unproven).toEqual([name(1)]);
  });

  it('refuses a destination that is not there, and a missing key and pattern', async () => {
    await expect(keyHistoryOf({ from: `file://${join(root, 'nope')}`, key: Buffer.from('k') })).rejects.toThrow(UsageError);
    await expect(keyHistoryOf({ from: dest })).rejects.toThrow(/needs a <key> or --match/);
    await expect(keyHistoryOf({ from: dest, key: Buffer.from('k'), target: 'other' })).rejects.toThrow(/holds no backup of it/);
  });
});

it("a key whose expiry is its point's very minute existed there (Redis holds a key until its time has passed); one a millisecond earlier did not", async () => {
  const dest4 = join(root, 'instant');
  mkdirSync(dest4);
  const at = T[0]!;
  const string = (n: string, expireAtMs: number) => ({ db: 0, name: n, type: 0, object: Uint8Array.from([1, 0x76]), expireAtMs });
  writeFileSync(join(dest4, name(0)), frameFile('REDIS0010', [string('at', at), string('before', at - 1)], [], { ctime: String(at / 1000) }));
  const rows = async (key: string) => (await keyHistoryOf({ from: `file://${dest4}`, key: Buffer.from(key) })).rows!.map((x) => [x.exists, x.ttlMs]);
  expect({ at: await rows('at'), before: await rows('before') }).toEqual({ at: [[true, 0]], before: [[false, undefined]] });
});

describe("history judges a key's expiry when its file was saved (its ctime), not at the time its name says (issue 56)", () => {
  it('a key expired when its server saved the file is absent, though the name is an hour earlier; one live then is there with the TTL left then, though the name is two hours after its expiry', async () => {
    const s = await startRedisServer({ args: ['--enable-debug-command', 'local'] });
    const dir = join(root, 'saved-at');
    mkdirSync(dir);
    try {
      const c = s.client();
      // No active expiry: the key whose time has passed is still in the dataset, and so in the file (a server loading it drops it).
      await c.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0');
      await c.set('gone', 'x', 'PX', 100);
      await c.set('kept', 'y', 'PX', 3_600_000);
      // ctime is whole seconds (the save's, cut): 1.2 s on, it is at least 0.2 s after the first key's expiry.
      await new Promise((r) => setTimeout(r, 1_200));
      await c.save();
      const bytes = readFileSync(s.rdbPath);
      const report = verify(bytes);
      expect(report.expiredKeys).toBe(1);
      const ctimeMs = Number(report.auxFields.ctime) * 1000;
      const early = backupFileName('saved', new Date(ctimeMs - 3_600_000), true);
      const late = backupFileName('saved', new Date(ctimeMs + 7_200_000), true);
      for (const n of [early, late]) writeFileSync(join(dir, n), bytes);
      const gone = await keyHistoryOf({ from: `file://${dir}`, key: Buffer.from('gone') });
      expect(gone.rows!.map((x) => [x.point, x.exists])).toEqual([
        [early, false],
        [late, false],
      ]);
      const kept = await keyHistoryOf({ from: `file://${dir}`, key: Buffer.from('kept') });
      expect(kept.rows!.map((x) => [x.point, x.exists, x.savedAt])).toEqual([
        [early, true, new Date(ctimeMs)],
        [late, true, new Date(ctimeMs)],
      ]);
      // What was left at the save (ctime is whole seconds): an hour less the 1.2 s slept, within the second cut off.
      for (const x of kept.rows!) expect(Math.abs(x.ttlMs! - 3_600_000)).toBeLessThan(1_500);
      expect(kept.untimed).toBeUndefined();
      const matched = await keyHistoryOf({ from: `file://${dir}`, match: '*' });
      expect(matched.changes).toEqual([]);
    } finally {
      await s.stop();
    }
  });

  it('a file without a ctime is judged at the time its name says, and the point is named so (untimed)', async () => {
    const dir = join(root, 'untimed');
    mkdirSync(dir);
    const at = T[0]!;
    const key = { db: 0, name: 'k', type: 0, object: Uint8Array.from([1, 0x76]), expireAtMs: at + 60_000 };
    writeFileSync(join(dir, name(0)), frameFile('REDIS0010', [key], [], { ctime: undefined }));
    writeFileSync(join(dir, name(1)), frameFile('REDIS0010', [key], [], { ctime: String(at / 1000) }));
    const r = await keyHistoryOf({ from: `file://${dir}`, key: Buffer.from('k') });
    expect(r.rows!.map((x) => [x.point, x.exists, x.ttlMs, x.savedAt])).toEqual([
      [name(0), true, 60_000, undefined],
      [name(1), true, 60_000, new Date(at)],
    ]);
    expect(r.untimed).toEqual([name(0)]);
  });
});
