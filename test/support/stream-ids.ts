import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { keyDigest } from '../../lambdas/domain/rdb/fingerprint.js';
import { decodeDumpPayload } from '../../lambdas/domain/rdb/format/value.js';
import { RdbKeyReader } from '../../lambdas/domain/rdb/keys.js';
import type { RedisServer } from './redis-server.js';

/** Each key's digest (compare's fingerprint) of the RDB file at `path`, by name. */
export function digests(path: string): Record<string, string> {
  const reader = new RdbKeyReader();
  const keys = reader.push(readFileSync(path));
  expect(reader.end().ok).toBe(true);
  return Object.fromEntries(keys.map((k) => [k.name.toString(), keyDigest(decodeDumpPayload(k.payload), k.expireAtMs).digest]));
}

/**
 * XINFO STREAM's and XINFO GROUPS' ids and counters of stream `key` as a
 * real server holds them (Redis 7.0's: what a type 19 stores, or what the
 * server derived loading a type 15), to hold a converted file loaded by a
 * server against the source's.
 */
export async function streamIds(server: RedisServer, key: string): Promise<Record<string, unknown>> {
  const c = server.client();
  const pairs = (a: unknown[]) => Object.fromEntries(Array.from({ length: a.length / 2 }, (_, i) => [a[2 * i], a[2 * i + 1]]));
  const info = pairs((await c.call('XINFO', 'STREAM', key)) as unknown[]);
  const groups = ((await c.call('XINFO', 'GROUPS', key)) as unknown[][]).map(pairs);
  return {
    length: info.length,
    'recorded-first-entry-id': info['recorded-first-entry-id'],
    'entries-added': info['entries-added'],
    'max-deleted-entry-id': info['max-deleted-entry-id'],
    groups: groups.map((g) => ({
      name: g.name,
      'last-delivered-id': g['last-delivered-id'],
      'entries-read': g['entries-read'],
      lag: g.lag,
      pending: g.pending,
    })),
  };
}
