/**
 * One member of a big hash, set or sorted set read again and again (member-lookup.ts): a hash, a set and a sorted set
 * of `--members` members each, written by a redis-server 7.0, served by `redis-dr serve` (this build, and with
 * `--base` another build's CLI, the same run) and by a 7.0 loaded from the same file. Per command: the
 * first call (the value read, and its memo made), then 5 calls of other members, each timed as a client sees it.
 * `--memory`: what a memo costs per member in this process's heap (a Map of latin1 text to place; a sorted set's
 * order), as context.ts MEMO_BYTES_PER_MEMBER charges it.
 *
 * `npx tsx bench/serve/member-memos.ts [--members 200000] [--base <another build's CLI>]` (after `npm run build`);
 * `node --expose-gc --import tsx bench/serve/member-memos.ts --memory`.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startRedisServer } from '../../test/support/redis-server.js';
import { RawClient } from '../../test/support/resp-raw.js';
import { intFlags } from '../support.js';
import { spawnServe } from './spawn-serve.js';

const { values } = parseArgs({
  options: { members: { type: 'string', default: '200000' }, base: { type: 'string' }, memory: { type: 'boolean', default: false } },
});
const members = intFlags<'members'>(values)('members', 1_000, 5_000_000);

/** The calls: the first, then 5 more of other members (`i`: 1..5). */
const CALLS: [string, (i: number) => string[]][] = [
  ['HGET', (i) => ['HGET', 'h', `field:${i * 7919}`]],
  ['HMGET 3', (i) => ['HMGET', 'h', `field:${i}`, `field:${i * 31}`, 'nope']],
  ['HEXISTS', (i) => ['HEXISTS', 'h', `field:${i * 13}`]],
  ['HSTRLEN', (i) => ['HSTRLEN', 'h', `field:${i * 17}`]],
  ['HSCAN COUNT 10', (i) => ['HSCAN', 'h', String(i * 10), 'COUNT', '10']],
  ['HRANDFIELD', () => ['HRANDFIELD', 'h']],
  ['SISMEMBER', (i) => ['SISMEMBER', 's', `member:${i * 7919}`]],
  ['SMISMEMBER 3', (i) => ['SMISMEMBER', 's', `member:${i}`, `member:${i * 31}`, 'nope']],
  ['SRANDMEMBER 5', () => ['SRANDMEMBER', 's', '5']],
  ['ZSCORE', (i) => ['ZSCORE', 'z', `m:${i * 7919}`]],
  ['ZMSCORE 3', (i) => ['ZMSCORE', 'z', `m:${i}`, `m:${i * 31}`, 'nope']],
  ['ZRANK', (i) => ['ZRANK', 'z', `m:${i * 7919}`]],
  ['ZREVRANK', (i) => ['ZREVRANK', 'z', `m:${i * 7919}`]],
  ['ZCOUNT', (i) => ['ZCOUNT', 'z', String(i * 100), String(i * 100 + 50)]],
  ['ZRANGEBYSCORE LIMIT', (i) => ['ZRANGEBYSCORE', 'z', String(i * 1000), '+inf', 'LIMIT', '0', '10']],
  ['GEOPOS', (i) => ['GEOPOS', 'z', `m:${i * 7919}`]],
  ['ZRANGEBYLEX LIMIT', (i) => ['ZRANGEBYLEX', 'zl', `[w:${i * 7919}`, '+', 'LIMIT', '0', '10']],
];

/** Milliseconds of each call of `cmd` on one connection: the first, and the sum of the 5 after it. */
async function timeCalls(port: number, cmd: (i: number) => string[]): Promise<{ first: number; next5: number; replies: string[] }> {
  const c = await RawClient.open(port);
  try {
    const replies: string[] = [];
    const times: number[] = [];
    for (let i = 0; i <= 5; i++) {
      const t = performance.now();
      replies.push(await c.call(...cmd(i + 1)));
      times.push(performance.now() - t);
    }
    return { first: times[0]!, next5: times.slice(1).reduce((a, b) => a + b, 0), replies };
  } finally {
    c.close();
  }
}

async function writePoint(dir: string): Promise<string> {
  const writer = await startRedisServer();
  const file = path.join(dir, 'members.rdb');
  try {
    const c = writer.client();
    for (let from = 0; from < members; from += 10_000) {
      const n = Math.min(10_000, members - from);
      const ids = Array.from({ length: n }, (_, k) => from + k);
      await c.hset('h', ...ids.flatMap((i) => [`field:${i}`, `value-${i}`]));
      await c.sadd('s', ...ids.map((i) => `member:${i}`));
      await c.zadd('z', ...ids.flatMap((i) => [String((i * 7) % members), `m:${i}`]));
      await c.zadd('zl', ...ids.flatMap((i) => ['0', `w:${i}`]));
    }
    await c.save();
    copyFileSync(writer.rdbPath, file);
  } finally {
    await writer.stop();
  }
  return file;
}

async function servers(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'redis-dr-bench-members-'));
  const file = await writePoint(dir);
  const reference = await startRedisServer({ loadRdb: file });
  const sides: [string, Awaited<ReturnType<typeof spawnServe>>][] = [['serve', await spawnServe([file, '--port', '0'])]];
  if (values.base) sides.push(['base', await spawnServe([file, '--port', '0'], {}, path.resolve(values.base))]);
  try {
    console.log(
      `${members} members each (hash, set, zset, a zset of one score); load average ${os
        .loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')}`,
    );
    console.log(['command'.padEnd(20), ...sides.map(([n]) => `${n} first / next 5 ms`.padStart(28)), '7.0 first / next 5 ms'.padStart(26)].join(''));
    for (const [name, cmd] of CALLS) {
      const cells: string[] = [];
      for (const [, side] of sides) {
        const t = await timeCalls(side.port, cmd);
        cells.push(`${t.first.toFixed(1)} / ${t.next5.toFixed(1)}`.padStart(28));
      }
      const r = await timeCalls(reference.port, cmd);
      cells.push(`${r.first.toFixed(1)} / ${r.next5.toFixed(1)}`.padStart(26));
      console.log(name.padEnd(20) + cells.join(''));
    }
    console.log(
      `load average ${os
        .loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')}`,
    );
  } finally {
    for (const [, side] of sides) side.child.kill('SIGTERM');
    await reference.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The heap a memo of `members` members takes (this process's, node's own strings), per member. */
function memory(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  const names = Array.from({ length: members }, (_, i) => Buffer.from(`member:${i}`));
  const heap = (): number => {
    gc();
    gc();
    return process.memoryUsage().heapUsed;
  };
  const measure = (what: string, make: () => unknown): void => {
    const before = heap();
    const kept = make();
    const after = heap();
    console.log(`${what}: ${((after - before) / members).toFixed(1)} bytes a member (${members} members of ${names[0]!.length}–${names.at(-1)!.length} bytes)`);
    if (!kept) throw new Error('nothing kept');
  };
  measure('places (Map of latin1 text to place)', () => {
    const m = new Map<string, number>();
    for (let i = 0; i < names.length; i++) m.set(names[i]!.toString('latin1'), i);
    return m;
  });
  measure("a sorted set's order ([member, score] pairs)", () => names.map((n, i) => [n, i * 1.5] as const));
}

if (values.memory) memory();
else void servers();
