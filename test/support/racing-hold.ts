import type { BackupStore } from '../../lambdas/adapters/storage/backup-store.js';

/**
 * `store` whose every `hold` is preceded by another writer's change to the same backup: its hold `first` (the race of
 * two holds: an operator's `retention hold` and a backup run's collapse, put at the moment the second writes), or what
 * `first` does to it (another release freeing it).
 */
export function holdRacedBy<S extends BackupStore>(store: S, first: string | ((store: S, file: string) => Promise<void>)): S {
  return new Proxy(store, {
    get(target, name, receiver) {
      if (name !== 'hold') return Reflect.get(target, name, receiver);
      return async (file: string, reason: string, expected?: { hold: string | undefined }) => {
        await (typeof first === 'string' ? target.hold(file, first) : first(target, file));
        return target.hold(file, reason, expected);
      };
    },
  });
}
