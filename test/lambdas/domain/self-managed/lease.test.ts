import { describe, expect, it } from 'vitest';
import {
  describeHolder,
  formatLease,
  leaseName,
  parseLease,
  samePidScope,
  staleLease,
  type LeaseHolder,
} from '../../../../lambdas/domain/self-managed/lease.js';

const NOW = new Date('2026-11-23T12:00:00Z');
const holder = (over: Partial<LeaseHolder> = {}): LeaseHolder => ({
  owner: 'redis-dr backup',
  host: 'db-1',
  boot: 'boot-1',
  pidNamespace: 'pid:[4026531836]',
  pid: 4242,
  start: '2026-11-23T11:30:00.000Z',
  token: 'abc',
  ...over,
});
const here = (alive: boolean) => ({ host: 'db-1', boot: 'boot-1', pidNamespace: 'pid:[4026531836]', now: NOW, alive: () => alive });

describe('the destination lease', () => {
  it('is a dot file per target, and its text round-trips', () => {
    expect(leaseName('Cache')).toBe('.redis-dr-cache.lease');
    expect(parseLease(formatLease(holder()))).toEqual(holder());
    expect(parseLease('not json')).toBeUndefined();
    expect(parseLease(JSON.stringify({ ...holder(), pid: 'x' }))).toBeUndefined();
    expect(parseLease(JSON.stringify({ ...holder(), boot: 7 }))).toBeUndefined();
    const { boot: _b, pidNamespace: _n, ...older } = holder();
    expect(parseLease(JSON.stringify(older))).toEqual(older);
  });

  it.each<[string, LeaseHolder | undefined, boolean, string | undefined]>([
    ['a live holder on this host', holder(), true, undefined],
    ['a holder gone from this host', holder(), false, 'its holder, pid 4242 on db-1, is gone'],
    ['a holder on another host within the bound', holder({ host: 'db-2' }), false, undefined],
    // A reboot ended it: taken over at once (it blocked every hourly backup for the 6 h bound, each saying "the other run is taking the backup").
    [
      'a holder on this host during an earlier boot, within the bound',
      holder({ boot: 'boot-0' }),
      false,
      "its holder, pid 4242 on db-1, ran before this host's last boot (boot id boot-0…, now boot-1…): it is gone",
    ],
    [
      'a holder of this host name and boot in another pid namespace (another container) within the bound',
      holder({ pidNamespace: 'pid:[1]' }),
      false,
      undefined,
    ],
    ['a holder that recorded no boot (an older redis-dr) within the bound', holder({ boot: undefined }), false, undefined],
    [
      'a holder on another host past the bound',
      holder({ host: 'db-2', start: '2026-11-23T05:00:00.000Z' }),
      false,
      'taken 25200 s ago, longer than the 21600 s a run may hold it without a word',
    ],
    [
      'a holder on another host, started past the bound but refreshed within it',
      holder({ host: 'db-2', start: '2026-11-23T05:00:00.000Z', refreshed: '2026-11-23T11:55:00.000Z' }),
      false,
      undefined,
    ],
    [
      'a holder on another host whose refreshes stopped past the bound',
      holder({ host: 'db-2', start: '2026-11-23T04:00:00.000Z', refreshed: '2026-11-23T05:00:00.000Z' }),
      false,
      'last refreshed 25200 s ago, longer than the 21600 s a run may hold it without a word',
    ],
    // A live process of this scope is never taken over, however long it runs (its lease was taken over by a second run).
    ['a live holder on this host past the bound', holder({ start: '2026-11-23T05:00:00.000Z' }), true, undefined],
    ['an unreadable lease, by its age', undefined, true, 'taken 43200 s ago, longer than the 21600 s a run may hold it without a word'],
  ])('%s: stale %s', (_what, h, alive, why) => {
    const found = { ...(h ? { holder: h } : {}), writtenAt: new Date('2026-11-23T00:00:00Z') };
    expect(staleLease(found, here(alive), 21_600_000)).toBe(why);
  });

  it('judges a pid only within one host, boot and pid namespace (unknown equals only unknown)', () => {
    const a = { host: 'db-1', boot: 'b1', pidNamespace: 'pid:[1]' };
    expect(samePidScope(a, { ...a })).toBe(true);
    expect(samePidScope(a, { ...a, host: 'db-2' })).toBe(false);
    expect(samePidScope(a, { ...a, boot: 'b2' })).toBe(false);
    expect(samePidScope(a, { ...a, pidNamespace: 'pid:[2]' })).toBe(false);
    expect(samePidScope({ host: 'db-1' }, a)).toBe(false);
    expect(samePidScope({ host: 'db-1' }, { host: 'db-1' })).toBe(true);
  });

  it('names the holder for the message of a run that did not get it', () => {
    expect(describeHolder({ holder: holder(), writtenAt: NOW })).toBe('redis-dr backup pid 4242 on db-1, since 2026-11-23T11:30:00.000Z');
    expect(describeHolder({ writtenAt: NOW })).toBe('an unreadable lease written 2026-11-23T12:00:00.000Z');
  });
});
