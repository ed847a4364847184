/**
 * Releasing an earlier collapse while a later one is still active: the
 * backups both collapses would hold stay held (their hold moves to the later
 * one), as the backup run's own rule holds every backup up to a collapse. A
 * run judges a collapse once: nothing would put such a hold back.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileBackupStore } from '../../../../lambdas/adapters/storage/backup-store.js';
import { releaseBackupHold } from '../../../../lambdas/jobs/self-managed/release-backup-hold.js';
import { holdRacedBy } from '../../../support/racing-hold.js';
import { backupPutter } from '../../../support/stored-backup.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const name = (hhmm: string) => `rdr-cache-20261121-${hhmm}.rdb`;
const HOLD_1000 = `keyspace-collapsed:${name('1000')} until=2026-12-21T10:00:00Z`;
const HOLD_1200 = `keyspace-collapsed:${name('1200')} until=2026-12-21T12:00:00Z`;

/** 0800 and 0900 good, held by the collapse at 1000; 1100 good again, held by the collapse at 1200 (0800/0900 kept 1000's hold). */
async function twoCollapses(o: { readonly secondAccepted?: boolean; readonly secondHoldsNothing?: boolean } = {}): Promise<FileBackupStore> {
  const dir = mkdtempSync(join(tmpdir(), 'redis-dr-release-later-'));
  dirs.push(dir);
  const store = new FileBackupStore(dir);
  const put = backupPutter(store);
  await put(name('0800'), 1000);
  await put(name('0900'), 1000);
  await put(name('1000'), 0, `${name('1000')} holds 0 keys`);
  await put(name('1100'), 1000);
  await put(name('1200'), 0, `${name('1200')} holds 0 keys`);
  for (const f of [name('0800'), name('0900')]) await store.hold(f, HOLD_1000);
  if (!o.secondHoldsNothing) await store.hold(name('1100'), HOLD_1200);
  if (o.secondAccepted) await store.release(name('1200'), `accepted 2026-11-21T12:30:00Z ${name('1200')} holds 0 keys`);
  return store;
}

const holds = async (store: FileBackupStore) => Object.fromEntries((await store.list()).map((b) => [b.file.slice(19, 23), b.hold ?? '']));

describe('releaseBackupHold with a later collapse still active', () => {
  it('moves the hold of the backups both collapses hold to the later one (its expiry), frees none of them, and accepts the point', async () => {
    const store = await twoCollapses();
    const lines: string[] = [];
    const r = await releaseBackupHold(store, 'cache', name('1000'), (l) => lines.push(l));
    expect(r).toMatchObject({
      released: [],
      moved: [
        { file: name('0800'), to: name('1200') },
        { file: name('0900'), to: name('1200') },
      ],
      accepted: name('1000'),
    });
    expect(await holds(store)).toEqual({ '0800': HOLD_1200, '0900': HOLD_1200, '1000': '', '1100': HOLD_1200, '1200': '' });
    expect(lines).toContain(
      `moved the hold of ${store.url}/${name('0800')} to keyspace-collapsed:${name('1200')}: a later collapse, ${name('1200')}, is still active and holds it too`,
    );
    // Releasing the later one then frees all three.
    const second = await releaseBackupHold(store, 'cache', name('1200'));
    expect(second.released).toEqual([name('0800'), name('0900'), name('1100')]);
    expect(Object.values(await holds(store))).toEqual(['', '', '', '', '']);
  });

  it('a later collapse that holds nothing yet gives a hold from its own time with the default days', async () => {
    const store = await twoCollapses({ secondHoldsNothing: true });
    await releaseBackupHold(store, 'cache', name('1000'));
    expect((await holds(store))['0800']).toBe(`keyspace-collapsed:${name('1200')} until=2026-12-21T12:00:00Z`);
  });

  it('frees them when the later collapse was accepted already (not active)', async () => {
    const store = await twoCollapses({ secondAccepted: true });
    const r = await releaseBackupHold(store, 'cache', name('1000'));
    expect(r.released).toEqual([name('0800'), name('0900')]);
    expect(r.moved).toBeUndefined();
    expect((await holds(store))['0800']).toBe('');
  });

  it('--dry-run says what would move and changes nothing', async () => {
    const store = await twoCollapses();
    const before = await store.list();
    const lines: string[] = [];
    const r = await releaseBackupHold(store, 'cache', name('1000'), (l) => lines.push(l), undefined, true);
    expect(r.moved).toHaveLength(2);
    expect(lines.filter((l) => l.startsWith('would move the hold of'))).toHaveLength(2);
    expect(await store.list()).toEqual(before);
  });

  it('holds for the later collapse a backup freed since the listing (another release of the same point meanwhile)', async () => {
    const store = await twoCollapses();
    // The other release frees each backup between this release's listing and its move.
    const freeing = holdRacedBy(store, (target, file) => target.release(file));
    const r = await releaseBackupHold(freeing, 'cache', name('1000'));
    expect(r.moved).toHaveLength(2);
    expect(await holds(store)).toMatchObject({ '0800': HOLD_1200, '0900': HOLD_1200 });
  });

  it('keeps the hold a third writer put on a backup freed meanwhile, naming it, and exits cleanly', async () => {
    const store = await twoCollapses();
    const operator = 'held until=2027-01-01T00:00:00Z by=ops reason=legal';
    // Each move first meets a backup freed by another release; its retry meets the operator's hold put since.
    const raced = holdRacedBy(store, async (target, file) => {
      if ((await target.list()).find((f) => f.file === file)?.hold === undefined) await target.hold(file, operator);
      else await target.release(file);
    });
    const lines: string[] = [];
    const r = await releaseBackupHold(raced, 'cache', name('1000'), (l) => lines.push(l));
    expect(r.moved).toBeUndefined();
    expect(await holds(store)).toMatchObject({ '0800': operator, '0900': operator });
    expect(lines.filter((l) => l.includes('its hold changed since the listing'))).toHaveLength(2);
  });

  it('says which of its lines are changes it made: a kept hold is none (what a PARTIAL counts, cli/commands/retention/release-action.ts)', async () => {
    const store = await twoCollapses();
    const operator = 'held until=2027-01-01T00:00:00Z by=ops reason=legal';
    const logged: [line: string, changed: boolean][] = [];
    await releaseBackupHold(holdRacedBy(store, operator), 'cache', name('1000'), (l, changed) => logged.push([l, changed]));
    const kept = logged.filter(([l]) => l.startsWith('kept '));
    expect(kept).toHaveLength(2);
    expect(kept.every(([, changed]) => changed === false)).toBe(true);
    const changes = logged.filter(([, changed]) => changed).map(([l]) => l);
    expect(changes).toHaveLength(1);
    expect(changes[0]!.startsWith(`accepted ${store.url}/${name('1000')}: `)).toBe(true);
    // A dry run changes nothing: none of its lines is a change.
    const dry: boolean[] = [];
    await releaseBackupHold(await twoCollapses(), 'cache', name('1000'), (_l, changed) => dry.push(changed), undefined, true);
    expect(dry.length).toBeGreaterThan(0);
    expect(dry.some(Boolean)).toBe(false);
  });

  it('keeps a hold changed since the listing (an operator held it meanwhile), naming it', async () => {
    const store = await twoCollapses();
    const operator = 'held until=2027-01-01T00:00:00Z by=ops reason=legal';
    // The operator's hold lands on each backup between the release's listing and its move.
    const lines: string[] = [];
    const r = await releaseBackupHold(holdRacedBy(store, operator), 'cache', name('1000'), (l) => lines.push(l));
    expect(r).toMatchObject({ released: [], accepted: name('1000') });
    expect(r.moved).toBeUndefined();
    expect((await holds(store))['0800']).toBe(operator);
    expect(lines.some((l) => l.startsWith(`kept ${store.url}/${name('0800')}: its hold changed since the listing`))).toBe(true);
  });
});
