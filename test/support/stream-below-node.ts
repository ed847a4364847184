import type { Redis } from 'ioredis';

/**
 * Builds, on a real Redis before 7.2, stream `key` with a live entry below
 * its node's ID outside the stream's first node (review 21, review 22): a
 * node of deleted entries only (XDEL, then XTRIM MINID), an XSETID below it
 * (7.2 refuses one below the largest deleted ID), then a node made before
 * that one for a value too big for it. Sets the server's node limits
 * (`stream-node-max-bytes 120`, `stream-node-max-entries 100`).
 * - `in-order`: node 1-6 (1-6), node 4-0 (4-0, 5-0 deleted, 1-7): XRANGE - + lists 1-6 1-7.
 * - `repeat`: node 1-6 (1-6), node 4-0 (4-0, 5-0 deleted, 1-5, 1-6): 7.0's XSETID compares with the last live entry in
 *   file order (1-5), so XSETID 1-5 passes with 1-6 live and the next XADD writes 1-6 again: XRANGE - + lists 1-6 1-5 1-6,
 *   and the stored first ID is 1-5 where the file's first entry is 1-6.
 * @returns the IDs XRANGE - + lists
 */
export async function streamBelowNode(c: Redis, key: string, state: 'in-order' | 'repeat'): Promise<string[]> {
  await c.config('SET', 'stream-node-max-bytes', '120');
  await c.config('SET', 'stream-node-max-entries', '100');
  await c.xadd(key, '4-0', 'f', 'a');
  await c.xadd(key, '5-0', 'f', 'b');
  await c.xdel(key, '5-0');
  await c.xtrim(key, 'MINID', '5-0'); // node 4-0: 4-0 and 5-0, both deleted; length 0
  await c.call('XSETID', key, '1-0');
  if (state === 'repeat') await c.xadd(key, '1-5', 'f', 'small'); // into node 4-0, below its ID
  await c.xadd(key, '1-6', 'f', 'B'.repeat(150)); // too big for node 4-0: a node 1-6, before it
  if (state === 'in-order')
    await c.xadd(key, '1-7', 'f', 'small'); // into node 4-0 (the last node), above 1-6
  else {
    await c.call('XSETID', key, '1-5');
    await c.xadd(key, '1-6', 'f', 'small2'); // into node 4-0: 1-6 twice
  }
  return (await c.xrange(key, '-', '+')).map(([id]) => id);
}
