import type { Redis } from 'ioredis';
import {
  CANARY_KEY,
  parseKeyspace,
  sampleAllocation,
  typeBucket,
  type KeyspaceEntry,
  type SampledKey,
  type ScanSummary,
  type ValueLookup,
} from '../../domain/drills/checks.js';
import { type RedisClient, RedisConnectionError, ScanTimeoutError, primaries } from './connection.js';
import { CRLF, type ReplyHandler, RespPipe, encode, endpointOf } from './resp-pipe.js';

export async function keyspace(node: Redis): Promise<KeyspaceEntry[]> {
  return parseKeyspace(await node.info('keyspace'));
}

/** Keys in every database of every primary (INFO keyspace's `keys=`, which is each database's DBSIZE). */
export async function countKeys(client: RedisClient): Promise<number> {
  const spaces = await Promise.all(primaries(client).map(keyspace));
  return spaces.flat().reduce((a, e) => a + e.keys, 0);
}

/**
 * The servers' clocks, ms since the epoch: the earliest and the latest over
 * every primary. A drill compares keys' expiry times with the clock that
 * expires them, not with the caller's. Read from `INFO server`
 * (`server_time_usec`, Redis 6.2 on: the drill user may INFO already), else
 * TIME (older servers).
 */
export async function serverTime(client: RedisClient): Promise<{ readonly earliest: number; readonly latest: number }> {
  const times = await Promise.all(
    primaries(client).map(async (node) => {
      const usec = /^server_time_usec:(\d+)\r?$/m.exec(await node.info('server'))?.[1];
      if (usec !== undefined) return Math.floor(Number(usec) / 1000);
      const [seconds, micros] = (await node.call('TIME')) as [string, string];
      return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    }),
  );
  return { earliest: Math.min(...times), latest: Math.max(...times) };
}

/** Reads what the canary, expect-keys and expect-values checks compare (database 0, routed by key in cluster mode). */
export async function readExpected(
  client: RedisClient,
  keys: readonly string[],
  values: readonly string[],
): Promise<{ canary: string | null; exists: boolean[]; values: Record<string, ValueLookup> }> {
  const canary = await client.get(CANARY_KEY);
  const exists = await Promise.all(keys.map(async (k) => (await client.exists(k)) === 1));
  const found: Record<string, ValueLookup> = {};
  for (const key of values) {
    try {
      const value = await client.get(key);
      found[key] = value === null ? { kind: 'missing' } : { kind: 'value', value };
    } catch (err) {
      if (!(err instanceof Error && err.message.startsWith('WRONGTYPE'))) throw err;
      found[key] = { kind: 'wrong-type', type: await client.type(key) };
    }
  }
  return { canary, exists, values: found };
}

// ---------------------------------------------------------------------------
// Full scan.

/** Options of {@link scanHistogram}. */
export interface ScanOptions {
  /** SCAN COUNT: keys per batch (and TYPE+PTTL pairs per pipelined write). @default 1000 */
  readonly count?: number;
  /** Fail with {@link ScanTimeoutError} after this long. @default 600 */
  readonly maxSeconds?: number;
  /** Milliseconds clock. @default Date.now */
  readonly now?: () => number;
}

interface Tally {
  keys: number;
  volatile: number;
  vanished: number;
  ttlProblems: number;
  byType: Record<string, number>;
}

/**
 * Every key of every database of every primary: keys per type, keys with a
 * TTL, keys that expired during the scan, nonsensical TTLs. Memory is bounded
 * by two SCAN batches: keys are counted and dropped, never collected. The
 * next SCAN is sent ahead of each batch's TYPE/PTTL pairs, so the server
 * always has a batch queued. Primaries are scanned in parallel, databases of
 * one primary one after another.
 */
export async function scanHistogram(client: RedisClient, options: ScanOptions = {}): Promise<ScanSummary> {
  const count = options.count ?? 1000;
  const now = options.now ?? Date.now;
  const maxMs = (options.maxSeconds ?? 600) * 1000;
  const deadline = now() + maxMs;
  const tally: Tally = { keys: 0, volatile: 0, vanished: 0, ttlProblems: 0, byType: {} };
  await Promise.all(
    primaries(client).map(async (node) => {
      for (const { db, keys } of await keyspace(node)) {
        if (keys === 0) continue;
        const pipe = await RespPipe.open(endpointOf(node), db);
        try {
          await scanDatabase(
            pipe,
            count,
            () => {
              if (now() > deadline) {
                throw new ScanTimeoutError(
                  `the full scan did not finish within ${maxMs / 1000} s (${tally.keys} keys counted so far); ` +
                    "raise the verify step's maxScanSeconds (and the Lambda timeout) or lower the drill's data size",
                );
              }
            },
            tally,
          );
        } finally {
          pipe.close();
        }
      }
    }),
  );
  return { keys: tally.keys, byType: tally.byType, volatile: tally.volatile, vanished: tally.vanished, ttlProblems: tally.ttlProblems };
}

const TYPE_HEAD = Buffer.from('*2\r\n$4\r\nTYPE\r\n');
const PTTL_HEAD = Buffer.from('*2\r\n$4\r\nPTTL\r\n');

function scanDatabase(pipe: RespPipe, count: number, checkDeadline: () => void, tally: Tally): Promise<void> {
  return new Promise((resolve, reject) => {
    let scans = 0;
    let pairs = 0;
    let settled = false;
    let lastType = 'none';
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      reject(err);
    };
    const maybeDone = (): void => {
      if (!settled && scans === 0 && pairs === 0) {
        settled = true;
        resolve();
      }
    };
    const scanCommand = (cursor: string): Buffer => encode(['SCAN', cursor, 'COUNT', String(count)]);
    const onType: ReplyHandler = (reply) => {
      if (reply instanceof Error) return fail(refused('TYPE', reply));
      lastType = String(reply);
    };
    const onPttl: ReplyHandler = (reply) => {
      pairs--;
      if (reply instanceof Error) return fail(refused('PTTL', reply));
      const bucket = typeBucket(lastType);
      if (bucket === undefined || reply === -2) {
        tally.vanished++; // expired (or deleted) between SCAN and TYPE/PTTL
      } else {
        tally.keys++;
        tally.byType[bucket] = (tally.byType[bucket] ?? 0) + 1;
        if (typeof reply === 'number' && reply >= 0) tally.volatile++;
        else if (reply !== -1) tally.ttlProblems++;
      }
      maybeDone();
    };
    const onScan: ReplyHandler = (reply) => {
      scans--;
      if (reply instanceof Error) return fail(refused('SCAN', reply));
      try {
        checkDeadline();
      } catch (err) {
        return fail(err as Error);
      }
      const [cursorReply, keys] = reply as [Buffer, Buffer[]];
      const cursor = cursorReply.toString();
      const parts: Buffer[] = [];
      const handlers: ReplyHandler[] = [];
      if (cursor !== '0') {
        parts.push(scanCommand(cursor)); // scan ahead: the next batch is read while this one is typed
        handlers.push(onScan);
        scans++;
      }
      for (const key of keys) {
        const len = Buffer.from(`$${key.length}\r\n`);
        parts.push(TYPE_HEAD, len, key, CRLF, PTTL_HEAD, len, key, CRLF);
        handlers.push(onType, onPttl);
        pairs++;
      }
      if (parts.length > 0) pipe.send(Buffer.concat(parts), handlers);
      maybeDone();
    };
    scans++;
    pipe.send(scanCommand('0'), [onScan]);
  });
}

function refused(command: string, reply: Error): Error {
  return reply instanceof RedisConnectionError
    ? reply
    : new RedisConnectionError(`${command} failed: ${reply.message} (does the user have +@keyspace +@read?)`);
}

/** Options for {@link scanExpiryTimes}. */
export interface ExpiryScanOptions {
  /** Record nothing (`undefined`) when the keyspace holds more keys than this: the scan would cost too much. */
  readonly maxKeys: number;
  /** Stop and record nothing after this long. */
  readonly maxSeconds: number;
  /** SCAN COUNT. @default 1000 */
  readonly count?: number;
  /** Milliseconds clock. @default Date.now */
  readonly now?: () => number;
}

/**
 * Every key's expiry time (PEXPIRETIME: ms since the epoch, exact; Redis and
 * Valkey 7.0 on) in every database with keys with an expiry (INFO keyspace),
 * on every primary. `undefined` when the keyspace holds more than `maxKeys`
 * keys or the scan outlasts `maxSeconds`. SCAN has no TTL filter: every key
 * of those databases is visited, one SCAN batch and its PEXPIRETIME replies
 * at a time; only the times are kept (8 bytes per key with an expiry).
 * Throws what the server refuses (an older server, a user without the commands).
 */
export async function scanExpiryTimes(client: RedisClient, options: ExpiryScanOptions): Promise<number[] | undefined> {
  const now = options.now ?? Date.now;
  const count = String(options.count ?? 1000);
  const nodes = await Promise.all(primaries(client).map(async (node) => ({ node, spaces: await keyspace(node) })));
  if (nodes.flatMap((n) => n.spaces).reduce((a, e) => a + e.keys, 0) > options.maxKeys) return undefined;
  const deadline = now() + options.maxSeconds * 1000;
  const times: number[] = [];
  let late = false;
  await Promise.all(
    nodes.map(async ({ node, spaces }) => {
      for (const { db, expires } of spaces) {
        if (expires === 0 || late) continue;
        const pipe = await RespPipe.open(endpointOf(node), db);
        try {
          let cursor = '0';
          do {
            if (now() > deadline) {
              late = true;
              return;
            }
            const [next, keys] = (await pipe.call(['SCAN', cursor, 'COUNT', count])) as [Buffer, Buffer[]];
            const replies = await pipe.exec(Buffer.concat(keys.map((k) => encode(['PEXPIRETIME', k]))), keys.length);
            for (const r of replies) {
              if (r instanceof Error)
                throw new RedisConnectionError(`PEXPIRETIME failed: ${r.message} (Redis or Valkey 7.0 or later, and a user with +pexpiretime)`);
              if (typeof r === 'number' && r >= 0) times.push(r);
            }
            cursor = next.toString();
          } while (cursor !== '0');
        } finally {
          pipe.close();
        }
      }
    }),
  );
  return late ? undefined : times;
}

/**
 * `size` random keys (RANDOMKEY, then TYPE and PTTL), spread over databases
 * and primaries in proportion to their key counts.
 */
export async function sampleKeys(client: RedisClient, size: number): Promise<SampledKey[]> {
  const targets = (await Promise.all(primaries(client).map(async (node) => (await keyspace(node)).map((e) => ({ node, ...e }))))).flat();
  const alloc = sampleAllocation(
    targets.map((t) => t.keys),
    size,
  );
  const samples: SampledKey[] = [];
  for (const [i, t] of targets.entries()) {
    if (alloc[i] === 0) continue;
    const pipe = await RespPipe.open(endpointOf(t.node), t.db);
    try {
      for (let n = 0; n < alloc[i]!; n++) {
        const key = await pipe.call(['RANDOMKEY']);
        if (!Buffer.isBuffer(key)) {
          samples.push({ type: 'none', pttl: -2 }); // the database emptied meanwhile
          continue;
        }
        const [type, pttl] = await Promise.all([pipe.call(['TYPE', key]), pipe.call(['PTTL', key])]);
        samples.push({ type: String(type), pttl: Number(pttl) });
      }
    } finally {
      pipe.close();
    }
  }
  return samples;
}
