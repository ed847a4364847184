import { describe, expect, it } from 'vitest';
import { collectGarbage } from '../../../../lambdas/adapters/host/collect-garbage.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

/** migrate --from-rdb's collection between its reads (issue 54 item 10): a real full collection, safe to ask for again. */
describe('collectGarbage', () => {
  it('collects what nothing references any more (a dropped 8 MB buffer), and again on a second call', async () => {
    for (let round = 0; round < 2; round++) {
      let big: Buffer | undefined = Buffer.alloc(8 * 1024 * 1024, 1);
      const ref = new WeakRef(big);
      await tick();
      expect(ref.deref()).toBeDefined(); // negative: held while referenced, even across a collection
      collectGarbage();
      await tick();
      expect(ref.deref()).toBeDefined();
      big = undefined;
      await tick();
      collectGarbage();
      await tick();
      expect(ref.deref()).toBeUndefined();
    }
  });
});
