import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileBackupStore } from '../../../../lambdas/adapters/storage/backup-store.js';
import { holdBackup } from '../../../../lambdas/jobs/self-managed/hold-backup.js';
import { holdRacedBy } from '../../../support/racing-hold.js';

/** `retention hold --destination`: an operator's hold never overwrites a collapse's hold put between its read and its write. */
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'redis-dr-hold-backup-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function* bytes(text: string): AsyncGenerator<Uint8Array> {
  yield Buffer.from(text);
}

const FILE = 'rdr-cache-20261123-0400.rdb';
const COLLAPSE = 'keyspace-collapsed:rdr-cache-20261123-0500.rdb until=2026-12-23T05:00:00Z';
const now = new Date('2026-11-24T00:00:00Z');
const hold = { point: FILE, reason: 'legal', until: '2027-01-01', by: 'ops@host', now };

describe('holdBackup', () => {
  beforeEach(async () => {
    await new FileBackupStore(dir).write(FILE, bytes('REDIS'), { tier: 'daily', target: 'cache', createdAt: '2026-11-23T04:00:00.000Z' }, () => ({
      keys: 3,
      rdbVersion: 10,
    }));
  });

  it('holds an unheld backup, read back', async () => {
    const r = await holdBackup(new FileBackupStore(dir), hold);
    expect(r.hold).toMatch(/^held until=2027-01-01T00:00:00Z by=ops@host reason=legal$/);
    expect((await new FileBackupStore(dir).list())[0]!.hold).toBe(r.hold);
  });

  it("a collapse's hold put by a backup run after the read is kept: the operator's hold fails naming it, nothing overwritten", async () => {
    const store = new FileBackupStore(dir);
    // A backup run's collapse holds the backup as the operator's hold is about to be written: the store's hold, first.
    const racing = holdRacedBy(store, COLLAPSE);
    await expect(holdBackup(racing, hold)).rejects.toThrow(`the hold on ${FILE} changed since it was read: it is now "${COLLAPSE}", kept as it is`);
    expect((await store.list())[0]!.hold).toBe(COLLAPSE);
  });
});
