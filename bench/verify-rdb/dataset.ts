/**
 * The verify-rdb benchmark's dataset: a seeded mix of every value type a
 * Redis 7.0 server persists, written through ioredis pipelines.
 *
 * Per key (drawn from one seeded PRNG, so every run writes the same data):
 *
 * | share | kind | how it is stored in the RDB |
 * |---:|---|---|
 * | 10 % | integer string | int-encoded string |
 * | 17 % | short random string (16–80 chars) | plain string |
 * |  9 % | JSON-like document (≈300–900 chars) | plain or LZF string |
 * |  3 % | large repetitive text (2–8 KB) | LZF string |
 * | 14 % | list of 5–110 short words | quicklist of listpacks (LZF when it pays) |
 * |  5 % | set of 8–160 integers | intset |
 * |  5 % | set of 5–80 words | hashtable set: one string per member |
 * |  8 % | small sorted set (4–80 members) | listpack |
 * |  2 % | large sorted set (130–220 members) | skiplist: member + binary double |
 * | 21 % | small hash (4–44 fields) | listpack |
 * |  4 % | large hash (130–180 fields) | hashtable: one string per field and value |
 * |  2 % | stream of 5–40 entries, a third with a consumer group and pending entries | stream |
 *
 * About 10 % of keys get a TTL of 1–30 days; keys are spread over databases
 * 0–3 (70 / 15 / 10 / 5 %).
 *
 * The `everyday` shape (issue 26: what most caches hold; small collections only):
 *
 * | share | kind | how it is stored in the RDB |
 * |---:|---|---|
 * | 30 % | random text of 100–1,000 chars | plain string |
 * | 30 % | JSON-like text of 100–1,000 chars | plain or LZF string |
 * | 10 % | small hash (5–40 fields) | listpack |
 * | 10 % | small list (5–60 words) | quicklist of one listpack |
 * |  5 % | small set of 5–60 integers | intset |
 * |  5 % | small set of 5–60 words | listpack (Redis 7.2+) or hashtable set |
 * | 10 % | small sorted set (5–40 members) | listpack |
 *
 * with the same TTLs (10 %) and databases.
 */
import type Redis from 'ioredis';
import { mulberry32 } from '../../test/support/prng.js';

/** Default database of each share of keys: 70 % in 0, 15 % in 1, 10 % in 2, 5 % in 3. */
const DEFAULT_DB_WEIGHTS = [0.7, 0.15, 0.1, 0.05] as const;
/** Keys per pipeline: large enough to keep the server busy, small enough to bound client memory. */
const BATCH = 500;
const DAY_MS = 86_400_000;

/** What {@link populate} wrote. */
export interface DatasetSummary {
  readonly keys: number;
  readonly withTtl: number;
  readonly byKind: Readonly<Record<string, number>>;
  readonly keysPerDb: readonly number[];
  readonly seconds: number;
}

/** Seeded generators for words, random text and numbers. */
class Generator {
  private readonly random: () => number;
  private readonly words: string[];
  /** Random alphanumeric text; substrings of it are incompressible values. */
  private readonly noise: string;

  constructor(seed: number) {
    this.random = mulberry32(seed);
    const letters = 'abcdefghijklmnopqrstuvwxyz';
    this.words = Array.from({ length: 2000 }, () => Array.from({ length: this.int(3, 10) }, () => letters[this.int(0, 25)]).join(''));
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    this.noise = Array.from({ length: 1 << 16 }, () => alphabet[this.int(0, 63)]).join('');
  }

  /** Uniform float in [0, 1). */
  next(): number {
    return this.random();
  }

  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.random() * (max - min + 1));
  }

  word(): string {
    return this.words[this.int(0, this.words.length - 1)]!;
  }

  sentence(words: number): string {
    return Array.from({ length: words }, () => this.word()).join(' ');
  }

  /** `length` incompressible characters. */
  noiseText(length: number): string {
    const at = this.int(0, this.noise.length - length);
    return this.noise.slice(at, at + length);
  }

  /** A JSON document with repeated field names (compresses a little). */
  document(i: number): string {
    return JSON.stringify({
      id: i,
      name: `user-${i}`,
      email: `${this.word()}.${this.word()}@example.com`,
      created: 1_700_000_000 + this.int(0, 10_000_000),
      tags: Array.from({ length: this.int(1, 6) }, () => this.word()),
      token: this.noiseText(this.int(32, 96)),
      bio: this.sentence(this.int(20, 80)),
    });
  }

  /** Repetitive log-like text: LZF compresses it several times over. */
  largeText(): string {
    const lines: string[] = [];
    const target = this.int(2_000, 8_000);
    for (let size = 0; size < target; ) {
      const line = `2030-01-01T00:00:${String(this.int(0, 59)).padStart(2, '0')}Z INFO request handled path=/api/${this.word()} status=200 ms=${this.int(1, 999)}\n`;
      lines.push(line);
      size += line.length;
    }
    return lines.join('');
  }
}

type Pipeline = ReturnType<Redis['pipeline']>;

/** Adds the commands that create key number `i` (of a kind drawn from `g`) to `p`; returns its kind and name. */
function addKey(p: Pipeline, g: Generator, i: number): [kind: string, key: string] {
  const r = g.next() * 100;
  if (r < 10) return setString(p, `k:${i}:int`, String(g.int(-1_000_000, 1_000_000_000)), 'string-int');
  if (r < 27) return setString(p, `k:${i}:str`, g.noiseText(g.int(16, 80)), 'string-short');
  if (r < 36) return setString(p, `k:${i}:doc`, g.document(i), 'string-json');
  if (r < 39) return setString(p, `k:${i}:log`, g.largeText(), 'string-large');
  if (r < 53) {
    const key = `k:${i}:list`;
    p.rpush(key, ...Array.from({ length: g.int(5, 110) }, () => g.word()));
    return ['list', key];
  }
  if (r < 58) {
    const key = `k:${i}:iset`;
    const base = g.int(0, 1_000_000);
    p.sadd(key, ...Array.from({ length: g.int(8, 160) }, (_, j) => base + j * g.int(1, 1000)));
    return ['set-intset', key];
  }
  if (r < 63) {
    const key = `k:${i}:set`;
    p.sadd(key, ...Array.from({ length: g.int(5, 80) }, () => `${g.word()}-${g.int(0, 999)}`));
    return ['set-hashtable', key];
  }
  if (r < 73) {
    const key = `k:${i}:zset`;
    const large = r >= 71;
    const n = large ? g.int(130, 220) : g.int(4, 80);
    p.zadd(key, ...Array.from({ length: n }, (_, j) => [g.int(0, 1_000_000) / 100, `${g.word()}-${j}`]).flat());
    return [large ? 'zset-skiplist' : 'zset-listpack', key];
  }
  if (r < 98) {
    const key = `k:${i}:hash`;
    const large = r >= 94;
    const n = large ? g.int(130, 180) : g.int(4, 44);
    const fields: string[] = [];
    for (let j = 0; j < n; j++) fields.push(`field-${j}`, j % 3 === 0 ? String(g.int(0, 99_999)) : g.word());
    p.hset(key, ...fields);
    return [large ? 'hash-hashtable' : 'hash-listpack', key];
  }
  const key = `k:${i}:stream`;
  const entries = g.int(5, 40);
  for (let j = 0; j < entries; j++) p.xadd(key, '*', 'event', g.word(), 'user', String(g.int(1, 99_999)), 'payload', g.sentence(4));
  if (g.next() < 1 / 3) {
    p.xgroup('CREATE', key, 'workers', '0');
    p.call('XREADGROUP', 'GROUP', 'workers', `consumer-${g.int(1, 3)}`, 'COUNT', String(g.int(1, entries)), 'STREAMS', key, '>');
    return ['stream-with-group', key];
  }
  return ['stream', key];
}

/** {@link addKey} for the `everyday` shape (see the module comment). */
function addEverydayKey(p: Pipeline, g: Generator, i: number): [kind: string, key: string] {
  const r = g.next() * 100;
  if (r < 30) return setString(p, `k:${i}:str`, g.noiseText(g.int(100, 1000)), 'string-random');
  if (r < 60) {
    const length = g.int(100, 1000);
    // Words and a short token, cut to length: compressible, as JSON and text values are.
    let text = `{"id":${i},"token":"${g.noiseText(16)}","text":"`;
    while (text.length < length) text += `${g.word()} `;
    return setString(p, `k:${i}:doc`, text.slice(0, length), 'string-text');
  }
  if (r < 70) {
    const key = `k:${i}:hash`;
    const fields: string[] = [];
    for (let j = 0, n = g.int(5, 40); j < n; j++) fields.push(`f${j}`, j % 3 === 0 ? String(g.int(0, 99_999)) : g.word());
    p.hset(key, ...fields);
    return ['hash-small', key];
  }
  if (r < 80) {
    const key = `k:${i}:list`;
    p.rpush(key, ...Array.from({ length: g.int(5, 60) }, () => g.word()));
    return ['list-small', key];
  }
  if (r < 85) {
    const key = `k:${i}:iset`;
    const base = g.int(0, 1_000_000);
    p.sadd(key, ...Array.from({ length: g.int(5, 60) }, (_, j) => base + j * g.int(1, 1000)));
    return ['set-intset', key];
  }
  if (r < 90) {
    const key = `k:${i}:set`;
    p.sadd(key, ...Array.from({ length: g.int(5, 60) }, () => `${g.word()}-${g.int(0, 999)}`));
    return ['set-small', key];
  }
  const key = `k:${i}:zset`;
  p.zadd(key, ...Array.from({ length: g.int(5, 40) }, (_, j) => [g.int(0, 1_000_000) / 100, `${g.word()}-${j}`]).flat());
  return ['zset-small', key];
}

function setString(p: Pipeline, key: string, value: string, kind: string): [string, string] {
  p.set(key, value);
  return [kind, key];
}

/** Options of {@link populate}. */
export interface PopulateOptions {
  /**
   * Share of keys per database (index = database), summing to 1. The draws
   * of key kinds and TTLs do not depend on it: `[1]` writes the same keys,
   * all in database 0.
   * @default [0.7, 0.15, 0.1, 0.05]
   */
  readonly dbWeights?: readonly number[];
  /** Which mix of keys: `mixed` (large collections too) or `everyday` (see the module comment). @default 'mixed' */
  readonly shape?: 'mixed' | 'everyday';
}

/**
 * Writes `keys` keys into databases 0–3 (or as `dbWeights` says) of the
 * server behind `clientForDb` (one client per database, used concurrently so
 * the server stays busy).
 */
export async function populate(
  clientForDb: (db: number) => Redis,
  keys: number,
  seed: number,
  log: (line: string) => void,
  options: PopulateOptions = {},
): Promise<DatasetSummary> {
  const weights = options.dbWeights ?? DEFAULT_DB_WEIGHTS;
  const started = Date.now();
  const byKind: Record<string, number> = {};
  const keysPerDb = weights.map(() => 0);
  let withTtl = 0;
  let next = 0;
  let lastLog = 0;

  // Each database gets its own generator and key range share, drawn in order.
  const dbOfKey = mulberry32(seed ^ 0x5eed);
  const pickDb = (): number => {
    let r = dbOfKey();
    for (let db = 0; db < weights.length; db++) {
      if (r < weights[db]!) return db;
      r -= weights[db]!;
    }
    return 0;
  };
  const generator = new Generator(seed);
  const add = options.shape === 'everyday' ? addEverydayKey : addKey;
  const ttl = mulberry32(seed ^ 0x77);

  // One batch at a time is built (synchronously, so draws stay in order), then sent per database in parallel.
  const inFlight = new Set<Promise<void>>();
  while (next < keys) {
    const pipelines = weights.map((_, db) => clientForDb(db).pipeline());
    for (const end = Math.min(keys, next + BATCH * weights.length); next < end; next++) {
      const db = pickDb();
      const p = pipelines[db]!;
      const [kind, key] = add(p, generator, next);
      byKind[kind] = (byKind[kind] ?? 0) + 1;
      keysPerDb[db]!++;
      if (ttl() < 0.1) {
        p.pexpire(key, DAY_MS + Math.floor(ttl() * 29 * DAY_MS));
        withTtl++;
      }
    }
    for (const p of pipelines) {
      const sent: Promise<void> = p.exec().then((results) => {
        const failed = results?.find(([err]) => err);
        if (failed) throw failed[0];
        inFlight.delete(sent);
      });
      inFlight.add(sent);
    }
    // Bound the batches in flight (client memory) while keeping the server fed.
    while (inFlight.size > Math.max(8, 2 * weights.length)) await Promise.race(inFlight);
    if (Date.now() - lastLog > 10_000) {
      lastLog = Date.now();
      log(`  ${next.toLocaleString('en-US')} / ${keys.toLocaleString('en-US')} keys written`);
    }
  }
  await Promise.all(inFlight);
  return { keys, withTtl, byKind, keysPerDb, seconds: (Date.now() - started) / 1000 };
}
