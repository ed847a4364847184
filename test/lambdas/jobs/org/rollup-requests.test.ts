import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeTree } from '../../../../bench/org/tree.js';
import { FileObjectStore } from '../../../../lambdas/adapters/storage/object-store-file.js';
import { orgRollup } from '../../../../lambdas/jobs/org/rollup.js';

/**
 * Issue 52 item 7: the roll-up's object-store requests grow with accounts ×
 * regions, not with caches. Counted at the store (the one interface the
 * roll-up reads through: one listing, then one GET per object read) over
 * generated trees (bench/org/tree.ts) that differ in one dimension each.
 */
const NOW = new Date('2026-11-23T06:00:00Z');
const dir = mkdtempSync(join(tmpdir(), 'redis-dr-org-requests-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

class CountingStore extends FileObjectStore {
  lists = 0;
  gets = 0;
  override async list(): ReturnType<FileObjectStore['list']> {
    this.lists++;
    return super.list();
  }
  override async get(key: string): Promise<Buffer> {
    this.gets++;
    return super.get(key);
  }
}

async function requests(name: string, shape: { accounts: number; regions: number; caches: number }): Promise<{ lists: number; gets: number; caches: number }> {
  const tree = join(dir, name);
  writeTree(tree, { ...shape, weeks: 3, now: NOW });
  const store = new CountingStore(tree);
  const rollup = await orgRollup(store, NOW);
  return { lists: store.lists, gets: store.gets, caches: rollup.accounts.reduce((n, a) => n + a.caches, 0) };
}

describe('report --org requests', () => {
  it('are one listing and a fixed number of reads per account and region, whatever the caches', async () => {
    const few = await requests('few', { accounts: 3, regions: 2, caches: 2 });
    const many = await requests('many', { accounts: 3, regions: 2, caches: 20 });
    const moreAccounts = await requests('more-accounts', { accounts: 6, regions: 2, caches: 2 });
    const moreRegions = await requests('more-regions', { accounts: 3, regions: 3, caches: 2 });
    // The trees hold what they say: ten times the caches in `many`.
    expect([few.caches, many.caches]).toEqual([12, 120]);
    expect([few.lists, many.lists, moreAccounts.lists, moreRegions.lists]).toEqual([1, 1, 1, 1]);
    // Per account and region: its 3 weekly reports and its selftest record.
    expect(few.gets).toBe(3 * 2 * 4);
    expect(many.gets).toBe(few.gets);
    expect(moreAccounts.gets).toBe(2 * few.gets);
    expect(moreRegions.gets).toBe((3 / 2) * few.gets);
  });
});
