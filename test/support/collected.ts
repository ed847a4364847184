/**
 * Whether objects are still reachable, for tests that a buffer is not held
 * (a big value's bytes dropped as they go by, an answered batch's payload
 * let go): a full garbage collection, then each WeakRef asked.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
// A context made after the flag has `gc` (the test runner's own context was made before it).
const gc = runInNewContext('gc') as () => void;

/** WeakRefs to `objects`, for {@link collected}. */
export function watch(objects: readonly object[]): WeakRef<object>[] {
  return objects.map((o) => new WeakRef(o));
}

/**
 * How many of the watched objects a full collection freed. Waits a turn
 * first: a WeakRef keeps its target alive until the job that made or read it ends.
 */
export async function collected(refs: readonly WeakRef<object>[]): Promise<number> {
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  return refs.filter((r) => r.deref() === undefined).length;
}
