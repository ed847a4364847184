import type { BackupStore } from '../../lambdas/adapters/storage/backup-store.js';

/**
 * Puts a backup record of `target` through the real store's write (body, read-back, record), with the key count the
 * tripwire reads and, for a collapsed one, its mark: the states a release or retention test starts from, without a
 * server's save.
 */
export function backupPutter(store: BackupStore, target = 'cache'): (file: string, keys: number, collapsed?: string) => Promise<void> {
  return async (file, keys, collapsed) => {
    const body = (async function* () {
      yield Buffer.from(`REDIS0011 ${file}`);
    })();
    await store.write(file, body, { tier: 'hourly', target, createdAt: '2026-11-21T08:00:00Z' }, () => ({
      keys,
      rdbVersion: 11,
      ...(collapsed ? { collapsed } : {}),
    }));
  };
}
