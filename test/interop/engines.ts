/**
 * What the interop tier's files share (test/interop): the engines by their `--for` names, the CLI, the dataset each
 * engine writes, and a server started on a file or refusing it.
 */
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type Redis from 'ioredis';
import { bgsave, type RedisServer, startRedisServer } from '../support/redis-server.js';

export const ROOT = join(__dirname, '..', '..');
/** Where scripts/newer-servers.sh put the binaries (`REDIS_DR_SERVERS` names another folder). */
const BIN = process.env.REDIS_DR_SERVERS ?? join(ROOT, '.tmp', 'servers', 'bin');
/** Each engine by its `--for` name: the local 7.0 and those scripts/newer-servers.sh builds. */
export const ENGINES: Readonly<Record<string, string>> = {
  'redis-7.0': 'redis-server',
  'redis-8.0': join(BIN, 'redis-8.0'),
  'redis-8.6': join(BIN, 'redis-8.6'),
  'valkey-8.1': join(BIN, 'valkey-8.1'),
  'valkey-9.1': join(BIN, 'valkey-9.1'),
};
export const NAMES = Object.keys(ENGINES);
/** What a conversion for an older engine may have to let go in these datasets (each reported, never silent). */
export const LOSSY = 'field-ttl,module,stream-idmp';
const FAR = 4_102_444_800_000; // 2100-01-01: no expiry passes during a run

export function cli(...args: string[]): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [join(ROOT, 'bin', 'redis-dr.cjs'), ...args], { encoding: 'utf8', timeout: 120_000 });
}

/** Every type `c`'s engine holds, feature-detected: what it refuses (an older engine's unknown command) is left out. */
export async function writeDataset(c: Redis): Promise<void> {
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
export async function started(binary: string, file: string): Promise<RedisServer | null> {
  return startRedisServer({ binary, loadRdb: file, readyTimeoutMs: 20_000 }).catch(() => null);
}

/** Throws naming the command to run when an engine of {@link ENGINES} is not built. */
export function requireEngines(): void {
  const missing = NAMES.filter((n) => ENGINES[n] !== 'redis-server' && !existsSync(ENGINES[n]!));
  if (missing.length > 0) throw new Error(`${missing.join(', ')} not built: run npm run setup:newer-servers (scripts/newer-servers.sh) first`);
}

/** Each engine's dataset ({@link writeDataset}) saved by it into `dir`: the files by engine name. */
export async function engineFiles(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
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
  return files;
}
