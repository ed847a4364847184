/**
 * The four index layouts beside real backups, served and followed through
 * history the same way: `RDRKEYS2` (keys in name order, written until
 * 2026-11-26, standing beside locked copies), `RDRKEYS3` (file order and a
 * hash lookup section, 33-byte rows and SHA-256s, written until RDRKEYS4),
 * `RDRKEYS4` (24-byte rows, CRC-64s, written until RDRKEYS5) and `RDRKEYS5`
 * (CRC-32s, written since; the older three written by the writer's
 * test-only paths, byte for byte the writers before:
 * domain/serve/index-file.test.ts). A point with each is opened from its
 * index (not read whole) and answers every key as the file read whole does;
 * `history` follows a key across the four; an `RDRKEYS2` index whose keys
 * are out of name order is not used (the file is read whole).
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileBackupStore } from '../../../../lambdas/adapters/storage/backup-store.js';
import { backupFileName } from '../../../../lambdas/domain/self-managed/backup.js';
import { CRC64_MAGIC, type Layout, NAME_ORDER_MAGIC, WIDE_ROWS_MAGIC } from '../../../../lambdas/domain/serve/index-file.js';
import { encodeKeyIndex } from '../../../../lambdas/domain/serve/index-write.js';
import { ColumnKeyIndex, KeyIndexBuilder } from '../../../../lambdas/domain/serve/key-index.js';
import { indexInMemory, settle } from '../../../../lambdas/domain/serve/paged-index.js';
import { keyHistoryOf } from '../../../../lambdas/jobs/serve/history.js';
import { type OpenedPoint, openPoint } from '../../../../lambdas/jobs/serve/open-point.js';
import { writeIndexBeside } from '../../../support/key-index-beside.js';
import { nameOrdered } from '../../../support/name-ordered-index.js';
import { startRedisServer } from '../../../support/redis-server.js';

const T = [Date.UTC(2030, 10, 24, 3, 0), Date.UTC(2030, 10, 24, 4, 0), Date.UTC(2030, 10, 24, 5, 0), Date.UTC(2030, 10, 24, 6, 0)];
const name = (i: number): string => backupFileName('cache', new Date(T[i]!));
const KEYS = 3000;
let root: string;
let dest: string;
/** The same files without an index beside them (read whole). */
let bare: string;

/** The index written beside `file`, held whole (its keys in its order). */
function heldIndexOf(file: string): { index: ColumnKeyIndex; copy: { bytes: number; trailer: string } } {
  const copy = { bytes: statSync(file).size, trailer: readFileSync(file).subarray(-8).toString('hex') };
  const v4 = indexInMemory(readFileSync(`${file}.keys`), copy);
  if (!('index' in v4)) throw new Error(v4.problem);
  const b = new KeyIndexBuilder();
  for (const db of v4.index.databases()) for (let pos = 0; pos < v4.index.size(db); pos++) b.add(v4.index.entry(db, pos));
  return { index: b.finish(v4.index.rdbVersion), copy };
}

/** The index beside `file` written again in `layout` (a layout before, as an older writer wrote it). */
function indexOfLayout(file: string, layout: Layout): Buffer {
  const { index, copy } = heldIndexOf(file);
  return encodeKeyIndex(index, copy, false, layout);
}

/** The RDRKEYS2 file of the index written beside `file` (its keys put in name order; with `swap`, two positions of database 0 swapped). */
function nameOrderIndexOf(file: string, swap?: readonly [number, number]): Buffer {
  const { index, copy } = heldIndexOf(file);
  const sorted = nameOrdered(index);
  const c = sorted.columns();
  const order = Uint32Array.from(c.order!);
  if (swap) [order[swap[0]], order[swap[1]]] = [order[swap[1]]!, order[swap[0]]!];
  return encodeKeyIndex(new ColumnKeyIndex(sorted.rdbVersion, { ...c, order }), copy, false, NAME_ORDER_MAGIC);
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'redis-dr-index-layouts-'));
  dest = join(root, 'dest');
  bare = join(root, 'bare');
  mkdirSync(dest);
  mkdirSync(bare);
  const server = await startRedisServer();
  const c = server.client();
  const p = c.pipeline();
  for (let i = 0; i < KEYS; i++) p.set(`user:${i}`, `v${i}`);
  p.hset('cart:1', 'apple', '1').rpush('queue', 'a', 'b').select(2).set('other-db', 'x').select(0);
  await p.exec();
  await c.save();
  copyFileSync(server.rdbPath, join(dest, name(0)));
  await c.pipeline().set('user:7', 'changed').del('user:8').hset('cart:1', 'pear', '2').exec();
  await c.save();
  copyFileSync(server.rdbPath, join(dest, name(1)));
  await c.pipeline().set('user:9', 'changed').exec();
  await c.save();
  copyFileSync(server.rdbPath, join(dest, name(2)));
  await c.pipeline().set('user:10', 'changed').exec();
  await c.save();
  copyFileSync(server.rdbPath, join(dest, name(3)));
  c.disconnect();
  await server.stop();
  const store = new FileBackupStore(dest);
  for (const f of [name(0), name(1), name(2), name(3)]) {
    copyFileSync(join(dest, f), join(bare, f));
    await writeIndexBeside(store, f);
  }
  // The first three points' indexes as older writers wrote them.
  writeFileSync(join(dest, `${name(0)}.keys`), nameOrderIndexOf(join(dest, name(0))));
  writeFileSync(join(dest, `${name(1)}.keys`), indexOfLayout(join(dest, name(1)), WIDE_ROWS_MAGIC));
  writeFileSync(join(dest, `${name(2)}.keys`), indexOfLayout(join(dest, name(2)), CRC64_MAGIC));
}, 60_000);

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

/** Every key of `p` with its payload, by database and name. */
async function everyKey(p: OpenedPoint): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const db of p.index.databases())
    for (let pos = 0; pos < p.index.size(db); pos++) {
      const e = await settle(() => p.index.entry(db, pos));
      out.set(`${db}/${e.name.toString('latin1')}`, (await p.payload(e)).toString('hex'));
    }
  return out;
}

describe('RDRKEYS2, RDRKEYS3, RDRKEYS4 and RDRKEYS5 indexes beside backups', () => {
  it('opens a point from each layout and answers every key as the file read whole does', async () => {
    expect(readFileSync(join(dest, `${name(0)}.keys`)).toString('latin1', 0, 8)).toBe('RDRKEYS2');
    expect(readFileSync(join(dest, `${name(1)}.keys`)).toString('latin1', 0, 8)).toBe('RDRKEYS3');
    expect(readFileSync(join(dest, `${name(2)}.keys`)).toString('latin1', 0, 8)).toBe('RDRKEYS4');
    expect(readFileSync(join(dest, `${name(3)}.keys`)).toString('latin1', 0, 8)).toBe('RDRKEYS5');
    for (const f of [name(0), name(1), name(2), name(3)]) {
      const indexed = await openPoint(join(dest, f));
      const whole = await openPoint(join(bare, f));
      try {
        expect(indexed.notes).toEqual([`${join(dest, f)}: verified whole, then its key index (.keys) for lookups (read by blocks, not held)`]);
        expect(whole.notes[0]).toMatch(/read whole and verified/);
        const want = await everyKey(whole);
        expect(want.size).toBe(KEYS + 3 - (f === name(0) ? 0 : 1));
        expect(await everyKey(indexed)).toEqual(want);
        // Each name looked up (the layout's own lookup: a binary search, or hash block then block); the names not found
        // at the place the lookup gives, held empty once (an expect() a name was 3,000 a layout).
        const missed: string[] = [];
        for (const key of want.keys()) {
          const [db, n] = [Number(key.split('/')[0]), Buffer.from(key.slice(key.indexOf('/') + 1), 'latin1')];
          if ((await settle(() => indexed.index.nameAt(db, indexed.index.find(db, n)).equals(n))) !== true) missed.push(key);
        }
        expect(missed).toEqual([]);
        expect(await settle(() => indexed.index.find(0, Buffer.from('user:99999')))).toBe(-1);
      } finally {
        indexed.close();
        whole.close();
      }
    }
  });

  it('history follows a key across a point with each layout, and lists the changes', async () => {
    const one = await keyHistoryOf({ from: `file://${dest}`, key: Buffer.from('user:7') });
    expect(one.rows!.map((r) => [r.point, r.exists, r.change])).toEqual([
      [name(0), true, 'first'],
      [name(1), true, 'changed'],
      [name(2), true, 'same'],
      [name(3), true, 'same'],
    ]);
    const gone = await keyHistoryOf({ from: `file://${dest}`, key: Buffer.from('user:8') });
    expect(gone.rows!.map((r) => r.change)).toEqual(['first', 'vanished', 'absent', 'absent']);
    const late = await keyHistoryOf({ from: `file://${dest}`, key: Buffer.from('user:9') });
    expect(late.rows!.map((r) => r.change)).toEqual(['first', 'same', 'changed', 'same']);
    const last = await keyHistoryOf({ from: `file://${dest}`, key: Buffer.from('user:10') });
    expect(last.rows!.map((r) => r.change)).toEqual(['first', 'same', 'same', 'changed']);
    const changes = await keyHistoryOf({ from: `file://${dest}`, match: '*' });
    expect(changes.changes!.map((c) => [c.change, c.key.toString()])).toEqual([
      ['changed', 'cart:1'],
      ['changed', 'user:7'],
      ['vanished', 'user:8'],
      ['changed', 'user:9'],
      ['changed', 'user:10'],
    ]);
  });

  it('does not use an RDRKEYS2 index whose keys are out of name order: read whole when the directory shows it, a block refused when it is read', async () => {
    const other = join(root, 'messy');
    mkdirSync(other);
    copyFileSync(join(bare, name(0)), join(other, name(0)));
    // Two blocks' first names swapped (blocks of 64): the directory is out of order, the index not used.
    writeFileSync(join(other, `${name(0)}.keys`), nameOrderIndexOf(join(dest, name(0)), [64, 1024]));
    const p = await openPoint(join(other, name(0)));
    try {
      expect(p.notes).toHaveLength(1);
      expect(p.notes[0]).toMatch(/: read whole and verified \(its keys are not in name order \(an RDRKEYS2 index written by a build whose sort was wrong/);
      for (const i of [0, 100, 1000, 2999]) expect(p.index.entry(0, p.index.find(0, Buffer.from(`user:${i}`))).name.toString()).toBe(`user:${i}`);
    } finally {
      p.close();
    }
    // Two names inside blocks swapped: the directory is in order, block 1 is not. A local index is checked whole at
    // open: not used, the file read whole (no lookup answered from the block, where a miss could be false).
    writeFileSync(join(other, `${name(0)}.keys`), nameOrderIndexOf(join(dest, name(0)), [100, 1000]));
    const q = await openPoint(join(other, name(0)));
    try {
      expect(q.notes[0]).toMatch(/: read whole and verified \(its key index \(\.keys\) does not check out: .*its keys are not in name order/);
      for (const pos of [70, 100, 1000, 2000]) {
        const key = Buffer.from(nameAtSorted(pos));
        expect(q.index.entry(0, q.index.find(0, key)).name).toEqual(key);
      }
    } finally {
      q.close();
    }
    // The same index held in memory (no open's check): a lookup reaching block 1 is refused, the other blocks answer.
    const file = join(other, name(0));
    const copy = { bytes: statSync(file).size, trailer: readFileSync(file).subarray(-8).toString('hex') };
    const held = indexInMemory(readFileSync(`${file}.keys`), copy);
    if (!('index' in held)) throw new Error(held.problem);
    // Block 1 holds positions 64-127: the name at 70's lookup reads it.
    expect(() => held.index.find(0, Buffer.from(nameAtSorted(70)))).toThrow(/its keys are not in name order/);
    expect(held.index.find(0, Buffer.from(nameAtSorted(2000)))).toBe(2000);
  });
});

/** The name at position `pos` of database 0 in name order (cart:1, queue, then user:… sorted as bytes). */
function nameAtSorted(pos: number): string {
  const names = ['cart:1', 'queue', ...Array.from({ length: KEYS }, (_, i) => `user:${i}`)].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return names[pos]!;
}
