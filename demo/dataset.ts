/**
 * The demo's sample dataset: what an application's cache holds. About
 * `keys` keys, as a web shop would write them:
 *
 * - user profiles: hashes (`user:<id>`) without expiry;
 * - sessions: hashes (`session:<id>`: user, cart, timestamps) expiring in
 *   30-90 minutes;
 * - rate-limit counters: strings (`ratelimit:<user>:<window>`) counted with
 *   INCR, expiring within 15-120 s (some expire while the demo runs: the
 *   drill's checks allow for keys with an expiry going away);
 * - a job queue: lists of pending jobs (`queue:<name>`) and a stream
 *   (`jobs:events`) with a consumer group whose workers hold pending
 *   entries;
 * - leaderboards: sorted sets (`leaderboard:<period>`);
 *
 * plus two configuration keys the drill checks by name and value
 * (`config:feature-flags`, `config:schema-version` = 42). Deterministic for
 * a given `keys` (a seeded generator) but for the TTLs' absolute times.
 */
import type { Redis } from 'ioredis';
import { mulberry32 } from '../lambdas/domain/keys/prng.js';

/** What was written, per kind (keys) and in total. */
export interface SampleDataset {
  readonly keys: number;
  readonly users: number;
  readonly sessions: number;
  readonly rateLimits: number;
  readonly queues: number;
  readonly queuedJobs: number;
  readonly streamEntries: number;
  readonly leaderboards: number;
  readonly leaderboardMembers: number;
  /** Keys with a TTL. */
  readonly expiring: number;
}

/** The keys the drill's checks name (config/demo.json). */
export const CONFIG_KEYS = { featureFlags: 'config:feature-flags', schemaVersion: 'config:schema-version' } as const;

const QUEUES = ['emails', 'webhooks', 'thumbnails', 'invoices'];
const LEADERBOARDS = ['daily', 'weekly', 'all-time'];
const BATCH = 500;

/** The smallest dataset that still has every kind. */
/** Keys in the sample dataset unless `--keys` says otherwise. */
export const DEFAULT_KEYS = 5000;

export const MIN_KEYS = 20;

/** Writes about `keys` keys (at least {@link MIN_KEYS}) into database 0 of `client`; `signal` stops it between batches. */
export async function writeSampleDataset(client: Redis, keys: number, signal?: AbortSignal): Promise<SampleDataset> {
  if (!Number.isInteger(keys) || keys < MIN_KEYS) throw new RangeError(`keys must be a whole number >= ${MIN_KEYS}, got ${keys}`);
  // Seeded (mulberry32): the same `keys` gives the same data.
  const random = mulberry32(keys);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const hex = (n: number) => Array.from({ length: n }, () => Math.floor(random() * 16).toString(16)).join('');
  const fixed = QUEUES.length + 1 + LEADERBOARDS.length + 2; // lists, the stream, sorted sets, config keys
  const rest = keys - fixed;
  const users = Math.round(rest * 0.4);
  const sessions = Math.round(rest * 0.35);
  const rateLimits = rest - users - sessions;
  const now = Date.now();

  let pipe = client.pipeline();
  let queued = 0;
  const flush = async () => {
    signal?.throwIfAborted();
    if (queued === 0) return;
    const results = await pipe.exec();
    const failed = results?.find(([err]) => err);
    if (failed) throw failed[0];
    pipe = client.pipeline();
    queued = 0;
  };
  const add = async (write: (p: typeof pipe) => void) => {
    write(pipe);
    if (++queued >= BATCH) await flush();
  };

  for (let i = 0; i < users; i++) {
    await add((p) =>
      p.hset(`user:${i}`, {
        name: `user-${hex(6)}`,
        email: `user${i}@example.com`,
        plan: pick(['free', 'plus', 'pro']),
        signed_up_at: new Date(now - Math.floor(random() * 365 * 86_400_000)).toISOString(),
      }),
    );
  }
  for (let i = 0; i < sessions; i++) {
    const user = Math.floor(random() * users);
    await add((p) => {
      const key = `session:${hex(24)}`;
      p.hset(key, {
        user_id: String(user),
        created_at: new Date(now - Math.floor(random() * 3_600_000)).toISOString(),
        ip: `10.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}`,
        cart_items: String(Math.floor(random() * 6)),
        locale: pick(['en-GB', 'de-DE', 'fr-FR', 'es-ES']),
      });
      p.expire(key, 1800 + Math.floor(random() * 3600));
    });
  }
  for (let i = 0; i < rateLimits; i++) {
    await add((p) => {
      const key = `ratelimit:user-${i}:${Math.floor(now / 60_000)}`;
      p.incrby(key, 1 + Math.floor(random() * 50));
      p.expire(key, 15 + Math.floor(random() * 106));
    });
  }
  let queuedJobs = 0;
  for (const queue of QUEUES) {
    const jobs = Math.max(3, Math.round(keys / 100));
    queuedJobs += jobs;
    await add((p) =>
      p.rpush(
        `queue:${queue}`,
        ...Array.from({ length: jobs }, (_, j) => JSON.stringify({ id: `${queue}-${j}`, attempts: 0, enqueued_at: now - j * 1000, payload: hex(32) })),
      ),
    );
  }
  const streamEntries = Math.max(5, Math.round(keys / 50));
  for (let j = 0; j < streamEntries; j++) {
    await add((p) => p.xadd('jobs:events', '*', 'type', pick(['order.created', 'order.paid', 'order.shipped']), 'order', hex(8)));
  }
  await flush();
  await client.xgroup('CREATE', 'jobs:events', 'workers', '0');
  // Two workers took some entries and have not acknowledged them yet (pending).
  await client.call('XREADGROUP', 'GROUP', 'workers', 'worker-1', 'COUNT', '3', 'STREAMS', 'jobs:events', '>');
  await client.call('XREADGROUP', 'GROUP', 'workers', 'worker-2', 'COUNT', '2', 'STREAMS', 'jobs:events', '>');
  const members = Math.max(10, Math.round(keys / 5));
  for (const board of LEADERBOARDS) {
    for (let j = 0; j < members; j += BATCH) {
      const n = Math.min(BATCH, members - j);
      await add((p) => p.zadd(`leaderboard:${board}`, ...Array.from({ length: n }, (_, k) => [Math.floor(random() * 100_000), `player-${j + k}`]).flat()));
    }
  }
  await add((p) => p.set(CONFIG_KEYS.featureFlags, JSON.stringify({ checkout_v2: true, recommendations: false })));
  await add((p) => p.set(CONFIG_KEYS.schemaVersion, '42'));
  await flush();
  return {
    keys: users + sessions + rateLimits + fixed,
    users,
    sessions,
    rateLimits,
    queues: QUEUES.length,
    queuedJobs,
    streamEntries,
    leaderboards: LEADERBOARDS.length,
    leaderboardMembers: members * LEADERBOARDS.length,
    expiring: sessions + rateLimits,
  };
}
