import type { BackupStore } from '../../lambdas/adapters/storage/backup-store.js';

/**
 * `store` whose every `hold` is preceded by another writer's hold `first` on the same backup: the race of two holds
 * (an operator's `retention hold` and a backup run's collapse) put at the moment the second writes.
 */
export function holdRacedBy<S extends BackupStore>(store: S, first: string): S {
  return new Proxy(store, {
    get(target, name, receiver) {
      if (name !== 'hold') return Reflect.get(target, name, receiver);
      return async (file: string, reason: string, expected?: { hold: string | undefined }) => {
        await target.hold(file, first);
        return target.hold(file, reason, expected);
      };
    },
  });
}
