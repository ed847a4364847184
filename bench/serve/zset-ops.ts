/**
 * ZUNION, ZINTER, ZDIFF and ZINTERCARD at a served point (commands-zset-ops.ts builds a map of member to score of
 * each input at every call): two sorted sets of `--members` members (half of them shared), and two of 128, written by a
 * redis-server 7.0, served in this process (startServing) and by a 7.0 loaded from the same file. Per command: the
 * first call (the values read), then the mean of `--calls` more, each timed as a client sees its reply.
 *
 * `npx tsx bench/serve/zset-ops.ts [--members 100000] [--calls 5]`
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startServing } from '../../lambdas/jobs/serve/serve.js';
import { startRedisServer } from '../../test/support/redis-server.js';
import { RawClient } from '../../test/support/resp-raw.js';
import { intFlags } from '../support.js';

const { values } = parseArgs({ options: { members: { type: 'string', default: '100000' }, calls: { type: 'string', default: '5' } } });
const int = intFlags<'members' | 'calls'>(values);
const members = int('members', 1_000, 2_000_000);
const calls = int('calls', 1, 1_000);

const COMMANDS: string[][] = [
  ['ZUNION', '2', 'za', 'zb'],
  ['ZUNION', '2', 'za', 'zb', 'WITHSCORES'],
  ['ZINTER', '2', 'za', 'zb', 'WITHSCORES'],
  ['ZDIFF', '2', 'za', 'zb'],
  ['ZINTERCARD', '2', 'za', 'zb', 'LIMIT', '10'],
  ['ZUNION', '2', 'sa', 'sb', 'WITHSCORES'],
  ['ZINTER', '2', 'sa', 'sb'],
  ['ZINTERCARD', '2', 'sa', 'sb'],
];

/** Milliseconds of the first call of `cmd`, and the mean of `calls` more; the replies (to hold the two sides alike). */
async function time(port: number, cmd: string[]): Promise<{ first: number; mean: number; reply: string }> {
  const c = await RawClient.open(port);
  try {
    let t = performance.now();
    const reply = await c.call(...cmd);
    const first = performance.now() - t;
    t = performance.now();
    for (let i = 0; i < calls; i++) await c.call(...cmd);
    return { first, mean: (performance.now() - t) / calls, reply };
  } finally {
    c.close();
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'redis-dr-bench-zops-'));
  const writer = await startRedisServer();
  const file = path.join(dir, 'zsets.rdb');
  try {
    const c = writer.client();
    for (let from = 0; from < members; from += 10_000) {
      const ids = Array.from({ length: Math.min(10_000, members - from) }, (_, k) => from + k);
      await c.zadd('za', ...ids.flatMap((i) => [String(i % 1000), `m:${i}`]));
      await c.zadd('zb', ...ids.flatMap((i) => [String((i * 3) % 977), `m:${i + Math.floor(members / 2)}`]));
    }
    await c.zadd('sa', ...Array.from({ length: 128 }, (_, i) => [String(i), `s:${i}`]).flat());
    await c.zadd('sb', ...Array.from({ length: 128 }, (_, i) => [String(i / 2), `s:${i + 64}`]).flat());
    await c.save();
    copyFileSync(writer.rdbPath, file);
  } finally {
    await writer.stop();
  }
  const reference = await startRedisServer({ loadRdb: file });
  const serving = await startServing({ location: file, port: 0 });
  try {
    const load = () =>
      os
        .loadavg()
        .map((x) => x.toFixed(1))
        .join(' ');
    console.log(`${members} members in za and zb (half shared), 128 in sa and sb; ${calls} calls after the first; load average ${load()}`);
    console.log(`${'command'.padEnd(40)}${'serve first / mean ms'.padStart(24)}${'7.0 first / mean ms'.padStart(24)}  same reply`);
    for (const cmd of COMMANDS) {
      const s = await time(serving.port, cmd);
      const r = await time(reference.port, cmd);
      const cell = (x: { first: number; mean: number }) => `${x.first.toFixed(2)} / ${x.mean.toFixed(2)}`.padStart(24);
      console.log(`${cmd.join(' ').padEnd(40)}${cell(s)}${cell(r)}  ${s.reply === r.reply}`);
    }
    console.log(`load average ${load()}`);
  } finally {
    await serving.close();
    await reference.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
