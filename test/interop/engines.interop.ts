/**
 * Issue 55 against real newer engines: Redis 8.0 and 8.6, Valkey 8.1 and 9.1 (built from Debian's source packages by
 * scripts/newer-servers.sh), with the local Redis 7.0. Not part of `npm test` (the suite has 7.0 only):
 * `npm run setup:newer-servers` once, then `npm run test:interop` (docs/developing.md).
 *
 * For each engine: a dataset of every type it holds (hash field TTLs, a Redis 8.6 stream's idempotent producer and a
 * function library where it has them) saved by that engine; then for each file and each engine:
 * - verify-rdb's `engines.loads` says whether it loads, and the engine itself agrees (it starts on the file or refuses);
 * - convert-rdb --for <engine> writes a file it loads, which compare holds EQUAL to the input but for the keys the
 *   conversion reported lost or left out;
 * - a round trip through each other engine (converted for it, then back) loads in the first, EQUAL to the file but for
 *   what the first leg reported lost;
 * - migrate --from-rdb --verify --functions into an empty one: exit 0, the verdict EQUAL.
 */
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bgsave, type RedisServer, startRedisServer } from '../support/redis-server.js';

const ROOT = join(__dirname, '..', '..');
/** Where scripts/newer-servers.sh put the binaries (`REDIS_DR_SERVERS` names another folder). */
const BIN = process.env.REDIS_DR_SERVERS ?? join(ROOT, '.tmp', 'servers', 'bin');
/** Each engine by its `--for` name: the local 7.0 and those scripts/newer-servers.sh builds. */
const ENGINES: Readonly<Record<string, string>> = {
  'redis-7.0': 'redis-server',
  'redis-8.0': join(BIN, 'redis-8.0'),
  'redis-8.6': join(BIN, 'redis-8.6'),
  'valkey-8.1': join(BIN, 'valkey-8.1'),
  'valkey-9.1': join(BIN, 'valkey-9.1'),
};
const NAMES = Object.keys(ENGINES);
/** What a conversion for an older engine may have to let go in these datasets (each reported, never silent). */
const LOSSY = 'field-ttl,module,stream-idmp';
const FAR = 4_102_444_800_000; // 2100-01-01: no expiry passes during a run

function cli(...args: string[]): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [join(ROOT, 'bin', 'redis-dr.cjs'), ...args], { encoding: 'utf8', timeout: 120_000 });
}

/** Every type `c`'s engine holds, feature-detected: what it refuses (an older engine's unknown command) is left out. */
async function writeDataset(c: Redis): Promise<void> {
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);
  await c.set('str', 'text');
  await c.set('str:int', '12345');
  await c.set('str:lzf', 'abc'.repeat(400));
  await c.set('str:ttl', 'v', 'PXAT', FAR);
  await c.rpush('list', 'a', '2', '-3');
  await c.rpush('list:big', ...range(600).map((i) => `item-${i}-${'z'.repeat(i % 40)}`));
  await c.hset('hash', 'f', 'v', 'n', '2');
  await c.hset('hash:big', ...range(300).flatMap((i) => [`field-${i}`, `value-${i}-${'q'.repeat(i % 70)}`]));
  await c.sadd('set:ints', '1', '2', '300');
  await c.sadd('set', 'a', 'b');
  await c.sadd('set:big', ...range(600).map((i) => `member-${i}`));
  await c.zadd('zset', '1', 'a', '2.5', 'b');
  await c.zadd('zset:big', ...range(300).flatMap((i) => [String(i / 3), `m-${i}`]));
  for (let i = 1; i <= 8; i++) await c.xadd('stream', `100-${i}`, 'k', String(i));
  await c.xgroup('CREATE', 'stream', 'g', '0');
  await c.xreadgroup('GROUP', 'g', 'alice', 'COUNT', 3, 'STREAMS', 'stream', '>');
  await c.select(3);
  await c.set('db3', 'v');
  await c.select(0);
  const optional = async (f: () => Promise<unknown>) => f().catch(() => undefined);
  await optional(async () => {
    await c.hset('hash:ttl', 'a', '1', 'b', '2');
    await c.call('HPEXPIREAT', 'hash:ttl', FAR, 'FIELDS', 1, 'a');
  });
  await optional(() => c.call('XADD', 'stream:idmp', 'IDMP', 'producer', 'id-1', '*', 'f', 'v'));
  await optional(() => c.call('FUNCTION', 'LOAD', "#!lua name=interop\nredis.register_function('interop_fn', function(keys) return #keys end)"));
}

/** `binary` started on `file` (in a folder of its own): its URL and stop, or null when it refuses the file. */
async function started(binary: string, file: string): Promise<RedisServer | null> {
  return startRedisServer({ binary, loadRdb: file, readyTimeoutMs: 20_000 }).catch(() => null);
}

describe('issue 55 against real Redis 8.0, 8.6 and Valkey 8.1, 9.1 (and the local 7.0)', () => {
  const files: Record<string, string> = {};
  let dir: string;

  beforeAll(async () => {
    const missing = NAMES.filter((n) => ENGINES[n] !== 'redis-server' && !existsSync(ENGINES[n]!));
    if (missing.length > 0) throw new Error(`${missing.join(', ')} not built: run npm run setup:newer-servers (scripts/newer-servers.sh) first`);
    dir = mkdtempSync(join(tmpdir(), 'redis-dr-interop-'));
    for (const name of NAMES) {
      const server = await startRedisServer({ binary: ENGINES[name] });
      try {
        const c = server.client();
        await writeDataset(c);
        files[name] = join(dir, `${name}.rdb`);
        copyFileSync(await bgsave(server, c), files[name]!);
      } finally {
        await server.stop();
      }
    }
  }, 300_000);
  afterAll(() => dir && rmSync(dir, { recursive: true, force: true }));

  it.each(NAMES)(
    "verify-rdb's engines of a file %s writes are the engines that load it",
    async (source) => {
      const verdict = cli('verify-rdb', files[source]!, '--json');
      expect(verdict.status).toBe(0);
      const loads = (JSON.parse(verdict.stdout) as { engines: { loads: string[] } }).engines.loads;
      for (const target of NAMES) {
        const server = await started(ENGINES[target]!, files[source]!);
        await server?.stop();
        expect({ target, loads: server !== null }).toEqual({ target, loads: loads.includes(target) });
      }
    },
    120_000,
  );

  it.each(NAMES.flatMap((source) => NAMES.map((target) => [source, target])))(
    'a file %s writes, converted for %s: loaded there, and EQUAL to the input but for what the conversion reported',
    async (source, target) => {
      const out = join(dir, `${source}-for-${target}.rdb`);
      const run = cli('convert-rdb', files[source]!, '--for', target!, '--lossy', LOSSY, '-o', out, '--json', '--force');
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      const r = JSON.parse(run.stdout) as { lost: Record<string, number>; dropped: Record<string, number> };
      const server = await started(ENGINES[target!]!, out);
      expect(server, `${target} refused the output`).not.toBeNull();
      try {
        const cmp = cli('compare', '--a', files[source]!, '--b', server!.url, '--json');
        const differences = (JSON.parse(cmp.stdout) as { differences: number }).differences;
        // Lost field TTLs differ (compare holds them); a stream's IDMP data is not compared; dropped keys are only in A.
        const expected = (r.lost['field-ttl'] ?? 0) + Object.values(r.dropped).reduce((a, b) => a + b, 0);
        expect({ differences, status: cmp.status }).toEqual({ differences: expected, status: expected === 0 ? 0 : 1 });
      } finally {
        await server!.stop();
      }
    },
    120_000,
  );

  it.each(NAMES.flatMap((source) => NAMES.filter((via) => via !== source).map((via) => [source, via])))(
    'a round trip: a file %s writes, converted for %s and back, loaded by the first: EQUAL but for what the first leg reported',
    async (source, via) => {
      const there = join(dir, `${source}-via-${via}.rdb`);
      const back = join(dir, `${source}-via-${via}-back.rdb`);
      const leg1 = cli('convert-rdb', files[source]!, '--for', via!, '--lossy', LOSSY, '-o', there, '--json', '--force');
      expect(leg1.status).toBe(0);
      const leg2 = cli('convert-rdb', there, '--for', source!, '-o', back, '--json', '--force');
      expect(leg2.stderr).toBe('');
      expect(leg2.status).toBe(0);
      const r = JSON.parse(leg1.stdout) as { lost: Record<string, number>; dropped: Record<string, number> };
      const [original, returned] = [await started(ENGINES[source!]!, files[source]!), await started(ENGINES[source!]!, back)];
      expect(returned, `${source} refused the round trip's file`).not.toBeNull();
      try {
        const cmp = cli('compare', '--a', original!.url, '--b', returned!.url, '--json');
        const differences = (JSON.parse(cmp.stdout) as { differences: number }).differences;
        expect(differences).toBe((r.lost['field-ttl'] ?? 0) + Object.values(r.dropped).reduce((a, b) => a + b, 0));
      } finally {
        await Promise.all([original?.stop(), returned?.stop()]);
      }
    },
    120_000,
  );

  it.each(NAMES.flatMap((source) => NAMES.map((target) => [source, target])))(
    'migrate --from-rdb of a file %s writes into an empty %s with --verify: EQUAL, where nothing needs --lossy',
    async (source, target) => {
      const server = await startRedisServer({ binary: ENGINES[target!] });
      try {
        const dry = cli('convert-rdb', files[source]!, '--for', target!, '--dry-run');
        const run = cli('migrate', '--from-rdb', files[source]!, '--to', server.url, '--verify', '--functions');
        if (dry.status !== 0) {
          // What convert-rdb refuses without --lossy, migrate refuses too, before any write.
          expect(run.status).toBe(1);
          expect(await server.client().dbsize()).toBe(0);
        } else {
          expect(run.stderr).toBe('');
          expect(run.stdout).toMatch(/^verify: EQUAL: /m);
          expect(run.status).toBe(0);
        }
      } finally {
        await server.stop();
      }
    },
    120_000,
  );
});
