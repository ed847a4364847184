import { describe, expect, it } from 'vitest';
import { expiredDuringScan } from '../../../../lambdas/domain/keys/expiry.js';

describe('expiredDuringScan: a key on one side only, explained by its expiry', () => {
  const now = 1_700_000_000_000;
  it.each([
    ['no expiry: lost, not expired', null, 0, false],
    ['unknown expiry: not explained', undefined, 1000, false],
    ['expired before the scan clock', now - 5, 0, true],
    ['expiring exactly now', now, 0, true],
    ['expiring within the tolerance (the other side a moment earlier)', now + 999, 1000, true],
    ['expiring past the tolerance: a difference', now + 1001, 1000, false],
    ['a day away: a difference', now + 86_400_000, 1000, false],
  ])('%s', (_, expireAtMs, tolerance, expired) => {
    expect(expiredDuringScan(expireAtMs, now, tolerance)).toBe(expired);
  });
});
