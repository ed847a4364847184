/**
 * KEYS of a long pattern against long keys, on `redis-dr serve` and on a
 * redis-server 7.0 loaded from the same file: the CPU each spends on it,
 * and how another connection's PINGs fare meanwhile (serve walks the keys
 * in slices and answers them between slices; 7.0 holds every client until
 * its KEYS is done). The file: `--keys` keys of 64 KiB of `K` (one of them
 * ending in `x`, the one that matches) and one small key.
 *
 * Patterns (1,000 bytes each):
 * - `*(K?)×498 Kx*`: a run with `?` between two stars, tried at each place
 *   of each key (pattern × key bytes on both);
 * - `*K×997 x*`: a run of plain bytes between two stars (serve: one
 *   Buffer.indexOf per key; 7.0: pattern × key bytes).
 *
 * `npx tsx bench/serve/keys-slices.ts [--keys 5] [--rounds 3]` (after `npm
 * run build`: it spawns the built CLI). Prints one line per round and side.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startRedisServer } from '../../test/support/redis-server.js';
import { RawClient } from '../../test/support/resp-raw.js';
import { intFlags, serverCpu } from '../support.js';
import { cpuSeconds, spawnServe } from './spawn-serve.js';

const { values } = parseArgs({ options: { keys: { type: 'string', default: '5' }, rounds: { type: 'string', default: '3' } } });
const int = intFlags<'keys' | 'rounds'>(values);
const keys = int('keys', 2, 1_000);
const rounds = int('rounds', 1, 100);

const PATTERNS: Record<string, string> = {
  'run with ?': `*${'K?'.repeat(498)}Kx*`,
  'plain run': `*${'K'.repeat(997)}x*`,
};

/** One KEYS on `port` while another connection PINGs in turn: its seconds, the PINGs answered before it, and the slowest of those. */
async function keysWhilePinging(port: number, pattern: string): Promise<{ seconds: number; pings: number; slowestMs: number; reply: string }> {
  const [slow, other] = await Promise.all([RawClient.open(port), RawClient.open(port)]);
  const started = performance.now();
  let done = false;
  const keysReply = slow.call('KEYS', pattern).finally(() => {
    done = true;
  });
  let pings = 0;
  let slowestMs = 0;
  while (!done) {
    const sent = performance.now();
    await other.call('PING');
    if (!done) {
      pings++;
      slowestMs = Math.max(slowestMs, performance.now() - sent);
    }
  }
  const reply = await keysReply;
  const seconds = (performance.now() - started) / 1000;
  slow.close();
  other.close();
  return { seconds, pings, slowestMs, reply };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'redis-dr-bench-keys-'));
  const writer = await startRedisServer();
  const file = path.join(dir, 'long-keys.rdb');
  try {
    const c = writer.client();
    for (let i = 0; i < keys - 1; i++) await c.set(`${'K'.repeat(65_536)}${i}`, 'v');
    await c.set(`${'K'.repeat(65_535)}x`, 'v');
    await c.set('small', 'v');
    await c.save();
    copyFileSync(writer.rdbPath, file);
  } finally {
    await writer.stop();
  }
  const reference = await startRedisServer({ loadRdb: file });
  const served = await spawnServe([file, '--port', '0']);
  try {
    console.log(`${keys} keys of 64 KiB; load average ${os.loadavg()[0]!.toFixed(1)}`);
    for (let round = 1; round <= rounds; round++)
      for (const [name, pattern] of Object.entries(PATTERNS)) {
        const before = [cpuSeconds(served.child.pid!), await serverCpu(reference.client())];
        const s = await keysWhilePinging(served.port, pattern);
        const mid = [cpuSeconds(served.child.pid!), await serverCpu(reference.client())];
        const r = await keysWhilePinging(reference.port, pattern);
        const after = await serverCpu(reference.client());
        if (s.reply !== r.reply) throw new Error(`${name}: serve's KEYS reply differs from 7.0's`);
        const line = (who: string, x: typeof s, cpu: number): string =>
          `round ${round} ${name.padEnd(10)} ${who.padEnd(5)} KEYS ${x.seconds.toFixed(3)} s (CPU ${cpu.toFixed(2)} s), ${x.pings} PINGs answered meanwhile${x.pings > 0 ? `, slowest ${x.slowestMs.toFixed(1)} ms` : ''}`;
        // serve's CPU counts the PINGs it answered meanwhile too (7.0's answered none).
        console.log(line('serve', s, mid[0]! - before[0]!));
        console.log(line('7.0', r, after - mid[1]!));
      }
    console.log(`load average ${os.loadavg()[0]!.toFixed(1)}`);
  } finally {
    served.child.kill('SIGTERM');
    await reference.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
